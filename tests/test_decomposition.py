"""lib.decomposition (chapter 10.2-10.3) against numpy, scikit-learn and the worked numbers of lecture L11."""

import numpy as np
import pytest
from sklearn import datasets
from sklearn.decomposition import PCA as SkPCA
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction.image import extract_patches_2d
from sklearn.utils.extmath import svd_flip as sk_svd_flip

import lib
from lib.decomposition import PCA, image_to_patches, patches_to_image, reconstruction_error, svd_flip


def pca_datasets():
    rng = np.random.default_rng(0)
    cloud = rng.normal(size=(200, 3)) @ np.array([[3.0, 1.0, 0.2], [0.0, 1.0, 0.5], [0.0, 0.0, 0.1]]) + [5, -2, 1]
    wide = rng.normal(size=(10, 30))  # fewer samples than features
    return [
        ("cloud", cloud),
        ("wide", wide),
        ("iris", datasets.load_iris().data),
        ("wine", datasets.load_wine().data),
        ("digits", datasets.load_digits().data),
    ]


DATA = pca_datasets()
IDS = [name for name, _ in DATA]


# ---------------------------------------------------------------------------------------------
# The 7x5 SVD example of lecture L11.4
# ---------------------------------------------------------------------------------------------
def test_svd_example_of_the_notes():
    A = lib.data.svd_example_matrix()
    assert A.shape == (7, 5) and np.linalg.matrix_rank(A) == 3
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    np.testing.assert_allclose(s[:3], [12.481, 9.509, 1.346], atol=5e-4)  # the slide truncates: 12.4, 9.5, 1.3
    assert s[3] < 1e-12 and s[4] < 1e-12
    U, Vt = svd_flip(U[:, :3], Vt[:3])
    slide_U = np.array(
        [
            [0.13, 0.02, -0.01],
            [0.41, 0.07, -0.03],
            [0.55, 0.09, -0.04],
            [0.68, 0.11, -0.05],
            [0.15, -0.59, 0.65],
            [0.07, -0.73, -0.67],
            [0.07, -0.29, 0.32],
        ]
    )
    slide_Vt = np.array(
        [[0.56, 0.59, 0.56, 0.09, 0.09], [0.12, -0.02, 0.12, -0.69, -0.69], [0.40, -0.80, 0.40, 0.09, 0.09]]
    )
    signs = np.sign(np.sum(U * slide_U, axis=0))  # singular vectors are defined up to a sign per pair
    np.testing.assert_allclose(U * signs, slide_U, atol=0.011)  # the slide truncates to 2 decimals
    np.testing.assert_allclose(Vt[:2] * signs[:2, None], slide_Vt[:2], atol=0.011)
    # but the slide's third pair has inconsistent signs: its v3 must be negated to match its u3
    np.testing.assert_allclose(Vt[2] * signs[2], -slide_Vt[2], atol=0.011)
    assert np.abs(slide_U @ np.diag([12.4, 9.5, 1.3]) @ slide_Vt - A).max() > 1.4
    fixed = slide_Vt * np.array([1, 1, -1])[:, None]
    assert np.abs(slide_U @ np.diag([12.481, 9.509, 1.346]) @ fixed - A).max() < 0.1
    np.testing.assert_allclose((U * s[:3]) @ Vt, A, atol=1e-12)
    # squared singular values are the eigenvalues of A A^T and of A^T A
    np.testing.assert_allclose(np.sort(np.linalg.eigvalsh(A.T @ A))[::-1][:3], s[:3] ** 2, rtol=1e-10)
    np.testing.assert_allclose(np.sort(np.linalg.eigvalsh(A @ A.T))[::-1][:3], s[:3] ** 2, rtol=1e-10)


def test_svd_flip_matches_scikit_learn():
    rng = np.random.default_rng(3)
    U, _, Vt = np.linalg.svd(rng.normal(size=(8, 5)), full_matrices=False)
    ours = svd_flip(U, Vt)
    ref = sk_svd_flip(U.copy(), Vt.copy(), u_based_decision=False)
    np.testing.assert_allclose(ours[0], ref[0])
    np.testing.assert_allclose(ours[1], ref[1])


# ---------------------------------------------------------------------------------------------
# PCA against scikit-learn
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, X", DATA, ids=IDS)
@pytest.mark.parametrize("method", ["svd", "eig"])
def test_pca_matches_scikit_learn(name, X, method):
    M = min(3, *X.shape)
    ours = PCA(M, method=method).fit(X)
    ref = SkPCA(M, svd_solver="full").fit(X)
    signs = np.sign(np.sum(ours.components_ * ref.components_, axis=1))
    assert np.all(signs == 1)  # the same sign convention
    np.testing.assert_allclose(ours.components_, ref.components_, atol=1e-8)
    np.testing.assert_allclose(ours.explained_variance_, ref.explained_variance_, rtol=1e-8)
    np.testing.assert_allclose(ours.explained_variance_ratio_, ref.explained_variance_ratio_, rtol=1e-8)
    np.testing.assert_allclose(ours.singular_values_, ref.singular_values_, rtol=1e-8)
    Z = ours.transform(X)
    np.testing.assert_allclose(Z, ref.transform(X), atol=1e-8 * np.abs(Z).max())
    np.testing.assert_allclose(ours.inverse_transform(Z), ref.inverse_transform(ref.transform(X)), atol=1e-8)


@pytest.mark.parametrize("name, X", DATA, ids=IDS)
def test_pca_whitening_and_variance_fraction_match_scikit_learn(name, X):
    ours = PCA(0.9, whiten=True).fit(X)
    ref = SkPCA(0.9, whiten=True, svd_solver="full").fit(X)
    assert ours.n_components_ == ref.n_components_
    np.testing.assert_allclose(ours.transform(X), ref.transform(X), atol=1e-7)
    np.testing.assert_allclose(
        ours.inverse_transform(ours.transform(X)), ref.inverse_transform(ref.transform(X)), atol=1e-7
    )
    full = PCA().fit(X)
    assert full.n_components_ == min(X.shape)
    assert full.explained_variance_ratio_.sum() == pytest.approx(1.0)


@pytest.mark.parametrize("name, X", DATA, ids=IDS)
def test_three_views_of_pca_agree(name, X):
    """Minimum reconstruction error = maximum variance = SVD (lecture L11.2-L11.4)."""
    N = len(X)
    Xc = X - X.mean(axis=0)
    S = Xc.T @ Xc / N  # the book's covariance (divided by N)
    lam = np.sort(np.linalg.eigvalsh(S))[::-1]
    eig = PCA(method="eig").fit(X)
    svd = PCA(method="svd").fit(X)
    k = min(4, eig.n_components_)
    np.testing.assert_allclose(np.abs(np.sum(eig.components_[:k] * svd.components_[:k], axis=1)), 1.0, atol=1e-8)
    for M in range(1, k + 1):
        pca = PCA(M).fit(X)
        err = reconstruction_error(X, pca.inverse_transform(pca.transform(X)))
        assert err == pytest.approx(np.trace(S) - lam[:M].sum(), rel=1e-8, abs=1e-10 * np.trace(S))
        U = pca.components_
        assert np.sum(np.einsum("id,de,ie->i", U, S, U)) == pytest.approx(lam[:M].sum(), rel=1e-10)
    u1 = svd.components_[0]
    assert np.var(Xc @ u1) == pytest.approx(lam[0], rel=1e-10)  # projected variance along u1 = lambda_max
    assert svd.explained_variance_[0] == pytest.approx(lam[0] * N / (N - 1), rel=1e-10)


def test_pca_finds_the_plane_of_a_flat_cloud():
    rng = np.random.default_rng(1)
    basis = np.linalg.qr(rng.normal(size=(3, 2)))[0]
    X = rng.normal(size=(100, 2)) * [3.0, 1.0] @ basis.T + 0.01 * rng.normal(size=(100, 3))
    pca = PCA(2).fit(X)
    P = pca.components_.T @ pca.components_  # projector onto the fitted plane
    np.testing.assert_allclose(P, basis @ basis.T, atol=0.01)
    assert pca.explained_variance_ratio_.sum() > 0.9999


def test_pca_errors():
    X = DATA[0][1]
    with pytest.raises(ValueError, match="method must be one of"):
        PCA(method="power").fit(X)
    with pytest.raises(ValueError, match="n_components must be <= 3"):
        PCA(4).fit(X)
    with pytest.raises(ValueError, match="n_components must be < 1"):
        PCA(1.0).fit(X)
    with pytest.raises(TypeError, match="n_components must be None, an int or a float"):
        PCA("mle").fit(X)
    with pytest.raises(ValueError, match="at least 2 samples"):
        PCA().fit(X[:1])
    with pytest.raises(NotFittedError, match="not fitted"):
        PCA(2).transform(X)
    pca = PCA(2).fit(X)
    with pytest.raises(ValueError, match="X has 2 features, but PCA is expecting 3 features"):
        pca.transform(X[:, :2])
    with pytest.raises(ValueError, match="Z must have n_components_=2 columns, got 3"):
        pca.inverse_transform(X)
    with pytest.raises(ValueError, match="X and X_hat must have the same shape"):
        reconstruction_error(X, X[:, :2])


# ---------------------------------------------------------------------------------------------
# Image patches (10.3)
# ---------------------------------------------------------------------------------------------
def test_patches_match_scikit_learn_and_round_trip():
    rng = np.random.default_rng(0)
    image = rng.normal(size=(36, 24))
    P = image_to_patches(image, 12)
    assert P.shape == (6, 144)
    every = extract_patches_2d(image, (12, 12))  # all overlapping patches, row-major by top-left corner
    n_cols = 24 - 12 + 1
    for k, (r, c) in enumerate((r, c) for r in range(0, 36, 12) for c in range(0, 24, 12)):
        np.testing.assert_array_equal(P[k], every[r * n_cols + c].ravel())
    np.testing.assert_array_equal(patches_to_image(P, image.shape, 12), image)


def test_patch_errors():
    with pytest.raises(ValueError, match="multiples of size=12, got shape \\(30, 24\\)"):
        image_to_patches(np.zeros((30, 24)), 12)
    with pytest.raises(ValueError, match="patches must have shape \\(6, 144\\)"):
        patches_to_image(np.zeros((5, 144)), (36, 24), 12)
