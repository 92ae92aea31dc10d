r"""缩放点积注意力、多头注意力与 Transformer 编码层（注意力一章；长序列一章把它作为 Hyena 的对照）。

自注意力把长度 :math:`L` 的输入 :math:`U\in\mathbb R^{L\times D}` 投影成查询、键、值
:math:`Q=UM_q`、:math:`K=UM_k`、:math:`V=UM_v`，再用一个 *由数据决定* 的 :math:`L\times L` 矩阵混合各位置：

.. math::

    \operatorname{Attention}(Q,K,V)=
    \underbrace{\operatorname{softmax}\Bigl(\frac{QK^\top}{\sqrt{d}}+M\Bigr)}_{A(Q,K)}V,

其中 softmax 按行做，掩码 :math:`M` 在因果（自回归）情形下把 :math:`j>i` 的位置设为 :math:`-\infty`
（Vaswani et al., 2017）。计算 :math:`A` 需要 :math:`O(L^2d)` 时间、:math:`O(L^2)` 内存——这正是长卷积
（Hyena）要绕开的代价。

===================================  ==========================================================
``scaled_dot_product_attention``      逐步写出的注意力（可返回注意力矩阵；布尔掩码、加性偏置、注意力 dropout），
                                      与 ``torch.nn.functional`` 的同名函数结果相同
``causal_mask``                       下三角布尔掩码（``True`` = 可以看见）
``causal_self_attention``             单头因果自注意力 :math:`\operatorname{softmax}(UM_qM_k^\top U^\top/\sqrt D)\,UM_v`
``MultiHeadAttention``                多头（因果）自注意力模块（输入输出 ``(B, L, d_model)``），``backend`` 可选
                                      ``"manual"``（本文件的实现）或 ``"sdpa"``（PyTorch 的融合实现）
``MultiheadAttention``                与 ``torch.nn.MultiheadAttention`` 同参数、同参数名（``in_proj_weight``、
                                      ``out_proj``）、同返回值的多头注意力（查询、键、值可以不同；两种掩码）
``TransformerEncoderLayer``           与 ``torch.nn.TransformerEncoderLayer`` 同子模块名的编码层
                                      （``state_dict`` 兼容）：自注意力 + 前馈网络，各带残差与层归一化
                                      （Post-LN 或 Pre-LN）
``TransformerEncoder``                若干个编码层的堆叠（= ``torch.nn.TransformerEncoder``）
===================================  ==========================================================
"""

from __future__ import annotations

import copy
import math
from numbers import Integral, Real

import torch
import torch.nn.functional as F
from torch import nn

from .nn.init import xavier_uniform_
from .nn.norm import LayerNorm
from .nn.regularization import Dropout, dropout
from .utils import check_device, check_index_tensor, check_module_input, check_option, check_scalar, check_size

__all__ = [
    "causal_mask",
    "scaled_dot_product_attention",
    "causal_self_attention",
    "MultiHeadAttention",
    "MultiheadAttention",
    "TransformerEncoderLayer",
    "TransformerEncoder",
    "additive_attention_scores",
    "sinusoidal_positional_encoding",
    "PointerNetwork",
]

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
    attn_bias: torch.Tensor | None = None,
    dropout_p: float = 0.0,
):
    r"""缩放点积注意力 :math:`\operatorname{softmax}(QK^\top/\sqrt d+M)V`，一步一步写出来。

    ``q`` 形状 ``(..., L_q, d)``，``k`` ``(..., L_k, d)``，``v`` ``(..., L_k, d_v)``，前面的维度（批量、头）按广播对齐。
    ``mask`` 是布尔张量（``True`` = 保留），可广播到 ``(..., L_q, L_k)``；``causal=True`` 再叠加因果掩码。
    ``attn_bias`` 是加到打分上的浮点张量（同样可广播；``-inf`` 的位置等于被遮住），对应 torch 的浮点 ``attn_mask``。
    ``scale`` 默认 :math:`1/\sqrt d`。``dropout_p > 0`` 时对注意力矩阵做（反向）dropout 再乘 :math:`V`。
    ``return_weights=True`` 时同时返回注意力矩阵 :math:`A`（不做 dropout 时每行和为 1）。
    """
    _check_qkv(q, k, v)
    d = q.shape[-1]
    scale = 1.0 / math.sqrt(d) if scale is None else check_scalar(scale, "scale", Real, min_val=0, include_min=False)
    dropout_p = check_scalar(dropout_p, "dropout_p", Real, min_val=0, max_val=1)
    scores = (q @ k.transpose(-2, -1)) * scale  # (..., L_q, L_k): 每个查询与每个键的相似度
    if attn_bias is not None:
        if not isinstance(attn_bias, torch.Tensor) or not attn_bias.is_floating_point():
            got = getattr(attn_bias, "dtype", type(attn_bias).__name__)
            raise TypeError(f"attn_bias must be a floating-point torch.Tensor, got {got}")
        scores = scores + attn_bias.to(scores.dtype)
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
    if dropout_p > 0:
        weights = dropout(weights, dropout_p)
    out = weights @ v
    return (out, weights) if return_weights else out


def causal_self_attention(u: torch.Tensor, Mq: torch.Tensor, Mk: torch.Tensor, Mv: torch.Tensor):
    r"""“Hyena 算子”一节里与 Hyena 对照的单头因果自注意力：:math:`y=A(q,k)\,v`，
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
        d_model = check_size(d_model, "d_model")
        n_heads = check_size(n_heads, "n_heads")
        if d_model % n_heads:
            raise ValueError(f"d_model must be divisible by n_heads, got d_model={d_model}, n_heads={n_heads}")
        check_option(backend, "backend", BACKENDS)
        check_scalar(causal, "causal", bool)
        check_scalar(bias, "bias", bool)
        self.d_model, self.n_heads, self.causal, self.backend = d_model, n_heads, bool(causal), backend
        self.qkv = nn.Linear(d_model, 3 * d_model, bias=bias)
        self.out_proj = nn.Linear(d_model, d_model, bias=bias)

    def _heads(self, u: torch.Tensor):
        B, L, _ = u.shape
        q, k, v = self.qkv(u).split(self.d_model, dim=-1)
        # (B, L, d_model) -> (B, n_heads, L, d_head)
        return [x.view(B, L, self.n_heads, -1).transpose(1, 2) for x in (q, k, v)]

    def _check_input(self, u):
        check_module_input(u, self, "u", ndim=3, sizes={-1: self.d_model})

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


def _mask_parts(mask: torch.Tensor | None, name: str, dtype: torch.dtype):
    """torch 约定的掩码（布尔：``True`` = 遮住；浮点：加到打分上）→ (保留掩码, 加性偏置)。"""
    if mask is None:
        return None, None
    if not isinstance(mask, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor or None, got {type(mask).__name__}")
    if mask.dtype == torch.bool:
        return ~mask, None
    if mask.is_floating_point():
        return None, mask.to(dtype)
    raise TypeError(f"{name} must be a boolean or floating-point tensor, got {mask.dtype}")


def _merge(a, b):
    if a is None:
        return b
    return a if b is None else a & b if a.dtype == torch.bool else a + b


class MultiheadAttention(nn.Module):
    r"""多头注意力，参数、参数名与返回值同 ``torch.nn.MultiheadAttention``（``kdim = vdim = embed_dim``）。

    查询 :math:`Q`、键 :math:`K`、值 :math:`V` 各乘 ``in_proj_weight`` 的三分之一（形状 ``(3E, E)``）再加偏置，
    拆成 ``num_heads`` 个 ``E/num_heads`` 维的头，各头做 :func:`scaled_dot_product_attention`，拼接后经 ``out_proj``。

    - 输入 ``(L, N, E)``（``batch_first=True`` 时 ``(N, L, E)``），或不带批量的 ``(L, E)``。
    - ``key_padding_mask`` 形状 ``(N, S)``（不带批量时 ``(S,)``），
      ``attn_mask`` 形状 ``(L, S)`` 或 ``(N·num_heads, L, S)``；
      布尔掩码 ``True`` 表示 **遮住**（与 torch 相同，与 :func:`scaled_dot_product_attention` 的 ``mask`` 相反），
      浮点掩码加到打分上。
    - 返回 ``(输出, 注意力权重)``；权重默认对各头取平均，形状 ``(N, L, S)``，``average_attn_weights=False`` 时
      ``(N, num_heads, L, S)``；``need_weights=False`` 时第二项是 ``None``。
    - ``is_causal=True`` 而没有给 ``attn_mask`` 时直接使用因果掩码（torch 要求同时给出 ``attn_mask``，那时两者一样）。
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        batch_first: bool = False,
        device=None,
        dtype=None,
    ):
        super().__init__()
        self.embed_dim = check_size(embed_dim, "embed_dim", max_val=2**16)
        self.num_heads = check_size(num_heads, "num_heads", max_val=self.embed_dim)
        check_scalar(bias, "bias", bool)
        check_scalar(batch_first, "batch_first", bool)
        device = check_device(device)
        if embed_dim % num_heads:
            raise ValueError(
                f"embed_dim must be divisible by num_heads, got embed_dim={embed_dim}, num_heads={num_heads}"
            )
        self.dropout = float(check_scalar(dropout, "dropout", Real, min_val=0, max_val=1))
        self.batch_first = bool(batch_first)
        self.head_dim = embed_dim // num_heads
        kw = {"device": device, "dtype": dtype}
        self.in_proj_weight = nn.Parameter(torch.empty(3 * embed_dim, embed_dim, **kw))
        if bias:
            self.in_proj_bias = nn.Parameter(torch.empty(3 * embed_dim, **kw))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = nn.Linear(embed_dim, embed_dim, bias=bias, **kw)
        self._reset_parameters()

    def _reset_parameters(self):
        # 与 torch 相同的初始化（也按同样的顺序消耗随机数）：输入投影 Xavier 均匀，偏置为零
        xavier_uniform_(self.in_proj_weight)
        if self.in_proj_bias is not None:
            nn.init.zeros_(self.in_proj_bias)
            nn.init.zeros_(self.out_proj.bias)

    def extra_repr(self) -> str:
        return (
            f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, dropout={self.dropout}, "
            f"batch_first={self.batch_first}"
        )

    def _check_inputs(self, query, key, value):
        for name, x in (("query", query), ("key", key), ("value", value)):
            check_module_input(x, self, name)
        if query.dim() not in (2, 3):
            layout = "(N, L, E)" if self.batch_first else "(L, N, E)"
            raise ValueError(f"query must be 3-D {layout} or 2-D (L, E), got shape {tuple(query.shape)}")
        for name, x in (("query", query), ("key", key), ("value", value)):
            if x.dim() != query.dim():
                raise ValueError(f"{name} must have as many dimensions as query ({query.dim()}), got {tuple(x.shape)}")
            if x.shape[-1] != self.embed_dim:
                raise ValueError(f"{name} must have last dimension embed_dim={self.embed_dim}, got {tuple(x.shape)}")
        if key.shape != value.shape:
            raise ValueError(f"key and value must have the same shape, got {tuple(key.shape)} and {tuple(value.shape)}")

    def forward(
        self,
        query: torch.Tensor,
        key: torch.Tensor,
        value: torch.Tensor,
        key_padding_mask: torch.Tensor | None = None,
        need_weights: bool = True,
        attn_mask: torch.Tensor | None = None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ):
        self._check_inputs(query, key, value)
        batched = query.dim() == 3
        # 统一成 (N, L, E)
        if not batched:
            q, k, v = query.unsqueeze(0), key.unsqueeze(0), value.unsqueeze(0)
        elif self.batch_first:
            q, k, v = query, key, value
        else:
            q, k, v = query.transpose(0, 1), key.transpose(0, 1), value.transpose(0, 1)
        N, L, E = q.shape
        S = k.shape[1]
        if k.shape[0] != N:
            raise ValueError(f"query and key must have the same batch size, got {N} and {k.shape[0]}")
        H, dh = self.num_heads, self.head_dim

        keep, bias = None, None
        if key_padding_mask is not None:
            want = (N, S) if batched else (S,)
            if not isinstance(key_padding_mask, torch.Tensor) or tuple(key_padding_mask.shape) != want:
                got = tuple(key_padding_mask.shape) if isinstance(key_padding_mask, torch.Tensor) else key_padding_mask
                raise ValueError(f"key_padding_mask must have shape {want} (batch, source length), got {got}")
            kk, kb = _mask_parts(key_padding_mask.reshape(N, 1, 1, S), "key_padding_mask", q.dtype)
            keep, bias = _merge(keep, kk), _merge(bias, kb)
        if attn_mask is not None:
            if not isinstance(attn_mask, torch.Tensor):
                raise TypeError(f"attn_mask must be a torch.Tensor or None, got {type(attn_mask).__name__}")
            if tuple(attn_mask.shape) == (L, S):
                m = attn_mask
            elif tuple(attn_mask.shape) == (N * H, L, S):
                m = attn_mask.reshape(N, H, L, S)
            else:
                raise ValueError(
                    f"attn_mask must have shape ({L}, {S}) or ({N * H}, {L}, {S}) "
                    f"(target length, source length; batch * num_heads first), got {tuple(attn_mask.shape)}"
                )
            ak, ab = _mask_parts(m, "attn_mask", q.dtype)
            keep, bias = _merge(keep, ak), _merge(bias, ab)

        # 输入投影：W_q, W_k, W_v 是 in_proj_weight 的三段
        w_q, w_k, w_v = self.in_proj_weight.chunk(3)
        b_q, b_k, b_v = (None,) * 3 if self.in_proj_bias is None else self.in_proj_bias.chunk(3)
        # (N, L, E) -> (N, H, L, dh)
        qh = F.linear(q, w_q, b_q).view(N, L, H, dh).transpose(1, 2)
        kh = F.linear(k, w_k, b_k).view(N, S, H, dh).transpose(1, 2)
        vh = F.linear(v, w_v, b_v).view(N, S, H, dh).transpose(1, 2)
        out, weights = scaled_dot_product_attention(
            qh,
            kh,
            vh,
            mask=keep,
            attn_bias=bias,
            causal=bool(is_causal) and attn_mask is None,
            dropout_p=self.dropout if self.training else 0.0,
            return_weights=True,
        )
        out = self.out_proj(out.transpose(1, 2).reshape(N, L, E))  # 拼接各头，再做输出投影
        if not batched:
            out = out.squeeze(0)
        elif not self.batch_first:
            out = out.transpose(0, 1)
        if not need_weights:
            return out, None
        if average_attn_weights:
            weights = weights.mean(dim=1)
        return out, (weights if batched else weights.squeeze(0))


_ACTIVATIONS = {"relu": F.relu, "gelu": F.gelu}


class TransformerEncoderLayer(nn.Module):
    r"""Transformer 编码层，参数与子模块名同 ``torch.nn.TransformerEncoderLayer``（``state_dict`` 可以互相载入）。

    Post-LN（``norm_first=False``，原论文）：:math:`x\leftarrow\mathrm{LN}_1(x+\mathrm{SA}(x))`，
    :math:`x\leftarrow\mathrm{LN}_2(x+\mathrm{FF}(x))`；
    Pre-LN（``norm_first=True``）：:math:`x\leftarrow x+\mathrm{SA}(\mathrm{LN}_1(x))`，
    :math:`x\leftarrow x+\mathrm{FF}(\mathrm{LN}_2(x))`。其中 :math:`\mathrm{SA}` 是 :class:`MultiheadAttention`，
    :math:`\mathrm{FF}(x)=W_2\,\mathrm{dropout}(\sigma(W_1x+b_1))+b_2`。
    """

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation="relu",
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        device=None,
        dtype=None,
    ):
        super().__init__()
        d_model = check_size(d_model, "d_model", max_val=2**16)
        check_size(nhead, "nhead", max_val=d_model)
        dim_feedforward = check_size(dim_feedforward, "dim_feedforward", max_val=2**20)
        check_scalar(layer_norm_eps, "layer_norm_eps", Real, min_val=0, include_min=False)
        for flag, name in ((batch_first, "batch_first"), (norm_first, "norm_first"), (bias, "bias")):
            check_scalar(flag, name, bool)
        device = check_device(device)
        if isinstance(activation, str):
            if activation not in _ACTIVATIONS:
                raise ValueError(f"activation must be 'relu', 'gelu' or a callable, got {activation!r}")
            activation = _ACTIVATIONS[activation]
        elif not callable(activation):
            raise TypeError(f"activation must be 'relu', 'gelu' or a callable, got {type(activation).__name__}")
        kw = {"device": device, "dtype": dtype}
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first, **kw)
        self.linear1 = nn.Linear(d_model, dim_feedforward, bias=bias, **kw)
        self.dropout = Dropout(dropout)
        self.linear2 = nn.Linear(dim_feedforward, d_model, bias=bias, **kw)
        self.norm_first = bool(norm_first)
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.activation = activation

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal):
        x = self.self_attn(
            x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask, need_weights=False, is_causal=is_causal
        )[0]
        return self.dropout1(x)

    def _ff_block(self, x):
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))

    def forward(
        self,
        src: torch.Tensor,
        src_mask: torch.Tensor | None = None,
        src_key_padding_mask: torch.Tensor | None = None,
        is_causal: bool = False,
    ) -> torch.Tensor:
        check_module_input(src, self, "src")
        d = self.self_attn.embed_dim
        if src.dim() not in (2, 3) or src.shape[-1] != d:
            layout = "(N, L, d_model)" if self.self_attn.batch_first else "(L, N, d_model)"
            raise ValueError(f"src must have shape {layout} or (L, d_model) with d_model={d}, got {tuple(src.shape)}")
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x


class TransformerEncoder(nn.Module):
    """``num_layers`` 个 ``encoder_layer`` 的独立副本依次作用，最后可选一个层归一化
    （= ``torch.nn.TransformerEncoder``）。"""

    def __init__(self, encoder_layer: TransformerEncoderLayer, num_layers: int, norm: nn.Module | None = None):
        super().__init__()
        if not isinstance(encoder_layer, nn.Module):
            raise TypeError(f"encoder_layer must be an nn.Module, got {type(encoder_layer).__name__}")
        num_layers = check_size(num_layers, "num_layers", max_val=1000)
        if norm is not None and not isinstance(norm, nn.Module):
            raise TypeError(f"norm must be None or an nn.Module, got {type(norm).__name__}")
        self.layers = nn.ModuleList(copy.deepcopy(encoder_layer) for _ in range(num_layers))
        self.num_layers = num_layers
        self.norm = norm

    def forward(
        self,
        src: torch.Tensor,
        mask: torch.Tensor | None = None,
        src_key_padding_mask: torch.Tensor | None = None,
        is_causal: bool | None = None,
    ) -> torch.Tensor:
        x = src
        for layer in self.layers:
            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask, is_causal=bool(is_causal))
        return x if self.norm is None else self.norm(x)


def additive_attention_scores(q: torch.Tensor, k: torch.Tensor, W: torch.Tensor, U: torch.Tensor, v: torch.Tensor):
    r"""加性（Bahdanau）打分 :math:`s_{ij}=\mathbf v^\top\tanh(W\mathbf k_j+U\mathbf q_i)`。

    ``q`` 形状 ``(..., L_q, d_q)``，``k`` ``(..., L_k, d_k)``，``W`` ``(h, d_k)``，``U`` ``(h, d_q)``，``v`` ``(h,)``；
    返回 ``(..., L_q, L_k)`` 的打分（再做 softmax 就是注意力分布）。
    """
    for name, x in (("q", q), ("k", k), ("W", W), ("U", U), ("v", v)):
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if q.dim() < 2 or k.dim() < 2:
        raise ValueError(f"q and k must have shape (..., length, dim), got {tuple(q.shape)} and {tuple(k.shape)}")
    h = v.shape[0] if v.dim() == 1 else None
    if h is None or W.shape != (h, k.shape[-1]) or U.shape != (h, q.shape[-1]):
        raise ValueError(
            f"need v (h,), W (h, {k.shape[-1]}), U (h, {q.shape[-1]}); "
            f"got v {tuple(v.shape)}, W {tuple(W.shape)}, U {tuple(U.shape)}"
        )
    # (..., L_q, 1, h) + (..., 1, L_k, h)：每一对 (i, j) 过一个单隐层网络
    hidden = torch.tanh((k @ W.T).unsqueeze(-3) + (q @ U.T).unsqueeze(-2))
    return hidden @ v


def sinusoidal_positional_encoding(length: int, d_model: int, base: float = 10000.0, *, dtype=None, device=None):
    r"""正弦位置编码 :math:`P_{t,2i}=\sin(t/b^{2i/d})`，:math:`P_{t,2i+1}=\cos(t/b^{2i/d})`，
    形状 ``(length, d_model)``。

    每一对维度 :math:`(2i,2i+1)` 是一个以频率 :math:`\omega_i=b^{-2i/d}` 旋转的单位向量，所以 :math:`P_{t+k}` 是
    :math:`P_t` 的一个只依赖 :math:`k` 的旋转（Vaswani et al., 2017）。
    """
    length = check_scalar(length, "length", Integral, min_val=1)
    d_model = check_scalar(d_model, "d_model", Integral, min_val=2)
    if d_model % 2:
        raise ValueError(f"d_model must be even, got {d_model}")
    base = check_scalar(base, "base", Real, min_val=1, include_min=False)
    dtype = torch.get_default_dtype() if dtype is None else dtype
    t = torch.arange(length, dtype=torch.float64, device=device)[:, None]
    omega = base ** (-torch.arange(0, d_model, 2, dtype=torch.float64, device=device) / d_model)
    P = torch.empty(length, d_model, dtype=torch.float64, device=device)
    P[:, 0::2] = torch.sin(t * omega)
    P[:, 1::2] = torch.cos(t * omega)
    return P.to(dtype)


class PointerNetwork(nn.Module):
    r"""指针网络（Vinyals et al., 2015）：输出是输入位置的序列 :math:`c_1,\dots,c_n`。

    编码器把输入集合 ``x``（``(B, n, input_dim)``）映射成 :math:`\mathbf e_1,\dots,\mathbf e_n`
    （线性嵌入 + ``n_layers`` 个 :class:`TransformerEncoderLayer`，不加位置编码：输入是一个集合）；
    解码器是一个 LSTM 单元，
    第 :math:`i` 步的输入是上一步指向的 :math:`\mathbf e_{c_{i-1}}`（第一步是一个可学的起始向量），
    状态 :math:`\mathbf h_i` 用加性打分 :math:`s_{ij}=\mathbf v^\top\tanh(W\mathbf e_j+U\mathbf h_i)` 指向输入位置，
    已指过的位置被遮住。``forward(x, targets)`` 用教师强制返回各步打分 ``(B, n, n)``；
    ``decode(x)`` 贪心解码，返回指针 ``(B, n)`` 与各步的注意力分布 ``(B, n, n)``。
    """

    def __init__(self, input_dim: int = 1, hidden: int = 64, n_layers: int = 1, nhead: int = 4):
        super().__init__()
        self.input_dim = check_size(input_dim, "input_dim", max_val=2**16)
        self.hidden = check_size(hidden, "hidden", max_val=2**16)
        n_layers = check_size(n_layers, "n_layers", max_val=1000)
        nhead = check_size(nhead, "nhead", max_val=self.hidden)
        if hidden % nhead:
            raise ValueError(f"hidden must be divisible by nhead, got hidden={hidden}, nhead={nhead}")
        self.embed = nn.Linear(input_dim, hidden)
        layer = TransformerEncoderLayer(hidden, nhead, 2 * hidden, dropout=0.0, batch_first=True, norm_first=True)
        self.encoder = TransformerEncoder(layer, n_layers)
        self.cell = nn.LSTMCell(hidden, hidden)
        self.start = nn.Parameter(torch.zeros(hidden))
        self.W = nn.Linear(hidden, hidden, bias=False)
        self.U = nn.Linear(hidden, hidden, bias=False)
        self.v = nn.Parameter(torch.randn(hidden) / math.sqrt(hidden))

    def _encode(self, x):
        check_module_input(x, self, "x")
        if x.dim() != 3 or x.shape[-1] != self.input_dim:
            raise ValueError(f"x must have shape (batch, n, {self.input_dim}), got {tuple(x.shape)}")
        return self.encoder(self.embed(x))

    def _steps(self, x, targets):
        e = self._encode(x)
        B, n, H = e.shape
        h = c = e.new_zeros(B, H)
        inp = self.start.expand(B, H)
        taken = torch.zeros(B, n, dtype=torch.bool, device=e.device)
        rows = torch.arange(B, device=e.device)
        scores, pointers = [], []
        for i in range(n):
            h, c = self.cell(inp, (h, c))
            # 加性打分 s_j = v·tanh(W e_j + U h)：查询是解码状态 h，键是各输入位置的编码 e_j
            s = additive_attention_scores(h.unsqueeze(1), e, self.W.weight, self.U.weight, self.v).squeeze(1)  # (B, n)
            s = s.masked_fill(taken, float("-inf"))  # 每个输入位置只能指一次
            ptr = s.argmax(-1) if targets is None else targets[:, i]
            scores.append(s)
            pointers.append(ptr)
            taken = taken.clone()
            taken[rows, ptr] = True
            inp = e[rows, ptr]
        return torch.stack(scores, 1), torch.stack(pointers, 1)

    def forward(self, x: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        check_module_input(x, self, "x", ndim=3, sizes={-1: self.input_dim})
        check_index_tensor(targets, "targets", high=x.shape[1], ndim=2)
        if targets.shape != x.shape[:2] or targets.dtype != torch.long:
            raise ValueError(f"targets must be a long tensor of shape {tuple(x.shape[:2])}, got {tuple(targets.shape)}")
        return self._steps(x, targets)[0]

    @torch.no_grad()
    def decode(self, x: torch.Tensor):
        scores, pointers = self._steps(x, None)
        return pointers, torch.softmax(scores, -1)
