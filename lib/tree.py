r"""决策树：熵、条件熵、信息增益，ID3/CART 式的贪心建树，以及基于验证集的剪枝
（“熵与信息增益”“决策树的学习与剪枝”两节）。

不确定性用 **熵** 度量（以 2 为底，单位是比特）：

.. math:: H(Z) = -\sum_{z} p(z)\log_2 p(z),\qquad
          H(Z\mid Y) = \sum_y P(Y=y)\,H(Z\mid Y=y),\qquad
          \mathrm{IG}(Y) = H(Z) - H(Z\mid Y) .

决策树在每个结点选信息增益（即属性与标签的互信息）最大的划分，递归地把样本分下去。
类别属性按 ID3 的方式 *多路* 划分（每个取值一个分支）；数值属性按 CART 的方式 *二路* 划分
:math:`x_j\le t` / :math:`x_j>t`，阈值取相邻两个不同取值的中点。

=============================  ===================================================================
``entropy``/``gini``            概率向量的熵 :math:`-\sum p\log_2p`、基尼不纯度 :math:`1-\sum p^2`
``label_entropy``               一组标签（可带样本权重）的经验熵
``conditional_entropy``         :math:`H(Z\mid Y)`
``information_gain``            :math:`\mathrm{IG}=H(Z)-H(Z\mid Y)`，即互信息 :math:`I(Y;Z)`
``split_information``           :math:`H(Y)`：属性自身的熵，C4.5 信息增益率的分母
``gain_ratio``                  信息增益率 :math:`\mathrm{IG}(Y)/H(Y)`
``DecisionTreeClassifier``      决策树，接口同 ``sklearn.tree.DecisionTreeClassifier``，另支持类别属性
``export_text``                 树的文本形式，数值划分的格式与 ``sklearn.tree.export_text`` 相同
``reduced_error_pruning_path``  在验证集上贪心剪枝直到只剩根结点，记录每一步
``reduced_error_prune``         剪枝到“再剪就会降低验证集准确率”为止
``plot_tree``                   把树画成结点与连线
=============================  ===================================================================

前六个属于“熵与信息增益”一节，后五个属于“决策树的学习与剪枝”一节。
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np
from sklearn.utils.validation import _check_sample_weight

from .base import BaseEstimator, ClassifierMixin, encode_labels, validate_data
from .utils import check_array, check_is_fitted, check_option, check_random_state, check_scalar

__all__ = [
    "entropy",
    "gini",
    "class_probabilities",
    "label_entropy",
    "conditional_entropy",
    "information_gain",
    "split_information",
    "gain_ratio",
    "Node",
    "DecisionTreeClassifier",
    "export_text",
    "PruningStep",
    "reduced_error_pruning_path",
    "reduced_error_prune",
    "plot_tree",
]

_CRITERIA = ("entropy", "gini")
_FEATURE_THRESHOLD = 1e-7  # two numeric values closer than this are treated as equal (as in scikit-learn)


# ---------------------------------------------------------------------------------------------
# 9.1 熵、条件熵与信息增益
# ---------------------------------------------------------------------------------------------
def _check_probabilities(p) -> np.ndarray:
    p = check_array(p, "p", ndim=1)
    if np.any(p < 0):
        raise ValueError(f"p must be non-negative, got min(p) = {p.min():g}")
    if not np.isclose(p.sum(), 1.0, rtol=0, atol=1e-9):
        raise ValueError(f"p must sum to 1, got sum(p) = {p.sum():.12g}")
    return p


def entropy(p, base: float = 2) -> float:
    r"""概率向量 ``p`` 的熵 :math:`H=-\sum_i p_i\log p_i`（约定 :math:`0\log0=0`），默认以 2 为底（比特）。"""
    p = _check_probabilities(p)
    base = check_scalar(base, "base", Real, min_val=1, include_min=False)
    nz = p[p > 0]
    return float(-(nz * np.log(nz)).sum() / np.log(base)) + 0.0  # + 0.0 turns -0.0 into 0.0


def gini(p) -> float:
    r"""概率向量 ``p`` 的基尼不纯度 :math:`G=1-\sum_i p_i^2`：随机抽两个样本、类别不同的概率（CART 的准则）。"""
    p = _check_probabilities(p)
    return float(1.0 - np.sum(p**2))


def _as_regular(x, name: str):
    """对象数组（例如 pandas 的字符串列）转成字符串或浮点数组；``check_array`` 不接受对象数组。"""
    arr = np.asarray(x)
    if arr.dtype != object:
        return x
    flat = arr.ravel().tolist()
    if all(isinstance(v, str) for v in flat):
        return arr.astype(str)
    if all(isinstance(v, (bool, np.bool_)) for v in flat):
        return arr.astype(bool)
    if all(isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in flat):
        return arr.astype(float)
    kinds = sorted({type(v).__name__ for v in flat})
    raise TypeError(f"{name} must hold only strings or only numbers, got a mix of {kinds}")


def _check_labels(y, name: str) -> np.ndarray:
    return check_array(_as_regular(y, name), name, ndim=1, dtype=None)


def _check_weights(sample_weight, n: int) -> np.ndarray:
    if sample_weight is None:
        return np.ones(n)
    w = check_array(sample_weight, "sample_weight", ndim=1)
    if w.shape[0] != n:
        raise ValueError(f"sample_weight must have one entry per sample ({n}), got {w.shape[0]}")
    if np.any(w < 0):
        raise ValueError(f"sample_weight must be non-negative, got min = {w.min():g}")
    if w.sum() <= 0:
        raise ValueError("sample_weight must have a positive sum")
    return w


def class_probabilities(y, sample_weight=None) -> tuple[np.ndarray, np.ndarray]:
    """标签 ``y`` 中各类别的（加权）经验频率。返回 ``(classes, p)``，``classes`` 已排序。"""
    y = _check_labels(y, "y")
    w = _check_weights(sample_weight, y.shape[0])
    classes, inverse = np.unique(y, return_inverse=True)
    counts = np.bincount(inverse, weights=w, minlength=len(classes))
    return classes, counts / counts.sum()


def label_entropy(y, sample_weight=None, base: float = 2) -> float:
    r"""一组标签的经验熵 :math:`H(Z)`，:math:`p(z)` 取 ``y`` 中类别 :math:`z` 的（加权）频率。"""
    _, p = class_probabilities(y, sample_weight)
    return entropy(p, base)


def _paired(target, attribute, sample_weight):
    target = _check_labels(target, "target")
    attribute = _check_labels(attribute, "attribute")
    if target.shape[0] != attribute.shape[0]:
        raise ValueError(
            f"target and attribute must have the same length, got {target.shape[0]} and {attribute.shape[0]}"
        )
    return target, attribute, _check_weights(sample_weight, target.shape[0])


def conditional_entropy(target, attribute, sample_weight=None, base: float = 2) -> float:
    r"""条件熵 :math:`H(Z\mid Y)=\sum_y P(Y=y)\,H(Z\mid Y=y)`：
    已知属性 ``attribute``（Y）之后，标签 ``target``（Z）的平均熵。"""
    target, attribute, w = _paired(target, attribute, sample_weight)
    values, inverse = np.unique(attribute, return_inverse=True)
    total = w.sum()
    h = 0.0
    for v in range(len(values)):
        mask = inverse == v
        if w[mask].sum() > 0:
            h += w[mask].sum() / total * label_entropy(target[mask], w[mask], base)
    return float(h)


def information_gain(target, attribute, sample_weight=None, base: float = 2) -> float:
    r"""信息增益 :math:`\mathrm{IG}(Y)=H(Z)-H(Z\mid Y)`，也就是属性与标签的互信息 :math:`I(Y;Z)\ge0`。"""
    target, attribute, w = _paired(target, attribute, sample_weight)
    gain = label_entropy(target, w, base) - conditional_entropy(target, attribute, w, base)
    return max(float(gain), 0.0)  # it is >= 0 exactly; clip round-off such as -1e-17


def split_information(attribute, sample_weight=None, base: float = 2) -> float:
    r"""属性自身的熵 :math:`H(Y)`（C4.5 称为“分裂信息”）：取值越多、越均匀，它越大。"""
    return label_entropy(attribute, sample_weight, base)


def gain_ratio(target, attribute, sample_weight=None, base: float = 2) -> float:
    r"""信息增益率 :math:`\mathrm{IG}(Y)/H(Y)`（C4.5）。属性只有一个取值时 :math:`H(Y)=0`，约定增益率为 0。"""
    target, attribute, w = _paired(target, attribute, sample_weight)
    h_attr = split_information(attribute, w, base)
    return 0.0 if h_attr == 0 else information_gain(target, attribute, w, base) / h_attr


# Row-wise impurities of weighted class-count arrays (..., C): the vectorised core of the split search.
def _impurity_of_counts(counts: np.ndarray, criterion: str) -> np.ndarray:
    p = counts / np.maximum(counts.sum(axis=-1, keepdims=True), 1e-300)  # rows of zeros stay zeros
    if criterion == "entropy":
        return -(p * np.log2(np.maximum(p, 1e-300))).sum(axis=-1)  # 0 log 0 = 0
    return 1.0 - (p * p).sum(axis=-1)


# ---------------------------------------------------------------------------------------------
# 9.2 决策树
# ---------------------------------------------------------------------------------------------
@dataclass
class Node:
    """树的一个结点。

    ``value`` 是落到该结点的训练样本的（加权）类别计数；叶结点预测其中最多的类。内部结点有两种：
    数值划分（``threshold`` 不为 ``None``，``children[0]`` 收 :math:`x_j\\le t`，``children[1]`` 收 :math:`x_j>t`）
    与类别划分（``child_codes[i]`` 是 ``children[i]`` 对应的类别编码；训练时该结点没见过的取值停在本结点，
    按本结点的多数类预测）。``gain`` 是这次划分的信息增益（或基尼不纯度的减少量），未按样本占比加权。
    """

    value: np.ndarray
    n_samples: int
    impurity: float
    depth: int
    node_id: int = 0
    feature: int | None = None
    threshold: float | None = None
    child_codes: np.ndarray | None = None
    children: list[Node] = field(default_factory=list)
    gain: float = 0.0

    @property
    def is_leaf(self) -> bool:
        return not self.children

    def walk(self):
        """先序遍历子树中的全部结点。"""
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))

    def make_leaf(self) -> None:
        """把以本结点为根的子树剪成一个叶结点（剪枝用）。"""
        self.feature = self.threshold = self.child_codes = None
        self.children = []
        self.gain = 0.0


@dataclass
class _Split:
    feature: int
    gain: float
    threshold: float | None = None  # numeric split
    codes: np.ndarray | None = None  # categorical split: the codes present in the node


class DecisionTreeClassifier(ClassifierMixin, BaseEstimator):
    r"""决策树分类器，接口同 ``sklearn.tree.DecisionTreeClassifier``
    （``fit``/``predict``/``predict_proba``/``score``）。

    每个结点在候选属性中选 **信息增益最大** 的划分（``criterion="gini"`` 时是基尼不纯度减少最多的划分）：

    * 类别属性（``categorical_features``）按 ID3 多路划分，每个取值一个分支；同一条路径上一个类别属性
      只会用一次（用过之后它在子结点里只剩一个取值，不能再分）；
    * 数值属性按 CART 二路划分 :math:`x_j\le t`，:math:`t` 取排序后相邻两个不同取值的中点。

    增益相同时取编号最小的属性（``max_features`` 随机抽取属性时，取抽到的顺序中最先的），阈值取最小的。

    Parameters
    ----------
    criterion : ``"entropy"``（默认，信息增益，见“熵与信息增益”一节；scikit-learn 默认是 ``"gini"``）或 ``"gini"``。
    max_depth : 最大深度（根的深度为 0）；``None`` 表示长到纯净或无法再分。
    min_samples_split : 样本数少于它的结点不再划分。
    min_samples_leaf : 每个子结点至少要有的样本数。
    min_impurity_decrease : 划分的 *加权* 增益 :math:`\frac{N_t}{N}\,\mathrm{IG}` 小于它时不划分
        （与 scikit-learn 同义）。
    max_features : 每个结点随机抽取的候选属性数：``None``（全部）、整数、``(0, 1]`` 中的比例、``"sqrt"``、``"log2"``。
        与 scikit-learn 一样，若抽到的属性在该结点都是常数，会继续抽，直到找到至少一个可划分的属性。
    categorical_features : ``None``（自动：字符串列按类别处理，数值列按数值处理）、``"all"``，
        或类别属性的列号列表 / 布尔掩码（例如把整数编码的类别列标成类别属性）。
    random_state : 随机源（只在 ``max_features`` 抽属性时使用）。

    Attributes
    ----------
    tree_ : 根结点 :class:`Node`。  classes_ : 排序后的类别。  n_features_in_ : 特征数。
    categorical_ : 布尔数组，哪些列是类别属性。  categories_ : 每个类别列的取值（排序后，编码即下标）。
    """

    def __init__(
        self,
        criterion: str = "entropy",
        max_depth: int | None = None,
        min_samples_split: int = 2,
        min_samples_leaf: int = 1,
        min_impurity_decrease: float = 0.0,
        max_features=None,
        categorical_features=None,
        random_state=None,
    ):
        self.criterion = criterion
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.min_impurity_decrease = min_impurity_decrease
        self.max_features = max_features
        self.categorical_features = categorical_features
        self.random_state = random_state

    # -- input handling ----------------------------------------------------------------------
    def _check_params(self, n_features: int) -> None:
        check_option(self.criterion, "criterion", _CRITERIA)
        if self.max_depth is not None:
            check_scalar(self.max_depth, "max_depth", Integral, min_val=0)
        check_scalar(self.min_samples_split, "min_samples_split", Integral, min_val=2)
        check_scalar(self.min_samples_leaf, "min_samples_leaf", Integral, min_val=1)
        check_scalar(self.min_impurity_decrease, "min_impurity_decrease", Real, min_val=0)
        self.max_features_ = _resolve_max_features(self.max_features, n_features)

    def _categorical_mask(self, columns: list[np.ndarray]) -> np.ndarray:
        d = len(columns)
        spec = self.categorical_features
        if spec is None:  # automatic: columns of strings are categorical, columns of numbers numeric
            return np.array([not _is_numeric(col) for col in columns], dtype=bool)
        if isinstance(spec, str):
            if spec != "all":
                raise ValueError(f"categorical_features must be None, 'all', or column indices/mask, got {spec!r}")
            return np.ones(d, dtype=bool)
        spec = np.asarray(spec)
        if spec.dtype == bool:
            if spec.shape != (d,):
                raise ValueError(f"categorical_features as a mask must have {d} entries, got shape {spec.shape}")
            return spec.copy()
        if spec.ndim != 1 or not np.issubdtype(spec.dtype, np.integer) or np.any((spec < 0) | (spec >= d)):
            raise ValueError(f"categorical_features must be column indices in [0, {d}), got {spec.tolist()!r}")
        mask = np.zeros(d, dtype=bool)
        mask[spec] = True
        return mask

    def _encode(self, X: np.ndarray, fitting: bool) -> np.ndarray:
        """把（已检查过形状的）``X`` 变成浮点矩阵：数值列原样，类别列换成编码（未见过的取值编码为 -1）。"""
        if X.dtype == object:  # e.g. strings and numbers side by side (a pandas table with mixed columns)
            columns = [_as_regular(X[:, j], f"X column {j}") for j in range(X.shape[1])]
        else:
            columns = [X[:, j] for j in range(X.shape[1])]
        if fitting:
            self.categorical_ = self._categorical_mask(columns)
            self.categories_ = {}
        out = np.empty(X.shape, dtype=float)
        for j, col in enumerate(columns):
            if self.categorical_[j]:
                if fitting:
                    self.categories_[j] = np.unique(col)
                cats = self.categories_[j]
                pos = np.clip(np.searchsorted(cats, col), 0, len(cats) - 1)
                out[:, j] = np.where(cats[pos] == col, pos, -1)
            else:
                try:
                    out[:, j] = col.astype(float)
                except (TypeError, ValueError):
                    raise TypeError(
                        f"X column {j} is numeric in this tree but holds non-numbers (e.g. {col[0]!r}); "
                        "pass categorical_features to mark categorical columns"
                    ) from None
                if not np.all(np.isfinite(out[:, j])):
                    raise ValueError(f"X column {j} contains NaN or infinity")
        return out

    def _encode_new(self, X) -> np.ndarray:
        """预测时的输入：确认已 ``fit``，检查形状与特征数（``validate_data``，保留字符串），再编码。"""
        return self._encode(self._validate_X(X, "tree_", dtype=None), fitting=False)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True  # columns of strings are categorical attributes (ID3 multiway splits)
        tags.input_tags.categorical = True
        return tags

    # -- fitting -----------------------------------------------------------------------------
    def fit(self, X, y, sample_weight=None) -> DecisionTreeClassifier:
        """在 ``(X, y)`` 上贪心地建树（深度优先）。``sample_weight`` 给出样本权重（AdaBoost、Bagging 用）；
        权重为 0 的样本与不存在一样（不参与划分，也不影响阈值）。"""
        X, y = validate_data(self, X, y, dtype=None)  # keeps columns of strings for the categorical splits
        w = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
        self.classes_, y_enc = encode_labels(y, min_classes=1)
        Xc = self._encode(X, fitting=True)
        self._check_params(Xc.shape[1])
        keep = w > 0
        Xc, y_enc, w = Xc[keep], y_enc[keep], w[keep]
        n, C = y_enc.shape[0], len(self.classes_)
        self._Yw = np.zeros((n, C))
        self._Yw[np.arange(n), y_enc] = w  # one-hot rows scaled by the sample weights
        self._X = Xc
        self._w_total = w.sum()
        self._rng = check_random_state(self.random_state, "random_state")

        self.tree_ = self._make_node(np.arange(n), depth=0)
        stack = [(self.tree_, np.arange(n))]
        while stack:
            node, idx = stack.pop()
            split = self._best_split(node, idx)
            if split is None:
                continue
            node.feature, node.gain = split.feature, split.gain
            col = Xc[idx, split.feature]
            if split.threshold is not None:
                node.threshold = split.threshold
                parts = [idx[col <= split.threshold], idx[col > split.threshold]]
            else:
                node.child_codes = split.codes
                parts = [idx[col == c] for c in split.codes]
            node.children = [self._make_node(part, node.depth + 1) for part in parts]
            for child, part in zip(node.children, parts):
                stack.append((child, part))
        for k, node in enumerate(self.tree_.walk()):  # number the nodes in pre-order
            node.node_id = k
        del self._Yw, self._X, self._rng
        return self

    def _make_node(self, idx: np.ndarray, depth: int) -> Node:
        value = self._Yw[idx].sum(axis=0)
        return Node(value, len(idx), float(_impurity_of_counts(value, self.criterion)), depth)

    def _stop(self, node: Node, m: int) -> bool:
        return (
            np.count_nonzero(node.value) <= 1  # pure
            or (self.max_depth is not None and node.depth >= self.max_depth)
            or m < self.min_samples_split
            or m < 2 * self.min_samples_leaf
        )

    def _best_split(self, node: Node, idx: np.ndarray) -> _Split | None:
        if self._stop(node, len(idx)):
            return None
        d = self._X.shape[1]
        order = self._rng.permutation(d) if self.max_features_ < d else np.arange(d)
        Xn = self._X[idx]
        spread = Xn.max(axis=0) - Xn.min(axis=0)
        non_constant = spread > np.where(self.categorical_, 0.0, _FEATURE_THRESHOLD)
        # As scikit-learn: visit the features in `order` until max_features non-constant ones were seen.
        features = order[non_constant[order]][: self.max_features_]
        if len(features) == 0:
            return None
        splits: list[_Split | None] = [None] * len(features)
        numeric = [k for k, j in enumerate(features) if not self.categorical_[j]]
        if numeric:
            for k, split in zip(numeric, self._numeric_splits(node, idx, features[numeric])):
                splits[k] = split
        for k, j in enumerate(features):
            if self.categorical_[j]:
                splits[k] = self._categorical_split(node, idx, int(j), Xn[:, j])
        gains = np.array([-np.inf if sp is None else sp.gain for sp in splits])
        if not np.isfinite(gains.max()):
            return None
        best = splits[int(np.flatnonzero(gains >= gains.max() - 1e-12)[0])]  # ties: the feature met first
        weighted_gain = node.value.sum() / self._w_total * best.gain  # (N_t / N) * IG, as in scikit-learn
        if weighted_gain + 1e-12 < self.min_impurity_decrease:
            return None
        return best

    def _categorical_split(self, node: Node, idx, j: int, col) -> _Split | None:
        r"""ID3 的多路划分：:math:`\mathrm{IG}=H(\text{结点})-\sum_v \frac{w_v}{w}H(\text{取值 }v\text{ 的子结点})`。"""
        codes, inverse = np.unique(col.astype(int), return_inverse=True)
        counts = np.zeros((len(codes), self._Yw.shape[1]))
        np.add.at(counts, inverse, self._Yw[idx])
        sizes = np.bincount(inverse, minlength=len(codes))
        if sizes.min() < self.min_samples_leaf:
            return None
        weights = counts.sum(axis=1)
        child = _impurity_of_counts(counts, self.criterion)
        gain = node.impurity - float(weights @ child) / weights.sum()
        return _Split(j, max(gain, 0.0), codes=codes)

    def _numeric_splits(self, node: Node, idx, features) -> list[_Split | None]:
        r"""所有数值属性的最佳二路划分 :math:`x_j\le t`，一次完成：按每个属性排序，累加类别计数，
        就得到每个候选阈值左右两边的计数（形状 ``(m-1, 属性数, 类别数)``），再向量化地算增益。"""
        Xf = self._X[idx][:, features]  # (m, f)
        order = np.argsort(Xf, axis=0, kind="stable")
        xs = np.take_along_axis(Xf, order, axis=0)
        left = np.cumsum(self._Yw[idx][order], axis=0)[:-1]  # left[i, k]: samples 0..i (sorted by feature k)
        right = node.value - left
        m = len(idx)
        n_left = np.arange(1, m)[:, None]
        valid = (xs[1:] > xs[:-1] + _FEATURE_THRESHOLD) & (n_left >= self.min_samples_leaf)
        valid &= (m - n_left) >= self.min_samples_leaf
        wl, wr = left.sum(axis=-1), right.sum(axis=-1)
        child = wl * _impurity_of_counts(left, self.criterion) + wr * _impurity_of_counts(right, self.criterion)
        gain = np.where(valid, node.impurity - child / np.maximum(wl + wr, 1e-300), -np.inf)
        out: list[_Split | None] = []
        for k, j in enumerate(features):
            i = int(np.argmax(gain[:, k]))  # the first (smallest) threshold among equal gains
            if not valid[i, k]:
                out.append(None)
                continue
            threshold = xs[i, k] / 2.0 + xs[i + 1, k] / 2.0
            if threshold == xs[i + 1, k] or not np.isfinite(threshold):
                threshold = xs[i, k]
            out.append(_Split(int(j), max(float(gain[i, k]), 0.0), threshold=float(threshold)))
        return out

    # -- prediction ----------------------------------------------------------------------------
    def apply(self, X) -> list[Node]:
        """每个样本落到的叶结点（或因类别取值未见过而停下的内部结点）。"""
        Xc = self._encode_new(X)
        out: list[Node | None] = [None] * Xc.shape[0]
        stack = [(self.tree_, np.arange(Xc.shape[0]))]
        while stack:
            node, idx = stack.pop()
            if node.is_leaf or len(idx) == 0:
                for i in idx:
                    out[i] = node
                continue
            col = Xc[idx, node.feature]
            if node.threshold is not None:
                stack.append((node.children[0], idx[col <= node.threshold]))
                stack.append((node.children[1], idx[col > node.threshold]))
            else:
                matched = np.zeros(len(idx), dtype=bool)
                for code, child in zip(node.child_codes, node.children):
                    hit = col == code
                    matched |= hit
                    stack.append((child, idx[hit]))
                for i in idx[~matched]:  # a category this node never saw in training
                    out[i] = node
        return out

    def predict_proba(self, X) -> np.ndarray:
        """各类别的概率：所到结点的训练样本中（加权）类别频率，列的顺序同 ``classes_``。"""
        nodes = self.apply(X)
        values = np.array([node.value for node in nodes])
        totals = values.sum(axis=1, keepdims=True)
        return np.where(totals > 0, values / np.where(totals > 0, totals, 1.0), 1.0 / values.shape[1])

    def predict(self, X) -> np.ndarray:
        """预测所到结点中最多的类（并列时取 ``classes_`` 中靠前的类，与 scikit-learn 相同）。"""
        proba = self.predict_proba(X)  # checks that the tree is fitted
        return self.classes_[np.argmax(proba, axis=1)]

    def get_depth(self) -> int:
        check_is_fitted(self, "tree_")
        return max(node.depth for node in self.tree_.walk())

    def get_n_leaves(self) -> int:
        check_is_fitted(self, "tree_")
        return sum(node.is_leaf for node in self.tree_.walk())

    @property
    def used_features_(self) -> list[int]:
        """树中实际用到的属性（列号，升序）。"""
        check_is_fitted(self, "tree_")
        return sorted({node.feature for node in self.tree_.walk() if not node.is_leaf})


def _is_numeric(col: np.ndarray) -> bool:
    return bool(np.issubdtype(col.dtype, np.number) or col.dtype == bool)


def _resolve_max_features(max_features, n_features: int) -> int:
    if max_features is None:
        return n_features
    if isinstance(max_features, str):
        if max_features == "sqrt":
            return max(1, int(np.sqrt(n_features)))
        if max_features == "log2":
            return max(1, int(np.log2(n_features)))
        raise ValueError(
            f"max_features must be None, an int, a float in (0, 1], 'sqrt' or 'log2', got {max_features!r}"
        )
    if isinstance(max_features, Integral) and not isinstance(max_features, bool):
        check_scalar(max_features, "max_features", Integral, min_val=1, max_val=n_features)
        return int(max_features)
    if isinstance(max_features, Real) and not isinstance(max_features, bool):
        check_scalar(max_features, "max_features", Real, min_val=0, max_val=1, include_min=False)
        return max(1, int(max_features * n_features))
    raise TypeError(f"max_features must be None, an int, a float or a str, got {type(max_features).__name__}")


# ---------------------------------------------------------------------------------------------
# 文本形式
# ---------------------------------------------------------------------------------------------
def export_text(
    tree: DecisionTreeClassifier,
    feature_names=None,
    *,
    decimals: int = 2,
    show_weights: bool = False,
    spacing: int = 3,
) -> str:
    """把树写成缩进的文本。数值划分写成 ``x <= t`` / ``x >  t``（格式与 ``sklearn.tree.export_text`` 相同），
    类别划分写成 ``属性 = 取值``；叶结点写 ``class: 类别``，``show_weights=True`` 时前面再写各类的（加权）样本数。"""
    check_is_fitted(tree, "tree_")
    if feature_names is None:
        feature_names = [f"feature_{j}" for j in range(tree.n_features_in_)]
    feature_names = list(feature_names)
    if len(feature_names) != tree.n_features_in_:
        raise ValueError(f"feature_names must contain {tree.n_features_in_} elements, got {len(feature_names)}")
    check_scalar(decimals, "decimals", Integral, min_val=0)
    check_scalar(spacing, "spacing", Integral, min_val=1)
    lines: list[str] = []

    def leaf(node: Node, indent: str) -> None:
        weights = ""
        if show_weights:
            weights = " weights: [" + ", ".join(f"{v:.{decimals}f}" for v in node.value) + "]"
        lines.append(f"{indent}{weights} class: {tree.classes_[int(np.argmax(node.value))]}")

    def recurse(node: Node, depth: int) -> None:
        indent = ("|" + " " * spacing) * depth
        indent = indent[:-spacing] + "-" * spacing
        if node.is_leaf:
            leaf(node, indent)
            return
        name = feature_names[node.feature]
        if node.threshold is not None:
            t = f"{node.threshold:.{decimals}f}"
            for child, op in zip(node.children, ("<=", "> ")):
                lines.append(f"{indent} {name} {op} {t}")
                recurse(child, depth + 1)
        else:
            cats = tree.categories_[node.feature]
            for code, child in zip(node.child_codes, node.children):
                lines.append(f"{indent} {name} = {cats[int(code)]}")
                recurse(child, depth + 1)

    recurse(tree.tree_, 1)
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# 9.2 基于验证集的剪枝（reduced-error pruning）
# ---------------------------------------------------------------------------------------------
@dataclass
class PruningStep:
    """剪枝路径上的一步：剪完之后的树、它的叶结点数、验证集准确率，以及这一步剪掉的结点编号（第 0 步为 ``None``）。"""

    tree: DecisionTreeClassifier
    n_leaves: int
    val_accuracy: float
    pruned_node: int | None


def _validation_errors(tree: DecisionTreeClassifier, X_val, y_val):
    """每个结点：作为叶结点时在到达它的验证样本上的错误数、到达它的验证样本数。"""
    Xc = tree._encode_new(X_val)
    as_leaf: dict[int, int] = {}
    stack = [(tree.tree_, np.arange(Xc.shape[0]))]
    while stack:
        node, idx = stack.pop()
        pred = tree.classes_[int(np.argmax(node.value))]
        as_leaf[node.node_id] = int(np.sum(y_val[idx] != pred))
        if node.is_leaf:
            continue
        col = Xc[idx, node.feature]
        if node.threshold is not None:
            stack.append((node.children[0], idx[col <= node.threshold]))
            stack.append((node.children[1], idx[col > node.threshold]))
        else:
            for code, child in zip(node.child_codes, node.children):
                stack.append((child, idx[col == code]))
    return as_leaf


def _subtree_errors(node: Node, as_leaf: dict[int, int], unmatched: dict[int, int]) -> int:
    if node.is_leaf:
        return as_leaf[node.node_id]
    return sum(_subtree_errors(c, as_leaf, unmatched) for c in node.children) + unmatched.get(node.node_id, 0)


def reduced_error_pruning_path(tree: DecisionTreeClassifier, X_val, y_val) -> list[PruningStep]:
    r"""基于验证集的贪心剪枝（reduced-error pruning，Quinlan 1987），一直剪到只剩根结点。

    每一步考察当前树的每个内部结点 :math:`t`：把以 :math:`t` 为根的子树换成一个叶结点（预测 :math:`t`
    处训练样本的多数类）后，验证集上的错误数变化
    :math:`\Delta_t=\mathrm{err}_{\text{叶}}(t)-\mathrm{err}_{\text{子树}}(t)`
    只取决于到达 :math:`t` 的验证样本。剪掉 :math:`\Delta_t` 最小的结点（并列时剪掉叶结点更多的那个）。
    返回每一步之后的树；:func:`reduced_error_prune` 取其中“再剪就会变差”之前的那一棵。
    """
    check_is_fitted(tree, "tree_")
    y_val = _check_labels(y_val, "y_val")
    current = copy.deepcopy(tree)
    if len(y_val) != len(current._encode_new(X_val)):
        raise ValueError("X_val and y_val must have the same number of rows")
    as_leaf = _validation_errors(current, X_val, y_val)
    unmatched = _unmatched_errors(current, X_val, y_val)
    n_val = len(y_val)
    steps = [PruningStep(copy.deepcopy(current), current.get_n_leaves(), current.score(X_val, y_val), None)]
    while not current.tree_.is_leaf:
        best = None
        for node in current.tree_.walk():
            if node.is_leaf:
                continue
            delta = as_leaf[node.node_id] - _subtree_errors(node, as_leaf, unmatched)
            n_leaves = sum(n.is_leaf for n in node.walk())
            key = (delta, -n_leaves)
            if best is None or key < best[0]:
                best = (key, node)
        (_, _), node = best
        node.make_leaf()
        errors = _subtree_errors(current.tree_, as_leaf, unmatched)
        steps.append(PruningStep(copy.deepcopy(current), current.get_n_leaves(), 1.0 - errors / n_val, node.node_id))
    return steps


def _unmatched_errors(tree: DecisionTreeClassifier, X_val, y_val) -> dict[int, int]:
    """类别划分的结点上，取值没有对应分支、停在该结点的验证样本的错误数（按该结点多数类预测）。"""
    Xc = tree._encode_new(X_val)
    out: dict[int, int] = {}
    stack = [(tree.tree_, np.arange(Xc.shape[0]))]
    while stack:
        node, idx = stack.pop()
        if node.is_leaf:
            continue
        col = Xc[idx, node.feature]
        if node.threshold is not None:
            stack.append((node.children[0], idx[col <= node.threshold]))
            stack.append((node.children[1], idx[col > node.threshold]))
            continue
        matched = np.isin(col, node.child_codes)
        pred = tree.classes_[int(np.argmax(node.value))]
        out[node.node_id] = int(np.sum(y_val[idx[~matched]] != pred))
        for code, child in zip(node.child_codes, node.children):
            stack.append((child, idx[col == code]))
    return out


def reduced_error_prune(tree: DecisionTreeClassifier, X_val, y_val) -> DecisionTreeClassifier:
    """贪心剪枝：只要剪掉某个结点 *不降低* 验证集准确率就剪，直到每一种剪法都会降低它为止。返回剪过的副本。"""
    steps = reduced_error_pruning_path(tree, X_val, y_val)
    kept = steps[0]
    for step in steps[1:]:
        if step.val_accuracy < kept.val_accuracy - 1e-12:
            break
        kept = step
    return kept.tree


# ---------------------------------------------------------------------------------------------
# 决策树与集成学习一章的两种图：树的结构，以及分类器在平面上的决策区域
# ---------------------------------------------------------------------------------------------
def plot_tree(ax, tree: DecisionTreeClassifier, feature_names=None, *, fontsize: float = 9.0):
    """把树画成结点框与连线：内部结点写属性名，边上写取值（或 ``<= t`` / ``> t``），叶结点写预测的类与样本数。

    叶结点从左到右等距排开，内部结点位于其子结点的正中，纵坐标是深度。返回 ``ax``。
    """
    check_is_fitted(tree, "tree_")
    names = list(feature_names) if feature_names is not None else [f"x{j}" for j in range(tree.n_features_in_)]
    if len(names) != tree.n_features_in_:
        raise ValueError(f"feature_names must contain {tree.n_features_in_} elements, got {len(names)}")
    pos: dict[int, tuple[float, float]] = {}
    next_leaf = [0.0]

    def place(node: Node) -> float:
        if node.is_leaf:
            x = next_leaf[0]
            next_leaf[0] += 1.0
        else:
            x = float(np.mean([place(c) for c in node.children]))
        pos[node.node_id] = (x, -float(node.depth))
        return x

    place(tree.tree_)
    box = {"boxstyle": "round,pad=0.3", "linewidth": 0.8}
    for node in tree.tree_.walk():
        x, y = pos[node.node_id]
        if node.is_leaf:
            label = f"{tree.classes_[int(np.argmax(node.value))]}\n({node.n_samples})"
            style = dict(box, facecolor="#E8F4EA", edgecolor="#009E73")
        else:
            label = names[node.feature]
            style = dict(box, facecolor="#E7F0F8", edgecolor="#0072B2")
        ax.text(x, y, label, ha="center", va="center", fontsize=fontsize, bbox=style, zorder=3)
        for k, child in enumerate(node.children):
            cx, cy = pos[child.node_id]
            ax.plot([x, cx], [y, cy], color="0.55", linewidth=0.9, zorder=1)
            if node.threshold is not None:
                edge = f"<= {node.threshold:.3g}" if k == 0 else f"> {node.threshold:.3g}"
            else:
                edge = str(tree.categories_[node.feature][int(node.child_codes[k])])
            ax.text(
                (x + cx) / 2,
                (y + cy) / 2,
                edge,
                ha="center",
                va="center",
                fontsize=fontsize * 0.85,
                color="0.25",
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5},
                zorder=2,
            )
    xs = [p[0] for p in pos.values()]
    ax.set_xlim(min(xs) - 0.7, max(xs) + 0.7)
    ax.set_ylim(-tree.get_depth() - 0.5, 0.5)
    ax.axis("off")
    return ax
