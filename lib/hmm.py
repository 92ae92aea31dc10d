r"""隐马尔可夫模型（概率图模型一章“隐马尔可夫模型”一节）与链上的三个动态规划。

模型：隐状态链 :math:`z_1\to z_2\to\dots\to z_T`，每个状态发出一个观测符号 :math:`x_t`，

.. math:: p(\mathbf x,\mathbf z)=\pi_{z_1}B_{z_1x_1}\prod_{t=2}^{T}A_{z_{t-1}z_t}B_{z_tx_t}.

链上的动态规划（对数空间，HMM 与线性链条件随机场共用）：

``log_forward``      :math:`\log\alpha_t(j)=\log\sum_i\alpha_{t-1}(i)A_{ij}+\log B_j(x_t)`，
                     :math:`\log p(\mathbf x)=\operatorname{logsumexp}_j\log\alpha_T(j)`
``log_backward``     :math:`\log\beta_t(i)=\log\sum_jA_{ij}B_j(x_{t+1})\beta_{t+1}(j)`，:math:`\beta_T=1`
``viterbi``          把前向递推里的求和换成求最大，回溯得到概率最大的状态路径

``CategoricalHMM`` 的名字、参数、属性与返回值照搬 hmmlearn 的同名类（``startprob_``、``transmat_``、
``emissionprob_``、``fit``/``score``/``decode``/``predict``/``predict_proba``/``score_samples``/``sample``、
``get_stationary_distribution``、``aic``/``bic``、``monitor_``）；
输入 ``X`` 是形状 (n, 1) 的整数符号，几条序列首尾相接，``lengths`` 给出各自的长度。
``fit`` 是 Baum–Welch（EM）：E 步用前向–后向算出状态与相邻状态对的后验，M 步按期望计数重新估计。
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np

from .base import BaseEstimator
from .sampling import check_transition_matrix, stationary_distribution
from .utils import check_array, check_option, check_random_state, check_scalar, check_size

__all__ = ["log_forward", "log_backward", "viterbi", "ConvergenceMonitor", "CategoricalHMM"]


def _lse(a: np.ndarray, axis: int) -> np.ndarray:
    """log-sum-exp along one axis (a leaner scipy.special.logsumexp for the inner loops; -inf rows give -inf).
    Called once per time step, so it avoids per-call overhead: the caller silences log(0)'s divide warning."""
    m = a.max(axis=axis, keepdims=True)
    m[~np.isfinite(m)] = 0.0
    return m.squeeze(axis) + np.log(np.exp(a - m).sum(axis=axis))


def _check_chain(log_startprob, log_transmat, log_frameprob):
    log_frameprob = check_array(log_frameprob, "log_frameprob", ndim=(2, 3), finite=False)
    K = log_frameprob.shape[-1]
    log_transmat = check_array(log_transmat, "log_transmat", ndim=2, finite=False)
    log_startprob = check_array(log_startprob, "log_startprob", ndim=1, finite=False)
    if log_transmat.shape != (K, K) or log_startprob.shape != (K,):
        raise ValueError(
            f"log_startprob must have shape ({K},) and log_transmat ({K}, {K}) for {K} states, "
            f"got {log_startprob.shape} and {log_transmat.shape}"
        )
    for name, a in (("log_startprob", log_startprob), ("log_transmat", log_transmat), ("log_frameprob", log_frameprob)):
        if np.any(np.isnan(a)) or np.any(a == np.inf):
            raise ValueError(f"{name} must not contain NaN or +inf")
    return log_startprob, log_transmat, log_frameprob


def log_forward(log_startprob, log_transmat, log_frameprob) -> tuple[float, np.ndarray]:
    r"""前向算法（对数空间）。``log_frameprob[t, j]`` 是 :math:`\log B_j(x_t)`（条件随机场里是节点得分）。
    返回 :math:`\log\sum_j\alpha_T(j)` 与形状 (T, K) 的 :math:`\log\alpha`。
    ``log_frameprob`` 也可以是 (N, T, K)：N 条等长的序列一起递推，返回 N 个对数似然。"""
    log_pi, log_A, log_B = _check_chain(log_startprob, log_transmat, log_frameprob)
    log_alpha = np.empty(log_B.shape)
    log_alpha[..., 0, :] = log_pi + log_B[..., 0, :]
    with np.errstate(divide="ignore"):  # log(0) = -inf where a state is unreachable
        for t in range(1, log_B.shape[-2]):
            # alpha_t(j) = sum_i alpha_{t-1}(i) A_ij * B_j(x_t)
            log_alpha[..., t, :] = _lse(log_alpha[..., t - 1, :, None] + log_A, axis=-2) + log_B[..., t, :]
        log_px = _lse(log_alpha[..., -1, :], axis=-1)
    return (float(log_px) if log_B.ndim == 2 else log_px), log_alpha


def log_backward(log_startprob, log_transmat, log_frameprob) -> np.ndarray:
    r"""后向算法（对数空间）：形状 (T, K)（或 (N, T, K)）的 :math:`\log\beta`，:math:`\beta_T\equiv1`。"""
    _, log_A, log_B = _check_chain(log_startprob, log_transmat, log_frameprob)
    log_beta = np.zeros(log_B.shape)
    with np.errstate(divide="ignore"):  # log(0) = -inf where no continuation is possible
        for t in range(log_B.shape[-2] - 2, -1, -1):
            # beta_t(i) = sum_j A_ij B_j(x_{t+1}) beta_{t+1}(j)
            log_beta[..., t, :] = _lse(log_A + (log_B[..., t + 1, :] + log_beta[..., t + 1, :])[..., None, :], axis=-1)
    return log_beta


def viterbi(log_startprob, log_transmat, log_frameprob) -> tuple[float, np.ndarray]:
    r"""维特比算法：:math:`\delta_t(j)=\max_i[\delta_{t-1}(i)+\log A_{ij}]+\log B_j(x_t)`，记下取最大的 :math:`i`，
    从 :math:`\arg\max_j\delta_T(j)` 回溯。返回最优路径的对数得分与路径。"""
    log_pi, log_A, log_B = _check_chain(log_startprob, log_transmat, log_frameprob)
    if log_B.ndim != 2:
        raise ValueError(f"log_frameprob must be 2-D (T, K) for viterbi, got shape {log_B.shape}")
    T, K = log_B.shape
    delta = log_pi + log_B[0]
    back = np.zeros((T, K), dtype=np.int64)
    for t in range(1, T):
        cand = delta[:, None] + log_A  # cand[i, j]: come from i, go to j
        back[t] = np.argmax(cand, axis=0)
        delta = cand[back[t], np.arange(K)] + log_B[t]
    path = np.empty(T, dtype=np.int64)
    path[-1] = int(np.argmax(delta))
    for t in range(T - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    return float(delta[path[-1]]), path


class ConvergenceMonitor:
    """Baum–Welch 的收敛记录（同 hmmlearn）：``history`` 是每轮 E 步算出的对数似然，``iter`` 是轮数；
    相邻两轮的增量小于 ``tol`` 或用满 ``n_iter`` 轮时 ``converged`` 为真。"""

    def __init__(self, tol: float, n_iter: int, verbose: bool = False):
        self.tol, self.n_iter, self.verbose = tol, n_iter, verbose
        self.history: list[float] = []
        self.iter = 0

    def report(self, log_prob: float) -> None:
        self.history.append(float(log_prob))
        self.iter += 1

    @property
    def converged(self) -> bool:
        return self.iter == self.n_iter or (len(self.history) >= 2 and self.history[-1] - self.history[-2] < self.tol)

    def __repr__(self) -> str:
        return f"ConvergenceMonitor(tol={self.tol}, n_iter={self.n_iter}, iter={self.iter}, converged={self.converged})"


def _log(p: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.log(p)


class CategoricalHMM(BaseEstimator):
    r"""观测为类别符号 :math:`0..F-1` 的隐马尔可夫模型（接口同 hmmlearn 的 ``CategoricalHMM``）。

    ``startprob_prior``、``transmat_prior``、``emissionprob_prior`` 是狄利克雷先验的参数（默认 1：不平滑，
    M 步即最大似然）；``params``/``init_params`` 中的字母 ``s``、``t``、``e`` 选出 M 步更新、``fit`` 开始时初始化的参数
    （初始化：起始与转移均匀，发射随机）。``implementation`` 同 hmmlearn 可取 ``"log"`` 或 ``"scaling"``，
    两者数学上相同；这里总在对数空间计算。
    """

    def __init__(
        self,
        n_components: int = 1,
        startprob_prior=1.0,
        transmat_prior=1.0,
        *,
        emissionprob_prior=1.0,
        n_features=None,
        algorithm: str = "viterbi",
        random_state=None,
        n_iter: int = 10,
        tol: float = 1e-2,
        verbose: bool = False,
        params: str = "ste",
        init_params: str = "ste",
        implementation: str = "log",
    ):
        self.n_components = n_components
        self.startprob_prior = startprob_prior
        self.transmat_prior = transmat_prior
        self.emissionprob_prior = emissionprob_prior
        self.n_features = n_features
        self.algorithm = algorithm
        self.random_state = random_state
        self.n_iter = n_iter
        self.tol = tol
        self.verbose = verbose
        self.params = params
        self.init_params = init_params
        self.implementation = implementation

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False  # integer symbol sequences plus lengths, not a feature matrix
        tags.requires_fit = True
        return tags

    # ---- input checks -------------------------------------------------------------------------
    def _check_X(self, X, lengths, *, n_features=None) -> tuple[np.ndarray, np.ndarray]:
        X = check_array(X, "X", ndim=2, dtype=None)
        if X.shape[1] != 1:
            raise ValueError(f"X must have shape (n_samples, 1) (one symbol per row), got {X.shape}")
        if not np.issubdtype(X.dtype, np.integer):
            if np.issubdtype(X.dtype, np.floating) and np.all(X == np.round(X)):
                X = X.astype(np.int64)
            else:
                raise ValueError(f"X must hold integer symbols, got dtype {X.dtype}")
        x = X[:, 0].astype(np.int64)
        if x.min() < 0:
            raise ValueError(f"X must hold non-negative symbols, got min {x.min()}")
        if n_features is not None and x.max() >= n_features:
            raise ValueError(
                f"X contains symbol {x.max()} outside the alphabet 0..{n_features - 1} (n_features={n_features})"
            )
        if lengths is None:
            lengths = np.array([x.shape[0]])
        else:
            lengths = check_array(lengths, "lengths", ndim=1, dtype=None)
            if not np.issubdtype(lengths.dtype, np.integer) or np.any(lengths < 1):
                raise ValueError(f"lengths must be positive integers, got {lengths.tolist()}")
            if lengths.sum() != x.shape[0]:
                raise ValueError(f"lengths must sum to the number of samples {x.shape[0]}, got {lengths.sum()}")
        return x, lengths.astype(np.int64)

    def _check_fitted_params(self) -> None:
        for name in ("startprob_", "transmat_", "emissionprob_"):
            if not hasattr(self, name):
                from sklearn.exceptions import NotFittedError

                raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit(X) or set {name}")
        K = self.n_components
        pi = check_array(self.startprob_, "startprob_", ndim=1)
        if pi.shape != (K,) or np.any(pi < 0) or not np.isclose(pi.sum(), 1.0, atol=1e-8):
            raise ValueError(f"startprob_ must be a probability vector of length {K}, got {np.round(pi, 4)}")
        A = check_transition_matrix(self.transmat_, "transmat_")
        if A.shape != (K, K):
            raise ValueError(f"transmat_ must have shape ({K}, {K}), got {A.shape}")
        B = check_array(self.emissionprob_, "emissionprob_", ndim=2)
        if B.shape[0] != K or np.any(B < 0) or not np.allclose(B.sum(axis=1), 1.0, atol=1e-8):
            raise ValueError(f"emissionprob_ must have {K} rows, each a probability vector")
        self.n_features = B.shape[1] if self.n_features is None else self.n_features
        if B.shape[1] != self.n_features:
            raise ValueError(f"emissionprob_ has {B.shape[1]} columns but n_features is {self.n_features}")

    def _sequences(self, X, lengths):
        self._check_fitted_params()
        x, lengths = self._check_X(X, lengths, n_features=self.n_features)
        ends = np.cumsum(lengths)
        return [(x[e - n : e], e - n) for n, e in zip(lengths, ends, strict=True)]

    def _logs(self):
        return _log(np.asarray(self.startprob_)), _log(np.asarray(self.transmat_)), _log(np.asarray(self.emissionprob_))

    # ---- inference ----------------------------------------------------------------------------
    def _posteriors(self, x):
        log_pi, log_A, log_B = self._logs()
        frame = log_B[:, x].T  # frame[t, j] = log B_j(x_t)
        logprob, log_alpha = log_forward(log_pi, log_A, frame)
        log_beta = log_backward(log_pi, log_A, frame)
        gamma = np.exp(log_alpha + log_beta - logprob)  # p(z_t = j | x)
        return logprob, gamma, log_alpha, log_beta, frame

    def score_samples(self, X, lengths=None) -> tuple[float, np.ndarray]:
        """总对数似然与每个时刻的状态后验 :math:`p(z_t=j\\mid\\mathbf x)`（形状 (n, K)）。"""
        total, post = 0.0, []
        for x, _ in self._sequences(X, lengths):
            logprob, gamma, *_ = self._posteriors(x)
            total += logprob
            post.append(gamma)
        return total, np.concatenate(post)

    def score(self, X, lengths=None) -> float:
        """对数似然 :math:`\\log p(\\mathbf x)`（前向算法，对数空间；多条序列相加）。"""
        seqs = self._sequences(X, lengths)
        log_pi, log_A, log_B = self._logs()
        return float(sum(log_forward(log_pi, log_A, log_B[:, x].T)[0] for x, _ in seqs))

    def predict_proba(self, X, lengths=None) -> np.ndarray:
        return self.score_samples(X, lengths)[1]

    def decode(self, X, lengths=None, algorithm=None) -> tuple[float, np.ndarray]:
        r"""最可能的状态序列。``algorithm="viterbi"``：联合概率最大的路径，
        返回它的对数概率 :math:`\log p(\mathbf x,\mathbf z^*)`；``"map"``：逐时刻取后验最大的状态，
        返回对数似然 :math:`\log p(\mathbf x)`（这条路径本身可能概率为零，没有有意义的“路径概率”；
        hmmlearn 在这里返回的是各时刻最大后验之和，版本间不一，故不照搬）。"""
        algorithm = self.algorithm if algorithm is None else algorithm
        if algorithm not in ("viterbi", "map"):
            raise ValueError(f"algorithm must be 'viterbi' or 'map', got {algorithm!r}")
        seqs = self._sequences(X, lengths)
        log_pi, log_A, log_B = self._logs()
        total, states = 0.0, []
        for x, _ in seqs:
            if algorithm == "viterbi":
                lp, path = viterbi(log_pi, log_A, log_B[:, x].T)
            else:
                lp, gamma, *_ = self._posteriors(x)
                path = np.argmax(gamma, axis=1)
            total += lp
            states.append(path)
        return total, np.concatenate(states)

    def predict(self, X, lengths=None) -> np.ndarray:
        return self.decode(X, lengths)[1]

    def get_stationary_distribution(self) -> np.ndarray:
        r"""转移矩阵的平稳分布 :math:`\boldsymbol\pi A=\boldsymbol\pi`（``lib.sampling.stationary_distribution``）。"""
        self._check_fitted_params()
        return stationary_distribution(self.transmat_)

    def _n_parameters(self) -> int:
        """``params`` 中被估计的自由参数个数（同 hmmlearn：每个概率向量少一个自由度）。"""
        K, F = self.n_components, self.n_features
        counts = {"s": K - 1, "t": K * (K - 1), "e": K * (F - 1)}
        return sum(counts[c] for c in set(self.params))

    def bic(self, X, lengths=None) -> float:
        r"""贝叶斯信息准则 :math:`-2\log p(\mathbf x)+k\log n`，越小越好。"""
        return -2 * self.score(X, lengths) + self._n_parameters() * np.log(np.shape(X)[0])

    def aic(self, X, lengths=None) -> float:
        r"""赤池信息准则 :math:`-2\log p(\mathbf x)+2k`，越小越好。"""
        return -2 * self.score(X, lengths) + 2 * self._n_parameters()

    def sample(self, n_samples: int = 1, random_state=None, currstate=None) -> tuple[np.ndarray, np.ndarray]:
        """按模型生成一条长 ``n_samples`` 的序列：返回观测 ``X``（形状 (n, 1)）与隐状态 ``Z``。"""
        self._check_fitted_params()
        check_scalar(n_samples, "n_samples", Integral, min_val=1)
        rng = check_random_state(self.random_state if random_state is None else random_state, "random_state")
        pi, A, B = np.asarray(self.startprob_), np.asarray(self.transmat_), np.asarray(self.emissionprob_)
        Z = np.empty(n_samples, dtype=np.int64)
        X = np.empty((n_samples, 1), dtype=np.int64)
        z = rng.choice(self.n_components, p=pi) if currstate is None else int(currstate)
        for t in range(n_samples):
            if t > 0:
                z = rng.choice(self.n_components, p=A[z])
            Z[t] = z
            X[t, 0] = rng.choice(B.shape[1], p=B[z])
        return X, Z

    # ---- learning -----------------------------------------------------------------------------
    def _check_hyper(self) -> None:
        check_size(self.n_components, "n_components", max_val=10**4)
        if self.n_features is not None:
            check_size(self.n_features, "n_features", max_val=10**6)
        check_scalar(self.n_iter, "n_iter", Integral, min_val=1)
        check_scalar(self.tol, "tol", Real, min_val=0)
        check_option(self.algorithm, "algorithm", ("viterbi", "map"))
        check_option(self.implementation, "implementation", ("log", "scaling"))
        check_scalar(self.verbose, "verbose", bool)
        for name in ("params", "init_params"):
            value = getattr(self, name)
            if not isinstance(value, str) or set(value) - set("ste"):
                raise ValueError(f"{name} must be a string of the letters 's', 't', 'e', got {value!r}")
        for name in ("startprob_prior", "transmat_prior", "emissionprob_prior"):
            try:
                prior = np.asarray(getattr(self, name), dtype=float)
            except (TypeError, ValueError):
                raise TypeError(f"{name} must be a positive number or array, got {getattr(self, name)!r}") from None
            if prior.size == 0 or np.any(~np.isfinite(prior)) or np.any(prior <= 0):
                raise ValueError(f"{name} must be positive (a Dirichlet parameter), got {getattr(self, name)!r}")

    def fit(self, X, lengths=None) -> CategoricalHMM:
        """Baum–Welch：E 步前向–后向，M 步用期望计数（加狄利克雷先验减一）重新估计被 ``params`` 选中的参数。"""
        self._check_hyper()
        x_all, lengths = self._check_X(X, lengths, n_features=self.n_features)
        if self.n_features is None:
            self.n_features = int(x_all.max()) + 1
        K, F = self.n_components, self.n_features
        rng = check_random_state(self.random_state, "random_state")
        if "s" in self.init_params or not hasattr(self, "startprob_"):
            self.startprob_ = np.full(K, 1.0 / K)
        if "t" in self.init_params or not hasattr(self, "transmat_"):
            self.transmat_ = np.full((K, K), 1.0 / K)
        if "e" in self.init_params or not hasattr(self, "emissionprob_"):
            B = rng.random((K, F))
            self.emissionprob_ = B / B.sum(axis=1, keepdims=True)
        self.monitor_ = ConvergenceMonitor(self.tol, self.n_iter, self.verbose)
        for _ in range(self.n_iter):
            start, trans, emit = np.zeros(K), np.zeros((K, K)), np.zeros((K, F))
            total = 0.0
            self._check_fitted_params()
            log_pi, log_A, log_B = self._logs()
            for xs in _batches(x_all, lengths):
                # xs: (N, T) symbols of N sequences of equal length, processed together
                frame = np.moveaxis(log_B[:, xs], 0, -1)  # frame[n, t, j] = log B_j(x_t)
                logprob, log_alpha = log_forward(log_pi, log_A, frame)
                log_beta = log_backward(log_pi, log_A, frame)
                gamma = np.exp(log_alpha + log_beta - logprob[:, None, None])  # p(z_t = j | x)
                total += logprob.sum()
                start += gamma[:, 0].sum(axis=0)
                np.add.at(emit.T, xs.ravel(), gamma.reshape(-1, K))  # emit[j, x_t] += gamma_t(j)
                if xs.shape[1] > 1:
                    # xi_t(i, j) = alpha_t(i) A_ij B_j(x_{t+1}) beta_{t+1}(j) / p(x)
                    log_xi = log_alpha[:, :-1, :, None] + log_A + (frame[:, 1:] + log_beta[:, 1:])[:, :, None, :]
                    trans += np.exp(log_xi - logprob[:, None, None, None]).sum(axis=(0, 1))
            self.monitor_.report(total)
            if "s" in self.params:
                self.startprob_ = _normalize(np.maximum(self.startprob_prior - 1.0 + start, 0))
            if "t" in self.params:
                self.transmat_ = _normalize(np.maximum(self.transmat_prior - 1.0 + trans, 0))
            if "e" in self.params:
                self.emissionprob_ = _normalize(np.maximum(self.emissionprob_prior - 1.0 + emit, 0))
            if self.monitor_.converged:
                break
        return self


def _batches(x: np.ndarray, lengths: np.ndarray):
    """把首尾相接的序列按长度分组，每组返回形状 (N, T) 的符号数组。"""
    ends = np.cumsum(lengths)
    starts = ends - lengths
    for T in np.unique(lengths):
        idx = np.flatnonzero(lengths == T)
        yield np.stack([x[starts[i] : ends[i]] for i in idx])


def _normalize(a: np.ndarray) -> np.ndarray:
    s = a.sum(axis=-1, keepdims=True)
    # a row that received no mass (a state never visited) stays uniform
    return np.where(s > 0, a / np.where(s > 0, s, 1.0), 1.0 / a.shape[-1])
