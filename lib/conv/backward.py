r"""卷积层与池化层的显式反向传播（“卷积层的反向传播”一节）。

前向（互相关，填充后的输入记为 :math:`\tilde X`，误差项 :math:`\delta=\partial\mathcal L/\partial Y`）：

.. math::

    Y[n,o,i,j] = b[o] + \sum_{c}\sum_{u,v} W[o,c,u,v]\,\tilde X[n,c,\,s i+d u,\,s j+d v].

对三个量分别求导（书中公式 ``eq-cnn-grad-weight``、``eq-cnn-grad-input``、``eq-cnn-grad-bias``）：

* :math:`\partial\mathcal L/\partial W = \delta \otimes \tilde X`：以 :math:`\delta` 为“卷积核”在输入上做互相关，
  原来的步长变成空洞、空洞变成步长，并对批维求和（把批维当作通道维）；
* :math:`\partial\mathcal L/\partial \tilde X = \mathrm{rot180}(W)\,\tilde\otimes\,\mathrm{up}_s(\delta)`：
  在 :math:`\delta` 的相邻元素之间插入 :math:`s-1` 个零，四周补 :math:`d(k-1)` 个零（“宽”互相关），
  再与旋转 180°、输入输出通道互换的卷积核做步长为 1 的互相关——这正是 **转置卷积**；
* :math:`\partial\mathcal L/\partial b[o] = \sum_{n,i,j}\delta[n,o,i,j]`。

这些公式本身又是卷积，所以直接调用 :func:`lib.conv.functional._conv2d_impl`（三种 ``method`` 均可）。
:class:`Conv2dFunction` 把它们包装成 ``torch.autograd.Function``，``conv2d(..., explicit_backward=True)`` 使用它，
测试用 ``torch.autograd.gradcheck``（float64）核对。

池化层没有参数，只需把误差项传回输入（“上采样”）：最大池化把 :math:`\delta` 送到每个窗口最大值所在的像素
（:func:`max_pool2d_backward`），平均池化把 :math:`\delta/|R|` 均匀分给窗口里的每个像素（:func:`avg_pool2d_backward`）。
"""

from __future__ import annotations

from numbers import Integral

import torch
import torch.nn.functional as F
from torch.autograd.function import once_differentiable

from .functional import (
    _as_tensor,
    _avg_counts,
    _batched,
    _check_method,
    _conv2d_impl,
    _conv_args,
    _dilate,
    _fold_padded,
    _output_hw,
    _padding4,
    _pool_args,
    max_pool2d,
)

__all__ = ["conv2d_backward", "Conv2dFunction", "max_pool2d_backward", "avg_pool2d_backward"]


def _conv2d_backward_impl(x, weight, delta, stride, pad4, dilation, groups, method, needs=(True, True, True)):
    n, c, h, w = x.shape
    c_out, cg, kh, kw = weight.shape
    og = c_out // groups
    top, bottom, left, right = pad4
    hp, wp = h + top + bottom, w + left + right
    ho, wo = delta.shape[-2:]
    grad_input = grad_weight = grad_bias = None

    if needs[0]:
        # ∂L/∂X̃ = rot180(W) ⊗̃ up_s(δ)：δ 按步长插零，两侧补 d(k-1) 个零（“宽”卷积），与旋转 180° 的核做互相关
        eh, ew = dilation[0] * (kh - 1), dilation[1] * (kw - 1)
        delta_up = _dilate(delta, stride)  # (N, C_out, s(Ho-1)+1, s(Wo-1)+1)
        w_rot = torch.flip(weight, dims=(-2, -1))
        w_rot = w_rot.reshape(groups, og, cg, kh, kw).transpose(1, 2).reshape(groups * cg, og, kh, kw)
        g = _conv2d_impl(delta_up, w_rot, None, (1, 1), (eh, eh, ew, ew), dilation, groups, method)
        # 输出尺寸向下取整时，没有被任何窗口覆盖的行、列梯度为零
        g = F.pad(g, (0, wp - g.shape[3], 0, hp - g.shape[2]))
        grad_input = g[:, :, top : top + h, left : left + w]

    if needs[1]:
        # ∂L/∂W = δ ⊗ X̃：批维与通道维互换角色，步长变成空洞、空洞变成步长
        xp = F.pad(x, (left, right, top, bottom)) if any(pad4) else x
        x_t = xp.reshape(n, groups, cg, hp, wp).permute(2, 1, 0, 3, 4).reshape(cg, groups * n, hp, wp)
        d_t = delta.reshape(n, groups, og, ho, wo).permute(1, 2, 0, 3, 4).reshape(groups * og, n, ho, wo)
        gw = _conv2d_impl(x_t, d_t, None, dilation, (0, 0, 0, 0), stride, groups, method)  # (C/G, C_out, >=kh, >=kw)
        grad_weight = gw[:, :, :kh, :kw].transpose(0, 1)

    if needs[2]:
        grad_bias = delta.sum(dim=(0, 2, 3))
    return grad_input, grad_weight, grad_bias


def conv2d_backward(
    input, weight, grad_output, stride=1, padding=0, dilation=1, groups=1, *, method: str = "im2col"
) -> tuple:
    r"""``conv2d`` 的显式反向传播（“卷积层的反向传播”一节）：
    给定输入、卷积核与 :math:`\delta=\partial\mathcal L/\partial Y`，
    返回 ``(grad_input, grad_weight, grad_bias)``。参数与 :func:`lib.conv.conv2d` 相同。"""
    method = _check_method(method)
    x, _ = _as_tensor(input, "input")
    w, _ = _as_tensor(weight, "weight")
    delta, _ = _as_tensor(grad_output, "grad_output")
    x, unbatched = _batched(x, "input")
    delta, _ = _batched(delta, "grad_output")
    stride, dilation, kernel, c_out = _conv_args(x, w, None, stride, padding, dilation, groups)
    pad4 = _padding4(padding, kernel, dilation, stride)
    out_hw = _output_hw(
        x.shape[2] + pad4[0] + pad4[1], x.shape[3] + pad4[2] + pad4[3], kernel, stride, dilation, "padded input"
    )
    expected = (x.shape[0], c_out, *out_hw)
    if tuple(delta.shape) != expected:
        raise ValueError(f"grad_output must have the output's shape {expected}, got {tuple(delta.shape)}")
    if delta.dtype != x.dtype:
        raise TypeError(f"grad_output must have the input's dtype {x.dtype}, got {delta.dtype}")
    gi, gw, gb = _conv2d_backward_impl(x, w, delta, stride, pad4, dilation, groups, method)
    return (gi[0] if unbatched else gi), gw, gb


class Conv2dFunction(torch.autograd.Function):
    """前向用 ``method`` 计算卷积，反向用“卷积层的反向传播”一节的显式公式（不经过 autograd 的自动求导）。"""

    @staticmethod
    def forward(ctx, input, weight, bias, stride, pad4, dilation, groups, method):
        ctx.save_for_backward(input, weight)
        ctx.conf = (stride, pad4, dilation, groups, method)
        ctx.has_bias = bias is not None
        return _conv2d_impl(input, weight, bias, stride, pad4, dilation, groups, method)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_output):
        input, weight = ctx.saved_tensors
        stride, pad4, dilation, groups, method = ctx.conf
        needs = (ctx.needs_input_grad[0], ctx.needs_input_grad[1], ctx.has_bias and ctx.needs_input_grad[2])
        gi, gw, gb = _conv2d_backward_impl(
            input, weight, grad_output.contiguous(), stride, pad4, dilation, groups, method, needs
        )
        return gi, gw, gb, None, None, None, None, None


def max_pool2d_backward(grad_output, input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    r"""最大池化的反向传播：:math:`\delta` 的每个元素加到它的窗口中最大值所在的输入像素上，其余像素的梯度为 0。

    窗口重叠（步长小于窗口）时，同一个像素可能是几个窗口的最大值，梯度累加。返回与 ``input`` 同形的张量。
    """
    x, _ = _as_tensor(input, "input")
    delta, _ = _as_tensor(grad_output, "grad_output")
    _, indices = max_pool2d(x.detach(), kernel_size, stride, padding, dilation, ceil_mode, return_indices=True)
    if delta.shape != indices.shape:
        raise ValueError(f"grad_output must have the pooled shape {tuple(indices.shape)}, got {tuple(delta.shape)}")
    xb, unbatched = _batched(x, "input")
    db = delta.reshape(xb.shape[0], xb.shape[1], -1)
    ib = indices.reshape(xb.shape[0], xb.shape[1], -1)
    grad = db.new_zeros(xb.shape[0], xb.shape[1], xb.shape[2] * xb.shape[3]).scatter_add(2, ib, db)
    grad = grad.reshape(xb.shape)
    return grad[0] if unbatched else grad


def avg_pool2d_backward(
    grad_output,
    input,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
):
    r"""平均池化的反向传播：:math:`\delta[i,j]/|R_{ij}|` 分给窗口 :math:`R_{ij}` 中的每个像素。

    用 :func:`col2im` 把各窗口的份额叠加回输入。"""
    x, _ = _as_tensor(input, "input")
    delta, _ = _as_tensor(grad_output, "grad_output")
    xb, unbatched = _batched(x, "input")
    db, _ = _batched(delta, "grad_output")
    kernel, stride, pad, _, out_hw, extra = _pool_args(xb, kernel_size, stride, padding, 1, ceil_mode)
    if tuple(db.shape) != (*xb.shape[:2], *out_hw):
        raise ValueError(f"grad_output must have the pooled shape {(*xb.shape[:2], *out_hw)}, got {tuple(db.shape)}")
    if divisor_override is not None:
        # 与前向一致：除数必须是正整数（0、负数、小数、NaN 都会给出错误的梯度）
        if isinstance(divisor_override, bool) or not isinstance(divisor_override, Integral):
            raise TypeError(f"divisor_override must be a positive integer, got {divisor_override!r}")
        if divisor_override <= 0:
            raise ValueError(f"divisor_override must be a positive integer, got {divisor_override!r}")
        share = db / int(divisor_override)
    else:
        share = db / _avg_counts(xb, kernel, stride, pad, out_hw, extra, count_include_pad)
    n, c = xb.shape[:2]
    kk = kernel[0] * kernel[1]
    cols = share.reshape(n, c, 1, out_hw[0] * out_hw[1]).expand(n, c, kk, out_hw[0] * out_hw[1])
    hp, wp = xb.shape[2] + 2 * pad[0] + extra[0], xb.shape[3] + 2 * pad[1] + extra[1]
    full = _fold_padded(cols.reshape(n, c * kk, -1), (hp, wp), kernel, (1, 1), stride)
    grad = full[:, :, pad[0] : pad[0] + xb.shape[2], pad[1] : pad[1] + xb.shape[3]]
    return grad[0] if unbatched else grad
