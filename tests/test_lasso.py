"""lib.linear.lasso (section 7.4) against scikit-learn's Lasso and lasso_path, the KKT conditions and closed forms."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_regression
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import Lasso as SkLasso
from sklearn.linear_model import lasso_path as sk_lasso_path

import lib
from lib.base import ConvergenceWarning
from lib.linear import Lasso, lasso_coordinate_descent, lasso_duality_gap, lasso_objective, lasso_path, soft_threshold


def datasets():
    rng = np.random.default_rng(0)
    X1 = rng.normal(size=(50, 8))
    w1 = np.array([3.0, 0, 0, -2.0, 0, 0, 1.0, 0])
    y1 = X1 @ w1 + 0.5 + rng.normal(scale=0.5, size=50)
    base = rng.normal(size=(60, 1))
    X2 = np.hstack([base, base + 0.05 * rng.normal(size=(60, 1)), rng.normal(size=(60, 3))])
    y2 = X2 @ [1.0, 1.0, 0.0, -1.0, 0.0] + rng.normal(size=60)
    X3, y3 = make_regression(n_samples=40, n_features=60, n_informative=5, noise=1.0, random_state=3)  # p > n
    d = lib.data.diabetes(standardize=True)
    return {"sparse": (X1, y1), "correlated": (X2, y2), "p>n": (X3, y3), "diabetes": (d.X, d.y)}


SETS = datasets()


def alpha_grid(X, y):
    alpha_max = np.abs((X - X.mean(0)).T @ (y - y.mean())).max() / X.shape[0]
    return [alpha_max * f for f in (0.5, 0.1, 0.01)]


# ---------------------------------------------------------------------------------------------
# Against scikit-learn
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(SETS))
@pytest.mark.parametrize("level", [0, 1, 2])
def test_lasso_matches_scikit_learn(name, level):
    X, y = SETS[name]
    alpha = alpha_grid(X, y)[level]
    ours = Lasso(alpha=alpha, tol=1e-12, max_iter=100_000).fit(X, y)
    ref = SkLasso(alpha=alpha, tol=1e-12, max_iter=100_000).fit(X, y)
    scale = max(1.0, np.abs(ref.coef_).max())
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-6 * scale)
    assert ours.intercept_ == pytest.approx(ref.intercept_, abs=1e-6 * scale)
    np.testing.assert_array_equal(ours.coef_ == 0, np.abs(ref.coef_) < 1e-12)  # the same exact zeros
    p_ours = lasso_objective(X, y, ours.coef_, alpha, ours.intercept_)
    p_ref = lasso_objective(X, y, ref.coef_, alpha, ref.intercept_)
    assert p_ours <= p_ref + 1e-9 * p_ref  # our objective is at least as low (both are converged)
    assert ours.converged_ and ours.score(X, y) == pytest.approx(ref.score(X, y), abs=1e-8)


@pytest.mark.parametrize("name", ["sparse", "diabetes", "p>n"])
def test_lasso_path_matches_scikit_learn(name):
    X, y = SETS[name]
    Xc, yc = X - X.mean(0), y - y.mean()
    alphas, coefs, gaps = lasso_path(Xc, yc, n_alphas=30, tol=1e-10, max_iter=50_000)
    sk_alphas, sk_coefs, _ = sk_lasso_path(Xc, yc, alphas=alphas, tol=1e-10, max_iter=50_000)
    np.testing.assert_allclose(alphas, sk_alphas)
    np.testing.assert_allclose(coefs, sk_coefs, atol=1e-6 * max(1.0, np.abs(sk_coefs).max()))
    # alpha_max = ||X^T y||_inf / n: the path starts at w = 0 (up to one rounding error in |rho_j| - alpha_max)
    assert np.abs(coefs[:, 0]).max() < 1e-12 * np.abs(coefs).max()
    assert np.all(gaps <= 1e-10 * (yc @ yc) / len(yc) + 1e-15)
    # the default grid is scikit-learn's geometric grid from alpha_max down to eps * alpha_max
    expected = np.geomspace(np.abs(Xc.T @ yc).max() / len(yc), np.abs(Xc.T @ yc).max() / len(yc) * 1e-3, 30)
    np.testing.assert_allclose(alphas, expected)


# ---------------------------------------------------------------------------------------------
# Optimality, closed forms, facts of lecture L4.4
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(SETS))
def test_lasso_solution_satisfies_the_subgradient_kkt_conditions(name):
    X, y = SETS[name]
    Xc, yc = X - X.mean(0), y - y.mean()
    alpha = alpha_grid(X, y)[1]
    w, gap, _ = lasso_coordinate_descent(Xc, yc, alpha, tol=1e-13, max_iter=200_000)
    corr = Xc.T @ (yc - Xc @ w) / len(yc)  # = alpha * sign(w_j) where w_j != 0, |.| <= alpha where w_j = 0
    nz = w != 0
    np.testing.assert_allclose(corr[nz], alpha * np.sign(w[nz]), rtol=1e-5)
    assert np.all(np.abs(corr[~nz]) <= alpha * (1 + 1e-6))
    assert 0 <= gap == pytest.approx(lasso_duality_gap(Xc, yc, w, alpha))


def test_orthonormal_design_gives_soft_thresholded_ols_and_shrunken_ridge():
    """Notes L4.4: with X^T X = n I, lasso = soft-threshold of OLS and ridge = OLS / (1 + alpha/n), exactly."""
    rng = np.random.default_rng(4)
    n = 40
    Q, _ = np.linalg.qr(rng.normal(size=(n, 5)))
    X = Q * np.sqrt(n)  # X^T X = n I
    y = X @ [2.0, -0.3, 0.0, 1.0, 0.05] + 0.1 * rng.normal(size=n)
    ols = X.T @ y / n
    for alpha in (0.01, 0.2, 0.8):
        w, _, n_iter = lasso_coordinate_descent(X, y, alpha, tol=1e-14)
        np.testing.assert_allclose(w, soft_threshold(ols, alpha), atol=1e-12)
        assert n_iter == 1  # orthogonal columns: one sweep is exact
        ridge = lib.linear.Ridge(alpha=alpha * n, fit_intercept=False).fit(X, y).coef_
        np.testing.assert_allclose(ridge, ols / (1 + alpha), rtol=1e-12)


def test_soft_threshold_solves_the_one_dimensional_problem():
    z = np.linspace(-3, 3, 61)
    for t in (0.0, 0.5, 2.0):
        grid = np.linspace(-4, 4, 80_001)
        brute = grid[np.argmin(0.5 * (grid[None, :] - z[:, None]) ** 2 + t * np.abs(grid[None, :]), axis=1)]
        np.testing.assert_allclose(soft_threshold(z, t), brute, atol=1e-4)
    np.testing.assert_array_equal(soft_threshold([-0.4, 0.4], 0.5), [0.0, 0.0])


def test_lasso_sparsity_grows_with_alpha_and_weights_shrink():
    X, y = SETS["diabetes"]
    Xc, yc = X - X.mean(0), y - y.mean()
    alphas, coefs, _ = lasso_path(Xc, yc, n_alphas=40, tol=1e-10)
    nonzero = (np.abs(coefs) > 1e-12).sum(axis=0)
    assert nonzero[0] == 0 and nonzero[-1] == X.shape[1]
    assert nonzero[1] >= 1  # just below alpha_max the first feature enters
    assert np.all(np.diff(np.abs(coefs).sum(axis=0)) >= -1e-9)  # ||w||_1 grows as alpha decreases
    # ridge shrinks but never zeroes: all ten ridge coefficients are nonzero even at a large alpha
    assert np.all(lib.linear.Ridge(alpha=1e4).fit(X, y).coef_ != 0)


# ---------------------------------------------------------------------------------------------
# Errors and warnings
# ---------------------------------------------------------------------------------------------
def test_lasso_errors_and_convergence_warning():
    X, y = SETS["sparse"]
    with pytest.raises(ValueError, match="alpha must be > 0"):
        Lasso(alpha=0.0).fit(X, y)
    with pytest.raises(TypeError, match="fit_intercept must be a bool"):
        Lasso(fit_intercept=1).fit(X, y)
    with pytest.raises(ValueError, match="coef must have one entry per column of X \\(8\\), got 3"):
        lasso_objective(X, y, np.zeros(3), 1.0)
    with pytest.raises(ValueError, match="t must be >= 0"):
        soft_threshold([1.0], -1.0)
    with pytest.raises(ValueError, match="alphas must be > 0"):
        lasso_path(X, y, alphas=[1.0, 0.0])
    with pytest.raises(ValueError, match="X\\^T y is zero"):
        lasso_path(np.zeros((4, 2)), np.ones(4))
    with pytest.raises(NotFittedError, match="not fitted"):
        Lasso().predict(X)
    with pytest.warns(ConvergenceWarning, match="did not converge in max_iter=1"):
        model = Lasso(alpha=0.01, max_iter=1, tol=1e-12).fit(*SETS["correlated"])
    assert not model.converged_
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Lasso(alpha=1.0).fit(X, y)  # converges quietly with the defaults
    with pytest.raises(ValueError, match="X has 3 features"):
        Lasso().fit(X, y).predict(np.zeros((2, 3)))
    assert repr(Lasso(0.5)) == "Lasso(alpha=0.5)"
