"""lib.sparse_coding：ISTA/FISTA 与 scikit-learn 的 Lasso 同一最优点，目标单调下降，正交字典时即软阈值。"""

import numpy as np
import pytest
from sklearn.linear_model import Lasso

from lib.linear import soft_threshold
from lib.sparse_coding import fista, ista, learn_dictionary, sparse_objective


def _problem(seed=0, p=30, k=50, n=5):
    rng = np.random.default_rng(seed)
    D = rng.normal(size=(p, k))
    D /= np.linalg.norm(D, axis=0)
    Z = rng.normal(size=(n, k)) * (rng.uniform(size=(n, k)) < 0.1)
    return D, Z @ D.T + 0.01 * rng.normal(size=(n, p))


@pytest.mark.parametrize("solver", [ista, fista])
def test_matches_sklearn_lasso(solver):
    D, X = _problem()
    alpha = 0.005
    Z, hist = solver(D, X, alpha, n_iter=20000, tol=1e-13)
    for x, z in zip(X, Z):
        ref = Lasso(alpha=alpha, fit_intercept=False, tol=1e-12, max_iter=100000).fit(D, x).coef_
        f = sparse_objective(D, x, z, alpha)[0]
        f_ref = sparse_objective(D, x, ref, alpha)[0]
        assert f <= f_ref + 1e-9
        np.testing.assert_allclose(z, ref, atol=1e-5)


def test_ista_monotone_fista_faster():
    D, X = _problem(1)
    _, h_ista = ista(D, X, 0.01, n_iter=200)
    _, h_fista = fista(D, X, 0.01, n_iter=200)
    assert np.all(np.diff(h_ista) <= 1e-12)
    assert h_fista[-1] < h_ista[-1]


def test_orthonormal_dictionary_is_soft_threshold():
    rng = np.random.default_rng(2)
    Q, _ = np.linalg.qr(rng.normal(size=(16, 16)))
    x = rng.normal(size=16)
    z, _ = ista(Q, x, 0.02, n_iter=5)
    np.testing.assert_allclose(z, soft_threshold(Q.T @ x, 0.02 * 16), atol=1e-12)


def test_learn_dictionary_decreases_objective():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(100, 8)) @ rng.normal(size=(8, 16))
    D, Z, obj = learn_dictionary(X, 12, 0.05, n_iter=8, rng=0)
    np.testing.assert_allclose(np.linalg.norm(D, axis=0), 1.0)
    assert obj[-1] < obj[0]


def test_bad_input():
    D, X = _problem()
    with pytest.raises(ValueError, match="columns"):
        ista(D, X[:, :5], 0.1)
    with pytest.raises(ValueError, match="alpha"):
        fista(D, X, -0.1)
    with pytest.raises(ValueError, match="n_iter"):
        fista(D, X, 0.1, n_iter=0)
