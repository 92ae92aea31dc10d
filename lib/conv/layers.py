r"""``torch.nn.Module`` 形式的卷积层与池化层（卷积神经网络一章的网络都由它们搭成）。

构造参数、参数名（``weight``、``bias``）、形状与初始化都与 ``torch.nn`` 的同名层相同：同样的随机种子给出同样的权重，
``state_dict`` 可以互相加载。不同之处只在前向——调用 :mod:`lib.conv.functional`，并多两个关键字参数
``method``（``'direct'``/``'im2col'``/``'fft'``）与 ``explicit_backward``（“卷积层的反向传播”一节的显式反向传播）。

==========================  ===================================================================
``Conv2d``                  二维卷积层，权重 (C_out, C_in/groups, k_h, k_w)
``ConvTranspose2d``         转置卷积层，权重 (C_in, C_out/groups, k_h, k_w)
``MaxPool2d``/``AvgPool2d`` 池化层（没有参数）
``GlobalAvgPool2d``         全局平均池化：(N, C, H, W) → (N, C)（GoogLeNet、ResNet、SENet）
``DepthwiseSeparableConv2d``  深度卷积（groups = C_in）+ 1×1 逐点卷积（“深度可分离卷积与 1×1 卷积”一节）
==========================  ===================================================================
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ..utils import check_device, check_module_input, check_option, check_scalar, check_size
from .functional import (
    _check_divisor,
    _check_method,
    _check_pool_params,
    _padding4,
    _pair,
    avg_pool2d,
    conv2d,
    conv_transpose2d,
    max_pool2d,
)

__all__ = ["Conv2d", "ConvTranspose2d", "MaxPool2d", "AvgPool2d", "GlobalAvgPool2d", "DepthwiseSeparableConv2d"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _check_channels(in_channels, out_channels, groups):
    for name, v in (("in_channels", in_channels), ("out_channels", out_channels), ("groups", groups)):
        check_size(v, name)  # 正整数（NumPy 整数也行），不超过 lib.utils.MAX_SIZE
    if in_channels % groups or out_channels % groups:
        raise ValueError(f"groups={groups} must divide both in_channels={in_channels} and out_channels={out_channels}")


class _ConvBase(nn.Module):
    def reset_parameters(self) -> None:
        r"""与 ``torch.nn.Conv2d`` 相同的初始化。

        权重：Kaiming 均匀分布（:math:`a=\sqrt5`）；偏置：:math:`U(-1/\sqrt{fan_{in}},\ 1/\sqrt{fan_{in}})`。
        """
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1] * self.weight.shape[2] * self.weight.shape[3]
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            nn.init.uniform_(self.bias, -bound, bound)


class Conv2d(_ConvBase):
    r"""二维卷积层：:math:`Y = W\otimes X + b`（互相关，“池化与多通道”一节的多通道形式）。
    参数与 ``torch.nn.Conv2d`` 相同。

    参数个数 :math:`k_hk_w\,(C_{in}/g)\,C_{out} + C_{out}`。``padding_mode`` 不是 ``'zeros'`` 时先用
    ``torch.nn.functional.pad`` 按该方式填充，再做不填充的卷积（与 PyTorch 相同）。
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
        *,
        method: str = "im2col",
        explicit_backward: bool = False,
    ):
        super().__init__()
        _check_channels(in_channels, out_channels, groups)
        check_option(padding_mode, "padding_mode", _PADDING_MODES)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = _pair(kernel_size, "kernel_size", min_val=1)
        self.stride = _pair(stride, "stride", min_val=1)
        self.dilation = _pair(dilation, "dilation", min_val=1)
        self.padding = padding if isinstance(padding, str) else _pair(padding, "padding", min_val=0)
        self._pad4 = _padding4(self.padding, self.kernel_size, self.dilation, self.stride)  # validates 'same'
        self.padding_mode = padding_mode
        self.method = _check_method(method)
        self.explicit_backward = check_scalar(explicit_backward, "explicit_backward", bool)
        check_scalar(bias, "bias", bool)
        factory = {"device": check_device(device), "dtype": dtype}
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels // groups, *self.kernel_size, **factory))
        if bias:
            self.bias = nn.Parameter(torch.empty(out_channels, **factory))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_module_input(x, self, "x", ndim=(3, 4), sizes={-3: self.in_channels})
        padding = self.padding
        if self.padding_mode != "zeros":
            t, b, left, r = self._pad4
            x = F.pad(x, (left, r, t, b), mode=self.padding_mode)
            padding = 0
        return conv2d(
            x,
            self.weight,
            self.bias,
            self.stride,
            padding,
            self.dilation,
            self.groups,
            method=self.method,
            explicit_backward=self.explicit_backward,
        )

    def extra_repr(self) -> str:
        s = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}, "
            f"padding={self.padding}"
        )
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s + f", method={self.method!r}"


class ConvTranspose2d(_ConvBase):
    r"""转置卷积层（“卷积层的反向传播”一节）：卷积对输入求梯度的那个线性映射。参数与 ``torch.nn.ConvTranspose2d`` 相同，
    权重布局是 (C_in, C_out/groups, k_h, k_w)，输出大小 :math:`(n-1)s-2p+d(k-1)+p_{out}+1`。"""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups: int = 1,
        bias: bool = True,
        dilation=1,
        device=None,
        dtype=None,
        *,
        method: str = "im2col",
    ):
        super().__init__()
        _check_channels(in_channels, out_channels, groups)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = _pair(kernel_size, "kernel_size", min_val=1)
        self.stride = _pair(stride, "stride", min_val=1)
        self.padding = _pair(padding, "padding", min_val=0)
        self.output_padding = _pair(output_padding, "output_padding", min_val=0)
        self.dilation = _pair(dilation, "dilation", min_val=1)
        self.method = _check_method(method)
        check_scalar(bias, "bias", bool)
        factory = {"device": check_device(device), "dtype": dtype}
        self.weight = nn.Parameter(torch.empty(in_channels, out_channels // groups, *self.kernel_size, **factory))
        if bias:
            self.bias = nn.Parameter(torch.empty(out_channels, **factory))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()
        self._last_input_hw = (0, 0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_module_input(x, self, "x", ndim=(3, 4), sizes={-3: self.in_channels})
        self._last_input_hw = tuple(x.shape[-2:])
        return conv_transpose2d(
            x,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            self.output_padding,
            self.groups,
            self.dilation,
            method=self.method,
        )

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}, "
            f"padding={self.padding}, output_padding={self.output_padding}, method={self.method!r}"
        )


class MaxPool2d(nn.Module):
    """最大池化层（“池化与多通道”一节），参数与 ``torch.nn.MaxPool2d`` 相同。没有可学习的参数。"""

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__()
        self.kernel_size, self.stride, self.padding, self.dilation = kernel_size, stride, padding, dilation
        self.return_indices, self.ceil_mode = check_scalar(return_indices, "return_indices", bool), ceil_mode
        _check_pool_params(kernel_size, stride, padding, dilation, ceil_mode)

    def forward(self, x):
        check_module_input(x, None, "x", ndim=(3, 4))
        return max_pool2d(
            x, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode, self.return_indices
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(nn.Module):
    """平均池化层（“池化与多通道”一节），参数与 ``torch.nn.AvgPool2d`` 相同。没有可学习的参数。"""

    def __init__(
        self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None
    ):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.ceil_mode, self.count_include_pad, self.divisor_override = ceil_mode, count_include_pad, divisor_override
        _check_pool_params(kernel_size, stride, padding, 1, ceil_mode)
        check_scalar(count_include_pad, "count_include_pad", bool)
        _check_divisor(divisor_override)

    def forward(self, x):
        check_module_input(x, None, "x", ndim=(3, 4))
        return avg_pool2d(
            x,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
            self.divisor_override,
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class GlobalAvgPool2d(nn.Module):
    r"""全局平均池化 :math:`z_c=\frac{1}{HW}\sum_{i,j}x_c[i,j]`：(N, C, H, W) → (N, C)。
    GoogLeNet 用它代替全连接层，SENet 用它做“挤压”（“经典网络”一节）。"""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_module_input(x, None, "x", ndim=4)
        return x.mean(dim=(2, 3))


class DepthwiseSeparableConv2d(nn.Module):
    r"""深度可分离卷积（“深度可分离卷积与 1×1 卷积”一节）：先做深度卷积（每个输入通道一个 :math:`k\times k` 核，
    ``groups = C_in``），
    再做 1×1 逐点卷积混合通道。不计偏置时参数 :math:`k^2C_{in}+C_{in}C_{out}`，标准卷积是 :math:`k^2C_{in}C_{out}`。

    ``activation`` 给出时（例如 ``torch.nn.ReLU()``）插在两步之间，如 MobileNet；默认两步之间什么也没有，
    此时整个块仍是线性的，等价于一个秩受限的标准卷积。
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        bias: bool = True,
        activation: nn.Module | None = None,
        *,
        method: str = "im2col",
    ):
        super().__init__()
        self.depthwise = Conv2d(
            in_channels,
            in_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups=in_channels,
            bias=bias,
            method=method,
        )
        if activation is not None and not isinstance(activation, nn.Module):
            raise TypeError(f"activation must be None or a torch.nn.Module, got {type(activation).__name__}")
        self.activation = activation if activation is not None else nn.Identity()
        self.pointwise = Conv2d(in_channels, out_channels, 1, bias=bias, method=method)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pointwise(self.activation(self.depthwise(x)))
