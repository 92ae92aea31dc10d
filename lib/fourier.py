r"""傅里叶变换与卷积定理（第 3 章），以及全书唯一的一份 FFT 卷积（第 15、18 章复用）。

第 3 章的三节按这个文件从上到下的顺序展开：

* **3.1 傅里叶级数与傅里叶变换**。周期为 :math:`T` 的函数（频率 :math:`f_0=1/T`，角频率 :math:`\omega_0=2\pi/T`）
  展开成 :math:`f(t)=\sum_n c_n e^{in\omega_0 t}`，系数 :math:`c_n=\frac1T\int_0^T f(t)e^{-in\omega_0 t}\,dt`；
  非周期函数用傅里叶变换 :math:`F(\xi)=\int f(t)e^{-2\pi i\xi t}\,dt`（:math:`\xi` 是以 Hz 计的普通频率）。
* **3.2 DFT 与 FFT**。:math:`X[k]=\sum_{n=0}^{N-1}x[n]\,e^{-2\pi ikn/N}`，写成矩阵就是 :math:`X=F\mathbf x`；
  基-2 Cooley–Tukey 算法把它从 :math:`O(N^2)` 降到 :math:`O(N\log N)`。
* **3.3 卷积定理、循环卷积与补零**。DFT 把 *循环* 卷积变成逐点乘积；循环卷积等于线性卷积按周期 :math:`n`
  折叠求和，所以把两个序列都补零到至少 :math:`L_x+L_k-1` 点，循环卷积就不会“绕回来”，与线性卷积相同。
  第 15 章的 FFT 卷积层和第 18 章 Hyena 的长卷积都调用这里的 ``fft_conv``/``fft_conv2d``，而不是各写一份。

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
=======================  ===============================================================

``fft_conv``/``fft_conv2d`` 接受 PyTorch 张量（任意设备，可求导）或 NumPy 数组（返回 NumPy 数组）。半精度输入在
float32 中做 FFT 再转回原类型（cuFFT 的半精度只支持 2 的幂长度，精度也不够）。第 3 章的其余函数是 NumPy 的
参照实现：按定义写成，读起来与书中的公式一一对应，用来核对 ``numpy.fft``、``scipy.signal`` 与 ``fft_conv``。
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import TYPE_CHECKING

import numpy as np

from .utils import check_scalar

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
    "fft_conv",
    "fft_conv2d",
    "CONV_MODES",
]

CONV_MODES = ("full", "same", "valid", "causal")


def _check_length(n, name: str = "n") -> int:
    if isinstance(n, bool) or not isinstance(n, Integral) or n < 1:
        raise ValueError(f"{name} must be a positive int, got {n!r}")
    return int(n)


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
    r"""周期为 ``period``（:math:`T`）的函数 ``f`` 的傅里叶级数系数 :math:`c_{-N},\dots,c_N`（3.1 节）。

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
    r"""傅里叶级数的部分和 :math:`S_N(t)=\sum_{n=-N}^{N}c_n\,e^{2\pi i nt/T}`（3.1 节）。

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
    r"""傅里叶变换 :math:`F(\xi)=\int_{-\infty}^{\infty}f(t)\,e^{-2\pi i\xi t}\,dt` 的数值积分（3.1 节）。

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
    j = np.arange(n)
    W = np.exp(-2j * np.pi * np.outer(j, j) / n)
    return W / np.sqrt(n) if unitary else W


def dft(x) -> np.ndarray:
    r"""按定义计算的 DFT :math:`X[k]=\sum_{n=0}^{N-1}x[n]\,e^{-2\pi ikn/N}`，沿最后一维（3.2 节）。

    就是乘以（未归一化的）DFT 矩阵：:math:`O(N^2)` 次乘法，只作参照。结果与 ``numpy.fft.fft`` 相同。
    """
    x = _as_signal(x, "x", ndim=None)
    return x @ dft_matrix(x.shape[-1], unitary=False).T


def idft(X) -> np.ndarray:
    r"""按定义计算的逆 DFT :math:`x[n]=\frac1N\sum_{k=0}^{N-1}X[k]\,e^{2\pi ikn/N}`，沿最后一维（3.2 节）。

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
    r"""递归的基-2 Cooley–Tukey FFT，沿最后一维，长度须是 2 的幂（3.2 节）。

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
    r"""按定义计算的一维线性卷积 :math:`y[t]=\sum_s k[s]\,x[t-s]`（3.3 节），:math:`O(L_xL_k)` 的参照实现。

    完整结果长 :math:`L_x+L_k-1`；``mode`` 的截取规则与 :func:`fft_conv` 完全相同（``"same"``、``"valid"`` 与
    ``scipy.signal.convolve`` 相同，``"causal"`` 取前 :math:`L_x` 个）。``x``、``k`` 是一维实数或复数数组。
    """
    if mode not in CONV_MODES:
        raise ValueError(f"mode must be one of {CONV_MODES}, got {mode!r}")
    x, k = _as_signal(x, "x"), _as_signal(k, "k")
    lx, lk = x.shape[0], k.shape[0]
    if mode == "valid" and lk > lx:
        raise ValueError(f"mode='valid' needs the kernel (length {lk}) to fit in x (length {lx})")
    y = np.zeros(lx + lk - 1, dtype=np.result_type(x, k))
    for s in range(lk):  # 抽头 k[s] 把整段 x 向后平移 s 位再加权累加
        y[s : s + lx] += k[s] * x
    return _slice_mode(y, lx, lk, mode)


def circular_conv(x, k, n: int | None = None) -> np.ndarray:
    r"""按定义计算的长度为 :math:`n` 的循环卷积（3.3 节）：

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
    r"""按定义计算的二维循环卷积 :math:`y[i,j]=\sum_{p,q}k[p,q]\,x[(i-p)\bmod H,(j-q)\bmod W]`（3.3 节）。

    ``x``、``k`` 是二维数组，先补零到 ``shape``（默认逐维取两者的较大者）。等于
    ``ifft2(fft2(x, shape) * fft2(k, shape))``：不补零的 FFT 图像滤波在边界上“绕回”到对边，就是这个运算。
    """
    x, k = _as_signal(x, "x", ndim=2), _as_signal(k, "k", ndim=2)
    need = (max(x.shape[0], k.shape[0]), max(x.shape[1], k.shape[1]))
    if shape is None:
        shape = need
    if len(shape) != 2:
        raise ValueError(f"shape must be a pair (H, W), got {shape!r}")
    shape = (_check_length(shape[0], "shape[0]"), _check_length(shape[1], "shape[1]"))
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
    r"""把序列按周期 :math:`n` 折叠求和（沿最后一维，3.3 节）：:math:`\tilde y[t]=\sum_{m\ge0}y[t+mn]`，:math:`t<n`。

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
    r"""长度为 :math:`n` 的循环卷积与线性卷积（前 :math:`n` 个值）之差：“绕回来”的那部分（3.3 节）。

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


# ---------------------------------------------------------------------------------------------
# 全书唯一的 FFT 卷积（3.3 节推导；第 15 章的 FFT 卷积层、第 18 章 Hyena 的长卷积调用它）
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
    import torch  # imported here, so that the NumPy-only functions of chapter 3 do not pay for importing torch

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

    if mode not in CONV_MODES:
        raise ValueError(f"mode must be one of {CONV_MODES}, got {mode!r}")
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

    if mode not in ("full", "same", "valid"):
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
