r"""支持向量机（支持向量机一章）：最大间隔、对偶问题与 KKT 条件、软间隔、核方法、合页损失。

记号与支持向量机一章一致：样本 :math:`\mathbf x_n` 是列向量，标签 :math:`y_n\in\{-1,+1\}`，
分类器 :math:`\mathrm{sign}(h(\mathbf x))`，
:math:`h(\mathbf x)=\mathbf w^\top\boldsymbol\phi(\mathbf x)+b`。软间隔 SVM 的原问题与对偶问题是

.. math::
    \min_{\mathbf w,b,\boldsymbol\xi}\ \tfrac12\lVert\mathbf w\rVert^2+C\sum_n\xi_n
    \quad\text{s.t.}\quad y_n h(\mathbf x_n)\ge1-\xi_n,\ \xi_n\ge0;
    \qquad
    \max_{\mathbf a}\ g(\mathbf a)=\mathbf 1^\top\mathbf a-\tfrac12\mathbf a^\top M\mathbf a
    \quad\text{s.t.}\quad 0\le a_n\le C,\ \mathbf y^\top\mathbf a=0,

其中 :math:`M_{nm}=y_ny_mk(\mathbf x_n,\mathbf x_m)`。:math:`C=\infty` 就是硬间隔。

表中括号里是用到它的节：间隔 =“决策边界与最大间隔”，对偶 =“对偶问题与 KKT 条件”，软间隔 =“软间隔”，
核 =“核方法”，合页 =“损失函数视角：合页损失与逻辑回归”。

===============================  =====================================================================
``signed_distance``              :math:`h(\mathbf x)/\lVert\mathbf w\rVert`：到超平面的带符号距离（间隔）
``geometric_margin``             :math:`\min_n y_nh(\mathbf x_n)/\lVert\mathbf w\rVert`（间隔）
``dual_objective``               :math:`g(\mathbf a)`（对偶）
``separable``                    两类在特征空间中是否线性可分（硬间隔是否可行；一个线性规划）
``smo``                          序列最小优化：每次解析地优化两个乘子（对偶、软间隔）
``SVC``                          scikit-learn 风格的支持向量分类器：线性/多项式/RBF 核，多类一对一（对偶、软间隔、核）
``zero_one_loss`` 等             间隔 :math:`z=yh` 的损失函数：0-1、合页、逻辑、硬间隔（合页）
``svm_primal_objective``         :math:`\tfrac12\lVert\mathbf w\rVert^2+C\sum_n\max(0,1-y_nh_n)`（软间隔、合页）
``fit_linear_svm_subgradient``   用次梯度下降直接最小化原问题（合页）
===============================  =====================================================================
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np

from .base import BaseEstimator, ClassifierMixin, ConvergenceWarning, encode_labels, validate_data
from .kernels import KERNELS, get_kernel
from .optim import InverseTimeDecay, gradient_descent
from .utils import check_array, check_is_fitted, check_scalar

__all__ = [
    "signed_distance",
    "geometric_margin",
    "dual_objective",
    "SMOResult",
    "separable",
    "smo",
    "SVC",
    "zero_one_loss",
    "hinge_loss",
    "hinge_subgradient",
    "logistic_loss",
    "hard_margin_loss",
    "svm_primal_objective",
    "fit_linear_svm_subgradient",
]


# ---------------------------------------------------------------------------------------------
# 8.1 几何：距离与间隔
# ---------------------------------------------------------------------------------------------
def _check_wb(X, w, b):
    X = check_array(X, "X", ndim=2)
    w = check_array(w, "w", ndim=1)
    if w.shape[0] != X.shape[1]:
        raise ValueError(f"w must have one entry per column of X ({X.shape[1]}), got {w.shape[0]}")
    b = check_scalar(b, "b", Real)
    norm = np.linalg.norm(w)
    if norm == 0:
        raise ValueError("w must not be the zero vector: it defines no hyperplane")
    return X, w, float(b), norm


def _check_pm1(y, n=None, name="y") -> np.ndarray:
    y = check_array(y, name, ndim=1)
    if not np.all(np.isin(y, (-1.0, 1.0))):
        raise ValueError(f"{name} must contain only the labels -1 and +1, got values {np.unique(y)[:5]}")
    if n is not None and y.shape[0] != n:
        raise ValueError(f"{name} must have one label per sample ({n}), got {y.shape[0]}")
    return y


def signed_distance(X, w, b: float) -> np.ndarray:
    r"""每个样本到超平面 :math:`\{\mathbf x:\mathbf w^\top\mathbf x+b=0\}` 的带符号距离
    :math:`(\mathbf w^\top\mathbf x+b)/\lVert\mathbf w\rVert`。

    在 :math:`\mathbf w` 指向的一侧为正。原点的带符号距离是 :math:`b/\lVert\mathbf w\rVert`，
    所以原点到超平面的距离是 :math:`|b|/\lVert\mathbf w\rVert`。
    """
    X, w, b, norm = _check_wb(X, w, b)
    return (X @ w + b) / norm


def geometric_margin(X, y, w, b: float) -> float:
    r"""超平面在数据集上的间隔 :math:`\min_n y_n(\mathbf w^\top\mathbf x_n+b)/\lVert\mathbf w\rVert`
    （为负表示有样本分错）。"""
    X, w, b, norm = _check_wb(X, w, b)
    y = _check_pm1(y, X.shape[0])
    return float(np.min(y * (X @ w + b)) / norm)


# ---------------------------------------------------------------------------------------------
# 8.2–8.3 对偶问题与 SMO
# ---------------------------------------------------------------------------------------------
def dual_objective(alpha, y, K) -> float:
    r"""对偶目标 :math:`g(\mathbf a)=\sum_na_n-\frac12\sum_{n,m}a_na_my_ny_mK_{nm}`（要 *最大化* 它）。"""
    alpha = check_array(alpha, "alpha", ndim=1)
    y = _check_pm1(y, alpha.shape[0])
    K = check_array(K, "K", ndim=2)
    if K.shape != (alpha.shape[0], alpha.shape[0]):
        raise ValueError(f"K must have shape ({alpha.shape[0]}, {alpha.shape[0]}), got {K.shape}")
    ay = alpha * y
    return float(alpha.sum() - 0.5 * ay @ K @ ay)


@dataclass
class SMOResult:
    """:func:`smo` 的结果。``record=True`` 时还保存每一步的乘子、截距、对偶目标与违反程度，用来画收敛过程。

    Attributes
    ----------
    alpha : 乘子 :math:`\\mathbf a`；  b : 截距；  n_iter : 迭代次数（每次更新一对乘子）；
    converged : 最大违反对的差距是否已小于 ``tol``；
    gap : 结束时的 :math:`m(\\mathbf a)-M(\\mathbf a)`（KKT 条件的违反程度，见“对偶问题与 KKT 条件”一节）。
    """

    alpha: np.ndarray
    b: float
    n_iter: int
    converged: bool
    gap: float
    alpha_path: np.ndarray = field(default_factory=lambda: np.empty((0, 0)), repr=False)
    b_path: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)
    objective_path: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)
    gap_path: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)
    pairs: np.ndarray = field(default_factory=lambda: np.empty((0, 2), dtype=int), repr=False)


def _intercept(alpha, G, y, C) -> float:
    r"""由 KKT 条件求截距 :math:`b`（与 LIBSVM 相同）。

    :math:`0<a_n<C` 的样本恰好落在间隔边界上，:math:`y_nh(\mathbf x_n)=1`，每个都给出 :math:`b=-y_nG_n`，取平均；
    没有这样的样本时，:math:`b` 只被限制在一个区间里，取区间中点。
    """
    yG = y * G
    free = (alpha > 0) & (alpha < C)
    if free.any():
        return float(-yG[free].mean())
    at_upper = alpha >= C
    # 在下界（a=0）且 y=+1、或在上界且 y=-1 的样本给出 -b 的上界；另外两种给出下界
    ub_set = (at_upper & (y < 0)) | (~at_upper & (y > 0))
    lb_set = (at_upper & (y > 0)) | (~at_upper & (y < 0))
    ub = yG[ub_set].min() if ub_set.any() else np.inf
    lb = yG[lb_set].max() if lb_set.any() else -np.inf
    if not np.isfinite(ub):
        ub = lb
    if not np.isfinite(lb):
        lb = ub
    return float(-(ub + lb) / 2)


def separable(K, y) -> bool:
    r"""两类样本在核 :math:`K` 的特征空间中是否线性可分，即硬间隔原问题是否有可行解。

    由 :math:`\mathbf w=\sum_m\beta_m\boldsymbol\phi(\mathbf x_m)`（最优的 :math:`\mathbf w` 总在样本张成的空间里），
    可分等价于线性规划 :math:`y_n(\sum_m\beta_mK_{nm}+b)\ge1\ (\forall n)` 有解；用 ``scipy.optimize.linprog`` 判断。
    """
    from scipy.optimize import linprog

    K = check_array(K, "K", ndim=2)
    y = _check_pm1(y, K.shape[0])
    A = -y[:, None] * np.hstack([K, np.ones((K.shape[0], 1))])
    res = linprog(np.zeros(K.shape[0] + 1), A_ub=A, b_ub=-np.ones(K.shape[0]), bounds=(None, None), method="highs")
    if res.status not in (0, 2):
        raise RuntimeError(f"the separability LP failed: {res.message}")
    return res.status == 0


def smo(K, y, C: float = 1.0, *, tol: float = 1e-3, max_iter: int = -1, record: bool = False, tau: float = 1e-12):
    r"""用序列最小优化（SMO）解 SVM 的对偶问题 {Platt 1998; Fan, Chen & Lin 2005}，返回 :class:`SMOResult`。

    改写成最小化 :math:`f(\mathbf a)=\frac12\mathbf a^\top M\mathbf a-\mathbf 1^\top\mathbf a=-g(\mathbf a)`，
    约束 :math:`0\le a_n\le C`、:math:`\mathbf y^\top\mathbf a=0`。维护梯度 :math:`\mathbf G=M\mathbf a-\mathbf 1`。

    1. **选一对乘子。** 记 :math:`I_{\rm up}=\{t: a_t<C, y_t=1\ \text{或}\ a_t>0, y_t=-1\}`
       （:math:`a_t` 能沿 :math:`y_t` 方向增加），
       :math:`I_{\rm low}` 同理（能沿 :math:`-y_t` 方向增加）。KKT 条件等价于
       :math:`m(\mathbf a)=\max_{t\in I_{\rm up}}-y_tG_t\ \le\ M(\mathbf a)=\min_{t\in I_{\rm low}}-y_tG_t`；
       :math:`m-M<` ``tol`` 时停止。否则取 :math:`i=\arg\max_{I_{\rm up}}-y_tG_t`，
       再在 :math:`I_{\rm low}` 中选能让目标下降最多的
       :math:`j`（二阶信息：最小化 :math:`-b_{ij}^2/a_{ij}`，:math:`b_{ij}=-y_iG_i+y_jG_j>0`，
       :math:`a_{ij}=K_{ii}+K_{jj}-2K_{ij}`）。
    2. **解析地优化这一对。** 沿 :math:`a_i\mathrel{+}=y_i\lambda,\ a_j\mathrel{-}=y_j\lambda` 移动，
       保持 :math:`\mathbf y^\top\mathbf a=0`；
       目标是 :math:`\lambda` 的二次函数，最小点 :math:`\lambda=b_{ij}/a_{ij}`，
       再截断到盒子 :math:`[0,C]` 允许的范围内。
    3. **更新梯度**：:math:`\mathbf G\mathrel{+}=M_{:,i}\Delta a_i+M_{:,j}\Delta a_j`，只用到 :math:`K` 的两列。

    ``K`` 是训练样本的核矩阵，``y`` 取值 :math:`\pm1`，``C=np.inf`` 为硬间隔。硬间隔要求数据在特征空间中线性可分
    （否则原问题无可行解、对偶目标无上界，SMO 永不停止），所以先用 :func:`separable` 检查，不可分时报错。
    ``max_iter=-1`` 表示不限步数。
    """
    K = check_array(K, "K", ndim=2)
    n = K.shape[0]
    if K.shape != (n, n):
        raise ValueError(f"K must be a square kernel matrix, got shape {K.shape}")
    y = _check_pm1(y, n)
    if not (np.any(y > 0) and np.any(y < 0)):
        raise ValueError("y must contain both labels -1 and +1")
    C = check_scalar(C, "C", Real, min_val=0, include_min=False) if C != np.inf else np.inf
    tol = check_scalar(tol, "tol", Real, min_val=0, include_min=False)
    max_iter = check_scalar(max_iter, "max_iter", Integral, min_val=-1)
    limit = np.inf if max_iter == -1 else max_iter
    if C == np.inf and not separable(K, y):
        raise ValueError(
            "hard margin (C=inf) but the two classes are not linearly separable in the kernel's feature space: "
            "the primal problem is infeasible and the dual objective is unbounded. Use a finite C (soft margin)."
        )

    alpha = np.zeros(n)
    G = -np.ones(n)  # M a - 1 at a = 0
    diag = np.diag(K).copy()
    positive = y > 0
    index = np.arange(n)
    rec_alpha, rec_b, rec_obj, rec_gap, rec_pairs = [], [], [], [], []
    it, converged, gap = 0, False, np.inf
    while True:
        up = np.where(positive, alpha < C, alpha > 0)
        low = np.where(positive, alpha > 0, alpha < C)
        score = -y * G
        i = int(index[up][np.argmax(score[up])])
        m, M = score[i], score[low].min()
        gap = float(m - M)
        if record:
            rec_alpha.append(alpha.copy())
            rec_b.append(_intercept(alpha, G, y, C))
            rec_obj.append(0.5 * alpha @ (1.0 - G))  # g(a) = -f(a) = 1^T a - a^T M a / 2
            rec_gap.append(gap)
        if gap < tol:
            converged = True
            break
        if it >= limit:
            break
        # second-order working-set selection of j among the violating partners of i
        cand = index[low & (score < m)]
        b_ij = m - score[cand]
        a_ij = diag[i] + diag[cand] - 2.0 * K[i, cand]
        a_ij = np.where(a_ij > 0, a_ij, tau)
        j = int(cand[np.argmin(-(b_ij**2) / a_ij)])
        a = max(diag[i] + diag[j] - 2.0 * K[i, j], tau)
        # step along (a_i += y_i lam, a_j -= y_j lam), clipped to the box
        room_i = (C - alpha[i]) if y[i] > 0 else alpha[i]
        room_j = alpha[j] if y[j] > 0 else (C - alpha[j])
        lam = min((m - score[j]) / a, room_i, room_j)
        new_i, new_j = alpha[i] + y[i] * lam, alpha[j] - y[j] * lam
        if lam == room_i:  # snap exactly onto the bound, so that "free" (0 < a < C) is decided exactly
            new_i = C if y[i] > 0 else 0.0
        if lam == room_j:
            new_j = 0.0 if y[j] > 0 else C
        d_i, d_j = new_i - alpha[i], new_j - alpha[j]
        alpha[i], alpha[j] = new_i, new_j
        G += y * (y[i] * d_i * K[:, i] + y[j] * d_j * K[:, j])
        it += 1
        if record:
            rec_pairs.append((i, j))
    result = SMOResult(alpha, _intercept(alpha, G, y, C), it, converged, gap)
    if record:
        result.alpha_path = np.array(rec_alpha)
        result.b_path = np.array(rec_b)
        result.objective_path = np.array(rec_obj)
        result.gap_path = np.array(rec_gap)
        result.pairs = np.array(rec_pairs, dtype=int).reshape(-1, 2)
    return result


class SVC(ClassifierMixin, BaseEstimator):
    r"""支持向量分类器，接口、默认值与拟合出的属性同 ``sklearn.svm.SVC``，每个二分类问题用 :func:`smo` 求解对偶问题。

    两类时就是本章推导的那一个 SVM。:math:`K>2` 类时与 scikit-learn（LIBSVM）一样做 **一对一**（one-vs-one）：
    对每一对类别 :math:`i<j` 只用这两类的样本训练一个二分类 SVM，共 :math:`K(K-1)/2` 个；预测时每个分类器
    投一票（决策值为正投给 :math:`i`，否则投给 :math:`j`），得票最多的类获胜（平票取编号小的类）。

    Parameters
    ----------
    C : 软间隔的惩罚系数；``C=np.inf`` 是硬间隔（scikit-learn 不接受 ``inf``，这是本书的扩展）。
    kernel : ``"linear"``、``"poly"``、``"rbf"`` 或可调用对象 ``k(X, Y)``。
    degree, coef0 : 多项式核 :math:`(\gamma\mathbf x^\top\mathbf x'+c_0)^p` 的 :math:`p` 与 :math:`c_0`。
    gamma : ``"scale"``（:math:`1/(d\cdot\mathrm{Var}(X))`，用全部训练数据计算）、``"auto"``（:math:`1/d`）或正数。
    tol : SMO 的停止阈值（KKT 违反程度 :math:`m-M`）；  max_iter : 每个二分类问题最多迭代次数，-1 表示不限。
    decision_function_shape : ``"ovr"``（默认）时多类的 ``decision_function`` 形状为 ``(n, K)``：每类的票数加上
        一个绝对值小于 1/3 的置信度修正（与 scikit-learn 相同）；``"ovo"`` 时是 ``(n, K(K-1)/2)`` 的原始决策值。
    break_ties : 为真且 ``decision_function_shape="ovr"``、:math:`K>2` 时，``predict`` 取 ``decision_function``
        最大的类，而不是按票数（平票取编号小的类）。

    Attributes
    ----------
    classes_ : 排序后的类别。两类时 ``decision_function > 0`` 判为 ``classes_[1]``（内部记作 :math:`y=+1`）。
    support_ : 支持向量（在某个二分类问题里 :math:`a_n>0`）的下标，按类别分组、组内升序；
    support_vectors_ : 支持向量；  n_support_ : 每类的支持向量数；
    dual_coef_ : 形状 ``(K-1, n_SV)``，:math:`a_ny_n`（两类时一行；多类时按 LIBSVM 的排法：
        类 :math:`c` 的支持向量在与类 :math:`c'` 的那对问题中的系数放在第 :math:`c'` 行（:math:`c'<c`）
        或第 :math:`c'-1` 行（:math:`c'>c`），取值 :math:`+a_n`（:math:`c<c'`）或 :math:`-a_n`（:math:`c>c'`））；
    intercept_ : 每对问题的截距 :math:`b`，形状 ``(K(K-1)/2,)``；
    coef_ : 线性核时每对问题的 :math:`\mathbf w=\sum_na_ny_n\mathbf x_n`，形状 ``(K(K-1)/2, d)``；
    n_iter_ : 每对问题的 SMO 迭代次数，形状 ``(K(K-1)/2,)``。
    以下是本书的扩展（scikit-learn 没有）：
    alpha_ : 全部乘子 :math:`\mathbf a`（两类时形状 ``(n,)``；多类时 ``(K(K-1)/2, n)``，不属于该对的样本为 0）；
    dual_objective_, primal_objective_ : 最优点处的 :math:`g(\mathbf a)` 与原问题目标（两者之差是对偶间隙；
        多类时每对一个）；  converged_ : 是否每个问题都收敛。
    """

    _decision_shapes = ("ovr", "ovo")

    def __init__(
        self,
        C: float = 1.0,
        kernel="rbf",
        degree: int = 3,
        gamma="scale",
        coef0: float = 0.0,
        tol: float = 1e-3,
        max_iter: int = -1,
        decision_function_shape: str = "ovr",
        break_ties: bool = False,
    ):
        self.C = C
        self.kernel = kernel
        self.degree = degree
        self.gamma = gamma
        self.coef0 = coef0
        self.tol = tol
        self.max_iter = max_iter
        self.decision_function_shape = decision_function_shape
        self.break_ties = break_ties

    def _resolve_gamma(self, X) -> float:
        if isinstance(self.gamma, str):
            if self.gamma == "scale":
                var = X.var()
                return 1.0 / (X.shape[1] * var) if var > 0 else 1.0
            if self.gamma == "auto":
                return 1.0 / X.shape[1]
            raise ValueError(f"gamma must be 'scale', 'auto' or a positive float, got {self.gamma!r}")
        return float(check_scalar(self.gamma, "gamma", Real, min_val=0, include_min=False))

    def _kernel(self, A, B) -> np.ndarray:
        """核矩阵 :math:`k(A, B)`，:math:`\\gamma` 取 ``fit`` 时算出的值。"""
        kernel = get_kernel(self.kernel, gamma=self._gamma, degree=self.degree, coef0=self.coef0)
        return check_array(kernel(A, B), "kernel(X, Y)", ndim=2)

    def _pairs(self) -> list[tuple[int, int]]:
        K = len(self.classes_)
        return [(i, j) for i in range(K) for j in range(i + 1, K)]

    def fit(self, X, y) -> SVC:
        if not (isinstance(self.C, Real) and self.C == np.inf):  # C = inf: the hard margin
            check_scalar(self.C, "C", Real, min_val=0, include_min=False)
        if not callable(self.kernel) and (not isinstance(self.kernel, str) or self.kernel not in KERNELS):
            raise ValueError(f"kernel must be one of {KERNELS} or a callable, got {self.kernel!r}")
        check_scalar(self.degree, "degree", Integral, min_val=1)
        check_scalar(self.coef0, "coef0", Real)
        check_scalar(self.break_ties, "break_ties", bool)
        if (
            not isinstance(self.decision_function_shape, str)
            or self.decision_function_shape not in self._decision_shapes
        ):
            raise ValueError(
                f"decision_function_shape must be one of {self._decision_shapes}, got {self.decision_function_shape!r}"
            )
        X, y = validate_data(self, X, y, dtype=np.float64)
        self.classes_, codes = encode_labels(y)
        n = X.shape[0]
        self._gamma = self._resolve_gamma(X)
        K = self._kernel(X, X)
        # one binary SVM per pair of classes i < j, on the samples of those two classes only;
        # inside the pair the later class j is y = +1 (for two classes: classes_[1], as in the derivation)
        pairs = self._pairs()
        alpha, b = np.zeros((len(pairs), n)), np.zeros(len(pairs))
        n_iter, dual, primal, converged = [], [], [], []
        for p, (i, j) in enumerate(pairs):
            idx = np.flatnonzero((codes == i) | (codes == j))
            t = np.where(codes[idx] == j, 1.0, -1.0)
            K_pair = K[np.ix_(idx, idx)]
            res = smo(K_pair, t, self.C, tol=self.tol, max_iter=self.max_iter)
            alpha[p, idx], b[p] = res.alpha, res.b
            n_iter.append(res.n_iter)
            converged.append(res.converged)
            if not res.converged:
                warnings.warn(
                    f"SVC (SMO) stopped after max_iter={self.max_iter} iterations with KKT violation {res.gap:.3g} "
                    f"> tol={self.tol}",
                    ConvergenceWarning,
                    stacklevel=2,
                )
            # objectives at the solution: ||w||^2 = (a*y)^T K (a*y), slacks xi_n = max(0, 1 - y_n h(x_n))
            ay = res.alpha * t
            w_norm2 = float(ay @ K_pair @ ay)
            slack = np.maximum(0.0, 1.0 - t * (K_pair @ ay + res.b))
            dual.append(float(res.alpha.sum() - 0.5 * w_norm2))
            primal.append(0.5 * w_norm2 + (float(self.C * slack.sum()) if self.C != np.inf else 0.0))

        # support vectors: samples with a_n > 0 in some pair, grouped by class (as scikit-learn lists them)
        is_sv = (alpha > 0).any(axis=0)
        self.support_ = np.concatenate([np.flatnonzero(is_sv & (codes == c)) for c in range(len(self.classes_))])
        self.support_vectors_ = X[self.support_]
        self.n_support_ = np.bincount(codes[self.support_], minlength=len(self.classes_)).astype(np.int32)
        self.n_iter_ = np.array(n_iter)
        self.converged_ = all(converged)
        if len(pairs) == 1:  # two classes: h(x) = sum_n a_n y_n k(x_n, x) + b, positive for classes_[1]
            t = np.where(codes == 1, 1.0, -1.0)
            self.alpha_ = alpha[0]
            self.dual_coef_ = (alpha[0] * t)[self.support_][None, :]
            self.intercept_ = b
            self.dual_objective_, self.primal_objective_ = dual[0], primal[0]
        else:  # LIBSVM's layout; its pair (i, j) votes for i when positive, i.e. the negative of our h
            sv_codes = codes[self.support_]
            self.dual_coef_ = np.zeros((len(self.classes_) - 1, len(self.support_)))
            for p, (i, j) in enumerate(pairs):
                a = alpha[p, self.support_]
                self.dual_coef_[j - 1, sv_codes == i] = a[sv_codes == i]  # class i: +a_n
                self.dual_coef_[i, sv_codes == j] = -a[sv_codes == j]  # class j: -a_n
            self.alpha_ = alpha
            self.intercept_ = -b
            self.dual_objective_, self.primal_objective_ = np.array(dual), np.array(primal)
        return self

    @property
    def coef_(self) -> np.ndarray:
        r""":math:`\mathbf w=\sum_n a_ny_n\mathbf x_n`，每对问题一行，只对线性核有定义。"""
        check_is_fitted(self, "dual_coef_")
        if self.kernel != "linear":
            raise AttributeError("coef_ is only available when kernel='linear'")
        return self._pair_coef() @ self.support_vectors_

    def _pair_coef(self) -> np.ndarray:
        """每对问题中各支持向量的系数，形状 ``(K(K-1)/2, n_SV)``（从 ``dual_coef_`` 的 LIBSVM 排法中取出）。"""
        if len(self.classes_) == 2:
            return self.dual_coef_
        sv_codes = np.repeat(np.arange(len(self.classes_)), self.n_support_)
        coef = np.zeros((len(self.intercept_), len(sv_codes)))
        for p, (i, j) in enumerate(self._pairs()):
            on_i, on_j = sv_codes == i, sv_codes == j
            coef[p, on_i] = self.dual_coef_[j - 1, on_i]
            coef[p, on_j] = self.dual_coef_[i, on_j]
        return coef

    def _ovo_decision(self, X) -> np.ndarray:
        r"""每对问题的决策值 :math:`\sum_{n\in\mathcal S}(\text{系数})\,k(\mathbf x_n,\mathbf x)+b`，
        形状 ``(n, K(K-1)/2)``；多类时为正表示投给这一对中编号小的类（LIBSVM 的约定）。"""
        return self._kernel(X, self.support_vectors_) @ self._pair_coef().T + self.intercept_

    def _votes(self, dec: np.ndarray) -> np.ndarray:
        """一对一投票：每对 :math:`(i, j)` 决策值为正投给 :math:`i`，否则投给 :math:`j`。形状 ``(n, K)``。"""
        votes = np.zeros((dec.shape[0], len(self.classes_)))
        for p, (i, j) in enumerate(self._pairs()):
            votes[:, i] += dec[:, p] > 0
            votes[:, j] += dec[:, p] <= 0
        return votes

    def _ovr_decision(self, dec: np.ndarray) -> np.ndarray:
        r"""票数加上 :math:`s_c/(3(|s_c|+1))`，:math:`s_c` 是类 :math:`c` 在各对问题中的决策值之和（赢为正）。"""
        confidence = np.zeros((dec.shape[0], len(self.classes_)))
        for p, (i, j) in enumerate(self._pairs()):
            confidence[:, i] += dec[:, p]
            confidence[:, j] -= dec[:, p]
        return self._votes(dec) + confidence / (3 * (np.abs(confidence) + 1))

    def decision_function(self, X) -> np.ndarray:
        r"""两类时是 :math:`h(\mathbf x)=\sum_{n\in\mathcal S}a_ny_nk(\mathbf x_n,\mathbf x)+b`，形状 ``(n,)``。

        多类时，``decision_function_shape="ovo"`` 给出每对问题的决策值；``"ovr"`` 给出每类的票数加上
        :math:`s_c/(3(|s_c|+1))`，:math:`s_c` 是类 :math:`c` 在各对问题中得到的决策值之和（赢为正、输为负）；
        这一项的绝对值小于 1/3，只在票数相同时起作用（与 scikit-learn 相同）。"""
        dec = self._ovo_decision(self._validate_X(X, "dual_coef_"))
        if len(self.classes_) == 2:
            return dec[:, 0]
        return dec if self.decision_function_shape == "ovo" else self._ovr_decision(dec)

    def predict(self, X) -> np.ndarray:
        """两类时 :math:`h(\\mathbf x)>0` 判为 ``classes_[1]``；多类时按一对一的票数（见类的说明）。"""
        dec = self._ovo_decision(self._validate_X(X, "dual_coef_"))
        if len(self.classes_) == 2:
            return self.classes_[(dec[:, 0] > 0).astype(int)]
        if self.break_ties and self.decision_function_shape == "ovr":
            return self.classes_[np.argmax(self._ovr_decision(dec), axis=1)]
        return self.classes_[np.argmax(self._votes(dec), axis=1)]


# ---------------------------------------------------------------------------------------------
# 8.5 损失函数视角
# ---------------------------------------------------------------------------------------------
def zero_one_loss(z):
    r"""“理想”损失 :math:`E_{0/1}(z)=\mathbb 1[z<0]`，:math:`z=yh(\mathbf x)` 是间隔（:math:`z\ge0` 即分对）。"""
    z = check_array(z, "z", ndim=None)
    return (z < 0).astype(float)


def hinge_loss(z):
    r"""合页损失 :math:`E_{\rm SV}(z)=\max(0,1-z)`：软间隔 SVM 的松弛变量 :math:`\xi=E_{\rm SV}(yh)`。"""
    z = check_array(z, "z", ndim=None)
    return np.maximum(0.0, 1.0 - z)


def hinge_subgradient(z):
    r"""合页损失的一个次梯度：:math:`z<1` 时为 :math:`-1`，:math:`z>1` 时为 0，在折点 :math:`z=1` 取 0
    （次微分是区间 :math:`[-1,0]`，其中任何值都可以）。"""
    z = check_array(z, "z", ndim=None)
    return np.where(z < 1, -1.0, 0.0)


def logistic_loss(z):
    r"""逻辑回归的损失 :math:`E_{\rm LR}(z)=\ln(1+e^{-z})`，用 ``logaddexp`` 计算以免 :math:`e^{-z}` 溢出。

    标签 :math:`\tilde y=(y+1)/2\in\{0,1\}` 时，
    它就是交叉熵 :math:`-\tilde y\ln\sigma(h)-(1-\tilde y)\ln(1-\sigma(h))`。
    """
    z = check_array(z, "z", ndim=None)
    return np.logaddexp(0.0, -z)


def hard_margin_loss(z):
    r"""硬间隔的“损失” :math:`E_\infty(z-1)`：:math:`z\ge1` 时为 0，否则为 :math:`+\infty`（约束写成了损失）。"""
    z = check_array(z, "z", ndim=None)
    return np.where(z >= 1, 0.0, np.inf)


def _check_linear_svm(params, X, y, C):
    X = check_array(X, "X", ndim=2)
    y = _check_pm1(y, X.shape[0])
    params = check_array(params, "params", ndim=1)
    if params.shape[0] != X.shape[1] + 1:
        raise ValueError(f"params must be [w, b] of length {X.shape[1] + 1}, got {params.shape[0]}")
    C = check_scalar(C, "C", Real, min_val=0, include_min=False)
    return params[:-1], float(params[-1]), X, y, C


def svm_primal_objective(params, X, y, C: float = 1.0) -> float:
    r"""线性软间隔 SVM 的原问题目标
    :math:`J(\mathbf w,b)=\frac12\lVert\mathbf w\rVert^2+C\sum_n\max(0,1-y_n(\mathbf w^\top\mathbf x_n+b))`，
    ``params = [w, b]``。"""
    w, b, X, y, C = _check_linear_svm(params, X, y, C)
    return float(0.5 * w @ w + C * hinge_loss(y * (X @ w + b)).sum())


def _svm_subgradient(params, X, y, C):
    w, b, X, y, C = _check_linear_svm(params, X, y, C)
    g = C * hinge_subgradient(y * (X @ w + b)) * y  # d/dh of C * hinge(y h)
    return np.concatenate([w + X.T @ g, [g.sum()]])


def fit_linear_svm_subgradient(X, y, C: float = 1.0, *, n_steps: int = 2000, lr: float = 1.0):
    r"""用次梯度下降最小化 :func:`svm_primal_objective`，返回 ``(w, b, result)``。

    次梯度 :math:`\partial J/\partial\mathbf w=\mathbf w-C\sum_{y_nh_n<1}y_n\mathbf x_n`，
    :math:`\partial J/\partial b=-C\sum_{y_nh_n<1}y_n`。次梯度方向不保证下降，所以学习率按 :math:`r_t=r/(1+t)` 衰减
    （:class:`lib.optim.InverseTimeDecay`），
    并返回走过的点中目标最小的那个。``result`` 是 :func:`lib.optim.gradient_descent`
    的记录（``result.losses`` 是每一步的目标值）。
    """
    X = check_array(X, "X", ndim=2)
    y = _check_pm1(y, X.shape[0])
    C = check_scalar(C, "C", Real, min_val=0, include_min=False)
    n_steps = check_scalar(n_steps, "n_steps", Integral, min_val=1)
    lr = check_scalar(lr, "lr", Real, min_val=0, include_min=False)
    result = gradient_descent(
        lambda p: _svm_subgradient(p, X, y, C),
        np.zeros(X.shape[1] + 1),
        lr=InverseTimeDecay(lr, decay=1.0),
        n_steps=n_steps,
        loss_fn=lambda p: svm_primal_objective(p, X, y, C),
    )
    best = result.path[int(np.argmin(result.losses))]
    return best[:-1], float(best[-1]), result
