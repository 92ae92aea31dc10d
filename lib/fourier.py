r"""傅里叶变换与卷积定理（傅里叶变换与卷积定理一章），以及全书唯一的一份 FFT 卷积
（卷积神经网络、长序列建模两章复用）。

这一章的三节按这个文件从上到下的顺序展开：

* **傅里叶级数与傅里叶变换**。周期为 :math:`T` 的函数（频率 :math:`f_0=1/T`，角频率 :math:`\omega_0=2\pi/T`）
  展开成 :math:`f(t)=\sum_n c_n e^{in\omega_0 t}`，系数 :math:`c_n=\frac1T\int_0^T f(t)e^{-in\omega_0 t}\,dt`；
  非周期函数用傅里叶变换 :math:`F(\xi)=\int f(t)e^{-2\pi i\xi t}\,dt`（:math:`\xi` 是以 Hz 计的普通频率）。
* **DFT 与 FFT**。:math:`X[k]=\sum_{n=0}^{N-1}x[n]\,e^{-2\pi ikn/N}`，写成矩阵就是 :math:`X=F\mathbf x`；
  基-2 Cooley–Tukey 算法把它从 :math:`O(N^2)` 降到 :math:`O(N\log N)`。
* **卷积定理、循环卷积与补零**。DFT 把 *循环* 卷积变成逐点乘积；循环卷积等于线性卷积按周期 :math:`n`
  折叠求和，所以把两个序列都补零到至少 :math:`L_x+L_k-1` 点，循环卷积就不会“绕回来”，与线性卷积相同。
  卷积神经网络一章的 FFT 卷积层和长序列建模一章 Hyena 的长卷积都调用这里的 ``fft_conv``/``fft_conv2d``，而不是各写一份。

=======================  ===============================================================
``series_coeffs``        傅里叶级数系数 :math:`c_{-N},\dots,c_N` 的数值积分（一个周期上的中点公式）
``partial_sum``          部分和 :math:`S_N(t)=\sum_{|n|\le N}c_n e^{2\pi int/T}`
``continuous_ft``        傅里叶变换 :math:`F(\xi)=\int f(t)e^{-2\pi i\xi t}dt` 的数值积分
``dft`` / ``idft``       按定义（矩阵乘法）计算 DFT 与逆 DFT，:math:`O(N^2)`，作参照
``fft_radix2``           递归的基-2 Cooley–Tukey FFT（教学用，:math:`O(N\log N)`），``ifft_radix2`` 是它的逆
``dft_matrix``           DFT 矩阵 :math:`W_{jk}=\omega^{jk}`，``unitary=True`` 时除以 :math:`\sqrt n`（:math:`W^HW=I`）
``linear_conv``          按定义计算的线性卷积（:math:`O(L_xL_k)` 的参照），模式同 ``fft_conv``
``circular_conv``        按定义计算的长度为 :math:`n` 的循环卷积；``circular_conv2d`` 是二维版本
``periodic_sum``         把序列按周期 :math:`n` 折叠求和：循环卷积 = 线性卷积的 ``periodic_sum``
``wraparound_error``     不补零（或补得不够）时，循环卷积与线性卷积之差：“绕回来”的那部分
``circulant``            循环矩阵 :math:`C_{ij}=c[(i-j)\bmod n]`，:math:`C\mathbf x` 是循环卷积
``toeplitz``             Toeplitz 矩阵 :math:`T_{ij}=c[i-j]`（:math:`i\ge j`）、:math:`r[j-i]`（:math:`i<j`）
``causal_toeplitz``      下三角 Toeplitz 矩阵，:math:`T\mathbf x` 等于 ``fft_conv(x, k, mode="causal")``
``fft_conv``             沿最后一维的线性卷积（FFT），模式 ``full``/``same``/``valid``/``causal``
``fft_conv2d``           沿最后两维的二维线性卷积（FFT），模式 ``full``/``same``/``valid``
``fft_size``             不发生绕回所需的 FFT 长度（向上取到便于 FFT 的长度）
``causal_fft_conv``      因果卷积 + 跳连 :math:`y=k*u+D\odot u`（Hyena 的长卷积）：手写的反向传播、可复用的核频谱、
                         可选的半精度 FFT；GPU 上前后的逐点运算由 ``lib.triton_kernels`` 融合
``kernel_spectrum``      卷积核补零后的频谱（:class:`KernelSpectrum`），推理时算一次、反复使用
``fft_conv2d_multichannel``  多通道二维卷积：在频域里对输入通道求和（每个频率一次复矩阵乘法；
                         “三种实现：直接、im2col 与 FFT”一节）
=======================  ===============================================================

``fft_conv``/``fft_conv2d`` 接受 PyTorch 张量（任意设备，可求导）或 NumPy 数组（返回 NumPy 数组）。半精度输入在
float32 中做 FFT 再转回原类型（cuFFT 的半精度只支持 2 的幂长度，精度也不够）。这一章的其余函数是 NumPy 的
参照实现：按定义写成，读起来与书中的公式一一对应，用来核对 ``numpy.fft``、``scipy.signal`` 与 ``fft_conv``。
"""

from __future__ import annotations

import functools
import math
from numbers import Integral, Real
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from .utils import check_int_sequence, check_option, check_scalar, check_size

if TYPE_CHECKING:  # torch is imported lazily by the functions that use it
    import torch

__all__ = [
    "series_coeffs",
    "partial_sum",
    "continuous_ft",
    "dft",
    "idft",
    "fft_radix2",
    "ifft_radix2",
    "linear_conv",
    "circular_conv",
    "circular_conv2d",
    "periodic_sum",
    "wraparound_error",
    "dft_matrix",
    "circulant",
    "toeplitz",
    "causal_toeplitz",
    "fft_size",
    "causal_fft_conv",
    "kernel_spectrum",
    "KernelSpectrum",
    "fft_conv2d_multichannel",
    "multichannel_spectrum",
    "MultichannelSpectrum",
    "fft_conv",
    "fft_conv2d",
    "CONV_MODES",
]

CONV_MODES = ("full", "same", "valid", "causal")


def _check_length(n, name: str = "n") -> int:
    if isinstance(n, bool) or not isinstance(n, Integral) or n < 1:
        raise ValueError(f"{name} must be a positive int, got {n!r}")
    return check_size(n, name)


# ---------------------------------------------------------------------------------------------
# 输入检查
# ---------------------------------------------------------------------------------------------
def _as_signal(a, name: str, ndim: int | None = 1, min_ndim: int = 1) -> np.ndarray:
    """把 ``a`` 转成 float64 或 complex128 的 NumPy 数组（复数输入保持复数），并检查维数。"""
    if a is None:
        raise ValueError(f"{name} must be an array, got None")
    if hasattr(a, "detach") and hasattr(a, "cpu"):  # a torch tensor (torch is imported only where it is needed)
        a = a.detach().cpu().numpy()
    arr = np.asarray(a)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must be an array of numbers, got dtype {arr.dtype}")
    arr = arr.astype(np.complex128 if np.iscomplexobj(arr) else np.float64)
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got an array of shape {arr.shape}")
    if arr.ndim < min_ndim:
        raise ValueError(f"{name} must have at least {min_ndim} dimension(s), got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinity")
    return arr


def _evaluate(f, t: np.ndarray, name: str = "f") -> np.ndarray:
    """调用用户给的函数 ``f(t)``，检查它对数组逐点求值、返回同形状的有限数。"""
    if not callable(f):
        raise TypeError(f"{name} must be a callable f(t), got {type(f).__name__}")
    values = np.asarray(f(t))
    if values.shape != t.shape:
        raise ValueError(
            f"{name} must accept a NumPy array of times and return an array of the same shape {t.shape}, "
            f"got shape {values.shape}"
        )
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{name} returned NaN or infinity")
    return values


# ---------------------------------------------------------------------------------------------
# 3.1 傅里叶级数与傅里叶变换
# ---------------------------------------------------------------------------------------------
def series_coeffs(f, period: float, n_max: int, *, num: int = 4096) -> np.ndarray:
    r"""周期为 ``period``（:math:`T`）的函数 ``f`` 的傅里叶级数系数 :math:`c_{-N},\dots,c_N`（傅里叶级数一节）。

    .. math:: c_n=\frac1T\int_0^T f(t)\,e^{-in\omega_0t}\,dt,\qquad \omega_0=\frac{2\pi}{T}\ (\text{角频率}),\quad
              f_0=\frac1T\ (\text{频率})

    用一个周期上 ``num`` 个点的中点公式计算：:math:`t_j=(j+\tfrac12)T/M`，
    :math:`\tilde c_n=\frac1M\sum_j f(t_j)e^{-in\omega_0t_j}`。把 :math:`f` 的级数代进去可得
    :math:`\tilde c_n=\sum_m(-1)^m c_{n+mM}`：误差只来自高次谐波的混叠，光滑函数的系数衰减得快，误差极小；
    有跳跃的函数（:math:`c_n\sim1/n`）误差约为 :math:`(\pi n/M)^2/6` 的相对误差。中点不落在 :math:`t=0`
    与 :math:`t=T/2` 上，所以在这两处跳跃的方波、锯齿波不会被取到跳跃点上的值。

    ``f`` 必须对 NumPy 数组逐点求值。返回长度 ``2*n_max + 1`` 的复数组，``c[n_max + n]`` 是 :math:`c_n`。
    """
    period = check_scalar(period, "period", Real, min_val=0, include_min=False)
    n_max = check_scalar(n_max, "n_max", Integral, min_val=0)
    num = check_scalar(num, "num", Integral, min_val=1)
    if num <= 2 * n_max:
        raise ValueError(
            f"num must be > 2*n_max = {2 * n_max} so that the samples resolve harmonic n_max (Nyquist), got {num}"
        )
    t = (np.arange(num) + 0.5) * period / num
    values = _evaluate(f, t)
    n = np.arange(-n_max, n_max + 1)
    omega0 = 2 * np.pi / period  # 角频率；频率是 1/period
    return np.exp(-1j * omega0 * np.outer(n, t)) @ values / num


def partial_sum(c, period: float, t, *, real: bool = True) -> np.ndarray:
    r"""傅里叶级数的部分和 :math:`S_N(t)=\sum_{n=-N}^{N}c_n\,e^{2\pi i nt/T}`（傅里叶级数一节）。

    ``c`` 的长度为奇数 :math:`2N+1`，``c[N + n]`` 是 :math:`c_n`（与 :func:`series_coeffs` 的返回值相同）。
    ``real=True``（默认）时返回实部：实函数的系数满足 :math:`c_{-n}=\overline{c_n}`，和是实数；若 ``c``
    不满足这一共轭对称，抛出 ``ValueError``（此时请用 ``real=False`` 取复数结果）。
    """
    c = _as_signal(c, "c").astype(np.complex128)
    if c.shape[0] % 2 == 0:
        raise ValueError(f"c must have odd length 2*n_max + 1 (c[n_max + n] = c_n), got length {c.shape[0]}")
    period = check_scalar(period, "period", Real, min_val=0, include_min=False)
    t = _as_signal(t, "t", ndim=None)
    if np.iscomplexobj(t):
        raise TypeError("t must be real times, got a complex array")
    n_max = c.shape[0] // 2
    n = np.arange(-n_max, n_max + 1)
    s = np.exp(2j * np.pi * np.multiply.outer(t, n) / period) @ c
    if not real:
        return s
    scale = np.abs(c).max()
    if scale > 0 and np.abs(c - np.conj(c[::-1])).max() > 1e-9 * scale:
        raise ValueError("c is not conjugate-symmetric (c_{-n} != conj(c_n)), so the sum is complex; use real=False")
    return s.real


def continuous_ft(f, xi, *, limit: float, num: int = 8192) -> np.ndarray:
    r"""傅里叶变换 :math:`F(\xi)=\int_{-\infty}^{\infty}f(t)\,e^{-2\pi i\xi t}\,dt` 的数值积分（傅里叶级数一节）。

    :math:`\xi` 是普通频率（单位 Hz，即“每单位时间的周数”），这一约定下逆变换没有 :math:`1/2\pi` 因子：
    :math:`f(t)=\int F(\xi)e^{2\pi i\xi t}d\xi`。积分限截断为 :math:`[-L, L]`（``limit``），用 ``num`` 个点的中点公式；
    ``f`` 在 :math:`|t|>L` 处应当可以忽略。``xi`` 可以是任意形状的数组，返回同形状的复数组。
    """
    limit = check_scalar(limit, "limit", Real, min_val=0, include_min=False)
    num = check_scalar(num, "num", Integral, min_val=2)
    xi = _as_signal(xi, "xi", ndim=None)
    if np.iscomplexobj(xi):
        raise TypeError("xi must be real frequencies, got a complex array")
    dt = 2 * limit / num
    t = -limit + (np.arange(num) + 0.5) * dt
    values = _evaluate(f, t)
    out = np.array([np.sum(values * np.exp(-2j * np.pi * x * t)) for x in xi.ravel()]) * dt
    return out.reshape(xi.shape)


# ---------------------------------------------------------------------------------------------
# 3.2 DFT 与 FFT
# ---------------------------------------------------------------------------------------------
def dft_matrix(n: int, *, unitary: bool = True) -> np.ndarray:
    r"""DFT 矩阵 :math:`W_{jk}=\omega^{jk}`，:math:`\omega=e^{-2\pi i/n}`；:math:`W\mathbf x` 等于 ``np.fft.fft(x)``。

    ``unitary=True`` 时再除以 :math:`\sqrt n`，此时 :math:`W^HW=I`（逆变换就是共轭转置）。
    """
    n = _check_length(n)
    check_size(n, "n", max_val=2**14)  # an n x n complex matrix: 2**14 is already 4 GiB
    check_scalar(unitary, "unitary", bool)
    j = np.arange(n)
    W = np.exp(-2j * np.pi * np.outer(j, j) / n)
    return W / np.sqrt(n) if unitary else W


def dft(x) -> np.ndarray:
    r"""按定义计算的 DFT :math:`X[k]=\sum_{n=0}^{N-1}x[n]\,e^{-2\pi ikn/N}`，沿最后一维（“DFT 与 FFT”一节）。

    就是乘以（未归一化的）DFT 矩阵：:math:`O(N^2)` 次乘法，只作参照。结果与 ``numpy.fft.fft`` 相同。
    """
    x = _as_signal(x, "x", ndim=None)
    return x @ dft_matrix(x.shape[-1], unitary=False).T


def idft(X) -> np.ndarray:
    r"""按定义计算的逆 DFT :math:`x[n]=\frac1N\sum_{k=0}^{N-1}X[k]\,e^{2\pi ikn/N}`，沿最后一维（“DFT 与 FFT”一节）。

    :math:`F^{-1}=\frac1N F^H`（DFT 矩阵的列两两正交）。结果与 ``numpy.fft.ifft`` 相同。
    """
    X = _as_signal(X, "X", ndim=None)
    n = X.shape[-1]
    return X @ dft_matrix(n, unitary=False).conj().T / n


def _check_power_of_two(n: int, name: str) -> None:
    if n & (n - 1):
        raise ValueError(
            f"{name} must have a power-of-2 length along its last axis for the radix-2 FFT, got length {n} "
            f"(zero-pad it to {1 << (n - 1).bit_length()})"
        )


def fft_radix2(x) -> np.ndarray:
    r"""递归的基-2 Cooley–Tukey FFT，沿最后一维，长度须是 2 的幂（“DFT 与 FFT”一节）。

    把下标分成偶数与奇数两半，:math:`E,O` 是它们的 :math:`N/2` 点 DFT，:math:`\omega_N=e^{-2\pi i/N}`：

    .. math:: X[k]=E[k]+\omega_N^kO[k],\qquad X[k+N/2]=E[k]-\omega_N^kO[k],\qquad 0\le k<N/2 .

    每一层递归做 :math:`N/2` 次“蝴蝶”运算，共 :math:`\log_2N` 层，所以是 :math:`O(N\log N)`。
    这里把同一层的所有子问题叠在一个新的前导维度上一起递归，于是只有 :math:`\log_2N` 次 Python 调用。
    结果与 ``numpy.fft.fft`` 相同（``numpy`` 用的是更快的混合基算法）。
    """
    x = _as_signal(x, "x", ndim=None).astype(np.complex128)
    n = x.shape[-1]
    _check_power_of_two(n, "x")
    if n == 1:
        return x  # 1 点 DFT 就是它自己
    halves = fft_radix2(np.stack([x[..., 0::2], x[..., 1::2]]))  # 偶数位、奇数位的 N/2 点 DFT，一次递归
    even, odd = halves[0], halves[1]
    twiddled = np.exp(-2j * np.pi * np.arange(n // 2) / n) * odd  # 旋转因子 ω_N^k 乘 O[k]
    return np.concatenate([even + twiddled, even - twiddled], axis=-1)  # 蝴蝶运算


def ifft_radix2(X) -> np.ndarray:
    r"""基-2 逆 FFT，沿最后一维：:math:`x=\frac1N\overline{\mathrm{FFT}(\overline X)}`（对输入、输出各取一次共轭）。

    因为 :math:`F^{-1}=\frac1N F^H=\frac1N\overline F`，逆变换不需要另写一个算法。
    """
    X = _as_signal(X, "X", ndim=None)
    _check_power_of_two(X.shape[-1], "X")
    return np.conj(fft_radix2(np.conj(X))) / X.shape[-1]


# ---------------------------------------------------------------------------------------------
# 3.3 线性卷积、循环卷积与“绕回”
# ---------------------------------------------------------------------------------------------
def _slice_mode(y: np.ndarray, lx: int, lk: int, mode: str) -> np.ndarray:
    """与 ``_crop`` 相同的截取规则，作用在 NumPy 数组的最后一维上。"""
    start, length = {
        "full": (0, lx + lk - 1),
        "causal": (0, lx),
        "same": ((lk - 1) // 2, lx),
        "valid": (lk - 1, lx - lk + 1),
    }[mode]
    return y[..., start : start + length]


def linear_conv(x, k, *, mode: str = "full") -> np.ndarray:
    r"""按定义计算的一维线性卷积 :math:`y[t]=\sum_s k[s]\,x[t-s]`（“卷积定理、循环卷积与补零”一节），
    :math:`O(L_xL_k)` 的参照实现。

    完整结果长 :math:`L_x+L_k-1`；``mode`` 的截取规则与 :func:`fft_conv` 完全相同（``"same"``、``"valid"`` 与
    ``scipy.signal.convolve`` 相同，``"causal"`` 取前 :math:`L_x` 个）。``x``、``k`` 是一维实数或复数数组。
    """
    check_option(mode, "mode", CONV_MODES)
    x, k = _as_signal(x, "x"), _as_signal(k, "k")
    lx, lk = x.shape[0], k.shape[0]
    if mode == "valid" and lk > lx:
        raise ValueError(f"mode='valid' needs the kernel (length {lk}) to fit in x (length {lx})")
    y = np.zeros(lx + lk - 1, dtype=np.result_type(x, k))
    for s in range(lk):  # 抽头 k[s] 把整段 x 向后平移 s 位再加权累加
        y[s : s + lx] += k[s] * x
    return _slice_mode(y, lx, lk, mode)


def circular_conv(x, k, n: int | None = None) -> np.ndarray:
    r"""按定义计算的长度为 :math:`n` 的循环卷积（“卷积定理、循环卷积与补零”一节）：

    .. math:: (x\circledast_n k)[t]=\sum_{s=0}^{n-1}k[s]\,x[(t-s)\bmod n],\qquad 0\le t<n .

    ``x``、``k`` 先补零到长度 ``n``（默认 :math:`\max(L_x,L_k)`；不允许比它们短，那样就得截断输入）。
    按卷积定理，它等于 ``ifft(fft(x, n) * fft(k, n))``；它又等于线性卷积的 :func:`periodic_sum`。
    """
    x, k = _as_signal(x, "x"), _as_signal(k, "k")
    lx, lk = x.shape[0], k.shape[0]
    n = max(lx, lk) if n is None else _check_length(n, "n")
    if n < max(lx, lk):
        raise ValueError(
            f"n must be >= max(len(x), len(k)) = {max(lx, lk)} (inputs are zero-padded, never cut), got {n}"
        )
    xp = np.zeros(n, dtype=x.dtype)
    xp[:lx] = x
    y = np.zeros(n, dtype=np.result_type(x, k))
    for s in range(lk):  # np.roll(xp, s)[t] = xp[(t - s) mod n]：平移 s 位，从右端掉出去的部分从左端回来
        y += k[s] * np.roll(xp, s)
    return y


def circular_conv2d(x, k, shape: tuple[int, int] | None = None) -> np.ndarray:
    r"""按定义计算的二维循环卷积 :math:`y[i,j]=\sum_{p,q}k[p,q]\,x[(i-p)\bmod H,(j-q)\bmod W]`
    （“卷积定理、循环卷积与补零”一节）。

    ``x``、``k`` 是二维数组，先补零到 ``shape``（默认逐维取两者的较大者）。等于
    ``ifft2(fft2(x, shape) * fft2(k, shape))``：不补零的 FFT 图像滤波在边界上“绕回”到对边，就是这个运算。
    """
    x, k = _as_signal(x, "x", ndim=2), _as_signal(k, "k", ndim=2)
    need = (max(x.shape[0], k.shape[0]), max(x.shape[1], k.shape[1]))
    if shape is None:
        shape = need
    shape = check_int_sequence(shape, "shape")
    if len(shape) != 2:
        raise ValueError(f"shape must be a pair (H, W), got {shape!r}")
    if shape[0] < need[0] or shape[1] < need[1]:
        raise ValueError(f"shape must be at least {need} elementwise (inputs are zero-padded, never cut), got {shape}")
    xp = np.zeros(shape, dtype=x.dtype)
    xp[: x.shape[0], : x.shape[1]] = x
    y = np.zeros(shape, dtype=np.result_type(x, k))
    for p in range(k.shape[0]):
        for q in range(k.shape[1]):
            y += k[p, q] * np.roll(xp, (p, q), axis=(0, 1))
    return y


def periodic_sum(y, n: int) -> np.ndarray:
    r"""把序列按周期 :math:`n` 折叠求和（沿最后一维，“卷积定理、循环卷积与补零”一节）：
    :math:`\tilde y[t]=\sum_{m\ge0}y[t+mn]`，:math:`t<n`。

    关键的恒等式：长度为 :math:`n`（:math:`n\ge\max(L_x,L_k)`）的循环卷积等于完整线性卷积的 ``periodic_sum(·, n)``。
    线性卷积长 :math:`L_x+L_k-1`，所以 :math:`n\ge L_x+L_k-1` 时没有任何项被折叠回来，两者相同。
    """
    y = _as_signal(y, "y", ndim=None)
    n = _check_length(n, "n")
    m = -(-y.shape[-1] // n)  # 需要的周期数（向上取整）
    padded = np.zeros((*y.shape[:-1], m * n), dtype=y.dtype)
    padded[..., : y.shape[-1]] = y
    return padded.reshape(*y.shape[:-1], m, n).sum(axis=-2)


def wraparound_error(x, k, n: int) -> np.ndarray:
    r"""长度为 :math:`n` 的循环卷积与线性卷积（前 :math:`n` 个值）之差：“绕回来”的那部分
    （“卷积定理、循环卷积与补零”一节）。

    由 :func:`periodic_sum` 的恒等式，误差是 :math:`e[t]=\sum_{m\ge1}y[t+mn]`，即线性卷积超出 :math:`n` 的尾巴
    折回到开头。当且仅当 :math:`n\ge L_x+L_k-1` 时（对一般的输入）它为零。返回长度 ``n`` 的数组。
    """
    x, k = _as_signal(x, "x"), _as_signal(k, "k")
    n = _check_length(n, "n")
    full = linear_conv(x, k)
    reference = np.zeros(n, dtype=full.dtype)
    m = min(n, full.shape[0])
    reference[:m] = full[:m]
    return circular_conv(x, k, n) - reference


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

    :math:`T\mathbf x` 等于 ``fft_conv(x, k, mode="causal")``；长序列建模一章用它把长卷积写成矩阵。
    """
    k = np.asarray(k)
    if k.ndim != 1 or k.size == 0:
        raise ValueError(f"k must be a non-empty 1-D array, got shape {k.shape}")
    length = k.shape[0] if length is None else _check_length(length, "length")
    col = np.zeros(length, dtype=k.dtype)
    m = min(length, k.shape[0])
    col[:m] = k[:m]
    return toeplitz(col, np.zeros(length, dtype=k.dtype))


# ---------------------------------------------------------------------------------------------
# 全书唯一的 FFT 卷积（“卷积定理、循环卷积与补零”一节推导；
# 卷积神经网络一章的 FFT 卷积层、长序列建模一章 Hyena 的长卷积调用它）
# ---------------------------------------------------------------------------------------------
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
    import torch  # imported here, so that the NumPy-only Fourier functions do not pay for importing torch

    was_numpy = not isinstance(a, torch.Tensor)
    if was_numpy:
        arr = np.asarray(a)
        if arr.dtype == object or not (np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)):
            raise TypeError(f"{name} must be a real-valued array or tensor, got dtype {arr.dtype}")
        if arr.ndim == 0:  # np.ascontiguousarray would silently make it 1-D
            raise ValueError(f"{name} must have at least one dimension, got a scalar")
        a = torch.from_numpy(np.ascontiguousarray(arr, dtype=np.float64))
    elif a.is_complex() or not (a.is_floating_point() or a.dtype in (torch.int32, torch.int64)):
        raise TypeError(f"{name} must be a real floating tensor, got {a.dtype}")
    if a.dim() == 0:
        raise ValueError(f"{name} must have at least one dimension, got a scalar")
    return a, was_numpy


def _compute_dtype(dtype: torch.dtype) -> torch.dtype:
    import torch

    return torch.float64 if dtype == torch.float64 else torch.float32


def _crop(y: torch.Tensor, lx: int, lk: int, mode: str, dim: int) -> torch.Tensor:
    if mode == "full":
        return y.narrow(dim, 0, lx + lk - 1)
    if mode == "causal":
        return y.narrow(dim, 0, lx)
    if mode == "same":  # centred, as numpy.convolve / scipy.signal.convolve
        return y.narrow(dim, (lk - 1) // 2, lx)
    return y.narrow(dim, lk - 1, lx - lk + 1)  # valid


def _check_signal_kernel(x, k, ndim: int):
    """``x`` 与 ``k`` 在最后 ``ndim`` 维之前的维度要能广播、在同一设备上；返回 (输出 dtype, FFT 计算 dtype)。"""
    import torch

    try:
        torch.broadcast_shapes(x.shape[:-ndim], k.shape[:-ndim])
    except RuntimeError:
        raise ValueError(
            f"leading dimensions of x {tuple(x.shape[:-ndim])} and k {tuple(k.shape[:-ndim])} do not broadcast"
        ) from None
    if x.device != k.device:
        raise ValueError(f"x and k must be on the same device, got {x.device} and {k.device}")
    for name, t in (("x", x), ("k", k)):
        if any(n == 0 for n in t.shape[-ndim:]):
            raise ValueError(f"{name} must not be empty along its last {ndim} dimension(s), got shape {tuple(t.shape)}")
    out_dtype = torch.promote_types(x.dtype, k.dtype) if x.is_floating_point() else torch.float32
    return out_dtype, _compute_dtype(out_dtype)


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
    import torch

    check_option(mode, "mode", CONV_MODES)
    x, x_np = _as_tensor(x, "x")
    k, k_np = _as_tensor(k, "k")
    lx, lk = x.shape[-1], k.shape[-1]
    if mode == "valid" and lk > lx:
        raise ValueError(f"mode='valid' needs the kernel (length {lk}) to fit in x (length {lx})")
    out_dtype, cdtype = _check_signal_kernel(x, k, 1)
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
    import torch

    if not isinstance(mode, str) or mode not in ("full", "same", "valid"):
        raise ValueError(f"mode must be 'full', 'same' or 'valid', got {mode!r}")
    x, x_np = _as_tensor(x, "x")
    k, k_np = _as_tensor(k, "k")
    if x.dim() < 2 or k.dim() < 2:
        raise ValueError(f"x and k must have at least 2 dimensions, got shapes {tuple(x.shape)} and {tuple(k.shape)}")
    (hx, wx), (hk, wk) = x.shape[-2:], k.shape[-2:]
    if mode == "valid" and (hk > hx or wk > wx):
        raise ValueError(f"mode='valid' needs the kernel ({hk}x{wk}) to fit in x ({hx}x{wx})")
    out_dtype, cdtype = _check_signal_kernel(x, k, 2)
    s = (fft_size(hx + hk - 1), fft_size(wx + wk - 1))
    y = torch.fft.irfft2(torch.fft.rfft2(x.to(cdtype), s=s) * torch.fft.rfft2(k.to(cdtype), s=s), s=s)
    y = _crop(_crop(y, hx, hk, mode, -2), wx, wk, mode, -1).to(out_dtype)
    return y.numpy() if (x_np and k_np) else y


# ---------------------------------------------------------------------------------------------
# 因果 FFT 卷积的快速路径（长序列建模一章的 Hyena 长卷积；“三种实现：直接、im2col 与 FFT”一节的性能讨论）
# ---------------------------------------------------------------------------------------------
class KernelSpectrum(NamedTuple):
    r"""卷积核 :math:`k`（长度 ``length``）补零到 ``n`` 点后的实数 FFT，乘了 ``scale``：
    ``spectrum`` 形状 ``(..., C, n // 2 + 1)``，是 :math:`\operatorname{rfft}(\text{scale}\cdot k)`。

    它只依赖于卷积核，所以推理时（参数不变）算一次就能反复使用；:func:`causal_fft_conv` 的 ``spectrum`` 参数接受它。
    ``signal_length`` 是它为之准备的信号长度 :math:`L`（要求 :math:`n\ge L+L_k-1`，否则会绕回）。
    """

    spectrum: torch.Tensor
    n: int
    length: int
    signal_length: int
    scale: float
    fft_dtype: torch.dtype


def _fft_plan(L: int, Lk: int, fft_dtype, dtype, device) -> tuple[int, torch.dtype, float, float]:
    """FFT 的长度、精度与两边的缩放：(n, fft_dtype, s_u, s_k)。

    float32/float64 不缩放，长度取 :func:`fft_size`；float16（只在 CUDA 上，cuFFT 要求 2 的幂）把信号乘
    :math:`1/\\sqrt L`、卷积核乘 :math:`1/\\sqrt{L_k}`，使频谱的典型大小为 O(1)：不缩放时直流分量
    :math:`\\sum_t u_t` 会超过 float16 的上限 65504。
    """
    import torch

    if fft_dtype is None:
        fft_dtype = _compute_dtype(dtype)
    if not any(fft_dtype is d for d in (torch.float16, torch.float32, torch.float64)):
        raise ValueError(f"fft_dtype must be torch.float16, torch.float32, torch.float64 or None, got {fft_dtype}")
    if fft_dtype == torch.float16:
        if torch.device(device).type != "cuda":
            raise ValueError("fft_dtype=torch.float16 needs a CUDA device (cuFFT); the CPU computes FFTs in float32/64")
        n = 1 << (L + Lk - 2).bit_length()  # the next power of two >= L + Lk - 1
        return n, fft_dtype, 1.0 / math.sqrt(L), 1.0 / math.sqrt(Lk)
    return fft_size(L + Lk - 1), fft_dtype, 1.0, 1.0


def _rfft_padded(x, n: int, scale: float, dtype):
    """rfft(scale·x 补零到 n 点)，在 ``dtype`` 中计算；GPU 上补零、缩放与类型转换合成一个核函数。"""
    import torch

    from . import triton_kernels

    if triton_kernels.enabled(x):
        return torch.fft.rfft(triton_kernels.pad_scale(x, n, scale, dtype))
    x = x.to(dtype)
    if scale != 1.0:
        x = x * scale
    return torch.fft.rfft(x, n=n)


def _cmul(a, b, conj: bool = False):
    """频域的逐点乘积 a·b（或 a·conj(b)），b 沿 a 的前导维广播。"""

    from . import triton_kernels

    F = a.shape[-1]
    trailing = tuple(b.shape)
    while len(trailing) > 2 and trailing[0] == 1:
        trailing = trailing[1:]
    if triton_kernels.enabled(a, b) and tuple(a.shape[len(a.shape) - len(trailing) :]) == trailing:
        return triton_kernels.complex_mul(a, b.reshape(-1, F), conj=conj)
    if a.dtype != b.dtype:
        b = b.to(a.dtype)
    return a * (b.conj() if conj else b)


def _crop_scale_skip(full, L: int, c: float, u, D, out_dtype):
    """c·full[..., :L] + D ⊙ u，转成 ``out_dtype``。"""
    from . import triton_kernels

    if triton_kernels.enabled(full, u) and (D is None or D.dim() == 1):
        return triton_kernels.crop_scale_skip(full, L, c, u, D, out_dtype)
    y = full[..., :L]
    if c != 1.0:
        y = y * c
    if D is not None:
        y = y + u * D.unsqueeze(-1)
    return y.to(out_dtype)


def kernel_spectrum(k, L: int, *, fft_dtype=None) -> KernelSpectrum:
    r"""为长度 ``L`` 的信号准备卷积核 ``k``（形状 ``(..., C, L_k)``）的频谱，供 :func:`causal_fft_conv` 反复使用。

    返回的频谱不参与求导（推理时用）；训练时把 ``k`` 本身传给 :func:`causal_fft_conv`，梯度才会传到卷积核。
    """
    import torch

    if not isinstance(k, torch.Tensor) or not k.is_floating_point() or k.dim() < 1:
        raise TypeError(f"k must be a real floating-point torch.Tensor of shape (..., C, L_k), got {type(k).__name__}")
    L = int(check_scalar(L, "L", Integral, min_val=1))
    n, fdt, _, s_k = _fft_plan(L, k.shape[-1], fft_dtype, k.dtype, k.device)
    with torch.no_grad():
        spec = _rfft_padded(k.detach(), n, s_k, fdt)
    return KernelSpectrum(spec, n, int(k.shape[-1]), L, s_k, fdt)


def _causal_conv_function():
    """构造（一次）执行 :func:`causal_fft_conv` 的 ``torch.autograd.Function``。"""
    global _CAUSAL_FN
    if _CAUSAL_FN is not None:
        return _CAUSAL_FN
    import torch

    class CausalFFTConv(torch.autograd.Function):
        r"""前向：:math:`Y=\operatorname{rfft}(u)\cdot\operatorname{rfft}(k)`，
        :math:`y=\operatorname{irfft}(Y)[:L]+D\odot u`。

        反向（:math:`g=\partial\mathcal L/\partial y`，:math:`G=\operatorname{rfft}(g)`，补零到同样的 :math:`n`）：

        * :math:`\partial\mathcal L/\partial u=\operatorname{irfft}(G\cdot\overline K)[:L]+D\odot g`
          （与 :math:`k` 的互相关）；
        * :math:`\partial\mathcal L/\partial k=\sum_{\text{批}}\operatorname{irfft}(G\cdot\overline U)[:L_k]`
          （与 :math:`u` 的互相关，先在频域对批求和，只做一次逆变换）；
        * :math:`\partial\mathcal L/\partial D_c=\sum_{\text{批},t} g_{c,t}u_{c,t}`。

        前向保存两个频谱 :math:`U, K`，反向只需再做一次正变换和两次逆变换；autograd 自动求导要多走好几遍。
        """

        @staticmethod
        def forward(ctx, u, k, D, spec, n, Lk, fft_dtype, s_u, s_k):
            L = u.shape[-1]
            K = spec if spec is not None else _rfft_padded(k, n, s_k, fft_dtype)
            U = _rfft_padded(u, n, s_u, fft_dtype)
            plain = s_u == 1.0 and s_k == 1.0  # float32/64: the usual irfft with its 1/n
            full = torch.fft.irfft(_cmul(U, K), n=n, norm="backward" if plain else "forward")
            y = _crop_scale_skip(full, L, 1.0 if plain else 1.0 / (n * s_u * s_k), u, D, u.dtype)
            ctx.save_for_backward(u, D, U, K)
            ctx.conf = (n, Lk, fft_dtype, s_u, s_k, k is not None, None if k is None else k.shape)
            ctx.k_dtype = None if k is None else k.dtype
            return y

        @staticmethod
        def backward(ctx, g):
            u, D, U, K = ctx.saved_tensors
            n, Lk, fft_dtype, s_u, s_k, has_k, k_shape = ctx.conf
            L = u.shape[-1]
            bdt = torch.float32 if fft_dtype == torch.float16 else fft_dtype  # gradients: never in float16
            G = _rfft_padded(g, n, 1.0, bdt)
            grad_u = grad_k = grad_D = None
            if ctx.needs_input_grad[0]:
                fu = torch.fft.irfft(_cmul(G, K, conj=True), n=n, norm="forward")
                grad_u = _crop_scale_skip(fu, L, 1.0 / (n * s_k), g, D, u.dtype)
            if has_k and ctx.needs_input_grad[1]:
                P = _cmul(G, U.to(G.dtype), conj=True).sum_to_size(*k_shape[:-1], G.shape[-1])
                grad_k = (torch.fft.irfft(P, n=n, norm="forward")[..., :Lk] / (n * s_u)).to(ctx.k_dtype)
            if D is not None and ctx.needs_input_grad[2]:
                dims = [d for d in range(g.dim()) if d != g.dim() - 2]
                grad_D = (g.to(bdt) * u.to(bdt)).sum(dim=dims).to(D.dtype)
            return grad_u, grad_k, grad_D, None, None, None, None, None, None

    _CAUSAL_FN = CausalFFTConv
    return CausalFFTConv


_CAUSAL_FN = None


def _check_causal_conv_signal(u, k, spectrum, maker: str) -> tuple[int, int]:
    """因果卷积的公共检查（``causal_fft_conv`` 与 ``lib.monarch.monarch_causal_conv``）：``u`` 形状
    ``(..., C, L)`` 的实数张量，卷积核与频谱恰好给一个。返回 ``(C, L)``。"""
    import torch

    if not isinstance(u, torch.Tensor) or not u.is_floating_point() or u.dim() < 2:
        raise TypeError(
            f"u must be a real floating-point torch.Tensor of shape (..., channels, length), got "
            f"{type(u).__name__}{tuple(u.shape) if isinstance(u, torch.Tensor) else ''}"
            f"{' of dtype ' + str(u.dtype) if isinstance(u, torch.Tensor) else ''}"
        )
    C, L = u.shape[-2], u.shape[-1]
    if L < 1 or C < 1:
        raise ValueError(f"u must have at least one channel and one time step, got shape {tuple(u.shape)}")
    if (k is None) == (spectrum is None):
        raise ValueError(f"pass exactly one of k (the kernel) and spectrum (from {maker})")
    return C, L


def _check_cached_spectrum(spectrum, cls, maker: str, field: str, u) -> None:
    """预先算好的频谱：类型是 ``cls``，为 ``u`` 的长度而算，与 ``u`` 在同一设备上，通道数为 1 或与 ``u`` 相同。"""
    C, L = u.shape[-2], u.shape[-1]
    if not isinstance(spectrum, cls):
        raise TypeError(f"spectrum must be a {cls.__name__} (from {maker}), got {type(spectrum).__name__}")
    t = getattr(spectrum, field)
    if spectrum.signal_length != L:
        raise ValueError(f"spectrum was made for signals of length {spectrum.signal_length}, got length {L}")
    if t.device != u.device:
        raise ValueError(f"spectrum is on {t.device}, u on {u.device}")
    if t.dim() >= 2 and t.shape[-2] not in (1, C):
        raise ValueError(f"spectrum has {t.shape[-2]} channels, u has {C}")


def _check_skip(D, u) -> None:
    """跳连系数 ``D``：``None``，或形状 ``(C,)``/``(1,)``、与 ``u`` 在同一设备上的张量。"""
    import torch

    C = u.shape[-2]
    if D is not None:
        if not isinstance(D, torch.Tensor) or D.shape not in ((C,), (1,)):
            raise ValueError(f"D must be a tensor of shape ({C},), got {getattr(D, 'shape', type(D).__name__)}")
        if D.device != u.device:
            raise ValueError(f"D is on {D.device}, u on {u.device}")


def causal_fft_conv(u, k=None, D=None, *, spectrum: KernelSpectrum | None = None, fft_dtype=None):
    r"""因果卷积加跳连 :math:`y_{c,t}=\sum_{s=0}^{t}k_{c,s}\,u_{c,t-s}+D_c\,u_{c,t}`，:math:`t<L`（Hyena 的长卷积）。

    ``u`` 形状 ``(..., C, L)``；卷积核二选一：``k`` 形状 ``(..., C, L_k)``（前导维与 ``u`` 广播；要对它求导时用这个），
    或 ``spectrum``——:func:`kernel_spectrum` 预先算好的频谱（推理时复用，不求导）。``D`` 形状 ``(C,)`` 或 ``None``。
    结果与 ``fft_conv(u, k, mode="causal") + D[:, None] * u`` 相同，区别在于代价：

    * 反向传播是手写的（见 ``CausalFFTConv``），保存前向的两个频谱，只需三次 FFT；
    * 核的频谱可以预先算好（``spectrum``）；
    * ``fft_dtype=torch.float16``（仅 CUDA，长度补到 2 的幂）用半精度做前向的 FFT，显存往返减半；
      梯度总在 float32 中计算。默认（``None``）float64 输入用 float64，其余用 float32；
    * CUDA 上装有 Triton 时，补零/缩放/类型转换与截取/跳连各合成一个核函数（``lib.triton_kernels``）。

    输出与 ``u`` 同类型。
    """
    import torch

    C, L = _check_causal_conv_signal(u, k, spectrum, "kernel_spectrum")
    if k is not None:
        if not isinstance(k, torch.Tensor) or not k.is_floating_point() or k.dim() < 1:
            raise TypeError(f"k must be a real floating-point torch.Tensor, got {type(k).__name__}")
        if k.shape[-1] < 1:
            raise ValueError("k must have at least one tap, got length 0")
        if k.dim() >= 2 and k.shape[-2] not in (1, C):
            raise ValueError(f"k must have shape (..., channels={C}, length), got {tuple(k.shape)}")
        _check_signal_kernel(u, k, 1)
        if k.dim() == 1:
            k = k.unsqueeze(0)
        n, fdt, s_u, s_k = _fft_plan(L, k.shape[-1], fft_dtype, u.dtype, u.device)
        spec, Lk = None, k.shape[-1]
    else:
        _check_cached_spectrum(spectrum, KernelSpectrum, "kernel_spectrum", "spectrum", u)
        n, fdt, Lk, s_k = spectrum.n, spectrum.fft_dtype, spectrum.length, spectrum.scale
        s_u = 1.0 / math.sqrt(L) if fdt == torch.float16 else 1.0
        spec = spectrum.spectrum
    _check_skip(D, u)
    if D is not None:
        if D.shape == (1,) and C != 1:
            D = D.expand(C)
    return _causal_conv_function().apply(u, k, D, spec, n, Lk, fdt, s_u, s_k)


# ---------------------------------------------------------------------------------------------
# 多通道二维 FFT 卷积：在频域里对输入通道求和（“三种实现：直接、im2col 与 FFT”一节）
# ---------------------------------------------------------------------------------------------
class MultichannelSpectrum(NamedTuple):
    r"""多通道卷积核 ``(C_out, C_in/groups, k_h, k_w)`` 补零到 ``shape`` 后的二维实数 FFT，排成频域收缩所需的布局：
    ``groups`` 组，每组 ``cg`` 个输入、``og`` 个输出通道；``cg = 1`` 时形状 ``(G, og, P_0, P_1/2+1)``，
    否则 ``(G, P_0·(P_1/2+1), cg, og)``（每个频率一个 :math:`c_g\times o_g` 矩阵）。"""

    spectrum: torch.Tensor
    shape: tuple[int, int]
    kernel_hw: tuple[int, int]
    groups: int
    cg: int
    og: int


def _conv2d_fft_shape(hw, khw, mode: str) -> tuple[int, int]:
    # 'valid' only keeps outputs whose window lies inside x, and those never wrap around a period of at least
    # the input size: no padding to H + k - 1 is needed (it matters for large kernels: 126 -> 128, not 192)
    if mode == "valid":
        return fft_size(hw[0]), fft_size(hw[1])
    return fft_size(hw[0] + khw[0] - 1), fft_size(hw[1] + khw[1] - 1)


# Kernels with at most this many taps get their spectrum from the DFT matrix restricted to the taps (one product of
# a (P0·F1 x taps) matrix with all kernels at once, and its adjoint in the backward pass) instead of an FFT of each
# kernel zero-padded to the whole P0 x P1 grid: a 3 x 3 kernel has 9 nonzeros in a 30 x 30 grid.
_SMALL_KERNEL_TAPS = 25


@functools.lru_cache(maxsize=32)
def _dft_matrices(P0: int, P1: int, kh: int, kw: int, dtype, device):
    r"""实部与虚部 ``(E_r, E_i)``，:math:`E[(f_0,f_1),(u,v)]=e^{-2\pi i(f_0u/P_0+f_1v/P_1)}`，
    :math:`f_1\le P_1/2`（实数 FFT 只保留一半频率）。"""
    import torch

    f0 = torch.arange(P0, dtype=torch.float64)[:, None, None, None]
    f1 = torch.arange(P1 // 2 + 1, dtype=torch.float64)[None, :, None, None]
    u = torch.arange(kh, dtype=torch.float64)[None, None, :, None]
    v = torch.arange(kw, dtype=torch.float64)[None, None, None, :]
    phase = (-2 * math.pi * (f0 * u / P0 + f1 * v / P1)).reshape(P0 * (P1 // 2 + 1), kh * kw)
    return torch.cos(phase).to(device, dtype), torch.sin(phase).to(device, dtype)


def _kernel_dft(kmat, Er, Ei):
    """``(E_r + i E_i) @ kmat`` for a real ``kmat``, with the adjoint as its backward: dL/dk = Re(E^H g)."""
    import torch

    class KernelDFT(torch.autograd.Function):
        @staticmethod
        def forward(ctx, kmat):
            return torch.complex(Er @ kmat, Ei @ kmat)

        @staticmethod
        def backward(ctx, g):
            g = torch.view_as_real(g.resolve_conj())
            return Er.T @ g[..., 0] + Ei.T @ g[..., 1]

    return KernelDFT.apply(kmat)


def _complex_bmm(a, b):
    """``torch.bmm`` for complex batches whose backward hands bmm contiguous, conjugation-resolved operands.

    Autograd's own backward of a complex bmm multiplies by conjugated, transposed views; the CPU kernel then copies
    every matrix of the batch separately (tens of times slower for thousands of small matrices).
    """
    import torch

    class ComplexBmm(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return torch.bmm(a, b)

        @staticmethod
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            g = g.contiguous()
            ga = gb = None
            if ctx.needs_input_grad[0]:  # dL/da = g b^H
                ga = torch.bmm(g, b.transpose(1, 2).conj().resolve_conj().contiguous())
            if ctx.needs_input_grad[1]:  # dL/db = a^H g
                gb = torch.bmm(a.transpose(1, 2).conj().resolve_conj().contiguous(), g)
            return ga, gb

    return ComplexBmm.apply(a, b)


def multichannel_spectrum(k, shape, *, groups: int = 1, dtype=None) -> MultichannelSpectrum:
    """为 :func:`fft_conv2d_multichannel` 预先计算卷积核的频谱（不参与求导时可以缓存、反复使用）。"""
    import torch

    G = int(check_scalar(groups, "groups", Integral, min_val=1))
    if not isinstance(k, torch.Tensor) or k.dim() != 4 or k.shape[0] % G != 0:
        raise ValueError(
            f"k must be a 4-D tensor (C_out, C_in/groups, kh, kw) with C_out divisible by groups={G}, "
            f"got {getattr(k, 'shape', type(k).__name__)}"
        )
    c_out, cg, kh, kw = k.shape
    og = c_out // G
    cdtype = dtype or _compute_dtype(k.dtype)
    P0, F1 = int(shape[0]), int(shape[1]) // 2 + 1
    if kh * kw <= _SMALL_KERNEL_TAPS:  # K = E k with the (P0·F1 x kh·kw) DFT matrix restricted to the kernel's taps
        kmat = k.to(cdtype).reshape(G, og, cg, kh * kw).permute(3, 0, 2, 1).reshape(kh * kw, -1)  # (T, G·cg·og)
        Kf = _kernel_dft(kmat, *_dft_matrices(P0, int(shape[1]), kh, kw, cdtype, k.device))  # (P0·F1, G·cg·og)
        if cg == 1:
            Kf = Kf.reshape(P0, F1, G, og).permute(2, 3, 0, 1)  # (G, og, P0, F1)
        else:
            Kf = Kf.reshape(P0 * F1, G, cg, og).transpose(0, 1).contiguous()  # (G, F, cg, og)
        return MultichannelSpectrum(Kf, tuple(int(s) for s in shape), (int(kh), int(kw)), G, int(cg), int(og))
    Kf = torch.fft.rfft2(k.to(cdtype), s=tuple(shape))  # (C_out, cg, P0, F1)
    Kf = Kf.reshape(G, og, cg, *Kf.shape[-2:])
    if cg == 1:
        Kf = Kf[:, :, 0]  # (G, og, P0, F1): an elementwise product per channel
    else:
        Kf = Kf.permute(0, 3, 4, 2, 1).contiguous().reshape(G, -1, cg, og)  # (G, F, cg, og), contiguous for bmm
    return MultichannelSpectrum(Kf, tuple(int(s) for s in shape), (int(kh), int(kw)), G, int(cg), int(og))


def fft_conv2d_multichannel(x, k=None, *, groups: int = 1, mode: str = "valid", spectrum=None):
    r"""多通道的二维真卷积 :math:`y[n,o]=\sum_{c\in\mathcal G(o)}k[o,c]*x[n,c]`
    （沿最后两维，模式同 :func:`fft_conv2d`）。

    ``x`` 形状 ``(N, C_in, H, W)``，``k`` 形状 ``(C_out, C_in/groups, k_h, k_w)``（或预先算好的 ``spectrum``，
    见 :func:`multichannel_spectrum`）。卷积定理把每一对 (输出, 输入) 通道的卷积变成逐点乘积，而对输入通道的求和
    是线性的，可以在逆变换 *之前* 完成：对每个频率 :math:`f`，

    .. math:: Y[n,o,f]=\sum_c X[n,c,f]\,K[o,c,f],

    即每个频率上一次 :math:`(N\times C_{in})\cdot(C_{in}\times C_{out})` 的复矩阵乘法。于是只需 :math:`NC_{in}`
    次正变换、:math:`NC_{out}` 次逆变换（与卷积核的数目 :math:`C_{out}C_{in}` 无关），中间结果也只有
    :math:`NC_{out}` 张频谱，而不是 :math:`NC_{out}C_{in}` 张。``mode="valid"`` 时 FFT 长度只需不小于输入
    （有效输出不会绕回）。
    """
    import torch

    if not isinstance(mode, str) or mode not in ("full", "same", "valid"):
        raise ValueError(f"mode must be 'full', 'same' or 'valid', got {mode!r}")
    if not isinstance(x, torch.Tensor) or x.dim() != 4:
        raise ValueError(f"x must be a 4-D tensor (N, C_in, H, W), got {getattr(x, 'shape', type(x).__name__)}")
    n, c_in, h, w = x.shape
    if spectrum is None:
        if not isinstance(k, torch.Tensor) or k.dim() != 4:
            raise ValueError(f"k must be a 4-D tensor (C_out, C_in/groups, kh, kw), got {getattr(k, 'shape', k)}")
        if x.device != k.device:
            raise ValueError(f"x and k must be on the same device, got {x.device} and {k.device}")
        out_dtype = torch.promote_types(x.dtype, k.dtype)
        cdtype = _compute_dtype(out_dtype)
        khw = tuple(k.shape[-2:])
        if mode == "valid" and (khw[0] > h or khw[1] > w):
            raise ValueError(f"mode='valid' needs the kernel {khw} to fit in x ({h}x{w})")
        spectrum = multichannel_spectrum(k, _conv2d_fft_shape((h, w), khw, mode), groups=groups, dtype=cdtype)
    elif not isinstance(spectrum, MultichannelSpectrum):
        raise TypeError(f"spectrum must be a MultichannelSpectrum, got {type(spectrum).__name__}")
    else:
        out_dtype = x.dtype
    G, cg, og, P, (kh, kw) = spectrum.groups, spectrum.cg, spectrum.og, spectrum.shape, spectrum.kernel_hw
    if c_in != G * cg:
        raise ValueError(f"x has {c_in} channels, the kernel expects groups*C_in/groups = {G * cg}")
    if P != _conv2d_fft_shape((h, w), (kh, kw), mode):
        raise ValueError(f"spectrum was made for FFT size {P}, x of size {(h, w)} in mode {mode!r} needs another")
    Kf = spectrum.spectrum
    cdtype = torch.float64 if Kf.dtype == torch.complex128 else torch.float32
    Xf = torch.fft.rfft2(x.to(cdtype).reshape(n, G, cg, h, w), s=P)  # (N, G, cg, P0, F1)
    if cg == 1:
        Yf = Xf * Kf  # (N, G, 1, P0, F1) * (G, og, P0, F1) -> (N, G, og, P0, F1)
    else:
        p0, f1 = Xf.shape[-2:]
        # one (N x cg) matrix per (group, frequency), made contiguous: on the CPU a strided batch makes bmm copy
        # every matrix separately (20x slower), and 4-D matmul is several times slower than bmm
        Xm = Xf.permute(1, 3, 4, 0, 2).contiguous().reshape(G * p0 * f1, n, cg)
        Yf = _complex_bmm(Xm, Kf.reshape(G * p0 * f1, cg, og))
        Yf = Yf.reshape(G, p0, f1, n, og).permute(3, 0, 4, 1, 2)  # (N, G, og, P0, F1)
    y = torch.fft.irfft2(Yf, s=P).reshape(n, G * og, *P)
    if mode == "valid":
        y = y[..., kh - 1 : h, kw - 1 : w]
    elif mode == "same":
        y = y[..., (kh - 1) // 2 : (kh - 1) // 2 + h, (kw - 1) // 2 : (kw - 1) // 2 + w]
    else:
        y = y[..., : h + kh - 1, : w + kw - 1]
    return y.to(out_dtype if out_dtype.is_floating_point else cdtype)
