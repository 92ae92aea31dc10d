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


# =============================================================================================
# Chapter 2: Bayes' rule, smoothing, conjugate priors, information measures
# =============================================================================================
from fractions import Fraction  # noqa: E402

from scipy.spatial.distance import jensenshannon  # noqa: E402
from sklearn.naive_bayes import MultinomialNB  # noqa: E402

from lib.prob import (  # noqa: E402
    additive_smoothing,
    bayes_rule,
    beta_bernoulli_posterior,
    beta_binomial_pmf,
    diagnostic_posterior,
    dirichlet_categorical_posterior,
    dirichlet_map,
    gaussian_entropy,
    gaussian_kl,
    gaussian_w2,
    grid_posterior,
    js_divergence,
    normal_known_var_posterior,
    normal_known_var_predictive,
    wasserstein_1d,
)


# ---------------------------------------------------------------------------------------------
# 2.1 Bayes' rule
# ---------------------------------------------------------------------------------------------
def test_medical_test_worked_numbers():
    """notes D08: prevalence 1%, sensitivity 99%, false-positive rate 1% -> P(+) = 0.0198, P(D|+) = 0.5 exactly."""
    post, evidence = bayes_rule([0.01, 0.99], [0.99, 0.01])
    assert evidence == pytest.approx(0.0198, rel=1e-14)
    assert post[0] == pytest.approx(0.5, rel=1e-14)
    assert diagnostic_posterior(0.01, 0.99, 0.99) == pytest.approx(0.5, rel=1e-14)
    # exactly 1/2 in rational arithmetic: the two terms of the evidence are equal
    pi, s, fpr = Fraction(1, 100), Fraction(99, 100), Fraction(1, 100)
    assert s * pi / (s * pi + fpr * (1 - pi)) == Fraction(1, 2)
    # prevalence 0.1% with the same test: 0.090164 (notes D08)
    assert diagnostic_posterior(0.001, 0.99, 0.99) == pytest.approx(0.090164, abs=5e-7)
    # a second, independent positive test: the posterior 0.5 becomes the prior
    assert diagnostic_posterior(0.5, 0.99, 0.99) == pytest.approx(0.99, rel=1e-14)


def test_diagnostic_posterior_against_bayes_rule_and_simulation():
    rng = np.random.default_rng(0)
    for _ in range(20):
        pi, sens, spec = rng.uniform(0.01, 0.99, size=3)
        for positive in (True, False):
            lik = [sens, 1 - spec] if positive else [1 - sens, spec]
            expected = bayes_rule([pi, 1 - pi], lik)[0][0]
            assert diagnostic_posterior(pi, sens, spec, positive=positive) == pytest.approx(expected, rel=1e-12)
    # vectorised over prevalences
    grid = np.linspace(0.0, 1.0, 11)
    np.testing.assert_allclose(diagnostic_posterior(grid, 0.9, 0.8), [diagnostic_posterior(g, 0.9, 0.8) for g in grid])
    # simulation of a million people agrees within 4 standard errors
    n, pi, sens, spec = 1_000_000, 0.05, 0.9, 0.95
    ill = rng.random(n) < pi
    positive = np.where(ill, rng.random(n) < sens, rng.random(n) < 1 - spec)
    freq = ill[positive].mean()
    se = np.sqrt(freq * (1 - freq) / positive.sum())
    assert abs(freq - diagnostic_posterior(pi, sens, spec)) < 4 * se


def test_bayes_rule_input_errors():
    with pytest.raises(ValueError, match="prior must sum to 1"):
        bayes_rule([0.5, 0.6], [0.1, 0.2])
    with pytest.raises(ValueError, match="prior must be non-negative"):
        bayes_rule([1.5, -0.5], [0.1, 0.2])
    with pytest.raises(ValueError, match="likelihood must be non-negative"):
        bayes_rule([0.5, 0.5], [0.1, -0.2])
    with pytest.raises(ValueError, match="one value per hypothesis"):
        bayes_rule([0.5, 0.5], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="evidence p\\(e\\) is 0"):
        bayes_rule([1.0, 0.0], [0.0, 1.0])
    with pytest.raises(ValueError, match="sensitivity must be a probability"):
        diagnostic_posterior(0.1, 1.2, 0.9)
    with pytest.raises(ValueError, match="probability 0"):
        diagnostic_posterior(0.0, 0.9, 1.0)
    with pytest.raises(TypeError, match="positive must be a bool"):
        diagnostic_posterior(0.1, 0.9, 0.9, positive="yes")


# ---------------------------------------------------------------------------------------------
# 2.2 smoothing and MAP
# ---------------------------------------------------------------------------------------------
def test_additive_smoothing_matches_multinomial_naive_bayes():
    """scikit-learn's MultinomialNB: feature_log_prob_ = log((N_yi + alpha) / (N_y + alpha * n_features))."""
    rng = np.random.default_rng(1)
    X = rng.poisson(0.7, size=(60, 6))
    X[:, 5] = 0  # a word that never occurs
    y = rng.integers(0, 3, size=60)
    for alpha in (0.5, 1.0, 2.0):
        nb = MultinomialNB(alpha=alpha).fit(X, y)
        counts = np.array([X[y == c].sum(axis=0) for c in nb.classes_])
        np.testing.assert_allclose(np.log(additive_smoothing(counts, alpha)), nb.feature_log_prob_, rtol=1e-12)
    counts = np.array([3, 0, 1, 6])
    np.testing.assert_allclose(additive_smoothing(counts, 0.0), counts / counts.sum())  # alpha = 0: the MLE
    np.testing.assert_allclose(additive_smoothing(counts, 1.0), (counts + 1) / 14)  # Laplace
    np.testing.assert_allclose(additive_smoothing(counts, 1e9), 0.25, rtol=1e-8)  # huge alpha: uniform


def test_dirichlet_map_is_add_alpha_minus_one_smoothing_and_the_posterior_mode():
    counts = np.array([3.0, 0.0, 1.0, 6.0])
    for a in (1.0, 2.0, 3.5):
        np.testing.assert_allclose(dirichlet_map(counts, a), additive_smoothing(counts, a - 1), rtol=1e-13)
    # the mode of the Dirichlet posterior: maximise its log density over the simplex with scipy
    alpha = np.array([2.0, 1.5, 3.0, 1.0])
    post = st.dirichlet(alpha + counts)

    def neg(z):  # softmax parametrisation of the simplex
        p = np.exp(z - z.max())
        p /= p.sum()
        return -post.logpdf(np.clip(p, 1e-300, None))

    res = minimize(neg, np.zeros(4), method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-14, "maxiter": 20000})
    mode = np.exp(res.x - res.x.max())
    mode /= mode.sum()
    np.testing.assert_allclose(dirichlet_map(counts, alpha), mode, atol=1e-5)
    # two categories: the Beta-Bernoulli MAP
    assert dirichlet_map([7, 3], [3.0, 3.0])[0] == pytest.approx(beta_bernoulli_map(7, 10, 3.0, 3.0), rel=1e-14)
    with pytest.raises(ValueError, match="alpha must be >= 1"):
        dirichlet_map(counts, 0.5)
    with pytest.raises(ValueError, match="not unique"):
        dirichlet_map([0, 0, 0], 1.0)
    with pytest.raises(ValueError, match="counts must be non-negative"):
        additive_smoothing([1, -1, 2])
    with pytest.raises(ValueError, match="at least one observation"):
        additive_smoothing([0, 0, 0], 0.0)
    with pytest.raises(ValueError, match="one entry per category"):
        dirichlet_map(counts, [2.0, 2.0])


def test_product_of_likelihoods_underflows_but_the_log_likelihood_does_not():
    """notes 003 P2: 0.5**1075 is 0 in float64; the argmax of the product equals that of the sum of logs."""
    assert 0.5**1074 > 0 and 0.5**1075 == 0.0
    x = np.random.default_rng(2).random(2000) < 0.3
    grid = np.linspace(0.01, 0.99, 99)
    loglik = np.array([bernoulli_logpmf(x.astype(float), p).sum() for p in grid])
    assert np.all(np.prod(np.where(x[:, None], grid, 1 - grid), axis=0) == 0.0)  # every product underflows
    assert grid[np.argmax(loglik)] == pytest.approx(round(x.mean(), 2))


def test_grid_posterior_matches_the_beta_density():
    """notes 000 §2.1.1: normalising prior x likelihood on a grid gives the Beta posterior to 1e-6."""
    x = (np.random.default_rng(3).random(40) < 0.7).astype(float)
    grid = np.linspace(1e-6, 1 - 1e-6, 20001)
    a, b = 2.0, 5.0
    dens = grid_posterior(grid, st.beta(a, b).logpdf(grid), [bernoulli_logpmf(x, g).sum() for g in grid])
    a2, b2 = beta_bernoulli_posterior(x, a, b)
    np.testing.assert_allclose(dens, st.beta(a2, b2).pdf(grid), atol=1e-6)
    with pytest.raises(ValueError, match="strictly increasing"):
        grid_posterior([0.0, 0.0, 1.0], [0, 0, 0], [0, 0, 0])
    with pytest.raises(ValueError, match="0 on the whole grid"):
        grid_posterior([0.0, 1.0], [-np.inf, -np.inf], [0.0, 0.0])


# ---------------------------------------------------------------------------------------------
# 2.3 conjugate priors and posterior predictive distributions (every posterior against scipy.stats)
# ---------------------------------------------------------------------------------------------
def test_beta_bernoulli_posterior_sequential_equals_batch_and_matches_scipy():
    x = (np.random.default_rng(4).random(25) < 0.4).astype(float)
    a, b = 2.0, 3.0
    for xi in x:  # one observation at a time: the posterior becomes the next prior
        a, b = beta_bernoulli_posterior([xi], a, b)
    assert (a, b) == beta_bernoulli_posterior(x, 2.0, 3.0) == (2.0 + x.sum(), 3.0 + 25 - x.sum())
    assert beta_bernoulli_posterior([], 2.0, 3.0) == (2.0, 3.0)
    grid = np.linspace(0.001, 0.999, 999)
    dens = grid_posterior(grid, st.beta(2, 3).logpdf(grid), st.binom(25, grid).logpmf(x.sum()))
    np.testing.assert_allclose(dens, st.beta(a, b).pdf(grid), atol=1e-4)
    with pytest.raises(ValueError, match="x must hold 0/1 outcomes"):
        beta_bernoulli_posterior([0, 2], 1, 1)
    with pytest.raises(ValueError, match="a must be > 0"):
        beta_bernoulli_posterior([0, 1], 0.0, 1)


def test_dirichlet_categorical_posterior_matches_scipy():
    counts = np.array([4, 0, 2])
    alpha = np.array([1.0, 2.0, 0.5])
    post = dirichlet_categorical_posterior(counts, alpha)
    np.testing.assert_allclose(post, alpha + counts)
    np.testing.assert_allclose(dirichlet_categorical_posterior(counts, 1.0), counts + 1.0)
    # prior density x multinomial likelihood is proportional to the Dirichlet(alpha + n) density
    P = np.random.default_rng(5).dirichlet(np.ones(3), size=200)
    log_unnorm = st.dirichlet(alpha).logpdf(P.T) + st.multinomial(counts.sum(), P).logpmf(counts)
    diff = log_unnorm - st.dirichlet(post).logpdf(P.T)
    np.testing.assert_allclose(diff, diff[0], rtol=1e-10)
    # the predictive probability of the next category is the posterior mean = add-alpha smoothing
    np.testing.assert_allclose(st.dirichlet(post).mean(), post / post.sum())
    flat = dirichlet_categorical_posterior(counts, 1.0)  # Dirichlet(1, 1, 1) prior: Laplace smoothing
    np.testing.assert_allclose(flat / flat.sum(), additive_smoothing(counts, 1.0))
    # Dirichlet-multinomial predictive for several draws (scipy.stats.dirichlet_multinomial) sums to one
    m = 3
    outcomes = [np.array([i, j, m - i - j]) for i in range(m + 1) for j in range(m + 1 - i)]
    assert sum(st.dirichlet_multinomial(post, m).pmf(o) for o in outcomes) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="alpha must be > 0"):
        dirichlet_categorical_posterior(counts, [1.0, 0.0, 1.0])
    with pytest.raises(ValueError, match="one entry per category"):
        dirichlet_categorical_posterior(counts, [1.0, 1.0])


def test_normal_known_variance_posterior_and_predictive_match_scipy():
    rng = np.random.default_rng(6)
    x = rng.normal(1.5, 2.0, size=12)
    mu0, tau0_sq, sigma_sq = -1.0, 0.5, 4.0
    mean, var = normal_known_var_posterior(x, mu0, tau0_sq, sigma_sq)
    grid = np.linspace(-4, 5, 20001)
    loglik = st.norm(grid[:, None], np.sqrt(sigma_sq)).logpdf(x).sum(axis=1)
    dens = grid_posterior(grid, st.norm(mu0, np.sqrt(tau0_sq)).logpdf(grid), loglik)
    np.testing.assert_allclose(dens, st.norm(mean, np.sqrt(var)).pdf(grid), atol=1e-6)
    # the predictive N(mean, var + sigma^2): Monte Carlo over the posterior (eq. 2.9 of the notes) agrees
    pm, pv = normal_known_var_predictive(mean, var, sigma_sq)
    mus = rng.normal(mean, np.sqrt(var), size=200_000)
    for x_new in (-2.0, 0.3, 4.0):
        mc = st.norm(mus, np.sqrt(sigma_sq)).pdf(x_new)
        assert abs(mc.mean() - st.norm(pm, np.sqrt(pv)).pdf(x_new)) < 4 * mc.std() / np.sqrt(mus.size)
    # no data: the prior; the posterior variance shrinks as 1 / (1/tau0^2 + n/sigma^2)
    assert normal_known_var_posterior([], mu0, tau0_sq, sigma_sq) == (mu0, tau0_sq)
    assert var == pytest.approx(1 / (1 / tau0_sq + 12 / sigma_sq))
    with pytest.raises(ValueError, match="noise_var must be > 0"):
        normal_known_var_posterior(x, 0.0, 1.0, 0.0)


def test_beta_binomial_pmf_matches_scipy_and_the_one_step_predictive():
    for a, b, m in [(1.0, 1.0, 5), (2.5, 0.7, 10), (30.0, 12.0, 3)]:
        k = np.arange(m + 1)
        np.testing.assert_allclose(beta_binomial_pmf(k, m, a, b), st.betabinom(m, a, b).pmf(k), rtol=1e-12)
        assert beta_binomial_pmf(1, 1, a, b) == pytest.approx(a / (a + b), rel=1e-13)
    with pytest.raises(ValueError, match="k must hold integers in 0..3"):
        beta_binomial_pmf(4, 3, 1.0, 1.0)


# ---------------------------------------------------------------------------------------------
# 2.5 information measures
# ---------------------------------------------------------------------------------------------
D23 = dict(mu_q=np.array([1.0, 0.0]), S_q=np.diag([0.04, 4.0]), mu_p=np.zeros(2), S_p=np.eye(2))


def test_gaussian_worked_numbers_from_the_notes():
    """notes D23: q = N((1,0), diag(0.04, 4)), p = N(0, I)."""
    mu_q, S_q, mu_p, S_p = D23.values()
    assert gaussian_entropy(S_q) == pytest.approx(1.9215863345, abs=1e-9)
    assert gaussian_entropy(S_p) == pytest.approx(2.8378770664, abs=1e-9)
    assert gaussian_kl(mu_q, S_q, mu_p, S_p) == pytest.approx(2.4362907319, abs=1e-9)
    assert gaussian_kl(mu_p, S_p, mu_q, S_q) == pytest.approx(23.2087092681, abs=1e-9)
    assert gaussian_w2(mu_q, S_q, mu_p, S_p) ** 2 == pytest.approx(2.64, abs=1e-12)
    assert gaussian_w2(mu_q, S_q, mu_p, S_p) == pytest.approx(1.6248076809, abs=1e-9)
    # the notes' code divides the Mahalanobis term by d and omits -d: it returns 3.1863 and 17.9587
    d = 2
    wrong_qp = 0.5 * (np.trace(S_q) + mu_q @ mu_q / d + np.log(1 / np.linalg.det(S_q)))
    wrong_pq = 0.5 * (np.trace(np.linalg.inv(S_q)) + mu_q @ np.linalg.inv(S_q) @ mu_q / d + np.log(np.linalg.det(S_q)))
    assert round(wrong_qp, 4) == 3.1863 and round(wrong_pq, 4) == 17.9587


def random_spd(rng, d):
    A = rng.normal(size=(d, d))
    return A @ A.T + 0.3 * np.eye(d)


@pytest.mark.parametrize("d", [1, 2, 4])
def test_gaussian_entropy_and_kl_match_scipy_and_torch(d):
    rng = np.random.default_rng(d)
    m1, m2 = rng.normal(size=d), rng.normal(size=d)
    S1, S2 = random_spd(rng, d), random_spd(rng, d)
    assert gaussian_entropy(S1) == pytest.approx(st.multivariate_normal(m1, S1).entropy(), rel=1e-12)
    q = torch.distributions.MultivariateNormal(torch.tensor(m1), torch.tensor(S1))
    p = torch.distributions.MultivariateNormal(torch.tensor(m2), torch.tensor(S2))
    assert gaussian_kl(m1, S1, m2, S2) == pytest.approx(torch.distributions.kl_divergence(q, p).item(), rel=1e-10)
    assert gaussian_entropy(S1) == pytest.approx(q.entropy().item(), rel=1e-12)
    # Monte Carlo: KL(q||p) = E_q[log q - log p] within 4 standard errors
    z = st.multivariate_normal(m1, S1).rvs(size=200_000, random_state=rng).reshape(-1, d)
    diff = mvn_logpdf(z, m1, S1) - mvn_logpdf(z, m2, S2)
    assert abs(diff.mean() - gaussian_kl(m1, S1, m2, S2)) < 4 * diff.std() / np.sqrt(len(diff))
    assert gaussian_kl(m1, S1, m1, S1) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("d", [1, 3])
def test_gaussian_w2_against_scipy_sqrtm_quantiles_and_lib_diffusion(d):
    rng = np.random.default_rng(10 + d)
    m1, m2 = rng.normal(size=d), rng.normal(size=d)
    S1, S2 = random_spd(rng, d), random_spd(rng, d)
    from scipy.linalg import sqrtm

    r1 = sqrtm(S1)
    ref = np.sum((m1 - m2) ** 2) + np.trace(S1 + S2 - 2 * np.real(sqrtm(r1 @ S2 @ r1)))
    assert gaussian_w2(m1, S1, m2, S2) ** 2 == pytest.approx(ref, rel=1e-9)
    # chapter 28's Frechet distance is the square of the same quantity
    assert gaussian_w2(m1, S1, m2, S2) ** 2 == pytest.approx(lib.diffusion.frechet_distance(m1, S1, m2, S2), rel=1e-10)
    if d == 1:  # in 1-D, W2^2 = integral over u of (F^{-1}(u) - G^{-1}(u))^2 = (m1-m2)^2 + (s1-s2)^2
        u = (np.arange(200_000) + 0.5) / 200_000
        q1 = st.norm(m1[0], np.sqrt(S1[0, 0])).ppf(u)
        q2 = st.norm(m2[0], np.sqrt(S2[0, 0])).ppf(u)
        assert gaussian_w2(m1, S1, m2, S2) == pytest.approx(np.sqrt(np.mean((q1 - q2) ** 2)), rel=1e-4)
    # commuting (diagonal) covariances: ||m1 - m2||^2 + sum (s1_i - s2_i)^2 (the notes' special case)
    s1, s2 = rng.uniform(0.5, 2, size=d), rng.uniform(0.5, 2, size=d)
    expected = np.sum((m1 - m2) ** 2) + np.sum((s1 - s2) ** 2)
    assert gaussian_w2(m1, np.diag(s1**2), m2, np.diag(s2**2)) ** 2 == pytest.approx(expected, rel=1e-12)
    # a point mass (zero covariance) is allowed
    assert gaussian_w2(m1, np.zeros((d, d)), m1, np.zeros((d, d))) == 0.0


def test_gaussian_input_errors():
    with pytest.raises(ValueError, match="cov1 must be positive definite"):
        gaussian_kl([0, 0], [[1, 2], [2, 1]], [0, 0], np.eye(2))
    with pytest.raises(ValueError, match="same dimension"):
        gaussian_kl([0, 0], np.eye(2), [0], np.eye(1))
    with pytest.raises(ValueError, match="cov2 must be symmetric"):
        gaussian_w2([0, 0], np.eye(2), [0, 0], [[1, 0.5], [0, 1]])
    with pytest.raises(ValueError, match="cov1 must be positive semi-definite"):
        gaussian_w2([0, 0], [[1, 0], [0, -1]], [0, 0], np.eye(2))
    with pytest.raises(ValueError, match="cov must have shape"):
        gaussian_entropy(np.ones((2, 3)))


def test_js_divergence_matches_scipy_and_is_bounded_by_log2():
    rng = np.random.default_rng(7)
    P, Q = rng.dirichlet(np.ones(5), size=20), rng.dirichlet(np.ones(5), size=20)
    np.testing.assert_allclose(js_divergence(P, Q), [jensenshannon(p, q) ** 2 for p, q in zip(P, Q)], rtol=1e-10)
    np.testing.assert_allclose(js_divergence(P, Q), js_divergence(Q, P))  # symmetric
    assert js_divergence([0.5, 0.5, 0, 0], [0, 0, 0.5, 0.5]) == pytest.approx(np.log(2), rel=1e-14)  # disjoint supports
    assert np.all(js_divergence(P, Q) <= np.log(2))
    with pytest.raises(ValueError, match="q must sum to 1"):
        js_divergence([0.5, 0.5], [0.5, 0.6])


def test_wasserstein_1d_matches_scipy_with_and_without_weights():
    rng = np.random.default_rng(8)
    for n_u, n_v in [(1, 1), (5, 7), (200, 50)]:
        u, v = rng.normal(size=n_u), rng.normal(1.0, 2.0, size=n_v)
        wu, wv = rng.random(n_u), rng.random(n_v)
        assert wasserstein_1d(u, v) == pytest.approx(st.wasserstein_distance(u, v), rel=1e-12, abs=1e-14)
        assert wasserstein_1d(u, v, wu, wv) == pytest.approx(st.wasserstein_distance(u, v, wu, wv), rel=1e-12)
        assert wasserstein_1d(u, v, wu, None) == pytest.approx(st.wasserstein_distance(u, v, wu), rel=1e-12)
    # ties and zero weights
    u, v = np.array([0.0, 1.0, 1.0, 3.0]), np.array([1.0, 1.0, 2.0])
    wu, wv = np.array([0.0, 1.0, 2.0, 1.0]), np.array([1.0, 0.0, 3.0])
    assert wasserstein_1d(u, v, wu, wv) == pytest.approx(st.wasserstein_distance(u, v, wu, wv), rel=1e-12)
    # a shift by theta moves every quantile by theta: W1 = |theta| (the disjoint-support example of 2.5)
    x = rng.uniform(size=500)
    for theta in (0.3, 1.0, 4.0):
        assert wasserstein_1d(x, x + theta) == pytest.approx(theta, rel=1e-12)
    # symmetric, and zero between a sample and itself
    assert wasserstein_1d(u, v, wu, wv) == pytest.approx(wasserstein_1d(v, u, wv, wu), rel=1e-14)
    assert wasserstein_1d(u, u) == 0.0


def test_wasserstein_1d_input_errors():
    with pytest.raises(ValueError, match="u_values must not be empty"):
        wasserstein_1d([], [1.0])
    with pytest.raises(ValueError, match="v_weights must be non-negative"):
        wasserstein_1d([0.0, 1.0], [1.0, 2.0], None, [1.0, -1.0])
    with pytest.raises(ValueError, match="u_weights must have a positive sum"):
        wasserstein_1d([0.0, 1.0], [1.0], [0.0, 0.0])
    with pytest.raises(ValueError, match="one weight per value"):
        wasserstein_1d([0.0, 1.0], [1.0], [1.0])
    with pytest.raises(ValueError, match="v_values contains NaN"):
        wasserstein_1d([0.0], [np.nan])


def test_js_divergence_survives_subnormal_underflow():
    # (p + q) / 2 underflows to 0 for the smallest subnormal number; the contribution is p log 2, not inf
    tiny = np.nextafter(0.0, 1.0)
    p = np.array([1.0 - tiny, tiny, 0.0])
    q = np.array([0.0, 0.0, 1.0])
    assert np.isclose(lib.prob.js_divergence(p, q), np.log(2))
