"""lib.nn.BatchNorm1d / LayerNorm against torch.nn (train and eval, running statistics, state_dict), and the
hand-derived batch-norm backward against autograd."""

import pytest
import torch

import lib
from lib.nn import BatchNorm1d, LayerNorm, batch_norm_backward


def batches(shape, n=5, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(shape, generator=g, dtype=torch.float64) * 2 + 1 for _ in range(n)]


@pytest.mark.parametrize("shape", [(16, 4), (8, 4, 5)])
@pytest.mark.parametrize("momentum", [0.1, 0.3, None])
@pytest.mark.parametrize("affine", [True, False])
def test_batchnorm_train_and_eval_equal_torch(shape, momentum, affine):
    ours = BatchNorm1d(4, momentum=momentum, affine=affine, dtype=torch.float64)
    theirs = torch.nn.BatchNorm1d(4, momentum=momentum, affine=affine, dtype=torch.float64)
    if affine:
        with torch.no_grad():
            for m in (ours, theirs):
                m.weight.copy_(torch.tensor([1.5, -0.5, 2.0, 1.0]))
                m.bias.copy_(torch.tensor([0.1, 0.2, -0.3, 0.0]))
    for x in batches(shape):
        torch.testing.assert_close(ours(x), theirs(x), rtol=1e-12, atol=1e-12)
    for name in ("running_mean", "running_var", "num_batches_tracked"):
        torch.testing.assert_close(getattr(ours, name), getattr(theirs, name), rtol=1e-12, atol=1e-12)
    ours.eval()
    theirs.eval()
    x = batches(shape, n=1, seed=9)[0]
    torch.testing.assert_close(ours(x), theirs(x), rtol=1e-12, atol=1e-12)


def test_batchnorm_gradients_equal_torch_and_gradcheck():
    x = batches((6, 3), n=1)[0].requires_grad_()
    ours, theirs = BatchNorm1d(3, dtype=torch.float64), torch.nn.BatchNorm1d(3, dtype=torch.float64)
    w = torch.randn(6, 3, dtype=torch.float64)
    (ours(x) * w).sum().backward()
    g_ours = x.grad.clone(), ours.weight.grad.clone(), ours.bias.grad.clone()
    x.grad = None
    (theirs(x) * w).sum().backward()
    for a, b in zip(g_ours, (x.grad, theirs.weight.grad, theirs.bias.grad)):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)
    assert torch.autograd.gradcheck(lambda t: ours(t), (x.detach().clone().requires_grad_(),))


def test_batchnorm_without_running_stats_and_state_dict_compatibility():
    ours = BatchNorm1d(3, track_running_stats=False, dtype=torch.float64).eval()
    theirs = torch.nn.BatchNorm1d(3, track_running_stats=False, dtype=torch.float64).eval()
    x = batches((10, 3), n=1)[0]
    torch.testing.assert_close(ours(x), theirs(x))
    trained = torch.nn.BatchNorm1d(3, dtype=torch.float64)
    for b in batches((10, 3)):
        trained(b)
    mine = BatchNorm1d(3, dtype=torch.float64)
    mine.load_state_dict(trained.state_dict())
    assert set(mine.state_dict()) == set(trained.state_dict())
    mine.eval()
    trained.eval()
    torch.testing.assert_close(mine(x), trained(x))


def test_batchnorm_output_statistics_and_identity_recovery():
    x = batches((50, 4), n=1)[0]
    bn = BatchNorm1d(4, eps=0.0 + 1e-12, dtype=torch.float64)
    y = bn(x)
    torch.testing.assert_close(y.mean(0), torch.zeros(4, dtype=torch.float64), atol=1e-12, rtol=0)
    torch.testing.assert_close(y.var(0, unbiased=False), torch.ones(4, dtype=torch.float64), atol=1e-9, rtol=0)
    with torch.no_grad():  # gamma = sigma, beta = mu gives back the input
        bn.weight.copy_(x.var(0, unbiased=False).sqrt())
        bn.bias.copy_(x.mean(0))
    torch.testing.assert_close(bn(x), x, atol=1e-9, rtol=0)


def test_hand_derived_batchnorm_backward_equals_autograd():
    x = batches((7, 3), n=1)[0].requires_grad_()
    gamma = torch.tensor([1.5, -0.5, 2.0], dtype=torch.float64, requires_grad=True)
    beta = torch.tensor([0.1, 0.2, -0.3], dtype=torch.float64, requires_grad=True)
    mean, var = x.mean(0), x.var(0, unbiased=False)
    x_hat = (x - mean) / torch.sqrt(var + 1e-5)
    y = gamma * x_hat + beta
    dy = torch.randn(7, 3, dtype=torch.float64)
    y.backward(dy)
    dx, dgamma, dbeta = batch_norm_backward(dy, x_hat.detach(), gamma.detach(), var.detach())
    for a, b in zip((dx, dgamma, dbeta), (x.grad, gamma.grad, beta.grad)):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("shape,normalized", [((5, 6), 6), ((4, 3, 6), (3, 6)), ((2, 3, 4, 5), (5,))])
@pytest.mark.parametrize("bias", [True, False])
def test_layernorm_equals_torch(shape, normalized, bias):
    ours = LayerNorm(normalized, bias=bias, dtype=torch.float64)
    theirs = torch.nn.LayerNorm(normalized, bias=bias, dtype=torch.float64)
    with torch.no_grad():
        g = torch.Generator().manual_seed(1)
        w = torch.randn(ours.weight.shape, generator=g, dtype=torch.float64)
        ours.weight.copy_(w)
        theirs.weight.copy_(w)
    x = batches(shape, n=1)[0].requires_grad_()
    torch.testing.assert_close(ours(x), theirs(x), rtol=1e-12, atol=1e-12)
    assert set(ours.state_dict()) == set(theirs.state_dict())
    ours.eval()
    theirs.eval()
    torch.testing.assert_close(ours(x), theirs(x), rtol=1e-12, atol=1e-12)
    assert torch.autograd.gradcheck(lambda t: ours(t), (x,))


def test_norm_bad_input():
    with pytest.raises(ValueError, match="x must have shape"):
        BatchNorm1d(3)(torch.zeros(4, 5))
    with pytest.raises(ValueError, match="more than 1 value"):
        BatchNorm1d(3)(torch.zeros(1, 3))
    with pytest.raises(ValueError, match="num_features"):
        BatchNorm1d(0)
    with pytest.raises(ValueError, match="momentum"):
        BatchNorm1d(3, momentum=1.5)
    with pytest.raises(ValueError, match="normalized_shape"):
        LayerNorm(3)(torch.zeros(2, 4))
    with pytest.raises(ValueError, match="normalized_shape"):
        LayerNorm((3, 0))
    with pytest.raises(ValueError, match="dy and x_hat"):
        batch_norm_backward(torch.zeros(3, 2), torch.zeros(2, 3), torch.ones(2), torch.ones(2))


def test_mlp_with_our_norm_layers_loads_torch_state_dict():
    a = lib.nn.MLP([5, 8, 3], norm="batch")
    torch_net = torch.nn.Sequential(
        torch.nn.Linear(5, 8), torch.nn.BatchNorm1d(8), torch.nn.ReLU(), torch.nn.Linear(8, 3)
    )
    a.load_state_dict(torch_net.state_dict())
    x = torch.randn(10, 5)
    torch.testing.assert_close(a(x), torch_net(x))
