"""lib.nn.perceptron: equal to scikit-learn's Perceptron; the Novikoff bound; linear separability of gates."""

import itertools

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import Perceptron as SkPerceptron

import lib
from lib.nn import Perceptron


def separable_blobs(seed=0, n=60):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    y = (X @ [1.0, -2.0] + 0.3 > 0).astype(int)
    X = X + 0.3 * (2 * y[:, None] - 1) * np.array([1.0, -2.0]) / np.sqrt(5)  # open a margin
    return X, y


@pytest.mark.parametrize("max_iter", [1, 3, 50])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_equals_sklearn_perceptron(max_iter, seed):
    X, y = separable_blobs(seed)
    if seed == 2:  # not separable: flip some labels
        y = y.copy()
        y[:5] = 1 - y[:5]
    ours = Perceptron(eta0=1.0, max_iter=max_iter).fit(X, y)
    theirs = SkPerceptron(eta0=1.0, max_iter=max_iter, tol=None, shuffle=False).fit(X, y)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))


def test_novikoff_bound_holds():
    for seed in range(5):
        X, y = separable_blobs(seed)
        p = Perceptron().fit(X, y)
        assert p.converged_ and p.score(X, y) == 1.0
        _, gamma = lib.nn.max_margin(X, y)
        R = np.linalg.norm(np.hstack([X, np.ones((len(X), 1))]), axis=1).max()
        assert p.mistakes_ <= (R / gamma) ** 2


def test_max_margin_is_the_svm_margin():
    X, y = separable_blobs(0)
    u, gamma = lib.nn.max_margin(X, y)
    t = np.where(y == 1, 1.0, -1.0)
    Xa = np.hstack([X, np.ones((len(X), 1))])
    assert np.isclose(np.linalg.norm(u), 1.0) and np.isclose(np.min(t * (Xa @ u)), gamma)
    rng = np.random.default_rng(0)  # no random unit direction does better
    for v in rng.normal(size=(2000, 3)):
        v /= np.linalg.norm(v)
        assert np.min(t * (Xa @ v)) <= gamma + 1e-7


def test_gates_and_xor():
    for name in ("and", "or", "nand", "nor"):
        d = lib.nn.logic_gate(name)
        assert lib.nn.is_linearly_separable(d.X, d.y)
        assert Perceptron().fit(d.X, d.y).score(d.X, d.y) == 1.0
    xor = lib.nn.logic_gate("xor")
    assert not lib.nn.is_linearly_separable(xor.X, xor.y)
    p = Perceptron(max_iter=1000).fit(xor.X, xor.y)
    assert not p.converged_ and p.score(xor.X, xor.y) < 1.0
    with pytest.raises(ValueError, match="not linearly separable"):
        lib.nn.max_margin(xor.X, xor.y)


def test_14_of_16_two_input_boolean_functions_are_separable():
    X = np.array(list(itertools.product([0, 1], repeat=2)), dtype=float)
    count = sum(
        lib.nn.is_linearly_separable(X, np.array(bits))
        for bits in itertools.product([0, 1], repeat=4)
        if 0 < sum(bits) < 4
    )
    assert count + 2 == 14  # the two constant functions are trivially separable


def test_perceptron_errors():
    with pytest.raises(ValueError, match="unknown gate"):
        lib.nn.logic_gate("implies")
    with pytest.raises(ValueError, match="eta0"):
        Perceptron(eta0=-1.0).fit([[0.0], [1.0]], [0, 1])
    with pytest.raises(ValueError, match="exactly 2 classes"):
        Perceptron().fit([[0.0], [1.0], [2.0]], [0, 1, 2])
    with pytest.raises(NotFittedError, match="not fitted"):
        Perceptron().predict([[0.0]])
    with pytest.raises(ValueError, match="features"):
        Perceptron().fit([[0.0], [1.0]], [0, 1]).predict([[0.0, 1.0]])
