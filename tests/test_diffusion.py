"""lib.diffusion (chapter 28) against exact Gaussian algebra, Monte Carlo, torch.distributions, scipy and the
verified numbers of lecture L16 (notes/seed-001.md, L16.3 "Checkable facts")."""

import math

import numpy as np
import pytest
import scipy.linalg
import torch

import lib
from lib.diffusion import (
    EMA,
    EmpiricalOptimalDenoiser,
    GaussianDiffusion,
    GaussianOptimalDenoiser,
    MLPDenoiser,
    ResBlock,
    UNet,
    alpha_bar,
    class_coverage,
    constant_beta_schedule,
    cosine_beta_schedule,
    ddim_invert,
    ddim_sample,
    ddim_timesteps,
    ddpm_sample,
    digits_quality,
    digits_split,
    digits_to_images,
    feature_statistics,
    frechet_distance,
    gaussian_nll,
    images_to_digits,
    linear_beta_schedule,
    load_digits_classifier,
    load_digits_model,
    normal_kl,
    sinusoidal_embedding,
    train_diffusion,
    train_digits_classifier,
)

F64 = torch.float64


def gen(seed):
    return torch.Generator().manual_seed(seed)


def small_linear(T):
    """The DDPM linear schedule rescaled to T steps (beta_t * 1000 / T), so that alpha_bar_T stays small."""
    return linear_beta_schedule(T, 1e-4 * 1000 / T, 0.02 * 1000 / T)


# ---------------------------------------------------------------------------------------------
# Schedules and the verified numbers of the notes
# ---------------------------------------------------------------------------------------------
def test_linear_schedule_is_the_ddpm_one():
    b = linear_beta_schedule()
    assert b.shape == (1000,) and b.dtype == np.float64
    assert b[0] == 1e-4 and b[-1] == 0.02
    np.testing.assert_allclose(np.diff(b), (0.02 - 1e-4) / 999, rtol=1e-9)


def test_alpha_bar_is_the_cumulative_product():
    for betas in (linear_beta_schedule(1000), cosine_beta_schedule(300), constant_beta_schedule(50, 0.2)):
        np.testing.assert_allclose(alpha_bar(betas), np.cumprod(1 - betas), rtol=1e-12)


def test_alpha_bar_T_matches_notes():
    # notes L16.3: constant beta = 0.01 gives 4.32e-5, the linear schedule gives 4.04e-5 (T = 1000)
    assert f"{alpha_bar(constant_beta_schedule(1000, 0.01))[-1]:.3g}" == "4.32e-05"
    assert f"{alpha_bar(linear_beta_schedule(1000))[-1]:.3g}" == "4.04e-05"
    assert math.isclose(alpha_bar(constant_beta_schedule(1000, 0.01))[-1], 0.99**1000, rel_tol=1e-10)


def test_cosine_schedule_follows_its_alpha_bar_formula():
    T, s = 1000, 0.008
    abar = alpha_bar(cosine_beta_schedule(T, s=s))
    f = np.cos((np.arange(T + 1) / T + s) / (1 + s) * np.pi / 2) ** 2
    expected = f[1:] / f[0]
    unclipped = cosine_beta_schedule(T, s=s) < 0.999
    np.testing.assert_allclose(abar[unclipped], expected[unclipped], rtol=1e-9)
    assert cosine_beta_schedule(T).max() <= 0.999
    assert np.all(np.diff(abar) < 0)


def test_two_step_example_of_the_notes():
    # x_2 = sqrt((1-b1)(1-b2)) x_0 + noise of variance 1 - (1-b1)(1-b2): 0.99 and 0.0199 for beta = 0.01
    d = GaussianDiffusion(constant_beta_schedule(10, 0.01))
    mean, var = d.q_mean_variance(torch.ones(1, 1, dtype=F64), 2)
    assert round(mean.item(), 12) == 0.99 and round(var.item(), 12) == 0.0199


def test_posterior_coefficients_match_notes():
    d = GaussianDiffusion(constant_beta_schedule(1000, 0.01))
    assert (round(d.posterior_coef_x0[1], 4), round(d.posterior_coef_xt[1], 4)) == (1.0, 0.0)
    assert (round(d.posterior_coef_x0[2], 4), round(d.posterior_coef_xt[2], 4)) == (0.5, 0.5)
    assert (round(d.posterior_coef_x0[20], 4), round(d.posterior_coef_xt[20], 4)) == (0.0499, 0.9498)
    # for small t the x_0 coefficient is close to 1/t
    t = np.arange(1, 6)
    np.testing.assert_allclose(d.posterior_coef_x0[t], 1 / t, rtol=0.03)


def test_loss_weight_has_the_half_the_slide_drops():
    d = GaussianDiffusion(constant_beta_schedule(1000, 0.01))
    lam = d.loss_weight(50)
    assert round(float(lam), 5) == 0.01299  # notes: exact value; the slide's formula gives 0.02597
    slide = 0.01 / ((1 - 0.01) * (1 - d.alpha_bars[49]))
    assert round(slide, 5) == 0.02597 and math.isclose(slide, 2 * lam, rel_tol=1e-12)
    # both forms of lambda_t agree: beta^2 / (2 beta_tilde (1-beta)(1-abar_t)) = beta / (2 (1-beta)(1-abar_{t-1}))
    t = np.arange(2, 1001)
    simplified = d.betas[t] / (2 * (1 - d.betas[t]) * (1 - d.alpha_bars[t - 1]))
    np.testing.assert_allclose(d.loss_weight(t), simplified, rtol=1e-10)
    assert np.isinf(d.loss_weight(1))


# ---------------------------------------------------------------------------------------------
# The forward process: one-shot q_sample against iterating the chain
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("betas", [linear_beta_schedule(1000), cosine_beta_schedule(200), constant_beta_schedule(300)])
def test_closed_form_equals_the_moments_of_the_iterated_chain(betas):
    d = GaussianDiffusion(betas)
    m, v = 1.0, 0.0  # x_0 fixed: mean x_0, variance 0
    for t in range(1, d.T + 1):  # exact moment recursion of x_t = sqrt(1-b) x_{t-1} + sqrt(b) eps
        m, v = math.sqrt(1 - d.betas[t]) * m, (1 - d.betas[t]) * v + d.betas[t]
        if t in (1, 2, d.T // 2, d.T):
            mean, var = d.q_mean_variance(torch.ones(1, 1, dtype=F64), t)
            assert math.isclose(mean.item(), m, rel_tol=1e-12) and math.isclose(var.item(), v, rel_tol=1e-12)


def test_q_sample_matches_iterating_q_step_by_monte_carlo():
    d = GaussianDiffusion(linear_beta_schedule(1000))
    n, g = 100_000, gen(0)
    x0 = torch.tensor([[1.5, -0.5]], dtype=F64).expand(n, 2)
    x = x0.clone()
    for t in range(1, 201):
        x = d.q_step(x, t, generator=g)
    direct = d.q_sample(x0, 200, generator=g)
    mean, var = d.q_mean_variance(x0[:1], 200)
    for sample in (x, direct):
        se = math.sqrt(var.item() / n)
        assert torch.all((sample.mean(0) - mean[0]).abs() < 5 * se)
        assert torch.all((sample.var(0) / var.item() - 1).abs() < 5 * math.sqrt(2 / n))


def test_q_sample_uses_the_given_noise_and_t_zero_is_identity():
    d = GaussianDiffusion(cosine_beta_schedule(100))
    x0, eps = torch.randn(5, 3, generator=gen(1)), torch.randn(5, 3, generator=gen(2))
    t = torch.tensor([1, 10, 50, 99, 100])
    ab = torch.tensor(d.alpha_bars[t.numpy()], dtype=torch.float32)[:, None]
    torch.testing.assert_close(d.q_sample(x0, t, eps), ab.sqrt() * x0 + (1 - ab).sqrt() * eps)
    torch.testing.assert_close(d.q_sample(x0, 0, eps), x0)


def test_variance_is_preserved_for_unit_variance_data():
    d = GaussianDiffusion(linear_beta_schedule(1000))
    for t in (1, 10, 500, 1000):  # Var(x_t) = abar_t * 1 + (1 - abar_t) = 1
        _, var = d.q_mean_variance(torch.zeros(1, 1), t)
        assert math.isclose(d.alpha_bars[t] + var.item(), 1.0, rel_tol=1e-6)


# ---------------------------------------------------------------------------------------------
# The posterior q(x_{t-1} | x_t, x_0)
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "betas", [constant_beta_schedule(100, 0.01), linear_beta_schedule(1000), cosine_beta_schedule(50)]
)
def test_posterior_equals_gaussian_conditioning_of_the_joint(betas):
    """(x_{t-1}, x_t) | x_0 is jointly Gaussian; condition on x_t with the Schur complement."""
    d = GaussianDiffusion(betas)
    x0, xt = torch.tensor([[0.7]], dtype=F64), torch.tensor([[-0.3]], dtype=F64)
    for t in (1, 2, 3, d.T // 2, d.T):
        m_prev, v_prev = math.sqrt(d.alpha_bars[t - 1]) * 0.7, 1 - d.alpha_bars[t - 1]
        a, b = d.alphas[t], d.betas[t]
        cov = np.array([[v_prev, math.sqrt(a) * v_prev], [math.sqrt(a) * v_prev, a * v_prev + b]])
        cond_mean = m_prev + cov[0, 1] / cov[1, 1] * (-0.3 - math.sqrt(a) * m_prev)
        cond_var = cov[0, 0] - cov[0, 1] ** 2 / cov[1, 1]
        mean, var = d.q_posterior(x0, xt, t)
        assert math.isclose(mean.item(), cond_mean, rel_tol=1e-10, abs_tol=1e-14)
        assert math.isclose(var.item(), cond_var, rel_tol=1e-10, abs_tol=1e-14)
        # completing the square: 1 / ((1-b)/b + 1/(1-abar_{t-1})) = beta_tilde
        if t > 1:
            assert math.isclose(1 / ((1 - b) / b + 1 / v_prev), d.posterior_variance[t], rel_tol=1e-12)


def test_posterior_by_monte_carlo_bayes():
    """Sample (x_{t-1}, x_t) from the forward chain, keep x_t in a thin slab, compare with the posterior."""
    d = GaussianDiffusion(constant_beta_schedule(100, 0.01))
    g, n, t = gen(3), 2_000_000, 5
    x0 = torch.full((n, 1), 0.8, dtype=F64)
    x_prev = d.q_sample(x0, t - 1, generator=g)
    xt = d.q_step(x_prev, t, generator=g)
    keep = (xt - 0.2).abs() < 0.005
    mean, var = d.q_posterior(x0[:1], torch.full((1, 1), 0.2, dtype=F64), t)
    sel = x_prev[keep]
    assert abs(sel.mean().item() - mean.item()) < 5 * math.sqrt(var.item() / sel.numel()) + 2e-3
    assert abs(sel.var().item() / var.item() - 1) < 0.05


def test_mu_tilde_in_terms_of_eps_holds_to_round_off():
    d = GaussianDiffusion(linear_beta_schedule(1000))
    g = gen(4)
    x0, eps = torch.randn(64, 3, generator=g, dtype=F64), torch.randn(64, 3, generator=g, dtype=F64)
    t = torch.randint(1, 1001, (64,), generator=g)
    xt = d.q_sample(x0, t, eps)
    mean, _ = d.q_posterior(x0, xt, t)
    b = torch.tensor(d.betas[t.numpy()])[:, None]
    ab = torch.tensor(d.alpha_bars[t.numpy()])[:, None]
    torch.testing.assert_close(mean, (xt - b / (1 - ab).sqrt() * eps) / (1 - b).sqrt(), atol=1e-12, rtol=0)


def test_parameterisations_agree():
    """eps, x0 and v networks that output the true target give the same (eps, x0) and the same p-mean."""
    base = GaussianDiffusion(cosine_beta_schedule(100))
    g = gen(5)
    x0, eps = torch.randn(16, 2, generator=g, dtype=F64), torch.randn(16, 2, generator=g, dtype=F64)
    t = torch.randint(1, 101, (16,), generator=g)
    xt = base.q_sample(x0, t, eps)
    targets = {"eps": eps, "x0": x0, "v": base.v_target(x0, t, eps)}
    means = []
    for prediction, target in targets.items():
        d = GaussianDiffusion(cosine_beta_schedule(100), prediction=prediction)
        e_hat, x0_hat = d.eps_x0_from_output(target, xt, t)
        torch.testing.assert_close(e_hat, eps, atol=1e-9, rtol=0)
        torch.testing.assert_close(x0_hat, x0, atol=1e-9, rtol=0)
        means.append(d.p_mean_variance(lambda x, s, target=target: target, xt, t)[0])
        # the loss of a perfect network is zero
        assert d.loss(lambda x, s, target=target: target, x0, t=t, noise=eps).item() < 1e-20
    for m in means[1:]:
        torch.testing.assert_close(m, means[0], atol=1e-9, rtol=0)
    # the p-mean of the true eps is the posterior mean
    torch.testing.assert_close(means[0], base.q_posterior(x0, xt, t)[0], atol=1e-9, rtol=0)


def test_clip_x0_clamps_and_keeps_the_forward_relation():
    d = GaussianDiffusion(linear_beta_schedule(100))
    xt, t = 3 * torch.randn(8, 4, generator=gen(6), dtype=F64), 60
    eps, x0 = d.predict(lambda x, s: torch.zeros_like(x), xt, t, clip_x0=(-1, 1))
    assert x0.abs().max() <= 1
    ab = d.alpha_bars[t]
    torch.testing.assert_close(xt, math.sqrt(ab) * x0 + math.sqrt(1 - ab) * eps)


# ---------------------------------------------------------------------------------------------
# KL terms and the variational bound
# ---------------------------------------------------------------------------------------------
def test_normal_kl_and_nll_match_torch_distributions():
    g = gen(7)
    m1, m2 = torch.randn(50, generator=g, dtype=F64), torch.randn(50, generator=g, dtype=F64)
    v1, v2 = torch.rand(50, generator=g, dtype=F64) + 0.1, torch.rand(50, generator=g, dtype=F64) + 0.1
    ref = torch.distributions.kl_divergence(
        torch.distributions.Normal(m1, v1.sqrt()), torch.distributions.Normal(m2, v2.sqrt())
    )
    torch.testing.assert_close(normal_kl(m1, v1, m2, v2), ref)
    x = torch.randn(50, generator=g, dtype=F64)
    torch.testing.assert_close(gaussian_nll(x, m1, v1), -torch.distributions.Normal(m1, v1.sqrt()).log_prob(x))


def test_vlb_of_the_optimal_gaussian_denoiser_bounds_the_true_nll():
    """Data N(m, s^2): the bound E[-ELBO] is above the exact entropy, and gets tighter as T grows."""
    m, s = 1.5, 0.5
    entropy = 0.5 * math.log(2 * math.pi * math.e * s**2)
    gaps = []
    for T in (50, 400):
        d = GaussianDiffusion(small_linear(T))
        oracle = GaussianOptimalDenoiser(d, m, s)
        x0 = m + s * torch.randn(3000, 1, generator=gen(8), dtype=F64)
        terms = d.vlb_terms(oracle, x0, generator=gen(9))
        assert terms["kl"].shape == (3000, T - 1)
        total = terms["total"]
        torch.testing.assert_close(total, terms["prior"] + terms["kl"].sum(1) + terms["decoder"])
        se = total.std().item() / math.sqrt(3000)
        assert total.mean().item() > entropy - 4 * se
        gaps.append(total.mean().item() - entropy)
        # the prior term is the KL of N(sqrt(abar_T) x0, 1-abar_T) from N(0, 1), in closed form
        ab = d.alpha_bars[T]
        expected = 0.5 * (-math.log(1 - ab) + (1 - ab) + ab * x0**2 - 1)
        torch.testing.assert_close(terms["prior"], expected[:, 0])
    assert gaps[1] < gaps[0]


# ---------------------------------------------------------------------------------------------
# Samplers
# ---------------------------------------------------------------------------------------------
def tiny_mlp(seed=0):
    torch.manual_seed(seed)
    return MLPDenoiser(data_dim=2, hidden=16, depth=1, time_dim=8)


def test_ddpm_and_ddim_shapes_and_determinism():
    d = GaussianDiffusion(small_linear(40))
    model = tiny_mlp()
    for sampler, kwargs in ((ddpm_sample, {}), (ddim_sample, {"steps": 7, "eta": 0.5})):
        a = sampler(model, d, (10, 2), seed=3, **kwargs)
        b = sampler(model, d, (10, 2), seed=3, **kwargs)
        c = sampler(model, d, (10, 2), seed=4, **kwargs)
        assert a.shape == (10, 2) and torch.isfinite(a).all()
        assert torch.equal(a, b) and not torch.equal(a, c)
    chain = ddpm_sample(model, d, (10, 2), seed=3, return_chain=True, chain_every=10)
    assert chain.times == [40, 30, 20, 10, 0] and chain.states.shape == (5, 10, 2)
    torch.testing.assert_close(chain.states[-1], chain.samples)
    chain = ddim_sample(model, d, (10, 2), steps=[1, 20, 40], return_chain=True)
    assert chain.times == [40, 20, 1, 0] and chain.states.shape == (4, 10, 2)
    assert model.training  # sampling restores the mode it found


def test_ddim_with_eta_one_over_all_steps_is_ddpm_pathwise():
    d = GaussianDiffusion(small_linear(60))
    model = tiny_mlp(1).double()
    x_ddpm = ddpm_sample(model, d, (32, 2), seed=11, dtype=F64)
    x_ddim = ddim_sample(model, d, (32, 2), steps=60, eta=1.0, seed=11, dtype=F64)
    torch.testing.assert_close(x_ddim, x_ddpm, atol=1e-10, rtol=0)


def exact_sampler_moments(d, taus, eta, m, s, variance="beta_tilde"):
    """Every step of either sampler with the optimal Gaussian denoiser is affine: x <- a x + c + sd z.
    Propagate the mean and variance of x exactly, starting from x_T ~ N(0, 1)."""
    mean, var = 0.0, 1.0
    for t, prev in zip(taus[::-1], [*taus[-2::-1], 0]):
        ab, ab_prev = d.alpha_bars[t], d.alpha_bars[prev]
        k = math.sqrt(1 - ab) / (ab * s**2 + 1 - ab)  # eps_hat = k (x - sqrt(ab) m)
        e_a, e_c = k, -k * math.sqrt(ab) * m
        x0_a, x0_c = (1 - math.sqrt(1 - ab) * e_a) / math.sqrt(ab), -math.sqrt(1 - ab) * e_c / math.sqrt(ab)
        if eta is None:  # DDPM, consecutive steps
            sigma2 = d.posterior_variance[t] if variance == "beta_tilde" else d.betas[t]
            a = (1 - d.betas[t] / math.sqrt(1 - ab) * e_a) / math.sqrt(1 - d.betas[t])
            c = -d.betas[t] / math.sqrt(1 - ab) * e_c / math.sqrt(1 - d.betas[t])
            sigma2 = sigma2 if t > 1 else 0.0
        else:
            sigma2 = eta**2 * (1 - ab_prev) / (1 - ab) * (1 - ab / ab_prev)
            coef = math.sqrt(max(1 - ab_prev - sigma2, 0.0))
            a, c = math.sqrt(ab_prev) * x0_a + coef * e_a, math.sqrt(ab_prev) * x0_c + coef * e_c
            sigma2 = sigma2 if prev > 0 else 0.0
        mean, var = a * mean + c, a * a * var + sigma2
    return mean, var


@pytest.mark.parametrize(
    "sampler, kwargs",
    [
        ("ddpm", {"variance": "beta_tilde"}),
        ("ddpm", {"variance": "beta"}),
        ("ddim", {"steps": 100, "eta": 1.0}),
        ("ddim", {"steps": 10, "eta": 0.0}),
        ("ddim", {"steps": 25, "eta": 0.5}),
    ],
)
def test_samplers_match_their_exact_output_distribution(sampler, kwargs):
    """With the optimal denoiser of Gaussian data the sampler's output is exactly Gaussian with moments we can
    propagate by hand; DDIM(eta = 1, all steps) and DDPM have the same distribution."""
    d = GaussianDiffusion(small_linear(100))
    m, s, n = 1.5, 0.5, 40_000
    oracle = GaussianOptimalDenoiser(d, m, s)
    if sampler == "ddpm":
        x = ddpm_sample(oracle, d, (n, 1), seed=0, dtype=F64, **kwargs)
        mean, var = exact_sampler_moments(d, list(range(1, 101)), None, m, s, kwargs["variance"])
    else:
        x = ddim_sample(oracle, d, (n, 1), seed=0, dtype=F64, **kwargs)
        mean, var = exact_sampler_moments(d, ddim_timesteps(100, kwargs["steps"]), kwargs["eta"], m, s)
    assert abs(x.mean().item() - mean) < 5 * math.sqrt(var / n)
    assert abs(x.var().item() / var - 1) < 5 * math.sqrt(2 / n)
    if sampler == "ddim" and kwargs["eta"] == 1.0:
        assert math.isclose(var, exact_sampler_moments(d, list(range(1, 101)), None, m, s)[1], rel_tol=1e-9)


def test_ddpm_with_the_optimal_denoiser_recovers_the_data_distribution_for_large_T():
    d = GaussianDiffusion(linear_beta_schedule(1000))
    mean, var = exact_sampler_moments(d, list(range(1, 1001)), None, 1.5, 0.5)
    assert abs(mean - 1.5) < 1e-3 and abs(math.sqrt(var) - 0.5) < 0.01


def test_ddim_timesteps():
    assert ddim_timesteps(1000, 10) == [1, 112, 223, 334, 445, 556, 667, 778, 889, 1000]
    assert ddim_timesteps(1000, 1000) == list(range(1, 1001))
    assert ddim_timesteps(10, 1) == [10]
    assert ddim_timesteps(10, [2, 5, 9]) == [2, 5, 9]
    with pytest.raises(ValueError, match="strictly increasing"):
        ddim_timesteps(10, [5, 2])
    with pytest.raises(ValueError, match="steps must be <= 10"):
        ddim_timesteps(10, 11)
    with pytest.raises(TypeError, match="steps must be an int or a non-empty sequence"):
        ddim_timesteps(10, [])


def test_ddim_inversion_roundtrip_with_the_optimal_denoiser():
    d = GaussianDiffusion(linear_beta_schedule(1000))
    oracle = GaussianOptimalDenoiser(d, 0.5, 0.8)
    x0 = 0.5 + 0.8 * torch.randn(200, 1, generator=gen(12), dtype=F64)
    errors = []
    for steps in (100, 1000):  # both directions are first-order (Euler) steps: the error falls like 1/steps
        xT = ddim_invert(oracle, d, x0, steps=steps)
        assert abs(xT.std().item() / ((x0 - 0.5) / 0.8).std().item() - 1) < 0.05  # the code is ~ N(0, 1)
        back = ddim_sample(oracle, d, None, x_T=xT, steps=steps, eta=0.0, dtype=F64)
        errors.append((back - x0).abs().max().item())
    assert errors[1] < 0.02 and errors[1] < 0.2 * errors[0]


def test_empirical_optimal_denoiser_memorises_the_training_set():
    d = GaussianDiffusion(small_linear(100))
    data = torch.tensor([[-1.0, 0.0], [1.0, 0.5], [0.0, -1.0]], dtype=F64)
    model = EmpiricalOptimalDenoiser(d, data)
    x = ddpm_sample(model, d, (300, 2), seed=0, dtype=F64)
    dist = torch.cdist(x, data).min(1).values
    assert dist.max().item() < 1e-3
    # a single training point: the posterior over the data is a delta, so eps_hat is the exact noise
    one = EmpiricalOptimalDenoiser(d, data[:1])
    eps = torch.randn(5, 2, generator=gen(13), dtype=F64)
    xt = d.q_sample(data[:1].expand(5, 2), 30, eps)
    torch.testing.assert_close(one(xt, torch.full((5,), 30)), eps)


# ---------------------------------------------------------------------------------------------
# Networks and EMA
# ---------------------------------------------------------------------------------------------
def test_sinusoidal_embedding_formula():
    t = torch.tensor([0, 1, 7, 1000])
    e = sinusoidal_embedding(t, 8)
    freqs = 10000.0 ** (-np.arange(4) / 4)
    ref = np.concatenate([np.sin(t.numpy()[:, None] * freqs), np.cos(t.numpy()[:, None] * freqs)], axis=1)
    np.testing.assert_allclose(e.numpy(), ref, atol=1e-4)
    with pytest.raises(ValueError, match="dim must be even"):
        sinusoidal_embedding(t, 7)


@pytest.mark.parametrize(
    "size, kwargs",
    [(8, {}), (16, {"channel_mults": (1, 2, 2), "attention_levels": (2,)}), (8, {"num_res_blocks": 2, "dropout": 0.1})],
)
def test_unet_shapes_and_time_conditioning(size, kwargs):
    torch.manual_seed(0)
    net = UNet(base_channels=8, **kwargs)
    for p in net.parameters():  # move off the zero initialisation so that the output depends on the input
        p.data.add_(0.05 * torch.randn_like(p))
    net.eval()
    x = torch.randn(3, 1, size, size)
    out = net(x, torch.tensor([1, 2, 3]))
    assert out.shape == x.shape
    assert not torch.allclose(out, net(x, torch.tensor([500, 600, 700])))


def test_unet_and_mlp_gradients_pass_gradcheck():
    torch.manual_seed(0)
    net = UNet(base_channels=4, groups=2).double()
    for p in net.parameters():
        p.data.add_(0.1 * torch.randn_like(p))
    x = torch.randn(1, 1, 4, 4, dtype=F64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a: net(a, torch.tensor([5])), (x,))
    mlp = tiny_mlp().double()
    y = torch.randn(2, 2, dtype=F64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a: mlp(a, torch.tensor([1, 9])), (y,))


def test_resblock_starts_as_the_identity():
    block = ResBlock(8, 8, time_dim=16)
    x = torch.randn(2, 8, 4, 4)
    torch.testing.assert_close(block(x, torch.randn(2, 16)), x)


def test_ema_is_the_exponential_moving_average():
    torch.manual_seed(0)
    net = torch.nn.Linear(3, 2)
    ema = EMA(net, decay=0.9)
    start = net.weight.detach().clone()
    expected = start.clone()
    for k in range(1, 30):
        with torch.no_grad():
            net.weight.add_(1.0)
        ema.update(net)
        d = min(0.9, (1 + k) / (10 + k))
        expected = d * expected + (1 - d) * net.weight.detach()
    torch.testing.assert_close(ema.model.weight, expected)
    assert not ema.model.weight.requires_grad


def test_network_input_errors():
    with pytest.raises(ValueError, match=r"x must have shape \(B, 1, H, W\)"):
        UNet()(torch.randn(2, 3, 8, 8), torch.tensor([1, 2]))
    with pytest.raises(ValueError, match="H and W must be divisible by 2"):
        UNet()(torch.randn(2, 1, 7, 8), torch.tensor([1, 2]))
    with pytest.raises(ValueError, match="attention_levels must be level indices"):
        UNet(attention_levels=(3,))
    with pytest.raises(ValueError, match=r"x must have shape \(B, 2\)"):
        MLPDenoiser()(torch.randn(4, 3), torch.tensor([1, 2, 3, 4]))
    with pytest.raises(ValueError, match="std must be positive"):
        GaussianOptimalDenoiser(GaussianDiffusion(linear_beta_schedule(10)), 0.0, -1.0)


# ---------------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------------
def test_a_tiny_training_run_lowers_the_loss_and_is_reproducible():
    d = GaussianDiffusion(small_linear(100))
    data = torch.tensor(lib.data.two_moons(1000, rng=0).X, dtype=torch.float32)

    def fixed_loss(model):  # the same t and noise before and after training
        g = gen(21)
        t = torch.randint(1, 101, (1000,), generator=g)
        return d.loss(model, data, t=t, noise=torch.randn(data.shape, generator=g)).item()

    torch.manual_seed(0)
    model = MLPDenoiser(hidden=64, depth=2)
    before = fixed_loss(model)
    result = train_diffusion(model, d, data, steps=400, batch_size=128, lr=3e-3, seed=0, ema_decay=0.99)
    after = fixed_loss(model)
    assert after < 0.7 * before
    assert result.losses.shape == (400,) and result.losses[-50:].mean() < result.losses[:50].mean()
    assert result.ema is not None and result.ema.num_updates == 400 and result.examples_per_second > 0
    assert result.smoothed(50).shape == (351,)
    torch.manual_seed(0)
    again = train_diffusion(MLPDenoiser(hidden=64, depth=2), d, data, steps=20, lr=3e-3, seed=0)
    np.testing.assert_array_equal(again.losses, result.losses[:20])


def test_training_errors():
    d = GaussianDiffusion(linear_beta_schedule(10))
    with pytest.raises(ValueError, match="data must be a floating-point tensor"):
        train_diffusion(tiny_mlp(), d, np.zeros((4, 2)), steps=1)
    with pytest.raises(ValueError, match="steps must be >= 1"):
        train_diffusion(tiny_mlp(), d, torch.zeros(4, 2), steps=0)


# ---------------------------------------------------------------------------------------------
# Input validation of the diffusion object and the samplers
# ---------------------------------------------------------------------------------------------
def test_diffusion_errors():
    with pytest.raises(ValueError, match=r"betas must lie in the open interval \(0, 1\)"):
        GaussianDiffusion([0.1, 1.0])
    with pytest.raises(ValueError, match="betas must be 1-D"):
        GaussianDiffusion(np.full((2, 2), 0.1))
    with pytest.raises(ValueError, match="prediction must be one of"):
        GaussianDiffusion(linear_beta_schedule(10), prediction="score")
    with pytest.raises(ValueError, match="beta_end must be >= beta_start"):
        linear_beta_schedule(10, 0.02, 0.01)
    with pytest.raises(TypeError, match="T must be a integral"):
        linear_beta_schedule(10.0)
    d = GaussianDiffusion(linear_beta_schedule(10))
    x = torch.zeros(4, 2)
    with pytest.raises(ValueError, match=r"t must lie in \[0, 10\] \(T = 10\), got 11"):
        d.q_sample(x, 11)
    with pytest.raises(ValueError, match=r"t must lie in \[1, 10\] \(T = 10\), got values in \[0, 3\]"):
        d.q_posterior(x, x, torch.tensor([0, 1, 2, 3]))
    with pytest.raises(ValueError, match=r"t must be an int or have shape \(4,\)"):
        d.q_sample(x, torch.tensor([1, 2]))
    with pytest.raises(TypeError, match="t must be an int or an integer tensor"):
        d.q_sample(x, torch.tensor([1.0, 2.0, 3.0, 4.0]))
    with pytest.raises(ValueError, match=r"noise must have the same shape as x0 \(4, 2\), got \(4, 3\)"):
        d.q_sample(x, 3, noise=torch.zeros(4, 3))
    with pytest.raises(ValueError, match="x0 must have a batch dimension first"):
        d.q_sample(torch.zeros(2), 3)
    with pytest.raises(TypeError, match="x0 must be a torch.Tensor"):
        d.q_sample(np.zeros((4, 2)), 3)
    with pytest.raises(ValueError, match="model output must have the same shape as x0"):
        d.loss(lambda xt, t: xt[:, :1], x)
    with pytest.raises(ValueError, match="variance must be one of"):
        d.loss_weight(3, variance="learned")
    with pytest.raises(ValueError, match=r"t must lie in \[1, 10\]"):
        d.loss_weight(0)
    with pytest.raises(ValueError, match="variance must be one of"):
        ddpm_sample(tiny_mlp(), d, (4, 2), variance="large")
    with pytest.raises(ValueError, match=r"eta must be <= 1"):
        ddim_sample(tiny_mlp(), d, (4, 2), eta=1.5)
    with pytest.raises(TypeError, match="shape must be a tuple of ints"):
        ddpm_sample(tiny_mlp(), d, 4)
    with pytest.raises(ValueError, match="shape must be"):
        ddpm_sample(tiny_mlp(), d, (4,))


# ---------------------------------------------------------------------------------------------
# Quality measures
# ---------------------------------------------------------------------------------------------
def random_spd(d, rng):
    A = rng.normal(size=(d, d))
    return A @ A.T + 0.1 * np.eye(d)


@pytest.mark.parametrize("d", [1, 2, 5, 32])
def test_frechet_distance_matches_the_scipy_sqrtm_formula(d):
    rng = np.random.default_rng(d)
    mu1, mu2 = rng.normal(size=d), rng.normal(size=d)
    c1, c2 = random_spd(d, rng), random_spd(d, rng)
    covmean = scipy.linalg.sqrtm(c1 @ c2).real
    ref = np.sum((mu1 - mu2) ** 2) + np.trace(c1 + c2 - 2 * covmean)
    assert math.isclose(frechet_distance(mu1, c1, mu2, c2), ref, rel_tol=1e-7)
    assert math.isclose(frechet_distance(mu1, c1, mu2, c2), frechet_distance(mu2, c2, mu1, c1), rel_tol=1e-9)
    assert frechet_distance(mu1, c1, mu1, c1) < 1e-8 * np.trace(c1)


def test_frechet_distance_closed_forms():
    # 1-D: (m1 - m2)^2 + (s1 - s2)^2 ; commuting (diagonal) covariances: sum of (sqrt v1 - sqrt v2)^2
    assert math.isclose(frechet_distance([0.0], [[4.0]], [3.0], [[1.0]]), 9 + 1, rel_tol=1e-12)
    v1, v2 = np.array([1.0, 4.0, 9.0]), np.array([4.0, 4.0, 1.0])
    expected = np.sum((np.sqrt(v1) - np.sqrt(v2)) ** 2)
    assert math.isclose(frechet_distance(np.zeros(3), np.diag(v1), np.zeros(3), np.diag(v2)), expected, rel_tol=1e-12)
    with pytest.raises(ValueError, match="mu1, mu2 must have shape"):
        frechet_distance(np.zeros(2), np.eye(2), np.zeros(3), np.eye(3))


def test_feature_statistics_and_class_coverage():
    rng = np.random.default_rng(0)
    F_ = rng.normal(size=(100, 4))
    mu, cov = feature_statistics(F_)
    np.testing.assert_allclose(mu, F_.mean(0))
    np.testing.assert_allclose(cov, np.cov(F_.T))
    with pytest.raises(ValueError, match="at least 2 rows"):
        feature_statistics(F_[:1])
    cov_, shares = class_coverage(np.array([0, 0, 1, 1, 2, 2, 3, 3, 3, 9]), 10)
    assert cov_ == 0.5 and shares[3] == 0.3 and shares.sum() == 1
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 9\]"):
        class_coverage(np.array([0, 10]), 10)
    with pytest.raises(TypeError, match="labels must be integer class labels"):
        class_coverage(np.array([0.5, 1.0]), 10)


def test_digit_image_conversion_roundtrip():
    train, test = digits_split()
    assert (len(train), len(test)) == (1348, 449)
    images = digits_to_images(test.X)
    assert images.shape == (449, 1, 8, 8) and images.min() == -1 and images.max() == 1
    np.testing.assert_allclose(images_to_digits(images), test.X, atol=1e-5)
    with pytest.raises(ValueError, match="X must have 64 columns"):
        digits_to_images(np.zeros((3, 63)))


def test_shipped_classifier_is_accurate_and_fdd_separates_real_from_noise():
    train, test = digits_split()
    clf = load_digits_classifier()
    x_train, x_test = digits_to_images(train.X), digits_to_images(test.X)
    with torch.no_grad():
        accuracy = (clf(x_test).argmax(1).numpy() == test.y).mean()
    assert accuracy > 0.95
    real = digits_quality(x_train[:449], x_test, clf)  # held-out real vs real
    noise = digits_quality(torch.randn(449, 1, 8, 8, generator=gen(0)).clamp(-1, 1), x_test, clf)
    one_class = digits_quality(x_train[torch.as_tensor(train.y == 3)][:200], x_test, clf)
    assert real.coverage == 1.0 and real.fdd < 0.05 * noise.fdd
    assert one_class.coverage <= 0.2 and one_class.fdd > 5 * real.fdd
    assert str(real).startswith("FDD = ")


def test_classifier_training_is_quick_and_accurate():
    train, test = digits_split()
    clf = train_digits_classifier(digits_to_images(train.X), train.y, steps=300, seed=1)
    with torch.no_grad():
        accuracy = (clf(digits_to_images(test.X)).argmax(1).numpy() == test.y).mean()
    assert accuracy > 0.9


def test_shipped_digits_model_generates_recognisable_digits():
    model, d, meta = load_digits_model()
    assert d.T == meta["diffusion"]["T"] == 1000 and isinstance(model, UNet)
    assert meta["training"]["steps"] >= 1000
    _, test = digits_split()
    samples = ddim_sample(model, d, (200, 1, 8, 8), steps=20, seed=0, clip_x0=(-1, 1))
    quality = digits_quality(samples, digits_to_images(test.X))
    noise = digits_quality(torch.randn(200, 1, 8, 8, generator=gen(0)).clamp(-1, 1), digits_to_images(test.X))
    assert quality.fdd < 0.2 * noise.fdd and quality.coverage >= 0.8


# ---------------------------------------------------------------------------------------------
# The 2-D toy data of lib.data used by chapter 28
# ---------------------------------------------------------------------------------------------
def test_toy_distributions_have_their_geometry():
    moons = lib.data.two_moons(400, noise=0.0, rng=0)
    assert moons.X.shape == (400, 2) and np.bincount(moons.y).tolist() == [200, 200]
    upper, lower = moons.X[moons.y == 0] + [0.5, 0.25], moons.X[moons.y == 1] + [0.5, 0.25]
    np.testing.assert_allclose(np.linalg.norm(upper, axis=1), 1.0)  # (cos t, sin t)
    np.testing.assert_allclose(np.linalg.norm(lower - [1.0, 0.5], axis=1), 1.0)  # (1 - cos t, 1/2 - sin t)
    roll = lib.data.swiss_roll_2d(500, noise=0.0, rng=1)
    r = np.linalg.norm(roll.X, axis=1) * 5  # radius = s in [1.5 pi, 4.5 pi]
    assert r.min() >= 1.5 * np.pi - 1e-9 and r.max() <= 4.5 * np.pi + 1e-9
    assert set(np.unique(roll.y)) == {0, 1, 2, 3}
    g8 = lib.data.eight_gaussians(800, std=0.0, rng=2)
    np.testing.assert_allclose(np.linalg.norm(g8.X, axis=1), 2.0)
    np.testing.assert_allclose(np.arctan2(g8.X[:, 1], g8.X[:, 0]) % (2 * np.pi), g8.y * np.pi / 4, atol=1e-12)
    np.testing.assert_array_equal(lib.data.two_moons(50, rng=3).X, lib.data.two_moons(50, rng=3).X)
    with pytest.raises(ValueError, match="noise must be >= 0"):
        lib.data.two_moons(10, noise=-1.0)
    with pytest.raises(ValueError, match="radius must be > 0"):
        lib.data.eight_gaussians(10, radius=0.0)


# ---------------------------------------------------------------------------------------------
# The static form of the samplers (the path that is captured in a CUDA graph on a GPU)
# ---------------------------------------------------------------------------------------------
def test_step_schedules_reproduce_algorithm_2_and_ddim():
    from lib.diffusion.samplers import ddim_schedule, ddpm_schedule

    d = GaussianDiffusion(linear_beta_schedule(50))
    s = ddpm_schedule(d, "beta")
    t = 17
    k = d.T - t
    beta, abar = d.betas[t], d.alpha_bars[t]
    assert s.t[k] == t and s.noise[k] and not s.noise[-1]
    np.testing.assert_allclose(s.coef[k], [1 / math.sqrt(1 - beta), -beta / math.sqrt(1 - abar) / math.sqrt(1 - beta),
                                           0.0, math.sqrt(beta)], rtol=1e-14)  # fmt: skip
    s2 = ddim_schedule(d, [1, 10, 30, 50], eta=0.0)
    assert list(s2.t) == [50, 30, 10, 1] and not s2.noise.any()
    np.testing.assert_allclose(s2.coef[1], [0.0, math.sqrt(1 - d.alpha_bars[10]), math.sqrt(d.alpha_bars[10]), 0.0])


@pytest.mark.parametrize("sampler", ["ddpm-beta_tilde", "ddpm-beta", "ddim-0", "ddim-0.5", "ddim-1"])
def test_static_sampler_equals_the_step_by_step_sampler(sampler):
    from lib.diffusion.samplers import _run_static, _start, ddim_schedule, ddim_timesteps, ddpm_schedule

    d = GaussianDiffusion(linear_beta_schedule(60))
    torch.manual_seed(0)
    net = UNet(base_channels=8, channel_mults=(1, 2), attention_levels=(1,), groups=4).eval()
    kind, arg = sampler.split("-")
    x, gen, _ = _start((4, 1, 8, 8), 5, None, None, torch.float64)
    net = net.double()
    if kind == "ddpm":
        ref = ddpm_sample(net, d, (4, 1, 8, 8), variance=arg, seed=5, clip_x0=(-1, 1), dtype=torch.float64)
        out = _run_static(net, d, x, gen, ddpm_schedule(d, arg), (-1, 1), False, True, graph=False)
    else:
        eta = float(arg)
        ref = ddim_sample(net, d, (4, 1, 8, 8), steps=12, eta=eta, seed=5, clip_x0=(-1, 1), dtype=torch.float64)
        sched = ddim_schedule(d, ddim_timesteps(d.T, 12), eta)
        out = _run_static(net, d, x, gen, sched, (-1, 1), False, eta > 0, graph=False)
    torch.testing.assert_close(out, ref, atol=1e-10, rtol=0)


@pytest.mark.parametrize("sampler", ["ddpm", "ddim"])
def test_static_step_never_reads_a_device_value_on_the_host(sampler):
    # A CUDA graph records kernels only: a step that reads a tensor's value on the host (.item(), int(), bool(),
    # indexing with a 0-dim tensor) would fail to capture or freeze that value into every replay. On the meta
    # device every such read raises, so running the whole static step there (the sampler's table lookups, the
    # time-step checks and coefficient tables on a non-CPU device, the U-Net) proves it has none -- on the CPU.
    from lib.diffusion.samplers import StepSchedule, _run_static, ddim_schedule, ddim_timesteps, ddpm_schedule

    d = GaussianDiffusion(linear_beta_schedule(20))
    meta = torch.device("meta")
    net = UNet(base_channels=8, channel_mults=(1, 2), attention_levels=(1,), groups=4).to(meta).eval()
    if sampler == "ddpm":
        s = ddpm_schedule(d)
        sched = StepSchedule(s.t, s.coef, np.zeros_like(s.noise))  # the noise is drawn outside the step
    else:
        sched = ddim_schedule(d, ddim_timesteps(d.T, 5), 0.0)
    x = torch.empty(3, 1, 8, 8, device=meta)
    out = _run_static(net, d, x, None, sched, (-1, 1), False, sampler == "ddpm", graph=False)
    assert out.device == meta and out.shape == x.shape
    with pytest.raises(RuntimeError, match="meta"):  # the probe works: a host read on meta raises
        int(torch.zeros(1, dtype=torch.long, device=meta)[torch.zeros((), dtype=torch.long, device=meta)])


def test_cuda_graph_option_is_checked():
    d = GaussianDiffusion(linear_beta_schedule(10))
    oracle = GaussianOptimalDenoiser(d, 0.0, 1.0)
    with pytest.raises(ValueError, match="needs a CUDA device"):
        ddpm_sample(oracle, d, (2, 1), cuda_graph=True)
    with pytest.raises(TypeError, match="cuda_graph must be"):
        ddim_sample(oracle, d, (2, 1), steps=5, cuda_graph="yes")
