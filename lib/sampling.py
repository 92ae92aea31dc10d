r"""采样与蒙特卡洛方法：用随机样本估计期望与积分，以及马尔可夫链的模拟
（“蒙特卡洛估计与重要性采样”一节、附录“马尔可夫过程与主方程”；从隐变量模型与 EM 到密度估计的几章
在这里加入 MCMC 与 Gibbs 采样）。

全书只有这一个采样模块，从上到下分四部分，后面的部分复用前面的部分：

1. **约定与结果**——“采样器”与“对数密度”的约定（:func:`draw`），估计结果 :class:`MCEstimate`，
   重要性权重的归一化与有效样本量（:func:`importance_weights`、:func:`effective_sample_size`）。
2. **蒙特卡洛估计**——:math:`\mathbb E_p[f]\approx\frac1n\sum_if(x_i)`（:func:`monte_carlo`）。
3. **重要性采样**——从提议分布 :math:`q` 采样估计 :math:`\mathbb E_p[f]`：普通估计量（:math:`p` 已归一化）与
   自归一化估计量（:math:`p` 只知道到一个常数倍），:func:`importance_sampling`；积分 :math:`\int f=\mathbb E_q[f/q]`
   是它的特例（:func:`mc_integrate`）。第 2、3 部分对应“蒙特卡洛估计与重要性采样”一节。
4. **马尔可夫链**（附录“马尔可夫过程与主方程”）——离散时间链的模拟与平稳分布，连续时间链的主方程与 Gillespie 模拟。
   MCMC 的全部理论就是“构造一条以目标分布为平稳分布的链”。

后面几章加入的 Metropolis–Hastings、Gibbs 采样放在第 4 部分之后，遵守同样的约定：随机源一律经过
``lib.utils.check_random_state``（默认种子 0，结果可复现）；目标分布用（未归一化的）对数密度给出；
样本按行排列（一维时形状 ``(n,)``，多维时 ``(n, d)``）；链的诊断（自相关、链的有效样本量）与这里的
:func:`effective_sample_size` 并列。

**采样器的约定**：凡是参数名为 ``sampler`` 的地方，既可以传一个函数 ``sampler(n, rng) -> 样本``，也可以传一个
带 ``rvs(size=..., random_state=...)`` 方法的对象——``scipy.stats`` 的“冻结”分布（如 ``scipy.stats.norm(0, 2)``）
都满足；对数密度 ``logpdf`` 是逐样本求值的函数 ``logpdf(x) -> (n,)``，缺省时取 ``sampler.logpdf``。

=========================  ==================================================================
``draw``                   按上面的约定从采样器取 ``n`` 个样本
``MCEstimate``             估计值、标准误、样本数、有效样本量、（归一化的）重要性权重
``importance_weights``     由对数密度之差算出归一化的权重（log-sum-exp，不会上溢）
``effective_sample_size``  重要性权重的有效样本量 :math:`(\sum w)^2/\sum w^2`（Kish）
``monte_carlo``            :math:`\hat\mu_n=\frac1n\sum f(x_i)`，标准误 :math:`s/\sqrt n`
``mc_integrate``           :math:`\hat I_n=\frac1n\sum f(x_i)/q(x_i)`
``importance_sampling``    普通与自归一化的重要性采样估计
``check_transition_matrix``   转移矩阵（行和为 1）/ 生成元（行和为 0）的检查
``check_generator``
``stationary_distribution``   :math:`\boldsymbol\pi P=\boldsymbol\pi` 或 :math:`\boldsymbol\pi Q=\mathbf 0` 的概率解
``simulate_markov_chain``  离散时间马尔可夫链（可同时模拟多条）
``master_equation``        主方程 :math:`\dot{\mathbf p}=\mathbf pQ` 的解 :math:`\mathbf p(t)=\mathbf p(0)e^{Qt}`
``gillespie``              连续时间马尔可夫链的精确模拟（Gillespie 算法）
``state_at``               由 Gillespie 路径读出任意时刻的状态
``gibbs_boltzmann``        玻尔兹曼机 / 伊辛模型的 Gibbs 采样（逐个单元按条件分布重抽，系统扫描）
=========================  ==================================================================
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

import numpy as np

from .utils import check_array, check_random_state, check_scalar

__all__ = [
    "draw",
    "MCEstimate",
    "importance_weights",
    "effective_sample_size",
    "monte_carlo",
    "mc_integrate",
    "importance_sampling",
    "check_transition_matrix",
    "check_generator",
    "stationary_distribution",
    "simulate_markov_chain",
    "master_equation",
    "gillespie",
    "state_at",
    "gibbs_boltzmann",
]


# =============================================================================================
# 1. 约定与结果
# =============================================================================================
def draw(sampler: Any, n: int, rng=None) -> np.ndarray:
    """从 ``sampler`` 取 ``n`` 个样本：函数 ``sampler(n, rng)``，或带 ``rvs`` 方法的分布对象
    （如 ``scipy.stats.norm()``）。

    返回形状 ``(n,)`` 或 ``(n, d)`` 的浮点数组；采样器返回的形状或数值不对时给出清楚的错误。
    """
    n = check_scalar(n, "n", Integral, min_val=1)
    rng = check_random_state(rng)
    if hasattr(sampler, "rvs"):
        x = sampler.rvs(size=n, random_state=rng)
    elif callable(sampler):
        x = sampler(n, rng)
    else:
        raise TypeError(
            f"sampler must be a function sampler(n, rng) or have an rvs method, got {type(sampler).__name__}"
        )
    x = check_array(x, "the sampler's output", ndim=(1, 2))
    if x.shape[0] != n:
        raise ValueError(f"the sampler must return n = {n} samples (rows), got shape {x.shape}")
    return x


def _evaluate(fn: Callable, x: np.ndarray, name: str, *, finite: bool = True) -> np.ndarray:
    """逐样本求值 ``fn(x)``，检查结果形状是 ``(n,)``（或 ``(n, k)``，仅 ``f`` 允许）。"""
    if not callable(fn):
        raise TypeError(f"{name} must be callable, got {type(fn).__name__}")
    out = np.asarray(fn(x), dtype=float)
    if out.ndim == 0 or out.shape[0] != x.shape[0] or out.ndim > 2:
        raise ValueError(
            f"{name}(x) must return one value (or one row) per sample ({x.shape[0]}), got shape {out.shape}"
        )
    if finite and not np.all(np.isfinite(out)):
        raise ValueError(f"{name}(x) returned NaN or infinity")
    return out


@dataclass(frozen=True)
class MCEstimate:
    r"""一次蒙特卡洛估计的结果。

    ``estimate``：估计值（:math:`f` 取向量值时是数组）；``std_error``：估计的标准误（由同一批样本估计）；
    ``n``：样本数；``ess``：有效样本量（普通蒙特卡洛就是 ``n``；重要性采样见 :func:`effective_sample_size`）；
    ``weights``：重要性采样时归一化的权重 :math:`\bar w_i`（和为 1），否则为 ``None``。
    """

    estimate: float | np.ndarray
    std_error: float | np.ndarray
    n: int
    ess: float
    weights: np.ndarray | None = None

    def interval(self, z: float = 1.96) -> tuple:
        """近似的置信区间 ``(estimate - z·se, estimate + z·se)``（中心极限定理；默认约 95%）。"""
        z = check_scalar(z, "z", Real, min_val=0)
        return self.estimate - z * self.std_error, self.estimate + z * self.std_error


def _scalar_or_array(a: np.ndarray):
    return float(a) if np.ndim(a) == 0 else a


def importance_weights(log_target, log_proposal) -> np.ndarray:
    r"""归一化的重要性权重 :math:`\bar w_i=w_i/\sum_jw_j`，:math:`\log w_i=\log\tilde p(x_i)-\log q(x_i)`。

    在对数域减去最大值再取指数（log-sum-exp），权重相差几百个数量级也不会上溢或全部下溢为 0。
    ``log_target`` 可以取 :math:`-\infty`（目标在该点的密度为 0，权重为 0）；``log_proposal`` 必须有限——
    样本是从 :math:`q` 抽的，:math:`q(x_i)=0` 说明提议分布的对数密度与采样器不一致。
    """
    log_target = check_array(log_target, "log_target", ndim=1, finite=False)
    log_proposal = check_array(log_proposal, "log_proposal", ndim=1)
    if log_target.shape != log_proposal.shape:
        raise ValueError(
            f"log_target and log_proposal must have the same shape, got {log_target.shape}, {log_proposal.shape}"
        )
    if np.any(np.isnan(log_target)) or np.any(log_target == np.inf):
        raise ValueError("log_target must not be NaN or +inf")
    log_w = log_target - log_proposal
    if not np.any(np.isfinite(log_w)):
        raise ValueError("every importance weight is 0: no sample falls where the target has mass")
    w = np.exp(log_w - log_w.max())
    return w / w.sum()


def effective_sample_size(weights) -> float:
    r"""重要性权重的有效样本量（Kish）：

    .. math:: n_{\rm eff}=\frac{\bigl(\sum_iw_i\bigr)^2}{\sum_iw_i^2}=\frac1{\sum_i\bar w_i^2}\in[1,n].

    权重全相等时为 :math:`n`，一个样本独占全部权重时为 1。它近似地回答“这 :math:`n` 个加权样本相当于多少个
    直接从目标分布抽的样本”。权重不必归一化，但必须非负且不全为 0。
    """
    w = check_array(weights, "weights", ndim=1)
    if np.any(w < 0):
        raise ValueError(f"weights must be non-negative, got min {w.min()}")
    total = w.sum()
    if total <= 0:
        raise ValueError("weights must not all be 0")
    w = w / total
    return float(1.0 / np.sum(w**2))


# =============================================================================================
# 2. 蒙特卡洛估计（“蒙特卡洛估计与重要性采样”一节）
# =============================================================================================
def _mean_and_se(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = values.shape[0]
    mean = values.mean(axis=0)
    se = values.std(axis=0, ddof=1) / np.sqrt(n) if n > 1 else np.full_like(mean, np.nan)
    return mean, se


def monte_carlo(f: Callable, sampler: Any, n: int, rng=None) -> MCEstimate:
    r"""普通蒙特卡洛估计 :math:`\mathbb E_{x\sim p}[f(x)]\approx\hat\mu_n=\frac1n\sum_{i=1}^nf(x_i)`，:math:`x_i\sim p`
    独立同分布（``sampler`` 从 :math:`p` 采样）。

    :math:`\hat\mu_n` 无偏，方差 :math:`\operatorname{Var}_p(f)/n`；标准误用样本标准差估计，:math:`s/\sqrt n`——
    误差按 :math:`1/\sqrt n` 下降，与维数无关。``f(x)`` 返回 ``(n,)``，或 ``(n, k)``（一次估计 :math:`k` 个期望）。
    """
    x = draw(sampler, n, rng)
    values = _evaluate(f, x, "f")
    mean, se = _mean_and_se(values)
    return MCEstimate(_scalar_or_array(mean), _scalar_or_array(se), int(n), float(n))


# =============================================================================================
# 3. 重要性采样（“蒙特卡洛估计与重要性采样”一节）
# =============================================================================================
def importance_sampling(
    f: Callable,
    sampler: Any,
    target_logpdf: Callable,
    proposal_logpdf: Callable | None = None,
    n: int = 1000,
    rng=None,
    *,
    self_normalized: bool = False,
) -> MCEstimate:
    r"""重要性采样：从提议分布 :math:`q`（``sampler``，对数密度 ``proposal_logpdf``）采样，
    估计目标分布 :math:`p` 下的期望 :math:`\mathbb E_p[f]=\mathbb E_q\bigl[f\,\tfrac pq\bigr]`。
    权重 :math:`w_i=p(x_i)/q(x_i)`。

    * ``self_normalized=False``（普通估计量）：:math:`\hat\mu=\frac1n\sum_iw_if(x_i)`。无偏，要求 ``target_logpdf``
      是 **归一化** 的对数密度。标准误是 :math:`w_if(x_i)` 的样本标准差除以 :math:`\sqrt n`。
    * ``self_normalized=True``（自归一化估计量）：:math:`\hat\mu=\sum_iw_if(x_i)/\sum_iw_i`。只需 :math:`p` 的未归一化
      对数密度（常数倍会在分子分母中约掉）；有 :math:`O(1/n)` 的偏差，但相合。标准误用 delta 方法
      :math:`\sqrt{\sum_i\bar w_i^2(f(x_i)-\hat\mu)^2}`。

    要求 :math:`f(x)p(x)\ne0` 的地方 :math:`q(x)>0`（支撑条件），否则估计有偏且样本看不出来。``ess`` 是
    :func:`effective_sample_size`：它远小于 :math:`n` 时，估计由少数几个大权重决定，标准误本身也不可信
    （“蒙特卡洛估计与重要性采样”一节）。
    ``proposal_logpdf`` 缺省时用 ``sampler.logpdf``。
    """
    if not isinstance(self_normalized, (bool, np.bool_)):
        raise TypeError(f"self_normalized must be a bool, got {type(self_normalized).__name__}")
    if proposal_logpdf is None:
        if not hasattr(sampler, "logpdf"):
            raise TypeError("proposal_logpdf is required when the sampler has no logpdf method")
        proposal_logpdf = sampler.logpdf
    x = draw(sampler, n, rng)
    log_q = _evaluate(proposal_logpdf, x, "proposal_logpdf")
    log_p = _evaluate(target_logpdf, x, "target_logpdf", finite=False)
    if log_q.ndim != 1 or log_p.ndim != 1:
        raise ValueError("target_logpdf and proposal_logpdf must return one value per sample")
    values = _evaluate(f, x, "f")
    w_bar = importance_weights(log_p, log_q)
    ess = effective_sample_size(w_bar)
    fw = values if values.ndim == 1 else values.T  # (k, n) for vector-valued f
    if self_normalized:
        est = fw @ w_bar
        centred = fw - (est if values.ndim == 1 else est[:, None])
        se = np.sqrt((centred**2) @ (w_bar**2))
    else:
        log_w = log_p - log_q
        w = np.where(np.isfinite(log_w), np.exp(np.where(np.isfinite(log_w), log_w, 0.0)), 0.0)
        if not np.all(np.isfinite(w)):
            raise ValueError("an importance weight p(x)/q(x) overflows; use self_normalized=True or a wider proposal")
        est, se = _mean_and_se(values * (w if values.ndim == 1 else w[:, None]))
    return MCEstimate(_scalar_or_array(est), _scalar_or_array(se), int(n), ess, w_bar)


def mc_integrate(f: Callable, sampler: Any, logpdf: Callable | None = None, n: int = 1000, rng=None) -> MCEstimate:
    r"""用样本估计积分
    :math:`I=\int f(x)\,\mathrm dx=\mathbb E_q\bigl[f(x)/q(x)\bigr]\approx\frac1n\sum_i\frac{f(x_i)}{q(x_i)}`，
    :math:`x_i\sim q`（``sampler``，对数密度 ``logpdf``，缺省时用 ``sampler.logpdf``）。

    它是 :func:`importance_sampling` 的普通估计量，“目标密度”取常数 1（勒贝格测度）。区域 :math:`D` 上的均匀分布
    :math:`q=1/V` 给出 :math:`\hat I_n=\frac Vn\sum_if(x_i)`；:math:`q\propto|f|` 时方差最小（:math:`f\ge0` 时为 0）。
    要求 :math:`f\ne0` 的地方 :math:`q>0`。
    """
    return importance_sampling(f, sampler, lambda x: np.zeros(x.shape[0]), logpdf, n, rng)


# =============================================================================================
# 4. 马尔可夫链（附录“马尔可夫过程与主方程”；MCMC 的基础）
# =============================================================================================
def check_transition_matrix(P, name: str = "P") -> np.ndarray:
    r"""检查离散时间马尔可夫链的转移矩阵：方阵，元素非负，每行之和为 1（:math:`P_{ij}=P(X_{t+1}=j\mid X_t=i)`，
    行是“从哪里来”）。返回它的浮点副本。"""
    P = check_array(P, name, ndim=2)
    if P.shape[0] != P.shape[1]:
        raise ValueError(f"{name} must be square, got shape {P.shape}")
    if np.any(P < 0):
        raise ValueError(f"{name} must be non-negative, got min {P.min()}")
    sums = P.sum(axis=1)
    if not np.allclose(sums, 1.0, rtol=0, atol=1e-10):
        raise ValueError(f"each row of {name} must sum to 1, got row sums in [{sums.min()}, {sums.max()}]")
    return P


def check_generator(Q, name: str = "Q") -> np.ndarray:
    r"""检查连续时间马尔可夫链的生成元（速率矩阵）：方阵，非对角元 :math:`Q_{ij}\ge0` 是从 :math:`i`
    跳到 :math:`j` 的速率，对角元 :math:`Q_{ii}=-\sum_{j\ne i}Q_{ij}`，即每行之和为 0。返回它的浮点副本。"""
    Q = check_array(Q, name, ndim=2)
    if Q.shape[0] != Q.shape[1]:
        raise ValueError(f"{name} must be square, got shape {Q.shape}")
    off = Q - np.diag(np.diag(Q))
    if np.any(off < 0):
        raise ValueError(f"the off-diagonal entries (jump rates) of {name} must be non-negative, got min {off.min()}")
    sums = Q.sum(axis=1)
    scale = max(1.0, np.abs(Q).max())
    if not np.allclose(sums, 0.0, rtol=0, atol=1e-10 * scale):
        raise ValueError(f"each row of {name} must sum to 0, got row sums in [{sums.min()}, {sums.max()}]")
    return Q


def _check_initial(p0, K: int, name: str = "p0") -> np.ndarray:
    p0 = check_array(p0, name, ndim=1)
    if p0.shape != (K,):
        raise ValueError(f"{name} must have one probability per state ({K}), got shape {p0.shape}")
    if np.any(p0 < 0) or not np.isclose(p0.sum(), 1.0, rtol=0, atol=1e-10):
        raise ValueError(f"{name} must be a probability vector (non-negative, summing to 1), got sum {p0.sum()}")
    return p0


def stationary_distribution(M, *, generator: bool = False) -> np.ndarray:
    r"""平稳分布：满足 :math:`\boldsymbol\pi P=\boldsymbol\pi`（转移矩阵 ``M=P``）或 :math:`\boldsymbol\pi Q=\mathbf 0`
    （``generator=True``，生成元 ``M=Q``）且 :math:`\sum_i\pi_i=1` 的概率向量（行向量）。

    把线性方程组 :math:`\boldsymbol\pi(P-I)=\mathbf 0`（或 :math:`\boldsymbol\pi Q=\mathbf 0`）加上归一化条件，
    用最小二乘求解。
    平稳分布不唯一（链可约，例如有两个互不相通的状态组）时报错。
    """
    if not isinstance(generator, (bool, np.bool_)):
        raise TypeError(f"generator must be a bool, got {type(generator).__name__}")
    A = check_generator(M, "Q") if generator else check_transition_matrix(M, "P") - np.eye(np.shape(M)[0])
    K = A.shape[0]
    # pi A = 0  <=>  A^T pi^T = 0; stack the normalisation sum(pi) = 1 under it
    system = np.vstack([A.T, np.ones((1, K))])
    if np.linalg.matrix_rank(system[:-1], tol=1e-10 * max(1.0, np.abs(A).max())) < K - 1:
        raise ValueError("the stationary distribution is not unique (the chain is reducible)")
    rhs = np.zeros(K + 1)
    rhs[-1] = 1.0
    pi, *_ = np.linalg.lstsq(system, rhs, rcond=None)
    pi = np.clip(pi, 0.0, None)
    return pi / pi.sum()


def _check_state(x0, K: int) -> np.ndarray:
    x0 = check_array(x0, "x0", ndim=(0, 1), dtype=None)
    if not np.issubdtype(x0.dtype, np.integer):
        raise TypeError(f"x0 must hold integer states 0..{K - 1}, got dtype {x0.dtype}")
    if np.any(x0 < 0) or np.any(x0 >= K):
        raise ValueError(f"x0 must hold states in 0..{K - 1}, got values in [{x0.min()}, {x0.max()}]")
    return x0.astype(np.int64)


def simulate_markov_chain(P, x0, n_steps: int, rng=None) -> np.ndarray:
    r"""模拟离散时间马尔可夫链 :math:`X_0=x_0,\ X_{t+1}\sim P_{X_t,\cdot}`，返回 :math:`X_0,\dots,X_{n}`。

    ``x0`` 是一个整数状态（返回长度 ``n_steps + 1`` 的路径），或一组初始状态（同时模拟这么多条独立的链，
    返回形状 ``(n_chains, n_steps + 1)``）。每一步用一个均匀随机数与当前行的累积概率比较（逆变换采样）。
    """
    P = check_transition_matrix(P)
    K = P.shape[0]
    x0 = _check_state(x0, K)
    n_steps = check_scalar(n_steps, "n_steps", Integral, min_val=0)
    rng = check_random_state(rng)
    single = x0.ndim == 0
    x = np.atleast_1d(x0).copy()
    cum = np.cumsum(P, axis=1)
    cum[:, -1] = 1.0  # guard against rounding: the last cumulative probability is exactly 1
    path = np.empty((x.shape[0], n_steps + 1), dtype=np.int64)
    path[:, 0] = x
    for t in range(1, n_steps + 1):
        u = rng.random(x.shape[0])
        x = np.sum(u[:, None] >= cum[x], axis=1)  # the first state j with u < cum[x, j]
        path[:, t] = x
    return path[0] if single else path


def master_equation(Q, p0, t) -> np.ndarray:
    r"""连续时间马尔可夫链的主方程 :math:`\frac{\mathrm d\mathbf p}{\mathrm dt}=\mathbf p\,Q`（行向量；
    第 :math:`j` 个分量 :math:`\dot p_j=\sum_{i\ne j}p_iQ_{ij}-p_j\sum_{k\ne j}Q_{jk}`：流入减流出）的解

    .. math:: \mathbf p(t)=\mathbf p(0)\,e^{Qt},

    用 ``scipy.linalg.expm`` 计算矩阵指数。``t`` 是非负标量（返回 ``(K,)``）或一组时刻（返回 ``(len(t), K)``）。
    """
    from scipy.linalg import expm

    Q = check_generator(Q)
    p0 = _check_initial(p0, Q.shape[0])
    t = check_array(t, "t", ndim=(0, 1))
    if np.any(t < 0):
        raise ValueError(f"t must be >= 0, got min {t.min()}")
    out = np.array([p0 @ expm(Q * ti) for ti in np.atleast_1d(t)])
    out = np.clip(out, 0.0, None)
    out /= out.sum(axis=1, keepdims=True)
    return out[0] if t.ndim == 0 else out


def gillespie(Q, x0: int, t_max: float, rng=None) -> tuple[np.ndarray, np.ndarray]:
    r"""连续时间马尔可夫链的精确模拟（Gillespie 算法）。在状态 :math:`i`：

    1. 停留时间服从指数分布，速率是离开 :math:`i` 的总速率 :math:`\lambda_i=-Q_{ii}`；
    2. 离开时以概率 :math:`Q_{ij}/\lambda_i` 跳到 :math:`j\ne i`。

    从 ``x0`` 出发直到时刻 ``t_max``，返回 ``(times, states)``：``times[0] = 0``，``states[k]`` 是从 ``times[k]`` 起
    所处的状态（直到下一次跳跃）。吸收态（:math:`\lambda_i=0`）一直停留到 ``t_max``。
    """
    Q = check_generator(Q)
    K = Q.shape[0]
    if np.ndim(x0) != 0:
        raise ValueError(f"x0 must be a single state, got shape {np.shape(x0)}")
    x = int(_check_state(x0, K))
    t_max = check_scalar(t_max, "t_max", Real, min_val=0)
    rng = check_random_state(rng)
    rates = -np.diag(Q)
    t, times, states = 0.0, [0.0], [x]
    while True:
        if rates[x] <= 0:  # absorbing state
            break
        t += rng.exponential(1.0 / rates[x])
        if t > t_max:
            break
        jump = Q[x].copy()
        jump[x] = 0.0
        x = int(rng.choice(K, p=jump / rates[x]))
        times.append(t)
        states.append(x)
    return np.array(times), np.array(states, dtype=np.int64)


def state_at(times, states, t) -> np.ndarray:
    """由 :func:`gillespie` 的路径 ``(times, states)`` 读出时刻 ``t``（标量或数组）的状态（路径右连续）。"""
    times = check_array(times, "times", ndim=1)
    states = check_array(states, "states", ndim=1, dtype=None)
    if times.shape != states.shape:
        raise ValueError(f"times and states must have the same length, got {times.shape} and {states.shape}")
    if times[0] != 0 or np.any(np.diff(times) < 0):
        raise ValueError("times must start at 0 and be non-decreasing")
    t = check_array(t, "t", ndim=(0, 1))
    if np.any(t < 0):
        raise ValueError(f"t must be >= 0, got min {t.min()}")
    idx = np.searchsorted(times, t, side="right") - 1
    out = states[idx]
    return out if np.ndim(out) else out.item()


# =============================================================================================
# 5. Gibbs 采样（概率图模型一章：玻尔兹曼机与伊辛模型）
# =============================================================================================
def gibbs_boltzmann(
    W, b, n_sweeps: int, *, x0=None, spins: bool = False, temperature: float = 1.0, n_chains: int = 1, rng=None
) -> np.ndarray:
    r"""玻尔兹曼分布
    :math:`p(\mathbf x)\propto\exp\bigl((\tfrac12\mathbf x^\top W\mathbf x+\mathbf b^\top\mathbf x)/T\bigr)`
    的 Gibbs 采样。

    每一轮（sweep）按 :math:`i=1,\dots,n` 的顺序，把单元 :math:`i` 从它在其余单元下的条件分布中重抽：
    记 :math:`u_i=\sum_jw_{ij}x_j+b_i`，单元取 :math:`\{0,1\}` 时 :math:`P(x_i=1\mid\mathbf x_{-i})=\sigma(u_i/T)`，
    取 :math:`\{-1,+1\}`（``spins=True``，伊辛模型）时 :math:`P(x_i=+1\mid\mathbf x_{-i})=\sigma(2u_i/T)`。
    ``n_chains`` 条链同时推进；返回每轮结束时的状态，形状 ``(n_sweeps, n_chains, n)``（``n_chains=1`` 时为
    ``(n_sweeps, n)``）。``x0`` 缺省时随机初始化。
    """
    from scipy.special import expit

    from .pgm import check_boltzmann

    W, b = check_boltzmann(W, b)
    n_sweeps = check_scalar(n_sweeps, "n_sweeps", Integral, min_val=1)
    n_chains = check_scalar(n_chains, "n_chains", Integral, min_val=1)
    check_scalar(temperature, "temperature", Real, min_val=0, include_min=False)
    check_scalar(spins, "spins", bool)
    rng = check_random_state(rng)
    lo, hi = (-1.0, 1.0) if spins else (0.0, 1.0)
    n = b.shape[0]
    if x0 is None:
        x = np.where(rng.random((n_chains, n)) < 0.5, lo, hi)
    else:
        x0 = check_array(x0, "x0", ndim=(1, 2))
        if x0.shape not in ((n,), (1, n), (n_chains, n)):
            raise ValueError(f"x0 must have shape ({n},) or ({n_chains}, {n}) (one state per chain), got {x0.shape}")
        x = np.array(np.broadcast_to(x0, (n_chains, n)), dtype=np.float64)
        if not np.all(np.isin(x, (lo, hi))):
            raise ValueError(f"x0 must hold units in {(lo, hi)}")
    out = np.empty((n_sweeps, n_chains, n))
    for s in range(n_sweeps):
        for i in range(n):
            u = x @ W[i] + b[i]  # W[i, i] = 0, so x_i itself does not enter
            p_hi = expit((hi - lo) * u / temperature)
            x[:, i] = np.where(rng.random(n_chains) < p_hi, hi, lo)
        out[s] = x
    return out[:, 0] if n_chains == 1 else out
