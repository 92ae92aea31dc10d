"""lib.monarch: the FFT as small matrix multiplications (four-step / Monarch decomposition) and the causal
convolution built on it, checked against torch.fft, against lib.fourier's causal_fft_conv and against the
convolution sum written out (float64), with gradients, half-precision error bounds and the Hyena fast path."""

import math

import numpy as np
import pytest
import torch

from lib.fourier import causal_fft_conv, linear_conv
from lib.hyena import HyenaOperator
from lib.monarch import (
    MonarchSpectrum,
    _forward,
    monarch_causal_conv,
    monarch_factors,
    monarch_fft,
    monarch_kernel_spectrum,
    monarch_permutation,
)


@pytest.mark.parametrize(
    "n, max_factor, expected",
    [(1, 64, (1,)), (2, 64, (2,)), (64, 64, (64,)), (128, 64, (16, 8)), (2**14, 64, (32, 32, 16)),
     (2**18, 64, (64, 64, 64)), (2**18, 16, (16, 16, 16, 8, 8)), (8, 2, (2, 2, 2))],
)  # fmt: skip
def test_factors_are_fewest_and_balanced(n, max_factor, expected):
    f = monarch_factors(n, max_factor)
    assert f == expected and math.prod(f) == n and max(f) <= max_factor
    # fewest stages: one stage fewer could not cover n with factors <= max_factor
    assert max_factor ** (len(f) - 1) < n or len(f) == 1
    assert max(f) <= 2 * min(f)


@pytest.mark.parametrize("bad", [0, 3, 96, 2.0, "8", True])
def test_factors_reject_what_is_not_a_power_of_two(bad):
    with pytest.raises((TypeError, ValueError)):
        monarch_factors(bad)
    with pytest.raises((TypeError, ValueError)):
        monarch_factors(64, max_factor=bad if bad != 0 else 1)


@pytest.mark.parametrize("factors", [(2,), (4, 2), (2, 4), (8, 4, 2), (4, 4, 4)])
def test_permutation_says_where_each_frequency_lands(factors):
    N = math.prod(factors)
    perm = monarch_permutation(factors)
    assert sorted(perm.tolist()) == list(range(N))
    x = torch.randn(3, N, dtype=torch.float64, generator=torch.Generator().manual_seed(N))
    re, im = _forward(x, None, factors, factors[0])
    X = torch.fft.fft(x, norm="ortho")  # the decomposition is the unitary DFT, reordered
    torch.testing.assert_close(torch.complex(re, im), X[..., perm], atol=1e-13, rtol=0)


@pytest.mark.parametrize("N", [1, 2, 4, 8, 32, 128, 1024, 4096])
@pytest.mark.parametrize("max_factor", [2, 8, 64])
def test_monarch_fft_equals_torch_fft(N, max_factor):
    x = torch.randn(2, 3, N, dtype=torch.float64, generator=torch.Generator().manual_seed(N + max_factor))
    torch.testing.assert_close(monarch_fft(x, max_factor=max_factor), torch.fft.fft(x), atol=1e-11 * N, rtol=0)


def test_monarch_fft_by_the_definition_for_small_n():
    x = torch.randn(16, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    n = np.arange(16)
    W = np.exp(-2j * np.pi * np.outer(n, n) / 16)  # X = W x, written out
    np.testing.assert_allclose(monarch_fft(x, max_factor=4).numpy(), W @ x.numpy(), atol=1e-12)


def test_monarch_fft_rejects_bad_input():
    with pytest.raises(TypeError, match="real floating-point"):
        monarch_fft(torch.arange(8))
    with pytest.raises(ValueError, match="power of two"):
        monarch_fft(torch.randn(12))


@pytest.mark.parametrize("L", [1, 2, 3, 7, 16, 17, 64, 100, 257])
@pytest.mark.parametrize("Lk", [1, 3, "L", "L+5"])
@pytest.mark.parametrize("max_factor", [2, 8, 64])
def test_causal_conv_equals_the_sum_written_out(L, Lk, max_factor):
    Lk = {"L": L, "L+5": L + 5}.get(Lk, Lk)
    g = torch.Generator().manual_seed(L * 100 + Lk)
    u = torch.randn(2, 3, L, dtype=torch.float64, generator=g)
    k = torch.randn(3, Lk, dtype=torch.float64, generator=g)
    D = torch.randn(3, dtype=torch.float64, generator=g)
    y = monarch_causal_conv(u, k, D, max_factor=max_factor)
    # y[b, c, t] = sum_{s <= t} k[c, s] u[b, c, t - s] + D[c] u[b, c, t]
    ref = np.stack([[linear_conv(u[b, c].numpy(), k[c].numpy())[:L] for c in range(3)] for b in range(2)])
    ref = ref + D.numpy()[:, None] * u.numpy()
    np.testing.assert_allclose(y.numpy(), ref, atol=1e-11, rtol=0)
    torch.testing.assert_close(y, causal_fft_conv(u, k[..., :L], D), atol=1e-11, rtol=0)


def test_cached_spectrum_gives_the_same_output_and_broadcasts():
    g = torch.Generator().manual_seed(1)
    u = torch.randn(4, 5, 6, 50, dtype=torch.float64, generator=g)
    k = torch.randn(6, 50, dtype=torch.float64, generator=g)
    spec = monarch_kernel_spectrum(k, 50, max_factor=8)
    assert spec.re.shape == (6, 128) and spec.scale is None and spec.factors == (8, 4, 4)
    torch.testing.assert_close(monarch_causal_conv(u, spectrum=spec), monarch_causal_conv(u, k, max_factor=8))
    one = torch.randn(1, 50, dtype=torch.float64, generator=g)  # one kernel for every channel
    torch.testing.assert_close(monarch_causal_conv(u, one), causal_fft_conv(u, one), atol=1e-11, rtol=0)


def test_gradcheck():
    g = torch.Generator().manual_seed(2)
    u = torch.randn(2, 3, 13, dtype=torch.float64, generator=g, requires_grad=True)
    k = torch.randn(3, 13, dtype=torch.float64, generator=g, requires_grad=True)
    D = torch.randn(3, dtype=torch.float64, generator=g, requires_grad=True)
    assert torch.autograd.gradcheck(lambda u, k, D: monarch_causal_conv(u, k, D, max_factor=4), (u, k, D))


@pytest.mark.parametrize(
    "dtype, bound, multiple", [(torch.float32, 1e-6, 16), (torch.float16, 3e-3, 6), (torch.bfloat16, 2e-2, 6)]
)
def test_low_precision_error_is_a_few_roundings(dtype, bound, multiple):
    # A decaying filter (as Hyena's) and a long signal; the relative error of the whole convolution in `dtype`
    # against float64 stays a small multiple of rounding the exact output to `dtype` once (float32 accumulates
    # more relative to its tiny rounding unit over the stages: measured 1.9e-7 against 2.5e-8).
    g = torch.Generator().manual_seed(3)
    L = 1024
    u = torch.randn(2, 8, L, generator=g)
    k = torch.randn(8, L, generator=g) * torch.exp(-torch.arange(L) / 100.0)
    D = torch.randn(8, generator=g)  # float32 whatever dtype is: the output keeps u's dtype
    ref = causal_fft_conv(u.double(), k.double(), D.double())
    y = monarch_causal_conv(u.to(dtype), k, D, dtype=dtype)
    assert y.dtype == dtype
    err = ((y.double() - ref).norm() / ref.norm()).item()
    rounding = ((ref.to(dtype).double() - ref).norm() / ref.norm()).item()
    assert err < bound and err < multiple * rounding


def test_float16_does_not_overflow_on_a_large_dc_component():
    # The kernel's DC component sum_t k_t = 204800 > 65504 (the largest float16), though the output (at most 2048)
    # fits: the spectrum is scaled per channel before the product and the scale is applied in float32 afterwards.
    L = 1024
    u = torch.full((1, 2, L), 0.01)
    k = torch.full((2, L), 200.0)
    ref = causal_fft_conv(u.double(), k.double())
    spec = monarch_kernel_spectrum(k, L, dtype=torch.float16)
    assert spec.re.dtype == torch.float16 and spec.scale.shape == (2, 1) and spec.re.abs().max() <= 1
    y = monarch_causal_conv(u.half(), spectrum=spec).double()
    assert torch.isfinite(y).all() and ((y - ref).norm() / ref.norm()).item() < 3e-3


def test_errors():
    u, k = torch.randn(2, 3, 10), torch.randn(3, 10)
    with pytest.raises(ValueError, match="exactly one of k"):
        monarch_causal_conv(u)
    with pytest.raises(ValueError, match="exactly one of k"):
        monarch_causal_conv(u, k, spectrum=monarch_kernel_spectrum(k, 10))
    with pytest.raises(TypeError, match="u must be"):
        monarch_causal_conv(torch.randn(10), k)
    with pytest.raises(ValueError, match="channels=3"):
        monarch_causal_conv(u, torch.randn(4, 10))
    with pytest.raises(ValueError, match="made for signals of length 12"):
        monarch_causal_conv(u, spectrum=monarch_kernel_spectrum(k, 12))
    with pytest.raises(TypeError, match="MonarchSpectrum"):
        monarch_causal_conv(u, spectrum=torch.randn(3, 32))
    with pytest.raises(ValueError, match="D must be"):
        monarch_causal_conv(u, k, torch.randn(4))
    with pytest.raises(ValueError, match="dtype must be"):
        monarch_causal_conv(u, k, dtype=torch.int32)
    with pytest.raises(ValueError, match="power of two"):
        monarch_causal_conv(u, k, max_factor=6)
    with pytest.raises(TypeError, match="k must be"):
        monarch_kernel_spectrum(torch.arange(3), 10)


# ---------------------------------------------------------------------------------------------
# Hyena's fast path with fft_impl="monarch"
# ---------------------------------------------------------------------------------------------
# (the fast path with fft_impl="monarch" equals the reference path, gradients included, and never reads a device
# value on the host: tests/test_hyena.py)
@pytest.mark.parametrize("convention,order", [("paper", 2), ("safari", 3)])
def test_hyena_monarch_inference_caches_monarch_spectra(convention, order):
    torch.manual_seed(0)
    op = HyenaOperator(8, 40, order=order, filter_order=8, convention=convention, fft_impl="monarch").double()
    u = torch.randn(3, 33, 8, dtype=torch.float64)
    with torch.no_grad():
        spectra = op.filter_spectra(33, torch.float64)
        assert all(isinstance(sp, MonarchSpectrum) for sp in spectra)
        assert op.filter_spectra(33, torch.float64) is spectra  # cache hit
        y = op(u)
        op.fused = False
        torch.testing.assert_close(y, op(u), atol=1e-12, rtol=0)


def test_hyena_monarch_in_bfloat16_is_close_to_float64():
    torch.manual_seed(1)
    ref = HyenaOperator(16, 256, order=2, filter_order=16, fused=False).double()
    op = HyenaOperator(16, 256, order=2, filter_order=16, fused=True, fft_impl="monarch")
    op.load_state_dict(ref.state_dict())
    u = torch.randn(2, 256, 16, dtype=torch.float64)
    with torch.no_grad():
        y0 = ref(u)
        y = op.bfloat16()(u.bfloat16()).double()
    assert ((y - y0).norm() / y0.norm()).item() < 3e-2


def test_hyena_fft_impl_and_dtype_are_checked():
    with pytest.raises(ValueError, match="fft_impl"):
        HyenaOperator(8, 16, fft_impl="cufft")
    with pytest.raises(ValueError, match="fft_dtype must be"):
        HyenaOperator(8, 16, fft_dtype=torch.bfloat16)  # cuFFT has no bfloat16
    assert HyenaOperator(8, 16, fft_impl="monarch", fft_dtype=torch.bfloat16).fft_dtype is torch.bfloat16


# ---------------------------------------------------------------------------------------------
# CUDA (run where a GPU is lent: benchmarks/gpu_run.sh)
# ---------------------------------------------------------------------------------------------
@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("L", [4096, 8192, 20000])  # factors (128, 64), (128, 128): one Triton kernel; 3 steps
@pytest.mark.parametrize("dtype, bound", [(torch.float32, 1e-5), (torch.bfloat16, 2e-2)])
def test_cuda_matches_float64_on_the_cpu(dtype, bound, L):
    # benchmarks/gpu_run.sh runs this with LIB_TRITON=1: L <= 8192 then goes through the fused kernel, which must
    # compile (a failure would fall back silently but is recorded in FUSED_FAILURES, asserted empty here)
    from lib import monarch

    old = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = False  # float32 matmuls in full precision for this comparison
    try:
        g = torch.Generator().manual_seed(4)
        u = torch.randn(2, 16, L, generator=g)
        k = torch.randn(16, L, generator=g) * torch.exp(-torch.arange(L) / 300.0)
        ref = causal_fft_conv(u.double(), k.double())
        y = monarch_causal_conv(u.cuda().to(dtype), k.cuda(), dtype=dtype).double().cpu()
        assert ((y - ref).norm() / ref.norm()).item() < bound
        assert not monarch.FUSED_FAILURES, monarch.FUSED_FAILURES
        uc = u.cuda().requires_grad_()
        monarch_causal_conv(uc, k.cuda()).square().sum().backward()
        assert torch.isfinite(uc.grad).all()
    finally:
        torch.backends.cuda.matmul.allow_tf32 = old


def _pretend_kernels_run_here(monkeypatch):
    """Route the CPU tensors of these tests to the (patched) kernel functions, whatever their dtype."""
    from lib import triton_kernels

    fusable = triton_kernels.monarch_fusable
    monkeypatch.setattr(triton_kernels, "enabled", lambda *t: True)
    monkeypatch.setattr(triton_kernels, "monarch_fusable", lambda factors, dtype: fusable(factors, torch.float16))


def test_a_failing_fused_kernel_falls_back_to_the_unfused_path_and_is_recorded(monkeypatch):
    # On a GPU where Triton cannot compile the largest tiles (OutOfResources), the convolution must still run
    # (the benchmark records the failure instead of losing the whole run).
    from lib import monarch, triton_kernels

    def broken(*args, **kwargs):
        raise RuntimeError("out of resources (simulated)")

    g = torch.Generator().manual_seed(5)
    u, k = torch.randn(2, 3, 300, generator=g), torch.randn(3, 300, generator=g)
    ref = causal_fft_conv(u, k)
    _pretend_kernels_run_here(monkeypatch)
    monkeypatch.setattr(triton_kernels, "monarch_conv", broken)
    monkeypatch.setattr(monarch, "FUSED_FAILURES", {})
    with pytest.warns(RuntimeWarning, match="fused Triton kernel failed"):
        y = monarch_causal_conv(u, k)
    torch.testing.assert_close(y, ref, atol=1e-5, rtol=1e-5)
    assert list(monarch.FUSED_FAILURES.values()) == ["RuntimeError: out of resources (simulated)"]
    y2 = monarch_causal_conv(u, k)  # recorded: no second attempt, no second warning
    torch.testing.assert_close(y2, y)


def test_training_falls_back_when_a_backward_kernel_fails(monkeypatch):
    # The training path's backward has its own kernel (the kernel gradient); if it cannot run, the gradients come
    # from the unfused path instead, and the failure is recorded.
    from lib import monarch, triton_kernels

    def conv_by_pytorch(u, kr, ki, scale, D, mats1, mats2, dtype, *, conj=False):  # stands in for the kernel
        factors = (mats1[0].shape[0], mats2[0].shape[0])
        spec = MonarchSpectrum(kr, -ki if conj else ki, scale, factors, u.shape[-1], dtype)
        with monkeypatch.context() as m:
            m.setattr(triton_kernels, "enabled", lambda *t: False)
            return monarch_causal_conv(u, D=D, spectrum=spec)

    def broken(*args, **kwargs):
        raise RuntimeError("out of resources (simulated)")

    g = torch.Generator().manual_seed(6)
    u, k, D = (torch.randn(*s, generator=g, dtype=torch.float64) for s in ((2, 3, 300), (3, 300), (3,)))
    gy = torch.randn(2, 3, 300, generator=g, dtype=torch.float64)
    leaves = [t.clone().requires_grad_() for t in (u, k, D)]
    expected = torch.autograd.grad(causal_fft_conv(*leaves), leaves, gy)
    _pretend_kernels_run_here(monkeypatch)
    monkeypatch.setattr(triton_kernels, "monarch_conv", conv_by_pytorch)
    monkeypatch.setattr(triton_kernels, "monarch_kernel_grad", broken)
    monkeypatch.setattr(monarch, "FUSED_FAILURES", {})
    y = monarch_causal_conv(*leaves)
    assert y.grad_fn is not None and type(y.grad_fn).__name__ == "_FusedConvBackward"
    with pytest.warns(RuntimeWarning, match="fused Triton kernel failed"):
        grads = torch.autograd.grad(y, leaves, gy)
    for a, b in zip(grads, expected):
        torch.testing.assert_close(a, b, atol=1e-10, rtol=1e-10)
    assert list(monarch.FUSED_FAILURES.values()) == ["RuntimeError: out of resources (simulated)"]
