"""lib.bayes_np：折棍构造、中国餐馆过程、DP 混合模型的塌缩 Gibbs 采样。"""

import numpy as np
import pytest

from lib.bayes_np import (
    coclustering,
    crp,
    dp_sample,
    dpmm_gibbs,
    dpmm_predictive_logpdf,
    expected_num_clusters,
    stick_breaking,
)


def test_stick_breaking_moments():
    rng = np.random.default_rng(0)
    alpha, K = 2.0, 10
    W = np.array([stick_breaking(alpha, K, rng) for _ in range(20000)])
    assert abs(W[:, 0].mean() - 1 / (1 + alpha)) < 0.01
    assert abs((1 - W.sum(1)).mean() - (alpha / (1 + alpha)) ** K) < 0.003
    assert np.all(W.sum(1) <= 1)


def test_dp_sample_mean_is_base():
    rng = np.random.default_rng(1)
    GA = []
    for _ in range(3000):
        w, atoms = dp_sample(3.0, lambda n, r: r.normal(size=n), 200, rng)
        GA.append(w[atoms < 0].sum())
    GA = np.array(GA)
    assert abs(GA.mean() - 0.5) < 0.02  # E[G(A)] = H(A)
    assert abs(GA.var() - 0.25 / 4) < 0.01  # Var[G(A)] = H(A)(1 - H(A))/(alpha + 1)


def test_crp_table_count():
    rng = np.random.default_rng(2)
    K = np.array([np.unique(crp(100, 2.0, rng)).size for _ in range(2000)])
    exact = expected_num_clusters(100, 2.0)
    assert abs(K.mean() - exact) < 3 * K.std() / np.sqrt(K.size)
    z = crp(50, 1.0, rng)
    assert z[0] == 0 and np.all(np.diff(np.maximum.accumulate(z)) <= 1)  # 桌按开桌顺序编号


def test_expected_num_clusters():
    assert expected_num_clusters(1, 5.0) == 1.0
    np.testing.assert_allclose(expected_num_clusters(np.array([1, 2]), 1.0), [1.0, 1.5])
    with pytest.raises(ValueError, match="alpha"):
        expected_num_clusters(10, 0.0)
    with pytest.raises(ValueError, match="n must be"):
        expected_num_clusters(-1, 1.0)


def test_gibbs_prior_only_matches_crp():
    X = np.zeros((20, 2))
    tr = dpmm_gibbs(X, alpha=1.5, n_sweeps=4000, prior_only=True, rng=0)
    assert abs(tr.n_clusters[200:].mean() - expected_num_clusters(20, 1.5)) < 0.15


def test_gibbs_finds_three_clusters():
    rng = np.random.default_rng(3)
    C = np.array([[0.0, 0.0], [6.0, 0.0], [0.0, 6.0]])
    X = np.vstack([c + 0.5 * rng.normal(size=(40, 2)) for c in C])
    tr = dpmm_gibbs(X, alpha=0.5, sigma=0.5, tau0=5.0, n_sweeps=60, init="all", rng=1)
    big = [np.sum(np.bincount(z) >= 5) for z in tr.labels[20:]]
    assert np.bincount(big).argmax() == 3
    M = coclustering(tr.labels[20:])
    assert M[:40, :40].mean() > 0.95 and M[:40, 40:].mean() < 0.05
    # 更大的 alpha 给更多的簇
    means = [
        dpmm_gibbs(X, alpha=a, sigma=0.5, tau0=5.0, n_sweeps=40, rng=2).n_clusters[10:].mean() for a in (0.1, 10.0)
    ]
    assert means[0] < means[1]


def test_predictive_density_normalised():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(30, 1))
    z = (X[:, 0] > 0).astype(int)
    g = np.linspace(-30, 30, 20001)[:, None]
    p = np.exp(dpmm_predictive_logpdf(g, X, z, alpha=1.0, sigma=1.0, tau0=3.0, mu0=[0.0]))
    assert abs(np.trapezoid(p, g[:, 0]) - 1) < 1e-6


def test_bad_input():
    with pytest.raises(ValueError, match="alpha"):
        stick_breaking(-1.0, 5)
    with pytest.raises(ValueError, match="n_atoms"):
        stick_breaking(1.0, 0)
    with pytest.raises(ValueError, match="sigma"):
        dpmm_gibbs(np.zeros((3, 2)), sigma=0.0)
    with pytest.raises(ValueError, match="mu0"):
        dpmm_gibbs(np.zeros((3, 2)), mu0=[0.0])
    with pytest.raises(ValueError, match="init"):
        dpmm_gibbs(np.zeros((3, 2)), init="random")
    with pytest.raises(ValueError, match="NaN"):
        dpmm_gibbs(np.array([[0.0, np.nan]]))
