r"""噪声调度（“扩散过程”“前向过程的闭式解”两节）：每一步加多少噪声，:math:`\beta_1,\dots,\beta_T`。

前向过程每一步 :math:`\mathbf x_t=\sqrt{1-\beta_t}\,\mathbf x_{t-1}+\sqrt{\beta_t}\,\boldsymbol\epsilon_t`。
调度由 :math:`\beta_t` 决定，也可以等价地由信号强度 :math:`\bar\alpha_t=\prod_{s\le t}(1-\beta_s)` 决定：

=============================  ==========================================================================
``linear_beta_schedule``       DDPM（Ho 等，2020）：:math:`\beta_t` 从 :math:`10^{-4}` 线性增到 0.02，:math:`T=1000`
``cosine_beta_schedule``       Improved DDPM：:math:`\bar\alpha_t\propto\cos^2\!\bigl(\frac{t/T+s}{1+s}\frac\pi2\bigr)`
``constant_beta_schedule``     讲义中的例子：每一步 :math:`\beta_t=\beta`（如 0.01）
``alpha_bar``                  由 :math:`\beta` 算 :math:`\bar\alpha_t`（在对数域里累加，float64）
=============================  ==========================================================================

所有函数返回长度为 :math:`T` 的 float64 NumPy 数组，第 ``t-1`` 个元素是 :math:`\beta_t`（数学上 :math:`t` 从 1 数起）。
"""

from __future__ import annotations

from numbers import Real

import numpy as np

from ..utils import check_array, check_scalar, check_size

__all__ = ["linear_beta_schedule", "cosine_beta_schedule", "constant_beta_schedule", "alpha_bar", "check_betas"]


def _check_T(T) -> int:
    return check_size(T, "T")


def linear_beta_schedule(T: int = 1000, beta_start: float = 1e-4, beta_end: float = 0.02) -> np.ndarray:
    r"""DDPM 的线性调度：:math:`\beta_t=\beta_{\text{start}}+\frac{t-1}{T-1}(\beta_{\text{end}}-\beta_{\text{start}})`。

    默认值就是论文的 :math:`T=1000`、:math:`10^{-4}\to0.02`，此时 :math:`\bar\alpha_T\approx4.04\times10^{-5}`。
    """
    T = _check_T(T)
    beta_start = check_scalar(
        beta_start, "beta_start", Real, min_val=0, max_val=1, include_min=False, include_max=False
    )
    beta_end = check_scalar(beta_end, "beta_end", Real, min_val=0, max_val=1, include_min=False, include_max=False)
    if beta_end < beta_start:
        raise ValueError(f"beta_end must be >= beta_start, got beta_start={beta_start}, beta_end={beta_end}")
    return np.linspace(beta_start, beta_end, T, dtype=np.float64)


def constant_beta_schedule(T: int = 1000, beta: float = 0.01) -> np.ndarray:
    r"""每一步相同的 :math:`\beta_t=\beta`，
    于是 :math:`\bar\alpha_t=(1-\beta)^t`（讲义 L16 的例子用 :math:`\beta=0.01`）。"""
    T = _check_T(T)
    beta = check_scalar(beta, "beta", Real, min_val=0, max_val=1, include_min=False, include_max=False)
    return np.full(T, float(beta), dtype=np.float64)


def cosine_beta_schedule(T: int = 1000, s: float = 0.008, max_beta: float = 0.999) -> np.ndarray:
    r"""余弦调度（Nichol 与 Dhariwal，2021）：先规定 :math:`\bar\alpha_t=f(t)/f(0)`，
    :math:`f(t)=\cos^2\!\bigl(\frac{t/T+s}{1+s}\cdot\frac\pi2\bigr)`，
    再取 :math:`\beta_t=1-\bar\alpha_t/\bar\alpha_{t-1}`。

    小偏移 :math:`s` 使 :math:`\beta_1` 不至于太小；末端的 :math:`\beta_t` 截断到 ``max_beta``，
    以免 :math:`t=T` 时为 1。
    与线性调度相比，:math:`\bar\alpha_t` 在中段下降得更平缓，信息不会过早地被噪声淹没。
    """
    T = _check_T(T)
    s = check_scalar(s, "s", Real, min_val=0)
    max_beta = check_scalar(max_beta, "max_beta", Real, min_val=0, max_val=1, include_min=False, include_max=False)
    steps = np.arange(T + 1, dtype=np.float64) / T
    f = np.cos((steps + s) / (1 + s) * np.pi / 2) ** 2
    abar = f / f[0]
    return np.minimum(1.0 - abar[1:] / abar[:-1], max_beta)


def check_betas(betas, name: str = "betas") -> np.ndarray:
    """检查一个调度：一维、非空、每个 :math:`\\beta_t\\in(0,1)`。返回 float64 副本。"""
    betas = check_array(betas, name, ndim=1)
    if np.any(betas <= 0) or np.any(betas >= 1):
        raise ValueError(
            f"{name} must lie in the open interval (0, 1), got min {betas.min():.3g} and max {betas.max():.3g}"
        )
    return betas


def alpha_bar(betas) -> np.ndarray:
    r""":math:`\bar\alpha_t=\prod_{s=1}^t(1-\beta_s)`，:math:`t=1,\dots,T`（长度 :math:`T`）。

    在对数域里累加 :math:`\sum_s\log(1-\beta_s)` 再取指数：:math:`T` 很大时比连乘更准。
    """
    betas = check_betas(betas)
    return np.exp(np.cumsum(np.log1p(-betas)))
