r"""采样器（“训练与采样：算法 1 与算法 2”“更快的采样：DDIM”两节）：
DDPM 的祖先采样（算法 2）与 DDIM。

* :func:`ddpm_sample` 逐行照搬算法 2：从 :math:`\mathbf x_T\sim\mathcal N(0,I)` 出发，对 :math:`t=T,\dots,1`

      x_{t−1} = (x_t − β_t / √(1−ᾱ_t) · ε_θ(x_t, t)) / √(1−β_t) + σ_t z，  z ~ N(0, I)（t > 1），z = 0（t = 1），

  :math:`\sigma_t^2` 取 :math:`\tilde\beta_t` 或 :math:`\beta_t`（``variance``）。
* :func:`ddim_sample`（Song 等，2021）只走时间步的一个子序列 :math:`\tau_S>\dots>\tau_1`，每步

      x_s = √ᾱ_s x̂_0 + √(1 − ᾱ_s − σ²) ε̂ + σ z，  σ = η √((1−ᾱ_s)/(1−ᾱ_t)) √(1 − ᾱ_t/ᾱ_s)，

  :math:`s` 是子序列中 :math:`t` 的前一个时间步（最后一步 :math:`s=0`，
  :math:`\bar\alpha_0=1`）。:math:`\eta=0` 时整个过程是确定的；
  :math:`\eta=1` 且走全部 :math:`T` 步时，它与 :math:`\sigma_t^2=\tilde\beta_t` 的 DDPM 是同一个采样器。
* :func:`ddim_invert` 把 :math:`\eta=0` 的 DDIM 反着走，把数据确定地编码成噪声。

随机数全部来自一个以 ``seed`` 初始化、位于 ``device`` 上的 ``torch.Generator``：同一设备上同一个种子给出同样的样本。
DDPM 与 :math:`\eta>0` 的 DDIM 按同样的顺序抽噪声（先 :math:`\mathbf x_T`，再每个非末步一个 :math:`\mathbf z`）。
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Sequence
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
import torch

from ..utils import check_option, check_scalar
from .gaussian import VARIANCES, GaussianDiffusion, Model

__all__ = [
    "Chain",
    "ddpm_sample",
    "ddim_sample",
    "ddim_timesteps",
    "ddim_invert",
    "autocast",
    "StepSchedule",
    "ddpm_schedule",
    "ddim_schedule",
]


class Chain(NamedTuple):
    """采样的结果与途经的中间状态：``samples`` 是 :math:`\\mathbf x_0`；
    ``states[k]`` 是第 ``times[k]`` 步的 :math:`\\mathbf x_t`（CPU 上）。"""

    samples: torch.Tensor
    times: list[int]
    states: torch.Tensor


def autocast(device: torch.device, amp: bool | None):
    """``amp=True`` 时在 CUDA 上用混合精度（支持 bfloat16 的卡用 bfloat16，否则用 float16）；CPU 上什么也不做。

    默认（``None``）不用：本书的小 U-Net 在 8×8 图像上受限于核函数的启动次数而不是算术，autocast 插入的类型转换
    只会让它更慢（``benchmarks/diffusion.py`` 在 GPU 上测量了训练与采样两种情形，结果见“更快的采样：DDIM”一节）。
    """
    device = torch.device(device)
    if not amp or device.type != "cuda":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.autocast(device_type="cuda", dtype=dtype)


def _check_shape(shape) -> tuple[int, ...]:
    if isinstance(shape, Integral) or not all(isinstance(s, Integral) and not isinstance(s, bool) for s in shape):
        raise TypeError(f"shape must be a tuple of ints (batch first), got {shape!r}")
    shape = tuple(int(s) for s in shape)
    if len(shape) < 2 or min(shape) < 1:
        raise ValueError(f"shape must be (B, ...) with at least 2 positive sizes, got {shape}")
    return shape


def _progress(iterable, total: int, progress: bool | None, desc: str):
    if not progress:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, total=total, desc=desc, leave=False)


def _start(shape, seed, device, x_T, dtype):
    seed = check_scalar(seed, "seed", Integral, min_val=0)
    device = torch.device(device) if device is not None else (x_T.device if x_T is not None else torch.device("cpu"))
    generator = torch.Generator(device=device).manual_seed(int(seed))
    if x_T is None:
        x = torch.randn(_check_shape(shape), generator=generator, device=device, dtype=dtype)
    else:
        if not isinstance(x_T, torch.Tensor) or x_T.ndim < 2:
            raise ValueError(f"x_T must be a tensor of shape (B, ...), got {getattr(x_T, 'shape', type(x_T))}")
        x = x_T.to(device=device, dtype=dtype)
    return x, generator, device


class _EvalMode:
    """采样时把网络切到 eval 模式（关掉 dropout），结束后恢复原来的模式。"""

    def __init__(self, model):
        self.model = model

    def __enter__(self):
        self.was_training = getattr(self.model, "training", False)
        if hasattr(self.model, "eval"):
            self.model.eval()

    def __exit__(self, *exc):
        if self.was_training:
            self.model.train()


@torch.no_grad()
def ddpm_sample(
    model: Model,
    diffusion: GaussianDiffusion,
    shape: Sequence[int],
    *,
    variance: str = "beta_tilde",
    seed: int = 0,
    device=None,
    x_T: torch.Tensor | None = None,
    clip_x0: Sequence[float] | None = None,
    return_chain: bool = False,
    chain_every: int = 1,
    amp: bool | None = None,
    progress: bool | None = None,
    dtype: torch.dtype = torch.float32,
    cuda_graph: bool | None = None,
):
    r"""DDPM 祖先采样（算法 2）。返回形状为 ``shape`` 的样本 :math:`\mathbf x_0`；
    ``return_chain=True`` 时返回 :class:`Chain`，
    含每隔 ``chain_every`` 步保存的 :math:`\mathbf x_t`（含 :math:`T` 与 0）。

    ``variance``：:math:`\sigma_t^2=\tilde\beta_t`（``"beta_tilde"``，默认）或 :math:`\beta_t`（``"beta"``）。
    ``clip_x0=(lo, hi)`` 时每一步把 :math:`\hat{\mathbf x}_0` 截断到数据范围（图像常用 :math:`(-1,1)`）。
    ``cuda_graph=True``（仅 CUDA，不能与 ``return_chain`` 同用）：把一步采样录成 CUDA 图反复重放，见
    :func:`_run_static`；抽取的噪声与逐步执行时完全相同，结果只差浮点舍入。默认（``None``）逐步执行。
    """
    check_option(variance, "variance", VARIANCES)
    chain_every = check_scalar(chain_every, "chain_every", Integral, min_val=1)
    T = diffusion.T
    x, generator, device = _start(shape, seed, device, x_T, dtype)  # 1: x_T ~ N(0, I)
    if _use_graph(cuda_graph, device, return_chain):
        return _run_static(model, diffusion, x, generator, ddpm_schedule(diffusion, variance), clip_x0, amp, True)
    times, states = [T], [x.cpu()]
    with _EvalMode(model):
        for t in _progress(range(T, 0, -1), T, progress, "DDPM"):  # 2: for t = T, ..., 1
            # 3: z ~ N(0, I) if t > 1, else z = 0
            z = torch.randn(x.shape, generator=generator, device=device, dtype=dtype) if t > 1 else torch.zeros_like(x)
            with autocast(device, amp):
                eps, _ = diffusion.predict(model, x, t, clip_x0=clip_x0)  # ε_θ(x_t, t)
            beta_t, abar_t = float(diffusion.betas[t]), float(diffusion.alpha_bars[t])
            sigma_t = math.sqrt(diffusion.posterior_variance[t] if variance == "beta_tilde" else beta_t)
            x = (x - beta_t / math.sqrt(1 - abar_t) * eps.to(dtype)) / math.sqrt(1 - beta_t) + sigma_t * z  # 4
            if return_chain and ((t - 1) % chain_every == 0):
                times.append(t - 1)
                states.append(x.cpu())
    if return_chain:
        return Chain(x, times, torch.stack(states))
    return x  # 6: return x_0


def ddim_timesteps(T: int, steps: int | Sequence[int]) -> list[int]:
    r"""DDIM 走的时间步子序列 :math:`1\le\tau_1<\dots<\tau_S\le T`（升序返回）。

    ``steps`` 为整数 :math:`S` 时取 :math:`\{1,\dots,T\}` 中大致均匀的 :math:`S` 个点，且总含 :math:`T`；
    也可以直接给一个严格递增的整数序列。
    """
    T = check_scalar(T, "T", Integral, min_val=1)
    if isinstance(steps, Integral) and not isinstance(steps, bool):
        S = check_scalar(steps, "steps", Integral, min_val=1, max_val=T)
        taus = np.round(np.linspace(T, 1, S)).astype(int) if S > 1 else np.array([T])
        return sorted(set(int(v) for v in taus))
    taus = list(steps)
    if not taus or not all(isinstance(v, Integral) and not isinstance(v, bool) for v in taus):
        raise TypeError(f"steps must be an int or a non-empty sequence of ints, got {steps!r}")
    if any(b <= a for a, b in zip(taus, taus[1:])) or taus[0] < 1 or taus[-1] > T:
        raise ValueError(f"steps must be strictly increasing time steps in [1, {T}], got {taus}")
    return [int(v) for v in taus]


@torch.no_grad()
def ddim_sample(
    model: Model,
    diffusion: GaussianDiffusion,
    shape: Sequence[int],
    *,
    steps: int | Sequence[int] = 50,
    eta: float = 0.0,
    seed: int = 0,
    device=None,
    x_T: torch.Tensor | None = None,
    clip_x0: Sequence[float] | None = None,
    return_chain: bool = False,
    amp: bool | None = None,
    progress: bool | None = None,
    dtype: torch.dtype = torch.float32,
    cuda_graph: bool | None = None,
):
    r"""DDIM 采样（Song 等 2021，式 12）：沿子序列 ``steps``（见 :func:`ddim_timesteps`）从 :math:`T` 走到 0。

    ``eta`` 在 0（确定性，"DDIM"）与 1（每步方差等于 DDPM 的 :math:`\tilde\beta`）之间。``x_T`` 给定时从它出发
    （例如由 :func:`ddim_invert` 编码得到的噪声）。``return_chain=True`` 时返回 :class:`Chain`，保存子序列上的每个状态。
    ``cuda_graph`` 同 :func:`ddpm_sample`。
    """
    eta = check_scalar(eta, "eta", Real, min_val=0, max_val=1)
    taus = ddim_timesteps(diffusion.T, steps)
    x, generator, device = _start(shape, seed, device, x_T, dtype)
    if _use_graph(cuda_graph, device, return_chain):
        schedule = ddim_schedule(diffusion, taus, eta)
        return _run_static(model, diffusion, x, generator, schedule, clip_x0, amp, eta > 0)
    times, states = [taus[-1]], [x.cpu()]
    ab_table = diffusion.alpha_bars
    with _EvalMode(model):
        pairs = list(zip(taus[::-1], [*taus[-2::-1], 0]))  # (t, s)：从 τ_S 走到 τ_{S-1}，……，最后到 0
        for t, s in _progress(pairs, len(pairs), progress, "DDIM"):
            with autocast(device, amp):
                eps, x0 = diffusion.predict(model, x, t, clip_x0=clip_x0)
            eps, x0 = eps.to(dtype), x0.to(dtype)
            ab_t, ab_s = float(ab_table[t]), float(ab_table[s])
            sigma = eta * np.sqrt((1 - ab_s) / (1 - ab_t) * (1 - ab_t / ab_s))
            x = np.sqrt(ab_s) * x0 + np.sqrt(max(1 - ab_s - sigma**2, 0.0)) * eps
            if sigma > 0 and s > 0:
                x = x + sigma * torch.randn(x.shape, generator=generator, device=device, dtype=dtype)
            if return_chain:
                times.append(s)
                states.append(x.cpu())
    if return_chain:
        return Chain(x, times, torch.stack(states))
    return x


@torch.no_grad()
def ddim_invert(
    model: Model,
    diffusion: GaussianDiffusion,
    x0: torch.Tensor,
    *,
    steps: int | Sequence[int] = 50,
    amp: bool | None = None,
) -> torch.Tensor:
    r"""把 :math:`\eta=0` 的 DDIM 反过来走：
        x_t = √ᾱ_t x̂_0 + √(1−ᾱ_t) ε̂，
    其中 x̂_0、ε̂ 在前一个状态上计算。步长趋于 0 时它是概率流 ODE 的逆向积分，
    所以 ``ddim_sample(..., x_T=ddim_invert(x0), eta=0)`` 近似还原 ``x0``（“更快的采样：DDIM”一节）。"""
    diffusion._check_x(x0, "x0")
    taus = ddim_timesteps(diffusion.T, steps)
    x = x0 if x0.dtype == torch.float64 else x0.float()
    device = x.device
    with _EvalMode(model):
        for s, t in zip([0, *taus[:-1]], taus):
            # 网络只在 t >= 1 上训练过：第一步（s = 0）在 x_0 上用 τ_1 处的噪声预测，而 x̂_0 就是 x_0 本身
            with autocast(device, amp):
                eps, x0_hat = diffusion.predict(model, x, s if s > 0 else t)
            eps, x0_hat = eps.to(x.dtype), (x0_hat.to(x.dtype) if s > 0 else x)
            ab_t = float(diffusion.alpha_bars[t])
            x = np.sqrt(ab_t) * x0_hat + np.sqrt(1 - ab_t) * eps
    return x


# ---------------------------------------------------------------------------------------------
# 同一个采样器的“静态”写法：每一步是同一串张量运算，可以录成 CUDA 图（“更快的采样：DDIM”一节）
# ---------------------------------------------------------------------------------------------
class StepSchedule(NamedTuple):
    r"""把一个采样器写成 :math:`K` 个形式相同的步骤：第 :math:`k` 步在时间步 ``t[k]`` 上调用网络，然后

    .. math:: \mathbf x\leftarrow c_x[k]\,\mathbf x+c_\epsilon[k]\,\hat{\boldsymbol\epsilon}+c_0[k]\,\hat{\mathbf x}_0
              +c_z[k]\,\mathbf z,

    ``coef`` 的四列就是 :math:`(c_x,c_\epsilon,c_0,c_z)`（float64）。DDPM 的一步
    :math:`(\mathbf x-\beta_t/\sqrt{1-\bar\alpha_t}\,\hat{\boldsymbol\epsilon})/\sqrt{1-\beta_t}+\sigma_t\mathbf z`
    与 DDIM 的一步 :math:`\sqrt{\bar\alpha_s}\hat{\mathbf x}_0+\sqrt{1-\bar\alpha_s-\sigma^2}\hat{\boldsymbol\epsilon}
    +\sigma\mathbf z` 都是这个形式，只是系数不同。``noise[k]`` 表示第 :math:`k` 步是否抽噪声。
    """

    t: np.ndarray
    coef: np.ndarray
    noise: np.ndarray


def ddpm_schedule(diffusion: GaussianDiffusion, variance: str = "beta_tilde") -> StepSchedule:
    """算法 2 的 :math:`T` 步写成 :class:`StepSchedule`（第 :math:`k` 步是 :math:`t=T-k`）。"""
    check_option(variance, "variance", VARIANCES)
    t = np.arange(diffusion.T, 0, -1)
    beta, abar = diffusion.betas[t], diffusion.alpha_bars[t]
    sigma = np.sqrt(diffusion.posterior_variance[t] if variance == "beta_tilde" else beta)
    c_x = 1.0 / np.sqrt(1.0 - beta)
    c_eps = -beta / np.sqrt(1.0 - abar) * c_x
    noise = t > 1
    coef = np.stack([c_x, c_eps, np.zeros_like(c_x), np.where(noise, sigma, 0.0)], axis=1)
    return StepSchedule(t, coef, noise)


def ddim_schedule(diffusion: GaussianDiffusion, taus: Sequence[int], eta: float = 0.0) -> StepSchedule:
    """DDIM 沿子序列 ``taus``（升序，见 :func:`ddim_timesteps`）的各步写成 :class:`StepSchedule`。"""
    taus = ddim_timesteps(diffusion.T, list(taus))
    eta = check_scalar(eta, "eta", Real, min_val=0, max_val=1)
    t = np.array(taus[::-1])
    s = np.array([*taus[-2::-1], 0])
    ab_t, ab_s = diffusion.alpha_bars[t], diffusion.alpha_bars[s]
    sigma = eta * np.sqrt((1 - ab_s) / (1 - ab_t) * (1 - ab_t / ab_s))
    noise = (sigma > 0) & (s > 0)
    coef = np.stack(
        [np.zeros_like(ab_t), np.sqrt(np.maximum(1 - ab_s - sigma**2, 0.0)), np.sqrt(ab_s), np.where(noise, sigma, 0)],
        axis=1,
    )
    return StepSchedule(t, coef, noise)


def _use_graph(cuda_graph, device, return_chain) -> bool:
    # Default off: the graph path has been tested on the CPU in its step-by-step form only (no GPU was available
    # when it was written); benchmarks/gpu_run.sh measures it and tests it against the step-by-step sampler.
    if cuda_graph is None:
        return False
    if not isinstance(cuda_graph, bool):
        raise TypeError(f"cuda_graph must be True, False or None, got {cuda_graph!r}")
    if cuda_graph and device.type != "cuda":
        raise ValueError(f"cuda_graph=True needs a CUDA device, got {device}")
    if cuda_graph and return_chain:
        raise ValueError("cuda_graph=True cannot return the chain of intermediate states; pass return_chain=False")
    return cuda_graph


def _run_static(model, diffusion, x, generator, schedule: StepSchedule, clip_x0, amp, needs_noise, *, graph=None):
    r"""按 ``schedule`` 走完全部步骤。每一步只用设备上的张量：当前步号 ``k`` 放在一个 0 维张量里，时间步与系数
    从设备上的表里按 ``k`` 取出，没有任何主机与设备之间的同步。于是（``graph=True``，CUDA 上的默认）可以把
    *一步* 录成 CUDA 图：之后每一步只是填入 ``k``、抽噪声、重放——一次启动代替 U-Net 的上百次核函数启动。
    噪声在图外由同一个 ``generator`` 按与逐步执行相同的顺序抽取。``graph=False`` 时逐步执行同样的运算（CPU 可用，
    测试用它与算法 2 的逐行写法比较）。
    """
    device, dtype = x.device, x.dtype
    graph = device.type == "cuda" if graph is None else graph
    B = x.shape[0]
    t_tab = torch.as_tensor(schedule.t, dtype=torch.long, device=device)
    c_tab = torch.as_tensor(schedule.coef, dtype=dtype if dtype == torch.float64 else torch.float32, device=device)
    # k 放在形状 (1,) 的张量里：用 0 维整数张量做下标时 PyTorch 会调用 .item()（一次同步，录图时还会把 k 固定住），
    # 用 1 维张量做下标则是设备上的 gather
    k_buf = torch.zeros(1, dtype=torch.long, device=device)
    x_buf, z_buf = x.clone(), torch.zeros_like(x)

    def step():
        t = t_tab[k_buf].expand(B)
        with autocast(device, amp):
            eps, x0 = diffusion.predict(model, x_buf, t, clip_x0=clip_x0)
        c = c_tab[k_buf][0].to(dtype)
        out = c[0] * x_buf + c[1] * eps.to(dtype) + c[2] * x0.to(dtype)
        return out + c[3] * z_buf

    with _EvalMode(model):
        if graph:
            side = torch.cuda.Stream(device)
            side.wait_stream(torch.cuda.current_stream(device))
            with torch.cuda.stream(side):  # warm-up outside the capture: cuDNN/cuBLAS handles, coefficient tables
                for _ in range(2):
                    step()
            torch.cuda.current_stream(device).wait_stream(side)
            g = torch.cuda.CUDAGraph()
            with torch.cuda.graph(g):
                x_buf.copy_(step())
        for k in range(len(schedule.t)):
            k_buf.fill_(k)
            if schedule.noise[k]:
                torch.randn(x.shape, generator=generator, device=device, dtype=dtype, out=z_buf)
            elif needs_noise:
                z_buf.zero_()
            if graph:
                g.replay()
            else:
                x_buf.copy_(step())
    return x_buf
