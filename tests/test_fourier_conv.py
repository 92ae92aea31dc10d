"""lib.fourier.fft_conv / fft_conv2d against numpy.convolve, scipy.signal and direct causal sums."""

import numpy as np
import pytest
import scipy.linalg
import scipy.signal
import torch

from lib.fourier import causal_toeplitz, circulant, dft_matrix, fft_conv, fft_conv2d, fft_size, toeplitz


@pytest.mark.parametrize("n", [1, 2, 7, 97, 1000, 1025, 4097])
def test_fft_size_is_smallest_5_smooth_number_not_below_n(n):
    m = fft_size(n)
    assert m >= n
    r = m
    for p in (2, 3, 5):
        while r % p == 0:
            r //= p
    assert r == 1
    assert all(fft_size(j) == m for j in range(max(1, n), m + 1))


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("lx, lk", [(1, 1), (10, 3), (33, 8), (64, 64), (100, 1), (257, 31)])
def test_fft_conv_matches_numpy_convolve(mode, lx, lk):
    rng = np.random.default_rng(lx * 1000 + lk)
    x, k = rng.normal(size=lx), rng.normal(size=lk)
    if mode == "valid" and lk > lx:
        pytest.skip("not defined")
    np.testing.assert_allclose(fft_conv(x, k, mode=mode), np.convolve(x, k, mode=mode), atol=1e-10)


def test_fft_conv_causal_is_a_direct_causal_sum_and_broadcasts():
    rng = np.random.default_rng(0)
    B, H, L = 2, 3, 50
    u = torch.tensor(rng.normal(size=(B, H, L)))
    k = torch.tensor(rng.normal(size=(H, L)))
    y = fft_conv(u, k, mode="causal")
    assert y.shape == (B, H, L)
    direct = torch.zeros(B, H, L, dtype=torch.float64)
    for t in range(L):
        for s in range(t + 1):
            direct[..., t] += k[:, s] * u[..., t - s]
    torch.testing.assert_close(y, direct, atol=1e-10, rtol=0)


def test_fft_conv_is_differentiable_and_causal():
    torch.manual_seed(0)
    u = torch.randn(1, 2, 16, dtype=torch.float64, requires_grad=True)
    k = torch.randn(2, 16, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a, b: fft_conv(a, b, mode="causal"), (u, k))
    y = fft_conv(u, k, mode="causal")
    (grad,) = torch.autograd.grad(y[0, :, 5].sum(), u)
    # FFT arithmetic leaves round-off (~1e-16) where the exact gradient is zero
    assert grad[..., 6:].abs().max() < 1e-12 * grad[..., :6].abs().max()


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float16])
def test_fft_conv_keeps_dtype(dtype):
    x = torch.randn(4, 40).to(dtype)
    k = torch.randn(40).to(dtype)
    y = fft_conv(x, k, mode="causal")
    assert y.dtype == dtype
    ref = fft_conv(x.double(), k.double(), mode="causal")
    tol = 1e-4 if dtype == torch.float32 else 0.1
    torch.testing.assert_close(y.double(), ref, atol=tol * ref.abs().max().item(), rtol=0)


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("shape_x, shape_k", [((8, 8), (3, 3)), ((17, 12), (5, 4)), ((6, 9), (6, 2)), ((1, 5), (1, 5))])
def test_fft_conv2d_matches_scipy(mode, shape_x, shape_k):
    rng = np.random.default_rng(sum(shape_x) + sum(shape_k))
    x, k = rng.normal(size=shape_x), rng.normal(size=shape_k)
    np.testing.assert_allclose(fft_conv2d(x, k, mode=mode), scipy.signal.convolve2d(x, k, mode=mode), atol=1e-10)


def test_fft_conv2d_batches_over_leading_dims():
    x = torch.randn(2, 3, 10, 11, dtype=torch.float64)
    k = torch.randn(3, 4, 4, dtype=torch.float64)
    y = fft_conv2d(x, k, mode="same")
    ref = np.stack([[scipy.signal.convolve2d(x[b, c], k[c], mode="same") for c in range(3)] for b in range(2)])
    np.testing.assert_allclose(y.numpy(), ref, atol=1e-10)


def test_fft_conv_errors():
    with pytest.raises(ValueError, match="mode must be one of"):
        fft_conv(np.ones(3), np.ones(2), mode="circular")
    with pytest.raises(ValueError, match="valid"):
        fft_conv(np.ones(3), np.ones(5), mode="valid")
    with pytest.raises(ValueError, match="do not broadcast"):
        fft_conv(torch.ones(2, 5), torch.ones(3, 5))
    with pytest.raises(TypeError, match="real"):
        fft_conv(torch.ones(4, dtype=torch.complex64), torch.ones(2))
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        fft_conv2d(np.ones(4), np.ones((2, 2)))
    with pytest.raises(ValueError, match="positive int"):
        fft_size(0)


@pytest.mark.parametrize("n", [1, 4, 7, 16])
def test_dft_matrix_is_unitary_and_matches_numpy_fft(n):
    x = np.random.default_rng(n).normal(size=n)
    W = dft_matrix(n)
    np.testing.assert_allclose(W.conj().T @ W, np.eye(n), atol=1e-12)
    np.testing.assert_allclose(dft_matrix(n, unitary=False) @ x, np.fft.fft(x), atol=1e-10)


def test_circulant_is_circular_convolution_and_diagonalised_by_dft():
    rng = np.random.default_rng(1)
    c, x = rng.normal(size=8), rng.normal(size=8)
    C = circulant(c)
    np.testing.assert_allclose(C, scipy.linalg.circulant(c))
    np.testing.assert_allclose(C @ x, np.real(np.fft.ifft(np.fft.fft(c) * np.fft.fft(x))), atol=1e-12)
    W = dft_matrix(8)
    np.testing.assert_allclose(W @ C @ W.conj().T, np.diag(np.fft.fft(c)), atol=1e-10)


def test_toeplitz_matches_scipy_and_causal_toeplitz_is_causal_conv():
    rng = np.random.default_rng(2)
    c, r = rng.normal(size=5), rng.normal(size=7)
    np.testing.assert_allclose(toeplitz(c, r), scipy.linalg.toeplitz(c, r))
    np.testing.assert_allclose(toeplitz(c), scipy.linalg.toeplitz(c))
    k, x = rng.normal(size=6), rng.normal(size=10)
    T = causal_toeplitz(k, 10)
    np.testing.assert_allclose(T, np.tril(T))
    np.testing.assert_allclose(T @ x, fft_conv(x, k, mode="causal"), atol=1e-12)
    with pytest.raises(ValueError, match="non-empty 1-D"):
        circulant(np.ones((2, 2)))
