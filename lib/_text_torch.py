"""文本表示一章的 PyTorch 部分：word2vec、小型 Transformer 语言模型与小型 ELMo。

由 ``lib.text`` 按需导入；公开名字是 ``lib.text.Word2Vec``、``lib.text.train_word2vec``、
``lib.text.TransformerLM`` 与 ``lib.text.ELMo``。
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
import torch
import torch.nn as nn

from .text import huffman_tree, nce_loss, unigram_noise
from .utils import check_array, check_option, check_scalar, check_size

__all__ = ["Word2Vec", "train_word2vec", "TransformerLM", "ELMo"]


class Word2Vec(nn.Module):
    r"""word2vec（PyTorch）：输入向量 ``in_embed``（:math:`v_w`）与输出向量（:math:`u_w` 或树的内部结点向量）分开。

    ``mode="skipgram"``：输入是中心词 id ``(B,)``，预测一个上下文词；``mode="cbow"``：输入是上下文 id ``(B, 2c)``
    （-1 为空位），隐藏向量 :math:`h` 是它们输入向量的平均，预测中心词。``loss``：

    * ``"softmax"``：:math:`-\ln\frac{\exp(u_o^\top h)}{\sum_w\exp(u_w^\top h)}`；
    * ``"hs"``：层次 softmax，:math:`-\sum_j\ln\sigma\bigl((1-2d_j)\,n_j^\top h\bigr)`，
      沿 Huffman 路径（需要 ``counts``）；
    * ``"neg"``：负采样，:math:`-\ln\sigma(u_o^\top h)-\sum_{k=1}^K\ln\sigma(-u_{w_k}^\top h)`，
      :math:`w_k\sim q\propto c^{3/4}`；
    * ``"nce"``：噪声对比估计，同样的 K 个噪声词，但模型得分 :math:`s=u^\top h+b_w` 带一个词偏置，
      并用 :math:`G=s-\ln(Kq(w))` 代替 :math:`u^\top h`（:func:`nce_loss`）。
    """

    LOSSES = ("softmax", "hs", "neg", "nce")

    def __init__(
        self,
        vocab_size: int,
        dim: int,
        *,
        mode: str = "skipgram",
        loss: str = "softmax",
        counts=None,
        n_negative: int = 5,
        power: float = 0.75,
    ):
        import torch
        import torch.nn as nn

        super().__init__()
        check_size(vocab_size, "vocab_size", min_val=2, max_val=10**7)
        check_size(dim, "dim", max_val=2**14)
        check_size(n_negative, "n_negative", max_val=10**4)
        check_option(mode, "mode", ("skipgram", "cbow"))
        check_option(loss, "loss", self.LOSSES)
        check_scalar(power, "power", Real, min_val=0.0, max_val=10.0)
        if loss != "softmax" and counts is None:
            raise ValueError(f"loss={loss!r} needs the word counts (counts=...)")
        if counts is not None:
            counts = check_array(counts, "counts", ndim=1)
            if counts.shape != (vocab_size,):
                raise ValueError(f"counts must have shape ({vocab_size},), got {counts.shape}")
            if (counts < 0).any() or not counts.sum() > 0:
                raise ValueError("counts must be non-negative word counts with a positive total")
        self.vocab_size, self.dim, self.mode, self.loss, self.n_negative = vocab_size, dim, mode, loss, n_negative
        self.in_embed = nn.Embedding(vocab_size, dim)
        nn.init.uniform_(self.in_embed.weight, -0.5 / dim, 0.5 / dim)
        n_out = vocab_size - 1 if loss == "hs" else vocab_size
        self.out_embed = nn.Embedding(n_out, dim)
        nn.init.zeros_(self.out_embed.weight)
        if loss == "hs":
            P, C, M = huffman_tree(counts).padded()
            self.register_buffer("hs_paths", torch.as_tensor(P))
            self.register_buffer("hs_signs", torch.as_tensor(1.0 - 2.0 * C, dtype=torch.float32))
            self.register_buffer("hs_mask", torch.as_tensor(M))
        if loss in ("neg", "nce"):
            self.register_buffer("noise", torch.as_tensor(unigram_noise(counts, power), dtype=torch.float32))
        if loss == "nce":
            # NCE fits an unnormalised score; a per-word bias b_w (initialised so that exp(score) = 1/V) carries
            # the log-normaliser, as in Mnih & Teh's NCE language models
            self.out_bias = nn.Parameter(torch.full((vocab_size,), -math.log(vocab_size)))

    def hidden(self, inputs):
        """隐藏向量 :math:`h`：skip-gram 是中心词的输入向量，CBOW 是上下文输入向量的平均。"""
        import torch

        if not isinstance(inputs, torch.Tensor) or inputs.dtype != torch.long:
            raise TypeError("inputs must be a torch.long tensor of word ids")
        want = 1 if self.mode == "skipgram" else 2
        if inputs.dim() != want:
            raise ValueError(f"mode={self.mode!r} takes inputs of {want} dimension(s), got shape {tuple(inputs.shape)}")
        lo = -1 if self.mode == "cbow" else 0
        if inputs.numel() and (inputs.min() < lo or inputs.max() >= self.vocab_size):
            raise ValueError(f"inputs: word ids must lie in [0, {self.vocab_size}) (-1 marks padding in CBOW)")
        if self.mode == "skipgram":
            return self.in_embed(inputs)
        mask = (inputs >= 0).unsqueeze(-1).to(self.in_embed.weight.dtype)
        if (mask.sum(1) == 0).any():
            raise ValueError("every CBOW example needs at least one context word")
        return (self.in_embed(inputs.clamp(min=0)) * mask).sum(1) / mask.sum(1)

    def _hs_logp(self, h, targets):
        import torch.nn.functional as F

        nodes = self.out_embed(self.hs_paths[targets])  # (B, depth, d)
        x = (nodes * h.unsqueeze(1)).sum(-1) * self.hs_signs[targets]
        return (F.logsigmoid(x) * self.hs_mask[targets]).sum(-1)

    def forward(self, inputs, targets, generator=None):
        """一批样本的平均损失。``targets`` 是要预测的词 id ``(B,)``。"""
        import torch
        import torch.nn.functional as F

        h = self.hidden(inputs)
        if not isinstance(targets, torch.Tensor) or targets.dtype != torch.long or targets.shape != h.shape[:1]:
            raise ValueError(f"targets must be a torch.long tensor of shape ({h.shape[0]},)")
        if targets.numel() and (targets.min() < 0 or targets.max() >= self.vocab_size):
            raise ValueError(f"targets: word ids must lie in [0, {self.vocab_size})")
        if self.loss == "softmax":
            return F.cross_entropy(h @ self.out_embed.weight.T, targets)
        if self.loss == "hs":
            return -self._hs_logp(h, targets).mean()
        B, K = h.shape[0], self.n_negative
        neg = torch.multinomial(self.noise, B * K, replacement=True, generator=generator).view(B, K)
        s_pos = (self.out_embed(targets) * h).sum(-1)
        s_neg = (self.out_embed(neg) * h.unsqueeze(1)).sum(-1)
        if self.loss == "neg":
            return -(F.logsigmoid(s_pos) + F.logsigmoid(-s_neg).sum(-1)).mean()
        log_q = torch.log(self.noise)
        s_pos, s_neg = s_pos + self.out_bias[targets], s_neg + self.out_bias[neg]
        return nce_loss(s_pos, log_q[targets], s_neg, log_q[neg], nu=K)

    def log_prob(self, inputs):
        """每个输入下全部词的对数概率 ``(B, V)``：softmax 与层次 softmax 是精确的归一化分布；
        负采样与 NCE 的得分 :math:`u_w^\\top h` 没有归一化，这里对它做 softmax。"""
        import torch

        h = self.hidden(inputs)
        if self.loss != "hs":
            scores = h @ self.out_embed.weight.T
            if self.loss == "nce":
                scores = scores + self.out_bias
            return torch.log_softmax(scores, dim=-1)
        scores = h @ self.out_embed.weight.T  # (B, V-1)：每个内部结点的得分
        x = scores[:, self.hs_paths] * self.hs_signs  # (B, V, depth)：沿每个叶子的路径
        return (torch.nn.functional.logsigmoid(x) * self.hs_mask).sum(-1)

    @property
    def embeddings(self) -> np.ndarray:
        """输入向量（词向量），NumPy 数组 ``(V, dim)``。"""
        return self.in_embed.weight.detach().cpu().numpy().copy()

    def extra_repr(self) -> str:
        return f"vocab_size={self.vocab_size}, dim={self.dim}, mode={self.mode!r}, loss={self.loss!r}"


def train_word2vec(model, inputs, targets, *, epochs: int = 1, batch_size: int = 512, lr: float = 0.01, seed: int = 0):
    """用 Adam 按小批量训练 :class:`Word2Vec`；每个 epoch 打乱一次（固定种子）。返回每个 epoch 的平均损失。"""
    import torch

    check_scalar(epochs, "epochs", Integral, min_val=1)
    check_scalar(batch_size, "batch_size", Integral, min_val=1)
    check_scalar(lr, "lr", Real, min_val=0.0, include_min=False)
    dev = model.in_embed.weight.device
    inputs = torch.as_tensor(np.asarray(inputs), dtype=torch.long, device=dev)
    targets = torch.as_tensor(np.asarray(targets), dtype=torch.long, device=dev)
    if len(inputs) != len(targets) or len(inputs) == 0:
        raise ValueError(
            f"inputs and targets must be non-empty with equal length, got {len(inputs)} and {len(targets)}"
        )
    gen = torch.Generator(device="cpu").manual_seed(seed)
    noise_gen = torch.Generator(device=dev).manual_seed(seed + 1)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    history = []
    for _ in range(epochs):
        perm = torch.randperm(len(inputs), generator=gen).to(dev)
        total = 0.0
        for s in range(0, len(inputs), batch_size):
            idx = perm[s : s + batch_size]
            loss = model(inputs[idx], targets[idx], generator=noise_gen)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        history.append(total / len(inputs))
    return history


class TransformerLM(nn.Module):
    r"""小型 Transformer 语言模型：词嵌入 + 可学习的位置嵌入 + ``lib.attention.TransformerEncoder`` + 输出层。

    ``causal=True`` 是 GPT 式的自回归模型，位置 :math:`t` 只看 :math:`\le t` 的词，
    输出 :math:`P(w_{t+1}\mid w_{\le t})` 的 logits；
    ``causal=False`` 是 BERT 式的双向编码器，每个位置看整句，训练时预测被掩码的词。
    输入 ``(B, L)`` 的词 id（``pad_id`` 处不被注意），输出 ``(B, L, vocab_size)`` 的 logits。
    层用 Pre-LN（``norm_first=True``），小模型更容易训练；输出层与词嵌入共享权重。
    """

    def __init__(
        self,
        vocab_size: int,
        *,
        d_model: int = 64,
        nhead: int = 4,
        num_layers: int = 2,
        dim_feedforward: int = 128,
        max_len: int = 64,
        causal: bool = True,
        pad_id: int | None = None,
        dropout: float = 0.0,
    ):
        from .attention import TransformerEncoder, TransformerEncoderLayer
        from .nn.norm import LayerNorm

        super().__init__()
        check_size(vocab_size, "vocab_size", min_val=2, max_val=10**7)
        check_size(max_len, "max_len", max_val=10**6)
        for name, v in (("d_model", d_model), ("nhead", nhead), ("num_layers", num_layers)):
            check_size(v, name, max_val=2**14)
        check_size(dim_feedforward, "dim_feedforward", max_val=2**16)
        check_scalar(causal, "causal", bool)
        if pad_id is not None:
            check_scalar(pad_id, "pad_id", Integral, min_val=0, max_val=vocab_size - 1)
        self.vocab_size, self.max_len, self.causal, self.pad_id = vocab_size, max_len, bool(causal), pad_id
        self.tok = nn.Embedding(vocab_size, d_model)
        self.pos = nn.Embedding(max_len, d_model)
        nn.init.normal_(self.tok.weight, std=0.02)
        nn.init.normal_(self.pos.weight, std=0.02)
        layer = TransformerEncoderLayer(
            d_model, nhead, dim_feedforward=dim_feedforward, dropout=dropout, batch_first=True, norm_first=True
        )
        self.encoder = TransformerEncoder(layer, num_layers, norm=LayerNorm(d_model))

    def _masks(self, ids):
        self._check_ids(ids)
        L = ids.shape[1]
        attn = torch.triu(torch.ones(L, L, dtype=torch.bool, device=ids.device), 1) if self.causal else None
        pad = (ids == self.pad_id) if self.pad_id is not None else None
        return attn, pad

    def _check_ids(self, ids):
        if not isinstance(ids, torch.Tensor) or ids.dtype != torch.long or ids.dim() != 2:
            raise TypeError("ids must be a (batch, length) torch.long tensor of token ids")
        if ids.shape[1] > self.max_len:
            raise ValueError(f"ids: sequences of length {ids.shape[1]} exceed max_len={self.max_len}")
        if ids.numel() and (ids.min() < 0 or ids.max() >= self.vocab_size):
            raise ValueError(f"ids: token ids must lie in [0, {self.vocab_size})")

    def _embed(self, ids):
        self._check_ids(ids)
        return self.tok(ids) + self.pos(torch.arange(ids.shape[1], device=ids.device))

    def hidden_states(self, ids):
        """最后一层（经最终层归一化）的上下文表示 ``(B, L, d_model)``。"""
        attn, pad = self._masks(ids)
        return self.encoder(self._embed(ids), mask=attn, src_key_padding_mask=pad)

    def forward(self, ids):
        return self.hidden_states(ids) @ self.tok.weight.T

    @torch.no_grad()
    def attention_maps(self, ids) -> list:
        """每一层各头的注意力权重，列表中每项形状 ``(B, nhead, L, L)``（画图用）。"""
        attn, pad = self._masks(ids)
        x, maps = self._embed(ids), []
        for layer in self.encoder.layers:
            z = layer.norm1(x) if layer.norm_first else x
            w = layer.self_attn(z, z, z, attn_mask=attn, key_padding_mask=pad, average_attn_weights=False)[1]
            maps.append(w)
            x = layer(x, src_mask=attn, src_key_padding_mask=pad)
        return maps

    def extra_repr(self) -> str:
        return f"vocab_size={self.vocab_size}, max_len={self.max_len}, causal={self.causal}"


class ELMo(nn.Module):
    r"""小型 ELMo：一个从左到右、一个从右到左的多层 LSTM 语言模型（``lib.rnn.LSTM``），共享词嵌入与输出层。

    输入 ``(B, L)`` 的词 id；``pad_id`` 给出时补齐只能在每句的末尾。记 :math:`H` 为 ``hidden_size``：

    * 第 0 层是词嵌入 :math:`\mathbf x_k`（上下文无关），表示为 :math:`[\mathbf x_k;\mathbf x_k]`；
    * 第 :math:`j` 层是 :math:`[\overrightarrow{\mathbf h}_{k,j};\overleftarrow{\mathbf h}_{k,j}]`：前向 LSTM 只读过
      :math:`w_{\le k}`，反向 LSTM 只读过 :math:`w_{\ge k}`（反向一侧把每句的有效部分倒过来，补齐仍在末尾）。

    ``forward`` 返回两个方向的 logits：``fwd[:, k]`` 预测 :math:`w_{k+1}`，``bwd[:, k]`` 预测 :math:`w_{k-1}`；
    ``lm_loss`` 是两个方向的平均交叉熵；``layer_states`` 给出各层表示 ``(J+1, B, L, 2H)``；
    ``embed`` 是它们的加权和 :math:`\gamma\sum_j s_j\mathbf h_{k,j}`，:math:`s=\operatorname{softmax}(\text{weights})`。
    原论文的词表示来自字符卷积，这里用普通的词嵌入。
    """

    def __init__(
        self, vocab_size: int, *, hidden_size: int = 64, num_layers: int = 1, pad_id: int | None = None
    ) -> None:
        from .rnn import LSTM

        super().__init__()
        check_size(vocab_size, "vocab_size", min_val=2, max_val=10**7)
        check_scalar(hidden_size, "hidden_size", Integral, min_val=1, max_val=2**14)
        check_scalar(num_layers, "num_layers", Integral, min_val=1, max_val=16)
        if pad_id is not None:
            check_scalar(pad_id, "pad_id", Integral, min_val=0, max_val=vocab_size - 1)
        self.vocab_size, self.hidden_size, self.num_layers, self.pad_id = vocab_size, hidden_size, num_layers, pad_id
        self.embedding = nn.Embedding(vocab_size, hidden_size)
        # 每层一个单层 LSTM，才能取出每一层的隐藏状态
        self.forward_lm = nn.ModuleList(LSTM(hidden_size, hidden_size, batch_first=True) for _ in range(num_layers))
        self.backward_lm = nn.ModuleList(LSTM(hidden_size, hidden_size, batch_first=True) for _ in range(num_layers))
        self.output = nn.Linear(hidden_size, vocab_size)  # 两个方向共用的 softmax 层

    def _check_ids(self, ids):
        if not isinstance(ids, torch.Tensor) or ids.dtype != torch.long or ids.dim() != 2:
            raise TypeError("ids must be a (batch, length) torch.long tensor of token ids")
        if ids.shape[0] == 0 or ids.shape[1] == 0:
            raise ValueError(f"ids must hold at least one token, got shape {tuple(ids.shape)}")
        if ids.min() < 0 or ids.max() >= self.vocab_size:
            raise ValueError(f"ids: token ids must lie in [0, {self.vocab_size})")
        L = ids.shape[1]
        if self.pad_id is None:
            return torch.full((ids.shape[0],), L, dtype=torch.long, device=ids.device)
        real = ids != self.pad_id
        lengths = real.sum(1)
        if (real != (torch.arange(L, device=ids.device) < lengths[:, None])).any():
            raise ValueError(f"padding (pad_id={self.pad_id}) may only appear at the end of each sequence")
        return lengths

    @staticmethod
    def _reverse_index(lengths, L):
        """把每行前 ``lengths`` 个位置倒序、其余不动的下标；它是自己的逆。"""
        t = torch.arange(L, device=lengths.device)
        return torch.where(t < lengths[:, None], lengths[:, None] - 1 - t, t)

    def layer_states(self, ids):
        """各层表示 ``(num_layers + 1, B, L, 2 * hidden_size)``；第 0 层是重复一次的词嵌入。"""
        lengths = self._check_ids(ids)
        rev = self._reverse_index(lengths, ids.shape[1])
        x = self.embedding(ids)
        states = [torch.cat([x, x], dim=-1)]
        h_f = x
        h_b = x.gather(1, rev[..., None].expand_as(x))  # 反向 LSTM 读倒过来的句子
        for f_lstm, b_lstm in zip(self.forward_lm, self.backward_lm):
            h_f = f_lstm(h_f)[0]
            h_b = b_lstm(h_b)[0]
            states.append(torch.cat([h_f, h_b.gather(1, rev[..., None].expand_as(h_b))], dim=-1))
        return torch.stack(states)

    def forward(self, ids):
        """``(fwd_logits, bwd_logits)``，各 ``(B, L, vocab_size)``。"""
        top = self.layer_states(ids)[-1]
        H = self.hidden_size
        return self.output(top[..., :H]), self.output(top[..., H:])

    def lm_loss(self, ids):
        r"""两个方向的平均交叉熵：:math:`-\tfrac12\bigl[\overline{\ln P(w_{k+1}\mid w_{\le k})}+
        \overline{\ln P(w_{k-1}\mid w_{\ge k})}\bigr]`，补齐位置不计。"""
        import torch.nn.functional as F

        fwd, bwd = self(ids)
        V = self.vocab_size
        y_f = ids[:, 1:]
        y_b = ids[:, :-1]
        if self.pad_id is not None:
            y_f = y_f.masked_fill(ids[:, 1:] == self.pad_id, -100)  # 目标是补齐
            y_b = y_b.masked_fill(ids[:, 1:] == self.pad_id, -100)  # 读的位置是补齐
        loss_f = F.cross_entropy(fwd[:, :-1].reshape(-1, V), y_f.reshape(-1), ignore_index=-100)
        loss_b = F.cross_entropy(bwd[:, 1:].reshape(-1, V), y_b.reshape(-1), ignore_index=-100)
        return (loss_f + loss_b) / 2

    def embed(self, ids, weights=None, gamma: float = 1.0):
        r"""ELMo 向量 :math:`\gamma\sum_{j=0}^{J}s_j\mathbf h_{k,j}`，:math:`s=\operatorname{softmax}(\text{weights})`；
        ``weights=None`` 时各层等权。``weights`` 与 ``gamma`` 可以是需要梯度的张量（下游任务学习它们）。
        返回 ``(B, L, 2 * hidden_size)``。"""
        if not isinstance(gamma, torch.Tensor):
            check_scalar(gamma, "gamma", Real)
        states = self.layer_states(ids)
        J1 = states.shape[0]
        if weights is None:
            weights = torch.zeros(J1, dtype=states.dtype, device=states.device)
        weights = torch.as_tensor(weights, dtype=states.dtype, device=states.device)
        if weights.shape != (J1,):
            raise ValueError(
                f"weights must have shape ({J1},) (one per layer, the embedding included), got {tuple(weights.shape)}"
            )
        s = torch.softmax(weights, 0)
        return gamma * (s[:, None, None, None] * states).sum(0)

    def extra_repr(self) -> str:
        return f"vocab_size={self.vocab_size}, hidden_size={self.hidden_size}, num_layers={self.num_layers}"
