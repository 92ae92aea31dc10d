r"""生成样本的质量（“训练与采样：算法 1 与算法 2”“更快的采样：DDIM”两节）：
Fréchet 距离与按类别的覆盖率，以及 8×8 数字图像的预处理。

**Fréchet 距离**（FID 的做法，Heusel 等 2017）：把真实样本和生成样本都送进一个固定的特征提取器，
分别用高斯分布 :math:`\mathcal N(\boldsymbol\mu_1,\Sigma_1)`、:math:`\mathcal N(\boldsymbol\mu_2,\Sigma_2)` 拟合特征，
两个高斯之间的 2-Wasserstein 距离的平方是

    d² = ‖μ_1 − μ_2‖² + tr(Σ_1 + Σ_2 − 2 (Σ_1^{1/2} Σ_2 Σ_1^{1/2})^{1/2}).

FID 用 ImageNet 上训练的 Inception 网络提特征；8×8 的数字用不上它，这里换成一个在 digits 训练集上训练的小卷积分类器
:class:`DigitsClassifier` 的倒数第二层（32 维），称为 **Fréchet 数字距离（FDD）**。它只在同样的特征、
同样的样本数之间可比
（样本少时 :math:`d^2` 有正偏差），所以书中总与“真实对真实”的基线（训练集的 449 张对测试集的 449 张）并列给出。

**按类别的覆盖率**：用同一个分类器给生成的样本分类，看 10 个数字各占多少；某一类的占比不到均匀占比的一半即视为“没覆盖”。
FDD 小而覆盖率低，说明模型只会画几种数字（模式坍塌）。
"""

from __future__ import annotations

import pathlib
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..utils import check_array, check_module_input, check_path, check_scalar, check_size

__all__ = [
    "frechet_distance",
    "feature_statistics",
    "class_coverage",
    "digits_to_images",
    "images_to_digits",
    "digits_split",
    "DigitsClassifier",
    "train_digits_classifier",
    "load_digits_classifier",
    "DigitsQuality",
    "digits_quality",
    "CHECKPOINT_DIR",
]

CHECKPOINT_DIR = pathlib.Path(__file__).resolve().parents[1] / "checkpoints"


# ---------------------------------------------------------------------------------------------
# Fréchet 距离
# ---------------------------------------------------------------------------------------------
def _sqrtm_psd(S: np.ndarray) -> np.ndarray:
    """对称半正定矩阵的平方根（特征分解，负的舍入误差特征值截为 0）。"""
    w, V = np.linalg.eigh((S + S.T) / 2)
    return (V * np.sqrt(np.clip(w, 0, None))) @ V.T


def feature_statistics(features) -> tuple[np.ndarray, np.ndarray]:
    """特征的均值向量与（无偏）协方差矩阵，``features`` 形状 ``(n, d)``，:math:`n\\ge2`。"""
    F_ = check_array(features, "features", ndim=2)
    if F_.shape[0] < 2:
        raise ValueError(f"features must have at least 2 rows to estimate a covariance, got {F_.shape[0]}")
    return F_.mean(axis=0), np.atleast_2d(np.cov(F_, rowvar=False))


def frechet_distance(mu1, cov1, mu2, cov2) -> float:
    r"""两个高斯分布之间的 Fréchet（2-Wasserstein）距离的平方

    :math:`\|\boldsymbol\mu_1-\boldsymbol\mu_2\|^2+\operatorname{tr}\Sigma_1+\operatorname{tr}\Sigma_2
    -2\operatorname{tr}\bigl(\Sigma_1^{1/2}\Sigma_2\Sigma_1^{1/2}\bigr)^{1/2}`。

    用对称矩阵的特征分解计算（而不是非对称的 ``sqrtm(Σ1 Σ2)``），结果总是实数，舍入误差造成的负值截为 0。
    """
    mu1, mu2 = check_array(mu1, "mu1", ndim=1), check_array(mu2, "mu2", ndim=1)
    cov1, cov2 = check_array(cov1, "cov1", ndim=2), check_array(cov2, "cov2", ndim=2)
    d = mu1.shape[0]
    if mu2.shape != (d,) or cov1.shape != (d, d) or cov2.shape != (d, d):
        raise ValueError(
            f"mu1, mu2 must have shape (d,) and cov1, cov2 shape (d, d) with the same d, got "
            f"{mu1.shape}, {mu2.shape}, {cov1.shape}, {cov2.shape}"
        )
    for name, cov in (("cov1", cov1), ("cov2", cov2)):
        if not np.allclose(cov, cov.T, rtol=1e-6, atol=1e-8 * max(1.0, float(np.abs(cov).max(initial=0.0)))):
            raise ValueError(f"{name} must be a symmetric covariance matrix")
        lam_min = float(np.linalg.eigvalsh(cov).min(initial=0.0))
        if lam_min < -1e-8 * max(1.0, float(np.abs(cov).max(initial=0.0))):
            raise ValueError(f"{name} must be positive semi-definite, smallest eigenvalue {lam_min:.3g}")
    s1 = _sqrtm_psd(cov1)
    cross = np.linalg.eigvalsh(s1 @ cov2 @ s1)
    tr_cross = np.sum(np.sqrt(np.clip(cross, 0, None)))
    value = float(np.sum((mu1 - mu2) ** 2) + np.trace(cov1) + np.trace(cov2) - 2 * tr_cross)
    return max(value, 0.0)


def class_coverage(labels, n_classes: int = 10, min_share: float = 0.5) -> tuple[float, np.ndarray]:
    r"""按类别的覆盖率：返回 ``(覆盖率, 各类占比)``。第 :math:`k` 类“被覆盖”当且仅当它的占比
    :math:`\ge` ``min_share`` :math:`/K`（默认：不少于均匀占比的一半）；覆盖率是被覆盖的类所占的比例。"""
    labels = check_array(labels, "labels", ndim=1, dtype=None)
    if not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"labels must be integer class labels, got dtype {labels.dtype}")
    n_classes = check_size(n_classes, "n_classes")
    min_share = check_scalar(min_share, "min_share", Real, min_val=0, max_val=1)
    if labels.min() < 0 or labels.max() >= n_classes:
        raise ValueError(f"labels must lie in [0, {n_classes - 1}], got values in [{labels.min()}, {labels.max()}]")
    shares = np.bincount(labels, minlength=n_classes) / labels.shape[0]
    return float(np.mean(shares >= min_share / n_classes)), shares


# ---------------------------------------------------------------------------------------------
# 8×8 数字图像
# ---------------------------------------------------------------------------------------------
def digits_to_images(X) -> torch.Tensor:
    r"""``lib.data.digits`` 的像素（每行 64 个，取值 0–16）→ 形状 ``(N, 1, 8, 8)``、取值 :math:`[-1,1]` 的 float32 张量
    （:math:`x\mapsto x/8-1`）。扩散模型假定数据大致在 :math:`[-1,1]`，与 :math:`\mathcal N(0,I)` 的尺度相当。"""
    X = check_array(X, "X", ndim=2)
    if X.shape[1] != 64:
        raise ValueError(f"X must have 64 columns (8x8 pixels), got shape {X.shape}")
    return torch.as_tensor(X / 8.0 - 1.0, dtype=torch.float32).reshape(-1, 1, 8, 8)


def images_to_digits(images: torch.Tensor) -> np.ndarray:
    """:func:`digits_to_images` 的逆：截断到 :math:`[-1,1]` 后换回 0–16 的像素，形状 ``(N, 64)``。"""
    if not isinstance(images, torch.Tensor) or images.ndim != 4 or tuple(images.shape[1:]) != (1, 8, 8):
        raise ValueError(f"images must be a tensor of shape (N, 1, 8, 8), got {getattr(images, 'shape', images)!r}")
    x = images.detach().float().cpu().clamp(-1, 1).numpy().reshape(-1, 64)
    return (x + 1.0) * 8.0


def digits_split():
    """书中统一的数字数据划分：``lib.data.train_test_split(digits(), 0.25, rng=0)`` → 训练 1348 张、测试 449 张。"""
    from ..data import digits, train_test_split

    return train_test_split(digits(), 0.25, rng=0)


# ---------------------------------------------------------------------------------------------
# 特征提取器：小卷积分类器
# ---------------------------------------------------------------------------------------------
class DigitsClassifier(nn.Module):
    """8×8 数字的小卷积分类器：3×3 卷积(16) → 3×3 步长 2 卷积(32，4×4) → 全连接 32（特征）→ 全连接 10。"""

    feature_dim = 32

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, stride=2, padding=1)
        self.fc = nn.Linear(32 * 4 * 4, self.feature_dim)
        self.head = nn.Linear(self.feature_dim, 10)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        check_module_input(x, self, "x")
        if x.ndim != 4 or tuple(x.shape[1:]) != (1, 8, 8):
            raise ValueError(f"x must have shape (B, 1, 8, 8), got {tuple(x.shape)}")
        h = F.relu(self.conv2(F.relu(self.conv1(x))))
        return F.relu(self.fc(h.flatten(1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def train_digits_classifier(images: torch.Tensor, labels, *, steps: int = 1500, batch_size: int = 128, seed: int = 0):
    """在 ``images``（:func:`digits_to_images` 的输出）上用 Adam 训练 :class:`DigitsClassifier`，返回 eval 模式的网络。

    训练时加很小的高斯噪声（标准差 0.1）作为数据增强，使特征对像素的微小扰动不敏感。
    """
    steps = check_scalar(steps, "steps", Integral, min_val=1)
    if not isinstance(images, torch.Tensor) or not images.is_floating_point():
        raise TypeError(f"images must be a floating-point torch tensor, got {type(images).__name__}")
    if not torch.isfinite(images).all():
        raise ValueError("images contain NaN or infinity (training would silently produce a NaN classifier)")
    labels = torch.as_tensor(np.asarray(labels), dtype=torch.long)
    if labels.shape != (images.shape[0],):
        raise ValueError(f"labels must have shape ({images.shape[0]},), got {tuple(labels.shape)}")
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    model = DigitsClassifier()
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3, weight_decay=1e-4)
    for _ in range(steps):
        idx = torch.randint(0, images.shape[0], (batch_size,), generator=generator)
        x = images[idx] + 0.1 * torch.randn(images[idx].shape, generator=generator)
        loss = F.cross_entropy(model(x), labels[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model.eval()


def load_digits_classifier(path: str | pathlib.Path | None = None) -> DigitsClassifier:
    """载入随 lib 发行的分类器权重 ``lib/checkpoints/digits_classifier.pt``
    （由 ``tools/train_diffusion_digits.py`` 在 :func:`digits_split` 的训练集上训练）。"""
    path = check_path(path) if path is not None else CHECKPOINT_DIR / "digits_classifier.pt"
    if not path.exists():
        raise FileNotFoundError(
            f"path {str(path)!r} not found; create it with `python tools/train_diffusion_digits.py`"
        )
    model = DigitsClassifier()
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return model.eval()


@dataclass
class DigitsQuality:
    """一组数字样本的质量：Fréchet 数字距离 ``fdd``、覆盖率 ``coverage``、各类占比 ``shares``、样本数 ``n``。"""

    fdd: float
    coverage: float
    shares: np.ndarray
    n: int

    def as_dict(self) -> dict:
        return {"fdd": self.fdd, "coverage": self.coverage, "shares": self.shares.tolist(), "n": self.n}

    def __str__(self) -> str:
        return f"FDD = {self.fdd:.3g}，覆盖率 {self.coverage:.0%}（n = {self.n}）"


@torch.no_grad()
def digits_quality(samples: torch.Tensor, reference: torch.Tensor, classifier: DigitsClassifier | None = None):
    """生成样本 ``samples`` 相对参考图像 ``reference`` 的质量（两者都是 ``(N, 1, 8, 8)``、取值约 :math:`[-1,1]`）。

    样本先截断到 :math:`[-1,1]`（与真实像素的范围一致），再提特征、算 FDD，并按分类结果算覆盖率。
    """
    for name, x in (("samples", samples), ("reference", reference)):
        if not isinstance(x, torch.Tensor) or x.ndim != 4 or tuple(x.shape[1:]) != (1, 8, 8):
            raise ValueError(f"{name} must be a tensor of shape (N, 1, 8, 8), got {getattr(x, 'shape', x)!r}")
    classifier = classifier if classifier is not None else load_digits_classifier()
    classifier = classifier.cpu().eval()
    s = samples.detach().float().cpu().clamp(-1, 1)
    r = reference.detach().float().cpu()
    fs, fr = classifier.features(s).double().numpy(), classifier.features(r).double().numpy()
    fdd = frechet_distance(*feature_statistics(fs), *feature_statistics(fr))
    labels = classifier.head(torch.as_tensor(fs, dtype=torch.float32)).argmax(dim=1).numpy()
    coverage, shares = class_coverage(labels, 10)
    return DigitsQuality(fdd=fdd, coverage=coverage, shares=shares, n=int(s.shape[0]))
