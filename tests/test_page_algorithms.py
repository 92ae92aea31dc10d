"""The short algorithms written out on the book's pages give the same results as lib's implementations.

Chapters 8–10 show the core of SMO, ID3/CART, AdaBoost and K-means as short, readable functions on the page (with
Chinese comments) rather than rendering lib's longer, production versions. This file reads each such function from
the section's .md file (the cell that defines it), executes it, and checks it against lib on several data sets, so
the page's version is never a silent second copy.
"""

from __future__ import annotations

import pathlib

import jupytext
import numpy as np
import pytest
from sklearn.datasets import make_blobs, make_classification, make_moons

import lib

ROOT = pathlib.Path(__file__).resolve().parents[1]


def is_import_cell(source: str) -> bool:
    lines = [line for line in source.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return bool(lines) and all(line.startswith(("import ", "from ")) for line in lines)


def page_function(md: str, name: str):
    """Execute the page's import cell(s) and the code cell of ``chapters/<md>`` that defines ``def name(``;
    return the function."""
    notebook = jupytext.read(ROOT / "chapters" / md)
    code = [c.source for c in notebook.cells if c.cell_type == "code"]
    cells = [src for src in code if f"def {name}(" in src]
    assert len(cells) == 1, f"expected one cell defining {name} in {md}, found {len(cells)}"
    namespace: dict = {}
    for src in [*filter(is_import_cell, code), cells[0]]:
        exec(compile(src, f"{md}:{name}", "exec"), namespace)
    return namespace[name]


# ---------------------------------------------------------------------------------------------
# 8.2 SMO
# ---------------------------------------------------------------------------------------------
def smo_problems():
    X, y01 = make_blobs(60, centers=[[-2.0, -1.0], [2.0, 1.5]], cluster_std=1.0, random_state=11)
    yield "separable, hard margin", lib.kernels.linear_kernel(X), np.where(y01 == 1, 1.0, -1.0), np.inf, 1e-10
    X, y01 = make_blobs(80, centers=[[-1.2, -0.8], [1.2, 0.8]], cluster_std=1.0, random_state=4)
    y = np.where(y01 == 1, 1.0, -1.0)
    for C in (0.001, 0.1, 1.0, 100.0):
        yield f"overlapping, C={C}", lib.kernels.linear_kernel(X), y, C, 1e-6
    X, y01 = make_moons(120, noise=0.25, random_state=0)
    y = np.where(y01 == 1, 1.0, -1.0)
    yield "moons, rbf", lib.kernels.rbf_kernel(X, gamma=2.0), y, 10.0, 1e-3
    yield "moons, poly", lib.kernels.polynomial_kernel(X, degree=3, gamma=1.0, coef0=1.0), y, 1.0, 1e-5
    X = np.repeat(X[:20], 2, axis=0)  # duplicated samples: zero curvature along some pairs
    yield "duplicates", lib.kernels.linear_kernel(X), np.repeat(y[:20], 2), 1.0, 1e-6


@pytest.mark.parametrize("name, K, y, C, tol", list(smo_problems()), ids=[p[0] for p in smo_problems()])
def test_page_smo_equals_lib(name, K, y, C, tol):
    smo_core = page_function("08_svm/02_dual_kkt.md", "smo_core")
    alpha, n_iter = smo_core(K, y, C, tol=tol)
    ref = lib.svm.smo(K, y, C, tol=tol)
    assert n_iter == ref.n_iter
    np.testing.assert_allclose(alpha, ref.alpha, rtol=0, atol=1e-12)
    free = (alpha > 0) & (alpha < C)
    if free.any():  # the page's intercept (eq-dual-intercept over the free multipliers) is lib's
        b = np.mean(y[free] - (alpha * y) @ K[:, free])
        assert abs(b - ref.b) < 1e-9


# ---------------------------------------------------------------------------------------------
# 9.2 ID3 (categorical attributes) and the best threshold of a numeric attribute (CART)
# ---------------------------------------------------------------------------------------------
def lib_tree_as_nested(tree, names):
    """lib's fitted tree in the page's format: a class (leaf) or (attribute name, {value: subtree})."""

    def convert(node):
        if node.is_leaf:
            return tree.classes_[int(np.argmax(node.value))].item()
        values = tree.categories_[node.feature][node.child_codes.astype(int)]
        return names[node.feature], {v.item(): convert(child) for v, child in zip(values, node.children)}

    return convert(tree.tree_)


def categorical_tables():
    for loader in (lib.data.movies, lib.data.play_tennis, lib.data.contact_lenses):
        table = loader()
        yield loader.__name__, table.X, table.y, list(table.feature_names)
    rng = np.random.default_rng(0)
    for seed in range(6):
        rng = np.random.default_rng(seed)
        n, d = 40 + 10 * seed, 5
        X = np.column_stack([rng.choice(list("abcd"[: 2 + j % 3]), size=n) for j in range(d)])
        signal = (X[:, 0] == "a") ^ (X[:, 1 + seed % 3] == "b")
        y = np.where(rng.random(n) < 0.8, signal, rng.random(n) < 0.5).astype(int).astype(str)
        yield f"random table {seed}", X, y, [f"a{j}" for j in range(d)]


@pytest.mark.parametrize("name, X, y, names", list(categorical_tables()), ids=[t[0] for t in categorical_tables()])
def test_page_id3_equals_lib_tree(name, X, y, names):
    id3 = page_function("09_trees_ensembles/02_tree_learning_pruning.md", "id3")
    ours = id3({n: X[:, j] for j, n in enumerate(names)}, y)
    ref = lib.tree.DecisionTreeClassifier().fit(X, y)
    assert ours == lib_tree_as_nested(ref, names)


def numeric_columns():
    cancer = lib.data.breast_cancer()
    X = cancer.X.astype(np.float32).astype(float)
    yield "breast cancer", X, cancer.y
    X, y = make_classification(200, n_features=6, n_informative=3, random_state=0)
    yield "make_classification", X, y
    X, y = make_moons(150, noise=0.3, random_state=0)
    yield "moons (rounded: ties)", np.round(X, 1), y


@pytest.mark.parametrize("name, X, y", list(numeric_columns()), ids=[c[0] for c in numeric_columns()])
def test_page_best_threshold_equals_lib(name, X, y):
    best_threshold = page_function("09_trees_ensembles/02_tree_learning_pruning.md", "best_threshold")
    for j in range(X.shape[1]):
        t, gain = best_threshold(X[:, j], y)
        root = lib.tree.DecisionTreeClassifier(max_depth=1).fit(X[:, [j]], y).tree_
        assert root.threshold == t, (j, root.threshold, t)
        assert abs(root.gain - gain) < 1e-12


# ---------------------------------------------------------------------------------------------
# 9.4 AdaBoost
# ---------------------------------------------------------------------------------------------
def boosting_problems():
    toy = lib.data.adaboost_toy()
    yield "toy", toy.X, toy.y.astype(int), 3
    X, y = make_moons(300, noise=0.3, random_state=3)
    yield "moons", X, 2 * y - 1, 60
    X, y = make_classification(200, n_features=5, n_informative=3, flip_y=0.1, random_state=1)
    yield "make_classification", X, 2 * y - 1, 40


@pytest.mark.parametrize("name, X, y, rounds", list(boosting_problems()), ids=[b[0] for b in boosting_problems()])
def test_page_adaboost_equals_lib(name, X, y, rounds):
    adaboost = page_function("09_trees_ensembles/04_adaboost.md", "adaboost")
    stumps, alphas, errors = adaboost(X, y, rounds)
    ref = lib.ensemble.AdaBoostClassifier(n_estimators=rounds).fit(X, y)
    assert len(ref.estimators_) == rounds  # no early stop on these data
    np.testing.assert_allclose(errors, ref.estimator_errors_, rtol=1e-12, atol=0)
    np.testing.assert_allclose(alphas, ref.estimator_weights_, rtol=1e-12, atol=0)
    for h, h_ref in zip(stumps, ref.estimators_):
        assert (h.feature_, h.threshold_, h.left_class_) == (h_ref.feature_, h_ref.threshold_, h_ref.left_class_)
    F = sum(a * h.predict(X) for a, h in zip(alphas, stumps))
    np.testing.assert_allclose(F, ref.decision_function(X), rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------------------------
# 10.1 K-means (Lloyd)
# ---------------------------------------------------------------------------------------------
def clustering_problems():
    X, _ = make_blobs(400, centers=[[0, 0], [4, 0], [0, 4], [4, 4.5]], cluster_std=0.8, random_state=0)
    yield "four blobs, k-means++", X, lib.cluster.init_centers(X, 4, "k-means++", rng=0)
    yield "four blobs, random", X, lib.cluster.init_centers(X, 4, "random", rng=1)
    X, _ = make_blobs(300, n_features=5, centers=6, cluster_std=2.0, random_state=2)
    for seed in range(3):
        yield f"5-d, 6 clusters, seed {seed}", X, lib.cluster.init_centers(X, 6, "k-means++", rng=seed)
    x = np.array([[0.0], [1.0], [10.0], [11.0]])
    yield "the hand-worked 1-d example", x, np.array([[0.0], [1.0]])


@pytest.mark.parametrize("name, X, C0", list(clustering_problems()), ids=[c[0] for c in clustering_problems()])
def test_page_kmeans_equals_lib(name, X, C0):
    kmeans = page_function("10_clustering_pca/01_kmeans.md", "kmeans")
    centers, labels = kmeans(X, C0)
    ref = lib.cluster.KMeans(len(C0), init=C0, tol=0.0).fit(X)
    assert np.array_equal(labels, ref.labels_)
    np.testing.assert_allclose(centers, ref.cluster_centers_, rtol=0, atol=1e-12)
    assert np.isclose(lib.cluster.kmeans_objective(X, centers, labels), ref.inertia_, rtol=1e-12)
