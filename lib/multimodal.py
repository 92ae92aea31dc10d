r"""图文多模态的玩具实现（torch）：手写数字配中文描述，CLIP 的对称对比损失与零样本分类，BLIP 的图文匹配（ITM）。

* 描述：:func:`digit_captions` 按若干模板（“数字七”“手写的七”……）给每个标签生成一句中文；
  :class:`CharVocab` 按字切分并编码成整数序列（第 0 号是填充）。
* 编码器：:class:`TextEncoder`（字嵌入 + 位置编码 + ``lib.attention`` 的 Transformer 编码层，去掉填充位后取平均）；
  图像一侧用任意把 ``(n, 64)`` 映到 ``d`` 维的网络。
* CLIP 损失：一批 :math:`N` 对 (图, 文)，logit :math:`s\cdot\cos(\mathbf u_i,\mathbf v_j)`（:math:`s` 是可学习的尺度），
  图→文与文→图两个方向的交叉熵取平均，即两个方向的 InfoNCE（``lib.contrastive.info_nce``）的平均。
* 零样本分类：把每个类别写成一句提示，编码后与图像向量比余弦，取最大者。
* ITM（BLIP）：文本各字的表示作查询，对图像小块做交叉注意力（``lib.attention.MultiheadAttention``），
  平均后二分类“配 / 不配”。
* LM（BLIP 的描述生成，简化版）：:class:`CaptionDecoder` 把图像小块放在描述前面作“前缀”，用带前缀因果掩码的
  Transformer 编码层预测下一个字，:math:`-\sum_t\log p(w_t\mid w_{<t},I)`；``generate`` 逐字贪心生成。
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .attention import MultiheadAttention, TransformerEncoder, TransformerEncoderLayer
from .contrastive import info_nce
from .nn.norm import LayerNorm
from .utils import check_array, check_index_tensor, check_module_input, check_random_state, check_size
from .vit import patchify

__all__ = [
    "NUMERALS",
    "TEMPLATES",
    "digit_captions",
    "CharVocab",
    "TextEncoder",
    "clip_loss",
    "zero_shot_classify",
    "ImageTextMatcher",
    "prefix_causal_mask",
    "CaptionDecoder",
]

NUMERALS = "零一二三四五六七八九"
TEMPLATES = ("数字{}", "手写的{}", "一个{}", "这是{}", "写着{}的图", "一张{}的图片")


def digit_captions(labels, rng=None, templates=TEMPLATES) -> list[str]:
    """每个标签 0–9 随机选一个模板，填入中文数字：``7`` → 例如 “手写的七”。"""
    y = check_array(labels, "labels", ndim=1, dtype=None)
    if not np.issubdtype(y.dtype, np.integer) or (y.size and (y.min() < 0 or y.max() > 9)):
        raise ValueError("labels must be integers in 0..9")
    if (
        isinstance(templates, str)
        or not hasattr(templates, "__len__")
        or len(templates) == 0
        or any(not isinstance(t, str) or "{}" not in t for t in templates)
    ):
        raise ValueError("templates must be a non-empty list of strings containing '{}'")
    rng = check_random_state(rng)
    picks = rng.integers(0, len(templates), size=len(y))
    return [templates[k].format(NUMERALS[c]) for k, c in zip(picks, y)]


class CharVocab:
    """按字切分的词表：``encode`` 把一批句子变成 ``(n, 最长)`` 的整数张量（0 为填充）与填充掩码（``True`` 为填充）。"""

    def __init__(self, texts):
        texts = list(texts)
        if not texts or any(not isinstance(t, str) or not t for t in texts):
            raise ValueError("texts must be a non-empty list of non-empty strings")
        self.chars = sorted(set("".join(texts)))
        self.index = {c: i + 1 for i, c in enumerate(self.chars)}

    def __len__(self) -> int:
        return len(self.chars) + 1

    def encode(self, texts, device=None) -> tuple[torch.Tensor, torch.Tensor]:
        texts = list(texts)
        if not texts or any(not isinstance(t, str) or not t for t in texts):
            raise ValueError("texts must be a non-empty list of non-empty strings")
        unknown = sorted({c for t in texts for c in t if c not in self.index})
        if unknown:
            raise ValueError(f"characters not in the vocabulary: {''.join(unknown)!r}")
        width = max(len(t) for t in texts)
        ids = torch.zeros(len(texts), width, dtype=torch.long)
        for i, t in enumerate(texts):
            ids[i, : len(t)] = torch.tensor([self.index[c] for c in t])
        return ids.to(device), (ids == 0).to(device)


def _pre_ln_encoder(dim: int, heads: int, depth: int) -> tuple[nn.Module, nn.Module]:
    """``depth`` 层 Pre-LN Transformer 编码层（GELU，前馈宽 ``2*dim``）与最后的层归一化：文本编码器与描述解码器共用。"""
    layer = TransformerEncoderLayer(
        dim, heads, dim_feedforward=2 * dim, dropout=0.0, activation="gelu", batch_first=True, norm_first=True
    )
    return TransformerEncoder(layer, depth), LayerNorm(dim)


def _check_images(module: nn.Module, images) -> None:
    """``images``：``module.image_size`` 见方的单通道图像，形状 ``(n, s, s)``、``(n, 1, s, s)`` 或 ``(n, s*s)``。"""
    check_module_input(images, module, "images", ndim=(2, 3, 4))
    side = module.image_size
    if images.shape[-2:] != (side, side) and tuple(images.shape[1:]) != (side * side,):
        raise ValueError(f"images must hold {side}x{side} single-channel images, got shape {tuple(images.shape)}")


class TextEncoder(nn.Module):
    """字嵌入 + 可学习位置编码 + ``depth`` 层 Transformer 编码层（Pre-LN）。

    ``forward(ids, pad)`` 返回句向量 ``(n, dim)``（非填充位置的平均）；``tokens(ids, pad)`` 返回每个字的表示。"""

    def __init__(self, vocab_size: int, dim: int = 32, depth: int = 1, heads: int = 4, max_len: int = 16):
        super().__init__()
        check_size(vocab_size, "vocab_size", min_val=2, max_val=2**24)
        check_size(max_len, "max_len", max_val=2**16)
        dim = check_size(dim, "dim", max_val=2**16)
        check_size(depth, "depth", max_val=1000)
        check_size(heads, "heads", max_val=dim)
        self.max_len = max_len
        self.embed = nn.Embedding(vocab_size, dim, padding_idx=0)
        self.pos = nn.Parameter(0.02 * torch.randn(1, max_len, dim))
        self.encoder, self.norm = _pre_ln_encoder(dim, heads, depth)

    def tokens(self, ids: torch.Tensor, pad: torch.Tensor) -> torch.Tensor:
        check_index_tensor(ids, "ids", high=self.embed.num_embeddings, ndim=2)
        if not isinstance(pad, torch.Tensor) or pad.dtype != torch.bool:
            raise TypeError(f"pad must be a bool tensor, got {getattr(pad, 'dtype', type(pad).__name__)}")
        if ids.ndim != 2 or pad.shape != ids.shape:
            raise ValueError(
                f"ids and pad must be 2-D of the same shape, got {tuple(ids.shape)} and {tuple(pad.shape)}"
            )
        if ids.shape[1] > self.max_len:
            raise ValueError(f"captions longer than max_len={self.max_len} characters: {ids.shape[1]}")
        x = self.embed(ids) + self.pos[:, : ids.shape[1]]
        return self.norm(self.encoder(x, src_key_padding_mask=pad))

    def forward(self, ids: torch.Tensor, pad: torch.Tensor) -> torch.Tensor:
        h = self.tokens(ids, pad)
        keep = (~pad).unsqueeze(-1).to(h.dtype)
        return (h * keep).sum(1) / keep.sum(1).clamp(min=1)


def clip_loss(image_emb: torch.Tensor, text_emb: torch.Tensor, logit_scale) -> torch.Tensor:
    r"""CLIP 的对称对比损失：logit :math:`s\cdot\cos(\mathbf u_i,\mathbf v_j)`，
    第 :math:`i` 张图与第 :math:`i` 句话配对，
    :math:`\frac12[\mathrm{CE}(\text{logits},\text{对角线})+\mathrm{CE}(\text{logits}^\top,\text{对角线})]`。
    ``logit_scale`` 是 :math:`s`（正数或正的标量张量，可以是可学习参数）。"""
    if image_emb.shape != text_emb.shape:
        raise ValueError(
            f"image_emb and text_emb must have the same shape, got {tuple(image_emb.shape)} and {tuple(text_emb.shape)}"
        )
    s = logit_scale if isinstance(logit_scale, torch.Tensor) else torch.tensor(float(logit_scale))
    if s.numel() != 1 or not bool(s > 0):
        raise ValueError(f"logit_scale must be a positive scalar, got {logit_scale!r}")
    # 温度 1/s：两个方向各是一次 InfoNCE（批内其他样本作负样本）
    i = F.normalize(image_emb, dim=1) * s
    t = F.normalize(text_emb, dim=1)
    return 0.5 * (info_nce(i, t, temperature=1.0, normalize=False) + info_nce(t, i, temperature=1.0, normalize=False))


def zero_shot_classify(image_emb: torch.Tensor, class_text_emb: torch.Tensor) -> torch.Tensor:
    """每张图取余弦相似度最大的类别提示，返回类别下标 ``(n,)``。"""
    if image_emb.ndim != 2 or class_text_emb.ndim != 2 or image_emb.shape[1] != class_text_emb.shape[1]:
        raise ValueError(
            "image_emb (n, d) and class_text_emb (K, d) must be 2-D with the same d, "
            f"got {tuple(image_emb.shape)} and {tuple(class_text_emb.shape)}"
        )
    return (F.normalize(image_emb, dim=1) @ F.normalize(class_text_emb, dim=1).T).argmax(1)


class ImageTextMatcher(nn.Module):
    """BLIP 式的图文匹配头：图像切成 ``patch``×``patch`` 小块、线性嵌入加位置编码，文本各字的表示（``text_dim`` 维）
    作查询做一次交叉注意力，残差 + 层归一化后对非填充位置取平均，线性层输出“配对”的 logit。"""

    def __init__(self, text_dim: int = 32, heads: int = 4, patch: int = 4, image_size: int = 8):
        super().__init__()
        image_size = check_size(image_size, "image_size", max_val=4096)
        patch = check_size(patch, "patch", max_val=image_size)
        if image_size % patch:
            raise ValueError(f"image_size={image_size} must be divisible by patch={patch}")
        text_dim = check_size(text_dim, "text_dim", max_val=2**16)
        check_size(heads, "heads", max_val=text_dim)
        n_patches = (image_size // patch) ** 2
        self.patch, self.image_size, self.text_dim = patch, image_size, text_dim
        self.patch_embed = nn.Linear(patch * patch, text_dim)
        self.pos = nn.Parameter(0.02 * torch.randn(1, n_patches, text_dim))
        self.cross = MultiheadAttention(text_dim, heads, batch_first=True)
        self.norm = LayerNorm(text_dim)
        self.head = nn.Linear(text_dim, 1)

    def forward(self, images: torch.Tensor, text_tokens: torch.Tensor, pad: torch.Tensor) -> torch.Tensor:
        _check_images(self, images)
        check_module_input(text_tokens, self, "text_tokens", ndim=3, sizes={-1: self.text_dim})
        if not isinstance(pad, torch.Tensor) or pad.dtype != torch.bool or pad.shape != text_tokens.shape[:2]:
            raise ValueError(
                f"pad must be a bool tensor of shape {tuple(text_tokens.shape[:2])}, "
                f"got {getattr(pad, 'dtype', type(pad).__name__)} {tuple(getattr(pad, 'shape', ()))}"
            )
        img = self.patch_embed(patchify(images, self.patch)) + self.pos
        if text_tokens.shape[0] != img.shape[0]:
            raise ValueError(
                f"need one caption per image, got {text_tokens.shape[0]} captions for {img.shape[0]} images"
            )
        h = self.norm(text_tokens + self.cross(text_tokens, img, img, need_weights=False)[0])
        keep = (~pad).unsqueeze(-1).to(h.dtype)
        return self.head((h * keep).sum(1) / keep.sum(1).clamp(min=1)).squeeze(-1)


def prefix_causal_mask(n_prefix: int, n_text: int, device=None) -> torch.Tensor:
    r"""``(P+T)×(P+T)`` 的布尔注意力掩码（``True`` 表示**遮住**，与 ``torch.nn.MultiheadAttention`` 相同）：
    前 ``n_prefix`` 个位置（图像小块）只看彼此；第 :math:`t` 个字看全部图像小块与第 :math:`\le t` 个字。"""
    n_prefix = check_size(n_prefix, "n_prefix", max_val=2**16)
    n_text = check_size(n_text, "n_text", max_val=2**16)
    n = n_prefix + n_text
    allowed = torch.ones(n, n, dtype=torch.bool, device=device).tril()
    allowed[:, :n_prefix] = True  # 所有位置都看得见图像
    allowed[:n_prefix, n_prefix:] = False  # 图像看不见文字
    return ~allowed


class CaptionDecoder(nn.Module):
    r"""以图像为条件的字级语言模型（前缀语言模型）：图像切成 ``patch``×``patch`` 小块、线性嵌入加位置编码作前缀，
    后面接描述的字嵌入加位置编码，经 ``depth`` 层 Pre-LN Transformer 编码层（前缀因果掩码
    :func:`prefix_causal_mask`），每个字位置输出下一个字的 logit。

    ``forward(images, ids)`` 返回 ``(n, T, vocab_size)``：第 :math:`t` 个位置预测 ``ids[:, t+1]``。
    ``generate(images, bos, eos, max_len)`` 从开始符 ``bos`` 起每步取概率最大的字，直到 ``eos`` 或 ``max_len`` 个字。
    （BLIP 的解码器用交叉注意力看图像；这里把图像放进同一个序列，结构更简单，条件化的方式相同：每个字都看得见整张图。）
    """

    def __init__(
        self,
        vocab_size: int,
        dim: int = 32,
        depth: int = 1,
        heads: int = 4,
        patch: int = 4,
        image_size: int = 8,
        max_len: int = 16,
    ):
        super().__init__()
        check_size(vocab_size, "vocab_size", min_val=2, max_val=2**24)
        image_size = check_size(image_size, "image_size", max_val=4096)
        patch = check_size(patch, "patch", max_val=image_size)
        if image_size % patch:
            raise ValueError(f"image_size={image_size} must be divisible by patch={patch}")
        dim = check_size(dim, "dim", max_val=2**16)
        check_size(depth, "depth", max_val=1000)
        check_size(heads, "heads", max_val=dim)
        self.max_len = check_size(max_len, "max_len", max_val=2**16)
        self.patch, self.image_size = patch, image_size
        self.n_patches = (image_size // patch) ** 2
        self.patch_embed = nn.Linear(patch * patch, dim)
        self.image_pos = nn.Parameter(0.02 * torch.randn(1, self.n_patches, dim))
        self.embed = nn.Embedding(vocab_size, dim, padding_idx=0)
        self.text_pos = nn.Parameter(0.02 * torch.randn(1, max_len, dim))
        self.encoder, self.norm = _pre_ln_encoder(dim, heads, depth)
        self.lm_head = nn.Linear(dim, vocab_size)

    def _image_tokens(self, images: torch.Tensor) -> torch.Tensor:
        _check_images(self, images)
        return self.patch_embed(patchify(images, self.patch)) + self.image_pos

    def forward(self, images: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        img = self._image_tokens(images)
        check_index_tensor(ids, "ids", high=self.embed.num_embeddings, ndim=2)
        if ids.shape[0] != img.shape[0]:
            raise ValueError(f"need one caption per image, got {ids.shape[0]} captions for {img.shape[0]} images")
        if ids.shape[1] > self.max_len:
            raise ValueError(f"ids holds captions longer than max_len={self.max_len} characters: {ids.shape[1]}")
        txt = self.embed(ids) + self.text_pos[:, : ids.shape[1]]
        mask = prefix_causal_mask(self.n_patches, ids.shape[1], device=ids.device)
        h = self.encoder(torch.cat([img, txt], dim=1), mask=mask)
        return self.lm_head(self.norm(h[:, self.n_patches :]))

    @torch.no_grad()
    def generate(self, images: torch.Tensor, bos: int, eos: int, max_len: int | None = None) -> torch.Tensor:
        """贪心生成：返回 ``(n, ≤max_len+1)`` 的字下标（第 0 列是 ``bos``；遇到 ``eos`` 之后的位置填 0）。"""
        V = self.embed.num_embeddings
        bos = check_size(bos, "bos", max_val=V - 1)
        eos = check_size(eos, "eos", max_val=V - 1)
        max_len = self.max_len - 1 if max_len is None else check_size(max_len, "max_len", max_val=self.max_len - 1)
        n = self._image_tokens(images).shape[0]
        ids = torch.full((n, 1), bos, dtype=torch.long, device=images.device)
        done = torch.zeros(n, dtype=torch.bool, device=images.device)
        for _ in range(max_len):
            nxt = self(images, ids)[:, -1].argmax(-1)
            nxt = torch.where(done, torch.zeros_like(nxt), nxt)
            ids = torch.cat([ids, nxt[:, None]], dim=1)
            done |= nxt == eos
            if bool(done.all()):
                break
        return ids
