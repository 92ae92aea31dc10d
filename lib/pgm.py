r"""离散概率图模型：贝叶斯网络、d-分离、变量消去、置信传播、玻尔兹曼分布与参数学习（概率图模型一章）。

贝叶斯网络的结构用 ``parents`` 给出：节点是 ``0..n-1``，``parents[k]`` 是节点 :math:`k` 的父节点元组；
条件概率表 ``cpts[k]`` 的形状是（各父节点的取值数……，节点 :math:`k` 的取值数），最后一维上和为 1。联合分布

.. math:: p(\mathbf x)=\prod_k p(x_k\mid \mathbf x_{\pi_k}).

``check_dag``、``d_separated``          结构：拓扑序；在“祖先图 + 道德化”上判断 d-分离
``random_cpts``、``sigmoid_cpts``、``bn_joint``  参数：随机的/ sigmoid 信念网络的条件概率表，联合概率表
``ancestral_sample``                    祖先采样：按拓扑序，每个节点从给定父节点取值的条件分布中抽样
``conditional_mutual_information``      在联合概率表上用定义算 :math:`I(A;B\mid C)`（蛮力的独立性检验）
``bn_factors``、``variable_elimination``  因子与变量消去：:math:`p(q\mid e)`
``pairwise_joint``、``belief_propagation``  成对马尔可夫随机场：蛮力归一化与和积（置信传播）；树上精确，有环时近似
``boltzmann_enumerate``、``ising_chain_log_partition``  玻尔兹曼分布的枚举与一维伊辛链的转移矩阵配分函数
``draw_graph``                         用 matplotlib 画图模型（节点、有向/无向边、阴影表示观测）
``bn_fit_counts``、``fit_boltzmann``    参数学习：贝叶斯网络按计数；全可见玻尔兹曼机按“数据期望 − 模型期望”梯度上升

玻尔兹曼机的能量 :math:`E(\mathbf x)=-\tfrac12\mathbf x^\top W\mathbf x-\mathbf b^\top\mathbf x`
（:math:`W` 对称、对角为零），:math:`p(\mathbf x)\propto e^{-E(\mathbf x)/T}`；
单元取 :math:`\{0,1\}`，``spins=True`` 时取 :math:`\{-1,+1\}`（伊辛模型）。
它的 Gibbs 采样器在 ``lib.sampling.gibbs_boltzmann``。
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
from scipy.special import expit, logsumexp

from .utils import check_array, check_random_state, check_scalar

__all__ = [
    "check_dag",
    "d_separated",
    "random_cpts",
    "sigmoid_cpts",
    "bn_joint",
    "ancestral_sample",
    "conditional_mutual_information",
    "bn_factors",
    "variable_elimination",
    "pairwise_joint",
    "BPResult",
    "belief_propagation",
    "check_boltzmann",
    "boltzmann_energy",
    "boltzmann_enumerate",
    "ising_chain_log_partition",
    "bn_fit_counts",
    "fit_boltzmann",
    "draw_graph",
]


# =============================================================================================
# 1. 结构：有向无环图与 d-分离
# =============================================================================================
def check_dag(parents) -> list[int]:
    """检查 ``parents``（每个节点的父节点序列）构成有向无环图，返回一个拓扑序。"""
    if not isinstance(parents, (list, tuple)) or len(parents) == 0:
        raise TypeError("parents must be a non-empty list: parents[k] lists the parents of node k")
    n = len(parents)
    for k, pa in enumerate(parents):
        if not isinstance(pa, (list, tuple)):
            raise TypeError(f"parents[{k}] must be a tuple or list of node indices, got {type(pa).__name__}")
        for p in pa:
            if isinstance(p, bool) or not isinstance(p, Integral) or not 0 <= p < n:
                raise ValueError(f"parents[{k}] contains {p!r}, not a node index in 0..{n - 1}")
            if p == k:
                raise ValueError(f"node {k} is its own parent")
    order, indeg = [], [len(set(pa)) for pa in parents]
    children = [[c for c in range(n) if k in parents[c]] for k in range(n)]
    ready = [k for k in range(n) if indeg[k] == 0]
    while ready:
        k = ready.pop(0)
        order.append(k)
        for c in children[k]:
            indeg[c] -= 1
            if indeg[c] == 0:
                ready.append(c)
    if len(order) < n:
        raise ValueError(
            f"parents must describe an acyclic graph; nodes {sorted(set(range(n)) - set(order))} lie on a cycle"
        )
    return order


def _node_set(nodes, n: int, name: str) -> set[int]:
    nodes = [nodes] if isinstance(nodes, Integral) else list(nodes)
    for v in nodes:
        if isinstance(v, bool) or not isinstance(v, Integral) or not 0 <= v < n:
            raise ValueError(f"{name} must hold node indices in 0..{n - 1}, got {v!r}")
    return set(int(v) for v in nodes)


def d_separated(parents, x, y, given=()) -> bool:
    r"""节点集 ``x`` 与 ``y`` 是否被 ``given`` d-分离（于是在这个图的每一个分布里 :math:`X\perp Y\mid Z`）。

    等价判据：只保留 :math:`X\cup Y\cup Z` 及其祖先，把每个节点的父节点两两连起来（“道德化”）并去掉方向，
    删去 :math:`Z`；:math:`X` 与 :math:`Y` 不再连通当且仅当 d-分离。
    """
    check_dag(parents)
    n = len(parents)
    X, Y, Z = _node_set(x, n, "x"), _node_set(y, n, "y"), _node_set(given, n, "given")
    if not X or not Y:
        raise ValueError("x and y must each contain at least one node")
    if X & Y or (X | Y) & Z:
        raise ValueError(f"x, y and given must be disjoint, got {sorted(X)}, {sorted(Y)}, {sorted(Z)}")
    # ancestral set of X, Y, Z
    keep, stack = set(), list(X | Y | Z)
    while stack:
        v = stack.pop()
        if v not in keep:
            keep.add(v)
            stack.extend(parents[v])
    # moralise: undirected parent-child edges plus edges between co-parents
    nbr = {v: set() for v in keep}
    for v in keep:
        pa = list(parents[v])
        for p in pa:
            nbr[v].add(p)
            nbr[p].add(v)
        for p, q in itertools.combinations(pa, 2):
            nbr[p].add(q)
            nbr[q].add(p)
    # is any node of Y reachable from X without passing through Z?
    seen, stack = set(X), list(X)
    while stack:
        v = stack.pop()
        for u in nbr[v] - Z:
            if u in Y:
                return False
            if u not in seen:
                seen.add(u)
                stack.append(u)
    return True


# =============================================================================================
# 2. 参数：条件概率表与联合概率表
# =============================================================================================
def _check_cards(cards, n: int) -> list[int]:
    if isinstance(cards, Integral):
        cards = [cards] * n
    cards = list(cards)
    if len(cards) != n or any(isinstance(c, bool) or not isinstance(c, Integral) or c < 2 for c in cards):
        raise ValueError(
            f"cards must give an integer >= 2 (the number of values) for each of the {n} nodes, got {cards}"
        )
    return [int(c) for c in cards]


def random_cpts(parents, cards=2, rng=None, concentration: float = 1.0) -> list[np.ndarray]:
    """每个节点一个随机条件概率表：每一行（父节点的每种取值）独立地取自对称狄利克雷分布。"""
    check_dag(parents)
    cards = _check_cards(cards, len(parents))
    check_scalar(concentration, "concentration", Real, min_val=0, include_min=False)
    rng = check_random_state(rng)
    return [
        rng.dirichlet(np.full(cards[k], concentration), size=tuple(cards[p] for p in pa))
        for k, pa in enumerate(parents)
    ]


def sigmoid_cpts(parents, weights, biases) -> list[np.ndarray]:
    r"""sigmoid 信念网络（二值节点）的条件概率表：
    :math:`P(x_k=1\mid\mathbf x_{\pi_k})=\sigma(b_k+\sum_{i\in\pi_k}w_{ki}x_i)`。
    ``weights[k]`` 是与 ``parents[k]`` 等长的权重。"""
    check_dag(parents)
    n = len(parents)
    biases = check_array(biases, "biases", ndim=1)
    if biases.shape != (n,) or len(weights) != n:
        raise ValueError(f"weights and biases must have one entry per node ({n})")
    cpts = []
    for k, pa in enumerate(parents):
        w = check_array(weights[k], f"weights[{k}]", ndim=1, allow_empty=True)
        if w.shape != (len(pa),):
            raise ValueError(f"weights[{k}] must have one weight per parent ({len(pa)}), got shape {w.shape}")
        grid = np.array(list(itertools.product((0, 1), repeat=len(pa))), dtype=float).reshape(2 ** len(pa), len(pa))
        p1 = expit(biases[k] + grid @ w).reshape((2,) * len(pa))
        cpts.append(np.stack([1 - p1, p1], axis=-1))
    return cpts


def _check_cpts(parents, cpts) -> list[np.ndarray]:
    check_dag(parents)
    if len(cpts) != len(parents):
        raise ValueError(f"cpts must have one table per node ({len(parents)}), got {len(cpts)}")
    cards = [np.shape(c)[-1] if np.ndim(c) > 0 else 0 for c in cpts]
    out = []
    for k, pa in enumerate(parents):
        c = check_array(cpts[k], f"cpts[{k}]", ndim=None)
        want = tuple(cards[p] for p in pa) + (cards[k],)
        if c.shape != want:
            raise ValueError(f"cpts[{k}] must have shape {want} (parents' values, then node {k}'s), got {c.shape}")
        if np.any(c < 0) or not np.allclose(c.sum(axis=-1), 1.0, atol=1e-10):
            raise ValueError(f"cpts[{k}] must be non-negative and sum to 1 over its last axis")
        out.append(c)
    return out


def bn_factors(parents, cpts) -> list[tuple[tuple[int, ...], np.ndarray]]:
    """贝叶斯网络的因子：节点 :math:`k` 的因子定义在（父节点……，k）上，表就是它的条件概率表。"""
    cpts = _check_cpts(parents, cpts)
    return [(tuple(int(p) for p in pa) + (k,), c) for k, (pa, c) in enumerate(zip(parents, cpts, strict=True))]


def _product(factors, out_vars) -> np.ndarray:
    """若干因子之积，只保留 ``out_vars``（其余变量求和）——一次 ``einsum``。"""
    args = []
    for vars_, table in factors:
        args += [table, list(vars_)]
    return np.einsum(*args, list(out_vars)) if args else np.array(1.0)


def bn_joint(parents, cpts) -> np.ndarray:
    """联合概率表 :math:`p(x_0,\\dots,x_{n-1})`，第 :math:`k` 维是节点 :math:`k`。"""
    return _product(bn_factors(parents, cpts), range(len(parents)))


def ancestral_sample(parents, cpts, n_samples: int, rng=None) -> np.ndarray:
    """祖先采样：按拓扑序逐个节点，从 ``cpts[k]`` 中父节点已抽到的取值那一行抽样。返回形状 (n_samples, n) 的整数表。"""
    order = check_dag(parents)
    cpts = _check_cpts(parents, cpts)
    check_scalar(n_samples, "n_samples", Integral, min_val=1)
    rng = check_random_state(rng)
    x = np.zeros((n_samples, len(parents)), dtype=np.int64)
    for k in order:
        # (n_samples, card_k): the row of the table that each sample's parent values select
        rows = np.broadcast_to(cpts[k][tuple(x[:, p] for p in parents[k])], (n_samples, cpts[k].shape[-1]))
        cum = np.cumsum(rows, axis=1)
        cum[:, -1] = 1.0
        x[:, k] = np.sum(rng.random((n_samples, 1)) >= cum, axis=1)
    return x


def conditional_mutual_information(joint, a, b, given=()) -> float:
    r""":math:`I(A;B\mid C)=\sum p(a,b,c)\log\frac{p(a,b,c)p(c)}{p(a,c)p(b,c)}`（奈特），由联合概率表按定义计算；
    等于 0 当且仅当 :math:`A\perp B\mid C`。"""
    P = check_array(joint, "joint", ndim=None)
    if np.any(P < 0) or not np.isclose(P.sum(), 1.0, atol=1e-10):
        raise ValueError(f"joint must be a probability table (non-negative, summing to 1), got sum {P.sum()}")
    n = P.ndim
    A, B, C = _node_set(a, n, "a"), _node_set(b, n, "b"), _node_set(given, n, "given")
    if not A or not B or A & B or (A | B) & C:
        raise ValueError("a, b and given must be disjoint and a, b non-empty")

    def marg(keep):
        return P.sum(axis=tuple(sorted(set(range(n)) - keep)), keepdims=True)

    pabc, pc, pac, pbc = marg(A | B | C), marg(C), marg(A | C), marg(B | C)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(pabc > 0, pabc * (np.log(pabc) + np.log(pc) - np.log(pac) - np.log(pbc)), 0.0)
    return float(max(terms.sum(), 0.0))


# =============================================================================================
# 3. 推断：变量消去
# =============================================================================================
def variable_elimination(factors, query, evidence=None, order=None) -> np.ndarray:
    r""":math:`p(\text{query}\mid\text{evidence})`：先把证据代入各因子，再按 ``order`` 逐个消去其余变量——
    把含这个变量的因子乘起来、对它求和，得到一个新因子放回。返回按 ``query`` 的顺序排列维度的归一化表。"""
    evidence = {} if evidence is None else dict(evidence)
    query = [query] if isinstance(query, Integral) else list(query)
    facs, card = [], {}
    for i, f in enumerate(factors):
        if not (isinstance(f, tuple) and len(f) == 2):
            raise TypeError(f"factors[{i}] must be a (variables, table) pair")
        vars_, table = tuple(int(v) for v in f[0]), check_array(f[1], f"factors[{i}] table", ndim=None)
        if table.ndim != len(vars_) or np.any(table < 0):
            raise ValueError(f"factors[{i}]: the table must be non-negative with one axis per variable {vars_}")
        for v, c in zip(vars_, table.shape, strict=True):
            if card.setdefault(v, c) != c:
                raise ValueError(f"variable {v} has {card[v]} values in one factor and {c} in another")
        facs.append((vars_, table))
    for v in query + list(evidence):
        if v not in card:
            raise ValueError(f"variable {v!r} appears in no factor")
    if not query or set(query) & set(evidence) or len(set(query)) < len(query):
        raise ValueError(f"query must be non-empty, without repeats and disjoint from the evidence, got {query}")
    for v, val in evidence.items():
        if isinstance(val, bool) or not isinstance(val, Integral) or not 0 <= val < card[v]:
            raise ValueError(f"evidence for variable {v} must be a value in 0..{card[v] - 1}, got {val!r}")
    # condition on the evidence: slice each table
    sliced = []
    for vars_, table in facs:
        idx = tuple(evidence[v] if v in evidence else slice(None) for v in vars_)
        sliced.append((tuple(v for v in vars_ if v not in evidence), table[idx]))
    hidden = [v for v in sorted(card) if v not in evidence and v not in query]
    order = hidden if order is None else [int(v) for v in order]
    if sorted(order) != hidden:
        raise ValueError(f"order must list each hidden variable {hidden} once, got {order}")
    for v in order:
        touching = [f for f in sliced if v in f[0]]
        rest = [f for f in sliced if v not in f[0]]
        scope = sorted({u for f in touching for u in f[0]} - {v})
        sliced = rest + [(tuple(scope), _product(touching, scope))]  # multiply, then sum v out
    table = _product(sliced, query)
    z = table.sum()
    if z <= 0:
        raise ValueError("the evidence has probability zero")
    return table / z


# =============================================================================================
# 4. 成对马尔可夫随机场：蛮力与置信传播
# =============================================================================================
def _check_pairwise(unary, edges, pairwise):
    unary = [check_array(u, f"unary[{i}]", ndim=1) for i, u in enumerate(unary)]
    n = len(unary)
    edges = [tuple(int(v) for v in e) for e in edges]
    if len(pairwise) != len(edges):
        raise ValueError(f"pairwise must have one table per edge ({len(edges)}), got {len(pairwise)}")
    tables = []
    for k, (i, j) in enumerate(edges):
        if not (0 <= i < n and 0 <= j < n) or i == j:
            raise ValueError(f"edges[{k}] = {(i, j)} must join two different nodes in 0..{n - 1}")
        t = check_array(pairwise[k], f"pairwise[{k}]", ndim=2)
        if t.shape != (unary[i].shape[0], unary[j].shape[0]):
            raise ValueError(f"pairwise[{k}] must have shape {(unary[i].shape[0], unary[j].shape[0])}, got {t.shape}")
        tables.append(t)
    for name, arrs in (("unary", unary), ("pairwise", tables)):
        if any(np.any(a < 0) for a in arrs):
            raise ValueError(f"{name} potentials must be non-negative")
    if len(set(frozenset(e) for e in edges)) < len(edges):
        raise ValueError("edges must not repeat a pair of nodes")
    return unary, edges, tables


def pairwise_joint(unary, edges, pairwise) -> tuple[np.ndarray, float]:
    r"""蛮力：:math:`p(\mathbf x)=\frac1Z\prod_i\psi_i(x_i)\prod_{(i,j)}\psi_{ij}(x_i,x_j)`
    的完整概率表与 :math:`\log Z`。"""
    unary, edges, tables = _check_pairwise(unary, edges, pairwise)
    facs = [((i,), u) for i, u in enumerate(unary)] + [((i, j), t) for (i, j), t in zip(edges, tables, strict=True)]
    table = _product(facs, range(len(unary)))
    Z = table.sum()
    return table / Z, float(np.log(Z))


@dataclass
class BPResult:
    """``belief_propagation`` 的结果：各节点的（近似）边缘分布、迭代轮数、是否收敛、最后一轮消息的最大变化。"""

    marginals: list
    n_iter: int
    converged: bool
    delta: float


def belief_propagation(
    unary, edges, pairwise, *, max_iter: int = 100, tol: float = 1e-10, damping: float = 0.0
) -> BPResult:
    r"""和积算法（并行更新的置信传播）。从 :math:`i` 到 :math:`j` 的消息

    .. math:: m_{i\to j}(x_j)\propto\sum_{x_i}\psi_i(x_i)\psi_{ij}(x_i,x_j)\prod_{k\in N(i)\setminus j}m_{k\to i}(x_i),

    信念 :math:`b_i(x_i)\propto\psi_i(x_i)\prod_{k\in N(i)}m_{k\to i}(x_i)`。树上至多“直径”轮后消息不再变化，
    信念就是精确边缘分布；图中有环时（loopy BP）这是近似，也不保证收敛。``damping`` 把新旧消息按比例混合。
    """
    unary, edges, tables = _check_pairwise(unary, edges, pairwise)
    check_scalar(max_iter, "max_iter", Integral, min_val=1)
    check_scalar(tol, "tol", Real, min_val=0)
    check_scalar(damping, "damping", Real, min_val=0, max_val=1, include_max=False)
    # directed messages: (i, j) and the table psi oriented as [x_i, x_j]
    psi, nbrs = {}, {i: [] for i in range(len(unary))}
    for (i, j), t in zip(edges, tables, strict=True):
        psi[(i, j)], psi[(j, i)] = t, t.T
        nbrs[i].append(j)
        nbrs[j].append(i)
    msg = {e: np.full(unary[e[1]].shape[0], 1.0 / unary[e[1]].shape[0]) for e in psi}
    delta, n_iter = np.inf, 0
    for n_iter in range(1, max_iter + 1):  # noqa: B007 - n_iter is reported after the loop
        new = {}
        for i, j in psi:
            h = unary[i].copy()
            for k in nbrs[i]:
                if k != j:
                    h = h * msg[(k, i)]
            m = h @ psi[(i, j)]
            m = m / m.sum()
            new[(i, j)] = (1 - damping) * m + damping * msg[(i, j)]
        delta = max(float(np.abs(new[e] - msg[e]).max()) for e in psi) if psi else 0.0
        msg = new
        if delta < tol:
            break
    marginals = []
    for i, u in enumerate(unary):
        b = u.copy()
        for k in nbrs[i]:
            b = b * msg[(k, i)]
        marginals.append(b / b.sum())
    return BPResult(marginals, n_iter, bool(delta < tol), delta)


# =============================================================================================
# 5. 玻尔兹曼分布
# =============================================================================================
def check_boltzmann(W, b) -> tuple[np.ndarray, np.ndarray]:
    """检查玻尔兹曼机的参数：``W`` 对称、对角为零，``b`` 与它同阶。返回浮点副本。"""
    W = check_array(W, "W", ndim=2)
    b = check_array(b, "b", ndim=1)
    if W.shape != (b.shape[0], b.shape[0]):
        raise ValueError(f"W must have shape ({b.shape[0]}, {b.shape[0]}) to match b, got {W.shape}")
    if not np.allclose(W, W.T, atol=1e-12):
        raise ValueError("W must be symmetric (w_ij = w_ji)")
    if np.any(np.diag(W) != 0):
        raise ValueError("W must have a zero diagonal (no self-connections)")
    return W, b


def boltzmann_energy(X, W, b) -> np.ndarray:
    r"""每一行状态的能量 :math:`E(\mathbf x)=-\tfrac12\mathbf x^\top W\mathbf x-\mathbf b^\top\mathbf x`。"""
    W, b = check_boltzmann(W, b)
    X = check_array(X, "X", ndim=(1, 2))
    if X.shape[-1] != b.shape[0]:
        raise ValueError(f"X must have {b.shape[0]} units per state, got shape {X.shape}")
    return -0.5 * np.einsum("...i,ij,...j->...", X, W, X) - X @ b


def boltzmann_enumerate(W, b, *, spins: bool = False, temperature: float = 1.0):
    r"""枚举全部 :math:`2^n` 个状态：返回状态（形状 (2^n, n)）、概率 :math:`e^{-E/T}/Z` 与 :math:`\log Z`。"""
    W, b = check_boltzmann(W, b)
    check_scalar(temperature, "temperature", Real, min_val=0, include_min=False)
    check_scalar(spins, "spins", bool)
    n = b.shape[0]
    if n > 20:
        raise ValueError(f"enumerating 2^{n} states is too many; use Gibbs sampling (n <= 20 here)")
    states = np.array(list(itertools.product((-1.0, 1.0) if spins else (0.0, 1.0), repeat=n))).reshape(-1, n)
    logits = -boltzmann_energy(states, W, b) / temperature
    logZ = float(logsumexp(logits))
    return states, np.exp(logits - logZ), logZ


def ising_chain_log_partition(J: float, h: float, n: int, *, periodic: bool = False, temperature: float = 1.0) -> float:
    r"""一维伊辛链 :math:`E=-J\sum_is_is_{i+1}-h\sum_is_i`（:math:`s_i=\pm1`）的 :math:`\log Z`，用转移矩阵
    :math:`M_{ss'}=e^{(Jss'+h(s+s')/2)/T}`（:math:`T` 是温度）：周期边界 :math:`Z=\operatorname{tr}M^n`，开边界
    :math:`Z=\mathbf v^\top M^{n-1}\mathbf v`，:math:`v_s=e^{hs/(2T)}`。矩阵乘积在对数尺度上累积，不会溢出。"""
    check_scalar(J, "J", Real)
    check_scalar(h, "h", Real)
    check_scalar(periodic, "periodic", bool)
    check_scalar(n, "n", Integral, min_val=2 if periodic else 1)
    check_scalar(temperature, "temperature", Real, min_val=0, include_min=False)
    s = np.array([-1.0, 1.0])
    T = np.exp((J * np.outer(s, s) + h * (s[:, None] + s[None, :]) / 2) / temperature)
    v = np.exp(h * s / (2 * temperature))
    log_scale = 0.0
    M = np.eye(2)
    for _ in range(n if periodic else n - 1):
        M = M @ T
        c = M.max()
        M, log_scale = M / c, log_scale + np.log(c)
    return float(log_scale + np.log(np.trace(M) if periodic else v @ M @ v))


# =============================================================================================
# 6. 参数学习
# =============================================================================================
def bn_fit_counts(data, parents, cards=2, alpha: float = 0.0) -> list[np.ndarray]:
    r"""完全观测的贝叶斯网络的最大似然（``alpha > 0`` 时加性平滑）：对数似然按节点分解，
    :math:`\hat p(x_k=v\mid\mathbf x_{\pi_k}=\mathbf u)=\frac{N(v,\mathbf u)+\alpha}{N(\mathbf u)+\alpha K_k}`。"""
    check_dag(parents)
    cards = _check_cards(cards, len(parents))
    check_scalar(alpha, "alpha", Real, min_val=0)
    data = check_array(data, "data", ndim=2, dtype=None)
    if data.shape[1] != len(parents):
        raise ValueError(f"data must have one column per node ({len(parents)}), got shape {data.shape}")
    if not np.issubdtype(data.dtype, np.integer):
        raise ValueError(f"data must hold integer values, got dtype {data.dtype}")
    if np.any(data < 0) or np.any(data >= np.array(cards)):
        raise ValueError(f"data column k must hold values in 0..cards[k]-1 (cards = {cards})")
    cpts = []
    for k, pa in enumerate(parents):
        counts = np.zeros(tuple(cards[p] for p in pa) + (cards[k],))
        np.add.at(counts, tuple(data[:, p] for p in pa) + (data[:, k],), 1.0)
        counts += alpha
        tot = counts.sum(axis=-1, keepdims=True)
        # parent configurations never seen (with alpha = 0) get a uniform row
        cpts.append(np.where(tot > 0, counts / np.where(tot > 0, tot, 1.0), 1.0 / cards[k]))
    return cpts


def fit_boltzmann(X, *, lr: float = 0.5, n_iter: int = 500, spins: bool = False, W0=None, b0=None):
    r"""全可见玻尔兹曼机的最大似然，梯度上升：对数似然的梯度是“数据期望 − 模型期望”，

    .. math:: \frac{\partial\bar\ell}{\partial w_{ij}}=\mathbb E_{\text{data}}[x_ix_j]-\mathbb E_{p}[x_ix_j],\qquad
              \frac{\partial\bar\ell}{\partial b_i}=\mathbb E_{\text{data}}[x_i]-\mathbb E_{p}[x_i];

    模型期望用 ``boltzmann_enumerate`` 精确计算（单元数 ≤ 20）。返回 ``W``、``b`` 与每一步的平均对数似然。"""
    X = check_array(X, "X", ndim=2)
    check_scalar(spins, "spins", bool)
    vals = (-1.0, 1.0) if spins else (0.0, 1.0)
    if not np.all(np.isin(X, vals)):
        raise ValueError(f"X must hold units in {vals}")
    check_scalar(lr, "lr", Real, min_val=0, include_min=False)
    check_scalar(n_iter, "n_iter", Integral, min_val=1)
    n = X.shape[1]
    W = np.zeros((n, n)) if W0 is None else check_boltzmann(W0, np.zeros(n))[0]
    b = np.zeros(n) if b0 is None else check_array(b0, "b0", ndim=1)
    if b.shape != (n,):
        raise ValueError(f"b0 must have shape ({n},) to match X's {n} units, got {b.shape}")
    data_xx, data_x = X.T @ X / X.shape[0], X.mean(axis=0)
    history = []
    for _ in range(n_iter):
        states, p, logZ = boltzmann_enumerate(W, b, spins=spins)
        history.append(float(-boltzmann_energy(X, W, b).mean() - logZ))
        model_xx, model_x = states.T @ (p[:, None] * states), p @ states
        gW = data_xx - model_xx
        np.fill_diagonal(gW, 0.0)
        W, b = W + lr * gW, b + lr * (data_x - model_x)
    return W, b, np.array(history)


# =============================================================================================
# 7. 画图
# =============================================================================================
def draw_graph(ax, edges, pos, *, directed: bool = True, labels=None, shaded=(), radius: float = 0.28, title=None):
    """把图模型画在 ``ax`` 上：``pos[v] = (x, y)`` 是节点 ``v`` 的位置，``edges`` 是 ``(u, v)`` 对（有向时 u→v），
    ``shaded`` 中的节点涂灰（观测到的变量），``labels[v]`` 是节点里的文字（默认节点名）。"""
    from matplotlib.patches import Circle, FancyArrowPatch

    pos = {v: np.asarray(p, dtype=float) for v, p in dict(pos).items()}
    for u, v in edges:
        if u not in pos or v not in pos:
            raise ValueError(f"edge {(u, v)} uses a node without a position")
        a, b = pos[u], pos[v]
        d = (b - a) / np.linalg.norm(b - a)
        ax.add_patch(
            FancyArrowPatch(
                tuple(a + radius * d),
                tuple(b - radius * d),
                arrowstyle="-|>" if directed else "-",
                mutation_scale=14,
                lw=1.4,
                color="0.2",
            )
        )
    shaded = set(shaded)
    for v, p in pos.items():
        ax.add_patch(Circle(tuple(p), radius, facecolor="0.75" if v in shaded else "white", edgecolor="0.2", lw=1.4))
        text = str(v) if labels is None else labels.get(v, str(v))
        ax.text(p[0], p[1], text, ha="center", va="center", fontsize=11)
    xy = np.array(list(pos.values()))
    ax.set_xlim(xy[:, 0].min() - 2 * radius, xy[:, 0].max() + 2 * radius)
    ax.set_ylim(xy[:, 1].min() - 2 * radius, xy[:, 1].max() + 2 * radius)
    ax.set_aspect("equal")
    ax.axis("off")
    if title is not None:
        ax.set_title(title)
    return ax
