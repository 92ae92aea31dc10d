r"""正则化的小部件（正则化一章）：dropout、标签平滑与 8×8 数字图像的数据增强。

* :class:`Dropout` / :func:`dropout`（“Dropout 与集成”一节）：训练时每个单元以概率 :math:`p` 置零，留下的除以保留概率
  :math:`1-p`（“反向 dropout”），于是 :math:`\mathbb E[\tilde h]=h`，评估时原样输出。
  与 ``torch.nn.Dropout`` 同名同参数，
  在同一个随机种子下输出逐位相同。
* :func:`smooth_labels`（“数据增强与标签平滑”一节）：把 one-hot 目标换成“软”目标。``spread="all"``（Szegedy 等，torch 的
  ``CrossEntropyLoss(label_smoothing=ε)``）：:math:`\tilde y=(1-\epsilon)\,\mathbf e_y+\epsilon/K`；
  ``spread="others"``：真类 :math:`1-\epsilon`，其余每类 :math:`\epsilon/(K-1)`。
* :func:`augment_digits`（“数据增强与标签平滑”一节）：随机平移、旋转、加噪声，标签不变。
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import torch
from torch import nn

from ..utils import check_array, check_module_input, check_random_state, check_scalar

__all__ = ["dropout", "Dropout", "smooth_labels", "augment_digits"]


def _check_p(p) -> float:
    if isinstance(p, bool) or not isinstance(p, Real) or not 0 <= p <= 1:
        raise ValueError(f"p (the drop probability) must be in [0, 1], got {p!r}")
    return float(p)


def dropout(x: torch.Tensor, p: float = 0.5, training: bool = True) -> torch.Tensor:
    r"""反向 dropout：:math:`\tilde h=m\odot h/(1-p)`，:math:`m_i\sim\mathrm{Bernoulli}(1-p)`；
    ``training=False`` 时返回 ``x``。

    掩码由 torch 的全局随机源抽取（与 ``torch.nn.functional.dropout`` 同一个源、同一种抽法）。
    """
    check_module_input(x, None, "x")
    check_scalar(training, "training", bool)
    p = _check_p(p)
    if not training or p == 0:
        return x
    if p == 1:
        return x * 0.0
    keep = 1.0 - p
    mask = torch.empty_like(x).bernoulli_(keep)  # m_i = 1 的概率是保留概率 1 - p
    return x * (mask / keep)


class Dropout(nn.Module):
    """dropout 层（参数 ``p`` 是 **丢弃** 概率，与 torch 相同）。"""

    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        self.p = _check_p(p)
        if check_scalar(inplace, "inplace", bool):
            raise ValueError("inplace=True is not supported by lib.nn.Dropout (use torch.nn.Dropout)")
        self.inplace = inplace

    def extra_repr(self) -> str:
        return f"p={self.p}"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_module_input(x, None, "x")
        return dropout(x, self.p, self.training)


def smooth_labels(y, n_classes: int, eps: float, spread: str = "all") -> np.ndarray:
    """整数标签 ``y`` → 平滑后的目标分布，形状 ``(len(y), n_classes)``，每行和为 1。"""
    n_classes = check_scalar(n_classes, "n_classes", Integral, min_val=2)
    eps = check_scalar(eps, "eps", Real, min_val=0, max_val=1)
    y = np.asarray(y)
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer) or (y.size and (y.min() < 0 or y.max() >= n_classes)):
        raise ValueError(f"y must be a 1-D array of integer labels in 0..{n_classes - 1}")
    one_hot = np.eye(n_classes)[y]
    if spread == "all":
        return (1 - eps) * one_hot + eps / n_classes
    if spread == "others":
        return (1 - eps) * one_hot + eps / (n_classes - 1) * (1 - one_hot)
    raise ValueError(f"spread must be 'all' or 'others', got {spread!r}")


def augment_digits(images, rng=None, *, max_shift: int = 1, max_angle: float = 15.0, noise: float = 0.0) -> np.ndarray:
    """对一批 8×8 数字图像（形状 ``(n, 64)`` 或 ``(n, 8, 8)``，像素 0–16）各做一次随机变换：
    旋转 :math:`U(-\\text{max\\_angle},\\text{max\\_angle})` 度、整像素平移 :math:`\\{-s,\\dots,s\\}`、
    加 :math:`\\mathcal N(0,\\text{noise}^2)`
    噪声，最后截到 [0, 16]。返回与输入同形的新数组。"""
    from scipy import ndimage

    X = check_array(images, "images", ndim=(2, 3))
    flat = X.ndim == 2
    if flat and X.shape[1] != 64 or not flat and X.shape[1:] != (8, 8):
        raise ValueError(f"images must have shape (n, 64) or (n, 8, 8), got {X.shape}")
    max_shift = check_scalar(max_shift, "max_shift", Integral, min_val=0, max_val=3)
    max_angle = check_scalar(max_angle, "max_angle", Real, min_val=0, max_val=180)
    noise = check_scalar(noise, "noise", Real, min_val=0)
    rng = check_random_state(rng)
    imgs = X.reshape(-1, 8, 8)
    out = np.empty_like(imgs)
    for i, img in enumerate(imgs):
        angle = rng.uniform(-max_angle, max_angle)
        dy, dx = rng.integers(-max_shift, max_shift + 1, size=2)
        moved = ndimage.rotate(img, angle, reshape=False, order=1, mode="constant")
        out[i] = ndimage.shift(moved, (dy, dx), order=0, mode="constant")
    if noise > 0:
        out = out + noise * rng.normal(size=out.shape)
    out = np.clip(out, 0.0, 16.0)
    return out.reshape(X.shape)
