"""lib.hyena (chapter 18.3-18.6) against direct sums, torch.conv1d, explicit matrices, the safari reference ordering
and the numbers in the notes (part C of notes/seed-000-003.md).

On causality: the long convolutions are computed by FFT, so the gradient of output t with respect to a *future*
input s > t is zero only up to FFT round-off. In float64 it is below 1e-12 relative to the largest gradient
(typically ~1e-16); the exact zeros of the direct convolution are tested separately on the short filter.
"""

import math

import numpy as np
import pytest
import torch

import lib
from lib.hyena import (
    ExponentialModulation,
    HyenaFilter,
    HyenaOperator,
    LanguageModel,
    PositionalEmbedding,
    Sin,
    benchmark_mixers,
    fftconv,
    fit_sequence_model,
    h3_operator,
    hyena_matrix,
    recall_accuracy,
    scaling_exponent,
)


def direct_causal_conv(u, k):
    """y[..., c, t] = sum_{s <= t} k[c, s] u[..., c, t - s], by the definition (a double loop)."""
    y = torch.zeros_like(u)
    for t in range(u.shape[-1]):
        for s in range(min(t + 1, k.shape[-1])):
            y[..., t] += k[..., s] * u[..., t - s]
    return y


# ---------------------------------------------------------------------------------------------
# fftconv
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("B, H, L, Lk", [(1, 1, 1, 1), (2, 3, 17, 17), (2, 4, 32, 32), (3, 2, 40, 7), (1, 5, 64, 64)])
def test_fftconv_equals_direct_causal_convolution_plus_skip(B, H, L, Lk):
    g = torch.Generator().manual_seed(L)
    u = torch.randn(B, H, L, generator=g, dtype=torch.float64)
    k = torch.randn(H, Lk, generator=g, dtype=torch.float64)
    D = torch.randn(H, generator=g, dtype=torch.float64)
    expected = direct_causal_conv(u, k) + D[:, None] * u
    torch.testing.assert_close(fftconv(u, k, D), expected, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(fftconv(u, k), direct_causal_conv(u, k), rtol=1e-10, atol=1e-10)


def test_fftconv_equals_torch_conv1d_with_flipped_kernel():
    """conv1d is a cross-correlation: flip the kernel and pad L-1 zeros on the left to get the causal convolution."""
    g = torch.Generator().manual_seed(0)
    u = torch.randn(2, 6, 50, generator=g, dtype=torch.float64)
    k = torch.randn(6, 50, generator=g, dtype=torch.float64)
    ref = torch.nn.functional.conv1d(torch.nn.functional.pad(u, (49, 0)), k.flip(-1)[:, None], groups=6)
    torch.testing.assert_close(fftconv(u, k), ref, rtol=1e-10, atol=1e-10)


def test_fftconv_float32_and_bfloat16_keep_dtype():
    g = torch.Generator().manual_seed(1)
    u = torch.randn(2, 3, 128, generator=g)
    k = torch.randn(3, 128, generator=g) / 10
    ref = fftconv(u.double(), k.double())
    y32 = fftconv(u, k)
    assert y32.dtype == torch.float32
    assert (y32.double() - ref).abs().max() < 1e-4 * ref.abs().max()
    y16 = fftconv(u.bfloat16(), k)
    assert y16.dtype == torch.bfloat16
    assert (y16.double() - ref).abs().max() < 2e-2 * ref.abs().max()


def test_fftconv_without_padding_would_wrap_around():
    """The circular convolution (FFT of length L, no padding) differs from the causal one; padding fixes it."""
    rng = np.random.default_rng(2)
    L = 16
    u, k = rng.normal(size=L), rng.normal(size=L)
    circular = lib.fourier.circulant(k) @ u
    causal = fftconv(torch.tensor(u)[None], torch.tensor(k)[None])[0].numpy()
    assert np.abs(circular - causal).max() > 0.1
    padded = lib.fourier.circulant(np.r_[k, np.zeros(L)]) @ np.r_[u, np.zeros(L)]
    np.testing.assert_allclose(padded[:L], causal, atol=1e-12)
    np.testing.assert_allclose(lib.fourier.causal_toeplitz(k) @ u, causal, atol=1e-12)


def test_fftconv_gradcheck():
    g = torch.Generator().manual_seed(3)
    u = torch.randn(1, 2, 9, generator=g, dtype=torch.float64, requires_grad=True)
    k = torch.randn(2, 9, generator=g, dtype=torch.float64, requires_grad=True)
    D = torch.randn(2, generator=g, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(fftconv, (u, k, D))


# ---------------------------------------------------------------------------------------------
# Filter parts
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("emb_dim, l_max", [(3, 10), (5, 64), (33, 100)])
def test_positional_embedding_is_the_truncated_fourier_basis(emb_dim, l_max):
    pe = PositionalEmbedding(emb_dim, l_max)
    z, t = pe(l_max)
    bands = (emb_dim - 1) // 2
    f = np.linspace(1e-4, bands - 1, bands)
    omega = 2 * np.pi * np.arange(l_max) / l_max
    e = np.exp(-1j * f[None, :] * omega[:, None])  # the reference code's complex exponentials
    expected = np.concatenate([np.linspace(0, 1, l_max)[:, None], e.real, e.imag], axis=1)
    np.testing.assert_allclose(z.numpy(), expected, atol=1e-6)
    assert z.shape == (l_max, emb_dim) and t.shape == (l_max, 1)
    np.testing.assert_allclose(t[:, 0].numpy(), np.linspace(0, 1, l_max), atol=1e-7)
    assert pe(3)[0].shape == (3, emb_dim)


def test_positional_embedding_with_emb_dim_3_is_effectively_time_only():
    z, t = PositionalEmbedding(3, 1000)(1000)
    assert torch.allclose(z[:, 1], torch.ones(1000), atol=1e-6)  # cos(1e-4 * omega) ~ 1
    assert z[:, 2].abs().max() < 7e-4  # sin(1e-4 * omega) ~ 0
    torch.testing.assert_close(z[:, 0:1], t)


def test_sin_activation_has_one_learnable_frequency_per_unit():
    act = Sin(4, w=10.0)
    x = torch.linspace(-1, 1, 12).reshape(3, 4)
    torch.testing.assert_close(act(x), torch.sin(10 * x))
    assert [p.shape for p in act.parameters()] == [torch.Size([4])]
    assert list(Sin(4, w=2.0, train_freq=False).parameters()) == []


def test_exponential_modulation_numbers_from_the_notes():
    mod = ExponentialModulation(64)
    rates = mod.deltas.abs()
    assert rates.min().item() == pytest.approx(math.log(100) / 1.5, rel=1e-6)
    assert rates.max().item() == pytest.approx(math.log(100) / 0.3, rel=1e-6)
    assert round(rates.min().item(), 2) == 3.07 and round(rates.max().item(), 2) == 15.35
    t = torch.tensor([[1.0]])
    assert round(mod.window(t)[0, 0].item(), 3) == 0.046  # the slowest channel at the end of the sequence
    # channel c reaches the target 1e-2 at t = ln(100)/|delta_c|, from 0.3 (fastest) to 1.5 (slowest)
    for c, pct in ((0, 1.5), (63, 0.3)):
        assert mod.window(torch.tensor([[pct]]))[0, c].item() == pytest.approx(0.01, rel=1e-5)
    h = torch.randn(5, 64)
    torch.testing.assert_close(ExponentialModulation(64, modulate=False)(t, h), h)


def filter_param_count(emb_dim, width, n_inner, n_filters, d_model):
    first = emb_dim * width + width + width  # Linear(emb, W) and its Sin frequencies
    inner = n_inner * (width * width + width + width)  # Linear(W, W) + Sin
    return first + inner + width * n_filters * d_model + n_filters * d_model  # last Linear (no bias) + skip D


@pytest.mark.parametrize("d_model, n_filters, emb_dim, width", [(4, 1, 3, 8), (8, 2, 5, 16), (6, 3, 7, 12)])
def test_hyena_filter_shapes_window_and_parameter_count(d_model, n_filters, emb_dim, width):
    torch.manual_seed(0)
    filt = HyenaFilter(d_model, n_filters, 50, emb_dim=emb_dim, filter_order=width)
    h = filt(40)
    assert h.shape == (n_filters, d_model, 40)
    # the FFN outputs N * D numbers per position (not N * D_e), reshaped to (N, D, L)
    assert filt.implicit_filter[-1].out_features == n_filters * d_model
    raw = filt(40, window=False)
    z, t = filt.pos_emb(40)
    window = filt.modulation.window(t).T.reshape(n_filters, d_model, 40)
    torch.testing.assert_close(h, raw * window)
    # |h_t| <= max|FFN| exp(-|delta_c| t) channel by channel
    bound = raw.abs().amax(-1, keepdim=True) * window
    assert torch.all(h.abs() <= bound + 1e-7)
    n_params = sum(p.numel() for p in filt.parameters())
    assert n_params == filter_param_count(emb_dim, width, 2, n_filters, d_model)


def test_hyena_parameter_count_is_independent_of_length():
    counts = {L: sum(p.numel() for p in HyenaOperator(16, L).parameters()) for L in (1024, 65536)}
    assert counts[1024] == counts[65536]
    learnable = {L: sum(p.numel() for p in PositionalEmbedding(5, L, learnable=True).parameters()) for L in (10, 20)}
    assert learnable == {10: 50, 20: 100}  # the reference code's learnable z grows with L


# ---------------------------------------------------------------------------------------------
# The operator
# ---------------------------------------------------------------------------------------------
VALID = [(1, "paper"), (2, "paper"), (3, "paper"), (2, "safari"), (3, "safari")]  # safari needs order >= 2


def make_op(order=2, convention="paper", d=4, l_max=32, seed=0, **kw):
    torch.manual_seed(seed)
    return HyenaOperator(d, l_max, order=order, filter_order=8, convention=convention, **kw).double()


@pytest.mark.parametrize("order, convention", VALID)
def test_shapes_and_shorter_sequences(order, convention):
    op = make_op(order, convention)
    for L in (1, 7, 32):
        u = torch.randn(3, L, 4, dtype=torch.float64)
        assert op(u).shape == (3, L, 4)
    assert op.filter_fn.n_filters == (order if convention == "paper" else order - 1)


@pytest.mark.parametrize("order, convention", VALID)
def test_causality(order, convention):
    op = make_op(order, convention, l_max=40)
    u = torch.randn(2, 40, 4, dtype=torch.float64, requires_grad=True)
    for t in (0, 10, 39):
        (grad,) = torch.autograd.grad(op(u)[:, t].sum(), u)
        past, future = grad[:, : t + 1].abs().max(), grad[:, t + 1 :].abs()
        assert past > 0
        if future.numel():
            assert future.max() < 1e-12 * past  # zero up to FFT round-off


def test_short_filter_alone_is_exactly_causal():
    op = make_op()
    u = torch.randn(1, 20, 4, dtype=torch.float64, requires_grad=True)
    xs, v = op.project(u)
    (grad,) = torch.autograd.grad(torch.cat([*xs, v], 1)[..., 8].sum(), u)
    assert torch.all(grad[0, 9:] == 0)  # direct convolution: exact zeros
    assert torch.all(grad[0, :6] == 0)  # and a window of 3 taps: positions 6, 7, 8 only
    assert grad[0, 6:9].abs().sum() > 0


@pytest.mark.parametrize("convention", ["paper", "safari"])
def test_gradcheck_operator(convention):
    op = make_op(2, convention, d=2, l_max=6)
    u = torch.randn(1, 6, 2, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(op, (u,))
    params = [op.filter_fn.implicit_filter[0].weight, op.in_proj.weight]
    assert torch.autograd.gradcheck(lambda *p: op(u.detach()), params)


def test_paper_and_safari_orderings_coincide_when_the_first_filter_is_identity():
    """safari: y = x0 * (h_{N-1} * (x1 * ... (h_1 * (x_{N-1} * v)))) -- gate then convolve, N-1 long filters.
    paper:  y = x^N * (h^N * (x^{N-1} * ... (x^1 * (h^1 * v))))   -- convolve then gate, N long filters.
    With h^1 = delta (skip 0), h^n = safari's h_{n-1} and x^n = safari's x[N-n], the two are the same function."""
    N, d, L = 3, 4, 24
    saf = make_op(N, "safari", d=d, l_max=L, seed=1)
    pap = make_op(N, "paper", d=d, l_max=L, seed=2)
    with torch.no_grad():
        pap.out_proj.load_state_dict(saf.out_proj.state_dict())
        # projections: reorder the chunks so that x^n = safari x[N-n] (v stays last)
        order = [N - n for n in range(1, N + 1)] + [N]
        idx = torch.cat([torch.arange(c * d, (c + 1) * d) for c in order])
        pap.in_proj.weight.copy_(saf.in_proj.weight[idx])
        pap.in_proj.bias.copy_(saf.in_proj.bias[idx])
        pap.short_filter.weight.copy_(saf.short_filter.weight[idx])
        pap.short_filter.bias.copy_(saf.short_filter.bias[idx])
    h_saf, b_saf = saf.filters(L)
    delta = torch.zeros(1, d, L, dtype=torch.float64)
    delta[..., 0] = 1.0
    h = torch.cat([delta, h_saf.detach()])
    b = torch.cat([torch.zeros(1, d, dtype=torch.float64), b_saf.detach()])
    u = torch.randn(2, L, d, dtype=torch.float64)
    xs, v = pap.project(u)
    y_paper = pap.out_proj(pap.recurrence(xs, v, h, b).transpose(1, 2))
    torch.testing.assert_close(y_paper, saf(u), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("order, convention", VALID)
def test_materialised_matrix_reproduces_the_output(order, convention):
    op = make_op(order, convention, l_max=20)
    u = torch.randn(2, 20, 4, dtype=torch.float64)
    H = hyena_matrix(op, u)
    assert H.shape == (2, 4, 20, 20)
    assert torch.all(H.triu(1) == 0)  # lower triangular: causal
    xs, v = op.project(u)
    z = op.recurrence(xs, v, *op.filters(20))
    torch.testing.assert_close((H @ v.unsqueeze(-1)).squeeze(-1), z.detach(), rtol=1e-10, atol=1e-12)
    # independently: column j of H(u) is the response of the recurrence to a unit impulse in v at time j
    cols = torch.stack(
        [op.recurrence(xs, torch.eye(20, dtype=torch.float64)[j].expand_as(v), *op.filters(20)) for j in range(20)],
        dim=-1,
    )
    torch.testing.assert_close(H, cols.detach(), rtol=1e-10, atol=1e-12)
    # data control: another input gives another matrix
    assert (hyena_matrix(op, torch.randn(2, 20, 4, dtype=torch.float64)) - H).abs().max() > 1e-3


def test_order_2_recurrence_by_hand():
    """One channel, L = 3, filters and gates chosen by hand; y = D_{x2} S_{h2} D_{x1} S_{h1} v computed on paper."""
    v = torch.tensor([[[1.0, 2.0, 3.0]]], dtype=torch.float64)
    x1 = torch.tensor([[[1.0, -1.0, 2.0]]], dtype=torch.float64)
    x2 = torch.tensor([[[2.0, 0.5, 1.0]]], dtype=torch.float64)
    h1 = torch.tensor([[1.0, 0.5, 0.25]], dtype=torch.float64)
    h2 = torch.tensor([[1.0, -1.0, 0.0]], dtype=torch.float64)
    # h1 * v = [1, 2.5, 4.25];  x1 * (.) = [1, -2.5, 8.5];  h2 * (.) = [1, -3.5, 11];  x2 * (.) = [2, -1.75, 11]
    op = make_op(2, d=1, l_max=3)
    y = op.recurrence([x1, x2], v, torch.stack([h1, h2]), torch.zeros(2, 1, dtype=torch.float64))
    torch.testing.assert_close(y, torch.tensor([[[2.0, -1.75, 11.0]]], dtype=torch.float64))


def test_h3_is_order_2_hyena_and_every_filter_delta_gives_products():
    g = torch.Generator().manual_seed(4)
    q, k, v = (torch.randn(2, 3, 16, generator=g, dtype=torch.float64) for _ in range(3))
    # H3's filters come from SSMs: a shift SSM (h_phi = delta_1) and a diagonal SSM (h_psi = C A^t B)
    Ad, Bd = lib.ssm.discretize(np.diag([-1.0, -3.0]), np.ones(2), 0.2)
    h_psi = torch.tensor(lib.ssm.ssm_kernel(Ad, Bd, [1.0, -0.5], 16)).expand(3, 16)
    h_phi = torch.zeros(3, 16, dtype=torch.float64)
    h_phi[:, 1] = 1.0
    y = h3_operator(q, k, v, h_phi, h_psi)
    shifted_v = torch.nn.functional.pad(v, (1, 0))[..., :16]
    torch.testing.assert_close(y, q * direct_causal_conv(k * shifted_v, h_psi), rtol=1e-10, atol=1e-12)
    op = make_op(2, d=3, l_max=16)
    zero = torch.zeros(2, 3, dtype=torch.float64)
    torch.testing.assert_close(op.recurrence([k, q], v, torch.stack([h_phi, h_psi]), zero), y)
    delta = torch.zeros(3, 3, 16, dtype=torch.float64)
    delta[..., 0] = 1
    op3 = make_op(3, d=3, l_max=16)
    y3 = op3.recurrence([k, q, v], v, delta, torch.zeros(3, 3, dtype=torch.float64))
    torch.testing.assert_close(y3, v * k * q * v)


def test_errors():
    op = make_op(2, l_max=16)
    with pytest.raises(ValueError, match="sequence length must be <= l_max=16, got 17"):
        op(torch.randn(1, 17, 4, dtype=torch.float64))
    with pytest.raises(ValueError, match=r"u must have shape \(batch, length, d_model=4\), got \(16, 4\)"):
        op(torch.randn(16, 4, dtype=torch.float64))
    with pytest.raises(ValueError, match=r"got \(1, 8, 5\)"):
        op(torch.randn(1, 8, 5, dtype=torch.float64))
    with pytest.raises(TypeError, match="u must be a torch.Tensor, got ndarray"):
        op(np.zeros((1, 4, 4)))
    with pytest.raises(ValueError, match="convention must be one of"):
        HyenaOperator(4, 16, convention="code")
    with pytest.raises(ValueError, match="convention='safari' needs order >= 2"):
        HyenaOperator(4, 16, order=1, convention="safari")
    with pytest.raises(ValueError, match="emb_dim must be odd"):
        PositionalEmbedding(4, 10)
    with pytest.raises(ValueError, match="emb_dim must be >= 3"):
        PositionalEmbedding(1, 10)
    with pytest.raises(ValueError, match="L must be <= l_max=10, got 11"):
        PositionalEmbedding(3, 10)(11)
    with pytest.raises(ValueError, match="fast_decay_pct must be <= slow_decay_pct"):
        ExponentialModulation(4, fast_decay_pct=2.0, slow_decay_pct=1.0)
    with pytest.raises(ValueError, match="target must be < 1"):
        ExponentialModulation(4, target=1.0)
    with pytest.raises(ValueError, match=r"k must have shape \(channels=3, length\)"):
        fftconv(torch.randn(1, 3, 8), torch.randn(2, 8))
    with pytest.raises(ValueError, match=r"D must be a tensor of shape \(3,\)"):
        fftconv(torch.randn(1, 3, 8), torch.randn(3, 8), torch.randn(2))
    with pytest.raises(ValueError, match="u must have shape"):
        fftconv(torch.randn(8), torch.randn(8))
    with pytest.raises(TypeError, match="op must be a HyenaOperator"):
        hyena_matrix(torch.nn.Linear(2, 2), torch.randn(1, 2, 2))
    with pytest.raises(ValueError, match="q, k and v must have the same shape"):
        h3_operator(
            torch.randn(1, 2, 4), torch.randn(1, 2, 4), torch.randn(1, 2, 5), torch.randn(2, 4), torch.randn(2, 4)
        )
    with pytest.raises(ValueError, match="mixer must be 'hyena' or 'attention'"):
        LanguageModel(10, 8, 1, 16, mixer="rnn")
    with pytest.raises(ValueError, match="tokens must be a \\(batch, length\\) long tensor"):
        LanguageModel(10, 8, 1, 16)(torch.zeros(2, 4))
    with pytest.raises(ValueError, match="sequence length must be <= l_max=16, got 20"):
        LanguageModel(10, 8, 1, 16)(torch.zeros(1, 20, dtype=torch.long))


# ---------------------------------------------------------------------------------------------
# Language models, training and the recall task
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("mixer", ["hyena", "attention"])
def test_language_model_is_causal_in_its_tokens(mixer):
    torch.manual_seed(0)
    lm = LanguageModel(12, 16, 2, 20, mixer=mixer, n_heads=2).double()
    tokens = torch.randint(0, 12, (2, 20))
    changed = tokens.clone()
    changed[:, 12:] = (changed[:, 12:] + 1) % 12
    a, b = lm(tokens), lm(changed)
    assert a.shape == (2, 20, 12)
    assert (a[:, :12] - b[:, :12]).abs().max() < 1e-12
    assert (a[:, 12:] - b[:, 12:]).abs().max() > 1e-3


def test_hyena_lm_has_no_positional_parameters_and_size_independent_of_l_max():
    count = lambda L, mixer: sum(p.numel() for p in LanguageModel(10, 16, 2, L, mixer=mixer).parameters())
    assert count(64, "hyena") == count(4096, "hyena")
    assert count(4096, "attention") - count(64, "attention") == (4096 - 64) * 16  # learned positions


def test_associative_recall_data_is_consistent():
    tokens, targets = lib.data.associative_recall(300, 21, n_keys=5, n_values=4, rng=0)
    assert tokens.shape == targets.shape == (300, 21)
    for seq, tgt in zip(tokens, targets):
        keys, values = seq[0:-1:2], seq[1:-1:2]
        assert np.all(keys < 5) and np.all((values >= 5) & (values < 9))
        table = {}
        for i, (key, val) in enumerate(zip(keys, values)):
            assert table.setdefault(key, val) == val  # one dictionary per sequence
            assert tgt[2 * i] == (val if list(keys[:i]).count(key) else -100)
        assert seq[-1] in table and tgt[-1] == table[seq[-1]]
        assert np.all(tgt[1::2] == -100)
    with pytest.raises(ValueError, match="seq_len must be odd"):
        lib.data.associative_recall(2, 10)
    with pytest.raises(ValueError, match="seq_len must be >= 3"):
        lib.data.associative_recall(2, 1)


class Oracle(torch.nn.Module):
    """Reads the answer off the sequence: a perfect recall model, to test recall_accuracy."""

    def __init__(self, vocab):
        super().__init__()
        self.vocab = vocab
        self.dummy = torch.nn.Parameter(torch.zeros(1))

    def forward(self, tokens):
        logits = torch.zeros(*tokens.shape, self.vocab)
        for b, seq in enumerate(tokens.tolist()):
            answer = dict(zip(seq[0:-1:2], seq[1:-1:2]))[seq[-1]]
            logits[b, -1, answer] = 1.0
        return logits


def test_recall_accuracy_and_training_loop():
    tokens, targets = lib.data.associative_recall(64, 9, n_keys=3, n_values=3, rng=1)
    assert recall_accuracy(Oracle(6), tokens, targets) == 1.0
    torch.manual_seed(0)
    lm = LanguageModel(6, 16, 1, 9, mixer="attention")
    hist = fit_sequence_model(
        lm, tokens, targets, steps=40, batch_size=16, lr=1e-2, rng=0, eval_data=(tokens, targets), eval_every=20
    )
    assert len(hist["loss"]) == 40 and hist["eval_step"] == [20, 40]
    assert np.mean(hist["loss"][-5:]) < 0.8 * np.mean(hist["loss"][:5])
    with pytest.raises(ValueError, match="tokens and targets must have the same shape"):
        fit_sequence_model(lm, tokens, targets[:, :5], steps=1)
    with pytest.raises(ValueError, match="tokens must be a 2-D integer array"):
        fit_sequence_model(lm, tokens.astype(float), targets, steps=1)


# ---------------------------------------------------------------------------------------------
# Benchmark helpers (the measurement itself lives in benchmarks/hyena.py)
# ---------------------------------------------------------------------------------------------
def test_scaling_exponent_recovers_power_laws():
    L = np.array([256, 512, 1024, 2048])
    assert scaling_exponent(L, 3e-9 * L**2) == pytest.approx(2.0)
    # d log(L log L) / d log L = 1 + 1/ln L, about 1 + 1/ln(724) = 1.152 at the geometric middle of the range
    assert scaling_exponent(L, 1e-6 * L * np.log2(L)) == pytest.approx(
        1 + 1 / math.log(math.sqrt(256 * 2048)), abs=2e-3
    )
    with pytest.raises(ValueError, match="lengths and times must be positive"):
        scaling_exponent([1, 2], [0.0, 1.0])


def test_benchmark_mixers_runs_on_tiny_sizes():
    records = benchmark_mixers([16, 32], d_model=8, n_heads=2, device="cpu", repeat=1)
    assert len(records) == 2 * 2 * 2  # lengths x methods x passes
    assert {r["method"] for r in records} == {"hyena", "attention-default"}
    for r in records:
        assert r["status"] == "ok" and 0 < r["time_s"] <= r["time_median_s"] and r["peak_mem_bytes"] is None
    with pytest.raises(ValueError, match="attention_backends entries must be in"):
        benchmark_mixers([16], d_model=8, n_heads=2, device="cpu", attention_backends=["fast"])


# ---------------------------------------------------------------------------------------------
# The fast path (forward_fused): the same function as the reference path, arranged for the GPU
# ---------------------------------------------------------------------------------------------
# torch.fft's FFT, or the FFT as matmuls (lib.monarch: 64 x 2 here, or 8 x 4 x 4 with the largest factor 8)
FFT_OPTS = [{}, {"fft_impl": "monarch"}, {"fft_impl": "monarch", "monarch_max_factor": 8}]


@pytest.mark.parametrize("fft_opts", FFT_OPTS, ids=["torch", "monarch", "monarch8"])
@pytest.mark.parametrize("convention,order", [("paper", 1), ("paper", 2), ("paper", 3), ("safari", 2), ("safari", 3)])
def test_fused_path_equals_the_reference_path_with_gradients(convention, order, fft_opts):
    torch.manual_seed(0)
    op = HyenaOperator(8, 40, order=order, filter_order=8, convention=convention, short_filter_size=4, **fft_opts)
    op = op.double()
    u = torch.randn(3, 33, 8, dtype=torch.float64, requires_grad=True)
    op.fused = False
    y0 = op(u)
    g0 = torch.autograd.grad((y0 * y0.detach().sin()).sum(), [u, *op.parameters()])
    op.fused = True
    y1 = op(u)
    g1 = torch.autograd.grad((y1 * y0.detach().sin()).sum(), [u, *op.parameters()])
    torch.testing.assert_close(y1, y0, atol=1e-12, rtol=0)
    for a, b in zip(g1, g0):
        torch.testing.assert_close(a, b, atol=1e-10, rtol=1e-10)


def test_fused_inference_caches_filter_spectra_until_the_parameters_change():
    torch.manual_seed(1)
    op = HyenaOperator(8, 32, order=2, filter_order=8, fused=True).double()
    u = torch.randn(2, 32, 8, dtype=torch.float64)
    with torch.no_grad():
        y_first = op(u)
        spectra = op.filter_spectra(32)
        assert op.filter_spectra(32) is spectra  # cache hit
        assert torch.equal(op(u), y_first)
    opt = torch.optim.SGD(op.parameters(), lr=0.1)
    op(u).square().sum().backward()  # training: filters are regenerated, the gradient reaches them
    assert op.filter_fn.implicit_filter[0].weight.grad.abs().sum() > 0
    opt.step()
    with torch.no_grad():
        assert op.filter_spectra(32) is not spectra  # the step changed the parameters' versions
        y_new = op(u)
        op.fused = False
        torch.testing.assert_close(y_new, op(u), atol=1e-12, rtol=0)
    op.cache_filters = False
    with torch.no_grad():
        assert op.filter_spectra(32) is not op.filter_spectra(32)


def test_short_causal_conv_is_conv1d_on_the_biased_input():
    from lib.hyena import short_causal_conv

    g = torch.Generator().manual_seed(2)
    z = torch.randn(2, 6, 17, generator=g, dtype=torch.float64)
    w, b_in, b_cv = (torch.randn(*s, generator=g, dtype=torch.float64) for s in ((6, 1, 3), (6,), (6,)))
    ref = torch.nn.functional.conv1d(z + b_in[:, None], w, b_cv, padding=2, groups=6)[..., :17]
    torch.testing.assert_close(short_causal_conv(z, w, b_in, b_cv), ref, atol=1e-13, rtol=0)
    # causal: position t sees z[t-2..t] only
    z2 = z.clone()
    z2[..., 10:] += 1.0
    torch.testing.assert_close(short_causal_conv(z2, w, b_in, b_cv)[..., :10], ref[..., :10], atol=0, rtol=0)


def test_operator_rejects_input_of_another_dtype_with_a_clear_message():
    op = HyenaOperator(8, 16, filter_order=8)
    with pytest.raises(TypeError, match=r"u is torch.float64 .* parameters are torch.float32"):
        op(torch.randn(1, 16, 8, dtype=torch.float64))
    with pytest.raises(TypeError, match="fused must be"):
        HyenaOperator(8, 16, fused="yes")
    with pytest.raises(ValueError, match="fft_dtype must be"):
        HyenaOperator(8, 16, fft_dtype=torch.int8)
    with pytest.raises(ValueError, match="monarch_max_factor must be a power of two"):
        HyenaOperator(8, 16, fft_impl="monarch", monarch_max_factor=48)


@pytest.mark.parametrize("fused, fft_impl", [(False, "torch"), (True, "torch"), (True, "monarch")])
@pytest.mark.parametrize("convention", ["paper", "safari"])
def test_operator_never_reads_a_device_value_on_the_host(fused, fft_impl, convention):
    # On the meta device tensors have shapes but no values, and any host read (.item(), int(), a Python `if` on a
    # tensor) raises. Forward and backward running there mean the operator never makes the host wait for the GPU --
    # what keeps the launch queue full and lets a fixed-shape step be captured in a CUDA graph.
    meta = torch.device("meta")
    op = HyenaOperator(16, 64, order=3, convention=convention, fused=fused, fft_impl=fft_impl).to(meta)
    for training in (True, False):
        op.train(training)
        u = torch.empty(2, 64, 16, device=meta, requires_grad=training)
        y = op(u)
        assert y.device == meta and y.shape == (2, 64, 16)
        if training:
            y.sum().backward()
            assert u.grad.shape == u.shape


def test_benchmark_script_runs_end_to_end_on_the_cpu(tmp_path):
    # benchmarks/hyena.py is run for real only on a lent GPU (benchmarks/gpu_run.sh, minutes of device time):
    # its speed table, per-stage breakdown and accuracy check run here at toy sizes first, so that a Python
    # error cannot cost that run.
    import importlib.util
    import json
    import pathlib

    path = pathlib.Path(__file__).parents[1] / "benchmarks" / "hyena.py"
    spec = importlib.util.spec_from_file_location("hyena_benchmark", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    out = tmp_path / "speed.json"
    args = ["speed", "--device", "cpu", "--lengths", "32", "64", "--d-model", "16", "--n-heads", "2", "--repeat", "1"]
    assert bench.main([*args, "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert {r["method"] for r in result["records"]} == {"hyena", "attention-default"}
    assert all(r["status"] == "ok" and r["time_s"] > 0 for r in result["records"])
    assert result["monarch_fused_kernel_failures"] == {}
    parts = bench.run_breakdown([256], 16, 2, device="cpu")["256"]
    assert all(isinstance(v, float) and v > 0 for k, v in parts.items() if "CUDA graph" not in k)
    assert any("lib.monarch" in k for k in parts)
    acc = bench.run_accuracy([256], 16, device="cpu")["256"]
    rounding = acc["bfloat16 rounding of the reference output"]
    for name in ("hyena", "hyena-reference", "hyena-monarch", "hyena-monarch64"):
        assert 0 < acc[name] < 20 * rounding, (name, acc[name], rounding)
