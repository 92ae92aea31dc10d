r"""高斯混合模型与 EM 算法：``GaussianMixture``，接口同 ``sklearn.mixture.GaussianMixture``。

模型 :math:`p(\mathbf x)=\sum_k\pi_k\,\mathcal N(\mathbf x\mid\boldsymbol\mu_k,\boldsymbol\Sigma_k)`。
EM 在 E 步算责任 :math:`r_{nk}=p(z_n=k\mid\mathbf x_n)`（此时 ELBO 等于对数似然），
在 M 步对 ELBO 取最大：

.. math:: N_k=\sum_n r_{nk},\quad \pi_k=N_k/N,\quad \boldsymbol\mu_k=\frac1{N_k}\sum_n r_{nk}\mathbf x_n,\quad
          \boldsymbol\Sigma_k=\frac1{N_k}\sum_n r_{nk}(\mathbf x_n-\boldsymbol\mu_k)(\mathbf x_n-\boldsymbol\mu_k)^\top
          +\epsilon\mathbf I,

所以每一轮的平均对数似然单调不减。协方差可取 ``"full"``（各自的完整矩阵）、``"tied"``（共享一个）、
``"diag"``（各自的对角阵）、``"spherical"``（各自的 :math:`\sigma_k^2\mathbf I`）；:math:`\epsilon` 即 ``reg_covar``。
初始化 ``"kmeans"`` 用 :class:`lib.cluster.KMeans` 的硬分配作为初始责任，``"random"`` 用随机的责任。

另有伯努利混合的 EM（``bernoulli_mixture_em``）、概率 PCA（闭式解 ``ppca_ml`` 与 EM ``ppca_em``）和
混合概率 PCA（``mppca_em``、``mppca_score_samples``）。
"""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
from scipy.special import xlog1py, xlogy

from .base import BaseEstimator, ConvergenceWarning, validate_data
from .cluster import KMeans
from .utils import check_array, check_option, check_random_state, check_scalar

__all__ = [
    "GaussianMixture",
    "bernoulli_mixture_em",
    "bernoulli_mixture_score_samples",
    "ppca_ml",
    "ppca_loglik",
    "ppca_em",
    "mppca_em",
    "mppca_score_samples",
]

_COV_TYPES = ("full", "tied", "diag", "spherical")
_INIT_PARAMS = ("kmeans", "random")
_LOG_2PI = np.log(2 * np.pi)


def _logsumexp(A: np.ndarray) -> np.ndarray:
    m = A.max(axis=1, keepdims=True)
    return (m + np.log(np.exp(A - m).sum(axis=1, keepdims=True)))[:, 0]


def _cholesky(cov: np.ndarray, name: str) -> np.ndarray:
    try:
        return np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        raise ValueError(
            f"the covariance of {name} is singular (not positive definite); "
            "increase reg_covar, use fewer components, or scale the data"
        ) from None


class GaussianMixture(BaseEstimator):
    r"""高斯混合模型，用 EM 拟合；参数、属性与方法同 ``sklearn.mixture.GaussianMixture``。

    Parameters
    ----------
    n_components : 分量数 :math:`K`。  covariance_type : ``"full"``、``"tied"``、``"diag"``、``"spherical"``。
    tol : 平均对数似然的改变量小于它时停止。  reg_covar : 加到协方差对角线上的正数。
    max_iter : 每次初始化最多的 EM 轮数。  n_init : 初始化次数，取下界最大的一次。
    init_params : ``"kmeans"`` 或 ``"random"``。  weights_init, means_init : 可选的初始权重与均值。
    random_state : 随机源（初始化与 ``sample``）。

    Attributes
    ----------
    weights_, means_, covariances_（形状依 ``covariance_type``）, precisions_cholesky_,
    converged_, n_iter_, lower_bound_（最佳一次运行的最后平均对数似然）,
    lower_bound_history_（最佳一次运行每一轮的平均对数似然，单调不减）。
    """

    def __init__(
        self,
        n_components: int = 1,
        *,
        covariance_type: str = "full",
        tol: float = 1e-3,
        reg_covar: float = 1e-6,
        max_iter: int = 100,
        n_init: int = 1,
        init_params: str = "kmeans",
        weights_init=None,
        means_init=None,
        random_state=None,
    ):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weights_init = weights_init
        self.means_init = means_init
        self.random_state = random_state

    # ---- 检查 ----
    def _check_params(self, X: np.ndarray) -> None:
        K = check_scalar(self.n_components, "n_components", Integral, min_val=1)
        if X.shape[0] < K:
            raise ValueError(f"Expected n_samples >= n_components but got n_components = {K}, n_samples = {X.shape[0]}")
        check_option(self.covariance_type, "covariance_type", _COV_TYPES)
        check_option(self.init_params, "init_params", _INIT_PARAMS)
        check_scalar(self.tol, "tol", Real, min_val=0)
        check_scalar(self.reg_covar, "reg_covar", Real, min_val=0)
        check_scalar(self.max_iter, "max_iter", Integral, min_val=0)
        check_scalar(self.n_init, "n_init", Integral, min_val=1)
        if self.weights_init is not None:
            w = check_array(self.weights_init, "weights_init", ndim=1)
            if w.shape != (K,) or np.any(w < 0) or not np.isclose(w.sum(), 1.0):
                raise ValueError(f"weights_init must be {K} non-negative numbers summing to 1")
        if self.means_init is not None:
            m = check_array(self.means_init, "means_init", ndim=2)
            if m.shape != (K, X.shape[1]) or not np.all(np.isfinite(m)):
                raise ValueError(f"means_init must be a finite array of shape ({K}, {X.shape[1]}), got {m.shape}")

    # ---- M 步：由责任求参数 ----
    def _m_step(self, X: np.ndarray, resp: np.ndarray):
        nk = resp.sum(axis=0) + 10 * np.finfo(resp.dtype).eps
        means = resp.T @ X / nk[:, None]
        d = X.shape[1]
        ct = self.covariance_type
        if ct == "full":
            cov = np.empty((len(nk), d, d))
            for k in range(len(nk)):
                D = X - means[k]
                cov[k] = (resp[:, k] * D.T) @ D / nk[k]
                cov[k].flat[:: d + 1] += self.reg_covar
        elif ct == "tied":
            cov = (X.T @ X - (nk * means.T) @ means) / nk.sum()
            cov.flat[:: d + 1] += self.reg_covar
        else:
            avg = resp.T @ (X * X) / nk[:, None] - means**2 + self.reg_covar
            cov = avg if ct == "diag" else avg.mean(axis=1)
        return nk / nk.sum(), means, cov

    def _precisions_cholesky(self, cov: np.ndarray) -> np.ndarray:
        """精度矩阵的 Cholesky 因子 :math:`\\mathbf U`，:math:`\\boldsymbol\\Sigma^{-1}=\\mathbf U\\mathbf U^\\top`。"""
        ct = self.covariance_type
        if ct in ("diag", "spherical"):
            if np.any(cov <= 0):
                raise ValueError("a component's variance is zero; increase reg_covar or use fewer components")
            return 1.0 / np.sqrt(cov)
        covs = cov[None] if ct == "tied" else cov
        out = np.empty_like(covs)
        for k, c in enumerate(covs):
            L = _cholesky(c, f"component {k}" if ct == "full" else "the tied covariance")
            out[k] = np.linalg.solve(L, np.eye(len(c))).T
        return out[0] if ct == "tied" else out

    def _log_gauss(self, X: np.ndarray, means: np.ndarray, prec_chol: np.ndarray) -> np.ndarray:
        """:math:`\\ln\\mathcal N(\\mathbf x_n\\mid\\boldsymbol\\mu_k,\\boldsymbol\\Sigma_k)`，形状 (N, K)。"""
        n, d = X.shape
        K = means.shape[0]
        ct = self.covariance_type
        if ct == "full":
            logdet = np.array([np.log(np.diag(U)).sum() for U in prec_chol])
            maha = np.column_stack([(((X - means[k]) @ prec_chol[k]) ** 2).sum(axis=1) for k in range(K)])
        elif ct == "tied":
            logdet = np.full(K, np.log(np.diag(prec_chol)).sum())
            maha = np.column_stack([(((X - means[k]) @ prec_chol) ** 2).sum(axis=1) for k in range(K)])
        elif ct == "diag":
            logdet = np.log(prec_chol).sum(axis=1)
            P = prec_chol**2
            maha = (X**2) @ P.T - 2 * X @ (means * P).T + ((means**2) * P).sum(axis=1)
        else:
            logdet = d * np.log(prec_chol)
            P = prec_chol**2
            maha = ((X**2).sum(axis=1)[:, None] - 2 * X @ means.T + (means**2).sum(axis=1)) * P
        return -0.5 * (d * _LOG_2PI + maha) + logdet

    def _weighted_log_prob(self, X, weights, means, prec_chol) -> np.ndarray:
        return self._log_gauss(X, means, prec_chol) + np.log(weights)

    # ---- 初始化 ----
    def _initial_resp(self, X: np.ndarray, rng) -> np.ndarray:
        n, K = X.shape[0], self.n_components
        if self.init_params == "kmeans":
            seed = int(rng.integers(2**31 - 1))
            labels = KMeans(n_clusters=K, n_init=1, random_state=seed).fit(X).labels_
            resp = np.zeros((n, K))
            resp[np.arange(n), labels] = 1.0
        else:
            resp = rng.uniform(size=(n, K))
            resp /= resp.sum(axis=1, keepdims=True)
        return resp

    def _initial_params(self, X: np.ndarray, rng):
        weights, means, cov = self._m_step(X, self._initial_resp(X, rng))
        if self.weights_init is not None:
            weights = np.asarray(self.weights_init, dtype=np.float64).copy()
        if self.means_init is not None:
            means = np.asarray(self.means_init, dtype=np.float64).copy()
        return weights, means, cov

    # ---- 拟合 ----
    def fit(self, X, y=None) -> GaussianMixture:
        self.fit_predict(X, y)
        return self

    def fit_predict(self, X, y=None) -> np.ndarray:
        X = validate_data(self, X, dtype=np.float64, ensure_min_samples=2)
        self._check_params(X)
        rng = check_random_state(self.random_state, "random_state")
        best = None
        for _ in range(self.n_init):
            weights, means, cov = self._initial_params(X, rng)
            prec = self._precisions_cholesky(cov)
            lb, history, converged, n_iter = -np.inf, [], False, 0
            for it in range(1, self.max_iter + 1):
                prev, n_iter = lb, it
                wlp = self._weighted_log_prob(X, weights, means, prec)
                log_norm = _logsumexp(wlp)
                lb = float(log_norm.mean())
                history.append(lb)
                weights, means, cov = self._m_step(X, np.exp(wlp - log_norm[:, None]))
                prec = self._precisions_cholesky(cov)
                if abs(lb - prev) < self.tol:
                    converged = True
                    break
            if best is None or lb > best[0] or best[0] == -np.inf:
                best = (lb, weights, means, cov, prec, converged, n_iter, history)
        lb, self.weights_, self.means_, self.covariances_, self.precisions_cholesky_, conv, n_iter, history = best
        self.converged_, self.n_iter_, self.lower_bound_ = conv, n_iter, lb
        self.lower_bound_history_ = np.array(history)
        if not conv and self.max_iter > 0:
            warnings.warn(
                "Best performing initialization did not converge. Try different init parameters, "
                "or increase max_iter, tol, or check for degenerate data.",
                ConvergenceWarning,
                stacklevel=2,
            )
        # 最后一次 E 步，使 fit_predict(X) 与 fit(X).predict(X) 一致
        return self._weighted_log_prob(X, self.weights_, self.means_, self.precisions_cholesky_).argmax(axis=1)

    # ---- 推断 ----
    def score_samples(self, X) -> np.ndarray:
        X = self._validate_X(X, "means_")
        return _logsumexp(self._weighted_log_prob(X, self.weights_, self.means_, self.precisions_cholesky_))

    def score(self, X, y=None) -> float:
        return float(self.score_samples(X).mean())

    def predict_proba(self, X) -> np.ndarray:
        X = self._validate_X(X, "means_")
        wlp = self._weighted_log_prob(X, self.weights_, self.means_, self.precisions_cholesky_)
        return np.exp(wlp - _logsumexp(wlp)[:, None])

    def predict(self, X) -> np.ndarray:
        return self.predict_proba(X).argmax(axis=1)

    def sample(self, n_samples: int = 1):
        """从拟合的混合中抽 ``n_samples`` 个点，返回 ``(X, y)``（``y`` 是分量编号），同 scikit-learn。"""
        self._validate_X(np.zeros((1, getattr(self, "n_features_in_", 1))), "means_")
        check_scalar(n_samples, "n_samples", Integral, min_val=1)
        rng = check_random_state(self.random_state, "random_state")
        counts = rng.multinomial(n_samples, self.weights_)
        d = self.means_.shape[1]
        parts = []
        for k, c in enumerate(counts):
            if self.covariance_type == "full":
                cov = self.covariances_[k]
            elif self.covariance_type == "tied":
                cov = self.covariances_
            elif self.covariance_type == "diag":
                cov = np.diag(self.covariances_[k])
            else:
                cov = self.covariances_[k] * np.eye(d)
            parts.append(rng.multivariate_normal(self.means_[k], cov, int(c)))
        X = np.vstack(parts)
        y = np.repeat(np.arange(len(counts)), counts)
        return X, y

    def _n_parameters(self) -> int:
        K, d = self.means_.shape
        cov = {"full": K * d * (d + 1) / 2, "tied": d * (d + 1) / 2, "diag": K * d, "spherical": K}
        return int(cov[self.covariance_type] + K * d + K - 1)

    def bic(self, X) -> float:
        """贝叶斯信息准则 :math:`-2\\ln L+p\\ln N`，越小越好。"""
        n = self._validate_X(X, "means_").shape[0]
        return float(-2 * self.score(X) * n + self._n_parameters() * np.log(n))

    def aic(self, X) -> float:
        """赤池信息准则 :math:`-2\\ln L+2p`，越小越好。"""
        n = self._validate_X(X, "means_").shape[0]
        return float(-2 * self.score(X) * n + 2 * self._n_parameters())


def bernoulli_mixture_em(
    X, n_components: int, *, max_iter: int = 100, tol: float = 1e-6, alpha: float = 1e-3, random_state=None
):
    r"""伯努利混合的 EM：:math:`p(\mathbf x)=\sum_k\pi_k\prod_j\mu_{kj}^{x_j}(1-\mu_{kj})^{1-x_j}`，``X`` 取 0/1。

    E 步 :math:`r_{nk}\propto\pi_k\prod_j\mu_{kj}^{x_{nj}}(1-\mu_{kj})^{1-x_{nj}}`（在对数域计算）；M 步
    :math:`\pi_k=N_k/N`，:math:`\mu_{kj}=(\sum_nr_{nk}x_{nj}+\alpha)/(N_k+2\alpha)`（``alpha`` 是 Beta 先验的平滑，
    防止 :math:`\ln0`；``alpha=0`` 即最大似然）。初始化为随机责任。

    返回 ``(weights, probs, resp, history)``：权重 (K,)、伯努利参数 (K, d)、最后的责任 (N, K)、
    每轮 E 步时的平均对数似然（``alpha>0`` 时再加上 Beta 先验的对数除以 :math:`N`，即 MAP 的目标），单调不减。
    """
    from .utils import check_array

    X = check_array(X, "X", ndim=2)
    if not np.all((X == 0) | (X == 1)):
        raise ValueError("X must contain only 0 and 1 (binarise the data first)")
    K = check_scalar(n_components, "n_components", Integral, min_val=1)
    if X.shape[0] < K:
        raise ValueError(f"n_samples={X.shape[0]} should be >= n_components={K}")
    check_scalar(max_iter, "max_iter", Integral, min_val=1)
    check_scalar(tol, "tol", Real, min_val=0)
    check_scalar(alpha, "alpha", Real, min_val=0)
    rng = check_random_state(random_state)
    resp = rng.dirichlet(np.ones(K), size=X.shape[0])
    history: list[float] = []
    for _ in range(max_iter):
        nk = resp.sum(axis=0)
        weights = nk / nk.sum()
        probs = (resp.T @ X + alpha) / (nk[:, None] + 2 * alpha)
        logp = _bernoulli_log_joint(X, weights, probs)
        log_norm = _logsumexp(logp)
        resp = np.exp(logp - log_norm[:, None])
        # alpha > 0 时 EM 单调增大的是加上 Beta 先验的目标（MAP），记录的也是它
        prior = alpha * (np.log(probs).sum() + np.log1p(-probs).sum()) if alpha > 0 else 0.0
        history.append(float(log_norm.mean() + prior / X.shape[0]))
        if len(history) > 1 and abs(history[-1] - history[-2]) < tol:
            break
    return weights, probs, resp, np.array(history)


def _bernoulli_log_joint(X: np.ndarray, weights: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """(N, K) 矩阵：log pi_k + sum_j [x_nj log mu_kj + (1 - x_nj) log(1 - mu_kj)]。"""
    if np.all((probs > 0) & (probs < 1)):  # 常见情形：两个矩阵乘法
        return np.log(weights) + X @ np.log(probs).T + (1 - X) @ np.log1p(-probs).T
    with np.errstate(divide="ignore"):  # 0·ln0 = 0（某一维在某分量里恒为 0 或 1 时）
        return np.log(weights) + (xlogy(X[:, None, :], probs) + xlog1py(1 - X[:, None, :], -probs)).sum(axis=2)


def bernoulli_mixture_score_samples(X, weights, probs) -> np.ndarray:
    """伯努利混合下每个样本的对数概率 log p(x_n)（参数取 :func:`bernoulli_mixture_em` 的返回值）。"""
    from .utils import check_array

    X = check_array(X, "X", ndim=2)
    if not np.all((X == 0) | (X == 1)):
        raise ValueError("X must contain only 0 and 1 (binarise the data first)")
    weights = check_array(weights, "weights", ndim=1)
    probs = check_array(probs, "probs", ndim=2)
    if probs.shape != (len(weights), X.shape[1]):
        raise ValueError(f"probs must have shape (n_components, n_features) = ({len(weights)}, {X.shape[1]}), "
                         f"got {probs.shape}")  # fmt: skip
    if np.any(weights <= 0) or not np.isclose(weights.sum(), 1.0) or np.any((probs < 0) | (probs > 1)):
        raise ValueError("weights must be positive and sum to 1, and probs must lie in [0, 1]")
    return _logsumexp(_bernoulli_log_joint(X, weights, probs))


def _ppca_from_cov(S: np.ndarray, q: int) -> tuple[np.ndarray, float]:
    """给定（加权）样本协方差 S，概率 PCA 的最大似然 (W, sigma2)：闭式解只依赖 S。"""
    lam, U = np.linalg.eigh(S)
    lam, U = lam[::-1], U[:, ::-1]
    sigma2 = float(lam[q:].mean())
    return U[:, :q] * np.sqrt(np.maximum(lam[:q] - sigma2, 0.0)), sigma2


def ppca_ml(X, n_components: int):
    r"""概率 PCA 的闭式最大似然解（Tipping & Bishop）。模型 x = W z + mu + eps，z ~ N(0, I_q)，eps ~ N(0, sigma2 I_d)。

    sigma2 是样本协方差（除以 N）被舍弃的 d - q 个特征值的平均，W = U_q (Lambda_q - sigma2 I)^(1/2)（差一个旋转）。
    返回 ``(mean, W, sigma2)``。
    """
    from .utils import check_array

    X = check_array(X, "X", ndim=2)
    d = X.shape[1]
    q = check_scalar(n_components, "n_components", Integral, min_val=1, max_val=d - 1)
    mean = X.mean(axis=0)
    W, sigma2 = _ppca_from_cov(np.cov(X, rowvar=False, bias=True), q)
    return mean, W, sigma2


def _ppca_logpdf(X: np.ndarray, mean, W, sigma2: float) -> np.ndarray:
    """每个样本在 N(mu, W W^T + sigma2 I) 下的对数密度。"""
    C = W @ W.T + sigma2 * np.eye(X.shape[1])
    L = _cholesky(C, "W W^T + sigma2 I")
    Z = np.linalg.solve(L, (X - mean).T)
    return -0.5 * (X.shape[1] * _LOG_2PI + 2 * np.log(np.diag(L)).sum()) - 0.5 * (Z**2).sum(axis=0)


def ppca_loglik(X, mean, W, sigma2: float) -> float:
    r"""概率 PCA 下的平均对数似然：x ~ N(mu, W W^T + sigma2 I)。"""
    return float(_ppca_logpdf(np.asarray(X, dtype=np.float64), mean, W, sigma2).mean())


def ppca_em(X, n_components: int, *, max_iter: int = 500, tol: float = 1e-8, random_state=None):
    r"""概率 PCA 的 EM。E 步：M = W^T W + sigma2 I，E[z_n] = M^-1 W^T (x_n - mu)，
    E[z_n z_n^T] = sigma2 M^-1 + E[z_n] E[z_n]^T。M 步：W = [sum (x_n - mu) E[z_n]^T] [sum E[z_n z_n^T]]^-1，
    sigma2 = (1/(N d)) sum { |x_n - mu|^2 - 2 E[z_n]^T W^T (x_n - mu) + tr(E[z_n z_n^T] W^T W) }（用新的 W）。
    返回 ``(mean, W, sigma2, history)``，``history`` 为初始与每轮之后的平均对数似然（单调不减）。
    """
    from .utils import check_array

    X = check_array(X, "X", ndim=2)
    N, d = X.shape
    q = check_scalar(n_components, "n_components", Integral, min_val=1, max_val=d - 1)
    check_scalar(max_iter, "max_iter", Integral, min_val=1)
    check_scalar(tol, "tol", Real, min_val=0)
    rng = check_random_state(random_state)
    mean = X.mean(axis=0)
    Xc = X - mean
    W = rng.normal(size=(d, q))
    sigma2 = float(Xc.var())
    history = [ppca_loglik(X, mean, W, sigma2)]
    for _ in range(max_iter):
        Minv = np.linalg.inv(W.T @ W + sigma2 * np.eye(q))
        Ez = Xc @ W @ Minv  # (N, q)
        sum_Ezz = N * sigma2 * Minv + Ez.T @ Ez
        W = (Xc.T @ Ez) @ np.linalg.inv(sum_Ezz)
        sigma2 = float(((Xc**2).sum() - 2 * np.sum((Xc @ W) * Ez) + np.trace(sum_Ezz @ W.T @ W)) / (N * d))
        history.append(ppca_loglik(X, mean, W, sigma2))
        if abs(history[-1] - history[-2]) < tol:
            break
    return mean, W, sigma2, np.array(history)


def mppca_em(
    X,
    n_mixtures: int,
    n_components: int,
    *,
    max_iter: int = 200,
    tol: float = 1e-8,
    reg_covar: float = 1e-6,
    random_state=None,
):
    r"""混合概率 PCA 的 EM（Tipping & Bishop, 1999）：p(x) = sum_t pi_t N(x | mu_t, W_t W_t^T + sigma2_t I)。

    E 步：责任 r_nt = pi_t N(x_n | mu_t, C_t) / p(x_n)。M 步：pi_t = N_t / N，mu_t 取加权均值，
    (W_t, sigma2_t) 是加权协方差 S_t = (1/N_t) sum_n r_nt (x_n - mu_t)(x_n - mu_t)^T 上的 PPCA 闭式解
    （给定责任时它就是该分量加权似然的最大值点，所以每轮的平均对数似然单调不减），sigma2_t 再加 ``reg_covar``。
    初始责任取 :class:`lib.cluster.KMeans` 的硬分配。
    返回 ``(weights, means, Ws, sigma2s, resp, history)``：形状 (T,)、(T, d)、(T, d, q)、(T,)、(N, T)，
    ``history`` 为每轮 E 步时的平均对数似然。
    """
    from .utils import check_array

    X = check_array(X, "X", ndim=2)
    N, d = X.shape
    T = check_scalar(n_mixtures, "n_mixtures", Integral, min_val=1, max_val=N)
    q = check_scalar(n_components, "n_components", Integral, min_val=1, max_val=d - 1)
    check_scalar(max_iter, "max_iter", Integral, min_val=1)
    check_scalar(tol, "tol", Real, min_val=0)
    check_scalar(reg_covar, "reg_covar", Real, min_val=0)
    labels = KMeans(T, n_init=1, random_state=random_state).fit(X).labels_
    resp = np.eye(T)[labels]
    history = []
    for _ in range(max_iter):
        # M 步
        Nt = resp.sum(axis=0) + 10 * np.finfo(float).eps
        weights = Nt / N
        means = (resp.T @ X) / Nt[:, None]
        Ws, sigma2s = np.empty((T, d, q)), np.empty(T)
        for t in range(T):
            Xc = X - means[t]
            S = (resp[:, t, None] * Xc).T @ Xc / Nt[t]
            Ws[t], sigma2s[t] = _ppca_from_cov(S, q)
            sigma2s[t] += reg_covar
        # E 步
        log_joint = _mppca_log_joint(X, weights, means, Ws, sigma2s)
        log_px = _logsumexp(log_joint)
        resp = np.exp(log_joint - log_px[:, None])
        history.append(float(log_px.mean()))
        if len(history) > 1 and abs(history[-1] - history[-2]) < tol:
            break
    return weights, means, Ws, sigma2s, resp, np.array(history)


def _mppca_log_joint(X, weights, means, Ws, sigma2s) -> np.ndarray:
    """(N, T) 矩阵：log pi_t + log N(x_n | mu_t, W_t W_t^T + sigma2_t I)。"""
    return np.stack([np.log(w) + _ppca_logpdf(X, m, W, s2) for w, m, W, s2 in zip(weights, means, Ws, sigma2s)], 1)


def mppca_score_samples(X, weights, means, Ws, sigma2s) -> np.ndarray:
    """混合概率 PCA 下每个样本的对数密度 log p(x_n)（参数取 :func:`mppca_em` 的返回值）。"""
    from .utils import check_array

    weights = check_array(weights, "weights", ndim=1)
    T = len(weights)
    means = check_array(means, "means", ndim=2)
    Ws = check_array(Ws, "Ws", ndim=3)
    sigma2s = check_array(sigma2s, "sigma2s", ndim=1)
    X = check_array(X, "X", ndim=2)
    d = X.shape[1]
    if means.shape != (T, d) or Ws.shape[:2] != (T, d) or sigma2s.shape != (T,):
        raise ValueError(
            f"parameters must have shapes weights (T,), means (T, d), Ws (T, d, q), sigma2s (T,) with T={T}, d={d}; "
            f"got means {means.shape}, Ws {Ws.shape}, sigma2s {sigma2s.shape}"
        )
    if np.any(weights <= 0) or not np.isclose(weights.sum(), 1.0) or np.any(sigma2s <= 0):
        raise ValueError("weights must be positive and sum to 1, and sigma2s must be positive")
    return _logsumexp(_mppca_log_joint(X, weights, means, Ws, sigma2s))
