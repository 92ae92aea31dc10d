"""lib.pgm and lib.sampling.gibbs_boltzmann: d-separation against brute-force independence in the joint table,
variable elimination and belief propagation against enumeration, the Ising transfer matrix, Gibbs sampling,
parameter learning, bad input."""

import itertools

import numpy as np
import pytest

from lib import pgm
from lib.sampling import gibbs_boltzmann

DAGS = [
    [(), (0,), (0,), (1, 2), (3,), (2,)],  # diamond with a collider at 3
    [(), (), (0, 1), (2,), (1,)],
    [(), (0,), (1,), (2,), (0, 3)],
]


@pytest.mark.parametrize("parents", DAGS)
def test_d_separation_equals_independence_in_random_joint(parents):
    """Every query (x, y | Z): d-separated <=> I(x; y | Z) = 0 in a joint with generic random CPTs."""
    n = len(parents)
    P = pgm.bn_joint(parents, pgm.random_cpts(parents, 2, rng=1))
    assert np.isclose(P.sum(), 1.0)
    n_sep = 0
    for x, y in itertools.combinations(range(n), 2):
        others = [v for v in range(n) if v not in (x, y)]
        for r in range(len(others) + 1):
            for Z in itertools.combinations(others, r):
                sep = pgm.d_separated(parents, x, y, Z)
                cmi = pgm.conditional_mutual_information(P, x, y, Z)
                assert sep == (cmi < 1e-12), (x, y, Z, cmi)
                n_sep += sep
    assert n_sep > 0


def test_three_node_structures():
    chain, fork, collider = [(), (0,), (1,)], [(1,), (), (1,)], [(), (0, 2), ()]
    for g in (chain, fork):
        assert not pgm.d_separated(g, 0, 2) and pgm.d_separated(g, 0, 2, [1])
    assert pgm.d_separated(collider, 0, 2) and not pgm.d_separated(collider, 0, 2, [1])


def test_variable_elimination_equals_enumeration():
    parents = DAGS[0]
    cpts = pgm.random_cpts(parents, [2, 3, 2, 2, 3, 2], rng=0)
    P = pgm.bn_joint(parents, cpts)
    q = pgm.variable_elimination(pgm.bn_factors(parents, cpts), 3, {5: 1, 0: 0})
    ref = P[0, :, :, :, :, 1].sum(axis=(0, 1, 3))
    assert np.allclose(q, ref / ref.sum(), atol=1e-12)
    q2 = pgm.variable_elimination(pgm.bn_factors(parents, cpts), (1, 4), {3: 1}, order=[5, 2, 0])
    ref2 = P[:, :, :, 1, :, :].sum(axis=(0, 2, 4))  # remaining axes (x1, x4)
    assert np.allclose(q2, ref2 / ref2.sum(), atol=1e-12)


def random_mrf(edges, n, K=2, seed=0, strength=1.0):
    rng = np.random.default_rng(seed)
    unary = [np.exp(rng.normal(size=K)) for _ in range(n)]
    pairwise = [np.exp(strength * rng.normal(size=(K, K))) for _ in edges]
    return unary, pairwise


def exact_marginals(P):
    return [P.sum(axis=tuple(k for k in range(P.ndim) if k != i)) for i in range(P.ndim)]


def test_belief_propagation_exact_on_trees():
    edges = [(0, 1), (1, 2), (1, 3), (3, 4), (4, 5)]
    unary, pairwise = random_mrf(edges, 6, K=3, seed=2)
    P, logZ = pgm.pairwise_joint(unary, edges, pairwise)
    res = pgm.belief_propagation(unary, edges, pairwise)
    assert res.converged and res.n_iter <= 6
    for b, m in zip(res.marginals, exact_marginals(P), strict=True):
        assert np.allclose(b, m, atol=1e-10)


def test_loopy_bp_close_but_not_exact():
    edges = [(0, 1), (1, 2), (2, 3), (3, 0), (0, 2)]
    unary, pairwise = random_mrf(edges, 4, seed=3, strength=1.5)
    P, _ = pgm.pairwise_joint(unary, edges, pairwise)
    res = pgm.belief_propagation(unary, edges, pairwise, damping=0.3, max_iter=500)
    err = max(np.abs(b - m).max() for b, m in zip(res.marginals, exact_marginals(P), strict=True))
    assert res.converged and 1e-6 < err < 0.2


def test_ising_transfer_matrix_equals_enumeration():
    for n, J, h, periodic in [(8, 0.7, 0.2, False), (9, -0.4, 0.5, True), (10, 1.0, 0.0, True)]:
        W = np.zeros((n, n))
        for i in range(n - 1 + periodic):
            W[i, (i + 1) % n] = W[(i + 1) % n, i] = J
        _, _, logZ = pgm.boltzmann_enumerate(W, np.full(n, h), spins=True)
        assert np.isclose(pgm.ising_chain_log_partition(J, h, n, periodic=periodic), logZ, rtol=0, atol=1e-10)
    assert np.isfinite(pgm.ising_chain_log_partition(1.0, 0.1, 5000))


def test_gibbs_matches_exact_distribution():
    rng = np.random.default_rng(0)
    n = 4
    W = np.triu(rng.normal(size=(n, n)), 1)
    W = W + W.T
    b = rng.normal(size=n)
    states, p, _ = pgm.boltzmann_enumerate(W, b)
    S = gibbs_boltzmann(W, b, 1500, n_chains=20, rng=0)[100:].reshape(-1, n)
    idx = (S @ (2 ** np.arange(n)[::-1])).astype(int)  # states are enumerated in binary order
    freq = np.bincount(idx, minlength=2**n) / idx.size
    assert 0.5 * np.abs(freq - p).sum() < 0.02
    spins = gibbs_boltzmann(W, b, 5, spins=True, x0=np.ones(n), rng=1)
    assert spins.shape == (5, n) and set(np.unique(spins)) <= {-1.0, 1.0}


def test_bn_counts_are_the_mle():
    parents = [(), (0,), (0, 1)]
    cpts = pgm.random_cpts(parents, 2, rng=4)
    P = pgm.bn_joint(parents, cpts)
    rng = np.random.default_rng(0)
    flat = rng.choice(8, size=4000, p=P.ravel())
    data = np.array(np.unravel_index(flat, P.shape)).T
    fitted = pgm.bn_fit_counts(data, parents)
    loglik = np.log(pgm.bn_joint(parents, fitted)[tuple(data.T)]).sum()
    # perturbing any CPT row lowers the log-likelihood
    for k in range(3):
        other = [c.copy() for c in fitted]
        row = other[k].reshape(-1, 2)
        row[0] = row[0] + np.array([0.02, -0.02])
        other[k] = row.reshape(fitted[k].shape)
        assert np.log(pgm.bn_joint(parents, other)[tuple(data.T)]).sum() < loglik
    assert all(np.allclose(f, c, atol=0.06) for f, c in zip(fitted, cpts, strict=True))


def test_fit_boltzmann_moment_matching():
    rng = np.random.default_rng(1)
    X = (rng.random((300, 3)) < [0.3, 0.6, 0.5]).astype(float)
    X[:, 2] = np.where(rng.random(300) < 0.8, X[:, 0], X[:, 2])
    W, b, hist = pgm.fit_boltzmann(X, lr=0.5, n_iter=2000)
    states, p, _ = pgm.boltzmann_enumerate(W, b)
    off = ~np.eye(3, dtype=bool)
    assert np.allclose((X.T @ X / 300)[off], (states.T @ (p[:, None] * states))[off], atol=1e-6)
    assert np.allclose(X.mean(0), p @ states, atol=1e-6)
    assert np.all(np.diff(hist) > -1e-10)


def test_sigmoid_cpts():
    cpts = pgm.sigmoid_cpts([(), (0,), (0, 1)], [[], [2.0], [1.0, -1.0]], [0.0, -1.0, 0.5])
    assert np.isclose(cpts[2][1, 0, 1], 1 / (1 + np.exp(-(0.5 + 1.0))))


def test_bad_input():
    with pytest.raises(ValueError, match="acyclic"):
        pgm.check_dag([(1,), (0,)])
    with pytest.raises(ValueError, match="node index"):
        pgm.check_dag([(), (5,)])
    with pytest.raises(ValueError, match="disjoint"):
        pgm.d_separated([(), (0,)], 0, 1, [1])
    with pytest.raises(ValueError, match="sum to 1"):
        pgm.bn_joint([(), (0,)], [np.array([0.5, 0.6]), np.full((2, 2), 0.5)])
    with pytest.raises(ValueError, match="shape"):
        pgm.bn_joint([(), (0,)], [np.array([0.5, 0.5]), np.full((3, 2), 0.5)])
    with pytest.raises(ValueError, match="probability zero"):
        pgm.variable_elimination([((0,), np.array([1.0, 0.0])), ((0, 1), np.eye(2))], 1, {0: 1})
    with pytest.raises(ValueError, match="evidence"):
        pgm.variable_elimination([((0,), np.array([0.5, 0.5]))], 0, {0: 0})
    with pytest.raises(ValueError, match="symmetric"):
        pgm.boltzmann_enumerate(np.array([[0, 1.0], [0, 0]]), np.zeros(2))
    with pytest.raises(ValueError, match="zero diagonal"):
        gibbs_boltzmann(np.eye(2), np.zeros(2), 3)
    with pytest.raises(ValueError, match="x0"):
        gibbs_boltzmann(np.zeros((2, 2)), np.zeros(2), 3, x0=[0, 2])
    with pytest.raises(ValueError, match="non-negative"):
        pgm.belief_propagation([np.ones(2), np.ones(2)], [(0, 1)], [-np.ones((2, 2))])
    with pytest.raises(ValueError, match="values in"):
        pgm.bn_fit_counts(np.array([[0, 2]]), [(), (0,)])
    with pytest.raises(ValueError, match="joint"):
        pgm.conditional_mutual_information(np.full((2, 2), 0.3), 0, 1)


def test_draw_graph():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    pgm.draw_graph(ax, [(0, 1), (1, 2)], {0: (0, 0), 1: (1, 0), 2: (2, 0)}, shaded=[2], labels={0: "A"})
    assert len(ax.patches) == 5 and ax.texts[0].get_text() == "A"
    with pytest.raises(ValueError, match="position"):
        pgm.draw_graph(ax, [(0, 3)], {0: (0, 0)})
    plt.close(fig)


def test_ancestral_sample_frequencies():
    parents = [(), (0,), (0, 1)]
    cpts = pgm.random_cpts(parents, [2, 3, 2], rng=5)
    P = pgm.bn_joint(parents, cpts)
    S = pgm.ancestral_sample(parents, cpts, 40000, rng=0)
    freq = np.zeros_like(P)
    np.add.at(freq, tuple(S.T), 1.0)
    assert 0.5 * np.abs(freq / len(S) - P).sum() < 0.02
    with pytest.raises(TypeError, match="n_samples"):
        pgm.ancestral_sample(parents, cpts, 2.0)


def test_more_bad_input():
    with pytest.raises(ValueError, match="one weight per parent"):
        pgm.sigmoid_cpts([(), (0,)], [[], [1.0, 2.0]], [0.0, 0.0])
    facs = pgm.bn_factors([(), (0,), (1,)], pgm.random_cpts([(), (0,), (1,)], 2, rng=0))
    with pytest.raises(ValueError, match="order"):
        pgm.variable_elimination(facs, 2, order=[0])
    with pytest.raises(ValueError, match="appears in no factor"):
        pgm.variable_elimination(facs, 7)
    with pytest.raises(ValueError, match="X must hold units"):
        pgm.fit_boltzmann(np.array([[0.0, 2.0]]))
    with pytest.raises(ValueError, match="n must be"):
        pgm.ising_chain_log_partition(1.0, 0.0, 1, periodic=True)
    with pytest.raises(ValueError, match="too many"):
        pgm.boltzmann_enumerate(np.zeros((21, 21)), np.zeros(21))
    with pytest.raises(ValueError, match="shape"):
        pgm.pairwise_joint([np.ones(2), np.ones(3)], [(0, 1)], [np.ones((2, 2))])
    with pytest.raises(ValueError, match="damping"):
        pgm.belief_propagation([np.ones(2), np.ones(2)], [(0, 1)], [np.ones((2, 2))], damping=1.0)


def test_boltzmann_shape_and_flag_checks():
    W, b = np.zeros((3, 3)), np.zeros(3)
    with pytest.raises(ValueError, match="x0 must have shape"):
        gibbs_boltzmann(W, b, 2, x0=np.zeros(2))
    with pytest.raises(ValueError, match="x0 must have shape"):
        gibbs_boltzmann(W, b, 2, x0=np.zeros((2, 3)), n_chains=3)
    with pytest.raises(TypeError, match="spins"):
        gibbs_boltzmann(W, b, 2, spins="yes")
    with pytest.raises(TypeError, match="spins"):
        pgm.boltzmann_enumerate(W, b, spins=1)
    with pytest.raises(ValueError, match="b0 must have shape"):
        pgm.fit_boltzmann(np.zeros((4, 3)), b0=np.zeros(2))
    with pytest.raises(TypeError, match="periodic"):
        pgm.ising_chain_log_partition(1.0, 0.0, 4, periodic="no")
    # one starting state per chain is accepted and used as given
    x0 = np.array([[0.0, 1.0, 0.0], [1.0, 1.0, 1.0]])
    out = gibbs_boltzmann(np.zeros((3, 3)), np.full(3, 50.0), 1, x0=x0, n_chains=2, rng=0)
    assert out.shape == (1, 2, 3) and np.all(out == 1.0)  # a huge field turns every unit on


def test_conditional_mutual_information_equals_entropy_identity():
    """I(A;B|C) = H(A,C) + H(B,C) - H(A,B,C) - H(C), with the entropies from scipy; I(A;B) = sklearn's MI."""
    from scipy.stats import entropy
    from sklearn.metrics import mutual_info_score

    P = np.random.default_rng(3).dirichlet(np.ones(2 * 3 * 2 * 2)).reshape(2, 3, 2, 2)

    def H(keep):
        return entropy(P.sum(axis=tuple(k for k in range(4) if k not in keep)).ravel())

    ref = H({0, 2, 3}) + H({1, 2, 3}) - H({0, 1, 2, 3}) - H({2, 3})
    assert np.isclose(pgm.conditional_mutual_information(P, 0, 1, given=[2, 3]), ref, atol=1e-12)
    counts = np.round(P.sum(axis=(2, 3)) * 1e9).astype(np.int64)
    assert np.isclose(pgm.conditional_mutual_information(P, 0, 1), mutual_info_score(None, None, contingency=counts))
    # a product table has zero (conditional) mutual information
    Q = np.einsum("a,b,c->abc", [0.3, 0.7], [0.2, 0.5, 0.3], [0.6, 0.4])
    assert pgm.conditional_mutual_information(Q, 0, 1) < 1e-15
    assert pgm.conditional_mutual_information(Q, 0, 1, given=[2]) < 1e-15


def test_boltzmann_energy_equals_pairwise_sum():
    rng = np.random.default_rng(4)
    W = np.triu(rng.normal(size=(5, 5)), 1)
    W = W + W.T
    b = rng.normal(size=5)
    X = rng.integers(0, 2, size=(7, 5)).astype(float)
    ref = [-sum(W[i, j] * x[i] * x[j] for i in range(5) for j in range(i + 1, 5)) - b @ x for x in X]
    assert np.allclose(pgm.boltzmann_energy(X, W, b), ref, atol=1e-12)
    states, p, logZ = pgm.boltzmann_enumerate(W, b, temperature=2.0)
    assert np.isclose(logZ, np.log(np.exp(-pgm.boltzmann_energy(states, W, b) / 2.0).sum()))
    assert np.isclose(p.sum(), 1.0)
