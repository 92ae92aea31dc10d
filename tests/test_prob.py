"""lib.prob (chapter 6) against scipy.stats, scipy.optimize, torch.autograd, scikit-learn and the notes' facts."""

import numpy as np
import pytest
import scipy.stats as st
import torch
from scipy.optimize import minimize, minimize_scalar
from sklearn.linear_model import LinearRegression as SkLinearRegression
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.linear_model import Ridge as SkRidge

import lib
from lib.linear import LogisticRegression, Ridge, add_bias, logistic_loss, ridge_solution, sigmoid, softmax_loss
from lib.prob import (
    bernoulli_logpmf,
    bernoulli_mle,
    beta_bernoulli_map,
    categorical_logpmf,
    categorical_mle,
    cross_entropy,
    entropy,
    gaussian_loglik_regression,
    gaussian_logpdf,
    gaussian_mle_regression,
    kl_divergence,
    linear_gaussian_posterior,
    map_linear_gaussian,
    mvn_logpdf,
)


# ---------------------------------------------------------------------------------------------
# densities and mass functions
# ---------------------------------------------------------------------------------------------
def test_gaussian_logpdf_matches_scipy():
    z = np.linspace(-5, 5, 41)
    for mean, var in [(0.0, 1.0), (1.5, 0.04), (-2.0, 9.0)]:
        np.testing.assert_allclose(gaussian_logpdf(z, mean, var), st.norm.logpdf(z, mean, np.sqrt(var)), rtol=1e-13)
    # broadcasting over means and variances
    np.testing.assert_allclose(
        gaussian_logpdf(z[:, None], [0.0, 1.0], [1.0, 2.0]),
        st.norm.logpdf(z[:, None], [0.0, 1.0], np.sqrt([1.0, 2.0])),
        rtol=1e-13,
    )
    with pytest.raises(ValueError, match="var must be > 0 \\(a variance, not a standard deviation\\)"):
        gaussian_logpdf(z, 0.0, 0.0)


def test_gaussian_density_integrates_to_one():
    """notes L3.2: the density integrates to 1 (quadrature)."""
    from scipy.integrate import quad

    total, _ = quad(lambda t: np.exp(gaussian_logpdf(np.array(t), 0.7, 2.5)), -np.inf, np.inf)
    assert total == pytest.approx(1.0, abs=1e-10)


@pytest.mark.parametrize("D", [1, 2, 5])
def test_mvn_logpdf_matches_scipy(D):
    rng = np.random.default_rng(D)
    A = rng.normal(size=(D, D))
    cov = A @ A.T + 0.5 * np.eye(D)
    mean = rng.normal(size=D)
    Z = rng.normal(size=(30, D))
    np.testing.assert_allclose(mvn_logpdf(Z, mean, cov), st.multivariate_normal(mean, cov).logpdf(Z), rtol=1e-12)
    assert mvn_logpdf(Z[0], mean, cov) == pytest.approx(st.multivariate_normal(mean, cov).logpdf(Z[0]), rel=1e-12)


def test_correlated_gaussian_rotates_to_an_axis_aligned_one():
    """notes L3.2: Sigma = U Lambda U^T; in z' = U^T z the density is the axis-aligned N(U^T mu, Lambda)."""
    s1, s2, rho = 2.0, 0.5, 0.8
    cov = np.array([[s1**2, rho * s1 * s2], [rho * s1 * s2, s2**2]])  # off-diagonal rho*s1*s2, not rho
    lam, U = np.linalg.eigh(cov)
    np.testing.assert_allclose(U.T @ cov @ U, np.diag(lam), atol=1e-14)
    mean = np.array([1.0, -1.0])
    Z = np.random.default_rng(0).normal(size=(20, 2))
    np.testing.assert_allclose(mvn_logpdf(Z, mean, cov), mvn_logpdf(Z @ U, U.T @ mean, np.diag(lam)), rtol=1e-12)
    axis_aligned = gaussian_logpdf(Z @ U, U.T @ mean, lam).sum(axis=1)  # a product of 1-D Gaussians
    np.testing.assert_allclose(mvn_logpdf(Z, mean, cov), axis_aligned, rtol=1e-12)


def test_mvn_logpdf_errors():
    with pytest.raises(ValueError, match="positive definite"):
        mvn_logpdf(np.zeros(2), np.zeros(2), np.array([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(ValueError, match="symmetric"):
        mvn_logpdf(np.zeros(2), np.zeros(2), np.array([[1.0, 0.5], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="cov must have shape \\(2, 2\\)"):
        mvn_logpdf(np.zeros(2), np.zeros(2), np.eye(3))
    with pytest.raises(ValueError, match="Z must have 2 columns"):
        mvn_logpdf(np.zeros((4, 3)), np.zeros(2), np.eye(2))


def test_bernoulli_logpmf_matches_scipy_including_the_edges():
    z = np.array([0, 1, 0, 1, 1, 0])
    p = np.array([0.2, 0.2, 0.9, 0.9, 1.0, 0.0])
    np.testing.assert_allclose(bernoulli_logpmf(z, p), st.bernoulli.logpmf(z, p), rtol=1e-14)
    assert bernoulli_logpmf(1, 0.0) == -np.inf
    with pytest.raises(ValueError, match="z must hold 0/1 outcomes"):
        bernoulli_logpmf([0, 2], 0.5)
    with pytest.raises(ValueError, match="p must be a probability in \\[0, 1\\]"):
        bernoulli_logpmf([0, 1], 1.5)


def test_bernoulli_is_the_binomial_with_one_trial():
    """The fix of notes L3.3: Bernoulli = Binomial(n = 1, pi), not a degenerate Gaussian."""
    for p in (0.1, 0.5, 0.73):
        for z in (0, 1):
            assert bernoulli_logpmf(z, p) == pytest.approx(st.binom.logpmf(z, 1, p), rel=1e-14)


def test_categorical_logpmf_matches_scipy_multinomial_with_one_trial():
    rng = np.random.default_rng(0)
    P = rng.dirichlet(np.ones(4), size=10)
    z = rng.integers(0, 4, size=10)
    Z = lib.linear.one_hot(z, 4)
    ref = np.array([st.multinomial(1, p).logpmf(row) for p, row in zip(P, Z)])
    np.testing.assert_allclose(categorical_logpmf(z, P), ref, rtol=1e-12)
    np.testing.assert_allclose(categorical_logpmf(Z, P), ref, rtol=1e-12)
    np.testing.assert_allclose(categorical_logpmf(z, P[0]), np.log(P[0][z]), rtol=1e-14)  # one shared pi
    with pytest.raises(ValueError, match="P must sum to 1"):
        categorical_logpmf(z, P * 2)
    with pytest.raises(ValueError, match="z must hold labels in 0..3"):
        categorical_logpmf(z + 4, P)
    with pytest.raises(ValueError, match="one row per sample"):
        categorical_logpmf(z[:5], P)


def test_negative_log_likelihoods_are_the_cross_entropy_losses():
    """notes L3.3: -log p(y|x) is the binary / softmax cross-entropy."""
    rng = np.random.default_rng(1)
    X = add_bias(rng.normal(size=(40, 3)))
    y = rng.integers(0, 2, size=40)
    w = rng.normal(size=4)
    assert -np.mean(bernoulli_logpmf(y, sigmoid(X @ w))) == pytest.approx(logistic_loss(X, y, w), rel=1e-12)
    W = rng.normal(size=(4, 5))
    yk = rng.integers(0, 5, size=40)
    P = lib.linear.softmax(X @ W, axis=1)
    assert -np.mean(categorical_logpmf(yk, P)) == pytest.approx(softmax_loss(X, yk, W), rel=1e-12)


# ---------------------------------------------------------------------------------------------
# entropy, cross-entropy, KL
# ---------------------------------------------------------------------------------------------
def test_entropy_cross_entropy_and_kl_match_scipy_and_decompose():
    rng = np.random.default_rng(2)
    for _ in range(5):
        p, q = rng.dirichlet(np.ones(6)), rng.dirichlet(np.ones(6))
        assert entropy(p) == pytest.approx(st.entropy(p), rel=1e-13)
        assert kl_divergence(p, q) == pytest.approx(st.entropy(p, q), rel=1e-12)
        assert cross_entropy(p, q) == pytest.approx(entropy(p) + kl_divergence(p, q), rel=1e-12)  # notes D15
        assert kl_divergence(p, q) > 0 and kl_divergence(p, p) == 0.0
        assert kl_divergence(p, q) != pytest.approx(kl_divergence(q, p), rel=1e-3)  # not symmetric
    P = rng.dirichlet(np.ones(3), size=4)
    np.testing.assert_allclose(entropy(P), st.entropy(P, axis=1), rtol=1e-13)


def test_minimum_of_the_cross_entropy_is_the_entropy_not_zero():
    """The fix of notes D15: min_q H(p, q) = H(p), reached at q = p; it is 0 only for a one-hot p."""
    p = np.array([0.5, 0.3, 0.2])
    res = minimize(
        lambda a: cross_entropy(p, lib.linear.softmax(a)), np.zeros(3), method="BFGS", options={"gtol": 1e-10}
    )
    np.testing.assert_allclose(lib.linear.softmax(res.x), p, atol=1e-6)
    assert res.fun == pytest.approx(entropy(p), abs=1e-10)
    assert entropy(p) == pytest.approx(1.0296530140645737, rel=1e-14)  # -(.5 ln .5 + .3 ln .3 + .2 ln .2)
    assert cross_entropy(np.array([0.0, 1.0, 0.0]), np.array([0.0, 1.0, 0.0])) == 0.0
    assert not np.signbit(entropy(np.array([1.0, 0.0, 0.0])))  # +0.0, so that the book never prints "-0.0"
    assert cross_entropy(np.array([0.5, 0.5]), np.array([1.0, 0.0])) == np.inf


def test_distribution_errors():
    with pytest.raises(ValueError, match="p must sum to 1"):
        entropy([0.5, 0.6])
    with pytest.raises(ValueError, match="q must be non-negative"):
        kl_divergence([0.5, 0.5], [1.5, -0.5])
    with pytest.raises(ValueError, match="same number of outcomes"):
        cross_entropy([0.5, 0.5], [0.2, 0.3, 0.5])


# ---------------------------------------------------------------------------------------------
# maximum likelihood
# ---------------------------------------------------------------------------------------------
def regression_datasets():
    rng = np.random.default_rng(3)
    X1 = rng.normal(size=(50, 3))
    y1 = X1 @ [1.0, -2.0, 0.5] + 1.0 + rng.normal(scale=0.3, size=50)
    d = lib.data.diabetes()
    return [("random", X1, y1), ("diabetes", d.X, d.y)]


@pytest.mark.parametrize("name, X, y", regression_datasets(), ids=["random", "diabetes"])
def test_gaussian_mle_is_least_squares_and_the_mean_squared_residual(name, X, y):
    """notes L3.2: w_MLE = w_OLS, sigma2_MLE = MSE, max log-likelihood = -n/2 log(2 pi sigma2) - n/2."""
    A = add_bias(X)
    n = len(y)
    w, var = gaussian_mle_regression(A, y)
    sk = SkLinearRegression().fit(X, y)
    np.testing.assert_allclose(w, np.concatenate([[sk.intercept_], sk.coef_]), rtol=1e-8, atol=1e-8)
    assert var == pytest.approx(lib.metrics.mean_squared_error(y, sk.predict(X)), rel=1e-10)
    loglik = gaussian_loglik_regression(A, y, w, var)
    assert loglik == pytest.approx(-n / 2 * np.log(2 * np.pi * var) - n / 2, rel=1e-12)
    assert loglik == pytest.approx(st.norm.logpdf(y, A @ w, np.sqrt(var)).sum(), rel=1e-12)

    # maximise the log-likelihood numerically over (w, log sigma^2), starting elsewhere
    scale = y.std()

    def nll(theta):
        return -gaussian_loglik_regression(A, y, theta[:-1] * scale, np.exp(theta[-1])) / n

    res = minimize(nll, np.zeros(A.shape[1] + 1), method="BFGS", options={"gtol": 1e-10, "maxiter": 10_000})
    np.testing.assert_allclose(res.x[:-1] * scale, w, rtol=1e-4, atol=1e-4 * np.abs(w).max())
    assert np.exp(res.x[-1]) == pytest.approx(var, rel=1e-5)
    assert -res.fun * n <= loglik + 1e-8


def test_bernoulli_and_categorical_mle_are_frequencies():
    z = np.array([1, 0, 1, 1, 0, 1, 1, 0])
    res = minimize_scalar(
        lambda p: -bernoulli_logpmf(z, p).sum(), bounds=(1e-9, 1 - 1e-9), method="bounded", options={"xatol": 1e-12}
    )
    assert bernoulli_mle(z) == 0.625 == pytest.approx(res.x, abs=1e-8)
    labels = np.array([0, 2, 2, 1, 2, 0, 2])
    pi = categorical_mle(labels, 4)
    np.testing.assert_allclose(pi, [2 / 7, 1 / 7, 4 / 7, 0.0])
    res = minimize(lambda a: -categorical_logpmf(labels, lib.linear.softmax(a)).sum(), np.zeros(3), method="BFGS")
    np.testing.assert_allclose(lib.linear.softmax(res.x), pi[:3], atol=1e-5)
    with pytest.raises(ValueError, match="z must hold 0/1 outcomes"):
        bernoulli_mle([0, 1, 2])


# ---------------------------------------------------------------------------------------------
# maximum a posteriori
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("noise_var, prior_var", [(1.0, 1.0), (0.25, 4.0), (2500.0, 100.0)])
def test_map_with_gaussian_prior_is_ridge(noise_var, prior_var):
    """notes 000 §2.1.4: MAP weights = ridge with alpha = sigma^2 / tau^2 (flat prior on the intercept)."""
    for _, X, y in regression_datasets():
        A = add_bias(X)
        penalize = np.r_[0.0, np.ones(X.shape[1])]
        w_map = map_linear_gaussian(A, y, noise_var=noise_var, prior_var=prior_var, penalize=penalize)
        alpha = noise_var / prior_var
        ours = Ridge(alpha=alpha).fit(X, y)
        sk = SkRidge(alpha=alpha).fit(X, y)
        np.testing.assert_allclose(w_map, np.concatenate([[ours.intercept_], ours.coef_]), rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(w_map[1:], sk.coef_, rtol=1e-7, atol=1e-7)

        # and it maximises log p(y|X,w) + log p(w): the autograd gradient of the negative log posterior vanishes
        # there (the objective is a convex quadratic, so a stationary point is the global maximum)
        At, yt = torch.tensor(A), torch.tensor(y)
        wt = torch.tensor(w_map, requires_grad=True)
        neg_log_post = ((yt - At @ wt) ** 2).sum() / (2 * noise_var) + (wt[1:] ** 2).sum() / (2 * prior_var)
        (g,) = torch.autograd.grad(neg_log_post, wt)
        scale = np.abs(A.T @ y).max() / noise_var
        assert np.abs(g.numpy()).max() < 1e-10 * scale


def test_posterior_mean_is_the_map_and_covariance_is_the_inverse_hessian():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(25, 3))
    y = X @ [0.5, -1.0, 2.0] + rng.normal(scale=0.5, size=25)
    noise_var, prior_var = 0.25, 2.0
    m, S = linear_gaussian_posterior(X, y, noise_var=noise_var, prior_var=prior_var)
    np.testing.assert_allclose(m, map_linear_gaussian(X, y, noise_var=noise_var, prior_var=prior_var), rtol=1e-10)
    np.testing.assert_allclose(m, ridge_solution(X, y, noise_var / prior_var), rtol=1e-10)

    Xt, yt = torch.tensor(X), torch.tensor(y)

    def neg_log_post(w):
        return ((yt - Xt @ w) ** 2).sum() / (2 * noise_var) + (w**2).sum() / (2 * prior_var)

    H = torch.autograd.functional.hessian(neg_log_post, torch.tensor(m)).numpy()
    np.testing.assert_allclose(S, np.linalg.inv(H), rtol=1e-10)
    # the unnormalised log posterior and the Gaussian N(m, S) differ by a constant
    W = rng.normal(size=(6, 3))
    log_post = np.array([-neg_log_post(torch.tensor(w)).item() for w in W])
    diff = log_post - mvn_logpdf(W, m, S)
    np.testing.assert_allclose(diff, diff[0], rtol=1e-10)


@pytest.mark.parametrize("C", [0.1, 1.0, 10.0])
def test_l2_logistic_regression_is_map_with_prior_variance_C(C):
    """Gaussian prior N(0, tau^2 I) on the weights => scikit-learn's L2 logistic regression with C = tau^2."""
    bc = lib.data.breast_cancer(standardize=True)
    X, y = bc.X[:, :5], bc.y
    A = add_bias(X)

    def neg_log_post(theta):
        return len(y) * logistic_loss(A, y, theta) - np.sum(gaussian_logpdf(theta[1:], 0.0, C))

    res = minimize(neg_log_post, np.zeros(A.shape[1]), method="BFGS", options={"gtol": 1e-9})
    ours = LogisticRegression(C=C).fit(X, y)
    sk = SkLogisticRegression(C=C, solver="newton-cholesky", tol=1e-10).fit(X, y)
    np.testing.assert_allclose(res.x[1:], ours.coef_[0], atol=1e-5)
    np.testing.assert_allclose(ours.coef_, sk.coef_, atol=1e-7)


def test_beta_bernoulli_map_and_its_reparametrisation():
    """MAP of a coin with a Beta(a, b) prior; in the logit parametrisation the mode moves to (k+a)/(n+a+b)."""
    k, n, a, b = 7, 10, 3.0, 3.0
    grid = np.linspace(1e-6, 1 - 1e-6, 2_000_001)
    posterior = st.beta(a + k, b + n - k)
    assert beta_bernoulli_map(k, n, a, b) == pytest.approx(grid[np.argmax(posterior.logpdf(grid))], abs=1e-6)
    assert beta_bernoulli_map(k, n, a, b) == pytest.approx(0.6428571428571429, rel=1e-14)  # 9 / 14
    assert beta_bernoulli_map(k, n, 1, 1) == k / n  # flat prior: MLE
    # density of eta = logit(pi): p(eta) = p(pi) * pi (1 - pi)
    eta_grid = np.linspace(-6, 6, 1_200_001)
    pis = sigmoid(eta_grid)
    mode_eta = eta_grid[np.argmax(posterior.logpdf(pis) + np.log(pis * (1 - pis)))]
    assert sigmoid(mode_eta) == pytest.approx((k + a) / (n + a + b), abs=1e-5)  # 10 / 16 != 9 / 14
    with pytest.raises(ValueError, match="k must be <= 10"):
        beta_bernoulli_map(11, 10, 2, 2)
    with pytest.raises(ValueError, match="a must be >= 1"):
        beta_bernoulli_map(1, 2, 0.5, 2)
    with pytest.raises(ValueError, match="not unique"):
        beta_bernoulli_map(0, 0, 1, 1)


def test_map_input_errors():
    X, y = np.eye(3), np.ones(3)
    with pytest.raises(ValueError, match="noise_var must be > 0"):
        map_linear_gaussian(X, y, noise_var=0.0, prior_var=1.0)
    with pytest.raises(TypeError, match="prior_var must be a real"):
        linear_gaussian_posterior(X, y, noise_var=1.0, prior_var="big")
    with pytest.raises(ValueError, match="w must have one entry per column of X \\(3\\), got 2"):
        gaussian_loglik_regression(X, y, np.ones(2), 1.0)
