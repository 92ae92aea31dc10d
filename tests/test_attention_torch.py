"""lib.attention.MultiheadAttention / TransformerEncoderLayer / TransformerEncoder against torch.nn (float64)."""

import math

import numpy as np
import pytest
import torch

from lib.attention import MultiheadAttention, TransformerEncoder, TransformerEncoderLayer, scaled_dot_product_attention

E, H, L, S, N = 8, 2, 5, 6, 3
TOL = {"rtol": 1e-10, "atol": 1e-12}


def _masks(kind, L_, S_, N_, seed=0):
    """(attn_mask, key_padding_mask) of a given kind, torch's convention (True = masked out)."""
    g = torch.Generator().manual_seed(seed)
    if kind == "none":
        return None, None
    attn = torch.rand(L_, S_, generator=g) < 0.3
    attn[:, 0] = False  # every query sees key 0
    kpm = torch.zeros(N_, S_, dtype=torch.bool)
    kpm[1, -2:] = True  # the second sequence is padded by two
    if kind == "bool":
        return attn, kpm
    if kind == "float":
        return (
            torch.randn(L_, S_, generator=g, dtype=torch.float64).masked_fill(attn, float("-inf")),
            torch.zeros(N_, S_, dtype=torch.float64).masked_fill(kpm, float("-inf")),
        )
    if kind == "per_head":
        a = torch.rand(N_ * H, L_, S_, generator=g) < 0.3
        a[..., 0] = False
        return a, None
    raise AssertionError(kind)


def _pair_mha(batch_first, bias=True, seed=0):
    torch.manual_seed(seed)
    ref = torch.nn.MultiheadAttention(E, H, bias=bias, batch_first=batch_first).double()
    ours = MultiheadAttention(E, H, bias=bias, batch_first=batch_first).double()
    ours.load_state_dict(ref.state_dict())
    return ours, ref


def _qkv(batch_first, self_attention, seed=1):
    g = torch.Generator().manual_seed(seed)
    shape = (lambda n: (N, n, E)) if batch_first else (lambda n: (n, N, E))
    q = torch.randn(*shape(L), generator=g, dtype=torch.float64)
    if self_attention:
        q = torch.randn(*shape(S), generator=g, dtype=torch.float64)
        return q, q, q
    k = torch.randn(*shape(S), generator=g, dtype=torch.float64)
    v = torch.randn(*shape(S), generator=g, dtype=torch.float64)
    return q, k, v


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("masks", ["none", "bool", "float", "per_head"])
@pytest.mark.parametrize("average", [True, False])
def test_multihead_attention_matches_torch(batch_first, masks, average):
    ours, ref = _pair_mha(batch_first)
    q, k, v = _qkv(batch_first, self_attention=False)
    attn_mask, kpm = _masks(masks, L, S, N)
    kw = {"attn_mask": attn_mask, "key_padding_mask": kpm, "average_attn_weights": average}
    y, w = ours(q, k, v, **kw)
    y_ref, w_ref = ref(q, k, v, **kw)
    torch.testing.assert_close(y, y_ref, **TOL)
    torch.testing.assert_close(w, w_ref, **TOL)
    assert w.shape == ((N, L, S) if average else (N, H, L, S))


def test_multihead_attention_self_attention_unbatched_no_bias_and_no_weights():
    ours, ref = _pair_mha(batch_first=False, bias=False)
    assert set(ours.state_dict()) == set(ref.state_dict()) == {"in_proj_weight", "out_proj.weight"}
    x = torch.randn(L, E, dtype=torch.float64)
    kpm = torch.tensor([False, False, False, True, True])
    y, w = ours(x, x, x, key_padding_mask=kpm)
    y_ref, w_ref = ref(x, x, x, key_padding_mask=kpm)
    torch.testing.assert_close(y, y_ref, **TOL)
    torch.testing.assert_close(w, w_ref, **TOL)
    assert w.shape == (L, L) and torch.all(w[:, 3:] == 0)
    y2, none = ours(x, x, x, need_weights=False)
    assert none is None
    torch.testing.assert_close(y2, ref(x, x, x, need_weights=False)[0], **TOL)


def test_multihead_attention_is_causal_equals_explicit_causal_mask():
    ours, ref = _pair_mha(batch_first=True)
    x = _qkv(True, self_attention=True)[0]
    causal = torch.nn.Transformer.generate_square_subsequent_mask(S, dtype=torch.float64)
    y, w = ours(x, x, x, is_causal=True)
    y_ref, w_ref = ref(x, x, x, attn_mask=causal, is_causal=True)
    torch.testing.assert_close(y, y_ref, **TOL)
    torch.testing.assert_close(w, w_ref, **TOL)
    assert torch.all(w.triu(1) == 0)


def test_multihead_attention_same_initialisation_as_torch():
    torch.manual_seed(3)
    ref = torch.nn.MultiheadAttention(E, H)
    torch.manual_seed(3)
    ours = MultiheadAttention(E, H)
    for (n1, p1), (n2, p2) in zip(ref.state_dict().items(), ours.state_dict().items(), strict=True):
        assert n1 == n2 and torch.equal(p1, p2)


def test_multihead_attention_gradients_match_torch():
    ours, ref = _pair_mha(batch_first=False)
    attn_mask, kpm = _masks("bool", L, S, N)
    grads = []
    for m in (ours, ref):
        q, k, v = (t.requires_grad_() for t in _qkv(False, self_attention=False))
        y, w = m(q, k, v, attn_mask=attn_mask, key_padding_mask=kpm)
        ((y**2).sum() + (w * torch.arange(S)).sum()).backward()
        grads.append([q.grad, k.grad, v.grad] + [p.grad for p in m.parameters()])
    for a, b in zip(*grads, strict=True):
        torch.testing.assert_close(a, b, **TOL)


def test_multihead_attention_gradcheck():
    torch.manual_seed(4)
    m = MultiheadAttention(4, 2, batch_first=True).double()
    x = torch.randn(2, 3, 4, dtype=torch.float64, requires_grad=True)
    kpm = torch.tensor([[False, False, True], [False, False, False]])
    assert torch.autograd.gradcheck(lambda t: m(t, t, t, key_padding_mask=kpm)[0], (x,))


def test_attention_dropout_in_training_and_not_in_eval():
    torch.manual_seed(5)
    m = MultiheadAttention(E, H, dropout=0.5, batch_first=True).double()
    x = torch.randn(2, L, E, dtype=torch.float64)
    y_train, w_train = m(x, x, x, average_attn_weights=False)
    # dropped weights are 0 or 2 × the kept ones: some entries were zeroed
    assert (w_train == 0).any()
    m.eval()
    y1, w1 = m(x, x, x)
    y2, _ = m(x, x, x)
    torch.testing.assert_close(y1, y2, rtol=0, atol=0)
    torch.testing.assert_close(w1.sum(-1), torch.ones(2, L, dtype=torch.float64))


def test_scaled_dot_product_attention_float_bias_matches_torch():
    g = torch.Generator().manual_seed(6)
    q, k, v = (torch.randn(2, 4, n, 3, generator=g, dtype=torch.float64) for n in (5, 7, 7))
    bias = torch.randn(5, 7, generator=g, dtype=torch.float64)
    ours = scaled_dot_product_attention(q, k, v, attn_bias=bias)
    ref = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=bias)
    torch.testing.assert_close(ours, ref, **TOL)


def _pair_layer(seed=0, **kw):
    torch.manual_seed(seed)
    ref = torch.nn.TransformerEncoderLayer(E, H, dim_feedforward=16, **kw).double()
    ours = TransformerEncoderLayer(E, H, dim_feedforward=16, **kw).double()
    ours.load_state_dict(ref.state_dict())
    ref.eval(), ours.eval()
    return ours, ref


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("masks", ["none", "bool", "float"])
def test_encoder_layer_matches_torch(batch_first, norm_first, activation, masks):
    ours, ref = _pair_layer(batch_first=batch_first, norm_first=norm_first, activation=activation)
    src = _qkv(batch_first, self_attention=True)[0]
    attn_mask, kpm = _masks(masks, S, S, N)
    outs, grads = [], []
    for m in (ours, ref):
        x = src.clone().requires_grad_()  # requires_grad keeps torch off its inference fast path
        y = m(x, src_mask=attn_mask, src_key_padding_mask=kpm)
        (y**3).sum().backward()
        outs.append(y)
        grads.append([x.grad] + [p.grad for p in m.parameters()])
    torch.testing.assert_close(outs[0], outs[1], **TOL)
    for a, b in zip(*grads, strict=True):
        torch.testing.assert_close(a, b, **TOL)


def test_encoder_layer_state_dict_names_and_init_match_torch():
    for kw in ({}, {"bias": False}):
        torch.manual_seed(7)
        ref = torch.nn.TransformerEncoderLayer(E, H, 16, **kw)
        torch.manual_seed(7)
        ours = TransformerEncoderLayer(E, H, 16, **kw)
        assert list(ours.state_dict()) == list(ref.state_dict())
        for a, b in zip(ours.state_dict().values(), ref.state_dict().values(), strict=True):
            assert torch.equal(a, b)
    names = dict(ours.named_children())
    for n in ("self_attn", "linear1", "dropout", "linear2", "norm1", "norm2", "dropout1", "dropout2"):
        assert n in names


def test_encoder_layer_unbatched_and_causal():
    ours, ref = _pair_layer(batch_first=True)
    x = torch.randn(S, E, dtype=torch.float64, requires_grad=True)
    causal = torch.nn.Transformer.generate_square_subsequent_mask(S, dtype=torch.float64)
    torch.testing.assert_close(ours(x, is_causal=True), ref(x, src_mask=causal, is_causal=True), **TOL)
    torch.testing.assert_close(ours(x, src_mask=causal), ref(x, src_mask=causal), **TOL)


def test_encoder_stack_matches_torch():
    torch.manual_seed(8)
    layer = torch.nn.TransformerEncoderLayer(E, H, 16, batch_first=True, norm_first=True)
    ref = torch.nn.TransformerEncoder(layer, 3, norm=torch.nn.LayerNorm(E), enable_nested_tensor=False).double()
    from lib.nn import LayerNorm

    ours = TransformerEncoder(TransformerEncoderLayer(E, H, 16, batch_first=True, norm_first=True), 3, LayerNorm(E))
    ours = ours.double()
    ours.load_state_dict(ref.state_dict())
    ref.eval(), ours.eval()
    x = torch.randn(N, S, E, dtype=torch.float64, requires_grad=True)
    kpm = _masks("bool", S, S, N)[1]
    torch.testing.assert_close(ours(x, src_key_padding_mask=kpm), ref(x, src_key_padding_mask=kpm), **TOL)


def test_errors():
    m = MultiheadAttention(E, H).double()
    x = torch.randn(L, N, E, dtype=torch.float64)
    with pytest.raises(ValueError, match="embed_dim must be divisible by num_heads, got embed_dim=6, num_heads=4"):
        MultiheadAttention(6, 4)
    with pytest.raises(ValueError, match="dropout must be <= 1"):
        MultiheadAttention(E, H, dropout=1.5)
    with pytest.raises(ValueError, match=r"query must have last dimension embed_dim=8, got \(5, 3, 6\)"):
        m(x[..., :6], x, x)
    with pytest.raises(ValueError, match=r"key must have last dimension embed_dim=8"):
        m(x, x[..., :6], x)
    with pytest.raises(ValueError, match="key and value must have the same shape"):
        m(x, x, x[:4])
    with pytest.raises(ValueError, match="query must be 3-D"):
        m(x[0, 0], x[0, 0], x[0, 0])
    with pytest.raises(ValueError, match="query and key must have the same batch size, got 3 and 2"):
        m(x, x[:, :2], x[:, :2])
    with pytest.raises(ValueError, match=r"attn_mask must have shape \(5, 5\) or \(6, 5, 5\)"):
        m(x, x, x, attn_mask=torch.zeros(4, 5, dtype=torch.bool))
    with pytest.raises(ValueError, match=r"key_padding_mask must have shape \(3, 5\)"):
        m(x, x, x, key_padding_mask=torch.zeros(5, 3, dtype=torch.bool))
    with pytest.raises(TypeError, match="attn_mask must be a boolean or floating-point tensor, got torch.int64"):
        m(x, x, x, attn_mask=torch.zeros(5, 5, dtype=torch.long))
    with pytest.raises(TypeError, match="query is torch.float32"):
        m(x.float(), x, x)
    with pytest.raises(TypeError, match="attn_bias must be a floating-point"):
        scaled_dot_product_attention(x, x, x, attn_bias=torch.zeros(3, 3, dtype=torch.long))
    layer = TransformerEncoderLayer(E, H, 16).double()
    with pytest.raises(ValueError, match=r"src must have shape \(L, N, d_model\) or \(L, d_model\) with d_model=8"):
        layer(x[..., :6])
    with pytest.raises(ValueError, match="activation must be 'relu', 'gelu' or a callable, got 'tanh'"):
        TransformerEncoderLayer(E, H, activation="tanh")
    with pytest.raises(ValueError, match="num_layers must be >= 1"):
        TransformerEncoder(layer, 0)


def test_additive_scores_are_a_one_hidden_layer_net_per_pair():
    from lib.attention import additive_attention_scores

    g = torch.Generator().manual_seed(9)
    q, k = torch.randn(2, 3, 4, generator=g), torch.randn(2, 5, 6, generator=g)
    W, U, v = torch.randn(7, 6, generator=g), torch.randn(7, 4, generator=g), torch.randn(7, generator=g)
    s = additive_attention_scores(q, k, W, U, v)
    assert s.shape == (2, 3, 5)
    torch.testing.assert_close(s[1, 2, 4], v @ torch.tanh(W @ k[1, 4] + U @ q[1, 2]))
    with pytest.raises(ValueError, match=r"need v \(h,\), W \(h, 6\), U \(h, 4\)"):
        additive_attention_scores(q, k, W[:, :5], U, v)


def test_sinusoidal_positional_encoding():
    from lib.attention import sinusoidal_positional_encoding

    P = sinusoidal_positional_encoding(50, 16, dtype=torch.float64)
    t, i = 7, 3
    assert P.shape == (50, 16)
    torch.testing.assert_close(P[t, 2 * i], torch.tensor(np.sin(t / 10000 ** (2 * i / 16)), dtype=torch.float64))
    torch.testing.assert_close(P[t, 2 * i + 1], torch.tensor(np.cos(t / 10000 ** (2 * i / 16)), dtype=torch.float64))
    # P_{t+k} · P_t depends on k only
    dots = (P[5:] * P[:-5]).sum(1)
    torch.testing.assert_close(dots, dots[0].expand_as(dots))
    with pytest.raises(ValueError, match="d_model must be even"):
        sinusoidal_positional_encoding(4, 5)


def test_pointer_network_masks_visited_positions_and_teacher_forcing_matches_greedy():
    from lib.attention import PointerNetwork

    torch.manual_seed(10)
    net = PointerNetwork(1, 16, nhead=2).double()
    x = torch.rand(3, 6, 1, dtype=torch.float64)
    ptr, A = net.decode(x)
    assert all(sorted(p.tolist()) == list(range(6)) for p in ptr)  # a permutation
    torch.testing.assert_close(A.sum(-1), torch.ones(3, 6, dtype=torch.float64))
    scores = net(x, ptr)
    torch.testing.assert_close(torch.softmax(scores, -1), A)
    assert torch.all(A[:, 1:][torch.isinf(scores[:, 1:])] == 0)
    with pytest.raises(ValueError, match=r"targets must be a long tensor of shape \(3, 6\)"):
        net(x, ptr[:, :4])
    with pytest.raises(ValueError, match=r"x must have shape \(batch, n, 1\)"):
        net.decode(x[..., 0])
    with pytest.raises(ValueError, match="hidden must be divisible by nhead, got hidden=10, nhead=4"):
        PointerNetwork(1, 10, nhead=4)
    with pytest.raises(ValueError, match="n_layers must be >= 1"):
        PointerNetwork(1, 16, n_layers=0)


def test_pointer_network_scores_are_the_additive_formula_step_by_step():
    # 独立地按公式重走一遍教师强制的解码：h_i 由 LSTM 单元更新（第一步输入起始向量，之后输入上一步指向的 e），
    # s_ij = v·tanh(W e_j + U h_i)，已指过的位置为 -inf
    from lib.attention import PointerNetwork

    torch.manual_seed(11)
    net = PointerNetwork(2, 8, nhead=2).double()
    x = torch.rand(2, 5, 2, dtype=torch.float64)
    target = torch.stack([torch.randperm(5) for _ in range(2)])
    scores = net(x, target)
    with torch.no_grad():
        e = net.encoder(net.embed(x))
        W, U, v = net.W.weight, net.U.weight, net.v
        for b in range(2):
            h = c = torch.zeros(1, 8, dtype=torch.float64)
            inp = net.start[None]
            for i in range(5):
                h, c = net.cell(inp, (h, c))
                for j in range(5):
                    want = -math.inf if j in target[b, :i].tolist() else (v @ torch.tanh(W @ e[b, j] + U @ h[0])).item()
                    assert scores[b, i, j].item() == pytest.approx(want, rel=1e-12, abs=1e-12)
                inp = e[b, target[b, i]][None]


def test_pointer_network_is_blind_to_the_input_order():
    # 编码器不加位置编码：把输入打乱，指针指向的是同样的数（下标跟着置换）
    from lib.attention import PointerNetwork

    torch.manual_seed(12)
    net = PointerNetwork(1, 16, nhead=2).double()
    x = torch.rand(4, 7, 1, dtype=torch.float64)
    perm = torch.randperm(7)
    ptr, A = net.decode(x)
    ptr_p, A_p = net.decode(x[:, perm])
    torch.testing.assert_close(x[:, perm][torch.arange(4)[:, None], ptr_p], x[torch.arange(4)[:, None], ptr])
    torch.testing.assert_close(A_p, A[:, :, perm])
