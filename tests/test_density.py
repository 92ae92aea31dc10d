"""lib.density：核密度估计与 scikit-learn 逐点相等、归一化、抽样、坏输入；k 近邻密度、高斯最大似然。"""

import numpy as np
import pytest
from scipy import integrate, optimize
from sklearn.neighbors import KernelDensity as SkKDE

from lib.density import KERNELS, KernelDensity, ball_volume, gaussian_mle, kernel_log_norm, knn_density


def _compare(kernel, d, weights, bandwidth=1.2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(150, d))
    Y = 1.3 * rng.normal(size=(60, d))
    w = rng.uniform(0.2, 2.0, size=150) if weights else None
    ours = KernelDensity(bandwidth=bandwidth, kernel=kernel).fit(X, sample_weight=w).score_samples(Y)
    ref = SkKDE(bandwidth=bandwidth, kernel=kernel).fit(X, sample_weight=w).score_samples(Y)
    return ours, ref


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("d", [1, 2, 3])
@pytest.mark.parametrize("weights", [False, True])
def test_kde_equals_sklearn(kernel, d, weights):
    ours, ref = _compare(kernel, d, weights)
    if kernel == "cosine" and d % 2 == 0:
        # scikit-learn 的余弦核在偶数维的归一化常数算错了（d = 2 时多了 log((2/π)/(2/π - 4/π²))）
        offset = np.log((2 / np.pi) / (2 / np.pi - 4 / np.pi**2))
        ours = ours - offset
    both = np.isfinite(ours) & np.isfinite(ref)
    # 紧支撑核的边界上（距离恰好 ≈ h）两边的舍入可能不同，这样的点密度本来就 ≈ 0
    assert both.sum() >= 30
    differ = np.isfinite(ours) != np.isfinite(ref)
    assert np.all(np.exp(np.where(differ, np.maximum(ours, ref), -np.inf)) < 1e-6)
    np.testing.assert_allclose(ours[both], ref[both], rtol=0, atol=1e-9)
    np.testing.assert_allclose(np.exp(ours), np.exp(ref), rtol=0, atol=1e-9)


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("d", [1, 2])
def test_kde_integrates_to_one(kernel, d):
    kde = KernelDensity(bandwidth=0.7, kernel=kernel).fit(np.array([[0.3] * d, [-0.5] * d]))
    if d == 1:
        g = np.linspace(-12, 12, 48001)
        total = integrate.trapezoid(np.exp(kde.score_samples(g[:, None])), g)
    else:
        g = np.linspace(-12, 12, 1201)
        XX, YY = np.meshgrid(g, g)
        z = np.exp(kde.score_samples(np.c_[XX.ravel(), YY.ravel()])).reshape(XX.shape)
        total = integrate.trapezoid(integrate.trapezoid(z, g), g)
    assert abs(total - 1) < 2e-3


def test_cosine_norm_by_quadrature():
    # 余弦核 d = 2：∫_0^1 t cos(πt/2) dt = 2/π - 4/π²
    c = np.exp(kernel_log_norm("cosine", 2))
    assert abs(c - 2 * np.pi * (2 / np.pi - 4 / np.pi**2)) < 1e-12


@pytest.mark.parametrize("kernel", ["gaussian", "tophat"])
@pytest.mark.parametrize("weights", [False, True])
def test_sample_equals_sklearn(kernel, weights):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 3))
    w = rng.uniform(0.1, 1, 40) if weights else None
    a = KernelDensity(bandwidth=0.5, kernel=kernel).fit(X, sample_weight=w).sample(25, random_state=7)
    b = SkKDE(bandwidth=0.5, kernel=kernel).fit(X, sample_weight=w).sample(25, random_state=7)
    np.testing.assert_allclose(a, b, atol=1e-12)


def test_score_and_rule_of_thumb_bandwidths():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(80, 2))
    for bw in ("scott", "silverman"):
        ours, ref = KernelDensity(bandwidth=bw).fit(X), SkKDE(bandwidth=bw).fit(X)
        assert ours.bandwidth_ == pytest.approx(ref.bandwidth_)
        assert ours.score(X[:10]) == pytest.approx(ref.score(X[:10]), abs=1e-9)


def test_bad_input():
    X = np.random.default_rng(0).normal(size=(20, 2))
    for bw in (0.0, -1.0):
        with pytest.raises(ValueError, match="bandwidth"):
            KernelDensity(bandwidth=bw).fit(X)
    with pytest.raises(ValueError, match="bandwidth"):
        KernelDensity(bandwidth=float("nan")).fit(X)
    with pytest.raises(ValueError, match="bandwidth"):
        KernelDensity(bandwidth="wide").fit(X)
    with pytest.raises(TypeError, match="bandwidth"):
        KernelDensity(bandwidth=[1.0]).fit(X)
    with pytest.raises(ValueError, match="kernel"):
        KernelDensity(kernel="triangle").fit(X)
    kde = KernelDensity().fit(X)
    with pytest.raises(ValueError, match="X has 3 features"):
        kde.score_samples(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="NaN"):
        kde.score_samples(np.array([[0.0, np.nan]]))
    with pytest.raises(ValueError, match="infinity|NaN"):
        KernelDensity().fit(np.array([[0.0, np.inf], [1.0, 1.0]]))
    with pytest.raises(NotImplementedError, match="epanechnikov"):
        KernelDensity(kernel="epanechnikov").fit(X).sample(3)
    with pytest.raises(ValueError, match="n_samples"):
        kde.sample(0)


def test_knn_density_and_ball_volume():
    assert ball_volume(2, 1.0) == pytest.approx(np.pi)
    assert ball_volume(3, 2.0) == pytest.approx(4 / 3 * np.pi * 8)
    rng = np.random.default_rng(3)
    data = rng.uniform(size=(20000, 2))  # 单位正方形上的均匀分布，密度 1
    p = knn_density(np.full((5, 2), 0.5), data, k=200)
    np.testing.assert_allclose(p, 1.0, rtol=0.15)
    with pytest.raises(ValueError, match="k must be"):
        knn_density(data[:2], data[:10], k=11)
    with pytest.raises(ValueError, match="columns"):
        knn_density(np.zeros((2, 3)), data, k=3)


def test_gaussian_mle_is_the_argmax():
    rng = np.random.default_rng(4)
    x = rng.normal(2.0, 1.5, size=200)
    mean, cov = gaussian_mle(x[:, None])

    def nll(theta):
        mu, log_s = theta
        return 0.5 * np.sum((x - mu) ** 2) / np.exp(2 * log_s) + x.size * log_s

    res = optimize.minimize(nll, [0.0, 0.0], method="BFGS", options={"gtol": 1e-10})
    assert abs(res.x[0] - mean[0]) < 1e-5
    assert abs(np.exp(2 * res.x[1]) - cov[0, 0]) < 1e-5
