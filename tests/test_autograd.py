"""lib.autograd against torch.autograd: hand-picked cases and random expression graphs (hypothesis)."""

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lib.autograd import Tensor, unbroadcast


def both(*arrays):
    """The same leaves as lib Tensors and as float64 torch tensors, all requiring grad."""
    ours = [Tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    return ours, theirs


def check_same(ours, theirs, out_ours, out_theirs, atol=1e-10):
    np.testing.assert_allclose(out_ours.data, out_theirs.detach().numpy(), rtol=1e-10, atol=atol)
    out_ours.backward()
    out_theirs.backward()
    for a, b in zip(ours, theirs):
        ga = np.zeros(a.shape) if a.grad is None else a.grad
        gb = np.zeros(a.shape) if b.grad is None else b.grad.numpy()
        np.testing.assert_allclose(ga, gb, rtol=1e-9, atol=atol)


def test_docstring_example():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0, 6.0])


def test_mlp_forward_backward_matches_torch():
    rng = np.random.default_rng(0)
    X, W1, b1, W2 = rng.normal(size=(5, 3)), rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=(4, 2))
    (x, w1, c1, w2), (tx, tw1, tc1, tw2) = both(X, W1, b1, W2)
    out = ((x @ w1 + c1).tanh() @ w2).sigmoid().log().mean()
    tout = ((tx @ tw1 + tc1).tanh() @ tw2).sigmoid().log().mean()
    check_same([x, w1, c1, w2], [tx, tw1, tc1, tw2], out, tout)


def test_every_operation_once():
    rng = np.random.default_rng(1)
    A, B, v = rng.uniform(0.5, 2, size=(3, 4)), rng.uniform(0.5, 2, size=(3, 4)), rng.normal(size=4)
    (a, b, c), (ta, tb, tc) = both(A, B, v)
    out = (
        (a + b) * (a - c) / b
        + (-a) ** 3
        + a.exp()
        + b.log()
        + a.relu()
        + (a @ b.T).sum(axis=1, keepdims=True)
        + c.reshape(4, 1).transpose().tanh()
    ).mean(axis=0).sum() + (a**0.5).T.sum()
    tout = (
        (ta + tb) * (ta - tc) / tb
        + (-ta) ** 3
        + ta.exp()
        + tb.log()
        + ta.relu()
        + (ta @ tb.T).sum(dim=1, keepdim=True)
        + tc.reshape(4, 1).T.tanh()
    ).mean(dim=0).sum() + (ta**0.5).T.sum()
    check_same([a, b, c], [ta, tb, tc], out, tout)


def test_reused_node_accumulates_and_scalars_on_the_left():
    (x,), (tx,) = both(np.array([0.3, -1.2]))
    y = x * 2.0
    out = (1.0 - y * y + 3.0 / (y + 5.0)).sum()
    ty = tx * 2.0
    tout = (1.0 - ty * ty + 3.0 / (ty + 5.0)).sum()
    check_same([x], [tx], out, tout)


def test_grad_accumulates_over_backward_calls_and_zero_grad():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * 3.0).sum().backward()
    (x * 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [6.0, 6.0])
    x.zero_grad()
    assert x.grad is None


def test_matmul_vector_cases_match_numpy_and_torch():
    rng = np.random.default_rng(2)
    M, u, w = rng.normal(size=(3, 4)), rng.normal(size=3), rng.normal(size=4)
    (m, a, b), (tm, ta, tb) = both(M, u, w)
    out = (a @ m) @ b + (m @ b).sum()
    tout = (ta @ tm) @ tb + (tm @ tb).sum()
    check_same([m, a, b], [tm, ta, tb], out, tout)


def test_batched_matmul_broadcasts():
    rng = np.random.default_rng(3)
    (a, b), (ta, tb) = both(rng.normal(size=(2, 3, 4)), rng.normal(size=(4, 5)))
    check_same([a, b], [ta, tb], (a @ b).tanh().sum(), (ta @ tb).tanh().sum())


def test_unbroadcast_sums_replicated_axes():
    g = np.ones((2, 3, 4))
    np.testing.assert_array_equal(unbroadcast(g, (4,)), np.full(4, 6.0))
    np.testing.assert_array_equal(unbroadcast(g, (3, 1)), np.full((3, 1), 8.0))
    np.testing.assert_array_equal(unbroadcast(g, ()), 24.0)


def test_only_leaves_keep_grad():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    y.sum().backward()
    assert y.grad is None and x.grad is not None


def test_bad_input_errors_name_the_problem():
    with pytest.raises(TypeError, match="data"):
        Tensor("abc")
    with pytest.raises(ValueError, match="matmul shape mismatch"):
        Tensor(np.ones((2, 3))) @ Tensor(np.ones((2, 3)))
    with pytest.raises(TypeError, match="exponent"):
        Tensor([1.0]) ** Tensor([2.0])
    with pytest.raises(ValueError, match="grad must be given"):
        (Tensor([1.0, 2.0], requires_grad=True) * 2).backward()
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor([1.0]).sum().backward()
    with pytest.raises(ValueError, match="axis"):
        Tensor(np.ones((2, 2))).sum(axis=2)
    with pytest.raises(ValueError, match="reshape"):
        Tensor(np.ones(4)).reshape(3, 2)
    with pytest.raises(TypeError, match="requires_grad"):
        Tensor([1.0], requires_grad=1)


# ---------------------------------------------------------------------------------------------
# Property test: random expression graphs (DAGs, with reuse and broadcasting) against torch.autograd
# ---------------------------------------------------------------------------------------------
SHAPES = [(3, 4), (4,), (3, 1), (1, 4), ()]
UNARY = ["neg", "exp", "log", "tanh", "sigmoid", "relu", "pow2", "pow3", "sqrt", "sum0", "mean1", "T", "reshape"]
BINARY = ["add", "sub", "mul", "div", "matmul"]


def apply_unary(op, x, lib_side):
    """Unary ops guarded to stay finite: log and sqrt act on x*x + 1, exp on tanh(x)."""
    if op == "neg":
        return -x
    if op == "exp":
        return x.tanh().exp()
    if op == "log":
        return (x * x + 1.0).log()
    if op == "tanh":
        return x.tanh()
    if op == "sigmoid":
        return x.sigmoid()
    if op == "relu":
        return x.relu()
    if op == "pow2":
        return x**2
    if op == "pow3":
        return x**3
    if op == "sqrt":
        return (x * x + 1.0) ** 0.5
    if op == "sum0":
        return x.sum(axis=0, keepdims=True) if lib_side else x.sum(dim=0, keepdim=True)
    if op == "mean1":
        return x.mean(axis=-1) if lib_side else x.mean(dim=-1)
    if op == "T":
        return x.T if lib_side else x.permute(*reversed(range(x.dim())))
    if op == "reshape":
        return x.reshape(-1)
    raise AssertionError(op)


def apply_binary(op, x, y):
    if op == "add":
        return x + y
    if op == "sub":
        return x - y
    if op == "mul":
        return x * y
    if op == "div":
        return x / (y * y + 1.0)
    if op == "matmul":
        return x @ y
    raise AssertionError(op)


def valid(op, sx, sy=None):
    if op in ("sum0", "mean1", "T") and len(sx) == 0:
        return False
    if sy is None:
        return True
    if op == "matmul":
        return len(sx) >= 1 and len(sy) >= 1 and sx[-1] == (sy[-2] if len(sy) > 1 else sy[0])
    try:
        np.broadcast_shapes(sx, sy)
    except ValueError:
        return False
    return True


@st.composite
def expression_graphs(draw):
    n_leaves = draw(st.integers(1, 3))
    shapes = [draw(st.sampled_from(SHAPES)) for _ in range(n_leaves)]
    values = [
        draw(
            st.lists(
                st.floats(-2, 2, allow_nan=False, allow_subnormal=False),
                min_size=int(np.prod(s, dtype=int)),
                max_size=int(np.prod(s, dtype=int)),
            )
        )
        for s in shapes
    ]
    arrays = [np.array(v, dtype=float).reshape(s) for v, s in zip(values, shapes)]
    program = []
    for _ in range(draw(st.integers(1, 8))):
        if draw(st.booleans()):
            program.append(("u", draw(st.sampled_from(UNARY)), draw(st.integers(0, 50)), None))
        else:
            program.append(("b", draw(st.sampled_from(BINARY)), draw(st.integers(0, 50)), draw(st.integers(0, 50))))
    return arrays, program


def run_program(leaves, program, lib_side):
    pool = list(leaves)
    for kind, op, i, j in program:
        x = pool[i % len(pool)]
        if kind == "u":
            if valid(op, tuple(x.shape)):
                pool.append(apply_unary(op, x, lib_side))
        else:
            y = pool[j % len(pool)]
            if valid(op, tuple(x.shape), tuple(y.shape)):
                pool.append(apply_binary(op, x, y))
    # every node contributes, so gradients flow through reused nodes along several paths
    total = pool[0].sum()
    for k, node in enumerate(pool[1:], start=2):
        total = total + node.sum() * (1.0 / k)
    return total


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expression_graphs())
def test_random_expression_graphs_match_torch(graph):
    arrays, program = graph
    ours, theirs = both(*arrays)
    out = run_program(ours, program, lib_side=True)
    tout = run_program(theirs, program, lib_side=False)
    check_same(ours, theirs, out, tout, atol=1e-9)


def test_retain_grad_on_intermediate_nodes_matches_torch():
    (x,), (tx,) = both(np.array([0.4, -0.7]))
    y = (x * 3.0).tanh().retain_grad()
    ty = (tx * 3.0).tanh()
    ty.retain_grad()
    (y * y).sum().backward()
    (ty * ty).sum().backward()
    np.testing.assert_allclose(y.grad, ty.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-12)
    assert y.op == "tanh" and len(y.parents) == 1
