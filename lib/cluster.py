r"""聚类（“K-means”一节）：K-means（Lloyd 算法）、三种初始化（含 k-means++）与软 K-means。

K-means 最小化每个点到其所属中心的距离平方和

.. math:: J(\mathbf r,\boldsymbol\mu)=\sum_{n=1}^N\sum_{k=1}^K r_{nk}\,\lVert\mathbf x_n-\boldsymbol\mu_k\rVert^2,
          \qquad \mathbf r_n\ \text{是独热向量},

交替做两步，每一步都不会让 :math:`J` 变大：固定中心，把每个点分给最近的中心；固定分配，把中心移到簇内均值。

软 K-means 把独热分配换成 :math:`r_{nk}\propto e^{-\beta\lVert\mathbf x_n-\boldsymbol\mu_k\rVert^2}`。它单调减小的目标是

.. math:: F_\beta(\boldsymbol\mu)=-\frac1\beta\sum_{n=1}^N
          \ln\sum_{k=1}^K e^{-\beta\lVert\mathbf x_n-\boldsymbol\mu_k\rVert^2},

即方差为 :math:`1/(2\beta)`、权重相等的各向同性高斯混合的负对数似然（差一个常数、乘以 :math:`1/\beta`）；
:math:`\beta\to\infty` 时 :math:`F_\beta\to J`。

=========================  ===============================================================
``squared_distances``       :math:`D_{nk}=\lVert\mathbf x_n-\boldsymbol\mu_k\rVert^2`
``assign_clusters``         最近中心的编号
``kmeans_objective``        :math:`J`
``init_centers``            初始化：``"random"``、``"furthest"``（最远点）、``"k-means++"``（:math:`D^2` 抽样）
``KMeans``                  K-means，接口同 ``sklearn.cluster.KMeans``，记录每半步的 :math:`J`
``soft_assign``             软分配 :math:`r_{nk}`（数值稳定的 softmax）
``soft_kmeans_objective``   :math:`F_\beta`
``SoftKMeans``              软 K-means，记录每一步的 :math:`F_\beta`
=========================  ===============================================================
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.base import ClassNamePrefixFeaturesOutMixin

from .base import BaseEstimator, ClusterMixin, TransformerMixin, validate_data
from .utils import check_array, check_option, check_random_state, check_scalar

__all__ = [
    "squared_distances",
    "assign_clusters",
    "kmeans_objective",
    "init_centers",
    "KMeans",
    "soft_assign",
    "soft_kmeans_objective",
    "SoftKMeans",
]

_INITS = ("k-means++", "random", "furthest")


def _check_centers(X: np.ndarray, centers, name: str = "centers") -> np.ndarray:
    centers = check_array(centers, name, ndim=2)
    if centers.shape[1] != X.shape[1]:
        raise ValueError(f"{name} must have {X.shape[1]} columns (one per feature of X), got {centers.shape[1]}")
    return centers


def squared_distances(X, centers) -> np.ndarray:
    r"""``(N, K)`` 矩阵 :math:`D_{nk}=\lVert\mathbf x_n-\boldsymbol\mu_k\rVert^2`，按
    :math:`\lVert\mathbf x\rVert^2-2\mathbf x^\top\boldsymbol\mu+\lVert\boldsymbol\mu\rVert^2` 计算
    （负的舍入误差截为 0）。"""
    X = check_array(X, "X", ndim=2)
    centers = _check_centers(X, centers)
    D = (X**2).sum(axis=1)[:, None] - 2.0 * X @ centers.T + (centers**2).sum(axis=1)[None, :]
    return np.maximum(D, 0.0)


def assign_clusters(X, centers) -> np.ndarray:
    """每个点最近的中心的编号（距离相同取编号小的）。"""
    return np.argmin(squared_distances(X, centers), axis=1)


def kmeans_objective(X, centers, labels=None) -> float:
    r"""K-means 的目标 :math:`J=\sum_n\lVert\mathbf x_n-\boldsymbol\mu_{c(n)}\rVert^2`；
    ``labels`` 省略时 :math:`c(n)` 取最近的中心。"""
    D = squared_distances(X, centers)
    if labels is None:
        return float(D.min(axis=1).sum())
    labels = check_array(labels, "labels", ndim=1, dtype=None)
    if labels.shape[0] != D.shape[0] or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be {D.shape[0]} integer cluster indices, got shape {labels.shape}")
    if labels.min() < 0 or labels.max() >= D.shape[1]:
        raise ValueError(f"labels must lie in [0, {D.shape[1]}), got range [{labels.min()}, {labels.max()}]")
    return float(D[np.arange(D.shape[0]), labels].sum())


def _check_n_clusters(n_clusters, n_samples: int) -> int:
    K = check_scalar(n_clusters, "n_clusters", Integral, min_val=1)
    if n_samples < K:
        raise ValueError(f"n_samples={n_samples} should be >= n_clusters={K}: each cluster needs a point to start from")
    return K


def init_centers(X, n_clusters: int, method: str = "k-means++", rng=None) -> np.ndarray:
    r"""选 ``n_clusters`` 个样本作为初始中心（讲义的三种做法）。

    * ``"random"``：均匀随机选（可能选到挨在一起的点）；
    * ``"furthest"``：第一个随机选，之后每次选离已有中心最远的点（确定性的，容易选中离群点）；
    * ``"k-means++"``：第一个随机选，之后按 :math:`P(\mathbf x)\propto D(\mathbf x)^2` 抽样，:math:`D(\mathbf x)` 是到
      最近已选中心的距离（Arthur & Vassilvitskii 2007：期望的 :math:`J` 不超过最优值的 :math:`8(\ln K+2)` 倍）。
    """
    X = check_array(X, "X", ndim=2)
    K = _check_n_clusters(n_clusters, X.shape[0])
    check_option(method, "method", _INITS)
    rng = check_random_state(rng)
    n = X.shape[0]
    if method == "random":
        return X[rng.choice(n, K, replace=False)].copy()
    idx = [int(rng.integers(n))]
    d2 = squared_distances(X, X[idx])[:, 0]
    for _ in range(1, K):
        if method == "furthest":
            nxt = int(np.argmax(d2))
        elif d2.sum() > 0:
            nxt = int(rng.choice(n, p=d2 / d2.sum()))
        else:  # every point coincides with a chosen centre
            nxt = int(rng.integers(n))
        idx.append(nxt)
        d2 = np.minimum(d2, squared_distances(X, X[[nxt]])[:, 0])
    return X[idx].copy()


class KMeans(ClassNamePrefixFeaturesOutMixin, TransformerMixin, ClusterMixin, BaseEstimator):
    r"""K-means（Lloyd 算法），接口同 ``sklearn.cluster.KMeans``（``fit``/``predict``/``transform``/``score``）。

    每次迭代：(1) 分配 :math:`r_{nk}=\mathbb 1[k=\arg\min_j\lVert\mathbf x_n-\boldsymbol\mu_j\rVert^2]`；
    (2) 更新 :math:`\boldsymbol\mu_k=\sum_nr_{nk}\mathbf x_n/\sum_nr_{nk}`。若某簇变空，把它的中心移到离自己中心
    最远的那个点（这只会让 :math:`J` 变小）。分配不再改变、或中心的总移动量（平方）不超过
    ``tol`` × 各特征方差的均值时停止（与 scikit-learn 相同），最后再分配一次，
    使 ``labels_`` 与 ``cluster_centers_`` 一致。
    ``n_init`` 次不同初始化中取 :math:`J` 最小的一次。

    Parameters
    ----------
    n_clusters : 簇数 :math:`K`。  init : ``"k-means++"``、``"random"``、``"furthest"`` 或 ``(K, d)`` 的初始中心数组。
    n_init : 初始化次数（``init`` 为数组时只做 1 次）。  max_iter : 最多迭代次数。  tol : 见上。
    random_state : 随机源。

    Attributes
    ----------
    cluster_centers_, labels_, inertia_ (:math:`J`), n_iter_,
    objective_history_ : 最佳那次运行中每半步之后的 :math:`J`（初始中心分配后、每次更新后、每次再分配后），单调不增。
    center_history_ : 最佳那次运行中每次更新前后的中心（第 0 个是初始中心）。
    """

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        init="k-means++",
        n_init: int = 10,
        max_iter: int = 300,
        tol: float = 1e-4,
        random_state=None,
    ):
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def _initial(self, X: np.ndarray, rng) -> np.ndarray:
        if isinstance(self.init, str):
            return init_centers(X, self.n_clusters, self.init, rng)
        centers = _check_centers(X, self.init, "init")
        if centers.shape[0] != self.n_clusters:
            raise ValueError(f"init must have n_clusters={self.n_clusters} rows, got {centers.shape[0]}")
        return centers.copy()

    def fit(self, X, y=None) -> KMeans:
        X = validate_data(self, X, dtype=np.float64)
        _check_n_clusters(self.n_clusters, X.shape[0])
        check_scalar(self.n_init, "n_init", Integral, min_val=1)
        check_scalar(self.max_iter, "max_iter", Integral, min_val=1)
        check_scalar(self.tol, "tol", Real, min_val=0)
        if isinstance(self.init, str) and self.init not in _INITS:
            raise ValueError(f"init must be one of {_INITS} or an array of centres, got {self.init!r}")
        rng = check_random_state(self.random_state, "random_state")
        tol = self.tol * float(np.mean(X.var(axis=0)))
        n_runs = self.n_init if isinstance(self.init, str) else 1
        best = None
        for _ in range(n_runs):
            run = self._lloyd(X, self._initial(X, rng), tol)
            if best is None or run[2] < best[2]:
                best = run
        (self.cluster_centers_, self.labels_, self.inertia_, self.n_iter_, history, centers) = best
        self.objective_history_ = np.array(history)
        self.center_history_ = centers
        return self

    @property
    def _n_features_out(self) -> int:
        """``transform`` 输出的列数（每个中心一列），``get_feature_names_out`` 用它给列命名。"""
        return self.cluster_centers_.shape[0]

    def _lloyd(self, X: np.ndarray, centers: np.ndarray, tol: float):
        history, center_history = [], [centers.copy()]
        D = squared_distances(X, centers)
        labels = np.argmin(D, axis=1)
        history.append(float(D[np.arange(len(X)), labels].sum()))
        n_iter = 0
        while n_iter < self.max_iter:
            n_iter += 1
            # update step: the mean of each cluster minimises sum ||x - mu||^2 over mu
            new = centers.copy()
            for k in range(self.n_clusters):
                members = labels == k
                if members.any():
                    new[k] = X[members].mean(axis=0)
                else:  # empty cluster: move it onto the point that is worst served by its centre
                    far = int(np.argmax(D[np.arange(len(X)), labels]))
                    new[k] = X[far]
                    labels[far] = k
                    D[far] = squared_distances(X[[far]], new)[0]
            shift = float(((new - centers) ** 2).sum())
            centers = new
            center_history.append(centers.copy())
            history.append(kmeans_objective(X, centers, labels))
            # assignment step
            D = squared_distances(X, centers)
            new_labels = np.argmin(D, axis=1)
            history.append(float(D[np.arange(len(X)), new_labels].sum()))
            converged = np.array_equal(new_labels, labels) or shift <= tol
            labels = new_labels
            if converged:
                break
        inertia = float(D[np.arange(len(X)), labels].sum())
        return centers, labels, inertia, n_iter, history, center_history

    def predict(self, X) -> np.ndarray:
        """最近中心的编号。"""
        return assign_clusters(self._validate_X(X, "cluster_centers_"), self.cluster_centers_)

    def transform(self, X) -> np.ndarray:
        """到各中心的（欧氏）距离，形状 ``(N, K)``。"""
        return np.sqrt(squared_distances(self._validate_X(X, "cluster_centers_"), self.cluster_centers_))

    def score(self, X, y=None) -> float:
        """:math:`-J`（越大越好，与 scikit-learn 相同）。"""
        return -kmeans_objective(self._validate_X(X, "cluster_centers_"), self.cluster_centers_)


def _logsumexp(A: np.ndarray, axis: int) -> np.ndarray:
    m = A.max(axis=axis, keepdims=True)
    return (m + np.log(np.exp(A - m).sum(axis=axis, keepdims=True))).squeeze(axis)


def soft_assign(X, centers, beta: float) -> np.ndarray:
    r"""软分配 :math:`r_{nk}=\dfrac{e^{-\beta D_{nk}}}{\sum_je^{-\beta D_{nj}}}`
    （先减去每行的最大值再取指数，避免下溢）。"""
    beta = check_scalar(beta, "beta", Real, min_val=0, include_min=False)
    A = -beta * squared_distances(X, centers)
    A -= A.max(axis=1, keepdims=True)
    R = np.exp(A)
    return R / R.sum(axis=1, keepdims=True)


def soft_kmeans_objective(X, centers, beta: float) -> float:
    r"""软 K-means 的目标
    :math:`F_\beta(\boldsymbol\mu)=-\frac1\beta\sum_n\ln\sum_ke^{-\beta\lVert\mathbf x_n-\boldsymbol\mu_k\rVert^2}`。"""
    beta = check_scalar(beta, "beta", Real, min_val=0, include_min=False)
    return float(-_logsumexp(-beta * squared_distances(X, centers), axis=1).sum() / beta)


class SoftKMeans(ClusterMixin, BaseEstimator):
    r"""软 K-means：分配 :math:`r_{nk}` 用 :func:`soft_assign`，
    中心 :math:`\boldsymbol\mu_k=\sum_nr_{nk}\mathbf x_n/\sum_nr_{nk}`。

    :math:`\beta` 是“硬度”：:math:`\beta\to0` 时每个点平均分给所有簇，所有中心都趋于全体数据的均值；
    :math:`\beta\to\infty` 时退化为 K-means。每一步都不会增大 :math:`F_\beta`（:func:`soft_kmeans_objective`），
    中心的总移动量（平方）不超过 ``tol`` × 各特征方差的均值时停止。初始化同 :class:`KMeans`。

    Attributes
    ----------
    cluster_centers_, responsibilities_ (:math:`r_{nk}`), labels_ (:math:`\arg\max_kr_{nk}`), n_iter_,
    objective_history_ : 初始中心与每次更新后的 :math:`F_\beta`，单调不增。
    """

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        beta: float = 1.0,
        init="k-means++",
        max_iter: int = 300,
        tol: float = 1e-12,
        random_state=None,
    ):
        self.n_clusters = n_clusters
        self.beta = beta
        self.init = init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def fit(self, X, y=None) -> SoftKMeans:
        X = validate_data(self, X, dtype=np.float64)
        check_scalar(self.beta, "beta", Real, min_val=0, include_min=False)
        check_scalar(self.max_iter, "max_iter", Integral, min_val=1)
        check_scalar(self.tol, "tol", Real, min_val=0)
        helper = KMeans(self.n_clusters, init=self.init)
        _check_n_clusters(self.n_clusters, X.shape[0])
        if isinstance(self.init, str) and self.init not in _INITS:
            raise ValueError(f"init must be one of {_INITS} or an array of centres, got {self.init!r}")
        centers = helper._initial(X, check_random_state(self.random_state, "random_state"))
        history = [soft_kmeans_objective(X, centers, self.beta)]
        tol = self.tol * float(np.mean(X.var(axis=0)))
        n_iter = 0
        while n_iter < self.max_iter:
            n_iter += 1
            R = soft_assign(X, centers, self.beta)
            new = (R.T @ X) / np.maximum(R.sum(axis=0), 1e-300)[:, None]
            shift = float(((new - centers) ** 2).sum())
            centers = new
            history.append(soft_kmeans_objective(X, centers, self.beta))
            if shift <= tol:
                break
        self.cluster_centers_ = centers
        self.responsibilities_ = soft_assign(X, centers, self.beta)
        self.labels_ = np.argmax(self.responsibilities_, axis=1)
        self.objective_history_ = np.array(history)
        self.n_iter_ = n_iter
        return self

    def predict_proba(self, X) -> np.ndarray:
        """软分配 :math:`r_{nk}`。"""
        return soft_assign(self._validate_X(X, "cluster_centers_"), self.cluster_centers_, self.beta)

    def predict(self, X) -> np.ndarray:
        return np.argmax(self.predict_proba(X), axis=1)
