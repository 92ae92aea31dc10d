r"""去噪网络 :math:`\boldsymbol\epsilon_\theta(\mathbf x_t,t)`（“训练与采样：算法 1 与算法 2”一节）
与参数的指数滑动平均（EMA）。

* :func:`sinusoidal_embedding`：把整数时间步 :math:`t` 编码成向量（与 Transformer 的位置编码相同），
  :math:`[\sin(t\omega_k),\cos(t\omega_k)]`，:math:`\omega_k=10000^{-k/(d/2)}`；
* :class:`MLPDenoiser`：二维玩具数据用的小 MLP，时间编码经一个小 MLP 后加到每个残差块里；
* :class:`UNet`：8×8/16×16 图像用的小 U-Net（Ronneberger 等 2015；DDPM 的结构缩小版）：
  残差块（组归一化 → SiLU → 3×3 卷积，时间编码加在两次卷积之间）、下采样/上采样、跳跃连接、最低分辨率上的自注意力；
* :class:`EMA`：训练时维护参数的滑动平均 :math:`\bar\theta\leftarrow d\,\bar\theta+(1-d)\,\theta`，
采样用平均后的参数，样本更稳定。

网络的调用方式统一为 ``model(x_t, t)``，``t`` 是形状 ``(B,)`` 的整数张量，输出与 ``x_t`` 同形。
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from numbers import Integral, Real

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..utils import check_array, check_int_sequence, check_module_input, check_scalar, check_size

__all__ = [
    "sinusoidal_embedding",
    "MLPDenoiser",
    "ResBlock",
    "AttentionBlock",
    "UNet",
    "EMA",
    "count_parameters",
    "GaussianOptimalDenoiser",
    "EmpiricalOptimalDenoiser",
]


def sinusoidal_embedding(t: torch.Tensor, dim: int, max_period: float = 10_000.0) -> torch.Tensor:
    r"""时间步的正弦编码，形状 ``(B, dim)``：前一半是 :math:`\sin(t\omega_k)`，后一半是 :math:`\cos(t\omega_k)`，
    :math:`\omega_k=\text{max\_period}^{-k/(\text{dim}/2)}`，:math:`k=0,\dots,\text{dim}/2-1`。``dim`` 须为偶数。"""
    dim = check_scalar(dim, "dim", Integral, min_val=2)
    if dim % 2:
        raise ValueError(f"dim must be even, got {dim}")
    try:
        t = torch.as_tensor(t)
    except (TypeError, ValueError, RuntimeError):
        raise TypeError(f"t must be a 1-D tensor of time steps, got {type(t).__name__}") from None
    if t.is_complex() or t.dtype == torch.bool:
        raise TypeError(f"t must hold real time steps, got dtype {t.dtype}")
    if t.ndim != 1:
        raise ValueError(f"t must be a 1-D tensor of time steps, got shape {tuple(t.shape)}")
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, device=t.device, dtype=torch.float32) / half)
    args = t.float()[:, None] * freqs[None, :]
    return torch.cat([torch.sin(args), torch.cos(args)], dim=1)


def _check_diffusion(diffusion):
    from .gaussian import GaussianDiffusion

    if not isinstance(diffusion, GaussianDiffusion):
        raise TypeError(f"diffusion must be a GaussianDiffusion, got {type(diffusion).__name__}")
    return diffusion


def _check_time_steps(t, x: torch.Tensor) -> None:
    """去噪网络的 ``t``：一维，一个样本一个时间步（否则加到特征上时才以广播错误失败，或悄悄广播）。"""
    n = len(t) if isinstance(t, (torch.Tensor, np.ndarray, list, tuple)) and np.ndim(t) == 1 else None
    if n is not None and n != x.shape[0]:
        raise ValueError(f"t must have one time step per sample of x ({x.shape[0]}), got {n}")


def count_parameters(model: nn.Module) -> int:
    """可训练参数的个数。"""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


# ---------------------------------------------------------------------------------------------
# 二维数据：MLP
# ---------------------------------------------------------------------------------------------
class _MLPBlock(nn.Module):
    def __init__(self, hidden: int):
        super().__init__()
        self.fc1 = nn.Linear(hidden, hidden)
        self.fc2 = nn.Linear(hidden, hidden)

    def forward(self, h, emb):
        return h + self.fc2(F.silu(self.fc1(F.silu(h)) + emb))


class MLPDenoiser(nn.Module):
    r"""二维（或任意低维向量）数据的去噪网络：

    :math:`\mathbf h=W_{\text{in}}\mathbf x_t+\mathbf e(t)`，再经过 ``depth`` 个残差块
    :math:`\mathbf h\leftarrow\mathbf h+W_2\,\mathrm{SiLU}(W_1\mathrm{SiLU}(\mathbf h)+\mathbf e(t))`，
    最后 :math:`W_{\text{out}}\mathrm{SiLU}(\mathbf h)`。:math:`\mathbf e(t)` 是正弦时间编码经过两层 MLP 的结果。
    """

    def __init__(self, data_dim: int = 2, hidden: int = 128, depth: int = 3, time_dim: int = 32):
        super().__init__()
        self.data_dim = check_size(data_dim, "data_dim")
        hidden = check_scalar(hidden, "hidden", Integral, min_val=1, max_val=2**16)
        depth = check_scalar(depth, "depth", Integral, min_val=0, max_val=1000)
        self.time_dim = check_size(time_dim, "time_dim", min_val=2, max_val=2**16)
        self.time_mlp = nn.Sequential(nn.Linear(time_dim, hidden), nn.SiLU(), nn.Linear(hidden, hidden))
        self.inp = nn.Linear(data_dim, hidden)
        self.blocks = nn.ModuleList(_MLPBlock(hidden) for _ in range(depth))
        self.out = nn.Linear(hidden, data_dim)

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        check_module_input(x, self, "x")
        if x.ndim != 2 or x.shape[1] != self.data_dim:
            raise ValueError(f"x must have shape (B, {self.data_dim}), got {tuple(x.shape)}")
        _check_time_steps(t, x)
        emb = self.time_mlp(sinusoidal_embedding(t, self.time_dim).to(x.dtype))
        h = self.inp(x) + emb
        for block in self.blocks:
            h = block(h, emb)
        return self.out(F.silu(h))


# ---------------------------------------------------------------------------------------------
# 图像：U-Net
# ---------------------------------------------------------------------------------------------
def _groups(channels: int, groups: int) -> int:
    """不超过 ``groups`` 且整除 ``channels`` 的最大组数。"""
    channels = check_scalar(channels, "channels", Integral, min_val=1)
    groups = check_scalar(groups, "groups", Integral, min_val=1)
    g = int(min(groups, channels))
    while channels % g:
        g -= 1
    return g


class ResBlock(nn.Module):
    r"""时间条件残差块：:math:`\mathbf h=\mathrm{Conv}(\mathrm{SiLU}(\mathrm{GN}(\mathbf x)))+W\mathbf e(t)`，
    :math:`\mathbf y=\mathrm{skip}(\mathbf x)+\mathrm{Conv}(\mathrm{Dropout}(\mathrm{SiLU}(\mathrm{GN}(\mathbf h))))`。
    第二个卷积初始化为 0，使新建的块是恒等映射，深网络从一开始就容易训练。"""

    def __init__(self, in_ch: int, out_ch: int, time_dim: int, groups: int = 8, dropout: float = 0.0):
        super().__init__()
        for name, value in (("in_ch", in_ch), ("out_ch", out_ch), ("time_dim", time_dim)):
            check_size(value, name, max_val=2**16)
        check_scalar(dropout, "dropout", Real, min_val=0, max_val=1, include_max=False)
        self.norm1 = nn.GroupNorm(_groups(in_ch, groups), in_ch)
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, padding=1)
        self.time = nn.Linear(time_dim, out_ch)
        self.norm2 = nn.GroupNorm(_groups(out_ch, groups), out_ch)
        self.dropout = nn.Dropout(dropout)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, padding=1)
        nn.init.zeros_(self.conv2.weight)
        nn.init.zeros_(self.conv2.bias)
        self.skip = nn.Conv2d(in_ch, out_ch, 1) if in_ch != out_ch else nn.Identity()

    def forward(self, x, emb):
        check_module_input(x, self, "x", ndim=4, sizes={1: self.norm1.num_channels})
        check_module_input(emb, self, "emb", ndim=2, sizes={0: x.shape[0], 1: self.time.in_features})
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.time(emb)[:, :, None, None]
        h = self.conv2(self.dropout(F.silu(self.norm2(h))))
        return self.skip(x) + h


class AttentionBlock(nn.Module):
    r"""空间自注意力（单头）：把 :math:`H\times W` 个位置当作序列，:math:`\mathrm{softmax}(QK^\top/\sqrt C)V`，
    残差连接。"""

    def __init__(self, channels: int, groups: int = 8):
        super().__init__()
        check_size(channels, "channels", max_val=2**16)
        self.norm = nn.GroupNorm(_groups(channels, groups), channels)
        self.qkv = nn.Conv2d(channels, 3 * channels, 1)
        self.proj = nn.Conv2d(channels, channels, 1)
        nn.init.zeros_(self.proj.weight)
        nn.init.zeros_(self.proj.bias)

    def forward(self, x, emb=None):
        check_module_input(x, self, "x", ndim=4, sizes={1: self.norm.num_channels})
        B, C, H, W = x.shape
        q, k, v = self.qkv(self.norm(x)).reshape(B, 3, C, H * W).transpose(-1, -2).unbind(1)  # 各 (B, HW, C)
        h = F.scaled_dot_product_attention(q, k, v)
        return x + self.proj(h.transpose(-1, -2).reshape(B, C, H, W))


class UNet(nn.Module):
    r"""时间条件 U-Net。分辨率每下一级减半，通道数为 ``base_channels * channel_mults[level]``；
    每级 ``num_res_blocks`` 个残差块，``attention_levels`` 中的级别在残差块后加自注意力；
    中间是 残差块–注意力–残差块；上行路径把下行路径每一步的输出（跳跃连接）拼接进来。

    8×8 的数字图像用默认的两级（8×8 → 4×4），输入的高和宽须能被 :math:`2^{\text{级数}-1}` 整除。
    """

    def __init__(
        self,
        in_channels: int = 1,
        base_channels: int = 32,
        channel_mults: Sequence[int] = (1, 2),
        num_res_blocks: int = 1,
        attention_levels: Sequence[int] = (1,),
        groups: int = 8,
        dropout: float = 0.0,
    ):
        super().__init__()
        self.in_channels = check_size(in_channels, "in_channels")
        base = check_scalar(base_channels, "base_channels", Integral, min_val=2, max_val=4096)
        if base % 2:
            raise ValueError(f"base_channels must be even (it is also the time-embedding size), got {base}")
        num_res_blocks = check_scalar(num_res_blocks, "num_res_blocks", Integral, min_val=1, max_val=100)
        dropout = check_scalar(dropout, "dropout", Real, min_val=0, max_val=1, include_max=False)
        mults = check_int_sequence(channel_mults, "channel_mults", max_val=64)
        attention_levels = check_int_sequence(attention_levels, "attention_levels", min_val=0, min_len=0)
        if any(not 0 <= lv < len(mults) for lv in attention_levels):
            raise ValueError(
                f"attention_levels must be level indices in [0, {len(mults) - 1}], got {attention_levels!r}"
            )
        self.levels = len(mults)
        self.base = base
        time_dim = 4 * base
        self.time_mlp = nn.Sequential(nn.Linear(base, time_dim), nn.SiLU(), nn.Linear(time_dim, time_dim))
        self.conv_in = nn.Conv2d(in_channels, base, 3, padding=1)

        # 下行：记录每个输出的通道数，上行时按相反顺序拼接
        self.down = nn.ModuleList()
        skips, ch = [base], base
        for level, mult in enumerate(mults):
            out = base * mult
            for _ in range(num_res_blocks):
                layers = [ResBlock(ch, out, time_dim, groups, dropout)]
                if level in attention_levels:
                    layers.append(AttentionBlock(out, groups))
                self.down.append(nn.ModuleList(layers))
                skips.append(out)
                ch = out
            if level < len(mults) - 1:
                self.down.append(nn.ModuleList([nn.Conv2d(ch, ch, 3, stride=2, padding=1)]))  # 下采样
                skips.append(ch)
        self.mid = nn.ModuleList(
            [
                ResBlock(ch, ch, time_dim, groups, dropout),
                AttentionBlock(ch, groups),
                ResBlock(ch, ch, time_dim, groups, dropout),
            ]
        )
        # 上行
        self.up = nn.ModuleList()
        for level, mult in reversed(list(enumerate(mults))):
            out = base * mult
            for _ in range(num_res_blocks + 1):
                layers = [ResBlock(ch + skips.pop(), out, time_dim, groups, dropout)]
                if level in attention_levels:
                    layers.append(AttentionBlock(out, groups))
                self.up.append(nn.ModuleList(layers))
                ch = out
            if level > 0:
                self.up.append(
                    nn.ModuleList([nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(ch, ch, 3, padding=1)])
                )
        self.norm_out = nn.GroupNorm(_groups(ch, groups), ch)
        self.conv_out = nn.Conv2d(ch, in_channels, 3, padding=1)
        nn.init.zeros_(self.conv_out.weight)
        nn.init.zeros_(self.conv_out.bias)

    @staticmethod
    def _is_resample(layers: nn.ModuleList) -> bool:
        return not isinstance(layers[0], ResBlock)

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        check_module_input(x, self, "x")
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"x must have shape (B, {self.in_channels}, H, W), got {tuple(x.shape)}")
        factor = 2 ** (self.levels - 1)
        if x.shape[2] % factor or x.shape[3] % factor:
            raise ValueError(
                f"H and W must be divisible by {factor} for {self.levels} levels, got {tuple(x.shape[2:])}"
            )
        _check_time_steps(t, x)
        emb = self.time_mlp(sinusoidal_embedding(t, self.base).to(x.dtype))
        h = self.conv_in(x)
        hs = [h]
        for layers in self.down:
            if self._is_resample(layers):
                h = layers[0](h)
            else:
                for layer in layers:
                    h = layer(h, emb)
            hs.append(h)
        for layer in self.mid:
            h = layer(h, emb)
        for layers in self.up:
            if self._is_resample(layers):
                h = layers[1](layers[0](h))
            else:
                h = torch.cat([h, hs.pop()], dim=1)
                for layer in layers:
                    h = layer(h, emb)
        return self.conv_out(F.silu(self.norm_out(h)))


# ---------------------------------------------------------------------------------------------
# 参数的指数滑动平均
# ---------------------------------------------------------------------------------------------
class EMA:
    r"""参数的指数滑动平均：每步 :math:`\bar\theta\leftarrow d_k\bar\theta+(1-d_k)\theta`，
    :math:`d_k=\min\bigl(d,\frac{1+k}{10+k}\bigr)`（前期 :math:`d_k` 较小，平均值能跟上快速变化的参数）。

    ``ema.model`` 是一份独立的网络副本（eval 模式），采样时用它。
    """

    def __init__(self, model: nn.Module, decay: float = 0.999):
        self.decay = check_scalar(decay, "decay", Real, min_val=0, max_val=1, include_max=False)
        self.model = copy.deepcopy(model).eval()
        for p in self.model.parameters():
            p.requires_grad_(False)
        self.num_updates = 0

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        self.num_updates += 1
        d = min(self.decay, (1 + self.num_updates) / (10 + self.num_updates))
        for avg, p in zip(self.model.parameters(), model.parameters()):
            avg.lerp_(p.detach(), 1.0 - d)
        for avg, b in zip(self.model.buffers(), model.buffers()):
            avg.copy_(b)


# ---------------------------------------------------------------------------------------------
# 不需要训练的“最优”去噪器：用来检验推导和采样器
# ---------------------------------------------------------------------------------------------
class GaussianOptimalDenoiser(nn.Module):
    r"""数据本身是高斯分布 x_0 ~ N(m, diag(s²)) 时的最优噪声预测器。

    这时 :math:`(\boldsymbol\epsilon,\mathbf x_t)` 联合高斯，条件期望是线性的（逐维）：

        E[ε | x_t] = √(1−ᾱ_t) / (ᾱ_t s² + 1 − ᾱ_t) · (x_t − √ᾱ_t m),

    它使 E‖ε − ε_θ‖² 最小。扩散模型一章从“变分下界与简化损失”到“更快的采样：DDIM”的三节
    用它检验变分下界与采样器。
    ``mean``、``std`` 是标量或与单个样本同形的张量；``diffusion`` 提供 :math:`\bar\alpha_t`。
    """

    def __init__(self, diffusion, mean=0.0, std=1.0):
        super().__init__()
        mean = check_array(mean, "mean", ndim=None, finite=False)
        std = check_array(std, "std", ndim=None, finite=False)
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float64))
        self.register_buffer("std", torch.as_tensor(std, dtype=torch.float64))
        if not torch.all(torch.isfinite(self.mean)):
            raise ValueError(f"mean must be finite, got {mean!r}")
        if not torch.all(torch.isfinite(self.std) & (self.std > 0)):
            raise ValueError(f"std must be positive and finite, got {std!r}")
        self.diffusion = _check_diffusion(diffusion)

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        check_module_input(x, None, "x")
        ab = self.diffusion.coef("alpha_bars", t, x)
        m, s2 = self.mean.to(x), (self.std**2).to(x)
        return (1 - ab).sqrt() / (ab * s2 + 1 - ab) * (x - ab.sqrt() * m)


class EmpiricalOptimalDenoiser(nn.Module):
    r"""训练集 :math:`\{\mathbf x^{(i)}\}_{i=1}^n` 上的经验分布的最优去噪器（“背下训练集”的模型）。

    q(x_0 = x⁽ⁱ⁾ | x_t) ∝ exp(−‖x_t − √ᾱ_t x⁽ⁱ⁾‖² / (2(1−ᾱ_t)))，
    :math:`\hat{\mathbf x}_0=\sum_i q(\mathbf x^{(i)}\mid\mathbf x_t)\,\mathbf x^{(i)}`，输出对应的
    :math:`\hat{\boldsymbol\epsilon}=(\mathbf x_t-\sqrt{\bar\alpha_t}\hat{\mathbf x}_0)/\sqrt{1-\bar\alpha_t}`。
    用它采样只会重现训练样本——这说明神经网络的“不完美”（泛化）恰恰是生成新样本所需要的。
    """

    def __init__(self, diffusion, data: torch.Tensor):
        super().__init__()
        if not isinstance(data, torch.Tensor) or data.ndim < 2:
            raise ValueError(f"data must be a tensor of shape (n, ...), got {getattr(data, 'shape', data)!r}")
        self.diffusion = _check_diffusion(diffusion)
        self.register_buffer("data", data.detach().clone())

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        check_module_input(x, None, "x", ndim=self.data.ndim, sizes=dict(enumerate(self.data.shape[1:], 1)))
        t = self.diffusion.timesteps(t, x.shape[0], x.device, min_t=1)  # t = 0 时 1 − ᾱ = 0，负的 t 会绕回
        ab = self.diffusion.coef("alpha_bars", t, x).reshape(-1, 1)
        xf, d = x.reshape(x.shape[0], -1), self.data.to(x).reshape(self.data.shape[0], -1)
        sq = (xf**2).sum(1, keepdim=True) - 2 * ab.sqrt() * (xf @ d.T) + ab * (d**2).sum(1)[None, :]
        logits = -sq / (2 * (1 - ab))
        x0 = torch.softmax(logits, dim=1) @ d
        return ((xf - ab.sqrt() * x0) / (1 - ab).sqrt()).reshape(x.shape)
