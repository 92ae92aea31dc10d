r"""经典卷积网络（“经典网络”一节；由 :mod:`lib.conv.layers` 搭成），以及在 scikit-learn 手写数字上训练它们的工具。

======================  ========================================================================================
``LeNet5``              C1 5×5×6 → S2 → C3 5×5×16 → S4 → 120 → 84 → 10，32×32 输入，61,706 个参数
``AlexNet``             5 个卷积层 + 3 个全连接层（torchvision 的单 GPU 版本，没有 LRN），61,100,840 个参数
``VGG``                 全部用 3×3 卷积与 2×2 最大池化；``VGG_CONFIGS`` 给出 VGG-11/13/16/19（VGG-16：138,357,544）
``BasicBlock``          ResNet 的残差块 :math:`\mathrm{ReLU}(F(x)+x)`；``residual=False`` 得到同样深的“普通”块
``ResNet``              小型残差网络（残差块可带 SE 模块，即 SE-ResNet）
``InceptionBlock``      GoogLeNet 的 Inception 模块：1×1、1×1→3×3、1×1→5×5、池化→1×1 四路拼接
``InceptionNet``        两个 Inception 模块组成的小网络
``SEBlock``             SENet 的挤压–激励模块 :math:`\tilde u_c=\sigma(W_2\,\mathrm{ReLU}(W_1 z))_c\,u_c`
``digits_tensors``      scikit-learn 的 8×8 手写数字，缩放到 [0,1]，可双线性放大（LeNet-5 用 32×32）
``fit_classifier``      小批量 Adam 训练 + 每个 epoch 的测试准确率
======================  ========================================================================================

要只数参数而不占内存，可以在 ``with torch.device("meta"):`` 中建模型（VGG-16 有 1.38 亿个参数）。
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..utils import MAX_SIZE, check_int_sequence, check_module_input, check_scalar, check_size
from .layers import AvgPool2d, Conv2d, GlobalAvgPool2d, MaxPool2d

__all__ = [
    "LeNet5",
    "AlexNet",
    "VGG",
    "VGG_CONFIGS",
    "BasicBlock",
    "ResNet",
    "InceptionBlock",
    "InceptionNet",
    "SEBlock",
    "digits_tensors",
    "FitHistory",
    "fit_classifier",
]


def _activation(name: str) -> nn.Module:
    table = {"tanh": nn.Tanh, "relu": nn.ReLU, "sigmoid": nn.Sigmoid}
    if not isinstance(name, str) or name not in table:
        raise ValueError(f"activation must be one of {tuple(table)}, got {name!r}")
    return table[name]()


def _check_head(num_classes, dropout=...) -> None:
    """分类头的超参数：类别数是正整数（不超过 ``MAX_SIZE``），dropout 概率在 [0, 1) 内（NaN、None 也拒绝）。"""
    check_size(num_classes, "num_classes")
    if dropout is not ...:
        check_scalar(dropout, "dropout", Real, min_val=0, max_val=1, include_max=False)


def _check_images(x: torch.Tensor, model: nn.Module) -> None:
    """模型入口的检查：``x`` 是 (N, C, H, W) 的浮点张量，C 等于第一个卷积层的输入通道数，dtype/设备与参数相同。"""
    first = next(m for m in model.modules() if isinstance(m, (Conv2d, nn.Conv2d)))
    check_module_input(x, model, "x", ndim=4, sizes={1: first.in_channels})


class LeNet5(nn.Module):
    r"""LeNet-5（“经典网络”一节）。尺寸变化 32 → 28（5×5 卷积）→ 14（2×2 汇聚）→ 10 → 5 → 120 → 84 → 10。

    这里的 C3 与所有 6 个输入特征图相连（现代写法）；原文用连接表只连 60 对，见 :data:`LENET5_C3_TABLE`。
    ``activation``：``'tanh'``（原文是缩放的 tanh）或 ``'relu'``；``pooling``：``'avg'``（原文的下采样层）或 ``'max'``。
    """

    def __init__(
        self,
        num_classes: int = 10,
        in_channels: int = 1,
        activation: str = "tanh",
        pooling: str = "avg",
        *,
        method: str = "im2col",
        explicit_backward: bool = False,
    ):
        super().__init__()
        _check_head(num_classes)
        if not isinstance(pooling, str) or pooling not in ("avg", "max"):
            raise ValueError(f"pooling must be 'avg' or 'max', got {pooling!r}")
        pool = AvgPool2d if pooling == "avg" else MaxPool2d
        conv = {"method": method, "explicit_backward": check_scalar(explicit_backward, "explicit_backward", bool)}
        self.features = nn.Sequential(
            Conv2d(in_channels, 6, 5, **conv),  # C1: 32x32 -> 28x28
            _activation(activation),
            pool(2),  # S2: -> 14x14
            Conv2d(6, 16, 5, **conv),  # C3: -> 10x10
            _activation(activation),
            pool(2),  # S4: -> 5x5
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(16 * 5 * 5, 120),  # C5 (a 5x5 convolution on a 5x5 map = a fully connected layer)
            _activation(activation),
            nn.Linear(120, 84),  # F6
            _activation(activation),
            nn.Linear(84, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_images(x, self)
        if x.shape[-2:] != (32, 32):
            raise ValueError(f"LeNet5 expects 32x32 inputs, got {tuple(x.shape[-2:])}")
        return self.classifier(self.features(x))


class AlexNet(nn.Module):
    """AlexNet（“经典网络”一节）：5 个卷积层 + 3 个全连接层，共 8 个有参数的层；224×224 输入。
    与 torchvision 的版本相同。"""

    def __init__(self, num_classes: int = 1000, dropout: float = 0.5, *, method: str = "im2col"):
        super().__init__()
        _check_head(num_classes, dropout)
        m = {"method": method}
        self.features = nn.Sequential(
            Conv2d(3, 64, 11, stride=4, padding=2, **m),  # 224 -> 55
            nn.ReLU(),
            MaxPool2d(3, stride=2),  # -> 27 (overlapping pooling)
            Conv2d(64, 192, 5, padding=2, **m),
            nn.ReLU(),
            MaxPool2d(3, stride=2),  # -> 13
            Conv2d(192, 384, 3, padding=1, **m),
            nn.ReLU(),
            Conv2d(384, 256, 3, padding=1, **m),
            nn.ReLU(),
            Conv2d(256, 256, 3, padding=1, **m),
            nn.ReLU(),
            MaxPool2d(3, stride=2),  # -> 6
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(dropout),
            nn.Linear(256 * 6 * 6, 4096),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(4096, 4096),
            nn.ReLU(),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_images(x, self)
        return self.classifier(self.features(x))


VGG_CONFIGS = {
    "vgg11": (64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"),
    "vgg13": (64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"),
    "vgg16": (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"),
    "vgg19": (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"),
}
"""VGG 的配置：数字是 3×3 卷积（填充 1）的输出通道数，``'M'`` 是 2×2、步长 2 的最大池化。"""


class VGG(nn.Module):
    r"""VGG（“经典网络”一节）：按 ``config`` 堆叠 3×3 卷积 + ReLU 与 2×2 最大池化，最后是三层全连接分类器。

    ``config`` 可以是 :data:`VGG_CONFIGS` 的键（如 ``'vgg16'``）或自定义序列。分类器的输入是
    :math:`C_{last}\,(S/2^{m})^2`，:math:`S` 是 ``image_size``、:math:`m` 是池化层个数。
    ``batch_norm=True`` 时每个卷积后加 BN。
    """

    def __init__(
        self,
        config: str | Sequence = "vgg16",
        num_classes: int = 1000,
        in_channels: int = 3,
        image_size: int = 224,
        hidden: int = 4096,
        dropout: float = 0.5,
        batch_norm: bool = False,
        *,
        method: str = "im2col",
    ):
        super().__init__()
        _check_head(num_classes, dropout)
        if isinstance(config, str):
            if config not in VGG_CONFIGS:
                raise ValueError(f"config must be one of {tuple(VGG_CONFIGS)} or a sequence, got {config!r}")
            config = VGG_CONFIGS[config]
        elif not isinstance(config, Sequence) or not any(isinstance(v, Integral) for v in config):
            raise TypeError(f"config must be a VGG name or a sequence of channel counts and 'M', got {config!r}")
        layers: list[nn.Module] = []
        check_scalar(batch_norm, "batch_norm", bool)
        check_size(hidden, "hidden")
        check_size(image_size, "image_size")
        c, size = in_channels, image_size
        for v in config:
            if isinstance(v, str) and v == "M":
                layers.append(MaxPool2d(2, 2))
                size //= 2
            elif isinstance(v, Integral) and 0 < v <= MAX_SIZE:
                layers.append(Conv2d(c, int(v), 3, padding=1, method=method))
                if batch_norm:
                    layers.append(nn.BatchNorm2d(int(v)))
                layers.append(nn.ReLU())
                c = int(v)
            else:
                raise ValueError(f"config entries must be positive ints or 'M', got {v!r}")
        if size < 1:
            raise ValueError(f"image_size={image_size} is too small for {list(config).count('M')} pooling layers")
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(c * size * size, hidden),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_images(x, self)
        return self.classifier(self.features(x))


class SEBlock(nn.Module):
    r"""挤压–激励模块（SENet，“经典网络”一节）。对 (N, C, H, W) 的特征图 :math:`u`：

    挤压 :math:`z_c=\frac1{HW}\sum_{i,j}u_c[i,j]`；
    激励 :math:`\mathbf s=\sigma\bigl(W_2\,\mathrm{ReLU}(W_1\mathbf z+b_1)+b_2\bigr)`，
    :math:`W_1\in\mathbb R^{(C/r)\times C}`、:math:`W_2\in\mathbb R^{C\times(C/r)}`；输出 :math:`\tilde u_c=s_c\,u_c`。
    额外参数 :math:`2C^2/r+C/r+C`。``last_scale`` 保存最近一次前向的 :math:`\mathbf s`（用于画图）。
    """

    def __init__(self, channels: int, reduction: int = 4):
        super().__init__()
        channels = check_size(channels, "channels")
        reduction = check_size(reduction, "reduction")
        if channels % reduction:
            raise ValueError(f"reduction={reduction} must divide channels={channels}")
        self.squeeze = GlobalAvgPool2d()
        self.fc1 = nn.Linear(channels, channels // reduction)
        self.fc2 = nn.Linear(channels // reduction, channels)
        self.last_scale: torch.Tensor | None = None

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        check_module_input(u, self, "u", ndim=4, sizes={1: self.fc1.in_features})
        z = self.squeeze(u)  # (N, C)
        s = torch.sigmoid(self.fc2(F.relu(self.fc1(z))))  # (N, C), each in (0, 1)
        self.last_scale = s.detach()
        return u * s[:, :, None, None]


class BasicBlock(nn.Module):
    r"""ResNet 的基本残差块（“经典网络”一节）：:math:`y=\mathrm{ReLU}\bigl(F(x)+\mathrm{shortcut}(x)\bigr)`，
    :math:`F` = 3×3 卷积 → BN → ReLU → 3×3 卷积 → BN（→ SE 模块）。形状改变时捷径是 1×1 卷积 + BN。
    ``residual=False`` 去掉捷径，得到同样深度的普通块（用来演示“退化”问题）。
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        stride: int = 1,
        residual: bool = True,
        se_reduction: int | None = None,
        *,
        method: str = "im2col",
    ):
        super().__init__()
        self.residual = check_scalar(residual, "residual", bool)
        self.conv1 = Conv2d(in_channels, out_channels, 3, stride, 1, bias=False, method=method)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = Conv2d(out_channels, out_channels, 3, 1, 1, bias=False, method=method)
        self.bn2 = nn.BatchNorm2d(out_channels)
        if se_reduction is not None:
            check_scalar(se_reduction, "se_reduction", Integral, min_val=1)
            if out_channels % se_reduction:
                raise ValueError(f"se_reduction={se_reduction} must divide out_channels={out_channels}")
        self.se = SEBlock(out_channels, se_reduction) if se_reduction else nn.Identity()
        if residual and (stride != 1 or in_channels != out_channels):
            self.shortcut = nn.Sequential(
                Conv2d(in_channels, out_channels, 1, stride, bias=False, method=method), nn.BatchNorm2d(out_channels)
            )
        else:
            self.shortcut = nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.se(self.bn2(self.conv2(out)))
        if self.residual:
            out = out + self.shortcut(x)
        return F.relu(out)


class ResNet(nn.Module):
    r"""小型 ResNet（“经典网络”一节）：3×3 卷积“茎” → 若干阶段的残差块（每个新阶段第一个块步长 2）
    → 全局平均池化 → 全连接。

    ``channels[i]`` 与 ``blocks[i]`` 是第 ``i`` 个阶段的通道数与块数；
    ``se_reduction`` 给出时每个块带 SE 模块（SE-ResNet）；
    ``residual=False`` 得到同样结构的普通网络。
    """

    def __init__(
        self,
        channels: Sequence[int] = (16, 32),
        blocks: Sequence[int] = (1, 1),
        in_channels: int = 1,
        num_classes: int = 10,
        residual: bool = True,
        se_reduction: int | None = None,
        *,
        method: str = "im2col",
    ):
        super().__init__()
        _check_head(num_classes)
        channels = check_int_sequence(channels, "channels")
        blocks = check_int_sequence(blocks, "blocks")
        if len(channels) != len(blocks) or len(channels) == 0:
            raise ValueError(f"channels and blocks must be non-empty and of equal length, got {channels}, {blocks}")
        for name, values in (("channels", channels), ("blocks", blocks)):
            for v in values:
                check_scalar(v, name, Integral, min_val=1)
        if se_reduction is not None:
            check_scalar(se_reduction, "se_reduction", Integral, min_val=1)
            if any(c % se_reduction for c in channels):
                raise ValueError(f"se_reduction={se_reduction} must divide every entry of channels={channels}")
        self.stem = nn.Sequential(
            Conv2d(in_channels, channels[0], 3, padding=1, bias=False, method=method),
            nn.BatchNorm2d(channels[0]),
            nn.ReLU(),
        )
        stages, c = [], channels[0]
        for i, (width, n_blocks) in enumerate(zip(channels, blocks)):
            for j in range(n_blocks):
                stride = 2 if (i > 0 and j == 0) else 1
                stages.append(BasicBlock(c, width, stride, residual, se_reduction, method=method))
                c = width
        self.stages = nn.Sequential(*stages)
        self.head = nn.Sequential(GlobalAvgPool2d(), nn.Linear(c, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_images(x, self)
        return self.head(self.stages(self.stem(x)))


class InceptionBlock(nn.Module):
    r"""Inception 模块（GoogLeNet，“经典网络”一节）：四路并行，在通道维上拼接，
    输出 ``c1 + c3 + c5 + pool_proj`` 个通道。

    1×1 卷积；1×1 降维到 ``c3_reduce`` → 3×3；1×1 降维到 ``c5_reduce`` → 5×5；3×3 最大池化（步长 1）→ 1×1。
    每个卷积后接 ReLU（``batch_norm=True`` 时先接 BN，如 Inception v2），所有分支保持空间大小不变。
    """

    def __init__(
        self, in_channels, c1, c3_reduce, c3, c5_reduce, c5, pool_proj, batch_norm: bool = False, *, method="im2col"
    ):
        super().__init__()
        widths = dict(in_channels=in_channels, c1=c1, c3_reduce=c3_reduce, c3=c3, c5_reduce=c5_reduce, c5=c5)
        for name, value in {**widths, "pool_proj": pool_proj}.items():
            check_size(value, name)
        check_scalar(batch_norm, "batch_norm", bool)

        def conv(c_in, c_out, k):
            layers = [Conv2d(c_in, c_out, k, padding=k // 2, bias=not batch_norm, method=method)]
            if batch_norm:
                layers.append(nn.BatchNorm2d(c_out))
            return [*layers, nn.ReLU()]

        self.branch1 = nn.Sequential(*conv(in_channels, c1, 1))
        self.branch3 = nn.Sequential(*conv(in_channels, c3_reduce, 1), *conv(c3_reduce, c3, 3))
        self.branch5 = nn.Sequential(*conv(in_channels, c5_reduce, 1), *conv(c5_reduce, c5, 5))
        self.branch_pool = nn.Sequential(MaxPool2d(3, 1, 1), *conv(in_channels, pool_proj, 1))
        self.out_channels = c1 + c3 + c5 + pool_proj

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_images(x, self)
        return torch.cat([self.branch1(x), self.branch3(x), self.branch5(x), self.branch_pool(x)], dim=1)


class InceptionNet(nn.Module):
    """小型 GoogLeNet（“经典网络”一节）：3×3 卷积 → Inception → 2×2 最大池化 → Inception → 全局平均池化 → 全连接。

    与 GoogLeNet 一样，最后没有大的全连接层。``batch_norm=True`` 时每个卷积后接 BN。
    """

    def __init__(
        self,
        in_channels: int = 1,
        num_classes: int = 10,
        stem_channels: int = 16,
        batch_norm: bool = False,
        *,
        method: str = "im2col",
    ):
        super().__init__()
        _check_head(num_classes)
        check_size(stem_channels, "stem_channels")
        m = {"batch_norm": check_scalar(batch_norm, "batch_norm", bool), "method": method}
        stem = [Conv2d(in_channels, stem_channels, 3, padding=1, bias=not batch_norm, method=method)]
        if batch_norm:
            stem.append(nn.BatchNorm2d(stem_channels))
        self.stem = nn.Sequential(*stem, nn.ReLU())
        self.block1 = InceptionBlock(stem_channels, 8, 8, 16, 4, 8, 8, **m)  # -> 40 channels
        self.pool = MaxPool2d(2)
        self.block2 = InceptionBlock(self.block1.out_channels, 16, 16, 24, 4, 8, 8, **m)  # -> 56 channels
        self.head = nn.Sequential(GlobalAvgPool2d(), nn.Linear(self.block2.out_channels, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_images(x, self)
        return self.head(self.block2(self.pool(self.block1(self.stem(x)))))


# ---------------------------------------------------------------------------------------------
# 数据与训练
# ---------------------------------------------------------------------------------------------
def digits_tensors(image_size: int = 8, test_fraction: float = 0.25, seed: int = 0, dtype=torch.float64):
    """scikit-learn 的手写数字（1797 张 8×8），像素除以 16 缩放到 [0, 1]，形状 (N, 1, S, S)。

    ``image_size`` 不是 8 时用双线性插值放大（LeNet-5 需要 32×32）。按 ``seed`` 固定地分成训练集与测试集，
    返回 ``(X_train, y_train, X_test, y_test)``。默认 float64：训练结果在不同 CPU 上也逐位一致到打印的精度。
    """
    from .. import data

    size = check_size(image_size, "image_size", min_val=8, max_val=1024)
    train, test = data.train_test_split(data.digits(), test_fraction=test_fraction, rng=seed)

    def images(ds):
        x = torch.as_tensor(ds.X / 16.0, dtype=dtype).reshape(-1, 1, 8, 8)
        if size != 8:
            x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
        return x, torch.as_tensor(ds.y, dtype=torch.long)

    return (*images(train), *images(test))


@dataclass
class FitHistory:
    """``fit_classifier`` 的记录：每个 epoch 的平均训练损失、训练准确率与测试准确率，以及每一步的损失。"""

    train_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)
    step_loss: list[float] = field(default_factory=list)


def _accuracy(model, X, y, batch_size=512) -> float:
    was_training = model.training
    model.eval()
    with torch.no_grad():
        pred = torch.cat([model(X[i : i + batch_size]).argmax(dim=1) for i in range(0, len(X), batch_size)])
    model.train(was_training)
    return float((pred == y).double().mean())


def fit_classifier(
    model: nn.Module,
    X_train: torch.Tensor,
    y_train: torch.Tensor,
    X_test: torch.Tensor,
    y_test: torch.Tensor,
    *,
    epochs: int = 5,
    batch_size: int = 64,
    lr: float = 1e-2,
    weight_decay: float = 0.0,
    seed: int = 0,
) -> FitHistory:
    """用 Adam 和交叉熵损失训练分类器（网络优化一章讲优化器），每个 epoch 按 ``seed`` 打乱一次数据。

    只依赖张量运算，CPU 与 CUDA 相同；为了可复现，书中在 CPU 上用 float64 训练这些很小的网络。
    """
    epochs = int(check_scalar(epochs, "epochs", Integral, min_val=1))
    batch_size = int(check_scalar(batch_size, "batch_size", Integral, min_val=1))
    lr = float(check_scalar(lr, "lr", Real, min_val=0, include_min=False))
    if len(X_train) != len(y_train) or len(X_test) != len(y_test):
        raise ValueError(
            f"X and y must have the same length, got train {len(X_train)}/{len(y_train)}, "
            f"test {len(X_test)}/{len(y_test)}"
        )
    for name, t in (("X_train", X_train), ("X_test", X_test)):
        if torch.is_tensor(t) and t.is_floating_point() and not torch.isfinite(t).all():
            raise ValueError(f"{name} contains NaN or infinity (training would silently turn every weight into NaN)")
    gen = torch.Generator().manual_seed(int(seed))
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    hist = FitHistory()
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(X_train), generator=gen).to(X_train.device)
        losses, correct = [], 0
        for i in range(0, len(order), batch_size):
            idx = order[i : i + batch_size]
            logits = model(X_train[idx])
            loss = F.cross_entropy(logits, y_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item() * len(idx))
            hist.step_loss.append(loss.item())
            correct += int((logits.argmax(dim=1) == y_train[idx]).sum())
        hist.train_loss.append(float(np.sum(losses) / len(X_train)))
        hist.train_accuracy.append(correct / len(X_train))
        hist.test_accuracy.append(_accuracy(model, X_test, y_test))
    return hist
