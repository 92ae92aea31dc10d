r"""缩放点积注意力与多头注意力（第 18.4、18.6 节作为 Hyena 的对照；第 17 章复用）。

自注意力把长度 :math:`L` 的输入 :math:`U\in\mathbb R^{L\times D}` 投影成查询、键、值
:math:`Q=UM_q`、:math:`K=UM_k`、:math:`V=UM_v`，再用一个 *由数据决定* 的 :math:`L\times L` 矩阵混合各位置：

.. math::

    \operatorname{Attention}(Q,K,V)=
    \underbrace{\operatorname{softmax}\Bigl(\frac{QK^\top}{\sqrt{d}}+M\Bigr)}_{A(Q,K)}V,

其中 softmax 按行做，掩码 :math:`M` 在因果（自回归）情形下把 :math:`j>i` 的位置设为 :math:`-\infty`
（Vaswani et al., 2017）。计算 :math:`A` 需要 :math:`O(L^2d)` 时间、:math:`O(L^2)` 内存——这正是第 18 章要绕开的代价。

===================================  ==========================================================
``scaled_dot_product_attention``      逐步写出的注意力（可返回注意力矩阵），与 ``torch.nn.functional``
                                      的同名函数结果相同
``causal_mask``                       下三角布尔掩码（``True`` = 可以看见）
``causal_self_attention``             原讲义的单头写法 :math:`\operatorname{softmax}(UM_qM_k^\top U^\top/\sqrt D)\,UM_v`
``MultiHeadAttention``                多头注意力模块（输入输出 ``(B, L, d_model)``），``backend`` 可选
                                      ``"manual"``（本文件的实现）或 ``"sdpa"``（PyTorch 的融合实现）
===================================  ==========================================================
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import torch
import torch.nn.functional as F
from torch import nn

from .utils import check_module_input, check_scalar

__all__ = ["causal_mask", "scaled_dot_product_attention", "causal_self_attention", "MultiHeadAttention"]

BACKENDS = ("manual", "sdpa")


def causal_mask(n_queries: int, n_keys: int | None = None, device=None) -> torch.Tensor:
    r"""因果掩码 :math:`M_{ij}=[\,j\le i\,]`（布尔，``True`` 表示查询 :math:`i` 可以看见键 :math:`j`）。

    查询与键个数不同时按左上角对齐（与 ``torch.nn.functional.scaled_dot_product_attention(is_causal=True)`` 相同）。
    """
    n_queries = check_scalar(n_queries, "n_queries", Integral, min_val=1)
    n_keys = n_queries if n_keys is None else check_scalar(n_keys, "n_keys", Integral, min_val=1)
    return torch.ones(n_queries, n_keys, dtype=torch.bool, device=device).tril()


def _check_qkv(q, k, v):
    for name, x in (("q", q), ("k", k), ("v", v)):
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
        if x.dim() < 2:
            raise ValueError(f"{name} must have shape (..., length, dim), got {tuple(x.shape)}")
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(f"q and k must have the same last dimension, got {q.shape[-1]} and {k.shape[-1]}")
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(f"k and v must have the same length (dim -2), got {k.shape[-2]} and {v.shape[-2]}")


def scaled_dot_product_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    *,
    mask: torch.Tensor | None = None,
    causal: bool = False,
    scale: float | None = None,
    return_weights: bool = False,
):
    r"""缩放点积注意力 :math:`\operatorname{softmax}(QK^\top/\sqrt d+M)V`，一步一步写出来。

    ``q`` 形状 ``(..., L_q, d)``，``k`` ``(..., L_k, d)``，``v`` ``(..., L_k, d_v)``，前面的维度（批量、头）按广播对齐。
    ``mask`` 是布尔张量（``True`` = 保留），可广播到 ``(..., L_q, L_k)``；``causal=True`` 再叠加因果掩码。
    ``scale`` 默认 :math:`1/\sqrt d`。``return_weights=True`` 时同时返回注意力矩阵 :math:`A`（每行和为 1）。
    """
    _check_qkv(q, k, v)
    d = q.shape[-1]
    scale = 1.0 / math.sqrt(d) if scale is None else check_scalar(scale, "scale", Real, min_val=0, include_min=False)
    scores = (q @ k.transpose(-2, -1)) * scale  # (..., L_q, L_k): 每个查询与每个键的相似度
    keep = None
    if mask is not None:
        if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool:
            raise TypeError(f"mask must be a boolean torch.Tensor (True = keep), got {getattr(mask, 'dtype', mask)}")
        keep = mask
    if causal:
        cm = causal_mask(q.shape[-2], k.shape[-2], device=q.device)
        keep = cm if keep is None else keep & cm
    if keep is not None:
        scores = scores.masked_fill(~keep, float("-inf"))
    weights = torch.softmax(scores, dim=-1)  # 按行归一化：第 i 行是位置 i 对各位置的权重
    out = weights @ v
    return (out, weights) if return_weights else out


def causal_self_attention(u: torch.Tensor, Mq: torch.Tensor, Mk: torch.Tensor, Mv: torch.Tensor):
    r"""原讲义（第 18.4 节）的单头因果自注意力：:math:`y=A(q,k)\,v`，
    :math:`A=\operatorname{softmax}(qk^\top/\sqrt D+M)`。

    ``u`` 形状 ``(L, D)`` 或 ``(B, L, D)``，``Mq``、``Mk``、``Mv`` 形状 ``(D, D)``（:math:`q=uM_q` 等）。
    返回 ``(y, A)``：输出与 :math:`L\times L` 的注意力矩阵（下三角，每行和为 1）。
    """
    if not isinstance(u, torch.Tensor) or u.dim() not in (2, 3):
        raise ValueError(f"u must be a tensor of shape (L, D) or (B, L, D), got {getattr(u, 'shape', type(u))}")
    D = u.shape[-1]
    for name, M in (("Mq", Mq), ("Mk", Mk), ("Mv", Mv)):
        if not isinstance(M, torch.Tensor) or M.shape != (D, D):
            raise ValueError(f"{name} must be a ({D}, {D}) tensor to match u, got {getattr(M, 'shape', type(M))}")
    q, k, v = u @ Mq, u @ Mk, u @ Mv
    return scaled_dot_product_attention(q, k, v, causal=True, return_weights=True)


class MultiHeadAttention(nn.Module):
    r"""多头（因果）自注意力：``(B, L, d_model) -> (B, L, d_model)``。

    一个线性层同时给出 :math:`Q,K,V`（``d_model -> 3 d_model``），拆成 ``n_heads`` 个头、每头 ``d_model/n_heads`` 维，
    各头独立做缩放点积注意力，拼接后再经输出投影。``backend="manual"`` 用 :func:`scaled_dot_product_attention`；
    ``backend="sdpa"`` 用 ``torch.nn.functional.scaled_dot_product_attention``（在 GPU 上可走 FlashAttention
    （Dao et al., 2022）或省内存的实现）。两者数值相同（见 ``tests/test_attention.py``）。
    """

    def __init__(
        self, d_model: int, n_heads: int = 1, *, causal: bool = True, bias: bool = True, backend: str = "sdpa"
    ):
        super().__init__()
        d_model = check_scalar(d_model, "d_model", Integral, min_val=1)
        n_heads = check_scalar(n_heads, "n_heads", Integral, min_val=1)
        if d_model % n_heads:
            raise ValueError(f"d_model must be divisible by n_heads, got d_model={d_model}, n_heads={n_heads}")
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
        self.d_model, self.n_heads, self.causal, self.backend = d_model, n_heads, bool(causal), backend
        self.qkv = nn.Linear(d_model, 3 * d_model, bias=bias)
        self.out_proj = nn.Linear(d_model, d_model, bias=bias)

    def _heads(self, u: torch.Tensor):
        B, L, _ = u.shape
        q, k, v = self.qkv(u).split(self.d_model, dim=-1)
        # (B, L, d_model) -> (B, n_heads, L, d_head)
        return [x.view(B, L, self.n_heads, -1).transpose(1, 2) for x in (q, k, v)]

    def _check_input(self, u):
        if not isinstance(u, torch.Tensor) or u.dim() != 3 or u.shape[-1] != self.d_model:
            shape = tuple(u.shape) if isinstance(u, torch.Tensor) else type(u).__name__
            raise ValueError(f"input must have shape (batch, length, {self.d_model}), got {shape}")
        check_module_input(u, self, "input")

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        self._check_input(u)
        B, L, _ = u.shape
        q, k, v = self._heads(u)
        if self.backend == "sdpa":
            y = F.scaled_dot_product_attention(q, k, v, is_causal=self.causal)
        else:
            y = scaled_dot_product_attention(q, k, v, causal=self.causal)
        return self.out_proj(y.transpose(1, 2).reshape(B, L, self.d_model))

    @torch.no_grad()
    def attention_weights(self, u: torch.Tensor) -> torch.Tensor:
        """各头的注意力矩阵，形状 ``(B, n_heads, L, L)``（画图用）。"""
        self._check_input(u)
        q, k, v = self._heads(u)
        return scaled_dot_product_attention(q, k, v, causal=self.causal, return_weights=True)[1]

    def extra_repr(self) -> str:
        return f"d_model={self.d_model}, n_heads={self.n_heads}, causal={self.causal}, backend={self.backend!r}"
