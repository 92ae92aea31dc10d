"""lib.diffusion on CUDA: the same code as on CPU gives the same numbers, and mixed precision trains.

Every test here is marked `cuda` and skipped when no GPU is present (the CPU tests are in test_diffusion.py).
"""

import math

import pytest
import torch

import lib
from lib.diffusion import (
    GaussianDiffusion,
    GaussianOptimalDenoiser,
    MLPDenoiser,
    UNet,
    ddim_sample,
    ddpm_sample,
    linear_beta_schedule,
    train_diffusion,
)

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]

CUDA = torch.device("cuda")


@pytest.fixture(autouse=True)
def full_fp32():
    """Compare like with like: cuDNN and cuBLAS use TF32 for float32 by default on Ampere and newer GPUs (a 6e-4
    difference on the U-Net against 1.5e-6 without it); the CPU reference computes in full float32."""
    old = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    yield
    torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = old


def test_forward_process_and_posterior_match_cpu():
    d = GaussianDiffusion(linear_beta_schedule(1000))
    g = torch.Generator().manual_seed(0)
    x0, eps = torch.randn(64, 3, generator=g, dtype=torch.float64), torch.randn(64, 3, generator=g, dtype=torch.float64)
    t = torch.randint(1, 1001, (64,), generator=g)
    xt = d.q_sample(x0, t, eps)
    torch.testing.assert_close(d.q_sample(x0.to(CUDA), t.to(CUDA), eps.to(CUDA)).cpu(), xt, atol=1e-12, rtol=0)
    mean, var = d.q_posterior(x0, xt, t)
    mean_c, var_c = d.q_posterior(x0.to(CUDA), xt.to(CUDA), t.to(CUDA))
    torch.testing.assert_close(mean_c.cpu(), mean, atol=1e-12, rtol=0)
    torch.testing.assert_close(var_c.cpu(), var, atol=1e-15, rtol=0)


def test_unet_forward_matches_cpu_and_amp_is_close():
    torch.manual_seed(0)
    net = UNet(base_channels=16)
    for p in net.parameters():
        p.data.add_(0.05 * torch.randn_like(p))
    net.eval()
    x, t = torch.randn(8, 1, 8, 8), torch.randint(1, 1001, (8,))
    with torch.no_grad():
        ref = net(x, t)
        gpu = net.to(CUDA)(x.to(CUDA), t.to(CUDA))
        with lib.diffusion.autocast(CUDA, True):
            half = net(x.to(CUDA), t.to(CUDA))
    torch.testing.assert_close(gpu.cpu(), ref, atol=1e-4, rtol=1e-4)
    assert half.dtype in (torch.bfloat16, torch.float16)
    assert (half.float().cpu() - ref).abs().max() < 0.05 * ref.abs().max() + 1e-3


def test_samplers_on_cuda_are_deterministic_and_correct_in_distribution():
    d = GaussianDiffusion(linear_beta_schedule(1000))
    oracle = GaussianOptimalDenoiser(d, 1.5, 0.5).to(CUDA)
    x = ddpm_sample(oracle, d, (50_000, 1), seed=0, device=CUDA, dtype=torch.float64)
    assert x.device.type == "cuda"
    assert abs(x.mean().item() - 1.5) < 5 * 0.5 / math.sqrt(50_000) + 1e-3
    assert abs(x.std().item() - 0.5) < 0.01
    a = ddim_sample(oracle, d, (100, 1), steps=20, eta=0.5, seed=3, device=CUDA)
    b = ddim_sample(oracle, d, (100, 1), steps=20, eta=0.5, seed=3, device=CUDA)
    assert torch.equal(a, b)


def test_mixed_precision_training_lowers_the_loss():
    d = GaussianDiffusion(linear_beta_schedule(200, 5e-4, 0.1))
    data = torch.tensor(lib.data.swiss_roll_2d(2000, rng=0).X, dtype=torch.float32, device=CUDA)
    torch.manual_seed(0)
    model = MLPDenoiser(hidden=128).to(CUDA)
    result = train_diffusion(model, d, data, steps=600, batch_size=256, lr=2e-3, amp=True, ema_decay=0.99)
    assert result.losses[-100:].mean() < 0.8 * result.losses[:100].mean()
    samples = ddim_sample(result.ema.model, d, (500, 2), steps=50, device=CUDA)
    assert torch.isfinite(samples).all()


def test_unet_trains_on_cuda_with_amp():
    train, _ = lib.diffusion.digits_split()
    data = lib.diffusion.digits_to_images(train.X).to(CUDA)
    d = GaussianDiffusion(linear_beta_schedule(1000))
    torch.manual_seed(0)
    model = UNet(base_channels=16).to(CUDA)
    result = train_diffusion(model, d, data, steps=300, batch_size=128, lr=1e-3, amp=True)
    assert result.losses[-50:].mean() < 0.5 * result.losses[:20].mean()


def _small_unet_and_diffusion(T=80):
    d = GaussianDiffusion(linear_beta_schedule(T))
    torch.manual_seed(0)
    net = UNet(base_channels=16).to(CUDA).eval()
    return net, d


@pytest.mark.parametrize("sampler", ["ddpm", "ddim-0", "ddim-0.5"])
def test_cuda_graph_sampler_equals_the_step_by_step_sampler(sampler):
    net, d = _small_unet_and_diffusion()
    if sampler == "ddpm":
        kw = {"clip_x0": (-1, 1)}
        a = ddpm_sample(net, d, (16, 1, 8, 8), seed=1, device=CUDA, cuda_graph=False, **kw)
        b = ddpm_sample(net, d, (16, 1, 8, 8), seed=1, device=CUDA, cuda_graph=True, **kw)
        c = ddpm_sample(net, d, (16, 1, 8, 8), seed=1, device=CUDA, cuda_graph=True, **kw)  # replayed again
    else:
        kw = {"steps": 20, "eta": float(sampler.split("-")[1]), "clip_x0": (-1, 1)}
        a = ddim_sample(net, d, (16, 1, 8, 8), seed=1, device=CUDA, cuda_graph=False, **kw)
        b = ddim_sample(net, d, (16, 1, 8, 8), seed=1, device=CUDA, cuda_graph=True, **kw)
        c = ddim_sample(net, d, (16, 1, 8, 8), seed=1, device=CUDA, cuda_graph=True, **kw)
    assert torch.isfinite(b).all() and torch.equal(b, c)
    torch.testing.assert_close(b, a, atol=2e-4, rtol=0)


def test_sampling_step_does_not_synchronise_with_the_host():
    net, d = _small_unet_and_diffusion(T=5)
    ddpm_sample(net, d, (4, 1, 8, 8), seed=0, device=CUDA, cuda_graph=False)  # warm-up (cuDNN, tables)
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")  # any host-device synchronisation raises
    try:
        x = ddpm_sample(net, d, (4, 1, 8, 8), seed=0, device=CUDA, cuda_graph=False)
        y = ddim_sample(net, d, (4, 1, 8, 8), steps=3, eta=0.5, seed=0, device=CUDA, cuda_graph=False)
    finally:
        torch.cuda.set_sync_debug_mode("default")
    assert torch.isfinite(x).all() and torch.isfinite(y).all()
