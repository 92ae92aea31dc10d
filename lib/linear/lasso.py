r"""Lasso（“正则化：岭回归与 Lasso”一节）：L1 正则化的线性回归，用坐标下降与软阈值求解。

目标函数与 ``sklearn.linear_model.Lasso`` 相同（注意 :math:`\tfrac1{2n}` 的缩放）：

.. math:: P(\mathbf w, b) = \frac1{2n}\lVert\mathbf y - X\mathbf w - b\mathbf 1\rVert^2
          + \alpha\lVert\mathbf w\rVert_1 .

讲义的写法 :math:`\frac1n\lVert\cdot\rVert^2+\lambda\lVert\mathbf w\rVert_1` 是它的 2 倍，所以 :math:`\lambda=2\alpha`。
截距不受惩罚：先把 :math:`X`、:math:`\mathbf y` 中心化，在中心化数据上解不带截距的问题，
再令 :math:`b=\bar y-\bar{\mathbf x}\mathbf w`。

=====================  =========================================================================
``soft_threshold``      :math:`S(z,t)=\mathrm{sign}(z)\max(|z|-t,0)`：一维 Lasso 问题的解
``lasso_objective``     :math:`P(\mathbf w,b)`
``lasso_duality_gap``   :math:`P(\mathbf w)-D(\boldsymbol\nu)\ge0`，等于 0 当且仅当 :math:`\mathbf w` 最优（停止准则）
``lasso_coordinate_descent``  逐个坐标精确最小化，直到对偶间隙足够小
``lasso_path``          一串递减的 :math:`\alpha` 上的解（热启动），接口同 ``sklearn.linear_model.lasso_path``
``Lasso``               scikit-learn 风格的估计器
=====================  =========================================================================

坐标下降（:math:`\mathbf r=\mathbf y-X\mathbf w` 是当前残差，:math:`\mathbf x_j` 是第 :math:`j` 列）：只看 :math:`w_j`，
目标是一元函数 :math:`\frac{z_j}2 w_j^2-\rho_j w_j+\alpha|w_j|+\text{常数}`，其中

.. math:: z_j=\tfrac1n\lVert\mathbf x_j\rVert^2,\qquad \rho_j=\tfrac1n\mathbf x_j^\top(\mathbf r+\mathbf x_j w_j),

由次梯度条件，它的最小点是 :math:`w_j\leftarrow S(\rho_j,\alpha)/z_j`。目标是凸的、不可微部分可按坐标分离，
所以循环地这样更新会收敛到全局最优 {Tseng 2001; Friedman, Hastie & Tibshirani 2010}。
"""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np

from ..base import ConvergenceWarning, validate_data
from ..utils import check_array, check_scalar, check_size, check_X_y
from .regression import _LinearModel

__all__ = [
    "soft_threshold",
    "lasso_objective",
    "lasso_duality_gap",
    "lasso_coordinate_descent",
    "lasso_path",
    "Lasso",
]


def soft_threshold(z, t: float):
    r"""软阈值 :math:`S(z,t)=\mathrm{sign}(z)\max(|z|-t,0)`：把 :math:`z` 向 0 拉近 :math:`t`，过了 0 就停在 0。

    它是 :math:`\min_w \frac12(w-z)^2+t|w|` 的解：:math:`|z|\le t` 时最优点恰好是 0——Lasso 的稀疏性由此而来。
    """
    z = check_array(z, "z", ndim=None)
    t = check_scalar(t, "t", Real, min_val=0)
    return np.sign(z) * np.maximum(np.abs(z) - t, 0.0)


def _check_problem(X, y, coef=None):
    X, y = check_X_y(X, y)
    if coef is not None:
        coef = check_array(coef, "coef", ndim=1)
        if coef.shape[0] != X.shape[1]:
            raise ValueError(f"coef must have one entry per column of X ({X.shape[1]}), got {coef.shape[0]}")
    return X, y, coef


def lasso_objective(X, y, coef, alpha: float, intercept: float = 0.0) -> float:
    r"""Lasso 的目标函数（与 scikit-learn 同尺度）：

    .. math:: P(\mathbf w,b)=\frac1{2n}\lVert\mathbf y-X\mathbf w-b\rVert^2+\alpha\lVert\mathbf w\rVert_1 .
    """
    X, y, coef = _check_problem(X, y, coef)
    alpha = check_scalar(alpha, "alpha", Real, min_val=0)
    intercept = check_scalar(intercept, "intercept", Real)
    r = y - X @ coef - intercept
    return float(r @ r / (2 * X.shape[0]) + alpha * np.abs(coef).sum())


def _gap(X, y, w, r, alpha):
    """对偶间隙（见 :func:`lasso_duality_gap`），``r`` 是已经算好的残差 ``y - X w``。"""
    n = X.shape[0]
    primal = r @ r / (2 * n) + alpha * np.abs(w).sum()
    corr = np.abs(X.T @ r).max() if X.shape[1] else 0.0
    scale = 1.0 if corr <= n * alpha else n * alpha / corr
    nu = scale * r  # 把残差缩放到对偶可行域 ||X^T nu||_inf <= n alpha 里
    dual = (nu @ y - 0.5 * nu @ nu) / n
    return float(primal - dual)


def lasso_duality_gap(X, y, coef, alpha: float) -> float:
    r"""不带截距的 Lasso 在 ``coef`` 处的对偶间隙（数据应已中心化）。

    乘以 :math:`n` 后原问题是
    :math:`\min_{\mathbf w}\frac12\lVert\mathbf y-X\mathbf w\rVert^2+n\alpha\lVert\mathbf w\rVert_1`，其对偶问题是

    .. math:: \max_{\boldsymbol\nu}\ D(\boldsymbol\nu)=\boldsymbol\nu^\top\mathbf y-\tfrac12\lVert\boldsymbol\nu\rVert^2
              \quad\text{s.t.}\quad \lVert X^\top\boldsymbol\nu\rVert_\infty\le n\alpha .

    取 :math:`\boldsymbol\nu` 为残差 :math:`\mathbf r` 按比例缩进可行域，得到 :math:`(P-D)/n\ge0`；
    它为 0 当且仅当 :math:`\mathbf w` 是最优解，所以可以当作有保证的停止准则：:math:`P(\mathbf w)-P^\ast\le` 间隙。
    """
    X, y, coef = _check_problem(X, y, coef)
    alpha = check_scalar(alpha, "alpha", Real, min_val=0, include_min=False)
    return _gap(X, y, coef, y - X @ coef, alpha)


def lasso_coordinate_descent(
    X, y, alpha: float, *, coef_init=None, max_iter: int = 1000, tol: float = 1e-4
) -> tuple[np.ndarray, float, int]:
    r"""循环坐标下降求不带截距的 Lasso（数据应已中心化），返回 ``(coef, dual_gap, n_iter)``。

    每一轮（sweep）按 :math:`j=1,\dots,d` 依次做 :math:`w_j\leftarrow S(\rho_j,\alpha)/z_j` 并就地更新残差；
    每轮之后计算对偶间隙，小于 ``tol * ||y||^2 / n`` 即停止（与 scikit-learn 的相对准则相同）。
    全零的列对应的系数恒为 0。
    """
    X, y, coef_init = _check_problem(X, y, coef_init)
    alpha = check_scalar(alpha, "alpha", Real, min_val=0, include_min=False)
    max_iter = check_scalar(max_iter, "max_iter", Integral, min_val=1)
    tol = check_scalar(tol, "tol", Real, min_val=0)
    n, d = X.shape
    w = np.zeros(d) if coef_init is None else coef_init.copy()
    r = y - X @ w
    z = np.einsum("ij,ij->j", X, X) / n  # z_j = ||x_j||^2 / n
    threshold = tol * (y @ y) / n
    gap = _gap(X, y, w, r, alpha)
    for sweep in range(1, max_iter + 1):
        for j in range(d):
            if z[j] == 0.0:
                continue
            xj = X[:, j]
            rho = xj @ r / n + z[j] * w[j]
            new = np.sign(rho) * max(abs(rho) - alpha, 0.0) / z[j]
            if new != w[j]:
                r -= xj * (new - w[j])
                w[j] = new
        gap = _gap(X, y, w, r, alpha)
        if gap <= threshold:
            return w, gap, sweep
    return w, gap, max_iter


def lasso_path(X, y, *, alphas=None, n_alphas: int = 100, eps: float = 1e-3, max_iter: int = 1000, tol: float = 1e-4):
    r"""Lasso 的正则化路径：在从大到小的一串 :math:`\alpha` 上依次求解，每次从上一个解出发（热启动）。

    与 ``sklearn.linear_model.lasso_path`` 一样 *不* 拟合截距（请先中心化数据），返回
    ``(alphas, coefs, dual_gaps)``，``coefs`` 的形状是 ``(n_features, n_alphas)``。

    不给 ``alphas`` 时，
    取 :math:`\alpha_{\max}=\lVert X^\top\mathbf y\rVert_\infty/n` 到 :math:`\varepsilon\,\alpha_{\max}`
    的 ``n_alphas`` 个等比的值：当 :math:`\alpha\ge\alpha_{\max}` 时 :math:`\mathbf w=\mathbf 0` 满足最优条件
    :math:`|\mathbf x_j^\top\mathbf y|/n\le\alpha`，所以这就是路径的起点。
    """
    X, y = check_X_y(X, y)
    if alphas is None:
        n_alphas = check_size(n_alphas, "n_alphas")
        eps = check_scalar(eps, "eps", Real, min_val=0, include_min=False)
        alpha_max = np.abs(X.T @ y).max() / X.shape[0]
        if alpha_max == 0:
            raise ValueError("X^T y is zero: every alpha gives coef = 0, there is no path to compute")
        alphas = np.geomspace(alpha_max, alpha_max * eps, n_alphas)
    else:
        alphas = np.sort(check_array(alphas, "alphas", ndim=1))[::-1]
        if alphas[-1] <= 0:
            raise ValueError(f"alphas must be > 0, got min(alphas) = {alphas[-1]!r}")
    coefs = np.empty((X.shape[1], alphas.shape[0]))
    gaps = np.empty(alphas.shape[0])
    w = np.zeros(X.shape[1])
    for k, alpha in enumerate(alphas):
        w, gaps[k], _ = lasso_coordinate_descent(X, y, float(alpha), coef_init=w, max_iter=max_iter, tol=tol)
        coefs[:, k] = w
    return alphas, coefs, gaps


class Lasso(_LinearModel):
    r"""Lasso 回归，接口与目标函数同 ``sklearn.linear_model.Lasso``（见模块说明中的 :math:`P(\mathbf w,b)`）。

    Attributes
    ----------
    coef_ : 系数 :math:`\mathbf w`（很多恰好为 0）；  intercept_ : 截距 :math:`b`；
    n_iter_ : 坐标下降的轮数；  dual_gap_ : 结束时的对偶间隙（与目标函数同尺度）；
    converged_ : 是否在 ``max_iter`` 轮内达到 ``tol``（否则发出 ``ConvergenceWarning``，同 scikit-learn）。
    """

    def __init__(self, alpha: float = 1.0, *, fit_intercept: bool = True, max_iter: int = 1000, tol: float = 1e-4):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol

    def fit(self, X, y) -> Lasso:
        check_scalar(self.alpha, "alpha", Real, min_val=0, include_min=False)
        if not isinstance(self.fit_intercept, bool):
            raise TypeError(f"fit_intercept must be a bool, got {self.fit_intercept!r}")
        X, y = validate_data(self, X, y, dtype=np.float64, y_numeric=True)
        if self.fit_intercept:
            x_mean, y_mean = X.mean(axis=0), y.mean()
            X, y = X - x_mean, y - y_mean
        w, gap, n_iter = lasso_coordinate_descent(X, y, float(self.alpha), max_iter=self.max_iter, tol=self.tol)
        self.coef_ = w
        self.intercept_ = float(y_mean - x_mean @ w) if self.fit_intercept else 0.0
        self.n_iter_ = n_iter
        self.dual_gap_ = gap
        self.converged_ = gap <= self.tol * (y @ y) / X.shape[0]
        if not self.converged_:
            warnings.warn(
                f"Lasso did not converge in max_iter={self.max_iter} sweeps (duality gap {gap:.3g}); "
                "increase max_iter or tol, or scale the features",
                ConvergenceWarning,
                stacklevel=2,
            )
        return self
