"""lib.hmm: the forward algorithm, forward-backward and Viterbi against brute-force enumeration over every state
path; Baum-Welch raises the likelihood every iteration; hmmlearn's API; bad input."""

import itertools

import numpy as np
import pytest

from lib.hmm import CategoricalHMM, log_backward, log_forward, viterbi


def random_hmm(K=3, F=4, seed=0):
    rng = np.random.default_rng(seed)
    m = CategoricalHMM(K)
    m.startprob_ = rng.dirichlet(np.ones(K))
    m.transmat_ = rng.dirichlet(np.ones(K), size=K)
    m.emissionprob_ = rng.dirichlet(np.ones(F), size=K)
    m.n_features = F
    return m


def brute_force(m, x):  # noqa: D103
    """p(x), p(z_t=j|x) and the best path by summing over all K^T paths."""
    K, T = m.n_components, len(x)
    joint = {}
    for z in itertools.product(range(K), repeat=T):
        p = m.startprob_[z[0]] * m.emissionprob_[z[0], x[0]]
        for t in range(1, T):
            p *= m.transmat_[z[t - 1], z[t]] * m.emissionprob_[z[t], x[t]]
        joint[z] = p
    px = sum(joint.values())
    post = np.zeros((T, K))
    for z, p in joint.items():
        post[np.arange(T), z] += p / px
    best = max(joint, key=joint.get)
    return px, post, np.array(best), joint[best]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_forward_backward_viterbi_equal_enumeration(seed):
    m = random_hmm(seed=seed)
    X, _ = m.sample(6, random_state=seed)
    px, post, best, pbest = brute_force(m, X[:, 0])
    assert np.isclose(m.score(X), np.log(px), rtol=0, atol=1e-12)
    logprob, gamma = m.score_samples(X)
    assert np.isclose(logprob, np.log(px), atol=1e-12)
    assert np.allclose(gamma, post, atol=1e-12)
    assert np.allclose(m.predict_proba(X), post, atol=1e-12)
    lp, states = m.decode(X)
    # the best path (ties are possible: compare its probability, then the path where it is unique)
    assert np.isclose(lp, np.log(pbest), atol=1e-12)
    z = states
    lp_z = np.log(m.startprob_[z[0]]) + sum(np.log(m.transmat_[z[t - 1], z[t]]) for t in range(1, len(z)))
    lp_z += np.log(m.emissionprob_[z, X[:, 0]]).sum()
    assert np.isclose(lp_z, lp, atol=1e-12)
    assert np.array_equal(m.predict(X), states)
    lp_map, states_map = m.decode(X, algorithm="map")
    assert np.array_equal(states_map, post.argmax(1)) and np.isclose(lp_map, np.log(px))


def test_several_sequences_add():
    m = random_hmm(seed=3)
    X1, _ = m.sample(5, random_state=1)
    X2, _ = m.sample(4, random_state=2)
    X = np.vstack([X1, X2])
    assert np.isclose(m.score(X, [5, 4]), m.score(X1) + m.score(X2))
    assert np.array_equal(m.predict(X, [5, 4]), np.concatenate([m.predict(X1), m.predict(X2)]))


def test_chain_functions_consistent():
    rng = np.random.default_rng(0)
    pi, A, B = np.log(rng.dirichlet(np.ones(3))), np.log(rng.dirichlet(np.ones(3), 3)), rng.normal(size=(5, 3))
    lz, la = log_forward(pi, A, B)
    lb = log_backward(pi, A, B)
    # sum_j alpha_t(j) beta_t(j) = p(x) at every t
    assert np.allclose(np.logaddexp.reduce(la + lb, axis=1), lz)
    score, path = viterbi(pi, A, B)
    s = pi[path[0]] + B[0, path[0]] + sum(A[path[t - 1], path[t]] + B[t, path[t]] for t in range(1, 5))
    assert np.isclose(score, s)
    with pytest.raises(ValueError, match="log_transmat"):
        log_forward(pi, A[:2], B)


def test_baum_welch_monotone_and_recovers():
    true = random_hmm(K=2, F=3, seed=5)
    true.transmat_ = np.array([[0.9, 0.1], [0.2, 0.8]])
    true.emissionprob_ = np.array([[0.7, 0.2, 0.1], [0.1, 0.2, 0.7]])
    X, Z = true.sample(2000, random_state=0)
    m = CategoricalHMM(2, n_iter=200, tol=1e-8, random_state=0).fit(X)
    h = np.array(m.monitor_.history)
    assert np.all(np.diff(h) > -1e-8)
    assert m.monitor_.converged
    assert m.score(X) >= true.score(X) - 1e-6  # the MLE is at least as likely as the truth
    order = np.argsort(m.emissionprob_[:, 0])[::-1]
    assert np.allclose(m.emissionprob_[order], true.emissionprob_, atol=0.1)
    assert np.allclose(m.transmat_[np.ix_(order, order)], true.transmat_, atol=0.08)


def test_params_and_priors():
    m0 = random_hmm(seed=1)
    X, _ = m0.sample(50, random_state=0)
    m = CategoricalHMM(3, n_iter=5, params="e", init_params="e", random_state=0)
    m.startprob_, m.transmat_ = m0.startprob_.copy(), m0.transmat_.copy()
    m.fit(X)
    assert np.array_equal(m.transmat_, m0.transmat_) and np.array_equal(m.startprob_, m0.startprob_)
    smooth = CategoricalHMM(3, emissionprob_prior=2.0, n_features=6, n_iter=3, random_state=0).fit(X)
    assert np.all(smooth.emissionprob_ > 0)  # unseen symbols 4, 5 get mass from the prior


def test_sample_shapes_and_reproducible():
    m = random_hmm(seed=0)
    X, Z = m.sample(30, random_state=4)
    assert X.shape == (30, 1) and Z.shape == (30,) and X.dtype.kind == "i"
    X2, Z2 = m.sample(30, random_state=4)
    assert np.array_equal(X, X2) and np.array_equal(Z, Z2)


def test_bad_input():
    m = random_hmm(F=4)
    with pytest.raises(ValueError, match="alphabet"):
        m.score(np.array([[0], [4]]))
    with pytest.raises(ValueError, match="non-negative"):
        m.score(np.array([[0], [-1]]))
    with pytest.raises(ValueError, match="integer"):
        m.score(np.array([[0.5], [1]]))
    with pytest.raises(ValueError, match="shape"):
        m.score(np.zeros((3, 2), dtype=int))
    with pytest.raises(ValueError, match="lengths"):
        m.score(np.zeros((3, 1), dtype=int), lengths=[2, 2])
    bad = random_hmm()
    bad.transmat_ = bad.transmat_ * 1.1
    with pytest.raises(ValueError, match="sum to 1"):
        bad.score(np.zeros((3, 1), dtype=int))
    with pytest.raises(ValueError, match="algorithm"):
        m.decode(np.zeros((3, 1), dtype=int), algorithm="beam")
    with pytest.raises(ValueError, match="params"):
        CategoricalHMM(2, params="sx").fit(np.zeros((3, 1), dtype=int))
    with pytest.raises(ValueError, match="implementation"):
        CategoricalHMM(2, implementation="fast").fit(np.zeros((3, 1), dtype=int))
    with pytest.raises(ValueError, match="prior"):
        CategoricalHMM(2, transmat_prior=0.0).fit(np.zeros((3, 1), dtype=int))
    with pytest.raises(TypeError, match="n_components"):
        CategoricalHMM(2.5).fit(np.zeros((3, 1), dtype=int))
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        CategoricalHMM(2).score(np.zeros((3, 1), dtype=int))


def test_stationary_and_information_criteria():
    m = random_hmm(K=3, F=4, seed=7)
    pi = m.get_stationary_distribution()
    assert np.allclose(pi @ m.transmat_, pi) and np.isclose(pi.sum(), 1.0)
    X, _ = m.sample(40, random_state=0)
    k = 2 + 3 * 2 + 3 * 3  # free parameters of start, transitions, emissions
    assert np.isclose(m.bic(X), -2 * m.score(X) + k * np.log(40))
    assert np.isclose(m.aic(X), -2 * m.score(X) + 2 * k)


def test_batched_chain_and_mixed_lengths():
    rng = np.random.default_rng(1)
    pi, A = np.log(rng.dirichlet(np.ones(3))), np.log(rng.dirichlet(np.ones(3), 3))
    frames = rng.normal(size=(4, 6, 3))
    lz, la = log_forward(pi, A, frames)
    lb = log_backward(pi, A, frames)
    for n in range(4):
        lz1, la1 = log_forward(pi, A, frames[n])
        assert np.isclose(lz[n], lz1) and np.allclose(la[n], la1) and np.allclose(lb[n], log_backward(pi, A, frames[n]))
    with pytest.raises(ValueError, match="2-D"):
        viterbi(pi, A, frames)
    m0 = random_hmm(seed=4)
    X = np.vstack([m0.sample(n, random_state=n)[0] for n in (7, 3, 7, 1)])
    m = CategoricalHMM(3, n_iter=20, tol=0.0, random_state=0).fit(X, [7, 3, 7, 1])
    assert np.all(np.diff(m.monitor_.history) > -1e-10)
    # the E-step's likelihood equals score() with the parameters it was computed from
    m2 = CategoricalHMM(3, n_iter=1, random_state=0).fit(X, [7, 3, 7, 1])
    m3 = CategoricalHMM(3, n_iter=1, random_state=0, params="")
    m3.fit(X, [7, 3, 7, 1])
    assert np.isclose(m2.monitor_.history[0], m3.score(X, [7, 3, 7, 1]))


def test_zero_probabilities_give_exact_results_without_warnings():
    """Forbidden transitions and impossible emissions (log 0 = -inf) pass through the log-space recursions:
    results still equal enumeration, and no RuntimeWarning is raised."""
    import warnings

    m = random_hmm(K=3, F=4, seed=6)
    m.transmat_ = np.array([[0.5, 0.0, 0.5], [0.3, 0.7, 0.0], [0.0, 0.4, 0.6]])
    m.emissionprob_[0] = [0.0, 0.5, 0.5, 0.0]
    X, _ = m.sample(6, random_state=3)
    px, post, _, pbest = brute_force(m, X[:, 0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isclose(m.score(X), np.log(px), atol=1e-12)
        assert np.allclose(m.predict_proba(X), post, atol=1e-12)
        assert np.isclose(m.decode(X)[0], np.log(pbest), atol=1e-12)
