"""lib 的坏输入测试：每个入口对一个坏参数给出清楚的错误（类型 + 点名参数的消息），不默默返回错误结果。"""

import math
import re

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


# ---------------------------------------------------------------------------------------------
# Estimators: fit/predict/score with one bad argument (the sweep's method phase)
# ---------------------------------------------------------------------------------------------
def _names(msg, name):
    import re

    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", msg, re.IGNORECASE) is not None


def _estimators():
    from lib.cluster import KMeans
    from lib.decomposition import PCA
    from lib.linear import LogisticRegression, Ridge
    from lib.mixture import GaussianMixture
    from lib.svm import SVC
    from lib.tree import DecisionTreeClassifier

    return {
        "KMeans": (lambda: KMeans(n_clusters=2, n_init=1), False),
        "PCA": (lambda: PCA(n_components=2), False),
        "GaussianMixture": (lambda: GaussianMixture(n_components=2), False),
        "LogisticRegression": (LogisticRegression, True),
        "Ridge": (Ridge, True),
        "SVC": (SVC, True),
        "DecisionTreeClassifier": (DecisionTreeClassifier, True),
    }


def _data(supervised_regression=False):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 3))
    y = X @ np.array([1.0, -1.0, 0.5]) if supervised_regression else (X[:, 0] > 0).astype(int)
    return X, y


BAD_X = {
    "1-D": lambda X: X[:, 0],
    "3-D": lambda X: X[:, :, None],
    "empty": lambda X: X[:0],
    "None": lambda X: None,
    "ragged": lambda X: [list(X[0]), [1.0]],
    "inf": lambda X: np.where(np.arange(X.size).reshape(X.shape) == 0, np.inf, X),
}


@pytest.mark.parametrize("bad", sorted(BAD_X))
@pytest.mark.parametrize("name", sorted(_estimators()))
def test_estimator_fit_and_predict_name_X(name, bad):
    make, supervised = _estimators()[name]
    X, y = _data(name == "Ridge")
    args = (y,) if supervised else ()
    with pytest.raises((ValueError, TypeError)) as err:
        make().fit(BAD_X[bad](X), *args)
    assert _names(str(err.value), "X"), str(err.value)
    est = make().fit(X, *args)
    method = "transform" if name == "PCA" else "predict"
    with pytest.raises((ValueError, TypeError)) as err:
        getattr(est, method)(BAD_X[bad](X))
    assert _names(str(err.value), "X"), str(err.value)
    with pytest.raises(ValueError, match="X has 2 features"):
        getattr(est, method)(X[:, :2])


@pytest.mark.parametrize("name", ["LogisticRegression", "Ridge", "SVC", "DecisionTreeClassifier"])
def test_estimator_fit_names_y(name):
    make, _ = _estimators()[name]
    X, y = _data(name == "Ridge")
    with pytest.raises(ValueError, match=r"X and y"):
        make().fit(X, y[:-1])
    with pytest.raises(ValueError) as err:
        make().fit(X, np.where(np.arange(y.size) == 0, np.nan, y.astype(float)))
    assert _names(str(err.value), "y"), str(err.value)
    bad_y = np.full(y.shape, "bad") if name == "Ridge" else np.linspace(0, 1, y.size) + 0.123
    with pytest.raises(ValueError) as err:
        make().fit(X, bad_y)
    assert _names(str(err.value), "y"), str(err.value)


@pytest.mark.parametrize("name", ["LogisticRegression", "Ridge", "SVC"])
@pytest.mark.parametrize("bad", ["short", "nan", "None", "continuous"])
def test_score_checks_y(name, bad):
    make, _ = _estimators()[name]
    X, y = _data(name == "Ridge")
    est = make().fit(X, y)
    if bad == "continuous" and name == "Ridge":
        assert np.isfinite(est.score(X, y + 0.5))  # a regressor's target is continuous
        return
    bad_y = {
        "short": y[:-1],
        "nan": np.where(np.arange(y.size) == 0, np.nan, y.astype(float)),
        "None": None,
        "continuous": np.linspace(0, 1, y.size) + 0.123,
    }[bad]
    with pytest.raises(ValueError) as err:
        est.score(X, bad_y)
    assert _names(str(err.value), "y"), str(err.value)


@pytest.mark.parametrize("name", sorted(_estimators()))
def test_predict_before_fit_raises_not_fitted(name):
    from sklearn.exceptions import NotFittedError

    make, _ = _estimators()[name]
    method = "transform" if name == "PCA" else "predict"
    with pytest.raises(NotFittedError, match="fit"):
        getattr(make(), method)(_data()[0])


@pytest.mark.parametrize("method", ["bic", "aic"])
def test_mixture_information_criteria_validate_X(method):
    from lib.mixture import GaussianMixture

    gm = GaussianMixture(n_components=1).fit(_data()[0])
    with pytest.raises(ValueError, match="X"):
        getattr(gm, method)(None)


def test_adaboost_staged_score_checks_y_length():
    from lib.ensemble import AdaBoostClassifier

    X, y = _data()
    clf = AdaBoostClassifier(n_estimators=3).fit(X, y)
    with pytest.raises(ValueError, match="X and y"):
        list(clf.staged_score(X, y[:-1]))


def test_encode_labels_checks_min_classes():
    from lib.base import encode_labels

    with pytest.raises(TypeError, match="min_classes"):
        encode_labels([0, 1], min_classes=math.nan)
    with pytest.raises(ValueError, match="min_classes"):
        encode_labels([0, 1], min_classes=0)


# ---------------------------------------------------------------------------------------------
# torch modules: bad tensors at the module boundary
# ---------------------------------------------------------------------------------------------
def _modules():
    from lib.autoencoder import Autoencoder
    from lib.conv import Conv2d, LeNet5, MaxPool2d, ResNet
    from lib.diffusion.models import AttentionBlock, MLPDenoiser, ResBlock, UNet
    from lib.hyena import Block
    from lib.nn import MLP
    from lib.nn.norm import BatchNorm1d, LayerNorm
    from lib.vae import VAE

    t2, t4 = torch.tensor([1, 2]), torch.tensor([1, 2, 3, 4])
    return {
        "Conv2d": (lambda: Conv2d(2, 3, 3), torch.randn(1, 2, 6, 6), {}),
        "MaxPool2d": (lambda: MaxPool2d(2), torch.randn(1, 2, 6, 6), {}),
        "LeNet5": (LeNet5, torch.randn(2, 1, 32, 32), {}),
        "ResNet": (ResNet, torch.randn(2, 1, 16, 16), {}),
        "Autoencoder": (lambda: Autoencoder((6, 4, 2)), torch.randn(3, 6), {}),
        "MLP": (lambda: MLP((3, 4, 2)), torch.randn(5, 3), {}),
        "BatchNorm1d": (lambda: BatchNorm1d(4), torch.randn(5, 4), {}),
        "LayerNorm": (lambda: LayerNorm(4), torch.randn(5, 4), {}),
        "VAE": (VAE, torch.randn(3, 64), {}),
        "MLPDenoiser": (MLPDenoiser, torch.randn(4, 2), {"t": t4}),
        "UNet": (lambda: UNet(in_channels=1, base_channels=8, groups=4), torch.randn(2, 1, 8, 8), {"t": t2}),
        "ResBlock": (lambda: ResBlock(4, 4, 8, groups=2), torch.randn(1, 4, 8, 8), {"emb": torch.randn(1, 8)}),
        "AttentionBlock": (lambda: AttentionBlock(4, groups=2), torch.randn(1, 4, 8, 8), {}),
        "Block": (lambda: Block(torch.nn.Identity(), 8), torch.randn(2, 16, 8), {}),
    }


BAD_TENSOR = {
    "None": (lambda x: None, TypeError),
    "numpy": (lambda x: x.numpy(), TypeError),
    "int": (lambda x: x.round().long(), TypeError),
    "ndim": (lambda x: x.unsqueeze(0).unsqueeze(0), ValueError),
}


# LayerNorm normalises the last dimensions of a tensor of any rank (like torch.nn.LayerNorm): extra dims are valid
@pytest.mark.parametrize(
    "name, bad", [(m, b) for m in sorted(_modules()) for b in sorted(BAD_TENSOR) if (m, b) != ("LayerNorm", "ndim")]
)
def test_module_forward_names_x(name, bad):
    make, x, extra = _modules()[name]
    module = make().eval()
    with torch.no_grad():
        module(x, **extra)  # the valid call works
        change, exc = BAD_TENSOR[bad]
        with pytest.raises(exc) as err:
            module(change(x), **extra)
    assert _names(str(err.value), "x"), str(err.value)


@pytest.mark.parametrize("name", ["Conv2d", "LeNet5", "MLP", "VAE", "MLPDenoiser", "UNet", "ResBlock", "Block"])
def test_module_forward_rejects_float64_for_float32_parameters(name):
    make, x, extra = _modules()[name]
    with pytest.raises(TypeError, match=r"x is torch.float64 .* parameters are torch.float32"):
        make()(x.double(), **extra)


@pytest.mark.parametrize("name, wrong", [("Conv2d", (1, 3, 6, 6)), ("ResNet", (2, 2, 16, 16)), ("Block", (2, 16, 9))])
def test_module_forward_names_wrong_channels(name, wrong):
    make, _, extra = _modules()[name]
    with pytest.raises(ValueError, match="x must have size"):
        make()(torch.randn(*wrong), **extra)


@pytest.mark.parametrize("name, t", [("MLPDenoiser", None), ("MLPDenoiser", torch.tensor([1, 2, 3])), ("UNet", "a")])
def test_denoisers_check_time_steps(name, t):
    make, x, _ = _modules()[name]
    with pytest.raises((TypeError, ValueError), match=r"\bt\b"):
        make()(x, t)


@pytest.mark.parametrize("t", [None, "a"])
def test_diffusion_time_steps_name_t(t):
    from lib.diffusion import GaussianDiffusion, linear_beta_schedule

    d = GaussianDiffusion(linear_beta_schedule(10))
    with pytest.raises(TypeError, match="t must be an int"):
        d.coef("alpha_bars", t, torch.zeros(2, 1))
    with pytest.raises(TypeError, match="t must be an int"):
        d.timesteps(t, 2, "cpu")


def test_diffusion_coef_checks_batch():
    from lib.diffusion import GaussianDiffusion, linear_beta_schedule

    d = GaussianDiffusion(linear_beta_schedule(10))
    with pytest.raises(ValueError, match="one time step per sample of x"):
        d.coef("alpha_bars", torch.tensor([1, 2, 3]), torch.zeros(2, 1))


def test_language_model_errors_name_tokens():
    from lib.hyena import LanguageModel

    lm = LanguageModel(vocab_size=8, d_model=8, n_layers=1, l_max=8, filter_order=8)
    with pytest.raises(ValueError, match="tokens: token ids"):
        lm(torch.full((1, 4), 8))
    with pytest.raises(ValueError, match="tokens: sequence length"):
        lm(torch.zeros(1, 9, dtype=torch.long))


# ---------------------------------------------------------------------------------------------
# shared helpers and hyperparameters
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", [True, False, np.bool_(True)])
def test_check_scalar_accepts_bools_when_asked(value):
    assert check_scalar(value, "flag", bool) == value


@pytest.mark.parametrize("value", [1, 0.0, "yes", None, math.nan])
def test_check_scalar_rejects_non_bools_for_flags(value):
    with pytest.raises(TypeError, match="flag must be a bool"):
        check_scalar(value, "flag", bool)


def test_check_scalar_still_rejects_bools_for_numbers():
    with pytest.raises(TypeError, match="n must be a integral"):
        check_scalar(True, "n", __import__("numbers").Integral)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: __import__("lib.data").data.breast_cancer(standardize="yes"), "standardize"),
        (lambda: __import__("lib.data").data.diabetes(standardize=math.nan), "standardize"),
        (lambda: __import__("lib.fourier").fourier.dft_matrix(4, unitary=None), "unitary"),
        (lambda: __import__("lib.nn.train").nn.train.EarlyStopping(restore_best="no"), "restore_best"),
        (lambda: __import__("lib.conv").conv.ResNet(residual=1), "residual"),
        (lambda: __import__("lib.conv").conv.InceptionNet(batch_norm="bad"), "batch_norm"),
        (lambda: __import__("lib.conv").conv.LeNet5(explicit_backward=0), "explicit_backward"),
        (lambda: __import__("lib.nn").nn.Dropout(inplace=None), "inplace"),
        (lambda: __import__("lib.svm").svm.SVC(break_ties="x").fit(*_data()), "break_ties"),
        (lambda: __import__("lib.nn").nn.Perceptron(shuffle=None).fit(*_data()), "shuffle"),
        (lambda: __import__("lib.ensemble").ensemble.BaggingClassifier(oob_score="x").fit(*_data()), "oob_score"),
    ],
)
def test_flags_must_be_bools(call, name):
    with pytest.raises(TypeError, match=f"{name} must be a bool"):
        call()


@pytest.mark.parametrize(
    "kwargs, exc, name",
    [
        (dict(gamma=math.nan), ValueError, "gamma"),
        (dict(gamma=-1.0), ValueError, "gamma"),
        (dict(degree=2.5), TypeError, "degree"),
        (dict(coef0="a"), TypeError, "coef0"),
    ],
)
def test_get_kernel_checks_hyperparameters_at_once(kwargs, exc, name):
    from lib.kernels import get_kernel

    with pytest.raises(exc, match=name):
        get_kernel("rbf", **kwargs)


@pytest.mark.parametrize("random_state", [math.nan, "a", 1.5])
def test_kfold_checks_random_state(random_state):
    from lib.model_selection import KFold

    with pytest.raises(TypeError, match="random_state"):
        KFold(3, shuffle=True, random_state=random_state)


def test_vgg_rejects_zero_hidden_units():
    from lib.conv import VGG

    with pytest.raises(ValueError, match="hidden"):
        VGG("vgg11", num_classes=10, image_size=32, hidden=0)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(t="a"), TypeError, "t must be an integer torch.Tensor"),
        (dict(t=torch.tensor([0.5])), TypeError, "t must be an integer tensor"),
        (dict(t=torch.tensor([3]), high=3), ValueError, r"t must lie in \[0, 3\)"),
        (dict(t=torch.tensor([-1])), ValueError, "t must lie in"),
        (dict(t=torch.tensor([1, 2]), batch=3), ValueError, "t must have 3 entries"),
        (dict(t=torch.tensor([[1]]), ndim=1), ValueError, "t must be a 1-D tensor"),
    ],
)
def test_check_index_tensor(kwargs, exc, match):
    from lib.utils import check_index_tensor

    t = kwargs.pop("t")
    with pytest.raises(exc, match=match):
        check_index_tensor(t, "t", **kwargs)


# ---------------------------------------------------------------------------------------------
# constructors and functions: sequences, sizes, paths, options (the sweep's call phase)
# ---------------------------------------------------------------------------------------------
def _lazy(path, **kwargs):
    """``lib.<module>.<name>(**kwargs)`` as a thunk (imports happen inside the test)."""

    def call():
        import importlib

        module, _, name = path.rpartition(".")
        return getattr(importlib.import_module(module), name)(**kwargs)

    return call


BAD_CALLS = [
    # sequences of ints
    ("lib.conv.ResNet", dict(channels=None), TypeError, "channels"),
    ("lib.conv.ResNet", dict(blocks=3), TypeError, "blocks"),
    ("lib.conv.ResNet", dict(channels=(16, math.nan)), TypeError, "channels"),
    ("lib.diffusion.UNet", dict(channel_mults=2.0), TypeError, "channel_mults"),
    ("lib.diffusion.UNet", dict(attention_levels=None), TypeError, "attention_levels"),
    ("lib.conv.VGG", dict(config=3), TypeError, "config"),
    ("lib.conv.VGG", dict(config=()), TypeError, "config"),
    ("lib.data.iris", dict(features=2), TypeError, "features"),
    ("lib.data.iris", dict(features=(0, 7)), ValueError, "features"),
    # sizes that would allocate absurdly
    ("lib.data.two_moons", dict(n=10**12), ValueError, r"\bn\b"),
    ("lib.diffusion.linear_beta_schedule", dict(T=10**12), ValueError, r"\bT\b"),
    ("lib.fourier.dft_matrix", dict(n=10**6), ValueError, r"\bn\b"),
    ("lib.conv.LeNet5", dict(num_classes=10**12), ValueError, "num_classes"),
    ("lib.conv.ResNet", dict(in_channels=10**12), ValueError, "in_channels"),
    ("lib.conv.InceptionNet", dict(stem_channels=None), TypeError, "stem_channels"),
    ("lib.diffusion.MLPDenoiser", dict(data_dim=10**12), ValueError, "data_dim"),
    ("lib.conv.digits_tensors", dict(image_size=10**12), ValueError, "image_size"),
    # options given as arrays, None or the wrong type
    ("lib.conv.LeNet5", dict(pooling=np.array(["avg"])), ValueError, "pooling"),
    ("lib.conv.LeNet5", dict(activation=np.array([])), ValueError, "activation"),
    ("lib.conv.AlexNet", dict(dropout=None), TypeError, "dropout"),
    ("lib.conv.bench.results_path", dict(device=np.array([])), ValueError, "device"),
    ("lib.utils.environment_info", dict(device="bad"), ValueError, "device"),
    # paths and checkpoint names
    ("lib.conv.bench.load_results", dict(path=3), TypeError, "path"),
    ("lib.diffusion.quality.load_digits_classifier", dict(path=math.nan), TypeError, "path"),
    ("lib.diffusion.pretrained.load_digits_model", dict(name=None), ValueError, "name"),
    ("lib.diffusion.pretrained.load_digits_model", dict(name="no_such_model"), FileNotFoundError, "name"),
    ("lib.diffusion.pretrained.make_diffusion", dict(config={"schedule": "linear"}), ValueError, "config"),
    # seeds
    ("lib.data.two_moons", dict(rng=-1), ValueError, "rng"),
    ("lib.ensemble.bootstrap_indices", dict(n=5, rng=-3), ValueError, "rng"),
    # the validators' own arguments
    ("lib.utils.check_array", dict(x=np.ones((2, 2)), name=None), TypeError, "name"),
    ("lib.utils.check_array", dict(x=np.ones((2, 2)), ndim=math.nan), TypeError, "ndim"),
    ("lib.utils.check_array", dict(x=np.ones((2, 2)), dtype="bad"), TypeError, "dtype"),
    ("lib.utils.check_array", dict(x=np.ones((2, 2)), finite="yes"), TypeError, "finite"),
    ("lib.utils.check_X_y", dict(X=np.ones((2, 2)), y=np.ones(2), y_dtype=math.nan), TypeError, "y_dtype"),
    ("lib.fourier.circular_conv2d", dict(x=np.ones((2, 2)), k=np.ones((2, 2)), shape=4), TypeError, "shape"),
    ("lib.base.check_target", dict(y=np.ones(3), n_samples=math.nan), TypeError, "n_samples"),
]


@pytest.mark.parametrize("path, kwargs, exc, name", BAD_CALLS, ids=[f"{c[0]}-{c[3]}" for c in BAD_CALLS])
def test_bad_argument_is_named(path, kwargs, exc, name):
    with pytest.raises(exc, match=name):
        _lazy(path, **kwargs)()


@pytest.mark.parametrize("cls", ["KMeans", "SoftKMeans"])
@pytest.mark.parametrize("init, exc", [(None, ValueError), (np.ones((2, 5)), ValueError), (math.nan, ValueError)])
def test_kmeans_init_errors_name_init(cls, init, exc):
    import lib.cluster

    with pytest.raises(exc, match=r"\binit\b"):
        getattr(lib.cluster, cls)(n_clusters=2, init=init).fit(_data()[0])


@pytest.mark.parametrize("cls", ["BaggingClassifier", "AdaBoostClassifier"])
@pytest.mark.parametrize("estimator", [math.nan, "tree", 3])
def test_ensembles_check_the_base_estimator(cls, estimator):
    from sklearn.base import is_classifier

    import lib.ensemble

    est = getattr(lib.ensemble, cls)(estimator=estimator)
    assert is_classifier(est)  # scikit-learn's tag machinery still works; fit reports the bad estimator
    with pytest.raises(TypeError, match="estimator must be"):
        est.fit(*_data())


def test_regressor_rejects_string_targets():
    from lib.linear import Lasso, Ridge

    X, _ = _data()
    for est in (Ridge(), Lasso()):
        with pytest.raises(ValueError, match="y must be numeric"):
            est.fit(X, np.full(X.shape[0], "bad"))


@pytest.mark.parametrize(
    "value, kwargs, exc",
    [
        ((1, 2), {}, None),
        (np.array([1, 2]), {}, None),
        ([1, np.int64(2)], {}, None),
        (3, {}, TypeError),
        ("ab", {}, TypeError),
        ((), {}, ValueError),
        ((), {"min_len": 0}, None),
        ((0, 1), {}, ValueError),
        ((1.5,), {}, TypeError),
    ],
)
def test_check_int_sequence(value, kwargs, exc):
    from lib.utils import check_int_sequence

    if exc is None:
        assert check_int_sequence(value, "seq", **kwargs) == tuple(int(v) for v in value)
    else:
        with pytest.raises(exc, match="seq"):
            check_int_sequence(value, "seq", **kwargs)


def test_check_size_and_path():
    from lib.utils import MAX_SIZE, check_path, check_size

    assert check_size(np.int64(5), "n") == 5
    with pytest.raises(ValueError, match="n must be <="):
        check_size(MAX_SIZE + 1, "n")
    with pytest.raises(TypeError, match="path must be a str"):
        check_path(None)
    assert str(check_path("a/b")) == "a/b"


def test_check_option_never_compares_arrays():
    from lib.utils import check_option

    assert check_option("a", "mode", ("a", "b")) == "a"
    for bad in (np.array(["a"]), np.array([]), None, 1, "c"):
        with pytest.raises(ValueError, match="mode must be one of"):
            check_option(bad, "mode", ("a", "b"))


@pytest.mark.parametrize(
    "method, names",
    [("predict_x0_from_eps", ("xt", "eps")), ("predict_eps_from_x0", ("xt", "x0")), ("v_target", ("x0", "eps"))],
)
def test_diffusion_reparametrisations_check_both_tensors(method, names):
    from lib.diffusion import GaussianDiffusion, linear_beta_schedule

    d = GaussianDiffusion(linear_beta_schedule(10))
    a, b = torch.randn(4, 2), torch.randn(4, 2)
    t = torch.tensor([1, 2, 3, 4])
    getattr(d, method)(a, t, b)  # the valid call works
    with pytest.raises(TypeError, match=names[1]):
        getattr(d, method)(a, t, None)
    with pytest.raises(TypeError, match=names[0]):
        getattr(d, method)(a.long(), t, b)
    with pytest.raises(ValueError, match=f"{names[1]} must have the same shape"):
        getattr(d, method)(a, t, torch.randn(5, 2))


# ---------------------------------------------------------------------------------------------
# torch module constructors (the sweep builds them from MODULE_SPECS and perturbs one argument)
# ---------------------------------------------------------------------------------------------
CTOR_CASES = [
    ("lib.conv.Conv2d", dict(in_channels=2, out_channels=3, kernel_size=3, bias="yes"), TypeError, "bias"),
    ("lib.conv.Conv2d", dict(in_channels=2, out_channels=3, kernel_size=3, device=-1), ValueError, "device"),
    ("lib.conv.Conv2d", dict(in_channels=np.int64(2), out_channels=3, kernel_size=3, bias=2), TypeError, "bias"),
    ("lib.conv.ConvTranspose2d", dict(in_channels=2, out_channels=3, kernel_size=3, bias=None), TypeError, "bias"),
    ("lib.conv.MaxPool2d", dict(kernel_size=2, stride=-1), ValueError, "stride"),
    ("lib.conv.MaxPool2d", dict(kernel_size=2, dilation="a"), TypeError, "dilation"),
    ("lib.conv.MaxPool2d", dict(kernel_size=2, return_indices=1), TypeError, "return_indices"),
    ("lib.conv.AvgPool2d", dict(kernel_size=2, ceil_mode=None), TypeError, "ceil_mode"),
    ("lib.conv.AvgPool2d", dict(kernel_size=2, divisor_override=0), ValueError, "divisor_override"),
    ("lib.conv.AvgPool2d", dict(kernel_size=2, count_include_pad="no"), TypeError, "count_include_pad"),
    (
        "lib.conv.DepthwiseSeparableConv2d",
        dict(in_channels=2, out_channels=3, kernel_size=3, activation="relu"),
        TypeError,
        "activation",
    ),
    (
        "lib.conv.InceptionBlock",
        dict(in_channels=4, c1=None, c3_reduce=2, c3=2, c5_reduce=2, c5=2, pool_proj=2),
        TypeError,
        "c1",
    ),
    ("lib.conv.BasicBlock", dict(in_channels=4, out_channels=4, se_reduction=3), ValueError, "se_reduction"),
    ("lib.nn.norm.BatchNorm1d", dict(num_features=4, affine="yes"), TypeError, "affine"),
    ("lib.nn.norm.BatchNorm1d", dict(num_features=10**12), ValueError, "num_features"),
    ("lib.nn.norm.LayerNorm", dict(normalized_shape=None), TypeError, "normalized_shape"),
    ("lib.nn.norm.LayerNorm", dict(normalized_shape=4, elementwise_affine=0), TypeError, "elementwise_affine"),
    ("lib.nn.MLP", dict(sizes=(3, 4, 2), bias=None), TypeError, "bias"),
    ("lib.nn.MLP", dict(sizes=(3, 4, 2), dropout=math.nan), ValueError, "dropout"),
    ("lib.nn.MLP", dict(sizes=(3, 4, 2), generator=0), TypeError, "generator"),
    ("lib.nn.MLP", dict(sizes=(3, 4, 2), norm=np.array([])), ValueError, "norm"),
    ("lib.autoencoder.Autoencoder", dict(sizes=None), TypeError, "sizes"),
    ("lib.autoencoder.Autoencoder", dict(sizes=(6, 2), code_activation=np.array([])), ValueError, "code_activation"),
    ("lib.diffusion.models.ResBlock", dict(in_ch=None, out_ch=4, time_dim=8), TypeError, "in_ch"),
    ("lib.diffusion.models.ResBlock", dict(in_ch=4, out_ch=4, time_dim=0), ValueError, "time_dim"),
    ("lib.diffusion.models.ResBlock", dict(in_ch=4, out_ch=4, time_dim=8, dropout=None), TypeError, "dropout"),
    ("lib.diffusion.models.AttentionBlock", dict(channels=10**12), ValueError, "channels"),
    ("lib.diffusion.models.GaussianOptimalDenoiser", dict(diffusion=None), TypeError, "diffusion"),
    ("lib.diffusion.models.GaussianOptimalDenoiser", dict(diffusion=None, mean=None), ValueError, "mean"),
    (
        "lib.diffusion.models.EmpiricalOptimalDenoiser",
        dict(diffusion=3, data=torch.zeros(2, 2)),
        TypeError,
        "diffusion",
    ),
    ("lib.hyena.Sin", dict(dim=4, train_freq="yes"), TypeError, "train_freq"),
    ("lib.hyena.Sin", dict(dim=10**12), ValueError, "dim"),
    ("lib.hyena.PositionalEmbedding", dict(emb_dim=5, l_max=16, learnable=None), TypeError, "learnable"),
    ("lib.hyena.ExponentialModulation", dict(channels=4, modulate=1), TypeError, "modulate"),
    (
        "lib.hyena.HyenaFilter",
        dict(d_model=4, n_filters=2, l_max=16, num_inner_mlps=10**12),
        ValueError,
        "num_inner_mlps",
    ),
    (
        "lib.hyena.HyenaFilter",
        dict(d_model=4, n_filters=2, l_max=16, learnable_pos_emb="no"),
        TypeError,
        "learnable_pos_emb",
    ),
    ("lib.hyena.HyenaOperator", dict(d_model=8, l_max=16, cache_filters=None), TypeError, "cache_filters"),
    ("lib.hyena.HyenaOperator", dict(d_model=10**12, l_max=16), ValueError, "d_model"),
    ("lib.hyena.HyenaOperator", dict(d_model=8, l_max=16, fft_dtype=np.array([])), ValueError, "fft_dtype"),
    ("lib.hyena.Block", dict(mixer=None, d_model=8), TypeError, "mixer"),
    ("lib.hyena.Block", dict(mixer=torch.nn.Identity(), d_model=8, mlp_ratio=0), ValueError, "mlp_ratio"),
    (
        "lib.hyena.LanguageModel",
        dict(vocab_size=8, d_model=8, n_layers=1, l_max=16, n_heads=None),
        TypeError,
        "n_heads",
    ),
    ("lib.hyena.LanguageModel", dict(vocab_size=8, d_model=8, n_layers=1, l_max=16, pos_emb="x"), TypeError, "pos_emb"),
    ("lib.utils.Timer", dict(device=math.nan), TypeError, "device"),
    ("lib.utils.Timer", dict(device="bad"), ValueError, "device"),
]


@pytest.mark.parametrize("path, kwargs, exc, name", CTOR_CASES, ids=[f"{c[0]}-{c[3]}" for c in CTOR_CASES])
def test_module_constructor_names_the_bad_argument(path, kwargs, exc, name):
    with pytest.raises(exc, match=name):
        _lazy(path, **kwargs)()


def test_exponential_modulation_checks_t_and_h():
    from lib.hyena import ExponentialModulation

    mod = ExponentialModulation(4)
    t, h = torch.linspace(0, 1, 8)[:, None], torch.randn(8, 4)
    assert mod(t, h).shape == (8, 4) and mod(t[:1], h).shape == (8, 4)  # one time step broadcasts
    with pytest.raises(ValueError, match="h must have one row per time step of t"):
        mod(t, h[:5])
    with pytest.raises(ValueError, match="h must have size 4"):
        mod(t, torch.randn(8, 5))
    with pytest.raises(TypeError, match="t must be a floating-point tensor"):
        mod.window(torch.ones(8, 1, dtype=torch.long))


@pytest.mark.parametrize(
    "device, exc", [(-1, ValueError), ("bad", ValueError), (math.nan, TypeError), (True, TypeError)]
)
def test_check_device(device, exc):
    from lib.utils import check_device

    assert check_device(None) is None and check_device("cpu").type == "cpu"
    with pytest.raises(exc, match="device"):
        check_device(device)


def test_the_sweep_tool_runs_and_finds_nothing_left_in_a_module(tmp_path, monkeypatch):
    """``tools/bad_input_sweep.py`` end to end on two small modules (an estimator module and a torch one)."""
    import importlib
    import json
    import pathlib

    monkeypatch.syspath_prepend(str(pathlib.Path(__file__).parents[1] / "tools"))  # the worker process imports it
    sweep = importlib.import_module("bad_input_sweep")
    out = tmp_path / "report.json"
    assert sweep.main(["--out", str(out), "--modules", "lib.cluster", "lib.nn.norm"]) == 0
    report = json.loads(out.read_text())
    assert set(report["per_phase"]) == {"call", "method"} and report["n_calls"] > 200
    assert report["overall"] == {"clear": report["n_calls"]}, report["overall"]
    # the argument-name rule is a word match: "x" inside "expected" does not name x
    assert sweep._names_argument("x must be 2-D", "x") and not sweep._names_argument("expected 2-D", "x")


FUNCTION_CASES = [
    ("lib.data.sine_function", dict(x=None), ValueError, r"\bx\b"),
    ("lib.data.sine_function", dict(x=np.array([0.1, math.nan])), ValueError, r"\bx\b"),
    ("lib.fourier.fft_conv", dict(x=2.0, k=np.ones(3)), ValueError, "x must have at least one dimension"),
    (
        "lib.fourier.fft_conv2d_multichannel",
        dict(x=torch.ones(1, 1, 4, 4), k=torch.ones(1, 1, 2, 2), mode=np.array([])),
        ValueError,
        "mode",
    ),
    (
        "lib.fourier.causal_fft_conv",
        dict(u=torch.ones(1, 2, 8), k=torch.ones(2, 8), fft_dtype=np.array([])),
        ValueError,
        "fft_dtype",
    ),
    ("lib.nn.dropout", dict(x=None), TypeError, r"\bx\b"),
    ("lib.nn.dropout", dict(x=torch.ones(3), training="yes"), TypeError, "training"),
    ("lib.prob.beta_bernoulli_map", dict(k=3, n=0, a=2.0, b=2.0), ValueError, r"k must be <= 0 \(n,"),
    ("lib.linear.softmax", dict(Z=np.ones((2, 3)), axis=math.nan), TypeError, "axis"),
    ("lib.linear.softmax", dict(Z=np.ones((2, 3)), axis=5), ValueError, "axis"),
    ("lib.linear.logsumexp", dict(Z=np.ones((2, 3)), keepdims="yes"), TypeError, "keepdims"),
    ("lib.linear.logistic.log_softmax", dict(Z=np.ones((2, 3)), axis="a"), TypeError, "axis"),
]


@pytest.mark.parametrize("path, kwargs, exc, name", FUNCTION_CASES, ids=[f"{c[0]}-{c[3]}" for c in FUNCTION_CASES])
def test_function_names_the_bad_argument(path, kwargs, exc, name):
    with pytest.raises(exc, match=name):
        _lazy(path, **kwargs)()


# ---- the modules the sweep covers since recurrent nets, attention, graphs, ViT and HMMs were added ----
def _new_module_cases():
    import lib.attention as A
    import lib.graph as G
    import lib.hmm as H
    import lib.multimodal as MM
    import lib.paradigms as P
    import lib.rnn as R
    import lib.vit as V

    return [
        (lambda: R.RNN(3, 4, num_layers=10**6), ValueError, "num_layers"),  # used to build a million layers
        (lambda: R.LSTM(3, 10**9), ValueError, "hidden_size"),  # used to reach the allocator
        (lambda: R.GRU(3, 4, nonlinearity=np.array([])), ValueError, "nonlinearity"),
        (lambda: R.RNN(3, 4, device=-1), ValueError, "device"),
        (lambda: A.MultiheadAttention(10**12, 1), ValueError, "embed_dim"),
        (lambda: A.MultiheadAttention(8, 2, batch_first=None), TypeError, "batch_first"),
        (lambda: A.TransformerEncoderLayer(8, None), TypeError, "nhead"),
        (lambda: A.TransformerEncoderLayer(8, 2, layer_norm_eps=None), TypeError, "layer_norm_eps"),
        (lambda: A.TransformerEncoder(A.TransformerEncoderLayer(8, 2, 16), 10**12), ValueError, "num_layers"),
        (lambda: A.TransformerEncoder(A.TransformerEncoderLayer(8, 2, 16), 2, norm=math.nan), TypeError, "norm"),
        (lambda: A.MultiHeadAttention(8, 2, causal=None), TypeError, "causal"),
        (lambda: A.MultiHeadAttention(8, 2)(torch.zeros(2, 5)), ValueError, "u"),
        (lambda: A.PointerNetwork(hidden=8, nhead=2)(None, torch.zeros(2, 5, dtype=torch.long)), TypeError, "x"),
        (
            lambda: A.PointerNetwork(hidden=8, nhead=2)(torch.zeros(2, 5, 1), -torch.ones(2, 5, dtype=torch.long)),
            ValueError,
            "targets",
        ),  # fmt: skip
        (lambda: G.GCNConv(10**12, 2), ValueError, "in_channels"),
        (lambda: G.GCNConv(3, 2, bias=None), TypeError, "bias"),
        (lambda: V.ViT(dim=None), TypeError, "dim"),
        (lambda: V.ViT(num_classes=10**12), ValueError, "num_classes"),
        (lambda: V.MAE(decoder_heads=None), TypeError, "decoder_heads"),
        (lambda: V.ViT()(torch.zeros(3, 64, dtype=torch.float64)), TypeError, "x"),
        (lambda: MM.TextEncoder(6, max_len=4)(None, None), TypeError, "ids"),
        (lambda: MM.ImageTextMatcher(image_size=None), TypeError, "image_size"),
        (lambda: MM.digit_captions([1, 2], templates=None), ValueError, "templates"),
        (lambda: P.MultiTaskMLP(2, 3, hidden=None), TypeError, "hidden"),
        (lambda: P.MultiTaskMLP(2, 3, sharing=np.array([])), ValueError, "sharing"),
        (lambda: H.CategoricalHMM(10**12).fit(np.zeros((5, 1), dtype=int)), ValueError, "n_components"),
        (lambda: H.CategoricalHMM(2, algorithm=None).fit(np.zeros((5, 1), dtype=int)), ValueError, "algorithm"),
        (
            lambda: H.CategoricalHMM(2, startprob_prior="bad").fit(np.zeros((5, 1), dtype=int)),
            TypeError,
            "startprob_prior",
        ),  # fmt: skip
        (
            lambda: H.CategoricalHMM(2, transmat_prior=[]).fit(np.zeros((5, 1), dtype=int)),
            ValueError,
            "transmat_prior",
        ),  # fmt: skip
    ]


@pytest.mark.parametrize("case", range(29))
def test_new_modules_name_the_bad_argument(case):
    make, exc, name = _new_module_cases()[case]
    with pytest.raises(exc) as err:
        make()
    assert re.search(rf"\b{name}\b", str(err.value)), str(err.value)


def test_new_module_case_count():
    assert len(_new_module_cases()) == 29


# ---- lib.text (vectorizers, n-gram LM, Transformer LM, ELMo): the sweep's findings when it first reached them ----
_DOCS = ["the cat sat on the mat", "a dog sat on a log"]


def _text_cases():
    import lib.text as T

    return [
        (lambda: T.CountVectorizer(lowercase=None).fit(_DOCS), TypeError, "lowercase"),  # used to be accepted
        (lambda: T.CountVectorizer(binary="yes").fit(_DOCS), TypeError, "binary"),
        (lambda: T.CountVectorizer(tokenizer=3).fit(_DOCS), TypeError, "tokenizer"),  # was "'int' not callable"
        (lambda: T.CountVectorizer(preprocessor="lower").fit(_DOCS), TypeError, "preprocessor"),
        (lambda: T.CountVectorizer(token_pattern=3).fit(_DOCS), TypeError, "token_pattern"),
        (lambda: T.CountVectorizer(token_pattern="(").fit(_DOCS), ValueError, "token_pattern"),
        (lambda: T.CountVectorizer(token_pattern="xyz").fit(_DOCS), ValueError, "token_pattern"),  # matches nothing
        (lambda: T.CountVectorizer(analyzer=np.array([])).fit(_DOCS), ValueError, "analyzer"),  # was ambiguous
        (lambda: T.CountVectorizer(stop_words=np.array([np.nan])).fit(_DOCS), ValueError, "stop_words"),
        (lambda: T.CountVectorizer(vocabulary=math.nan).fit(_DOCS), TypeError, "vocabulary"),
        (lambda: T.CountVectorizer(vocabulary=[1, 2]).fit(_DOCS), TypeError, "vocabulary"),
        (lambda: T.CountVectorizer(min_df=0).fit(_DOCS), ValueError, "min_df"),  # scikit-learn: an int is >= 1
        (lambda: T.CountVectorizer(dtype="bad").fit(_DOCS), TypeError, "dtype"),
        (lambda: T.CountVectorizer().fit([]), ValueError, "raw_documents"),
        (lambda: T.TfidfVectorizer(use_idf=None).fit(_DOCS), TypeError, "use_idf"),
        (lambda: T.TfidfVectorizer(sublinear_tf=1).fit(_DOCS), TypeError, "sublinear_tf"),
        (lambda: T.TfidfVectorizer(norm=np.array([])).fit(_DOCS), ValueError, "norm"),
        (lambda: T.NGramLM(n=None), TypeError, "n"),  # now checked at construction too
        (lambda: T.NGramLM(n=10**12), ValueError, "n"),  # fit would have looped over a trillion orders
        (lambda: T.NGramLM(smoothing=np.array([])), ValueError, "smoothing"),
        (lambda: T.TransformerLM(6, d_model=None), TypeError, "d_model"),  # was "empty(): argument 'size'"
        (lambda: T.TransformerLM(10**12), ValueError, "vocab_size"),  # used to reach the allocator
        (lambda: T.TransformerLM(6, causal="yes"), TypeError, "causal"),
        (lambda: T.TransformerLM(6, max_len=4)(None), TypeError, "ids"),  # was an AttributeError on None.shape
        (lambda: T.TransformerLM(6, max_len=4)(torch.zeros(4, dtype=torch.long)), TypeError, "ids"),
        (lambda: T.TransformerLM(6, max_len=4)(torch.zeros(1, 8, dtype=torch.long)), ValueError, "ids"),
        (lambda: T.ELMo(10**12), ValueError, "vocab_size"),
        (lambda: T.Word2Vec(6, 4, counts=[1, -1, 1, 1, 1, 1]), ValueError, "counts"),  # ignored with softmax before
        (lambda: T.Word2Vec(6, 4, power=math.nan), ValueError, "power"),
        (lambda: T.Word2Vec(6, 4, mode=np.array([])), ValueError, "mode"),
        (lambda: T.Word2Vec(6, 4)(torch.zeros(3, dtype=torch.long), torch.full((3,), 6)), ValueError, "targets"),
        (lambda: __import__("lib.data", fromlist=["x"]).text_corpus(np.array([])), ValueError, "name"),
    ]


@pytest.mark.parametrize("case", range(32))
def test_text_modules_name_the_bad_argument(case):
    make, exc, name = _text_cases()[case]
    with pytest.raises(exc) as err:
        make()
    assert re.search(rf"\b{name}\b", str(err.value)), str(err.value)


def test_text_case_count():
    assert len(_text_cases()) == 32


def test_vectorizers_take_raw_documents_by_keyword_like_scikit_learn():
    # TransformerMixin's set_output wrapper used to rename the argument to X: fit_transform(raw_documents=...) failed
    from sklearn.feature_extraction.text import TfidfVectorizer as SkTfidf

    import lib.text as T

    for ours in (T.CountVectorizer(), T.TfidfVectorizer()):
        a = ours.fit_transform(raw_documents=_DOCS)
        b = ours.transform(raw_documents=_DOCS)
        assert (a != b).nnz == 0
    ref = SkTfidf().fit_transform(raw_documents=_DOCS).toarray()
    np.testing.assert_allclose(T.TfidfVectorizer().fit_transform(raw_documents=_DOCS).toarray(), ref, atol=1e-12)
