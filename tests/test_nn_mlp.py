"""lib.nn activations, MLP, training loop, dropout, label smoothing and augmentation."""

import numpy as np
import pytest
import torch

import lib
from lib.nn import activations


@pytest.mark.parametrize("name", [n for n in activations.ACTIVATIONS if n != "step"])
def test_activation_derivatives_equal_finite_differences_and_torch(name):
    act = lib.nn.get_activation(name)
    z = np.linspace(-3, 3, 61) + 0.013  # avoid the kink of relu/leaky_relu at 0
    num = (act.f(z + 1e-6) - act.f(z - 1e-6)) / 2e-6
    np.testing.assert_allclose(act.df(z), num, rtol=1e-6, atol=1e-8)
    torch_out = lib.nn.activation_module(name)(torch.tensor(z)).numpy()
    np.testing.assert_allclose(act(z), torch_out, rtol=1e-12, atol=1e-14)


def test_activation_identities():
    z = np.linspace(-5, 5, 101)
    sig, tanh = lib.nn.get_activation("sigmoid"), lib.nn.get_activation("tanh")
    np.testing.assert_allclose(tanh(z), 2 * sig(2 * z) - 1, atol=1e-12)
    assert sig.df(np.array(0.0)) == 0.25 and tanh.df(np.array(0.0)) == 1.0


def test_unknown_activation_is_named():
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        lib.nn.get_activation("swish")
    with pytest.raises(ValueError, match="unknown activation 'gelu'"):
        lib.nn.MLP([2, 3, 1], activation="gelu")
    with pytest.raises(ValueError, match="zero gradient"):
        lib.nn.activation_module("step")


def test_mlp_structure_and_parameter_count():
    net = lib.nn.MLP([64, 30, 10])
    assert lib.nn.count_parameters(net) == 64 * 30 + 30 + 30 * 10 + 10 == 2260
    deep = lib.nn.MLP([4, 8, 8, 2], activation="tanh", norm="layer", dropout=0.2)
    kinds = [type(m).__name__ for m in deep]
    assert kinds == ["Linear", "LayerNorm", "Tanh", "Dropout", "Linear", "LayerNorm", "Tanh", "Dropout", "Linear"]


def test_mlp_init_schemes_are_reproducible_and_scaled():
    a = lib.nn.MLP([256, 128, 10], init="kaiming_normal", generator=torch.Generator().manual_seed(0))
    b = lib.nn.MLP([256, 128, 10], init="kaiming_normal", generator=torch.Generator().manual_seed(0))
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert a[0].weight.var().item() == pytest.approx(2 / 256, rel=0.05)
    assert torch.count_nonzero(a[0].bias) == 0
    z = lib.nn.MLP([3, 4, 2], init="zeros")
    assert all(torch.count_nonzero(p) == 0 for p in z.parameters())


def test_mlp_bad_input():
    with pytest.raises(ValueError, match="sizes"):
        lib.nn.MLP([3])
    with pytest.raises(ValueError, match="sizes"):
        lib.nn.MLP([3, 0, 2])
    with pytest.raises(ValueError, match="norm"):
        lib.nn.MLP([3, 4, 2], norm="group")
    with pytest.raises(ValueError, match="init"):
        lib.nn.MLP([3, 4, 2], init="orthogonal")
    with pytest.raises(ValueError, match="dropout"):  # the message names the argument
        lib.nn.MLP([3, 4, 2], dropout=1.5)
    with pytest.raises(ValueError, match=r"x must have shape \(N, 3\)"):
        lib.nn.MLP([3, 4, 2])(torch.zeros(5, 4))


def digits_tensors(n=300):
    d = lib.data.digits()
    X = torch.tensor(d.X[:n] / 16, dtype=torch.float32)
    y = torch.tensor(d.y[:n])
    return X, y


def test_fit_learns_and_is_reproducible():
    X, y = digits_tensors()
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        net = lib.nn.MLP([64, 32, 10])
        opt = lib.nn.Adam(net.parameters(), lr=1e-2)
        hist = lib.nn.fit(
            net,
            torch.nn.CrossEntropyLoss(),
            opt,
            X,
            y,
            epochs=15,
            batch_size=32,
            seed=1,
            schedule=lib.optim.CosineDecay(1e-2, total_steps=150),
            clip_norm=5.0,
        )
        runs.append((hist, [p.detach().clone() for p in net.parameters()]))
    (h1, p1), (h2, p2) = runs
    assert all(torch.equal(a, b) for a, b in zip(p1, p2))
    assert h1.train_loss == h2.train_loss
    assert h1.train_acc[-1] > 0.95 and h1.train_loss[-1] < h1.train_loss[0]
    assert h1.lr[-1] == pytest.approx(lib.optim.CosineDecay(1e-2, total_steps=150)(149))


def test_early_stopping_restores_the_best_weights():
    X, y = digits_tensors(400)
    Xt, yt, Xv, yv = X[:100], y[:100], X[100:], y[100:]
    torch.manual_seed(0)
    net = lib.nn.MLP([64, 128, 10])
    es = lib.nn.EarlyStopping(patience=3)
    hist = lib.nn.fit(
        net,
        torch.nn.CrossEntropyLoss(),
        lib.nn.Adam(net.parameters(), lr=3e-2),
        Xt,
        yt,
        epochs=200,
        batch_size=16,
        val=(Xv, yv),
        early_stopping=es,
    )
    assert hist.stopped_epoch is not None and hist.stopped_epoch < 199
    assert hist.best_epoch == int(np.argmin(hist.val_loss))
    assert hist.stopped_epoch - hist.best_epoch == 3
    val_loss, _ = lib.nn.evaluate(net, torch.nn.CrossEntropyLoss(), Xv, yv)
    assert val_loss == pytest.approx(min(hist.val_loss), rel=1e-6)


def test_fit_bad_input():
    X, y = digits_tensors(50)
    net = lib.nn.MLP([64, 10])
    opt = lib.nn.SGD(net.parameters(), lr=0.1)
    loss = torch.nn.CrossEntropyLoss()
    with pytest.raises(ValueError, match="same, non-zero number of rows"):
        lib.nn.fit(net, loss, opt, X, y[:10], epochs=1)
    with pytest.raises(TypeError, match="torch tensors"):
        lib.nn.fit(net, loss, opt, X.numpy(), y, epochs=1)
    with pytest.raises(ValueError, match="epochs"):
        lib.nn.fit(net, loss, opt, X, y, epochs=0)
    with pytest.raises(ValueError, match="validation data"):
        lib.nn.fit(net, loss, opt, X, y, epochs=1, early_stopping=lib.nn.EarlyStopping())
    with pytest.raises(TypeError, match="optimizer"):
        lib.nn.fit(net, loss, "adam", X, y, epochs=1)


def test_dropout_equals_torch_with_the_same_seed():
    x = torch.randn(50, 40)
    for p in (0.1, 0.5, 0.9):
        torch.manual_seed(3)
        ours = lib.nn.dropout(x, p)
        torch.manual_seed(3)
        theirs = torch.nn.functional.dropout(x, p)
        assert torch.equal(ours, theirs)
    layer = lib.nn.Dropout(0.3).eval()
    assert torch.equal(layer(x), x)
    torch.manual_seed(0)
    big = lib.nn.dropout(torch.ones(200_000), 0.3)
    assert abs(big.mean().item() - 1.0) < 4 * np.sqrt(0.3 / 0.7 / 200_000)
    with pytest.raises(ValueError, match="drop probability"):
        lib.nn.Dropout(-0.1)


def test_label_smoothing_matches_torch_cross_entropy_and_worked_example():
    logits = torch.randn(6, 5, dtype=torch.float64)
    y = torch.tensor([0, 1, 2, 3, 4, 2])
    soft = torch.tensor(lib.nn.smooth_labels(y.numpy(), 5, 0.1))
    ours = -(soft * torch.log_softmax(logits, 1)).sum(1).mean()
    theirs = torch.nn.functional.cross_entropy(logits, y, label_smoothing=0.1)
    torch.testing.assert_close(ours, theirs)
    np.testing.assert_allclose(lib.nn.smooth_labels([2], 5, 0.1, spread="others")[0], [0.025, 0.025, 0.9, 0.025, 0.025])
    with pytest.raises(ValueError, match="labels"):
        lib.nn.smooth_labels([5], 5, 0.1)
    with pytest.raises(ValueError, match="spread"):
        lib.nn.smooth_labels([1], 5, 0.1, spread="uniform")


def test_augment_digits_keeps_shape_range_and_is_seeded():
    X = lib.data.digits().X[:20]
    a = lib.nn.augment_digits(X, rng=1, noise=0.5)
    b = lib.nn.augment_digits(X, rng=1, noise=0.5)
    assert a.shape == X.shape and np.array_equal(a, b)
    assert a.min() >= 0 and a.max() <= 16 and not np.array_equal(a, X)
    same = lib.nn.augment_digits(X, rng=0, max_shift=0, max_angle=0.0)
    np.testing.assert_allclose(same, X, atol=1e-12)
    with pytest.raises(ValueError, match="images"):
        lib.nn.augment_digits(np.zeros((3, 10)))
