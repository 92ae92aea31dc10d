r"""卷积的“算术”（“步长、填充、空洞与感受野”“池化与多通道”“深度可分离卷积与 1×1 卷积”“经典网络”四节）：
输出大小、感受野、参数量与乘加次数。

=================================  ===========================================================================
``conv_output_size``               :math:`\lfloor (n+2p-d(k-1)-1)/s\rfloor+1`（``ceil_mode`` 时按池化的规则向上取整）
``conv_transpose_output_size``     :math:`(n-1)s-2p+d(k-1)+p_{out}+1`
``receptive_fields``               逐层的感受野 :math:`r_l=r_{l-1}+(k_l-1)d_l\,j_{l-1}` 与跳距 :math:`j_l=j_{l-1}s_l`
``empirical_receptive_field``      用 autograd 把一个输出单元的梯度传回输入，数出非零区域的大小
``receptive_field_map``            上面那个梯度的大小本身（“有效感受野”）
``conv2d_params``/``conv2d_macs``  :math:`(k_hk_wC_{in}/g+1)C_{out}` 个参数，:math:`H_oW_oC_{out}k_hk_wC_{in}/g` 次乘加
``separable_cost``                 深度可分离卷积与标准卷积的代价之比 :math:`1/N+1/D_K^2`
``connection_table_params``        连接表卷积层的参数量 :math:`K\,m\,n+P`（LeNet-5 的 C3 层：1516）
``count_parameters``/``layer_table``  模型的参数个数，以及逐层的输出形状、参数量、乘加次数
=================================  ===========================================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral

import numpy as np
import torch

from ..utils import check_scalar

__all__ = [
    "conv_output_size",
    "conv_transpose_output_size",
    "effective_kernel_size",
    "receptive_fields",
    "receptive_field",
    "receptive_field_map",
    "empirical_receptive_field",
    "conv2d_params",
    "conv2d_macs",
    "separable_cost",
    "LENET5_C3_TABLE",
    "connection_table_params",
    "count_parameters",
    "layer_table",
]


def _int(v, name: str, min_val: int) -> int:
    return int(check_scalar(v, name, Integral, min_val=min_val))


def _int_or_pair(value, name: str, min_val: int):
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
        return tuple(_int(v, name, min_val) for v in value), True
    return (_int(value, name, min_val),), False


def _hw(value, name: str) -> tuple[int, int]:
    vals, is_pair = _int_or_pair(value, name, 1)
    return vals if is_pair else vals * 2


def effective_kernel_size(kernel_size: int, dilation: int = 1) -> int:
    r"""空洞卷积核覆盖的范围 :math:`d(k-1)+1`（“步长、填充、空洞与感受野”一节），
    例如 3×3 的核以 :math:`d=2` 膨胀后覆盖 5×5。"""
    k = _int(kernel_size, "kernel_size", 1)
    d = _int(dilation, "dilation", 1)
    return d * (k - 1) + 1


def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1, ceil_mode: bool = False):
    r"""卷积（或池化）的输出大小 :math:`\lfloor (n+2p-d(k-1)-1)/s\rfloor+1`（“步长、填充、空洞与感受野”一节）。

    每个参数可以是整数，或 (高, 宽) 二元组——有一个是二元组时返回二元组。``ceil_mode=True`` 时按 PyTorch
    池化的规则向上取整（最后一个窗口必须从输入或左侧填充内开始）。卷积核放不进填充后的输入时报错。
    """
    args = [
        _int_or_pair(size, "size", 1),
        _int_or_pair(kernel_size, "kernel_size", 1),
        _int_or_pair(stride, "stride", 1),
        _int_or_pair(padding, "padding", 0),
        _int_or_pair(dilation, "dilation", 1),
    ]
    as_pair = any(is_pair for _, is_pair in args)
    dims = 2 if as_pair else 1
    vals = [v if len(v) == dims else v * dims for v, _ in args]
    out = []
    for n, k, s, p, d in zip(*vals):
        span = n + 2 * p - d * (k - 1) - 1
        if span < 0:
            raise ValueError(
                f"kernel of effective size {d * (k - 1) + 1} does not fit in the padded input of size {n + 2 * p}"
            )
        o = (span + (s - 1 if ceil_mode else 0)) // s + 1
        if ceil_mode and (o - 1) * s >= n + p:
            o -= 1
        out.append(o)
    return tuple(out) if as_pair else out[0]


def conv_transpose_output_size(size, kernel_size, stride=1, padding=0, output_padding=0, dilation=1):
    r"""转置卷积的输出大小 :math:`(n-1)s-2p+d(k-1)+p_{out}+1`（“卷积层的反向传播”一节）。整数或二元组，规则同上。"""
    args = [
        _int_or_pair(size, "size", 1),
        _int_or_pair(kernel_size, "kernel_size", 1),
        _int_or_pair(stride, "stride", 1),
        _int_or_pair(padding, "padding", 0),
        _int_or_pair(output_padding, "output_padding", 0),
        _int_or_pair(dilation, "dilation", 1),
    ]
    as_pair = any(is_pair for _, is_pair in args)
    dims = 2 if as_pair else 1
    vals = [v if len(v) == dims else v * dims for v, _ in args]
    out = [(n - 1) * s - 2 * p + d * (k - 1) + op + 1 for n, k, s, p, op, d in zip(*vals)]
    if min(out) < 1:
        raise ValueError(f"padding is too large: the output size would be {out}")
    return tuple(out) if as_pair else out[0]


def _layer_spec(layer, index: int) -> tuple[int, int, int]:
    if isinstance(layer, dict):
        k, s, d = layer.get("kernel_size"), layer.get("stride", 1), layer.get("dilation", 1)
    elif isinstance(layer, (tuple, list)) and 1 <= len(layer) <= 3:
        k, s, d = (list(layer) + [1, 1])[:3]
    else:
        raise TypeError(
            f"layers[{index}] must be a (kernel_size, stride, dilation) tuple or a dict with those keys, got {layer!r}"
        )
    return (
        _int(k, f"layers[{index}] kernel_size", 1),
        _int(s, f"layers[{index}] stride", 1),
        _int(d, f"layers[{index}] dilation", 1),
    )


def receptive_fields(layers: Sequence) -> list[tuple[int, int]]:
    r"""逐层的感受野大小与跳距（“步长、填充、空洞与感受野”一节）。

    ``layers`` 是一串 ``(kernel_size, stride, dilation)``（后两项可省略）或同名键的字典，卷积与池化都一样处理。
    递推：:math:`r_0=1,\ j_0=1`，

    .. math:: r_l = r_{l-1} + (k_l-1)\,d_l\,j_{l-1},\qquad j_l = j_{l-1}\,s_l,

    :math:`j_l` 是第 :math:`l` 层相邻两个单元在输入上相隔的像素数。返回 ``[(r_1, j_1), (r_2, j_2), ...]``。
    """
    if isinstance(layers, (str, bytes)) or not isinstance(layers, Sequence) or len(layers) == 0:
        raise ValueError(f"layers must be a non-empty sequence of (kernel_size, stride, dilation), got {layers!r}")
    r, j = 1, 1
    out = []
    for index, layer in enumerate(layers):
        k, s, d = _layer_spec(layer, index)
        r, j = r + (k - 1) * d * j, j * s
        out.append((r, j))
    return out


def receptive_field(layers: Sequence) -> int:
    """最后一层一个单元的感受野大小（见 :func:`receptive_fields`）。三层 3×3 卷积：7。"""
    return receptive_fields(layers)[-1][0]


def receptive_field_map(model: torch.nn.Module, input_size: int, in_channels: int = 1) -> np.ndarray:
    r"""中心输出单元对输入的梯度大小 :math:`|\partial y_{center}/\partial x|`（对通道求和）。

    返回形状为 (input_size, input_size) 的数组。

    非零区域就是这个单元的感受野；区域内的数值分布是所谓“有效感受野”——越靠中心的像素影响越大（“步长、填充、空洞与感受野”一节）。
    输入是 ``(1, in_channels, input_size, input_size)`` 的全 1 张量。
    """
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    n = _int(input_size, "input_size", 1)
    c = _int(in_channels, "in_channels", 1)
    p = next(model.parameters(), None)
    dtype = p.dtype if p is not None else torch.float64
    device = p.device if p is not None else None
    x = torch.ones(1, c, n, n, dtype=dtype, device=device, requires_grad=True)
    y = model(x)
    if y.dim() != 4:
        raise ValueError(f"model must return a (N, C, H, W) feature map, got shape {tuple(y.shape)}")
    (grad,) = torch.autograd.grad(y[0, :, y.shape[2] // 2, y.shape[3] // 2].sum(), x)
    return grad[0].abs().sum(dim=0).detach().cpu().numpy()


def empirical_receptive_field(model: torch.nn.Module, input_size: int, in_channels: int = 1) -> int:
    r"""用反向传播测感受野（“步长、填充、空洞与感受野”一节）：:func:`receptive_field_map` 中梯度非零的行数。

    只有在权重不为零、激活函数的导数不为零时，测到的才是“理论”感受野；书中用正权重、没有非线性的卷积栈核对公式。
    ``input_size`` 要足够大，使感受野不碰到输入的边界（碰到时报错）。
    """
    n = _int(input_size, "input_size", 1)
    grad = receptive_field_map(model, n, in_channels)
    rows = np.flatnonzero(grad.sum(axis=1) > 0)
    if rows.size == 0:
        raise ValueError("the gradient is zero everywhere: the receptive field cannot be measured")
    if rows[0] == 0 or rows[-1] == n - 1:
        raise ValueError(f"the receptive field reaches the border of a {n}x{n} input; use a larger input_size")
    return int(rows[-1] - rows[0] + 1)


def conv2d_params(in_channels, out_channels, kernel_size, groups: int = 1, bias: bool = True) -> int:
    r"""卷积层的参数个数 :math:`k_hk_w\,(C_{in}/g)\,C_{out}` 加上 :math:`C_{out}` 个偏置（“池化与多通道”一节）。

    例：5×5×3 → 6 个特征图是 456；3×3×3 → 4 是 112。``kernel_size`` 可以是整数或 (k_h, k_w)。
    """
    c_in = _int(in_channels, "in_channels", 1)
    c_out = _int(out_channels, "out_channels", 1)
    g = _int(groups, "groups", 1)
    if c_in % g or c_out % g:
        raise ValueError(f"groups={g} must divide in_channels={c_in} and out_channels={c_out}")
    kh, kw = _hw(kernel_size, "kernel_size")
    return kh * kw * (c_in // g) * c_out + (c_out if bias else 0)


def conv2d_macs(in_channels, out_channels, kernel_size, output_size, groups: int = 1) -> int:
    r"""卷积层一次前向（一个样本）
    的乘加次数 :math:`H_{out}W_{out}\,C_{out}\,k_hk_w\,C_{in}/g`（“深度可分离卷积与 1×1 卷积”一节）。

    例：56×56 上 64 → 32 的 1×1 卷积是 6,422,528 次。``kernel_size``、``output_size`` 可以是整数或二元组。
    """
    weights = conv2d_params(in_channels, out_channels, kernel_size, groups, bias=False)
    ho, wo = _hw(output_size, "output_size")
    return ho * wo * weights


def separable_cost(kernel_size: int, in_channels: int, out_channels: int, feature_size: int = 1) -> dict:
    r"""深度可分离卷积与标准卷积的代价（“深度可分离卷积与 1×1 卷积”一节）。

    记号同 MobileNet：核 :math:`D_K`，:math:`M` 个输入通道、:math:`N` 个输出通道，特征图 :math:`D_F\times D_F`。

    标准卷积 :math:`D_K^2MND_F^2` 次乘加；深度卷积 :math:`D_K^2MD_F^2` 加逐点卷积 :math:`MND_F^2`；
    二者之比 :math:`1/N+1/D_K^2`，与 :math:`M`、:math:`D_F` 无关（参数量之比也一样，不计偏置）。
    """
    k = _int(kernel_size, "kernel_size", 1)
    m = _int(in_channels, "in_channels", 1)
    n = _int(out_channels, "out_channels", 1)
    f = _int(feature_size, "feature_size", 1)
    standard = k * k * m * n * f * f
    depthwise, pointwise = k * k * m * f * f, m * n * f * f
    return {
        "standard_macs": standard,
        "depthwise_macs": depthwise,
        "pointwise_macs": pointwise,
        "separable_macs": depthwise + pointwise,
        "standard_params": k * k * m * n,
        "separable_params": k * k * m + m * n,
        "ratio": (depthwise + pointwise) / standard,
    }


def _lenet5_c3_table() -> np.ndarray:
    # LeCun et al. (1998), Table I: which of the 6 S2 maps (rows) each of the 16 C3 maps (columns) reads.
    columns = [
        *[[(j + t) % 6 for t in range(3)] for j in range(6)],  # maps 0-5: three contiguous S2 maps
        *[[(j + t) % 6 for t in range(4)] for j in range(6)],  # maps 6-11: four contiguous
        [0, 1, 3, 4],  # maps 12-14: four, not contiguous
        [1, 2, 4, 5],
        [0, 2, 3, 5],
        [0, 1, 2, 3, 4, 5],  # map 15: all six
    ]
    table = np.zeros((6, 16), dtype=bool)
    for j, rows in enumerate(columns):
        table[rows, j] = True
    return table


LENET5_C3_TABLE = _lenet5_c3_table()
"""LeNet-5 中 C3 层的连接表（6 个输入特征图 × 16 个输出特征图，共 60 个连接），见“池化与多通道”一节。"""


def connection_table_params(table, kernel_size, bias: bool = True) -> int:
    r"""带连接表 :math:`T` 的卷积层的参数个数 :math:`K\,k_hk_w+P`（“池化与多通道”一节）。

    :math:`K` 是 :math:`T` 中 1 的个数，:math:`P` 是输出特征图个数（每个一个偏置）。
    ``table`` 的形状是 (输入特征图数, 输出特征图数)。LeNet-5 的 C3：1516。"""
    t = np.asarray(table)
    if t.ndim != 2 or t.size == 0:
        raise ValueError(f"table must be a non-empty 2-D (in_maps, out_maps) array, got shape {t.shape}")
    if not np.isin(t, (0, 1)).all():
        raise ValueError("table must contain only 0/1 (or False/True) entries")
    kh, kw = _hw(kernel_size, "kernel_size")
    return int(t.sum()) * kh * kw + (t.shape[1] if bias else 0)


def count_parameters(model: torch.nn.Module, trainable_only: bool = True) -> int:
    """模型的参数个数（默认只数 ``requires_grad`` 的）。在 ``meta`` 设备上建的模型不占内存，也能数。"""
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def _macs(module: torch.nn.Module, out: torch.Tensor) -> int:
    from .layers import Conv2d, ConvTranspose2d

    if isinstance(module, Conv2d):
        return out.shape[2] * out.shape[3] * module.weight.numel()
    if isinstance(module, ConvTranspose2d):
        return module._last_input_hw[0] * module._last_input_hw[1] * module.weight.numel()
    if isinstance(module, torch.nn.Linear):
        return module.weight.numel()
    return 0


def layer_table(model: torch.nn.Module, input_shape: Sequence[int]) -> list[dict]:
    r"""逐层列出输出形状、参数个数与（每个样本的）乘加次数（“经典网络”一节的网络结构表）。

    对每个没有子模块的层挂一个前向钩子，用形状为 ``input_shape``（含批维）的零输入跑一次前向。
    模型在 ``meta`` 设备上时不做任何真实计算（VGG-16 也是瞬间完成）。返回字典的列表：
    ``name``、``layer``、``output_shape``、``params``、``macs``。乘加只计卷积层与全连接层。
    """
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    shape = tuple(int(check_scalar(s, "input_shape", Integral, min_val=1)) for s in input_shape)
    p = next(model.parameters(), None)
    x = torch.zeros(
        shape, dtype=p.dtype if p is not None else torch.float32, device=p.device if p is not None else None
    )
    rows, hooks = [], []
    for name, module in model.named_modules():
        if any(True for _ in module.children()):
            continue

        def hook(mod, inputs, out, name=name):
            rows.append(
                {
                    "name": name,
                    "layer": type(mod).__name__,
                    "output_shape": tuple(out.shape[1:]),
                    "params": sum(q.numel() for q in mod.parameters(recurse=False)),
                    "macs": int(_macs(mod, out)),
                }
            )

        hooks.append(module.register_forward_hook(hook))
    try:
        with torch.no_grad():
            model(x)
    finally:
        for h in hooks:
            h.remove()
    return rows
