r"""线性分类（线性分类一章）：逻辑回归、Softmax 回归与一对其余
（“伯努利、类别分布与交叉熵”“最大后验与正则化”两节从概率角度重读它们）。

记号与线性回归一章一致：样本 :math:`\mathbf x^{(i)}` 是 *行* 向量，设计矩阵 :math:`X\in\mathbb R^{n\times d}`
把它们按行堆起来（需要截距时先用 :func:`lib.linear.add_bias` 在左边补一列 1），参数是列向量 :math:`\mathbf w` 或矩阵
:math:`W=[\mathbf w_1,\dots,\mathbf w_K]\in\mathbb R^{d\times K}`。

二分类（“逻辑回归”一节）：:math:`p_i=\sigma(\mathbf x^{(i)}\mathbf w)`，平均交叉熵与它的导数

.. math::
    L(\mathbf w)=\frac1n\sum_i\bigl[\log(1+e^{z_i})-y_iz_i\bigr],\quad
    \nabla L=\frac1nX^\top(\mathbf p-\mathbf y),\quad
    \nabla^2L=\frac1nX^\top SX,\ S=\mathrm{diag}\bigl(p_i(1-p_i)\bigr),

其中 :math:`z_i=\mathbf x^{(i)}\mathbf w`。样本是行向量，所以单个样本的海森矩阵是
:math:`\mathbf x^\top\mathbf x`（外积），不是 :math:`\mathbf x\mathbf x^\top`（那是一个数）。

多分类（“Softmax 回归与多分类”一节）：:math:`P=\mathrm{softmax}(XW)`（逐行），:math:`Y` 是独热标签矩阵，

.. math::
    L(W)=-\frac1n\sum_{i,k}Y_{ik}\log P_{ik},\qquad \nabla_WL=\frac1nX^\top(P-Y).

海森矩阵按列堆叠 :math:`\mathrm{vec}(W)=[\mathbf w_1;\dots;\mathbf w_K]` 排列：

.. math:: \nabla^2L=\frac1n\sum_i\bigl(\mathrm{diag}(\mathbf p_i)-\mathbf p_i^\top\mathbf p_i\bigr)
          \otimes\mathbf x^{(i)\top}\mathbf x^{(i)} .

括号里是书中位置：逻辑回归 =“逻辑回归”，Softmax =“Softmax 回归与多分类”，
类别分布 =“伯努利、类别分布与交叉熵”，MAP =“最大后验与正则化”（都是节的标题）。

=================================  ============================================================================
函数/类                             作用（书中位置）
=================================  ============================================================================
``sigmoid``, ``log_sigmoid``        数值稳定的 :math:`\sigma(z)` 与 :math:`\log\sigma(z)`（逻辑回归）
``logsumexp``, ``softmax``,         log-sum-exp 技巧：:math:`\log\sum_k e^{z_k}=m+\log\sum_k e^{z_k-m}`，
``log_softmax``                     以及带温度的 softmax（Softmax）
``one_hot``                         整数标签 → 独热矩阵（Softmax、类别分布）
``logistic_loss/grad/hessian``      二分类交叉熵及其梯度、海森矩阵（逻辑回归）
``sigmoid_mse_loss/grad/hessian``   “逻辑回归 + 平方损失”：非凸的反例（逻辑回归）
``softmax_loss/grad/hessian``       多分类交叉熵及其梯度、海森矩阵（Softmax）
``LogisticRegression``              scikit-learn 风格：二分类用 sigmoid，多分类用 softmax；L2 惩罚由 ``C`` 控制；
                                    求解器 ``newton``（默认）/``gd``/``lbfgs``（逻辑回归、Softmax、MAP）
``OneVsRestClassifier``             一对其余：每类训练一个二分类器，预测取得分最大的类（Softmax）
=================================  ============================================================================

估计器的目标函数（书中的归一化，平均损失）是

.. math:: J(W,\mathbf b)=\frac1n\sum_{i=1}^n\ell_i(W,\mathbf b)+\frac1{2Cn}\lVert W\rVert_F^2 ,

它等于 scikit-learn 的目标 :math:`C\sum_i\ell_i+\tfrac12\lVert W\rVert_F^2` 除以 :math:`Cn`，
所以同一个 ``C`` 给出同一个解；``C=np.inf`` 表示不加惩罚。截距 :math:`\mathbf b` 不受惩罚。
“最大后验与正则化”一节说明：``C`` 恰好是权重的高斯先验的方差 :math:`\tau^2`。
"""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import clone

from ..base import BaseEstimator, ClassifierMixin, ConvergenceWarning, check_target, encode_labels, validate_data
from ..optim import gradient_descent, newton
from ..utils import check_array, check_option, check_scalar, check_size, check_X_y
from .regression import add_bias

__all__ = [
    "sigmoid",
    "log_sigmoid",
    "logsumexp",
    "softmax",
    "log_softmax",
    "one_hot",
    "logistic_loss",
    "logistic_grad",
    "logistic_hessian",
    "sigmoid_mse_loss",
    "sigmoid_mse_grad",
    "sigmoid_mse_hessian",
    "softmax_loss",
    "softmax_grad",
    "softmax_hessian",
    "ConvergenceWarning",
    "LogisticRegression",
    "OneVsRestClassifier",
]


# ---------------------------------------------------------------------------------------------
# 数值稳定的 sigmoid、log-sum-exp 与 softmax
# ---------------------------------------------------------------------------------------------
def sigmoid(z) -> np.ndarray:
    r""":math:`\sigma(z)=1/(1+e^{-z})`，逐元素。

    直接按定义计算，:math:`z` 很负时 :math:`e^{-z}` 会溢出。这里分两种情况，指数的参数永远不为正：
    :math:`z\ge0` 时用 :math:`1/(1+e^{-z})`，:math:`z<0` 时用等价的 :math:`e^{z}/(1+e^{z})`。
    """
    z = check_array(z, "z", ndim=None)
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out


def log_sigmoid(z) -> np.ndarray:
    r""":math:`\log\sigma(z)=-\log(1+e^{-z})`，用 ``np.logaddexp(0, -z)`` 计算，对任意大的 :math:`|z|` 都不溢出。

    注意 :math:`\log(1-\sigma(z))=\log\sigma(-z)`，所以交叉熵的两项都可以用它写出。
    """
    z = check_array(z, "z", ndim=None)
    return -np.logaddexp(0.0, -z)


def _check_axis(axis, ndim: int) -> None:
    """``axis``：``None`` 或 ``[-ndim, ndim)`` 中的整数（NumPy 的约定；0 维数组按 1 维算）。"""
    if axis is None:
        return
    check_scalar(axis, "axis", Integral)
    n = max(ndim, 1)
    if not -n <= axis < n:
        raise ValueError(f"axis must be in [{-n}, {n - 1}] for a {ndim}-D Z, got {axis}")


def logsumexp(Z, axis: int = -1, keepdims: bool = False) -> np.ndarray:
    r"""沿 ``axis`` 计算 :math:`\log\sum_k e^{z_k}`，用 log-sum-exp 技巧：

    .. math:: \log\sum_k e^{z_k}=m+\log\sum_k e^{z_k-m},\qquad m=\max_k z_k .

    减去最大值后指数的参数都 :math:`\le0`，求和项中至少有一个等于 1，既不上溢也不会全部下溢成 0。
    """
    Z = check_array(Z, "Z", ndim=None)
    if Z.ndim == 0:
        raise ValueError("Z must have at least 1 dimension, got a scalar")
    _check_axis(axis, Z.ndim)
    check_scalar(keepdims, "keepdims", bool)
    m = np.max(Z, axis=axis, keepdims=True)
    out = m + np.log(np.sum(np.exp(Z - m), axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis)


def _check_temperature(temperature) -> float:
    return float(check_scalar(temperature, "temperature", Real, min_val=0, include_min=False))


def log_softmax(Z, axis: int = -1, temperature: float = 1.0) -> np.ndarray:
    r""":math:`\log\mathrm{softmax}_k(\mathbf z/T)=z_k/T-\log\sum_j e^{z_j/T}`（稳定）。"""
    Z = check_array(Z, "Z", ndim=None) / _check_temperature(temperature)
    return Z - logsumexp(Z, axis=axis, keepdims=True)


def softmax(Z, axis: int = -1, temperature: float = 1.0) -> np.ndarray:
    r"""带温度 :math:`T` 的 softmax：:math:`\mathrm{softmax}_k(\mathbf z/T)=e^{z_k/T}/\sum_j e^{z_j/T}`
    （“Softmax 回归与多分类”一节）。

    输出非负、沿 ``axis`` 和为 1，且对 :math:`\mathbf z` 加同一个常数不变（所以先减去最大值不改变结果）。
    :math:`T\to0^+` 时趋于 argmax 的独热向量，:math:`T\to\infty` 时趋于均匀分布。
    """
    Z = check_array(Z, "Z", ndim=None) / _check_temperature(temperature)
    _check_axis(axis, Z.ndim)
    E = np.exp(Z - np.max(Z, axis=axis, keepdims=True))  # shift by the max: exponents <= 0, one of them is 0
    return E / np.sum(E, axis=axis, keepdims=True)


def one_hot(y, n_classes: int | None = None) -> np.ndarray:
    """整数标签 ``y``（取值 ``0..K-1``）→ 形状 ``(n, K)`` 的独热矩阵。``n_classes`` 默认 ``max(y) + 1``。"""
    y = check_array(y, "y", ndim=1, dtype=None)
    if not np.issubdtype(y.dtype, np.integer):
        if np.issubdtype(y.dtype, np.floating) and np.all(y == np.round(y)):
            y = y.astype(np.int64)
        else:
            raise TypeError(f"y must hold integer class labels 0..K-1, got dtype {y.dtype}")
    if y.min() < 0:
        raise ValueError(f"y must hold class labels 0..K-1, got a negative label {y.min()}")
    k = int(y.max()) + 1 if n_classes is None else check_size(n_classes, "n_classes")
    if y.max() >= k:
        raise ValueError(f"y has label {y.max()} but n_classes is {k}")
    Y = np.zeros((y.shape[0], k))
    Y[np.arange(y.shape[0]), y] = 1.0
    return Y


# ---------------------------------------------------------------------------------------------
# 二分类：交叉熵（逻辑回归）与平方损失
# ---------------------------------------------------------------------------------------------
def _check_Xyw_binary(X, y, w):
    X, y = check_X_y(X, y)
    w = check_array(w, "w", ndim=1)
    if w.shape[0] != X.shape[1]:
        raise ValueError(f"w must have one entry per column of X ({X.shape[1]}), got {w.shape[0]}")
    if np.any((y < 0) | (y > 1)):
        raise ValueError(f"y must hold labels in [0, 1] (0/1 or soft labels), got values in [{y.min()}, {y.max()}]")
    return X, y, w


def logistic_loss(X, y, w) -> float:
    r"""平均交叉熵 :math:`L(\mathbf w)=-\frac1n\sum_i\bigl[y_i\log\sigma(z_i)+(1-y_i)\log(1-\sigma(z_i))\bigr]`，
    :math:`z_i=\mathbf x^{(i)}\mathbf w`。

    代入 :math:`\log\sigma(z)=z-\log(1+e^z)`、:math:`\log(1-\sigma(z))=-\log(1+e^z)`，每项化简为
    :math:`\log(1+e^{z_i})-y_iz_i`，用 ``np.logaddexp(0, z)`` 计算，即使 :math:`\sigma(z_i)` 在浮点数中
    等于 0 或 1 也不会出现 :math:`\log 0`。``y`` 可以是 0/1 标签，也可以是 :math:`[0,1]` 中的软标签。
    """
    X, y, w = _check_Xyw_binary(X, y, w)
    z = X @ w
    return float(np.mean(np.logaddexp(0.0, z) - y * z))


def logistic_grad(X, y, w) -> np.ndarray:
    r""":math:`\nabla L(\mathbf w)=\frac1n\sum_i\bigl(\sigma(\mathbf x^{(i)}\mathbf w)-y_i\bigr)\mathbf x^{(i)\top}
    =\frac1nX^\top(\mathbf p-\mathbf y)`：“预测误差 × 输入”。"""
    X, y, w = _check_Xyw_binary(X, y, w)
    return X.T @ (sigmoid(X @ w) - y) / X.shape[0]


def logistic_hessian(X, w) -> np.ndarray:
    r"""海森矩阵 :math:`\nabla^2L(\mathbf w)=\frac1n\sum_i\sigma_i(1-\sigma_i)\,\mathbf x^{(i)\top}\mathbf x^{(i)}
    =\frac1nX^\top SX`。

    与标签无关；对任意 :math:`\mathbf v`，:math:`\mathbf v^\top\nabla^2L\,\mathbf v=\frac1n\sum_i\sigma_i(1-\sigma_i)
    (\mathbf x^{(i)}\mathbf v)^2\ge0`，所以交叉熵是凸函数。
    """
    X = check_array(X, "X", ndim=2)
    w = check_array(w, "w", ndim=1)
    if w.shape[0] != X.shape[1]:
        raise ValueError(f"w must have one entry per column of X ({X.shape[1]}), got {w.shape[0]}")
    p = sigmoid(X @ w)
    return (X * (p * (1.0 - p))[:, None]).T @ X / X.shape[0]


def sigmoid_mse_loss(X, y, w) -> float:
    r"""“逻辑回归 + 平方损失”：:math:`\frac1n\sum_i\bigl(\sigma(\mathbf x^{(i)}\mathbf w)-y_i\bigr)^2`
    （“逻辑回归”一节的反例）。"""
    X, y, w = _check_Xyw_binary(X, y, w)
    return float(np.mean((sigmoid(X @ w) - y) ** 2))


def sigmoid_mse_grad(X, y, w) -> np.ndarray:
    r"""由链式法则 :math:`\frac{d}{dz}(\sigma-y)^2=2(\sigma-y)\sigma(1-\sigma)`：
    :math:`\nabla=\frac2nX^\top\bigl[(\mathbf p-\mathbf y)\odot\mathbf p\odot(1-\mathbf p)\bigr]`。"""
    X, y, w = _check_Xyw_binary(X, y, w)
    p = sigmoid(X @ w)
    return 2.0 * X.T @ ((p - y) * p * (1.0 - p)) / X.shape[0]


def sigmoid_mse_hessian(X, y, w) -> np.ndarray:
    r"""平方损失的海森矩阵 :math:`\frac1nX^\top\mathrm{diag}(c_i)X`，

    .. math:: c_i=\frac{d^2}{dz^2}(\sigma-y)^2=2\bigl[\sigma'^2+(\sigma-y)\sigma''\bigr],\quad
              \sigma'=\sigma(1-\sigma),\ \sigma''=\sigma(1-\sigma)(1-2\sigma).

    :math:`c_i` 可以为负（例如 :math:`y=1,\ z=-2` 时 :math:`c=-0.119`），所以平方损失不是凸函数。
    """
    X, y, w = _check_Xyw_binary(X, y, w)
    p = sigmoid(X @ w)
    d1 = p * (1.0 - p)
    c = 2.0 * (d1**2 + (p - y) * d1 * (1.0 - 2.0 * p))
    return (X * c[:, None]).T @ X / X.shape[0]


# ---------------------------------------------------------------------------------------------
# 多分类：softmax 交叉熵
# ---------------------------------------------------------------------------------------------
def _check_XYW(X, Y, W):
    X = check_array(X, "X", ndim=2)
    W = check_array(W, "W", ndim=2)
    if W.shape[0] != X.shape[1]:
        raise ValueError(f"W must have one row per column of X ({X.shape[1]}), got shape {W.shape}")
    Y = check_array(Y, "Y", ndim=(1, 2), dtype=None)
    if Y.ndim == 1:
        Y = one_hot(Y, W.shape[1])
    Y = Y.astype(float)
    if Y.shape != (X.shape[0], W.shape[1]):
        raise ValueError(f"Y must have shape (n, K) = {(X.shape[0], W.shape[1])}, got {Y.shape}")
    if np.any(Y < 0) or not np.allclose(Y.sum(axis=1), 1.0):
        raise ValueError("each row of Y must be a probability vector (one-hot or soft labels summing to 1)")
    return X, Y, W


def softmax_loss(X, Y, W) -> float:
    r"""平均交叉熵 :math:`L(W)=-\frac1n\sum_{i}\sum_kY_{ik}\log\mathrm{softmax}_k(\mathbf x^{(i)}W)`。

    ``Y`` 是独热矩阵（或每行和为 1 的软标签），也可以是整数标签向量。
    用 :func:`log_softmax` 计算，不会出现 :math:`\log0`。
    """
    X, Y, W = _check_XYW(X, Y, W)
    return float(-np.sum(Y * log_softmax(X @ W, axis=1)) / X.shape[0])


def softmax_grad(X, Y, W) -> np.ndarray:
    r""":math:`\nabla_WL=\frac1nX^\top(P-Y)`，形状同 :math:`W`；第 :math:`j` 列是
    :math:`\frac1n\sum_i(P_{ij}-Y_{ij})\mathbf x^{(i)\top}`。"""
    X, Y, W = _check_XYW(X, Y, W)
    return X.T @ (softmax(X @ W, axis=1) - Y) / X.shape[0]


def softmax_hessian(X, W) -> np.ndarray:
    r"""对 :math:`\mathrm{vec}(W)=[\mathbf w_1;\dots;\mathbf w_K]`（按列堆叠，即 ``W.ravel(order="F")``）的海森矩阵

    .. math:: \nabla^2L=\frac1n\sum_i\bigl(\mathrm{diag}(\mathbf p_i)-\mathbf p_i^\top\mathbf p_i\bigr)\otimes
              \mathbf x^{(i)\top}\mathbf x^{(i)},

    形状 :math:`(dK, dK)`。第 :math:`(k,l)` 块是 :math:`\frac1nX^\top\mathrm{diag}(P_{:k}\delta_{kl}-P_{:k}P_{:l})X`。
    它半正定但 *奇异*：把同一个向量加到 :math:`W` 的每一列上不改变 softmax（“Softmax 回归与多分类”一节）。

    计算上不做 :math:`n` 次克罗内克积：对角块是 :math:`X^\top\mathrm{diag}(P_{:k})X`，其余部分是 :math:`M^\top M`，
    :math:`M` 的第 :math:`i` 行是 :math:`\mathbf p_i\otimes\mathbf x^{(i)}`，一次矩阵乘法即可。
    """
    X = check_array(X, "X", ndim=2)
    W = check_array(W, "W", ndim=2)
    if W.shape[0] != X.shape[1]:
        raise ValueError(f"W must have one row per column of X ({X.shape[1]}), got shape {W.shape}")
    n, d = X.shape
    K = W.shape[1]
    P = softmax(X @ W, axis=1)
    M = (P[:, :, None] * X[:, None, :]).reshape(n, K * d)  # row i: p_i ⊗ x_i (class-major, like vec)
    H = -(M.T @ M)
    for k in range(K):
        H[k * d : (k + 1) * d, k * d : (k + 1) * d] += (X * P[:, k : k + 1]).T @ X
    return H / n


# ---------------------------------------------------------------------------------------------
# scikit-learn 风格的估计器
# ---------------------------------------------------------------------------------------------
class LogisticRegression(ClassifierMixin, BaseEstimator):
    r"""逻辑回归（二分类）与 Softmax 回归（多分类），接口同 ``sklearn.linear_model.LogisticRegression``。

    两类时用一个权重向量与 sigmoid（``coef_`` 形状 ``(1, d)``）；三类及以上用 softmax 与 :math:`K` 个权重向量
    （``coef_`` 形状 ``(K, d)``）——与 scikit-learn 相同。目标函数（平均交叉熵 + L2 惩罚，截距不惩罚）：

    .. math:: J=\frac1n\sum_i\ell_i+\frac1{2Cn}\lVert W\rVert_F^2 ,

    等于 scikit-learn 的 :math:`C\sum_i\ell_i+\frac12\lVert W\rVert_F^2` 除以 :math:`Cn`（同一个 ``C`` 给出同一个解）。

    Parameters
    ----------
    C : 惩罚强度的倒数，:math:`>0`；``np.inf`` 表示不加惩罚（此时数据线性可分则最优解不存在，权重发散）。
        “最大后验与正则化”一节：``C`` 等于权重的高斯先验 :math:`\mathcal N(0,\tau^2I)` 的方差 :math:`\tau^2`。
    fit_intercept : 是否拟合（不受惩罚的）截距。
    solver : ``"newton"``——牛顿法（:func:`lib.optim.newton`，默认，几步即收敛）；
             ``"gd"``——梯度下降（:func:`lib.optim.gradient_descent`）；
             ``"lbfgs"``——``scipy.optimize.minimize`` 的 L-BFGS-B（scikit-learn 的默认求解器）。
    max_iter : 最大迭代步数；tol : 目标函数梯度的范数小于它即停止。牛顿法二次收敛，默认的 ``1e-10`` 只比
        ``1e-8`` 多一步；梯度下降是线性收敛，要把 ``max_iter`` 调大很多、``tol`` 放宽（见“逻辑回归”一节）。
    learning_rate : 仅 ``"gd"`` 使用；``"auto"`` 取 :math:`1/L`，:math:`L` 是梯度的利普希茨常数的上界
        （二分类 :math:`\frac{\lambda_{\max}(A^\top A)}{4n}`，多分类 :math:`\frac{\lambda_{\max}(A^\top A)}{2n}`，
        再加 :math:`\frac1{Cn}`；:math:`A` 是补了截距列的设计矩阵），保证单调下降。

    Attributes
    ----------
    classes_ : 排好序的类别标签；coef_ : ``(1, d)`` 或 ``(K, d)``；intercept_ : ``(1,)`` 或 ``(K,)``；
    n_iter_ : 实际迭代步数；n_features_in_ : 特征数。
    多分类时各类的截距（以及有惩罚时各类的权重）之和为 0：softmax 对所有类加同一个量不变，
    这是 scikit-learn 采用的代表元。
    """

    _solvers = ("newton", "gd", "lbfgs")

    def __init__(
        self,
        C: float = 1.0,
        *,
        fit_intercept: bool = True,
        solver: str = "newton",
        max_iter: int = 100,
        tol: float = 1e-10,
        learning_rate: float | str = "auto",
    ):
        self.C = C
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.learning_rate = learning_rate

    # -- parameters <-> theta ------------------------------------------------------------------
    def _check_params(self) -> float:
        """检查超参数，返回惩罚系数 :math:`1/C`（``C=inf`` 时为 0）。"""
        if isinstance(self.C, Real) and not isinstance(self.C, bool) and self.C == np.inf:
            inv_C = 0.0
        else:
            inv_C = 1.0 / check_scalar(self.C, "C", Real, min_val=0, include_min=False)
        if not isinstance(self.fit_intercept, bool):
            raise TypeError(f"fit_intercept must be a bool, got {self.fit_intercept!r}")
        check_option(self.solver, "solver", self._solvers)
        check_scalar(self.max_iter, "max_iter", Integral, min_val=1)
        check_scalar(self.tol, "tol", Real, min_val=0)
        if not (isinstance(self.learning_rate, str) and self.learning_rate == "auto"):
            check_scalar(self.learning_rate, "learning_rate", Real, min_val=0, include_min=False)
        return inv_C

    def _design(self, X) -> np.ndarray:
        return add_bias(X) if self.fit_intercept else X

    def _penalty_mask(self, n_columns: int) -> np.ndarray:
        """1 for the penalised columns of the design matrix, 0 for the intercept column."""
        mask = np.ones(n_columns)
        if self.fit_intercept:
            mask[0] = 0.0
        return mask

    def _objective(self, A, Y, inv_C: float, n_out: int):
        """返回 (loss, grad, hess)：参数 theta 是 vec(Theta)，Theta 的形状是 (d_A, n_out)，第 0 行是截距（若有）。"""
        n, dA = A.shape
        mask = self._penalty_mask(dA)
        lam = inv_C / n  # J = mean loss + lam/2 * ||W||^2
        if n_out == 1:
            y = Y

            def loss(theta):
                return logistic_loss(A, y, theta) + 0.5 * lam * np.sum(mask * theta**2)

            def grad(theta):
                return logistic_grad(A, y, theta) + lam * mask * theta

            def hess(theta):
                return logistic_hessian(A, theta) + lam * np.diag(mask)

            return loss, grad, hess

        K = n_out
        big_mask = np.tile(mask, K)
        # Directions the objective cannot see: adding the same vector u to every column of Theta, for the
        # unpenalised coordinates u (the intercepts; all coordinates when C = inf). The Hessian is singular
        # exactly there. Adding the orthogonal projector N onto that null space makes the Newton system
        # nonsingular without changing the step (the gradient is orthogonal to it): (H + N)^{-1} g = H^+ g.
        free = 1.0 - mask if lam > 0 else np.ones(dA)
        N = np.kron(np.full((K, K), 1.0 / K), np.diag(free))

        def unvec(theta):
            return theta.reshape(K, dA).T

        def loss(theta):
            return softmax_loss(A, Y, unvec(theta)) + 0.5 * lam * np.sum(big_mask * theta**2)

        def grad(theta):
            return softmax_grad(A, Y, unvec(theta)).ravel(order="F") + lam * big_mask * theta

        def hess(theta):
            return softmax_hessian(A, unvec(theta)) + lam * np.diag(big_mask) + N

        return loss, grad, hess

    def _lipschitz(self, A, inv_C: float, n_out: int) -> float:
        n = A.shape[0]
        lam_max = np.linalg.eigvalsh(A.T @ A / n)[-1]
        return lam_max * (0.25 if n_out == 1 else 0.5) + inv_C / n

    # -- fit -------------------------------------------------------------------------------------
    def fit(self, X, y) -> LogisticRegression:
        inv_C = self._check_params()
        X, y = validate_data(self, X, y, dtype=np.float64)
        self.classes_, codes = encode_labels(y)
        K = self.classes_.shape[0]
        n_out = 1 if K == 2 else K
        A = self._design(X)
        Y = codes.astype(float) if n_out == 1 else one_hot(codes, K)
        loss, grad, hess = self._objective(A, Y, inv_C, n_out)
        theta0 = np.zeros(A.shape[1] * n_out)

        if self.solver == "newton":
            res = newton(grad, hess, theta0, n_steps=self.max_iter, tol=self.tol)
            theta, n_iter, converged = res.w, res.n_iter, res.converged
        elif self.solver == "gd":
            lr = 1.0 / self._lipschitz(A, inv_C, n_out) if self.learning_rate == "auto" else self.learning_rate
            res = gradient_descent(grad, theta0, lr=lr, n_steps=self.max_iter, tol=self.tol)
            theta, n_iter = res.w, res.n_iter
            converged = res.converged or np.linalg.norm(grad(theta)) < self.tol
        else:
            from scipy.optimize import minimize

            out = minimize(
                lambda t: (loss(t), grad(t)),
                theta0,
                jac=True,
                method="L-BFGS-B",
                options={"maxiter": self.max_iter, "gtol": self.tol, "ftol": 64 * np.finfo(float).eps},
            )
            theta, n_iter = out.x, int(out.nit)
            converged = bool(np.max(np.abs(grad(theta))) <= max(self.tol, 1e-12) or out.success)
        if not converged:
            warnings.warn(
                f"{type(self).__name__}(solver={self.solver!r}) did not converge in max_iter={self.max_iter} "
                f"iterations (gradient norm {np.linalg.norm(grad(theta)):.2e} > tol={self.tol}); "
                "increase max_iter, or use a smaller C if the classes are (nearly) linearly separable",
                ConvergenceWarning,
                stacklevel=2,
            )

        Theta = theta.reshape(n_out, A.shape[1]).T  # (d_A, n_out)
        if n_out > 1:
            # softmax is unchanged by adding the same number to every class: report the representative
            # whose unpenalised parts sum to zero over the classes (scikit-learn reports the same one;
            # the penalised parts sum to zero at the optimum by themselves)
            free = 1.0 - self._penalty_mask(A.shape[1]) if inv_C > 0 else np.ones(A.shape[1])
            Theta = Theta - Theta.mean(axis=1, keepdims=True) * free[:, None]
        if self.fit_intercept:
            self.intercept_, self.coef_ = Theta[0].copy(), Theta[1:].T.copy()
        else:
            self.intercept_, self.coef_ = np.zeros(n_out), Theta.T.copy()
        self.n_iter_ = int(n_iter)
        return self

    # -- predict ---------------------------------------------------------------------------------
    def _check_X(self, X) -> np.ndarray:
        return self._validate_X(X, "coef_")

    def decision_function(self, X) -> np.ndarray:
        r"""得分 :math:`\mathbf xW^\top+\mathbf b`：二分类时形状 ``(n,)``（正类的对数几率），多分类时 ``(n, K)``。"""
        X = self._check_X(X)
        scores = X @ self.coef_.T + self.intercept_
        return scores[:, 0] if scores.shape[1] == 1 else scores

    def predict_log_proba(self, X) -> np.ndarray:
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return np.column_stack([log_sigmoid(-scores), log_sigmoid(scores)])
        return log_softmax(scores, axis=1)

    def predict_proba(self, X) -> np.ndarray:
        """各类的概率，形状 ``(n, K)``，列的顺序同 ``classes_``。"""
        return np.exp(self.predict_log_proba(X))

    def predict(self, X) -> np.ndarray:
        """概率最大的类。二分类时等价于 :math:`\\mathbf x\\mathbf w+b\\ge0`（决策边界是超平面）。"""
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return self.classes_[(scores > 0).astype(int)]
        return self.classes_[np.argmax(scores, axis=1)]

    def objective(self, X, y) -> float:
        r"""当前参数在 ``(X, y)`` 上的目标函数值 :math:`J=\frac1n\sum_i\ell_i+\frac1{2Cn}\lVert W\rVert_F^2`。

        乘以 :math:`Cn` 就是 scikit-learn 的目标值；用它可以比较两个实现的解谁更优。
        """
        inv_C = self._check_params()
        X = self._check_X(X)
        y = check_target(y, X.shape[0])
        if not np.all(np.isin(y, self.classes_)):
            raise ValueError(f"y contains labels not seen in fit; classes_ = {self.classes_.tolist()}")
        codes = np.searchsorted(self.classes_, y)
        logp = self.predict_log_proba(X)
        data = -np.mean(logp[np.arange(X.shape[0]), codes])
        return float(data + 0.5 * inv_C / X.shape[0] * np.sum(self.coef_**2))


class OneVsRestClassifier(ClassifierMixin, BaseEstimator):
    r"""一对其余（One-vs-All / One-vs-Rest），接口同 ``sklearn.multiclass.OneVsRestClassifier``
    （“Softmax 回归与多分类”一节）。

    对每个类 :math:`k` 训练一个二分类器 :math:`f_k`（“是 :math:`k`” 对 “不是 :math:`k`”），预测
    :math:`\hat k=\arg\max_kf_k(\mathbf x)`。各二分类器的正类概率之和一般不为 1；``predict_proba`` 与 scikit-learn
    一样把它们按行归一化。只有两类时只训练一个分类器。

    Parameters
    ----------
    estimator : 二分类器，需要 ``get_params``、``fit``、``decision_function``、``predict_proba``
        （本模块的 :class:`LogisticRegression` 或任何 scikit-learn 分类器）。
    """

    def __init__(self, estimator):
        self.estimator = estimator

    def fit(self, X, y) -> OneVsRestClassifier:
        for method in ("get_params", "fit", "decision_function", "predict_proba"):
            if not callable(getattr(self.estimator, method, None)):
                raise TypeError(f"estimator must have a {method}() method, got {type(self.estimator).__name__}")
        X, y = validate_data(self, X, y, dtype=np.float64)
        self.classes_, codes = encode_labels(y)
        targets = [codes == 1] if self.classes_.shape[0] == 2 else [codes == k for k in range(self.classes_.shape[0])]
        self.estimators_ = [clone(self.estimator).fit(X, target.astype(int)) for target in targets]
        return self

    def _check_X(self, X) -> np.ndarray:
        return self._validate_X(X, "estimators_")

    def decision_function(self, X) -> np.ndarray:
        """每个二分类器的得分 :math:`f_k(\\mathbf x)`，形状 ``(n, K)``（两类时 ``(n,)``）。"""
        X = self._check_X(X)
        scores = np.column_stack([np.ravel(est.decision_function(X)) for est in self.estimators_])
        return scores[:, 0] if len(self.estimators_) == 1 else scores

    def predict_proba(self, X) -> np.ndarray:
        X = self._check_X(X)
        pos = np.column_stack([est.predict_proba(X)[:, 1] for est in self.estimators_])
        if len(self.estimators_) == 1:
            return np.column_stack([1.0 - pos[:, 0], pos[:, 0]])
        return pos / pos.sum(axis=1, keepdims=True)

    def predict(self, X) -> np.ndarray:
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return self.classes_[(scores > 0).astype(int)]
        return self.classes_[np.argmax(scores, axis=1)]
