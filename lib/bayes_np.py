r"""非参数贝叶斯：狄利克雷过程（折棍构造、中国餐馆过程）与狄利克雷过程混合模型的塌缩 Gibbs 采样。

=============================  ==============================================================================
``stick_breaking``             :math:`V_k\sim\mathrm{Beta}(1,\alpha)`，:math:`\pi_k=V_k\prod_{j<k}(1-V_j)`（截断）
``dp_sample``                  :math:`G=\sum_k\pi_k\delta_{\theta_k}`，:math:`\theta_k\sim H`：返回 (权重, 原子)
``crp``                        中国餐馆过程：第 i 位顾客以 :math:`n_h/(\alpha+i-1)` 坐已有的桌 h，
                               以 :math:`\alpha/(\alpha+i-1)` 开新桌
``expected_num_clusters``      :math:`\mathbb E[K_n]=\sum_{i=1}^n\alpha/(\alpha+i-1)`
``dpmm_gibbs``                 各向同性高斯核、共轭高斯基分布的 DP 混合模型，塌缩 Gibbs（参数 :math:`\theta` 积分掉）
``coclustering``               样本两两被分在同一簇的后验频率
``dpmm_predictive_logpdf``     一次采样的划分下，新数据点的后验预测（对数）密度
=============================  ==============================================================================

塌缩 Gibbs（Neal 2000 的算法 3）：模型
:math:`\mathbf y_i\mid\boldsymbol\theta_{z_i}\sim\mathcal N(\boldsymbol\theta_{z_i},\sigma^2I)`，
:math:`\boldsymbol\theta_c\sim\mathcal N(\boldsymbol\mu_0,\tau_0^2I)`，划分 :math:`z\sim\mathrm{CRP}(\alpha)`。
逐个取出样本 i，

.. math:: P(z_i=c\mid z_{-i},Y)\propto n_c^{(-i)}\,\mathcal N(\mathbf y_i\mid\mathbf m_c,(\sigma^2+s_c^2)I),\qquad
          P(z_i=\text{新}\mid z_{-i},Y)\propto\alpha\,\mathcal N(\mathbf y_i\mid\boldsymbol\mu_0,(\sigma^2+\tau_0^2)I),

其中 :math:`s_c^{-2}=\tau_0^{-2}+n_c/\sigma^2`，
:math:`\mathbf m_c=s_c^2(\boldsymbol\mu_0/\tau_0^2+\sum_{j\in c}\mathbf y_j/\sigma^2)`
是簇 c（去掉样本 i 后）的参数后验。
随机源一律经过 ``lib.utils.check_random_state``；基分布的抽样沿用
``lib.sampling.draw`` 的采样器约定。
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np

from .sampling import draw
from .utils import check_array, check_random_state, check_scalar, check_size

__all__ = [
    "stick_breaking",
    "dp_sample",
    "crp",
    "expected_num_clusters",
    "DPMMTrace",
    "dpmm_gibbs",
    "coclustering",
    "dpmm_predictive_logpdf",
]


def _check_alpha(alpha) -> float:
    return float(check_scalar(alpha, "alpha", Real, min_val=0, include_min=False))


def stick_breaking(alpha: float, n_atoms: int, rng=None) -> np.ndarray:
    r"""折棍构造的前 ``n_atoms`` 个权重 :math:`\pi_k=V_k\prod_{j<k}(1-V_j)`，:math:`V_k\sim\mathrm{Beta}(1,\alpha)`。

    截断后权重之和小于 1，剩下的 :math:`\prod_{k\le K}(1-V_k)` 是还没折下的棍长。
    """
    alpha = _check_alpha(alpha)
    check_scalar(n_atoms, "n_atoms", Integral, min_val=1)
    V = check_random_state(rng).beta(1.0, alpha, size=n_atoms)
    remaining = np.concatenate([[1.0], np.cumprod(1.0 - V)[:-1]])
    return V * remaining


def dp_sample(alpha: float, base_sampler, n_atoms: int, rng=None) -> tuple[np.ndarray, np.ndarray]:
    r"""从 :math:`\mathrm{DP}(\alpha,H)` 抽一个（截断的）随机分布 :math:`G=\sum_k\pi_k\delta_{\theta_k}`：
    返回权重 :math:`\pi`（折棍）与原子 :math:`\theta_k\sim H`（``base_sampler`` 按 ``lib.sampling.draw`` 的约定）。"""
    rng = check_random_state(rng)
    weights = stick_breaking(alpha, n_atoms, rng)
    return weights, draw(base_sampler, n_atoms, rng)


def crp(n: int, alpha: float, rng=None) -> np.ndarray:
    r"""中国餐馆过程的一次模拟：返回 ``n`` 位顾客的桌号（按开桌顺序编号 0, 1, 2, …）。"""
    check_scalar(n, "n", Integral, min_val=1)
    alpha = _check_alpha(alpha)
    rng = check_random_state(rng)
    z = np.empty(n, dtype=np.int64)
    counts: list[int] = []
    u = rng.uniform(size=n)
    for i in range(n):  # 第 i+1 位顾客，前面已有 i 人
        # 已有的桌按人数 n_h、新桌按 alpha 分配概率，总和为 alpha + i
        thresholds = np.cumsum(counts + [alpha])
        h = int(np.searchsorted(thresholds, u[i] * (alpha + i), side="right"))
        h = min(h, len(counts))
        if h == len(counts):
            counts.append(1)
        else:
            counts[h] += 1
        z[i] = h
    return z


def expected_num_clusters(n, alpha: float):
    r""":math:`\mathbb E[K_n]=\sum_{i=1}^n\frac{\alpha}{\alpha+i-1}`：第 i 位顾客开新桌的概率之和。

    ``n`` 可以是整数数组。"""
    alpha = _check_alpha(alpha)
    n = np.asarray(n)
    if not np.issubdtype(n.dtype, np.integer) or np.any(n < 0):
        raise ValueError("n must be a non-negative integer (or an array of them)")
    m = int(n.max()) if n.size else 0
    cum = np.concatenate([[0.0], np.cumsum(alpha / (alpha + np.arange(m)))])
    out = cum[n]
    return float(out) if out.ndim == 0 else out


@dataclass
class DPMMTrace:
    """``dpmm_gibbs`` 的结果：每轮扫描后的划分 ``labels``（形状 (n_sweeps, n)，簇号按首次出现重排）
    与簇数 ``n_clusters``。"""

    labels: np.ndarray
    n_clusters: np.ndarray
    alpha: float
    sigma: float
    tau0: float
    mu0: np.ndarray


def _relabel(z: np.ndarray) -> np.ndarray:
    _, first = np.unique(z, return_index=True)
    order = np.argsort(first)
    mapping = np.empty(z.max() + 1, dtype=np.int64)
    mapping[np.unique(z)[order]] = np.arange(order.size)
    return mapping[z]


def _log_iso_normal(Y: np.ndarray, mean: np.ndarray, var) -> np.ndarray:
    """各向同性高斯的对数密度：Y (d,)，mean (K, d)，var (K,) → (K,)。"""
    d = Y.shape[-1]
    return -0.5 * (((Y - mean) ** 2).sum(-1) / var + d * np.log(2 * np.pi * var))


def dpmm_gibbs(
    X,
    *,
    alpha: float = 1.0,
    sigma: float = 1.0,
    tau0: float = 3.0,
    mu0=None,
    n_sweeps: int = 100,
    init: str = "one",
    prior_only: bool = False,
    rng=None,
) -> DPMMTrace:
    r"""DP 高斯混合的塌缩 Gibbs 采样：核 :math:`\mathcal N(\boldsymbol\theta,\sigma^2I)`，
    基分布 :math:`\mathcal N(\boldsymbol\mu_0,\tau_0^2I)`。

    ``init="one"`` 从所有点同一簇开始，``"all"`` 从每点一簇开始。``prior_only=True`` 时去掉似然（只剩 CRP 先验），
    用来检验采样器保持先验不变。``mu0`` 缺省为数据均值。
    """
    X = check_array(X, "X", ndim=2)
    alpha = _check_alpha(alpha)
    sigma = float(check_scalar(sigma, "sigma", Real, min_val=0, include_min=False))
    tau0 = float(check_scalar(tau0, "tau0", Real, min_val=0, include_min=False))
    check_size(n_sweeps, "n_sweeps")
    check_scalar(prior_only, "prior_only", bool)
    if not isinstance(init, str) or init not in ("one", "all"):
        raise ValueError(f"init must be 'one' or 'all', got {init!r}")
    n, d = X.shape
    mu0 = X.mean(0) if mu0 is None else check_array(mu0, "mu0", ndim=1)
    if mu0.shape[0] != d:
        raise ValueError(f"mu0 must have {d} entries (one per column of X), got {mu0.shape[0]}")
    rng = check_random_state(rng)
    s2, t2 = sigma**2, tau0**2

    z = np.zeros(n, dtype=np.int64) if init == "one" else np.arange(n)
    K = int(z.max()) + 1
    counts = np.bincount(z, minlength=K).astype(np.float64)
    sums = np.zeros((K, d))
    np.add.at(sums, z, X)
    labels = np.empty((n_sweeps, n), dtype=np.int64)
    n_clusters = np.empty(n_sweeps, dtype=np.int64)
    for sweep in range(n_sweeps):
        for i in rng.permutation(n):
            # 取出样本 i；它的簇空了就删掉
            c = z[i]
            counts[c] -= 1
            sums[c] -= X[i]
            if counts[c] == 0:
                last = counts.shape[0] - 1
                if c != last:  # 用最后一簇填上空位
                    counts[c], sums[c] = counts[last], sums[last]
                    z[z == last] = c
                counts, sums = counts[:last], sums[:last]
            # 已有簇：n_c 乘以后验预测密度；新簇：alpha 乘以先验预测密度
            post_var = 1.0 / (1.0 / t2 + counts / s2)
            post_mean = post_var[:, None] * (mu0 / t2 + sums / s2)
            if prior_only:
                loglik = np.zeros(counts.shape[0] + 1)
            else:
                loglik = np.concatenate(
                    [
                        _log_iso_normal(X[i], post_mean, s2 + post_var),
                        _log_iso_normal(X[i], mu0[None], np.array([s2 + t2])),
                    ]
                )
            logp = np.log(np.append(counts, alpha)) + loglik
            p = np.exp(logp - logp.max())
            c = int(np.searchsorted(np.cumsum(p), rng.uniform() * p.sum(), side="right"))
            c = min(c, counts.shape[0])
            if c == counts.shape[0]:
                counts = np.append(counts, 0.0)
                sums = np.vstack([sums, np.zeros((1, d))])
            z[i] = c
            counts[c] += 1
            sums[c] += X[i]
        labels[sweep] = _relabel(z)
        n_clusters[sweep] = counts.shape[0]
    return DPMMTrace(labels, n_clusters, alpha, sigma, tau0, mu0)


def coclustering(labels) -> np.ndarray:
    """``labels``（形状 (S, n) 的若干次划分）中样本 i、j 被分进同一簇的频率，(n, n) 矩阵。"""
    labels = check_array(labels, "labels", ndim=2, dtype=np.int64)
    M = np.zeros((labels.shape[1],) * 2)
    for z in labels:
        M += z[:, None] == z[None, :]
    return M / labels.shape[0]


def dpmm_predictive_logpdf(Y, X, labels, *, alpha: float, sigma: float, tau0: float, mu0) -> np.ndarray:
    r"""给定一次划分 ``labels``，新点 :math:`\mathbf y` 的后验预测密度（塌缩模型下精确）：

    .. math:: p(\mathbf y\mid z,X)=\sum_c\frac{n_c}{\alpha+n}\mathcal N(\mathbf y\mid\mathbf m_c,(\sigma^2+s_c^2)I)
              +\frac{\alpha}{\alpha+n}\mathcal N(\mathbf y\mid\boldsymbol\mu_0,(\sigma^2+\tau_0^2)I).
    """
    X = check_array(X, "X", ndim=2)
    Y = check_array(Y, "Y", ndim=2)
    labels = check_array(labels, "labels", ndim=1, dtype=np.int64)
    if labels.shape[0] != X.shape[0]:
        raise ValueError(f"labels must have one entry per row of X ({X.shape[0]}), got {labels.shape[0]}")
    if Y.shape[1] != X.shape[1]:
        raise ValueError(f"Y must have {X.shape[1]} columns like X, got {Y.shape[1]}")
    alpha = _check_alpha(alpha)
    mu0 = check_array(mu0, "mu0", ndim=1)
    counts = np.bincount(labels).astype(np.float64)
    keep = counts > 0
    sums = np.zeros((counts.shape[0], X.shape[1]))
    np.add.at(sums, labels, X)
    counts, sums = counts[keep], sums[keep]
    s2, t2 = sigma**2, tau0**2
    post_var = 1.0 / (1.0 / t2 + counts / s2)
    means = np.vstack([post_var[:, None] * (mu0 / t2 + sums / s2), mu0])
    var = np.append(s2 + post_var, s2 + t2)
    logw = np.log(np.append(counts, alpha) / (alpha + X.shape[0]))
    d = X.shape[1]
    sq = ((Y[:, None, :] - means[None]) ** 2).sum(-1)
    comp = -0.5 * (sq / var + d * np.log(2 * np.pi * var)) + logw
    m = comp.max(1, keepdims=True)
    return (m + np.log(np.exp(comp - m).sum(1, keepdims=True)))[:, 0]
