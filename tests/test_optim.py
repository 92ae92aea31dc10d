"""lib.optim against closed-form solutions, torch.optim, and the convergence facts of chapter 4."""

import math

import numpy as np
import pytest
import torch

import lib
from lib import optim


def quadratic(lam):
    """f(w) = 0.5 * w^T diag(lam) w, minimised at 0."""
    lam = np.asarray(lam, dtype=float)
    return (lambda w: 0.5 * np.sum(lam * w**2)), (lambda w: lam * w), (lambda w: np.diag(lam))


def test_gradient_descent_learning_rate_bound():
    """Converges iff r < 2 / lambda_max (notes D06: 1.9/lam converges, 2.1/lam diverges)."""
    lam = 4.0
    _, grad, _ = quadratic([lam])
    ok = optim.gradient_descent(grad, [1.0], lr=1.9 / lam, n_steps=200)
    bad = optim.gradient_descent(grad, [1.0], lr=2.1 / lam, n_steps=200)
    assert abs(ok.w[0]) < 1e-8
    assert abs(bad.w[0]) > 1e7
    np.testing.assert_allclose(ok.path[:, 0], (1 - 1.9) ** np.arange(201), rtol=1e-12)


def test_gradient_descent_reaches_normal_equation_solution():
    d = lib.data.diabetes(standardize=True)
    X = lib.linear.add_bias(d.X)
    lam_max = np.linalg.eigvalsh(lib.linear.mse_hessian(X)).max()
    res = optim.gradient_descent(
        lambda w: lib.linear.mse_grad(X, d.y, w), np.zeros(X.shape[1]), lr=1.0 / lam_max, n_steps=20_000, tol=1e-8
    )
    assert res.converged and not res.diverged
    np.testing.assert_allclose(res.w, lib.linear.normal_equation(X, d.y), rtol=1e-6, atol=1e-6)


def test_gradient_descent_matches_torch_sgd_step_by_step():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(20, 3)), rng.normal(size=20)
    ours = optim.gradient_descent(lambda w: lib.linear.mse_grad(X, y, w), np.zeros(3), lr=0.05, n_steps=10)
    w = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([w], lr=0.05)
    Xt, yt = torch.tensor(X), torch.tensor(y)
    for t in range(10):
        opt.zero_grad()
        ((Xt @ w - yt) ** 2).mean().backward()
        opt.step()
        np.testing.assert_allclose(ours.path[t + 1], w.detach().numpy(), rtol=1e-12, atol=1e-14)


def test_gradient_descent_records_losses_and_stops_on_divergence():
    loss, grad, _ = quadratic([1.0, 10.0])
    res = optim.gradient_descent(grad, [1.0, 1.0], lr=0.5, n_steps=1000, loss_fn=loss)
    assert res.diverged and res.n_iter < 1000
    assert np.all(np.isfinite(res.path)) and len(res.losses) == res.n_iter + 1
    assert np.linalg.norm(res.w) <= 1e12


def test_gradient_descent_with_schedule_and_tolerance():
    loss, grad, _ = quadratic([1.0, 3.0])
    res = optim.gradient_descent(grad, [1.0, 1.0], lr=optim.ExponentialDecay(0.3, 0.99), n_steps=500, tol=1e-6)
    assert res.converged
    np.testing.assert_allclose(res.lrs[:3], [0.3, 0.297, 0.29403])


def test_optimizer_input_errors():
    _, grad, hess = quadratic([1.0])
    with pytest.raises(ValueError, match="lr must be > 0"):
        optim.gradient_descent(grad, [1.0], lr=0.0)
    with pytest.raises(ValueError, match="w0 must be 1-D"):
        optim.gradient_descent(grad, [[1.0]], lr=0.1)
    with pytest.raises(ValueError, match="grad_fn must return an array of shape \\(2,\\)"):
        optim.gradient_descent(lambda w: np.zeros(3), [1.0, 2.0], lr=0.1)
    with pytest.raises(ValueError, match="n_steps must be >= 0"):
        optim.gradient_descent(grad, [1.0], lr=0.1, n_steps=-1)
    with pytest.raises(np.linalg.LinAlgError, match="Hessian is singular"):
        optim.newton(lambda w: np.ones(2), lambda w: np.zeros((2, 2)), [1.0, 1.0], n_steps=1, tol=0)


# ---------------------------------------------------------------------------------------------
# Mini-batches and SGD
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("scheme", ["shuffle", "segment"])
def test_minibatches_partition_the_data(scheme):
    batches = list(optim.minibatches(23, 5, scheme=scheme, rng=0))
    assert [len(b) for b in batches] == [5, 5, 5, 5, 3]
    np.testing.assert_array_equal(np.sort(np.concatenate(batches)), np.arange(23))
    if scheme == "segment":
        np.testing.assert_array_equal(np.concatenate(batches), np.arange(23))


def test_minibatches_replacement_scheme_and_errors():
    batches = list(optim.minibatches(10, 4, scheme="replacement", rng=1))
    assert len(batches) == 3 and all(len(set(b)) == 4 for b in batches)
    with pytest.raises(ValueError, match="scheme"):
        list(optim.minibatches(10, 2, scheme="random"))
    with pytest.raises(ValueError, match="batch_size must be <= 10"):
        list(optim.minibatches(10, 11))


def test_sgd_with_full_batch_is_gradient_descent():
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(30, 2)), rng.normal(size=30)
    sgd = optim.sgd(
        lambda w, idx: lib.linear.mse_grad(X[idx], y[idx], w),
        30,
        np.zeros(2),
        lr=0.1,
        batch_size=30,
        n_epochs=15,
        scheme="segment",
    )
    gd = optim.gradient_descent(lambda w: lib.linear.mse_grad(X, y, w), np.zeros(2), lr=0.1, n_steps=15)
    np.testing.assert_allclose(sgd.path, gd.path, rtol=1e-12)


def test_minibatch_gradient_is_unbiased_over_all_subsets():
    """E_B[g_B] = grad L exactly, and Cov(g_B) = (n-b)/(b(n-1)) Sigma (section 4.4)."""
    import itertools

    rng = np.random.default_rng(4)
    n, b = 7, 3
    X, y, w = rng.normal(size=(n, 2)), rng.normal(size=n), rng.normal(size=2)
    gs = np.array([lib.linear.mse_grad(X[list(B)], y[list(B)], w) for B in itertools.combinations(range(n), b)])
    per = np.array([lib.linear.mse_grad(X[[i]], y[[i]], w) for i in range(n)])
    np.testing.assert_allclose(gs.mean(0), lib.linear.mse_grad(X, y, w), atol=1e-12)
    np.testing.assert_allclose(np.cov(gs.T, bias=True), (n - b) / (b * (n - 1)) * np.cov(per.T, bias=True), atol=1e-12)


def test_sgd_with_decaying_rate_converges_and_is_reproducible():
    rng = np.random.default_rng(5)
    X = lib.linear.add_bias(rng.normal(size=(200, 1)))
    y = X @ [1.0, 2.0] + rng.normal(scale=0.5, size=200)
    w_star = lib.linear.normal_equation(X, y)

    def run(seed):
        return optim.sgd(
            lambda w, idx: lib.linear.mse_grad(X[idx], y[idx], w),
            200,
            np.zeros(2),
            lr=optim.InverseTimeDecay(0.1, 0.01),
            batch_size=1,
            n_epochs=20,
            rng=seed,
        )

    a, b = run(7), run(7)
    np.testing.assert_array_equal(a.path, b.path)
    assert np.linalg.norm(a.w - w_star) < 0.02


# ---------------------------------------------------------------------------------------------
# Newton
# ---------------------------------------------------------------------------------------------
def test_newton_solves_a_quadratic_in_one_step():
    d = lib.data.diabetes()
    X = lib.linear.add_bias(d.X)
    H = lib.linear.mse_hessian(X)
    res = optim.newton(
        lambda w: lib.linear.mse_grad(X, d.y, w), lambda w: H, np.full(X.shape[1], 50.0), n_steps=1, tol=0
    )
    np.testing.assert_allclose(res.w, lib.linear.normal_equation(X, d.y), rtol=1e-8, atol=1e-6)


def test_newton_converges_quadratically():
    """f(x) = x^4 - 3x^2 + x (notes 003 P6): e_{t+1} / e_t^2 -> f'''(x*) / (2 f''(x*))."""
    grad = lambda x: np.array([4 * x[0] ** 3 - 6 * x[0] + 1])  # noqa: E731
    hess = lambda x: np.array([[12 * x[0] ** 2 - 6]])  # noqa: E731
    res = optim.newton(grad, hess, [2.0], n_steps=20)
    assert res.converged
    x_star = res.w[0]
    assert 4 * x_star**3 - 6 * x_star + 1 == pytest.approx(0.0, abs=1e-12)
    e = np.abs(res.path[:, 0] - x_star)
    assert e[5] / e[4] ** 2 == pytest.approx(24 * x_star / (2 * (12 * x_star**2 - 6)), rel=0.05)


# ---------------------------------------------------------------------------------------------
# Schedules
# ---------------------------------------------------------------------------------------------
def test_schedules_values():
    assert optim.Constant(0.1)(1000) == 0.1
    step = optim.StepDecay(1.0, step_size=10, gamma=0.5)
    assert [step(t) for t in (0, 9, 10, 25)] == [1.0, 1.0, 0.5, 0.25]
    assert optim.ExponentialDecay(1.0, 0.9)(2) == pytest.approx(0.81)
    assert optim.InverseTimeDecay(1.0, 0.5)(4) == pytest.approx(1 / 3)
    cos = optim.CosineDecay(1.0, total_steps=100, lr_min=0.1)
    assert cos(0) == pytest.approx(1.0) and cos(50) == pytest.approx(0.55)
    assert cos(100) == cos(500) == pytest.approx(0.1)
    warm = optim.LinearWarmup(optim.Constant(0.2), warmup_steps=4)
    assert [warm(t) for t in range(5)] == pytest.approx([0.05, 0.1, 0.15, 0.2, 0.2])
    assert "StepDecay(lr=1.0" in repr(step)


def test_schedules_match_torch_lr_schedulers():
    w = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([w], lr=0.5)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=20, eta_min=0.01)
    ours = optim.CosineDecay(0.5, total_steps=20, lr_min=0.01)
    for t in range(20):
        assert ours(t) == pytest.approx(opt.param_groups[0]["lr"], rel=1e-9)
        opt.step()
        sched.step()


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: optim.Constant(-1.0), "lr must be > 0"),
        (lambda: optim.StepDecay(0.1, step_size=0), "step_size must be >= 1"),
        (lambda: optim.ExponentialDecay(0.1, gamma=1.5), "gamma must be <= 1"),
        (lambda: optim.CosineDecay(0.1, total_steps=10, lr_min=0.5), "lr_min must be <= 0.1"),
        (lambda: optim.LinearWarmup("fast", 5), "schedule must be callable"),
    ],
)
def test_schedule_errors(make, match):
    with pytest.raises((TypeError, ValueError), match=match):
        make()


def test_as_schedule():
    assert optim.as_schedule(0.3)(7) == 0.3
    f = lambda t: 1.0 / (t + 1)  # noqa: E731
    assert optim.as_schedule(f) is f
    assert math.isclose(optim.as_schedule(f)(1), 0.5)
