"""Train the small checkpoints that the diffusion-model chapter loads from lib/checkpoints/.

CPU training inside a notebook cannot reach good 8x8 digit samples within the one-minute budget, so the sections
“训练与采样：算法 1 与算法 2” and “更快的采样：DDIM” load weights made by this script
and only train a few steps live. It writes:

* lib/checkpoints/digits_classifier.pt   the small CNN whose 32-d features define the Frechet digits distance (FDD)
                                          and whose predictions give the per-class coverage (lib.diffusion.quality)
* lib/checkpoints/diffusion_digits.pt    EMA weights of the time-conditioned U-Net (lib.diffusion.UNet)
* lib/checkpoints/diffusion_digits.json  architecture, schedule, training settings, steps, seed, wall time, device

Both are trained on the book's train split of scikit-learn's digits (lib.diffusion.digits_split: 1348 images;
the 449 test images are the FDD reference). The shipped checkpoint was made on the shared 2-core CPU of the
authoring machine (no GPU) with

    OMP_NUM_THREADS=1 python tools/train_diffusion_digits.py --steps 3000 --seed 0

(one thread: the machine was shared, and two OpenMP threads contending for busy cores were 5x slower):
3000 steps of batch 128 took 1127 s (19 min) plus 21 s for the classifier, on an AMD EPYC with 2 cores
under a load average of about 9. The JSON records the wall time and device of that run.
The same command runs on a GPU (--device cuda, mixed precision); no GPU run has been timed yet. More steps give
better digits.
"""

from __future__ import annotations

import argparse
import datetime
import json
import pathlib
import shlex
import sys
import time

import numpy as np
import torch

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import lib  # noqa: E402
from lib.diffusion import (  # noqa: E402
    UNet,
    count_parameters,
    digits_split,
    digits_to_images,
    make_diffusion,
    train_diffusion,
    train_digits_classifier,
)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=3000, help="training steps of the U-Net")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--ema", type=float, default=0.999, help="EMA decay")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--T", type=int, default=1000)
    parser.add_argument("--schedule", choices=["linear", "cosine"], default="linear")
    parser.add_argument("--base-channels", type=int, default=16)
    parser.add_argument("--classifier-steps", type=int, default=1500)
    parser.add_argument("--save-every", type=int, default=500, help="write the checkpoint every this many steps")
    parser.add_argument("--out", type=pathlib.Path, default=ROOT / "lib" / "checkpoints")
    parser.add_argument("--device", default=None, help="cpu or cuda (default: cuda if available)")
    args = parser.parse_args(argv)

    device = torch.device(args.device) if args.device else lib.utils.get_device()
    args.out.mkdir(parents=True, exist_ok=True)
    env = lib.utils.environment_info(device)
    env["threads"] = torch.get_num_threads()
    train, test = digits_split()
    x_train, x_test = digits_to_images(train.X), digits_to_images(test.X)

    # 1. the feature extractor of the quality measure
    start = time.perf_counter()
    classifier = train_digits_classifier(x_train, train.y, steps=args.classifier_steps, seed=args.seed)
    with torch.no_grad():
        accuracy = float((classifier(x_test).argmax(1).numpy() == test.y).mean())
    torch.save(classifier.state_dict(), args.out / "digits_classifier.pt")
    print(f"classifier: test accuracy {accuracy:.4f} ({time.perf_counter() - start:.0f} s)", flush=True)

    # 2. the denoiser
    lib.utils.seed_everything(args.seed)
    unet_config = {
        "in_channels": 1,
        "base_channels": args.base_channels,
        "channel_mults": [1, 2],
        "num_res_blocks": 1,
        "attention_levels": [1],
        "groups": 8,
        "dropout": 0.0,
    }
    diffusion_config = {"schedule": args.schedule, "T": args.T, "prediction": "eps"}
    model = UNet(**unet_config).to(device)
    diffusion = make_diffusion(diffusion_config)
    command = "python tools/train_diffusion_digits.py " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:]))
    t0 = time.perf_counter()

    def save(step, model, ema, losses):
        seconds = time.perf_counter() - t0
        losses = np.asarray(losses.float().cpu().numpy() if torch.is_tensor(losses) else losses)
        torch.save({k: v.cpu() for k, v in ema.model.state_dict().items()}, args.out / "diffusion_digits.pt")
        meta = {
            "description": "EMA weights of lib.diffusion.UNet trained with Algorithm 1 on the digits train split",
            "unet": unet_config,
            "diffusion": diffusion_config,
            "parameters": count_parameters(model),
            "training": {
                "command": command,
                "steps": int(step),
                "batch_size": args.batch_size,
                "lr": args.lr,
                "warmup": args.warmup,
                "ema_decay": args.ema,
                "seed": args.seed,
                "wall_seconds": round(seconds, 1),
                "final_loss_mean_last_500": round(float(np.mean(losses[-500:])), 4),
                "loss_curve_every_100": [
                    round(float(v), 4) for v in losses[: len(losses) // 100 * 100].reshape(-1, 100).mean(1)
                ],
            },
            "classifier": {"steps": args.classifier_steps, "test_accuracy": round(accuracy, 4)},
            "environment": env,
            "date": datetime.date.today().isoformat(),
        }
        (args.out / "diffusion_digits.json").write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n")
        print(f"step {step}: loss (last 100) {np.mean(losses[-100:]):.4f}, {seconds:.0f} s", flush=True)

    result = train_diffusion(
        model,
        diffusion,
        x_train.to(device),
        steps=args.steps,
        batch_size=args.batch_size,
        lr=args.lr,
        warmup=args.warmup,
        ema_decay=args.ema,
        seed=args.seed,
        progress=False,
        callback=save,
        callback_every=args.save_every,
    )
    if args.steps % args.save_every:
        save(args.steps, model, result.ema, result.losses)


if __name__ == "__main__":
    main()
