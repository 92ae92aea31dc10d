"""lib.hyena and lib.attention on CUDA: the same code as on the CPU, in float32 and bfloat16.

Every test here needs a GPU and is skipped without one (marker `cuda`). They check that the CUDA results agree
with the float64 CPU reference, that bfloat16 runs end to end (FFT in float32, output in bfloat16), that causality
holds on the GPU, and that the benchmark helper runs with the FlashAttention and memory-efficient SDPA backends.
"""

import pytest
import torch

import lib
from lib.attention import MultiHeadAttention, scaled_dot_product_attention
from lib.hyena import HyenaOperator, LanguageModel, benchmark_mixers, fftconv

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]
CUDA = torch.device("cuda")


def rel_err(a, b):
    return ((a.double().cpu() - b.double().cpu()).norm() / b.double().cpu().norm()).item()


def test_fftconv_on_cuda_matches_cpu_float64():
    g = torch.Generator().manual_seed(0)
    u = torch.randn(2, 16, 4096, generator=g, dtype=torch.float64)
    k = torch.randn(16, 4096, generator=g, dtype=torch.float64) * torch.exp(-torch.arange(4096) / 500.0)
    D = torch.randn(16, generator=g, dtype=torch.float64)
    ref = fftconv(u, k, D)
    assert rel_err(fftconv(u.to(CUDA), k.to(CUDA), D.to(CUDA)), ref) < 1e-12
    assert rel_err(fftconv(u.float().to(CUDA), k.float().to(CUDA), D.float().to(CUDA)), ref) < 1e-5
    y16 = fftconv(u.bfloat16().to(CUDA), k.float().to(CUDA), D.float().to(CUDA))
    assert y16.dtype == torch.bfloat16 and y16.device.type == "cuda"
    assert rel_err(y16, ref) < 2e-2


@pytest.mark.parametrize("convention", ["paper", "safari"])
def test_hyena_operator_cuda_float32_and_bfloat16(convention):
    torch.manual_seed(0)
    op = HyenaOperator(64, 2048, order=2, filter_order=32, convention=convention).double()
    u = torch.randn(2, 2048, 64, dtype=torch.float64)
    ref = op(u).detach()
    op32 = op.float().to(CUDA)
    assert rel_err(op32(u.float().to(CUDA)).detach(), ref) < 1e-4
    op16 = op.to(torch.bfloat16)
    y16 = op16(u.to(CUDA, torch.bfloat16))
    assert y16.dtype == torch.bfloat16 and torch.isfinite(y16.float()).all()
    assert rel_err(y16.detach(), ref) < 5e-2
    y16.float().sum().backward()  # backward runs in bfloat16 too
    assert all(torch.isfinite(p.grad.float()).all() for p in op16.parameters() if p.grad is not None)


def test_hyena_is_causal_on_cuda():
    torch.manual_seed(1)
    op = HyenaOperator(16, 512, order=3, filter_order=16).to(CUDA)
    u = torch.randn(1, 512, 16, device=CUDA, requires_grad=True)
    t = 300
    (grad,) = torch.autograd.grad(op(u)[0, t].sum(), u)
    past, future = grad[0, : t + 1].abs().max(), grad[0, t + 1 :].abs().max()
    assert future < 1e-5 * past  # float32 FFT round-off


def test_attention_cuda_backends_agree_with_the_written_out_formula():
    from torch.nn.attention import SDPBackend, sdpa_kernel

    g = torch.Generator().manual_seed(2)
    q, k, v = (torch.randn(1, 4, 1024, 64, generator=g) for _ in range(3))
    ref = scaled_dot_product_attention(q.double(), k.double(), v.double(), causal=True)
    for backend in (SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION):
        with sdpa_kernel(backend):
            y = torch.nn.functional.scaled_dot_product_attention(
                *(x.to(CUDA, torch.bfloat16) for x in (q, k, v)), is_causal=True
            )
        assert rel_err(y, ref) < 2e-2
    mha = MultiHeadAttention(64, 4).to(CUDA)
    assert mha(torch.randn(2, 128, 64, device=CUDA)).shape == (2, 128, 64)


def test_language_models_train_one_step_in_bfloat16():
    for mixer in ("hyena", "attention"):
        torch.manual_seed(0)
        lm = LanguageModel(16, 32, 2, 65, mixer=mixer).to(CUDA, torch.bfloat16)
        tokens = torch.randint(0, 16, (4, 65), device=CUDA)
        loss = torch.nn.functional.cross_entropy(lm(tokens).float().reshape(-1, 16), tokens.reshape(-1))
        loss.backward()
        assert torch.isfinite(loss)


def test_benchmark_mixers_on_cuda_records_memory():
    records = benchmark_mixers([512, 1024], d_model=64, n_heads=4, device=CUDA, repeat=1)
    variants = set(lib.hyena.HYENA_VARIANTS)
    assert {r["method"] for r in records} == variants | {"attention-flash", "attention-efficient"}
    assert all(r["status"] == "ok" and r["time_s"] > 0 and r["peak_mem_bytes"] > 0 for r in records)


@pytest.mark.parametrize("convention", ["paper", "safari"])
def test_fused_path_on_cuda_equals_the_reference_path(convention):
    torch.manual_seed(0)
    op = HyenaOperator(64, 2048, order=2, filter_order=32, convention=convention).to(CUDA)
    u = torch.randn(2, 2048, 64, device=CUDA, requires_grad=True)
    op.fused = False
    y0 = op(u)
    g0 = torch.autograd.grad(y0.square().sum(), [u, *op.parameters()])
    op.fused = True
    y1 = op(u)
    g1 = torch.autograd.grad(y1.square().sum(), [u, *op.parameters()])
    assert rel_err(y1, y0) < 1e-5
    assert all(rel_err(a, b) < 1e-4 for a, b in zip(g1, g0))
    with torch.no_grad():  # inference: cached filter spectra
        assert rel_err(op(u), y0) < 1e-5


def test_half_precision_ffts_are_within_bfloat16_accuracy():
    torch.manual_seed(0)
    L = 8192
    ref_op = HyenaOperator(64, L, order=2, filter_order=32, emb_dim=33).double().to(CUDA)
    u = torch.randn(1, L, 64, device=CUDA, dtype=torch.float64)
    with torch.no_grad():
        ref = ref_op(u)
        op = HyenaOperator(64, L, order=2, filter_order=32, emb_dim=33, fft_dtype=torch.float16)
        op.load_state_dict(ref_op.state_dict())
        op = op.to(CUDA, torch.bfloat16)
        y16 = op(u.bfloat16())
        op.fft_dtype = None
        y32 = op(u.bfloat16())
    assert torch.isfinite(y16.float()).all()
    assert rel_err(y16, ref) < 2e-2 and rel_err(y32, ref) < 2e-2


def test_fftconv_int_input_is_rejected_on_cuda():
    with pytest.raises(TypeError, match="real floating-point"):
        fftconv(torch.arange(8, device=CUDA).reshape(1, 1, 8), torch.ones(1, 8, device=CUDA))
