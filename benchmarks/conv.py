"""Benchmark of lib.conv (section “三种实现：直接、im2col 与 FFT” of the CNN chapter): direct, im2col and FFT
convolution against torch.nn.functional.conv2d.

    python benchmarks/conv.py                       # CUDA if available (full sizes), else CPU (small sizes)
    python benchmarks/conv.py --device cpu --size small
    python benchmarks/conv.py --device cuda --size full --dtype float32

It measures; it is not a timed test. For each case and each method it records the median time of a forward pass
and of forward + backward (gradients for the input and the kernel; loss = sum of the output), and on CUDA the peak
memory, all with lib.utils.benchmark. Three suites:

  resnet        a ResNet 3x3 layer: N x 64 x 56 x 56, 64 -> 64 channels, padding 1 (full size N = 32)
  large_kernel  depthwise k x k convolutions, k = 7, 15, 31, 63, 'same' padding, on 64 x 64 inputs
                (large kernels are used depthwise in practice, e.g. RepLKNet's 31 x 31)
  long_1d       depthwise 1-D convolutions with a kernel as long as the sequence (K = L - 1, output length L),
                L = 4K ... 64K (2K ... 8K on the CPU), as in Hyena; computed as a 2-D convolution of height 1

Every measurement starts with one warm-up call; calls slower than --slow seconds are timed once, the others
`repeat` times (median). A method is skipped (and recorded as skipped, with the reason) where it would take
minutes (direct: the Python loop over output positions) or where its workspace exceeds the memory budget
(im2col: the column matrix).
The results and the environment (lib.utils.environment_info) go to lib/results/conv-{cpu,cuda}.json,
which the section “三种实现：直接、im2col 与 FFT” reads.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys
import time

import torch

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import lib  # noqa: E402
from lib.conv import BENCH_METHODS, conv2d_macs, time_conv  # noqa: E402

SIZES = {
    # full sizes (meant for a GPU)
    "full": {
        "resnet": {"n": 32, "c": 64, "hw": 56},
        "large_kernel": {"n": 16, "c": 64, "hw": 64, "ks": [7, 15, 31, 63]},
        "long_1d": {"n": 2, "c": 64, "lengths": [4096, 8192, 16384, 32768, 65536]},
        "direct_max_positions": 16384,
        "im2col_max_bytes": 16 * 2**30,
    },
    # small sizes: the whole run takes a few minutes on a 2-core CPU
    "small": {
        "resnet": {"n": 2, "c": 64, "hw": 28},
        "large_kernel": {"n": 1, "c": 8, "hw": 64, "ks": [7, 15, 31, 63]},
        "long_1d": {"n": 1, "c": 4, "lengths": [2048, 4096, 8192]},
        "direct_max_positions": 4096,
        "im2col_max_bytes": 512 * 2**20,
    },
}


def cases(size: str):
    """Yield (suite, case name, input shape, weight shape, padding, groups, params)."""
    cfg = SIZES[size]
    r = cfg["resnet"]
    yield (
        "resnet",
        f"N={r['n']} C=64->64 {r['hw']}x{r['hw']} k=3",
        (r["n"], r["c"], r["hw"], r["hw"]),
        (r["c"], r["c"], 3, 3),
        1,
        1,
        {"k": 3, "n": r["n"], "channels": r["c"], "size": r["hw"]},
    )
    lk = cfg["large_kernel"]
    for k in lk["ks"]:
        yield (
            "large_kernel",
            f"k={k}",
            (lk["n"], lk["c"], lk["hw"], lk["hw"]),
            (lk["c"], 1, k, k),
            k // 2,
            lk["c"],
            {"k": k, "n": lk["n"], "channels": lk["c"], "size": lk["hw"]},
        )
    ld = cfg["long_1d"]
    for length in ld["lengths"]:
        k = length - 1
        yield (
            "long_1d",
            f"L={length}",
            (ld["n"], ld["c"], 1, length),
            (ld["c"], 1, 1, k),
            (0, k // 2),
            ld["c"],
            {"k": k, "n": ld["n"], "channels": ld["c"], "size": length},
        )


def skip_reason(method, x_shape, w_shape, groups, cfg, itemsize):
    n, c, h, w = x_shape
    _, cg, kh, kw = w_shape
    out_positions = h * w  # every case keeps the spatial size ('same' padding)
    if method == "direct" and out_positions > cfg["direct_max_positions"]:
        return f"direct: {out_positions} output positions in a Python loop (limit {cfg['direct_max_positions']})"
    if method == "im2col":
        cols = n * c * kh * kw * out_positions * itemsize
        if cols > cfg["im2col_max_bytes"]:
            budget = cfg["im2col_max_bytes"] / 2**20
            return f"im2col: the column matrix needs {cols / 2**20:.0f} MiB (budget {budget:.0f} MiB)"
    return None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", choices=["cpu", "cuda"], default=None)
    parser.add_argument("--size", choices=list(SIZES), default=None, help="default: full on CUDA, small on CPU")
    parser.add_argument("--dtype", choices=["float32", "float16", "bfloat16"], default="float32")
    parser.add_argument("--repeat", type=int, default=None, help="timed runs per measurement (default 10 CUDA, 3 CPU)")
    parser.add_argument("--tf32", action="store_true", help="allow TF32 in cuDNN and in matmul (default: off for both)")
    parser.add_argument("--suites", default="resnet,large_kernel,long_1d")
    parser.add_argument(
        "--methods",
        default=None,
        help="comma-separated subset of " + ",".join(BENCH_METHODS) + " (default: all on the CPU; all but the "
        "Python-loop 'direct' on CUDA, where it adds minutes and says nothing new)",
    )
    parser.add_argument("--slow", type=float, default=1.0, help="seconds per call above which one timed run is enough")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's choice)")
    parser.add_argument("--out", type=pathlib.Path, default=None)
    args = parser.parse_args(argv)

    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    if device.type == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda, but torch.cuda.is_available() is False")
    size = args.size or ("full" if device.type == "cuda" else "small")
    repeat = args.repeat or (10 if device.type == "cuda" else 3)
    dtype = getattr(torch, args.dtype)
    if device.type == "cuda":  # the same arithmetic for cuDNN and for the GEMMs of im2col
        torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = args.tf32
        torch.backends.cudnn.benchmark = True
    suites = args.suites.split(",")
    default_methods = [m for m in BENCH_METHODS if device.type == "cpu" or m != "direct"]
    methods = args.methods.split(",") if args.methods else default_methods
    if "torch" not in methods or any(m not in BENCH_METHODS for m in methods):
        parser.error(f"--methods must include 'torch' and come from {BENCH_METHODS}, got {methods}")
    cfg = SIZES[size]
    out_path = args.out or lib.utils.results_path(f"conv-{device.type}")

    env = lib.utils.environment_info(device)
    env.update({"torch_threads": torch.get_num_threads(), "tf32": bool(args.tf32) if device.type == "cuda" else None})
    env["load_average_at_start"] = [round(v, 2) for v in os.getloadavg()]
    print(f"device: {env['device_name']} ({device.type}), torch {env['torch']}, threads {env['torch_threads']}")
    print(f"size: {size}, dtype: {args.dtype}, repeat: {repeat}\n")
    header = f"{'suite':<13}{'case':<28}{'method':<8}{'forward ms':>12}{'ratio':>8}{'fwd+bwd ms':>13}{'ratio':>8}"
    print(header)
    print("-" * len(header))

    results, start = [], time.perf_counter()
    for suite, name, x_shape, w_shape, padding, groups, params in cases(size):
        if suite not in suites:
            continue
        n, c, h, w = x_shape
        params = dict(params, macs=n * conv2d_macs(c, w_shape[0], w_shape[2:], (h, w), groups))
        base = {}
        for method in methods:
            row = {"suite": suite, "case": name, "method": method, "params": params}
            reason = skip_reason(method, x_shape, w_shape, groups, cfg, torch.tensor([], dtype=dtype).element_size())
            if reason:
                row.update(skipped=reason, forward_s=None, forward_backward_s=None)
                results.append(row)
                print(f"{suite:<13}{name:<28}{method:<8}{'skipped: ' + reason.split(':')[1].strip():>41}")
                continue
            timing = {}
            for phase, backward in (("forward", False), ("forward_backward", True)):
                kw = dict(padding=padding, groups=groups, device=device, dtype=dtype, backward=backward)
                r = time_conv(method, x_shape, w_shape, repeat=1, warmup=1, **kw)
                if r["median_s"] < args.slow:  # fast enough for the full number of timed runs
                    r = time_conv(method, x_shape, w_shape, repeat=repeat, warmup=0, **kw)
                row[f"{phase}_repeat"] = len(r["times_s"])
                row[f"{phase}_s"] = r["median_s"]
                row[f"{phase}_peak_mem_bytes"] = r["peak_mem_bytes"]
                timing[phase] = r["median_s"]
            if method == "torch":
                base = timing
            ratios = {p: timing[p] / base[p] for p in timing} if base else {}
            row.update({f"{p}_ratio": v for p, v in ratios.items()})
            results.append(row)
            print(
                f"{suite:<13}{name:<28}{method:<8}{1e3 * timing['forward']:>12.2f}{ratios.get('forward', 1):>8.2f}"
                f"{1e3 * timing['forward_backward']:>13.2f}{ratios.get('forward_backward', 1):>8.2f}"
            )
    elapsed = time.perf_counter() - start
    print(f"\ntotal {elapsed:.0f} s")

    out_path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "environment": env,
        "config": {
            "size": size,
            "dtype": args.dtype,
            "repeat": repeat,
            "warmup": 1,
            "slow_s": args.slow,
            "timing": "median of `repeat` timed runs after one warm-up run; a single run where one call takes > slow_s",
            "suites": suites,
            "methods": methods,
            "fft": "channels contracted in the frequency domain; 'fft' reuses the kernel spectrum of a frozen weight "
            "(forward: requires_grad=False), 'fft-nocache' transforms the kernels on every call",
            "sizes": {k: v for k, v in cfg.items()},
            "loss": "sum of the output; backward computes the gradients of the input and of the kernel",
            "elapsed_s": round(elapsed, 1),
            "load_average_at_end": [round(v, 2) for v in os.getloadavg()],
        },
        "results": results,
    }
    out_path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {out_path.relative_to(ROOT) if out_path.is_relative_to(ROOT) else out_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
