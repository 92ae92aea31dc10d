"""Benchmark of lib.diffusion (section “更快的采样：DDIM” of the diffusion chapter):
 training throughput, and sampling time against sample quality.

    python benchmarks/diffusion.py                    # CPU, small: writes lib/results/diffusion-cpu.json
    python benchmarks/diffusion.py --device cuda      # GPU, full sizes: writes lib/results/diffusion-cuda.json

It measures; it is not a timed test. The model is the digits U-Net shipped in lib/checkpoints (made by
tools/train_diffusion_digits.py). For every sampler -- DDPM ancestral sampling over all T = 1000 steps (Algorithm 2)
and DDIM over 100/50/20/10 steps -- it draws as many digits as the test split has (449), times the whole run with
lib.utils.benchmark, and scores the samples with the Frechet digits distance (FDD) and the per-class coverage of
lib.diffusion.quality against the 449 test images. The real-vs-real and noise-vs-real rows put the FDD on a scale.
Training throughput is the median time of one Algorithm-1 step (forward, backward, Adam) at a few batch sizes,
with mixed precision on CUDA as well. The sections “训练与采样：算法 1 与算法 2” and “更快的采样：DDIM” read
the JSON file and show it as tables.

The same script runs the full sizes on CUDA (more batch sizes, both sigma^2 choices of DDPM, repeated timings);
on CPU it keeps to what a shared 2-core machine finishes in about a quarter of an hour.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys

import numpy as np
import torch

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import lib  # noqa: E402
from lib.diffusion import (  # noqa: E402
    UNet,
    ddim_sample,
    ddpm_sample,
    digits_quality,
    digits_split,
    digits_to_images,
    load_digits_classifier,
    load_digits_model,
)

SEED = 0


def sampler_grid(full: bool) -> list[dict]:
    rows = [{"sampler": "DDPM", "steps": 1000, "eta": None, "variance": "beta_tilde"}]
    if full:
        rows.append({"sampler": "DDPM", "steps": 1000, "eta": None, "variance": "beta"})
    rows += [{"sampler": "DDIM", "steps": s, "eta": 0.0} for s in (100, 50, 20, 10)]
    rows.append({"sampler": "DDIM", "steps": 50, "eta": 1.0})
    return rows


def make_train_step(model, diffusion, data, batch_size, device, amp):
    """One step of Algorithm 1 (forward, backward, Adam) as a closure for lib.utils.benchmark."""
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    generator = torch.Generator(device=device).manual_seed(SEED)
    scaler = torch.amp.GradScaler("cuda") if amp and not torch.cuda.is_bf16_supported() else None

    def step():
        idx = torch.randint(0, data.shape[0], (batch_size,), generator=generator, device=device)
        with lib.diffusion.autocast(device, amp):
            loss = diffusion.loss(model, data[idx], generator=generator)
        optimizer.zero_grad(set_to_none=True)
        if scaler is not None:
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
        else:
            loss.backward()
            optimizer.step()

    return step


def measure_training(meta: dict, data: torch.Tensor, device: torch.device, full: bool) -> list[dict]:
    diffusion = lib.diffusion.make_diffusion(meta["diffusion"])
    results = []
    batch_sizes = (128, 512, 2048) if full else (128,)
    amp_choices = (False, True) if device.type == "cuda" else (False,)
    for batch_size in batch_sizes:
        for amp in amp_choices:
            torch.manual_seed(SEED)
            model = UNet(**meta["unet"]).to(device).train()
            step = make_train_step(model, diffusion, data, batch_size, device, amp)
            timing = lib.utils.benchmark(step, repeat=10 if full else 5, warmup=3 if full else 2, device=device)
            results.append(
                {
                    "batch_size": batch_size,
                    "amp": amp,
                    "step_seconds": timing.median,
                    "images_per_second": batch_size / timing.median,
                    "peak_mem_bytes": timing.peak_mem_bytes,
                }
            )
            print(f"train  batch {batch_size:5d} amp={amp!s:5}: {batch_size / timing.median:9.1f} images/s", flush=True)
    return results


def make_sampler(model, diffusion, row: dict, n: int, device, holder: dict, *, seed=SEED, graph=None, amp=False):
    """A closure that draws n digits with the sampler described by ``row`` and keeps them in ``holder``."""

    def run():
        common = dict(seed=seed, device=device, clip_x0=(-1, 1), cuda_graph=graph, amp=amp)
        if row["sampler"] == "DDPM":
            holder["x"] = ddpm_sample(model, diffusion, (n, 1, 8, 8), variance=row["variance"], **common)
        else:
            holder["x"] = ddim_sample(model, diffusion, (n, 1, 8, 8), steps=row["steps"], eta=row["eta"], **common)

    return run


def _name(row: dict) -> str:
    return f"{row['sampler']}-{row['steps']}" + (f" eta={row['eta']}" if row["eta"] is not None else "")


def measure_sampling(model, diffusion, reference, classifier, device, n, full, seeds) -> list[dict]:
    """Time of each sampler (on CUDA: captured in a CUDA graph, step by step, and with AMP) and its quality as
    mean and standard deviation of the FDD over ``seeds`` (one seed per run of n samples)."""
    results = []
    cuda = device.type == "cuda"
    for row in sampler_grid(full):
        holder: dict = {}
        load_before = os.getloadavg()[0]
        timings = {}
        variants = (
            {"graph": (True, False), "eager": (False, False), "graph+amp": (True, True)}
            if cuda
            else {"eager": (None, False)}
        )
        for label, (graph, amp) in variants.items():
            run = make_sampler(model, diffusion, row, n, device, holder, graph=graph, amp=amp)
            slow = label == "eager" and cuda  # the step-by-step path only needs one timed run to make the point
            timing = lib.utils.benchmark(run, repeat=1 if slow or not full else 3, warmup=0 if slow else int(full),
                                         device=device)  # fmt: skip
            timings[label] = timing.median
        load_after = os.getloadavg()[0]
        fdds, coverages, shares = [], [], []
        for seed in seeds:
            make_sampler(model, diffusion, row, n, device, holder, seed=seed, graph=True if cuda else None)()
            q = digits_quality(holder["x"].cpu(), reference, classifier)
            fdds.append(q.fdd)
            coverages.append(q.coverage)
            shares.append([round(v, 4) for v in q.shares.tolist()])
        main_label = "graph" if cuda else "eager"
        entry = dict(row)
        entry.update(
            {
                "n": n,
                "network_evaluations": row["steps"],
                "seconds": timings[main_label],
                "seconds_by_path": timings,
                "ms_per_image": 1e3 * timings[main_label] / n,
                "seconds_per_network_evaluation": timings[main_label] / row["steps"],
                "load_average_before_after": [round(load_before, 2), round(load_after, 2)],
                "seeds": list(seeds),
                "fdd": fdds[0],
                "fdd_by_seed": fdds,
                "fdd_mean": float(np.mean(fdds)),
                "fdd_std": float(np.std(fdds, ddof=1)) if len(fdds) > 1 else None,
                "coverage": coverages[0],
                "coverage_mean": float(np.mean(coverages)),
                "class_shares": shares[0],
            }
        )
        results.append(entry)
        sd = f" ± {entry['fdd_std']:.2f}" if entry["fdd_std"] is not None else ""
        paths = ", ".join(f"{k} {v:.3f} s" for k, v in timings.items())
        print(f"sample {_name(row):16s}: {paths} for {n}; FDD {entry['fdd_mean']:.2f}{sd} over {len(seeds)} seed(s)")
    return results


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default=None, help="cpu or cuda (default: cuda if available)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--n", type=int, default=None, help="samples per sampler (default: the 449 test images)")
    parser.add_argument("--seeds", type=int, default=None, help="seeds per sampler for the FDD (default 5 CUDA, 1 CPU)")
    parser.add_argument(
        "--out", type=pathlib.Path, default=None, help="output JSON (default: lib/results/diffusion-<device>.json)"
    )
    args = parser.parse_args(argv)

    device = torch.device(args.device) if args.device else lib.utils.get_device()
    if args.threads:
        torch.set_num_threads(args.threads)
    full = device.type == "cuda"
    out = args.out or lib.utils.results_path(f"diffusion-{device.type}")

    model, diffusion, meta = load_digits_model()
    model = model.to(device)
    classifier = load_digits_classifier()
    train, test = digits_split()
    x_train, reference = digits_to_images(train.X), digits_to_images(test.X)
    n = args.n or reference.shape[0]

    env = lib.utils.environment_info(device)
    env["threads"] = torch.get_num_threads()
    env["load_average_at_start"] = round(os.getloadavg()[0], 2)
    baselines = {
        "real_vs_real": digits_quality(x_train[:n], reference, classifier).as_dict(),
        "noise_vs_real": digits_quality(
            torch.randn(n, 1, 8, 8, generator=torch.Generator().manual_seed(SEED)).clamp(-1, 1), reference, classifier
        ).as_dict(),
    }
    record = {
        "description": "lib.diffusion benchmark (benchmarks/diffusion.py): digits U-Net, DDPM vs DDIM",
        "command": "python benchmarks/diffusion.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "environment": env,
        "model": {
            "unet": meta["unet"],
            "diffusion": meta["diffusion"],
            "parameters": meta["parameters"],
            "training_steps": meta["training"]["steps"],
        },
        "quality": {
            "measure": "Frechet digits distance on the 32-d features of lib.diffusion.DigitsClassifier",
            "reference": f"the {n} test images of lib.diffusion.digits_split()",
            "n": n,
            "seeds": "FDD of each sampler for seeds 0, 1, ...; fdd_mean and fdd_std (sample standard deviation)",
        },
        "timing": "CUDA: whole sampling run, 'graph' = one step captured in a CUDA graph and replayed (the default), "
        "'eager' = step by step, 'graph+amp' = the graph under bfloat16 autocast; CPU: step by step",
        "baselines": baselines,
        "training": measure_training(meta, x_train.to(device), device, full),
        "sampling": measure_sampling(
            model, diffusion, reference, classifier, device, n, full, range(args.seeds or (5 if full else 1))
        ),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")


if __name__ == "__main__":
    main()
