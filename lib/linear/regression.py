r"""线性回归（线性回归一章）：代价函数、闭式解、正规方程、伪逆与岭回归。

记号与书一致：样本 :math:`\mathbf x^{(i)}` 是 *行* 向量，设计矩阵 :math:`X` 把它们按行堆起来，
参数 :math:`\mathbf w` 是列向量，预测为 :math:`X\mathbf w`。截距通过在 :math:`X` 前补一列 1（:func:`add_bias`）
并入 :math:`w_0`。代价函数是均方误差

.. math:: L(\mathbf w) = \frac1n \lVert X\mathbf w - \mathbf y\rVert^2 .

括号里是书中位置（节的标题）：闭式解 =“代价函数与单特征闭式解”，正规方程 =“多特征与正规方程”，
梯度下降 =“梯度下降”，模型选择 =“模型选择：交叉验证与 AIC/BIC”，正则化 =“正则化：岭回归与 Lasso”。

函数/类                      作用（书中位置）
==========================  ===============================================================
``mse_loss/grad/hessian``   :math:`L`、:math:`\nabla L=\tfrac2n X^\top(X\mathbf w-\mathbf y)`、
                            :math:`\nabla^2L=\tfrac2n X^\top X`（闭式解、正规方程、梯度下降）
``fit_1d_closed_form``      单特征闭式解 :math:`w_1=\mathrm{cov}(x,y)/\mathrm{var}(x)`（闭式解）
``normal_equation``         解 :math:`X^\top X\mathbf w = X^\top\mathbf y`，奇异时报错并给出建议（正规方程）
``min_norm_solution``       伪逆给出的最小范数解 :math:`X^+\mathbf y`（正规方程）
``ridge_solution``          :math:`(X^\top X+\alpha I)^{-1}X^\top\mathbf y`（正规方程、正则化）
``hat_matrix``              投影矩阵 :math:`H=XX^+`，:math:`\hat{\mathbf y}=H\mathbf y`（正规方程、模型选择）
``LinearRegression/Ridge``  scikit-learn 风格的估计器：``fit``/``predict``/``score``（正规方程、正则化）
==========================  ===============================================================
"""

from __future__ import annotations

from numbers import Real

import numpy as np

from ..base import BaseEstimator, RegressorMixin, validate_data
from ..utils import check_array, check_option, check_scalar, check_X_y

__all__ = [
    "add_bias",
    "mse_loss",
    "mse_grad",
    "mse_hessian",
    "fit_1d_closed_form",
    "normal_equation",
    "min_norm_solution",
    "ridge_solution",
    "hat_matrix",
    "LinearRegression",
    "Ridge",
]


# ---------------------------------------------------------------------------------------------
# 代价函数及其导数
# ---------------------------------------------------------------------------------------------
def add_bias(X) -> np.ndarray:
    r"""在设计矩阵最左边补一列 1：:math:`[\,\mathbf 1,\ X\,]`，使截距 :math:`w_0` 成为普通参数。"""
    X = check_array(X, "X", ndim=2)
    return np.hstack([np.ones((X.shape[0], 1)), X])


def _check_Xyw(X, y, w):
    X, y = check_X_y(X, y)
    w = check_array(w, "w", ndim=1)
    if w.shape[0] != X.shape[1]:
        raise ValueError(f"w must have one entry per column of X ({X.shape[1]}), got {w.shape[0]}")
    return X, y, w


def mse_loss(X, y, w) -> float:
    r""":math:`L(\mathbf w)=\frac1n\lVert X\mathbf w-\mathbf y\rVert^2`。"""
    X, y, w = _check_Xyw(X, y, w)
    r = X @ w - y
    return float(r @ r / X.shape[0])


def mse_grad(X, y, w) -> np.ndarray:
    r""":math:`\nabla L(\mathbf w)=\frac2n X^\top(X\mathbf w-\mathbf y)`。"""
    X, y, w = _check_Xyw(X, y, w)
    return 2.0 / X.shape[0] * X.T @ (X @ w - y)


def mse_hessian(X) -> np.ndarray:
    r""":math:`\nabla^2 L=\frac2n X^\top X`（与 :math:`\mathbf w` 无关：代价函数是二次函数）。"""
    X = check_array(X, "X", ndim=2)
    return 2.0 / X.shape[0] * X.T @ X


# ---------------------------------------------------------------------------------------------
# 闭式解
# ---------------------------------------------------------------------------------------------
def fit_1d_closed_form(x, y) -> tuple[float, float]:
    r"""单特征最小二乘 :math:`f(x)=w_0+w_1x` 的闭式解（“代价函数与单特征闭式解”一节）：

    .. math::
        w_1 = \frac{\overline{xy}-\bar x\,\bar y}{\overline{x^2}-\bar x^2},\qquad
        w_0 = \bar y - w_1\bar x .

    其中上横线表示样本均值。分母是 :math:`x` 的（有偏）样本方差，所以所有 :math:`x` 相同时无解。
    """
    x = check_array(x, "x", ndim=1)
    y = check_array(y, "y", ndim=1)
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same length, got {x.shape[0]} and {y.shape[0]}")
    if x.shape[0] < 2:
        raise ValueError(f"need at least 2 samples to fit a line, got {x.shape[0]}")
    x_bar, y_bar = x.mean(), y.mean()
    # centred sums: the same quantities as mean(xy) - mean(x)mean(y) and mean(x^2) - mean(x)^2,
    # computed without the cancellation that the raw-moment form suffers when |x_bar| >> std(x)
    if np.all(x == x[0]):
        raise ValueError("all x values are equal: the slope w1 is not determined (var(x) = 0)")
    var_x = np.mean((x - x_bar) ** 2)
    cov_xy = np.mean((x - x_bar) * (y - y_bar))
    w1 = cov_xy / var_x
    return float(y_bar - w1 * x_bar), float(w1)


def normal_equation(X, y) -> np.ndarray:
    r"""解正规方程 :math:`X^\top X\,\mathbf w = X^\top\mathbf y`（“多特征与正规方程”一节）。

    用线性方程组求解器，而不是显式求逆。若 :math:`X` 的列线性相关（例如样本数少于参数数），
    :math:`X^\top X` 奇异，解不唯一，此时抛出 ``numpy.linalg.LinAlgError``，并建议改用
    :func:`min_norm_solution` 或 :func:`ridge_solution`。
    """
    X, y = check_X_y(X, y)
    rank = np.linalg.matrix_rank(X)
    if rank < X.shape[1]:
        raise np.linalg.LinAlgError(
            f"X^T X is singular: X has {X.shape[1]} columns but rank {rank} "
            f"({X.shape[0]} samples); the least-squares solution is not unique. "
            "Use min_norm_solution (pseudo-inverse) or ridge_solution (alpha > 0) instead."
        )
    return np.linalg.solve(X.T @ X, X.T @ y)


def min_norm_solution(X, y) -> np.ndarray:
    r"""最小二乘问题的最小范数解 :math:`\mathbf w^+=X^+\mathbf y`（:math:`X^+` 是 Moore–Penrose 伪逆）。

    :math:`X^\top X` 可逆时它就是正规方程的唯一解；奇异时，它是所有最小二乘解中 :math:`\lVert\mathbf w\rVert`
    最小的那个。用 SVD（``numpy.linalg.lstsq``）计算，数值上比先算 :math:`X^\top X` 稳定。
    """
    X, y = check_X_y(X, y)
    w, *_ = np.linalg.lstsq(X, y, rcond=None)
    return w


def ridge_solution(X, y, alpha: float, penalize=None) -> np.ndarray:
    r"""岭回归的闭式解 :math:`(X^\top X+\alpha D)^{-1}X^\top\mathbf y`，最小化
    :math:`\lVert X\mathbf w-\mathbf y\rVert^2+\alpha\sum_j d_j w_j^2`。

    ``penalize`` 是长度为列数的 0/1 向量 :math:`(d_j)`，默认全 1；对补出来的截距列通常传 0。
    只要 :math:`\alpha>0` 且被惩罚的方向覆盖了 :math:`X` 的零空间，矩阵就正定，解唯一。
    """
    X, y = check_X_y(X, y)
    alpha = check_scalar(alpha, "alpha", Real, min_val=0)
    d = np.ones(X.shape[1]) if penalize is None else check_array(penalize, "penalize", ndim=1)
    if d.shape[0] != X.shape[1]:
        raise ValueError(f"penalize must have one entry per column of X ({X.shape[1]}), got {d.shape[0]}")
    A = X.T @ X + alpha * np.diag(d)
    if np.linalg.matrix_rank(A) < A.shape[0]:
        raise np.linalg.LinAlgError(
            "X^T X + alpha*D is singular: increase alpha or penalize the directions X does not determine"
        )
    return np.linalg.solve(A, X.T @ y)


def hat_matrix(X) -> np.ndarray:
    r"""“帽子矩阵” :math:`H = XX^+`（列满秩时等于 :math:`X(X^\top X)^{-1}X^\top`）。

    它把 :math:`\mathbf y` 投影成拟合值 :math:`\hat{\mathbf y}=H\mathbf y`。

    :math:`H` 是到 :math:`X` 列空间的正交投影：对称、幂等（:math:`H^2=H`），迹等于 :math:`X` 的秩。
    “多特征与正规方程”一节用它解释最小二乘的几何意义，
    “模型选择：交叉验证与 AIC/BIC”一节用它的对角元给出留一交叉验证的闭式解。
    """
    X = check_array(X, "X", ndim=2)
    return X @ np.linalg.pinv(X)


# ---------------------------------------------------------------------------------------------
# scikit-learn 风格的估计器
# ---------------------------------------------------------------------------------------------
class _LinearModel(RegressorMixin, BaseEstimator):
    """``predict``/``score`` 的共同部分；子类在 ``fit`` 中设置 ``coef_`` 与 ``intercept_``。"""

    def predict(self, X) -> np.ndarray:
        X = self._validate_X(X, "coef_")
        return X @ self.coef_ + self.intercept_


class LinearRegression(_LinearModel):
    r"""普通最小二乘线性回归，接口同 ``sklearn.linear_model.LinearRegression``。

    Parameters
    ----------
    fit_intercept : 是否拟合截距（在 :math:`X` 前补一列 1，见 :func:`add_bias`）。
    solver : ``"normal"``——正规方程（书中的推导；列相关时报错），
             ``"lstsq"``——基于 SVD 的最小二乘（默认，稳健），
             ``"pinv"``——显式伪逆 :math:`X^+\mathbf y`。后两者在奇异时给出最小范数解。

    Attributes
    ----------
    coef_ : 各特征的系数 :math:`(w_1,\dots,w_m)`；  intercept_ : 截距 :math:`w_0`。
    """

    _solvers = ("normal", "lstsq", "pinv")

    def __init__(self, fit_intercept: bool = True, solver: str = "lstsq"):
        self.fit_intercept = fit_intercept
        self.solver = solver

    def fit(self, X, y) -> LinearRegression:
        check_option(self.solver, "solver", self._solvers)
        if not isinstance(self.fit_intercept, bool):
            raise TypeError(f"fit_intercept must be a bool, got {self.fit_intercept!r}")
        X, y = validate_data(self, X, y, dtype=np.float64, y_numeric=True)
        A = add_bias(X) if self.fit_intercept else X
        if self.solver == "normal":
            w = normal_equation(A, y)
        elif self.solver == "lstsq":
            w = min_norm_solution(A, y)
        else:
            w = np.linalg.pinv(A) @ y
        if self.fit_intercept:
            self.intercept_, self.coef_ = float(w[0]), w[1:]
        else:
            self.intercept_, self.coef_ = 0.0, w
        return self


class Ridge(_LinearModel):
    r"""岭回归，接口与目标函数同 ``sklearn.linear_model.Ridge``：

    .. math:: \min_{\mathbf w, b}\ \lVert \mathbf y - X\mathbf w - b\mathbf 1\rVert^2 + \alpha\lVert\mathbf w\rVert^2 .

    截距不受惩罚：先把 :math:`X` 与 :math:`\mathbf y` 中心化，在中心化数据上求 :func:`ridge_solution`，
    再由 :math:`b=\bar y-\bar{\mathbf x}\mathbf w` 得到截距。
    """

    def __init__(self, alpha: float = 1.0, fit_intercept: bool = True):
        self.alpha = alpha
        self.fit_intercept = fit_intercept

    def fit(self, X, y) -> Ridge:
        check_scalar(self.alpha, "alpha", Real, min_val=0)
        if not isinstance(self.fit_intercept, bool):
            raise TypeError(f"fit_intercept must be a bool, got {self.fit_intercept!r}")
        X, y = validate_data(self, X, y, dtype=np.float64, y_numeric=True)
        if self.fit_intercept:
            x_mean, y_mean = X.mean(axis=0), y.mean()
            w = ridge_solution(X - x_mean, y - y_mean, float(self.alpha))
            self.intercept_ = float(y_mean - x_mean @ w)
        else:
            w = ridge_solution(X, y, float(self.alpha))
            self.intercept_ = 0.0
        self.coef_ = w
        return self
