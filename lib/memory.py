r"""外部记忆与联想记忆（注意力一章“外部记忆与联想记忆”一节）。

- **按内容寻址的外部记忆**：记忆矩阵 :math:`M\in\mathbb R^{N\times d}` 的每一行是一个槽。读：用查询 :math:`\mathbf q`
  与各槽的余弦相似度乘锐度 :math:`\beta` 再做 softmax，得到寻址权重 :math:`\mathbf w`，
  读出 :math:`\mathbf r=M^\top\mathbf w`；
  写：先按权重擦除再添加，:math:`M\leftarrow M\odot(\mathbf 1-\mathbf w\mathbf e^\top)+\mathbf w\mathbf a^\top`
  （Graves et al., 2014）。这是注意力的一个特例：键就是槽本身。
- **端到端记忆网络**：
  :math:`\mathbf r^{(k)}=\sum_i\operatorname{softmax}(\mathbf a_i^\top\mathbf q^{(k)})\,\mathbf c_i`，
  :math:`\mathbf q^{(k+1)}=\mathbf q^{(k)}+\mathbf r^{(k)}`（多跳读取；Sukhbaatar et al., 2015）。
- **Hopfield 网络**：Hebb 规则 :math:`W=\frac1N\sum_\mu\boldsymbol\xi^\mu\boldsymbol\xi^{\mu\top}`（对角线置零），
  异步更新 :math:`s_i\leftarrow\operatorname{sgn}(\sum_jW_{ij}s_j)`，
  能量 :math:`E=-\frac12\mathbf s^\top W\mathbf s` 不增（Hopfield, 1982）。
- **现代 Hopfield 网络**：连续状态、
  能量 :math:`E=-\beta^{-1}\log\sum_\mu e^{\beta\boldsymbol\xi^{\mu\top}\mathbf s}+\frac12\lVert\mathbf s\rVert^2`，
  更新 :math:`\mathbf s\leftarrow\Xi^\top\operatorname{softmax}(\beta\,\Xi\mathbf s)`——
  正是以 :math:`\beta` 为缩放的注意力
  （Ramsauer et al., 2021）。
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import torch

from .attention import scaled_dot_product_attention
from .utils import check_array, check_scalar

__all__ = [
    "content_addressing",
    "memory_read",
    "memory_write",
    "memory_network_read",
    "hopfield_weights",
    "hopfield_energy",
    "hopfield_recall",
    "modern_hopfield_update",
]


def _tensor(x, name, dim=None):
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got {x.dtype}")
    if dim is not None and x.dim() not in dim:
        raise ValueError(f"{name} must have {' or '.join(map(str, dim))} dimensions, got shape {tuple(x.shape)}")
    return x


def content_addressing(memory: torch.Tensor, key: torch.Tensor, beta: float = 1.0) -> torch.Tensor:
    r"""按内容寻址的权重 :math:`w_i=\operatorname{softmax}_i(\beta\cos(\mathbf k,\mathbf m_i))`。

    ``memory`` 形状 ``(N, d)`` 或 ``(B, N, d)``，``key`` 形状 ``(d,)`` 或 ``(B, d)``；返回 ``(N,)`` 或 ``(B, N)``。
    """
    memory, key = _tensor(memory, "memory", (2, 3)), _tensor(key, "key", (1, 2))
    beta = check_scalar(beta, "beta", Real, min_val=0)
    if memory.dim() - key.dim() != 1 or memory.shape[-1] != key.shape[-1] or memory.shape[:-2] != key.shape[:-1]:
        raise ValueError(f"key {tuple(key.shape)} does not match memory {tuple(memory.shape)} (want (d,) with (N, d))")
    cos = torch.nn.functional.cosine_similarity(memory, key.unsqueeze(-2), dim=-1, eps=1e-12)
    return torch.softmax(beta * cos, dim=-1)


def memory_read(memory: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    r"""读出 :math:`\mathbf r=\sum_iw_i\mathbf m_i=M^\top\mathbf w`。"""
    memory, weights = _tensor(memory, "memory", (2, 3)), _tensor(weights, "weights", (1, 2))
    if memory.shape[:-1] != weights.shape:
        raise ValueError(f"weights must have shape {tuple(memory.shape[:-1])}, got {tuple(weights.shape)}")
    return (weights.unsqueeze(-1) * memory).sum(-2)


def memory_write(memory: torch.Tensor, weights: torch.Tensor, erase: torch.Tensor, add: torch.Tensor) -> torch.Tensor:
    r"""擦除再添加：
    :math:`M\leftarrow M\odot(\mathbf 1-\mathbf w\mathbf e^\top)+\mathbf w\mathbf a^\top`（返回新的记忆）。

    ``erase`` 的分量在 :math:`[0,1]` 中：权重为 1 的槽、擦除向量为 1 的分量被完全清空再写入 ``add``。
    """
    memory, weights = _tensor(memory, "memory", (2, 3)), _tensor(weights, "weights", (1, 2))
    erase, add = _tensor(erase, "erase"), _tensor(add, "add")
    want = memory.shape[:-2] + memory.shape[-1:]
    for name, x in (("erase", erase), ("add", add)):
        if x.shape != want:
            raise ValueError(f"{name} must have shape {tuple(want)}, got {tuple(x.shape)}")
    if memory.shape[:-1] != weights.shape:
        raise ValueError(f"weights must have shape {tuple(memory.shape[:-1])}, got {tuple(weights.shape)}")
    w = weights.unsqueeze(-1)
    return memory * (1 - w * erase.unsqueeze(-2)) + w * add.unsqueeze(-2)


def memory_network_read(query: torch.Tensor, keys: torch.Tensor, values: torch.Tensor, hops: int = 1):
    r"""端到端记忆网络的多跳读取：
    :math:`\mathbf r^{(k)}=\sum_i\operatorname{softmax}_i(\mathbf a_i^\top\mathbf q^{(k)})\mathbf c_i`，
    :math:`\mathbf q^{(k+1)}=\mathbf q^{(k)}+\mathbf r^{(k)}`（各跳共用同一组 ``keys``/``values``）。

    ``query`` ``(B, d)``，``keys``、
    ``values`` ``(B, N, d)``。返回最后的 :math:`\mathbf q^{(K)}` 与各跳的注意力 ``(B, hops, N)``。
    """
    query, keys, values = _tensor(query, "query", (2,)), _tensor(keys, "keys", (3,)), _tensor(values, "values", (3,))
    hops = check_scalar(hops, "hops", Integral, min_val=1)
    if keys.shape != values.shape or keys.shape[0] != query.shape[0] or keys.shape[-1] != query.shape[-1]:
        raise ValueError(
            f"keys and values must have shape (B, N, d) matching query (B, d); got query {tuple(query.shape)}, "
            f"keys {tuple(keys.shape)}, values {tuple(values.shape)}"
        )
    q, attn = query, []
    for _ in range(hops):
        r, a = scaled_dot_product_attention(q.unsqueeze(1), keys, values, scale=1.0, return_weights=True)
        q = q + r.squeeze(1)
        attn.append(a.squeeze(1))
    return q, torch.stack(attn, 1)


def _check_patterns(patterns, name="patterns"):
    P = check_array(patterns, name, ndim=2)
    if not np.all(np.isin(P, (-1.0, 1.0))):
        raise ValueError(f"{name} must contain only -1 and +1")
    return P


def hopfield_weights(patterns) -> np.ndarray:
    r"""Hebb 规则 :math:`W=\frac1N\sum_\mu\boldsymbol\xi^\mu\boldsymbol\xi^{\mu\top}`，
    对角线置零。``patterns`` 形状 ``(P, N)``，取值 ±1。"""
    P = _check_patterns(patterns)
    W = P.T @ P / P.shape[1]
    np.fill_diagonal(W, 0.0)
    return W


def hopfield_energy(W, states) -> np.ndarray:
    r"""能量 :math:`E(\mathbf s)=-\frac12\mathbf s^\top W\mathbf s`；``states`` 形状 ``(N,)`` 或 ``(B, N)``。"""
    W = check_array(W, "W", ndim=2)
    S = np.atleast_2d(check_array(states, "states", ndim=(1, 2)))
    if S.shape[-1] != W.shape[0]:
        raise ValueError(f"states must have last dimension {W.shape[0]}, got {S.shape}")
    E = -0.5 * np.einsum("bi,ij,bj->b", S, W, S)
    return E if np.ndim(states) == 2 else E[0]


def hopfield_recall(W, states, *, max_sweeps: int = 50, rng=None, return_energy: bool = False):
    r"""异步更新直到不动点：每一轮按随机顺序逐个更新 :math:`s_i\leftarrow\operatorname{sgn}(\sum_jW_{ij}s_j)`
    （局部场为 0 时保持不变）。

    ``states`` 形状 ``(N,)`` 或 ``(B, N)``：``B`` 个初态同时演化（同一更新顺序）。返回最终状态、轮数；
    ``return_energy=True`` 时再返回每一次单个神经元更新后的能量 ``(steps + 1, B)``（用来验证能量不增）。
    """
    W = check_array(W, "W", ndim=2)
    if W.shape[0] != W.shape[1]:
        raise ValueError(f"W must be square, got {W.shape}")
    single = np.ndim(states) == 1
    S = _check_patterns(np.atleast_2d(states), "states").T.copy()  # (N, B)
    if S.shape[0] != W.shape[0]:
        raise ValueError(f"states must have last dimension {W.shape[0]}, got {S.shape[::-1]}")
    max_sweeps = check_scalar(max_sweeps, "max_sweeps", Integral, min_val=1)
    rng = np.random.default_rng(rng)
    energies = [hopfield_energy(W, S.T)] if return_energy else None
    tol = 1e-9 * max(np.abs(W).sum(1).max(), 1e-300)
    sweeps = 0
    while sweeps < max_sweeps:
        sweeps += 1
        changed = False
        for i in rng.permutation(W.shape[0]):
            h = W[i] @ S  # 神经元 i 的局部场（对 B 个状态一起算）
            # 局部场为 0 时不变；容差吸收 W = ξᵀξ/N 的舍入，使结果与机器无关
            new = np.where(h > tol, 1.0, np.where(h < -tol, -1.0, S[i]))
            if np.any(new != S[i]):
                changed = True
                if return_energy:
                    # 只有 s_i 变了：ΔE = -(new - old)·h（W 对称、对角为零）
                    energies.append(energies[-1] - (new - S[i]) * h)
                S[i] = new
            elif return_energy:
                energies.append(energies[-1])
        if not changed:
            break
    out = S.T[0] if single else S.T
    if return_energy:
        return out, sweeps, np.array(energies)
    return out, sweeps


def modern_hopfield_update(patterns: torch.Tensor, state: torch.Tensor, beta: float = 1.0) -> torch.Tensor:
    r"""现代 Hopfield 网络的一步更新 :math:`\mathbf s\leftarrow\Xi^\top\operatorname{softmax}(\beta\,\Xi\mathbf s)`。

    ``patterns`` :math:`\Xi` 形状 ``(P, d)``（每行一个存储模式），``state`` 形状 ``(d,)`` 或 ``(B, d)``。
    """
    patterns = _tensor(patterns, "patterns", (2,))
    state = _tensor(state, "state", (1, 2))
    beta = check_scalar(beta, "beta", Real, min_val=0, include_min=False)
    if state.shape[-1] != patterns.shape[-1]:
        raise ValueError(f"state must have last dimension {patterns.shape[-1]}, got {tuple(state.shape)}")
    S = state.reshape(-1, patterns.shape[-1])
    weights = torch.softmax(beta * S @ patterns.T, dim=-1)  # (B, P)：与每个存储模式的相似度
    return (weights @ patterns).reshape(state.shape)
