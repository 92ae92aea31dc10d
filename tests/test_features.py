"""lib.features (section 7.1) against scikit-learn, numpy.polyfit, numpy.interp and the basis-function formulas."""

import numpy as np
import pytest
from scipy.special import expit
from sklearn.datasets import make_circles
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression as SkLinearRegression
from sklearn.linear_model import Ridge as SkRidge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures as SkPolynomialFeatures

import lib
from lib.features import (
    GaussianFeatures,
    PolynomialFeatures,
    PolynomialRegression,
    SigmoidFeatures,
    hard_sigmoid,
    piecewise_linear_basis,
)

RNG = np.random.default_rng(0)
INPUTS = {
    "1 feature": RNG.normal(size=(7, 1)),
    "2 features": RNG.normal(size=(6, 2)),
    "4 features": RNG.uniform(-2, 2, size=(5, 4)),
    "diabetes": lib.data.diabetes().X[:20, :3],
}


# ---------------------------------------------------------------------------------------------
# PolynomialFeatures
# ---------------------------------------------------------------------------------------------
# degree 0 without the bias column has no output features: scikit-learn rejects it too (see the error test)
SETTINGS = [(d, io, ib) for d in range(5) for io in (False, True) for ib in (True, False) if d > 0 or ib]


@pytest.mark.parametrize("name", list(INPUTS))
@pytest.mark.parametrize("degree, interaction_only, include_bias", SETTINGS)
def test_polynomial_features_match_scikit_learn(name, degree, interaction_only, include_bias):
    X = INPUTS[name]
    ours = PolynomialFeatures(degree, interaction_only=interaction_only, include_bias=include_bias).fit(X)
    ref = SkPolynomialFeatures(degree, interaction_only=interaction_only, include_bias=include_bias).fit(X)
    np.testing.assert_array_equal(ours.powers_, ref.powers_)
    assert ours.n_output_features_ == ref.n_output_features_
    np.testing.assert_allclose(ours.transform(X), ref.transform(X), rtol=1e-13, atol=1e-15)
    assert list(ours.get_feature_names_out()) == list(ref.get_feature_names_out())
    assert list(ours.get_feature_names_out(["a", "b", "c", "d"][: X.shape[1]])) == list(
        ref.get_feature_names_out(["a", "b", "c", "d"][: X.shape[1]])
    )


def test_polynomial_features_count_is_binomial():
    from math import comb

    for m in (1, 2, 3, 5):
        for d in (1, 2, 3):
            assert PolynomialFeatures(d).fit(np.zeros((1, m))).n_output_features_ == comb(m + d, d)


def test_polynomial_features_plus_normal_equation_equals_polyfit():
    """Notes L4.1: basis functions + the normal equation of chapter 4 = numpy.polyfit."""
    x = np.linspace(0, 1, 15)
    y = np.sin(2 * np.pi * x) + 0.1 * RNG.normal(size=15)
    for degree in (1, 3, 5):
        Phi = PolynomialFeatures(degree).fit_transform(x[:, None])
        w = lib.linear.normal_equation(Phi, y)
        np.testing.assert_allclose(w, np.polyfit(x, y, degree)[::-1], rtol=1e-6, atol=1e-8)


def test_quadratic_features_make_circles_linearly_separable():
    """Notes L4.1: on make_circles a linear classifier fails on raw features and succeeds on quadratic ones."""
    X, y = make_circles(200, noise=0.05, factor=0.5, random_state=0)
    t = np.where(y == 1, 1.0, -1.0)
    raw = lib.linear.LinearRegression().fit(X, t)
    acc_raw = np.mean(np.sign(raw.predict(X)) == t)
    Phi = PolynomialFeatures(2, include_bias=False).fit_transform(X)
    quad = lib.linear.LinearRegression().fit(Phi, t)
    acc_quad = np.mean(np.sign(quad.predict(Phi)) == t)
    assert acc_raw < 0.7
    assert acc_quad >= 0.99


def test_polynomial_features_errors():
    with pytest.raises(ValueError, match="degree must be >= 0"):
        PolynomialFeatures(-1).fit(np.zeros((2, 1)))
    with pytest.raises(TypeError, match="degree must be a integral"):
        PolynomialFeatures(2.5).fit(np.zeros((2, 1)))
    with pytest.raises(TypeError, match="include_bias must be a bool"):
        PolynomialFeatures(2, include_bias="yes").fit(np.zeros((2, 1)))
    with pytest.raises(ValueError, match="leaves no features"):
        PolynomialFeatures(0, include_bias=False).fit(np.zeros((2, 1)))
    with pytest.raises(NotFittedError, match="not fitted"):
        PolynomialFeatures(2).transform(np.zeros((2, 1)))
    poly = PolynomialFeatures(2).fit(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="X has 2 features, but PolynomialFeatures is expecting 3 features"):
        poly.transform(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="Expected 2D array, got 1D array instead"):
        poly.transform(np.zeros(3))
    with pytest.raises(ValueError, match="input_features should have length equal to number of features \\(3\\)"):
        poly.get_feature_names_out(["a"])
    assert repr(poly) == "PolynomialFeatures()"


# ---------------------------------------------------------------------------------------------
# Gaussian and sigmoid bases
# ---------------------------------------------------------------------------------------------
def test_gaussian_and_sigmoid_features_match_their_formulas():
    X = RNG.uniform(-1, 3, size=(12, 2))
    gauss = GaussianFeatures(centers=5).fit(X)
    sig = SigmoidFeatures(centers=5, width=0.3).fit(X)
    G, S = gauss.transform(X), sig.transform(X)
    assert G.shape == S.shape == (12, 10)
    for j in range(2):
        mu = np.linspace(X[:, j].min(), X[:, j].max(), 5)
        s = mu[1] - mu[0]
        np.testing.assert_allclose(gauss.centers_[j], mu)
        assert gauss.widths_[j] == pytest.approx(s)
        for k in range(5):
            # a Gaussian bump is a normal density rescaled to height 1; the sigmoid is scipy's expit
            from scipy.stats import norm

            bump = norm.pdf(X[:, j], loc=mu[k], scale=s) * s * np.sqrt(2 * np.pi)
            np.testing.assert_allclose(G[:, 5 * j + k], bump, rtol=1e-12)
            np.testing.assert_allclose(S[:, 5 * j + k], expit((X[:, j] - mu[k]) / 0.3), rtol=1e-12)


def test_local_bases_with_explicit_centers_share_them_across_features():
    X = RNG.normal(size=(8, 2))
    grid = np.array([-1.0, 0.0, 0.5, 2.0])
    gauss = GaussianFeatures(centers=grid, width=0.7).fit(X)
    np.testing.assert_array_equal(gauss.centers_, np.vstack([grid, grid]))
    G = gauss.transform(X)
    expected = np.exp(-((X[:, :, None] - grid) ** 2) / (2 * 0.7**2)).reshape(8, 8)
    np.testing.assert_allclose(G, expected, rtol=1e-14)
    # width=None infers the mean spacing of the given centres: (2 - (-1)) / 3 = 1
    assert SigmoidFeatures(centers=grid).fit(X).widths_ == pytest.approx([1.0, 1.0])


def test_local_basis_errors():
    with pytest.raises(ValueError, match="width must be > 0"):
        GaussianFeatures(width=-1.0).fit(np.zeros((3, 1)) + [[0], [1], [2]])
    with pytest.raises(ValueError, match="width must be given when there is only one center"):
        GaussianFeatures(centers=1).fit(np.arange(3.0)[:, None])
    with pytest.raises(ValueError, match="centers must be increasing"):
        SigmoidFeatures(centers=4).fit(np.ones((3, 1)))
    with pytest.raises(ValueError, match="centers must be 1-D"):
        SigmoidFeatures(centers=[[0.0, 1.0]]).fit(np.ones((3, 1)))
    fitted = GaussianFeatures(3).fit(np.arange(6.0).reshape(3, 2))
    with pytest.raises(ValueError, match="GaussianFeatures is expecting 2 features"):
        fitted.transform(np.zeros((2, 3)))


# ---------------------------------------------------------------------------------------------
# Piecewise linear = constant + sum of hard sigmoids
# ---------------------------------------------------------------------------------------------
def test_piecewise_linear_is_constant_plus_hard_sigmoids():
    knots = np.array([-1.0, -0.2, 0.5, 1.5, 2.0])
    values = np.array([0.3, 1.2, -0.4, 0.9, 0.1])
    x = np.linspace(-3, 4, 701)
    f = values[0] + piecewise_linear_basis(x, knots) @ np.diff(values)
    np.testing.assert_allclose(f, np.interp(x, knots, values), atol=1e-14)


def test_hard_sigmoid_and_its_sigmoid_approximation():
    x = np.linspace(-4, 6, 1001)
    h = hard_sigmoid(x, 0.0, 2.0)
    assert h.min() == 0.0 and h.max() == 1.0
    np.testing.assert_allclose(h[(x > 0) & (x < 2)], x[(x > 0) & (x < 2)] / 2)
    # sigma(w (x - mid)) with w = 4 / (b - a) has the same slope 1/2 at the midpoint
    s = expit(2.0 * (x - 1.0))
    slope = np.gradient(s, x)[np.argmin(np.abs(x - 1.0))]
    assert slope == pytest.approx(0.5, rel=1e-3)
    with pytest.raises(ValueError, match="end must be > start"):
        hard_sigmoid(x, 1.0, 1.0)
    with pytest.raises(ValueError, match="knots must be strictly increasing"):
        piecewise_linear_basis(x, [0.0, 0.0, 1.0])


# ---------------------------------------------------------------------------------------------
# PolynomialRegression
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("degree", [0, 1, 3, 6])
@pytest.mark.parametrize("alpha", [0.0, 0.1, 10.0])
def test_polynomial_regression_matches_scikit_learn_pipeline(degree, alpha):
    x = RNG.uniform(0, 1, size=(25, 1))
    y = np.sin(2 * np.pi * x[:, 0]) + 0.2 * RNG.normal(size=25)
    ours = PolynomialRegression(degree, alpha).fit(x, y)
    if degree == 0:
        np.testing.assert_allclose(ours.predict(x), y.mean())
        return
    final = SkLinearRegression() if alpha == 0 else SkRidge(alpha=alpha, solver="cholesky")
    ref = make_pipeline(SkPolynomialFeatures(degree, include_bias=False), final).fit(x, y)
    np.testing.assert_allclose(ours.predict(x), ref.predict(x), rtol=1e-7, atol=1e-7)
    assert ours.score(x, y) == pytest.approx(ref.score(x, y), rel=1e-8)


def test_polynomial_regression_errors():
    with pytest.raises(ValueError, match="alpha must be >= 0"):
        PolynomialRegression(2, alpha=-1.0).fit(np.ones((3, 1)), np.ones(3))
    with pytest.raises(ValueError, match="degree must be >= 0"):
        PolynomialRegression(-2).fit(np.ones((3, 1)), np.ones(3))
    with pytest.raises(NotFittedError, match="not fitted"):
        PolynomialRegression(2).predict(np.ones((3, 1)))
    model = PolynomialRegression(2).fit(np.arange(4.0)[:, None], np.arange(4.0))
    with pytest.raises(ValueError, match="X has 2 features"):
        model.predict(np.ones((3, 2)))
    assert repr(model) == "PolynomialRegression(degree=2)"
