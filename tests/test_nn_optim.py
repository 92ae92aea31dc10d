"""lib.nn.optim against torch.optim: whole float64 trajectories, defaults, errors; lib.nn.clip against torch."""

import inspect
import math

import numpy as np
import pytest
import torch

import lib
from lib.nn import optim

PAIRS = {
    "SGD": (optim.SGD, torch.optim.SGD),
    "Adagrad": (optim.Adagrad, torch.optim.Adagrad),
    "RMSprop": (optim.RMSprop, torch.optim.RMSprop),
    "Adadelta": (optim.Adadelta, torch.optim.Adadelta),
    "Adam": (optim.Adam, torch.optim.Adam),
    "AdamW": (optim.AdamW, torch.optim.AdamW),
}

CONFIGS = [
    ("SGD", dict(lr=0.05)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, maximize=False)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.01, initial_accumulator_value=0.1)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, momentum=0.8, centered=True, weight_decay=0.01)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, weight_decay=0.01)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.01, amsgrad=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
]


def mlp_problem(seed=0):
    """A small tanh MLP regression problem, float64: enough curvature and several parameter tensors."""
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(40, 3, generator=g, dtype=torch.float64)
    y = torch.sin(X.sum(1, keepdim=True))
    params = [
        torch.randn(3, 8, generator=g, dtype=torch.float64) * 0.5,
        torch.zeros(8, dtype=torch.float64),
        torch.randn(8, 1, generator=g, dtype=torch.float64) * 0.5,
    ]

    def loss_fn(ps):
        return ((torch.tanh(X @ ps[0] + ps[1]) @ ps[2] - y) ** 2).mean()

    return params, loss_fn


def trajectory(cls, kwargs, n_steps=60, seed=0, groups=False):
    params0, loss_fn = mlp_problem(seed)
    ps = [p.clone().requires_grad_() for p in params0]
    if groups:  # two parameter groups, the second with its own learning rate
        opt = cls([{"params": ps[:2]}, {"params": ps[2:], "lr": kwargs["lr"] * 0.5}], **kwargs)
    else:
        opt = cls(ps, **kwargs)
    path = []
    for _ in range(n_steps):
        opt.zero_grad()
        loss = loss_fn(ps)
        loss.backward()
        opt.step()
        path.append(torch.cat([p.detach().reshape(-1) for p in ps]).clone())
    return torch.stack(path), opt


def max_deviation(name, kwargs, **kw):
    ours, _ = trajectory(PAIRS[name][0], kwargs, **kw)
    theirs, _ = trajectory(PAIRS[name][1], {**kwargs, "foreach": False}, **kw)
    return float((ours - theirs).abs().max())


@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CONFIGS)])
def test_trajectory_equals_torch_in_float64(name, kwargs):
    assert max_deviation(name, kwargs) < 1e-12


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop"])
def test_param_groups_and_maximize(name):
    kwargs = {"lr": 0.01, "momentum": 0.5} if name == "SGD" else {"lr": 0.01}
    assert max_deviation(name, kwargs, groups=True) < 1e-12
    assert max_deviation(name, {**kwargs, "maximize": True}, n_steps=10) < 1e-12


def test_state_names_match_torch():
    for name, kwargs in [
        ("SGD", dict(lr=0.1, momentum=0.9)),
        ("Adam", dict(amsgrad=True)),
        ("Adagrad", {}),
        ("RMSprop", dict(momentum=0.5, centered=True)),
        ("Adadelta", {}),
    ]:
        _, ours = trajectory(PAIRS[name][0], kwargs, n_steps=2)
        _, theirs = trajectory(PAIRS[name][1], kwargs, n_steps=2)
        p_ours, p_theirs = ours.param_groups[0]["params"][0], theirs.param_groups[0]["params"][0]
        assert set(ours.state[p_ours]) == set(theirs.state[p_theirs])


@pytest.mark.parametrize("name", list(PAIRS))
def test_defaults_equal_torch(name):
    ours, theirs = PAIRS[name]
    sig_ours, sig_theirs = inspect.signature(ours.__init__), inspect.signature(theirs.__init__)
    for pname, param in sig_ours.parameters.items():
        if pname in ("self", "params"):
            continue
        assert pname in sig_theirs.parameters, f"{name}: {pname} is not a torch argument"
        assert param.default == sig_theirs.parameters[pname].default, f"{name}.{pname}"
    implementation_flags = {"foreach", "fused", "capturable", "differentiable"}
    for pname in sig_theirs.parameters:
        if pname not in implementation_flags and pname not in ("self", "params"):
            assert pname in sig_ours.parameters, f"{name}: missing torch argument {pname}"


def test_adam_first_step_is_lr_times_sign():
    """With eps = 0, Adam's first step is -lr * sign(g) (bias correction makes m/sqrt(v) = g/|g|)."""
    p = torch.tensor([1.0, -2.0, 3.0], dtype=torch.float64, requires_grad=True)
    opt = optim.Adam([p], lr=0.1, eps=0.0)
    (p**3).sum().backward()
    opt.step()
    torch.testing.assert_close(p.detach(), torch.tensor([0.9, -2.1, 2.9], dtype=torch.float64))


def test_momentum_zero_is_gradient_descent():
    ours, _ = trajectory(optim.SGD, dict(lr=0.05, momentum=0.0))
    params0, loss_fn = mlp_problem()
    ps = [p.clone().requires_grad_() for p in params0]
    for k in range(60):
        grads = torch.autograd.grad(loss_fn(ps), ps)
        ps = [(p - 0.05 * g).detach().requires_grad_() for p, g in zip(ps, grads)]
        if k == 59:
            torch.testing.assert_close(torch.cat([p.detach().reshape(-1) for p in ps]), ours[-1], rtol=0, atol=1e-14)


@pytest.mark.parametrize("name", list(PAIRS))
def test_bad_arguments_name_the_argument(name):
    cls = PAIRS[name][0]
    p = [torch.zeros(2, requires_grad=True)]
    with pytest.raises(ValueError, match="lr"):
        cls(p, lr=-0.1)
    with pytest.raises(ValueError, match="weight_decay"):
        cls(p, weight_decay=-1.0)
    with pytest.raises(ValueError, match="lr"):
        cls(p, lr=float("nan"))


def test_specific_bad_arguments():
    p = [torch.zeros(2, requires_grad=True)]
    with pytest.raises(ValueError, match="nesterov"):
        optim.SGD(p, lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match=r"betas\[1\]"):
        optim.Adam(p, betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="betas"):
        optim.Adam(p, betas=0.9)
    with pytest.raises(ValueError, match="alpha"):
        optim.RMSprop(p, alpha=1.5)
    with pytest.raises(TypeError, match="optimizer"):
        optim.set_lr("not an optimizer", 0.1)
    with pytest.raises(ValueError, match="lr"):
        optim.set_lr(optim.SGD(p), -1.0)


def test_schedule_from_lib_optim_drives_the_learning_rate():
    p = [torch.zeros(2, requires_grad=True)]
    opt = optim.SGD(p, lr=1.0)
    sched = lib.optim.InverseTimeDecay(0.1, decay=0.5)
    lrs = []
    for t in range(4):
        optim.set_lr(opt, sched(t))
        lrs.append(optim.get_lr(opt))
    np.testing.assert_allclose(lrs, [0.1, 0.1 / 1.5, 0.05, 0.04])


# ---------------------------------------------------------------------------------------------
# gradient clipping
# ---------------------------------------------------------------------------------------------
def grads_like(seed):
    g = torch.Generator().manual_seed(seed)
    ps = [
        torch.zeros(3, 4, dtype=torch.float64, requires_grad=True),
        torch.zeros(5, dtype=torch.float64, requires_grad=True),
    ]
    for p in ps:
        p.grad = torch.randn(p.shape, generator=g, dtype=torch.float64) * 3
    return ps


@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_equals_torch(norm_type, max_norm):
    a, b = grads_like(0), grads_like(0)
    na = lib.nn.clip_grad_norm_(a, max_norm, norm_type)
    nb = torch.nn.utils.clip_grad_norm_(b, max_norm, norm_type, foreach=False)
    torch.testing.assert_close(na, nb, rtol=1e-14, atol=0)
    for p, q in zip(a, b):
        torch.testing.assert_close(p.grad, q.grad, rtol=1e-14, atol=0)


def test_clip_grad_value_equals_torch_and_textbook_examples():
    a, b = grads_like(1), grads_like(1)
    lib.nn.clip_grad_value_(a, 1.0)
    torch.nn.utils.clip_grad_value_(b, 1.0, foreach=False)
    for p, q in zip(a, b):
        torch.testing.assert_close(p.grad, q.grad)
    g = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    g.grad = torch.tensor([3.0, 4.0], dtype=torch.float64)
    lib.nn.clip_grad_norm_(g, 1.0, eps=0.0)
    torch.testing.assert_close(g.grad, torch.tensor([0.6, 0.8], dtype=torch.float64))
    g.grad = torch.tensor([3.0, 4.0], dtype=torch.float64)
    lib.nn.clip_grad_value_(g, 1.0)
    torch.testing.assert_close(g.grad, torch.tensor([1.0, 1.0], dtype=torch.float64))


def test_clip_errors():
    p = torch.zeros(2, requires_grad=True)
    p.grad = torch.tensor([float("inf"), 1.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        lib.nn.clip_grad_norm_(p, 1.0, error_if_nonfinite=True)
    with pytest.raises(ValueError, match="max_norm"):
        lib.nn.clip_grad_norm_(p, -1.0)
    with pytest.raises(ValueError, match="clip_value"):
        lib.nn.clip_grad_value_(p, 0)
