r"""训练循环（“训练与采样：算法 1 与算法 2”一节，算法 1）：
反复抽 :math:`\mathbf x_0`、:math:`t`、:math:`\boldsymbol\epsilon`，
对简化损失做一步梯度下降。

CPU 与 CUDA 走同一份代码；CUDA 上默认打开混合精度（bfloat16 自动混合精度，不支持时用 float16 加梯度缩放）。
进度条用 ``tqdm``，只在终端中显示（``progress=None`` 时看 stderr 是不是终端）：在 notebook 里它什么也不输出，
因为 nbval 把任何 stderr 输出都算作失败。
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
import torch

from ..utils import check_scalar
from .gaussian import GaussianDiffusion
from .models import EMA
from .samplers import autocast

__all__ = ["TrainResult", "train_diffusion"]


@dataclass
class TrainResult:
    """训练记录：每一步的损失、用时（秒）、每秒处理的样本数，以及 EMA（若启用）。"""

    losses: np.ndarray
    seconds: float
    examples_per_second: float
    ema: EMA | None = None

    def smoothed(self, window: int = 50) -> np.ndarray:
        """损失的滑动平均（窗口 ``window``），画学习曲线用。"""
        window = check_scalar(window, "window", Integral, min_val=1)
        window = min(window, len(self.losses))
        kernel = np.ones(window) / window
        return np.convolve(self.losses, kernel, mode="valid")


def train_diffusion(
    model: torch.nn.Module,
    diffusion: GaussianDiffusion,
    data: torch.Tensor,
    *,
    steps: int,
    batch_size: int = 128,
    lr: float = 2e-4,
    warmup: int = 0,
    grad_clip: float | None = 1.0,
    ema_decay: float | None = None,
    seed: int = 0,
    amp: bool | None = None,
    progress: bool | None = None,
    callback=None,
    callback_every: int = 1000,
) -> TrainResult:
    r"""用算法 1 训练去噪网络 ``model``（就地更新），返回 :class:`TrainResult`。

    ``data`` 是整个训练集（形状 ``(N, ...)``，放在训练所用的设备上；小数据集一次放进内存）。每一步：

    1. 从 ``data`` 中有放回地抽 ``batch_size`` 个 :math:`\mathbf x_0`；
    2. ``diffusion.loss`` 抽 :math:`t\sim U\{1..T\}`、:math:`\boldsymbol\epsilon\sim\mathcal N(0,I)` 并算
       :math:`\|\boldsymbol\epsilon-\boldsymbol\epsilon_\theta(\mathbf x_t,t)\|^2`；
    3. Adam 走一步（前 ``warmup`` 步学习率线性升到 ``lr``，梯度范数截断到 ``grad_clip``），再更新 EMA。

    随机数来自 ``data`` 所在设备上以 ``seed`` 初始化的生成器，同一设备上可复现。
    ``callback(step, model, ema, losses)`` 每 ``callback_every`` 步调用一次（保存中间检查点、打印日志用）。
    """
    if not isinstance(data, torch.Tensor) or data.ndim < 2 or not data.dtype.is_floating_point:
        raise ValueError(
            f"data must be a floating-point tensor of shape (N, ...), got {getattr(data, 'shape', data)!r}"
        )
    if not data.is_cuda and not torch.isfinite(data).all():
        raise ValueError("data contains NaN or infinity (training would silently produce a NaN model)")
    steps = check_scalar(steps, "steps", Integral, min_val=1)
    batch_size = check_scalar(batch_size, "batch_size", Integral, min_val=1)
    lr = check_scalar(lr, "lr", Real, min_val=0, include_min=False)
    warmup = check_scalar(warmup, "warmup", Integral, min_val=0)
    seed = check_scalar(seed, "seed", Integral, min_val=0)
    callback_every = check_scalar(callback_every, "callback_every", Integral, min_val=1)
    if grad_clip is not None:
        grad_clip = check_scalar(grad_clip, "grad_clip", Real, min_val=0, include_min=False)
    device = data.device
    if progress is None:
        progress = sys.stderr.isatty()

    generator = torch.Generator(device=device).manual_seed(int(seed))
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda k: min(1.0, (k + 1) / warmup) if warmup else 1.0)
    use_fp16_scaler = device.type == "cuda" and bool(amp) and not torch.cuda.is_bf16_supported()
    scaler = torch.amp.GradScaler("cuda") if use_fp16_scaler else None
    ema = EMA(model, ema_decay) if ema_decay is not None else None
    losses = torch.empty(steps, device=device)

    iterator = range(steps)
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(iterator, desc="train", leave=False)
    model.train()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    for k in iterator:
        idx = torch.randint(0, data.shape[0], (batch_size,), generator=generator, device=device)
        x0 = data[idx]  # 第 2 行：x_0 ~ q(x_0)
        with autocast(device, amp):
            loss = diffusion.loss(model, x0, generator=generator)  # 第 3–5 行
        optimizer.zero_grad(set_to_none=True)
        if scaler is not None:
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)
        else:
            loss.backward()
        if grad_clip is not None:
            torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
        if scaler is not None:
            scaler.step(optimizer)
            scaler.update()
        else:
            optimizer.step()
        schedule.step()
        if ema is not None:
            ema.update(model)
        losses[k] = loss.detach()
        if callback is not None and (k + 1) % callback_every == 0:
            callback(k + 1, model, ema, losses[: k + 1])
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    seconds = time.perf_counter() - start
    model.eval()
    return TrainResult(
        losses=losses.float().cpu().numpy().astype(np.float64),
        seconds=seconds,
        examples_per_second=steps * batch_size / seconds,
        ema=ema,
    )
