r"""一个小小的反向模式自动微分（“动手实现自动微分”一节）：NumPy 数组上的 ``Tensor``，
从上到下读完就懂 PyTorch 的 autograd 在做什么。

思路只有三步：

1. **前向时记账**。每个运算产生一个新的 :class:`Tensor`，记下它的输入（``_parents``）和一个局部求导函数
   ``_backward(g)``：已知损失对输出的梯度 ``g``，返回损失对每个输入的梯度（向量–雅可比积）。
2. **拓扑排序**。``loss.backward()`` 从损失出发深度优先遍历这张有向无环图，得到一个“输入在前、输出在后”的顺序。
3. **反向累加**。按逆拓扑序把梯度一层层往回传：同一个节点被多处使用时，各处传回的梯度相加——这就是多元链式法则

   .. math::
      \frac{\partial L}{\partial x}
      =\sum_{y\,\in\,\text{children}(x)}\frac{\partial L}{\partial y}\frac{\partial y}{\partial x}.

广播（broadcasting）是唯一需要小心的地方：前向时形状为 ``(4,)`` 的偏置被“复制”成 ``(3, 4)``，反向时就要把
``(3, 4)`` 的梯度沿被复制的轴 **求和** 回 ``(4,)``（:func:`unbroadcast`）。

支持的运算：``+ - * / @ **``（指数为数）与取负，``exp log tanh sigmoid relu``，``sum mean``（可指定轴），
``reshape transpose``（及 ``.T``）。与 PyTorch 一样，只有用户创建且 ``requires_grad=True`` 的叶子张量保留 ``.grad``
（一个 NumPy 数组，多次 ``backward`` 会累加，用 ``zero_grad()`` 清零；中间节点调用 ``retain_grad()`` 后也保留）。
``tests/test_autograd.py`` 在随机生成的
表达式图上把它与 ``torch.autograd`` 逐一比较（hypothesis 性质测试）。

>>> from lib.autograd import Tensor
>>> x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> y = (x * x).sum()
>>> y.backward()
>>> x.grad
array([2., 4., 6.])
"""

from __future__ import annotations

from collections.abc import Callable
from numbers import Real

import numpy as np
from scipy.special import expit

__all__ = ["Tensor", "unbroadcast", "as_tensor"]


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """把广播后形状的梯度 ``grad`` 加总回原来的形状 ``shape``。

    NumPy 广播先在左边补长度为 1 的轴，再把长度为 1 的轴复制。反向时两步都要撤销：
    多出来的前导轴整轴求和；原来长度为 1、被复制了的轴求和并保留该轴。
    """
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad


def as_tensor(value) -> Tensor:
    """``Tensor`` 原样返回；数或数组包成一个不求梯度的常量 ``Tensor``。"""
    return value if isinstance(value, Tensor) else Tensor(value)


class Tensor:
    """带梯度的 NumPy 数组。``data`` 是 float64 数组；``grad`` 在 ``backward()`` 之后才有值。"""

    def __init__(self, data, requires_grad: bool = False, *, _parents: tuple[Tensor, ...] = (), _op: str = ""):
        if isinstance(data, Tensor):
            raise TypeError("data must be an array-like of numbers, got a Tensor (use the Tensor itself)")
        try:
            self.data = np.array(data, dtype=np.float64)
        except (TypeError, ValueError) as err:
            raise TypeError(f"data must be an array-like of numbers, got {type(data).__name__} ({err})") from None
        if not isinstance(requires_grad, bool):
            raise TypeError(f"requires_grad must be a bool, got {type(requires_grad).__name__}")
        self.requires_grad = requires_grad or any(p.requires_grad for p in _parents)
        self.grad: np.ndarray | None = None
        self._parents = _parents
        self._op = _op
        self._retain = False  # retain_grad(): keep .grad on a non-leaf too
        # _backward(g) -> one gradient per parent (None where a parent needs none); set by the op that made self
        self._backward: Callable[[np.ndarray], tuple[np.ndarray | None, ...]] | None = None

    # -----------------------------------------------------------------------------------------
    # 基本信息
    # -----------------------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def is_leaf(self) -> bool:
        return not self._parents

    @property
    def parents(self) -> tuple[Tensor, ...]:
        """产生这个张量的运算的输入（叶子为空元组）；画计算图用。"""
        return self._parents

    @property
    def op(self) -> str:
        """产生这个张量的运算的名字（叶子为空字符串）。"""
        return self._op

    def numpy(self) -> np.ndarray:
        return self.data.copy()

    def item(self) -> float:
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return float(self.data.reshape(()))

    def zero_grad(self) -> None:
        self.grad = None

    def retain_grad(self) -> Tensor:
        """让这个中间节点在 ``backward()`` 后也保留 ``.grad``（与 PyTorch 同名；画计算图、调试时用）。"""
        self._retain = True
        return self

    def __repr__(self) -> str:
        op = f", op={self._op!r}" if self._op else ""
        rg = ", requires_grad=True" if self.requires_grad else ""
        return f"Tensor({np.array2string(self.data, precision=4)}{rg}{op})"

    # -----------------------------------------------------------------------------------------
    # 建立一个新节点：前向的值 + 局部的反向函数
    # -----------------------------------------------------------------------------------------
    @staticmethod
    def _make(data: np.ndarray, parents: tuple[Tensor, ...], op: str, backward) -> Tensor:
        out = Tensor(data, _parents=parents, _op=op)
        if out.requires_grad:
            out._backward = backward
        return out

    # -----------------------------------------------------------------------------------------
    # 二元运算（支持广播）：反向时先按局部导数相乘，再 unbroadcast 回各自的形状
    # -----------------------------------------------------------------------------------------
    def __add__(self, other) -> Tensor:
        other = as_tensor(other)
        return Tensor._make(
            self.data + other.data,
            (self, other),
            "+",
            lambda g: (unbroadcast(g, self.shape), unbroadcast(g, other.shape)),
        )

    def __sub__(self, other) -> Tensor:
        other = as_tensor(other)
        return Tensor._make(
            self.data - other.data,
            (self, other),
            "-",
            lambda g: (unbroadcast(g, self.shape), unbroadcast(-g, other.shape)),
        )

    def __mul__(self, other) -> Tensor:
        other = as_tensor(other)
        return Tensor._make(
            self.data * other.data,
            (self, other),
            "*",
            lambda g: (unbroadcast(g * other.data, self.shape), unbroadcast(g * self.data, other.shape)),
        )

    def __truediv__(self, other) -> Tensor:
        other = as_tensor(other)
        return Tensor._make(
            self.data / other.data,
            (self, other),
            "/",
            lambda g: (
                unbroadcast(g / other.data, self.shape),
                unbroadcast(-g * self.data / other.data**2, other.shape),
            ),
        )

    def __matmul__(self, other) -> Tensor:
        """矩阵乘积 :math:`C=AB`：

        :math:`\\partial L/\\partial A=G B^\\top`，:math:`\\partial L/\\partial B=A^\\top G`。
        """
        other = as_tensor(other)
        if self.ndim == 0 or other.ndim == 0:
            raise ValueError(
                f"matmul needs tensors with at least 1 dimension, got shapes {self.shape} and {other.shape}"
            )
        if self.shape[-1] != other.shape[-2 if other.ndim > 1 else 0]:
            raise ValueError(f"matmul shape mismatch: {self.shape} @ {other.shape}")
        # 1-D operands behave as a row (left) or a column (right) vector, as in NumPy; the grads are reshaped back
        a = self.data[None, :] if self.ndim == 1 else self.data
        b = other.data[:, None] if other.ndim == 1 else other.data
        out = a @ b

        def backward(g):
            g = g.reshape(out.shape)
            ga = g @ np.swapaxes(b, -1, -2)
            gb = np.swapaxes(a, -1, -2) @ g
            return unbroadcast(ga, a.shape).reshape(self.shape), unbroadcast(gb, b.shape).reshape(other.shape)

        data = out
        if self.ndim == 1:
            data = data[..., 0, :]
        if other.ndim == 1:
            data = data[..., 0]
        return Tensor._make(data, (self, other), "@", backward)

    def __pow__(self, exponent) -> Tensor:
        r""":math:`x^p`，:math:`p` 是一个数：:math:`\partial x^p/\partial x=p\,x^{p-1}`。"""
        if isinstance(exponent, bool) or not isinstance(exponent, Real):
            raise TypeError(f"exponent must be a real number, got {type(exponent).__name__}")
        p = float(exponent)
        return Tensor._make(self.data**p, (self,), f"**{p:g}", lambda g: (g * p * self.data ** (p - 1),))

    def __neg__(self) -> Tensor:
        return Tensor._make(-self.data, (self,), "neg", lambda g: (-g,))

    def __radd__(self, other) -> Tensor:
        return as_tensor(other) + self

    def __rsub__(self, other) -> Tensor:
        return as_tensor(other) - self

    def __rmul__(self, other) -> Tensor:
        return as_tensor(other) * self

    def __rtruediv__(self, other) -> Tensor:
        return as_tensor(other) / self

    def __rmatmul__(self, other) -> Tensor:
        return as_tensor(other) @ self

    # -----------------------------------------------------------------------------------------
    # 逐元素函数：导数用前向已经算出的值表示
    # -----------------------------------------------------------------------------------------
    def exp(self) -> Tensor:
        y = np.exp(self.data)
        return Tensor._make(y, (self,), "exp", lambda g: (g * y,))

    def log(self) -> Tensor:
        return Tensor._make(np.log(self.data), (self,), "log", lambda g: (g / self.data,))

    def tanh(self) -> Tensor:
        y = np.tanh(self.data)
        return Tensor._make(y, (self,), "tanh", lambda g: (g * (1.0 - y * y),))

    def sigmoid(self) -> Tensor:
        y = expit(self.data)
        return Tensor._make(y, (self,), "sigmoid", lambda g: (g * y * (1.0 - y),))

    def relu(self) -> Tensor:
        mask = self.data > 0
        return Tensor._make(self.data * mask, (self,), "relu", lambda g: (g * mask,))

    # -----------------------------------------------------------------------------------------
    # 归约与形状：求和的反向是“复制回去”（广播），reshape/transpose 的反向是逆变换
    # -----------------------------------------------------------------------------------------
    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        axes = _normalize_axes(axis, self.ndim)

        def backward(g):
            if not keepdims:
                g = np.expand_dims(g, axes)
            return (np.broadcast_to(g, self.shape).copy(),)

        return Tensor._make(self.data.sum(axis=axes, keepdims=keepdims), (self,), "sum", backward)

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        axes = _normalize_axes(axis, self.ndim)
        count = int(np.prod([self.shape[a] for a in axes]))
        return self.sum(axis=axes, keepdims=keepdims) / count

    def reshape(self, *shape) -> Tensor:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        try:
            data = self.data.reshape(shape)
        except ValueError as err:
            raise ValueError(f"cannot reshape a tensor of shape {self.shape} into {shape}: {err}") from None
        return Tensor._make(data, (self,), "reshape", lambda g: (g.reshape(self.shape),))

    def transpose(self, *axes) -> Tensor:
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        perm = tuple(range(self.ndim))[::-1] if not axes else tuple(axes)
        if sorted(perm) != list(range(self.ndim)):
            raise ValueError(f"axes must be a permutation of 0..{self.ndim - 1}, got {axes}")
        inverse = tuple(np.argsort(perm))
        return Tensor._make(self.data.transpose(perm), (self,), "transpose", lambda g: (g.transpose(inverse),))

    @property
    def T(self) -> Tensor:
        return self.transpose()

    # -----------------------------------------------------------------------------------------
    # 反向传播
    # -----------------------------------------------------------------------------------------
    def backward(self, grad=None) -> None:
        """从这个张量（通常是标量损失）出发反向传播，把梯度累加到每个需要梯度的叶子的 ``.grad`` 上。

        非标量张量必须给出 ``grad``（与自身同形，即 :math:`\\partial L/\\partial\\,\\text{self}`）。
        """
        if not self.requires_grad:
            raise RuntimeError("backward() on a tensor that does not require grad (no input has requires_grad=True)")
        if grad is None:
            if self.data.size != 1:
                raise ValueError(f"grad must be given for a non-scalar tensor of shape {self.shape}")
            grad = np.ones_like(self.data)
        grad = np.asarray(grad, dtype=np.float64)
        if grad.shape != self.shape:
            raise ValueError(f"grad must have the tensor's shape {self.shape}, got {grad.shape}")

        # 1. 拓扑排序：深度优先，一个节点在它的所有输入之后才加入 order
        order: list[Tensor] = []
        visited: set[int] = set()

        def visit(node: Tensor) -> None:
            if id(node) in visited or not node.requires_grad:
                return
            visited.add(id(node))
            for parent in node._parents:
                visit(parent)
            order.append(node)

        visit(self)

        # 2. 逆拓扑序传梯度；grads 存中间节点的梯度，叶子的梯度累加进 .grad
        grads: dict[int, np.ndarray] = {id(self): grad}
        for node in reversed(order):
            g = grads.pop(id(node), None)
            if g is None:
                continue
            if node.is_leaf or node._retain:
                node.grad = g.copy() if node.grad is None else node.grad + g
            if node.is_leaf:
                continue
            for parent, pg in zip(node._parents, node._backward(g)):
                if parent.requires_grad and pg is not None:
                    grads[id(parent)] = grads[id(parent)] + pg if id(parent) in grads else pg


def _normalize_axes(axis, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        if isinstance(a, bool) or not isinstance(a, (int, np.integer)) or not -ndim <= a < max(ndim, 1):
            raise ValueError(f"axis {a!r} is out of range for a tensor with {ndim} dimensions")
        out.append(int(a) % max(ndim, 1))
    return tuple(sorted(set(out)))
