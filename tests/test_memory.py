"""lib.memory: content addressing, read/write, memory-network hops, Hopfield networks, modern Hopfield = attention."""

import numpy as np
import pytest
import torch

from lib.attention import scaled_dot_product_attention
from lib.memory import (
    content_addressing,
    hopfield_energy,
    hopfield_recall,
    hopfield_weights,
    memory_network_read,
    memory_read,
    memory_write,
    modern_hopfield_update,
)


def test_content_addressing_reads_the_stored_row_when_sharp():
    g = torch.Generator().manual_seed(0)
    M = torch.randn(20, 16, generator=g, dtype=torch.float64)
    key = M[7] + 0.1 * torch.randn(16, generator=g, dtype=torch.float64)
    w = content_addressing(M, key, beta=200.0)
    assert w.argmax() == 7 and abs(w.sum() - 1) < 1e-12
    torch.testing.assert_close(memory_read(M, w), M[7], atol=1e-6, rtol=0)
    cos = (M @ key) / (M.norm(dim=1) * key.norm())
    torch.testing.assert_close(content_addressing(M, key, 3.0), torch.softmax(3.0 * cos, 0))
    # batched
    wb = content_addressing(M.expand(2, 20, 16), torch.stack([key, M[3]]), beta=5.0)
    torch.testing.assert_close(wb[0], content_addressing(M, key, 5.0))


def test_memory_write_erase_then_add():
    M = torch.ones(4, 3, dtype=torch.float64)
    w = torch.tensor([0.0, 1.0, 0.5, 0.0], dtype=torch.float64)
    e = torch.tensor([1.0, 0.0, 1.0], dtype=torch.float64)
    a = torch.tensor([5.0, 6.0, 7.0], dtype=torch.float64)
    new = memory_write(M, w, e, a)
    expected = M * (1 - torch.outer(w, e)) + torch.outer(w, a)
    torch.testing.assert_close(new, expected)
    torch.testing.assert_close(new[1], torch.tensor([5.0, 7.0, 7.0], dtype=torch.float64))
    torch.testing.assert_close(new[0], M[0])


def test_memory_network_first_hop_and_residual_query():
    g = torch.Generator().manual_seed(1)
    q = torch.randn(2, 5, generator=g, dtype=torch.float64)
    A = torch.randn(2, 6, 5, generator=g, dtype=torch.float64)
    C = torch.randn(2, 6, 5, generator=g, dtype=torch.float64)
    q1, att = memory_network_read(q, A, C, hops=1)
    p = torch.softmax(torch.einsum("bnd,bd->bn", A, q), -1)
    torch.testing.assert_close(att[:, 0], p)
    torch.testing.assert_close(q1, q + torch.einsum("bn,bnd->bd", p, C))
    q2, att2 = memory_network_read(q, A, C, hops=2)
    torch.testing.assert_close(att2[:, 1], torch.softmax(torch.einsum("bnd,bd->bn", A, q1), -1))


def test_hopfield_patterns_are_fixed_points_at_low_load_and_energy_never_increases():
    rng = np.random.default_rng(2)
    N, P = 200, 10
    xi = rng.choice([-1.0, 1.0], size=(P, N))
    W = hopfield_weights(xi)
    assert np.allclose(W, W.T) and np.all(np.diag(W) == 0)
    np.testing.assert_allclose(W, (xi.T @ xi - P * np.eye(N)) / N)
    out, sweeps = hopfield_recall(W, xi, rng=0)
    assert np.array_equal(out, xi) and sweeps == 1
    noisy = xi[0] * np.where(rng.random(N) < 0.15, -1.0, 1.0)
    rec, _, E = hopfield_recall(W, noisy, rng=0, return_energy=True)
    assert np.array_equal(rec, xi[0])
    assert np.all(np.diff(E, axis=0) <= 1e-12)
    np.testing.assert_allclose(E[-1], hopfield_energy(W, rec[None])[0])
    assert np.isclose(hopfield_energy(W, rec), E[-1, 0])


def test_modern_hopfield_update_is_attention():
    g = torch.Generator().manual_seed(3)
    X = torch.randn(12, 8, generator=g, dtype=torch.float64)
    s = torch.randn(4, 8, generator=g, dtype=torch.float64)
    beta = 0.7
    new = modern_hopfield_update(X, s, beta)
    torch.testing.assert_close(new, scaled_dot_product_attention(s, X, X, scale=beta), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(modern_hopfield_update(X, s[0], beta), new[0])


def test_errors():
    M = torch.zeros(4, 3)
    with pytest.raises(ValueError, match="key .* does not match memory"):
        content_addressing(M, torch.zeros(5))
    with pytest.raises(TypeError, match="memory must be a torch.Tensor"):
        content_addressing(np.zeros((4, 3)), torch.zeros(3))
    with pytest.raises(ValueError, match=r"weights must have shape \(4,\)"):
        memory_read(M, torch.zeros(3))
    with pytest.raises(ValueError, match=r"erase must have shape \(3,\)"):
        memory_write(M, torch.zeros(4), torch.zeros(2), torch.zeros(3))
    with pytest.raises(ValueError, match="hops must be >= 1"):
        memory_network_read(torch.zeros(1, 3), torch.zeros(1, 4, 3), torch.zeros(1, 4, 3), hops=0)
    with pytest.raises(ValueError, match="patterns must contain only -1 and"):
        hopfield_weights(np.array([[1.0, 0.0]]))
    with pytest.raises(ValueError, match="states must have last dimension 2"):
        hopfield_recall(np.zeros((2, 2)), np.ones(3))
    with pytest.raises(ValueError, match="beta must be > 0"):
        modern_hopfield_update(torch.zeros(2, 3), torch.zeros(3), beta=0.0)
    with pytest.raises(ValueError, match="state must have last dimension 3"):
        modern_hopfield_update(torch.zeros(2, 3), torch.zeros(4))


def test_hopfield_recall_keeps_a_neuron_whose_local_field_is_zero():
    # 局部场为 0 时不变（能量定理所用的约定）：W = 0 时任何状态都是不动点，第一轮就停
    s = np.array([[1.0, -1.0, 1.0], [-1.0, -1.0, 1.0]])
    out, sweeps = hopfield_recall(np.zeros((3, 3)), s, rng=0)
    assert np.array_equal(out, s) and sweeps == 1
    # 两个模式 (1,1,1)、(1,-1,-1) 的 Hebb 权重下，神经元 0 的局部场恒为 0：它保持初值
    W = hopfield_weights(np.array([[1.0, 1.0, 1.0], [1.0, -1.0, -1.0]]))
    assert W[0, 1] == 0 and W[0, 2] == 0  # 神经元 0 与别的神经元没有连接，它的局部场恒为 0
    for s0 in (1.0, -1.0):
        out, _ = hopfield_recall(W, np.array([s0, 1.0, 1.0]), rng=1)
        assert out[0] == s0
