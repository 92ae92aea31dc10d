r"""矩阵形式的反向传播（“矩阵形式的反向传播”一节）：一个只用 NumPy 的多层感知机，前向、反向都写成整批样本的矩阵运算。

记号（样本是 **行**，与全书一致）：:math:`A^{(0)}=X\in\mathbb R^{n\times d}`，对 :math:`l=1,\dots,L`

.. math::
   Z^{(l)}=A^{(l-1)}W^{(l)}+\mathbf 1\mathbf b^{(l)\top},\qquad A^{(l)}=f_l\bigl(Z^{(l)}\bigr),

最后一层不加激活（:math:`A^{(L)}=Z^{(L)}`，输出层的 softmax / sigmoid 并进损失里）。
误差项 :math:`\delta^{(l)}=\partial\mathcal L/\partial Z^{(l)}`
从 :math:`\delta^{(L)}` 开始向后递推：

.. math::
   \delta^{(l-1)}=f'_{l-1}\bigl(Z^{(l-1)}\bigr)\odot\bigl(\delta^{(l)}W^{(l)\top}\bigr),\qquad
   \frac{\partial\mathcal L}{\partial W^{(l)}}=A^{(l-1)\top}\delta^{(l)},\qquad
   \frac{\partial\mathcal L}{\partial\mathbf b^{(l)}}=\delta^{(l)\top}\mathbf 1 .

损失对批量取平均。``output_delta`` 给出三种常用输出的 :math:`\delta^{(L)}`：softmax + 交叉熵与 sigmoid + 二元交叉熵都是
:math:`(\hat Y-Y)/n`，恒等输出 + 平方误差 :math:`\frac1{2n}\|Z-Y\|^2` 是 :math:`(Z-Y)/n`。
``tests/test_nn_backprop.py`` 把梯度与有限差分和 ``torch.autograd`` 比较。
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral

import numpy as np
from scipy.special import expit, log_softmax, softmax

from ..utils import check_array, check_random_state
from .activations import check_activation, get_activation

__all__ = ["Layer", "mlp_init", "mlp_forward", "mlp_backward", "output_delta", "mlp_loss", "mlp_loss_grad", "LOSSES"]

LOSSES = ("softmax_ce", "sigmoid_bce", "mse")


@dataclass
class Layer:
    """一层的参数：权重 ``W``（形状 ``(d_in, d_out)``）与偏置 ``b``（形状 ``(d_out,)``）。"""

    W: np.ndarray
    b: np.ndarray


def mlp_init(sizes: Sequence[int], rng=None, scale: str = "xavier") -> list[Layer]:
    """按层宽 ``sizes = [d, h1, ..., out]`` 初始化参数。``scale``：``"xavier"``（方差 :math:`2/(n_{in}+n_{out})`）或
    ``"he"``（方差 :math:`2/n_{in}`）的正态分布；偏置为 0。"""
    sizes = _check_sizes(sizes)
    rng = check_random_state(rng)
    if scale not in ("xavier", "he"):
        raise ValueError(f"scale must be 'xavier' or 'he', got {scale!r}")
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        var = 2.0 / (n_in + n_out) if scale == "xavier" else 2.0 / n_in
        layers.append(Layer(rng.normal(0.0, np.sqrt(var), size=(n_in, n_out)), np.zeros(n_out)))
    return layers


def _check_sizes(sizes) -> list[int]:
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence) or len(sizes) < 2:
        raise ValueError(f"sizes must be a sequence of at least 2 layer widths, got {sizes!r}")
    for s in sizes:
        if isinstance(s, bool) or not isinstance(s, Integral) or s < 1:
            raise ValueError(f"sizes must contain positive integers, got {sizes!r}")
    return [int(s) for s in sizes]


def mlp_forward(layers: list[Layer], X, activation: str = "relu") -> tuple[list[np.ndarray], list[np.ndarray]]:
    """前向传播，返回每层的净输入 ``Z``（:math:`Z^{(1)},\\dots,Z^{(L)}`）
    与激活 ``A``（:math:`A^{(0)}=X,\\dots,A^{(L)}`）。
    """
    f = get_activation(check_activation(activation))
    X = check_array(X, "X", ndim=2)
    if X.shape[1] != layers[0].W.shape[0]:
        raise ValueError(f"X must have {layers[0].W.shape[0]} columns (the first layer's input size), got {X.shape[1]}")
    Z, A = [], [X]
    for k, layer in enumerate(layers):
        Z.append(A[-1] @ layer.W + layer.b)
        A.append(Z[-1] if k == len(layers) - 1 else f(Z[-1]))
    return Z, A


def output_delta(Z_L: np.ndarray, Y: np.ndarray, loss: str) -> np.ndarray:
    """输出层的误差项 :math:`\\delta^{(L)}=\\partial\\mathcal L/\\partial Z^{(L)}`（损失对批量取平均）。"""
    n = Z_L.shape[0]
    if loss == "softmax_ce":
        return (softmax(Z_L, axis=1) - Y) / n
    if loss == "sigmoid_bce":
        return (expit(Z_L) - Y) / n
    if loss == "mse":
        return (Z_L - Y) / n
    raise ValueError(f"unknown loss {loss!r}; choose one of {LOSSES}")


def mlp_backward(
    layers: list[Layer], Z: list[np.ndarray], A: list[np.ndarray], delta_L: np.ndarray, activation: str = "relu"
) -> list[Layer]:
    """反向传播：由 :math:`\\delta^{(L)}` 逐层算出所有参数的梯度（与 ``layers`` 同结构）。"""
    df = get_activation(check_activation(activation)).df
    grads: list[Layer] = [None] * len(layers)  # type: ignore[list-item]
    delta = delta_L
    for k in range(len(layers) - 1, -1, -1):  # k = l - 1：第 l 层的参数存在 layers[k]
        grads[k] = Layer(A[k].T @ delta, delta.sum(axis=0))  # ∂L/∂W = A^(l-1)ᵀ δ^(l)，∂L/∂b = δ^(l) 按行求和
        if k > 0:
            delta = df(Z[k - 1]) * (delta @ layers[k].W.T)  # δ^(l-1) = f'(Z^(l-1)) ⊙ (δ^(l) W^(l)ᵀ)
    return grads


def _targets(y, n_out: int, loss: str) -> np.ndarray:
    y = np.asarray(y)
    if loss == "softmax_ce" and y.ndim == 1:
        if not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or y.max() >= n_out:
            raise ValueError(f"y must hold integer class labels in 0..{n_out - 1} for softmax_ce")
        return np.eye(n_out)[y]
    Y = check_array(y, "y", ndim=(1, 2))
    return Y.reshape(-1, n_out)


def mlp_loss(layers: list[Layer], X, y, activation: str = "relu", loss: str = "softmax_ce") -> float:
    """批量平均损失。``y``：softmax_ce 时是整数类别（或 one-hot），其余是与输出同形的目标。"""
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; choose one of {LOSSES}")
    Z, _ = mlp_forward(layers, X, activation)
    Y = _targets(y, Z[-1].shape[1], loss)
    if loss == "softmax_ce":
        return float(-(Y * log_softmax(Z[-1], axis=1)).sum(axis=1).mean())
    if loss == "sigmoid_bce":
        z = Z[-1]
        return float((np.logaddexp(0, z) - Y * z).sum(axis=1).mean())
    return float(0.5 * ((Z[-1] - Y) ** 2).sum(axis=1).mean())


def mlp_loss_grad(
    layers: list[Layer], X, y, activation: str = "relu", loss: str = "softmax_ce"
) -> tuple[float, list[Layer]]:
    """损失与全部梯度：一次前向、一次反向。"""
    value = mlp_loss(layers, X, y, activation, loss)
    Z, A = mlp_forward(layers, X, activation)
    delta_L = output_delta(Z[-1], _targets(y, Z[-1].shape[1], loss), loss)
    return value, mlp_backward(layers, Z, A, delta_L, activation)
