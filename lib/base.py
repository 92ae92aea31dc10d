"""全书估计器的公共部分，沿用 scikit-learn 的约定。

* ``__init__`` 只把超参数原样存为同名属性，不做计算；检查放在 ``fit`` 里。
* ``fit`` 学到的量以下划线结尾（``coef_``、``tree_`` ……），``predict`` 之前用 ``check_is_fitted`` 确认。
* :class:`BaseEstimator` 从 ``__init__`` 的签名读出超参数，给出 ``get_params``/``set_params`` 与 ``repr``；
  :class:`RegressorMixin` 的 ``score`` 是 :math:`R^2`，:class:`ClassifierMixin` 的 ``score`` 是准确率，
  都与 scikit-learn 相同。
"""

from __future__ import annotations

import inspect

from .metrics import accuracy_score, r2_score
from .utils import check_array, check_is_fitted, check_X_y

__all__ = ["BaseEstimator", "RegressorMixin", "ClassifierMixin", "ConvergenceWarning"]


class ConvergenceWarning(UserWarning):
    """迭代算法在允许的步数内没有达到要求的精度（书中各估计器共用）。"""


class BaseEstimator:
    """超参数即 ``__init__`` 的参数：``get_params()`` 读出它们，``set_params(**p)`` 改写它们。"""

    @classmethod
    def _param_names(cls) -> list[str]:
        signature = inspect.signature(cls.__init__)
        return [
            p.name
            for p in signature.parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]

    def get_params(self, deep: bool = True) -> dict:
        """超参数字典。``deep`` 只为与 scikit-learn 的接口兼容（``clone`` 会传入它）。"""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params) -> BaseEstimator:
        valid = self._param_names()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(f"invalid parameter {name!r} for {type(self).__name__}; valid parameters: {valid}")
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({params})"

    # -- 预测前的输入检查 ---------------------------------------------------------------------------
    def _check_n_features(self, n_features: int) -> None:
        """预测时的特征数必须与 ``fit`` 时相同（``fit`` 设置 ``n_features_in_``）；报错信息与 scikit-learn 相同。"""
        if n_features != self.n_features_in_:
            raise ValueError(
                f"X has {n_features} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input"
            )

    def _validate_X(self, X, fitted: str):
        """``predict``/``transform`` 的输入：确认已 ``fit``（属性 ``fitted`` 存在），转成二维浮点数组并核对特征数。"""
        check_is_fitted(self, fitted)
        X = check_array(X, "X", ndim=2)
        self._check_n_features(X.shape[1])
        return X


class RegressorMixin:
    def score(self, X, y) -> float:
        """测试集上的 :math:`R^2`（与 scikit-learn 回归器的 ``score`` 相同）。"""
        X, y = check_X_y(X, y)
        return r2_score(y, self.predict(X))


class ClassifierMixin:
    def score(self, X, y) -> float:
        """分类正确率（与 scikit-learn 分类器的 ``score`` 相同）。"""
        return accuracy_score(y, self.predict(X))
