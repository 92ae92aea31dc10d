r"""强化学习（“强化学习”一章）：表格型的动态规划、蒙特卡洛与时序差分方法，以及 DQN。

环境的转移表用 gymnasium 的格式（``env.unwrapped.P``）：``P[s][a]`` 是 ``[(概率, 下一状态, 奖励, 是否终止), …]``。
终止的转移之后不再有回报，所以自举时乘以 :math:`1-\text{terminated}`。

* ``transition_arrays``：把转移表变成数组 :math:`T[s,a,s']`、期望奖励 :math:`R[s,a]` 与“继续”的概率；
* ``policy_evaluation``：解 :math:`V^\pi=R^\pi+\gamma T^\pi V^\pi`（迭代）；
* ``value_iteration``、``policy_iteration``：返回 ``(V, policy)``；
* ``q_from_v``：:math:`Q(s,a)=R(s,a)+\gamma\sum_{s'}T(s,a,s')V(s')`（终止转移不自举）；
* ``discounted_return``：有限视界、折扣与平均回报三种最优性模型；
* ``epsilon_greedy``、``boltzmann``：探索策略；``bandit_experiment``：多臂老虎机上比较 ε-贪心、UCB 与玻尔兹曼探索；
* ``RandomWalk``：Sutton 与 Barto 的随机游走；``TabularEnv``：由转移表构造的环境（接口都同 gymnasium 的离散环境）；
* ``td0``、``mc_control``、``sarsa``、``q_learning``：与 gymnasium 环境交互的表格型学习；
* ``ReplayBuffer``、``dqn``：经验回放与目标网络的深度 Q 学习。
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np
import torch
from torch import nn

from .utils import check_random_state, check_scalar

__all__ = [
    "transition_arrays",
    "policy_evaluation",
    "value_iteration",
    "policy_iteration",
    "q_from_v",
    "discounted_return",
    "epsilon_greedy",
    "bandit_experiment",
    "boltzmann",
    "RandomWalk",
    "TabularEnv",
    "mc_prediction",
    "run_episode",
    "td0",
    "mc_control",
    "sarsa",
    "q_learning",
    "ReplayBuffer",
    "DQNHistory",
    "dqn",
]


# ---------------------------------------------------------------------------------------------
# 转移表与动态规划
# ---------------------------------------------------------------------------------------------
def transition_arrays(P) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""把 gymnasium 格式的转移表变成三个数组：

    * ``T[s, a, s']``：转移概率（每个 ``(s, a)`` 的行和为 1）；
    * ``R[s, a]``：期望即时奖励 :math:`\sum p\,r`；
    * ``C[s, a, s']``：不终止地转移到 :math:`s'` 的概率（自举时用它代替 ``T``）。

    检查格式：状态编号为 ``0..n-1``，每个状态的动作数相同，概率非负、和为 1，奖励有限。
    """
    if not isinstance(P, dict) or len(P) == 0:
        raise TypeError(
            "P must be a non-empty dict {state: {action: [(prob, next_state, reward, terminated), ...]}}, "
            f"got {type(P).__name__}"
        )
    n_states = len(P)
    if sorted(P) != list(range(n_states)):
        raise ValueError("P's states must be numbered 0, 1, ..., n_states - 1")
    n_actions = len(P[0])
    if n_actions == 0:
        raise ValueError("every state needs at least one action")
    T = np.zeros((n_states, n_actions, n_states))
    C = np.zeros_like(T)
    R = np.zeros((n_states, n_actions))
    for s in range(n_states):
        if not isinstance(P[s], dict) or sorted(P[s]) != list(range(n_actions)):
            raise ValueError(
                f"state {s} must have actions 0..{n_actions - 1}, "
                f"got {sorted(P[s]) if isinstance(P[s], dict) else P[s]!r}"
            )
        for a in range(n_actions):
            outcomes = P[s][a]
            if len(outcomes) == 0:
                raise ValueError(f"P[{s}][{a}] has no outcomes")
            for item in outcomes:
                if len(item) != 4:
                    raise ValueError(
                        f"P[{s}][{a}] entries must be (prob, next_state, reward, terminated), got {item!r}"
                    )
                prob, s2, reward, done = item
                if not (np.isfinite(prob) and 0 <= prob <= 1):
                    raise ValueError(f"P[{s}][{a}] has a probability outside [0, 1]: {prob!r}")
                if not (isinstance(s2, Integral) and 0 <= s2 < n_states):
                    raise ValueError(f"P[{s}][{a}] leads to an unknown state {s2!r}")
                if not np.isfinite(reward):
                    raise ValueError(f"P[{s}][{a}] has a non-finite reward {reward!r}")
                T[s, a, s2] += prob
                R[s, a] += prob * reward
                if not done:
                    C[s, a, s2] += prob
            if not np.isclose(T[s, a].sum(), 1.0, atol=1e-9):
                raise ValueError(f"the probabilities of P[{s}][{a}] sum to {T[s, a].sum():.6g}, not 1")
    return T, R, C


def _check_gamma(gamma) -> float:
    return float(check_scalar(gamma, "gamma", Real, min_val=0, max_val=1, include_max=False))


def _as_stochastic_policy(policy, n_states: int, n_actions: int) -> np.ndarray:
    policy = np.asarray(policy)
    if policy.ndim == 1:
        if policy.shape != (n_states,) or not np.issubdtype(policy.dtype, np.integer):
            raise ValueError(f"a deterministic policy must be an integer array of shape ({n_states},)")
        if policy.min() < 0 or policy.max() >= n_actions:
            raise ValueError(f"policy actions must be in 0..{n_actions - 1}")
        return np.eye(n_actions)[policy]
    if policy.shape != (n_states, n_actions):
        raise ValueError(f"a stochastic policy must have shape ({n_states}, {n_actions}), got {policy.shape}")
    policy = policy.astype(float)
    if (policy < 0).any() or not np.allclose(policy.sum(1), 1.0):
        raise ValueError("each row of a stochastic policy must be a probability distribution")
    return policy


def policy_evaluation(P, policy, gamma: float, *, tol: float = 1e-10, max_iter: int = 100_000) -> np.ndarray:
    r"""策略评估：迭代 :math:`V\leftarrow R^\pi+\gamma C^\pi V` 直到相邻两次之差的最大值小于 ``tol``。

    ``policy`` 是确定性策略（每个状态一个动作的整数数组）或随机策略（``(n_states, n_actions)`` 的概率表）。
    """
    T, R, C = transition_arrays(P)
    gamma = _check_gamma(gamma)
    check_scalar(tol, "tol", Real, min_val=0, include_min=False)
    check_scalar(max_iter, "max_iter", Integral, min_val=1)
    pi = _as_stochastic_policy(policy, *R.shape)
    R_pi = np.sum(pi * R, axis=1)
    C_pi = np.einsum("sa,sat->st", pi, C)
    V = np.zeros(len(R))
    for _ in range(max_iter):
        V_new = R_pi + gamma * C_pi @ V
        if np.max(np.abs(V_new - V)) < tol:
            return V_new
        V = V_new
    return V


def q_from_v(P, V, gamma: float) -> np.ndarray:
    r""":math:`Q(s,a)=R(s,a)+\gamma\sum_{s'}C(s,a,s')V(s')`（终止的转移不自举）。"""
    T, R, C = transition_arrays(P)
    V = np.asarray(V, dtype=float)
    if V.shape != (len(R),):
        raise ValueError(f"V must have shape ({len(R)},), got {V.shape}")
    return R + _check_gamma(gamma) * C @ V


def value_iteration(P, gamma: float, tol: float = 1e-10, max_iter: int = 100_000) -> tuple[np.ndarray, np.ndarray]:
    r"""价值迭代 :math:`V\leftarrow\max_a\bigl[R(s,a)+\gamma\sum_{s'}C(s,a,s')V(s')\bigr]`，返回 ``(V, policy)``，
    ``policy`` 是对最后的 ``V`` 贪心的动作（并列时取编号最小的）。"""
    T, R, C = transition_arrays(P)
    gamma = _check_gamma(gamma)
    check_scalar(tol, "tol", Real, min_val=0, include_min=False)
    check_scalar(max_iter, "max_iter", Integral, min_val=1)
    V = np.zeros(len(R))
    for _ in range(max_iter):
        Q = R + gamma * C @ V
        V_new = Q.max(axis=1)
        if np.max(np.abs(V_new - V)) < tol:
            V = V_new
            break
        V = V_new
    Q = R + gamma * C @ V
    return V, Q.argmax(axis=1)


def policy_iteration(P, gamma: float, max_iter: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    r"""策略迭代：精确评估（解线性方程组 :math:`(I-\gamma C^\pi)V=R^\pi`）与贪心改进交替，直到策略不再改变。"""
    T, R, C = transition_arrays(P)
    gamma = _check_gamma(gamma)
    check_scalar(max_iter, "max_iter", Integral, min_val=1)
    n_states, n_actions = R.shape
    policy = np.zeros(n_states, dtype=int)
    for _ in range(max_iter):
        idx = np.arange(n_states)
        V = np.linalg.solve(np.eye(n_states) - gamma * C[idx, policy], R[idx, policy])
        Q = R + gamma * C @ V
        best = Q.max(axis=1)
        # 只在严格变好时换动作（并列时保持原动作），保证终止
        improve = Q[idx, policy] < best - 1e-12 * (1 + np.abs(best))
        if not improve.any():
            return V, policy
        policy = np.where(improve, Q.argmax(axis=1), policy)
    return V, policy


def discounted_return(rewards, *, model: str = "discounted", gamma: float = 0.9, horizon: int | None = None) -> float:
    r"""一条奖励序列在三种最优性模型下的回报：

    * ``"finite"``：:math:`\sum_{i=0}^{h-1}r_i`（``horizon`` = :math:`h`）；
    * ``"discounted"``：:math:`\sum_i\gamma^ir_i`；
    * ``"average"``：:math:`\frac1h\sum_{i=0}^{h-1}r_i`（长序列上近似 :math:`\lim_{h\to\infty}`）。
    """
    r = np.asarray(rewards, dtype=float)
    if r.ndim != 1 or r.size == 0 or not np.all(np.isfinite(r)):
        raise ValueError("rewards must be a non-empty 1-D array of finite numbers")
    if model == "discounted":
        return float(np.sum(_check_gamma(gamma) ** np.arange(r.size) * r))
    if model not in ("finite", "average"):
        raise ValueError(f"model must be 'finite', 'discounted' or 'average', got {model!r}")
    h = r.size if horizon is None else check_scalar(horizon, "horizon", Integral, min_val=1, max_val=r.size)
    total = float(np.sum(r[:h]))
    return total if model == "finite" else total / h


# ---------------------------------------------------------------------------------------------
# 探索
# ---------------------------------------------------------------------------------------------
def epsilon_greedy(q_row, epsilon: float, rng=None) -> int:
    """以概率 ``1 - epsilon`` 选估计值最大的动作（并列时随机选一个），否则均匀随机选一个动作。"""
    q_row = np.asarray(q_row, dtype=float)
    if q_row.ndim != 1 or q_row.size == 0:
        raise ValueError("q_row must be a non-empty 1-D array")
    check_scalar(epsilon, "epsilon", Real, min_val=0, max_val=1)
    rng = check_random_state(rng)
    if rng.random() < epsilon:
        return int(rng.integers(q_row.size))
    best = np.flatnonzero(q_row == q_row.max())
    return int(best[0] if best.size == 1 else rng.choice(best))


def boltzmann(q_row, temperature: float) -> np.ndarray:
    r"""玻尔兹曼（softmax）探索的动作概率 :math:`P(a)=e^{Q(a)/T}/\sum_be^{Q(b)/T}`。"""
    q_row = np.asarray(q_row, dtype=float)
    if q_row.ndim != 1 or q_row.size == 0:
        raise ValueError("q_row must be a non-empty 1-D array")
    check_scalar(temperature, "temperature", Real, min_val=0, include_min=False)
    z = (q_row - q_row.max()) / temperature
    p = np.exp(z)
    return p / p.sum()


def bandit_experiment(
    method: str, param: float, *, n_arms: int = 10, steps: int = 1000, runs: int = 500, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    r"""``runs`` 个独立的 ``n_arms`` 臂老虎机（各臂均值 :math:`\mathcal N(0,1)`，
    奖励 = 均值 + :math:`\mathcal N(0,1)` 噪声），用样本平均估计各臂的价值，按 ``method`` 选臂：

    * ``"epsilon"``：ε-贪心，``param`` = ε；
    * ``"ucb"``：选 :math:`\hat q_a+c\sqrt{\ln t/N_a}` 最大的臂（未拉过的臂优先），``param`` = :math:`c`；
    * ``"boltzmann"``：按 :math:`e^{\hat q_a/T}` 的比例抽样，``param`` = :math:`T`。

    返回每一步（对所有老虎机平均的）奖励与“选中最优臂”的比例，形状都是 ``(steps,)``。所有老虎机同时向量化地模拟。
    """
    if method not in ("epsilon", "ucb", "boltzmann"):
        raise ValueError(f"method must be 'epsilon', 'ucb' or 'boltzmann', got {method!r}")
    check_scalar(param, "param", Real, min_val=0, include_min=method != "boltzmann")
    for name, value in (("n_arms", n_arms), ("steps", steps), ("runs", runs)):
        check_scalar(value, name, Integral, min_val=1, max_val=10**6)
    check_scalar(seed, "seed", Integral, min_val=0)
    rng = np.random.default_rng(seed)
    means = rng.standard_normal((runs, n_arms))
    best = means.argmax(axis=1)
    q = np.zeros((runs, n_arms))
    n = np.zeros((runs, n_arms))
    rows = np.arange(runs)
    reward_curve, optimal_curve = np.empty(steps), np.empty(steps)
    for t in range(steps):
        if method == "epsilon":
            greedy = (q + 1e-9 * rng.random(q.shape)).argmax(axis=1)  # 并列时随机
            explore = rng.random(runs) < param
            a = np.where(explore, rng.integers(0, n_arms, runs), greedy)
        elif method == "ucb":
            bonus = param * np.sqrt(np.log(t + 1) / np.maximum(n, 1))
            a = np.where(n.min(axis=1) == 0, (n == 0).argmax(axis=1), (q + bonus).argmax(axis=1))
        else:
            z = (q - q.max(axis=1, keepdims=True)) / param
            p = np.exp(z)
            p /= p.sum(axis=1, keepdims=True)
            a = (p.cumsum(axis=1) > rng.random((runs, 1))).argmax(axis=1)
        r = means[rows, a] + rng.standard_normal(runs)
        n[rows, a] += 1
        q[rows, a] += (r - q[rows, a]) / n[rows, a]
        reward_curve[t] = r.mean()
        optimal_curve[t] = np.mean(a == best)
    return reward_curve, optimal_curve


# ---------------------------------------------------------------------------------------------
# 与环境交互的表格型方法
# ---------------------------------------------------------------------------------------------
def _check_env(env):
    for name in ("reset", "step"):
        if not callable(getattr(env, name, None)):
            raise TypeError(f"env must have reset() and step() like a gymnasium environment; missing {name}")
    n_states = getattr(getattr(env, "observation_space", None), "n", None)
    n_actions = getattr(getattr(env, "action_space", None), "n", None)
    if n_states is None or n_actions is None:
        raise TypeError("tabular methods need discrete observation and action spaces (with .n)")
    return int(n_states), int(n_actions)


class _Discrete:
    def __init__(self, n: int):
        self.n = n


class RandomWalk:
    r"""Sutton 与 Barto 的随机游走：状态 ``0..n+1``，``0`` 与 ``n+1`` 是终点，从中间的状态出发，
    每步等概率向左或向右（动作被忽略）；到达右端终点奖励 1，其余为 0。:math:`\gamma=1` 时非终点状态
    :math:`k` 的真实价值是 :math:`k/(n+1)`。接口同 gymnasium 的离散环境（``reset``、``step``、``P``）。"""

    def __init__(self, n: int = 5):
        check_scalar(n, "n", Integral, min_val=1, max_val=10**5)
        self.n = int(n)
        self.observation_space = _Discrete(self.n + 2)
        self.action_space = _Discrete(1)
        self._rng = np.random.default_rng(0)
        self._state = (self.n + 1) // 2

    @property
    def P(self) -> dict:
        P = {0: {0: [(1.0, 0, 0.0, True)]}, self.n + 1: {0: [(1.0, self.n + 1, 0.0, True)]}}
        for s in range(1, self.n + 1):
            P[s] = {0: [(0.5, s - 1, 0.0, s - 1 == 0), (0.5, s + 1, float(s + 1 == self.n + 1), s + 1 == self.n + 1)]}
        return dict(sorted(P.items()))

    def reset(self, seed: int | None = None):
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        self._state = (self.n + 1) // 2
        return self._state, {}

    def step(self, action):
        self._state += 1 if self._rng.random() < 0.5 else -1
        done = self._state in (0, self.n + 1)
        return self._state, float(self._state == self.n + 1), done, False, {}


class TabularEnv:
    """由 gymnasium 格式的转移表 ``P`` 构造一个可以交互的环境（``reset``/``step``，离散空间带 ``.n``）。

    ``initial_states`` 是起点（一个状态或一组状态，每个回合均匀地选一个）；``max_steps`` 步后截断。
    """

    def __init__(self, P, initial_states=0, max_steps: int = 1000):
        T, R, C = transition_arrays(P)
        self.P = P
        starts = np.atleast_1d(np.asarray(initial_states))
        if (
            starts.size == 0
            or not np.issubdtype(starts.dtype, np.integer)
            or starts.min() < 0
            or starts.max() >= len(R)
        ):
            raise ValueError(f"initial_states must be states in 0..{len(R) - 1}, got {initial_states!r}")
        check_scalar(max_steps, "max_steps", Integral, min_val=1)
        self._starts = starts
        self.max_steps = int(max_steps)
        self.observation_space = _Discrete(len(R))
        self.action_space = _Discrete(R.shape[1])
        self._rng = np.random.default_rng(0)
        self._state, self._t = int(starts[0]), 0

    def reset(self, seed: int | None = None):
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        self._state, self._t = int(self._rng.choice(self._starts)), 0
        return self._state, {}

    def step(self, action):
        outcomes = self.P[self._state][int(action)]
        k = self._rng.choice(len(outcomes), p=[o[0] for o in outcomes]) if len(outcomes) > 1 else 0
        _, s2, reward, done = outcomes[k]
        self._state, self._t = int(s2), self._t + 1
        return self._state, float(reward), bool(done), self._t >= self.max_steps and not done, {}


def mc_prediction(
    env, policy: Callable[[int], int], *, alpha: float, gamma: float = 1.0, episodes: int = 100, seed: int = 0
):
    r"""常数步长的每次访问蒙特卡洛预测：回合结束后对每个访问过的状态 :math:`V(s)\leftarrow V(s)+\alpha[G_t-V(s)]`，
    :math:`G_t` 是从那一步起的实际回报。返回每个回合结束时的 ``V``（形状 ``(episodes, n_states)``）。"""
    n_states, _ = _check_env(env)
    gamma = _common(gamma, episodes, seed, alpha=alpha)
    V = np.zeros(n_states)
    history = np.empty((episodes, n_states))
    for ep in range(episodes):
        states, _, rewards = run_episode(env, policy, seed=seed + ep)
        G = 0.0
        for s, r in zip(reversed(states), reversed(rewards)):
            G = r + gamma * G
            V[s] += alpha * (G - V[s])
        history[ep] = V
    return history


def run_episode(env, choose: Callable[[int], int], *, seed: int | None = None, max_steps: int = 10_000):
    """按 ``choose(state) -> action`` 走完一个回合，返回 ``(states, actions, rewards)``（长度 T、T、T）。
    离散的状态以整数传给 ``choose``，连续的状态（数组）原样传入。"""
    s, _ = env.reset(seed=seed)
    states, actions, rewards = [], [], []
    for _ in range(max_steps):
        key = int(s) if np.ndim(s) == 0 else s  # 离散状态是整数，连续状态（如 CartPole）原样传给 choose
        a = choose(key)
        s2, r, terminated, truncated, _ = env.step(a)
        states.append(key)
        actions.append(int(a))
        rewards.append(float(r))
        s = s2
        if terminated or truncated:
            break
    return states, actions, rewards


def _common(gamma, episodes, seed, *, alpha=None, epsilon=None):
    """交互式学习共用的参数检查；回合式任务允许 gamma = 1。"""
    if alpha is not None:
        check_scalar(alpha, "alpha", Real, min_val=0, max_val=1, include_min=False)
    if epsilon is not None:
        check_scalar(epsilon, "epsilon", Real, min_val=0, max_val=1)
    check_scalar(episodes, "episodes", Integral, min_val=1)
    check_scalar(seed, "seed", Integral, min_val=0)
    return float(check_scalar(gamma, "gamma", Real, min_val=0, max_val=1))


def td0(
    env, policy: Callable[[int], int], *, alpha: float, gamma: float = 1.0, episodes: int = 100, seed: int = 0, V0=None
):
    r"""TD(0) 预测：每一步 :math:`V(s)\leftarrow V(s)+\alpha\bigl[r+\gamma V(s')(1-\text{terminated})-V(s)\bigr]`。
    返回每个回合结束时的 ``V``（形状 ``(episodes, n_states)``）。"""
    n_states, _ = _check_env(env)
    gamma = _common(gamma, episodes, seed, alpha=alpha)
    V = np.zeros(n_states) if V0 is None else np.array(V0, dtype=float)
    history = np.empty((episodes, n_states))
    for ep in range(episodes):
        s, _ = env.reset(seed=seed + ep)
        while True:
            s2, r, terminated, truncated, _ = env.step(policy(int(s)))
            target = r + (0.0 if terminated else gamma * V[s2])
            V[s] += alpha * (target - V[s])
            s = s2
            if terminated or truncated:
                break
        history[ep] = V
    return history


@dataclass
class TabularHistory:
    """每个回合的总奖励与长度，以及最后的 Q 表。"""

    returns: list[float] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)
    Q: np.ndarray | None = None


def _td_control(
    env,
    *,
    off_policy: bool,
    alpha: float = 0.5,
    gamma: float = 1.0,
    epsilon: float = 0.1,
    episodes: int = 500,
    seed: int = 0,
    max_steps: int = 10_000,
):
    """SARSA 与 Q 学习共用的循环：两者只差自举目标的一行（``off_policy``）。"""
    n_states, n_actions = _check_env(env)
    gamma = _common(gamma, episodes, seed, alpha=alpha, epsilon=epsilon)
    rng = np.random.default_rng(seed)
    Q = np.zeros((n_states, n_actions))
    history = TabularHistory()
    for ep in range(episodes):
        s, _ = env.reset(seed=seed + ep)
        a = epsilon_greedy(Q[s], epsilon, rng)
        total, steps = 0.0, 0
        while steps < max_steps:
            steps += 1
            s2, r, terminated, truncated, _ = env.step(a)
            total += r
            a2 = epsilon_greedy(Q[s2], epsilon, rng)
            bootstrap = Q[s2].max() if off_policy else Q[s2, a2]  # Q-learning 用 max，SARSA 用实际要走的 a'
            Q[s, a] += alpha * (r + (0.0 if terminated else gamma * bootstrap) - Q[s, a])
            s, a = s2, a2
            if terminated or truncated:
                break
        history.returns.append(total)
        history.lengths.append(steps)
    history.Q = Q
    return history


def sarsa(env, **options):
    r"""SARSA（同策略）：:math:`Q(s,a)\leftarrow Q(s,a)+\alpha[r+\gamma Q(s',a')-Q(s,a)]`，
    :math:`a'` 由 ε-贪心选出、下一步真的执行。参数（``alpha=0.5, gamma=1.0, epsilon=0.1, episodes=500, seed=0,
    max_steps=10_000``）见 :func:`_td_control`。"""
    return _td_control(env, off_policy=False, **options)


def q_learning(env, **options):
    r"""Q 学习（异策略）：:math:`Q(s,a)\leftarrow Q(s,a)+\alpha[r+\gamma\max_{a'}Q(s',a')-Q(s,a)]`，
    行为仍按 ε-贪心。参数与 :func:`sarsa` 相同。"""
    return _td_control(env, off_policy=True, **options)


def mc_control(
    env, *, gamma: float = 1.0, epsilon: float = 0.1, episodes: int = 500, seed: int = 0, max_steps: int = 10_000
):
    r"""每次访问的蒙特卡洛控制（ε-贪心，增量平均）：回合结束后从后往前累计回报 :math:`G`，
    :math:`Q(s,a)\leftarrow Q(s,a)+\frac1{N(s,a)}[G-Q(s,a)]`。"""
    n_states, n_actions = _check_env(env)
    gamma = _common(gamma, episodes, seed, epsilon=epsilon)
    rng = np.random.default_rng(seed)
    Q = np.zeros((n_states, n_actions))
    N = np.zeros((n_states, n_actions))
    history = TabularHistory()
    for ep in range(episodes):
        states, actions, rewards = run_episode(
            env, lambda s: epsilon_greedy(Q[s], epsilon, rng), seed=seed + ep, max_steps=max_steps
        )
        G = 0.0
        for s, a, r in zip(reversed(states), reversed(actions), reversed(rewards)):
            G = r + gamma * G
            N[s, a] += 1
            Q[s, a] += (G - Q[s, a]) / N[s, a]
        history.returns.append(float(sum(rewards)))
        history.lengths.append(len(rewards))
    history.Q = Q
    return history


# ---------------------------------------------------------------------------------------------
# DQN
# ---------------------------------------------------------------------------------------------
class ReplayBuffer:
    """固定容量的经验回放：环形数组存 ``(s, a, r, s', terminated)``，均匀地有放回抽样。"""

    def __init__(self, capacity: int, state_dim: int):
        check_scalar(capacity, "capacity", Integral, min_val=1, max_val=10**7)
        check_scalar(state_dim, "state_dim", Integral, min_val=1, max_val=10**5)
        self.capacity = int(capacity)
        self.states = np.zeros((capacity, state_dim), dtype=np.float32)
        self.next_states = np.zeros((capacity, state_dim), dtype=np.float32)
        self.actions = np.zeros(capacity, dtype=np.int64)
        self.rewards = np.zeros(capacity, dtype=np.float32)
        self.dones = np.zeros(capacity, dtype=np.float32)
        self.size = 0
        self._next = 0

    def add(self, s, a, r, s2, done) -> None:
        i = self._next
        self.states[i], self.actions[i], self.rewards[i], self.next_states[i], self.dones[i] = s, a, r, s2, float(done)
        self._next = (i + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(self, batch_size: int, rng) -> tuple[torch.Tensor, ...]:
        if self.size == 0:
            raise ValueError("cannot sample from an empty replay buffer")
        idx = rng.integers(0, self.size, size=batch_size)
        return (
            torch.from_numpy(self.states[idx]),
            torch.from_numpy(self.actions[idx]),
            torch.from_numpy(self.rewards[idx]),
            torch.from_numpy(self.next_states[idx]),
            torch.from_numpy(self.dones[idx]),
        )


@dataclass
class DQNHistory:
    """每个回合的总奖励，以及每个回合结束时的 ε。"""

    returns: list[float] = field(default_factory=list)
    epsilons: list[float] = field(default_factory=list)


def dqn(
    env,
    qnet: nn.Module,
    *,
    steps: int = 10_000,
    gamma: float = 0.99,
    lr: float = 1e-3,
    batch_size: int = 64,
    buffer_size: int = 10_000,
    warmup: int = 500,
    target_update: int = 250,
    epsilon_start: float = 1.0,
    epsilon_end: float = 0.05,
    epsilon_decay_steps: int = 5_000,
    replay: bool = True,
    target_network: bool = True,
    seed: int = 0,
    num_threads: int | None = 1,
) -> DQNHistory:
    r"""深度 Q 学习：ε-贪心地与环境交互，经验存入回放池；每一步从池中均匀抽一个小批量，最小化

    .. math:: \bigl(r+\gamma(1-d)\max_{a'}Q_{\theta^-}(s',a')-Q_\theta(s,a)\bigr)^2

    （Huber 损失），每 ``target_update`` 步把目标网络 :math:`\theta^-` 同步为 :math:`\theta`。``replay=False`` 时
    只用最近的一条经验；``target_network=False`` 时目标也用 :math:`Q_\theta` 计算。
    ε 在 ``epsilon_decay_steps`` 步内线性退火。小网络在单线程下快得多，所以训练时把 torch 的线程数临时设为
    ``num_threads``（``None`` 表示不改）。
    """
    if not isinstance(qnet, nn.Module):
        raise TypeError(f"qnet must be a torch.nn.Module, got {type(qnet).__name__}")
    state_dim = int(np.prod(env.observation_space.shape))
    n_actions = int(env.action_space.n)
    integers = {"steps": (steps, 1), "batch_size": (batch_size, 1), "buffer_size": (buffer_size, 1)}
    integers |= {"warmup": (warmup, 0), "target_update": (target_update, 1), "seed": (seed, 0)}
    integers |= {"epsilon_decay_steps": (epsilon_decay_steps, 1)}
    for name, (value, lo) in integers.items():
        check_scalar(value, name, Integral, min_val=lo)
    _check_gamma(gamma)
    check_scalar(lr, "lr", Real, min_val=0, include_min=False)
    check_scalar(epsilon_start, "epsilon_start", Real, min_val=0, max_val=1)
    check_scalar(epsilon_end, "epsilon_end", Real, min_val=0, max_val=1)
    if num_threads is not None:
        check_scalar(num_threads, "num_threads", Integral, min_val=1)
    previous = torch.get_num_threads()
    if num_threads is not None:
        torch.set_num_threads(int(num_threads))
    try:
        config = (steps, gamma, lr, batch_size, buffer_size, warmup, target_update, epsilon_start, epsilon_end)
        config += (epsilon_decay_steps, replay, target_network, seed, state_dim, n_actions)
        return _dqn_loop(env, qnet, *config)
    finally:
        torch.set_num_threads(previous)


def _dqn_loop(env, qnet, steps, gamma, lr, batch_size, buffer_size, warmup, target_update, epsilon_start,
              epsilon_end, epsilon_decay_steps, replay, target_network, seed, state_dim, n_actions):  # fmt: skip
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    target = copy.deepcopy(qnet) if target_network else qnet
    opt = torch.optim.Adam(qnet.parameters(), lr=lr)
    buffer = ReplayBuffer(buffer_size if replay else 1, state_dim)
    history = DQNHistory()
    s, _ = env.reset(seed=seed)
    total, episode = 0.0, 0
    for t in range(steps):
        eps = epsilon_end + (epsilon_start - epsilon_end) * max(0.0, 1 - t / epsilon_decay_steps)
        if rng.random() < eps:
            a = int(rng.integers(n_actions))
        else:
            with torch.no_grad():
                a = int(qnet(torch.as_tensor(s, dtype=torch.float32)[None]).argmax())
        s2, r, terminated, truncated, _ = env.step(a)
        buffer.add(s, a, r, s2, terminated)
        total += r
        s = s2
        if terminated or truncated:
            history.returns.append(total)
            history.epsilons.append(eps)
            episode += 1
            s, _ = env.reset(seed=seed + episode)
            total = 0.0
        if t >= warmup or not replay:
            bs, ba, br, bs2, bd = buffer.sample(batch_size if replay else 1, rng)
            with torch.no_grad():
                y = br + gamma * (1 - bd) * target(bs2).max(dim=1).values
            q = qnet(bs).gather(1, ba[:, None])[:, 0]
            loss = nn.functional.smooth_l1_loss(q, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        if target_network and (t + 1) % target_update == 0:
            target.load_state_dict(qnet.state_dict())
    return history
