r"""梯度截断（“梯度截断”一节），与 ``torch.nn.utils.clip_grad_norm_`` / ``clip_grad_value_`` 同名、同参数。

* **按值截断**：每个分量截到 :math:`[-c,c]`，:math:`g_i\leftarrow\max(\min(g_i,c),-c)`。会改变梯度的方向。
* **按范数截断**：把所有参数的梯度看成一个长向量 :math:`\mathbf g`，若 :math:`\|\mathbf g\|>c`，则
  :math:`\mathbf g\leftarrow\dfrac{c}{\|\mathbf g\|+\epsilon}\,\mathbf g`。方向不变，只缩短长度。

torch 在分母上加了 :math:`\epsilon=10^{-6}`（防止除以 0），所以截断后的范数略小于 :math:`c`；
这里 ``eps`` 默认取同样的值（``eps=0`` 时就是教科书里的公式）。
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from numbers import Real

import torch

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _grads(parameters) -> list[torch.Tensor]:
    if isinstance(parameters, torch.Tensor):
        parameters = [parameters]
    if not isinstance(parameters, Iterable):
        raise TypeError(f"parameters must be a tensor or an iterable of tensors, got {type(parameters).__name__}")
    return [p.grad for p in parameters if p.grad is not None]


def _positive(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not value > 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return float(value)


@torch.no_grad()
def clip_grad_norm_(
    parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False, *, eps: float = 1e-6
) -> torch.Tensor:
    r"""按总范数截断（就地修改 ``.grad``），返回截断 **前** 的总范数 :math:`\|\mathbf g\|_p`
    （``norm_type`` 为 :math:`p`，可为 ``inf``）。"""
    max_norm = _positive("max_norm", max_norm)
    norm_type = _positive("norm_type", norm_type)
    grads = _grads(parameters)
    if not grads:
        return torch.tensor(0.0)
    if math.isinf(norm_type):
        total = torch.stack([g.abs().max() for g in grads]).max()
    else:
        total = torch.stack([g.abs().pow(norm_type).sum() for g in grads]).sum().pow(1.0 / norm_type)
    if error_if_nonfinite and not torch.isfinite(total):
        raise RuntimeError(f"the total norm of order {norm_type} of the gradients is non-finite")
    coef = torch.clamp(max_norm / (total + eps), max=1.0)  # ‖g‖ ≤ c 时系数为 1，什么也不做
    for g in grads:
        g.mul_(coef)
    return total


@torch.no_grad()
def clip_grad_value_(parameters, clip_value: float) -> None:
    """把每个梯度分量截到 ``[-clip_value, clip_value]``（就地修改 ``.grad``）。"""
    clip_value = _positive("clip_value", clip_value)
    for g in _grads(parameters):
        g.clamp_(-clip_value, clip_value)
