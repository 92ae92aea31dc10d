"""lib.conv on a CUDA device, against cuDNN (torch.nn.functional) and against the same code on the CPU.

Every test here is marked ``cuda`` and skipped when ``torch.cuda.is_available()`` is False (as on the CPU-only CI
and on the machines this chapter was written on: these tests have not been run yet). TF32 is switched off for the
comparisons, so that cuDNN and the GEMMs of the im2col path compute in full float32.
"""

import pytest
import torch
import torch.nn.functional as F

from lib.conv import (
    METHODS,
    Conv2d,
    LeNet5,
    avg_pool2d,
    conv1d,
    conv2d,
    conv_transpose2d,
    digits_tensors,
    fit_classifier,
    max_pool2d,
    time_conv,
)

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]

CASES = [
    # (N, C_in, H, W, C_out, kernel, stride, padding, dilation, groups)
    (2, 3, 17, 19, 8, 3, 1, 1, 1, 1),
    (1, 4, 32, 32, 8, 5, 2, 2, 1, 2),
    (3, 16, 15, 15, 16, 7, 1, 3, 1, 16),
    (2, 6, 20, 21, 4, (3, 5), (2, 1), (2, 0), (2, 1), 2),
]


@pytest.fixture(autouse=True)
def full_fp32():
    old = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    yield
    torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = old


def _tensors(case, dtype=torch.float32, seed=0):
    n, c_in, h, w, c_out, k, s, p, d, g = case
    k = (k, k) if isinstance(k, int) else k
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, c_in, h, w, generator=gen)
    weight = torch.randn(c_out, c_in // g, *k, generator=gen) / (c_in // g * k[0] * k[1]) ** 0.5
    bias = torch.randn(c_out, generator=gen)
    return [t.to("cuda", dtype) for t in (x, weight, bias)], {"stride": s, "padding": p, "dilation": d, "groups": g}


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("case", CASES)
def test_conv2d_on_cuda_matches_cudnn_and_cpu(method, case):
    (x, w, b), kw = _tensors(case)
    out = conv2d(x, w, b, method=method, **kw)
    assert out.device.type == "cuda"
    torch.testing.assert_close(out, F.conv2d(x, w, b, **kw), atol=1e-4, rtol=1e-4)
    cpu = conv2d(x.cpu(), w.cpu(), b.cpu(), method=method, **kw)
    torch.testing.assert_close(out.cpu(), cpu, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("case", CASES[:3])
def test_conv2d_gradients_on_cuda(method, case):
    (x, w, b), kw = _tensors(case, dtype=torch.float64)
    for explicit in (False, True):
        leaves = [t.clone().requires_grad_() for t in (x, w, b)]
        refs = [t.clone().requires_grad_() for t in (x, w, b)]
        out = conv2d(*leaves, method=method, explicit_backward=explicit, **kw)
        ref = F.conv2d(*refs, **kw)
        g = torch.randn_like(ref)
        for a, r in zip(torch.autograd.grad(out, leaves, g), torch.autograd.grad(ref, refs, g)):
            torch.testing.assert_close(a, r, atol=1e-9, rtol=1e-9)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize("method", METHODS)
def test_conv2d_half_precision_on_cuda(method, dtype):
    (x, w, b), kw = _tensors(CASES[0], dtype=torch.float32)
    ref = F.conv2d(x.double(), w.double(), b.double(), **kw)
    out = conv2d(x.to(dtype), w.to(dtype), b.to(dtype), method=method, **kw)
    assert out.dtype == dtype
    tol = 5e-3 if dtype == torch.float16 else 3e-2
    torch.testing.assert_close(out.double(), ref, atol=tol * ref.abs().max().item(), rtol=0)


@pytest.mark.parametrize("method", METHODS)
def test_transpose_pool_and_conv1d_on_cuda(method):
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(2, 4, 9, 10, generator=gen).cuda()
    w = torch.randn(4, 3, 3, 3, generator=gen).cuda()
    torch.testing.assert_close(
        conv_transpose2d(x, w, None, 2, 1, 1, 1, 1, method=method),
        F.conv_transpose2d(x, w, None, 2, 1, 1, 1, 1),
        atol=1e-4,
        rtol=1e-4,
    )
    torch.testing.assert_close(max_pool2d(x, 3, 2, 1), F.max_pool2d(x, 3, 2, 1))
    torch.testing.assert_close(avg_pool2d(x, 3, 2, 1, ceil_mode=True), F.avg_pool2d(x, 3, 2, 1, ceil_mode=True))
    seq = torch.randn(2, 8, 4096, generator=gen).cuda()
    k = torch.randn(8, 1, 1023, generator=gen).cuda() / 32
    torch.testing.assert_close(
        conv1d(seq, k, padding=511, groups=8, method=method),
        F.conv1d(seq, k, padding=511, groups=8),
        atol=1e-3,
        rtol=1e-3,
    )


def test_layers_and_training_on_cuda():
    torch.manual_seed(0)
    ours = Conv2d(3, 8, 3, padding=1).cuda()
    torch.manual_seed(0)
    ref = torch.nn.Conv2d(3, 8, 3, padding=1).cuda()
    x = torch.randn(2, 3, 16, 16, device="cuda")
    torch.testing.assert_close(ours(x), ref(x), atol=1e-5, rtol=1e-5)
    Xtr, ytr, Xte, yte = (t.cuda() for t in digits_tensors(32, dtype=torch.float32))
    torch.manual_seed(0)
    model = LeNet5().cuda()
    hist = fit_classifier(model, Xtr, ytr, Xte, yte, epochs=3, lr=3e-3)
    assert hist.test_accuracy[-1] > 0.9


def test_time_conv_records_peak_memory_on_cuda():
    for method in ("torch", "im2col", "fft"):
        r = time_conv(method, (2, 8, 32, 32), (8, 8, 3, 3), padding=1, device="cuda", backward=True, repeat=2)
        assert r["median_s"] > 0 and r["peak_mem_bytes"] > 0
