r"""把 FFT 写成矩阵乘法：四步（Monarch）分解与用它做的因果卷积（“Hyena 与注意力：复杂度与联想回忆”一节）。

长度 :math:`N=N_1M` 的 DFT 可以拆成三步（Cooley–Tukey 的“四步”形式）。记 :math:`\omega_N=e^{-2\pi i/N}`，
把时间下标写成 :math:`n=Mn_1+n_2`、频率下标写成 :math:`k=k_1+N_1k_2`，则
:math:`\omega_N^{nk}=\omega_{N_1}^{n_1k_1}\,\omega_N^{n_2k_1}\,\omega_M^{n_2k_2}`，于是

.. math::

   X[k_1+N_1k_2]=\sum_{n_2}\omega_M^{n_2k_2}\;\underbrace{\omega_N^{n_2k_1}}_{\text{旋转因子}}
   \sum_{n_1}\omega_{N_1}^{n_1k_1}\,x[Mn_1+n_2].

把 :math:`x` 按行排成 :math:`N_1\times M` 的矩阵 :math:`A`（``x.reshape(N1, M)``），三步是：

1. :math:`B=F_{N_1}A`——左乘一个 :math:`N_1\times N_1` 的 DFT 矩阵（对每一列做长度 :math:`N_1` 的 DFT）；
2. :math:`C=B\odot T`，:math:`T_{k_1n_2}=\omega_N^{k_1n_2}`——逐点乘旋转因子；
3. 对 :math:`C` 的每一行做长度 :math:`M` 的 DFT：当 :math:`M` 不大时右乘 :math:`F_M`，否则对 :math:`M` 再用同样的分解。

结果是 :math:`X` 的一个 *重排*（第 :math:`k_1` 行第 :math:`k_2` 列是 :math:`X[k_1+N_1k_2]`）。做卷积时不必排回去：
两个信号的频谱按同样的顺序排列，逐点相乘不受影响，逆变换按相反的顺序把每一步撤销，输出就回到自然顺序。
每一步都是小矩阵乘法，GPU 的张量核（半精度矩阵乘法）正擅长这个；FlashFFTConv
(Fu et al., 2024) 把这几步合进一个核函数，中间结果不出片上内存。这里是同一分解的朴素 PyTorch 写法：
每一步一次矩阵乘法，适合读懂、在 CPU 上对照 ``torch.fft`` 检验，训练时由 autograd 求导。

复数用实部、虚部两个实张量表示，矩阵乘法因此可以在 bfloat16/float16 中做（PyTorch 的复数矩阵乘法没有半精度）。
每一步的 DFT 矩阵都除以 :math:`\sqrt{N_1}`，整个变换是酉变换：中间结果的大小与输入同量级，半精度不会溢出。

=========================  ==========================================================================
``monarch_factors``        把 2 的幂 :math:`N` 拆成不超过 ``max_factor`` 的因子（因子数最少、大小尽量相等）
``monarch_permutation``    重排：分解的第 :math:`j` 个输出是 DFT 的第 ``perm[j]`` 个频率
``monarch_fft``            用上面的分解算 DFT（返回复张量，按自然顺序，与 ``torch.fft.fft`` 相同）
``monarch_kernel_spectrum``  卷积核的频谱（重排后的顺序），推理时算一次、反复使用
``monarch_causal_conv``    因果卷积加跳连 :math:`y=k*u+D\odot u`，与 ``lib.fourier.causal_fft_conv`` 相同
=========================  ==========================================================================

GPU 上打开 ``lib.triton_kernels`` 时，``monarch_causal_conv`` 改用融合的核函数（结果相同，
在 Triton 的解释器里逐一核对）：两步（:math:`256\le L\le8192`）时整条卷积一个核函数，
训练时反向传播另有两个（对 :math:`u` 与对 :math:`k` 的梯度）；推理时三步的序列，第一步之外的部分在一个核函数里。
核函数编译或运行失败时改走上面的写法，原因记在 ``FUSED_FAILURES``。
"""

from __future__ import annotations

import math
import warnings
from numbers import Integral
from typing import NamedTuple

import torch

from . import triton_kernels
from .fourier import _check_cached_spectrum, _check_causal_conv_signal, _check_skip
from .utils import check_scalar

__all__ = [
    "monarch_factors",
    "monarch_permutation",
    "monarch_fft",
    "monarch_kernel_spectrum",
    "monarch_causal_conv",
    "MonarchSpectrum",
    "COMPUTE_DTYPES",
    "MAX_FACTOR",
    "FUSED_FAILURES",
]

COMPUTE_DTYPES = (torch.float64, torch.float32, torch.bfloat16, torch.float16)
FUSED_FAILURES: dict = {}  # (factors, 计算类型, 输入类型) -> 融合核函数失败的原因（之后改走未融合的写法）
MAX_FACTOR = 128  # 默认的最大因子：L <= 8192（N <= 16384）时两步就够，整条卷积能放进一个 Triton 核函数


def _check_power_of_two(n, name: str, min_val: int = 2) -> int:
    n = int(check_scalar(n, name, Integral, min_val=min_val, max_val=2**30))
    if n & (n - 1):
        raise ValueError(f"{name} must be a power of two, got {n}")
    return n


def monarch_factors(n: int, max_factor: int = MAX_FACTOR) -> tuple[int, ...]:
    """把 2 的幂 ``n`` 拆成 2 的幂因子，每个不超过 ``max_factor``：因子个数最少，大小尽量相等（大的在前）。"""
    n = _check_power_of_two(n, "n", min_val=1)
    max_factor = _check_power_of_two(max_factor, "max_factor")
    e, m = n.bit_length() - 1, max_factor.bit_length() - 1
    p = max(1, -(-e // m))  # ceil(e / m) stages
    return tuple(1 << (e // p + (i < e % p)) for i in range(p))


def monarch_permutation(factors) -> torch.Tensor:
    """``perm``：分解的第 :math:`j` 个输出是 DFT 的第 ``perm[j]`` 个频率。

    递推：:math:`j=k_1M+j_2\\mapsto k_1+N_1\\,\\text{perm}'[j_2]`，:math:`\\text{perm}'` 是其余因子的重排。"""
    factors = _check_factors(factors)
    perm = torch.arange(factors[-1])
    for m in reversed(factors[:-1]):
        perm = (torch.arange(m)[:, None] + m * perm[None, :]).reshape(-1)
    return perm


def _check_factors(factors) -> tuple[int, ...]:
    if isinstance(factors, (str, bytes)) or not hasattr(factors, "__iter__"):
        raise TypeError(f"factors must be a sequence of powers of two, got {type(factors).__name__}")
    factors = tuple(_check_power_of_two(f, "factors[i]", min_val=1) for f in factors)
    if not factors:
        raise ValueError("factors must not be empty")
    return factors


# ---------------------------------------------------------------------------------------------
# 每一步的矩阵：酉 DFT 矩阵（实部、虚部）与旋转因子，按 (因子, 类型, 设备) 缓存
# ---------------------------------------------------------------------------------------------
_MATS: dict = {}


def _stage_mats(m: int, M: int, dtype: torch.dtype, device: torch.device):
    """``(Fr, Fi, Tr, Ti)``：:math:`F_m/\\sqrt m` 的实部、虚部与旋转因子 :math:`T_{k_1n_2}=\\omega_{mM}^{k_1n_2}`
    的实部、虚部（``M=1`` 时没有旋转因子，为 None）。"""
    key = (m, M, dtype, str(device))
    if key not in _MATS:
        j = torch.arange(m, dtype=torch.float64)
        ang = -2 * math.pi * torch.outer(j, j).remainder(m) / m  # 先对 m 取余：角度小，cos/sin 精确
        F = [(f / math.sqrt(m)).to(device, dtype) for f in (torch.cos(ang), torch.sin(ang))]
        T = [None, None]
        if M > 1:
            tw = -2 * math.pi * torch.outer(j, torch.arange(M, dtype=torch.float64)).remainder(m * M) / (m * M)
            T = [t.to(device, dtype) for t in (torch.cos(tw), torch.sin(tw))]
        _MATS[key] = (*F, *T)
    return _MATS[key]


def _forward(re, im, factors, rows):
    """酉 DFT（重排后的顺序），沿最后一维：``(re, im)`` 形状 ``(..., rows·N/m)``——只给出前 ``rows`` 行
    （后面的行是补的零，不必存也不必乘）；``im=None`` 表示实数输入。返回 ``(re, im)``，形状 ``(..., N)``。"""
    m, M = factors[0], math.prod(factors[1:])
    Fr, Fi, Tr, Ti = _stage_mats(m, M, re.dtype, re.device)
    Fr, Fi = Fr[:, :rows], Fi[:, :rows]  # 输入只有前 rows 行非零：只用 F 的前 rows 列
    if M == 1:  # 最后一步：右乘 F_m（对称矩阵）
        Fr, Fi = Fr.T, Fi.T
        if im is None:
            return re @ Fr, re @ Fi
        return re @ Fr - im @ Fi, re @ Fi + im @ Fr
    A = re.unflatten(-1, (rows, M))
    if im is None:  # 第 1 步：B = F A（实数输入只需两次实矩阵乘法）
        Br, Bi = Fr @ A, Fi @ A
    else:
        Ai = im.unflatten(-1, (rows, M))
        Br, Bi = Fr @ A - Fi @ Ai, Fi @ A + Fr @ Ai
    Cr, Ci = Br * Tr - Bi * Ti, Br * Ti + Bi * Tr  # 第 2 步：旋转因子
    Dr, Di = _forward(Cr, Ci, factors[1:], factors[1])  # 第 3 步：每一行长度 M 的 DFT
    return Dr.flatten(-2), Di.flatten(-2)


def _inverse(re, im, factors, rows=None):
    """:func:`_forward` 的逆（酉变换的共轭转置），把重排的频谱变回自然顺序的信号。
    ``rows`` 不为 None 时只要实部、只要前 ``rows`` 行（卷积只要前 :math:`L` 个输出）。"""
    m, M = factors[0], math.prod(factors[1:])
    Fr, Fi, Tr, Ti = _stage_mats(m, M, re.dtype, re.device)
    if rows is not None:
        Fr, Fi = Fr[:rows], Fi[:rows]
    if M == 1:  # 右乘 conj(F_m)^T = conj(F_m)
        Fr, Fi = Fr.T, Fi.T
        if rows is not None:
            return re @ Fr + im @ Fi
        return re @ Fr + im @ Fi, im @ Fr - re @ Fi
    Er, Ei = _inverse(re.unflatten(-1, (m, M)), im.unflatten(-1, (m, M)), factors[1:])  # 撤销第 3 步
    Er, Ei = Er * Tr + Ei * Ti, Ei * Tr - Er * Ti  # 撤销第 2 步：乘 conj(T)
    if rows is not None:  # 撤销第 1 步：左乘 conj(F)，只取实部
        return (Fr @ Er + Fi @ Ei).flatten(-2)
    return (Fr @ Er + Fi @ Ei).flatten(-2), (Fr @ Ei - Fi @ Er).flatten(-2)


def monarch_fft(x: torch.Tensor, *, max_factor: int = MAX_FACTOR) -> torch.Tensor:
    """沿最后一维的 DFT（不归一化，与 ``torch.fft.fft`` 相同），用四步分解的矩阵乘法计算。

    ``x`` 是实数张量，长度为 2 的幂；计算在 ``x`` 的类型中进行（float64 时与 ``torch.fft.fft`` 相差 ~1e-12）。
    返回复张量（float64 输入得 complex128，其余得 complex64），按自然频率顺序。
    """
    if not isinstance(x, torch.Tensor) or not x.is_floating_point() or x.dim() < 1:
        raise TypeError(f"x must be a real floating-point torch.Tensor, got {type(x).__name__}")
    N = _check_power_of_two(x.shape[-1], "x.shape[-1]", min_val=1)
    factors = monarch_factors(N, max_factor)
    re, im = _forward(x, None, factors, factors[0])
    out = torch.complex(
        re.to(torch.float64 if x.dtype == torch.float64 else torch.float32),
        im.to(torch.float64 if x.dtype == torch.float64 else torch.float32),
    )
    out = out * math.sqrt(N)
    return torch.empty_like(out).index_copy_(-1, monarch_permutation(factors).to(out.device), out)


class MonarchSpectrum(NamedTuple):
    r"""卷积核的频谱（重排后的顺序），供 :func:`monarch_causal_conv` 反复使用。

    ``re``、``im`` 形状 ``(..., C, N)``，类型 ``dtype``，是 :math:`\operatorname{DFT}(k)/s`；
    ``scale`` 是每个通道的 :math:`s=\max_f|\operatorname{DFT}(k)_f|`（float32，形状 ``(..., C, 1)``；
    float32/64 计算时为 None，即 :math:`s=1`）：
    半精度下把频谱缩放到 :math:`|\cdot|\le1`，乘积不会溢出，结果最后再乘回 :math:`s`。
    """

    re: torch.Tensor
    im: torch.Tensor
    scale: torch.Tensor | None
    factors: tuple
    signal_length: int
    dtype: torch.dtype


def _plan(L: int, max_factor: int) -> tuple[int, tuple[int, ...]]:
    """FFT 长度 :math:`N=2^{\\lceil\\log_2 2L\\rceil}`（不小于 :math:`2L`，因果卷积不绕回）与它的因子。"""
    N = max(2, 1 << (2 * L - 1).bit_length())
    return N, monarch_factors(N, max_factor)


def _compute_dtype(dtype, like: torch.Tensor) -> torch.dtype:
    if dtype is None:
        return like.dtype
    if not any(dtype is d for d in COMPUTE_DTYPES):
        raise ValueError(f"dtype must be one of {[str(d) for d in COMPUTE_DTYPES]} or None, got {dtype}")
    return dtype


def _half_padded(x: torch.Tensor, N: int, dtype: torch.dtype) -> torch.Tensor:
    """补零到 :math:`N/2` 点（后一半的零不存，见 :func:`_forward` 的 ``rows``）。"""
    x = x.to(dtype)
    return torch.nn.functional.pad(x, (0, N // 2 - x.shape[-1])) if x.shape[-1] < N // 2 else x


def _kernel_spectrum(k: torch.Tensor, L: int, dtype, max_factor: int) -> MonarchSpectrum:
    N, factors = _plan(L, max_factor)
    k = k[..., :L]  # 因果输出只用得到前 L 个抽头
    half = dtype in (torch.float16, torch.bfloat16)
    wdt = torch.float32 if half else dtype
    re, im = _forward(_half_padded(k, N, wdt), None, factors, factors[0] // 2)
    re, im = re * math.sqrt(N), im * math.sqrt(N)  # 酉变换乘 sqrt(N) = DFT(k)
    scale = None
    if half:
        with torch.no_grad():
            scale = torch.maximum(re.abs(), im.abs()).amax(-1, keepdim=True).clamp_min(1e-30)
        re, im = (re / scale).to(dtype), (im / scale).to(dtype)
    return MonarchSpectrum(re, im, scale, factors, int(L), dtype)


def monarch_kernel_spectrum(k, L: int, *, dtype=None, max_factor: int = MAX_FACTOR) -> MonarchSpectrum:
    """为长度 ``L`` 的信号准备卷积核 ``k``（形状 ``(..., C, L_k)``）的频谱（不参与求导，推理时用）。"""
    if not isinstance(k, torch.Tensor) or not k.is_floating_point() or k.dim() < 1 or k.shape[-1] < 1:
        raise TypeError(f"k must be a real floating-point torch.Tensor of shape (..., C, L_k), got {type(k).__name__}")
    L = int(check_scalar(L, "L", Integral, min_val=1, max_val=2**29))
    max_factor = _check_power_of_two(max_factor, "max_factor")
    with torch.no_grad():
        return _kernel_spectrum(k.detach(), L, _compute_dtype(dtype, k), max_factor)


def _three_steps_fused(u, spectrum: MonarchSpectrum, L: int) -> torch.Tensor:
    """三步（``N = F0·N1·M``）：第一步与它的逆各是一次 PyTorch 矩阵乘法，其余在 ``triton_kernels.monarch_rows`` 里。"""
    (f0, f1, f2), cdt = spectrum.factors, spectrum.dtype
    N = f0 * f1 * f2
    R = N // f0
    Fr, Fi, Tr, Ti = _stage_mats(f0, R, cdt, u.device)
    A = _half_padded(u, N, cdt).unflatten(-1, (f0 // 2, R))  # 补的零在后 f0/2 行：只用 F 的前 f0/2 列
    Br, Bi = Fr[:, : f0 // 2] @ A, Fi[:, : f0 // 2] @ A
    shape = (-1, u.shape[-2], f0, R)
    Er, Ei = triton_kernels.monarch_rows(
        Br.reshape(shape), Bi.reshape(shape), spectrum.re, spectrum.im, (Tr, Ti),
        _stage_mats(f1, f2, cdt, u.device), _stage_mats(f2, 1, cdt, u.device), cdt,
    )  # fmt: skip
    rows = -(-L // R)
    y = Fr[:rows] @ Er + Fi[:rows] @ Ei  # 第一步的逆（conj(F) 的实部），只要前 rows 行
    return y.flatten(-2)[..., :L].reshape(*u.shape[:-1], L)


class _FusedConv(torch.autograd.Function):
    """两步、要求导时的 Triton 路径：前向一个核函数；反向对 ``u`` 的梯度是同一个核函数乘共轭频谱（互相关），
    对 ``k`` 的梯度每个通道一个核函数（在寄存器里对批累加 :math:`\\sum_bG_b\\overline{U_b}`），
    对 ``D`` 的是一次求和。"""

    @staticmethod
    def forward(ctx, u, k, D, max_factor, cdt):
        L = u.shape[-1]
        spec = _kernel_spectrum(k.detach(), L, cdt, max_factor)
        f1, f2 = spec.factors
        mats = (_stage_mats(f1, f2, cdt, u.device), _stage_mats(f2, 1, cdt, u.device))
        ctx.save_for_backward(u, k, D)
        ctx.spec, ctx.mats, ctx.cdt, ctx.max_factor = spec, mats, cdt, max_factor
        return triton_kernels.monarch_conv(u, spec.re, spec.im, spec.scale, D, *mats, cdt)

    @staticmethod
    def backward(ctx, g):
        u, k, D = ctx.saved_tensors
        spec, mats, cdt = ctx.spec, ctx.mats, ctx.cdt
        g = g.contiguous()
        grad_u = grad_k = grad_D = None
        try:
            if ctx.needs_input_grad[0]:
                grad_u = triton_kernels.monarch_conv(g, spec.re, spec.im, spec.scale, D, *mats, cdt, conj=True)
            if ctx.needs_input_grad[1]:
                gk = triton_kernels.monarch_kernel_grad(g, u, *mats, cdt)[:, : k.shape[-1]]
                grad_k = torch.nn.functional.pad(gk, (0, k.shape[-1] - gk.shape[-1])).to(k.dtype)
        except Exception as err:  # noqa: BLE001 - a kernel that does not compile: the unfused path's gradients
            _record_failure(spec.factors, cdt, u.dtype, err)
            with torch.enable_grad():
                ud, kd = u.detach().requires_grad_(), k.detach().requires_grad_()
                y = monarch_causal_conv(ud, kd, D, dtype=cdt, max_factor=ctx.max_factor)
                grad_u, grad_k = torch.autograd.grad(y, (ud, kd), g)
        if D is not None and ctx.needs_input_grad[2]:
            dims = [d for d in range(g.dim()) if d != g.dim() - 2]
            acc = torch.promote_types(torch.promote_types(g.dtype, u.dtype), torch.float32)  # half: float32
            grad_D = (g.to(acc) * u.to(acc)).sum(dim=dims).to(D.dtype)
        return grad_u, grad_k, grad_D, None, None


def _record_failure(factors, cdt, udt, err) -> None:
    FUSED_FAILURES[(factors, cdt, udt)] = f"{type(err).__name__}: {err}"[:500]
    warnings.warn(
        f"lib.monarch: the fused Triton kernel failed for factors {factors} ({cdt}); the unfused path "
        f"is used instead: {FUSED_FAILURES[(factors, cdt, udt)]}",
        RuntimeWarning,
        stacklevel=3,
    )


def monarch_causal_conv(
    u: torch.Tensor,
    k=None,
    D=None,
    *,
    spectrum: MonarchSpectrum | None = None,
    dtype=None,
    max_factor: int = MAX_FACTOR,
) -> torch.Tensor:
    r"""因果卷积加跳连 :math:`y_{c,t}=\sum_{s\le t}k_{c,s}u_{c,t-s}+D_cu_{c,t}`，FFT 用四步分解的矩阵乘法做。

    参数与 :func:`lib.fourier.causal_fft_conv` 相同：``u`` 形状 ``(..., C, L)``；卷积核二选一，``k``
    （``(..., C, L_k)``，可求导）或 ``spectrum``（:func:`monarch_kernel_spectrum`，推理时复用）；``D`` 形状 ``(C,)``。
    ``dtype`` 是矩阵乘法的类型（默认与 ``u`` 相同：bfloat16 输入就用 bfloat16 的张量核）；输出与 ``u`` 同类型。
    反向传播由 autograd 完成：每一步是矩阵乘法或逐点乘法，它们的转置仍是同样形状的矩阵乘法。
    """
    C, L = _check_causal_conv_signal(u, k, spectrum, "monarch_kernel_spectrum")
    max_factor = _check_power_of_two(max_factor, "max_factor")
    _check_skip(D, u)
    if k is not None:
        if not isinstance(k, torch.Tensor) or not k.is_floating_point() or k.dim() < 1 or k.shape[-1] < 1:
            raise TypeError(
                f"k must be a real floating-point torch.Tensor with at least one tap, got {type(k).__name__}"
            )
        if k.dim() >= 2 and k.shape[-2] not in (1, C):
            raise ValueError(f"k must have shape (..., channels={C}, length), got {tuple(k.shape)}")
        if k.device != u.device:
            raise ValueError(f"k is on {k.device}, u on {u.device}")
        cdt = _compute_dtype(dtype, u)
        factors = _plan(L, max_factor)[1]
        if (
            torch.is_grad_enabled()
            and triton_kernels.enabled(u)
            and triton_kernels.monarch_fusable(factors, cdt)
            and k.dim() == 2
            and k.shape[0] == C
            and k.shape[-1] <= L
            and (factors, cdt, u.dtype) not in FUSED_FAILURES
        ):  # 训练：两步的卷积，前向与反向都在 Triton 核函数里
            try:
                return _FusedConv.apply(u, k, D, max_factor, cdt)
            except Exception as err:  # noqa: BLE001 - see below
                _record_failure(factors, cdt, u.dtype, err)
        spectrum = _kernel_spectrum(k, L, cdt, max_factor)
    else:
        _check_cached_spectrum(spectrum, MonarchSpectrum, "monarch_kernel_spectrum", "re", u)
    factors, cdt = spectrum.factors, spectrum.dtype
    N = math.prod(factors)
    needs_grad = torch.is_grad_enabled() and any(t is not None and t.requires_grad for t in (u, D, spectrum.re))
    y = None
    fusable = not needs_grad and spectrum.re.dim() <= 2 and (factors, cdt, u.dtype) not in FUSED_FAILURES
    if fusable and triton_kernels.enabled(u):
        try:  # 推理（不求导）：Triton 核函数，与下面的写法逐步相同
            if triton_kernels.monarch_fusable(factors, cdt):  # 两步：整条卷积（连同缩放与跳连）在一个核函数里
                mats1 = _stage_mats(factors[0], factors[1], cdt, u.device)
                mats2 = _stage_mats(factors[1], 1, cdt, u.device)
                return triton_kernels.monarch_conv(u, spectrum.re, spectrum.im, spectrum.scale, D, mats1, mats2, cdt)
            if len(factors) == 3 and triton_kernels.monarch_fusable(factors[1:], cdt):
                y = _three_steps_fused(u, spectrum, L)
        except Exception as err:  # noqa: BLE001 - e.g. Triton's OutOfResources for the largest tiles on some GPU
            _record_failure(factors, cdt, u.dtype, err)
    if y is None:
        Ur, Ui = _forward(_half_padded(u, N, cdt), None, factors, factors[0] // 2)
        Kr, Ki = spectrum.re, spectrum.im
        Yr, Yi = Ur * Kr - Ui * Ki, Ur * Ki + Ui * Kr  # 卷积定理：频域逐点相乘（两边是同样的重排）
        rows = -(-L // (N // factors[0]))  # 输出只要前 L 个：第一步只算前 rows 行
        y = _inverse(Yr, Yi, factors, rows)[..., :L]
    if spectrum.scale is not None:
        y = y.to(torch.float32) * spectrum.scale
    if D is not None:
        y = y + u * D.unsqueeze(-1)
    return y.to(u.dtype)  # (a float32 D with a bfloat16 u must not promote the output)
