r"""线性链条件随机场（概率图模型一章“对数线性模型与条件随机场”一节）。

给定输入序列 :math:`\mathbf x_{1:T}`（每个时刻一个特征向量 :math:`\mathbf x_t\in\mathbb R^D`），标签序列的条件分布

.. math::

   p(\mathbf y\mid\mathbf x)=\frac{1}{Z(\mathbf x)}
   \exp\Bigl(\sum_{t=1}^T\mathbf w_{y_t}^\top\mathbf x_t+\sum_{t=2}^TA_{y_{t-1}y_t}\Bigr),

状态特征的权重 :math:`W\in\mathbb R^{K\times D}`，转移特征的权重 :math:`A\in\mathbb R^{K\times K}`。
节点得分 ``unary[t, k]`` :math:`=\mathbf w_k^\top\mathbf x_t`；链上的三个动态规划与 HMM 共用 ``lib.hmm`` 中的实现
（起始得分取 0）：

``crf_log_partition``   :math:`\log Z(\mathbf x)`，前向算法
``crf_marginals``       :math:`p(y_t\mid\mathbf x)` 与 :math:`p(y_{t-1},y_t\mid\mathbf x)`，前向–后向
``crf_viterbi``         :math:`\arg\max_{\mathbf y}p(\mathbf y\mid\mathbf x)`
``crf_nll_grad``        负对数似然及其梯度：对数似然的梯度 = 经验特征 − 模型下的期望特征
``LinearChainCRF``      用 L-BFGS 拟合（L2 正则 :math:`c_2\lVert\boldsymbol\theta\rVert^2`，同 CRFsuite），
                        ``predict`` 用维特比解码
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from scipy.optimize import minimize
from threadpoolctl import threadpool_limits

from .hmm import log_backward, log_forward, viterbi
from .utils import check_array, check_scalar

__all__ = ["crf_log_partition", "crf_marginals", "crf_viterbi", "crf_sequence_score", "crf_nll_grad", "LinearChainCRF"]


def _check_scores(unary, trans) -> tuple[np.ndarray, np.ndarray]:
    unary = check_array(unary, "unary", ndim=2)
    trans = check_array(trans, "trans", ndim=2)
    if trans.shape != (unary.shape[1], unary.shape[1]):
        raise ValueError(
            f"trans must have shape ({unary.shape[1]}, {unary.shape[1]}) to match unary, got {trans.shape}"
        )
    return unary, trans


def crf_log_partition(unary, trans) -> float:
    r""":math:`\log Z=\log\sum_{\mathbf y}\exp\bigl(\sum_tu_{ty_t}+\sum_tA_{y_{t-1}y_t}\bigr)`
    （:math:`u` 即 ``unary``，:math:`A` 即 ``trans``），前向算法。"""
    unary, trans = _check_scores(unary, trans)
    return log_forward(np.zeros(unary.shape[1]), trans, unary)[0]


def _forward_backward(unary, trans):
    """log Z, node marginals and edge marginals; ``unary`` is (T, K) or (N, T, K) for N sequences of equal length."""
    zero = np.zeros(unary.shape[-1])
    logZ, la = log_forward(zero, trans, unary)
    lb = log_backward(zero, trans, unary)
    lz = np.asarray(logZ)[..., None, None]
    node = np.exp(la + lb - lz)
    edge = np.exp(la[..., :-1, :, None] + trans + (unary[..., 1:, :] + lb[..., 1:, :])[..., None, :] - lz[..., None])
    return logZ, node, edge


def crf_marginals(unary, trans) -> tuple[np.ndarray, np.ndarray]:
    """节点边缘 (T, K) 与相邻标签对的边缘 (T-1, K, K)。"""
    unary, trans = _check_scores(unary, trans)
    return _forward_backward(unary, trans)[1:]


def crf_viterbi(unary, trans) -> tuple[float, np.ndarray]:
    """得分最高的标签序列与它的得分。"""
    unary, trans = _check_scores(unary, trans)
    return viterbi(np.zeros(unary.shape[1]), trans, unary)


def _check_labels(y, T: int, K: int, name: str = "y") -> np.ndarray:
    y = check_array(y, name, ndim=1, dtype=None)
    if not np.issubdtype(y.dtype, np.integer) or y.shape != (T,) or y.min() < 0 or y.max() >= K:
        raise ValueError(f"{name} must hold {T} integer labels in 0..{K - 1}, got {y!r}")
    return y.astype(np.int64)


def crf_sequence_score(unary, trans, y) -> float:
    """一条标签序列的得分（未归一化的对数概率）。"""
    unary, trans = _check_scores(unary, trans)
    y = _check_labels(y, *unary.shape)
    return float(unary[np.arange(len(y)), y].sum() + trans[y[:-1], y[1:]].sum())


def _check_data(X_seqs, y_seqs, K):
    if not isinstance(X_seqs, (list, tuple)) or len(X_seqs) == 0:
        raise TypeError("X must be a non-empty list of (T, D) arrays, one per sequence")
    X_seqs = [check_array(x, f"X[{i}]", ndim=2) for i, x in enumerate(X_seqs)]
    D = X_seqs[0].shape[1]
    if any(x.shape[1] != D for x in X_seqs):
        raise ValueError(f"every sequence in X must have {D} features")
    if y_seqs is None:
        return X_seqs, None
    if len(y_seqs) != len(X_seqs):
        raise ValueError(f"X and y must hold the same number of sequences, got {len(X_seqs)} and {len(y_seqs)}")
    return X_seqs, [
        _check_labels(y, x.shape[0], K, f"y[{i}]") for i, (x, y) in enumerate(zip(X_seqs, y_seqs, strict=True))
    ]


def crf_nll_grad(W, trans, X_seqs, y_seqs) -> tuple[float, np.ndarray, np.ndarray]:
    r"""所有序列的负对数似然 :math:`-\sum_n\log p(\mathbf y^{(n)}\mid\mathbf x^{(n)})`
    及其对 :math:`W`、:math:`A` 的梯度。

    :math:`\partial\log p/\partial\mathbf w_k=\sum_t\bigl(\mathbb 1[y_t=k]-p(y_t=k\mid\mathbf x)\bigr)\mathbf x_t`，
    :math:`\partial\log p/\partial A_{ij}=\sum_t\bigl(\mathbb 1[y_{t-1}=i,y_t=j]
    -p(y_{t-1}=i,y_t=j\mid\mathbf x)\bigr)`：
    经验特征减去期望特征。这里返回的是负号之后的梯度。"""
    W = check_array(W, "W", ndim=2)
    trans = check_array(trans, "trans", ndim=2)
    K = W.shape[0]
    X_seqs, y_seqs = _check_data(X_seqs, y_seqs, K)
    if y_seqs is None:
        raise ValueError("y must be given")
    nll, gW, gA = 0.0, np.zeros_like(W), np.zeros_like(trans)
    lengths = np.array([len(y) for y in y_seqs])
    for T in np.unique(lengths):
        idx = np.flatnonzero(lengths == T)
        x, y = np.stack([X_seqs[i] for i in idx]), np.stack([y_seqs[i] for i in idx])  # (N, T, D), (N, T)
        unary = x @ W.T
        logZ, node, edge = _forward_backward(unary, trans)
        score = np.take_along_axis(unary, y[..., None], axis=-1).sum() + trans[y[:, :-1], y[:, 1:]].sum()
        nll += float(np.sum(logZ)) - score
        emp_node = np.eye(K)[y]
        gW += np.einsum("ntk,ntd->kd", node - emp_node, x)  # expected minus empirical state features
        emp_edge = np.zeros((K, K))
        np.add.at(emp_edge, (y[:, :-1], y[:, 1:]), 1.0)
        gA += edge.sum(axis=(0, 1)) - emp_edge  # expected minus empirical transition features
    return nll, gW, gA


class LinearChainCRF:
    """线性链条件随机场：``fit(X, y)`` 中 ``X`` 是若干条 (T, D) 特征序列的列表，``y`` 是对应的标签序列（0..K-1）。

    目标 = 全部序列的负对数似然之和 + ``c2``·‖参数‖²（与 CRFsuite / sklearn-crfsuite 的 ``c2`` 同义、默认值同为 1），
    L-BFGS 最小化，梯度的最大分量小于 ``tol`` 时停止；最优点满足“期望特征 − 经验特征 = −2·c2·参数”。
    学到 ``state_weights_``（K×D）与 ``transition_weights_``（K×K）。
    """

    def __init__(self, n_states: int, *, c2: float = 1.0, max_iter: int = 200, tol: float = 1e-6):
        self.n_states = n_states
        self.c2 = c2
        self.max_iter = max_iter
        self.tol = tol

    def fit(self, X, y) -> LinearChainCRF:
        K = check_scalar(self.n_states, "n_states", Integral, min_val=2)
        check_scalar(self.c2, "c2", Real, min_val=0)
        check_scalar(self.max_iter, "max_iter", Integral, min_val=1)
        check_scalar(self.tol, "tol", Real, min_val=0)
        X, y = _check_data(X, y, K)
        D = X[0].shape[1]

        def objective(theta):
            W, A = theta[: K * D].reshape(K, D), theta[K * D :].reshape(K, K)
            nll, gW, gA = crf_nll_grad(W, A, X, y)
            # L2 term as in CRFsuite: c2 * |theta|^2, gradient 2 * c2 * theta
            return nll + self.c2 * theta @ theta, np.concatenate([gW.ravel(), gA.ravel()]) + 2 * self.c2 * theta

        # L-BFGS-B's updates act on vectors of only K*D + K*K entries: multithreaded BLAS adds nothing there but
        # thread start-up and contention (2-3x slower on a busy 2-core machine), so it runs single-threaded
        with threadpool_limits(limits=1, user_api="blas"):
            res = minimize(
                objective,
                np.zeros(K * D + K * K),
                jac=True,
                method="L-BFGS-B",
                options={"maxiter": self.max_iter, "gtol": self.tol, "ftol": 1e-15},
            )
        self.state_weights_ = res.x[: K * D].reshape(K, D)
        self.transition_weights_ = res.x[K * D :].reshape(K, K)
        self.n_iter_, self.objective_ = int(res.nit), float(res.fun)
        self.n_features_in_ = D
        return self

    def _unaries(self, X):
        if not hasattr(self, "state_weights_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("this LinearChainCRF is not fitted yet; call fit(X, y) first")
        X, _ = _check_data(X, None, self.n_states)
        if X[0].shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X[0].shape[1]} features, but the CRF was fitted with {self.n_features_in_}")
        return [x @ self.state_weights_.T for x in X]

    def predict(self, X) -> list[np.ndarray]:
        """每条序列的维特比标签序列。"""
        return [crf_viterbi(u, self.transition_weights_)[1] for u in self._unaries(X)]

    def predict_marginals(self, X) -> list[np.ndarray]:
        """每条序列的节点边缘 :math:`p(y_t=k\\mid\\mathbf x)`。"""
        return [crf_marginals(u, self.transition_weights_)[0] for u in self._unaries(X)]
