"""lib.linear (chapter 4) against NumPy, scikit-learn, torch.autograd and the worked numbers of lecture L1."""

import numpy as np
import pytest
import torch
from sklearn.datasets import make_regression
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression as SkLinearRegression
from sklearn.linear_model import Ridge as SkRidge

import lib
from lib.linear import (
    LinearRegression,
    Ridge,
    add_bias,
    fit_1d_closed_form,
    hat_matrix,
    min_norm_solution,
    mse_grad,
    mse_hessian,
    mse_loss,
    normal_equation,
    ridge_solution,
)


def datasets():
    """Several regression problems: random, correlated, sklearn-generated, diabetes."""
    rng = np.random.default_rng(0)
    X1 = rng.normal(size=(40, 3))
    y1 = X1 @ [1.0, -2.0, 0.5] + 3 + rng.normal(scale=0.1, size=40)
    base = rng.normal(size=(60, 1))
    X2 = np.hstack([base, base + 0.01 * rng.normal(size=(60, 1)), rng.normal(size=(60, 2))])
    y2 = X2 @ [1.0, 1.0, 0.0, -1.0] + rng.normal(size=60)
    X3, y3 = make_regression(n_samples=80, n_features=6, noise=5.0, random_state=1)
    d = lib.data.diabetes()
    return [("random", X1, y1), ("correlated", X2, y2), ("make_regression", X3, y3), ("diabetes", d.X, d.y)]


DATASETS = datasets()
IDS = [name for name, *_ in DATASETS]


# ---------------------------------------------------------------------------------------------
# The worked numbers of lecture L1 (notes: seed-001 L1.2, L1.3)
# ---------------------------------------------------------------------------------------------
def test_house_single_feature_closed_form_matches_notes():
    house = lib.data.house_prices()
    w0, w1 = fit_1d_closed_form(house.X[:, 0], house.y)
    assert round(w1, 6) == 0.229620
    assert round(w0, 4) == -42.7833


def test_house_full_table_is_singular_and_min_norm_solution_matches_notes():
    house = lib.data.house_prices()
    X = add_bias(house.X)
    assert np.linalg.matrix_rank(X) == 4
    with pytest.raises(np.linalg.LinAlgError, match="singular.*rank 4"):
        normal_equation(X, house.y)
    w = min_norm_solution(X, house.y)
    np.testing.assert_allclose(w, [188.40, 0.3866, -56.14, -92.97, -3.738], rtol=2e-4)
    np.testing.assert_allclose(X @ w, house.y, atol=1e-8)  # fits all four rows exactly
    np.testing.assert_allclose(w, np.linalg.pinv(X) @ house.y, rtol=1e-8)


# ---------------------------------------------------------------------------------------------
# Closed forms against references
# ---------------------------------------------------------------------------------------------
def test_fit_1d_closed_form_matches_polyfit_and_survives_large_offsets():
    rng = np.random.default_rng(1)
    x = rng.normal(size=30)
    y = 2.0 - 0.7 * x + rng.normal(scale=0.2, size=30)
    w0, w1 = fit_1d_closed_form(x, y)
    np.testing.assert_allclose([w1, w0], np.polyfit(x, y, 1), rtol=1e-10)
    # a shift of 1e8 in x must not destroy the slope (the raw-moment formula would)
    _, w1_shifted = fit_1d_closed_form(x + 1e8, y)
    assert abs(w1_shifted - w1) < 1e-6


def test_fit_1d_closed_form_errors():
    with pytest.raises(ValueError, match="var\\(x\\) = 0"):
        fit_1d_closed_form([2.0, 2.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="same length"):
        fit_1d_closed_form([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="at least 2"):
        fit_1d_closed_form([1.0], [1.0])
    with pytest.raises(ValueError, match="x must be 1-D"):
        fit_1d_closed_form([[1.0, 2.0]], [1.0, 2.0])


@pytest.mark.parametrize("name, X, y", DATASETS, ids=IDS)
def test_normal_equation_matches_lstsq(name, X, y):
    A = add_bias(X)
    w = normal_equation(A, y)
    w_ref, *_ = np.linalg.lstsq(A, y, rcond=None)
    np.testing.assert_allclose(w, w_ref, rtol=1e-6, atol=1e-6 * np.abs(w_ref).max())
    np.testing.assert_allclose(A.T @ (A @ w - y), 0.0, atol=1e-6 * np.abs(A.T @ y).max())


@pytest.mark.parametrize("name, X, y", DATASETS, ids=IDS)
@pytest.mark.parametrize("solver", ["normal", "lstsq", "pinv"])
def test_linear_regression_matches_scikit_learn(name, X, y, solver):
    ours = LinearRegression(solver=solver).fit(X, y)
    ref = SkLinearRegression().fit(X, y)
    scale = np.abs(ref.coef_).max()
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-6, atol=1e-6 * scale)
    assert ours.intercept_ == pytest.approx(ref.intercept_, rel=1e-6, abs=1e-6 * scale)
    np.testing.assert_allclose(ours.predict(X), ref.predict(X), rtol=1e-7, atol=1e-6)
    assert ours.score(X, y) == pytest.approx(ref.score(X, y), rel=1e-9)


def test_linear_regression_without_intercept_matches_scikit_learn():
    _, X, y = DATASETS[0]
    ours = LinearRegression(fit_intercept=False).fit(X, y)
    ref = SkLinearRegression(fit_intercept=False).fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-8)
    assert ours.intercept_ == 0.0


def test_linear_regression_rank_deficient_solvers():
    house = lib.data.house_prices()
    with pytest.raises(np.linalg.LinAlgError):
        LinearRegression(solver="normal").fit(house.X, house.y)
    a = LinearRegression(solver="lstsq").fit(house.X, house.y)
    b = LinearRegression(solver="pinv").fit(house.X, house.y)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-6)
    np.testing.assert_allclose(a.predict(house.X), house.y, atol=1e-7)


def test_linear_regression_input_errors():
    with pytest.raises(NotFittedError, match="not fitted"):
        LinearRegression().predict(np.zeros((2, 2)))
    model = LinearRegression().fit(np.random.default_rng(0).normal(size=(10, 3)), np.arange(10.0))
    with pytest.raises(ValueError, match="3 features"):
        model.predict(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="solver must be one of"):
        LinearRegression(solver="qr").fit(np.zeros((3, 1)) + [[1], [2], [3]], np.arange(3.0))
    with pytest.raises(ValueError, match="inconsistent numbers of samples: \\[3, 4\\]"):
        LinearRegression().fit(np.zeros((3, 2)), np.zeros(4))
    with pytest.raises(TypeError, match="fit_intercept"):
        LinearRegression(fit_intercept="yes").fit(np.eye(3), np.arange(3.0))
    with pytest.raises(ValueError, match="Input X contains NaN"):
        LinearRegression().fit([[0.0], [np.nan]], [1.0, 2.0])
    assert repr(LinearRegression()) == "LinearRegression()"
    assert repr(LinearRegression(solver="normal")) == "LinearRegression(solver='normal')"


# ---------------------------------------------------------------------------------------------
# Ridge
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, X, y", DATASETS, ids=IDS)
@pytest.mark.parametrize("alpha", [0.01, 1.0, 100.0])
def test_ridge_matches_scikit_learn(name, X, y, alpha):
    ours = Ridge(alpha=alpha).fit(X, y)
    ref = SkRidge(alpha=alpha, solver="cholesky").fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-7, atol=1e-9 * np.abs(ref.coef_).max())
    assert ours.intercept_ == pytest.approx(ref.intercept_, rel=1e-7, abs=1e-7)
    ours0 = Ridge(alpha=alpha, fit_intercept=False).fit(X, y)
    ref0 = SkRidge(alpha=alpha, fit_intercept=False, solver="cholesky").fit(X, y)
    np.testing.assert_allclose(ours0.coef_, ref0.coef_, rtol=1e-7, atol=1e-9 * np.abs(ref0.coef_).max())


def test_ridge_solution_minimises_its_objective_and_tends_to_min_norm():
    house = lib.data.house_prices()
    Z = (house.X - house.X.mean(0)) / house.X.std(0)
    A = add_bias(Z)
    alpha = 0.5
    w = ridge_solution(A, house.y, alpha)
    grad = 2 * A.T @ (A @ w - house.y) + 2 * alpha * w
    np.testing.assert_allclose(grad, 0.0, atol=1e-9)
    w_small = ridge_solution(A, house.y, 1e-8)
    np.testing.assert_allclose(w_small, min_norm_solution(A, house.y), rtol=1e-5)
    # penalize only the slopes: the intercept is then the mean of y for centred features
    w_free = ridge_solution(A, house.y, 10.0, penalize=[0, 1, 1, 1, 1])
    assert w_free[0] == pytest.approx(house.y.mean())


def test_ridge_errors():
    with pytest.raises(ValueError, match="alpha must be >= 0"):
        Ridge(alpha=-1.0).fit(np.eye(3), np.arange(3.0))
    with pytest.raises(ValueError, match="penalize must have one entry per column"):
        ridge_solution(np.eye(3), np.arange(3.0), 1.0, penalize=[1, 1])
    with pytest.raises(np.linalg.LinAlgError, match="singular"):
        ridge_solution(np.zeros((3, 2)), np.arange(3.0), 1.0, penalize=[1, 0])


# ---------------------------------------------------------------------------------------------
# Loss, gradient, Hessian, projection
# ---------------------------------------------------------------------------------------------
def test_mse_gradient_and_hessian_match_torch_autograd():
    rng = np.random.default_rng(3)
    X, y, w = rng.normal(size=(25, 4)), rng.normal(size=25), rng.normal(size=4)
    Xt, yt = torch.tensor(X), torch.tensor(y)
    wt = torch.tensor(w, requires_grad=True)
    loss = ((Xt @ wt - yt) ** 2).mean()
    loss.backward()
    assert mse_loss(X, y, w) == pytest.approx(loss.item(), rel=1e-12)
    np.testing.assert_allclose(mse_grad(X, y, w), wt.grad.numpy(), rtol=1e-12)
    hess = torch.autograd.functional.hessian(lambda v: ((Xt @ v - yt) ** 2).mean(), torch.tensor(w))
    np.testing.assert_allclose(mse_hessian(X), hess.numpy(), rtol=1e-12)


def test_mse_shape_errors():
    with pytest.raises(ValueError, match="w must have one entry per column of X \\(3\\), got 2"):
        mse_loss(np.zeros((4, 3)), np.zeros(4), np.zeros(2))


def test_hat_matrix_is_an_orthogonal_projection():
    _, X, y = DATASETS[2]
    A = add_bias(X)
    H = hat_matrix(A)
    np.testing.assert_allclose(H, H.T, atol=1e-12)
    np.testing.assert_allclose(H @ H, H, atol=1e-10)
    assert np.trace(H) == pytest.approx(A.shape[1])
    np.testing.assert_allclose(H @ y, A @ normal_equation(A, y), rtol=1e-8, atol=1e-8)
