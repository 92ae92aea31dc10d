r"""神经元与感知机（“神经元与感知机”“线性可分性与 XOR”两节）。

* :func:`logic_gate`：与、或、与非、或非、异或、同或的真值表（作为 :class:`lib.data.Dataset`）。
* :class:`Perceptron`：Rosenblatt 感知机，标签 :math:`y\in\{-1,+1\}`，逐个样本地

  .. math:: \text{若 } y_i(\mathbf w^\top\mathbf x_i+b)\le0:\quad
            \mathbf w\leftarrow\mathbf w+\eta\,y_i\mathbf x_i,\quad b\leftarrow b+\eta\,y_i .

  与 ``sklearn.linear_model.Perceptron(tol=None, shuffle=False)`` 的权重完全相同（``tests/test_nn_perceptron.py``）。
* :func:`max_margin`：经过原点（增广坐标 :math:`(\mathbf x,1)`）的最大间隔方向与间隔 :math:`\gamma`，
  用来检验 Novikoff 界：错误（更新）次数 :math:`\le(R/\gamma)^2`。
* :func:`is_linearly_separable`：线性规划判断一组带标签的点能否被一个超平面分开（异或不能）。
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.utils.multiclass import type_of_target

from ..base import BaseEstimator, ClassifierMixin, encode_labels, validate_data
from ..data import Dataset
from ..utils import check_random_state, check_scalar, check_X_y

__all__ = ["GATES", "logic_gate", "Perceptron", "max_margin", "is_linearly_separable"]

GATES = {
    "and": (0, 0, 0, 1),
    "or": (0, 1, 1, 1),
    "nand": (1, 1, 1, 0),
    "nor": (1, 0, 0, 0),
    "xor": (0, 1, 1, 0),
    "xnor": (1, 0, 0, 1),
}


def logic_gate(name: str) -> Dataset:
    """两输入逻辑门的真值表：``X`` 的四行依次是 (0,0)、(0,1)、(1,0)、(1,1)，``y`` 是 0/1 输出。"""
    if not isinstance(name, str) or name.lower() not in GATES:
        raise ValueError(f"unknown gate {name!r}; choose one of {sorted(GATES)}")
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    y = np.array(GATES[name.lower()], dtype=np.int64)
    return Dataset(X, y, ("x1", "x2"), name.upper(), description=f"truth table of {name.upper()}")


def _signed_labels(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    classes = np.unique(y)
    if classes.size != 2:
        raise ValueError(f"y must contain exactly 2 classes for a perceptron, got {classes.size}: {classes[:5]}")
    return classes, np.where(y == classes[1], 1.0, -1.0)


class Perceptron(ClassifierMixin, BaseEstimator):
    """感知机学习算法（二分类）。``classes_[1]`` 记作 :math:`+1`，``classes_[0]`` 记作 :math:`-1`。

    Parameters
    ----------
    eta0 : 学习率 :math:`\\eta>0`（零初始化时它只缩放权重，不改变预测）。
    max_iter : 最多遍历训练集的轮数（epoch）。某一轮没有任何更新（全部分对）时提前停止。
    shuffle : 每轮开始前是否打乱样本顺序（``random_state`` 决定顺序）。

    Attributes
    ----------
    coef_, intercept_ : 权重 :math:`\\mathbf w`（形状 ``(1, d)``，与 scikit-learn 相同）
        与偏置 :math:`b`（形状 ``(1,)``）。
    n_iter_ : 实际的轮数；``converged_`` 为真表示最后一轮没有错误。
    mistakes_ : 总更新次数；``errors_per_epoch_`` 每轮的更新次数；``path_`` 每次更新后的 :math:`(\\mathbf w,b)`。
    """

    def __init__(self, eta0: float = 1.0, max_iter: int = 1000, shuffle: bool = False, random_state=None):
        self.eta0 = eta0
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False  # 二分类（多类时用 lib.linear.OneVsRestClassifier 包装）
        return tags

    def fit(self, X, y) -> Perceptron:
        eta = check_scalar(self.eta0, "eta0", Real, min_val=0, include_min=False)
        max_iter = check_scalar(self.max_iter, "max_iter", Integral, min_val=1)
        check_scalar(self.shuffle, "shuffle", bool)
        rng = check_random_state(self.random_state, "random_state")
        X, y = validate_data(self, X, y, dtype=np.float64)
        self.classes_, codes = encode_labels(y)
        if self.classes_.size != 2:
            raise ValueError(
                f"Only binary classification is supported. The type of the target is {type_of_target(y)}: "
                f"y must contain exactly 2 classes for a perceptron, got {self.classes_.size}: {self.classes_[:5]}"
            )
        t = np.where(codes == 1, 1.0, -1.0)
        n, d = X.shape
        w, b = np.zeros(d), 0.0
        path, errors = [np.append(w, b)], []
        self.converged_ = False
        for _ in range(max_iter):
            order = rng.permutation(n) if self.shuffle else range(n)
            n_errors = 0
            for i in order:
                if t[i] * (X[i] @ w + b) <= 0:  # 分错（或恰在边界上）：朝正确的方向推一把
                    w = w + eta * t[i] * X[i]
                    b = b + eta * t[i]
                    n_errors += 1
                    path.append(np.append(w, b))
            errors.append(n_errors)
            if n_errors == 0:
                self.converged_ = True
                break
        self.coef_, self.intercept_ = w[None, :], np.array([b])
        self.n_iter_ = len(errors)
        self.errors_per_epoch_ = np.array(errors)
        self.mistakes_ = int(sum(errors))
        self.path_ = np.array(path)
        return self

    def decision_function(self, X) -> np.ndarray:
        X = self._validate_X(X, "coef_")
        return X @ self.coef_[0] + self.intercept_[0]

    def predict(self, X) -> np.ndarray:
        scores = self.decision_function(X)
        return self.classes_[(scores > 0).astype(int)]


def max_margin(X, y) -> tuple[np.ndarray, float]:
    r"""增广坐标 :math:`\tilde{\mathbf x}=(\mathbf x,1)` 中过原点的最大间隔方向 :math:`\mathbf u`（单位向量）与间隔

    .. math:: \gamma=\min_i y_i\,\mathbf u^\top\tilde{\mathbf x}_i ,

    即硬间隔 SVM :math:`\min\|\mathbf v\|^2\ \text{s.t.}\ y_i\mathbf v^\top\tilde{\mathbf x}_i\ge1` 的解归一化，
    :math:`\gamma=1/\|\mathbf v\|`。数据线性不可分时抛出 ``ValueError``。
    """
    from scipy.optimize import minimize

    X, y = check_X_y(X, y, y_dtype=None)
    _, t = _signed_labels(y)
    Xa = np.hstack([X, np.ones((X.shape[0], 1))])
    if not is_linearly_separable(X, y):
        raise ValueError("the data are not linearly separable: no margin exists")
    A = t[:, None] * Xa
    v0 = np.linalg.lstsq(A, np.ones(len(t)), rcond=None)[0]
    res = minimize(
        lambda v: v @ v,
        v0 * 2,
        jac=lambda v: 2 * v,
        constraints=[{"type": "ineq", "fun": lambda v: A @ v - 1, "jac": lambda v: A}],
        method="SLSQP",
        options={"ftol": 1e-14, "maxiter": 500},
    )
    v = res.x
    u = v / np.linalg.norm(v)
    return u, float(np.min(A @ u))


def is_linearly_separable(X, y) -> bool:
    r"""是否存在 :math:`(\mathbf w,b)` 使 :math:`y_i(\mathbf w^\top\mathbf x_i+b)\ge1`
    对所有 :math:`i` 成立（线性规划可行性）。"""
    from scipy.optimize import linprog

    X, y = check_X_y(X, y, y_dtype=None)
    _, t = _signed_labels(y)
    Xa = np.hstack([X, np.ones((X.shape[0], 1))])
    res = linprog(
        np.zeros(Xa.shape[1]), A_ub=-(t[:, None] * Xa), b_ub=-np.ones(len(t)), bounds=[(None, None)] * Xa.shape[1]
    )
    return bool(res.status == 0)
