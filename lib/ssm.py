r"""线性状态空间模型（SSM）与“记忆”（“记忆与平滑”“状态空间模型：递推与卷积”两节；
长序列建模一章后面几节的长卷积由它引出）。

连续时间的线性 SSM 把输入 :math:`u(t)` 经过状态 :math:`\mathbf x(t)\in\mathbb R^n` 映射到输出 :math:`y(t)`：

.. math::  \mathbf x'(t) = A\mathbf x(t) + B u(t),\qquad y(t) = C\mathbf x(t) + D u(t).

以步长 :math:`\Delta` 离散化（零阶保持或双线性变换）得到 :math:`(\bar A,\bar B)`，本模块统一使用的离散递推是

.. math::

    \mathbf x_k = \bar A\mathbf x_{k-1} + \bar B u_k,\qquad y_k = C\mathbf x_k + D u_k,\qquad \mathbf x_{-1}=\mathbf 0,

把它展开就是一个因果卷积 :math:`y_k=\sum_{j\le k}K_{k-j}u_j + Du_k`，卷积核 :math:`K_t = C\bar A^t\bar B`。
同一个系统因此有两种算法：逐步递推（``ssm_scan``，:math:`O(Ln^2)`，适合在线生成）与
一次长卷积（``ssm_conv``，用 ``lib.fourier.fft_conv`` 在 :math:`O(L\log L)` 内完成，适合并行训练）。

=========================  ==================================================================
``discretize``             :math:`(A,B,\Delta)\mapsto(\bar A,\bar B)`，``"zoh"`` 或 ``"bilinear"``
``ssm_kernel``             :math:`K_t=C\bar A^t\bar B`（:math:`t=0..L-1`），可加 :math:`D\delta_t`
``ssm_scan``               逐步递推
``ssm_conv``               卷积形式（FFT）；与 ``ssm_scan`` 结果相同
``impulse_response``       连续系统的冲激响应 :math:`C e^{At}B`
``ema``                    指数滑动平均 :math:`a_t=\beta a_{t-1}+u_t`：最小的 SSM（:math:`A=\beta,B=C=1`）
``memory_profile``         用自动求导得到 :math:`\lVert\partial y_t/\partial u_s\rVert`，度量模型的记忆
``memory_length``          记忆长度：影响不小于 :math:`\varepsilon`（相对最大值）的最远滞后
=========================  ==================================================================

注意下标约定：若写成 :math:`\mathbf x_{k+1}=\bar A\mathbf x_k+\bar Bu_k`（``scipy.signal.dlsim`` 的约定），
输入要晚一步才影响输出，核变成 :math:`C\bar A^{t-1}\bar B`（:math:`t\ge1`）。两者只差一个平移，但混用就会错位。
"""

from __future__ import annotations

from collections.abc import Callable
from numbers import Integral, Real

import numpy as np
import scipy.linalg

from .fourier import fft_conv
from .utils import check_array, check_option, check_scalar

__all__ = [
    "discretize",
    "ssm_kernel",
    "ssm_scan",
    "ssm_conv",
    "impulse_response",
    "ema",
    "memory_profile",
    "memory_length",
]

DISCRETIZATION_METHODS = ("zoh", "bilinear")


# ---------------------------------------------------------------------------------------------
# 输入检查：单输入单输出（SISO）系统，A 为 n×n，B、C 为长度 n 的向量，D 为标量
# ---------------------------------------------------------------------------------------------
def _check_system(A, B, C=None):
    A = check_array(A, "A", ndim=2)
    n = A.shape[0]
    if A.shape != (n, n):
        raise ValueError(f"A must be a square matrix, got shape {A.shape}")
    B = check_array(B, "B", ndim=(1, 2)).reshape(-1)
    if B.shape[0] != n:
        raise ValueError(f"B must have {n} entries to match A ({n}x{n}), got {B.shape[0]}")
    if C is None:
        return A, B
    C = check_array(C, "C", ndim=(1, 2)).reshape(-1)
    if C.shape[0] != n:
        raise ValueError(f"C must have {n} entries to match A ({n}x{n}), got {C.shape[0]}")
    return A, B, C


def _check_D(D) -> float:
    return float(check_scalar(D, "D", Real))


# ---------------------------------------------------------------------------------------------
# 离散化
# ---------------------------------------------------------------------------------------------
def discretize(A, B, dt: float, method: str = "zoh") -> tuple[np.ndarray, np.ndarray]:
    r"""把连续系统 :math:`\mathbf x'=A\mathbf x+Bu` 以步长 ``dt`` 离散化，返回 :math:`(\bar A,\bar B)`
    （“状态空间模型：递推与卷积”一节）。

    * ``"zoh"``（零阶保持：假设 :math:`u` 在每一步内不变）：:math:`\bar A=e^{\Delta A}`，
      :math:`\bar B=\int_0^\Delta e^{sA}\,ds\;B\;(=A^{-1}(e^{\Delta A}-I)B`，当 :math:`A` 可逆）。
      这里用分块矩阵的指数 :math:`\exp\bigl(\Delta\begin{psmallmatrix}A&B\\0&0\end{psmallmatrix}\bigr)
      =\begin{psmallmatrix}\bar A&\bar B\\0&1\end{psmallmatrix}` 计算，:math:`A` 奇异时也成立。
    * ``"bilinear"``（梯形公式 / Tustin）：:math:`\bar A=(I-\tfrac\Delta2A)^{-1}(I+\tfrac\Delta2A)`，
      :math:`\bar B=(I-\tfrac\Delta2A)^{-1}\Delta B`（S4 的约定，:math:`C` 保持不变）。
    """
    A, B = _check_system(A, B)
    dt = check_scalar(dt, "dt", Real, min_val=0, include_min=False)
    check_option(method, "method", DISCRETIZATION_METHODS)
    n = A.shape[0]
    if method == "zoh":
        M = np.zeros((n + 1, n + 1))
        M[:n, :n] = A
        M[:n, n] = B
        E = scipy.linalg.expm(dt * M)
        return E[:n, :n], E[:n, n]
    eye = np.eye(n)
    left = eye - dt / 2 * A
    return np.linalg.solve(left, eye + dt / 2 * A), np.linalg.solve(left, dt * B)


# ---------------------------------------------------------------------------------------------
# 卷积核、递推与卷积
# ---------------------------------------------------------------------------------------------
def ssm_kernel(A, B, C, length: int, D: float = 0.0) -> np.ndarray:
    r"""离散 SSM 的卷积核 :math:`K_t=C\bar A^t\bar B`，:math:`t=0,\dots,L-1`；``D`` 非零时 :math:`K_0` 再加 :math:`D`。

    ``A``、``B`` 是 *离散化之后* 的矩阵（先调用 :func:`discretize`）。按 :math:`\mathbf v\leftarrow\bar A\mathbf v`
    迭代计算，代价 :math:`O(Ln^2)`。:math:`K_t` 就是 :math:`\partial y_{k}/\partial u_{k-t}`：“记忆与平滑”一节的“记忆”。
    """
    A, B, C = _check_system(A, B, C)
    length = check_scalar(length, "length", Integral, min_val=1)
    D = _check_D(D)
    K = np.empty(length)
    v = B.copy()
    for t in range(length):
        K[t] = C @ v
        v = A @ v
    K[0] += D
    return K


def _check_u(u) -> np.ndarray:
    u = check_array(u, "u", ndim=None)
    if u.ndim == 0:
        raise ValueError("u must have at least one dimension (time is the last axis), got a scalar")
    return u


def ssm_scan(A, B, C, u, D: float = 0.0, x0=None, *, return_states: bool = False):
    r"""逐步递推 :math:`\mathbf x_k=\bar A\mathbf x_{k-1}+\bar Bu_k`，:math:`y_k=C\mathbf x_k+Du_k`
    （“状态空间模型：递推与卷积”一节）。

    ``u`` 形状 ``(..., L)``：最后一维是时间，前面的维度是互不相干的批量（每个序列各自从 ``x0`` 出发）。
    ``x0`` 是 :math:`\mathbf x_{-1}`，默认 :math:`\mathbf 0`。``return_states=True`` 时同时返回状态，
    形状 ``(..., L, n)``。
    """
    A, B, C = _check_system(A, B, C)
    D = _check_D(D)
    u = _check_u(u)
    n = A.shape[0]
    x = np.zeros(u.shape[:-1] + (n,))
    if x0 is not None:
        x0 = check_array(x0, "x0", ndim=1)
        if x0.shape != (n,):
            raise ValueError(f"x0 must have {n} entries to match A, got shape {x0.shape}")
        x = x + x0
    L = u.shape[-1]
    y = np.empty(u.shape)
    states = np.empty(u.shape + (n,)) if return_states else None
    for k in range(L):
        x = x @ A.T + u[..., k, None] * B
        y[..., k] = x @ C + D * u[..., k]
        if return_states:
            states[..., k, :] = x
    return (y, states) if return_states else y


def ssm_conv(A, B, C, u, D: float = 0.0) -> np.ndarray:
    r"""卷积形式：先求卷积核 :math:`K`（:func:`ssm_kernel`），再做一次因果卷积 :math:`y=K*u+Du`
    （“状态空间模型：递推与卷积”一节）。

    卷积用全书唯一的 FFT 卷积 ``lib.fourier.fft_conv(u, K, mode="causal")``（补零到不小于 :math:`2L-1`）。
    结果与 :func:`ssm_scan`（零初始状态）相同。
    """
    u = _check_u(u)
    K = ssm_kernel(A, B, C, u.shape[-1], D=D)
    return fft_conv(u, K, mode="causal")


def impulse_response(A, B, C, t) -> np.ndarray:
    r"""连续系统的冲激响应 :math:`h(t)=Ce^{At}B`（:math:`t\ge0`），用来与离散核 :math:`K_k/\Delta` 比较。"""
    A, B, C = _check_system(A, B, C)
    t = check_array(t, "t", ndim=1)
    if np.any(t < 0):
        raise ValueError("t must be non-negative (the response of a causal system starts at t = 0)")
    return scipy.linalg.expm(t[:, None, None] * A) @ B @ C  # 一次算出一叠矩阵指数 e^{A t_i}


# ---------------------------------------------------------------------------------------------
# 最小的 SSM：指数滑动平均（遗忘假设下的记忆量）
# ---------------------------------------------------------------------------------------------
def ema(u, beta: float, a0: float = 0.0):
    r"""指数滑动平均 / 遗忘累加 :math:`a_t=\beta a_{t-1}+u_t`，:math:`a_{-1}=a_0`（“记忆与平滑”一节）。

    它是 :math:`A=\beta`、:math:`B=C=1`、:math:`D=0` 的一维 SSM：
    :math:`a_t=\sum_{s\le t}\beta^{t-s}u_s+\beta^{t+1}a_0`，
    记忆核 :math:`\beta^n`。输入恒为 1 时 :math:`a_t\to 1/(1-\beta)`。
    ``u`` 形状 ``(..., L)``，可以是 NumPy 数组（返回 NumPy）或 PyTorch 张量（返回张量，可求导）。
    """
    beta = check_scalar(beta, "beta", Real, min_val=0, max_val=1, include_max=False)
    a0 = check_scalar(a0, "a0", Real)
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency
        torch = None
    if torch is not None and isinstance(u, torch.Tensor):
        if u.dim() == 0:
            raise ValueError("u must have at least one dimension (time is the last axis), got a scalar")
        a = torch.full(u.shape[:-1], float(a0), dtype=u.dtype, device=u.device)
        out = []
        for t in range(u.shape[-1]):
            a = beta * a + u[..., t]
            out.append(a)
        return torch.stack(out, dim=-1)
    u = _check_u(u)
    out = np.empty(u.shape)
    a = np.full(u.shape[:-1], float(a0))
    for t in range(u.shape[-1]):
        a = beta * a + u[..., t]
        out[..., t] = a
    return out


# ---------------------------------------------------------------------------------------------
# 记忆：输出对过去输入的敏感度
# ---------------------------------------------------------------------------------------------
def memory_profile(fn: Callable, u, t: int):
    r"""对序列模型 ``fn`` 求 :math:`g_s=\lVert\partial y_t/\partial u_s\rVert_F`，:math:`s=0,\dots,L-1`
    （“记忆与平滑”一节）。

    ``u`` 是一个 PyTorch 张量，时间在第 0 维（形状 ``(L,)`` 或 ``(L, d)``）；``fn(u)`` 返回同样以时间为第 0 维的输出。
    返回长度 :math:`L` 的 NumPy 数组。滞后 :math:`n` 处的记忆是 ``g[t - n]``；因果模型对 :math:`s>t` 的 :math:`g_s=0`。
    对线性时不变系统，:math:`\partial y_t/\partial u_{t-n}` 就是卷积核 :math:`K_n`（与输入 ``u`` 无关）。
    """
    import torch

    if not isinstance(u, torch.Tensor):
        raise TypeError(f"u must be a torch.Tensor, got {type(u).__name__}")
    if u.dim() not in (1, 2):
        raise ValueError(f"u must have shape (L,) or (L, d), got {tuple(u.shape)}")
    L = u.shape[0]
    if isinstance(t, bool) or not isinstance(t, Integral) or not 0 <= t < L:
        raise ValueError(f"t must be an int in [0, {L - 1}], got {t!r}")
    u = u.detach().clone().requires_grad_(True)
    y = fn(u)
    if not isinstance(y, torch.Tensor) or y.dim() == 0 or y.shape[0] != L:
        shape = tuple(y.shape) if isinstance(y, torch.Tensor) else type(y).__name__
        raise ValueError(f"fn(u) must return a tensor with time ({L}) on dimension 0, got {shape}")
    yt = y[t].reshape(-1)
    rows = [torch.autograd.grad(yt[i], u, retain_graph=True)[0] for i in range(yt.shape[0])]
    J = torch.stack(rows)  # (out_dim, L, ...)
    g = J.reshape(J.shape[0], L, -1).pow(2).sum(dim=(0, 2)).sqrt()
    return g.detach().cpu().numpy()


def memory_length(kernel, eps: float = 1e-2) -> int:
    r"""记忆长度：:math:`|K_n|\ge\varepsilon\max_m|K_m|` 的最大滞后 :math:`n`（``kernel[n]`` 是滞后 :math:`n` 的影响）。

    原讲义说“统计不为零的 :math:`\partial y_t/\partial u_{t-n}` 的个数”；但对 SSM 每一项都不为零，
    所以要取一个相对阈值 :math:`\varepsilon`。对 EMA，:math:`\beta^n\ge\varepsilon\iff n\le\ln\varepsilon/\ln\beta`。
    """
    kernel = np.abs(check_array(kernel, "kernel", ndim=1))
    eps = check_scalar(eps, "eps", Real, min_val=0, max_val=1, include_min=False)
    peak = kernel.max()
    if peak == 0:
        return 0
    return int(np.flatnonzero(kernel >= eps * peak).max())
