"""lib.cluster (chapter 10.1) against scikit-learn, scipy and the worked numbers of lecture L10 (seed-001 L10)."""

import numpy as np
import pytest
from scipy.spatial.distance import cdist
from scipy.special import logsumexp
from scipy.stats import multivariate_normal
from sklearn import cluster as skcluster
from sklearn import datasets
from sklearn.exceptions import NotFittedError

from lib.cluster import (
    KMeans,
    SoftKMeans,
    assign_clusters,
    init_centers,
    kmeans_objective,
    soft_assign,
    soft_kmeans_objective,
    squared_distances,
)


def clustering_datasets():
    blobs, _ = datasets.make_blobs(400, centers=4, cluster_std=1.2, random_state=0)
    aniso = blobs @ np.array([[0.6, -0.6], [-0.4, 0.8]])
    return [
        ("blobs", blobs),
        ("anisotropic", aniso),
        ("iris", datasets.load_iris().data),
        ("digits", datasets.load_digits().data[:600]),
    ]


DATA = clustering_datasets()
IDS = [name for name, _ in DATA]


def test_worked_example_of_the_notes():
    X = np.array([[0.0], [1.0], [10.0], [11.0]])
    km = KMeans(2, init=np.array([[0.0], [1.0]])).fit(X)
    np.testing.assert_allclose(np.sort(km.cluster_centers_[:, 0]), [0.5, 10.5])
    assert km.inertia_ == pytest.approx(1.0)
    np.testing.assert_array_equal(km.labels_, [0, 0, 1, 1])
    # the first assignment puts 1, 10 and 11 with the centre 1: J goes 0+0+81+100 = 181 -> ... -> 1
    assert km.objective_history_[0] == pytest.approx(181.0)
    assert km.objective_history_[-1] == pytest.approx(1.0)


def test_distances_and_objective_match_scipy():
    rng = np.random.default_rng(0)
    X, C = rng.normal(size=(50, 3)), rng.normal(size=(4, 3))
    np.testing.assert_allclose(squared_distances(X, C), cdist(X, C, "sqeuclidean"), atol=1e-12)
    labels = assign_clusters(X, C)
    np.testing.assert_array_equal(labels, cdist(X, C).argmin(axis=1))
    assert kmeans_objective(X, C) == pytest.approx(cdist(X, C, "sqeuclidean").min(axis=1).sum())
    assert kmeans_objective(X, C, labels) == pytest.approx(kmeans_objective(X, C))
    assert kmeans_objective(X, C, np.zeros(50, dtype=int)) >= kmeans_objective(X, C)


@pytest.mark.parametrize("name, X", DATA, ids=IDS)
@pytest.mark.parametrize("K", [2, 4, 7])
def test_kmeans_matches_scikit_learn_from_the_same_centres(name, X, K):
    C0 = init_centers(X, K, "k-means++", rng=K)
    ours = KMeans(K, init=C0, tol=0.0).fit(X)
    ref = skcluster.KMeans(K, init=C0, n_init=1, tol=0.0, algorithm="lloyd").fit(X)
    assert ours.inertia_ == pytest.approx(ref.inertia_, rel=1e-10)
    np.testing.assert_array_equal(ours.labels_, ref.labels_)
    np.testing.assert_allclose(ours.cluster_centers_, ref.cluster_centers_, rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(ours.predict(X[:20]), ref.predict(X[:20]))
    np.testing.assert_allclose(ours.transform(X[:20]), ref.transform(X[:20]), rtol=1e-9, atol=1e-9)
    assert ours.score(X) == pytest.approx(ref.score(X), rel=1e-10)


@pytest.mark.parametrize("name, X", DATA, ids=IDS)
@pytest.mark.parametrize("init", ["k-means++", "random", "furthest"])
def test_objective_is_monotone_and_the_centres_are_means(name, X, init):
    km = KMeans(5, init=init, n_init=2, random_state=1).fit(X)
    h = km.objective_history_
    assert np.all(np.diff(h) <= 1e-9 * h[0])  # every half-step (assign, update) never increases J
    assert h[-1] == pytest.approx(km.inertia_)
    for k in range(5):  # at convergence each centre is the mean of its cluster
        np.testing.assert_allclose(km.cluster_centers_[k], X[km.labels_ == k].mean(axis=0), rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(km.labels_, assign_clusters(X, km.cluster_centers_))


def test_best_of_n_init_is_not_worse_than_scikit_learn():
    X = DATA[0][1]
    ours = KMeans(4, n_init=10, random_state=0).fit(X)
    ref = skcluster.KMeans(4, n_init=10, random_state=0).fit(X)
    assert ours.inertia_ <= ref.inertia_ * (1 + 1e-6)


def test_kmeans_plus_plus_samples_proportional_to_squared_distance():
    X = np.array([[0.0], [1.0], [3.0], [7.0]])
    rng = np.random.default_rng(0)
    counts = np.zeros((4, 4))
    for _ in range(4000):
        C = init_centers(X, 2, "k-means++", rng=rng)
        first, second = (int(np.flatnonzero(X[:, 0] == c)[0]) for c in C[:, 0])
        counts[first, second] += 1
    for first in range(4):
        d2 = (X[:, 0] - X[first, 0]) ** 2
        expected = d2 / d2.sum()
        observed = counts[first] / counts[first].sum()
        np.testing.assert_allclose(observed, expected, atol=0.05)


def test_furthest_point_init_is_deterministic_after_the_first_pick():
    X = np.array([[0.0, 0.0], [1.0, 0.0], [10.0, 0.0], [0.0, 20.0]])
    C = init_centers(X, 3, "furthest", rng=3)
    first = C[0]
    d = ((X - first) ** 2).sum(axis=1)
    np.testing.assert_array_equal(C[1], X[np.argmax(d)])
    assert len({tuple(c) for c in C}) == 3


def test_empty_cluster_is_reseeded():
    X = np.array([[0.0], [0.1], [0.2], [5.0], [5.1]])
    km = KMeans(3, init=np.array([[0.1], [100.0], [5.0]])).fit(X)  # centre 100 starts empty
    assert len(np.unique(km.labels_)) == 3
    assert np.all(np.diff(km.objective_history_) <= 1e-12)


# ---------------------------------------------------------------------------------------------
# Soft K-means
# ---------------------------------------------------------------------------------------------
def test_soft_assignments_are_a_softmax():
    rng = np.random.default_rng(1)
    X, C = rng.normal(size=(30, 2)), rng.normal(size=(3, 2))
    for beta in (0.1, 1.0, 50.0):
        A = -beta * cdist(X, C, "sqeuclidean")
        np.testing.assert_allclose(soft_assign(X, C, beta), np.exp(A - logsumexp(A, axis=1, keepdims=True)))
        assert soft_kmeans_objective(X, C, beta) == pytest.approx(-logsumexp(A, axis=1).sum() / beta)
    R = soft_assign(1e3 * X, C, 10.0)  # no underflow to 0/0
    assert np.all(np.isfinite(R)) and np.allclose(R.sum(axis=1), 1)


def test_soft_objective_is_a_gaussian_mixture_log_likelihood():
    """F_beta = -(1/beta) [log-likelihood of an equal-weight isotropic GMM with variance 1/(2 beta)] + const."""
    rng = np.random.default_rng(2)
    X, C = rng.normal(size=(40, 2)), rng.normal(size=(3, 2))
    beta, K, d = 0.7, 3, 2
    var = 1 / (2 * beta)
    dens = sum(multivariate_normal(mean=c, cov=var * np.eye(d)).pdf(X) for c in C) / K
    loglik = np.log(dens).sum()
    const = len(X) * (np.log(K) + d / 2 * np.log(2 * np.pi * var))
    assert soft_kmeans_objective(X, C, beta) == pytest.approx(-(loglik + const) / beta, rel=1e-10)


@pytest.mark.parametrize("beta", [0.05, 0.5, 5.0])
def test_soft_kmeans_objective_is_monotone(beta):
    X = DATA[0][1]
    skm = SoftKMeans(4, beta=beta, random_state=0).fit(X)
    h = skm.objective_history_
    assert np.all(np.diff(h) <= 1e-9 * abs(h[0]))
    R = skm.responsibilities_
    np.testing.assert_allclose(skm.cluster_centers_, (R.T @ X) / R.sum(axis=0)[:, None], rtol=1e-6, atol=1e-6)


def test_soft_kmeans_limits():
    X = DATA[0][1]
    C0 = init_centers(X, 4, "k-means++", rng=0)
    hard = KMeans(4, init=C0).fit(X)
    soft = SoftKMeans(4, beta=50.0, init=C0).fit(X)  # large beta: hard K-means
    np.testing.assert_allclose(soft.cluster_centers_, hard.cluster_centers_, atol=1e-6)
    assert soft_kmeans_objective(X, soft.cluster_centers_, 50.0) == pytest.approx(hard.inertia_, rel=1e-6)
    melted = SoftKMeans(4, beta=1e-4, init=C0).fit(X)  # small beta: every centre at the global mean
    np.testing.assert_allclose(melted.cluster_centers_, np.tile(X.mean(axis=0), (4, 1)), atol=1e-3)


def test_cluster_errors():
    X = DATA[0][1]
    with pytest.raises(ValueError, match="n_samples=400 should be >= n_clusters=401"):
        KMeans(401).fit(X)
    with pytest.raises(ValueError, match="n_samples=400 should be >= n_clusters=401"):
        SoftKMeans(401).fit(X)
    with pytest.raises(ValueError, match="init must be one of"):
        KMeans(3, init="kmeans").fit(X)
    with pytest.raises(ValueError, match="init must have n_clusters=3 rows, got 2"):
        KMeans(3, init=X[:2]).fit(X)
    with pytest.raises(ValueError, match="centers must have 2 columns"):
        squared_distances(X, np.zeros((3, 5)))
    with pytest.raises(ValueError, match="beta must be > 0"):
        SoftKMeans(3, beta=0.0).fit(X)
    with pytest.raises(ValueError, match="labels must lie in \\[0, 2\\)"):
        kmeans_objective(X, X[:2], np.full(400, 5))
    with pytest.raises(NotFittedError, match="not fitted"):
        KMeans(3).predict(X)
    km = KMeans(3, n_init=1).fit(X)
    with pytest.raises(ValueError, match="X has 3 features, but KMeans is expecting 2 features"):
        km.predict(np.zeros((2, 3)))
