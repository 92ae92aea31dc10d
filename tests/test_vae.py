"""lib.vae: the gradient estimators, the ELBO's pieces against torch.distributions, training and the
importance-sampled log-likelihood."""

import numpy as np
import pytest
import torch
from torch import distributions as D

from lib import vae


def test_score_function_and_reparameterisation_are_unbiased_and_differ_in_variance():
    rng = np.random.default_rng(0)
    mu, sigma, n = 1.5, 1.0, 200_000
    s = vae.score_function_grad(lambda z: z**2, mu, sigma, n, rng)
    r = vae.reparam_grad(lambda z: 2 * z, mu, sigma, n, rng)
    for est in (s, r):
        assert abs(est.mean() - 2 * mu) < 4 * est.std() / np.sqrt(n)
    assert s.var() > 10 * r.var()
    assert np.isclose(r.var(), 4 * sigma**2, rtol=0.02)
    # a baseline keeps the mean and lowers the variance; the score has mean 0 and variance 1/sigma^2 (Fisher)
    b = vae.score_function_grad(lambda z: z**2, mu, sigma, n, rng, baseline=mu**2 + sigma**2)
    assert abs(b.mean() - 2 * mu) < 4 * b.std() / np.sqrt(n) and b.var() < s.var()
    score = vae.score_function_grad(lambda z: np.ones_like(z), mu, 0.5, n, rng)
    assert abs(score.mean()) < 4 * score.std() / np.sqrt(n) and np.isclose(score.var(), 1 / 0.25, rtol=0.02)


def test_kl_and_bernoulli_likelihood_equal_torch_distributions():
    g = torch.Generator().manual_seed(0)
    mu, logvar = (
        torch.randn(5, 3, generator=g, dtype=torch.float64),
        torch.randn(5, 3, generator=g, dtype=torch.float64),
    )
    q = D.Normal(mu, torch.exp(0.5 * logvar))
    p = D.Normal(torch.zeros_like(mu), torch.ones_like(mu))
    assert torch.allclose(vae.kl_normal_std(mu, logvar), D.kl_divergence(q, p).sum(-1), atol=1e-12)
    x = torch.randint(0, 2, (5, 7), generator=g).double()
    logits = torch.randn(5, 7, generator=g, dtype=torch.float64)
    ref = D.Bernoulli(logits=logits).log_prob(x).sum(-1)
    assert torch.allclose(vae.bernoulli_log_likelihood(x, logits), ref, atol=1e-12)


def test_reparameterize_has_the_right_moments_and_gradients():
    mu = torch.tensor([0.5, -1.0], dtype=torch.float64, requires_grad=True)
    logvar = torch.tensor([0.0, np.log(4.0)], dtype=torch.float64, requires_grad=True)
    g = torch.Generator().manual_seed(1)
    z = vae.reparameterize(mu.expand(200_000, 2), logvar.expand(200_000, 2), g)
    assert torch.allclose(z.mean(0), mu.detach(), atol=0.02) and torch.allclose(
        z.std(0), torch.tensor([1.0, 2.0]).double(), atol=0.02
    )
    (z**2).mean().backward()  # d/dmu E[z^2] = 2 mu, d/dlogvar = sigma^2
    assert torch.allclose(mu.grad, 2 * mu.detach() / 2, atol=0.02)  # mean over the 2 coordinates halves it
    assert torch.allclose(logvar.grad, torch.tensor([1.0, 4.0]).double() / 2, atol=0.05)


def test_training_raises_the_elbo_and_is_reproducible():
    g = torch.Generator().manual_seed(0)
    prototypes = (torch.rand(3, 16, generator=g) > 0.5).float()  # three patterns, 5% of the bits flipped
    X = prototypes[torch.randint(0, 3, (120,), generator=g)]
    X = torch.where(torch.rand(120, 16, generator=g) < 0.05, 1 - X, X)
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        model = vae.VAE(16, 32, 2)
        runs.append(vae.train_vae(model, X, epochs=15, batch_size=16, lr=3e-3, seed=3))
    assert runs[0].elbo == runs[1].elbo
    assert runs[0].elbo[-1] > runs[0].elbo[0] + 1.0
    assert all(k >= 0 for k in runs[0].kl)


def test_importance_sampling_bound_is_above_the_elbo_on_the_same_samples():
    torch.manual_seed(0)
    model = vae.VAE(16, 32, 2)
    x = (torch.rand(10, 16) > 0.5).float()
    one = torch.stack([vae.iwae_log_likelihood(model, x, n_samples=1, seed=s) for s in range(400)])
    many = vae.iwae_log_likelihood(model, x, n_samples=400, seed=0)
    # K = 1 is an unbiased single-sample ELBO estimate: its mean matches the ELBO with the closed-form KL
    with torch.no_grad():
        elbo = torch.stack([model.elbo(x, generator=torch.Generator().manual_seed(s))[0] for s in range(400)]).mean(0)
    assert torch.allclose(one.mean(0), elbo, atol=0.6)
    assert torch.all(many >= one.mean(0) - 0.05)


def test_bad_input_is_rejected():
    model = vae.VAE(16, 8, 2)
    with pytest.raises(ValueError, match="shape"):
        model.encode(torch.zeros(3, 15))
    with pytest.raises(TypeError, match="dtype"):
        model.encode(torch.zeros(3, 16, dtype=torch.float64))
    with pytest.raises(ValueError, match="z_dim"):
        model.decode(torch.zeros(3, 3))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        vae.train_vae(model, torch.full((4, 16), 2.0), epochs=1)
    with pytest.raises(ValueError, match="NaN"):
        vae.train_vae(model, torch.full((4, 16), float("nan")), epochs=1)
    with pytest.raises(ValueError, match="sigma"):
        vae.score_function_grad(lambda z: z, 0.0, -1.0, 10)
    with pytest.raises(ValueError, match="same shape"):
        vae.reparam_grad(lambda z: z[:1], 0.0, 1.0, 10)
    with pytest.raises(ValueError, match="same shape"):
        vae.kl_normal_std(torch.zeros(2, 3), torch.zeros(2, 2))
    with pytest.raises(ValueError, match="z_dim"):
        vae.VAE(16, 8, 0)
    with pytest.raises(TypeError, match="VAE"):
        vae.iwae_log_likelihood(torch.nn.Linear(2, 2), torch.zeros(1, 2))
