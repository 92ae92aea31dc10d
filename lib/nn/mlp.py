r"""多层感知机（从“多层感知机与激活函数”一节起，后面各章共用）：``torch.nn.Sequential`` 的子类，一行构造

    Linear → [BatchNorm1d | LayerNorm] → 激活 → [Dropout] → … → Linear（输出层不加激活）。

>>> net = MLP([64, 32, 10], activation="relu", norm="batch", dropout=0.1, init="kaiming_normal")

输出是 logits（分类时交给 ``CrossEntropyLoss``）。归一化层与 dropout 是本包自己的实现（:mod:`lib.nn.norm`、
:mod:`lib.nn.regularization`），初始化用 :mod:`lib.nn.init`；``init=None`` 保留 ``torch.nn.Linear`` 的默认初始化。
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral, Real

import torch
from torch import nn

from ..utils import MAX_SIZE, check_module_input, check_scalar
from . import init as nninit
from .activations import activation_module, check_activation
from .norm import BatchNorm1d, LayerNorm
from .regularization import Dropout, _check_p

__all__ = ["MLP", "INITS", "count_parameters"]

INITS = ("xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal", "zeros")


def _check_sizes(sizes) -> list[int]:
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence) or len(sizes) < 2:
        raise ValueError(f"sizes must be a sequence of at least 2 layer widths [in, hidden..., out], got {sizes!r}")
    if any(isinstance(s, bool) or not isinstance(s, Integral) or not 1 <= s <= MAX_SIZE for s in sizes):
        raise ValueError(f"sizes must contain positive integers (at most {MAX_SIZE}), got {sizes!r}")
    return [int(s) for s in sizes]


class MLP(nn.Sequential):
    """全连接前馈网络。

    Parameters
    ----------
    sizes : 层宽 ``[输入维数, 隐层1, …, 输出维数]``。
    activation : 隐层激活函数的名字（见 :mod:`lib.nn.activations`）。
    norm : ``None``、``"batch"`` 或 ``"layer"``：放在每个隐层的线性变换与激活之间。
    dropout : 每个隐层激活之后的丢弃概率（0 表示不加 dropout 层）。
    init : ``None``（torch 默认）或 :data:`INITS` 之一；Xavier 用 gain 1，
        Kaiming 按激活取 relu/leaky_relu 的增益；偏置置 0。
    generator : 初始化用的 ``torch.Generator``（``None`` 时用全局随机源）。
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activation: str = "relu",
        *,
        norm: str | None = None,
        dropout: float = 0.0,
        init: str | None = None,
        bias: bool = True,
        generator: torch.Generator | None = None,
    ):
        sizes = _check_sizes(sizes)
        activation = check_activation(activation)
        if norm is not None and (not isinstance(norm, str) or norm not in ("batch", "layer")):
            raise ValueError(f"norm must be None, 'batch' or 'layer', got {norm!r}")
        check_scalar(dropout, "dropout", Real, min_val=0, max_val=1)
        dropout = _check_p(dropout)
        if init is not None and (not isinstance(init, str) or init not in INITS):
            raise ValueError(f"unknown init {init!r}; choose None or one of {INITS}")
        check_scalar(bias, "bias", bool)
        if generator is not None and not isinstance(generator, torch.Generator):
            raise TypeError(f"generator must be None or a torch.Generator, got {type(generator).__name__}")
        layers: list[nn.Module] = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(nn.Linear(n_in, n_out, bias=bias))
            if i == len(sizes) - 2:
                break
            if norm == "batch":
                layers.append(BatchNorm1d(n_out))
            elif norm == "layer":
                layers.append(LayerNorm(n_out))
            layers.append(activation_module(activation))
            if dropout > 0:
                layers.append(Dropout(dropout))
        super().__init__(*layers)
        self.sizes = sizes
        self.activation = activation
        if init is not None:
            self.reset_parameters(init, generator=generator)

    def reset_parameters(self, init: str, generator: torch.Generator | None = None) -> MLP:
        """按 ``init`` 重新初始化所有线性层（偏置置 0）。"""
        if init not in INITS:
            raise ValueError(f"unknown init {init!r}; choose one of {INITS}")
        nonlinearity = "leaky_relu" if self.activation == "leaky_relu" else "relu"
        a = 0.01 if self.activation == "leaky_relu" else 0
        for layer in self.linear_layers():
            w = layer.weight
            if init == "xavier_uniform":
                nninit.xavier_uniform_(w, generator=generator)
            elif init == "xavier_normal":
                nninit.xavier_normal_(w, generator=generator)
            elif init == "kaiming_uniform":
                nninit.kaiming_uniform_(w, a=a, nonlinearity=nonlinearity, generator=generator)
            elif init == "kaiming_normal":
                nninit.kaiming_normal_(w, a=a, nonlinearity=nonlinearity, generator=generator)
            else:
                with torch.no_grad():
                    w.zero_()
            if layer.bias is not None:
                with torch.no_grad():
                    layer.bias.zero_()
        return self

    def linear_layers(self) -> list[nn.Linear]:
        return [m for m in self if isinstance(m, nn.Linear)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_module_input(x, self, "x")
        if x.dim() != 2 or x.shape[1] != self.sizes[0]:
            raise ValueError(f"x must have shape (N, {self.sizes[0]}), got {tuple(x.shape)}")
        return super().forward(x)


def count_parameters(model: nn.Module) -> int:
    """可训练参数的个数。"""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
