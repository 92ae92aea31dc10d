"""书中用到的数据：讲义里的小表格，以及 scikit-learn 随包附带的数据集。

一切都离线可用：小表格直接写在这里（数字照抄讲义，出处写在各函数的文档里），
scikit-learn 的 ``load_digits``、``load_diabetes`` 等数据集随 scikit-learn 一起安装，不需要下载。

每个函数返回一个 :class:`Dataset`：``X``（n×d 的 float 数组）、``y``、特征名与说明；
``.frame()`` 给出便于展示的 pandas 表格，``.tensors()`` 给出 PyTorch 张量。
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .utils import check_random_state, check_scalar

__all__ = ["Dataset", "house_prices", "diabetes", "digits", "train_test_split"]


@dataclass(frozen=True)
class Dataset:
    """一个小数据集。``y`` 可以是回归目标（float）或类别标签（int）。"""

    X: np.ndarray
    y: np.ndarray
    feature_names: tuple[str, ...]
    target_name: str
    description: str = field(default="", repr=False)

    def __post_init__(self):
        if self.X.ndim != 2 or self.X.shape[0] != self.y.shape[0] or self.X.shape[1] != len(self.feature_names):
            raise ValueError(
                f"inconsistent dataset: X {self.X.shape}, y {self.y.shape}, {len(self.feature_names)} feature names"
            )

    def __len__(self) -> int:
        return self.X.shape[0]

    def frame(self):
        """以 pandas ``DataFrame`` 形式返回（特征列 + 目标列），用于在书中展示表格。"""
        import pandas as pd

        df = pd.DataFrame(self.X, columns=list(self.feature_names))
        df[self.target_name] = self.y
        return df

    def tensors(self, dtype=None, device=None):
        """返回 ``(X, y)`` 两个 PyTorch 张量；分类标签是 ``long``，其余默认 ``float32``。"""
        import torch

        dtype = dtype or torch.float32
        X = torch.as_tensor(self.X, dtype=dtype, device=device)
        ydtype = torch.long if np.issubdtype(self.y.dtype, np.integer) else dtype
        return X, torch.as_tensor(self.y, dtype=ydtype, device=device)


def house_prices() -> Dataset:
    """讲义 L1 的房价表（4 套房子，4 个特征），价格单位为千美元。

    ============  ===========  ======  ======  ===========  =============
    样本           面积（英尺²）  卧室数   楼层数   房龄（年）    价格（千美元）
    ============  ===========  ======  ======  ===========  =============
    1             2104         5       1       45           460
    2             1416         3       2       40           232
    3             1534         3       2       30           315
    4             852          2       1       36           178
    ============  ===========  ======  ======  ===========  =============

    只有 4 行却有 5 个参数（含截距），所以正规方程的 :math:`X^\\top X` 是奇异的——见第 4.2 节。
    """
    X = np.array(
        [[2104, 5, 1, 45], [1416, 3, 2, 40], [1534, 3, 2, 30], [852, 2, 1, 36]],
        dtype=float,
    )
    y = np.array([460, 232, 315, 178], dtype=float)
    return Dataset(
        X,
        y,
        feature_names=("面积", "卧室数", "楼层数", "房龄"),
        target_name="价格",
        description="讲义 L1 的房价表：面积（平方英尺）、卧室数、楼层数、房龄（年）→ 价格（千美元）",
    )


def diabetes(standardize: bool = False) -> Dataset:
    """scikit-learn 自带的糖尿病数据（442 名病人，10 个已中心化、缩放过的特征，目标是一年后的病情指标）。

    ``standardize=True`` 时把每个特征变成均值 0、方差 1（scikit-learn 原本把每列缩放到 L2 范数为 1）。
    """
    from sklearn.datasets import load_diabetes

    raw = load_diabetes()
    X = np.asarray(raw.data, dtype=float)
    if standardize:
        X = (X - X.mean(axis=0)) / X.std(axis=0)
    return Dataset(
        X,
        np.asarray(raw.target, dtype=float),
        tuple(raw.feature_names),
        "病情指标",
        description="scikit-learn load_diabetes (Efron et al., 2004)",
    )


def digits(n_class: int = 10) -> Dataset:
    """scikit-learn 自带的手写数字（1797 张 8×8 灰度图，像素取值 0–16）。``X`` 每行是展平的 64 个像素。"""
    from sklearn.datasets import load_digits

    n_class = check_scalar(n_class, "n_class", int, min_val=2, max_val=10)
    raw = load_digits(n_class=n_class)
    names = tuple(f"像素{i}" for i in range(raw.data.shape[1]))
    return Dataset(
        np.asarray(raw.data, dtype=float),
        np.asarray(raw.target, dtype=np.int64),
        names,
        "数字",
        description="scikit-learn load_digits: 8x8 images of handwritten digits, values 0..16",
    )


def train_test_split(dataset: Dataset, test_fraction: float = 0.25, rng=None) -> tuple[Dataset, Dataset]:
    """把数据集随机分成训练集与测试集（固定随机源，结果可复现）。"""
    test_fraction = check_scalar(
        test_fraction, "test_fraction", float, min_val=0, max_val=1, include_min=False, include_max=False
    )
    rng = check_random_state(rng)
    n = len(dataset)
    n_test = int(round(n * test_fraction))
    if n_test == 0 or n_test == n:
        raise ValueError(f"test_fraction={test_fraction} leaves an empty split for {n} samples")
    perm = rng.permutation(n)
    test, train = perm[:n_test], perm[n_test:]

    def take(idx):
        return Dataset(dataset.X[idx], dataset.y[idx], dataset.feature_names, dataset.target_name, dataset.description)

    return take(train), take(test)
