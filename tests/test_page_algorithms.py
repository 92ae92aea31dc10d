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


def page_function(md: str, name: str):
    """Execute the code cell of ``chapters/<md>`` that defines ``def name(`` and return the function."""
    notebook = jupytext.read(ROOT / "chapters" / md)
    cells = [c.source for c in notebook.cells if c.cell_type == "code" and f"def {name}(" in c.source]
    assert len(cells) == 1, f"expected one cell defining {name} in {md}, found {len(cells)}"
    namespace = {"np": np, "lib": lib}
    exec(compile(cells[0], f"{md}:{name}", "exec"), namespace)
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
