"""lib.rnn：与 torch.nn.RNN/LSTM/GRU 逐项比较（float64），BPTT 与 RTRL 与 autograd 比较，以及坏输入。"""

import itertools

import numpy as np
import pytest
import torch

from lib.rnn import GRU, LSTM, RNN, bptt_gradients, gate_trace, rtrl_gradients, srn_forward, srn_init

PAIRS = {"RNN": (RNN, torch.nn.RNN), "LSTM": (LSTM, torch.nn.LSTM), "GRU": (GRU, torch.nn.GRU)}
CONFIGS = [
    dict(num_layers=L, bidirectional=bi, batch_first=bf, bias=b)
    for L, bi, bf, b in itertools.product((1, 2), (False, True), (False, True), (False, True))
]
MAX_DEV: dict[str, float] = {}


def _pair(kind, nonlinearity="tanh", **cfg):
    extra = {"nonlinearity": nonlinearity} if kind == "RNN" else {}
    ours_cls, ref_cls = PAIRS[kind]
    torch.manual_seed(0)
    ref = ref_cls(3, 5, **cfg, **extra).double()
    ours = ours_cls(3, 5, **cfg, **extra).double()
    ours.load_state_dict(ref.state_dict())
    return ours, ref


def _cases():
    for kind in PAIRS:
        for cfg in CONFIGS:
            for nl in ("tanh", "relu") if kind == "RNN" else ("tanh",):
                yield kind, nl, cfg


@pytest.mark.parametrize("kind, nl, cfg", list(_cases()), ids=lambda v: str(v))
@pytest.mark.parametrize("with_hx", [False, True])
def test_matches_torch_outputs_and_gradients(kind, nl, cfg, with_hx):
    ours, ref = _pair(kind, nl, **cfg)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in ref.named_parameters()]
    D = 2 if cfg["bidirectional"] else 1
    g = torch.Generator().manual_seed(1)
    shape = (4, 7, 3) if cfg["batch_first"] else (7, 4, 3)
    x = torch.randn(*shape, generator=g, dtype=torch.float64)
    hx = None
    if with_hx:
        h = torch.randn(D * cfg["num_layers"], 4, 5, generator=g, dtype=torch.float64)
        hx = (h, torch.randn_like(h)) if kind == "LSTM" else h
    results = []
    for m in (ours, ref):
        xi = x.clone().requires_grad_()
        out, hn = m(xi, hx)
        hs = hn if isinstance(hn, tuple) else (hn,)
        loss = (out * torch.cos(out)).sum() + sum((t**2).sum() for t in hs)
        grads = torch.autograd.grad(loss, [xi, *m.parameters()])
        results.append((out, *hs, *grads))
    dev = max((a - b).abs().max().item() for a, b in zip(*results))
    for a, b in zip(*results):
        assert a.shape == b.shape
        torch.testing.assert_close(a, b, atol=1e-12, rtol=1e-10)
    MAX_DEV[kind] = max(MAX_DEV.get(kind, 0.0), dev)
    print(f"{kind} {nl} {cfg} hx={with_hx}: max deviation {dev:.2e}")


@pytest.mark.parametrize("kind", list(PAIRS))
def test_unbatched_input_and_default_init(kind):
    ours_cls, ref_cls = PAIRS[kind]
    torch.manual_seed(3)
    ref = ref_cls(2, 4, num_layers=2, bidirectional=True).double()
    torch.manual_seed(3)
    ours = ours_cls(2, 4, num_layers=2, bidirectional=True).double()
    for (n1, p1), (n2, p2) in zip(ours.named_parameters(), ref.named_parameters()):
        assert n1 == n2 and p1.shape == p2.shape
        torch.testing.assert_close(p1, p2)  # same registration order, same initial values
    bound = 1 / 4**0.5
    assert all(p.abs().max() <= bound for p in ours.parameters())
    x = torch.randn(6, 2, dtype=torch.float64)
    h = torch.randn(4, 4, dtype=torch.float64)
    hx = (h, h.flip(0)) if kind == "LSTM" else h
    out, hn = ours(x, hx)
    out_r, hn_r = ref(x, hx)
    assert out.shape == (6, 8)
    torch.testing.assert_close(out, out_r, atol=1e-12, rtol=0)
    for a, b in zip(hn if isinstance(hn, tuple) else (hn,), hn_r if isinstance(hn_r, tuple) else (hn_r,)):
        assert a.shape == b.shape == (4, 4)
        torch.testing.assert_close(a, b, atol=1e-12, rtol=0)


def test_gradcheck_lstm_and_gru():
    for cls in (LSTM, GRU, RNN):
        torch.manual_seed(0)
        m = cls(2, 3, num_layers=2, bidirectional=True).double()
        x = torch.randn(4, 2, 2, dtype=torch.float64, requires_grad=True)
        assert torch.autograd.gradcheck(lambda a, m=m: m(a)[0], (x,))


def test_dropout_between_layers_only_in_training():
    torch.manual_seed(0)
    m = LSTM(3, 4, num_layers=2, dropout=0.5).double()
    x = torch.randn(5, 2, 3, dtype=torch.float64)
    m.eval()
    a, b = m(x)[0], m(x)[0]
    torch.testing.assert_close(a, b)
    m.train()
    assert not torch.allclose(m(x)[0], a)
    m1 = RNN(3, 4, num_layers=1, dropout=0.5).double()  # one layer: dropout has nothing to act on
    m1.train()
    torch.testing.assert_close(m1(x)[0], m1(x)[0])


def test_gate_trace_reproduces_forward():
    torch.manual_seed(0)
    for cls in (LSTM, GRU):
        m = cls(3, 4).double()
        x = torch.randn(6, 2, 3, dtype=torch.float64)
        tr = gate_trace(m, x)
        torch.testing.assert_close(tr["h"], m(x)[0])
        if cls is LSTM:
            torch.testing.assert_close(tr["c"][-1], m(x)[1][1][0])
            assert set(tr) == {"i", "f", "g", "o", "c", "h"}
        else:
            assert set(tr) == {"r", "z", "n", "h"}
    with pytest.raises(ValueError, match="single-layer"):
        gate_trace(LSTM(3, 4, num_layers=2).double(), x)
    with pytest.raises(TypeError, match="module"):
        gate_trace(RNN(3, 4).double(), x)


@pytest.mark.parametrize("cls", [RNN, LSTM, GRU])
def test_bad_inputs(cls):
    m = cls(3, 4, num_layers=2)
    with pytest.raises(ValueError, match="input_size=3"):
        m(torch.randn(5, 2, 4))
    with pytest.raises(ValueError, match="2-D .* or 3-D"):
        m(torch.randn(5))
    with pytest.raises(TypeError, match="input is torch.float64"):
        m(torch.randn(5, 2, 3, dtype=torch.float64))
    with pytest.raises(TypeError, match="input must be a torch.Tensor"):
        m(np.zeros((5, 2, 3)))
    with pytest.raises(ValueError, match="at least one time step"):
        m(torch.randn(0, 2, 3))
    bad_h = torch.zeros(1, 2, 4)  # needs (2, 2, 4)
    hx = (bad_h, torch.zeros(2, 2, 4)) if cls is LSTM else bad_h
    with pytest.raises(ValueError, match=r"must have shape \(2, 2, 4\)"):
        m(torch.randn(5, 2, 3), hx)
    wrong_dtype = torch.zeros(2, 2, 4, dtype=torch.float64)
    hx = (wrong_dtype, wrong_dtype) if cls is LSTM else wrong_dtype
    with pytest.raises(TypeError, match="but input is torch.float32"):
        m(torch.randn(5, 2, 3), hx)
    with pytest.raises(ValueError, match=r"must have shape \(2, 4\)"):  # unbatched input, batched hx
        good = torch.zeros(2, 2, 4)
        m(torch.randn(5, 3), (good, good) if cls is LSTM else good)
    if cls is LSTM:
        with pytest.raises(TypeError, match="tuple"):
            m(torch.randn(5, 2, 3), torch.zeros(2, 2, 4))


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(input_size=0, hidden_size=3), ValueError, "input_size"),
        (dict(input_size=2.5, hidden_size=3), TypeError, "input_size"),
        (dict(input_size=2, hidden_size=0), ValueError, "hidden_size"),
        (dict(input_size=2, hidden_size=3, num_layers=0), ValueError, "num_layers"),
        (dict(input_size=2, hidden_size=3, dropout=1.5), ValueError, "dropout"),
        (dict(input_size=2, hidden_size=3, bidirectional=1), TypeError, "bidirectional"),
        (dict(input_size=2, hidden_size=3, nonlinearity="sigmoid"), ValueError, "nonlinearity"),
    ],
)
def test_bad_constructor_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        RNN(**kwargs)


def test_positional_arguments_follow_torch():
    import inspect

    common = ["input_size", "hidden_size", "num_layers"]
    flags = ["bias", "batch_first", "dropout", "bidirectional"]
    expected = {
        RNN: [*common, "nonlinearity", *flags, "device", "dtype"],
        LSTM: [*common, *flags, "proj_size", "device", "dtype"],
        GRU: [*common, *flags, "device", "dtype"],
    }
    for cls, names in expected.items():
        params = inspect.signature(cls.__init__).parameters.values()
        positional = [p.name for p in params if p.kind == p.POSITIONAL_OR_KEYWORD][1:]
        assert positional == names
    with pytest.raises(ValueError, match="proj_size"):
        LSTM(3, 4, proj_size=2)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_same_as_cpu():
    torch.manual_seed(0)
    m = LSTM(3, 4, num_layers=2, bidirectional=True).double()
    x = torch.randn(5, 2, 3, dtype=torch.float64)
    out = m(x)[0]
    torch.testing.assert_close(m.cuda()(x.cuda())[0].cpu(), out)


# ---------------------------------------------------------------------------------------------
# BPTT 与 RTRL
# ---------------------------------------------------------------------------------------------
def _autograd_srn(params, X, Y, h0, activation):
    P = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    f = {"tanh": torch.tanh, "relu": torch.relu, "identity": lambda z: z}[activation]
    h = torch.tensor(h0)
    loss = 0.0
    for t in range(X.shape[0]):
        h = f(P["U"] @ h + P["W"] @ torch.tensor(X[t]) + P["b"])
        e = P["V"] @ h + P["c"] - torch.tensor(Y[t])
        loss = loss + 0.5 * (e @ e)
    loss.backward()
    return float(loss.detach()), {k: v.grad.numpy() for k, v in P.items()}


@pytest.mark.parametrize("activation", ["tanh", "relu", "identity"])
def test_bptt_and_rtrl_equal_autograd(activation):
    rng = np.random.default_rng(0)
    params = srn_init(3, 5, 2, rng, scale=0.6)
    params["b"] = rng.normal(size=5) * 0.1
    X, Y, h0 = rng.normal(size=(9, 3)), rng.normal(size=(9, 2)), rng.normal(size=5)
    ref_loss, ref = _autograd_srn(params, X, Y, h0, activation)
    for fn in (bptt_gradients, rtrl_gradients):
        loss, g = fn(params, X, Y, h0, activation)
        assert abs(loss - ref_loss) < 1e-12
        for k in ref:
            np.testing.assert_allclose(g[k], ref[k], atol=1e-12, rtol=1e-10)
    _, full = bptt_gradients(params, X, Y, h0, activation, truncate=9)
    for k in ref:
        np.testing.assert_allclose(full[k], ref[k], atol=1e-12)


def test_truncated_bptt_one_step_is_the_local_gradient():
    rng = np.random.default_rng(1)
    params = srn_init(2, 4, 1, rng)
    X, Y = rng.normal(size=(6, 2)), rng.normal(size=(6, 1))
    _, g = bptt_gradients(params, X, Y, truncate=1)
    Z, H = srn_forward(params, X)
    E = H[1:] @ params["V"].T + params["c"] - Y
    delta = (1 - np.tanh(Z) ** 2) * (E @ params["V"])  # 只有直接项
    np.testing.assert_allclose(g["U"], delta.T @ H[:-1], atol=1e-12)
    np.testing.assert_allclose(g["W"], delta.T @ X, atol=1e-12)


def test_truncated_bptt_at_t_minus_one_is_exact_for_u_when_h0_is_zero():
    # k = 1 contributes delta_1 h_0^T = 0 to the gradient of U, so truncating at T-1 loses nothing for U
    # (the truncation figure relies on this); W still needs the full length.
    rng = np.random.default_rng(2)
    params = srn_init(2, 4, 1, rng, scale=0.8)
    X, Y = rng.normal(size=(7, 2)), rng.normal(size=(7, 1))
    _, full = bptt_gradients(params, X, Y)
    _, g6 = bptt_gradients(params, X, Y, truncate=6)
    _, g5 = bptt_gradients(params, X, Y, truncate=5)
    np.testing.assert_allclose(g6["U"], full["U"], atol=1e-13)
    assert np.abs(g6["W"] - full["W"]).max() > 1e-8
    assert np.abs(g5["U"] - full["U"]).max() > 1e-8


def test_srn_bad_inputs():
    rng = np.random.default_rng(0)
    params = srn_init(2, 3, 1, rng)
    X, Y = np.zeros((4, 2)), np.zeros((4, 1))
    with pytest.raises(ValueError, match="X must have 2 columns"):
        bptt_gradients(params, np.zeros((4, 3)), Y)
    with pytest.raises(ValueError, match="Y must have shape"):
        rtrl_gradients(params, X, np.zeros((3, 1)))
    with pytest.raises(ValueError, match="h0 must have shape"):
        bptt_gradients(params, X, Y, h0=np.zeros(2))
    with pytest.raises(ValueError, match="activation"):
        rtrl_gradients(params, X, Y, activation="sigmoid")
    with pytest.raises(ValueError, match="params"):
        bptt_gradients({"U": params["U"]}, X, Y)
    with pytest.raises(ValueError, match=r"params\['U'\] must have shape"):
        bptt_gradients({**params, "U": np.zeros((3, 2))}, X, Y)
    with pytest.raises(ValueError, match="truncate"):
        bptt_gradients(params, X, Y, truncate=0)
    with pytest.raises(ValueError, match="NaN|nan|finite"):
        bptt_gradients(params, np.full((4, 2), np.nan), Y)


# ---------------------------------------------------------------------------------------------
# 递归网络、消息传递、任务与训练循环
# ---------------------------------------------------------------------------------------------
def test_recursive_forward_on_a_chain_equals_an_srn():
    from lib.rnn import recursive_forward

    torch.manual_seed(0)
    n = 4
    W, b = torch.randn(n, 2 * n, dtype=torch.float64), torch.randn(n, dtype=torch.float64)
    xs = torch.randn(5, n, dtype=torch.float64)
    h0 = torch.zeros(n, dtype=torch.float64)
    tree = "h0"
    for t in range(5):
        tree = (tree, t)  # 左分支的链：((((h0, x0), x1), x2), ...)
    root = recursive_forward(tree, lambda k: h0 if k == "h0" else xs[k], W, b)
    srn = RNN(n, n).double()
    with torch.no_grad():
        srn.weight_hh_l0.copy_(W[:, :n])
        srn.weight_ih_l0.copy_(W[:, n:])
        srn.bias_ih_l0.copy_(b)
        srn.bias_hh_l0.zero_()
    torch.testing.assert_close(root, srn(xs)[1][0], atol=1e-12, rtol=0)
    with pytest.raises(ValueError, match="shape"):
        recursive_forward((0, 1), lambda k: torch.zeros(3), W)
    with pytest.raises(ValueError, match=r"\(n, 2n\)"):
        recursive_forward((0, 1), lambda k: xs[k], torch.zeros(4, 4))
    with pytest.raises(ValueError, match="pair"):
        recursive_forward((0, 1, 2), lambda k: xs[k], W)
    with pytest.raises(TypeError, match="leaf must be callable"):
        recursive_forward((0, 1), xs, W)
    with pytest.raises(ValueError, match=r"b must be None or a tensor of shape \(4,\)"):
        recursive_forward((0, 1), lambda k: xs[k], W, torch.zeros(3, dtype=torch.float64))


def test_message_passing_mean_aggregation_is_a_matrix_power():
    from lib.rnn import message_passing

    A = torch.tensor([[0, 1, 0, 1], [1, 0, 1, 0], [0, 1, 0, 1], [1, 0, 1, 1]], dtype=torch.float64)
    A_hat = A + torch.eye(4, dtype=torch.float64)
    deg = A_hat.sum(1)
    H = torch.randn(4, 3, dtype=torch.float64)
    states = message_passing(A_hat, H, lambda hv, hu, e: hu * e[:, None], lambda h, m: m / deg[:, None], steps=5)
    P = A_hat / deg[:, None]
    torch.testing.assert_close(states[5], torch.linalg.matrix_power(P, 5) @ H)
    assert len(states) == 6
    with pytest.raises(ValueError, match="square"):
        message_passing(A[:3], H, None, None)
    with pytest.raises(ValueError, match="one row per node"):
        message_passing(A, H[:3], None, None)
    with pytest.raises(TypeError, match="torch tensors"):
        message_passing(A.numpy(), H, None, None)
    with pytest.raises(TypeError, match="message must be callable"):
        message_passing(A, H, None, lambda h, m: m)


def test_message_passing_mean_equals_lib_graph():
    from lib.graph import mean_message_passing
    from lib.rnn import message_passing

    A = torch.tensor([[0, 1, 1, 0, 0], [1, 0, 1, 0, 0], [1, 1, 0, 1, 0], [0, 0, 1, 0, 1], [0, 0, 0, 1, 0]])
    A = A.double()
    H = torch.randn(5, 2, dtype=torch.float64)
    deg = A.sum(1, keepdim=True)
    states = message_passing(A, H, lambda hv, hu, e: e[:, None] * hu, lambda h, m: m / deg, steps=4)
    np.testing.assert_allclose(states[4].numpy(), mean_message_passing(A.numpy(), H.numpy(), rounds=4), atol=1e-12)


def test_tasks_and_training_loop():
    from lib.rnn import anbn_strings, first_token_task, train_steps

    X, y = first_token_task(5, 7, n_symbols=3, rng=0)
    assert X.shape == (7, 5, 6) and y.shape == (5,)
    assert torch.equal(X[0].argmax(1), y) and (X[1:].argmax(2) >= 3).all()
    tokens, pred = anbn_strings([2, 1])
    assert tokens.tolist() == [0, 0, 1, 1, 2, 0, 1, 2]
    assert pred.tolist() == [False, False, True, True, True, False, True, True]
    with pytest.raises(ValueError, match="n"):
        anbn_strings([0])
    with pytest.raises(TypeError, match="ns must be a sequence"):
        anbn_strings(3)
    with pytest.raises(ValueError, match="length"):
        first_token_task(3, 0)
    lin = torch.nn.Linear(1, 1)
    x = torch.linspace(-1, 1, 20)[:, None]
    losses = train_steps(lin, lambda step: ((lin(x) - 3 * x) ** 2).mean(), steps=200, lr=0.05)
    assert losses[-1] < 1e-3 * losses[0]
    with pytest.raises(ValueError, match="steps"):
        train_steps(lin, lambda step: lin(x).sum(), steps=0)
    with pytest.raises(TypeError, match="model"):
        train_steps("net", lambda step: lin(x).sum(), steps=1)
    with pytest.raises(TypeError, match="loss_fn"):
        train_steps(lin, 3.0, steps=1)
    with pytest.raises(ValueError, match="clip_norm"):
        train_steps(lin, lambda step: lin(x).sum(), steps=1, clip_norm=-1.0)
