r"""基函数与非线性化（“基函数与非线性化”一节）：把线性模型 :math:`f(\mathbf x)=\mathbf x\mathbf w` 变成

.. math:: f(\mathbf x) = \boldsymbol\phi(\mathbf x)\,\mathbf w = \sum_k w_k\,\phi_k(\mathbf x),

它对输入 :math:`\mathbf x` 是非线性的，对参数 :math:`\mathbf w` 仍是线性的，所以线性回归一章的一切（正规方程、
岭回归、梯度下降）只需把设计矩阵 :math:`X` 换成 :math:`\Phi=\boldsymbol\phi(X)` 就能照搬。

=========================  ============================================================================
``PolynomialFeatures``      全部次数 :math:`\le d` 的单项式 :math:`\prod_j x_j^{p_j}`，顺序与 scikit-learn 相同
``GaussianFeatures``        每个特征上一组高斯“鼓包” :math:`\exp(-(x_j-\mu_k)^2/2s^2)`
``SigmoidFeatures``         每个特征上一组 S 形台阶 :math:`\sigma((x_j-\mu_k)/s)`
``hard_sigmoid``            斜坡 :math:`\mathrm{clip}((x-a)/(b-a),0,1)`：分段线性函数的积木
``piecewise_linear_basis``  以节点 :math:`t_0<\dots<t_K` 的 :math:`K` 个斜坡为列的设计矩阵
``PolynomialRegression``    多项式特征 + 线性回归（``alpha > 0`` 时是岭回归），过拟合、模型选择与正则化三节的模型
=========================  ============================================================================

变换器的接口同 scikit-learn：``fit(X)`` 只记下需要的量（输入维数、中心点），``transform(X)`` 给出 :math:`\Phi`，
``fit_transform`` 来自 ``sklearn.base.TransformerMixin``。
"""

from __future__ import annotations

import itertools
from numbers import Integral, Real

import numpy as np
from scipy.special import expit
from sklearn.base import ClassNamePrefixFeaturesOutMixin
from sklearn.utils.validation import _check_feature_names_in

from .base import BaseEstimator, RegressorMixin, TransformerMixin, validate_data
from .linear.regression import LinearRegression, Ridge
from .utils import check_array, check_is_fitted, check_scalar, check_size

__all__ = [
    "PolynomialFeatures",
    "GaussianFeatures",
    "SigmoidFeatures",
    "hard_sigmoid",
    "piecewise_linear_basis",
    "PolynomialRegression",
]


# ---------------------------------------------------------------------------------------------
# 多项式特征
# ---------------------------------------------------------------------------------------------
_MAX_OUTPUT_FEATURES = 10**6


def _check_n_output_features(n_features: int, degree: int, interaction_only: bool) -> None:
    """在枚举单项式之前限制输出维数：degree=10**6 之类的值会枚举（或分配）到机器挂起。"""
    from math import comb

    d = min(degree, n_features) if interaction_only else degree
    total = sum(comb(n_features, k) for k in range(d + 1)) if interaction_only else comb(n_features + d, d)
    if total > _MAX_OUTPUT_FEATURES:
        raise ValueError(
            f"degree={degree} with {n_features} features gives {total:.3g} output features, "
            f"more than the limit {_MAX_OUTPUT_FEATURES}"
        )


class PolynomialFeatures(TransformerMixin, BaseEstimator):
    r"""全部次数不超过 ``degree`` 的单项式，接口与列的顺序同 ``sklearn.preprocessing.PolynomialFeatures``。

    输入有 :math:`m` 个特征时，第 :math:`k` 列是 :math:`\prod_{j} x_j^{p_{kj}}`，指数矩阵 :math:`P=(p_{kj})`
    存在 ``powers_`` 中。列按总次数从低到高排，同一次数内按 ``itertools.combinations_with_replacement``
    的字典序排（例如 :math:`m=2,d=2`：:math:`1, x_0, x_1, x_0^2, x_0x_1, x_1^2`），共 :math:`\binom{m+d}{d}` 列。

    Parameters
    ----------
    degree : 最高次数 :math:`d\ge 0`。
    interaction_only : 为真时只保留各变量次数至多为 1 的交叉项（:math:`x_0x_1` 而没有 :math:`x_0^2`）。
    include_bias : 是否包含常数列 1（次数为 0 的单项式）。
    """

    def __init__(self, degree: int = 2, interaction_only: bool = False, include_bias: bool = True):
        self.degree = degree
        self.interaction_only = interaction_only
        self.include_bias = include_bias

    def fit(self, X, y=None) -> PolynomialFeatures:
        check_scalar(self.degree, "degree", Integral, min_val=0)
        for name in ("interaction_only", "include_bias"):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"{name} must be a bool, got {getattr(self, name)!r}")
        X = validate_data(self, X, dtype=np.float64)
        m = X.shape[1]
        _check_n_output_features(m, self.degree, self.interaction_only)
        combine = itertools.combinations if self.interaction_only else itertools.combinations_with_replacement
        powers = []
        for total in range(0 if self.include_bias else 1, self.degree + 1):
            for combo in combine(range(m), total):
                powers.append(np.bincount(np.asarray(combo, dtype=int), minlength=m))
        if not powers:
            raise ValueError("degree=0 with include_bias=False leaves no features to output")
        self.powers_ = np.array(powers, dtype=int)
        self.n_output_features_ = len(powers)
        return self

    def transform(self, X) -> np.ndarray:
        r""":math:`\Phi_{ik}=\prod_j X_{ij}^{p_{kj}}`，形状 ``(n_samples, n_output_features_)``。"""
        X = self._validate_X(X, "powers_")
        Phi = np.ones((X.shape[0], self.n_output_features_))
        for k, p in enumerate(self.powers_):
            for j in np.flatnonzero(p):
                Phi[:, k] *= X[:, j] ** p[j]
        return Phi

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """列名，写法同 scikit-learn：``"1"``、``"x0"``、``"x0^2"``、``"x0 x1"``（用 pandas 表格训练时用它的列名）。"""
        check_is_fitted(self, "powers_")
        input_features = _check_feature_names_in(self, input_features)  # x0, x1, ... or the table's column names
        names = []
        for p in self.powers_:
            terms = [input_features[j] + (f"^{p[j]}" if p[j] > 1 else "") for j in np.flatnonzero(p)]
            names.append(" ".join(terms) if terms else "1")
        return np.array(names, dtype=object)


# ---------------------------------------------------------------------------------------------
# 局部基函数：高斯与 S 形
# ---------------------------------------------------------------------------------------------
class _LocalBasis(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    r"""在每个输入特征上放 :math:`K` 个中心 :math:`\mu_{1..K}`、共同宽度 :math:`s` 的一维基函数。

    ``centers`` 为整数 :math:`K` 时，``fit`` 把中心等距地铺满每个特征在训练数据上的取值范围；
    为一维数组时，每个特征都用这组中心。``width=None`` 时取相邻中心的间距。
    输出的列按特征分组：先是特征 0 的 :math:`K` 列，再是特征 1 的 :math:`K` 列……
    """

    def __init__(self, centers=10, width: float | None = None):
        self.centers = centers
        self.width = width

    def fit(self, X, y=None):
        X = validate_data(self, X, dtype=np.float64)
        if isinstance(self.centers, Integral) and not isinstance(self.centers, bool):
            k = check_size(self.centers, "centers")
            lo, hi = X.min(axis=0), X.max(axis=0)
            centers = np.linspace(lo, hi, k).T  # (n_features, K)
        else:
            grid = check_array(self.centers, "centers", ndim=1)
            centers = np.tile(grid, (X.shape[1], 1))
        if self.width is None:
            if centers.shape[1] < 2:
                raise ValueError("width must be given when there is only one center (no spacing to infer it from)")
            spacing = np.diff(centers, axis=1).mean(axis=1)
            if np.any(spacing <= 0):
                raise ValueError(
                    "centers must be increasing (and every feature of X must vary) to infer width from their spacing; "
                    f"got n_samples = {X.shape[0]}" + (", and one sample never varies" if X.shape[0] == 1 else "")
                )
            widths = spacing
        else:
            w = check_scalar(self.width, "width", Real, min_val=0, include_min=False)
            widths = np.full(X.shape[1], float(w))
        self.centers_ = centers
        self.widths_ = widths
        self.n_output_features_ = centers.size
        return self

    @property
    def _n_features_out(self) -> int:
        return self.n_output_features_

    def transform(self, X) -> np.ndarray:
        X = self._validate_X(X, "centers_")
        # Z[i, j, k] = (x_ij - mu_jk) / s_j
        Z = (X[:, :, None] - self.centers_[None]) / self.widths_[None, :, None]
        return self._bump(Z).reshape(X.shape[0], -1)


class GaussianFeatures(_LocalBasis):
    r"""高斯基函数 :math:`\phi_{jk}(\mathbf x)=\exp\bigl(-\tfrac{(x_j-\mu_{jk})^2}{2s_j^2}\bigr)`
    （“基函数与非线性化”一节）。

    每个基函数只在中心附近 :math:`\pm 2s` 的范围内明显不为零，所以系数 :math:`w_k` 只影响局部的拟合。
    """

    @staticmethod
    def _bump(Z):
        return np.exp(-0.5 * Z**2)


class SigmoidFeatures(_LocalBasis):
    r"""S 形基函数 :math:`\phi_{jk}(\mathbf x)=\sigma\bigl((x_j-\mu_{jk})/s_j\bigr)`，:math:`\sigma(z)=1/(1+e^{-z})`。

    每个基函数是一个在 :math:`\mu_{jk}` 处从 0 升到 1 的平滑台阶；它们的线性组合就是“常数 + 一组台阶之和”。
    """

    @staticmethod
    def _bump(Z):
        return expit(Z)


# ---------------------------------------------------------------------------------------------
# 分段线性函数 = 常数 + 一组斜坡（hard sigmoid）之和
# ---------------------------------------------------------------------------------------------
def hard_sigmoid(x, start: float, end: float) -> np.ndarray:
    r"""斜坡函数（hard sigmoid）：:math:`x\le a` 时为 0，:math:`x\ge b` 时为 1，中间线性上升，

    .. math:: h_{a,b}(x) = \min\bigl(1, \max(0, \tfrac{x-a}{b-a})\bigr) .

    它是 S 形函数 :math:`\sigma(w(x-\tfrac{a+b}{2}))` 在 :math:`w=4/(b-a)`（中点斜率相同）时的折线版本。
    """
    x = check_array(x, "x", ndim=None)
    start = check_scalar(start, "start", Real)
    end = check_scalar(end, "end", Real)
    if not end > start:
        raise ValueError(f"end must be > start, got start={start!r}, end={end!r}")
    return np.clip((x - start) / (end - start), 0.0, 1.0)


def piecewise_linear_basis(x, knots) -> np.ndarray:
    r"""以节点 :math:`t_0<t_1<\dots<t_K` 为界的 :math:`K` 个斜坡组成的设计矩阵（形状 ``(n, K)``）。

    过点 :math:`(t_k, v_k)` 的连续分段线性函数（在 :math:`[t_0,t_K]` 外取端点值）可以 *精确* 写成

    .. math:: f(x) = v_0 + \sum_{k=1}^K (v_k - v_{k-1})\, h_{t_{k-1},t_k}(x),

    因为在第 :math:`k` 段上，前 :math:`k-1` 个斜坡都已升满、后面的还没开始，只有第 :math:`k` 个在线性变化。
    这就是“基函数与非线性化”一节“任何分段线性曲线 = 常数 + 一组 hard sigmoid 之和”的构造。
    """
    x = check_array(x, "x", ndim=1)
    knots = check_array(knots, "knots", ndim=1)
    if knots.shape[0] < 2 or np.any(np.diff(knots) <= 0):
        raise ValueError(f"knots must be strictly increasing with at least 2 entries, got {knots}")
    return np.column_stack([hard_sigmoid(x, a, b) for a, b in zip(knots[:-1], knots[1:])])


# ---------------------------------------------------------------------------------------------
# 多项式回归：过拟合、模型选择与正则化三节反复拟合的模型
# ---------------------------------------------------------------------------------------------
class PolynomialRegression(RegressorMixin, BaseEstimator):
    r"""一元或多元多项式回归：先 :class:`PolynomialFeatures`（不含常数列），再拟合带截距的线性模型。

    ``alpha = 0`` 时用最小二乘（:class:`lib.linear.LinearRegression`），``alpha > 0`` 时用岭回归
    （:class:`lib.linear.Ridge`，截距不受惩罚）。相当于 scikit-learn 的
    ``make_pipeline(PolynomialFeatures(degree, include_bias=False), LinearRegression())``，
    但只有两个超参数，便于交叉验证、验证曲线按名字改变 ``degree`` 或 ``alpha``。
    """

    def __init__(self, degree: int = 1, alpha: float = 0.0):
        self.degree = degree
        self.alpha = alpha

    def fit(self, X, y) -> PolynomialRegression:
        check_scalar(self.degree, "degree", Integral, min_val=0)
        check_scalar(self.alpha, "alpha", Real, min_val=0)
        X, y = validate_data(self, X, y, dtype=np.float64, y_numeric=True)
        self.features_ = PolynomialFeatures(self.degree, include_bias=False)
        if self.degree == 0:  # a constant model: no features at all, only the intercept
            self.features_ = None
            self.coef_, self.intercept_ = np.zeros(0), float(y.mean())
            return self
        Phi = self.features_.fit_transform(X)
        model = LinearRegression() if self.alpha == 0 else Ridge(alpha=float(self.alpha))
        model.fit(Phi, y)
        self.coef_, self.intercept_ = model.coef_, model.intercept_
        return self

    def predict(self, X) -> np.ndarray:
        X = self._validate_X(X, "coef_")
        if self.features_ is None:
            return np.full(X.shape[0], self.intercept_)
        return self.features_.transform(X) @ self.coef_ + self.intercept_
