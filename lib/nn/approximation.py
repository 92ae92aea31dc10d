r"""万能逼近的构造性证明（“万能逼近”一节）：直接写出一个单隐层网络的权重，让它逼近给定的一元函数 :math:`f`。

* :func:`relu_interpolant`：:math:`n` 个 ReLU 单元，网络恰好是 :math:`f` 在 :math:`n+1` 个等距节点上的折线插值

  .. math::
     g(x)=f(x_0)+\sum_{k=0}^{n-1}c_k\,\mathrm{ReLU}(x-x_k),\qquad
     c_k=s_k-s_{k-1},\ s_k=\frac{f(x_{k+1})-f(x_k)}{h},

  （:math:`s_{-1}=0`）。对二阶连续可导的 :math:`f`，最大误差 :math:`\le\frac{h^2}{8}\max|f''|`，:math:`h=(b-a)/n`。
* :func:`sigmoid_staircase`：:math:`n` 个陡峭的 sigmoid 单元叠成台阶

  .. math:: g(x)=f(x_0)+\sum_{k=1}^{n}\bigl(f(x_k)-f(x_{k-1})\bigr)\,\sigma\bigl(\beta(x-m_k)\bigr),

  :math:`m_k` 是第 :math:`k` 个小区间的中点。:math:`\beta\to\infty` 时每一项趋于单位阶跃，误差 :math:`\le h\max|f'|`。

两者都返回 :class:`ShallowNet`：:math:`g(x)=\mathbf w_2^\top\phi(\mathbf w_1x+\mathbf b_1)+b_2`，可以像函数一样调用。
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np

from ..utils import check_scalar
from .activations import get_activation

__all__ = ["ShallowNet", "relu_interpolant", "sigmoid_staircase"]


@dataclass(frozen=True)
class ShallowNet:
    """单隐层、一元输入一元输出的网络 :math:`g(x)=\\sum_k w_{2,k}\\,\\phi(w_{1,k}x+b_{1,k})+b_2`。"""

    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: float
    activation: str

    @property
    def n_hidden(self) -> int:
        return self.w1.size

    def hidden(self, x) -> np.ndarray:
        """每个隐藏单元的输出，形状 ``(len(x), n_hidden)``。"""
        x = np.asarray(x, dtype=float).reshape(-1, 1)
        return get_activation(self.activation)(x * self.w1 + self.b1)

    def __call__(self, x) -> np.ndarray:
        return self.hidden(x) @ self.w2 + self.b2


def _knots(f, a, b, n_hidden):
    if not callable(f):
        raise TypeError(f"f must be callable, got {type(f).__name__}")
    a = check_scalar(a, "a", Real)
    b = check_scalar(b, "b", Real)
    if not a < b:
        raise ValueError(f"a must be < b, got a={a}, b={b}")
    n = check_scalar(n_hidden, "n_hidden", Integral, min_val=1)
    x = np.linspace(a, b, n + 1)
    return x, np.asarray(f(x), dtype=float), n


def relu_interpolant(f: Callable[[np.ndarray], np.ndarray], a: float, b: float, n_hidden: int) -> ShallowNet:
    """``n_hidden`` 个 ReLU 单元构成的 :math:`f` 在 :math:`[a,b]` 上的折线插值（见模块说明）。"""
    x, fx, n = _knots(f, a, b, n_hidden)
    slopes = np.diff(fx) / np.diff(x)
    c = np.diff(slopes, prepend=0.0)  # 每个节点处斜率的改变量
    return ShallowNet(w1=np.ones(n), b1=-x[:-1], w2=c, b2=float(fx[0]), activation="relu")


def sigmoid_staircase(
    f: Callable[[np.ndarray], np.ndarray], a: float, b: float, n_hidden: int, steepness: float | None = None
) -> ShallowNet:
    """``n_hidden`` 个 sigmoid 单元构成的台阶函数（见模块说明）。``steepness`` 默认取 :math:`20/h`。"""
    x, fx, n = _knots(f, a, b, n_hidden)
    h = (b - a) / n
    beta = 20.0 / h if steepness is None else check_scalar(steepness, "steepness", Real, min_val=0, include_min=False)
    mid = (x[:-1] + x[1:]) / 2
    return ShallowNet(w1=np.full(n, beta), b1=-beta * mid, w2=np.diff(fx), b2=float(fx[0]), activation="sigmoid")
