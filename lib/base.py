"""全书估计器的公共部分：建立在 scikit-learn 的 ``BaseEstimator`` 与各个 Mixin 之上。

lib 的估计器就是 scikit-learn 的估计器：``get_params``/``set_params``、``clone``、``repr``、估计器标签
（``__sklearn_tags__``）、``Pipeline``/``GridSearchCV``/``cross_val_score`` 需要的一切都来自 scikit-learn，
lib 只写算法本身。约定与 scikit-learn 相同：

* ``__init__`` 只把超参数原样存为同名属性，不做计算；检查放在 ``fit`` 里。
* ``fit`` 用 :func:`validate_data`（scikit-learn 的同名函数，报错时点名参数）检查输入（它同时记下 ``n_features_in_``，
  以及用 pandas 表格训练时的列名 ``feature_names_in_``），学到的量以下划线结尾（``coef_``、``tree_`` ……）。
* ``predict``/``transform`` 先调用 :meth:`BaseEstimator._validate_X`：没有 ``fit`` 过就抛出
  :class:`sklearn.exceptions.NotFittedError`，特征数（列名）与训练时不同就报错。
* 分类器继承 :class:`ClassifierMixin`（``score`` 是准确率），回归器继承 :class:`RegressorMixin`
  （``score`` 是 :math:`R^2`），变换器继承 :class:`TransformerMixin`（``fit_transform``），
  聚类继承 :class:`ClusterMixin`（``fit_predict``）。Mixin 写在 ``BaseEstimator`` 之前。

``tests/test_sklearn_compat.py`` 对 lib 中每一个估计器运行 scikit-learn 自己的一致性检查
:func:`sklearn.utils.estimator_checks.check_estimator`：它自动找出 lib 中所有
``sklearn.base.BaseEstimator`` 的公开子类，新写的估计器不必登记（只有构造时必须给参数、
或有说明理由的预期失败时，才在那里的两个小表中加一行）。
一个新估计器的骨架::

    class MyClassifier(ClassifierMixin, BaseEstimator):
        def __init__(self, C=1.0):
            self.C = C                                         # 只存超参数

        def fit(self, X, y):
            check_scalar(self.C, "C", Real, min_val=0)         # 超参数在 fit 里检查（lib.utils）
            X, y = validate_data(self, X, y, dtype=np.float64)  # 形状、NaN、稀疏、n_features_in_、列名
            self.classes_, codes = encode_labels(y)            # 分类器：标签（连续值被拒绝）
            ...                                                # 算法本身：lib 自己的、可读的代码
            return self

        def predict(self, X):
            X = self._validate_X(X, "classes_")                # 未 fit 时 NotFittedError；特征数、列名
            ...

不支持的输入在 ``__sklearn_tags__`` 里如实声明（默认已经声明：不接受稀疏矩阵、NaN、字符串）；支持更多时才改，
例如决策树的 ``tags.input_tags.string = True``。
"""

from __future__ import annotations

import inspect
import re
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator as _SklearnBaseEstimator
from sklearn.base import ClassifierMixin as _SklearnClassifierMixin
from sklearn.base import ClusterMixin, TransformerMixin, clone
from sklearn.base import RegressorMixin as _SklearnRegressorMixin
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array as _sk_check_array
from sklearn.utils.validation import validate_data as _sk_validate_data

from .utils import check_array, check_is_fitted, check_scalar

__all__ = [
    "BaseEstimator",
    "ClassifierMixin",
    "RegressorMixin",
    "TransformerMixin",
    "ClusterMixin",
    "ConvergenceWarning",
    "NotFittedError",
    "clone",
    "encode_labels",
    "check_target",
    "validate_data",
]


def _name_argument(err: Exception, name: str) -> Exception:
    """信息里还没有点名参数时，在前面加上参数名（保留异常类型与回溯），例如 ``X: Expected 2D array, ...``。"""
    msg = err.args[0] if err.args and isinstance(err.args[0], str) else None
    if msg is not None and not re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", msg):
        err.args = (f"{name}: {msg}", *err.args[1:])
    return err


_CHECK_ARRAY_PARAMS = frozenset(inspect.signature(_sk_check_array).parameters) - {"array", "input_name"}


def validate_data(estimator, X="no_validation", y="no_validation", **check_params):
    """:func:`sklearn.utils.validation.validate_data`，出错时信息以出错的参数名开头（``X: ...``、``y: ...``）。

    scikit-learn 的信息（"Expected 2D array, got 1D array instead"、"Found array with 0 sample(s)"……）
    不说是哪个参数；lib 的估计器都经由这里检查数据，所以每个 ``fit``/``predict`` 的报错都点名参数。
    """
    try:
        out = _sk_validate_data(estimator, X, y, **check_params)
    except (ValueError, TypeError) as err:
        no_y = y is None or (isinstance(y, str) and y == "no_validation")
        if no_y:
            name = "X"
        elif isinstance(X, str) and X == "no_validation":
            name = "y"
        elif "inconsistent numbers of samples" in str(err):
            name = "X and y"
        else:
            x_params = {k: v for k, v in check_params.items() if k in _CHECK_ARRAY_PARAMS}
            try:
                _sk_check_array(X, input_name="X", **x_params)
            except (ValueError, TypeError):
                name = "X"
            else:
                name = "y"
        _name_argument(err, name)
        raise
    if check_params.get("y_numeric") and out[1].dtype.kind in "USO":  # scikit-learn 只转换 object 类型的 y
        try:
            out = (out[0], out[1].astype(np.float64))
        except (TypeError, ValueError):
            raise ValueError(f"y must be numeric (the target of a regressor), got dtype {out[1].dtype}") from None
    return out


class BaseEstimator(_SklearnBaseEstimator):
    """``sklearn.base.BaseEstimator`` 加上 lib 的估计器共用的两个预测时检查。

    超参数即 ``__init__`` 的参数：``get_params()`` 读出它们，``set_params(**p)`` 改写它们，
    ``repr`` 只列出与默认值不同的超参数——这些都由 scikit-learn 的基类给出。
    """

    def _check_n_features(self, n_features: int) -> None:
        """预测时的特征数必须与 ``fit`` 时相同（``fit`` 设置 ``n_features_in_``）；报错信息与 scikit-learn 相同。"""
        if n_features != self.n_features_in_:
            raise ValueError(
                f"X has {n_features} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input"
            )

    def _validate_X(self, X, fitted: str, **check_params) -> np.ndarray:
        """``predict``/``transform`` 的输入：确认已 ``fit``（属性 ``fitted`` 存在，否则 ``NotFittedError``），
        转成二维浮点数组，核对特征数与列名（用 scikit-learn 的 ``validate_data``）。"""
        check_is_fitted(self, fitted)
        check_params.setdefault("dtype", np.float64)
        return validate_data(self, X, reset=False, **check_params)


def check_target(y, n_samples: int | None = None, *, labels: bool = True) -> np.ndarray:
    """``score`` 一类方法的目标 ``y``：分类时是一维的类别标签（连续值被拒绝），回归时是一维或二维的有限浮点数；
    ``n_samples`` 给出时长度必须相同。出错时信息点名 ``y``。返回检查过的数组。"""
    if not check_scalar(labels, "labels", bool):
        y = check_array(y, "y", ndim=(1, 2))
    else:  # 标签可以是字符串（pandas 的 object 列也行）：用 scikit-learn 的 check_array，只拒绝 NaN/inf 与非一维
        if y is None:
            raise ValueError("y must be an array of class labels, got None")
        try:
            y = _sk_check_array(y, input_name="y", ensure_2d=False, dtype=None)
            if y.ndim != 1:
                raise ValueError(f"y must be 1-D, got an array of shape {y.shape}")
            check_classification_targets(y)
        except (TypeError, ValueError) as err:
            _name_argument(err, "y")
            raise
    if n_samples is not None and y.shape[0] != check_scalar(n_samples, "n_samples", Integral, min_val=0):
        raise ValueError(
            f"X and y must have the same number of samples, got X: {n_samples} (n_samples), y: {y.shape[0]}"
        )
    return y


class ClassifierMixin(_SklearnClassifierMixin):
    """scikit-learn 的 ``ClassifierMixin``；``score(X, y)`` 是准确率，但先用 :func:`check_target` 检查 ``y``
    （scikit-learn 的 ``accuracy_score`` 报错时说的是 ``y_true``，而调用者传的是 ``y``）。"""

    def score(self, X, y, sample_weight=None) -> float:
        from sklearn.metrics import accuracy_score

        pred = self.predict(X)
        return float(accuracy_score(check_target(y, pred.shape[0]), pred, sample_weight=sample_weight))


class RegressorMixin(_SklearnRegressorMixin):
    """scikit-learn 的 ``RegressorMixin``；``score(X, y)`` 是 :math:`R^2`，先用 :func:`check_target` 检查 ``y``。"""

    def score(self, X, y, sample_weight=None) -> float:
        from sklearn.metrics import r2_score

        pred = self.predict(X)
        return float(r2_score(check_target(y, pred.shape[0], labels=False), pred, sample_weight=sample_weight))


def encode_labels(y, *, min_classes: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """分类器 ``fit`` 里的标签处理：确认 ``y`` 是类别标签（连续的数值标签会被拒绝，信息同 scikit-learn），
    返回排序后的类别 ``classes_`` 与每个样本的编码 ``0..K-1``。类别少于 ``min_classes`` 个时报错。"""
    check_scalar(min_classes, "min_classes", Integral, min_val=1)
    try:
        check_classification_targets(y)
    except ValueError as err:  # "Unknown label type: continuous ..." 不说是哪个参数
        _name_argument(err, "y")
        raise
    classes, codes = np.unique(y, return_inverse=True)
    if classes.shape[0] < min_classes:
        raise ValueError(
            f"y must contain at least {min_classes} classes, but it contains only one class: {classes.tolist()[0]!r}"
            if classes.shape[0] == 1
            else f"y must contain at least min_classes={min_classes} classes, got {classes.shape[0]}"
        )
    return classes, codes
