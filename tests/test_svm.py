"""lib.svm and lib.kernels (chapter 8) against scikit-learn's SVC / pairwise kernels, scipy's QP solver, the KKT
conditions, and the worked numbers of lecture L5 (toy SVM, RBF feature map)."""

import warnings

import numpy as np
import pytest
from scipy.optimize import minimize
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine, make_blobs, make_circles, make_moons
from sklearn.exceptions import NotFittedError
from sklearn.metrics.pairwise import linear_kernel as sk_linear
from sklearn.metrics.pairwise import polynomial_kernel as sk_poly
from sklearn.metrics.pairwise import rbf_kernel as sk_rbf
from sklearn.svm import SVC as SkSVC

from lib import kernels, svm
from lib.base import ConvergenceWarning
from lib.svm import SVC


def classification_sets():
    Xm, ym = make_moons(120, noise=0.2, random_state=0)
    Xb, yb = make_blobs(100, centers=2, cluster_std=2.5, random_state=1)
    Xc, yc = make_circles(100, noise=0.1, factor=0.5, random_state=0)
    bc = load_breast_cancer()
    Xs = bc.data[::4, :6]
    Xs = (Xs - Xs.mean(0)) / Xs.std(0)
    ys = np.where(bc.target[::4] == 1, "benign", "malignant")  # string labels
    return {"moons": (Xm, ym), "blobs": (Xb, yb), "circles": (Xc, yc), "breast_cancer": (Xs, ys)}


SETS = classification_sets()
TOY_X = np.array([[2.0, 2.0], [0.0, 0.0]])
TOY_Y = np.array([1, -1])


# ---------------------------------------------------------------------------------------------
# The worked example of lecture L5.2 (notes: verified by hand)
# ---------------------------------------------------------------------------------------------
def test_toy_hard_margin_svm_matches_notes():
    model = SVC(C=np.inf, kernel="linear").fit(TOY_X, TOY_Y)
    np.testing.assert_allclose(model.coef_, [[0.5, 0.5]], rtol=1e-12)
    np.testing.assert_allclose(model.intercept_, [-1.0], rtol=1e-12)
    np.testing.assert_allclose(model.alpha_, [0.25, 0.25], rtol=1e-12)
    assert model.primal_objective_ == pytest.approx(0.25, rel=1e-12)
    assert model.dual_objective_ == pytest.approx(0.25, rel=1e-12)
    y = np.array([1.0, -1.0])
    np.testing.assert_allclose(y * model.decision_function(TOY_X), [1.0, 1.0], rtol=1e-12)  # both on the margin
    assert svm.geometric_margin(TOY_X, y, model.coef_[0], model.intercept_[0]) == pytest.approx(np.sqrt(2))
    assert model.alpha_ @ y == 0.0


def test_toy_example_against_scipy_qp_on_the_primal():
    res = minimize(
        lambda p: 0.5 * (p[0] ** 2 + p[1] ** 2),
        x0=[1.0, 1.0, 0.0],
        constraints=[
            {"type": "ineq", "fun": lambda p, x=x, t=t: t * (x @ p[:2] + p[2]) - 1} for x, t in zip(TOY_X, TOY_Y)
        ],
        method="SLSQP",
        options={"ftol": 1e-14},
    )
    np.testing.assert_allclose(res.x, [0.5, 0.5, -1.0], atol=1e-7)


def test_distance_of_hyperplane_from_origin():
    w, b = np.array([3.0, 4.0]), -10.0
    closest = -b * w / (w @ w)  # the point of the plane nearest to the origin
    assert w @ closest + b == pytest.approx(0.0)
    assert np.linalg.norm(closest) == pytest.approx(abs(b) / np.linalg.norm(w))
    assert svm.signed_distance(np.zeros((1, 2)), w, b)[0] == pytest.approx(b / 5)


# ---------------------------------------------------------------------------------------------
# SVC against scikit-learn (libsvm) on several data sets, kernels and C
# ---------------------------------------------------------------------------------------------
def kkt_intercept_interval(model, X, y, C):
    """The interval of optimal intercepts when no multiplier is free, from the KKT conditions:
    a_n = 0 needs y_n h_n >= 1 and a_n = C needs y_n h_n <= 1, with h = f + b."""
    t = np.where(y == model.classes_[1], 1.0, -1.0)
    f = model.decision_function(X) - model.intercept_[0]
    lower = ((model.alpha_ == 0) & (t > 0)) | ((model.alpha_ == C) & (t < 0))  # these give b >= t - f
    return float(np.max((t - f)[lower])), float(np.min((t - f)[~lower]))


@pytest.mark.parametrize("name", list(SETS))
@pytest.mark.parametrize("kernel", ["linear", "poly", "rbf"])
@pytest.mark.parametrize("C", [0.1, 1.0, 10.0])
def test_svc_matches_scikit_learn(name, kernel, C):
    X, y = SETS[name]
    ours = SVC(C=C, kernel=kernel, tol=1e-7).fit(X, y)
    ref = SkSVC(C=C, kernel=kernel, tol=1e-7).fit(X, y)
    np.testing.assert_array_equal(ours.classes_, ref.classes_)
    # tolerance: both solvers stop when the KKT violation m - M < tol; the decision values then agree to ~1e-4
    scale = max(1.0, np.abs(ref.decision_function(X)).max())
    free = (ours.alpha_ > 0) & (ours.alpha_ < C)
    if free.any():  # b is determined: y_n h(x_n) = 1 on every free support vector
        offset = 0.0
    else:  # every support vector is at a = C: any b in [lo, hi] is optimal, libsvm and we may pick different ones
        lo, hi = kkt_intercept_interval(ours, X, y, C)
        assert lo - 1e-6 <= ref.intercept_[0] <= hi + 1e-6 and lo <= ours.intercept_[0] <= hi
        offset = ours.intercept_[0] - ref.intercept_[0]
    np.testing.assert_allclose(ours.decision_function(X) - offset, ref.decision_function(X), atol=1e-4 * scale)
    if not free.any():
        return
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))
    np.testing.assert_array_equal(ours.support_, ref.support_)
    np.testing.assert_array_equal(ours.n_support_, ref.n_support_)
    np.testing.assert_allclose(ours.support_vectors_, ref.support_vectors_)
    np.testing.assert_allclose(ours.dual_coef_, ref.dual_coef_, atol=1e-3 * C)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, atol=1e-4 * scale)
    if kernel == "linear":
        np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-4 * max(1.0, np.abs(ref.coef_).max()))
    assert ours.score(X, y) == ref.score(X, y)


@pytest.mark.parametrize("gamma", ["scale", "auto", 0.5])
@pytest.mark.parametrize("degree, coef0", [(2, 1.0), (3, 0.5)])
def test_svc_hyperparameters_match_scikit_learn(gamma, degree, coef0):
    X, y = SETS["moons"]
    ours = SVC(C=2.0, kernel="poly", degree=degree, coef0=coef0, gamma=gamma, tol=1e-7).fit(X, y)
    ref = SkSVC(C=2.0, kernel="poly", degree=degree, coef0=coef0, gamma=gamma, tol=1e-7).fit(X, y)
    np.testing.assert_allclose(ours.decision_function(X), ref.decision_function(X), atol=1e-4)
    ours = SVC(C=2.0, kernel="rbf", gamma=gamma, tol=1e-7).fit(X, y)
    ref = SkSVC(C=2.0, kernel="rbf", gamma=gamma, tol=1e-7).fit(X, y)
    np.testing.assert_allclose(ours.decision_function(X), ref.decision_function(X), atol=1e-4)


# ---------------------------------------------------------------------------------------------
# More than two classes: one-vs-one, as scikit-learn (LIBSVM) does it
# ---------------------------------------------------------------------------------------------
def multiclass_sets():
    Xi, yi = load_iris(return_X_y=True)
    wine = load_wine()
    Xw = (wine.data - wine.data.mean(0)) / wine.data.std(0)
    Xb, yb = make_blobs(160, centers=4, cluster_std=2.0, random_state=0)
    digits = load_digits()
    keep = digits.target < 5
    Xd, yd = digits.data[keep][::6] / 16.0, digits.target[keep][::6]
    yw = np.array(["barolo", "grignolino", "barbera"])[wine.target[::2]]  # string labels, not in sorted order
    return {"iris": (Xi, yi), "wine": (Xw[::2], yw), "blobs4": (Xb, yb), "digits0-4": (Xd, yd)}


MULTI = multiclass_sets()


@pytest.mark.parametrize("name", list(MULTI))
@pytest.mark.parametrize("kernel", ["linear", "poly", "rbf"])
@pytest.mark.parametrize("C", [0.1, 1.0, 10.0])
def test_multiclass_svc_matches_scikit_learn(name, kernel, C):
    X, y = MULTI[name]
    ours = SVC(C=C, kernel=kernel, tol=1e-7).fit(X, y)
    ref = SkSVC(C=C, kernel=kernel, tol=1e-7).fit(X, y)
    K = len(ref.classes_)
    np.testing.assert_array_equal(ours.classes_, ref.classes_)
    np.testing.assert_array_equal(ours.support_, ref.support_)
    np.testing.assert_array_equal(ours.n_support_, ref.n_support_)
    np.testing.assert_allclose(ours.support_vectors_, ref.support_vectors_)
    assert ours.dual_coef_.shape == ref.dual_coef_.shape == (K - 1, len(ref.support_))
    assert ours.intercept_.shape == ref.intercept_.shape == ours.n_iter_.shape == (K * (K - 1) // 2,)
    ovo_ref = SkSVC(C=C, kernel=kernel, tol=1e-7, decision_function_shape="ovo").fit(X, y).decision_function(X)
    scale = max(1.0, np.abs(ovo_ref).max())
    np.testing.assert_allclose(ours.dual_coef_, ref.dual_coef_, atol=1e-3 * C)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, atol=1e-4 * scale)
    np.testing.assert_allclose(
        ours.set_params(decision_function_shape="ovo").decision_function(X), ovo_ref, atol=1e-4 * scale
    )
    np.testing.assert_allclose(
        ours.set_params(decision_function_shape="ovr").decision_function(X), ref.decision_function(X), atol=1e-4
    )
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))
    if kernel == "linear":
        np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-4 * max(1.0, np.abs(ref.coef_).max()))
    assert ours.score(X, y) == ref.score(X, y)


def test_one_vs_one_is_a_set_of_binary_svms_and_a_vote():
    X, y = MULTI["blobs4"]
    model = SVC(C=1.0, kernel="rbf", decision_function_shape="ovo").fit(X, y)
    dec = model.decision_function(X)
    votes = np.zeros((len(X), 4))
    pairs = [(i, j) for i in range(4) for j in range(i + 1, 4)]
    assert dec.shape == (len(X), len(pairs)) and model.alpha_.shape == (len(pairs), len(X))
    for p, (i, j) in enumerate(pairs):
        # the pair's SVM is exactly a binary SVC on the samples of classes i and j (class j positive), sign flipped
        pair = (y == i) | (y == j)
        binary = SVC(C=1.0, kernel="rbf", gamma=model._gamma).fit(X[pair], y[pair])
        np.testing.assert_allclose(dec[:, p], -binary.decision_function(X), atol=1e-12)
        np.testing.assert_array_equal(model.alpha_[p, pair], binary.alpha_)
        assert np.all(model.alpha_[p, ~pair] == 0) and model.dual_objective_[p] == binary.dual_objective_
        votes[:, i] += dec[:, p] > 0
        votes[:, j] += dec[:, p] <= 0
    np.testing.assert_array_equal(model.predict(X), np.argmax(votes, axis=1))  # ties: the smaller class index
    ovr = model.set_params(decision_function_shape="ovr").decision_function(X)
    assert np.all(np.abs(ovr - votes) < 1 / 3)  # votes plus a confidence term of size < 1/3
    assert model.converged_ and model.n_iter_.shape == (len(pairs),)


def test_break_ties_matches_scikit_learn():
    X, y = MULTI["blobs4"]
    grid = np.linspace(X.min(0), X.max(0), 60)
    X_test = np.array(np.meshgrid(grid[:, 0], grid[:, 1])).reshape(2, -1).T
    ours = SVC(C=0.05, kernel="linear", break_ties=True, tol=1e-7).fit(X, y)
    ref = SkSVC(C=0.05, kernel="linear", break_ties=True, tol=1e-7).fit(X, y)
    voted = ours.set_params(break_ties=False).predict(X_test)
    broken = ours.set_params(break_ties=True).predict(X_test)
    assert np.sum(voted != broken) > 0  # some grid points have tied votes
    np.testing.assert_array_equal(broken, ref.predict(X_test))
    np.testing.assert_array_equal(broken, np.argmax(ours.decision_function(X_test), axis=1))


def test_hard_margin_equals_large_c_on_separable_data_and_matches_scipy_primal():
    X, y = make_blobs(60, centers=2, cluster_std=0.8, random_state=3)
    t = np.where(y == 1, 1.0, -1.0)
    hard = SVC(C=np.inf, kernel="linear", tol=1e-9).fit(X, y)
    ref = SkSVC(C=1e8, kernel="linear", tol=1e-9).fit(X, y)
    np.testing.assert_allclose(hard.coef_, ref.coef_, rtol=1e-5)
    np.testing.assert_allclose(hard.intercept_, ref.intercept_, rtol=1e-5)
    cons = [{"type": "ineq", "fun": lambda p: t * (X @ p[:2] + p[2]) - 1}]
    qp = minimize(
        lambda p: 0.5 * p[:2] @ p[:2],
        x0=np.r_[hard.coef_[0] * 2, 0.0],
        constraints=cons,
        method="SLSQP",
        options={"ftol": 1e-15, "maxiter": 1000},
    )
    np.testing.assert_allclose(np.r_[hard.coef_[0], hard.intercept_], qp.x, rtol=1e-5, atol=1e-7)
    assert hard.primal_objective_ == pytest.approx(hard.dual_objective_, rel=1e-8)  # strong duality


# ---------------------------------------------------------------------------------------------
# KKT conditions on the solution (section 8.2, 8.3)
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["moons", "blobs", "breast_cancer"])
@pytest.mark.parametrize("C", [0.5, 5.0])
def test_kkt_conditions_hold_at_the_smo_solution(name, C):
    X, y = SETS[name]
    tol = 1e-8
    model = SVC(C=C, kernel="rbf", tol=tol).fit(X, y)
    t = np.where(y == model.classes_[1], 1.0, -1.0)
    a = model.alpha_
    yh = t * model.decision_function(X)
    assert np.all(a >= 0) and np.all(a <= C)  # dual feasibility (box)
    assert abs(a @ t) < 1e-10 * C * len(a)  # sum a_n y_n = 0
    free, at_c, zero = (a > 0) & (a < C), a == C, a == 0
    assert free.any()
    np.testing.assert_allclose(yh[free], 1.0, atol=10 * tol)  # on the margin
    assert np.all(yh[zero] >= 1 - 10 * tol)  # outside the margin
    assert np.all(yh[at_c] <= 1 + 10 * tol)  # on or inside the margin (slack > 0)
    assert model.primal_objective_ - model.dual_objective_ < 1e-6 * model.primal_objective_  # duality gap
    assert model.primal_objective_ >= model.dual_objective_ - 1e-9  # weak duality


def test_dual_objective_function_and_smo_path():
    X, y = SETS["blobs"]
    t = np.where(y == 1, 1.0, -1.0)
    K = kernels.linear_kernel(X)
    res = svm.smo(K, t, C=1.0, tol=1e-6, record=True)
    assert res.converged and res.gap < 1e-6
    assert svm.dual_objective(res.alpha, t, K) == pytest.approx(res.objective_path[-1], rel=1e-12)
    assert np.all(np.diff(res.objective_path) >= -1e-12)  # every SMO step increases g(a)
    assert res.alpha_path.shape == (res.n_iter + 1, len(t)) and res.pairs.shape == (res.n_iter, 2)
    np.testing.assert_allclose(res.alpha_path @ t, 0.0, atol=1e-10)  # every iterate stays feasible


# ---------------------------------------------------------------------------------------------
# Kernels
# ---------------------------------------------------------------------------------------------
def test_kernels_match_scikit_learn():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(7, 3)), rng.normal(size=(5, 3))
    np.testing.assert_allclose(kernels.linear_kernel(X, Y), sk_linear(X, Y), rtol=1e-12)
    for gamma in (None, 0.3):
        np.testing.assert_allclose(kernels.rbf_kernel(X, Y, gamma), sk_rbf(X, Y, gamma=gamma), rtol=1e-12)
        for degree, coef0 in ((2, 1.0), (3, 0.0), (4, 2.5)):
            np.testing.assert_allclose(
                kernels.polynomial_kernel(X, Y, degree, gamma, coef0), sk_poly(X, Y, degree, gamma, coef0), rtol=1e-12
            )
    np.testing.assert_allclose(np.diag(kernels.rbf_kernel(X)), 1.0)


def test_rbf_feature_map_reproduces_the_kernel_value_of_the_notes():
    """Notes L5.4: 40 terms of the 1-D RBF feature map give k = 0.699081 for sigma = 1.3, x = 0.7, x' = -0.4."""
    sigma, x, xp = 1.3, 0.7, -0.4
    phi = kernels.rbf_feature_map_1d(np.array([x, xp]), sigma, 40)
    k_series = phi[0] @ phi[1]
    k_exact = np.exp(-((x - xp) ** 2) / (2 * sigma**2))
    assert k_series == pytest.approx(k_exact, abs=1e-12)
    assert round(k_exact, 6) == 0.699081
    gamma = kernels.sigma_to_gamma(sigma)
    assert kernels.rbf_kernel([[x]], [[xp]], gamma)[0, 0] == pytest.approx(k_exact, rel=1e-14)
    # the truncation error is the tail of the exponential series, so it falls faster than geometrically
    errors = [
        abs(kernels.rbf_feature_map_1d(np.array([x, xp]), sigma, T).prod(axis=0).sum() - k_exact) for T in (2, 4, 8)
    ]
    assert errors[0] > errors[1] > errors[2]


@pytest.mark.parametrize("degree, gamma, coef0", [(2, 1.0, 1.0), (3, 0.5, 2.0), (2, 2.0, 0.0)])
def test_polynomial_feature_map_gives_the_polynomial_kernel(degree, gamma, coef0):
    rng = np.random.default_rng(1)
    X, Y = rng.normal(size=(6, 2)), rng.normal(size=(4, 2))
    PX = kernels.polynomial_feature_map(X, degree, gamma, coef0)
    PY = kernels.polynomial_feature_map(Y, degree, gamma, coef0)
    np.testing.assert_allclose(PX @ PY.T, kernels.polynomial_kernel(X, Y, degree, gamma, coef0), rtol=1e-10)


def test_two_d_quadratic_kernel_has_the_six_explicit_features():
    """Notes L5.4: (x^T x' + 1)^2 equals the inner product of (1, sqrt2 x1, sqrt2 x2, x1^2, sqrt2 x1 x2, x2^2)."""
    x = np.array([[0.3, -1.2]])
    phi = kernels.polynomial_feature_map(x, 2, 1.0, 1.0)[0]
    x1, x2 = x[0]
    r2 = np.sqrt(2)
    np.testing.assert_allclose(phi, [1, r2 * x1, r2 * x2, x1**2, r2 * x1 * x2, x2**2], rtol=1e-14)


def test_gram_matrices_are_positive_semidefinite():
    X = SETS["moons"][0]
    for K in (kernels.rbf_kernel(X, gamma=2.0), kernels.polynomial_kernel(X, degree=3), kernels.linear_kernel(X)):
        assert np.linalg.eigvalsh(K).min() >= -1e-10 * np.abs(K).max()


# ---------------------------------------------------------------------------------------------
# Losses and the subgradient solver (section 8.5)
# ---------------------------------------------------------------------------------------------
def test_logistic_loss_is_cross_entropy_with_pm1_labels():
    rng = np.random.default_rng(2)
    h = rng.normal(scale=3, size=50)
    y = rng.choice([-1.0, 1.0], size=50)
    yt = (y + 1) / 2
    p = 1 / (1 + np.exp(-h))
    ce = -(yt * np.log(p) + (1 - yt) * np.log(1 - p))
    np.testing.assert_allclose(svm.logistic_loss(y * h), ce, rtol=1e-10)
    assert np.isfinite(svm.logistic_loss(-1000.0)) and svm.logistic_loss(-1000.0) == pytest.approx(1000.0)


def test_margin_losses_and_bounds():
    z = np.linspace(-3, 3, 601)
    np.testing.assert_array_equal(svm.zero_one_loss(z), (z < 0).astype(float))
    np.testing.assert_allclose(svm.hinge_loss(z), np.maximum(0, 1 - z))
    assert np.all(svm.hinge_loss(z) >= svm.zero_one_loss(z))  # hinge is a convex upper bound of 0-1
    assert np.all(svm.logistic_loss(z) / np.log(2) >= svm.zero_one_loss(z))  # so is log2(1 + e^-z)
    assert np.all(np.isinf(svm.hard_margin_loss(z[z < 1]))) and np.all(svm.hard_margin_loss(z[z >= 1]) == 0)
    # the subgradient of the hinge (not ReLU's derivative): -1 left of the kink, 0 right of it
    eps = 1e-6
    for z0 in (-2.0, 0.5, 1.5, 3.0):
        numeric = (svm.hinge_loss(z0 + eps) - svm.hinge_loss(z0 - eps)) / (2 * eps)
        assert svm.hinge_subgradient(z0) == pytest.approx(numeric, abs=1e-6)


@pytest.mark.parametrize("C", [0.1, 1.0])
def test_subgradient_descent_reaches_the_smo_optimum(C):
    X, y = SETS["blobs"]
    X = (X - X.mean(0)) / X.std(0)
    t = np.where(y == 1, 1.0, -1.0)
    exact = SVC(C=C, kernel="linear", tol=1e-9).fit(X, t)
    opt = svm.svm_primal_objective(np.r_[exact.coef_[0], exact.intercept_], X, t, C)
    assert opt == pytest.approx(exact.primal_objective_, rel=1e-9)
    w, b, res = svm.fit_linear_svm_subgradient(X, t, C, n_steps=2000)
    found = svm.svm_primal_objective(np.r_[w, b], X, t, C)
    assert opt <= found <= opt * (1 + 1e-2)  # notes L5.5: within 1e-2 of the QP optimum
    assert found == pytest.approx(res.losses.min())


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------
def test_svm_errors():
    X, y = SETS["moons"]
    with pytest.raises(ValueError, match="C must be > 0"):
        SVC(C=0.0).fit(X, y)
    with pytest.raises(ValueError, match="kernel must be one of"):
        SVC(kernel="sigmoid").fit(X, y)
    with pytest.raises(ValueError, match="gamma must be 'scale', 'auto' or a positive float"):
        SVC(gamma="large").fit(X, y)
    with pytest.raises(ValueError, match="only one class: 0"):
        SVC().fit(X[:9], np.zeros(9, dtype=int))
    with pytest.raises(ValueError, match="Unknown label type: continuous"):
        SVC().fit(X, X[:, 0])
    with pytest.raises(ValueError, match="decision_function_shape must be one of"):
        SVC(decision_function_shape="ova").fit(X, y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        SVC().fit(X, y[:-1])
    with pytest.raises(NotFittedError, match="not fitted"):
        SVC().decision_function(X)
    with pytest.raises(AttributeError, match="only available when kernel='linear'"):
        _ = SVC().fit(X, y).coef_
    with pytest.raises(ValueError, match="not linearly separable in the kernel's feature space"):
        SVC(C=np.inf, kernel="linear").fit(X, y)  # moons overlap: the hard-margin dual is unbounded
    t = np.where(y == 1, 1.0, -1.0)
    assert not svm.separable(kernels.linear_kernel(X), t)
    assert svm.separable(kernels.rbf_kernel(X, gamma=50.0), t)  # a narrow RBF separates any distinct points
    assert SVC(C=np.inf, kernel="rbf", gamma=50.0).fit(X, y).score(X, y) == 1.0
    with pytest.raises(ValueError, match="y must contain only the labels -1 and \\+1"):
        svm.smo(np.eye(2), [0.0, 1.0])
    with pytest.raises(ValueError, match="both labels"):
        svm.smo(np.eye(2), [1.0, 1.0])
    with pytest.raises(ValueError, match="w must not be the zero vector"):
        svm.signed_distance(X, np.zeros(2), 1.0)
    with pytest.raises(ValueError, match="params must be \\[w, b\\] of length 3"):
        svm.svm_primal_objective(np.zeros(2), X, np.ones(len(X)))
    with pytest.raises(ValueError, match="X and Y must have the same number of features"):
        kernels.rbf_kernel(np.zeros((2, 2)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="sigma must be > 0"):
        kernels.rbf_feature_map_1d([0.0], 0.0, 3)
    with pytest.warns(ConvergenceWarning, match="stopped after max_iter=3"):
        model = SVC(max_iter=3).fit(X, y)
    assert not model.converged_
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        SVC().fit(X, y)
    assert repr(SVC()) == "SVC()" and repr(SVC(C=2.0, kernel="poly")) == "SVC(C=2.0, kernel='poly')"
