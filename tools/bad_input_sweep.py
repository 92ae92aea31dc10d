"""坏输入扫描：对 lib 的每个公开可调用对象，一次换一个参数为坏值，分类结果。

用法：``nice -n 10 python tools/bad_input_sweep.py --out _build/reports/bad-input.json [--modules lib.hyena ...]``

- 自动发现 ``lib`` 下的所有模块（新模块自动包括）；公开名 = ``__all__`` 或不以 ``_`` 开头、定义在该模块中的函数与类。
- 有效调用：签名默认值 + 下面 ``VALID`` 表（按参数名）；有效调用本身失败的对象记为 ``skipped``。
- 坏值逐一替换一个参数；调用在一个长驻子进程中执行（超时 ``--timeout`` 秒或崩溃后重启；内存上限 3 GiB）。
- 分类：``clear``（ValueError/TypeError/IndexError/NotFittedError 且消息点出参数名）、``unclear``（其他异常，
  或消息不含参数名）、``accepted``（坏值被默默接受并正常返回）、``hang``（超时）。
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import math
import multiprocessing as mp
import pkgutil
import resource
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

SKIP_MODULES = ("lib.widgets", "lib.plot", "lib.triton_kernels", "lib.fonts", "lib.checkpoints", "lib.results")


def _valid_table():
    import numpy as np

    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 3))
    y = (X[:, 0] > 0).astype(int)
    import torch

    g = torch.Generator().manual_seed(0)
    return {
        "u": torch.randn(1, 2, 8, generator=g),
        "k": torch.randn(2, 8, generator=g),
        "input": torch.randn(1, 1, 4, 4, generator=g),
        "X": X,
        "y": y,
        "x": X,
        "a": rng.normal(size=8),
        "b": rng.normal(size=3),
        "signal": rng.normal(size=8),
        "kernel": rng.normal(size=3),
        "n": 20,
        "n_samples": 20,
        "seed": 0,
        "y_true": y,
        "y_pred": y,
        "labels": y,
    }


def _bad_values():
    import numpy as np

    return [
        ("None", None),
        ("nan", math.nan),
        ("inf", math.inf),
        ("neg", -1),
        ("zero", 0),
        ("huge", 10**12),
        ("str", "bad"),
        ("empty", np.empty((0,))),
        ("nan_array", np.array([[math.nan, 1.0], [2.0, 3.0]])),
    ]


def discover(only=None):
    import lib

    names = ["lib"] + [m.name for m in pkgutil.walk_packages(lib.__path__, "lib.")]
    out = []
    for modname in sorted(names):
        if modname.startswith(SKIP_MODULES) or (only and not modname.startswith(tuple(only))):
            continue
        try:
            mod = importlib.import_module(modname)
        except Exception:
            continue
        public = getattr(mod, "__all__", None) or [n for n in vars(mod) if not n.startswith("_")]
        for name in public:
            obj = getattr(mod, name, None)
            if (inspect.isfunction(obj) or inspect.isclass(obj)) and obj.__module__ == modname:
                out.append((modname, name))
    return out


def _plan(modname, name):
    """有效关键字参数与要扰动的参数名；无法构造有效调用时返回 None。"""
    obj = getattr(importlib.import_module(modname), name)
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return None
    table = _valid_table()
    kwargs = {}
    for p in sig.parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) or p.name == "self":
            continue
        if p.default is not inspect.Parameter.empty:
            kwargs[p.name] = p.default
        elif p.name in table:
            kwargs[p.name] = table[p.name]
        else:
            return None
    return kwargs


def _names_argument(msg, param):
    return param.lower() in msg.lower()


def _call(modname, name, kwargs, param):
    obj = getattr(importlib.import_module(modname), name)
    try:
        obj(**kwargs)
    except Exception as e:  # noqa: BLE001
        kind = type(e).__name__
        clear_types = ("ValueError", "TypeError", "IndexError", "NotFittedError")
        ok = kind in clear_types and (param is None or _names_argument(str(e), param))
        return ("clear" if ok else "unclear", f"{kind}: {str(e)[:160]}")
    return ("accepted", "")


def _worker(conn, mem_gib):
    resource.setrlimit(resource.RLIMIT_AS, (mem_gib * 2**30, mem_gib * 2**30))
    import warnings

    warnings.simplefilter("ignore")
    while True:
        job = conn.recv()
        if job is None:
            return
        try:
            conn.send(_call(*job))
        except BaseException as e:  # noqa: BLE001
            conn.send(("unclear", f"{type(e).__name__}: {str(e)[:160]}"))


class Runner:
    def __init__(self, timeout, mem_gib):
        self.timeout, self.mem_gib, self.proc = timeout, mem_gib, None

    def _start(self):
        ctx = mp.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker, args=(child, self.mem_gib), daemon=True)
        self.proc.start()

    def call(self, *job):
        if self.proc is None or not self.proc.is_alive():
            self._start()
        try:
            self.conn.send(job)
        except Exception as e:  # noqa: BLE001 - 不能序列化的参数
            return ("unclear", f"pickle: {e}")
        if self.conn.poll(self.timeout):
            try:
                return self.conn.recv()
            except EOFError:
                pass
        else:
            self.proc.kill()
            self.proc.join()
            self.proc = None
            return ("hang", f"> {self.timeout} s")
        self.proc.join()
        self.proc = None
        return ("unclear", "worker crashed")


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="_build/reports/bad-input.json")
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("--mem-gib", type=int, default=3)
    ap.add_argument("--modules", nargs="*")
    ap.add_argument("--max-seconds", type=float, default=math.inf)
    args = ap.parse_args(argv)
    runner = Runner(args.timeout, args.mem_gib)
    records, skipped, t0 = [], [], time.time()
    for modname, name in discover(args.modules):
        if time.time() - t0 > args.max_seconds:
            break
        kwargs = _plan(modname, name)
        if kwargs is None:
            skipped.append(f"{modname}.{name}")
            continue
        base = runner.call(modname, name, kwargs, None)
        if base[0] != "accepted":  # 有效调用本身失败：不扰动
            skipped.append(f"{modname}.{name}")
            continue
        for param, default in kwargs.items():
            for label, bad in _bad_values():
                if default is None and bad is None:
                    continue
                outcome, detail = runner.call(modname, name, {**kwargs, param: bad}, param)
                records.append(
                    dict(module=modname, callable=name, param=param, bad=label, outcome=outcome, detail=detail)
                )
    if runner.proc is not None:
        runner.conn.send(None)
        runner.proc.join(5)
    overall = Counter(r["outcome"] for r in records)
    per_module = defaultdict(Counter)
    for r in records:
        per_module[r["module"]][r["outcome"]] += 1
    report = dict(
        overall=dict(overall),
        per_module={m: dict(c) for m, c in sorted(per_module.items())},
        n_calls=len(records),
        skipped=skipped,
        records=records,
    )
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, ensure_ascii=False, indent=1))
    print(json.dumps(dict(overall=report["overall"], n_calls=len(records), skipped=len(skipped)), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
