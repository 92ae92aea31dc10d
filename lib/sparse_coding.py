r"""稀疏编码：用一个（往往是过完备的）字典 :math:`D` 的少数几列表示每个样本，:math:`\mathbf x\approx D\mathbf z`。

固定字典时，每个样本的编码是一个 Lasso 问题（目标与 ``sklearn.linear_model.Lasso(fit_intercept=False)`` 相同，
把 :math:`D` 当设计矩阵、:math:`\mathbf x` 当目标，:math:`p` 是 :math:`\mathbf x` 的维数）：

.. math:: \min_{\mathbf z}\ F(\mathbf z)=\frac1{2p}\lVert\mathbf x-D\mathbf z\rVert^2+\alpha\lVert\mathbf z\rVert_1 .

ISTA 是近端梯度法：对光滑部分走一步梯度（步长 :math:`1/L`，:math:`L=\lVert D\rVert_2^2/p` 是梯度的 Lipschitz 常数），
再对 L1 部分做软阈值；FISTA 在此之上加 Nesterov 外推，收敛速度从 :math:`O(1/k)` 提到 :math:`O(1/k^2)`
（Beck & Teboulle 2009）。软阈值用 ``lib.linear.soft_threshold``。

=======================  ==================================================================
``sparse_objective``     每个样本的 :math:`F(\mathbf z)`
``ista``                 近端梯度（所有样本一起，按行排列）
``fista``                加速的近端梯度
``learn_dictionary``     交替优化：FISTA 求编码，最小二乘更新字典并把每列（原子）归一化
=======================  ==================================================================
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np

from .linear import soft_threshold
from .utils import check_array, check_random_state, check_scalar

__all__ = ["sparse_objective", "ista", "fista", "learn_dictionary"]


def _check(D, X, alpha):
    D = check_array(D, "D", ndim=2)
    X = check_array(X, "X", ndim=(1, 2))
    single = X.ndim == 1
    X = np.atleast_2d(X)
    if X.shape[1] != D.shape[0]:
        raise ValueError(f"X must have {D.shape[0]} columns (the rows of D), got {X.shape[1]}")
    check_scalar(alpha, "alpha", Real, min_val=0)
    return D, X, single


def sparse_objective(D, X, Z, alpha: float) -> np.ndarray:
    r"""每个样本的目标值
    :math:`F(\mathbf z)=\frac1{2p}\lVert\mathbf x-D\mathbf z\rVert^2+\alpha\lVert\mathbf z\rVert_1`。"""
    D, X, _ = _check(D, X, alpha)
    Z = np.atleast_2d(check_array(Z, "Z", ndim=(1, 2)))
    if Z.shape != (X.shape[0], D.shape[1]):
        raise ValueError(f"Z must have shape {(X.shape[0], D.shape[1])}, got {Z.shape}")
    R = X - Z @ D.T
    return 0.5 * (R * R).sum(1) / D.shape[0] + alpha * np.abs(Z).sum(1)


def _prox_grad(D, X, alpha, n_iter, tol, Z0, accelerate):
    D, X, single = _check(D, X, alpha)
    check_scalar(n_iter, "n_iter", Integral, min_val=1)
    check_scalar(tol, "tol", Real, min_val=0)
    p = D.shape[0]
    L = np.linalg.norm(D, 2) ** 2 / p  # 梯度 D^T(Dz - x)/p 的 Lipschitz 常数
    Z = np.zeros((X.shape[0], D.shape[1])) if Z0 is None else np.atleast_2d(check_array(Z0, "Z0", ndim=(1, 2)))
    Y, t = Z.copy(), 1.0
    history = [sparse_objective(D, X, Z, alpha).sum()]
    for _ in range(n_iter):
        grad = (Y @ D.T - X) @ D / p
        Z_new = soft_threshold(Y - grad / L, alpha / L)
        if accelerate:  # Nesterov 外推
            t_new = 0.5 * (1 + np.sqrt(1 + 4 * t * t))
            Y = Z_new + (t - 1) / t_new * (Z_new - Z)
            t = t_new
        else:
            Y = Z_new
        step = np.abs(Z_new - Z).max()
        Z = Z_new
        history.append(sparse_objective(D, X, Z, alpha).sum())
        if step <= tol:
            break
    return (Z[0] if single else Z), np.array(history)


def ista(D, X, alpha: float, *, n_iter: int = 1000, tol: float = 0.0, Z0=None):
    """ISTA：:math:`\\mathbf z\\leftarrow S(\\mathbf z-\\nabla/L,\\ \\alpha/L)`。返回 (编码 Z, 每步的总目标值)。"""
    return _prox_grad(D, X, alpha, n_iter, tol, Z0, accelerate=False)


def fista(D, X, alpha: float, *, n_iter: int = 1000, tol: float = 0.0, Z0=None):
    """FISTA：在外推点 :math:`\\mathbf y` 上做 ISTA 的一步。返回 (编码 Z, 每步的总目标值)。"""
    return _prox_grad(D, X, alpha, n_iter, tol, Z0, accelerate=True)


def learn_dictionary(
    X, n_components: int, alpha: float, *, n_iter: int = 20, code_iter: int = 100, ridge: float = 1e-6, rng=None
):
    r"""交替优化 :math:`\sum_n\frac1{2p}\lVert\mathbf x_n-D\mathbf z_n\rVert^2+\alpha\lVert\mathbf z_n\rVert_1`，
    约束每个原子 :math:`\lVert\mathbf d_k\rVert=1`（否则把 :math:`D` 放大、:math:`Z` 缩小就能让惩罚任意小）。

    编码步：FISTA（热启动）；字典步：:math:`D=XZ^\top(ZZ^\top+\epsilon I)^{-1}` 后把每列归一化（没被用到的原子
    换成一个随机样本）。返回 (字典 D（p×k）、编码 Z（n×k）、每轮的目标值)。
    """
    X = check_array(X, "X", ndim=2)
    check_scalar(n_components, "n_components", Integral, min_val=1)
    check_scalar(alpha, "alpha", Real, min_val=0)
    check_scalar(n_iter, "n_iter", Integral, min_val=1)
    rng = check_random_state(rng)
    D = X[rng.choice(X.shape[0], n_components, replace=n_components > X.shape[0])].T.copy()
    D += 1e-3 * rng.normal(size=D.shape)
    D /= np.linalg.norm(D, axis=0, keepdims=True)
    Z, objective = None, []
    for _ in range(n_iter):
        Z, _ = fista(D, X, alpha, n_iter=code_iter, Z0=Z)
        G = Z.T @ Z + ridge * np.eye(n_components)
        D = np.linalg.solve(G, Z.T @ X).T
        norms = np.linalg.norm(D, axis=0)
        dead = norms < 1e-10
        if dead.any():
            D[:, dead] = X[rng.choice(X.shape[0], dead.sum())].T
            norms = np.linalg.norm(D, axis=0)
        D /= norms
        Z = Z * norms  # 保持 DZ 不变
        objective.append(sparse_objective(D, X, Z, alpha).sum())
    return D, Z, np.array(objective)
