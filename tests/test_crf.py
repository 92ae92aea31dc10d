"""lib.crf: the forward algorithm's log Z and Viterbi against enumeration over all K^T label sequences; the gradient
(empirical minus expected features) against torch.autograd; fitting; bad input."""

import itertools

import numpy as np
import pytest
import torch
from scipy.special import logsumexp

from lib import crf


def setup(K=3, T=6, D=4, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(T, D)), rng.normal(size=(K, D)), rng.normal(size=(K, K)), rng.integers(0, K, T)


@pytest.mark.parametrize("seed", [0, 1])
def test_log_partition_viterbi_marginals_equal_enumeration(seed):
    x, W, A, _ = setup(seed=seed)
    u = x @ W.T
    paths = list(itertools.product(range(3), repeat=6))
    s = np.array([crf.crf_sequence_score(u, A, np.array(p)) for p in paths])
    assert np.isclose(crf.crf_log_partition(u, A), logsumexp(s), rtol=0, atol=1e-10)
    score, best = crf.crf_viterbi(u, A)
    assert np.isclose(score, s.max()) and tuple(best) == paths[int(np.argmax(s))]
    p = np.exp(s - logsumexp(s))
    node, edge = crf.crf_marginals(u, A)
    P = np.array(paths)
    assert np.allclose(node, [[p[P[:, t] == k].sum() for k in range(3)] for t in range(6)], atol=1e-12)
    assert np.isclose(edge[2, 0, 1], p[(P[:, 2] == 0) & (P[:, 3] == 1)].sum(), atol=1e-12)


def test_gradient_equals_autograd():
    x, W, A, y = setup(seed=3)
    Wt = torch.tensor(W, requires_grad=True)
    At = torch.tensor(A, requires_grad=True)
    ys = torch.tensor(list(itertools.product(range(3), repeat=6)))
    u = torch.tensor(x) @ Wt.T
    scores = u[torch.arange(6), ys].sum(1) + At[ys[:, :-1], ys[:, 1:]].sum(1)
    yt = torch.tensor(y)
    nll = torch.logsumexp(scores, 0) - (u[torch.arange(6), yt].sum() + At[yt[:-1], yt[1:]].sum())
    nll.backward()
    value, gW, gA = crf.crf_nll_grad(W, A, [x], [y])
    assert np.isclose(value, nll.item(), atol=1e-12)
    assert np.allclose(gW, Wt.grad.numpy(), atol=1e-12) and np.allclose(gA, At.grad.numpy(), atol=1e-12)


def test_fit_learns_sticky_transitions():
    rng = np.random.default_rng(0)
    P = np.full((3, 3), 0.1) + 0.7 * np.eye(3)
    Xs, ys = [], []
    for _ in range(30):
        y = [rng.integers(3)]
        for _ in range(19):
            y.append(rng.choice(3, p=P[y[-1]]))
        y = np.array(y)
        Xs.append(np.hstack([np.eye(3)[y] + rng.normal(scale=1.0, size=(20, 3)), np.ones((20, 1))]))
        ys.append(y)
    m = crf.LinearChainCRF(3).fit(Xs, ys)
    A = m.transition_weights_
    assert np.all(np.diag(A) > A.max(axis=1, where=~np.eye(3, dtype=bool), initial=-np.inf))
    acc = np.mean(np.concatenate(m.predict(Xs)) == np.concatenate(ys))
    assert acc > np.mean(np.concatenate([x[:, :3].argmax(1) for x in Xs]) == np.concatenate(ys))
    assert np.allclose([mm.sum(1) for mm in m.predict_marginals(Xs[:2])], 1.0)


def test_bad_input():
    x, W, A, y = setup()
    with pytest.raises(ValueError, match="trans"):
        crf.crf_log_partition(x @ W.T, A[:2])
    with pytest.raises(ValueError, match="labels"):
        crf.crf_nll_grad(W, A, [x], [y + 3])
    with pytest.raises(ValueError, match="same number"):
        crf.crf_nll_grad(W, A, [x, x], [y])
    with pytest.raises(TypeError, match="list"):
        crf.LinearChainCRF(3).fit(x, y)
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        crf.LinearChainCRF(3).predict([x])


def test_batched_gradient_equals_sum_over_sequences():
    rng = np.random.default_rng(5)
    W, A = rng.normal(size=(3, 4)), rng.normal(size=(3, 3))
    Xs = [rng.normal(size=(T, 4)) for T in (5, 2, 5, 1, 2)]
    ys = [rng.integers(0, 3, len(x)) for x in Xs]
    total = crf.crf_nll_grad(W, A, Xs, ys)
    parts = [crf.crf_nll_grad(W, A, [x], [y]) for x, y in zip(Xs, ys, strict=True)]
    for k in range(3):
        assert np.allclose(total[k], sum(p[k] for p in parts), atol=1e-12)


@pytest.mark.parametrize("c2", [0.05, 1.0])
def test_fit_stationary_point_with_crfsuite_l2(c2):
    """The objective is NLL + c2 |theta|^2 (CRFsuite's convention): at the optimum the gradient of the NLL
    (expected minus empirical features) equals -2 c2 theta, and objective_ is that sum."""
    rng = np.random.default_rng(2)
    Xs = [rng.normal(size=(T, 3)) for T in (6, 4, 6, 5)]
    ys = [rng.integers(0, 3, len(x)) for x in Xs]
    m = crf.LinearChainCRF(3, c2=c2, tol=1e-8).fit(Xs, ys)
    W, A = m.state_weights_, m.transition_weights_
    nll, gW, gA = crf.crf_nll_grad(W, A, Xs, ys)
    assert np.allclose(gW, -2 * c2 * W, atol=1e-6) and np.allclose(gA, -2 * c2 * A, atol=1e-6)
    assert np.isclose(m.objective_, nll + c2 * (np.sum(W**2) + np.sum(A**2)))
