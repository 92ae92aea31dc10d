r"""Hyena：用隐式参数化的长卷积和数据控制的门控代替注意力
（长序列建模一章从“Toeplitz 矩阵、循环矩阵与 FFT 卷积”到“Hyena 与注意力：复杂度与联想回忆”四节；
Poli et al., ICML 2023）。

一个 :math:`N` 阶 Hyena 算子把输入 :math:`u\in\mathbb R^{L\times D}` 投影成 :math:`N+1` 路
:math:`x^1,\dots,x^N,v`（每路 :math:`D` 个通道，各经一个长度 3 的因果深度卷积），再做 :math:`N` 步
“长卷积 + 逐元素门控”的递推（论文的写法）：

.. math::

    z^1 = v,\qquad z^{n+1}_t = x^n_t\,(h^n * z^n)_t\quad(n=1,\dots,N),\qquad y = z^{N+1},

卷积沿时间、对每个通道各做一次，卷积核 :math:`h^n\in\mathbb R^{D\times L}` 与序列 *一样长*。写成矩阵，每个通道上
:math:`y=H(u)\,v`，:math:`H(u)=D_{x^N}S_{h^N}\cdots D_{x^1}S_{h^1}`（:math:`D_x=\operatorname{diag}(x)`，
:math:`S_h` 是下三角 Toeplitz 矩阵）：与注意力矩阵 :math:`A(q,k)` 一样由数据决定，但只需 :math:`O(NDL\log L)` 时间。

卷积核不是 :math:`D\times L` 个自由参数，而是一个小网络在位置 :math:`t` 处的输出（隐式滤波器）：

.. math::  h_t = \operatorname{Window}(t)\cdot\bigl(\operatorname{FFN}\circ\operatorname{PositionalEncoding}\bigr)(t),

位置编码 = :math:`[\,t,\ \cos(f_j\omega_t),\ -\sin(f_j\omega_t)\,]`，FFN 用可学习频率的正弦激活，
窗口是逐通道的指数衰减 :math:`e^{-|\delta_c|t}`。参数量与 :math:`L` 无关。

=============================  =============================================================================
``fftconv``                    :math:`y=h*u+D\odot u`（因果，FFT；调用 ``lib.fourier.causal_fft_conv``）
``PositionalEmbedding``        截断傅里叶基位置编码 :math:`z_t\in\mathbb R^{D_e}`
``Sin``                        :math:`\sin(\omega\odot x)`，:math:`\omega` 可学习
``ExponentialModulation``      逐通道指数衰减窗
``HyenaFilter``                隐式滤波器：一次给出全部 :math:`N` 阶、:math:`D` 个通道的 :math:`h`，形状 ``(N, D, L)``
``HyenaOperator``              完整算子 ``(B, L, D) -> (B, L, D)``，``convention="paper"`` 或 ``"safari"``
``hyena_matrix``               把算子在给定输入上“物化”成 :math:`D` 个 :math:`L\times L` 矩阵 :math:`H(u)`
``h3_operator``                H3：:math:`D_qS_\psi D_kS_\varphi v`（二阶 Hyena 的特例）
``LanguageModel``              小语言模型：Hyena 块或注意力块（对照实验用）
``fit_sequence_model``         训练循环；``recall_accuracy`` 联想回忆的准确率
``benchmark_mixers``           Hyena 算子与 SDPA 注意力的计时与显存（``benchmarks/hyena.py`` 调用）
=============================  =============================================================================

**论文与参考代码的两个不同约定**（``convention`` 参数）。论文（与原讲义）有 :math:`N` 个长滤波器，每步“先卷积、后门控”。
参考实现（HazyResearch/safari 的 ``standalone_hyena.py``）的 ``order=N`` 只有 :math:`N-1` 个长滤波器，
每步“先门控、后卷积”，最后再乘一次门：:math:`y=x^0\odot\bigl(h^{N-1}*(x^{1}\odot\cdots h^{1}*(x^{N-1}\odot v))\bigr)`。
把论文写法的第一个滤波器取为单位冲激 :math:`\delta`（偏置为 0）并把 :math:`x` 的顺序倒过来，两者完全一致
（``tests/test_hyena.py`` 验证了这一点）。两种写法都按参考代码的顺序拆分投影：``x^1, …, x^N, v``（:math:`v` 在最后）。
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Sequence
from numbers import Integral, Real

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import triton_kernels
from .attention import MultiHeadAttention
from .fourier import causal_fft_conv, causal_toeplitz, kernel_spectrum
from .monarch import MAX_FACTOR as MONARCH_MAX_FACTOR
from .monarch import _check_power_of_two, monarch_causal_conv, monarch_kernel_spectrum
from .utils import check_module_input, check_option, check_random_state, check_scalar, check_size

__all__ = [
    "fftconv",
    "short_causal_conv",
    "PositionalEmbedding",
    "Sin",
    "ExponentialModulation",
    "HyenaFilter",
    "HyenaOperator",
    "hyena_matrix",
    "h3_operator",
    "Block",
    "LanguageModel",
    "fit_sequence_model",
    "recall_accuracy",
    "benchmark_mixers",
    "HYENA_VARIANTS",
    "scaling_exponent",
    "CONVENTIONS",
    "FFT_IMPLS",
]

CONVENTIONS = ("paper", "safari")
FFT_IMPLS = ("torch", "monarch")  # 快速路径的长卷积：torch.fft（cuFFT），或写成矩阵乘法的 FFT（lib.monarch）


def _check_int(value, name: str, min_val: int = 1, max_val: int = 2**24) -> int:
    """宽度、长度、阶数这类整数超参数；上限挡住会让分配器或循环失控的笔误（如 ``d_model=10**12``）。"""
    return check_size(value, name, min_val=min_val, max_val=max_val)


# ---------------------------------------------------------------------------------------------
# 长卷积：y = h * u + D u
# ---------------------------------------------------------------------------------------------
def fftconv(u: torch.Tensor, k: torch.Tensor, D: torch.Tensor | None = None) -> torch.Tensor:
    r"""逐通道的因果长卷积加跳连：:math:`y_{c,t}=\sum_{s=0}^{t}k_{c,s}\,u_{c,t-s}+D_c\,u_{c,t}`
    （“Toeplitz 矩阵、循环矩阵与 FFT 卷积”“Hyena 算子”两节）。

    ``u`` 形状 ``(..., H, L)``（批量、通道、时间），``k`` 形状 ``(H, L_k)``（每通道一个核，前面的维度按广播对齐），
    ``D`` 形状 ``(H,)`` 或 ``None``。卷积由 ``lib.fourier.causal_fft_conv`` 完成：两者补零到不小于
    :math:`L+L_k-1` 的 FFT 长度（对 :math:`L_k=L` 即“补零到 :math:`2L`”），逐点相乘、逆变换、取前 :math:`L` 个。
    不补零则是 *循环* 卷积，末尾的值会绕回来污染开头，也就不再因果。输出与 ``u`` 同类型
    （半精度输入在 float32 中做 FFT）。时间 :math:`O(HL\log L)`，直接求和是 :math:`O(HL^2)`。
    """
    for name, x in (("u", u), ("k", k)):
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
        if not (x.is_floating_point() or x.is_complex()):
            raise TypeError(f"{name} must be a floating-point tensor, got dtype {x.dtype}")
    if u.dim() < 2:
        raise ValueError(f"u must have shape (..., channels, length), got {tuple(u.shape)}")
    if k.dim() < 1 or (k.dim() >= 2 and k.shape[-2] not in (1, u.shape[-2])):
        raise ValueError(f"k must have shape (channels={u.shape[-2]}, length), got {tuple(k.shape)}")
    if D is not None and (not isinstance(D, torch.Tensor) or D.shape not in ((u.shape[-2],), (1,))):
        raise ValueError(f"D must be a tensor of shape ({u.shape[-2]},), got {getattr(D, 'shape', type(D))}")
    return causal_fft_conv(u, k, D)


class _ShortConv(torch.autograd.Function):
    """Hyena 的短因果深度卷积 ``Σ_j w[j]·(z + b_in)[t-(K-1)+j] + b_conv``，用 Triton 核函数做前向与反向（GPU）。"""

    @staticmethod
    def forward(ctx, z, weight, bias_in, bias_conv):
        ctx.save_for_backward(z, weight, bias_in)
        ctx.has_bias = (bias_in is not None, bias_conv is not None)
        return triton_kernels.short_conv_fwd(z, weight.reshape(weight.shape[0], -1), bias_in, bias_conv)

    @staticmethod
    def backward(ctx, g):
        z, weight, bias_in = ctx.saved_tensors
        gz, gw, gbi, gbc = triton_kernels.short_conv_bwd(g, z, weight.reshape(weight.shape[0], -1), bias_in)
        return (
            gz,
            gw.reshape(weight.shape).to(weight.dtype),
            gbi.to(bias_in.dtype) if ctx.has_bias[0] else None,
            gbc.to(weight.dtype) if ctx.has_bias[1] else None,
        )


def short_causal_conv(z: torch.Tensor, weight: torch.Tensor, bias_in=None, bias_conv=None) -> torch.Tensor:
    r"""短的因果深度卷积 :math:`y_{c,t}=\sum_{j=0}^{K-1}w_{c,j}\,(z+b^{\text{in}})_{c,\,t-K+1+j}+b^{\text{conv}}_c`
    （越界处为 0），即 ``nn.Conv1d(C, C, K, padding=K-1, groups=C)`` 作用在 ``z + bias_in`` 上再取前 :math:`L` 个。

    ``z`` 形状 ``(B, C, L)``，``weight`` 形状 ``(C, 1, K)``。把输入投影的偏置 ``bias_in`` 挪到这里，投影就是一次
    不带偏置的矩阵乘法；GPU 上整个短卷积是一个 Triton 核函数（读一遍、写一遍），CPU 上用 ``F.conv1d``。
    """
    if triton_kernels.enabled(z, weight):
        return _ShortConv.apply(z, weight, bias_in, bias_conv)
    K = weight.shape[-1]
    x = z if bias_in is None else z + bias_in.unsqueeze(-1)
    return F.conv1d(x, weight, bias_conv, padding=K - 1, groups=z.shape[1])[..., : z.shape[-1]]


# ---------------------------------------------------------------------------------------------
# 隐式滤波器的三个部件
# ---------------------------------------------------------------------------------------------
class PositionalEmbedding(nn.Module):
    r"""滤波器网络的输入：位置 :math:`t=0..L_{\max}-1` 的特征
    :math:`z_t=[\,\tilde t,\ \cos(f_j\omega_t),\ -\sin(f_j\omega_t)\,]`。

    :math:`\tilde t=t/(L_{\max}-1)\in[0,1]`，:math:`\omega_t=2\pi t/L_{\max}`，``bands`` :math:`=(D_e-1)/2` 个频率
    :math:`f_j` 在 :math:`[10^{-4},\ \text{bands}-1]` 上均匀取值（即 :math:`e^{-if_j\omega_t}` 的实部与虚部）。
    ``emb_dim`` :math:`D_e` 必须是不小于 3 的奇数。
    注意 :math:`D_e=3` 时唯一的频率是 :math:`10^{-4}`，特征实际上只有 :math:`\tilde t`。

    参考实现把 :math:`z` 登记为学习率 1e-5 的 *参数*，于是参数量随 :math:`L_{\max}` 线性增长；这里默认登记为
    不学习的缓冲区（``learnable=False``），使 Hyena 的参数量与序列长度无关。
    """

    def __init__(self, emb_dim: int, l_max: int, *, learnable: bool = False):
        super().__init__()
        check_scalar(learnable, "learnable", bool)
        emb_dim = _check_int(emb_dim, "emb_dim", 3)
        if emb_dim % 2 == 0:
            raise ValueError(f"emb_dim must be odd (time + cosines + sines), got {emb_dim}")
        l_max = _check_int(l_max, "l_max", 1)
        self.emb_dim, self.l_max = emb_dim, l_max
        bands = (emb_dim - 1) // 2
        # 在 float64 中计算再转成默认精度：f·ω 可达 2π·bands，float32 的三角函数误差会到 1e-5
        t = torch.linspace(0, 1, l_max, dtype=torch.float64)[:, None]  # (L, 1): 归一化的时间
        omega = 2 * math.pi * torch.arange(l_max, dtype=torch.float64)[:, None] / l_max  # (L, 1)
        f = torch.linspace(1e-4, bands - 1, bands, dtype=torch.float64)[None, :]  # (1, bands)
        z = torch.cat([t, torch.cos(f * omega), -torch.sin(f * omega)], dim=-1)  # (L, D_e)
        z, t = z.to(torch.get_default_dtype()), t.to(torch.get_default_dtype())
        if learnable:
            self.z = nn.Parameter(z)
        else:
            self.register_buffer("z", z)
        self.register_buffer("t", t)

    def forward(self, L: int) -> tuple[torch.Tensor, torch.Tensor]:
        """返回前 ``L`` 个位置的 ``(z, t)``，形状 ``(L, emb_dim)`` 与 ``(L, 1)``。"""
        L = _check_int(L, "L", 1)
        if L > self.l_max:
            raise ValueError(f"L must be <= l_max={self.l_max}, got {L}")
        return self.z[:L], self.t[:L]


class Sin(nn.Module):
    r"""正弦激活 :math:`\sin(\omega\odot x)`，每个单元一个频率 :math:`\omega`（初值 ``w``，``train_freq`` 时可学习）。

    普通 MLP 偏爱低频函数（频谱偏置），而长卷积核需要高频细节；周期激活让小网络也能表示高频的 :math:`h_t`。
    """

    def __init__(self, dim: int, w: float = 1.0, *, train_freq: bool = True):
        super().__init__()
        dim = _check_int(dim, "dim", 1)
        w = check_scalar(w, "w", Real)
        check_scalar(train_freq, "train_freq", bool)
        freq = torch.full((dim,), float(w))
        if train_freq:
            self.freq = nn.Parameter(freq)
        else:
            self.register_buffer("freq", freq)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_module_input(x, self, "x", sizes={-1: self.freq.shape[-1]})
        return torch.sin(self.freq * x)


class ExponentialModulation(nn.Module):
    r"""指数衰减窗 :math:`h_{t,c}\leftarrow h_{t,c}\,(e^{-|\delta_c|\tilde t}+\text{shift})`，:math:`\tilde t\in[0,1]`。

    衰减率 :math:`|\delta_c|` 在各通道间从 :math:`\ln(1/\text{target})/\text{slow}` 线性变到
    :math:`\ln(1/\text{target})/\text{fast}`：通道 :math:`c` 在
    :math:`\tilde t=\ln(1/\text{target})/|\delta_c|\in[\text{fast},\text{slow}]` 处衰减到 ``target``。
    默认 target=0.01、fast=0.3、slow=1.5，:math:`|\delta_c|\in[3.07, 15.35]`：
    最快的通道在序列 30% 处衰减到 1%，最慢的通道到序列末尾仍有 :math:`e^{-3.07}=0.046`。:math:`\delta` 不学习。
    """

    def __init__(
        self,
        channels: int,
        *,
        fast_decay_pct: float = 0.3,
        slow_decay_pct: float = 1.5,
        target: float = 1e-2,
        shift: float = 0.0,
        modulate: bool = True,
    ):
        super().__init__()
        channels = _check_int(channels, "channels", 1)
        fast = check_scalar(fast_decay_pct, "fast_decay_pct", Real, min_val=0, include_min=False)
        slow = check_scalar(slow_decay_pct, "slow_decay_pct", Real, min_val=0, include_min=False)
        target = check_scalar(target, "target", Real, min_val=0, max_val=1, include_min=False, include_max=False)
        if fast > slow:
            raise ValueError(f"fast_decay_pct must be <= slow_decay_pct, got {fast} > {slow}")
        self.shift = float(check_scalar(shift, "shift", Real))
        self.modulate = check_scalar(modulate, "modulate", bool)
        rate = math.log(1 / target)
        self.register_buffer("deltas", torch.linspace(rate / slow, rate / fast, channels))

    def window(self, t: torch.Tensor) -> torch.Tensor:
        """窗口本身，形状 ``(L, channels)``；``t`` 形状 ``(L, 1)``。"""
        check_module_input(t, None, "t", ndim=2, sizes={1: 1})
        return torch.exp(-t * self.deltas.abs()) + self.shift

    def forward(self, t: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        check_module_input(t, None, "t", ndim=2, sizes={1: 1})
        check_module_input(h, None, "h", ndim=2, sizes={1: self.deltas.shape[0]})
        if t.shape[0] not in (1, h.shape[0]):
            raise ValueError(f"h must have one row per time step of t ({t.shape[0]}), got shape {tuple(h.shape)}")
        return h * self.window(t) if self.modulate else h


class HyenaFilter(nn.Module):
    r"""隐式长滤波器（“Hyena 滤波器”一节）：
    :math:`h=\operatorname{Window}\cdot\operatorname{FFN}(\operatorname{PE}(t))`。

    一个 FFN 同时给出 ``n_filters`` 阶、每阶 ``d_model`` 个通道的滤波器：

    ``Linear(D_e, W) → Sin → [Linear(W, W) → Sin] × num_inner_mlps → Linear(W, n_filters·d_model, bias=False)``

    其中 :math:`W` = ``filter_order``（FFN 的宽度）。注意输出维数是 :math:`N\cdot D`（阶数 × 通道数），
    不是原讲义写的 :math:`N\cdot D_e`：下一步要把它排成 :math:`N\times D\times L`。每阶每通道还有一个可学习的
    跳连系数 ``bias``（传给 :func:`fftconv` 的 ``D``）。参数量
    :math:`D_eW+W+k(W^2+W)+WND+ND+(k+1)W` 与 :math:`L` 无关。
    """

    def __init__(
        self,
        d_model: int,
        n_filters: int,
        l_max: int,
        *,
        emb_dim: int = 5,
        filter_order: int = 64,
        num_inner_mlps: int = 2,
        w: float = 1.0,
        learnable_pos_emb: bool = False,
        fast_decay_pct: float = 0.3,
        slow_decay_pct: float = 1.5,
        target: float = 1e-2,
        shift: float = 0.0,
        modulate: bool = True,
    ):
        super().__init__()
        self.d_model = _check_int(d_model, "d_model", 1)
        self.n_filters = _check_int(n_filters, "n_filters", 1)
        filter_order = _check_int(filter_order, "filter_order", 1)
        num_inner_mlps = _check_int(num_inner_mlps, "num_inner_mlps", 0, max_val=1000)
        self.pos_emb = PositionalEmbedding(
            emb_dim, l_max, learnable=check_scalar(learnable_pos_emb, "learnable_pos_emb", bool)
        )
        layers: list[nn.Module] = [nn.Linear(emb_dim, filter_order), Sin(filter_order, w)]
        for _ in range(num_inner_mlps):
            layers += [nn.Linear(filter_order, filter_order), Sin(filter_order, w)]
        layers.append(nn.Linear(filter_order, self.n_filters * self.d_model, bias=False))
        self.implicit_filter = nn.Sequential(*layers)
        self.modulation = ExponentialModulation(
            self.n_filters * self.d_model,
            fast_decay_pct=fast_decay_pct,
            slow_decay_pct=slow_decay_pct,
            target=target,
            shift=shift,
            modulate=modulate,
        )
        self.bias = nn.Parameter(torch.randn(self.n_filters, self.d_model))

    @property
    def l_max(self) -> int:
        return self.pos_emb.l_max

    def forward(self, L: int, *, window: bool = True) -> torch.Tensor:
        """长度 ``L`` 的滤波器，形状 ``(n_filters, d_model, L)``；``window=False`` 给出加窗之前的 FFN 输出。"""
        z, t = self.pos_emb(L)
        h = self.implicit_filter(z)  # (L, N·D)
        if window:
            h = self.modulation(t, h)
        return h.T.reshape(self.n_filters, self.d_model, L)  # 通道下标 = n·D + d

    def extra_repr(self) -> str:
        return f"d_model={self.d_model}, n_filters={self.n_filters}, l_max={self.l_max}"


# ---------------------------------------------------------------------------------------------
# Hyena 算子
# ---------------------------------------------------------------------------------------------
class HyenaOperator(nn.Module):
    r"""``N`` 阶 Hyena 算子：``(B, L, d_model) -> (B, L, d_model)``，:math:`L\le` ``l_max``（“Hyena 算子”一节）。

    1. 输入投影 ``in_proj``：:math:`\mathbb R^{D}\to\mathbb R^{(N+1)D}`（逐位置）；
    2. 短卷积 ``short_filter``：长度 ``short_filter_size`` 的 *因果* 深度卷积（左侧补零，取前 :math:`L` 个），
       让每路投影看到相邻的几个位置；
    3. 拆分为 :math:`x^1,\dots,x^N,v`（各 ``(B, D, L)``，:math:`v` 在最后，与参考代码相同）；
    4. 递推：``convention="paper"`` 时 :math:`z\leftarrow x^n\odot(h^n*z+b^n\odot z)`，共 :math:`N` 个长滤波器；
       ``convention="safari"`` 时按参考代码，:math:`N-1` 个长滤波器、先门控后卷积、
       最后乘 :math:`x^1`（代码里的 ``x[0]``）；
    5. 输出投影 ``out_proj``：:math:`\mathbb R^D\to\mathbb R^D`。

    代价：投影 :math:`O(NLD^2)`，长卷积 :math:`O(NDL\log L)`；注意力是 :math:`O(L^2D)`。

    **两条计算路径，结果相同**（``fused``；``None`` 时 CUDA 上走快速路径，CPU 上走逐步写出的参照路径）：

    * 参照路径（:meth:`project`、:meth:`filters`、:meth:`recurrence`）逐行对应上面的公式，书中展示的就是它；
    * 快速路径（:meth:`forward_fused`）算的是同一个函数，但按显存往返来安排：输入投影直接写成
      ``(B, (N+1)D, L)`` 的布局（FFT 沿连续的最后一维做，不再转置拷贝），其偏置并进短卷积
      （:func:`short_causal_conv`，GPU 上一个核函数）；长卷积用 :func:`lib.fourier.causal_fft_conv`（手写反向传播）；
      不需要对滤波器求导时（推理），滤波器与它的频谱只在参数改变后重算一次（:meth:`filter_spectra`；
      ``cache_filters=False`` 时每次调用都重算）。
      ``fft_dtype=torch.float16`` 时长卷积的前向 FFT 用半精度（仅 CUDA）。GPU 上的逐点融合核函数见
      :mod:`lib.triton_kernels`（显式打开后使用）。
      ``fft_impl="monarch"`` 时长卷积改用 :func:`lib.monarch.monarch_causal_conv`（最大因子 ``monarch_max_factor``）：
      FFT 写成几次小矩阵乘法，
      在 ``fft_dtype``（默认与输入相同，bfloat16 输入就用 bfloat16 的张量核）中计算。
    """

    def __init__(
        self,
        d_model: int,
        l_max: int,
        order: int = 2,
        filter_order: int = 64,
        *,
        convention: str = "paper",
        emb_dim: int = 5,
        short_filter_size: int = 3,
        num_inner_mlps: int = 2,
        w: float = 1.0,
        dropout: float = 0.0,
        fused: bool | None = None,
        fft_dtype: torch.dtype | None = None,
        cache_filters: bool = True,
        fft_impl: str = "torch",
        monarch_max_factor: int = MONARCH_MAX_FACTOR,
        **modulation_args,
    ):
        super().__init__()
        self.cache_filters = check_scalar(cache_filters, "cache_filters", bool)
        if fused is not None and not isinstance(fused, bool):
            raise TypeError(f"fused must be True, False or None, got {fused!r}")
        self.fft_impl = check_option(fft_impl, "fft_impl", FFT_IMPLS)
        self.monarch_max_factor = _check_power_of_two(monarch_max_factor, "monarch_max_factor")
        allowed = (None, torch.float16, torch.float32, torch.float64) + (
            (torch.bfloat16,) if fft_impl == "monarch" else ()
        )
        if not any(fft_dtype is d for d in allowed):
            raise ValueError(
                f"fft_dtype must be one of {[str(d) for d in allowed]} with fft_impl={fft_impl!r}, got {fft_dtype}"
            )
        self.fused, self.fft_dtype = fused, fft_dtype
        self._spectra_cache: tuple | None = None
        self.d_model = _check_int(d_model, "d_model", 1)
        self.l_max = _check_int(l_max, "l_max", 1)
        self.order = _check_int(order, "order", 1)
        check_option(convention, "convention", CONVENTIONS)
        if convention == "safari" and self.order < 2:
            raise ValueError(f"convention='safari' needs order >= 2 (it has order - 1 long filters), got {order}")
        self.convention = convention
        self.short_filter_size = _check_int(short_filter_size, "short_filter_size", 1)
        dropout = check_scalar(dropout, "dropout", Real, min_val=0, max_val=1, include_max=False)
        inner = (self.order + 1) * self.d_model
        self.in_proj = nn.Linear(self.d_model, inner)
        self.short_filter = nn.Conv1d(
            inner, inner, self.short_filter_size, padding=self.short_filter_size - 1, groups=inner
        )
        n_long = self.order if convention == "paper" else self.order - 1
        self.filter_fn = HyenaFilter(
            self.d_model,
            n_long,
            self.l_max,
            emb_dim=emb_dim,
            filter_order=filter_order,
            num_inner_mlps=num_inner_mlps,
            w=w,
            **modulation_args,
        )
        self.dropout = nn.Dropout(dropout)
        self.out_proj = nn.Linear(self.d_model, self.d_model)

    def _check_input(self, u) -> int:
        if isinstance(u, torch.Tensor) and (u.dim() != 3 or u.shape[-1] != self.d_model):
            raise ValueError(f"u must have shape (batch, length, d_model={self.d_model}), got {tuple(u.shape)}")
        check_module_input(u, self, "u")
        L = u.shape[1]
        if L > self.l_max:
            raise ValueError(f"u: sequence length must be <= l_max={self.l_max}, got {L}")
        if L < 1:
            raise ValueError("u: sequence length must be >= 1, got 0")
        return L

    def project(self, u: torch.Tensor) -> tuple[list[torch.Tensor], torch.Tensor]:
        """第 1–3 步：返回 ``([x^1, …, x^N], v)``，每个形状 ``(B, d_model, L)``。"""
        L = self._check_input(u)
        z = self.in_proj(u).transpose(1, 2)  # (B, (N+1)D, L)
        z = self.short_filter(z)[..., :L]  # 左侧补 k-1 个零后取前 L 个：因果
        *xs, v = z.split(self.d_model, dim=1)
        return xs, v

    def filters(self, L: int) -> tuple[torch.Tensor, torch.Tensor]:
        """长滤波器 ``(n_long, d_model, L)`` 与跳连系数 ``(n_long, d_model)``。"""
        return self.filter_fn(L), self.filter_fn.bias

    def recurrence(self, xs: Sequence[torch.Tensor], v: torch.Tensor, h: torch.Tensor, bias: torch.Tensor):
        """第 4 步：门控与长卷积的交替（按 ``self.convention``），返回 ``(B, d_model, L)``。"""
        if self.convention == "paper":
            z = v
            for n, x in enumerate(xs):  # z^{n+1} = x^n ⊙ (h^n * z^n)
                z = self.dropout(x * fftconv(z, h[n], bias[n]))
            return z
        for o, x in enumerate(reversed(xs[1:])):  # 参考代码：先门控、后卷积
            v = fftconv(self.dropout(v * x), h[o], bias[o])
        return xs[0] * v

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        if self.fused if self.fused is not None else (isinstance(u, torch.Tensor) and u.is_cuda):
            return self.forward_fused(u)
        xs, v = self.project(u)
        h, bias = self.filters(u.shape[1])
        y = self.recurrence(xs, v, h, bias)
        return self.out_proj(y.transpose(1, 2))

    # -----------------------------------------------------------------------------------------
    # 快速路径：同一个函数，按显存往返安排（GPU）
    # -----------------------------------------------------------------------------------------
    def _filter_state(self) -> tuple:
        tensors = [*self.filter_fn.parameters(), *self.filter_fn.buffers()]
        return tuple((id(t), t.data_ptr(), t._version, t.dtype, t.device) for t in tensors)

    def filter_spectra(self, L: int, dtype: torch.dtype | None = None) -> list:
        """推理时用的长滤波器频谱（每阶一个 :class:`lib.fourier.KernelSpectrum`，``fft_impl="monarch"`` 时是
        :class:`lib.monarch.MonarchSpectrum`，在 ``dtype`` 中计算），参数不变时直接取缓存。

        缓存的键是滤波器网络每个参数与缓冲区的身份、存储地址与版本号（``optimizer.step()``、``load_state_dict``
        都会改变版本号），以及 ``L``、``fft_impl`` 与 FFT 的类型：参数一变就重算，不会用到过期的频谱。
        """
        key = (int(L), self.fft_impl, self.monarch_max_factor, self.fft_dtype, dtype, self._filter_state())
        if self.cache_filters and self._spectra_cache is not None and self._spectra_cache[0] == key:
            return self._spectra_cache[1]
        with torch.no_grad():
            h = self.filter_fn(L)
            if self.fft_impl == "monarch":
                spec = monarch_kernel_spectrum(h, L, dtype=self.fft_dtype or dtype, max_factor=self.monarch_max_factor)
                spectra = [
                    spec._replace(re=spec.re[n], im=spec.im[n], scale=None if spec.scale is None else spec.scale[n])
                    for n in range(h.shape[0])
                ]
            else:
                spec = kernel_spectrum(h, L, fft_dtype=self.fft_dtype)
                spectra = [spec._replace(spectrum=spec.spectrum[n]) for n in range(h.shape[0])]
        self._spectra_cache = (key, spectra) if self.cache_filters else None
        return spectra

    def forward_fused(self, u: torch.Tensor) -> torch.Tensor:
        """快速路径的前向（CPU、CUDA 都能用；``fused=None`` 时只在 CUDA 上自动选用）。"""
        L = self._check_input(u)
        z = torch.matmul(self.in_proj.weight, u.transpose(1, 2))  # (B, (N+1)D, L)：FFT 沿连续的一维
        z = short_causal_conv(z, self.short_filter.weight, self.in_proj.bias, self.short_filter.bias)
        *xs, v = z.split(self.d_model, dim=1)
        bias = self.filter_fn.bias
        needs_grad = torch.is_grad_enabled() and any(p.requires_grad for p in self.filter_fn.parameters())
        monarch = self.fft_impl == "monarch"
        if needs_grad:
            h = self.filter_fn(L)

            def conv(x, n):
                if monarch:
                    return monarch_causal_conv(
                        x, h[n], bias[n], dtype=self.fft_dtype, max_factor=self.monarch_max_factor
                    )
                return causal_fft_conv(x, h[n], bias[n], fft_dtype=self.fft_dtype)

        else:
            spectra = self.filter_spectra(L, u.dtype if monarch else None)

            def conv(x, n):
                if monarch:
                    return monarch_causal_conv(x, D=bias[n], spectrum=spectra[n])
                return causal_fft_conv(x, D=bias[n], spectrum=spectra[n])

        if self.convention == "paper":
            y = v
            for n, x in enumerate(xs):  # z^{n+1} = x^n ⊙ (h^n * z^n + b^n z^n)
                y = self.dropout(x * conv(y, n))
        else:
            y = v
            for o, x in enumerate(reversed(xs[1:])):
                y = conv(self.dropout(y * x), o)
            y = xs[0] * y
        return F.linear(y.transpose(1, 2), self.out_proj.weight, self.out_proj.bias)

    def extra_repr(self) -> str:
        return f"d_model={self.d_model}, l_max={self.l_max}, order={self.order}, convention={self.convention!r}"


def _toeplitz_with_skip(h: torch.Tensor, b: torch.Tensor, L: int) -> torch.Tensor:
    """(D, L) 的滤波器与 (D,) 的跳连 -> (D, L, L)：每个通道 S_h + b I（float64）。"""
    h64 = h.detach().cpu().double().numpy()
    S = torch.stack([torch.from_numpy(causal_toeplitz(h64[c], L)) for c in range(h64.shape[0])])
    return S + b.detach().cpu().double()[:, None, None] * torch.eye(L, dtype=torch.float64)


@torch.no_grad()
def hyena_matrix(op: HyenaOperator, u: torch.Tensor) -> torch.Tensor:
    r"""把算子在输入 ``u`` 上物化为数据控制的矩阵 :math:`H(u)`，形状 ``(B, d_model, L, L)``，float64
    （“Hyena 算子”一节）。

    论文写法：:math:`H(u)=D_{x^N}S^N\cdots D_{x^1}S^1`，:math:`S^n=T(h^n)+\operatorname{diag}(b^n)`，
    :math:`T(h)` 是下三角 Toeplitz 矩阵（``lib.fourier.causal_toeplitz``）。
    于是输出投影之前的信号是 :math:`H(u)\,v`（逐通道）。
    :math:`H(u)` 是下三角的（因果），并且随输入变化（数据控制），这两点与因果注意力矩阵相同。
    """
    if not isinstance(op, HyenaOperator):
        raise TypeError(f"op must be a HyenaOperator, got {type(op).__name__}")
    xs, _ = op.project(u)
    L = u.shape[1]
    h, bias = op.filters(L)
    S = [_toeplitz_with_skip(h[n], bias[n], L) for n in range(h.shape[0])]
    X = [x.detach().cpu().double() for x in xs]  # (B, D, L) each
    M = torch.eye(L, dtype=torch.float64).expand(u.shape[0], op.d_model, L, L)
    if op.convention == "paper":
        for n, x in enumerate(X):
            M = x[..., :, None] * (S[n] @ M)  # D_x S M：左乘对角阵 = 逐行缩放
    else:
        for o, x in enumerate(reversed(X[1:])):
            M = S[o] @ (x[..., :, None] * M)
        M = X[0][..., :, None] * M
    return M


def h3_operator(q, k, v, h_phi, h_psi, d_phi=None, d_psi=None) -> torch.Tensor:
    r"""H3 算子 :math:`y=D_q\,S_\psi\,D_k\,S_\varphi\,v`（Fu et al., 2023），
    即 :math:`y=q\odot\bigl(h_\psi*(k\odot(h_\varphi*v))\bigr)`。

    ``q``、``k``、``v`` 形状 ``(..., H, L)``，``h_phi``、``h_psi`` 形状 ``(H, L)``（在 H3 中由 SSM 给出：
    :math:`h_\varphi` 来自“移位”SSM，:math:`h_\psi` 来自对角 SSM），``d_phi``、``d_psi`` 是可选的跳连系数。
    它正是 :math:`N=2` 的 Hyena（论文写法）取 :math:`x^1=k`、:math:`x^2=q`、:math:`h^1=h_\varphi`、:math:`h^2=h_\psi`。
    这是 Hyena 论文与原讲义的写法；H3 原文把移位 SSM 作用在 :math:`k` 上，
    即 :math:`q\odot S_\psi\bigl((S_\varphi k)\odot v\bigr)`，同样是一个二阶的“门控—长卷积”结构（只是投影的分工不同）。
    """
    for name, x in (("q", q), ("k", k), ("v", v)):
        if not isinstance(x, torch.Tensor) or x.dim() < 2:
            raise ValueError(f"{name} must be a tensor of shape (..., channels, length), got {getattr(x, 'shape', x)}")
    if not (q.shape == k.shape == v.shape):
        raise ValueError(
            f"q, k and v must have the same shape, got {tuple(q.shape)}, {tuple(k.shape)}, {tuple(v.shape)}"
        )
    return q * fftconv(k * fftconv(v, h_phi, d_phi), h_psi, d_psi)


# ---------------------------------------------------------------------------------------------
# 小语言模型：Hyena 块与注意力块（“Hyena 与注意力：复杂度与联想回忆”一节的对照实验）
# ---------------------------------------------------------------------------------------------
class Block(nn.Module):
    r"""前置归一化的残差块：:math:`x\leftarrow x+\operatorname{Mixer}(\operatorname{LN}(x))`，
    :math:`x\leftarrow x+\operatorname{MLP}(\operatorname{LN}(x))`。Mixer 是 Hyena 算子或多头注意力。"""

    def __init__(self, mixer: nn.Module, d_model: int, mlp_ratio: int = 2):
        super().__init__()
        if not isinstance(mixer, nn.Module):
            raise TypeError(f"mixer must be a torch.nn.Module, got {type(mixer).__name__}")
        d_model = _check_int(d_model, "d_model", 1)
        mlp_ratio = _check_int(mlp_ratio, "mlp_ratio", 1, max_val=1024)
        self.norm1, self.mixer = nn.LayerNorm(d_model), mixer
        self.norm2 = nn.LayerNorm(d_model)
        self.mlp = nn.Sequential(
            nn.Linear(d_model, mlp_ratio * d_model), nn.GELU(), nn.Linear(mlp_ratio * d_model, d_model)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_module_input(x, self, "x", ndim=3, sizes={-1: self.norm1.normalized_shape[0]})
        x = x + self.mixer(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class LanguageModel(nn.Module):
    r"""小的自回归语言模型：词嵌入 →（可选位置嵌入）→ ``n_layers`` 个 :class:`Block` → LayerNorm → 线性输出头。

    ``mixer="hyena"`` 用 :class:`HyenaOperator`（论文写法，``order`` 阶），``mixer="attention"`` 用因果的
    :class:`lib.attention.MultiHeadAttention`（``n_heads`` 个头）。两者其余部分完全相同，便于对照。
    注意力本身对位置不敏感，所以默认只给注意力模型加可学习的位置嵌入（``pos_emb=None``）；
    Hyena 的卷积核本身依赖于相对位置，不需要它。输入 ``(B, L)`` 的整数，输出 ``(B, L, vocab_size)`` 的 logits。
    """

    def __init__(
        self,
        vocab_size: int,
        d_model: int,
        n_layers: int,
        l_max: int,
        *,
        mixer: str = "hyena",
        order: int = 2,
        filter_order: int = 64,
        emb_dim: int = 5,
        n_heads: int = 1,
        mlp_ratio: int = 2,
        pos_emb: bool | None = None,
        **hyena_args,
    ):
        super().__init__()
        vocab_size = _check_int(vocab_size, "vocab_size", 1)
        d_model = _check_int(d_model, "d_model", 1)
        n_layers = int(check_scalar(n_layers, "n_layers", Integral, min_val=1, max_val=1000))  # 再多就只是在等内存耗尽
        self.l_max = _check_int(l_max, "l_max", 1)
        if not isinstance(mixer, str) or mixer not in ("hyena", "attention"):
            raise ValueError(f"mixer must be 'hyena' or 'attention', got {mixer!r}")
        _check_int(n_heads, "n_heads", 1)
        if pos_emb is not None:
            check_scalar(pos_emb, "pos_emb", bool)
        self.mixer = mixer
        self.embed = nn.Embedding(vocab_size, d_model)
        use_pos = (mixer == "attention") if pos_emb is None else bool(pos_emb)
        self.pos = nn.Parameter(0.02 * torch.randn(self.l_max, d_model)) if use_pos else None

        def make_mixer():
            if mixer == "hyena":
                return HyenaOperator(d_model, self.l_max, order, filter_order, emb_dim=emb_dim, **hyena_args)
            return MultiHeadAttention(d_model, n_heads, causal=True)

        self.blocks = nn.ModuleList(Block(make_mixer(), d_model, mlp_ratio) for _ in range(n_layers))
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab_size)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        if not isinstance(tokens, torch.Tensor) or tokens.dim() != 2 or tokens.dtype != torch.long:
            raise ValueError(f"tokens must be a (batch, length) long tensor, got {getattr(tokens, 'shape', tokens)}")
        if tokens.shape[1] > self.l_max:
            raise ValueError(f"tokens: sequence length must be <= l_max={self.l_max}, got {tokens.shape[1]}")
        if not tokens.is_cuda and tokens.numel() and (tokens.min() < 0 or tokens.max() >= self.embed.num_embeddings):
            lo, hi = tokens.min().item(), tokens.max().item()
            raise ValueError(
                f"tokens: token ids must lie in [0, vocab_size={self.embed.num_embeddings}), got {lo}..{hi}"
            )
        x = self.embed(tokens)
        if self.pos is not None:
            x = x + self.pos[: tokens.shape[1]]
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x))


def _as_long(a, name: str) -> torch.Tensor:
    t = torch.as_tensor(a)
    if t.dim() != 2 or t.dtype not in (torch.int32, torch.int64):
        raise ValueError(f"{name} must be a 2-D integer array (batch, length), got {tuple(t.shape)} {t.dtype}")
    return t.long()


@torch.no_grad()
def recall_accuracy(model: nn.Module, tokens, targets, *, batch_size: int = 256) -> float:
    """最后一个位置（查询）上预测正确的比例：联想回忆任务的准确率。"""
    batch_size = _check_int(batch_size, "batch_size", 1)
    tokens, targets = _as_long(tokens, "tokens"), _as_long(targets, "targets")
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    correct = 0
    for i in range(0, tokens.shape[0], batch_size):
        logits = model(tokens[i : i + batch_size].to(device))[:, -1]
        correct += int((logits.argmax(-1).cpu() == targets[i : i + batch_size, -1]).sum())
    model.train(was_training)
    return correct / tokens.shape[0]


def fit_sequence_model(
    model: nn.Module,
    tokens,
    targets,
    *,
    steps: int,
    batch_size: int = 32,
    lr: float = 3e-3,
    weight_decay: float = 0.0,
    rng=None,
    eval_data=None,
    eval_every: int = 50,
) -> dict:
    r"""用 AdamW 和交叉熵训练序列模型（目标为 -100 的位置不计入损失），学习率余弦衰减到 0。

    ``tokens``、``targets`` 形状 ``(n, L)``，每步随机抽 ``batch_size`` 条（来自 ``rng``，可复现）。
    ``eval_data=(tokens, targets)`` 时每 ``eval_every`` 步记录一次 :func:`recall_accuracy`。
    返回 ``{"loss": [...], "eval_step": [...], "eval_acc": [...]}``。
    """
    tokens, targets = _as_long(tokens, "tokens"), _as_long(targets, "targets")
    if tokens.shape != targets.shape:
        raise ValueError(
            f"tokens and targets must have the same shape, got {tuple(tokens.shape)}, {tuple(targets.shape)}"
        )
    steps = _check_int(steps, "steps", 1)
    batch_size = _check_int(batch_size, "batch_size", 1)
    eval_every = _check_int(eval_every, "eval_every", 1)
    lr = check_scalar(lr, "lr", Real, min_val=0, include_min=False)
    rng = check_random_state(rng)
    device = next(model.parameters()).device
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + math.cos(math.pi * s / steps)))
    history: dict[str, list] = {"loss": [], "eval_step": [], "eval_acc": []}
    model.train()
    for step in range(1, steps + 1):
        idx = torch.from_numpy(rng.integers(0, tokens.shape[0], size=batch_size))
        logits = model(tokens[idx].to(device))
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets[idx].to(device).reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        history["loss"].append(loss.item())
        if eval_data is not None and (step % eval_every == 0 or step == steps):
            history["eval_step"].append(step)
            history["eval_acc"].append(recall_accuracy(model, *eval_data))
    return history


# ---------------------------------------------------------------------------------------------
# 基准测试：Hyena 算子 vs SDPA 注意力（benchmarks/hyena.py 调用；
# “Hyena 与注意力：复杂度与联想回忆”一节展示结果）
# ---------------------------------------------------------------------------------------------
# Variants of the Hyena operator that benchmark_mixers times side by side on CUDA (name -> HyenaOperator kwargs).
HYENA_VARIANTS = {
    "hyena": {"fused": True},  # the fast path, float32 FFTs, filter spectra cached for inference
    "hyena-fft16": {"fused": True, "fft_dtype": torch.float16},  # the same with half-precision forward FFTs
    "hyena-nocache": {"fused": True, "cache_filters": False},  # the fast path, filters regenerated on every call
    "hyena-reference": {"fused": False},  # the step-by-step path the book shows (the code before this change)
    # FFTs as small matmuls in the input's dtype (tensor cores; Triton kernels when enabled): largest factor 128
    # (8K in two steps, one kernel) or 64 (8K in three steps: fewer operations, one more pass through memory)
    "hyena-monarch": {"fused": True, "fft_impl": "monarch"},
    "hyena-monarch64": {"fused": True, "fft_impl": "monarch", "monarch_max_factor": 64},
}


def _one_call(module: nn.Module, u: torch.Tensor, passes: str, kernel):
    """一次前向（``passes="fwd"``，不建计算图）或前向 + 反向；``kernel`` 是 SDPA 后端，``None`` 由 PyTorch 选。"""
    from torch.nn.attention import sdpa_kernel

    def run():
        with sdpa_kernel(kernel) if kernel is not None else contextlib.nullcontext():
            if passes == "fwd":
                with torch.no_grad():
                    module(u)
            else:
                module(u).sum().backward()

    return run


def _is_oom(err: BaseException) -> bool:
    return isinstance(err, torch.cuda.OutOfMemoryError) or "out of memory" in str(err).lower()


def benchmark_mixers(
    lengths: Sequence[int],
    *,
    d_model: int = 768,
    n_heads: int = 12,
    order: int = 2,
    batch: int = 1,
    device=None,
    dtype: torch.dtype | None = None,
    attention_backends: Sequence[str] | None = None,
    hyena_variants: dict | None = None,
    repeat: int = 3,
    min_time: float = 0.0,
    skip_after_oom: bool = True,
    verbose: bool = False,
) -> list[dict]:
    r"""测量一个 Hyena 算子与一个多头注意力层的前向、前向+反向时间（和 CUDA 上的峰值显存）。

    两个模块都含输入、输出投影（同样的 :math:`O(LD^2)` 部分），差别只在混合序列的方式：
    Hyena 的 FFT 长卷积 :math:`O(DL\log L)` vs 注意力的 :math:`O(L^2D)`。注意力用
    ``torch.nn.functional.scaled_dot_product_attention``，``attention_backends`` 从 ``"flash"``、``"efficient"``、
    ``"math"``、``"default"``（PyTorch 自选）中取；CUDA 上默认 ``("flash", "efficient")``，CPU 上默认 ``("default",)``。
    ``hyena_variants`` 把方法名映射到 :class:`HyenaOperator` 的额外参数；CUDA 上默认是 :data:`HYENA_VARIANTS`
    （快速路径、参照路径、半精度 FFT、不缓存滤波器），CPU 上只有 ``{"hyena": {}}``。
    某个长度上内存不足（OOM）时记为 ``"oom"``，之后更长的长度不再尝试该方法。返回一条条记录（可写成 JSON）：
    ``time_s`` 是 ``repeat`` 次测量中最短的一次（共享的机器上其他进程只会让时间变长，最短时间最接近算子本身的代价），
    ``time_median_s`` 是中位数，``peak_mem_bytes`` 是 CUDA 上的峰值显存（CPU 上为 ``None``）。
    """
    from .utils import benchmark, get_device

    device = torch.device(device) if device is not None else get_device()
    if dtype is None:
        dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    if attention_backends is None:
        attention_backends = ("flash", "efficient") if device.type == "cuda" else ("default",)
    from torch.nn.attention import SDPBackend

    kernels = {
        "flash": SDPBackend.FLASH_ATTENTION,
        "efficient": SDPBackend.EFFICIENT_ATTENTION,
        "math": SDPBackend.MATH,
    }
    for b in attention_backends:
        if b not in (*kernels, "default"):
            raise ValueError(f"attention_backends entries must be in {(*kernels, 'default')}, got {b!r}")
    lengths = [_check_int(L, "lengths[i]", 1) for L in lengths]
    if hyena_variants is None:
        hyena_variants = dict(HYENA_VARIANTS) if device.type == "cuda" else {"hyena": {}}
    for name in hyena_variants:
        if not str(name).startswith("hyena"):
            raise ValueError(f"hyena_variants keys must start with 'hyena', got {name!r}")
    methods = [*hyena_variants, *(f"attention-{b}" for b in attention_backends)]
    dead: set[str] = set()
    records = []
    for L in lengths:
        for method in methods:
            for passes in ("fwd", "fwd+bwd"):
                rec = {"method": method, "L": L, "pass": passes, "time_s": None, "time_median_s": None}
                rec.update(peak_mem_bytes=None, status="ok")
                if (method, passes) in dead:
                    rec["status"] = "skipped"
                    records.append(rec)
                    continue
                try:
                    torch.manual_seed(0)
                    if method in hyena_variants:
                        module = HyenaOperator(d_model, L, order, 64, emb_dim=33, **hyena_variants[method])
                    else:
                        module = MultiHeadAttention(d_model, n_heads, causal=True, backend="sdpa")
                    module = module.to(device=device, dtype=dtype)
                    u = torch.randn(batch, L, d_model, device=device, dtype=dtype, requires_grad=passes != "fwd")
                    run = _one_call(module, u, passes, kernels.get(method.removeprefix("attention-")))
                    if device.type == "cuda":
                        torch.cuda.empty_cache()
                    res = benchmark(run, repeat=repeat, warmup=1, device=device, min_time=min_time)
                    rec["time_s"], rec["time_median_s"], rec["peak_mem_bytes"] = (
                        res.best,
                        res.median,
                        res.peak_mem_bytes,
                    )
                except (RuntimeError, MemoryError) as err:
                    if not _is_oom(err) and not isinstance(err, MemoryError):
                        raise
                    rec["status"] = "oom"
                    if skip_after_oom:
                        dead.add((method, passes))
                finally:
                    module = u = None
                    if device.type == "cuda":
                        torch.cuda.empty_cache()
                if verbose:
                    t = "-" if rec["time_s"] is None else f"{rec['time_s'] * 1e3:.2f} ms"
                    print(f"L={L:>6} {method:<20} {passes:<8} {t} {rec['status']}", flush=True)
                records.append(rec)
    return records


def scaling_exponent(lengths, times) -> float:
    r"""拟合 :math:`t\approx cL^p` 的指数 :math:`p`（对数坐标下的最小二乘斜率）。"""
    L = np.asarray(lengths, dtype=float)
    t = np.asarray(times, dtype=float)
    if L.shape != t.shape or L.ndim != 1 or L.size < 2:
        raise ValueError(f"lengths and times must be 1-D of equal length >= 2, got {L.shape} and {t.shape}")
    if np.any(L <= 0) or np.any(t <= 0):
        raise ValueError("lengths and times must be positive")
    return float(np.polyfit(np.log(L), np.log(t), 1)[0])
