"""lib.optim's second-order and conjugate-direction methods (the chapter on optimisation methods):
damped Newton, Armijo and strong-Wolfe line searches, linear conjugate gradients (against NumPy and SciPy)
and nonlinear conjugate gradients."""

import numpy as np
import pytest
import scipy.optimize as so
import scipy.sparse.linalg as spl
from hypothesis import given, settings
from hypothesis import strategies as st

from lib import optim


def spd(n, cond, seed=0, distinct=None):
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    if distinct is None:
        eig = np.logspace(0, np.log10(cond), n)
    else:
        eig = np.repeat(np.linspace(1, cond, distinct), -(-n // distinct))[:n]
    A = Q @ np.diag(eig) @ Q.T
    return (A + A.T) / 2, rng.normal(size=n)


@pytest.mark.parametrize("n, cond", [(2, 10.0), (10, 100.0), (50, 10.0), (50, 1e3)])
def test_cg_solves_spd_systems_like_numpy_and_scipy(n, cond):
    A, b = spd(n, cond, seed=n)
    res = optim.conjugate_gradient(A, b, tol=1e-12)
    x_np = np.linalg.solve(A, b)
    x_sp, info = spl.cg(A, b, rtol=1e-12, maxiter=10 * n)
    assert res.converged and info == 0
    assert np.allclose(res.x, x_np, rtol=0, atol=1e-9 * np.abs(x_np).max())
    assert np.allclose(res.x, x_sp, rtol=0, atol=1e-9 * np.abs(x_np).max())
    # the recursive residual is the true residual (to rounding)
    assert np.linalg.norm(b - A @ res.x) <= 1e-9 * np.linalg.norm(b)
    assert res.residual_norms.shape == (res.n_iter + 1,) and res.path.shape == (res.n_iter + 1, n)


def test_cg_takes_at_most_n_steps_when_well_conditioned_and_the_directions_are_conjugate():
    A, b = spd(40, 10.0, seed=3)
    res = optim.conjugate_gradient(A, b, tol=1e-10)
    assert res.n_iter <= 40
    P = res.directions
    M = P @ A @ P.T
    d = np.sqrt(np.diag(M))
    C = M / np.outer(d, d)
    # consecutive directions are conjugate to rounding; far-apart ones drift (rounding), but stay nearly so
    assert np.abs(np.diag(C, 1)).max() < 1e-5
    assert np.abs(C - np.eye(len(C))).max() < 1e-3
    # residuals are mutually orthogonal, and orthogonal to every earlier direction
    R = np.array([b - A @ x for x in res.path[:-1]])
    G = R @ R.T / np.outer(np.linalg.norm(R, axis=1), np.linalg.norm(R, axis=1))
    assert np.abs(np.diag(G, 1)).max() < 1e-5 and np.abs(G - np.eye(len(G))).max() < 1e-3


@pytest.mark.parametrize("distinct", [1, 3, 7])
def test_cg_steps_equal_the_number_of_distinct_eigenvalues(distinct):
    A, b = spd(60, 50.0, seed=1, distinct=distinct)
    res = optim.conjugate_gradient(A, b, tol=1e-10)
    assert res.n_iter == distinct


def test_cg_in_two_dimensions_converges_in_two_steps_and_steepest_descent_does_not():
    A = np.array([[3.0, 2.0], [2.0, 6.0]])
    b = np.array([2.0, -8.0])
    res = optim.conjugate_gradient(A, b, tol=1e-12)
    assert res.n_iter == 2 and np.allclose(res.x, [2.0, -2.0], atol=1e-12)


def test_cg_accepts_a_matvec_and_a_start_point():
    A, b = spd(20, 30.0, seed=5)
    x0 = np.ones(20)
    res_f = optim.conjugate_gradient(lambda v: A @ v, b, x0, tol=1e-12)
    res_a = optim.conjugate_gradient(A, b, x0, tol=1e-12)
    assert res_f.n_iter == res_a.n_iter and np.allclose(res_f.x, res_a.x, atol=1e-12)
    assert np.array_equal(res_f.path[0], x0)
    # starting at the solution takes no step
    assert optim.conjugate_gradient(A, b, np.linalg.solve(A, b), tol=1e-8).n_iter == 0


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 8), seed=st.integers(0, 10_000))
def test_cg_property_random_spd(n, seed):
    rng = np.random.default_rng(seed)
    M = rng.normal(size=(n, n))
    A = M @ M.T + n * np.eye(n)
    b = rng.normal(size=n)
    res = optim.conjugate_gradient(A, b, tol=1e-10)
    assert res.converged and res.n_iter <= n + 1
    assert np.allclose(A @ res.x, b, atol=1e-8 * max(1.0, np.abs(b).max()))


def test_cg_rejects_bad_input():
    A, b = spd(4, 10.0)
    with pytest.raises(ValueError, match="symmetric"):
        optim.conjugate_gradient(A + np.triu(np.ones((4, 4)), 1), b)
    with pytest.raises(ValueError, match="positive definite"):
        optim.conjugate_gradient(np.diag([1.0, -1.0, 2.0, 3.0]), np.ones(4))
    with pytest.raises(ValueError, match="shape"):
        optim.conjugate_gradient(A, np.ones(3))
    with pytest.raises(ValueError, match="x0"):
        optim.conjugate_gradient(A, b, np.ones(3))
    with pytest.raises(ValueError, match="empty"):
        optim.conjugate_gradient(np.zeros((0, 0)), np.zeros(0))
    with pytest.raises(ValueError, match="A\\(v\\)"):
        optim.conjugate_gradient(lambda v: v[:2], b)
    with pytest.raises(ValueError, match="tol"):
        optim.conjugate_gradient(A, b, tol=-1.0)
    with pytest.raises(ValueError, match="finite|NaN"):
        optim.conjugate_gradient(A, np.array([1.0, np.nan, 0.0, 0.0]))
    with pytest.raises(TypeError, match="max_iter"):
        optim.conjugate_gradient(A, b, max_iter=2.5)


def quartic(x):
    return x[0] ** 4 - 3 * x[0] ** 2 + x[0]


def quartic_grad(x):
    return np.array([4 * x[0] ** 3 - 6 * x[0] + 1])


def quartic_hess(x):
    return np.array([[12 * x[0] ** 2 - 6]])


@pytest.mark.parametrize("x0", [0.3, 0.5, -0.4])
def test_plain_newton_can_find_a_maximum_and_damped_newton_a_minimum(x0):
    plain = optim.newton(quartic_grad, quartic_hess, [x0], n_steps=50)
    damped = optim.newton(quartic_grad, quartic_hess, [x0], n_steps=50, loss_fn=quartic, line_search=True)
    assert plain.converged and quartic_hess(plain.w)[0, 0] < 0  # a local maximum
    assert damped.converged and quartic_hess(damped.w)[0, 0] > 0  # a local minimum
    assert np.all(np.diff(damped.losses) <= 1e-12)


def test_damped_newton_on_rosenbrock_never_increases_the_loss():
    w0 = np.array([-1.2, 1.0])
    plain = optim.newton(so.rosen_der, so.rosen_hess, w0, n_steps=100, loss_fn=so.rosen)
    damped = optim.newton(so.rosen_der, so.rosen_hess, w0, n_steps=100, loss_fn=so.rosen, line_search=True)
    assert plain.converged and damped.converged
    assert np.allclose(damped.w, [1.0, 1.0], atol=1e-8)
    assert np.any(np.diff(plain.losses) > 0) and np.all(np.diff(damped.losses) <= 1e-12)


def test_levenberg_marquardt_damping_is_the_regularised_step():
    rng = np.random.default_rng(0)
    A, b = spd(5, 20.0, seed=2)
    w0 = rng.normal(size=5)
    lam = 3.0
    res = optim.newton(lambda w: A @ w - b, lambda w: A, w0, n_steps=1, tol=0, damping=lam)
    expected = w0 - np.linalg.solve(A + lam * np.eye(5), A @ w0 - b)
    assert np.allclose(res.w, expected, atol=1e-12)


def test_backtracking_satisfies_armijo():
    rng = np.random.default_rng(1)
    for _ in range(20):
        w = rng.normal(size=2) * 2
        g = so.rosen_der(w)
        eta = optim.backtracking_line_search(so.rosen, w, -g, g)
        assert so.rosen(w - eta * g) <= so.rosen(w) - 1e-4 * eta * g @ g


def test_wolfe_satisfies_both_strong_wolfe_conditions():
    rng = np.random.default_rng(2)
    for _ in range(20):
        w = rng.normal(size=2) * 2
        g = so.rosen_der(w)
        d = -g
        eta = optim.wolfe_line_search(so.rosen, so.rosen_der, w, d, g, c1=1e-4, c2=0.1)
        assert so.rosen(w + eta * d) <= so.rosen(w) + 1e-4 * eta * g @ d
        assert abs(so.rosen_der(w + eta * d) @ d) <= 0.1 * abs(g @ d)


def test_line_searches_reject_an_ascent_direction():
    w = np.array([0.0, 0.0])
    g = so.rosen_der(w)
    with pytest.raises(ValueError, match="descent direction"):
        optim.backtracking_line_search(so.rosen, w, g, g)
    with pytest.raises(ValueError, match="descent direction"):
        optim.wolfe_line_search(so.rosen, so.rosen_der, w, g, g)
    with pytest.raises(ValueError, match="same shape"):
        optim.backtracking_line_search(so.rosen, w, -g[:1], g)


@pytest.mark.parametrize("beta", ["FR", "PR+"])
def test_nonlinear_cg_minimises_rosenbrock(beta):
    res = optim.nonlinear_cg(so.rosen, so.rosen_der, [-1.2, 1.0], beta=beta, n_steps=2000, tol=1e-6)
    assert res.converged and np.allclose(res.w, [1.0, 1.0], atol=1e-5)
    assert np.all(np.diff(res.losses) <= 1e-12)


def test_nonlinear_cg_and_newton_reject_bad_arguments():
    with pytest.raises(ValueError, match="beta"):
        optim.nonlinear_cg(so.rosen, so.rosen_der, [0.0, 0.0], beta="HS")
    with pytest.raises(ValueError, match="loss_fn"):
        optim.newton(so.rosen_der, so.rosen_hess, [0.0, 0.0], line_search=True)
    with pytest.raises(ValueError, match="damping"):
        optim.newton(so.rosen_der, so.rosen_hess, [0.0, 0.0], damping=-1.0)
    with pytest.raises(TypeError, match="line_search"):
        optim.newton(so.rosen_der, so.rosen_hess, [0.0, 0.0], line_search="yes", loss_fn=so.rosen)
