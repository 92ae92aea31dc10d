r"""傅里叶变换与卷积定理（第 3 章），以及全书唯一的一份 FFT 卷积（第 15、18 章复用）。

卷积定理：线性卷积 :math:`(x*k)[t]=\sum_s k[s]\,x[t-s]` 在频域是逐点乘积。用 FFT 计算时，
离散傅里叶变换对应的是 *循环* 卷积；把两个序列都补零到至少 :math:`L_x+L_k-1` 点，循环卷积就不会“绕回来”，
与线性卷积相同。第 15 章的 FFT 卷积层和第 18 章 Hyena 的长卷积都调用这里的函数，而不是各写一份。

=====================  ===============================================================
``dft_matrix``         DFT 矩阵 :math:`W_{jk}=\omega^{jk}`，``unitary=True`` 时除以 :math:`\sqrt n`（:math:`W^HW=I`）
``circulant``          循环矩阵 :math:`C_{ij}=c[(i-j)\bmod n]`，:math:`C\mathbf x` 是循环卷积
``toeplitz``           Toeplitz 矩阵 :math:`T_{ij}=c[i-j]`（:math:`i\ge j`）、:math:`r[j-i]`（:math:`i<j`）
``causal_toeplitz``    下三角 Toeplitz 矩阵，:math:`T\mathbf x` 等于 ``fft_conv(x, k, mode="causal")``
``fft_conv``           沿最后一维的线性卷积，模式 ``full``/``same``/``valid``/``causal``
``fft_conv2d``         沿最后两维的二维线性卷积，模式 ``full``/``same``/``valid``
``fft_size``           不发生绕回所需的 FFT 长度（向上取到便于 FFT 的长度）
=====================  ===============================================================

函数接受 PyTorch 张量（任意设备，可求导）或 NumPy 数组（返回 NumPy 数组）。半精度输入在 float32 中做 FFT
再转回原类型（cuFFT 的半精度只支持 2 的幂长度，精度也不够）。
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
import torch

__all__ = [
    "dft_matrix",
    "circulant",
    "toeplitz",
    "causal_toeplitz",
    "fft_size",
    "fft_conv",
    "fft_conv2d",
    "CONV_MODES",
]

CONV_MODES = ("full", "same", "valid", "causal")


def _check_length(n, name: str = "n") -> int:
    if isinstance(n, bool) or not isinstance(n, Integral) or n < 1:
        raise ValueError(f"{name} must be a positive int, got {n!r}")
    return int(n)


def dft_matrix(n: int, *, unitary: bool = True) -> np.ndarray:
    r"""DFT 矩阵 :math:`W_{jk}=\omega^{jk}`，:math:`\omega=e^{-2\pi i/n}`；:math:`W\mathbf x` 等于 ``np.fft.fft(x)``。

    ``unitary=True`` 时再除以 :math:`\sqrt n`，此时 :math:`W^HW=I`（逆变换就是共轭转置）。
    """
    n = _check_length(n)
    j = np.arange(n)
    W = np.exp(-2j * np.pi * np.outer(j, j) / n)
    return W / np.sqrt(n) if unitary else W


def circulant(c) -> np.ndarray:
    r"""以 ``c`` 为第一列的循环矩阵 :math:`C_{ij}=c[(i-j)\bmod n]`；:math:`C\mathbf x` 是 ``c`` 与 ``x`` 的循环卷积。"""
    c = np.asarray(c)
    if c.ndim != 1 or c.size == 0:
        raise ValueError(f"c must be a non-empty 1-D array, got shape {c.shape}")
    n = c.shape[0]
    idx = (np.arange(n)[:, None] - np.arange(n)[None, :]) % n
    return c[idx]


def toeplitz(c, r=None) -> np.ndarray:
    r"""第一列为 ``c``、第一行为 ``r`` 的 Toeplitz 矩阵（常对角矩阵），与 ``scipy.linalg.toeplitz`` 相同。

    ``r`` 省略时取 :math:`r = \bar c`（共轭），得到埃尔米特矩阵。``r[0]`` 被忽略，对角元取 ``c[0]``。
    """
    c = np.asarray(c)
    r = np.conjugate(c) if r is None else np.asarray(r)
    if c.ndim != 1 or r.ndim != 1 or c.size == 0 or r.size == 0:
        raise ValueError(f"c and r must be non-empty 1-D arrays, got shapes {c.shape} and {r.shape}")
    i = np.arange(c.shape[0])[:, None]
    j = np.arange(r.shape[0])[None, :]
    values = np.concatenate([r[:0:-1], c])  # r[-1], ..., r[1], c[0], c[1], ...
    return values[i - j + r.shape[0] - 1]


def causal_toeplitz(k, length: int | None = None) -> np.ndarray:
    r"""因果卷积的矩阵：:math:`T_{ij}=k[i-j]`（:math:`0\le i-j<L_k`），其余为 0，大小 :math:`L\times L`。

    :math:`T\mathbf x` 等于 ``fft_conv(x, k, mode="causal")``；第 18 章用它把长卷积写成矩阵。
    """
    k = np.asarray(k)
    if k.ndim != 1 or k.size == 0:
        raise ValueError(f"k must be a non-empty 1-D array, got shape {k.shape}")
    length = k.shape[0] if length is None else _check_length(length, "length")
    col = np.zeros(length, dtype=k.dtype)
    m = min(length, k.shape[0])
    col[:m] = k[:m]
    return toeplitz(col, np.zeros(length, dtype=k.dtype))


def fft_size(n: int) -> int:
    """不小于 ``n`` 的、只含质因子 2、3、5 的最小整数（这样的长度 FFT 最快）。"""
    n = _check_length(n)
    best = 1 << (int(n) - 1).bit_length()  # next power of two is always a candidate
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            m = p35
            while m < n:
                m *= 2
            best = min(best, m)
            p35 *= 3
        p5 *= 5
    return best


def _as_tensor(a, name: str):
    """Return (tensor, was_numpy). Real floating inputs only."""
    was_numpy = not isinstance(a, torch.Tensor)
    if was_numpy:
        arr = np.asarray(a)
        if arr.dtype == object or not (np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)):
            raise TypeError(f"{name} must be a real-valued array or tensor, got dtype {arr.dtype}")
        a = torch.from_numpy(np.ascontiguousarray(arr, dtype=np.float64))
    elif a.is_complex() or not (a.is_floating_point() or a.dtype in (torch.int32, torch.int64)):
        raise TypeError(f"{name} must be a real floating tensor, got {a.dtype}")
    if a.dim() == 0:
        raise ValueError(f"{name} must have at least one dimension, got a scalar")
    return a, was_numpy


def _compute_dtype(dtype: torch.dtype) -> torch.dtype:
    return torch.float64 if dtype == torch.float64 else torch.float32


def _crop(y: torch.Tensor, lx: int, lk: int, mode: str, dim: int) -> torch.Tensor:
    if mode == "full":
        return y.narrow(dim, 0, lx + lk - 1)
    if mode == "causal":
        return y.narrow(dim, 0, lx)
    if mode == "same":  # centred, as numpy.convolve / scipy.signal.convolve
        return y.narrow(dim, (lk - 1) // 2, lx)
    return y.narrow(dim, lk - 1, lx - lk + 1)  # valid


def fft_conv(x, k, *, mode: str = "full"):
    r"""沿最后一维计算线性卷积 :math:`y[t]=\sum_s k[s]\,x[t-s]`（真正的卷积，不是互相关）。

    ``x`` 形状 ``(..., L_x)``，``k`` 形状 ``(..., L_k)``，前面的维度按广播规则对齐
    （例如 ``x: (B, H, L)`` 与 ``k: (H, L)`` 表示每个通道一个卷积核）。输出长度：

    * ``"full"``：:math:`L_x+L_k-1`（完整的线性卷积）；
    * ``"same"``：:math:`L_x`，与 ``numpy.convolve(..., "same")`` 相同的居中截取；
    * ``"valid"``：:math:`L_x-L_k+1`，只保留 ``k`` 完全落在 ``x`` 内的位置（要求 :math:`L_k\le L_x`）；
    * ``"causal"``：:math:`L_x`，取 full 的前 :math:`L_x` 个，:math:`y[t]` 只依赖 :math:`x[0..t]`（Hyena 用它）。

    计算方法：两者补零到 ``fft_size(L_x + L_k - 1)``，做实数 FFT、逐点相乘、逆变换、截取。
    """
    if mode not in CONV_MODES:
        raise ValueError(f"mode must be one of {CONV_MODES}, got {mode!r}")
    x, x_np = _as_tensor(x, "x")
    k, k_np = _as_tensor(k, "k")
    lx, lk = x.shape[-1], k.shape[-1]
    if mode == "valid" and lk > lx:
        raise ValueError(f"mode='valid' needs the kernel (length {lk}) to fit in x (length {lx})")
    try:
        torch.broadcast_shapes(x.shape[:-1], k.shape[:-1])
    except RuntimeError:
        raise ValueError(
            f"leading dimensions of x {tuple(x.shape[:-1])} and k {tuple(k.shape[:-1])} do not broadcast"
        ) from None
    if x.device != k.device:
        raise ValueError(f"x and k must be on the same device, got {x.device} and {k.device}")
    out_dtype = torch.promote_types(x.dtype, k.dtype) if x.is_floating_point() else torch.float32
    cdtype = _compute_dtype(out_dtype)
    n = fft_size(lx + lk - 1)
    xf = torch.fft.rfft(x.to(cdtype), n=n)
    kf = torch.fft.rfft(k.to(cdtype), n=n)
    y = _crop(torch.fft.irfft(xf * kf, n=n), lx, lk, mode, -1).to(out_dtype)
    return y.numpy() if (x_np and k_np) else y


def fft_conv2d(x, k, *, mode: str = "full"):
    r"""沿最后两维的二维线性卷积 :math:`y[i,j]=\sum_{p,q}k[p,q]\,x[i-p,j-q]`，模式同 :func:`fft_conv`（无 ``causal``）。

    ``x`` 形状 ``(..., H, W)``，``k`` 形状 ``(..., h, w)``，前面的维度按广播规则对齐。
    与 ``scipy.signal.convolve2d`` / ``scipy.signal.fftconvolve`` 的同名模式结果相同。
    """
    if mode not in ("full", "same", "valid"):
        raise ValueError(f"mode must be 'full', 'same' or 'valid', got {mode!r}")
    x, x_np = _as_tensor(x, "x")
    k, k_np = _as_tensor(k, "k")
    if x.dim() < 2 or k.dim() < 2:
        raise ValueError(f"x and k must have at least 2 dimensions, got shapes {tuple(x.shape)} and {tuple(k.shape)}")
    (hx, wx), (hk, wk) = x.shape[-2:], k.shape[-2:]
    if mode == "valid" and (hk > hx or wk > wx):
        raise ValueError(f"mode='valid' needs the kernel ({hk}x{wk}) to fit in x ({hx}x{wx})")
    try:
        torch.broadcast_shapes(x.shape[:-2], k.shape[:-2])
    except RuntimeError:
        raise ValueError(
            f"leading dimensions of x {tuple(x.shape[:-2])} and k {tuple(k.shape[:-2])} do not broadcast"
        ) from None
    if x.device != k.device:
        raise ValueError(f"x and k must be on the same device, got {x.device} and {k.device}")
    out_dtype = torch.promote_types(x.dtype, k.dtype) if x.is_floating_point() else torch.float32
    cdtype = _compute_dtype(out_dtype)
    s = (fft_size(hx + hk - 1), fft_size(wx + wk - 1))
    y = torch.fft.irfft2(torch.fft.rfft2(x.to(cdtype), s=s) * torch.fft.rfft2(k.to(cdtype), s=s), s=s)
    y = _crop(_crop(y, hx, hk, mode, -2), wx, wk, mode, -1).to(out_dtype)
    return y.numpy() if (x_np and k_np) else y
