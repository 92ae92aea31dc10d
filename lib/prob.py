r"""概率分布、贝叶斯公式、估计与信息论（“概率、统计与信息论”与“概率视角”两章）。

“概率、统计与信息论”一章在这里建立全书的概率工具：

* 贝叶斯公式 :math:`p(h\mid e)\propto p(e\mid h)\,p(h)`，医学检测的例子（“贝叶斯公式”一节）；
* 最大似然 = 频率，加 :math:`k` 平滑，狄利克雷先验下的 MAP = 加 :math:`(\alpha-1)` 平滑
  （“最大似然、最大后验与平滑”一节）；
* 共轭先验：Beta–伯努利、狄利克雷–类别、正态–正态（方差已知），以及后验预测分布（“共轭先验与贝叶斯预测”一节）；
* 熵、交叉熵、KL 散度、JS 散度，高斯分布的熵 / KL / 2-Wasserstein 距离，一维的 Wasserstein 距离
  （“熵、交叉熵、KL 散度与 Wasserstein 距离”一节）。

“概率视角”一章的主线是：回归与分类都是在给条件分布 :math:`p(y\mid\mathbf x)` 建模，再最大化对数似然——

* 高斯 :math:`\mathcal N(y;\mathbf x\mathbf w,\sigma^2)` → 负对数似然是平方误差（除以 :math:`2\sigma^2`）加常数
  → 线性回归（线性回归一章、“高斯似然与最小二乘”一节）；
* 伯努利 :math:`\pi=\sigma(\mathbf x\mathbf w)` → 二分类交叉熵 → 逻辑回归（“逻辑回归”“伯努利、类别分布与交叉熵”两节）；
* 类别 :math:`\boldsymbol\pi=\mathrm{softmax}(\mathbf xW)` → 多分类交叉熵 → Softmax 回归
  （“Softmax 回归与多分类”“伯努利、类别分布与交叉熵”两节）。

再加上参数的先验，最大后验（MAP）估计就是带正则项的最小化：高斯先验 ⇒ 岭回归 / L2 惩罚
（“最大后验与正则化”一节）。
蒙特卡洛估计与重要性采样（“蒙特卡洛估计与重要性采样”一节）在 :mod:`lib.sampling`。

表中括号里是用到它的节（节的标题）：贝叶斯 =“贝叶斯公式”，平滑 =“最大似然、最大后验与平滑”，
共轭 =“共轭先验与贝叶斯预测”，信息论 =“熵、交叉熵、KL 散度与 Wasserstein 距离”，高斯似然 =“高斯似然与最小二乘”，
类别分布 =“伯努利、类别分布与交叉熵”，MAP =“最大后验与正则化”。

=================================  ==============================================================
函数                                 作用
=================================  ==============================================================
``bayes_rule``                       离散的贝叶斯公式：后验与证据 :math:`p(e)=\sum_hp(e\mid h)p(h)`（贝叶斯）
``diagnostic_posterior``             检测阳性（或阴性）时患病的概率，由患病率、灵敏度、特异度算出（贝叶斯）
``additive_smoothing``               加 :math:`\alpha` 平滑 :math:`(n_k+\alpha)/(N+K\alpha)`（平滑）
``dirichlet_map``                    狄利克雷先验下类别分布的 MAP :math:`(n_k+\alpha_k-1)/(N+\sum\alpha-K)`（平滑）
``grid_posterior``                   在一维网格上把先验 × 似然归一化成后验密度（平滑、共轭的数值核对）
``beta_bernoulli_posterior``         Beta(a, b) 先验 + 伯努利观测 → Beta(a + k, b + n − k)（共轭）
``dirichlet_categorical_posterior``  Dirichlet(α) 先验 + 类别计数 → Dirichlet(α + n)（共轭）
``normal_known_var_posterior``       正态先验 + 方差已知的正态观测 → 正态后验（共轭）
``beta_binomial_pmf``                Beta 后验下未来 m 次试验中成功次数的预测分布（共轭）
``normal_known_var_predictive``      正态–正态模型的后验预测分布 :math:`\mathcal N(\mu_n,\sigma_n^2+\sigma^2)`（共轭）
``gaussian_logpdf``                  一元高斯的对数密度 :math:`\log\mathcal N(z;\mu,\sigma^2)`（逐元素）
``mvn_logpdf``                       多元高斯的对数密度（Cholesky 分解，不求逆、不求行列式）
``bernoulli_logpmf``                 :math:`z\log\pi+(1-z)\log(1-\pi)`
``categorical_logpmf``               :math:`\sum_kz_k\log\pi_k`（独热或整数标签）
``entropy/cross_entropy/``           离散分布的熵、交叉熵、KL 散度：:math:`H(p,q)=H(p)+\mathrm{KL}(p\Vert q)`
``kl_divergence``                    （信息论、类别分布）
``js_divergence``                    JS 散度：到中点 :math:`m=\frac{p+q}2` 的两个 KL 散度的平均（信息论）
``gaussian_entropy``                 多元高斯的（微分）熵 :math:`\frac12\log\bigl((2\pi e)^d|\Sigma|\bigr)`（信息论）
``gaussian_kl``                      两个多元高斯之间的 KL 散度（信息论）
``gaussian_w2``                      两个多元高斯之间的 2-Wasserstein 距离（信息论）
``wasserstein_1d``                   一维经验分布（可带权重）之间的 1-Wasserstein 距离 :math:`\int|F-G|`（信息论）
``gaussian_loglik_regression``       线性–高斯模型的对数似然（高斯似然）
``gaussian_mle_regression``          最大似然估计：w = 最小二乘解，σ² = 平均残差平方（高斯似然）
``bernoulli_mle/categorical_mle``    伯努利、类别分布的最大似然估计：样本频率（平滑、类别分布）
``map_linear_gaussian``              高斯先验下的 MAP = 岭回归，:math:`\alpha=\sigma^2/\tau^2`（MAP）
``linear_gaussian_posterior``        线性–高斯模型的后验 :math:`\mathcal N(\mathbf m,S)`（MAP）
``beta_bernoulli_map``               硬币的 MAP：Beta 先验的众数公式（平滑、MAP）
=================================  ==============================================================

约定：对数都取自然对数（单位 nat）；:math:`0\log0=0`（用 ``scipy.special.xlogy`` 计算）。
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from scipy.special import rel_entr, xlogy

from .linear.regression import _check_Xyw, min_norm_solution, ridge_solution
from .utils import check_array, check_scalar, check_X_y

__all__ = [
    "bayes_rule",
    "diagnostic_posterior",
    "additive_smoothing",
    "dirichlet_map",
    "grid_posterior",
    "beta_bernoulli_posterior",
    "dirichlet_categorical_posterior",
    "normal_known_var_posterior",
    "beta_binomial_pmf",
    "normal_known_var_predictive",
    "js_divergence",
    "gaussian_entropy",
    "gaussian_kl",
    "gaussian_w2",
    "wasserstein_1d",
    "gaussian_logpdf",
    "mvn_logpdf",
    "bernoulli_logpmf",
    "categorical_logpmf",
    "entropy",
    "cross_entropy",
    "kl_divergence",
    "gaussian_loglik_regression",
    "gaussian_mle_regression",
    "bernoulli_mle",
    "categorical_mle",
    "map_linear_gaussian",
    "linear_gaussian_posterior",
    "beta_bernoulli_map",
]

LOG_2PI = float(np.log(2.0 * np.pi))


# ---------------------------------------------------------------------------------------------
# 高斯分布
# ---------------------------------------------------------------------------------------------
def gaussian_logpdf(z, mean=0.0, var=1.0) -> np.ndarray:
    r"""一元高斯的对数密度（逐元素，可广播）：

    .. math:: \log\mathcal N(z;\mu,\sigma^2)=-\tfrac12\log(2\pi\sigma^2)-\frac{(z-\mu)^2}{2\sigma^2} .

    注意第三个参数是 **方差** :math:`\sigma^2`，不是标准差。
    """
    z = check_array(z, "z", ndim=None)
    mean = check_array(mean, "mean", ndim=None)
    var = check_array(var, "var", ndim=None)
    if np.any(var <= 0):
        raise ValueError(f"var must be > 0 (a variance, not a standard deviation), got min {var.min()}")
    return -0.5 * (LOG_2PI + np.log(var)) - 0.5 * (z - mean) ** 2 / var


def mvn_logpdf(Z, mean, cov) -> np.ndarray:
    r""":math:`D` 元高斯的对数密度

    .. math:: \log\mathcal N(\mathbf z;\boldsymbol\mu,\Sigma)=-\tfrac D2\log2\pi-\tfrac12\log|\Sigma|
              -\tfrac12(\mathbf z-\boldsymbol\mu)^\top\Sigma^{-1}(\mathbf z-\boldsymbol\mu),

    :math:`\Sigma` 是 **协方差矩阵**（对称正定）。用 Cholesky 分解 :math:`\Sigma=LL^\top` 计算：
    :math:`\log|\Sigma|=2\sum_j\log L_{jj}`，马氏距离的平方是 :math:`\lVert L^{-1}(\mathbf z-\boldsymbol\mu)\rVert^2`。
    ``Z`` 可以是一个点（形状 ``(D,)``）或按行排列的 ``(n, D)`` 个点。
    """
    mean = check_array(mean, "mean", ndim=1)
    D = mean.shape[0]
    cov = check_array(cov, "cov", ndim=2)
    if cov.shape != (D, D):
        raise ValueError(f"cov must have shape {(D, D)} to match mean, got {cov.shape}")
    if not np.allclose(cov, cov.T, rtol=1e-10, atol=1e-12):
        raise ValueError("cov must be symmetric")
    try:
        L = np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        raise ValueError("cov must be positive definite (Cholesky factorisation failed)") from None
    Z = check_array(Z, "Z", ndim=(1, 2))
    single = Z.ndim == 1
    Z = np.atleast_2d(Z)
    if Z.shape[1] != D:
        raise ValueError(f"Z must have {D} columns to match mean, got shape {Z.shape}")
    from scipy.linalg import solve_triangular

    U = solve_triangular(L, (Z - mean).T, lower=True)  # columns: L^{-1}(z - mu)
    out = -0.5 * D * LOG_2PI - np.sum(np.log(np.diag(L))) - 0.5 * np.sum(U**2, axis=0)
    return out[0] if single else out


# ---------------------------------------------------------------------------------------------
# 伯努利与类别分布
# ---------------------------------------------------------------------------------------------
def _check_binary(z, name: str) -> np.ndarray:
    z = check_array(z, name, ndim=None)
    if not np.all((z == 0) | (z == 1)):
        raise ValueError(f"{name} must hold 0/1 outcomes, got values {np.unique(z)[:5].tolist()}")
    return z


def _check_probability(p, name: str) -> np.ndarray:
    p = check_array(p, name, ndim=None)
    if np.any((p < 0) | (p > 1)):
        raise ValueError(f"{name} must be a probability in [0, 1], got values in [{p.min()}, {p.max()}]")
    return p


def bernoulli_logpmf(z, p) -> np.ndarray:
    r"""伯努利分布 :math:`p(z)=\pi^z(1-\pi)^{1-z}` 的对数：:math:`z\log\pi+(1-z)\log(1-\pi)`，逐元素、可广播。

    伯努利分布就是 :math:`n=1` 的二项分布；它是 :math:`\{0,1\}` 上的离散分布，不是高斯分布的特例
    （“伯努利、类别分布与交叉熵”一节的勘误）。
    """
    z = _check_binary(z, "z")
    p = _check_probability(p, "p")
    return xlogy(z, p) + xlogy(1.0 - z, 1.0 - p)


def _as_one_hot(z, K: int, name: str) -> np.ndarray:
    z = check_array(z, name, ndim=(1, 2), dtype=None)
    if z.ndim == 1:
        if not (np.issubdtype(z.dtype, np.integer) or np.all(z == np.round(z))):
            raise TypeError(f"{name} must hold integer labels 0..K-1 or one-hot rows, got dtype {z.dtype}")
        z = z.astype(np.int64)
        if z.min() < 0 or z.max() >= K:
            raise ValueError(f"{name} must hold labels in 0..{K - 1}, got values in [{z.min()}, {z.max()}]")
        Z = np.zeros((z.shape[0], K))
        Z[np.arange(z.shape[0]), z] = 1.0
        return Z
    Z = z.astype(float)
    if Z.shape[1] != K:
        raise ValueError(f"{name} must have {K} columns, got shape {Z.shape}")
    if np.any(Z < 0) or not np.allclose(Z.sum(axis=1), 1.0):
        raise ValueError(f"each row of {name} must be one-hot (or a probability vector)")
    return Z


def _check_distribution(p, name: str) -> np.ndarray:
    p = check_array(p, name, ndim=(1, 2))
    if np.any(p < 0):
        raise ValueError(f"{name} must be non-negative, got min {p.min()}")
    sums = p.sum(axis=-1)
    if not np.allclose(sums, 1.0, rtol=0, atol=1e-8):
        raise ValueError(f"{name} must sum to 1 along the last axis, got sums in [{sums.min()}, {sums.max()}]")
    return p


def categorical_logpmf(z, P) -> np.ndarray:
    r"""类别分布 :math:`p(\mathbf z)=\prod_k\pi_k^{z_k}`（:math:`\mathbf z` 独热）的对数 :math:`\sum_kz_k\log\pi_k`。

    ``P`` 是一个概率向量 ``(K,)``（所有样本共用）或每个样本一行 ``(n, K)``；``z`` 是整数标签 ``(n,)`` 或独热矩阵
    ``(n, K)``。返回每个样本的对数概率，形状 ``(n,)``。
    """
    P = _check_distribution(P, "P")
    K = P.shape[-1]
    Z = _as_one_hot(z, K, "z")
    if P.ndim == 2 and P.shape[0] != Z.shape[0]:
        raise ValueError(f"P must have one row per sample ({Z.shape[0]}), got shape {P.shape}")
    return np.sum(xlogy(Z, np.broadcast_to(P, Z.shape)), axis=1)


def entropy(p) -> np.ndarray:
    r"""离散分布的熵 :math:`H(p)=-\sum_kp_k\log p_k`（nat）。``p`` 形状 ``(K,)`` 或每行一个分布 ``(n, K)``。"""
    p = _check_distribution(p, "p")
    return 0.0 - np.sum(xlogy(p, p), axis=-1)  # 0.0 - x, not -x: the entropy of a one-hot p is 0.0, not -0.0


def cross_entropy(p, q) -> np.ndarray:
    r"""交叉熵 :math:`H(p,q)=-\sum_kp_k\log q_k`。

    :math:`H(p,q)=H(p)+\mathrm{KL}(p\Vert q)\ge H(p)`：固定 :math:`p` 时它在 :math:`q=p` 处取最小值 :math:`H(p)`，
    只有当 :math:`p` 是独热向量时这个最小值才是 0（“伯努利、类别分布与交叉熵”一节的勘误）。
    :math:`p_k>0` 而 :math:`q_k=0` 时为 :math:`+\infty`。
    """
    p = _check_distribution(p, "p")
    q = _check_distribution(q, "q")
    if p.shape[-1] != q.shape[-1]:
        raise ValueError(f"p and q must have the same number of outcomes, got {p.shape[-1]} and {q.shape[-1]}")
    with np.errstate(divide="ignore"):
        return 0.0 - np.sum(xlogy(p, q), axis=-1)


def kl_divergence(p, q) -> np.ndarray:
    r"""KL 散度 :math:`\mathrm{KL}(p\Vert q)=\sum_kp_k\log\frac{p_k}{q_k}\ge0`，
    等号当且仅当 :math:`p=q`（吉布斯不等式）。

    不对称：一般 :math:`\mathrm{KL}(p\Vert q)\ne\mathrm{KL}(q\Vert p)`。用 ``scipy.special.rel_entr`` 逐项计算。
    """
    p = _check_distribution(p, "p")
    q = _check_distribution(q, "q")
    if p.shape[-1] != q.shape[-1]:
        raise ValueError(f"p and q must have the same number of outcomes, got {p.shape[-1]} and {q.shape[-1]}")
    return np.sum(rel_entr(p, q), axis=-1)


def js_divergence(p, q) -> np.ndarray:
    r"""Jensen–Shannon 散度 :math:`\mathrm{JS}(p,q)=\frac12\mathrm{KL}(p\Vert m)+\frac12\mathrm{KL}(q\Vert m)`，
    :math:`m=\frac12(p+q)`（“熵、交叉熵、KL 散度与 Wasserstein 距离”一节）。

    对称、有界：:math:`0\le\mathrm{JS}\le\log2`，上界在 :math:`p,q` 的支撑集不相交时取到——此时它不再随两个分布的
    “距离”变化，这是它作为训练信号的缺点（同一节里与 Wasserstein 距离的对比）。等于
    ``scipy.spatial.distance.jensenshannon(p, q) ** 2``（SciPy 返回的是它的平方根）。
    """
    p = _check_distribution(p, "p")
    q = _check_distribution(q, "q")
    if p.shape[-1] != q.shape[-1]:
        raise ValueError(f"p and q must have the same number of outcomes, got {p.shape[-1]} and {q.shape[-1]}")
    m = 0.5 * (p + q)
    # 最小的次正规数除以 2 会下溢成 0，此时 p·log(p/m) 应为 p·log 2（而不是 inf）
    with np.errstate(divide="ignore"):
        kl_p = np.where(m > 0, rel_entr(p, m), p * np.log(2.0))
        kl_q = np.where(m > 0, rel_entr(q, m), q * np.log(2.0))
    return 0.5 * np.sum(kl_p, axis=-1) + 0.5 * np.sum(kl_q, axis=-1)


# ---------------------------------------------------------------------------------------------
# 高斯分布的熵、KL 散度与 2-Wasserstein 距离（“熵、交叉熵、KL 散度与 Wasserstein 距离”一节）
# ---------------------------------------------------------------------------------------------
def _check_gaussian(mean, cov, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """检查一个 d 元高斯的参数，返回 ``(mean, cov, L)``，``L`` 是 ``cov`` 的 Cholesky 因子。"""
    mean = check_array(mean, f"mean{name}", ndim=1)
    d = mean.shape[0]
    cov = check_array(cov, f"cov{name}", ndim=2)
    if cov.shape != (d, d):
        raise ValueError(f"cov{name} must have shape {(d, d)} to match mean{name}, got {cov.shape}")
    if not np.allclose(cov, cov.T, rtol=1e-10, atol=1e-12):
        raise ValueError(f"cov{name} must be symmetric")
    try:
        L = np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        raise ValueError(f"cov{name} must be positive definite (Cholesky factorisation failed)") from None
    return mean, cov, L


def gaussian_entropy(cov) -> float:
    r""":math:`d` 元高斯 :math:`\mathcal N(\boldsymbol\mu,\Sigma)` 的（微分）熵，单位 nat：

    .. math:: H=\frac12\log\bigl((2\pi e)^d|\Sigma|\bigr)=\frac d2(1+\log2\pi)+\frac12\log|\Sigma| .

    与均值无关。微分熵可以是负数（:math:`|\Sigma|` 很小时），这一点与离散分布的熵不同。
    """
    cov = check_array(cov, "cov", ndim=2)
    _, _, L = _check_gaussian(np.zeros(cov.shape[0]), cov, "")
    d = cov.shape[0]
    return float(0.5 * d * (1.0 + LOG_2PI) + np.sum(np.log(np.diag(L))))


def gaussian_kl(mean1, cov1, mean2, cov2) -> float:
    r"""两个 :math:`d` 元高斯之间的 KL 散度 :math:`\mathrm{KL}\bigl(\mathcal N(\boldsymbol\mu_1,\Sigma_1)\,\Vert\,
    \mathcal N(\boldsymbol\mu_2,\Sigma_2)\bigr)`：

    .. math:: \frac12\Bigl[(\boldsymbol\mu_2-\boldsymbol\mu_1)^\top\Sigma_2^{-1}(\boldsymbol\mu_2-\boldsymbol\mu_1)
              +\operatorname{tr}(\Sigma_2^{-1}\Sigma_1)+\log\frac{|\Sigma_2|}{|\Sigma_1|}-d\Bigr].

    马氏距离项 **不除以** :math:`d`，最后 **减去** :math:`d`（“熵、交叉熵、KL 散度与 Wasserstein 距离”一节的勘误）。
    用 :math:`\Sigma_2` 的 Cholesky 因子计算，不显式求逆。
    """
    mean1, cov1, L1 = _check_gaussian(mean1, cov1, "1")
    mean2, cov2, L2 = _check_gaussian(mean2, cov2, "2")
    if mean1.shape != mean2.shape:
        raise ValueError(f"the two Gaussians must have the same dimension, got {mean1.shape[0]} and {mean2.shape[0]}")
    from scipy.linalg import solve_triangular

    d = mean1.shape[0]
    diff = solve_triangular(L2, mean2 - mean1, lower=True)  # L2^{-1}(mu2 - mu1)
    A = solve_triangular(L2, L1, lower=True)  # L2^{-1} L1: tr(S2^{-1} S1) = ||A||_F^2
    logdet_ratio = 2.0 * (np.sum(np.log(np.diag(L2))) - np.sum(np.log(np.diag(L1))))
    return float(0.5 * (diff @ diff + np.sum(A**2) + logdet_ratio - d))


def _sqrtm_psd(S: np.ndarray) -> np.ndarray:
    """对称半正定矩阵的平方根（特征分解；舍入误差造成的负特征值截为 0）。"""
    w, V = np.linalg.eigh(0.5 * (S + S.T))
    return (V * np.sqrt(np.clip(w, 0.0, None))) @ V.T


def gaussian_w2(mean1, cov1, mean2, cov2) -> float:
    r"""两个 :math:`d` 元高斯之间的 2-Wasserstein 距离 :math:`W_2`（不是平方）：

    .. math:: W_2^2=\lVert\boldsymbol\mu_1-\boldsymbol\mu_2\rVert^2
              +\operatorname{tr}\Bigl(\Sigma_1+\Sigma_2-2\bigl(\Sigma_1^{1/2}\Sigma_2\Sigma_1^{1/2}\bigr)^{1/2}\Bigr).

    两个协方差矩阵可交换（例如都是对角阵）时，迹项化为 :math:`\lVert\Sigma_1^{1/2}-\Sigma_2^{1/2}\rVert_F^2`。
    用对称矩阵的特征分解计算，结果总是实数。它的平方就是 FID 所用的 Fréchet 距离（扩散模型一章的
    ``lib.diffusion.frechet_distance``）。协方差只需半正定（允许退化的高斯，例如点质量）。
    """
    mean1 = check_array(mean1, "mean1", ndim=1)
    mean2 = check_array(mean2, "mean2", ndim=1)
    d = mean1.shape[0]
    cov1 = check_array(cov1, "cov1", ndim=2)
    cov2 = check_array(cov2, "cov2", ndim=2)
    if mean2.shape != (d,) or cov1.shape != (d, d) or cov2.shape != (d, d):
        raise ValueError(
            f"mean1, mean2 must have shape (d,) and cov1, cov2 shape (d, d) with the same d, got "
            f"{mean1.shape}, {mean2.shape}, {cov1.shape}, {cov2.shape}"
        )
    for name, S in (("cov1", cov1), ("cov2", cov2)):
        if not np.allclose(S, S.T, rtol=1e-10, atol=1e-12):
            raise ValueError(f"{name} must be symmetric")
        if np.linalg.eigvalsh(S).min() < -1e-10 * max(1.0, np.abs(S).max()):
            raise ValueError(f"{name} must be positive semi-definite")
    s1 = _sqrtm_psd(cov1)
    cross = np.linalg.eigvalsh(s1 @ cov2 @ s1)
    w2_sq = (
        np.sum((mean1 - mean2) ** 2) + np.trace(cov1) + np.trace(cov2) - 2.0 * np.sum(np.sqrt(np.clip(cross, 0, None)))
    )
    return float(np.sqrt(max(w2_sq, 0.0)))


# ---------------------------------------------------------------------------------------------
# 一维的 Wasserstein 距离（“熵、交叉熵、KL 散度与 Wasserstein 距离”一节；
# 生成对抗网络一章的 WGAN 用它的对偶形式）
# ---------------------------------------------------------------------------------------------
def _check_sample(values, weights, name: str) -> tuple[np.ndarray, np.ndarray]:
    values = check_array(values, f"{name}_values", ndim=1)
    if weights is None:
        return values, np.full(values.shape[0], 1.0 / values.shape[0])
    weights = check_array(weights, f"{name}_weights", ndim=1)
    if weights.shape != values.shape:
        raise ValueError(
            f"{name}_weights must have one weight per value ({values.shape[0]}), got shape {weights.shape}"
        )
    if np.any(weights < 0):
        raise ValueError(f"{name}_weights must be non-negative, got min {weights.min()}")
    total = weights.sum()
    if total <= 0:
        raise ValueError(f"{name}_weights must have a positive sum, got {total}")
    return values, weights / total


def wasserstein_1d(u_values, v_values, u_weights=None, v_weights=None) -> float:
    r"""两个一维（加权）经验分布之间的 1-Wasserstein 距离（“推土机距离”）：

    .. math:: W_1(u,v)=\inf_{\gamma\in\Pi(u,v)}\mathbb E_{(x,y)\sim\gamma}|x-y|
              =\int_{-\infty}^{\infty}|F_u(t)-F_v(t)|\,\mathrm dt ,

    :math:`F_u,F_v` 是两个分布的累积分布函数。第二个等号只在一维成立：把所有样本点合在一起排序，两个 CDF 都是阶梯函数，
    积分就是相邻两点之间 :math:`|F_u-F_v|\times` 间距之和。权重缺省时每个样本等权；给定时必须非负、和为正
    （自动归一化）。
    参数与结果都与 ``scipy.stats.wasserstein_distance`` 相同。
    """
    u_values, u_weights = _check_sample(u_values, u_weights, "u")
    v_values, v_weights = _check_sample(v_values, v_weights, "v")
    points = np.concatenate([u_values, v_values])
    order = np.argsort(points, kind="mergesort")
    points = points[order]
    # 每个样本点对自己那一方的 CDF 贡献它的权重，对另一方贡献 0
    du = np.concatenate([u_weights, np.zeros_like(v_weights)])[order]
    dv = np.concatenate([np.zeros_like(u_weights), v_weights])[order]
    F_u, F_v = np.cumsum(du)[:-1], np.cumsum(dv)[:-1]  # 在相邻两点之间的区间上的 CDF 值
    return float(np.sum(np.abs(F_u - F_v) * np.diff(points)))


# ---------------------------------------------------------------------------------------------
# 线性–高斯模型：最大似然与最大后验
# ---------------------------------------------------------------------------------------------
def gaussian_loglik_regression(X, y, w, var) -> float:
    r"""线性–高斯模型 :math:`p(y\mid\mathbf x;\mathbf w)=\mathcal N(y;\mathbf x\mathbf w,\sigma^2)` 下
    :math:`n` 个独立样本的对数似然

    .. math:: \ell(\mathbf w,\sigma^2)=\sum_i\log\mathcal N(y_i;\mathbf x^{(i)}\mathbf w,\sigma^2)
              =-\frac n2\log(2\pi\sigma^2)-\frac1{2\sigma^2}\lVert\mathbf y-X\mathbf w\rVert^2 .
    """
    X, y, w = _check_Xyw(X, y, w)
    var = check_scalar(var, "var", Real, min_val=0, include_min=False)
    return float(np.sum(gaussian_logpdf(y, X @ w, var)))


def gaussian_mle_regression(X, y) -> tuple[np.ndarray, float]:
    r"""线性–高斯模型的最大似然估计（“高斯似然与最小二乘”一节）：

    .. math:: \mathbf w_{\rm MLE}=\arg\min_{\mathbf w}\lVert\mathbf y-X\mathbf w\rVert^2\ (\text{最小二乘}),\qquad
              \sigma^2_{\rm MLE}=\frac1n\lVert\mathbf y-X\mathbf w_{\rm MLE}\rVert^2\ (\text{平均残差平方}).

    :math:`\mathbf w` 由 :func:`lib.linear.min_norm_solution` 计算（列相关时取最小范数解）。返回 ``(w, var)``。
    """
    X, y = check_X_y(X, y)
    w = min_norm_solution(X, y)
    r = y - X @ w
    return w, float(r @ r / X.shape[0])


def bernoulli_mle(z) -> float:
    r"""伯努利分布的最大似然估计 :math:`\hat\pi=\frac1n\sum_iz_i`（1 出现的频率）。"""
    z = _check_binary(check_array(z, "z", ndim=1), "z")
    return float(z.mean())


def categorical_mle(z, n_classes: int) -> np.ndarray:
    r"""类别分布的最大似然估计 :math:`\hat\pi_k=n_k/n`（各类出现的频率，拉格朗日乘子法推出，
    见“伯努利、类别分布与交叉熵”一节）。"""
    n_classes = check_scalar(n_classes, "n_classes", Integral, min_val=1)
    Z = _as_one_hot(z, n_classes, "z")
    return Z.mean(axis=0)


def _check_vars(noise_var, prior_var) -> tuple[float, float]:
    noise_var = check_scalar(noise_var, "noise_var", Real, min_val=0, include_min=False)
    prior_var = check_scalar(prior_var, "prior_var", Real, min_val=0, include_min=False)
    return float(noise_var), float(prior_var)


def map_linear_gaussian(X, y, *, noise_var: float, prior_var: float, penalize=None) -> np.ndarray:
    r"""高斯似然 :math:`\mathcal N(y;\mathbf x\mathbf w,\sigma^2)` 加高斯先验 :math:`w_j\sim\mathcal N(0,\tau^2)`
    的最大后验估计：

    .. math:: \mathbf w_{\rm MAP}=\arg\min_{\mathbf w}\ \frac1{2\sigma^2}\lVert\mathbf y-X\mathbf w\rVert^2
              +\frac1{2\tau^2}\lVert\mathbf w\rVert^2
              =(X^\top X+\alpha I)^{-1}X^\top\mathbf y,\qquad \alpha=\frac{\sigma^2}{\tau^2},

    也就是岭回归（“最大后验与正则化”一节）。``penalize`` 同 :func:`lib.linear.ridge_solution`：
    某个系数取 0 表示该参数用“平坦”先验（:math:`\tau^2\to\infty`），截距通常这样处理。
    """
    noise_var, prior_var = _check_vars(noise_var, prior_var)
    return ridge_solution(X, y, noise_var / prior_var, penalize=penalize)


def linear_gaussian_posterior(X, y, *, noise_var: float, prior_var: float) -> tuple[np.ndarray, np.ndarray]:
    r"""先验 :math:`\mathcal N(\mathbf 0,\tau^2I)`、似然 :math:`\mathcal N(\mathbf y;X\mathbf w,\sigma^2I)` 时，
    后验是高斯分布 :math:`\mathcal N(\mathbf m,S)`：

    .. math:: S=\Bigl(\frac{X^\top X}{\sigma^2}+\frac I{\tau^2}\Bigr)^{-1},\qquad
              \mathbf m=\frac1{\sigma^2}SX^\top\mathbf y .

    高斯分布的众数就是均值，所以 :math:`\mathbf m=\mathbf w_{\rm MAP}`（:func:`map_linear_gaussian`）。返回 ``(m, S)``。
    """
    X, y = check_X_y(X, y)
    noise_var, prior_var = _check_vars(noise_var, prior_var)
    precision = X.T @ X / noise_var + np.eye(X.shape[1]) / prior_var
    S = np.linalg.inv(precision)
    S = 0.5 * (S + S.T)
    return S @ X.T @ y / noise_var, S


def beta_bernoulli_map(k: int, n: int, a: float, b: float) -> float:
    r"""掷 :math:`n` 次硬币、正面 :math:`k` 次，先验 :math:`\pi\sim\mathrm{Beta}(a,b)` 时 :math:`\pi` 的最大后验估计

    .. math:: \hat\pi_{\rm MAP}=\frac{k+a-1}{n+a+b-2}\qquad(a,b\ge1) ,

    即后验 :math:`\mathrm{Beta}(a+k,\,b+n-k)` 的众数。:math:`a=b=1`（均匀先验）时退化为最大似然估计 :math:`k/n`。
    """
    n = check_scalar(n, "n", Integral, min_val=0)
    k = check_scalar(k, "k", Integral, min_val=0)
    if k > n:
        raise ValueError(f"k must be <= {n} (n, the number of trials), got {k}")
    a = check_scalar(a, "a", Real, min_val=1)
    b = check_scalar(b, "b", Real, min_val=1)
    if n + a + b - 2 == 0:
        raise ValueError("the posterior Beta(1, 1) is uniform (n = 0, a = b = 1): the MAP estimate is not unique")
    return float((k + a - 1) / (n + a + b - 2))


# ---------------------------------------------------------------------------------------------
# 贝叶斯公式（“贝叶斯公式”一节）
# ---------------------------------------------------------------------------------------------
def bayes_rule(prior, likelihood) -> tuple[np.ndarray, float]:
    r"""离散形式的贝叶斯公式。``prior[k]`` 是假设 :math:`h_k` 的先验概率（非负、和为 1），``likelihood[k]`` 是
    :math:`p(e\mid h_k)`（非负；可以是密度值，不必和为 1）。返回 ``(posterior, evidence)``：

    .. math:: p(h_k\mid e)=\frac{p(e\mid h_k)\,p(h_k)}{p(e)},\qquad p(e)=\sum_jp(e\mid h_j)\,p(h_j).

    分母是全概率公式给出的 **证据**。把后验当作下一次观测的先验，就是序贯更新（“贝叶斯公式”一节的两次检测）。
    """
    prior = _check_distribution(prior, "prior")
    if prior.ndim != 1:
        raise ValueError(f"prior must be 1-D (one probability per hypothesis), got shape {prior.shape}")
    likelihood = check_array(likelihood, "likelihood", ndim=1)
    if likelihood.shape != prior.shape:
        raise ValueError(f"likelihood must have one value per hypothesis ({prior.shape[0]}), got {likelihood.shape}")
    if np.any(likelihood < 0):
        raise ValueError(f"likelihood must be non-negative, got min {likelihood.min()}")
    joint = prior * likelihood
    evidence = float(joint.sum())
    if evidence <= 0:
        raise ValueError("the evidence p(e) is 0: every hypothesis with prior mass gives the observation probability 0")
    return joint / evidence, evidence


def diagnostic_posterior(prevalence, sensitivity, specificity, positive: bool = True):
    r"""医学检测：患病率（先验）:math:`\pi=P(D)`、灵敏度 :math:`P(+\mid D)`、特异度 :math:`P(-\mid\bar D)` 已知时，

    .. math:: P(D\mid +)=\frac{\text{灵敏度}\cdot\pi}{\text{灵敏度}\cdot\pi+(1-\text{特异度})(1-\pi)},\qquad
              P(D\mid -)=\frac{(1-\text{灵敏度})\,\pi}{(1-\text{灵敏度})\,\pi+\text{特异度}\,(1-\pi)} .

    ``positive=True`` 返回阳性时患病的概率（阳性预测值），``False`` 返回阴性时仍患病的概率。三个参数都是 :math:`[0,1]`
    中的数，可以是数组（逐元素、可广播），标量输入返回 ``float``。它是 :func:`bayes_rule` 在两个假设上的特例。
    """
    if not isinstance(positive, (bool, np.bool_)):
        raise TypeError(f"positive must be a bool, got {type(positive).__name__}")
    pi = _check_probability(prevalence, "prevalence")
    sens = _check_probability(sensitivity, "sensitivity")
    spec = _check_probability(specificity, "specificity")
    if positive:
        num, other = sens * pi, (1.0 - spec) * (1.0 - pi)
    else:
        num, other = (1.0 - sens) * pi, spec * (1.0 - pi)
    den = num + other
    if np.any(den <= 0):
        raise ValueError("this test result has probability 0 under the given prevalence, sensitivity and specificity")
    out = num / den
    return float(out) if np.ndim(out) == 0 else out


# ---------------------------------------------------------------------------------------------
# 平滑与 MAP（“最大似然、最大后验与平滑”一节）
# ---------------------------------------------------------------------------------------------
def _check_counts(counts, name: str = "counts") -> np.ndarray:
    counts = check_array(counts, name, ndim=(1, 2))
    if np.any(counts < 0):
        raise ValueError(f"{name} must be non-negative, got min {counts.min()}")
    return counts


def _counts_and_alpha(counts, alpha):
    """类别计数（一维）与 Dirichlet 参数（标量或每类一个）的共同检查；返回 (counts, alpha, K)。"""
    counts = _check_counts(counts)
    if counts.ndim != 1:
        raise ValueError(f"counts must be 1-D (one count per category), got shape {counts.shape}")
    K = counts.shape[0]
    alpha = check_array(alpha, "alpha", ndim=(0, 1))
    if alpha.ndim == 1 and alpha.shape != (K,):
        raise ValueError(f"alpha must be a scalar or have one entry per category ({K}), got shape {alpha.shape}")
    return counts, alpha, K


def additive_smoothing(counts, alpha: float = 1.0) -> np.ndarray:
    r"""加 :math:`\alpha` 平滑（Lidstone 平滑）：每一类的计数先加上 :math:`\alpha` 再归一化，

    .. math:: \hat\pi_k=\frac{n_k+\alpha}{N+K\alpha},\qquad N=\sum_kn_k .

    :math:`\alpha=1` 是拉普拉斯平滑，:math:`\alpha=0` 是最大似然估计（频率）。没出现过的类得到
    :math:`\alpha/(N+K\alpha)>0` 的概率，而不是 0。``counts`` 形状 ``(K,)``，或每行一组计数 ``(n, K)``
    （如 ``sklearn.naive_bayes.MultinomialNB`` 的每一类一行，它的 ``feature_log_prob_`` 就是这个公式的对数）。
    """
    counts = _check_counts(counts)
    alpha = check_scalar(alpha, "alpha", Real, min_val=0)
    K = counts.shape[-1]
    total = counts.sum(axis=-1, keepdims=True) + K * alpha
    if np.any(total <= 0):
        raise ValueError("with alpha = 0 every row of counts needs at least one observation (N > 0)")
    return (counts + alpha) / total


def dirichlet_map(counts, alpha) -> np.ndarray:
    r"""类别分布的参数在先验 :math:`\mathrm{Dirichlet}(\boldsymbol\alpha)` 下的最大后验估计（后验众数）：

    .. math:: \hat\pi_k^{\rm MAP}=\frac{n_k+\alpha_k-1}{N+\sum_j\alpha_j-K}\qquad(\alpha_k\ge1).

    对称先验 :math:`\alpha_k\equiv a` 时它就是加 :math:`(a-1)` 平滑（:func:`additive_smoothing`）：
    :math:`a=2` 即拉普拉斯平滑。
    ``alpha`` 是标量（对称先验）或长度 :math:`K` 的向量。两类时退化为 :func:`beta_bernoulli_map`。
    """
    counts, alpha, K = _counts_and_alpha(counts, alpha)
    alpha = np.broadcast_to(alpha, (K,))
    if np.any(alpha < 1):
        raise ValueError(f"alpha must be >= 1 for the posterior mode to lie inside the simplex, got min {alpha.min()}")
    total = counts.sum() + alpha.sum() - K
    if total <= 0:
        raise ValueError("the posterior Dirichlet(1, ..., 1) is uniform (no data, alpha = 1): the MAP is not unique")
    return (counts + alpha - 1.0) / total


def grid_posterior(grid, log_prior, log_likelihood) -> np.ndarray:
    r"""一维参数的“暴力”后验：在递增的网格 ``grid`` 上计算 :math:`\log p(\theta)+\log p(X\mid\theta)`，
    取指数后用梯形公式归一化，返回网格上的后验密度值。

    不依赖任何共轭关系，用来核对闭式后验（“共轭先验与贝叶斯预测”一节），也能处理没有闭式解的先验。在对数域减去最大值后再取指数，
    所以似然小到下溢（大量数据）也没关系。
    """
    grid = check_array(grid, "grid", ndim=1)
    if grid.shape[0] < 2 or np.any(np.diff(grid) <= 0):
        raise ValueError("grid must be strictly increasing with at least 2 points")
    log_prior = check_array(log_prior, "log_prior", ndim=1, finite=False)
    log_likelihood = check_array(log_likelihood, "log_likelihood", ndim=1, finite=False)
    if log_prior.shape != grid.shape or log_likelihood.shape != grid.shape:
        raise ValueError(
            f"log_prior and log_likelihood must have one value per grid point ({grid.shape[0]}), got "
            f"{log_prior.shape} and {log_likelihood.shape}"
        )
    log_post = log_prior + log_likelihood
    if np.any(np.isnan(log_post)) or np.any(log_post == np.inf):
        raise ValueError("log_prior + log_likelihood must not be NaN or +inf")
    if not np.any(np.isfinite(log_post)):
        raise ValueError("the unnormalised posterior is 0 on the whole grid")
    dens = np.exp(log_post - log_post.max())
    return dens / np.trapezoid(dens, grid)


# ---------------------------------------------------------------------------------------------
# 共轭先验与后验预测（“共轭先验与贝叶斯预测”一节）
# ---------------------------------------------------------------------------------------------
def _check_positive(value, name: str) -> float:
    return float(check_scalar(value, name, Real, min_val=0, include_min=False))


def beta_bernoulli_posterior(x, a: float = 1.0, b: float = 1.0) -> tuple[float, float]:
    r"""先验 :math:`\pi\sim\mathrm{Beta}(a,b)`，观测 :math:`x_1,\dots,x_n\in\{0,1\}`
    独立同分布于 :math:`\mathrm{Bern}(\pi)`，后验是 :math:`\mathrm{Beta}(a+k,\ b+n-k)`，:math:`k=\sum_ix_i`。
    返回后验参数 ``(a', b')``。

    :math:`a,b` 像“先验里已经看到的 :math:`a` 次正面、:math:`b` 次反面”（伪计数）。``x`` 可以为空（返回先验）。
    """
    x = check_array(x, "x", ndim=1, allow_empty=True)
    x = _check_binary(x, "x") if x.size else x
    a = _check_positive(a, "a")
    b = _check_positive(b, "b")
    k = float(x.sum())
    return a + k, b + x.shape[0] - k


def dirichlet_categorical_posterior(counts, alpha) -> np.ndarray:
    r"""先验 :math:`\boldsymbol\pi\sim\mathrm{Dirichlet}(\boldsymbol\alpha)`，观测到各类的计数 :math:`n_k`，
    后验是 :math:`\mathrm{Dirichlet}(\boldsymbol\alpha+\mathbf n)`。返回后验参数（长度 :math:`K`）。

    后验均值 :math:`(n_k+\alpha_k)/(N+\sum\alpha)` 也是下一次观测的预测分布，即加 :math:`\alpha` 平滑。
    """
    counts, alpha, K = _counts_and_alpha(counts, alpha)
    if np.any(alpha <= 0):
        raise ValueError(f"alpha must be > 0, got min {alpha.min()}")
    return np.broadcast_to(alpha, (K,)) + counts


def normal_known_var_posterior(x, prior_mean: float, prior_var: float, noise_var: float) -> tuple[float, float]:
    r"""先验 :math:`\mu\sim\mathcal N(\mu_0,\tau_0^2)`，观测 :math:`x_i\sim\mathcal N(\mu,\sigma^2)`
    （:math:`\sigma^2` 已知），后验 :math:`\mathcal N(\mu_n,\tau_n^2)`：

    .. math:: \frac1{\tau_n^2}=\frac1{\tau_0^2}+\frac n{\sigma^2},\qquad
              \mu_n=\tau_n^2\Bigl(\frac{\mu_0}{\tau_0^2}+\frac{n\bar x}{\sigma^2}\Bigr).

    精度（方差的倒数）相加，均值是先验均值与样本均值按精度加权的平均。返回 ``(mu_n, tau_n^2)``（方差，不是标准差）。
    """
    x = check_array(x, "x", ndim=1, allow_empty=True)
    prior_mean = float(check_scalar(prior_mean, "prior_mean", Real))
    prior_var = _check_positive(prior_var, "prior_var")
    noise_var = _check_positive(noise_var, "noise_var")
    precision = 1.0 / prior_var + x.shape[0] / noise_var
    var = 1.0 / precision
    return var * (prior_mean / prior_var + x.sum() / noise_var), var


def beta_binomial_pmf(k, m: int, a: float, b: float) -> np.ndarray:
    r"""后验 :math:`\mathrm{Beta}(a,b)` 下，未来 :math:`m` 次试验中恰有 :math:`k` 次成功的（后验预测）概率：

    .. math:: p(k\mid m,a,b)=\int\binom mk\pi^k(1-\pi)^{m-k}\,\mathrm{Beta}(\pi;a,b)\,\mathrm d\pi
              =\binom mk\frac{B(k+a,\ m-k+b)}{B(a,b)} .

    即 Beta–二项分布（与 ``scipy.stats.betabinom`` 相同）。:math:`m=1` 时 :math:`p(1)=a/(a+b)`：下一次是正面的概率是
    后验均值，而不是某个点估计。``k`` 是 ``0..m`` 中的整数（可以是数组）。
    """
    from scipy.special import betaln, gammaln

    m = check_scalar(m, "m", Integral, min_val=0)
    a = _check_positive(a, "a")
    b = _check_positive(b, "b")
    k = check_array(k, "k", ndim=None)
    if np.any(k != np.round(k)) or np.any(k < 0) or np.any(k > m):
        raise ValueError(f"k must hold integers in 0..{m}")
    log_choose = gammaln(m + 1.0) - gammaln(k + 1.0) - gammaln(m - k + 1.0)
    return np.exp(log_choose + betaln(k + a, m - k + b) - betaln(a, b))


def normal_known_var_predictive(post_mean: float, post_var: float, noise_var: float) -> tuple[float, float]:
    r"""正态–正态模型的后验预测分布：:math:`p(x_{\rm new}\mid X)=\int\mathcal N(x_{\rm new};\mu,\sigma^2)\,
    \mathcal N(\mu;\mu_n,\tau_n^2)\,\mathrm d\mu=\mathcal N(\mu_n,\ \tau_n^2+\sigma^2)`。

    预测的方差 = 观测噪声 + 对 :math:`\mu` 的不确定性；代入点估计（:math:`\mu=\mu_n`）会漏掉后一项，预测过于自信。
    返回 ``(mean, var)``。
    """
    post_mean = float(check_scalar(post_mean, "post_mean", Real))
    post_var = _check_positive(post_var, "post_var")
    noise_var = _check_positive(noise_var, "noise_var")
    return post_mean, post_var + noise_var
