r"""GPU 核心的几个融合核函数（Triton）：把 FFT 卷积与 Hyena 短卷积前后的逐点运算合成一次显存往返
（“三种实现：直接、im2col 与 FFT”“Hyena 与注意力：复杂度与联想回忆”两节）。

在 GPU 上，FFT 卷积和 Hyena 算子的时间主要花在 *搬运数据* 上，而不是算术：一次 ``x.to(float32)``、
一次补零、一次乘以常数、一次截取，每一步都把整个张量从显存读一遍、写一遍。这里的每个核函数把这样的一串逐点运算
合成一次读写，数学上与 PyTorch 的写法完全相同（``tests/test_triton_kernels.py`` 在 Triton 的 CPU 解释器里
逐个与 PyTorch 参照比较，CUDA 上的测试再比一次）：

===========================  ======================================================================
``pad_scale``                ``out[..., :L] = s·x``、``out[..., L:n] = 0``，并转成 FFT 的精度（补零 + 缩放 + 类型转换）
``complex_mul``              频域逐点乘积 :math:`A\odot B` 或 :math:`A\odot\bar B`（:math:`B` 沿批维广播）
``crop_scale_skip``          ``y = c·full[..., :L] + D ⊙ u``，转回输出精度（截取 + 缩放 + 跳连）
``short_conv``               Hyena 的短因果深度卷积（3 个抽头）连同输入投影的偏置，前向与反向
``monarch_conv``             ``lib.monarch`` 的整条因果卷积（两步的矩阵乘法 FFT、逐点乘、逆变换、跳连）合成一个核函数：
                             中间结果不出片上内存（:math:`256\le L\le8192`）；``conj=True`` 是反向传播中对 ``u``
                             的梯度（互相关）；``monarch_kernel_grad``：对卷积核的梯度（每个通道一个程序，对批累加）；
                             ``monarch_rows``：推理时更长的序列（三步），第一步在外面做一次矩阵乘法，其余在核函数里
===========================  ======================================================================

Triton 只在 CUDA 上使用，而且要显式打开（:func:`enable`，或环境变量 ``LIB_TRITON=1``）：这些核函数在 Triton 的
解释器里逐个验证过，``monarch_*`` 还在 CPU 上为 sm_90（H100/H200）预先编译过（共享内存放得下；按 sm_90 编译时，
:math:`128\times128` 的块有寄存器溢出），但都还没有在 GPU 上运行过（写它们的会话没有借到 GPU；
``benchmarks/gpu_run.sh`` 会打开它们并运行 CUDA 测试）。关闭时（默认）、CPU 上、或没有安装 Triton 时，
调用方走等价的 PyTorch 写法，结果相同。
环境变量 ``TRITON_INTERPRET=1`` 时 Triton 在 CPU 上解释执行这些核函数（只用于测试，此时自动打开）。
"""

from __future__ import annotations

import os

import torch

try:  # Triton ships with CUDA builds of PyTorch; the CPU wheel has none
    import triton
    import triton.language as tl
except ImportError:  # pragma: no cover - depends on the installation
    triton = None
    tl = None

__all__ = [
    "HAVE_TRITON",
    "enable",
    "enabled",
    "pad_scale",
    "complex_mul",
    "crop_scale_skip",
    "short_conv_fwd",
    "short_conv_bwd",
    "monarch_fusable",
    "monarch_conv",
    "monarch_rows",
    "monarch_kernel_grad",
]

HAVE_TRITON = triton is not None
_INTERPRET = os.environ.get("TRITON_INTERPRET", "0") == "1"
_ON = _INTERPRET or os.environ.get("LIB_TRITON", "0") == "1"
_BLOCK = 1024


def enable(on: bool = True) -> None:
    """打开（或关闭）Triton 核函数。默认关闭，直到它们在 GPU 上验证过；环境变量 ``LIB_TRITON=1`` 也会打开。"""
    global _ON
    if not isinstance(on, bool):
        raise TypeError(f"on must be a bool, got {on!r}")
    _ON = on


def enabled(*tensors: torch.Tensor) -> bool:
    """这些张量能否交给 Triton：已打开（:func:`enable`）、装了 Triton，并且都在 CUDA 上
    （解释模式下 CPU 张量也可以，只用于测试）。"""
    if not (HAVE_TRITON and _ON):
        return False
    return all(t.is_cuda or _INTERPRET for t in tensors)


def _rows(x: torch.Tensor) -> tuple[torch.Tensor, int, int, int]:
    """把 ``(..., C, L)`` 看成 ``(B, C, L)``，最后一维连续；返回 (张量, B, 批步长, 通道步长)。"""
    if x.stride(-1) != 1:
        x = x.contiguous()
    x3 = x.reshape(-1, x.shape[-2], x.shape[-1]) if x.dim() != 3 else x
    if x3.dim() != 3:
        raise ValueError(f"expected a tensor of shape (..., C, L), got {tuple(x.shape)}")
    return x3, x3.shape[0], x3.stride(0), x3.stride(1)


if HAVE_TRITON:

    @triton.jit
    def _pad_scale_kernel(x_ptr, out_ptr, C, L, n, sxb, sxc, scale, BLOCK: tl.constexpr):
        row = tl.program_id(0)
        b = row // C
        c = row % C
        t = tl.program_id(1) * BLOCK + tl.arange(0, BLOCK)
        x = tl.load(x_ptr + b * sxb + c * sxc + t, mask=t < L, other=0.0).to(tl.float32)
        tl.store(out_ptr + row * n + t, (x * scale).to(out_ptr.dtype.element_ty), mask=t < n)

    @triton.jit
    def _complex_mul_kernel(a_ptr, b_ptr, out_ptr, F, rows_b, CONJ: tl.constexpr, BLOCK: tl.constexpr):
        # a, out: (rows, F, 2) real views of complex tensors; b: (rows_b, F, 2), row r of a uses row r % rows_b of b
        row = tl.program_id(0)
        f = tl.program_id(1) * BLOCK + tl.arange(0, BLOCK)
        m = f < F
        ia = row * F * 2 + f * 2
        ib = (row % rows_b) * F * 2 + f * 2
        ar = tl.load(a_ptr + ia, mask=m, other=0.0).to(tl.float32)
        ai = tl.load(a_ptr + ia + 1, mask=m, other=0.0).to(tl.float32)
        br = tl.load(b_ptr + ib, mask=m, other=0.0).to(tl.float32)
        bi = tl.load(b_ptr + ib + 1, mask=m, other=0.0).to(tl.float32)
        if CONJ:
            bi = -bi
        tl.store(out_ptr + ia, (ar * br - ai * bi).to(out_ptr.dtype.element_ty), mask=m)
        tl.store(out_ptr + ia + 1, (ar * bi + ai * br).to(out_ptr.dtype.element_ty), mask=m)

    @triton.jit
    def _crop_scale_skip_kernel(
        full_ptr, u_ptr, d_ptr, out_ptr, C, L, n, sub, suc, c_scale, HAS_D: tl.constexpr, BLOCK: tl.constexpr
    ):
        row = tl.program_id(0)
        b = row // C
        ch = row % C
        t = tl.program_id(1) * BLOCK + tl.arange(0, BLOCK)
        m = t < L
        y = tl.load(full_ptr + row * n + t, mask=m, other=0.0).to(tl.float32) * c_scale
        if HAS_D:
            u = tl.load(u_ptr + b * sub + ch * suc + t, mask=m, other=0.0).to(tl.float32)
            y += tl.load(d_ptr + ch).to(tl.float32) * u
        tl.store(out_ptr + row * L + t, y.to(out_ptr.dtype.element_ty), mask=m)

    @triton.jit
    def _short_conv_fwd_kernel(
        z_ptr,
        w_ptr,
        bin_ptr,
        bconv_ptr,
        out_ptr,
        C,
        L,
        szb,
        szc,
        K: tl.constexpr,
        HAS_BIN: tl.constexpr,
        HAS_BCONV: tl.constexpr,
        BLOCK: tl.constexpr,
    ):
        row = tl.program_id(0)
        b = row // C
        c = row % C
        t = tl.program_id(1) * BLOCK + tl.arange(0, BLOCK)
        acc = tl.zeros([BLOCK], dtype=tl.float32)
        for j in tl.static_range(K):
            src = t - (K - 1) + j
            m = (src >= 0) & (t < L)
            x = tl.load(z_ptr + b * szb + c * szc + src, mask=m, other=0.0).to(tl.float32)
            if HAS_BIN:
                x = tl.where(m, x + tl.load(bin_ptr + c).to(tl.float32), 0.0)
            acc += tl.load(w_ptr + c * K + j).to(tl.float32) * x
        if HAS_BCONV:
            acc += tl.load(bconv_ptr + c).to(tl.float32)
        tl.store(out_ptr + row * L + t, acc.to(out_ptr.dtype.element_ty), mask=t < L)

    @triton.jit
    def _short_conv_bwd_kernel(
        g_ptr,
        z_ptr,
        w_ptr,
        bin_ptr,
        gz_ptr,
        part_ptr,
        C,
        L,
        szb,
        szc,
        n_blocks,
        K: tl.constexpr,
        HAS_BIN: tl.constexpr,
        BLOCK: tl.constexpr,
    ):
        # gz[s] = sum_j w[j] g[s + K-1 - j]; partial sums per block: sum_t g[t] x[t-(K-1)+j] (j < K) and sum_t g[t]
        row = tl.program_id(0)
        blk = tl.program_id(1)
        b = row // C
        c = row % C
        s = blk * BLOCK + tl.arange(0, BLOCK)
        ms = s < L
        gz = tl.zeros([BLOCK], dtype=tl.float32)
        for j in tl.static_range(K):
            dst = s + (K - 1) - j
            g = tl.load(g_ptr + row * L + dst, mask=dst < L, other=0.0).to(tl.float32)
            gz += tl.load(w_ptr + c * K + j).to(tl.float32) * g
        tl.store(gz_ptr + row * L + s, gz.to(gz_ptr.dtype.element_ty), mask=ms)
        g_here = tl.load(g_ptr + row * L + s, mask=ms, other=0.0).to(tl.float32)
        base = part_ptr + (row * n_blocks + blk) * (K + 2)
        for j in tl.static_range(K):
            src = s - (K - 1) + j
            m = (src >= 0) & ms
            x = tl.load(z_ptr + b * szb + c * szc + src, mask=m, other=0.0).to(tl.float32)
            if HAS_BIN:
                x = tl.where(m, x + tl.load(bin_ptr + c).to(tl.float32), 0.0)
            tl.store(base + j, tl.sum(g_here * x, axis=0))
        tl.store(base + K, tl.sum(g_here, axis=0))
        tl.store(base + K + 1, tl.sum(tl.where(ms, gz, 0.0), axis=0))

    # -----------------------------------------------------------------------------------------
    # lib.monarch's steps on register tiles (inlined into the kernels below). A complex tile is a (re, im) pair;
    # products accumulate in float32, matrix-product operands are in the matrices' dtype (tensor cores for halves).
    # -----------------------------------------------------------------------------------------
    @triton.jit
    def _cmul(ar, ai, br, bi, CONJ_B: tl.constexpr):
        """a * b, or a * conj(b), elementwise."""
        if CONJ_B:
            bi = -bi
        return ar * br - ai * bi, ar * bi + ai * br

    @triton.jit
    def _cdot(ar, ai, br, bi, PRECISION: tl.constexpr, CONJ_A: tl.constexpr, CONJ_B: tl.constexpr):
        """The matrix product a' b' with a' = a or conj(a), b' = b or conj(b): four real products.
        With a' = ar + i sa ai and b' = br + i sb bi: re = ar br - sa sb ai bi, im = sb ar bi + sa ai br."""
        rr = tl.dot(ar, br, input_precision=PRECISION)
        ii = tl.dot(ai, bi, input_precision=PRECISION)
        ri = tl.dot(ar, bi, input_precision=PRECISION)
        ir = tl.dot(ai, br, input_precision=PRECISION)
        re = rr - ii if CONJ_A == CONJ_B else rr + ii
        im = (-ri if CONJ_B else ri) + (-ir if CONJ_A else ir)
        return re, im

    @triton.jit
    def _load_steps(
        f1r_ptr, f1i_ptr, f2r_ptr, f2i_ptr, tr_ptr, ti_ptr, COLS1: tl.constexpr, N1: tl.constexpr, M: tl.constexpr
    ):
        """The matrices of the steps as register tiles: F1[:, :COLS1] (re, im), F2 (re, im) and the twiddle factors
        (re, im; float32)."""
        i1 = tl.arange(0, N1)
        im = tl.arange(0, M)
        off1 = i1[:, None] * N1 + tl.arange(0, COLS1)[None, :]
        off2 = im[:, None] * M + im[None, :]
        tw = i1[:, None] * M + im[None, :]
        return (
            tl.load(f1r_ptr + off1), tl.load(f1i_ptr + off1), tl.load(f2r_ptr + off2), tl.load(f2i_ptr + off2),
            tl.load(tr_ptr + tw).to(tl.float32), tl.load(ti_ptr + tw).to(tl.float32),
        )  # fmt: skip

    @triton.jit
    def _forward_real(a, f1r, f1i, tr, ti, f2r, f2i, PRECISION: tl.constexpr):
        """Steps 1-3 for a real (N1 / 2, M) tile (the zero-padded half is not stored; f1 = F1[:, :N1 / 2])."""
        dt = f1r.dtype
        br = tl.dot(f1r, a, input_precision=PRECISION)  # step 1: B = F1 A, A real
        bi = tl.dot(f1i, a, input_precision=PRECISION)
        cr, ci = _cmul(br, bi, tr, ti, False)  # step 2: twiddle factors
        return _cdot(cr.to(dt), ci.to(dt), f2r, f2i, PRECISION, False, False)  # step 3: rows times F2

    @triton.jit
    def _undo_steps_3_2(yr, yi, tr, ti, f2r, f2i, PRECISION: tl.constexpr):
        """The inverse of steps 3 and 2: Y conj(F2), then times conj(T). Returns float32 tiles."""
        dt = f2r.dtype
        er, ei = _cdot(yr.to(dt), yi.to(dt), f2r, f2i, PRECISION, False, True)
        return _cmul(er, ei, tr, ti, True)

    @triton.jit
    def _monarch_conv_kernel(
        u_ptr,
        kr_ptr,
        ki_ptr,
        s_ptr,
        d_ptr,
        f1r_ptr,
        f1i_ptr,
        f2r_ptr,
        f2i_ptr,
        tr_ptr,
        ti_ptr,
        out_ptr,
        C,
        L,
        sub,
        suc,
        skc,
        N1: tl.constexpr,
        M: tl.constexpr,
        H: tl.constexpr,
        HAS_SCALE: tl.constexpr,
        HAS_D: tl.constexpr,
        CONJ: tl.constexpr,
        PRECISION: tl.constexpr,
    ):
        # One (batch, channel) row: the whole causal convolution of lib.monarch with two factors N = N1 * M, every
        # intermediate in registers/shared memory. Time index t = M * n1 + n2 (n1 < N1 / 2: the padded half is zero).
        row = tl.program_id(0).to(tl.int64)  # 64-bit offsets: long rows times many channels
        b = row // C
        c = row % C
        ih = tl.arange(0, H)
        i1 = tl.arange(0, N1)
        im = tl.arange(0, M)
        t = ih[:, None] * M + im[None, :]
        mask = t < L
        tw = i1[:, None] * M + im[None, :]
        # F1[:, :H]: only the first H columns meet non-zero input
        f1r, f1i, f2r, f2i, tr, ti = _load_steps(f1r_ptr, f1i_ptr, f2r_ptr, f2i_ptr, tr_ptr, ti_ptr, H, N1, M)
        a = tl.load(u_ptr + b * sub + c * suc + t, mask=mask, other=0.0)
        dr, di = _forward_real(a.to(f1r.dtype), f1r, f1i, tr, ti, f2r, f2i, PRECISION)
        kr = tl.load(kr_ptr + c * skc + tw).to(tl.float32)  # the kernel's spectrum, in the same order
        ki = tl.load(ki_ptr + c * skc + tw).to(tl.float32)
        yr, yi = _cmul(dr, di, kr, ki, CONJ)  # conj(K) for the gradient with respect to u (a correlation)
        gr, gi = _undo_steps_3_2(yr, yi, tr, ti, f2r, f2i, PRECISION)
        offh = ih[:, None] * N1 + i1[None, :]  # undo step 1, real part, first H rows only (the output is cropped)
        dt = f2r.dtype
        y = tl.dot(tl.load(f1r_ptr + offh), gr.to(dt), input_precision=PRECISION)
        y += tl.dot(tl.load(f1i_ptr + offh), gi.to(dt), input_precision=PRECISION)
        if HAS_SCALE:
            y = y * tl.load(s_ptr + c)
        if HAS_D:
            y += tl.load(d_ptr + c).to(tl.float32) * a.to(tl.float32)
        tl.store(out_ptr + row * L + t, y.to(out_ptr.dtype.element_ty), mask=mask)

    @triton.jit
    def _monarch_rows_kernel(
        xr_ptr,
        xi_ptr,
        kr_ptr,
        ki_ptr,
        t0r_ptr,
        t0i_ptr,
        f1r_ptr,
        f1i_ptr,
        f2r_ptr,
        f2i_ptr,
        tr_ptr,
        ti_ptr,
        er_ptr,
        ei_ptr,
        C,
        F0,
        skc,
        N1: tl.constexpr,
        M: tl.constexpr,
        R: tl.constexpr,
        PRECISION: tl.constexpr,
    ):
        # Three or more steps, N = F0 * R: the first step (a matmul over F0) is done outside; this program takes one
        # row r = (batch, channel, k0) of length R = N1 * M (complex), applies the first step's twiddle factors, the
        # remaining two steps, the spectrum product and their inverses, undoes the twiddle and writes the row back.
        row = tl.program_id(0).to(tl.int64)  # 64-bit offsets: long rows times many channels
        k0 = row % F0
        c = (row // F0) % C
        i1 = tl.arange(0, N1)
        im = tl.arange(0, M)
        tw = i1[:, None] * M + im[None, :]
        dt = f1r_ptr.dtype.element_ty
        f1r, f1i, f2r, f2i, tr, ti = _load_steps(f1r_ptr, f1i_ptr, f2r_ptr, f2i_ptr, tr_ptr, ti_ptr, N1, N1, M)
        t0r = tl.load(t0r_ptr + k0 * R + tw).to(tl.float32)
        t0i = tl.load(t0i_ptr + k0 * R + tw).to(tl.float32)
        xr = tl.load(xr_ptr + row * R + tw).to(tl.float32)
        xi = tl.load(xi_ptr + row * R + tw).to(tl.float32)
        ar, ai = _cmul(xr, xi, t0r, t0i, False)  # the first step's twiddle factors
        br, bi = _cdot(f1r, f1i, ar.to(dt), ai.to(dt), PRECISION, False, False)  # step 1 on complex rows
        cr, ci = _cmul(br, bi, tr, ti, False)
        dr, di = _cdot(cr.to(dt), ci.to(dt), f2r, f2i, PRECISION, False, False)
        kr = tl.load(kr_ptr + c * skc + k0 * R + tw).to(tl.float32)
        ki = tl.load(ki_ptr + c * skc + k0 * R + tw).to(tl.float32)
        yr, yi = _cmul(dr, di, kr, ki, False)
        gr, gi = _undo_steps_3_2(yr, yi, tr, ti, f2r, f2i, PRECISION)
        hr, hi = _cdot(f1r, f1i, gr.to(dt), gi.to(dt), PRECISION, True, False)  # conj(F1) G
        outr, outi = _cmul(hr, hi, t0r, t0i, True)  # conj(T0)
        tl.store(er_ptr + row * R + tw, outr.to(er_ptr.dtype.element_ty))
        tl.store(ei_ptr + row * R + tw, outi.to(ei_ptr.dtype.element_ty))

    @triton.jit
    def _monarch_kgrad_kernel(
        g_ptr,
        u_ptr,
        f1r_ptr,
        f1i_ptr,
        f2r_ptr,
        f2i_ptr,
        tr_ptr,
        ti_ptr,
        out_ptr,
        B,
        C,
        L,
        sgb,
        sgc,
        sub,
        suc,
        root_n,
        N1: tl.constexpr,
        M: tl.constexpr,
        H: tl.constexpr,
        PRECISION: tl.constexpr,
    ):
        # dL/dk[c, s] = sum_b sum_t g[b, c, t] u[b, c, t - s]  (s < L): the inverse transform of
        # P = sum_b G_b conj(U_b), accumulated over the batch in float32 registers; one program per channel.
        c = tl.program_id(0).to(tl.int64)
        ih = tl.arange(0, H)
        i1 = tl.arange(0, N1)
        im = tl.arange(0, M)
        t = ih[:, None] * M + im[None, :]
        mask = t < L
        dt = f1r_ptr.dtype.element_ty
        f1r, f1i, f2r, f2i, tr, ti = _load_steps(f1r_ptr, f1i_ptr, f2r_ptr, f2i_ptr, tr_ptr, ti_ptr, H, N1, M)
        pr = tl.zeros([N1, M], dtype=tl.float32)
        pi = tl.zeros([N1, M], dtype=tl.float32)
        for b in range(B):
            b64 = tl.full([], b, tl.int64)
            gg = tl.load(g_ptr + b64 * sgb + c * sgc + t, mask=mask, other=0.0).to(dt)
            uu = tl.load(u_ptr + b64 * sub + c * suc + t, mask=mask, other=0.0).to(dt)
            gdr, gdi = _forward_real(gg, f1r, f1i, tr, ti, f2r, f2i, PRECISION)
            udr, udi = _forward_real(uu, f1r, f1i, tr, ti, f2r, f2i, PRECISION)
            qr, qi = _cmul(gdr, gdi, udr, udi, True)  # G conj(U)
            pr += qr
            pi += qi
        # scale to |P| <= 1 before the half-precision inverse (tiny gradients would lose their digits in float16)
        s = tl.maximum(tl.max(tl.max(tl.maximum(tl.abs(pr), tl.abs(pi)), axis=1), axis=0), 1e-30)
        gr, gi = _undo_steps_3_2(pr / s, pi / s, tr, ti, f2r, f2i, PRECISION)
        offh = ih[:, None] * N1 + i1[None, :]
        y = tl.dot(tl.load(f1r_ptr + offh), gr.to(dt), input_precision=PRECISION)
        y += tl.dot(tl.load(f1i_ptr + offh), gi.to(dt), input_precision=PRECISION)
        tl.store(out_ptr + c * L + t, y * (s * root_n), mask=mask)


def pad_scale(x: torch.Tensor, n: int, scale: float, dtype: torch.dtype) -> torch.Tensor:
    """``(..., C, L)`` → ``(..., C, n)`` 的 ``dtype`` 张量：前 ``L`` 个是 ``scale·x``，其余为 0。"""
    x3, B, sb, sc = _rows(x)
    C, L = x3.shape[-2:]
    out = torch.empty((*x.shape[:-1], n), device=x.device, dtype=dtype)
    grid = (B * C, triton.cdiv(n, _BLOCK))
    _pad_scale_kernel[grid](x3, out, C, L, n, sb, sc, float(scale), BLOCK=_BLOCK)
    return out


def complex_mul(a: torch.Tensor, b: torch.Tensor, *, conj: bool = False, out: torch.Tensor | None = None):
    """``a * b``（``conj=True`` 时 ``a * conj(b)``）：``a`` 形状 ``(..., F)``，``b`` 形状 ``(R, F)``，``a`` 的第
    ``r`` 行乘 ``b`` 的第 ``r mod R`` 行（即 ``b`` 是 ``a`` 的尾部形状、沿前导维广播）。都是复数张量（complex64 或
    complex32）；计算在 float32 中进行，结果与 ``a`` 同类型。"""
    F = a.shape[-1]
    if b.dim() != 2 or b.shape[-1] != F or (a.numel() // F) % b.shape[0] != 0:
        raise ValueError(f"b must have shape (rows, F={F}) with rows dividing a's rows, got {tuple(b.shape)}")
    a = a.contiguous()
    b = b.contiguous()
    out = torch.empty_like(a) if out is None else out
    ar, br, outr = torch.view_as_real(a), torch.view_as_real(b), torch.view_as_real(out)
    rows = a.numel() // F
    grid = (rows, triton.cdiv(F, _BLOCK))
    _complex_mul_kernel[grid](ar, br, outr, F, b.shape[0], CONJ=conj, BLOCK=_BLOCK)
    return out


def crop_scale_skip(full: torch.Tensor, L: int, c: float, u: torch.Tensor | None, D: torch.Tensor | None, dtype):
    """``c·full[..., :L] + D[:, None]·u``，结果为 ``dtype``；``full`` 形状 ``(..., C, n)`` 且连续。"""
    full = full.contiguous()
    C, n = full.shape[-2:]
    rows = full.numel() // n
    out = torch.empty((*full.shape[:-1], L), device=full.device, dtype=dtype)
    if D is not None:
        u3, _, sb, sc = _rows(u)
        d = D.contiguous()
    else:
        u3, sb, sc, d = full, 0, 0, full
    grid = (rows, triton.cdiv(L, _BLOCK))
    _crop_scale_skip_kernel[grid](full, u3, d, out, C, L, n, sb, sc, float(c), HAS_D=D is not None, BLOCK=_BLOCK)
    return out


MONARCH_MIN = (32, 16)  # tl.dot needs every dimension >= 16: N1 / 2 >= 16 and M >= 16
MONARCH_MAX = 128  # one row of N1 * M <= 16384 complex numbers per program
MONARCH_WARPS = 8  # compiled for sm_90 (tests/test_triton_kernels.py): fewer spills than 4 or 16 at every size


def monarch_fusable(factors, dtype) -> bool:
    """``lib.monarch`` 的两步（因子 ``factors``）能否交给这里的核函数：恰好两个因子，
    :math:`32\\le N_1\\le128`，:math:`16\\le M\\le128`，矩阵乘法在半精度（float16/bfloat16）中做——这正是张量核的用处；
    float32 的 IEEE 矩阵乘法在这些块上大量溢出到局部内存（按 sm_90 编译时所见），GPU 上留给未融合的写法
    （解释器里 float32 也走核函数，用来精确地核对它们）。"""
    import torch

    half = dtype in (torch.float16, torch.bfloat16) or (_INTERPRET and dtype == torch.float32)
    return (
        half
        and len(factors) == 2
        and MONARCH_MIN[0] <= factors[0] <= MONARCH_MAX
        and MONARCH_MIN[1] <= factors[1] <= MONARCH_MAX
    )


def monarch_conv(u, kr, ki, scale, D, mats1, mats2, dtype, *, conj: bool = False):
    """``lib.monarch.monarch_causal_conv`` 的前向，整条卷积在一个核函数里（每个 (批, 通道) 一个程序）。

    ``u`` ``(B, C, L)``；``kr``/``ki`` ``(C or 1, N1·M)`` 是重排后的核频谱；``scale`` ``(C or 1,)`` 或 None；
    ``mats1 = (F1r, F1i, Tr, Ti)``、``mats2 = (F2r, F2i, ...)`` 是 ``lib.monarch`` 的两步矩阵（类型 ``dtype``）。
    ``conj=True`` 时乘频谱的共轭：与卷积核的互相关（反向传播中对 ``u`` 的梯度）。
    """
    u3, B, sb, sc = _rows(u)
    C, L = u3.shape[-2:]
    N1, M = mats1[0].shape[0], mats2[0].shape[0]
    kr, ki = kr.reshape(-1, N1 * M).contiguous(), ki.reshape(-1, N1 * M).contiguous()
    if kr.shape[0] not in (1, C):
        raise ValueError(f"the spectrum has {kr.shape[0]} channels, u has {C}")
    s = scale.reshape(-1).float().contiguous() if scale is not None else kr
    if scale is not None and s.shape[0] == 1 and C != 1:
        s = s.expand(C).contiguous()
    d = D.reshape(-1).contiguous() if D is not None else kr
    if D is not None and d.shape[0] == 1 and C != 1:
        d = d.expand(C).contiguous()
    out = torch.empty((B, C, L), device=u.device, dtype=u.dtype)
    F1r, F1i, Tr, Ti = (m.contiguous() for m in mats1)
    F2r, F2i = mats2[0].contiguous(), mats2[1].contiguous()
    _monarch_conv_kernel[(B * C,)](
        u3, kr, ki, s, d, F1r, F1i, F2r, F2i, Tr, Ti, out, C, L, sb, sc, kr.stride(0) if kr.shape[0] > 1 else 0,
        N1=N1, M=M, H=N1 // 2, HAS_SCALE=scale is not None, HAS_D=D is not None, CONJ=conj,
        PRECISION="ieee" if dtype == torch.float32 else None,  # float32: no TF32 rounding
        num_warps=MONARCH_WARPS,
    )  # fmt: skip
    return out


def monarch_kernel_grad(g, u, mats1, mats2, dtype):
    """:math:`\\partial\\mathcal L/\\partial k_{c,s}=\\sum_{b,t}g_{b,c,t}\\,u_{b,c,t-s}`（:math:`s<L`），形状
    ``(C, L)``、float32：``g``、``u`` 形状 ``(B, C, L)``，两步的矩阵同 :func:`monarch_conv`。每个通道一个程序，
    在寄存器里对批累加 :math:`\\sum_bG_b\\overline{U_b}`，只做一次逆变换。"""
    g3, B, sgb, sgc = _rows(g)
    u3, _, sub, suc = _rows(u)
    C, L = u3.shape[-2:]
    N1, M = mats1[0].shape[0], mats2[0].shape[0]
    out = torch.empty((C, L), device=u.device, dtype=torch.float32)
    F1r, F1i, Tr, Ti = (m.contiguous() for m in mats1)
    _monarch_kgrad_kernel[(C,)](
        g3, u3, F1r, F1i, mats2[0].contiguous(), mats2[1].contiguous(), Tr, Ti, out, B, C, L, sgb, sgc, sub, suc,
        float(N1 * M) ** 0.5, N1=N1, M=M, H=N1 // 2, PRECISION="ieee" if dtype == torch.float32 else None,
        num_warps=MONARCH_WARPS,
    )  # fmt: skip
    return out


def monarch_rows(xr, xi, kr, ki, t0, mats1, mats2, dtype):
    """三步及以上时的后几步：``xr``/``xi`` ``(B, C, F0, R)`` 是第一步（左乘 :math:`F_{F_0}`）之后、乘旋转因子之前的
    复数行；每行在一个程序里乘第一步的旋转因子 ``t0 = (T0r, T0i)``（``(F0, R)``），做其余两步
    （``mats1``、``mats2``：:math:`R=N_1M`）、乘核的频谱 ``kr``/``ki``（``(C or 1, F0·R)``）、撤销两步与旋转因子。
    返回 ``(er, ei)``，形状同 ``xr``，供第一步的逆（左乘 :math:`\\overline{F_{F_0}}`）使用。"""
    B, C, F0, R = xr.shape
    N1, M = mats1[0].shape[0], mats2[0].shape[0]
    if N1 * M != R:
        raise ValueError(f"rows of length {R} do not match the factors {N1} x {M}")
    kr, ki = kr.reshape(-1, F0 * R).contiguous(), ki.reshape(-1, F0 * R).contiguous()
    xr, xi = xr.contiguous(), xi.contiguous()
    er, ei = torch.empty_like(xr), torch.empty_like(xi)
    F1r, F1i, Tr, Ti = (m.contiguous() for m in mats1)
    _monarch_rows_kernel[(B * C * F0,)](
        xr, xi, kr, ki, t0[0].contiguous(), t0[1].contiguous(), F1r, F1i, mats2[0].contiguous(),
        mats2[1].contiguous(), Tr, Ti, er, ei, C, F0, kr.stride(0) if kr.shape[0] > 1 else 0,
        N1=N1, M=M, R=R, PRECISION="ieee" if dtype == torch.float32 else None,
        num_warps=MONARCH_WARPS,
    )  # fmt: skip
    return er, ei


def short_conv_fwd(z, weight, bias_in, bias_conv):
    """``z`` ``(B, C, L)``（最后一维连续），``weight`` ``(C, K)``：因果深度卷积
    ``out[t] = Σ_j w[j]·(z + bias_in)[t-(K-1)+j] + bias_conv``（越界的位置为 0）。"""
    z3, B, sb, sc = _rows(z)
    C, L = z3.shape[-2:]
    K = weight.shape[-1]
    out = torch.empty((B, C, L), device=z.device, dtype=z.dtype)
    grid = (B * C, triton.cdiv(L, _BLOCK))
    w = weight.reshape(C, K).contiguous()
    b_in = bias_in.contiguous() if bias_in is not None else w
    b_cv = bias_conv.contiguous() if bias_conv is not None else w
    _short_conv_fwd_kernel[grid](
        z3,
        w,
        b_in,
        b_cv,
        out,
        C,
        L,
        sb,
        sc,
        K=K,
        HAS_BIN=bias_in is not None,
        HAS_BCONV=bias_conv is not None,
        BLOCK=_BLOCK,
    )
    return out


def short_conv_bwd(g, z, weight, bias_in):
    """:func:`short_conv_fwd` 的反向：返回 ``(grad_z, grad_weight (C, K), grad_bias_in (C,), grad_bias_conv (C,))``。"""
    z3, B, sb, sc = _rows(z)
    C, L = z3.shape[-2:]
    K = weight.shape[-1]
    g = g.contiguous()
    w = weight.reshape(C, K).contiguous()
    n_blocks = triton.cdiv(L, _BLOCK)
    gz = torch.empty((B, C, L), device=z.device, dtype=z.dtype)
    part = torch.empty((B * C, n_blocks, K + 2), device=z.device, dtype=torch.float32)
    b_in = bias_in.contiguous() if bias_in is not None else w
    grid = (B * C, n_blocks)
    _short_conv_bwd_kernel[grid](
        g, z3, w, b_in, gz, part, C, L, sb, sc, n_blocks, K=K, HAS_BIN=bias_in is not None, BLOCK=_BLOCK
    )
    sums = part.reshape(B, C, n_blocks, K + 2).sum(dim=(0, 2))  # (C, K + 2)
    return gz, sums[:, :K], sums[:, K + 1], sums[:, K]
