r"""密度估计：参数法（高斯的最大似然）与非参数法（直方图、核密度、k 近邻）。

非参数估计都出自同一个近似：一个小区域 :math:`R`（体积 :math:`V`）里落进 :math:`K` 个样本（共 :math:`N` 个）时

.. math:: p(\mathbf x)\approx \frac{K}{NV}.

固定 :math:`V`、数 :math:`K` 得到直方图与核密度（Parzen 窗）；固定 :math:`K`、量出包住 :math:`K` 个样本的球的半径
得到 k 近邻密度。核密度估计

.. math:: \hat p(\mathbf x)=\frac1{\sum_i w_i}\sum_{i=1}^N w_i\,\frac{1}{c_d(h)}\,
          k\!\left(\frac{\lVert\mathbf x-\mathbf x_i\rVert}{h}\right)

中 :math:`c_d(h)=h^d\int_{\mathbb R^d}k(\lVert\mathbf u\rVert)\,d\mathbf u` 是让核积分为 1 的常数。

=========================  ==================================================================
``gaussian_mle``           多元高斯的最大似然：样本均值与（除以 :math:`N` 的）样本协方差
``ball_volume``            :math:`d` 维半径 :math:`r` 的球的体积 :math:`\pi^{d/2}r^d/\Gamma(d/2+1)`
``kernel_log_norm``        核的归一化常数的对数 :math:`\log c_d(h)`
``knn_density``            :math:`K/(N\,V_d\,r_K^d)`，:math:`r_K` 是到第 :math:`K` 个近邻的距离
``KernelDensity``          核密度估计器，接口、默认值与输出同 ``sklearn.neighbors.KernelDensity``
                           （六种核；``fit``/``score_samples``/``score``/``sample``）
=========================  ==================================================================

与 scikit-learn 的差别只在算法：scikit-learn 用 KD 树/球树加速求和（``atol=rtol=0`` 时结果精确），这里直接对所有
样本求和（分块计算距离，高斯核与指数核在对数域里用 log-sum-exp 求和），所以没有 ``algorithm``、``leaf_size``、
``atol``、``rtol`` 这些只关乎树的参数；度量只有欧氏距离。
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from scipy import integrate
from scipy.special import gammainc, gammaln, logsumexp
from sklearn.utils.validation import _check_sample_weight

from .base import BaseEstimator, validate_data
from .utils import check_array, check_random_state, check_scalar

__all__ = ["KERNELS", "gaussian_mle", "ball_volume", "kernel_log_norm", "knn_density", "KernelDensity"]

KERNELS = ("gaussian", "tophat", "epanechnikov", "exponential", "linear", "cosine")


def gaussian_mle(X) -> tuple[np.ndarray, np.ndarray]:
    r"""多元高斯 :math:`\mathcal N(\boldsymbol\mu,\Sigma)` 的最大似然估计：样本均值 :math:`\hat{\boldsymbol\mu}`
    与除以 :math:`N`（不是 :math:`N-1`）的样本协方差 :math:`\hat\Sigma`。"""
    X = check_array(X, "X", ndim=2)
    mean = X.mean(axis=0)
    D = X - mean
    return mean, D.T @ D / X.shape[0]


def ball_volume(d: int, r=1.0):
    r""":math:`d` 维欧氏空间中半径为 ``r`` 的球的体积 :math:`\pi^{d/2}r^d/\Gamma(d/2+1)`。"""
    check_scalar(d, "d", Integral, min_val=1)
    r = check_array(r, "r", ndim=None)
    if np.any(r < 0):
        raise ValueError("r must be >= 0")
    return np.exp(0.5 * d * np.log(np.pi) - gammaln(0.5 * d + 1)) * r**d


def _radial_profile(kernel: str, t: np.ndarray) -> np.ndarray:
    """核的形状 k(t)，t = 距离 / h ≥ 0（未归一化；紧支撑的核在 t ≥ 1 处为 0）。"""
    inside = t < 1
    if kernel == "gaussian":
        return np.exp(-0.5 * t * t)
    if kernel == "exponential":
        return np.exp(-t)
    if kernel == "tophat":
        return inside.astype(np.float64)
    if kernel == "epanechnikov":
        return np.where(inside, 1.0 - t * t, 0.0)
    if kernel == "linear":
        return np.where(inside, 1.0 - t, 0.0)
    return np.where(inside, np.cos(0.5 * np.pi * np.minimum(t, 1.0)), 0.0)  # cosine


def _check_kernel(kernel) -> str:
    if not isinstance(kernel, str) or kernel not in KERNELS:
        raise ValueError(f"kernel must be one of {KERNELS}, got {kernel!r}")
    return kernel


def kernel_log_norm(kernel: str, d: int, h: float = 1.0) -> float:
    r""":math:`\log c_d(h)`，:math:`c_d(h)=\int_{\mathbb R^d}k(\lVert\mathbf u\rVert/h)\,d\mathbf u
    =h^d\,S_{d-1}\int_0^\infty k(t)\,t^{d-1}dt`，:math:`S_{d-1}=2\pi^{d/2}/\Gamma(d/2)` 是单位球面的面积。

    高斯核与三种多项式核有闭式；余弦核的一维径向积分用数值积分（精确到机器精度）。
    """
    kernel = _check_kernel(kernel)
    check_scalar(d, "d", Integral, min_val=1)
    check_scalar(h, "h", Real, min_val=0, include_min=False)
    log_vd = 0.5 * d * np.log(np.pi) - gammaln(0.5 * d + 1)  # 单位球体积，S_{d-1} = d V_d
    if kernel == "gaussian":
        log_c = 0.5 * d * np.log(2 * np.pi)
    elif kernel == "tophat":
        log_c = log_vd
    elif kernel == "epanechnikov":  # d V_d (1/d - 1/(d+2))
        log_c = log_vd + np.log(2.0 / (d + 2))
    elif kernel == "linear":  # d V_d (1/d - 1/(d+1))
        log_c = log_vd - np.log(d + 1.0)
    elif kernel == "exponential":  # d V_d Γ(d)
        log_c = log_vd + np.log(d) + gammaln(d)
    else:
        radial, _ = integrate.quad(lambda t: np.cos(0.5 * np.pi * t) * t ** (d - 1), 0.0, 1.0, epsabs=0, epsrel=1e-13)
        log_c = log_vd + np.log(d * radial)
    return float(log_c + d * np.log(h))


def _sq_dists(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    d2 = (A * A).sum(1)[:, None] - 2.0 * A @ B.T + (B * B).sum(1)[None, :]
    return np.maximum(d2, 0.0)


def knn_density(X, data, k: int = 5) -> np.ndarray:
    r"""k 近邻密度 :math:`\hat p(\mathbf x)=K/(N\,V_d\,r_K(\mathbf x)^d)`：:math:`r_K` 是 ``x`` 到 ``data`` 中第
    ``k`` 近的点的距离。它不是一个归一化的密度（积分发散），但在样本多、``k`` 适中时逐点接近真实密度。"""
    data = check_array(data, "data", ndim=2)
    X = check_array(X, "X", ndim=2)
    if X.shape[1] != data.shape[1]:
        raise ValueError(f"X must have {data.shape[1]} columns like data, got {X.shape[1]}")
    check_scalar(k, "k", Integral, min_val=1, max_val=data.shape[0])
    r = np.sqrt(np.partition(_sq_dists(X, data), k - 1, axis=1)[:, k - 1])
    d = data.shape[1]
    with np.errstate(divide="ignore"):
        return k / (data.shape[0] * ball_volume(d, r))


class KernelDensity(BaseEstimator):
    r"""核密度估计，接口与 ``sklearn.neighbors.KernelDensity`` 相同（见模块说明里省略的参数）。

    Parameters
    ----------
    bandwidth : 正数，或 ``"scott"`` / ``"silverman"``（经验公式，按 :math:`N`、:math:`d` 计算）
    kernel : ``"gaussian"``、``"tophat"``、``"epanechnikov"``、``"exponential"``、``"linear"``、``"cosine"``

    Attributes
    ----------
    bandwidth_ : 实际使用的带宽；``data_``、``sample_weight_`` : 训练样本及其权重（没有权重时为 ``None``）
    """

    def __init__(self, bandwidth=1.0, *, kernel: str = "gaussian"):
        self.bandwidth = bandwidth
        self.kernel = kernel

    def _check_params(self, n: int, d: int) -> float:
        _check_kernel(self.kernel)
        if isinstance(self.bandwidth, str):
            if self.bandwidth == "scott":
                return n ** (-1 / (d + 4))
            if self.bandwidth == "silverman":
                return (n * (d + 2) / 4) ** (-1 / (d + 4))
            raise ValueError(f"bandwidth must be a positive number, 'scott' or 'silverman', got {self.bandwidth!r}")
        if isinstance(self.bandwidth, Real) and not isinstance(self.bandwidth, bool) and np.isnan(self.bandwidth):
            raise ValueError("bandwidth must be a positive number, got nan")
        return float(check_scalar(self.bandwidth, "bandwidth", Real, min_val=0, include_min=False))

    def fit(self, X, y=None, sample_weight=None) -> KernelDensity:
        X = validate_data(self, X, dtype=np.float64)
        self.bandwidth_ = self._check_params(*X.shape)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
        self.data_ = X
        self.sample_weight_ = sample_weight
        return self

    def score_samples(self, X, *, chunk_size: int = 2048) -> np.ndarray:
        r"""每个点的对数密度 :math:`\log\hat p(\mathbf x)`（密度为 0 处是 ``-inf``）。"""
        X = self._validate_X(X, "data_")
        data, w, h = self.data_, self.sample_weight_, self.bandwidth_
        log_w = np.zeros(data.shape[0]) if w is None else np.log(np.where(w > 0, w, np.finfo(float).tiny))
        if w is not None:
            log_w[w == 0] = -np.inf
        total = data.shape[0] if w is None else w.sum()
        out = np.empty(X.shape[0])
        for s in range(0, X.shape[0], chunk_size):
            t = np.sqrt(_sq_dists(X[s : s + chunk_size], data)) / h
            if self.kernel == "gaussian":
                out[s : s + chunk_size] = logsumexp(-0.5 * t * t + log_w, axis=1)
            elif self.kernel == "exponential":
                out[s : s + chunk_size] = logsumexp(-t + log_w, axis=1)
            else:
                k = _radial_profile(self.kernel, t)
                dens = k.sum(1) if w is None else k @ w
                with np.errstate(divide="ignore"):
                    out[s : s + chunk_size] = np.log(dens)
        return out - np.log(total) - kernel_log_norm(self.kernel, data.shape[1], h)

    def score(self, X, y=None) -> float:
        """所有点的对数似然之和 :math:`\\sum_i\\log\\hat p(\\mathbf x_i)`。"""
        return float(np.sum(self.score_samples(X)))

    def sample(self, n_samples: int = 1, random_state=None) -> np.ndarray:
        """从估计出的密度抽样（只支持高斯核与平顶核）：先按权重选一个训练样本，再加上从核里抽的位移。

        ``random_state`` 为整数时与 scikit-learn 用同样的随机数序列，抽出的样本相同。
        """
        from sklearn.utils import check_random_state as sk_check_random_state

        if not hasattr(self, "data_"):
            self._validate_X(np.zeros((1, 1)), "data_")
        check_scalar(n_samples, "n_samples", Integral, min_val=1)
        if self.kernel not in ("gaussian", "tophat"):
            raise NotImplementedError(f"sample is implemented for the gaussian and tophat kernels, not {self.kernel!r}")
        if isinstance(random_state, np.random.Generator):
            rng = check_random_state(random_state)
        else:
            rng = sk_check_random_state(random_state)
        data = self.data_
        u = rng.uniform(0, 1, size=n_samples)
        if self.sample_weight_ is None:
            i = (u * data.shape[0]).astype(np.int64)
        else:
            cw = np.cumsum(self.sample_weight_)
            i = np.searchsorted(cw, u * cw[-1])
        if self.kernel == "gaussian":
            return np.atleast_2d(rng.normal(data[i], self.bandwidth_))
        # 平顶核：高斯方向 + 不完全伽马函数把半径变成球内均匀分布
        d = data.shape[1]
        Z = rng.normal(size=(n_samples, d))
        s_sq = (Z * Z).sum(1)
        corr = gammainc(0.5 * d, 0.5 * s_sq) ** (1.0 / d) * self.bandwidth_ / np.sqrt(s_sq)
        return data[i] + Z * corr[:, None]
