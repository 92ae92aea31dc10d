"""lib.attention against torch.nn.functional.scaled_dot_product_attention and torch.nn.MultiheadAttention."""

import math

import pytest
import torch
import torch.nn.functional as F

from lib.attention import MultiHeadAttention, causal_mask, causal_self_attention, scaled_dot_product_attention

SHAPES = [((5, 4), (5, 4), (5, 3)), ((2, 7, 8), (2, 7, 8), (2, 7, 8)), ((2, 3, 6, 4), (2, 3, 9, 4), (2, 3, 9, 5))]


def tensors(shapes, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(*s, generator=g, dtype=torch.float64) for s in shapes]


@pytest.mark.parametrize("shapes", SHAPES)
@pytest.mark.parametrize("causal", [False, True])
def test_matches_torch_sdpa(shapes, causal):
    q, k, v = tensors(shapes)
    ours = scaled_dot_product_attention(q, k, v, causal=causal)
    ref = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
    torch.testing.assert_close(ours, ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shapes", SHAPES)
def test_matches_torch_sdpa_with_boolean_mask_and_scale(shapes):
    q, k, v = tensors(shapes, seed=1)
    g = torch.Generator().manual_seed(2)
    mask = torch.rand(q.shape[-2], k.shape[-2], generator=g) > 0.3
    mask[:, 0] = True  # every query sees at least one key
    ours = scaled_dot_product_attention(q, k, v, mask=mask, scale=0.7)
    ref = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=0.7)
    torch.testing.assert_close(ours, ref, rtol=1e-12, atol=1e-12)


def test_weights_are_row_stochastic_and_causal():
    q, k, v = tensors(SHAPES[1])
    out, A = scaled_dot_product_attention(q, k, v, causal=True, return_weights=True)
    torch.testing.assert_close(A.sum(-1), torch.ones(2, 7, dtype=torch.float64))
    assert torch.all(A.triu(1) == 0)
    torch.testing.assert_close(out, A @ v)
    # the first query can only see the first key: its output is v_0 exactly
    torch.testing.assert_close(out[:, 0], v[:, 0])


def test_causal_mask_is_top_left_aligned_like_torch():
    assert torch.equal(causal_mask(3), torch.tensor([[1, 0, 0], [1, 1, 0], [1, 1, 1]], dtype=torch.bool))
    assert causal_mask(2, 4).tolist() == [[True, False, False, False], [True, True, False, False]]


def test_gradcheck_scaled_dot_product_attention():
    q, k, v = (t.requires_grad_() for t in tensors(((2, 4, 3), (2, 4, 3), (2, 4, 2)), seed=3))
    assert torch.autograd.gradcheck(lambda a, b, c: scaled_dot_product_attention(a, b, c, causal=True), (q, k, v))


@pytest.mark.parametrize("batched", [False, True])
def test_causal_self_attention_is_the_formula_of_the_notes(batched):
    g = torch.Generator().manual_seed(4)
    D, L = 6, 9
    u = torch.randn(*((3,) if batched else ()), L, D, generator=g, dtype=torch.float64)
    Mq, Mk, Mv = (torch.randn(D, D, generator=g, dtype=torch.float64) for _ in range(3))
    y, A = causal_self_attention(u, Mq, Mk, Mv)
    logits = u @ Mq @ Mk.T @ u.transpose(-2, -1) / math.sqrt(D)
    logits = logits.masked_fill(torch.ones(L, L).triu(1).bool(), float("-inf"))
    torch.testing.assert_close(A, torch.softmax(logits, -1))
    torch.testing.assert_close(y, torch.softmax(logits, -1) @ u @ Mv)


@pytest.mark.parametrize("n_heads", [1, 2, 4])
@pytest.mark.parametrize("backend", ["manual", "sdpa"])
def test_multi_head_attention_matches_torch_multiheadattention(n_heads, backend):
    torch.manual_seed(5)
    d, L = 8, 11
    ours = MultiHeadAttention(d, n_heads, causal=True, backend=backend).double()
    ref = torch.nn.MultiheadAttention(d, n_heads, batch_first=True).double()
    with torch.no_grad():
        ref.in_proj_weight.copy_(ours.qkv.weight)
        ref.in_proj_bias.copy_(ours.qkv.bias)
        ref.out_proj.weight.copy_(ours.out_proj.weight)
        ref.out_proj.bias.copy_(ours.out_proj.bias)
    u = torch.randn(3, L, d, dtype=torch.float64)
    mask = torch.ones(L, L, dtype=torch.bool).triu(1)  # torch.nn.MultiheadAttention: True = masked out
    y_ref, w_ref = ref(u, u, u, attn_mask=mask, need_weights=True, average_attn_weights=False)
    torch.testing.assert_close(ours(u), y_ref, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(ours.attention_weights(u), w_ref, rtol=1e-10, atol=1e-12)


def test_multi_head_attention_is_causal():
    torch.manual_seed(6)
    mha = MultiHeadAttention(8, 2).double()
    u = torch.randn(1, 12, 8, dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(mha(u)[0, 5].sum(), u)
    assert torch.all(grad[0, 6:] == 0)
    assert torch.all(grad[0, :6].abs().sum(-1) > 0)


def test_errors():
    q, k, v = tensors(SHAPES[1])
    with pytest.raises(TypeError, match="q must be a torch.Tensor, got ndarray"):
        scaled_dot_product_attention(q.numpy(), k, v)
    with pytest.raises(ValueError, match="q and k must have the same last dimension, got 8 and 3"):
        scaled_dot_product_attention(q, k[..., :3], v)
    with pytest.raises(ValueError, match="k and v must have the same length"):
        scaled_dot_product_attention(q, k, v[:, :5])
    with pytest.raises(ValueError, match="q must have shape"):
        scaled_dot_product_attention(q[0, 0], k, v)
    with pytest.raises(TypeError, match="mask must be a boolean"):
        scaled_dot_product_attention(q, k, v, mask=torch.ones(7, 7))
    with pytest.raises(ValueError, match="scale must be > 0"):
        scaled_dot_product_attention(q, k, v, scale=0.0)
    with pytest.raises(ValueError, match="d_model must be divisible by n_heads, got d_model=6, n_heads=4"):
        MultiHeadAttention(6, 4)
    with pytest.raises(ValueError, match="backend must be one of"):
        MultiHeadAttention(8, 2, backend="flash")
    with pytest.raises(ValueError, match=r"u must be a 3-D tensor, got shape \(2, 5\)"):
        MultiHeadAttention(8, 2)(torch.ones(2, 5))
    with pytest.raises(ValueError, match=r"Mk must be a \(6, 6\) tensor"):
        causal_self_attention(torch.ones(4, 6), torch.ones(6, 6), torch.ones(5, 6), torch.ones(6, 6))
    with pytest.raises(ValueError, match="n_queries must be >= 1"):
        causal_mask(0)
