r"""变分推断（“变分推断”一章）：证据下界、KL 的两个方向、平均场坐标上升（CAVI）。

* ``normal_mean_evidence`` / ``normal_mean_elbo``：已知方差的正态均值模型
  :math:`x_i\sim\mathcal N(\mu,\sigma^2)`、:math:`\mu\sim\mathcal N(\mu_0,\tau_0^2)` 的对数证据
  与高斯 :math:`q(\mu)` 的 ELBO（闭式）；
* ``fit_gaussian_to_density``：在网格上用一维高斯拟合一个密度，``direction="reverse"`` 最小化
  :math:`\mathrm{KL}(q\,\|\,p)`（ELBO 的方向，逼零、挑一个峰），
  ``"forward"`` 最小化 :math:`\mathrm{KL}(p\,\|\,q)`（矩匹配）；
* ``cavi_normal_gamma``：均值与精度都未知的正态模型（正态–伽马先验）上的平均场 CAVI，记录每一步的 ELBO；
* ``cavi_gmm``：方差为 1 的一维高斯混合（均值有正态先验、等权重）上的 CAVI。
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np
from scipy import optimize, special

from .utils import check_array, check_random_state, check_scalar

__all__ = [
    "normal_mean_evidence",
    "normal_mean_elbo",
    "fit_gaussian_to_density",
    "NormalGammaCAVI",
    "cavi_normal_gamma",
    "GMMCAVI",
    "cavi_gmm",
]

_LOG2PI = math.log(2 * math.pi)


def _check_data(x) -> np.ndarray:
    return check_array(x, "x", ndim=1)


def normal_mean_evidence(x, mu0: float, tau0: float, sigma: float) -> float:
    r"""对数证据 :math:`\log p(\mathbf x)`：
    :math:`\mathbf x\sim\mathcal N(\mu_0\mathbf 1,\ \sigma^2I+\tau_0^2\mathbf 1\mathbf 1^\top)`。"""
    x = _check_data(x)
    check_scalar(tau0, "tau0", Real, min_val=0, include_min=False)
    check_scalar(sigma, "sigma", Real, min_val=0, include_min=False)
    n = x.size
    r = x - mu0
    # 矩阵行列式引理与 Sherman–Morrison：|Σ| = σ^{2n}(1 + nτ²/σ²)，Σ⁻¹ = (I − c 11ᵀ)/σ²，c = τ²/(σ² + nτ²)
    c = tau0**2 / (sigma**2 + n * tau0**2)
    quad = (r @ r - c * r.sum() ** 2) / sigma**2
    logdet = 2 * n * math.log(sigma) + math.log1p(n * tau0**2 / sigma**2)
    return float(-0.5 * (n * _LOG2PI + logdet + quad))


def normal_mean_elbo(m: float, s: float, x, mu0: float, tau0: float, sigma: float) -> float:
    r"""高斯 :math:`q(\mu)=\mathcal N(m,s^2)` 的 ELBO：
    :math:`\mathbb E_q[\log p(\mathbf x\mid\mu)]+\mathbb E_q[\log p(\mu)]+H(q)`，每一项都是闭式。"""
    x = _check_data(x)
    check_scalar(m, "m", Real)
    check_scalar(s, "s", Real, min_val=0, include_min=False)
    check_scalar(tau0, "tau0", Real, min_val=0, include_min=False)
    check_scalar(sigma, "sigma", Real, min_val=0, include_min=False)
    n = x.size
    lik = -0.5 * n * (_LOG2PI + 2 * math.log(sigma)) - (np.sum((x - m) ** 2) + n * s**2) / (2 * sigma**2)
    prior = -0.5 * (_LOG2PI + 2 * math.log(tau0)) - ((m - mu0) ** 2 + s**2) / (2 * tau0**2)
    entropy = 0.5 * (_LOG2PI + 1) + math.log(s)
    return float(lik + prior + entropy)


def fit_gaussian_to_density(grid, density, direction: str = "reverse") -> tuple[float, float]:
    r"""在等距网格上用 :math:`\mathcal N(m,s^2)` 拟合密度 ``density``（不必归一化），返回 ``(m, s)``。

    ``"forward"``：最小化 :math:`\mathrm{KL}(p\,\|\,q)`，解是与 :math:`p` 同均值、同方差的高斯（矩匹配，闭式）；
    ``"reverse"``：最小化 :math:`\mathrm{KL}(q\,\|\,p)=\mathbb E_q[\log q-\log p]`，期望用网格上的求和，从网格上
    多个起点做数值优化，返回最好的一个。
    """
    grid = check_array(grid, "grid", ndim=1)
    density = check_array(density, "density", ndim=1)
    if grid.shape != density.shape or grid.size < 3:
        raise ValueError("grid and density must be 1-D arrays of the same length (at least 3)")
    if (density < 0).any() or density.sum() == 0:
        raise ValueError("density must be non-negative and not identically zero")
    dx = float(np.diff(grid).mean())
    p = density / (density.sum() * dx)
    if direction == "forward":
        m = float(np.sum(grid * p) * dx)
        return m, float(math.sqrt(np.sum((grid - m) ** 2 * p) * dx))
    if direction != "reverse":
        raise ValueError(f"direction must be 'reverse' or 'forward', got {direction!r}")
    logp = np.log(np.maximum(p, 1e-300))

    def reverse_kl(params):
        m, log_s = params
        q = np.exp(-0.5 * ((grid - m) / math.exp(log_s)) ** 2) / (math.exp(log_s) * math.sqrt(2 * math.pi))
        return float(np.sum(q * (np.log(np.maximum(q, 1e-300)) - logp)) * dx)

    starts = np.quantile(grid, np.linspace(0.1, 0.9, 9))
    width = math.log((grid[-1] - grid[0]) / 20)
    best = min((optimize.minimize(reverse_kl, [m0, width], method="Nelder-Mead") for m0 in starts), key=lambda r: r.fun)
    return float(best.x[0]), float(math.exp(best.x[1]))


# ---------------------------------------------------------------------------------------------
# 平均场 CAVI：正态–伽马模型
# ---------------------------------------------------------------------------------------------
@dataclass
class NormalGammaCAVI:
    r""":math:`q(\mu)=\mathcal N(m,1/\lambda)`，:math:`q(\tau)=\mathrm{Gamma}(a,b)`（率参数），
    以及每个半步之后的 ELBO。"""

    m: float
    lam: float
    a: float
    b: float
    elbo: list[float] = field(default_factory=list)


def _normal_gamma_elbo(x, mu0, lam0, a0, b0, m, lam, a, b) -> float:
    n = x.size
    e_tau, e_log_tau = a / b, special.digamma(a) - math.log(b)
    e_sq = np.sum((x - m) ** 2) + n / lam  # E_q Σ(x_i − μ)²
    lik = 0.5 * n * (e_log_tau - _LOG2PI) - 0.5 * e_tau * e_sq
    prior_mu = 0.5 * (math.log(lam0) + e_log_tau - _LOG2PI) - 0.5 * lam0 * e_tau * ((m - mu0) ** 2 + 1 / lam)
    prior_tau = a0 * math.log(b0) - special.gammaln(a0) + (a0 - 1) * e_log_tau - b0 * e_tau
    h_mu = 0.5 * (1 + _LOG2PI - math.log(lam))
    h_tau = a - math.log(b) + special.gammaln(a) + (1 - a) * special.digamma(a)
    return float(lik + prior_mu + prior_tau + h_mu + h_tau)


def cavi_normal_gamma(x, mu0=0.0, lam0=1.0, a0=1.0, b0=1.0, *, n_iter: int = 50, tau_init: float = 1.0):
    r"""模型 :math:`x_i\sim\mathcal N(\mu,\tau^{-1})`，:math:`\mu\mid\tau\sim\mathcal N(\mu_0,(\lambda_0\tau)^{-1})`，
    :math:`\tau\sim\mathrm{Gamma}(a_0,b_0)`，近似 :math:`q(\mu)q(\tau)`（Bishop《PRML》10.1.3 节）。交替更新

    .. math:: q(\mu)=\mathcal N\Bigl(\frac{\lambda_0\mu_0+n\bar x}{\lambda_0+n},\
              \frac1{(\lambda_0+n)\mathbb E[\tau]}\Bigr),\qquad
              q(\tau)=\mathrm{Gamma}\Bigl(a_0+\frac{n+1}2,\
              b_0+\frac12\mathbb E_\mu\Bigl[\sum_i(x_i-\mu)^2+\lambda_0(\mu-\mu_0)^2\Bigr]\Bigr),

    每个半步之后记录一次 ELBO（它应当单调不减）。
    """
    x = _check_data(x)
    for name, value in (("lam0", lam0), ("a0", a0), ("b0", b0), ("tau_init", tau_init)):
        check_scalar(value, name, Real, min_val=0, include_min=False)
    check_scalar(mu0, "mu0", Real)
    check_scalar(n_iter, "n_iter", Integral, min_val=1)
    n, xbar = x.size, float(x.mean())
    m = (lam0 * mu0 + n * xbar) / (lam0 + n)
    a = a0 + (n + 1) / 2
    e_tau = float(tau_init)
    lam, b = (lam0 + n) * e_tau, b0
    state = NormalGammaCAVI(m, lam, a, b)
    for _ in range(n_iter):
        state.lam = (lam0 + n) * e_tau  # 更新 q(μ)：均值不依赖 q(τ)
        state.elbo.append(_normal_gamma_elbo(x, mu0, lam0, a0, b0, m, state.lam, a, state.b))
        e_sq = np.sum((x - m) ** 2) + n / state.lam + lam0 * ((m - mu0) ** 2 + 1 / state.lam)
        state.b = b0 + 0.5 * float(e_sq)  # 更新 q(τ)
        e_tau = a / state.b
        state.elbo.append(_normal_gamma_elbo(x, mu0, lam0, a0, b0, m, state.lam, a, state.b))
    return state


# ---------------------------------------------------------------------------------------------
# 平均场 CAVI：一维高斯混合
# ---------------------------------------------------------------------------------------------
@dataclass
class GMMCAVI:
    r""":math:`q(\mu_k)=\mathcal N(m_k,s_k^2)`，:math:`q(c_i)=\mathrm{Cat}(\boldsymbol\phi_i)`，
    以及每一轮之后的 ELBO。"""

    m: np.ndarray
    s2: np.ndarray
    phi: np.ndarray
    elbo: list[float] = field(default_factory=list)


def _gmm_elbo(x, sigma0, m, s2, phi) -> float:
    K = m.size
    prior = np.sum(-0.5 * (_LOG2PI + 2 * math.log(sigma0)) - (m**2 + s2) / (2 * sigma0**2))
    assign = -x.size * math.log(K)
    lik = np.sum(phi * (-0.5 * _LOG2PI - 0.5 * ((x[:, None] - m) ** 2 + s2)))
    entropy = 0.5 * np.sum(np.log(2 * math.pi * math.e * s2)) - np.sum(special.xlogy(phi, phi))
    return float(prior + assign + lik + entropy)


def cavi_gmm(x, n_components: int, sigma0: float = 5.0, *, n_iter: int = 50, random_state=None) -> GMMCAVI:
    r"""贝叶斯高斯混合（Blei 等人 2017 的例子）：:math:`\mu_k\sim\mathcal N(0,\sigma_0^2)`，:math:`c_i\sim` 均匀，
    :math:`x_i\mid c_i,\boldsymbol\mu\sim\mathcal N(\mu_{c_i},1)`。CAVI 交替更新

    .. math:: \phi_{ik}\propto\exp\bigl(\mathbb E[\mu_k]x_i-\tfrac12\mathbb E[\mu_k^2]\bigr),\qquad
              s_k^2=\Bigl(\frac1{\sigma_0^2}+\sum_i\phi_{ik}\Bigr)^{-1},\quad m_k=s_k^2\sum_i\phi_{ik}x_i ,

    每一轮后记录 ELBO。初始的 :math:`m_k` 是随机选的 ``n_components`` 个数据点。
    """
    x = _check_data(x)
    check_scalar(n_components, "n_components", Integral, min_val=1, max_val=x.size)
    check_scalar(sigma0, "sigma0", Real, min_val=0, include_min=False)
    check_scalar(n_iter, "n_iter", Integral, min_val=1)
    rng = check_random_state(random_state)
    m = x[rng.choice(x.size, n_components, replace=False)].astype(float)
    s2 = np.ones(n_components)
    phi = np.full((x.size, n_components), 1 / n_components)
    state = GMMCAVI(m, s2, phi)
    for _ in range(n_iter):
        logits = np.outer(x, state.m) - 0.5 * (state.m**2 + state.s2)
        logits -= logits.max(axis=1, keepdims=True)
        phi = np.exp(logits)
        state.phi = phi / phi.sum(axis=1, keepdims=True)
        state.s2 = 1 / (1 / sigma0**2 + state.phi.sum(axis=0))
        state.m = state.s2 * (state.phi * x[:, None]).sum(axis=0)
        state.elbo.append(_gmm_elbo(x, sigma0, state.m, state.s2, state.phi))
    return state
