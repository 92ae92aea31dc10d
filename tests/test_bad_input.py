"""lib 的坏输入测试：每个入口对一个坏参数给出清楚的错误（类型 + 点名参数的消息），不默默返回错误结果。"""

import math

import numpy as np
import pytest
import torch

from lib.conv.backward import avg_pool2d_backward
from lib.diffusion.quality import frechet_distance
from lib.hyena import fftconv
from lib.utils import check_scalar, seed_everything


@pytest.mark.parametrize(
    "value, exc", [(0, ValueError), (-1, ValueError), (2.5, TypeError), (math.nan, TypeError), (True, TypeError)]
)
def test_avg_pool2d_backward_rejects_bad_divisor(value, exc):
    x = torch.randn(1, 1, 4, 4)
    g = torch.ones(1, 1, 2, 2)
    with pytest.raises(exc, match="divisor_override"):
        avg_pool2d_backward(g, x, 2, divisor_override=value)


def test_avg_pool2d_backward_accepts_numpy_integer_divisor():
    x = torch.randn(1, 1, 4, 4)
    g = torch.ones(1, 1, 2, 2)
    out = avg_pool2d_backward(g, x, 2, divisor_override=np.int64(2))
    assert torch.allclose(out, torch.full_like(x, 0.5))


@pytest.mark.parametrize("name", ["u", "k"])
def test_fftconv_rejects_integer_tensors(name):
    u, k = torch.ones(1, 4), torch.ones(1, 4)
    args = {"u": u, "k": k}
    args[name] = args[name].long()
    with pytest.raises(TypeError, match=f"{name} must be a floating-point tensor"):
        fftconv(args["u"], args["k"])


@pytest.mark.parametrize("which", ["cov1", "cov2"])
def test_frechet_distance_rejects_negative_definite_covariance(which):
    mu = np.zeros(2)
    covs = {"cov1": np.eye(2), "cov2": np.eye(2)}
    covs[which] = -np.eye(2)
    with pytest.raises(ValueError, match=f"{which} must be positive semi-definite"):
        frechet_distance(mu, covs["cov1"], mu, covs["cov2"])


def test_frechet_distance_rejects_asymmetric_covariance():
    with pytest.raises(ValueError, match="cov1 must be a symmetric"):
        frechet_distance(np.zeros(2), np.array([[1.0, 0.5], [0.0, 1.0]]), np.zeros(2), np.eye(2))


@pytest.mark.parametrize("std", [math.nan, math.inf, 0.0, -1.0])
def test_gaussian_optimal_denoiser_rejects_bad_std(std):
    from lib.diffusion.models import GaussianOptimalDenoiser

    with pytest.raises(ValueError, match="std must be positive and finite"):
        GaussianOptimalDenoiser(None, std=std)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_check_scalar_rejects_non_finite(value):
    with pytest.raises(ValueError, match="lr must be finite"):
        check_scalar(value, "lr", min_val=0)


@pytest.mark.parametrize("seed", [np.int64(3), np.int32(3), 3])
def test_seed_everything_accepts_numpy_integers(seed):
    assert seed_everything(seed).integers(1000) == np.random.default_rng(3).integers(1000)


@pytest.mark.parametrize("seed, exc", [(-1, ValueError), (1.5, TypeError), (None, TypeError)])
def test_seed_everything_rejects_bad_seed(seed, exc):
    with pytest.raises(exc, match="seed"):
        seed_everything(seed)


def test_data_generators_accept_numpy_integers():
    from lib.data import two_moons

    ds = two_moons(n=np.int64(50))
    assert ds.X.shape == (50, 2) and ds.y.shape == (50,)


@pytest.mark.parametrize("groups, exc", [(math.nan, TypeError), (0, ValueError), (-1, ValueError), (2.5, TypeError)])
def test_diffusion_blocks_reject_bad_groups_without_hanging(groups, exc):
    from lib.diffusion.models import AttentionBlock, ResBlock

    with pytest.raises(exc, match="groups"):
        AttentionBlock(8, groups=groups)
    with pytest.raises(exc, match="groups"):
        ResBlock(8, 8, 4, groups=groups)


@pytest.mark.parametrize("interaction_only", [False, True])
def test_polynomial_features_bounds_output_size(interaction_only):
    from lib.features import PolynomialFeatures, PolynomialRegression
    from lib.kernels import polynomial_feature_map

    X = np.ones((4, 40)) if interaction_only else np.ones((4, 3))
    with pytest.raises(ValueError, match="degree=.*output features"):
        PolynomialFeatures(degree=10**6, interaction_only=interaction_only).fit(X)
    if not interaction_only:
        with pytest.raises(ValueError, match="degree=.*output features"):
            PolynomialRegression(degree=10**6).fit(X, np.ones(4))
        with pytest.raises(ValueError, match="degree=.*output features"):
            polynomial_feature_map(X, degree=10**6)


@pytest.mark.parametrize("t, exc", [(-1, IndexError), (11, IndexError), (0.5, TypeError)])
def test_diffusion_coef_rejects_out_of_range_time_steps(t, exc):
    from lib.diffusion import GaussianDiffusion, linear_beta_schedule

    d = GaussianDiffusion(linear_beta_schedule(10))
    x = torch.zeros(1, 2)
    with pytest.raises(exc, match="t must"):
        d.coef("alpha_bars", torch.tensor([t]), x)


@pytest.mark.parametrize(
    "factory, name",
    [
        (lambda: __import__("lib.diffusion.models").diffusion.models.MLPDenoiser(depth=10**12), "depth"),
        (lambda: __import__("lib.diffusion.models").diffusion.models.MLPDenoiser(hidden=10**12), "hidden"),
        (lambda: __import__("lib.diffusion.models").diffusion.models.UNet(num_res_blocks=10**12), "num_res_blocks"),
        (lambda: __import__("lib.diffusion.models").diffusion.models.UNet(base_channels=10**12), "base_channels"),
        (lambda: __import__("lib.diffusion.models").diffusion.models.UNet(groups=math.nan), "groups"),
    ],
)
def test_diffusion_models_bound_sizes(factory, name):
    with pytest.raises((ValueError, TypeError), match=name):
        factory()
