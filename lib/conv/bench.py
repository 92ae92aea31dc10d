r"""卷积基准测试的测量与读取（“三种实现：直接、im2col 与 FFT”一节；脚本是 ``benchmarks/conv.py``）。

:func:`time_conv` 测一种实现在一个形状上的前向时间和“前向 + 反向”时间（用 :func:`lib.utils.benchmark`，CUDA 上同步并记录
峰值显存）；``method='torch'`` 是基准 ``torch.nn.functional.conv2d``（CUDA 上即 cuDNN）。
:func:`load_results` 读取脚本写下的 ``lib/results/conv-{device}.json``，:func:`results_rows` 把它整理成表格的行。
"""

from __future__ import annotations

import json
import pathlib
from numbers import Integral

import torch
import torch.nn.functional as F

from .. import utils
from ..utils import benchmark, check_option, check_path, check_scalar
from .functional import METHODS, conv2d, spectrum_cache

__all__ = ["BENCH_METHODS", "time_conv", "results_path", "load_results", "results_rows"]

# "fft-nocache": the FFT path with the kernel-spectrum cache switched off (the kernels are transformed on every call)
BENCH_METHODS = ("torch", *METHODS, "fft-nocache")


def time_conv(
    method: str,
    input_shape,
    weight_shape,
    *,
    padding=0,
    groups: int = 1,
    stride=1,
    dilation=1,
    device=None,
    dtype=torch.float32,
    backward: bool = False,
    repeat: int = 5,
    warmup: int = 1,
    seed: int = 0,
) -> dict:
    """测一次：返回 ``{"median_s": 中位数秒, "times_s": [...], "peak_mem_bytes": CUDA 峰值显存或 None}``。

    ``backward=True`` 时计时的是前向 + 对输入与卷积核的反向传播（损失取输出之和）。
    """
    check_option(method, "method", BENCH_METHODS)
    repeat = int(check_scalar(repeat, "repeat", Integral, min_val=1))
    device = torch.device(device) if device is not None else torch.device("cpu")
    gen = torch.Generator(device="cpu").manual_seed(seed)
    x = torch.randn(*input_shape, generator=gen, dtype=torch.float32).to(device=device, dtype=dtype)
    w = torch.randn(*weight_shape, generator=gen, dtype=torch.float32).to(device=device, dtype=dtype)
    w = w / w[0].numel() ** 0.5
    x.requires_grad_(backward)
    w.requires_grad_(backward)

    def forward():
        if method == "torch":
            return F.conv2d(x, w, None, stride, padding, dilation, groups)
        if method == "fft-nocache":
            with spectrum_cache(False):
                return conv2d(x, w, None, stride, padding, dilation, groups, method="fft")
        return conv2d(x, w, None, stride, padding, dilation, groups, method=method)

    def step():
        if backward:
            x.grad = w.grad = None
            forward().sum().backward()
        else:
            with torch.no_grad():
                forward()

    if device.type == "cuda":
        torch.cuda.empty_cache()
    res = benchmark(step, repeat=repeat, warmup=warmup, device=device)
    return {"median_s": res.median, "times_s": res.times, "peak_mem_bytes": res.peak_mem_bytes}


def results_path(device: str = "cpu") -> pathlib.Path:
    """基准结果文件的位置 ``lib/results/conv-{device}.json``（随 lib 一起发行，见 ``lib.utils.results_path``）。"""
    if not isinstance(device, str) or device not in ("cpu", "cuda"):
        raise ValueError(f"device must be 'cpu' or 'cuda', got {device!r}")
    return utils.results_path(f"conv-{device}")


def load_results(device: str = "cpu", path=None) -> dict:
    """读取 ``benchmarks/conv.py`` 写下的结果（``environment``、``config``、``results``）。

    文件随 lib 一起发行；还没有测量过的设备（例如尚无 GPU 的结果）抛出 ``FileNotFoundError``。
    """
    p = check_path(path) if path is not None else results_path(device)
    if not p.exists():
        raise FileNotFoundError(
            f"no benchmark results at path {str(p)!r}; "
            "run `python benchmarks/conv.py` (with --device cuda for a GPU run)"
        )
    with open(p, encoding="utf-8") as f:
        data = json.load(f)
    for key in ("environment", "config", "results"):
        if key not in data:
            raise ValueError(f"{p} is not a conv benchmark file: missing key {key!r}")
    return data


def results_rows(data: dict, suite: str | None = None) -> list[dict]:
    """把结果整理成表格的行：每个 (套件, 情形) 一行，各实现的前向、前向 + 反向时间（毫秒）与相对 torch 的倍数。"""
    rows: dict[tuple, dict] = {}
    for r in data["results"]:
        if suite is not None and r["suite"] != suite:
            continue
        key = (r["suite"], r["case"])
        row = rows.setdefault(key, {"suite": r["suite"], "case": r["case"], **r.get("params", {})})
        for phase in ("forward", "forward_backward"):
            t = r.get(f"{phase}_s")
            row[f"{r['method']}_{phase}_ms"] = None if t is None else 1e3 * t
    for row in rows.values():
        for phase in ("forward", "forward_backward"):
            base = row.get(f"torch_{phase}_ms")
            for m in BENCH_METHODS[1:]:
                t = row.get(f"{m}_{phase}_ms")
                row[f"{m}_{phase}_ratio"] = None if (t is None or not base) else t / base
    return list(rows.values())
