"""lib.linear.logistic (chapter 5) against SciPy, torch.autograd, scikit-learn and the worked numbers of the notes."""

import warnings

import numpy as np
import pytest
import scipy.special
import torch
from sklearn.datasets import make_blobs, make_classification
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.metrics import log_loss
from sklearn.multiclass import OneVsRestClassifier as SkOneVsRestClassifier

import lib
from lib.linear import (
    ConvergenceWarning,
    LogisticRegression,
    OneVsRestClassifier,
    add_bias,
    log_sigmoid,
    log_softmax,
    logistic_grad,
    logistic_hessian,
    logistic_loss,
    logsumexp,
    one_hot,
    sigmoid,
    sigmoid_mse_grad,
    sigmoid_mse_hessian,
    sigmoid_mse_loss,
    softmax,
    softmax_grad,
    softmax_hessian,
    softmax_loss,
)


# ---------------------------------------------------------------------------------------------
# sigmoid, log-sum-exp, softmax
# ---------------------------------------------------------------------------------------------
def test_sigmoid_matches_scipy_and_never_overflows():
    z = np.concatenate([np.linspace(-50, 50, 201), [-1e4, -745.0, 745.0, 1e4]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning anywhere
        s = sigmoid(z)
        ls = log_sigmoid(z)
    np.testing.assert_allclose(s, scipy.special.expit(z), rtol=1e-15, atol=1e-300)
    np.testing.assert_allclose(ls, torch.nn.functional.logsigmoid(torch.tensor(z)).numpy(), rtol=1e-14, atol=1e-300)
    assert s[-1] == 1.0 and s[-4] == 0.0 and ls[-4] == -1e4  # log sigma(z) ~ z for z -> -inf
    np.testing.assert_allclose(1 - sigmoid(z[:201]), sigmoid(-z[:201]), atol=1e-15)  # 1 - sigma(z) = sigma(-z)
    assert sigmoid(np.array(0.0)) == 0.5


def test_sigmoid_derivative_is_sigma_times_one_minus_sigma():
    z = torch.linspace(-6, 6, 25, dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(torch.sigmoid(z).sum(), z)
    s = sigmoid(z.detach().numpy())
    np.testing.assert_allclose(s * (1 - s), g.numpy(), rtol=1e-12)


@pytest.mark.parametrize("shape, axis", [((5,), -1), ((4, 7), 1), ((4, 7), 0), ((2, 3, 6), -1)])
def test_logsumexp_and_softmax_match_scipy(shape, axis):
    Z = np.random.default_rng(0).normal(scale=30, size=shape)
    np.testing.assert_allclose(logsumexp(Z, axis=axis), scipy.special.logsumexp(Z, axis=axis), rtol=1e-14)
    np.testing.assert_allclose(softmax(Z, axis=axis), scipy.special.softmax(Z, axis=axis), rtol=1e-12, atol=1e-300)
    ref_log = scipy.special.log_softmax(Z, axis=axis)
    np.testing.assert_allclose(log_softmax(Z, axis=axis), ref_log, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(softmax(Z, axis=axis).sum(axis=axis), 1.0, rtol=1e-14)
    kept = tuple(1 if i == axis % len(shape) else s for i, s in enumerate(shape))
    assert logsumexp(Z, axis=axis, keepdims=True).shape == kept


def test_softmax_worked_example_of_the_notes():
    """notes D14: o = (0.3, 0.8, 0.2) -> (0.281408, 0.463963, 0.254629); the source's 0.26 was forced to sum to 1."""
    p = softmax(np.array([0.3, 0.8, 0.2]))
    np.testing.assert_allclose(p, [0.281408, 0.463963, 0.254629], atol=5e-7)
    assert np.round(p, 2).tolist() == [0.28, 0.46, 0.25]


def test_softmax_shift_invariance_large_logits_and_temperature():
    z = np.array([1000.0, 1001.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = softmax(z)
        lse = logsumexp(z)
    np.testing.assert_allclose(p, softmax(z - 1000), rtol=1e-15)
    np.testing.assert_allclose(p, [1 / (1 + np.e), np.e / (1 + np.e)], rtol=1e-15)
    assert lse == pytest.approx(1001 + np.log1p(np.exp(-1)), rel=1e-15)
    with np.errstate(over="ignore", invalid="ignore"):
        assert np.all(np.isnan(np.exp(z) / np.exp(z).sum()))  # the naive formula: inf / inf
    o = np.array([0.3, 0.8, 0.2])
    np.testing.assert_allclose(softmax(o, temperature=1e-3), [0, 1, 0], atol=1e-12)
    np.testing.assert_allclose(softmax(o, temperature=1e6), [1 / 3] * 3, atol=1e-6)
    np.testing.assert_allclose(softmax(o, temperature=2.0), scipy.special.softmax(o / 2), rtol=1e-14)


def test_softmax_with_two_classes_is_the_sigmoid_of_the_difference():
    """notes L2.2: softmax_1(xW) = sigma(x(w1 - w2)) exactly."""
    rng = np.random.default_rng(1)
    X, W = rng.normal(size=(20, 3)), rng.normal(size=(3, 2))
    P = softmax(X @ W, axis=1)
    np.testing.assert_allclose(P[:, 0], sigmoid(X @ (W[:, 0] - W[:, 1])), rtol=1e-13)
    np.testing.assert_allclose(P[:, 1], 1 - sigmoid(X @ (W[:, 0] - W[:, 1])), rtol=1e-12)


def test_one_hot():
    np.testing.assert_array_equal(one_hot([0, 2, 1]), [[1, 0, 0], [0, 0, 1], [0, 1, 0]])
    assert one_hot(np.array([1.0, 0.0]), 4).shape == (2, 4)
    with pytest.raises(ValueError, match="label 3 but n_classes is 3"):
        one_hot([0, 3], 3)
    with pytest.raises(ValueError, match="negative label"):
        one_hot([0, -1])
    with pytest.raises(TypeError, match="integer class labels"):
        one_hot([0.5, 1.0])


def test_temperature_and_shape_errors():
    with pytest.raises(ValueError, match="temperature must be > 0"):
        softmax([1.0, 2.0], temperature=0.0)
    with pytest.raises(ValueError, match="at least 1 dimension"):
        logsumexp(3.0)


# ---------------------------------------------------------------------------------------------
# binary cross-entropy: value, gradient, Hessian
# ---------------------------------------------------------------------------------------------
def binary_problem(seed=0, n=60, d=4):
    rng = np.random.default_rng(seed)
    X = add_bias(rng.normal(size=(n, d - 1)))
    w_true = rng.normal(size=d)
    y = (rng.uniform(size=n) < sigmoid(X @ w_true)).astype(float)
    return X, y, rng.normal(size=d)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_logistic_loss_matches_sklearn_log_loss_and_torch(seed):
    X, y, w = binary_problem(seed)
    p = sigmoid(X @ w)
    assert logistic_loss(X, y, w) == pytest.approx(log_loss(y, p), rel=1e-12)
    ref = torch.nn.functional.binary_cross_entropy_with_logits(torch.tensor(X @ w), torch.tensor(y))
    assert logistic_loss(X, y, w) == pytest.approx(ref.item(), rel=1e-13)


def test_logistic_loss_is_finite_for_saturated_predictions():
    X = np.array([[1.0, 800.0], [1.0, -800.0]])
    y = np.array([0.0, 1.0])  # both confidently wrong
    assert logistic_loss(X, y, np.array([0.0, 1.0])) == pytest.approx(800.0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_logistic_grad_and_hessian_match_autograd(seed):
    X, y, w = binary_problem(seed)
    Xt, yt = torch.tensor(X), torch.tensor(y)

    def f(wt):
        return torch.nn.functional.binary_cross_entropy_with_logits(Xt @ wt, yt)

    wt = torch.tensor(w, requires_grad=True)
    (g,) = torch.autograd.grad(f(wt), wt)
    H = torch.autograd.functional.hessian(f, torch.tensor(w))
    np.testing.assert_allclose(logistic_grad(X, y, w), g.numpy(), rtol=1e-11, atol=1e-14)
    np.testing.assert_allclose(logistic_hessian(X, w), H.numpy(), rtol=1e-11, atol=1e-14)


def test_logistic_hessian_is_psd_and_is_the_sum_of_row_outer_products():
    """The fix of notes L2.1: with row vectors the per-sample Hessian is x^T x (an outer product), not x x^T."""
    X, _, w = binary_problem(3)
    H = logistic_hessian(X, w)
    s = sigmoid(X @ w)
    outer = sum(si * (1 - si) * np.outer(x, x) for si, x in zip(s, X)) / len(X)  # x^T x for a row x
    np.testing.assert_allclose(H, outer, rtol=1e-12)
    assert np.linalg.eigvalsh(H).min() > 0
    v = np.random.default_rng(0).normal(size=X.shape[1])
    assert v @ H @ v == pytest.approx(np.mean(s * (1 - s) * (X @ v) ** 2), rel=1e-12)


def test_squared_loss_second_derivative_at_minus_two_is_negative():
    """notes L2.1: for x = 1, y = 1 the squared loss (sigma(w) - 1)^2 has l''(-2) = -0.119 (non-convex)."""
    X, y = np.array([[1.0]]), np.array([1.0])
    h = sigmoid_mse_hessian(X, y, np.array([-2.0]))[0, 0]
    assert round(h, 3) == -0.119
    s = sigmoid(np.array(-2.0))
    assert h == pytest.approx(-2 * s * (1 - s) ** 2 * (1 - 3 * s), rel=1e-13)  # closed form for y = 1
    wt = torch.tensor([-2.0], dtype=torch.float64)
    H = torch.autograd.functional.hessian(lambda w: (torch.sigmoid(w) - 1).pow(2).sum(), wt)
    assert h == pytest.approx(H.item(), rel=1e-12)
    # cross-entropy at the same point: sigma(1 - sigma) > 0
    assert logistic_hessian(X, np.array([-2.0]))[0, 0] == pytest.approx(s * (1 - s), rel=1e-13)


@pytest.mark.parametrize("seed", [0, 1])
def test_squared_loss_grad_and_hessian_match_autograd(seed):
    X, y, w = binary_problem(seed)
    Xt, yt = torch.tensor(X), torch.tensor(y)

    def f(wt):
        return (torch.sigmoid(Xt @ wt) - yt).pow(2).mean()

    wt = torch.tensor(w, requires_grad=True)
    assert sigmoid_mse_loss(X, y, w) == pytest.approx(f(wt).item(), rel=1e-13)
    (g,) = torch.autograd.grad(f(wt), wt)
    np.testing.assert_allclose(sigmoid_mse_grad(X, y, w), g.numpy(), rtol=1e-11, atol=1e-14)
    H = torch.autograd.functional.hessian(f, torch.tensor(w))
    np.testing.assert_allclose(sigmoid_mse_hessian(X, y, w), H.numpy(), rtol=1e-10, atol=1e-14)


def test_binary_loss_input_errors():
    X, y, w = binary_problem(0)
    with pytest.raises(ValueError, match="w must have one entry per column of X \\(4\\), got 3"):
        logistic_loss(X, y, w[:3])
    with pytest.raises(ValueError, match="y must hold labels in \\[0, 1\\]"):
        logistic_grad(X, y + 1, w)
    with pytest.raises(ValueError, match="same number of rows"):
        logistic_loss(X, y[:-1], w)
    with pytest.raises(ValueError, match="X must be 2-D"):
        logistic_hessian(X[0], w)


# ---------------------------------------------------------------------------------------------
# softmax cross-entropy: value, gradient, Hessian
# ---------------------------------------------------------------------------------------------
def multiclass_problem(seed=0, n=50, d=3, K=4):
    rng = np.random.default_rng(seed)
    X = add_bias(rng.normal(size=(n, d - 1)))
    y = rng.integers(0, K, size=n)
    return X, y, rng.normal(size=(d, K))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_softmax_loss_and_grad_match_torch(seed):
    X, y, W = multiclass_problem(seed)
    Xt = torch.tensor(X)
    Wt = torch.tensor(W, requires_grad=True)
    ref = torch.nn.functional.cross_entropy(Xt @ Wt, torch.tensor(y))
    (g,) = torch.autograd.grad(ref, Wt)
    assert softmax_loss(X, y, W) == pytest.approx(ref.item(), rel=1e-13)
    assert softmax_loss(X, one_hot(y, 4), W) == pytest.approx(ref.item(), rel=1e-13)
    assert softmax_loss(X, y, W) == pytest.approx(log_loss(y, softmax(X @ W, axis=1), labels=range(4)), rel=1e-12)
    np.testing.assert_allclose(softmax_grad(X, y, W), g.numpy(), rtol=1e-11, atol=1e-14)


def test_softmax_loss_gradient_wrt_logits_is_p_minus_y():
    """notes D14: dCE/dz = p - y, checked by central differences."""
    z, y = np.array([0.3, 0.8, 0.2]), np.array([0.0, 0.0, 1.0])
    numeric = lib.utils.numerical_grad(lambda zz: -np.sum(y * log_softmax(zz)), z.copy(), eps=1e-6)
    np.testing.assert_allclose(numeric, softmax(z) - y, atol=1e-9)


@pytest.mark.parametrize("seed", [0, 1])
def test_softmax_hessian_matches_autograd_and_has_the_shift_null_space(seed):
    X, y, W = multiclass_problem(seed)
    d, K = W.shape
    Xt, yt = torch.tensor(X), torch.tensor(y)

    def f(theta):  # theta = vec(W), columns stacked
        return torch.nn.functional.cross_entropy(Xt @ theta.reshape(K, d).T, yt)

    H_ref = torch.autograd.functional.hessian(f, torch.tensor(W.ravel(order="F"))).numpy()
    H = softmax_hessian(X, W)
    np.testing.assert_allclose(H, H_ref, rtol=1e-10, atol=1e-14)
    u = np.random.default_rng(0).normal(size=d)
    np.testing.assert_allclose(H @ np.tile(u, K), 0.0, atol=1e-13)  # W + u 1^T changes nothing
    eig = np.linalg.eigvalsh(H)
    assert eig.min() > -1e-12 and np.sum(eig < 1e-10) == d


def test_softmax_loss_input_errors():
    X, y, W = multiclass_problem(0)
    with pytest.raises(ValueError, match="W must have one row per column of X \\(3\\)"):
        softmax_loss(X, y, W[:2])
    with pytest.raises(ValueError, match="Y must have shape"):
        softmax_loss(X, one_hot(y, 4)[:, :3], W)
    with pytest.raises(ValueError, match="probability vector"):
        softmax_grad(X, 2 * one_hot(y, 4), W)


# ---------------------------------------------------------------------------------------------
# LogisticRegression against scikit-learn
# ---------------------------------------------------------------------------------------------
def classification_datasets():
    bc = lib.data.breast_cancer(standardize=True)
    Xb, yb = make_classification(200, 5, n_informative=3, n_redundant=0, flip_y=0.2, random_state=0)
    Xm, ym = make_classification(300, 6, n_informative=4, n_redundant=0, n_classes=4, flip_y=0.1, random_state=1)
    Xo, yo = make_blobs(200, centers=3, cluster_std=2.5, random_state=1)
    iris = lib.data.iris()
    return [
        ("breast_cancer", bc.X, bc.y),
        ("binary_noisy", Xb, yb),
        ("iris", iris.X, iris.y),
        ("four_classes", Xm, ym),
        ("blobs", Xo, yo),
    ]


DATASETS = classification_datasets()
IDS = [name for name, *_ in DATASETS]


def objective_at(model, coef, intercept, X, y):
    """Our objective J evaluated at someone else's parameters."""
    clone = LogisticRegression(**model.get_params())
    clone.classes_, clone.n_features_in_ = model.classes_, model.n_features_in_
    clone.coef_, clone.intercept_ = np.asarray(coef, float), np.asarray(intercept, float)
    return clone.objective(X, y)


@pytest.mark.parametrize("name, X, y", DATASETS, ids=IDS)
@pytest.mark.parametrize("C", [0.1, 1.0, 100.0])
def test_logistic_regression_matches_scikit_learn(name, X, y, C):
    ours = LogisticRegression(C=C).fit(X, y)
    ref = SkLogisticRegression(C=C, solver="newton-cholesky", tol=1e-10, max_iter=1000).fit(X, y)
    assert ours.coef_.shape == ref.coef_.shape and ours.intercept_.shape == ref.intercept_.shape
    np.testing.assert_array_equal(ours.classes_, ref.classes_)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-7)
    scale = max(1.0, np.abs(ref.coef_).max())
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-6 * scale)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, atol=1e-6 * scale)
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))
    # the same objective (scikit-learn's is C n times ours): equal optimal values
    j_ours = ours.objective(X, y)
    j_ref = objective_at(ours, ref.coef_, ref.intercept_, X, y)
    assert j_ours == pytest.approx(j_ref, rel=1e-10, abs=1e-12)
    assert j_ours <= j_ref + 1e-12


def test_logistic_regression_matches_scikit_learn_on_digits():
    """64 pixels, 10 classes (first 600 images; constant pixels make the L2 penalty necessary)."""
    d = lib.data.digits()
    X, y = d.X[:600] / 16, d.y[:600]
    ours = LogisticRegression(C=1.0).fit(X, y)
    ref = SkLogisticRegression(C=1.0, solver="newton-cholesky", tol=1e-10).fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-6)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-7)
    assert ours.objective(X, y) == pytest.approx(objective_at(ours, ref.coef_, ref.intercept_, X, y), rel=1e-10)
    assert ours.n_iter_ <= 10


@pytest.mark.parametrize("name", ["binary_noisy", "four_classes"])
def test_unpenalized_logistic_regression_matches_scikit_learn(name):
    X, y = dict((n, (a, b)) for n, a, b in DATASETS)[name]
    ours = LogisticRegression(C=np.inf).fit(X, y)
    ref = SkLogisticRegression(C=np.inf, solver="newton-cholesky", tol=1e-12, max_iter=1000).fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-5, atol=1e-6)
    # the maximum-likelihood estimate: the gradient of the mean cross-entropy vanishes
    if ours.coef_.shape[0] == 1:
        g = logistic_grad(add_bias(X), y, np.concatenate([ours.intercept_, ours.coef_[0]]))
    else:
        g = softmax_grad(add_bias(X), y, np.vstack([ours.intercept_, ours.coef_.T]))
    assert np.abs(g).max() < 1e-9


@pytest.mark.parametrize("solver", ["lbfgs", "gd"])
def test_solvers_agree_with_newton(solver):
    bc = lib.data.breast_cancer(standardize=True)
    iris = lib.data.iris(features=(2, 3))
    for X, y in [(bc.X, bc.y), ((iris.X - iris.X.mean(0)) / iris.X.std(0), iris.y)]:
        newton = LogisticRegression(C=1.0).fit(X, y)
        other = LogisticRegression(C=1.0, solver=solver, max_iter=20_000, tol=1e-7).fit(X, y)
        # |theta - theta*| <= |grad| / lambda_min(Hessian), and lambda_min >= 1 / (C n) ~ 1.8e-3 here
        np.testing.assert_allclose(other.coef_, newton.coef_, atol=1e-7 / 1.7e-3)
        assert other.objective(X, y) == pytest.approx(newton.objective(X, y), rel=1e-9)
        assert other.objective(X, y) >= newton.objective(X, y) - 1e-14


def test_newton_converges_in_few_steps_and_binary_gradient_vanishes():
    bc = lib.data.breast_cancer(standardize=True)
    model = LogisticRegression(C=1.0).fit(bc.X, bc.y)
    assert model.n_iter_ <= 12
    A = add_bias(bc.X)
    theta = np.concatenate([model.intercept_, model.coef_[0]])
    g = logistic_grad(A, bc.y, theta) + np.concatenate([[0.0], model.coef_[0]]) / len(bc.y)
    assert np.linalg.norm(g) < 1e-8


def test_without_intercept_string_labels_and_decision_function():
    X, y = DATASETS[1][1], DATASETS[1][2]
    labels = np.where(y == 1, "spam", "ham")
    ours = LogisticRegression(C=0.5, fit_intercept=False).fit(X, labels)
    ref = SkLogisticRegression(C=0.5, fit_intercept=False, solver="newton-cholesky", tol=1e-12).fit(X, labels)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-6, atol=1e-8)
    assert ours.intercept_.tolist() == [0.0]
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))
    np.testing.assert_allclose(ours.decision_function(X), ref.decision_function(X), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ours.predict_log_proba(X), ref.predict_log_proba(X), rtol=1e-6, atol=1e-8)
    assert ours.score(X, labels) == pytest.approx(ref.score(X, labels))


def test_multinomial_parameters_are_centred_like_scikit_learn():
    X, y = DATASETS[2][1], DATASETS[2][2]
    for C in (1.0, np.inf):
        model = LogisticRegression(C=C).fit(X, y)
        assert abs(model.intercept_.sum()) < 1e-9
        if C != np.inf:
            np.testing.assert_allclose(model.coef_.sum(axis=0), 0.0, atol=1e-9)


def test_iris_petal_softmax_train_accuracy_of_the_notes():
    """notes L2.2: on iris with 2 features and 3 classes the training accuracy is at least 0.95."""
    iris = lib.data.iris(features=(2, 3))
    assert LogisticRegression(C=100.0).fit(iris.X, iris.y).score(iris.X, iris.y) >= 0.95
    assert OneVsRestClassifier(LogisticRegression(C=100.0)).fit(iris.X, iris.y).score(iris.X, iris.y) >= 0.95


def test_two_class_softmax_equals_logistic_regression():
    """A 2-class problem fitted as K = 2 softmax gives sigma(x(w1 - w2)) = the logistic model (notes L2.2)."""
    X, y = DATASETS[1][1], DATASETS[1][2]
    binary = LogisticRegression(C=np.inf).fit(X, y)
    A = add_bias(X)
    res = lib.optim.newton(
        lambda t: softmax_grad(A, y, t.reshape(2, -1).T).ravel(order="F"),
        lambda t: softmax_hessian(A, t.reshape(2, -1).T) + np.kron(np.full((2, 2), 0.5), np.eye(A.shape[1])),
        np.zeros(2 * A.shape[1]),
        n_steps=50,
    )
    W = res.w.reshape(2, -1).T
    np.testing.assert_allclose(W[:, 1] - W[:, 0], np.concatenate([binary.intercept_, binary.coef_[0]]), atol=1e-7)


def test_convergence_warning_and_parameter_errors():
    X, y = DATASETS[0][1], DATASETS[0][2]
    with pytest.warns(ConvergenceWarning, match="did not converge in max_iter=2"):
        LogisticRegression(max_iter=2).fit(X, y)
    with pytest.raises(ValueError, match="C must be > 0"):
        LogisticRegression(C=0.0).fit(X, y)
    with pytest.raises(TypeError, match="C must be a real"):
        LogisticRegression(C="1").fit(X, y)
    with pytest.raises(ValueError, match="solver must be one of"):
        LogisticRegression(solver="sag").fit(X, y)
    with pytest.raises(ValueError, match="learning_rate must be > 0"):
        LogisticRegression(solver="gd", learning_rate=-1.0).fit(X, y)
    with pytest.raises(TypeError, match="fit_intercept must be a bool"):
        LogisticRegression(fit_intercept=1).fit(X, y)
    with pytest.raises(ValueError, match="at least 2 classes, but it contains only one class: 0.0"):
        LogisticRegression().fit(X, np.zeros(len(X)))
    with pytest.raises(ValueError, match="Unknown label type: continuous"):
        LogisticRegression().fit(X, np.linspace(0, 1, len(X)))
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        LogisticRegression().fit(X, y[:-1])
    with pytest.raises(NotFittedError, match="not fitted"):
        LogisticRegression().predict(X)
    model = LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match="X has 3 features, but LogisticRegression is expecting 30 features"):
        model.predict_proba(X[:, :3])
    with pytest.raises(ValueError, match="labels not seen in fit"):
        model.objective(X, y + 5)
    assert repr(LogisticRegression()) == "LogisticRegression()"
    assert repr(LogisticRegression(C=0.5, solver="gd")) == "LogisticRegression(C=0.5, solver='gd')"


# ---------------------------------------------------------------------------------------------
# One-vs-rest against scikit-learn
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, X, y", [d for d in DATASETS if d[0] in ("iris", "blobs", "four_classes")])
def test_one_vs_rest_matches_scikit_learn(name, X, y):
    ours = OneVsRestClassifier(LogisticRegression(C=1.0)).fit(X, y)
    ref = SkOneVsRestClassifier(SkLogisticRegression(C=1.0, solver="newton-cholesky", tol=1e-10)).fit(X, y)
    assert len(ours.estimators_) == len(np.unique(y))
    for a, b in zip(ours.estimators_, ref.estimators_):
        np.testing.assert_allclose(a.coef_, b.coef_, atol=1e-6 * max(1, np.abs(b.coef_).max()))
    np.testing.assert_allclose(ours.decision_function(X), ref.decision_function(X), atol=1e-6)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-7)
    np.testing.assert_allclose(ours.predict_proba(X).sum(axis=1), 1.0)
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))


def test_one_vs_rest_accepts_a_scikit_learn_estimator_and_two_classes():
    X, y = DATASETS[1][1], DATASETS[1][2]
    ours = OneVsRestClassifier(SkLogisticRegression(C=1.0)).fit(X, y)
    assert len(ours.estimators_) == 1
    direct = SkLogisticRegression(C=1.0).fit(X, y)
    np.testing.assert_allclose(ours.predict_proba(X), direct.predict_proba(X), rtol=1e-10)
    with pytest.raises(TypeError, match="estimator must have a decision_function"):
        OneVsRestClassifier(lib.linear.Ridge()).fit(X, y)
    with pytest.raises(NotFittedError, match="not fitted"):
        OneVsRestClassifier(LogisticRegression()).predict(X)
