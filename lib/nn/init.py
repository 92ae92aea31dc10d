r"""参数初始化（“参数初始化”一节），与 ``torch.nn.init`` 同名、同参数、同公式。

一层的输入单元数记作 fan_in，输出单元数记作 fan_out。要让前向的激活方差与反向的梯度方差逐层保持不变：

* **Xavier/Glorot**（对称、在 0 附近近似线性的激活，如 tanh）：前向要求 :math:`\mathrm{fan\_in}\,\mathrm{Var}[w]=1`，
  反向要求 :math:`\mathrm{fan\_out}\,\mathrm{Var}[w]=1`，
  折中取 :math:`\mathrm{Var}[w]=\dfrac{2}{\mathrm{fan\_in}+\mathrm{fan\_out}}`；
* **He/Kaiming**（ReLU：一半的输入被置零，方差减半）：:math:`\mathrm{Var}[w]=\dfrac{2}{\mathrm{fan\_in}}`。

均匀分布 :math:`U(-r,r)` 的方差是 :math:`r^2/3`，所以同样的方差对应 :math:`r=\sqrt3\,\mathrm{std}`。``gain`` 是
:func:`calculate_gain` 给出的与激活函数有关的放大系数（ReLU 是 :math:`\sqrt2`）。每个函数就地修改张量并返回它；
给同一个 ``torch.Generator`` 时，结果与 ``torch.nn.init`` 逐位相同（``tests/test_nn_init.py``）。
"""

from __future__ import annotations

import math
from numbers import Real

import torch

__all__ = [
    "calculate_gain",
    "fan_in_and_fan_out",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
]


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    r"""激活函数的推荐增益：linear/conv/sigmoid 为 1，tanh 为 5/3，relu 为 :math:`\sqrt2`，
    leaky_relu 为 :math:`\sqrt{2/(1+a^2)}`（:math:`a` 是负半轴斜率，默认 0.01），selu 为 3/4。"""
    linear = (
        "linear",
        "identity",
        "conv1d",
        "conv2d",
        "conv3d",
        "conv_transpose1d",
        "conv_transpose2d",
        "conv_transpose3d",
        "sigmoid",
    )
    if nonlinearity in linear:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, bool) or not isinstance(param, Real):
            raise ValueError(f"param must be a number (the negative slope), got {param!r}")
        else:
            slope = float(param)
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"unsupported nonlinearity {nonlinearity!r}")


def fan_in_and_fan_out(tensor: torch.Tensor) -> tuple[int, int]:
    """权重张量的 (fan_in, fan_out)。线性层的权重形状是 ``(out, in)``；卷积核 ``(out, in, k...)`` 再乘感受野大小。"""
    if not isinstance(tensor, torch.Tensor):
        raise TypeError(f"tensor must be a torch.Tensor, got {type(tensor).__name__}")
    if tensor.dim() < 2:
        raise ValueError(
            f"tensor must have at least 2 dimensions to define fan_in and fan_out, got shape {tuple(tensor.shape)}"
        )
    receptive = math.prod(tensor.shape[2:]) if tensor.dim() > 2 else 1
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _check_gain(gain) -> float:
    if isinstance(gain, bool) or not isinstance(gain, Real) or not gain > 0:
        raise ValueError(f"gain must be a positive number, got {gain!r}")
    return float(gain)


def xavier_uniform_(tensor: torch.Tensor, gain: float = 1.0, generator: torch.Generator | None = None):
    r""":math:`U(-r,r)`，:math:`r=\mathrm{gain}\sqrt{6/(\mathrm{fan\_in}+\mathrm{fan\_out})}`。"""
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    std = _check_gain(gain) * math.sqrt(2.0 / (fan_in + fan_out))
    bound = math.sqrt(3.0) * std
    with torch.no_grad():
        return tensor.uniform_(-bound, bound, generator=generator)


def xavier_normal_(tensor: torch.Tensor, gain: float = 1.0, generator: torch.Generator | None = None):
    r""":math:`\mathcal N(0,\sigma^2)`，:math:`\sigma=\mathrm{gain}\sqrt{2/(\mathrm{fan\_in}+\mathrm{fan\_out})}`。"""
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    std = _check_gain(gain) * math.sqrt(2.0 / (fan_in + fan_out))
    with torch.no_grad():
        return tensor.normal_(0.0, std, generator=generator)


def _kaiming_std(tensor, a, mode, nonlinearity) -> float:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(
    tensor: torch.Tensor,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: torch.Generator | None = None,
):
    r""":math:`U(-r,r)`，:math:`r=\mathrm{gain}\sqrt{3/\mathrm{fan}}`（ReLU 时 :math:`\sqrt{6/\mathrm{fan\_in}}`）。"""
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    with torch.no_grad():
        return tensor.uniform_(-bound, bound, generator=generator)


def kaiming_normal_(
    tensor: torch.Tensor,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: torch.Generator | None = None,
):
    r""":math:`\mathcal N(0,\sigma^2)`，:math:`\sigma=\mathrm{gain}/\sqrt{\mathrm{fan}}`
    （ReLU 时方差 :math:`2/\mathrm{fan\_in}`）。"""
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    with torch.no_grad():
        return tensor.normal_(0.0, std, generator=generator)
