"""lib.graph: normalised adjacency, mean message passing, the GCN layer, the stochastic block model."""

import numpy as np
import pytest
import torch

from lib.graph import GCNConv, mean_message_passing, normalized_adjacency, stochastic_block_model

PATH4 = np.array([[0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 1], [0, 0, 1, 0]], dtype=float)


def test_normalized_adjacency_of_a_path():
    A_hat = normalized_adjacency(PATH4)
    d = np.array([2.0, 3.0, 3.0, 2.0])  # degrees with the self-loop
    expected = (PATH4 + np.eye(4)) / np.sqrt(np.outer(d, d))
    np.testing.assert_allclose(A_hat, expected)
    assert np.allclose(A_hat, A_hat.T)
    eig = np.linalg.eigvalsh(A_hat)
    assert abs(eig.max() - 1) < 1e-12 and eig.min() > -1
    np.testing.assert_allclose(A_hat @ np.sqrt(d), np.sqrt(d))  # eigenvector of eigenvalue 1
    np.testing.assert_allclose(
        normalized_adjacency(PATH4, self_loops=False), PATH4 / np.sqrt(np.outer([1, 2, 2, 1], [1, 2, 2, 1]))
    )


def test_mean_message_passing_is_a_matrix_power():
    rng = np.random.default_rng(0)
    A, _ = stochastic_block_model([6, 7], 0.8, 0.2, rng=1)
    H = rng.normal(size=(13, 3))
    P = A / A.sum(1, keepdims=True)
    np.testing.assert_allclose(mean_message_passing(A, H, 5), np.linalg.matrix_power(P, 5) @ H)
    np.testing.assert_allclose(mean_message_passing(A, H[:, 0], 2), P @ P @ H[:, 0])


def test_gcn_layer_is_the_formula_summed_over_neighbours():
    torch.manual_seed(0)
    conv = GCNConv(3, 2).double()
    x = torch.randn(4, 3, dtype=torch.float64)
    A_hat = torch.tensor(normalized_adjacency(PATH4))
    out = conv(x, A_hat)
    deg = PATH4.sum(1) + 1
    W, b = conv.lin.weight.detach(), conv.bias.detach()
    for v in range(4):
        nbrs = [u for u in range(4) if PATH4[v, u] or u == v]
        s = sum(x[u] / np.sqrt(deg[u] * deg[v]) for u in nbrs)
        torch.testing.assert_close(out[v], W @ s + b)
    assert torch.autograd.gradcheck(lambda t: conv(t, A_hat), (x.clone().requires_grad_(),))


def test_sbm():
    A, labels = stochastic_block_model([30, 30], 0.5, 0.0, rng=0)
    assert np.allclose(A, A.T) and np.all(np.diag(A) == 0)
    assert np.all(A[labels[:, None] != labels[None, :]] == 0)
    assert 0.4 < A[:30, :30].sum() / (30 * 29) < 0.6


def test_errors():
    with pytest.raises(ValueError, match="A must be symmetric"):
        normalized_adjacency(np.triu(np.ones((3, 3)), 1))
    with pytest.raises(ValueError, match="A must be a square"):
        normalized_adjacency(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="H must have 4 rows"):
        mean_message_passing(PATH4, np.zeros((3, 2)))
    conv = GCNConv(3, 2)
    with pytest.raises(ValueError, match=r"x must have shape \(n_nodes, 3\)"):
        conv(torch.zeros(4, 2), torch.eye(4))
    with pytest.raises(ValueError, match=r"a_hat must have shape \(4, 4\)"):
        conv(torch.zeros(4, 3), torch.eye(3))
    with pytest.raises(ValueError, match="p_in must be <= 1"):
        stochastic_block_model([3, 3], 1.5, 0.1)
