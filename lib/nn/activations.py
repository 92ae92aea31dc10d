r"""激活函数（“多层感知机与激活函数”一节）：NumPy 版的函数与导数，以及按名字构造 ``torch.nn`` 激活层。

=================  =====================================================  ==============================================
名字                :math:`f(z)`                                           :math:`f'(z)`
=================  =====================================================  ==============================================
``identity``        :math:`z`                                              :math:`1`
``step``            :math:`\mathbb 1[z\ge0]`（感知机的阈值函数）              :math:`0`（:math:`z\neq0`）
``sigmoid``         :math:`\sigma(z)=1/(1+e^{-z})`                          :math:`\sigma(z)(1-\sigma(z))`
``tanh``            :math:`\tanh z=2\sigma(2z)-1`                           :math:`1-\tanh^2z`
``relu``            :math:`\max(0,z)`                                      :math:`\mathbb 1[z>0]`
``leaky_relu``      :math:`\max(\alpha z,z)`，:math:`\alpha=0.01`            :math:`1` 或 :math:`\alpha`
``elu``             :math:`z`（:math:`z>0`），:math:`e^z-1`（否则）           :math:`1` 或 :math:`e^z`
``softplus``        :math:`\log(1+e^z)`                                    :math:`\sigma(z)`
=================  =====================================================  ==============================================

未知的名字抛出 ``ValueError``，信息里列出所有可用的名字。torch 版（:func:`activation_module`）与 NumPy 版同名、同公式，
``tests/test_nn_mlp.py`` 核对二者相等，并核对每个导数与有限差分相等。
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import expit

__all__ = ["Activation", "ACTIVATIONS", "get_activation", "activation_module", "check_activation"]

LEAKY_SLOPE = 0.01


@dataclass(frozen=True)
class Activation:
    """一个激活函数：``f(z)`` 与它的导数 ``df(z)``（都逐元素作用于 NumPy 数组）。"""

    name: str
    f: Callable[[np.ndarray], np.ndarray]
    df: Callable[[np.ndarray], np.ndarray]

    def __call__(self, z):
        return self.f(np.asarray(z, dtype=float))


def _softplus(z):
    return np.logaddexp(0.0, z)


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation("identity", lambda z: z, lambda z: np.ones_like(z)),
        Activation("step", lambda z: (z >= 0).astype(float), lambda z: np.zeros_like(z)),
        Activation("sigmoid", expit, lambda z: expit(z) * (1 - expit(z))),
        Activation("tanh", np.tanh, lambda z: 1 - np.tanh(z) ** 2),
        Activation("relu", lambda z: np.maximum(z, 0.0), lambda z: (z > 0).astype(float)),
        Activation(
            "leaky_relu",
            lambda z: np.where(z > 0, z, LEAKY_SLOPE * z),
            lambda z: np.where(z > 0, 1.0, LEAKY_SLOPE),
        ),
        Activation(
            "elu",
            lambda z: np.where(z > 0, z, np.expm1(np.minimum(z, 0))),
            lambda z: np.where(z > 0, 1.0, np.exp(np.minimum(z, 0))),
        ),
        Activation("softplus", _softplus, expit),
    )
}


def check_activation(name, argument: str = "activation") -> str:
    """检查激活函数的名字，返回它；未知名字的错误信息写明参数名与可用的名字。"""
    if not isinstance(name, str):
        raise TypeError(f"{argument} must be a string, got {type(name).__name__}")
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown {argument} {name!r}; choose one of {sorted(ACTIVATIONS)}")
    return name


def get_activation(name: str) -> Activation:
    """按名字取 NumPy 版激活函数（带导数）。"""
    return ACTIVATIONS[check_activation(name)]


def activation_module(name: str):
    """按名字构造 ``torch.nn`` 的激活层（``identity`` → ``nn.Identity``；``step`` 不可导，不提供 torch 版）。"""
    import torch.nn as tnn

    name = check_activation(name)
    table = {
        "identity": tnn.Identity,
        "sigmoid": tnn.Sigmoid,
        "tanh": tnn.Tanh,
        "relu": tnn.ReLU,
        "leaky_relu": lambda: tnn.LeakyReLU(LEAKY_SLOPE),
        "elu": tnn.ELU,
        "softplus": tnn.Softplus,
    }
    if name not in table:
        raise ValueError(f"activation {name!r} has zero gradient almost everywhere and cannot be trained by backprop")
    return table[name]()
