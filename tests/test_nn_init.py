"""lib.nn.init against torch.nn.init (bit-for-bit with the same generator) and the worked numbers of 13.4."""

import math

import pytest
import torch

from lib.nn import init


@pytest.mark.parametrize("shape", [(128, 256), (6, 3, 5, 5)])
@pytest.mark.parametrize(
    "ours,theirs,kwargs",
    [
        (init.xavier_uniform_, torch.nn.init.xavier_uniform_, {}),
        (init.xavier_uniform_, torch.nn.init.xavier_uniform_, {"gain": 5 / 3}),
        (init.xavier_normal_, torch.nn.init.xavier_normal_, {}),
        (init.kaiming_uniform_, torch.nn.init.kaiming_uniform_, {}),
        (init.kaiming_uniform_, torch.nn.init.kaiming_uniform_, {"a": math.sqrt(5)}),
        (init.kaiming_normal_, torch.nn.init.kaiming_normal_, {"mode": "fan_out", "nonlinearity": "relu"}),
    ],
)
def test_bit_for_bit_equal_to_torch(shape, ours, theirs, kwargs):
    a = ours(torch.empty(shape), generator=torch.Generator().manual_seed(3), **kwargs)
    b = theirs(torch.empty(shape), generator=torch.Generator().manual_seed(3), **kwargs)
    assert torch.equal(a, b)


@pytest.mark.parametrize(
    "name,param",
    [
        ("linear", None),
        ("sigmoid", None),
        ("tanh", None),
        ("relu", None),
        ("leaky_relu", None),
        ("leaky_relu", 0.2),
        ("selu", None),
        ("conv2d", None),
    ],
)
def test_gain_equals_torch(name, param):
    assert init.calculate_gain(name, param) == pytest.approx(torch.nn.init.calculate_gain(name, param), rel=1e-15)


def test_worked_numbers_256_to_128():
    """fan_in 256, fan_out 128: Xavier var 2/384 = 0.0052083, bound 0.125; He var 2/256, bound sqrt(6/256)."""
    w = torch.empty(128, 256, dtype=torch.float64)
    assert init.fan_in_and_fan_out(w) == (256, 128)
    g = torch.Generator().manual_seed(0)
    init.xavier_uniform_(w, generator=g)
    assert w.abs().max() <= 0.125
    assert w.var().item() == pytest.approx(2 / 384, rel=0.02)
    init.kaiming_uniform_(w, nonlinearity="relu", generator=g)
    assert w.abs().max() <= math.sqrt(6 / 256)
    assert w.var().item() == pytest.approx(2 / 256, rel=0.02)
    init.kaiming_normal_(w, nonlinearity="relu", generator=g)
    assert w.var().item() == pytest.approx(0.0078125, rel=0.02)


def test_init_errors():
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        init.xavier_uniform_(torch.empty(5))
    with pytest.raises(ValueError, match="mode"):
        init.kaiming_normal_(torch.empty(3, 3), mode="fan_avg")
    with pytest.raises(ValueError, match="nonlinearity"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="gain"):
        init.xavier_normal_(torch.empty(3, 3), gain=-1.0)
    with pytest.raises(TypeError, match="tensor"):
        init.fan_in_and_fan_out([[1.0]])
