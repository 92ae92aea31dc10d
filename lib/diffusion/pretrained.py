r"""随 lib 发行的小检查点（“训练与采样：算法 1 与算法 2”“更快的采样：DDIM”两节）：
在 8×8 数字上训练好的 U-Net 去噪网络。

CPU 上在 notebook 的时间预算（一分钟）里训练不出像样的数字，所以书里载入由
``tools/train_diffusion_digits.py`` 训练好的权重（那个脚本的文档写明了命令、步数、种子、用时与设备），
notebook 只现场训练几十步来演示损失下降。检查点的结构与训练设置记在同名的 JSON 文件里。
"""

from __future__ import annotations

import json
import pathlib
import re

import torch

from ..utils import check_path
from .gaussian import GaussianDiffusion
from .models import UNet
from .quality import CHECKPOINT_DIR
from .schedules import cosine_beta_schedule, linear_beta_schedule

__all__ = ["SCHEDULES", "make_diffusion", "load_digits_model"]

SCHEDULES = {"linear": linear_beta_schedule, "cosine": cosine_beta_schedule}


def make_diffusion(config: dict) -> GaussianDiffusion:
    """由配置 ``{"schedule": "linear"|"cosine", "T": ..., "prediction": ...}`` 建出 :class:`GaussianDiffusion`。"""
    if not isinstance(config, dict) or "T" not in config:
        raise ValueError(f"config must be a dict with at least the key 'T', got {config!r}")
    schedule = config.get("schedule", "linear")
    if schedule not in SCHEDULES:
        raise ValueError(f"config['schedule'] must be one of {sorted(SCHEDULES)}, got {schedule!r}")
    return GaussianDiffusion(SCHEDULES[schedule](int(config["T"])), prediction=config.get("prediction", "eps"))


def load_digits_model(name: str = "diffusion_digits", directory: str | pathlib.Path | None = None):
    """载入 ``<name>.pt``（EMA 权重）与 ``<name>.json``（结构、调度与训练记录）。

    返回 ``(model, diffusion, meta)``：eval 模式的 :class:`UNet`（CPU 上）、
    对应的 :class:`GaussianDiffusion` 和元数据字典。
    """
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        raise ValueError(f"name must be a checkpoint name such as 'diffusion_digits', got {name!r}")
    directory = check_path(directory, "directory") if directory is not None else CHECKPOINT_DIR
    weights, meta_path = directory / f"{name}.pt", directory / f"{name}.json"
    for path in (weights, meta_path):
        if not path.exists():
            raise FileNotFoundError(
                f"{path} not found (name={name!r}, directory={str(directory)!r}); "
                "create it with `python tools/train_diffusion_digits.py`"
            )
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    model = UNet(**meta["unet"])
    model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    return model.eval(), make_diffusion(meta["diffusion"]), meta
