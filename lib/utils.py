"""全书共用的小工具：随机种子、设备、计时、数值梯度和输入检查。

输入检查函数（``check_array``、``check_X_y``、``check_scalar`` ……）是全书约定的一部分：
lib 里每个公开函数都先用它们检查参数，出错时抛出 ``ValueError``/``TypeError``，
信息里写明 *哪个参数*、*期望什么*、*实际得到什么*，而不是在深处以难懂的方式失败。
"""

from __future__ import annotations

import json
import os
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from numbers import Integral, Real
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "seed_everything",
    "get_device",
    "Timer",
    "benchmark",
    "environment_info",
    "RESULTS_DIR",
    "results_path",
    "load_results",
    "save_results",
    "numerical_grad",
    "check_array",
    "check_X_y",
    "check_scalar",
    "check_random_state",
    "check_is_fitted",
    "check_option",
    "check_size",
    "check_int_sequence",
    "check_path",
    "check_device",
    "MAX_SIZE",
    "check_module_input",
    "check_index_tensor",
    "show_source",
]


# ---------------------------------------------------------------------------------------------
# 随机性与设备
# ---------------------------------------------------------------------------------------------
def seed_everything(seed: int = 0) -> np.random.Generator:
    """固定 Python、NumPy 和（若已安装）PyTorch 的随机种子，返回一个 NumPy ``Generator``。

    书中每个用到随机数的单元格都从这里拿随机源，使得每次运行、每台机器上的输出一致。
    """
    seed = int(check_scalar(seed, "seed", Integral, min_val=0))  # NumPy 整数也接受
    random.seed(seed)
    np.random.seed(seed % 2**32)
    os.environ["PYTHONHASHSEED"] = str(seed)
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency, but lib.utils does not need it
        pass
    else:
        torch.manual_seed(seed)
    return np.random.default_rng(seed)


def check_random_state(rng: None | int | np.random.Generator, name: str = "rng") -> np.random.Generator:
    """把 ``None``/整数/``Generator`` 统一成 ``np.random.Generator``。``None`` 表示种子 0（书中一切可复现）。"""
    if rng is None:
        return np.random.default_rng(0)
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, Integral) and not isinstance(rng, bool):
        if rng < 0:
            raise ValueError(f"{name} must be a non-negative int seed, got {rng!r}")
        return np.random.default_rng(int(rng))
    raise TypeError(f"{name} must be None, an int seed or a numpy.random.Generator, got {type(rng).__name__}")


def check_device(device: Any, name: str = "device"):
    """设备参数：``None``（保持默认）、设备字符串、整数下标或 ``torch.device``；要 CUDA 时 CUDA 必须可用。
    返回 ``torch.device``（``None`` 原样返回）。"""
    if device is None:
        return None
    import torch

    if isinstance(device, bool) or not isinstance(device, (str, torch.device, Integral)):
        raise TypeError(f"{name} must be None, a device string or a torch.device, got {type(device).__name__}")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise ValueError(f"{name} must be a device such as 'cpu' or 'cuda', got {device!r}") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"{name}={str(dev)!r} asks for CUDA, but CUDA is not available")
    return dev


def get_device(prefer: str = "cuda"):
    """返回 ``torch.device``：有 CUDA 时用 GPU，否则用 CPU。``prefer="cpu"`` 强制用 CPU。"""
    import torch

    if not isinstance(prefer, str) or prefer not in ("cuda", "cpu"):
        raise ValueError(f"prefer must be 'cuda' or 'cpu', got {prefer!r}")
    if prefer == "cuda" and torch.cuda.is_available():
        return torch.device("cuda")
    return torch.device("cpu")


# ---------------------------------------------------------------------------------------------
# 计时
# ---------------------------------------------------------------------------------------------
class Timer:
    """上下文管理器计时器：``with Timer() as t: ...`` 之后 ``t.elapsed`` 是秒数。

    若传入 CUDA 设备，进入和退出时都会同步，计到的是 GPU 上真正花掉的时间。
    """

    def __init__(self, device: Any = None):
        check_device(device)
        self.device = device
        self.elapsed = float("nan")

    def _sync(self) -> None:
        if self.device is not None and str(self.device).startswith("cuda"):
            import torch

            torch.cuda.synchronize(self.device)

    def __enter__(self) -> Timer:
        self._sync()
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self._sync()
        self.elapsed = time.perf_counter() - self._start


@dataclass
class BenchmarkResult:
    """一次基准测量的结果。时间单位是秒；``peak_mem_bytes`` 只在 CUDA 上测得，否则为 ``None``。"""

    median: float
    times: list[float] = field(repr=False)
    peak_mem_bytes: int | None = None

    @property
    def best(self) -> float:
        return min(self.times)


def benchmark(
    fn: Callable[[], Any],
    *,
    repeat: int = 5,
    warmup: int = 1,
    device: Any = None,
    min_time: float = 0.0,
) -> BenchmarkResult:
    """测量 ``fn()`` 的耗时：先预热 ``warmup`` 次，再计时 ``repeat`` 次，返回中位数。

    在 CUDA 上每次计时前后同步，并记录峰值显存。``min_time`` > 0 时，单次太快的函数会被
    连续调用多次再取平均，以免计时器分辨率主导结果。这是三个 GPU 核心的基准脚本共用的测量方法。
    """
    repeat = check_scalar(repeat, "repeat", Integral, min_val=1)
    warmup = check_scalar(warmup, "warmup", Integral, min_val=0)
    on_cuda = device is not None and str(device).startswith("cuda")
    if on_cuda:
        import torch

        torch.cuda.reset_peak_memory_stats(device)
    for _ in range(warmup):
        fn()
    inner = 1
    if min_time > 0:
        with Timer(device) as t:
            fn()
        inner = max(1, int(np.ceil(min_time / max(t.elapsed, 1e-9))))
    times = []
    for _ in range(repeat):
        with Timer(device) as t:
            for _ in range(inner):
                fn()
        times.append(t.elapsed / inner)
    peak = None
    if on_cuda:
        import torch

        peak = int(torch.cuda.max_memory_allocated(device))
    return BenchmarkResult(median=float(np.median(times)), times=times, peak_mem_bytes=peak)


def _cpu_model() -> str | None:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def environment_info(device: Any = None) -> dict:
    """基准测试结果要记录的环境：设备名、CPU 核数、PyTorch/NumPy/CUDA 版本、日期。

    三个 GPU 核心的基准脚本（``benchmarks/*.py``）都把它写进结果文件，书中的表格与它一起展示。
    """
    import datetime
    import platform

    import torch

    device = get_device() if device is None else check_device(device)
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
    else:
        name = _cpu_model() or platform.processor() or platform.machine()
    return {
        "device": device.type,
        "device_name": name,
        "cpu_count": os.cpu_count(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "cuda": torch.version.cuda if device.type == "cuda" else None,
        "python": platform.python_version(),
        "date": datetime.date.today().isoformat(),
    }


# Measured benchmark results ship inside lib (lib/results/*.json, package data), so that a page opened
# alone in Colab shows the same measured table as the book. benchmarks/*.py write them; pages read them.
RESULTS_DIR = Path(__file__).with_name("results")


def results_path(name: str) -> Path:
    """结果文件 ``lib/results/{name}.json`` 的路径，``name`` 形如 ``"conv-cpu"``、``"hyena-cuda"``。"""
    if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", name):
        raise ValueError(f"name must be lower-case letters, digits, '-' or '_' (e.g. 'conv-cpu'), got {name!r}")
    return RESULTS_DIR / f"{name}.json"


def load_results(name: str) -> dict | None:
    """读取基准脚本写下的结果；文件不存在（例如还没有 GPU 上的测量）时返回 ``None``。"""
    path = results_path(name)
    if not path.exists():
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def save_results(name: str, data: dict) -> Path:
    """把结果写进 ``lib/results/{name}.json``（缩进、保留中文），返回路径。"""
    path = results_path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------
# 数值梯度
# ---------------------------------------------------------------------------------------------
def numerical_grad(f: Callable[[np.ndarray], float], w: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    r"""中心差分梯度 :math:`\partial f/\partial w_j \approx (f(w+\epsilon e_j)-f(w-\epsilon e_j))/(2\epsilon)`。

    误差是 :math:`O(\epsilon^2)`，用来核对书中每个手推的梯度。``w`` 可以是任意形状的数组。
    """
    w = check_array(w, "w", ndim=None)
    eps = check_scalar(eps, "eps", Real, min_val=0, include_min=False)
    grad = np.zeros_like(w)
    flat, gflat = w.reshape(-1), grad.reshape(-1)
    for j in range(flat.size):
        old = flat[j]
        flat[j] = old + eps
        f_plus = float(f(w))
        flat[j] = old - eps
        f_minus = float(f(w))
        flat[j] = old
        gflat[j] = (f_plus - f_minus) / (2 * eps)
    return grad


# ---------------------------------------------------------------------------------------------
# 输入检查
# ---------------------------------------------------------------------------------------------
def _check_ndim(ndim) -> tuple[int, ...]:
    """``check_array`` 的 ``ndim``：一个非负整数或它们的元组/列表。"""
    allowed = (ndim,) if isinstance(ndim, Integral) else ndim
    if not isinstance(allowed, (tuple, list)) or not all(
        isinstance(d, Integral) and not isinstance(d, bool) and d >= 0 for d in allowed
    ):
        raise TypeError(f"ndim must be a non-negative int, a tuple of them or None, got {ndim!r}")
    return tuple(int(d) for d in allowed)


def _check_dtype(dtype, name: str) -> None:
    try:
        np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{name} must be a NumPy dtype (or None to keep the input's), got {dtype!r}") from None


def check_array(
    x: Any,
    name: str = "X",
    *,
    ndim: int | tuple[int, ...] | None = 2,
    dtype: Any = np.float64,
    allow_empty: bool = False,
    finite: bool = True,
    copy: bool = True,
) -> np.ndarray:
    """把 ``x`` 转成 NumPy 数组并检查维数、是否为空、是否全为有限数。

    ``ndim`` 可以是一个整数、整数元组（允许的维数）或 ``None``（不检查）。
    ``dtype=None`` 表示保留原类型（例如类别标签）。默认返回副本，调用方可以放心修改。
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str (the argument's name for messages), got {type(name).__name__}")
    for flag, value in (("allow_empty", allow_empty), ("finite", finite), ("copy", copy)):
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{flag} must be a bool, got {type(value).__name__} ({value!r})")
    if ndim is not None:
        allowed = _check_ndim(ndim)
    if x is None:
        raise ValueError(f"{name} must be an array, got None")
    if hasattr(x, "detach") and hasattr(x, "cpu"):  # a torch tensor
        x = x.detach().cpu().numpy()
    try:
        arr = np.array(x, dtype=dtype, copy=copy) if dtype is not None else np.array(x, copy=copy)
    except (TypeError, ValueError) as err:
        _check_dtype(dtype, "dtype")
        raise TypeError(f"{name} must be array-like of numbers, got {type(x).__name__} ({err})") from None
    if arr.dtype == object:
        raise TypeError(f"{name} must be a regular (not ragged) array, got an object array")
    if ndim is not None:
        if arr.ndim not in allowed:
            want = " or ".join(f"{d}-D" for d in allowed)
            raise ValueError(f"{name} must be {want}, got an array of shape {arr.shape}")
    if not allow_empty and arr.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    if finite and np.issubdtype(arr.dtype, np.number) and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinity")
    return arr


def check_X_y(X: Any, y: Any, *, y_dtype: Any = np.float64) -> tuple[np.ndarray, np.ndarray]:
    """检查特征矩阵 ``X``（n×d）与目标 ``y``（长度 n）并返回副本。"""
    if y_dtype is not None:
        _check_dtype(y_dtype, "y_dtype")
    X = check_array(X, "X", ndim=2)
    y = check_array(y, "y", ndim=1, dtype=y_dtype)
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"X and y must have the same number of rows, got X: {X.shape[0]}, y: {y.shape[0]}")
    return X, y


def check_scalar(
    value: Any,
    name: str,
    kind: type | tuple[type, ...] = Real,
    *,
    min_val: float | None = None,
    max_val: float | None = None,
    include_min: bool = True,
    include_max: bool = True,
):
    """检查标量参数的类型与取值范围，例如 ``check_scalar(lr, "lr", Real, min_val=0, include_min=False)``。

    ``True``/``False`` 不算数（``check_scalar(True, "n", Integral)`` 报错），除非 ``kind`` 含 ``bool``：
    开关参数用 ``check_scalar(flag, "flag", bool)`` 检查（``np.bool_`` 也接受），``"yes"``、``nan`` 之类被拒绝。"""
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, (bool, np.bool_)) and bool in kinds:
        return value
    if isinstance(value, bool) or not isinstance(value, kinds):
        want = " or ".join(k.__name__.lower() for k in kinds)
        raise TypeError(f"{name} must be a {want}, got {type(value).__name__} ({value!r})")
    if isinstance(value, Real) and not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if min_val is not None and (value < min_val or (not include_min and value == min_val)):
        op = ">=" if include_min else ">"
        raise ValueError(f"{name} must be {op} {min_val}, got {value!r}")
    if max_val is not None and (value > max_val or (not include_max and value == max_val)):
        op = "<=" if include_max else "<"
        raise ValueError(f"{name} must be {op} {max_val}, got {value!r}")
    return value


# 数组、宽度、样本数这一类"大小"参数的上限：超过它的值几乎总是笔误（10**12 个样本要 7 TiB 内存），
# 在入口就报错，而不是等分配器给出 "Unable to allocate 7.28 TiB" 或挂起。
MAX_SIZE = 10**9


def check_size(value: Any, name: str, *, min_val: int = 1, max_val: int = MAX_SIZE) -> int:
    """大小参数（样本数、通道数、类别数、步数……）：整数（NumPy 整数也行），在 ``[min_val, max_val]`` 内。"""
    return int(check_scalar(value, name, Integral, min_val=min_val, max_val=max_val))


def check_int_sequence(
    value: Any, name: str, *, min_val: int | None = 1, max_val: int | None = MAX_SIZE, min_len: int = 1
) -> tuple[int, ...]:
    """整数序列参数（各层通道数、每级块数、注意力所在的级……）：返回元组；不是序列、元素不是整数或越界时点名报错。"""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__") or getattr(value, "ndim", 1) != 1:
        raise TypeError(f"{name} must be a sequence of ints, got {type(value).__name__} ({value!r})")
    items = tuple(value)
    if len(items) < min_len:
        raise ValueError(f"{name} must have at least {min_len} entries, got {items!r}")
    for v in items:
        check_scalar(v, f"each entry of {name}", Integral, min_val=min_val, max_val=max_val)
    return tuple(int(v) for v in items)


def check_path(value: Any, name: str = "path") -> Path:
    """文件路径参数：``str`` 或 ``os.PathLike``，返回 ``pathlib.Path``。"""
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"{name} must be a str or os.PathLike path, got {type(value).__name__} ({value!r})")
    return Path(value)


def check_option(value: Any, name: str, options) -> Any:
    """``value`` 是 ``options`` 中的一个（字符串选项，例如 ``solver``、``kernel``、``mode``），否则 ``ValueError``。

    直接写 ``value not in options`` 时，传进一个数组会得到 NumPy 的 “truth value of an array is ambiguous”，
    不说是哪个参数；这里先确认它可以被比较。返回 ``value``。"""
    if not any(value is o or (isinstance(value, str) and isinstance(o, str) and value == o) for o in options):
        raise ValueError(f"{name} must be one of {tuple(options)}, got {value!r}")
    return value


def check_is_fitted(estimator: Any, attribute: str) -> None:
    """在 ``predict`` 之前确认 ``fit`` 已经调用过（检查 ``fit`` 设置的属性）。

    没有拟合时抛出 scikit-learn 的 ``NotFittedError``（它同时是 ``ValueError`` 与 ``AttributeError``），
    所以 scikit-learn 的工具与 ``check_estimator`` 认得出这个错误。
    """
    if not hasattr(estimator, attribute):
        from sklearn.exceptions import NotFittedError

        raise NotFittedError(f"this {type(estimator).__name__} is not fitted yet; call fit(X, y) first")


# ---------------------------------------------------------------------------------------------
# 在书页上展示 lib 的源码
# ---------------------------------------------------------------------------------------------
def show_source(obj: Any, *, start: str | None = None, stop: str | None = None):
    """把 lib 中一个函数、类或方法的源码作为带高亮的代码块显示在页面上（书中"算法的核心"用它展示）。

    页面上展示的就是被测试、被调用的那份代码，不是第二份抄本。``start``/``stop`` 是源码中的两段文字：
    只显示从含 ``start`` 的第一行到其后含 ``stop`` 的第一行（含）之间的部分，用来截取长函数的核心循环。
    返回 ``IPython.display.Markdown``（Jupyter Book 与 Colab 都把它渲染成代码块）。
    """
    import inspect
    import textwrap

    from IPython.display import Markdown

    if not (inspect.isfunction(obj) or inspect.isclass(obj) or inspect.ismethod(obj) or inspect.ismodule(obj)):
        raise TypeError(f"obj must be a function, class, method or module, got {type(obj).__name__}")
    lines = textwrap.dedent(inspect.getsource(obj)).splitlines()
    first, last = 0, len(lines) - 1
    if start is not None:
        hits = [i for i, line in enumerate(lines) if start in line]
        if not hits:
            raise ValueError(f"start={start!r} does not occur in the source of {obj.__qualname__}")
        first = hits[0]
    if stop is not None:
        hits = [i for i, line in enumerate(lines) if stop in line and i >= first]
        if not hits:
            raise ValueError(f"stop={stop!r} does not occur after start in the source of {obj.__qualname__}")
        last = hits[0]
    body = textwrap.dedent("\n".join(lines[first : last + 1]))
    return Markdown(f"```python\n{body}\n```")


def _check_tensor_ndim(t, name: str, ndim) -> None:
    """张量 ``t`` 的维数是 ``ndim``（整数或允许的整数元组；``None`` 不检查）。"""
    if ndim is None:
        return
    allowed = _check_ndim(ndim)
    if t.ndim not in allowed:
        want = " or ".join(f"{d}-D" for d in allowed)
        raise ValueError(f"{name} must be a {want} tensor, got shape {tuple(t.shape)}")


def check_module_input(
    x: Any,
    module: Any,
    name: str = "x",
    *,
    ndim: int | tuple[int, ...] | None = None,
    sizes: dict[int, int] | None = None,
) -> None:
    """``x`` 是浮点张量，与 ``module`` 的参数同 dtype、同设备（自动混合精度下允许 dtype 不同），
    维数是 ``ndim``（整数或允许的整数元组），``sizes`` 给出的各维大小相符
    （如 ``{1: in_channels}``、``{-1: d_model}``）。

    否则 torch 会在很深的地方报 “mat1 and mat2 must have the same dtype”“mixed dtype (CPU)”
    或 “'NoneType' object has no attribute 'dim'”；这里在模块的入口就说清楚是哪个参数、期望什么。
    """
    import torch

    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    _check_tensor_ndim(x, name, ndim)
    for axis, size in (sizes or {}).items():
        if x.ndim <= axis or x.ndim < -axis or x.shape[axis] != size:
            raise ValueError(f"{name} must have size {size} in dimension {axis}, got shape {tuple(x.shape)}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got {x.dtype}")
    p = next(module.parameters(), None) if module is not None else None
    if p is None:
        return
    if (x.dtype != p.dtype and not torch.is_autocast_enabled(x.device.type)) or x.device != p.device:
        raise TypeError(
            f"{name} is {x.dtype} on {x.device} but the module's parameters are {p.dtype} on {p.device}; "
            f"convert one of them (e.g. module.to({name}.device, {name}.dtype))"
        )


def check_index_tensor(
    t: Any,
    name: str,
    *,
    high: int | None = None,
    low: int = 0,
    ndim: int | tuple[int, ...] | None = None,
    batch: int | None = None,
):
    """``t`` 是整数下标张量（时间步、词元编号……），取值在 ``[low, high)``，维数是 ``ndim``；
    ``batch`` 给出时，一维的 ``t`` 必须恰有 ``batch`` 个元素（与数据的批大小一致）。返回 ``t``。

    越界的下标在 CPU 上是 “index out of range in self”，在 GPU 上是难懂的断言，负下标还会悄悄回绕；
    这里在入口就点名参数。取值范围只在 CPU 张量上检查（GPU 上检查要同步，代价太大）。
    """
    import torch

    if not isinstance(t, torch.Tensor):
        raise TypeError(f"{name} must be an integer torch.Tensor, got {type(t).__name__}")
    if t.is_floating_point() or t.is_complex() or t.dtype == torch.bool:
        raise TypeError(f"{name} must be an integer tensor, got {t.dtype}")
    _check_tensor_ndim(t, name, ndim)
    if batch is not None and t.ndim == 1 and t.shape[0] != batch:
        raise ValueError(f"{name} must have {batch} entries (one per sample), got shape {tuple(t.shape)}")
    if t.device.type == "cpu" and t.numel():
        lo, hi = int(t.min()), int(t.max())
        if lo < low or (high is not None and hi >= high):
            want = f"[{low}, {high})" if high is not None else f">= {low}"
            raise ValueError(f"{name} must lie in {want}, got values in [{lo}, {hi}]")
    return t
