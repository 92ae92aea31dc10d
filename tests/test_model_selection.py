"""lib.model_selection (sections 7.2-7.3) against scikit-learn, brute-force refits, scipy and lecture L4's facts."""

import numpy as np
import pytest
from scipy.stats import norm
from sklearn.datasets import make_regression
from sklearn.linear_model import LassoLarsIC, lars_path
from sklearn.linear_model import LinearRegression as SkLinearRegression
from sklearn.linear_model import Ridge as SkRidge
from sklearn.model_selection import KFold as SkKFold
from sklearn.model_selection import LeaveOneOut as SkLeaveOneOut
from sklearn.model_selection import cross_val_score as sk_cross_val_score
from sklearn.model_selection import validation_curve as sk_validation_curve
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures as SkPolynomialFeatures

import lib
from lib.features import PolynomialRegression
from lib.model_selection import (
    KFold,
    LeaveOneOut,
    aic,
    bias_variance_decomposition,
    bic,
    clone,
    cross_val_score,
    gaussian_log_likelihood,
    get_scorer,
    loocv_linear_regression,
    loocv_linear_smoother,
    validation_curve,
)


def regression_sets():
    rng = np.random.default_rng(0)
    X1 = rng.normal(size=(30, 3))
    y1 = X1 @ [1.0, -2.0, 0.5] + 1 + rng.normal(scale=0.3, size=30)
    X2, y2 = make_regression(n_samples=47, n_features=5, noise=3.0, random_state=2)
    d = lib.data.diabetes()
    x3 = rng.uniform(0, 1, size=(20, 1))
    y3 = np.sin(2 * np.pi * x3[:, 0]) + rng.normal(scale=0.2, size=20)
    return {"random": (X1, y1), "make_regression": (X2, y2), "diabetes": (d.X, d.y), "sine": (x3, y3)}


SETS = regression_sets()


# ---------------------------------------------------------------------------------------------
# Splitters
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("n, k", [(10, 2), (10, 3), (11, 5), (7, 7), (100, 10), (23, 4)])
def test_kfold_matches_scikit_learn_split_by_split(n, k):
    ours = list(KFold(k).split(np.zeros((n, 1))))
    ref = list(SkKFold(k).split(np.zeros((n, 1))))
    assert len(ours) == len(ref) == k
    for (tr, te), (tr_ref, te_ref) in zip(ours, ref):
        np.testing.assert_array_equal(tr, tr_ref)
        np.testing.assert_array_equal(te, te_ref)


@pytest.mark.parametrize("n, k", [(10, 3), (31, 4)])
def test_shuffled_kfold_is_a_partition_with_scikit_learn_fold_sizes(n, k):
    folds = list(KFold(k, shuffle=True, random_state=3).split(n))
    tests = np.concatenate([te for _, te in folds])
    np.testing.assert_array_equal(np.sort(tests), np.arange(n))  # every sample validated exactly once
    assert [len(te) for _, te in folds] == [len(te) for _, te in SkKFold(k).split(np.zeros(n))]
    for tr, te in folds:
        assert not set(tr) & set(te) and len(tr) + len(te) == n
    again = list(KFold(k, shuffle=True, random_state=3).split(n))
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(folds, again))  # reproducible
    assert not np.array_equal(tests, np.arange(n))  # and actually shuffled


def test_leave_one_out_matches_scikit_learn_and_kfold_with_k_equal_n():
    X = np.zeros((6, 2))
    ours, ref, kfold = list(LeaveOneOut().split(X)), list(SkLeaveOneOut().split(X)), list(KFold(6).split(X))
    for (a, b), (c, d), (e, f) in zip(ours, ref, kfold):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, d)
        np.testing.assert_array_equal(a, e)
        np.testing.assert_array_equal(b, f)
    assert LeaveOneOut().get_n_splits(X) == 6


def test_splitter_errors():
    with pytest.raises(ValueError, match="n_splits must be >= 2"):
        KFold(1)
    with pytest.raises(TypeError, match="n_splits must be a integral"):
        KFold(2.0)
    with pytest.raises(TypeError, match="shuffle must be a bool"):
        KFold(3, shuffle=1)
    with pytest.raises(ValueError, match="n_splits=5 cannot be greater than the number of samples n=3"):
        list(KFold(5).split(np.zeros((3, 1))))
    with pytest.raises(ValueError, match="at least 2 samples"):
        list(LeaveOneOut().split(np.zeros((1, 1))))
    with pytest.raises(TypeError, match="random_state must be None, an int seed"):
        list(KFold(2, shuffle=True, random_state="seed").split(4))


# ---------------------------------------------------------------------------------------------
# Cross-validation and validation curves against scikit-learn
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(SETS))
@pytest.mark.parametrize("scoring", [None, "neg_mean_squared_error", "r2"])
def test_cross_val_score_matches_scikit_learn(name, scoring):
    X, y = SETS[name]
    for k in (3, 5):
        ours = cross_val_score(lib.linear.Ridge(alpha=0.5), X, y, cv=k, scoring=scoring)
        ref = sk_cross_val_score(SkRidge(alpha=0.5, solver="cholesky"), X, y, cv=SkKFold(k), scoring=scoring)
        np.testing.assert_allclose(ours, ref, rtol=1e-8, atol=1e-8)
    # scikit-learn estimators and splitters work too
    ours = cross_val_score(SkLinearRegression(), X, y, cv=SkKFold(4, shuffle=True, random_state=0), scoring=scoring)
    ref = sk_cross_val_score(SkLinearRegression(), X, y, cv=SkKFold(4, shuffle=True, random_state=0), scoring=scoring)
    np.testing.assert_allclose(ours, ref, rtol=1e-10)


def test_lib_splitters_serve_as_cv_of_scikit_learn_tools():
    from sklearn.model_selection import GridSearchCV

    X, y = SETS["sine"]
    for cv in (KFold(4, shuffle=True, random_state=2), LeaveOneOut()):
        ours = cross_val_score(PolynomialRegression(3), X, y, cv=cv, scoring="neg_mean_squared_error")
        ref = sk_cross_val_score(PolynomialRegression(3), X, y, cv=cv, scoring="neg_mean_squared_error")
        np.testing.assert_allclose(ours, ref, rtol=1e-12)
    cv = KFold(5, shuffle=True, random_state=0)
    search = GridSearchCV(PolynomialRegression(), {"degree": [1, 2, 3, 4]}, cv=cv, scoring="neg_mean_squared_error")
    search.fit(X, y)
    _, test = validation_curve(
        PolynomialRegression(),
        X,
        y,
        param_name="degree",
        param_range=[1, 2, 3, 4],
        cv=cv,
        scoring="neg_mean_squared_error",
    )
    assert search.n_splits_ == 5
    np.testing.assert_allclose(search.cv_results_["mean_test_score"], test.mean(axis=1), rtol=1e-12)


def test_validation_curve_matches_scikit_learn_pipeline():
    X, y = SETS["sine"]
    degrees = [0, 1, 2, 3, 5, 7]
    train, test = validation_curve(
        PolynomialRegression(), X, y, param_name="degree", param_range=degrees, cv=5, scoring="neg_mean_squared_error"
    )
    pipe = make_pipeline(SkPolynomialFeatures(include_bias=False), SkLinearRegression())
    sk_deg = [max(d, 1) for d in degrees]  # degree 0 (constant model) is checked separately below
    train_ref, test_ref = sk_validation_curve(
        pipe,
        X,
        y,
        param_name="polynomialfeatures__degree",
        param_range=sk_deg,
        cv=SkKFold(5),
        scoring="neg_mean_squared_error",
    )
    np.testing.assert_allclose(train[1:-1], train_ref[1:-1], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(test[1:-1], test_ref[1:-1], rtol=1e-6, atol=1e-9)
    # degree 7 on 16 points is ill-conditioned (monomials on [0, 1]); the two least-squares solvers then differ,
    # and ours (SVD lstsq on the raw design) must reach a training error at least as small as scikit-learn's
    assert np.all(-train[-1] <= -train_ref[-1] * (1 + 1e-9))
    # degree 0 predicts the training mean: its validation MSE is a direct computation
    for k, (tr, te) in enumerate(KFold(5).split(X)):
        assert -test[0, k] == pytest.approx(np.mean((y[te] - y[tr].mean()) ** 2))
    # nested models: the mean training error never increases with the degree
    assert np.all(np.diff(-train.mean(axis=1)) <= 1e-12)


def test_clone_and_scorer():
    model = lib.linear.Ridge(alpha=3.0).fit(np.eye(3), np.arange(3.0))
    fresh = clone(model, alpha=5.0)
    assert fresh.alpha == 5.0 and not hasattr(fresh, "coef_")
    assert clone(SkRidge(alpha=2.0)).alpha == 2.0
    with pytest.raises(ValueError, match="has no parameter\\(s\\) \\['beta'\\]"):
        clone(model, beta=1.0)
    with pytest.raises(TypeError, match="estimator must have fit and get_params"):
        clone(object())
    with pytest.raises(ValueError, match="scoring must be None, a callable or one of"):
        get_scorer("mse")
    with pytest.raises(TypeError, match="cv must be an int"):
        cross_val_score(model, np.eye(3), np.arange(3.0), cv="five")
    with pytest.raises(ValueError, match="same number of rows"):
        cross_val_score(model, np.eye(3), np.arange(4.0))
    with pytest.raises(ValueError, match="param_range must contain at least one value"):
        validation_curve(model, np.eye(4), np.arange(4.0), param_name="alpha", param_range=[], cv=2)


# ---------------------------------------------------------------------------------------------
# Leave-one-out: closed form = brute force (notes L4.3)
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(SETS))
@pytest.mark.parametrize("alpha", [0.0, 0.01, 1.0, 30.0])
def test_closed_form_loocv_equals_n_refits(name, alpha):
    X, y = SETS[name]
    model = SkLinearRegression() if alpha == 0 else SkRidge(alpha=alpha, solver="cholesky")
    brute = -sk_cross_val_score(model, X, y, cv=SkLeaveOneOut(), scoring="neg_mean_squared_error").mean()
    assert loocv_linear_regression(X, y, alpha=alpha) == pytest.approx(brute, rel=1e-9)


def test_closed_form_loocv_without_intercept_and_for_polynomial_features():
    X, y = SETS["random"]
    brute = -sk_cross_val_score(
        SkLinearRegression(fit_intercept=False), X, y, cv=SkLeaveOneOut(), scoring="neg_mean_squared_error"
    ).mean()
    assert loocv_linear_regression(X, y, fit_intercept=False) == pytest.approx(brute, rel=1e-9)
    x, t = SETS["sine"]
    Phi = lib.features.PolynomialFeatures(4, include_bias=False).fit_transform(x)
    ours = -cross_val_score(PolynomialRegression(4), x, t, cv=LeaveOneOut(), scoring="neg_mean_squared_error").mean()
    assert loocv_linear_regression(Phi, t) == pytest.approx(ours, rel=1e-8)


def test_loocv_errors():
    with pytest.raises(ValueError, match="H must be a square matrix of shape \\(3, 3\\)"):
        loocv_linear_smoother(np.eye(2), np.ones(3))
    with pytest.raises(ValueError, match="leverage"):
        loocv_linear_smoother(np.eye(3), np.ones(3))  # interpolation: every point has H_ii = 1
    with pytest.raises(ValueError, match="alpha must be >= 0"):
        loocv_linear_regression(np.eye(3), np.ones(3), alpha=-1.0)


# ---------------------------------------------------------------------------------------------
# Information criteria (the notes' formula is mislabelled: the second one is BIC)
# ---------------------------------------------------------------------------------------------
def test_gaussian_log_likelihood_matches_scipy():
    rng = np.random.default_rng(1)
    y, y_pred = rng.normal(size=50), rng.normal(size=50)
    s2 = np.mean((y - y_pred) ** 2)
    assert gaussian_log_likelihood(y, y_pred) == pytest.approx(norm.logpdf(y, y_pred, np.sqrt(s2)).sum(), rel=1e-12)
    assert gaussian_log_likelihood(y, y_pred, 0.7) == pytest.approx(norm.logpdf(y, y_pred, np.sqrt(0.7)).sum())
    # the MLE of the variance maximises the likelihood over sigma^2
    assert gaussian_log_likelihood(y, y_pred) > gaussian_log_likelihood(y, y_pred, 1.1 * s2)
    assert gaussian_log_likelihood(y, y_pred) > gaussian_log_likelihood(y, y_pred, 0.9 * s2)


def test_aic_bic_match_scikit_learn_lasso_lars_ic():
    """LassoLarsIC with a known noise variance computes n log(2 pi s2) + RSS/s2 + c * df along the LARS path."""
    X, y = SETS["make_regression"]  # (on diabetes a variable leaves the LARS path and sits at 1e-15 vs 0)
    n, s2 = X.shape[0], 9.0
    _, _, coef_path = lars_path(X - X.mean(0), y - y.mean(), method="lasso", alpha_min=0.0)
    for criterion, ours_fn in (("aic", lambda ll, df: aic(ll, df)), ("bic", lambda ll, df: bic(ll, df, n))):
        ref = LassoLarsIC(criterion=criterion, noise_variance=s2).fit(X, y)
        assert ref.criterion_.shape[0] == coef_path.shape[1]
        for k in range(coef_path.shape[1]):
            coef = coef_path[:, k]
            pred = X @ coef + (y.mean() - X.mean(0) @ coef)
            df = int(np.sum(np.abs(coef) > np.finfo(float).eps))
            ll = gaussian_log_likelihood(y, pred, s2)
            assert ours_fn(ll, df) == pytest.approx(ref.criterion_[k], rel=1e-9)


def test_aic_bic_values_and_errors():
    assert aic(-10.0, 3) == 26.0
    assert bic(-10.0, 3, 100) == pytest.approx(3 * np.log(100) + 20)
    assert bic(-10.0, 3, 8) > aic(-10.0, 3)  # ln 8 > 2: BIC penalises each parameter more
    with pytest.raises(ValueError, match="n_params must be >= 0"):
        aic(-1.0, -1)
    with pytest.raises(ValueError, match="n_samples must be >= 1"):
        bic(-1.0, 1, 0)
    with pytest.raises(TypeError, match="log_likelihood must be a real"):
        aic("ll", 1)
    with pytest.raises(ValueError, match="residuals are all zero"):
        gaussian_log_likelihood([1.0, 2.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="noise_variance must be > 0"):
        gaussian_log_likelihood([1.0, 2.0], [1.0, 2.5], 0.0)


def test_bic_prefers_the_true_degree_on_a_cubic():
    rng = np.random.default_rng(5)
    x = rng.uniform(-1, 1, size=(200, 1))
    y = 1 - 2 * x[:, 0] + 3 * x[:, 0] ** 3 + rng.normal(scale=0.3, size=200)
    scores = []
    for d in range(8):
        pred = PolynomialRegression(d).fit(x, y).predict(x)
        scores.append(bic(gaussian_log_likelihood(y, pred), d + 2, 200))  # d+1 coefficients and sigma^2
    assert int(np.argmin(scores)) == 3


# ---------------------------------------------------------------------------------------------
# Bias-variance decomposition
# ---------------------------------------------------------------------------------------------
def _sine_problem(n_train=15, noise=0.3):
    def f(X):
        return np.sin(2 * np.pi * X[:, 0])

    def sample(rng):
        X = rng.uniform(0, 1, size=(n_train, 1))
        return X, f(X) + noise * rng.standard_normal(n_train)

    return f, sample


@pytest.mark.parametrize("degree", [0, 1, 3, 6])
def test_bias_variance_terms_add_up_to_the_expected_test_error(degree):
    f, sample = _sine_problem()
    x_test = np.linspace(0.05, 0.95, 40)[:, None]
    res = bias_variance_decomposition(
        PolynomialRegression(degree), sample, f, x_test, noise_std=0.3, n_repeats=2000, rng=0
    )
    # the algebraic part is exact: mean squared deviation from f = bias^2 + variance
    mse_to_f = np.mean((res.predictions - f(x_test)) ** 2)
    assert mse_to_f == pytest.approx(res.bias2 + res.variance, rel=1e-12)
    # the noise part holds in expectation: within 4 Monte Carlo standard errors, and within 2 %
    assert abs(res.total - res.expected_error) < 4 * res.expected_error_se
    assert res.total == pytest.approx(res.expected_error, rel=0.02)


def test_bias_variance_trade_off_on_the_sine():
    f, sample = _sine_problem()
    x_test = np.linspace(0.05, 0.95, 30)[:, None]
    out = [
        bias_variance_decomposition(PolynomialRegression(d), sample, f, x_test, noise_std=0.3, n_repeats=400, rng=1)
        for d in (1, 3, 9)
    ]
    assert out[0].bias2 > out[1].bias2 and out[0].variance < out[1].variance < out[2].variance
    # a constant predictor has variance var(mean of y) only; its bias^2 is the variance of f around its mean value
    res = bias_variance_decomposition(PolynomialRegression(0), sample, f, x_test, noise_std=0.3, n_repeats=2000, rng=2)
    fx = f(x_test)
    assert res.bias2 == pytest.approx(np.mean((fx - 0.0) ** 2), rel=0.05)  # E[f(X)] = 0 for a full period


def test_bias_variance_errors():
    f, sample = _sine_problem()
    with pytest.raises(ValueError, match="n_repeats must be >= 2"):
        bias_variance_decomposition(PolynomialRegression(1), sample, f, np.zeros((3, 1)), noise_std=0.1, n_repeats=1)
    with pytest.raises(ValueError, match="noise_std must be >= 0"):
        bias_variance_decomposition(PolynomialRegression(1), sample, f, np.zeros((3, 1)), noise_std=-0.1)
    with pytest.raises(ValueError, match="true_fn\\(X_test\\) must have one value per test point"):
        bias_variance_decomposition(
            PolynomialRegression(1), sample, lambda X: np.zeros(2), np.zeros((3, 1)), noise_std=0.1
        )


def test_noisy_sine_data_of_chapter_7():
    data = lib.data.noisy_sine(2000, noise_std=0.3, rng=4)
    assert data.X.shape == (2000, 1) and np.all((data.X >= 0) & (data.X <= 1))
    residual = data.y - lib.data.sine_function(data.X)
    assert abs(residual.mean()) < 4 * 0.3 / np.sqrt(2000)  # zero-mean noise, within 4 standard errors
    assert residual.std() == pytest.approx(0.3, rel=0.05)
    again = lib.data.noisy_sine(2000, noise_std=0.3, rng=4)
    np.testing.assert_array_equal(data.y, again.y)  # reproducible
    np.testing.assert_allclose(lib.data.sine_function(np.array([0.25, 0.5, 0.75])), [1.0, 0.0, -1.0], atol=1e-15)
    with pytest.raises(ValueError, match="exactly one column"):
        lib.data.sine_function(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="noise_std must be >= 0"):
        lib.data.noisy_sine(5, noise_std=-1.0)
