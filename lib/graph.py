r"""图神经网络的积木（注意力一章“图神经网络”一节）。

- 消息传递：每个结点收集邻居的状态，:math:`\mathbf m_v=\sum_{u\in\mathcal N(v)}f(\mathbf h_v,\mathbf h_u)`，
  再更新 :math:`\mathbf h_v\leftarrow g(\mathbf h_v,\mathbf m_v)`。取 :math:`f` 为邻居状态的平均、:math:`g` 为替换时，
  :math:`T` 轮消息传递等于 :math:`(D^{-1}A)^TH`。
- 图卷积（GCN，Kipf & Welling, 2017）：加自环 :math:`\tilde A=A+I`，
  :math:`\tilde D=\operatorname{diag}(\tilde A\mathbf 1)`，
  :math:`\hat A=\tilde D^{-1/2}\tilde A\tilde D^{-1/2}`，一层 :math:`H'=\sigma(\hat AHW)`，即
  :math:`\mathbf h'_v=\sigma\bigl(W^\top\sum_{u\in\mathcal N(v)\cup\{v\}}\mathbf h_u/
  \sqrt{\tilde d_u\tilde d_v}\bigr)`。
- 随机块模型：同一社区内以概率 :math:`p_{\rm in}` 连边、不同社区间以 :math:`p_{\rm out}` 连边的合成图。
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import torch
from torch import nn

from .utils import check_array, check_module_input, check_scalar, check_size

__all__ = ["check_adjacency", "normalized_adjacency", "mean_message_passing", "GCNConv", "stochastic_block_model"]


def check_adjacency(A, name: str = "A") -> np.ndarray:
    """方阵、对称、元素非负、对角线为零的邻接矩阵（无向简单图，可带权）。"""
    A = check_array(A, name, ndim=2)
    if A.shape[0] != A.shape[1]:
        raise ValueError(f"{name} must be a square adjacency matrix, got shape {A.shape}")
    if not np.allclose(A, A.T):
        raise ValueError(f"{name} must be symmetric (an undirected graph)")
    if np.any(A < 0):
        raise ValueError(f"{name} must have non-negative entries")
    if np.any(np.diag(A) != 0):
        raise ValueError(f"{name} must have a zero diagonal (self-loops are added by normalized_adjacency)")
    return A


def normalized_adjacency(A, self_loops: bool = True) -> np.ndarray:
    r""":math:`\hat A=\tilde D^{-1/2}\tilde A\tilde D^{-1/2}`，
    :math:`\tilde A=A+I`（``self_loops=False`` 时 :math:`\tilde A=A`；
    孤立结点的度为 0，对应的行列为零）。"""
    A = check_adjacency(A)
    At = A + np.eye(len(A)) if self_loops else A
    d = At.sum(1)
    inv_sqrt = np.divide(1.0, np.sqrt(d), out=np.zeros_like(d), where=d > 0)
    return inv_sqrt[:, None] * At * inv_sqrt[None, :]


def mean_message_passing(A, H, rounds: int = 1) -> np.ndarray:
    r"""``rounds`` 轮消息传递：每个结点的新状态 = 邻居旧状态的平均（:math:`H\leftarrow D^{-1}AH`）。"""
    A = check_adjacency(A)
    H = check_array(H, "H", ndim=(1, 2))
    if H.shape[0] != A.shape[0]:
        raise ValueError(f"H must have {A.shape[0]} rows (one per node), got {H.shape[0]}")
    rounds = check_scalar(rounds, "rounds", Integral, min_val=0)
    deg = A.sum(1)
    if np.any(deg == 0):
        raise ValueError("every node needs at least one neighbour for mean aggregation")
    for _ in range(rounds):
        msgs = A @ H  # 邻居状态之和
        H = msgs / (deg[:, None] if H.ndim == 2 else deg)
    return H


class GCNConv(nn.Module):
    r"""图卷积层 :math:`H'=\hat AHW+\mathbf b`（激活函数在层外）。``forward(x, a_hat)``：``x`` ``(n, in)``，
    ``a_hat`` ``(n, n)``（:func:`normalized_adjacency` 的结果，转成张量）。参数名 ``lin.weight``、
    ``bias`` 同 PyG 的 ``GCNConv``。
    """

    def __init__(self, in_channels: int, out_channels: int, bias: bool = True):
        super().__init__()
        self.in_channels = check_size(in_channels, "in_channels", max_val=2**16)
        self.out_channels = check_size(out_channels, "out_channels", max_val=2**16)
        check_scalar(bias, "bias", bool)
        self.lin = nn.Linear(in_channels, out_channels, bias=False)
        nn.init.xavier_uniform_(self.lin.weight)
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None

    def forward(self, x: torch.Tensor, a_hat: torch.Tensor) -> torch.Tensor:
        check_module_input(x, self, "x")
        check_module_input(a_hat, self, "a_hat")
        if x.dim() != 2 or x.shape[1] != self.in_channels:
            raise ValueError(f"x must have shape (n_nodes, {self.in_channels}), got {tuple(x.shape)}")
        if a_hat.shape != (x.shape[0], x.shape[0]):
            raise ValueError(f"a_hat must have shape ({x.shape[0]}, {x.shape[0]}) to match x, got {tuple(a_hat.shape)}")
        out = a_hat @ self.lin(x)  # 先变换特征，再沿边聚合
        return out if self.bias is None else out + self.bias

    def extra_repr(self) -> str:
        return f"{self.in_channels}, {self.out_channels}"


def stochastic_block_model(sizes, p_in: float, p_out: float, rng=None):
    """随机块模型：返回邻接矩阵 ``(n, n)``（0/1，对称，对角为零）与每个结点的社区标签。"""
    sizes = [check_scalar(s, "sizes", Integral, min_val=1) for s in sizes]
    p_in = check_scalar(p_in, "p_in", Real, min_val=0, max_val=1)
    p_out = check_scalar(p_out, "p_out", Real, min_val=0, max_val=1)
    rng = np.random.default_rng(rng)
    labels = np.repeat(np.arange(len(sizes)), sizes)
    prob = np.where(labels[:, None] == labels[None, :], p_in, p_out)
    upper = np.triu(rng.random(prob.shape) < prob, k=1)
    A = (upper | upper.T).astype(float)
    return A, labels
