"""lib.multimodal：描述与词表、CLIP 损失的性质、零样本分类、文本编码器的填充、图文匹配头、坏输入。"""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lib.contrastive import info_nce
from lib.multimodal import (
    NUMERALS,
    TEMPLATES,
    CaptionDecoder,
    CharVocab,
    ImageTextMatcher,
    TextEncoder,
    clip_loss,
    digit_captions,
    prefix_causal_mask,
    zero_shot_classify,
)


def test_captions_and_vocab():
    caps = digit_captions(np.array([7, 0, 3]), rng=0)
    assert all(NUMERALS[c] in t for c, t in zip([7, 0, 3], caps))
    assert digit_captions([7], rng=0, templates=["数字{}"]) == ["数字七"]
    vocab = CharVocab([t.format(c) for t in TEMPLATES for c in NUMERALS])
    ids, pad = vocab.encode(["数字七", "这是一"])
    assert ids.shape == (2, 3) and not pad.any()
    ids, pad = vocab.encode(["数字七", "一"])
    assert pad.tolist() == [[False, False, False], [False, True, True]] and ids[1, 1:].tolist() == [0, 0]


def test_clip_loss_properties():
    g = torch.Generator().manual_seed(0)
    # 所有 logit 相等：损失 = log N
    u = torch.ones(32, 4, dtype=torch.float64)
    assert float(clip_loss(u, u, 1.0)) == pytest.approx(math.log(32))
    # 正交的单位向量配对、尺度很大：损失趋于 0
    e = torch.eye(8, dtype=torch.float64)
    assert float(clip_loss(e, e, 100.0)) < 1e-12
    # 等于两个方向交叉熵的平均
    a, b = torch.randn(6, 5, generator=g, dtype=torch.float64), torch.randn(6, 5, generator=g, dtype=torch.float64)
    logits = 3.0 * F.normalize(a, dim=1) @ F.normalize(b, dim=1).T
    ref = 0.5 * (F.cross_entropy(logits, torch.arange(6)) + F.cross_entropy(logits.T, torch.arange(6)))
    assert float(clip_loss(a, b, 3.0)) == pytest.approx(float(ref), rel=1e-12)
    ref2 = 0.5 * (info_nce(a, b, temperature=1 / 3) + info_nce(b, a, temperature=1 / 3))
    assert float(clip_loss(a, b, torch.tensor(3.0, dtype=torch.float64))) == pytest.approx(float(ref2), rel=1e-12)


def test_zero_shot_and_text_encoder_padding():
    emb = torch.tensor([[1.0, 0.0], [0.0, 2.0], [-1.0, 0.1]])
    cls = torch.tensor([[0.0, 1.0], [1.0, 0.0], [-1.0, 0.0]])
    assert zero_shot_classify(emb, cls).tolist() == [1, 0, 2]
    torch.manual_seed(0)
    vocab = CharVocab(["数字七", "一"])
    enc = TextEncoder(len(vocab), dim=8, heads=2).eval()
    ids, pad = vocab.encode(["一"])
    ids2, pad2 = vocab.encode(["一", "数字七"])
    with torch.no_grad():
        assert torch.allclose(enc(ids, pad)[0], enc(ids2, pad2)[0], atol=1e-6)  # 填充不影响句向量


def test_matcher_shapes_and_grad():
    torch.manual_seed(0)
    m = ImageTextMatcher(text_dim=8, heads=2)
    out = m(torch.rand(3, 64), torch.randn(3, 5, 8), torch.zeros(3, 5, dtype=torch.bool))
    assert out.shape == (3,)
    out.sum().backward()
    assert m.patch_embed.weight.grad is not None


def test_matcher_equals_torch_reference_and_ignores_padding():
    """交叉注意力 + 残差 + LayerNorm + 非填充位置平均 + 线性头，与用 torch.nn 的层逐步算的结果相同。"""
    torch.manual_seed(0)
    m = ImageTextMatcher(text_dim=8, heads=2).double()
    images = torch.rand(3, 64, dtype=torch.float64)
    text = torch.randn(3, 5, 8, dtype=torch.float64)
    pad = torch.tensor([[False] * 5, [False] * 3 + [True] * 2, [False] + [True] * 4])
    mha = torch.nn.MultiheadAttention(8, 2, batch_first=True).double()
    mha.load_state_dict(m.cross.state_dict())
    ln = torch.nn.LayerNorm(8).double()
    ln.load_state_dict(m.norm.state_dict())
    with torch.no_grad():
        p = images.reshape(3, 2, 4, 2, 4).permute(0, 1, 3, 2, 4).reshape(3, 4, 16)  # 4 个 4×4 小块，行优先
        kv = m.patch_embed(p) + m.pos
        h = ln(text + mha(text, kv, kv, need_weights=False)[0])
        keep = (~pad).unsqueeze(-1).double()
        ref = m.head((h * keep).sum(1) / keep.sum(1)).squeeze(-1)
        out = m(images, text, pad)
        assert torch.allclose(out, ref, atol=1e-12)
        # 填充位置上的文本向量改成什么都不影响输出
        text2 = torch.where(pad.unsqueeze(-1), torch.randn_like(text), text)
        assert torch.allclose(m(images, text2, pad), out, atol=1e-12)


def test_prefix_causal_mask():
    P, T = 4, 3
    m = prefix_causal_mask(P, T)
    for i in range(P + T):
        for j in range(P + T):
            visible = j < P if i < P else (j < P or j <= i)
            assert bool(m[i, j]) == (not visible)


def test_caption_decoder_equals_torch_reference_and_is_causal():
    torch.manual_seed(0)
    dec = CaptionDecoder(vocab_size=9, dim=8, depth=1, heads=2).double().eval()
    images = torch.rand(2, 64, dtype=torch.float64)
    ids = torch.randint(1, 9, (2, 5))
    ref_layer = torch.nn.TransformerEncoderLayer(
        8, 2, dim_feedforward=16, dropout=0.0, activation="gelu", batch_first=True, norm_first=True
    ).double()
    ref_layer.load_state_dict(dec.encoder.layers[0].state_dict())
    ln = torch.nn.LayerNorm(8).double()
    ln.load_state_dict(dec.norm.state_dict())
    with torch.no_grad():
        p = images.reshape(2, 2, 4, 2, 4).permute(0, 1, 3, 2, 4).reshape(2, 4, 16)
        seq = torch.cat([dec.patch_embed(p) + dec.image_pos, dec.embed(ids) + dec.text_pos[:, :5]], dim=1)
        ref = dec.lm_head(ln(ref_layer(seq, src_mask=prefix_causal_mask(4, 5)))[:, 4:])
        out = dec(images, ids)
        assert out.shape == (2, 5, 9) and torch.allclose(out, ref, atol=1e-12)
        # 因果：改第 3 个字，只影响第 3 个及以后位置的输出；改图像，第 0 个位置就变
        ids2 = ids.clone()
        ids2[:, 3] = ids[:, 3] % 8 + 1
        out2 = dec(images, ids2)
        assert torch.allclose(out2[:, :3], out[:, :3], atol=1e-12) and not torch.allclose(out2[:, 3], out[:, 3])
        assert not torch.allclose(dec(torch.rand(2, 64, dtype=torch.float64), ids)[:, 0], out[:, 0])


def test_caption_decoder_generate_is_greedy():
    torch.manual_seed(1)
    dec = CaptionDecoder(vocab_size=7, dim=8, heads=2, max_len=6).eval()
    images = torch.rand(3, 64)
    gen = dec.generate(images, bos=1, eos=2)
    assert gen.shape[0] == 3 and gen.shape[1] <= 6 and torch.all(gen[:, 0] == 1)
    with torch.no_grad():
        for i in range(3):
            seq = gen[i : i + 1, :1]
            for t in range(1, gen.shape[1]):
                if int(seq[0, -1]) == 2:  # eos 之后填 0
                    assert torch.all(gen[i, t:] == 0)
                    break
                nxt = dec(images[i : i + 1], seq)[0, -1].argmax()
                assert int(gen[i, t]) == int(nxt)
                seq = torch.cat([seq, nxt.view(1, 1)], dim=1)


def test_bad_input():
    with pytest.raises(ValueError, match="labels must be integers in 0..9"):
        digit_captions([10])
    with pytest.raises(ValueError, match="templates must"):
        digit_captions([1], templates=["没有占位"])
    vocab = CharVocab(["数字七"])
    with pytest.raises(ValueError, match="not in the vocabulary"):
        vocab.encode(["数字八"])
    with pytest.raises(ValueError, match="non-empty strings"):
        vocab.encode([""])
    with pytest.raises(ValueError, match="same shape"):
        clip_loss(torch.zeros(3, 2), torch.zeros(4, 2), 1.0)
    with pytest.raises(ValueError, match="logit_scale must be a positive scalar"):
        clip_loss(torch.zeros(3, 2), torch.zeros(3, 2), -1.0)
    with pytest.raises(ValueError, match="same d"):
        zero_shot_classify(torch.zeros(3, 2), torch.zeros(4, 3))
    enc = TextEncoder(len(vocab), dim=8, heads=2, max_len=2)
    ids, pad = vocab.encode(["数字七"])
    with pytest.raises(ValueError, match="longer than max_len"):
        enc(ids, pad)
    with pytest.raises(ValueError, match="one caption per image"):
        ImageTextMatcher(text_dim=8, heads=2)(
            torch.rand(3, 64), torch.randn(2, 5, 8), torch.zeros(2, 5, dtype=torch.bool)
        )
    matcher = ImageTextMatcher(text_dim=8, heads=2)
    with pytest.raises(ValueError, match="text_tokens must have size 8 in dimension -1"):
        matcher(torch.rand(2, 64), torch.randn(2, 5, 6), torch.zeros(2, 5, dtype=torch.bool))
    with pytest.raises(ValueError, match="pad must be a bool tensor of shape"):
        matcher(torch.rand(2, 64), torch.randn(2, 5, 8), torch.zeros(2, 5))
    with pytest.raises(ValueError, match="images must hold 8x8"):
        matcher(torch.rand(2, 12, 12), torch.randn(2, 5, 8), torch.zeros(2, 5, dtype=torch.bool))
    with pytest.raises(TypeError, match="images is torch.float64"):
        matcher(torch.rand(2, 64, dtype=torch.float64), torch.randn(2, 5, 8), torch.zeros(2, 5, dtype=torch.bool))
    dec = CaptionDecoder(vocab_size=5, dim=8, heads=2, max_len=4)
    with pytest.raises(ValueError, match="need one caption per image"):
        dec(torch.rand(3, 64), torch.ones(2, 3, dtype=torch.long))
    with pytest.raises(ValueError, match="longer than max_len"):
        dec(torch.rand(2, 64), torch.ones(2, 5, dtype=torch.long))
    with pytest.raises(ValueError, match="ids"):
        dec(torch.rand(2, 64), torch.full((2, 3), 5, dtype=torch.long))
    with pytest.raises(ValueError, match="images must hold 8x8"):
        dec(torch.rand(2, 12, 12), torch.ones(2, 3, dtype=torch.long))
    with pytest.raises(ValueError, match="bos"):
        dec.generate(torch.rand(2, 64), bos=5, eos=2)
    with pytest.raises(ValueError, match="n_text"):
        prefix_causal_mask(4, 0)
