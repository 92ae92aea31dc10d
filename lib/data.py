"""书中用到的数据：讲义里的小表格，以及 scikit-learn 随包附带的数据集。

一切都离线可用：小表格直接写在这里（数字照抄讲义，出处写在各函数的文档里），
scikit-learn 的 ``load_digits``、``load_diabetes`` 等数据集随 scikit-learn 一起安装，不需要下载。

每个函数返回一个 :class:`Dataset`：``X``（n×d 的 float 数组）、``y``、特征名与说明；
``.frame()`` 给出便于展示的 pandas 表格，``.tensors()`` 给出 PyTorch 张量。
"""

from __future__ import annotations

from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np

from .utils import check_array, check_int_sequence, check_option, check_random_state, check_scalar, check_size

__all__ = [
    "Dataset",
    "iris",
    "breast_cancer",
    "house_prices",
    "diabetes",
    "digits",
    "train_test_split",
    "two_moons",
    "swiss_roll_2d",
    "eight_gaussians",
    "movies",
    "play_tennis",
    "contact_lenses",
    "entropy_yz_table",
    "svd_example_matrix",
    "adaboost_toy",
    "associative_recall",
    "sine_function",
    "noisy_sine",
    "text_corpus",
    "nursery_rhyme",
]


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

    只有 4 行却有 5 个参数（含截距），所以正规方程的 :math:`X^\\top X` 是奇异的——见“多特征与正规方程”一节。
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

    check_scalar(standardize, "standardize", bool)
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

    n_class = int(check_scalar(n_class, "n_class", Integral, min_val=2, max_val=10))
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


# ---------------------------------------------------------------------------------------------
# 二维玩具分布（扩散模型一章等生成模型的演示用）：几何形状一眼可辨，训练快，生成的好坏看得见
# ---------------------------------------------------------------------------------------------
def _toy(X: np.ndarray, y: np.ndarray, name: str, description: str) -> Dataset:
    return Dataset(X, y.astype(np.int64), ("x1", "x2"), name, description=description)


def two_moons(n: int = 1000, noise: float = 0.05, rng=None) -> Dataset:
    r"""两个交错的半月（与 ``sklearn.datasets.make_moons`` 同一几何形状），平移到原点附近。

    上半月 :math:`(\cos\theta,\sin\theta)`，下半月 :math:`(1-\cos\theta,\tfrac12-\sin\theta)`，
    :math:`\theta\sim U[0,\pi]`，整体减去 :math:`(\tfrac12,\tfrac14)`，再加标准差为 ``noise`` 的高斯噪声。
    ``y`` 是所属的半月（0/1）。
    """
    n = check_size(n, "n", min_val=2)
    noise = check_scalar(noise, "noise", Real, min_val=0)
    rng = check_random_state(rng)
    y = np.arange(n) % 2
    theta = rng.uniform(0.0, np.pi, size=n)
    X = np.where(
        y[:, None] == 0,
        np.stack([np.cos(theta), np.sin(theta)], axis=1),
        np.stack([1.0 - np.cos(theta), 0.5 - np.sin(theta)], axis=1),
    )
    X = X - [0.5, 0.25] + noise * rng.normal(size=(n, 2))
    return _toy(X, y, "半月", "two interleaving half circles (as sklearn make_moons), centred")


def swiss_roll_2d(n: int = 1000, noise: float = 0.05, rng=None) -> Dataset:
    r"""二维瑞士卷：:math:`s\sim U[1.5\pi,4.5\pi]`，点 :math:`(s\cos s,\,s\sin s)/5` 加标准差 ``noise`` 的噪声。

    与 ``sklearn.datasets.make_swiss_roll`` 的第 1、3 个坐标同形（那里没有除以 5）；坐标大致落在 :math:`[-2, 3]`。
    ``y`` 把卷上的位置 :math:`s` 等分成 4 段（0–3），便于给点上色。
    """
    n = check_size(n, "n", min_val=2)
    noise = check_scalar(noise, "noise", Real, min_val=0)
    rng = check_random_state(rng)
    s = 1.5 * np.pi * (1.0 + 2.0 * rng.uniform(size=n))
    X = np.stack([s * np.cos(s), s * np.sin(s)], axis=1) / 5.0 + noise * rng.normal(size=(n, 2))
    y = np.minimum(((s - 1.5 * np.pi) / (3.0 * np.pi) * 4).astype(np.int64), 3)
    return _toy(X, y, "位置段", "2-D swiss roll (s cos s, s sin s)/5, s ~ U[1.5 pi, 4.5 pi]")


def eight_gaussians(n: int = 1000, std: float = 0.1, radius: float = 2.0, rng=None) -> Dataset:
    r"""8 个高斯分布的等权混合：均值均匀分布在半径 ``radius`` 的圆上（角度 :math:`k\pi/4`），各向同性标准差 ``std``。

    ``y`` 是分量编号 :math:`k=0,\dots,7`。模式坍塌（只生成其中几个分量）在这份数据上一目了然。
    """
    n = check_size(n, "n", min_val=2)
    std = check_scalar(std, "std", Real, min_val=0)
    radius = check_scalar(radius, "radius", Real, min_val=0, include_min=False)
    rng = check_random_state(rng)
    y = rng.integers(0, 8, size=n)
    angle = y * np.pi / 4
    X = radius * np.stack([np.cos(angle), np.sin(angle)], axis=1) + std * rng.normal(size=(n, 2))
    return _toy(X, y, "分量", "mixture of 8 isotropic Gaussians on a circle")


# ---------------------------------------------------------------------------------------------
# 决策树与集成学习、聚类与降维两章：讲义 L8–L11 的小表格（类别取值保留讲义原文的英文写法）
# ---------------------------------------------------------------------------------------------
def _categorical(rows, feature_names, target_name, description) -> Dataset:
    table = np.array(rows, dtype=str)  # a string array (not object): lib.utils.check_array accepts it
    return Dataset(table[:, :-1], table[:, -1], tuple(feature_names), target_name, description=description)


def movies() -> Dataset:
    """讲义 L8 的电影表（9 部电影，4 个类别属性 → 是否喜欢），“熵与信息增益”“决策树的学习与剪枝”两节
    用它手算熵与信息增益。

    ==  ========  ======  ========  =============  ======
    #   Type      Length  Director  Famous actors  Liked?
    ==  ========  ======  ========  =============  ======
    1   Comedy    Short   Adamson   No             Yes
    2   Animated  Short   Lasseter  No             No
    3   Drama     Medium  Adamson   No             Yes
    4   Animated  Long    Lasseter  Yes            No
    5   Comedy    Long    Lasseter  Yes            No
    6   Drama     Medium  Singer    Yes            Yes
    7   Animated  Short   Singer    No             Yes
    8   Comedy    Long    Adamson   Yes            Yes
    9   Drama     Medium  Lasseter  No             Yes
    ==  ========  ======  ========  =============  ======
    """
    rows = [
        ("Comedy", "Short", "Adamson", "No", "Yes"),
        ("Animated", "Short", "Lasseter", "No", "No"),
        ("Drama", "Medium", "Adamson", "No", "Yes"),
        ("Animated", "Long", "Lasseter", "Yes", "No"),
        ("Comedy", "Long", "Lasseter", "Yes", "No"),
        ("Drama", "Medium", "Singer", "Yes", "Yes"),
        ("Animated", "Short", "Singer", "No", "Yes"),
        ("Comedy", "Long", "Adamson", "Yes", "Yes"),
        ("Drama", "Medium", "Lasseter", "No", "Yes"),
    ]
    return _categorical(
        rows,
        ("Type", "Length", "Director", "Famous actors"),
        "Liked?",
        "讲义 L8 的电影表：类型、片长、导演、是否有名演员 → 是否喜欢",
    )


def play_tennis() -> Dataset:
    """讲义 L8 的“打网球”表（14 天，4 个类别属性 → 是否打球），即 Quinlan (1986) 与 Mitchell (1997) 的经典例子。"""
    rows = [
        ("sunny", "hot", "high", "weak", "no"),
        ("sunny", "hot", "high", "strong", "no"),
        ("overcast", "hot", "high", "weak", "yes"),
        ("rain", "mild", "high", "weak", "yes"),
        ("rain", "cool", "normal", "weak", "yes"),
        ("rain", "cool", "normal", "strong", "no"),
        ("overcast", "cool", "normal", "strong", "yes"),
        ("sunny", "mild", "high", "weak", "no"),
        ("sunny", "cool", "normal", "weak", "yes"),
        ("rain", "mild", "normal", "weak", "yes"),
        ("sunny", "mild", "normal", "strong", "yes"),
        ("overcast", "mild", "high", "strong", "yes"),
        ("overcast", "hot", "normal", "weak", "yes"),
        ("rain", "mild", "high", "strong", "no"),
    ]
    return _categorical(
        rows,
        ("outlook", "temperature", "humidity", "wind"),
        "play",
        "讲义 L8 的打网球表：天气、温度、湿度、风力 → 是否打球",
    )


def contact_lenses() -> Dataset:
    """隐形眼镜表（Cendrowska 1987；UCI “lenses”）：年龄、处方、是否散光、泪液分泌 → 配哪种镜片（24 行，全因子设计）。

    讲义 L8 的剪枝例子用的就是这张表上的树，但只留下了图（已丢失）；“决策树的学习与剪枝”一节用它重建这个例子。
    """
    ages = ("young", "pre-presbyopic", "presbyopic")
    labels = (  # the class of each row, in the order of the loops below
        "none soft none hard none soft none hard "
        "none soft none hard none soft none none "
        "none none none hard none soft none none"
    ).split()
    rows = []
    for age in ages:
        for prescription in ("myope", "hypermetrope"):
            for astigmatic in ("no", "yes"):
                for tears in ("reduced", "normal"):
                    rows.append((age, prescription, astigmatic, tears, labels[len(rows)]))
    return _categorical(
        rows,
        ("age", "prescription", "astigmatic", "tear rate"),
        "lenses",
        "Cendrowska (1987) 隐形眼镜数据：hard / soft / none",
    )


def entropy_yz_table() -> Dataset:
    """讲义 L8 讲条件熵用的 6 行小表：属性 Y 与标签 Z（取值 t/f）。"""
    Y = ["t", "t", "t", "t", "f", "f"]
    Z = ["t", "t", "t", "t", "t", "f"]
    return Dataset(
        np.array(Y, dtype=str)[:, None],
        np.array(Z, dtype=str),
        ("Y",),
        "Z",
        description="讲义 L8 的条件熵例子",
    )


def svd_example_matrix() -> np.ndarray:
    """讲义 L11 奇异值分解例子中的 7×5 矩阵（秩 3；奇异值 12.481、9.509、1.346，见“主成分分析的三种视角”一节）。"""
    return np.array(
        [
            [1, 1, 1, 0, 0],
            [3, 3, 3, 0, 0],
            [4, 4, 4, 0, 0],
            [5, 5, 5, 0, 0],
            [0, 2, 0, 4, 4],
            [0, 0, 0, 5, 5],
            [0, 1, 0, 2, 2],
        ],
        dtype=float,
    )


def associative_recall(
    n_samples: int, seq_len: int, *, n_keys: int = 8, n_values: int = 8, rng=None
) -> tuple[np.ndarray, np.ndarray]:
    """合成的联想回忆任务（“Hyena 与注意力：复杂度与联想回忆”一节）：``k1 v1 k2 v2 … kp vp q``，
    要求在最后一个位置说出查询键 ``q`` 对应的值。

    每条序列先随机给每个键指定一个值（一本“字典”），再随机抽 ``p = (seq_len - 1) // 2`` 个键（可重复）写成键值对，
    最后的查询键取自出现过的键。记号：键是 ``0 … n_keys-1``，值是 ``n_keys … n_keys+n_values-1``，词表大小
    ``n_keys + n_values``。``seq_len`` 必须是不小于 3 的奇数。

    返回 ``(tokens, targets)``，形状都是 ``(n_samples, seq_len)``。``targets[:, t]`` 是位置 ``t`` 之后应当说出的值：
    只在答案已经能从前文推出的位置给出——最后的查询位置，以及此前出现过的键再次出现的位置（多查询的联想回忆，
    监督信号更密，小模型在 CPU 上学得更快）；其余位置为 ``-100``（PyTorch 交叉熵忽略的标记）。
    只看最后一个位置时，不读上下文的最好策略（猜任意一个值）的准确率是 ``1 / n_values``。
    """

    n_samples = check_scalar(n_samples, "n_samples", Integral, min_val=1)
    seq_len = check_scalar(seq_len, "seq_len", Integral, min_val=3)
    if seq_len % 2 == 0:
        raise ValueError(f"seq_len must be odd (pairs + one query), got {seq_len}")
    n_keys = check_scalar(n_keys, "n_keys", Integral, min_val=1)
    n_values = check_scalar(n_values, "n_values", Integral, min_val=1)
    rng = check_random_state(rng)
    p = (seq_len - 1) // 2
    table = rng.integers(0, n_values, size=(n_samples, n_keys)) + n_keys  # 每条序列自己的字典
    keys = rng.integers(0, n_keys, size=(n_samples, p))
    values = np.take_along_axis(table, keys, axis=1)
    query = keys[np.arange(n_samples), rng.integers(0, p, size=n_samples)]
    tokens = np.empty((n_samples, seq_len), dtype=np.int64)
    tokens[:, 0:-1:2], tokens[:, 1:-1:2], tokens[:, -1] = keys, values, query
    targets = np.full((n_samples, seq_len), -100, dtype=np.int64)
    seen = np.zeros((n_samples, n_keys), dtype=bool)
    rows = np.arange(n_samples)
    for i in range(p):
        repeat = seen[rows, keys[:, i]]
        targets[repeat, 2 * i] = values[repeat, i]
        seen[rows, keys[:, i]] = True
    targets[:, -1] = table[rows, query]
    return tokens, targets


# ---------------------------------------------------------------------------------------------
# 分类数据（线性分类、概率视角两章）：scikit-learn 自带，离线可用
# ---------------------------------------------------------------------------------------------
def iris(features: tuple[int, ...] | None = None) -> Dataset:
    """scikit-learn 自带的鸢尾花数据（Fisher, 1936）：150 朵花，3 个品种各 50 朵。

    品种：0 山鸢尾、1 变色鸢尾、2 维吉尼亚鸢尾。

    4 个特征（厘米）：花萼长、花萼宽、花瓣长、花瓣宽。``features`` 选出其中几列（例如 ``(2, 3)`` 只取花瓣的长与宽，
    便于在平面上画决策区域）。山鸢尾与另外两类线性可分，后两类有少量重叠。
    """
    from sklearn.datasets import load_iris

    raw = load_iris()
    names = ("花萼长", "花萼宽", "花瓣长", "花瓣宽")
    cols = tuple(range(4)) if features is None else check_int_sequence(features, "features", min_val=0, max_val=3)
    if not cols or any(isinstance(c, bool) or not isinstance(c, int) or not 0 <= c < 4 for c in cols):
        raise ValueError(f"features must be column indices in 0..3, got {features!r}")
    return Dataset(
        np.asarray(raw.data[:, cols], dtype=float),
        np.asarray(raw.target, dtype=np.int64),
        tuple(names[c] for c in cols),
        "品种",
        description="scikit-learn load_iris (Fisher, 1936): 3 species x 50 flowers, sepal/petal length/width in cm",
    )


def breast_cancer(standardize: bool = False) -> Dataset:
    """scikit-learn 自带的威斯康星乳腺癌诊断数据：569 个样本、30 个由细胞核图像算出的特征；
    ``y`` 为 1 表示良性（357 例）、0 表示恶性（212 例），与 scikit-learn 相同。

    ``standardize=True`` 时把每个特征变成均值 0、方差 1（各特征的量级相差四个数量级，不标准化时梯度下降极慢）。
    """
    from sklearn.datasets import load_breast_cancer

    check_scalar(standardize, "standardize", bool)
    raw = load_breast_cancer()
    X = np.asarray(raw.data, dtype=float)
    if standardize:
        X = (X - X.mean(axis=0)) / X.std(axis=0)
    return Dataset(
        X,
        np.asarray(raw.target, dtype=np.int64),
        tuple(raw.feature_names),
        "良性",
        description="scikit-learn load_breast_cancer (Wisconsin diagnostic): 1 = benign, 0 = malignant",
    )


def adaboost_toy() -> Dataset:
    """“AdaBoost”一节的 10 点二维玩具数据（标签 ±1），为重现讲义 AdaBoost 例子的错误率而构造。

    讲义的点只在图里（已丢失）。这份数据上，以单层决策桩为弱分类器的 AdaBoost 前三轮的加权错误率恰为
    :math:`3/10, 3/14, 3/22`（讲义印作 0.3、0.21、0.14），三轮后训练集全部分对。
    """
    X = np.array([[1, 8], [2, 1], [3, 3], [4, 2], [5, 4], [6, 5], [7, 7], [8, 6], [9, 9], [10, 10]], dtype=float)
    y = np.array([1, 1, -1, -1, -1, 1, 1, 1, -1, -1], dtype=np.int64)
    return Dataset(X, y, ("x1", "x2"), "y", description="AdaBoost toy: 10 points, stumps give eps = 3/10, 3/14, 3/22")


def sine_function(x) -> np.ndarray:
    r"""非线性化、过拟合与模型选择一章合成数据的真实回归函数 :math:`f(x)=\sin(2\pi x)`；
    ``x`` 可以是一维数组或 ``(n, 1)`` 的特征矩阵。"""
    x = check_array(x, "x", ndim=(1, 2))
    if x.ndim == 2:
        if x.shape[1] != 1:
            raise ValueError(f"x must be 1-D or have exactly one column, got shape {x.shape}")
        x = x[:, 0]
    return np.sin(2 * np.pi * x)


def noisy_sine(n_samples: int = 10, noise_std: float = 0.3, rng=None) -> Dataset:
    r"""非线性化、过拟合与模型选择一章的合成回归数据：:math:`x\sim U(0,1)`，:math:`y=\sin(2\pi x)+\varepsilon`，
    :math:`\varepsilon\sim\mathcal N(0,\sigma^2)`，:math:`\sigma` 为 ``noise_std``（Bishop 2006 第 1 章的经典例子）。

    真实函数已知（:func:`sine_function`），所以可以精确地计算测试误差、偏差与方差。``X`` 的形状是 ``(n_samples, 1)``。
    """
    n_samples = check_size(n_samples, "n_samples")
    noise_std = check_scalar(noise_std, "noise_std", Real, min_val=0)
    rng = check_random_state(rng)
    x = rng.uniform(0.0, 1.0, size=n_samples)
    y = sine_function(x) + noise_std * rng.normal(size=n_samples)
    return Dataset(x[:, None], y, ("x",), "y", description="y = sin(2 pi x) + N(0, noise_std^2), x ~ U(0, 1)")


# ---------------------------------------------------------------------------------------------
# 文本语料（文本表示一章）：随 lib 一起安装的快照，由 tools/make_corpus.py 生成
# ---------------------------------------------------------------------------------------------
TEXT_CORPORA = {
    "zh_book": "本书自己各章的中文正文（去掉代码、公式与标记），jieba 分词，每行一句、词以空格分隔",
    "en_templates": "为本书写的英文模板句（人物的王室身份、年龄与性别，饮食、动物、地点），固定种子生成的 800 句",
}


def text_corpus(name: str = "zh_book") -> list[list[str]]:
    """读取随 lib 附带的分好词的语料：返回句子列表，每句是词的列表。

    ``"zh_book"``：本书各章的中文正文快照（jieba 0.42.1 分词）；``"en_templates"``：模板生成的英文小语料。
    两者都由 ``tools/make_corpus.py`` 确定性地生成，离线可用（Colab 中也随 ``pip install`` 安装）。
    """
    from importlib.resources import files

    check_option(name, "name", sorted(TEXT_CORPORA))
    text = files("lib").joinpath("corpora", f"{name}.txt").read_text(encoding="utf-8")
    return [line.split() for line in text.splitlines() if line.strip()]


def nursery_rhyme() -> str:
    """英文童谣 *There was a crooked man*（公有领域）：39 个词、25 个不同的词，n-gram 与共现矩阵的手算例子。"""
    return (
        "There was a crooked man who walked a crooked mile and found a crooked sixpence upon a crooked stile. "
        "He bought a crooked cat who caught a crooked mouse and they all lived together in a little crooked house."
    )
