"""lib.nn.backprop (NumPy matrix backprop) against finite differences and torch.autograd; lib.nn.approximation
error rates; lib.nn.search."""

import numpy as np
import pytest
import torch

import lib
from lib.nn import backprop


@pytest.mark.parametrize("loss,n_out", [("softmax_ce", 3), ("sigmoid_bce", 1), ("mse", 2)])
@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_backprop_equals_finite_differences_and_torch(loss, n_out, activation):
    rng = np.random.default_rng(0)
    layers = backprop.mlp_init([4, 5, 3, n_out], rng)
    X = rng.normal(size=(7, 4))
    y = rng.integers(0, 3, size=7) if loss == "softmax_ce" else rng.uniform(size=(7, n_out))
    if loss == "sigmoid_bce":
        y = (y > 0.5).astype(float)
    value, grads = backprop.mlp_loss_grad(layers, X, y, activation, loss)
    for layer, grad in zip(layers, grads):
        for name in ("W", "b"):
            original = getattr(layer, name)

            def f(w, layer=layer, name=name):
                setattr(layer, name, w)
                return backprop.mlp_loss(layers, X, y, activation, loss)

            num = lib.utils.numerical_grad(f, original)
            setattr(layer, name, original)
            np.testing.assert_allclose(getattr(grad, name), num, rtol=1e-5, atol=1e-8)
    # torch.autograd on the same network
    ps = [torch.tensor(getattr(layer, n), requires_grad=True) for layer in layers for n in ("W", "b")]
    act = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}[activation]
    h = torch.tensor(X)
    for k in range(0, len(ps), 2):
        h = h @ ps[k] + ps[k + 1]
        if k < len(ps) - 2:
            h = act(h)
    yt = torch.tensor(y)
    if loss == "softmax_ce":
        out = torch.nn.functional.cross_entropy(h, yt)
    elif loss == "sigmoid_bce":
        out = torch.nn.functional.binary_cross_entropy_with_logits(h, yt, reduction="sum") / len(X)
    else:
        out = 0.5 * ((h - yt) ** 2).sum(1).mean()
    out.backward()
    assert value == pytest.approx(out.item(), rel=1e-12)
    flat = [g for grad in grads for g in (grad.W, grad.b)]
    for a, p in zip(flat, ps):
        np.testing.assert_allclose(a, p.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_backprop_errors():
    layers = backprop.mlp_init([3, 2], 0)
    with pytest.raises(ValueError, match="3 columns"):
        backprop.mlp_forward(layers, np.zeros((2, 4)))
    with pytest.raises(ValueError, match="unknown loss"):
        backprop.mlp_loss(layers, np.zeros((2, 3)), [0, 1], loss="hinge")
    with pytest.raises(ValueError, match="unknown activation"):
        backprop.mlp_forward(layers, np.zeros((2, 3)), activation="swish")
    with pytest.raises(ValueError, match="sizes"):
        backprop.mlp_init([3], 0)
    with pytest.raises(ValueError, match="class labels"):
        backprop.mlp_loss(layers, np.zeros((2, 3)), np.array([0, 5]))


def test_relu_interpolant_is_exact_at_knots_and_error_falls_as_h_squared():
    f = np.sin
    errors = []
    for n in (8, 16, 32, 64):
        net = lib.nn.relu_interpolant(f, -np.pi, np.pi, n)
        knots = np.linspace(-np.pi, np.pi, n + 1)
        np.testing.assert_allclose(net(knots), f(knots), atol=1e-12)
        x = np.linspace(-np.pi, np.pi, 4001)
        err = np.abs(net(x) - f(x)).max()
        assert err <= (2 * np.pi / n) ** 2 / 8 + 1e-12  # h^2/8 * max|f''|
        errors.append(err)
    slopes = np.diff(np.log(errors)) / np.diff(np.log([8, 16, 32, 64]))
    assert np.all(np.abs(slopes + 2) < 0.1)


def test_sigmoid_staircase_error_falls_as_h():
    f = np.sin
    x = np.linspace(-np.pi, np.pi, 4001)
    errors = [np.abs(lib.nn.sigmoid_staircase(f, -np.pi, np.pi, n)(x) - f(x)).max() for n in (16, 32, 64, 128)]
    assert all(e2 < e1 for e1, e2 in zip(errors, errors[1:]))
    assert errors[-1] <= 2 * np.pi / 128 * 1.0 + 1e-9


def test_approximation_errors():
    with pytest.raises(ValueError, match="a must be < b"):
        lib.nn.relu_interpolant(np.sin, 1.0, 0.0, 4)
    with pytest.raises(ValueError, match="n_hidden"):
        lib.nn.sigmoid_staircase(np.sin, 0.0, 1.0, 0)
    with pytest.raises(TypeError, match="f must be callable"):
        lib.nn.relu_interpolant(3.0, 0.0, 1.0, 4)


def test_search_strategies():
    from lib.nn.search import Real, bayes_opt, grid_search, random_search

    space = {"a": Real(-2.0, 2.0), "b": Real(1e-3, 1.0, log=True)}

    def objective(p):
        return (p["a"] - 0.3) ** 2 + 0.01 * np.log10(p["b"]) ** 2

    grid = grid_search(objective, space, per_dim=3)
    rand = random_search(objective, space, n_trials=9, rng=0)
    assert len(grid.values) == len(rand.values) == 9
    assert len({p["a"] for p in grid.params}) == 3 and len({p["a"] for p in rand.params}) == 9
    assert all(1e-3 <= p["b"] <= 1.0 for p in rand.params)
    bo = bayes_opt(objective, space, n_trials=20, n_init=5, rng=0)
    assert len(bo.values) == 20
    assert bo.best_value < 0.01 and bo.best_so_far()[-1] == bo.best_value
    with pytest.raises(ValueError, match="low must be < high"):
        Real(1.0, 0.0)
    with pytest.raises(ValueError, match="log-scale"):
        Real(0.0, 1.0, log=True)
    with pytest.raises(TypeError, match="space"):
        grid_search(objective, {"a": (0, 1)}, per_dim=2)


@pytest.mark.parametrize(
    "hidden,expected",
    [
        (torch.sigmoid, {"E": 0.060978, "d_out": -0.079366, "dw11": -0.009326, "dv1": -0.049402}),
        (torch.tanh, {"dw11": -0.036035}),
    ],
)
def test_section_12_1_worked_numbers(hidden, expected):
    """The 2-2-1 network of section 12.1 (x = (1, 0), t = 1, weights 0.5, biases 0), by torch.autograd."""
    W = torch.full((2, 2), 0.5, dtype=torch.float64, requires_grad=True)
    b = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    v = torch.full((2,), 0.5, dtype=torch.float64, requires_grad=True)
    c = torch.zeros((), dtype=torch.float64, requires_grad=True)
    s = c + v @ hidden(b + W @ torch.tensor([1.0, 0.0], dtype=torch.float64))
    s.retain_grad()
    E = 0.5 * (torch.sigmoid(s) - 1.0) ** 2
    E.backward()
    got = {"E": E.item(), "d_out": s.grad.item(), "dw11": W.grad[0, 0].item(), "dv1": v.grad[0].item()}
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, abs=5e-7)
    assert W.grad[0, 1].item() == 0.0
