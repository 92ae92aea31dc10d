"""lib.fourier.fft_conv / fft_conv2d against numpy.convolve, scipy.signal and direct causal sums."""

import numpy as np
import pytest
import scipy.linalg
import scipy.signal
import torch

import lib
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


# ---------------------------------------------------------------------------------------------
# causal_fft_conv (Hyena's long convolution with a hand-written backward) and the multichannel 2-D FFT convolution
# ---------------------------------------------------------------------------------------------
from lib.fourier import (  # noqa: E402
    KernelSpectrum,
    causal_fft_conv,
    fft_conv2d_multichannel,
    kernel_spectrum,
    multichannel_spectrum,
)


@pytest.mark.parametrize("k_shape", [(3, 40), (3, 7), (1, 3, 40), (2, 3, 40), (40,), (1, 40)])
def test_causal_fft_conv_equals_the_direct_sum_and_its_gradients_pass_gradcheck(k_shape):
    g = torch.Generator().manual_seed(3)
    u = torch.randn(2, 3, 40, generator=g, dtype=torch.float64, requires_grad=True)
    k = torch.randn(*k_shape, generator=g, dtype=torch.float64, requires_grad=True)
    D = torch.randn(3, generator=g, dtype=torch.float64, requires_grad=True)
    y = causal_fft_conv(u, k, D)
    kb = k.detach().expand(2, 3, k_shape[-1]) if k.dim() > 1 else k.detach().expand(2, 3, k_shape[-1])
    direct = torch.zeros(2, 3, 40, dtype=torch.float64)
    for t in range(40):
        for s in range(min(t + 1, k_shape[-1])):
            direct[..., t] += kb[..., s] * u.detach()[..., t - s]
    torch.testing.assert_close(y.detach(), direct + D.detach()[:, None] * u.detach(), atol=1e-12, rtol=0)
    assert torch.autograd.gradcheck(lambda a, b, c: causal_fft_conv(a, b, c), (u, k, D))


def test_causal_fft_conv_with_a_precomputed_spectrum():
    g = torch.Generator().manual_seed(4)
    u = torch.randn(2, 5, 33, generator=g, dtype=torch.float64, requires_grad=True)
    k = torch.randn(5, 33, generator=g, dtype=torch.float64)
    D = torch.randn(5, generator=g, dtype=torch.float64, requires_grad=True)
    spec = kernel_spectrum(k, 33)
    assert isinstance(spec, KernelSpectrum) and spec.n == lib.fourier.fft_size(65) and spec.scale == 1.0
    assert not spec.spectrum.requires_grad
    torch.testing.assert_close(causal_fft_conv(u, D=D, spectrum=spec), causal_fft_conv(u, k, D), atol=0, rtol=0)
    assert torch.autograd.gradcheck(lambda a, c: causal_fft_conv(a, D=c, spectrum=spec), (u, D))


def test_causal_fft_conv_float32_is_bitwise_the_reference_path():
    g = torch.Generator().manual_seed(5)
    u, k, D = torch.randn(2, 4, 64, generator=g), torch.randn(4, 64, generator=g), torch.randn(4, generator=g)
    assert torch.equal(causal_fft_conv(u, k, D), fft_conv(u, k, mode="causal") + u * D[:, None])


def test_causal_fft_conv_rejects_bad_input():
    u, k = torch.randn(2, 3, 10), torch.randn(3, 10)
    with pytest.raises(ValueError, match="exactly one of k"):
        causal_fft_conv(u)
    with pytest.raises(ValueError, match="exactly one of k"):
        causal_fft_conv(u, k, spectrum=kernel_spectrum(k, 10))
    with pytest.raises(TypeError, match="u must be a real floating-point"):
        causal_fft_conv(torch.arange(30).reshape(1, 3, 10), k)
    with pytest.raises(ValueError, match="channels=3"):
        causal_fft_conv(u, torch.randn(4, 10))
    with pytest.raises(ValueError, match="made for signals of length 12"):
        causal_fft_conv(u, spectrum=kernel_spectrum(k, 12))
    with pytest.raises(ValueError, match="D must be a tensor of shape"):
        causal_fft_conv(u, k, torch.randn(2))
    with pytest.raises(ValueError, match="needs a CUDA device"):
        causal_fft_conv(u, k, fft_dtype=torch.float16)
    with pytest.raises(ValueError, match="fft_dtype must be"):
        causal_fft_conv(u, k, fft_dtype=torch.int32)


@pytest.mark.parametrize("mode", ["valid", "same", "full"])
@pytest.mark.parametrize("groups,c_in,c_out,k", [(1, 3, 4, 3), (2, 4, 6, (2, 5)), (4, 4, 8, 9), (1, 1, 1, 4)])
def test_fft_conv2d_multichannel_sums_channel_convolutions(mode, groups, c_in, c_out, k):
    g = torch.Generator().manual_seed(7)
    kh, kw = (k, k) if isinstance(k, int) else k
    x = torch.randn(2, c_in, 11, 12, generator=g, dtype=torch.float64)
    w = torch.randn(c_out, c_in // groups, kh, kw, generator=g, dtype=torch.float64)
    y = fft_conv2d_multichannel(x, w, groups=groups, mode=mode)
    og, cg = c_out // groups, c_in // groups
    ref = []
    for o in range(c_out):
        grp = o // og
        ref.append(sum(fft_conv2d(x[:, grp * cg + c], w[o, c], mode=mode) for c in range(cg)))
    torch.testing.assert_close(y, torch.stack(ref, dim=1), atol=1e-10, rtol=0)
    spec = multichannel_spectrum(w, lib.fourier._conv2d_fft_shape((11, 12), (kh, kw), mode), groups=groups)
    torch.testing.assert_close(fft_conv2d_multichannel(x, groups=groups, mode=mode, spectrum=spec), y, atol=0, rtol=0)


def test_fft_conv2d_multichannel_gradcheck_and_errors():
    g = torch.Generator().manual_seed(8)
    x = torch.randn(1, 4, 6, 5, generator=g, dtype=torch.float64, requires_grad=True)
    w = torch.randn(6, 2, 3, 2, generator=g, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a, b: fft_conv2d_multichannel(a, b, groups=2, mode="valid"), (x, w))
    with pytest.raises(ValueError, match="mode must be"):
        fft_conv2d_multichannel(x, w, groups=2, mode="causal")
    with pytest.raises(ValueError, match="kernel"):
        fft_conv2d_multichannel(x, torch.randn(6, 2, 9, 2, dtype=torch.float64), groups=2)
    with pytest.raises(ValueError, match="channels"):
        fft_conv2d_multichannel(x, w, groups=1)
    spec = multichannel_spectrum(w.detach(), (6, 5), groups=2)
    with pytest.raises(ValueError, match="FFT size"):
        fft_conv2d_multichannel(x, groups=2, mode="full", spectrum=spec)
