"""The worst cases of the bad-input sweep (issue 19): hangs, silently accepted invalid input and errors that
reached deep inside torch now give clear errors that name the argument."""

import math
import signal

import numpy as np
import pytest
import torch

import lib
from lib.diffusion import GaussianDiffusion, GaussianOptimalDenoiser, linear_beta_schedule


@pytest.fixture(autouse=True)
def no_hang():
    # every case below must answer at once; a hang fails the test instead of stalling the suite
    def alarm(*_):
        raise TimeoutError("hang")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(20)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def diffusion():
    return GaussianDiffusion(linear_beta_schedule(10))


CASES = [
    (
        "UNet groups=nan",
        lambda: lib.diffusion.UNet(in_channels=1, base_channels=16, groups=math.nan),
        TypeError,
        "groups",
    ),
    (
        "PolynomialFeatures huge degree",
        lambda: lib.features.PolynomialFeatures(degree=10**6).fit(np.ones((3, 3))),
        ValueError,
        "output features",
    ),
    (
        "LanguageModel huge n_layers",
        lambda: lib.hyena.LanguageModel(vocab_size=8, d_model=8, n_layers=10**12, l_max=8),
        ValueError,
        "n_layers",
    ),
    (
        "avg_pool2d_backward divisor 0",
        lambda: lib.conv.backward.avg_pool2d_backward(
            torch.ones(1, 1, 2, 2), torch.ones(1, 1, 4, 4), 2, divisor_override=0
        ),
        ValueError,
        "divisor_override",
    ),
    (
        "avg_pool2d_backward divisor nan",
        lambda: lib.conv.backward.avg_pool2d_backward(
            torch.ones(1, 1, 2, 2), torch.ones(1, 1, 4, 4), 2, divisor_override=math.nan
        ),
        TypeError,
        "divisor_override",
    ),
    ("oracle std nan", lambda: GaussianOptimalDenoiser(diffusion(), 0.0, math.nan), ValueError, "std"),
    (
        "oracle t=-1",
        lambda: GaussianOptimalDenoiser(diffusion(), 0.0, 1.0)(
            torch.zeros(2, 1, dtype=torch.float64), torch.tensor([-1, -1])
        ),
        IndexError,  # GaussianDiffusion.coef checks the time steps for every caller
        "t must lie",
    ),
    (
        "frechet negative covariance",
        lambda: lib.diffusion.frechet_distance(np.zeros(2), -np.eye(2), np.zeros(2), np.eye(2)),
        ValueError,
        "cov1",
    ),
    ("normal_kl negative variance", lambda: lib.diffusion.gaussian.normal_kl(0.0, -1.0, 0.0, 1.0), ValueError, "var1"),
    ("gaussian_nll zero variance", lambda: lib.diffusion.gaussian.gaussian_nll(0.0, 0.0, 0.0), ValueError, "var"),
    ("fft_conv empty signal", lambda: lib.fourier.fft_conv(np.zeros(0), np.ones(3)), ValueError, "empty"),
    (
        "fit_classifier NaN pixel",
        lambda: lib.conv.fit_classifier(
            lib.conv.LeNet5(),
            torch.full((4, 1, 28, 28), math.nan),
            torch.zeros(4, dtype=torch.long),
            torch.zeros(2, 1, 28, 28),
            torch.zeros(2, dtype=torch.long),
        ),
        ValueError,
        "NaN",
    ),
    (
        "train_diffusion NaN",
        lambda: lib.diffusion.train_diffusion(
            lib.diffusion.MLPDenoiser(data_dim=2), diffusion(), torch.full((8, 2), math.nan), steps=1
        ),
        ValueError,
        "NaN",
    ),
    (
        "token id >= vocab",
        lambda: lib.hyena.LanguageModel(vocab_size=8, d_model=8, n_layers=1, l_max=8)(torch.full((1, 4), 9)),
        ValueError,
        "token ids",
    ),
    (
        "recall_accuracy batch_size=-1",
        lambda: lib.hyena.recall_accuracy(
            torch.nn.Linear(1, 1),
            torch.zeros(2, 3, dtype=torch.long),
            torch.zeros(2, 3, dtype=torch.long),
            batch_size=-1,
        ),
        ValueError,
        "batch_size",
    ),
    ("ResNet num_classes=0", lambda: lib.conv.ResNet(num_classes=0), ValueError, "num_classes"),
    ("ResNet negative blocks", lambda: lib.conv.ResNet(blocks=(-1, 1)), ValueError, "blocks"),
    ("ResNet se_reduction=0", lambda: lib.conv.ResNet(se_reduction=0), ValueError, "se_reduction"),
    ("AlexNet dropout=nan", lambda: lib.conv.AlexNet(dropout=math.nan), ValueError, "dropout"),
    (
        "attention float64 input",
        lambda: lib.attention.MultiHeadAttention(8, 2)(torch.zeros(1, 4, 8, dtype=torch.float64)),
        TypeError,
        "dtype|float64",
    ),
    (
        "UNet float64 input",
        lambda: lib.diffusion.UNet(in_channels=1, base_channels=16)(
            torch.zeros(1, 1, 8, 8, dtype=torch.float64), torch.ones(1, dtype=torch.long)
        ),
        TypeError,
        "float64",
    ),
    ("LeNet5 num_classes=2.5", lambda: lib.conv.LeNet5(num_classes=2.5), TypeError, "num_classes"),
]


@pytest.mark.parametrize("call, error, fragment", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_gets_a_clear_error(call, error, fragment):
    with pytest.raises(error, match=fragment):
        call()


def test_numpy_integers_are_accepted_where_ints_are():
    assert lib.data.two_moons(n=np.int64(50)).X.shape == (50, 2)
    assert isinstance(lib.utils.seed_everything(np.int64(3)), np.random.Generator)
    with pytest.raises(ValueError, match="seed"):
        lib.utils.seed_everything(-1)
