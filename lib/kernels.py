r"""核函数（“核方法”一节）：:math:`k(\mathbf x,\mathbf x')=\boldsymbol\phi(\mathbf x)^\top\boldsymbol\phi(\mathbf x')`，
不必写出 :math:`\boldsymbol\phi`。

函数名、参数与公式同 ``sklearn.metrics.pairwise``：输入两组样本 :math:`X\in\mathbb R^{n\times d}`、
:math:`Y\in\mathbb R^{m\times d}`（``Y=None`` 表示 :math:`Y=X`），
返回 :math:`n\times m` 的核矩阵 :math:`K_{ij}=k(\mathbf x_i,\mathbf y_j)`。

=============================  ====================================================================
``linear_kernel``              :math:`\mathbf x^\top\mathbf x'`
``polynomial_kernel``          :math:`(\gamma\,\mathbf x^\top\mathbf x'+c_0)^p`
``rbf_kernel``                 :math:`\exp(-\gamma\lVert\mathbf x-\mathbf x'\rVert^2)`，:math:`\gamma=1/(2\sigma^2)`
``polynomial_feature_map``     多项式核的显式特征 :math:`\boldsymbol\phi`（有限维，由多项式定理得到）
``rbf_feature_map_1d``         一维高斯核的无穷维特征 :math:`\boldsymbol\phi` 的前 :math:`T` 项
``get_kernel``                 由名字与超参数得到核函数（:class:`lib.svm.SVC` 用）
=============================  ====================================================================
"""

from __future__ import annotations

import math
from collections.abc import Callable
from numbers import Integral, Real

import numpy as np

from .utils import check_array, check_option, check_scalar

__all__ = [
    "linear_kernel",
    "polynomial_kernel",
    "rbf_kernel",
    "sigma_to_gamma",
    "polynomial_feature_map",
    "rbf_feature_map_1d",
    "get_kernel",
    "KERNELS",
]


def _pair(X, Y):
    X = check_array(X, "X", ndim=2)
    Y = X if Y is None else check_array(Y, "Y", ndim=2)
    if X.shape[1] != Y.shape[1]:
        raise ValueError(f"X and Y must have the same number of features, got {X.shape[1]} and {Y.shape[1]}")
    return X, Y


def _gamma(gamma, X) -> float:
    if gamma is None:
        return 1.0 / X.shape[1]
    return float(check_scalar(gamma, "gamma", Real, min_val=0, include_min=False))


def linear_kernel(X, Y=None) -> np.ndarray:
    r"""线性核 :math:`k(\mathbf x,\mathbf x')=\mathbf x^\top\mathbf x'`，
    即 :math:`\boldsymbol\phi(\mathbf x)=\mathbf x`。"""
    X, Y = _pair(X, Y)
    return X @ Y.T


def polynomial_kernel(X, Y=None, degree: int = 3, gamma: float | None = None, coef0: float = 1.0) -> np.ndarray:
    r"""多项式核 :math:`(\gamma\,\mathbf x^\top\mathbf x'+c_0)^p`（``gamma=None`` 时 :math:`\gamma=1/d`）。

    它等于 :func:`polynomial_feature_map` 给出的 :math:`\binom{d+p}{p}` 维特征的内积。
    """
    X, Y = _pair(X, Y)
    degree = check_scalar(degree, "degree", Integral, min_val=1)
    coef0 = check_scalar(coef0, "coef0", Real)
    return (_gamma(gamma, X) * (X @ Y.T) + coef0) ** degree


def rbf_kernel(X, Y=None, gamma: float | None = None) -> np.ndarray:
    r"""高斯（RBF）核 :math:`\exp(-\gamma\lVert\mathbf x-\mathbf x'\rVert^2)`（``gamma=None`` 时 :math:`\gamma=1/d`）。

    讲义写作 :math:`\exp(-\lVert\mathbf x-\mathbf x'\rVert^2/2\sigma^2)`，
    即 :math:`\gamma=1/(2\sigma^2)`（:func:`sigma_to_gamma`）。
    """
    X, Y = _pair(X, Y)
    gamma = _gamma(gamma, X)
    sq = np.einsum("ij,ij->i", X, X)[:, None] + np.einsum("ij,ij->i", Y, Y)[None, :] - 2 * X @ Y.T
    return np.exp(-gamma * np.maximum(sq, 0.0))


def sigma_to_gamma(sigma: float) -> float:
    r""":math:`\gamma=1/(2\sigma^2)`：把讲义里高斯核的宽度 :math:`\sigma` 换成 scikit-learn 的 ``gamma``。"""
    sigma = check_scalar(sigma, "sigma", Real, min_val=0, include_min=False)
    return 1.0 / (2.0 * sigma**2)


def polynomial_feature_map(X, degree: int = 2, gamma: float = 1.0, coef0: float = 1.0) -> np.ndarray:
    r"""多项式核 :math:`(\gamma\,\mathbf x^\top\mathbf x'+c_0)^p` 的显式特征映射 :math:`\boldsymbol\phi(\mathbf x)`。

    由多项式定理，:math:`(\gamma\sum_j x_jx_j'+c_0)^p=\sum_{|\mathbf a|\le p}\frac{p!}{\mathbf a!\,(p-|\mathbf a|)!}
    c_0^{p-|\mathbf a|}\gamma^{|\mathbf a|}\,\mathbf x^{\mathbf a}\,\mathbf x'^{\mathbf a}`，
    所以取

    .. math:: \phi_{\mathbf a}(\mathbf x)=\sqrt{\tfrac{p!}{\mathbf a!(p-|\mathbf a|)!}
              c_0^{p-|\mathbf a|}\gamma^{|\mathbf a|}}\;\mathbf x^{\mathbf a},


    :math:`\mathbf a` 取遍次数不超过 :math:`p` 的全部单项式（顺序同 :class:`lib.features.PolynomialFeatures`）。
    例如 :math:`d=2,p=2,\gamma=c_0=1`：:math:`\boldsymbol\phi=(1,\sqrt2x_1,\sqrt2x_2,x_1^2,\sqrt2x_1x_2,x_2^2)`。
    """
    from .features import PolynomialFeatures

    X = check_array(X, "X", ndim=2)
    degree = check_scalar(degree, "degree", Integral, min_val=1)
    gamma = check_scalar(gamma, "gamma", Real, min_val=0, include_min=False)
    coef0 = check_scalar(coef0, "coef0", Real, min_val=0)
    poly = PolynomialFeatures(degree, include_bias=True).fit(X)
    weights = []
    for a in poly.powers_:
        k = int(a.sum())
        multinomial = math.factorial(degree) / (
            math.prod(math.factorial(int(v)) for v in a) * math.factorial(degree - k)
        )
        weights.append(multinomial * coef0 ** (degree - k) * gamma**k)
    return poly.transform(X) * np.sqrt(np.array(weights))


def rbf_feature_map_1d(x, sigma: float, n_terms: int) -> np.ndarray:
    r"""一维高斯核 :math:`\exp(-(x-x')^2/2\sigma^2)` 的特征映射的前 ``n_terms`` 项（形状 ``(len(x), n_terms)``）：

    .. math:: \phi_k(x)=e^{-x^2/2\sigma^2}\,\frac{x^k}{\sigma^k\sqrt{k!}},\qquad k=0,1,2,\dots

    因为 :math:`\sum_k\phi_k(x)\phi_k(x')=e^{-(x^2+x'^2)/2\sigma^2}\sum_k\frac{(xx'/\sigma^2)^k}{k!}
    =e^{-(x^2+x'^2)/2\sigma^2}e^{xx'/\sigma^2}=e^{-(x-x')^2/2\sigma^2}`。截断后的误差是指数级数的余项。
    各项用递推 :math:`\phi_k=\phi_{k-1}\cdot x/(\sigma\sqrt k)` 计算，避免阶乘溢出。
    """
    x = check_array(x, "x", ndim=1)
    sigma = check_scalar(sigma, "sigma", Real, min_val=0, include_min=False)
    n_terms = check_scalar(n_terms, "n_terms", Integral, min_val=1)
    phi = np.empty((x.shape[0], n_terms))
    phi[:, 0] = np.exp(-(x**2) / (2 * sigma**2))
    for k in range(1, n_terms):
        phi[:, k] = phi[:, k - 1] * x / (sigma * math.sqrt(k))
    return phi


KERNELS = ("linear", "poly", "rbf")


def get_kernel(kernel="rbf", *, gamma: float | None = None, degree: int = 3, coef0: float = 0.0) -> Callable:
    """由名字（``"linear"``、``"poly"``、``"rbf"``，同 ``sklearn.svm.SVC``）得到 ``k(X, Y) -> 核矩阵``；
    可调用对象原样返回。

    注意 ``SVC`` 的多项式核默认 ``coef0=0``，
    而 :func:`polynomial_kernel` 默认 ``coef0=1``（两者都与 scikit-learn 一致）。
    """
    if callable(kernel):
        return kernel
    check_option(kernel, "kernel", KERNELS)
    if gamma is not None:  # 超参数在这里就检查，而不是等到第一次计算核矩阵
        check_scalar(gamma, "gamma", Real, min_val=0, include_min=False)
    check_scalar(degree, "degree", Integral, min_val=1)
    check_scalar(coef0, "coef0", Real)
    if kernel == "linear":
        return linear_kernel
    if kernel == "poly":
        return lambda X, Y=None: polynomial_kernel(X, Y, degree=degree, gamma=gamma, coef0=coef0)
    if kernel == "rbf":
        return lambda X, Y=None: rbf_kernel(X, Y, gamma=gamma)
    raise ValueError(f"kernel must be one of {KERNELS} or a callable, got {kernel!r}")
