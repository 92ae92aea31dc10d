r"""概率分布、似然与估计（第 6 章“概率视角”；第 2 章会在这里继续扩充）。

第 6 章的主线是：回归与分类都是在给条件分布 :math:`p(y\mid\mathbf x)` 建模，再最大化对数似然——

* 高斯 :math:`\mathcal N(y;\mathbf x\mathbf w,\sigma^2)` → 负对数似然是平方误差（除以 :math:`2\sigma^2`）加常数
  → 线性回归（第 4 章、6.1）；
* 伯努利 :math:`\pi=\sigma(\mathbf x\mathbf w)` → 二分类交叉熵 → 逻辑回归（5.1、6.2）；
* 类别 :math:`\boldsymbol\pi=\mathrm{softmax}(\mathbf xW)` → 多分类交叉熵 → Softmax 回归（5.2、6.2）。

再加上参数的先验，最大后验（MAP）估计就是带正则项的最小化：高斯先验 ⇒ 岭回归 / L2 惩罚（6.3）。

===============================  ==============================================================
函数                               作用
===============================  ==============================================================
``gaussian_logpdf``                一元高斯的对数密度 :math:`\log\mathcal N(z;\mu,\sigma^2)`（逐元素）
``mvn_logpdf``                     多元高斯的对数密度（Cholesky 分解，不求逆、不求行列式）
``bernoulli_logpmf``               :math:`z\log\pi+(1-z)\log(1-\pi)`
``categorical_logpmf``             :math:`\sum_kz_k\log\pi_k`（独热或整数标签）
``entropy/cross_entropy/``         离散分布的熵、交叉熵与 KL 散度，:math:`H(p,q)=H(p)+\mathrm{KL}(p\Vert q)`（6.2）
``kl_divergence``
``gaussian_loglik_regression``     线性–高斯模型的对数似然（6.1）
``gaussian_mle_regression``        最大似然估计：w = 最小二乘解，σ² = 平均残差平方（6.1）
``bernoulli_mle/categorical_mle``  伯努利、类别分布的最大似然估计：样本频率（6.2）
``map_linear_gaussian``            高斯先验下的 MAP = 岭回归，:math:`\alpha=\sigma^2/\tau^2`（6.3）
``linear_gaussian_posterior``      线性–高斯模型的后验 :math:`\mathcal N(\mathbf m,S)`（6.3）
``beta_bernoulli_map``             硬币的 MAP：Beta 先验的众数公式（6.3）
===============================  ==============================================================

约定：对数都取自然对数（单位 nat）；:math:`0\log0=0`（用 ``scipy.special.xlogy`` 计算）。
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from scipy.special import rel_entr, xlogy

from .linear.regression import _check_Xyw, min_norm_solution, ridge_solution
from .utils import check_array, check_scalar, check_X_y

__all__ = [
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

    伯努利分布就是 :math:`n=1` 的二项分布；它是 :math:`\{0,1\}` 上的离散分布，不是高斯分布的特例（第 6.2 节勘误）。
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
    只有当 :math:`p` 是独热向量时这个最小值才是 0（第 6.2 节勘误）。
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
    r"""线性–高斯模型的最大似然估计（第 6.1 节）：

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
    r"""类别分布的最大似然估计 :math:`\hat\pi_k=n_k/n`（各类出现的频率，拉格朗日乘子法推出，第 6.2 节）。"""
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

    也就是岭回归（第 6.3 节）。``penalize`` 同 :func:`lib.linear.ridge_solution`：某个系数取 0 表示该参数用“平坦”先验
    （:math:`\tau^2\to\infty`），截距通常这样处理。
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
    k = check_scalar(k, "k", Integral, min_val=0, max_val=n)
    a = check_scalar(a, "a", Real, min_val=1)
    b = check_scalar(b, "b", Real, min_val=1)
    if n + a + b - 2 == 0:
        raise ValueError("the posterior Beta(1, 1) is uniform (n = 0, a = b = 1): the MAP estimate is not unique")
    return float((k + a - 1) / (n + a + b - 2))
