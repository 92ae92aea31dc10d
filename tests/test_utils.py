import time

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError

import lib
from lib.utils import check_array, check_scalar, check_X_y


def test_seed_everything_makes_numpy_and_torch_reproducible():
    rng = lib.utils.seed_everything(123)
    a = (rng.normal(size=3), np.random.rand(3), torch.rand(3))
    rng = lib.utils.seed_everything(123)
    b = (rng.normal(size=3), np.random.rand(3), torch.rand(3))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert torch.equal(a[2], b[2])


@pytest.mark.parametrize("bad", [-1, 1.5, "3", True])
def test_seed_everything_rejects_bad_seeds(bad):
    with pytest.raises((TypeError, ValueError), match="seed"):
        lib.utils.seed_everything(bad)


def test_check_random_state():
    assert isinstance(lib.utils.check_random_state(None), np.random.Generator)
    g = np.random.default_rng(3)
    assert lib.utils.check_random_state(g) is g
    np.testing.assert_array_equal(lib.utils.check_random_state(5).random(2), np.random.default_rng(5).random(2))
    with pytest.raises(TypeError, match="rng"):
        lib.utils.check_random_state("seed")


def test_get_device_returns_cpu_when_asked():
    assert lib.utils.get_device("cpu").type == "cpu"
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert lib.utils.get_device().type == expected
    with pytest.raises(ValueError, match="prefer"):
        lib.utils.get_device("tpu")


def test_timer_and_benchmark_measure_elapsed_time():
    with lib.utils.Timer() as t:
        time.sleep(0.02)
    assert 0.015 < t.elapsed < 1.0
    result = lib.utils.benchmark(lambda: time.sleep(0.005), repeat=3, warmup=1)
    assert len(result.times) == 3 and 0.004 < result.median < 0.5
    assert result.best <= result.median
    assert result.peak_mem_bytes is None
    with pytest.raises(ValueError, match="repeat"):
        lib.utils.benchmark(lambda: None, repeat=0)


def test_numerical_grad_matches_analytic_gradient():
    A = np.array([[3.0, 1.0], [1.0, 2.0]])
    w = np.array([0.3, -0.7])
    g = lib.utils.numerical_grad(lambda v: 0.5 * v @ A @ v + np.sin(v[0]), w)
    np.testing.assert_allclose(g, A @ w + np.array([np.cos(w[0]), 0.0]), rtol=1e-8)
    # works on matrices too, and leaves its input untouched
    W = np.arange(6.0).reshape(2, 3)
    W0 = W.copy()
    np.testing.assert_allclose(lib.utils.numerical_grad(lambda m: np.sum(m**2), W), 2 * W, rtol=1e-8)
    np.testing.assert_array_equal(W, W0)


class TestValidation:
    def test_check_array_converts_and_copies(self):
        data = [[1, 2], [3, 4]]
        out = check_array(data)
        assert out.dtype == np.float64 and out.shape == (2, 2)
        t = torch.ones(2, 2)
        assert isinstance(check_array(t), np.ndarray)

    @pytest.mark.parametrize(
        "value, kwargs, match",
        [
            (None, {}, "X must be an array, got None"),
            ([1.0, 2.0], {}, "X must be 2-D"),
            (np.zeros((0, 3)), {}, "must not be empty"),
            ([[1.0, np.nan]], {}, "NaN or infinity"),
            ([[1, 2], [3]], {}, "array-like|ragged"),
            (np.zeros((2, 2, 2)), {"ndim": (1, 2)}, "1-D or 2-D"),
        ],
    )
    def test_check_array_errors_name_the_argument(self, value, kwargs, match):
        with pytest.raises((TypeError, ValueError), match=match):
            check_array(value, "X", **kwargs)

    def test_check_X_y_length_mismatch(self):
        with pytest.raises(ValueError, match="same number of rows, got X: 3, y: 2"):
            check_X_y(np.zeros((3, 2)), np.zeros(2))

    def test_check_scalar(self):
        assert check_scalar(0.5, "lr", float, min_val=0, include_min=False) == 0.5
        with pytest.raises(ValueError, match=r"lr must be > 0, got 0"):
            check_scalar(0, "lr", int, min_val=0, include_min=False)
        with pytest.raises(TypeError, match="steps must be a int"):
            check_scalar(2.0, "steps", int)
        with pytest.raises(TypeError, match="flag"):
            check_scalar(True, "flag", int)
        with pytest.raises(ValueError, match="finite"):
            check_scalar(float("inf"), "x", float)
        with pytest.raises(ValueError, match="<= 1"):
            check_scalar(2.0, "p", float, max_val=1)

    def test_check_is_fitted(self):
        model = lib.linear.LinearRegression()
        with pytest.raises(NotFittedError, match="not fitted"):
            lib.utils.check_is_fitted(model, "coef_")


def test_environment_info_records_versions():
    info = lib.utils.environment_info("cpu")
    assert info["device"] == "cpu" and info["torch"] == torch.__version__ and info["cpu_count"] >= 1
    assert set(info) >= {"device_name", "numpy", "python", "date"}


def test_results_round_trip_and_shipped_files(tmp_path, monkeypatch):
    monkeypatch.setattr(lib.utils, "RESULTS_DIR", tmp_path)
    assert lib.utils.load_results("demo-cpu") is None
    path = lib.utils.save_results("demo-cpu", {"environment": {"device": "cpu"}, "rows": [1, 2]})
    assert path == tmp_path / "demo-cpu.json"
    assert lib.utils.load_results("demo-cpu") == {"environment": {"device": "cpu"}, "rows": [1, 2]}
    with pytest.raises(ValueError, match="name must be lower-case"):
        lib.utils.results_path("../escape")


def test_committed_benchmark_results_carry_their_environment():
    """Every measured table the book shows records where and when it was measured."""
    files = sorted(lib.utils.RESULTS_DIR.glob("*.json"))
    assert files, "no benchmark results in lib/results"
    for path in files:
        data = lib.utils.load_results(path.stem)
        env = data.get("environment", {})
        assert {"device", "device_name", "torch", "date"} <= set(env), f"{path.name}: incomplete environment"


def test_show_source_renders_the_real_source_and_slices_it():
    md = lib.utils.show_source(lib.utils.numerical_grad)
    text = md.data
    assert text.startswith("```python\ndef numerical_grad(") and text.endswith("```")
    assert "gflat[j] = (f_plus - f_minus) / (2 * eps)" in text
    part = lib.utils.show_source(lib.utils.numerical_grad, start="for j in", stop="gflat[j] =").data
    lines = part.splitlines()
    assert lines[1].startswith("for j in range(flat.size)") and lines[-2].startswith("    gflat[j] =")
    with pytest.raises(ValueError, match="start"):
        lib.utils.show_source(lib.utils.numerical_grad, start="no such text")
    with pytest.raises(ValueError, match="stop"):
        lib.utils.show_source(lib.utils.numerical_grad, start="for j in", stop="def numerical_grad")
    with pytest.raises(TypeError, match="obj"):
        lib.utils.show_source(42)
