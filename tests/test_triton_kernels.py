"""lib.triton_kernels: every fused kernel against the PyTorch expression it replaces.

On the CPU the kernels run in Triton's interpreter (TRITON_INTERPRET=1, which Triton reads when a kernel is
defined, so the checks run in a subprocess with that variable set); on a GPU the same checks run compiled, and in
bfloat16/float16 as well (marker `cuda`). The fused Hyena operator and causal_fft_conv are checked end to end
through the Triton path against the reference path.
"""

import os
import subprocess
import sys

import pytest
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def rel(a, b):
    a, b = a.double().cpu(), b.double().cpu()
    return ((a - b).norm() / b.norm().clamp_min(1e-30)).item()


def run_checks(device: str) -> list[str]:
    """All kernel checks on ``device``; returns the names of the checks that ran (every one asserts)."""
    from lib import triton_kernels as tk
    from lib.fourier import causal_fft_conv, fft_conv
    from lib.hyena import HyenaOperator

    tk.enable(True)
    assert tk.enabled(torch.zeros(1, device=device)), "Triton is not usable on " + device
    done = []
    g = torch.Generator().manual_seed(0)
    dtypes = [torch.float32] + ([torch.bfloat16, torch.float16] if device == "cuda" else [])
    for dt in dtypes:
        tol = 1e-6 if dt == torch.float32 else 1e-2
        x = torch.randn(2, 6, 37, generator=g).to(device, dt)[:, 1:4]  # a strided view, as Hyena's splits are
        out = tk.pad_scale(x, 64, 0.5, torch.float32)
        ref = torch.nn.functional.pad(x.float() * 0.5, (0, 27))
        assert out.shape == (2, 3, 64) and rel(out, ref) < 1e-6
        full = torch.randn(2, 3, 64, generator=g).to(device)
        D = torch.randn(3, generator=g).to(device)
        y = tk.crop_scale_skip(full, 37, 0.25, x, D, dt)
        assert y.dtype == dt and rel(y, full[..., :37] * 0.25 + D[:, None] * x.float()) < tol
        z = torch.randn(2, 9, 50, generator=g).to(device, dt)[:, 3:6]
        w, bi, bc = (torch.randn(*s, generator=g).to(device) for s in ((3, 3), (3,), (3,)))
        zz, ww, bbi, bbc = (t.detach().float().requires_grad_() for t in (z, w, bi, bc))
        r = torch.nn.functional.conv1d(zz + bbi[:, None], ww[:, None, :], bbc, padding=2, groups=3)[..., :50]
        assert rel(tk.short_conv_fwd(z, w, bi, bc), r) < tol
        gout = torch.randn(2, 3, 50, generator=g).to(device)
        r.backward(gout)
        gz, gw, gbi, gbc = tk.short_conv_bwd(gout.to(dt), z, w, bi)
        for a, b in ((gz, zz.grad), (gw, ww.grad), (gbi, bbi.grad), (gbc, bbc.grad)):
            assert rel(a, b) < tol
        done.append(f"pointwise kernels {dt}")
    cdts = [torch.complex64] + ([torch.complex32] if device == "cuda" else [])
    for cdt in cdts:
        a = torch.randn(2, 3, 33, generator=g, dtype=torch.complex64).to(device)
        b = torch.randn(3, 33, generator=g, dtype=torch.complex64).to(device)
        tol = 1e-6 if cdt == torch.complex64 else 2e-3
        for conj in (False, True):
            ref = a * (b.conj() if conj else b)
            assert rel(tk.complex_mul(a.to(cdt), b.to(cdt), conj=conj).to(torch.complex64), ref) < tol
        done.append(f"complex_mul {cdt}")
    # end to end: the convolution and the operator through the Triton path, with gradients
    u = torch.randn(2, 3, 37, generator=g).to(device).requires_grad_()
    k = torch.randn(3, 37, generator=g).to(device).requires_grad_()
    D = torch.randn(3, generator=g).to(device).requires_grad_()
    y = causal_fft_conv(u, k, D)
    gy = torch.randn(y.shape, generator=g).to(device)
    grads = torch.autograd.grad(y, (u, k, D), gy)
    u2, k2, D2 = (t.detach().double().requires_grad_() for t in (u, k, D))
    y2 = fft_conv(u2, k2, mode="causal") + u2 * D2[:, None]
    grads2 = torch.autograd.grad(y2, (u2, k2, D2), gy.double())
    assert rel(y, y2) < 1e-6 and all(rel(a, b) < 1e-5 for a, b in zip(grads, grads2))
    done.append("causal_fft_conv")
    done += _monarch_checks(device, g)
    torch.manual_seed(0)
    for convention in ("paper", "safari"):
        op = HyenaOperator(16, 64, order=2, filter_order=8, convention=convention).to(device)
        uu = torch.randn(2, 50, 16, device=device, requires_grad=True)
        op.fused = False
        y0 = op(uu)
        g0 = torch.autograd.grad(y0.square().sum(), [uu, *op.parameters()])
        op.fused = True
        y1 = op(uu)
        g1 = torch.autograd.grad(y1.square().sum(), [uu, *op.parameters()])
        assert rel(y1, y0) < 1e-5 and all(rel(a, b) < 1e-4 for a, b in zip(g1, g0))
        done.append(f"HyenaOperator fused {convention}")
    return done


def _monarch_checks(device: str, g: torch.Generator) -> list[str]:
    """The whole lib.monarch convolution in one kernel (inference), against float64 and the unfused path."""
    from lib import triton_kernels as tk
    from lib.fourier import causal_fft_conv
    from lib.hyena import HyenaOperator
    from lib.monarch import monarch_causal_conv, monarch_kernel_spectrum

    done, fused_calls = [], []
    kernels = {name: getattr(tk, name) for name in ("monarch_conv", "monarch_rows", "monarch_kernel_grad")}
    for name, fn in kernels.items():  # count the calls: the kernels are taken

        def counted(*a, _fn=fn, **kw):
            fused_calls.append(1)
            return _fn(*a, **kw)

        setattr(tk, name, counted)
    try:
        # On a GPU only half precision goes through these kernels (monarch_fusable); the interpreter also runs them in
        # float32, the exact comparison. Its bfloat16 tl.dot is broken in Triton 3.6: bfloat16 is checked compiled.
        mdts = [torch.float16, torch.bfloat16] if device == "cuda" else [torch.float32, torch.float16]
        for dt in mdts:
            for L in (256, 300, 1000):  # N = 512 (32 x 16), 1024 (32 x 32), 2048 (64 x 32)
                u = torch.randn(2, 3, L, generator=g).to(device)
                k = torch.randn(3, L, generator=g).to(device) * torch.exp(-torch.arange(L, device=device) / 50.0)
                D = torch.randn(3, generator=g).to(device)
                spec = monarch_kernel_spectrum(k, L, dtype=dt)
                assert tk.monarch_fusable(spec.factors, dt)
                y = monarch_causal_conv(u.to(dt), D=D, spectrum=spec)
                tk.enable(False)
                y_unfused = monarch_causal_conv(u.to(dt), D=D, spectrum=spec)
                tk.enable(True)
                ref = causal_fft_conv(u.double(), k.double(), D.double())
                bound = {torch.float32: 1e-6, torch.float16: 3e-3, torch.bfloat16: 2e-2}[dt]
                assert y.dtype == dt and rel(y, ref) < bound and rel(y, y_unfused) < bound, (dt, L, rel(y, ref))
            done.append(f"monarch_conv {dt}")
        for dt in mdts:  # three steps, (32, 32, 16) and (32, 32, 32): the last two in monarch_rows
            for L, max_factor in ((5000, 64), (9000, 128)):
                u = torch.randn(1, 2, L, generator=g).to(device)
                k = torch.randn(2, L, generator=g).to(device) * torch.exp(-torch.arange(L, device=device) / 300.0)
                D = torch.randn(2, generator=g).to(device)
                spec = monarch_kernel_spectrum(k, L, dtype=dt, max_factor=max_factor)
                assert len(spec.factors) == 3 and tk.monarch_fusable(spec.factors[1:], dt)
                y = monarch_causal_conv(u.to(dt), D=D, spectrum=spec)
                bound = {torch.float32: 1e-6, torch.float16: 3e-3, torch.bfloat16: 2e-2}[dt]
                err = rel(y, causal_fft_conv(u.double(), k.double(), D.double()))
                assert y.dtype == dt and err < bound, (dt, L, err)
            done.append(f"monarch_rows {dt}")
        # training (two steps): forward and backward in kernels; gradients against float64 and the unfused path
        for dt in mdts:
            L = 1000
            u, k = torch.randn(2, 3, L, generator=g), torch.randn(3, 900, generator=g) / 30
            D, gy = torch.randn(3, generator=g), torch.randn(2, 3, L, generator=g)
            leaves = [t.to(device).requires_grad_() for t in (u.to(dt), k, D)]
            n_fused = len(fused_calls)
            grads = torch.autograd.grad(monarch_causal_conv(*leaves), leaves, gy.to(device, dt))
            assert len(fused_calls) == n_fused + 3  # forward, grad_u (conj), grad_k
            tk.enable(False)
            unfused = torch.autograd.grad(monarch_causal_conv(*leaves), leaves, gy.to(device, dt))
            tk.enable(True)
            ref_leaves = [t.double().requires_grad_() for t in (u, k, D)]
            ref = torch.autograd.grad(causal_fft_conv(*ref_leaves), ref_leaves, gy.double())
            bound = {torch.float32: 1e-5, torch.float16: 5e-3, torch.bfloat16: 3e-2}[dt]
            for a, b, r in zip(grads, unfused, ref):
                assert a.dtype == b.dtype and rel(a, r) < bound and rel(b, r) < bound, (dt, rel(a, r), rel(b, r))
            done.append(f"monarch training {dt}")
        torch.manual_seed(0)
        op_dt = mdts[0]  # the operator in a dtype the kernels take here; its reference path in the same dtype
        tol_y, tol_g = (1e-5, 1e-4) if op_dt == torch.float32 else (1e-2, 5e-2)
        op = HyenaOperator(16, 300, order=2, filter_order=8, fft_impl="monarch").to(device, op_dt)
        uu = torch.randn(2, 300, 16, device=device).to(op_dt)
        with torch.no_grad():
            op.fused = False
            y0 = op(uu)
            op.fused = True
            assert rel(op(uu), y0) < tol_y
        uu.requires_grad_()  # training: every parameter's gradient through the kernels
        grads = {}
        for fused in (False, True):
            op.fused = fused
            grads[fused] = torch.autograd.grad(op(uu).float().square().sum(), [uu, *op.parameters()])
        assert all(rel(a, b) < tol_g for a, b in zip(grads[True], grads[False]))
    finally:
        for name, fn in kernels.items():
            setattr(tk, name, fn)
    assert len(fused_calls) == 8 * len(mdts) + 2 + 6  # every convolution above went through a kernel
    done.append("HyenaOperator monarch (fused kernel)")
    return done


def test_triton_kernels_in_the_interpreter():
    """On the CPU: the same kernels, interpreted by Triton, in a subprocess with TRITON_INTERPRET=1."""
    env = {**os.environ, "TRITON_INTERPRET": "1", "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    code = f"import sys; sys.path.insert(0, {HERE!r}); import test_triton_kernels as t; print(t.run_checks('cpu'))"
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "HyenaOperator fused safari" in proc.stdout and "HyenaOperator monarch (fused kernel)" in proc.stdout


@pytest.mark.cuda
def test_triton_kernels_compiled_on_cuda():
    from lib import triton_kernels

    try:
        assert "complex_mul torch.complex32" in run_checks("cuda")
    finally:
        triton_kernels.enable(False)


def test_triton_kernels_are_off_unless_enabled(monkeypatch):
    from lib import triton_kernels

    monkeypatch.setattr(triton_kernels, "_ON", False)
    monkeypatch.setattr(triton_kernels, "_INTERPRET", False)
    assert not triton_kernels.enabled(torch.zeros(1))
    triton_kernels.enable(True)
    assert not triton_kernels.enabled(torch.zeros(1))  # on, but a CPU tensor outside the interpreter
    triton_kernels.enable(False)
    with pytest.raises(TypeError, match="on must be a bool"):
        triton_kernels.enable("yes")


# Every kernel of lib.triton_kernels, with its constexpr arguments at the largest values the library passes
# (the monarch kernels: the sizes lib.monarch can hand them on a GPU, in half precision) and the pointer types
# it uses (pointers not listed take the case's dtype).
HOPPER_CASES = [
    ("_pad_scale_kernel", "bf16", dict(BLOCK=1024), {"out_ptr": "*fp32"}),
    ("_complex_mul_kernel", "fp16", dict(CONJ=True, BLOCK=1024), {}),  # complex32 as (re, im) float16 pairs
    ("_crop_scale_skip_kernel", "bf16", dict(HAS_D=True, BLOCK=1024), {"full_ptr": "*fp32", "d_ptr": "*fp32"}),
    ("_short_conv_fwd_kernel", "bf16", dict(K=3, HAS_BIN=True, HAS_BCONV=True, BLOCK=1024), {}),
    ("_short_conv_bwd_kernel", "bf16", dict(K=3, HAS_BIN=True, BLOCK=1024), {"part_ptr": "*fp32"}),
    ("_monarch_conv_kernel", "bf16", dict(N1=128, M=128, H=64, HAS_SCALE=False, HAS_D=True, CONJ=False), {}),
    ("_monarch_conv_kernel", "fp16", dict(N1=128, M=64, H=64, HAS_SCALE=True, HAS_D=True, CONJ=True), {}),
    ("_monarch_conv_kernel", "bf16", dict(N1=32, M=16, H=16, HAS_SCALE=False, HAS_D=False, CONJ=False), {}),
    ("_monarch_rows_kernel", "bf16", dict(N1=64, M=64, R=4096), {}),
    ("_monarch_kgrad_kernel", "bf16", dict(N1=128, M=128, H=64), {"out_ptr": "*fp32"}),
]


def test_every_kernel_has_a_compile_case():
    from lib import triton_kernels as tk

    kernels = {n for n in dir(tk) if n.endswith("_kernel") and hasattr(getattr(tk, n), "params")}
    assert kernels == {case[0] for case in HOPPER_CASES}


@pytest.mark.parametrize("name, dt, consts, ptrs", HOPPER_CASES, ids=[f"{c[0]}-{c[1]}" for c in HOPPER_CASES])
def test_kernels_compile_for_hopper(name, dt, consts, ptrs):
    """Without a GPU: Triton compiles each kernel ahead of time for sm_90 (H100/H200) with ptxas from its wheel,
    and the shared memory it needs fits in a block (227 KiB). A kernel that only the interpreter had seen could
    still fail here (too much shared memory, a dot the hardware does not have, a construct the compiler rejects)."""
    import triton  # in requirements.txt (the CPU wheel carries the interpreter and ptxas)
    from triton.backends.compiler import GPUTarget
    from triton.compiler import ASTSource

    from lib import triton_kernels as tk

    fn = getattr(tk, name)
    consts = {**consts, "PRECISION": None} if "PRECISION" in fn.arg_names else consts
    sig = {}
    for p in fn.params:
        if p.is_constexpr:
            sig[p.name] = "constexpr"
        elif p.name.endswith("_ptr"):
            sig[p.name] = ptrs.get(p.name, f"*{dt}")
        else:
            sig[p.name] = "fp32" if p.name in ("scale", "c_scale", "root_n") else "i32"
    constexprs = {(fn.arg_names.index(k),): v for k, v in consts.items()}
    src = ASTSource(fn=fn, signature=sig, constexprs=constexprs)
    warps = tk.MONARCH_WARPS if name.startswith("_monarch") else 4  # 4: Triton's default, as the launches use
    compiled = triton.compile(src, target=GPUTarget("cuda", 90, 32), options={"num_warps": warps})
    assert compiled.asm["cubin"] and compiled.metadata.shared <= 227 * 1024
