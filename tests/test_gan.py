"""lib.gan: the optimal discriminator and value function against their closed forms, the mode counter on
known answers, the gradient penalty against torch.func, the training loop and the Wasserstein critic."""

import numpy as np
import pytest
import torch
from scipy import stats

import lib
from lib import gan


def grid_densities(mu_g=0.0, s_g=1.0):
    x = np.linspace(-8, 12, 40_001)
    return x, stats.norm(4, 0.5).pdf(x), stats.norm(mu_g, s_g).pdf(x)


def test_optimal_discriminator_and_value_function():
    x, p, q = grid_densities()
    d = gan.optimal_discriminator(p, q)
    assert np.allclose(d, p / (p + q), equal_nan=False, atol=1e-15, rtol=0)
    dx = x[1] - x[0]
    js = lib.prob.js_divergence(p / p.sum(), q / q.sum())
    assert np.isclose(gan.gan_value(d, p, q, dx), -np.log(4) + 2 * js, atol=1e-6)
    assert np.isclose(gan.gan_value(np.full_like(p, 0.5), p, p, dx), -np.log(4), atol=1e-6)
    # any other discriminator is worse
    assert gan.gan_value(np.clip(d + 0.05, 0, 1), p, q, dx) < gan.gan_value(d, p, q, dx)
    # where both densities vanish D* is 1/2
    assert gan.optimal_discriminator([0.0, 1.0], [0.0, 1.0]).tolist() == [0.5, 0.5]


def test_count_modes_on_known_answers():
    rng = np.random.default_rng(0)
    centers = 2 * np.column_stack([np.cos(np.arange(8) * np.pi / 4), np.sin(np.arange(8) * np.pi / 4)])
    full = centers[rng.integers(0, 8, 4000)] + 0.05 * rng.standard_normal((4000, 2))
    assert gan.count_modes(full, centers, 0.05)[0] == 8
    assert gan.count_modes(centers[[2]] + 0.05 * rng.standard_normal((500, 2)), centers, 0.05)[0] == 1
    n, quality = gan.count_modes(np.zeros((100, 2)), centers, 0.05)
    assert n == 0 and quality == 0.0


def test_gradient_penalty_matches_torch_func():
    torch.manual_seed(0)
    critic = lib.nn.MLP([2, 16, 1], "tanh")
    real, fake = torch.randn(32, 2), torch.randn(32, 2) + 1
    gp = gan.gradient_penalty(critic, real, fake, torch.Generator().manual_seed(1))
    alpha = torch.rand((32, 1), generator=torch.Generator().manual_seed(1))
    mixed = alpha * real + (1 - alpha) * fake
    grads = torch.func.vmap(torch.func.grad(lambda t: critic(t[None])[0, 0]))(mixed)
    assert torch.allclose(gp, ((grads.norm(dim=1) - 1) ** 2).mean(), atol=1e-6)
    gp.backward()  # differentiable with respect to the critic's weights (the output bias does not enter it)
    assert critic[0].weight.grad is not None and critic[0].weight.grad.abs().sum() > 0


@pytest.mark.parametrize("loss", gan.LOSSES)
def test_train_gan_runs_every_loss_and_is_reproducible(loss):
    def sample(n, g):
        return 1 + 0.5 * torch.randn(n, 1, generator=g)

    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        G, D = lib.nn.MLP([1, 8, 1]), lib.nn.MLP([1, 8, 1])
        runs.append(
            gan.train_gan(G, D, sample, z_dim=1, loss=loss, steps=20, batch_size=16, log_every=10, n_snapshot=50)
        )
    assert runs[0].d_loss == runs[1].d_loss and runs[0].steps == [10, 20]
    assert runs[0].samples[-1].shape == (50, 1)
    if loss == "wgan-clip":
        assert all(p.abs().max() <= 0.01 + 1e-7 for p in D.parameters())


def test_the_one_dimensional_gan_learns_the_mean():
    def sample(n, g):
        return 4 + 0.5 * torch.randn(n, 1, generator=g)

    torch.manual_seed(0)
    G, D = lib.nn.MLP([1, 32, 32, 1]), lib.nn.MLP([1, 32, 32, 1])
    h = gan.train_gan(G, D, sample, z_dim=1, steps=800, batch_size=128, seed=0, log_every=800)
    assert abs(h.samples[-1].mean() - 4) < 0.3


def test_wasserstein_critic_with_gradient_penalty_is_close_to_w1():
    rng = np.random.default_rng(0)
    x_p, x_q = rng.normal(0, 1, 1000), rng.normal(2, 1, 1000)
    exact = lib.prob.wasserstein_1d(x_p, x_q)
    est, _ = gan.wasserstein_critic(x_p, x_q, method="gp", steps=300)
    assert abs(est / exact - 1) < 0.3
    est_clip, _ = gan.wasserstein_critic(x_p, x_q, method="clip", steps=100)
    assert 0 < est_clip < 0.05 * exact


def test_bad_input_is_rejected():
    with pytest.raises(ValueError, match="same grid"):
        gan.optimal_discriminator([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="non-negative"):
        gan.optimal_discriminator([1.0, -2.0], [1.0, 1.0])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        gan.gan_value([0.5, 1.5], [1.0, 1.0], [1.0, 1.0], 0.1)
    with pytest.raises(ValueError, match="dimension"):
        gan.count_modes(np.zeros((3, 2)), np.zeros((2, 3)), 0.1)
    with pytest.raises(ValueError, match="loss"):
        gan.train_gan(
            lib.nn.MLP([1, 2, 1]), lib.nn.MLP([1, 2, 1]), lambda n, g: torch.zeros(n, 1), z_dim=1, loss="hinge"
        )
    with pytest.raises(TypeError, match="discriminator"):
        gan.train_gan(lib.nn.MLP([1, 2, 1]), "D", lambda n, g: torch.zeros(n, 1), z_dim=1)
    with pytest.raises(ValueError, match="method"):
        gan.wasserstein_critic([0.0, 1.0], [1.0, 2.0], method="spectral")
    with pytest.raises(ValueError, match="same shape"):
        gan.gradient_penalty(lib.nn.MLP([2, 2, 1]), torch.zeros(3, 2), torch.zeros(2, 2))
