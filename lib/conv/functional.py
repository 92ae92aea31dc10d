r"""卷积与池化的函数式接口（从“卷积与互相关”到“三种实现：直接、im2col 与 FFT”五节），
签名与 ``torch.nn.functional`` 相同，可以直接互换、逐项比较。

本书的卷积按深度学习框架的惯例定义为 **互相关**（“卷积与互相关”一节）：对填充后的输入 :math:`\tilde X`，

.. math::

    Y[n,o,i,j] = b[o] + \sum_{c\in\mathcal G(o)}\sum_{u=0}^{k_h-1}\sum_{v=0}^{k_w-1}
        W[o,c,u,v]\;\tilde X[n,\,c,\; s_h i + d_h u,\; s_w j + d_w v],

其中 :math:`s` 是步长、:math:`d` 是空洞率（“步长、填充、空洞与感受野”一节），:math:`\mathcal G(o)` 是输出通道 :math:`o`
所在分组的输入通道（``groups``，“深度可分离卷积与 1×1 卷积”一节）。``flip=True`` 时先把卷积核旋转 180°，
得到数学上真正的卷积。

同一个运算有三种实现（“三种实现：直接、im2col 与 FFT”一节），用 ``method`` 选择，结果相同：

==========  ======================================================================================
``direct``  逐个输出位置取出窗口、与卷积核做内积——定义的直译；Python 循环 :math:`H_{out}W_{out}` 次，只适合小输入
``im2col``  把所有窗口展开成矩阵的列（:func:`im2col`），卷积变成一次矩阵乘法（GEMM）；框架的经典做法
``fft``     卷积定理：调用 :func:`lib.fourier.fft_conv2d_multichannel`（全书唯一的 FFT 卷积），对输入通道的
            求和在频域里完成；步长靠对稠密结果抽样，空洞靠在卷积核中插零；代价几乎与卷积核大小无关，
            推理时卷积核的频谱只算一次（缓存）
==========  ======================================================================================

三种实现都只由可求导的 PyTorch 运算组成，因此反向传播由 autograd 自动完成；``explicit_backward=True`` 时
改用“卷积层的反向传播”一节推导的显式公式（:mod:`lib.conv.backward`）。CPU 与 CUDA 走同一份代码。

其余函数：:func:`conv1d`（高度为 1 的二维卷积）、:func:`conv_transpose2d`（转置卷积，即卷积对输入的梯度，
“卷积层的反向传播”一节）、:func:`max_pool2d`、:func:`avg_pool2d`（“池化与多通道”一节）、
:func:`im2col`/:func:`col2im`（与 ``F.unfold``/``F.fold`` 相同）、:func:`rot180`、:func:`dilate`。
"""

from __future__ import annotations

import math
import weakref
from numbers import Integral

import numpy as np
import torch
import torch.nn.functional as F

from ..fourier import _conv2d_fft_shape, fft_conv2d_multichannel, multichannel_spectrum
from ..utils import MAX_SIZE, check_option

__all__ = [
    "METHODS",
    "spectrum_cache",
    "conv2d",
    "conv1d",
    "conv_transpose2d",
    "max_pool2d",
    "avg_pool2d",
    "im2col",
    "col2im",
    "rot180",
    "dilate",
]

METHODS = ("direct", "im2col", "fft")

# Kernel spectra of the FFT path, per weight tensor (see _fft_kernel_spectrum): id -> (weakref, key, spectrum).
_SPECTRUM_CACHE: dict[int, tuple] = {}
_SPECTRUM_CACHE_SIZE = 16


# ---------------------------------------------------------------------------------------------
# 参数检查与整理
# ---------------------------------------------------------------------------------------------
def _is_int(v) -> bool:
    return isinstance(v, Integral) and not isinstance(v, bool)


def _pair(value, name: str, *, min_val: int) -> tuple[int, int]:
    """``3`` → ``(3, 3)``；``(3, 5)`` 原样返回。检查是整数且不小于 ``min_val``。"""
    if _is_int(value):
        value = (int(value), int(value))
    elif isinstance(value, (tuple, list)) and len(value) == 2 and all(_is_int(v) for v in value):
        value = (int(value[0]), int(value[1]))
    else:
        raise TypeError(f"{name} must be an int or a pair of ints, got {value!r}")
    if min(value) < min_val:
        raise ValueError(f"{name} must be >= {min_val} in every dimension, got {value}")
    if max(value) > MAX_SIZE:
        raise ValueError(f"{name} must be <= {MAX_SIZE} in every dimension, got {value}")
    return value


def _as_tensor(a, name: str) -> tuple[torch.Tensor, bool]:
    """张量原样返回；NumPy 数组或嵌套列表转成 float64 张量。返回 ``(tensor, was_numpy)``。"""
    if isinstance(a, torch.Tensor):
        if not a.is_floating_point():
            raise TypeError(f"{name} must be a floating-point tensor, got dtype {a.dtype}")
        return a, False
    if isinstance(a, (np.ndarray, list, tuple)):
        try:
            arr = np.asarray(a, dtype=np.float64)
        except (TypeError, ValueError) as err:
            raise TypeError(f"{name} must be a tensor or an array of real numbers ({err})") from None
        return torch.from_numpy(np.ascontiguousarray(arr)), True
    raise TypeError(f"{name} must be a torch.Tensor or a numpy array, got {type(a).__name__}")


def _check_method(method) -> str:
    check_option(method, "method", METHODS)
    return method


def _batched(x: torch.Tensor, name: str, spatial: int = 2) -> tuple[torch.Tensor, bool]:
    """接受有批维（N, C, ...）或无批维（C, ...）的输入，统一成有批维；返回 ``(x, unbatched)``。"""
    full = spatial + 2
    if x.dim() == full:
        return x, False
    if x.dim() == full - 1:
        return x.unsqueeze(0), True
    shape = "(N, C, H, W) or (C, H, W)" if spatial == 2 else "(N, C, L) or (C, L)"
    raise ValueError(f"{name} must be a {full}-D {shape} tensor, got shape {tuple(x.shape)}")


def _padding4(padding, kernel: tuple[int, int], dilation: tuple[int, int], stride: tuple[int, int]):
    """把 ``padding`` 整理成 (上, 下, 左, 右) 四个数。支持整数、二元组与字符串 ``'valid'``/``'same'``。

    ``'same'`` 与 PyTorch 一致：每一维共补 :math:`d(k-1)` 个零，左/上补 ``total // 2``，余下的补在右/下，
    只允许步长为 1（步长大于 1 时不存在与输入同样大小的输出）。
    """
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0, 0, 0)
        if padding == "same":
            if stride != (1, 1):
                raise ValueError(f"padding='same' needs stride 1 (as in torch), got stride {stride}")
            th, tw = dilation[0] * (kernel[0] - 1), dilation[1] * (kernel[1] - 1)
            return (th // 2, th - th // 2, tw // 2, tw - tw // 2)
        raise ValueError(f"padding must be an int, a pair of ints, 'valid' or 'same', got {padding!r}")
    ph, pw = _pair(padding, "padding", min_val=0)
    return (ph, ph, pw, pw)


def _conv_args(x, weight, bias, stride, padding, dilation, groups, *, transposed: bool = False):
    """卷积的全部形状检查，出错时说清哪个参数、期望什么、得到什么。"""
    if weight.dim() != 4:
        layout = (
            "(in_channels, out_channels/groups, kH, kW)" if transposed else "(out_channels, in_channels/groups, kH, kW)"
        )
        raise ValueError(f"weight must be a 4-D tensor {layout}, got shape {tuple(weight.shape)}")
    if x.dtype != weight.dtype:
        raise TypeError(f"input and weight must have the same dtype, got {x.dtype} and {weight.dtype}")
    if x.device != weight.device:
        raise ValueError(f"input and weight must be on the same device, got {x.device} and {weight.device}")
    if not _is_int(groups) or groups < 1:
        raise ValueError(f"groups must be a positive int, got {groups!r}")
    stride = _pair(stride, "stride", min_val=1)
    dilation = _pair(dilation, "dilation", min_val=1)
    kernel = (int(weight.shape[2]), int(weight.shape[3]))
    if min(kernel) < 1:
        raise ValueError(f"weight must have a non-empty kernel, got kernel size {kernel}")
    c_in = x.shape[1]
    if c_in % groups != 0:
        raise ValueError(f"groups={groups} must divide the number of input channels, got {c_in} input channels")
    if transposed:
        if weight.shape[0] != c_in:
            raise ValueError(
                f"input has {c_in} channels but weight.shape[0] (in_channels) is {weight.shape[0]}; "
                f"a transposed-convolution weight is laid out (in_channels, out_channels/groups, kH, kW)"
            )
        c_out = weight.shape[1] * groups
    else:
        if weight.shape[1] * groups != c_in:
            raise ValueError(
                f"input has {c_in} channels but weight expects weight.shape[1] * groups = "
                f"{weight.shape[1]} * {groups} = {weight.shape[1] * groups}"
            )
        c_out = weight.shape[0]
        if c_out % groups != 0:
            raise ValueError(
                f"groups={groups} must divide the number of output channels, got weight.shape[0] = {c_out}"
            )
    if bias is not None:
        if not isinstance(bias, torch.Tensor):
            raise TypeError(f"bias must be a torch.Tensor or None, got {type(bias).__name__}")
        if bias.shape != (c_out,):
            raise ValueError(
                f"bias must be a 1-D tensor of length out_channels = {c_out}, got shape {tuple(bias.shape)}"
            )
        if bias.dtype != x.dtype or bias.device != x.device:
            raise TypeError(f"bias must match input's dtype and device, got {bias.dtype} on {bias.device}")
    return stride, dilation, kernel, c_out


def _output_hw(hp: int, wp: int, kernel, stride, dilation, padded_shape_msg: str) -> tuple[int, int]:
    """输出大小 :math:`\\lfloor (H_p - d(k-1) - 1)/s \\rfloor + 1`（“步长、填充、空洞与感受野”一节），
    卷积核放不进时报错。"""
    keh, kew = dilation[0] * (kernel[0] - 1) + 1, dilation[1] * (kernel[1] - 1) + 1
    if keh > hp or kew > wp:
        raise ValueError(
            f"the kernel (effective size {keh}x{kew} = dilation*(kernel-1)+1 for kernel {kernel[0]}x{kernel[1]}, "
            f"dilation {dilation}) is larger than the {padded_shape_msg} ({hp}x{wp})"
        )
    return (hp - keh) // stride[0] + 1, (wp - kew) // stride[1] + 1


# ---------------------------------------------------------------------------------------------
# 小工具：旋转 180°、插零（空洞 / 步长）
# ---------------------------------------------------------------------------------------------
def rot180(weight):
    r"""把卷积核在最后两维上旋转 180°：:math:`\mathrm{rot180}(W)[u,v]=W[k_h-1-u,\,k_w-1-v]`（“卷积与互相关”一节）。

    卷积 = 互相关 + 翻转核：``conv2d(x, w, flip=True)`` 等于 ``conv2d(x, rot180(w))``。
    """
    w, was_numpy = _as_tensor(weight, "weight")
    if w.dim() < 2:
        raise ValueError(f"weight must have at least 2 dimensions, got shape {tuple(w.shape)}")
    out = torch.flip(w, dims=(-2, -1))
    return out.numpy() if was_numpy else out


def dilate(x, factor=2):
    r"""在最后两维的相邻元素之间插入 ``factor - 1`` 个零：大小 :math:`k` 变成 :math:`f(k-1)+1`。

    用在两处：空洞卷积的卷积核（“步长、填充、空洞与感受野”一节，
    ``[[0,1],[1,0]]`` 以 2 膨胀为 ``[[0,0,1],[0,0,0],[1,0,0]]``），
    以及带步长的卷积反向传播中对误差项 :math:`\delta` 的“插零上采样”（“卷积层的反向传播”一节）。
    """
    t, was_numpy = _as_tensor(x, "x")
    fh, fw = _pair(factor, "factor", min_val=1)
    if t.dim() < 2:
        raise ValueError(f"x must have at least 2 dimensions, got shape {tuple(t.shape)}")
    out = _dilate(t, (fh, fw))
    return out.numpy() if was_numpy else out


def _dilate(t: torch.Tensor, factor: tuple[int, int]) -> torch.Tensor:
    fh, fw = factor
    if (fh, fw) == (1, 1):
        return t
    h, w = t.shape[-2:]
    out = t.new_zeros(*t.shape[:-2], fh * (h - 1) + 1, fw * (w - 1) + 1)
    out[..., ::fh, ::fw] = t
    return out


# ---------------------------------------------------------------------------------------------
# im2col / col2im
# ---------------------------------------------------------------------------------------------
def _unfold_padded(xp: torch.Tensor, kernel, dilation, stride) -> torch.Tensor:
    """已填充的输入 (N, C, Hp, Wp) → 列矩阵 (N, C·kh·kw, Ho·Wo)，列按行优先排列输出位置。"""
    n, c = xp.shape[:2]
    kh, kw = kernel
    keh, kew = dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1
    # Tensor.unfold gives a strided *view* of every window: (N, C, Ho, Wo, keh, kew); no copy yet
    windows = xp.unfold(2, keh, stride[0]).unfold(3, kew, stride[1])
    windows = windows[..., :: dilation[0], :: dilation[1]]  # keep the taps of a dilated kernel: (N, C, Ho, Wo, kh, kw)
    ho, wo = windows.shape[2:4]
    return windows.permute(0, 1, 4, 5, 2, 3).reshape(n, c * kh * kw, ho * wo)  # the one copy


def im2col(input, kernel_size, dilation=1, padding=0, stride=1):
    r"""im2col（“三种实现：直接、im2col 与 FFT”一节）：把每个卷积窗口展开成一列，
    签名与结果都与 ``torch.nn.functional.unfold`` 相同。

    输入 (N, C, H, W) → 输出 (N, C·k_h·k_w, L)，:math:`L=H_{out}W_{out}`。第 ``l`` 列是第 ``l`` 个输出位置
    （行优先）的窗口，行的顺序是 (通道, 核的行, 核的列)。于是卷积 = 权重矩阵 (C_out, C·k_h·k_w) 乘列矩阵。
    """
    x, was_numpy = _as_tensor(input, "input")
    x, unbatched = _batched(x, "input")
    kernel = _pair(kernel_size, "kernel_size", min_val=1)
    dilation = _pair(dilation, "dilation", min_val=1)
    stride = _pair(stride, "stride", min_val=1)
    ph, pw = _pair(padding, "padding", min_val=0)
    _output_hw(x.shape[2] + 2 * ph, x.shape[3] + 2 * pw, kernel, stride, dilation, "padded input")
    cols = _unfold_padded(F.pad(x, (pw, pw, ph, ph)), kernel, dilation, stride)
    cols = cols[0] if unbatched else cols
    return cols.numpy() if was_numpy else cols


def _fold_padded(cols: torch.Tensor, padded_hw, kernel, dilation, stride) -> torch.Tensor:
    """im2col 的伴随：列矩阵 (N, C·kh·kw, L) 中的每个数加回它来自的（已填充）像素，得到 (N, C, Hp, Wp)。"""
    n = cols.shape[0]
    kh, kw = kernel
    hp, wp = padded_hw
    ho = (hp - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    wo = (wp - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    c = cols.shape[1] // (kh * kw)
    dev = cols.device
    # padded pixel that column entry (u, v, i, j) was copied from: row s*i + d*u, column s*j + d*v
    rows = torch.arange(kh, device=dev)[:, None] * dilation[0] + torch.arange(ho, device=dev)[None, :] * stride[0]
    cols_ = torch.arange(kw, device=dev)[:, None] * dilation[1] + torch.arange(wo, device=dev)[None, :] * stride[1]
    flat = (rows[:, None, :, None] * wp + cols_[None, :, None, :]).reshape(-1)  # (kh*kw*Ho*Wo,)
    out = cols.new_zeros(n, c, hp * wp).index_add(2, flat, cols.reshape(n, c, kh * kw * ho * wo))
    return out.reshape(n, c, hp, wp)


def col2im(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    r"""col2im：:func:`im2col` 的伴随（转置），签名与结果都与 ``torch.nn.functional.fold`` 相同。

    列矩阵中每个数被 *加回* 它在 im2col 时被复制出来的像素（窗口重叠处累加），最后去掉填充。
    用于转置卷积（“卷积层的反向传播”一节）和池化的显式反向传播。
    """
    cols, was_numpy = _as_tensor(input, "input")
    if cols.dim() == 2:
        cols, unbatched = cols.unsqueeze(0), True
    elif cols.dim() == 3:
        unbatched = False
    else:
        raise ValueError(f"input must be a 3-D (N, C*kH*kW, L) or 2-D tensor, got shape {tuple(cols.shape)}")
    h, w = _pair(output_size, "output_size", min_val=1)
    kernel = _pair(kernel_size, "kernel_size", min_val=1)
    dilation = _pair(dilation, "dilation", min_val=1)
    stride = _pair(stride, "stride", min_val=1)
    ph, pw = _pair(padding, "padding", min_val=0)
    ho, wo = _output_hw(h + 2 * ph, w + 2 * pw, kernel, stride, dilation, "padded output")
    kk = kernel[0] * kernel[1]
    if cols.shape[1] % kk != 0 or cols.shape[2] != ho * wo:
        raise ValueError(
            f"input must have shape (N, C*{kk}, {ho * wo}) for output_size {(h, w)}, kernel {kernel}, "
            f"padding {(ph, pw)}, stride {stride}, dilation {dilation}; got {tuple(cols.shape)}"
        )
    out = _fold_padded(cols, (h + 2 * ph, w + 2 * pw), kernel, dilation, stride)[:, :, ph : ph + h, pw : pw + w]
    out = out[0] if unbatched else out
    return out.numpy() if was_numpy else out


# ---------------------------------------------------------------------------------------------
# 三种前向实现：都作用于已经填充好的输入 xp (N, C, Hp, Wp)，返回 (N, C_out, Ho, Wo)，不含偏置
# ---------------------------------------------------------------------------------------------
def _conv2d_direct(xp, w, stride, dilation, groups, out_hw):
    """定义的直译：对每个输出位置 (i, j)，取出窗口，与每个卷积核做内积。"""
    n, c = xp.shape[:2]
    c_out, cg, kh, kw = w.shape
    wg = w.reshape(groups, c_out // groups, cg, kh, kw)
    keh, kew = dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1
    pixels = []
    for i in range(out_hw[0]):
        for j in range(out_hw[1]):
            r, q = i * stride[0], j * stride[1]
            window = xp[:, :, r : r + keh : dilation[0], q : q + kew : dilation[1]]  # (N, C, kh, kw)
            window = window.reshape(n, groups, cg, kh, kw)
            pixels.append(torch.einsum("ngcuv,gocuv->ngo", window, wg).reshape(n, c_out))
    return torch.stack(pixels, dim=-1).reshape(n, c_out, *out_hw)


def _conv2d_im2col(xp, w, stride, dilation, groups, out_hw):
    """im2col + GEMM：权重矩阵 (G, C_out/G, C/G·kh·kw) 乘列矩阵 (G, C/G·kh·kw, N·Ho·Wo)。

    与 :func:`im2col` 的 (N, C·kh·kw, L) 布局不同，这里把整个批次的列并排放进 *一个* 矩阵，
    每组只做一次大的矩阵乘法（而不是 N 次小的），CPU 上快好几倍。
    """
    n = xp.shape[0]
    c_out, cg, kh, kw = w.shape
    keh, kew = dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1
    windows = xp.unfold(2, keh, stride[0]).unfold(3, kew, stride[1])[..., :: dilation[0], :: dilation[1]]
    cols = windows.permute(1, 4, 5, 0, 2, 3).reshape(groups, cg * kh * kw, -1)  # (G, C/G*kh*kw, N*Ho*Wo)
    out = torch.matmul(w.reshape(groups, c_out // groups, cg * kh * kw), cols)  # (G, C_out/G, N*Ho*Wo)
    return out.reshape(c_out, n, *out_hw).transpose(0, 1)


class spectrum_cache:
    """上下文管理器：``with lib.conv.spectrum_cache(False):`` 里 FFT 卷积不使用卷积核频谱的缓存（基准测试用它
    测“每次调用都变换卷积核”的时间）。默认开启。"""

    enabled = True

    def __init__(self, enabled: bool):
        if not isinstance(enabled, bool):
            raise TypeError(f"enabled must be a bool, got {enabled!r}")
        self._new = enabled

    def __enter__(self):
        self._old, spectrum_cache.enabled = spectrum_cache.enabled, self._new
        return self

    def __exit__(self, *exc):
        spectrum_cache.enabled = self._old


def _fft_kernel_spectrum(kernel, shape, groups, source, key_extra):
    """卷积核频谱的缓存：不求导的权重张量（``requires_grad=False``，推理时冻结的权重）只变换一次。

    推理时权重不变，每次调用都把 :math:`C_{out}C_{in}` 个卷积核重新做 FFT 是白费的。要求导的权重（训练、
    ``gradcheck``）每次都重算，梯度经由 FFT 传回权重。缓存只认用户传入的那个张量本身（弱引用）及其存储地址、
    形状与版本号：原地修改（``w.add_(…)``、``w.copy_(…)``）会改变版本号，缓存随之失效。
    """
    if not spectrum_cache.enabled or source.requires_grad or source.is_inference():
        return multichannel_spectrum(kernel, shape, groups=groups)
    key = (source.data_ptr(), source._version, tuple(source.shape), source.dtype, source.device, shape, key_extra)
    entry = _SPECTRUM_CACHE.get(id(source))
    if entry is not None and entry[0]() is source and entry[1] == key:
        return entry[2]
    spec = multichannel_spectrum(kernel.detach(), shape, groups=groups)
    if len(_SPECTRUM_CACHE) >= _SPECTRUM_CACHE_SIZE:
        _SPECTRUM_CACHE.pop(next(iter(_SPECTRUM_CACHE)))
    _SPECTRUM_CACHE[id(source)] = (weakref.ref(source), key, spec)
    return spec


def _conv2d_fft(xp, w, stride, dilation, groups, out_hw, flip):
    """卷积定理：互相关 = 与旋转 180° 的核做真卷积；多通道的真卷积由 :func:`lib.fourier.fft_conv2d_multichannel`
    在频域完成——对输入通道的求和在逆变换之前，每个频率一次复矩阵乘法。

    空洞：把核“插零”膨胀；步长：先算步长为 1 的稠密结果（'valid' 模式），再每隔 s 取一个。
    """
    kernel = _dilate(w, dilation)
    if not flip:  # cross-correlation with w is convolution with rot180(w)
        kernel = torch.flip(kernel, dims=(-2, -1))
    keh, kew = kernel.shape[-2:]
    hp, wp = xp.shape[-2:]
    shape = _conv2d_fft_shape((hp, wp), (keh, kew), "valid")
    spec = _fft_kernel_spectrum(kernel, shape, groups, w, (dilation, flip, groups))
    dense = fft_conv2d_multichannel(xp, groups=groups, mode="valid", spectrum=spec)
    dense = dense.to(torch.promote_types(xp.dtype, w.dtype))  # (N, C_out, Hp-keh+1, Wp-kew+1)
    return dense[:, :, :: stride[0], :: stride[1]][:, :, : out_hw[0], : out_hw[1]]


def _conv2d_impl(x, weight, bias, stride, pad4, dilation, groups, method, flip=False):
    """已检查过参数的 4-D 卷积（“卷积层的反向传播”一节的显式反向传播也调用它）。"""
    xp = F.pad(x, (pad4[2], pad4[3], pad4[0], pad4[1])) if any(pad4) else x
    kernel = (weight.shape[2], weight.shape[3])
    out_hw = _output_hw(xp.shape[2], xp.shape[3], kernel, stride, dilation, "padded input")
    if method == "fft":
        out = _conv2d_fft(xp, weight, stride, dilation, groups, out_hw, flip)
    else:
        w = torch.flip(weight, dims=(-2, -1)) if flip else weight
        impl = _conv2d_direct if method == "direct" else _conv2d_im2col
        out = impl(xp, w, stride, dilation, groups, out_hw)
    if bias is not None:
        out = out + bias.reshape(1, -1, 1, 1)
    return out


# ---------------------------------------------------------------------------------------------
# 公开接口
# ---------------------------------------------------------------------------------------------
def conv2d(
    input,
    weight,
    bias=None,
    stride=1,
    padding=0,
    dilation=1,
    groups=1,
    *,
    method: str = "im2col",
    flip: bool = False,
    explicit_backward: bool = False,
):
    r"""二维卷积（互相关），与 ``torch.nn.functional.conv2d`` 的签名和结果相同
    （从“卷积与互相关”到“三种实现：直接、im2col 与 FFT”五节）。

    参数
    ----
    input : (N, C_in, H, W) 或无批维的 (C_in, H, W)。
    weight : (C_out, C_in/groups, k_h, k_w)。
    bias : (C_out,) 或 ``None``。
    stride, padding, dilation : 整数或二元组；``padding`` 还可以是 ``'valid'`` 或 ``'same'``。
    groups : 分组数，须同时整除 C_in 与 C_out（``groups = C_in`` 即深度卷积，“深度可分离卷积与 1×1 卷积”一节）。
    method : ``'direct'``、``'im2col'``（默认）或 ``'fft'``，见模块说明。
    flip : ``True`` 时先把卷积核旋转 180°，计算数学定义的卷积 :math:`\sum_{u,v} W[u,v]X[i-u,j-v]`。
    explicit_backward : ``True`` 时反向传播用“卷积层的反向传播”一节的显式公式
        （:class:`lib.conv.backward.Conv2dFunction`）。

    输出大小 :math:`H_{out}=\lfloor (H+p_{top}+p_{bottom}-d(k-1)-1)/s\rfloor+1`。
    输入是 NumPy 数组时按 float64 计算并返回 NumPy 数组。
    """
    method = _check_method(method)
    x, x_np = _as_tensor(input, "input")
    w, w_np = _as_tensor(weight, "weight")
    if bias is not None and not isinstance(bias, torch.Tensor):
        bias, _ = _as_tensor(bias, "bias")
    x, unbatched = _batched(x, "input")
    stride, dilation, kernel, _ = _conv_args(x, w, bias, stride, padding, dilation, groups)
    pad4 = _padding4(padding, kernel, dilation, stride)
    if explicit_backward:
        if flip:
            w = torch.flip(w, dims=(-2, -1))
        from .backward import Conv2dFunction

        out = Conv2dFunction.apply(x, w, bias, stride, pad4, dilation, groups, method)
    else:
        out = _conv2d_impl(x, w, bias, stride, pad4, dilation, groups, method, flip)
    out = out[0] if unbatched else out
    return out.numpy() if (x_np and w_np) else out


def conv1d(
    input,
    weight,
    bias=None,
    stride=1,
    padding=0,
    dilation=1,
    groups=1,
    *,
    method: str = "im2col",
    flip: bool = False,
    explicit_backward: bool = False,
):
    r"""一维卷积（互相关），与 ``torch.nn.functional.conv1d`` 相同：当作高度为 1 的二维卷积计算。

    ``input`` 为 (N, C_in, L) 或 (C_in, L)，``weight`` 为 (C_out, C_in/groups, k)。
    ``method='fft'`` 时二维 FFT 在高度方向上的长度是 1，实际就是沿长度方向的一维 FFT 卷积
    （“三种实现：直接、im2col 与 FFT”一节的长卷积基准）。
    """
    x, x_np = _as_tensor(input, "input")
    w, w_np = _as_tensor(weight, "weight")
    x, unbatched = _batched(x, "input", spatial=1)
    if w.dim() != 3:
        raise ValueError(
            f"weight must be a 3-D tensor (out_channels, in_channels/groups, k), got shape {tuple(w.shape)}"
        )

    def along_length(v, name):  # conv1d takes ints (or 1-tuples); the height dimension gets 1 / 0
        if isinstance(v, (tuple, list)) and len(v) == 1:
            v = v[0]
        if not _is_int(v):
            raise TypeError(f"{name} must be an int, got {v!r}")
        return int(v)

    pad = padding if isinstance(padding, str) else (0, along_length(padding, "padding"))
    out = conv2d(
        x.unsqueeze(2),
        w.unsqueeze(2),
        bias,
        (1, along_length(stride, "stride")),
        pad,
        (1, along_length(dilation, "dilation")),
        groups,
        method=method,
        flip=flip,
        explicit_backward=explicit_backward,
    ).squeeze(2)
    out = out[0] if unbatched else out
    return out.numpy() if (x_np and w_np) else out


def conv_transpose2d(
    input,
    weight,
    bias=None,
    stride=1,
    padding=0,
    output_padding=0,
    groups=1,
    dilation=1,
    *,
    method: str = "im2col",
):
    r"""二维转置卷积，与 ``torch.nn.functional.conv_transpose2d`` 的签名和结果相同（“卷积层的反向传播”一节）。

    它是 ``conv2d``（同样的 stride/padding/dilation/groups）作为线性映射的 **转置**（伴随）：
    :math:`\langle \mathrm{conv}(x), y\rangle = \langle x, \mathrm{conv}^\top(y)\rangle`，也就是卷积对输入的梯度。
    ``weight`` 的布局是 (C_in, C_out/groups, k_h, k_w)。输出大小
    :math:`H_{out}=(H-1)s-2p+d(k-1)+p_{out}+1`，``output_padding`` 用来消除步长带来的歧义。

    * ``im2col``：每个输入像素乘以卷积核，得到列矩阵（一次 GEMM），再用 :func:`col2im` 叠加回输出——
      正是 im2col 卷积的转置；
    * ``direct``：在输入的相邻像素之间插入 s−1 个零，四周补 d(k−1) 个零，
      再与旋转 180° 的核做步长为 1 的 ``direct`` 卷积；
    * ``fft``：插零后的输入与（膨胀的）核做 ``full`` 模式的真卷积（:func:`lib.fourier.fft_conv2d_multichannel`）。
    """
    method = _check_method(method)
    x, x_np = _as_tensor(input, "input")
    w, w_np = _as_tensor(weight, "weight")
    x, unbatched = _batched(x, "input")
    stride, dilation, kernel, c_out = _conv_args(x, w, bias, stride, padding, dilation, groups, transposed=True)
    ph, pw = _pair(padding, "padding", min_val=0)
    oph, opw = _pair(output_padding, "output_padding", min_val=0)
    if oph >= max(stride[0], dilation[0]) or opw >= max(stride[1], dilation[1]):
        raise ValueError(
            f"output_padding must be smaller than either stride or dilation (as in torch), got output_padding "
            f"{(oph, opw)}, stride {stride}, dilation {dilation}"
        )
    n, c_in, h, wd = x.shape
    kh, kw = kernel
    full_h = (h - 1) * stride[0] + dilation[0] * (kh - 1) + 1  # size before cropping the padding
    full_w = (wd - 1) * stride[1] + dilation[1] * (kw - 1) + 1
    out_h, out_w = full_h - 2 * ph + oph, full_w - 2 * pw + opw
    if out_h < 1 or out_w < 1:
        raise ValueError(f"padding {(ph, pw)} is too large: the output size would be {(out_h, out_w)}")
    cig, og = c_in // groups, c_out // groups
    if method == "im2col":
        xg = x.reshape(n, groups, cig, h * wd)
        wg = w.reshape(groups, cig, og * kh * kw)
        cols = torch.matmul(wg.transpose(1, 2), xg)  # (N, G, og*kh*kw, H*W)
        full = _fold_padded(cols.reshape(n, c_out * kh * kw, h * wd), (full_h, full_w), kernel, dilation, stride)
    else:
        x_up = _dilate(x, stride)  # zero insertion
        if method == "fft":  # a full true convolution with the kernel, channels (C_in, og) swapped to (og, C_in)
            kd = _dilate(w, dilation)
            k_t = kd.reshape(groups, cig, og, *kd.shape[-2:]).transpose(1, 2).reshape(c_out, cig, *kd.shape[-2:])
            full = fft_conv2d_multichannel(x_up, k_t, groups=groups, mode="full")
        else:
            w_conv = torch.flip(w, dims=(-2, -1)).reshape(groups, cig, og, kh, kw).transpose(1, 2)
            w_conv = w_conv.reshape(groups * og, cig, kh, kw)
            eh, ew = dilation[0] * (kh - 1), dilation[1] * (kw - 1)
            full = _conv2d_impl(x_up, w_conv, None, (1, 1), (eh, eh, ew, ew), dilation, groups, "direct")
    extra_h, extra_w = max(0, oph - ph), max(0, opw - pw)  # output_padding beyond the full result: zeros
    if extra_h or extra_w:
        full = F.pad(full, (0, extra_w, 0, extra_h))
    out = full[:, :, ph : ph + out_h, pw : pw + out_w]
    if bias is not None:
        out = out + bias.reshape(1, -1, 1, 1)
    out = out[0] if unbatched else out
    return out.numpy() if (x_np and w_np) else out


def _dilated_hw(kernel, dilation):
    return dilation[0] * (kernel[0] - 1) + 1, dilation[1] * (kernel[1] - 1) + 1


# ---------------------------------------------------------------------------------------------
# 池化（“池化与多通道”一节）
# ---------------------------------------------------------------------------------------------
def _pool_output(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool, name: str) -> int:
    r"""池化的输出大小，规则与 PyTorch 相同：``ceil_mode`` 时向上取整，但最后一个窗口必须从输入或左填充内开始。"""
    span = size + 2 * p - d * (k - 1) - 1
    if span < 0:
        raise ValueError(
            f"the pooling window (effective size {d * (k - 1) + 1}) is larger than the padded {name} ({size + 2 * p})"
        )
    out = (span + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _check_pool_params(kernel_size, stride, padding, dilation, ceil_mode):
    """池化的超参数（函数与 ``MaxPool2d``/``AvgPool2d`` 层共用），返回 ``(kernel, stride, pad, dilation)``。"""
    kernel = _pair(kernel_size, "kernel_size", min_val=1)
    stride = kernel if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0) else stride
    stride = _pair(stride, "stride", min_val=1)
    pad = _pair(padding, "padding", min_val=0)
    dilation = _pair(dilation, "dilation", min_val=1)
    if pad[0] > kernel[0] // 2 or pad[1] > kernel[1] // 2:
        raise ValueError(
            f"padding must be at most half of kernel_size (as in torch), got padding {pad}, kernel {kernel}"
        )
    if not isinstance(ceil_mode, bool):
        raise TypeError(f"ceil_mode must be a bool, got {ceil_mode!r}")
    return kernel, stride, pad, dilation


def _check_divisor(divisor_override):
    if divisor_override is not None and (not _is_int(divisor_override) or divisor_override < 1):
        raise ValueError(f"divisor_override must be a positive int or None, got {divisor_override!r}")
    return divisor_override


def _pool_args(x, kernel_size, stride, padding, dilation, ceil_mode):
    kernel, stride, pad, dilation = _check_pool_params(kernel_size, stride, padding, dilation, ceil_mode)
    h, w = x.shape[-2:]
    out = (
        _pool_output(h, kernel[0], stride[0], pad[0], dilation[0], ceil_mode, "input height"),
        _pool_output(w, kernel[1], stride[1], pad[1], dilation[1], ceil_mode, "input width"),
    )
    # ceil_mode can let the last window run past the padded input: pad that much more on the bottom/right
    extra = tuple(
        max(0, (o - 1) * s + d * (k - 1) + 1 - (n + 2 * p))
        for o, s, d, k, n, p in zip(out, stride, dilation, kernel, (h, w), pad)
    )
    return kernel, stride, pad, dilation, out, extra


def _windows(xp, kernel, stride, dilation, out_hw):
    keh, kew = _dilated_hw(kernel, dilation)
    win = xp.unfold(2, keh, stride[0]).unfold(3, kew, stride[1])[..., :: dilation[0], :: dilation[1]]
    return win[:, :, : out_hw[0], : out_hw[1]]  # (N, C, Ho, Wo, kh, kw)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    r"""最大池化 :math:`Y[i,j]=\max_{0\le u<k_h,\,0\le v<k_w}\tilde X[s_h i+d_h u,\; s_w j+d_w v]`
    （“池化与多通道”一节），
    与 ``torch.nn.functional.max_pool2d`` 的签名和结果相同
    （``stride`` 默认等于 ``kernel_size``，填充值为 :math:`-\infty`）。

    实现：取出窗口、用 ``argmax`` 找到最大值的位置、再用 ``gather`` 取值。于是反向传播时梯度 **只流向最大值所在的像素**
    （“卷积层的反向传播”一节的“上采样”），并列时取第一个，与 PyTorch 一致。
    ``return_indices=True`` 时另返回最大值在输入中的展平下标。
    """
    x, was_numpy = _as_tensor(input, "input")
    x, unbatched = _batched(x, "input")
    kernel, stride, pad, dilation, out_hw, extra = _pool_args(x, kernel_size, stride, padding, dilation, ceil_mode)
    xp = F.pad(x, (pad[1], pad[1] + extra[1], pad[0], pad[0] + extra[0]), value=-math.inf)
    win = _windows(xp, kernel, stride, dilation, out_hw)
    flat = win.reshape(*win.shape[:4], kernel[0] * kernel[1])
    arg = flat.argmax(dim=-1, keepdim=True)
    out = flat.gather(-1, arg).squeeze(-1)
    out = out[0] if unbatched else out
    if not return_indices:
        return out.numpy() if was_numpy else out
    arg = arg.squeeze(-1)
    i = torch.arange(out_hw[0], device=x.device).reshape(-1, 1)
    j = torch.arange(out_hw[1], device=x.device).reshape(1, -1)
    row = i * stride[0] + (arg // kernel[1]) * dilation[0] - pad[0]
    col = j * stride[1] + (arg % kernel[1]) * dilation[1] - pad[1]
    indices = row * x.shape[3] + col
    indices = indices[0] if unbatched else indices
    return (out.numpy(), indices.numpy()) if was_numpy else (out, indices)


def _avg_counts(x, kernel, stride, pad, out_hw, extra, count_include_pad):
    """每个窗口的除数：窗口内落在输入（count_include_pad=True 时再加上对称填充区）中的像素个数。"""
    h, w = x.shape[-2:]
    if count_include_pad:
        mask = x.new_ones(1, 1, h + 2 * pad[0], w + 2 * pad[1])
        mask = F.pad(mask, (0, extra[1], 0, extra[0]))
    else:
        mask = F.pad(x.new_ones(1, 1, h, w), (pad[1], pad[1] + extra[1], pad[0], pad[0] + extra[0]))
    return _window_sums(mask, kernel, stride, out_hw)


def _window_sums(xp, kernel, stride, out_hw):
    """每个窗口内的和，写成 k_h·k_w 个错位切片之和（比对窗口视图做归约快得多）。"""
    total = None
    for u in range(kernel[0]):
        for v in range(kernel[1]):
            part = xp[
                :,
                :,
                u : u + stride[0] * (out_hw[0] - 1) + 1 : stride[0],
                v : v + stride[1] * (out_hw[1] - 1) + 1 : stride[1],
            ]
            total = part if total is None else total + part
    return total


def avg_pool2d(
    input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None
):
    r"""平均池化 :math:`Y[i,j]=\frac{1}{|R_{ij}|}\sum_{(p,q)\in R_{ij}}\tilde X[p,q]`（“池化与多通道”一节），
    与 ``torch.nn.functional.avg_pool2d`` 的签名和结果相同。

    除数 :math:`|R_{ij}|` 默认是窗口大小（``count_include_pad=True``：填充的零也算）；``False`` 时只数真实像素；
    ``divisor_override`` 直接指定除数。
    """
    x, was_numpy = _as_tensor(input, "input")
    x, unbatched = _batched(x, "input")
    kernel, stride, pad, _, out_hw, extra = _pool_args(x, kernel_size, stride, padding, 1, ceil_mode)
    _check_divisor(divisor_override)
    xp = F.pad(x, (pad[1], pad[1] + extra[1], pad[0], pad[0] + extra[0]))
    sums = _window_sums(xp, kernel, stride, out_hw)
    if divisor_override is not None:
        out = sums / divisor_override
    else:
        out = sums / _avg_counts(x, kernel, stride, pad, out_hw, extra, count_include_pad)
    out = out[0] if unbatched else out
    return out.numpy() if was_numpy else out
