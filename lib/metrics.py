"""评价指标：与 ``sklearn.metrics`` 同名同义，供各章的估计器的 ``score`` 与书中表格使用。"""

from __future__ import annotations

import numpy as np

from .utils import check_array

__all__ = ["mean_squared_error", "r2_score", "accuracy_score"]


def _paired(y_true, y_pred, dtype=np.float64):
    y_true = check_array(y_true, "y_true", ndim=1, dtype=dtype)
    y_pred = check_array(y_pred, "y_pred", ndim=1, dtype=dtype)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred must have the same length, got {y_true.shape[0]} and {y_pred.shape[0]}")
    return y_true, y_pred


def mean_squared_error(y_true, y_pred) -> float:
    r"""均方误差 :math:`\frac1n\sum_i (y_i-\hat y_i)^2`。"""
    y_true, y_pred = _paired(y_true, y_pred)
    return float(np.mean((y_true - y_pred) ** 2))


def r2_score(y_true, y_pred) -> float:
    r"""决定系数 :math:`R^2 = 1-\sum(y-\hat y)^2/\sum(y-\bar y)^2`（1 为完美，0 相当于只预测均值）。"""
    y_true, y_pred = _paired(y_true, y_pred)
    ss_tot = np.sum((y_true - y_true.mean()) ** 2)
    if ss_tot == 0:
        raise ValueError("R^2 is undefined when y_true is constant")
    return float(1.0 - np.sum((y_true - y_pred) ** 2) / ss_tot)


def accuracy_score(y_true, y_pred) -> float:
    """分类正确率：预测与真实标签相同的样本所占比例。"""
    y_true, y_pred = _paired(y_true, y_pred, dtype=None)
    return float(np.mean(y_true == y_pred))
