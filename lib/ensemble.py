r"""集成学习：Bagging、随机森林与 AdaBoost（“Bagging 与随机森林”“AdaBoost”两节）。

**Bagging**（bootstrap aggregating）从 :math:`N` 个训练样本中有放回地抽 :math:`N` 个，重复 :math:`K` 次，
在每份自助样本上训练一个基分类器，预测时多数投票。一个样本不出现在某份自助样本中的概率是
:math:`(1-1/N)^N\to e^{-1}\approx0.368`，这些“袋外”（out-of-bag）样本给出免费的验证集。
**随机森林** 在此之上让每个结点只在随机抽取的 ``max_features`` 个属性中找划分，使各棵树的错误更不相关。

**AdaBoost** 依次训练弱分类器 :math:`h_k`，每轮加大被分错样本的权重：

.. math:: \epsilon_k=\frac{\sum_n w_n\,\mathbb 1[h_k(\mathbf x_n)\ne y_n]}{\sum_n w_n},\qquad
          \alpha_k=\tfrac12\ln\frac{1-\epsilon_k}{\epsilon_k},\qquad
          w_n\leftarrow \frac{w_n\,e^{-\alpha_k y_n h_k(\mathbf x_n)}}{Z_k},

最终分类器是 :math:`H(\mathbf x)=\operatorname{sign}\sum_k\alpha_kh_k(\mathbf x)`。它等价于对指数损失
:math:`\frac1N\sum_n e^{-y_nF(\mathbf x_n)}` 做前向分步的贪心最小化（“AdaBoost”一节）。多类时用 SAMME 推广
:math:`\alpha_k=\tfrac12[\ln\frac{1-\epsilon_k}{\epsilon_k}+\ln(K-1)]`，两类时就是上式。

============================  ==================================================================
``bootstrap_indices``          一份自助样本的下标
``bootstrap_exclusion_probability``  :math:`(1-1/N)^N`：某个样本不在一份自助样本中的概率
``majority_vote``              按列多数投票
``majority_vote_accuracy``     :math:`K` 个独立、正确率为 :math:`p` 的投票者，多数票正确的概率
``BaggingClassifier``          Bagging，接口同 ``sklearn.ensemble.BaggingClassifier``，含袋外估计
``RandomForestClassifier``     随机森林，接口同 ``sklearn.ensemble.RandomForestClassifier``
``DecisionStump``              按加权错误率选出的单层决策树 :math:`\operatorname{sign}(\pm(x_j-b))`
``adaboost_alpha``             分类器权重 :math:`\alpha(\epsilon)`
``exponential_loss``           :math:`\frac1N\sum_n e^{-y_nF(\mathbf x_n)}`
``AdaBoostClassifier``         AdaBoost（SAMME），接口同 ``sklearn.ensemble.AdaBoostClassifier``
============================  ==================================================================

前六个属于“Bagging 与随机森林”一节，后四个属于“AdaBoost”一节。
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
from sklearn.base import clone
from sklearn.utils import get_tags
from sklearn.utils.validation import _check_sample_weight

from .base import BaseEstimator, ClassifierMixin, check_target, encode_labels, validate_data
from .metrics import accuracy_score
from .tree import DecisionTreeClassifier, _as_regular
from .utils import check_array, check_option, check_random_state, check_scalar, check_size

__all__ = [
    "bootstrap_indices",
    "bootstrap_exclusion_probability",
    "majority_vote",
    "majority_vote_accuracy",
    "BaggingClassifier",
    "RandomForestClassifier",
    "DecisionStump",
    "adaboost_alpha",
    "exponential_loss",
    "AdaBoostClassifier",
]

_VOTING = ("hard", "soft")


# ---------------------------------------------------------------------------------------------
# 9.3 自助采样与多数投票
# ---------------------------------------------------------------------------------------------
def bootstrap_indices(n: int, n_samples: int | None = None, rng=None) -> np.ndarray:
    """从 ``0..n-1`` 中有放回地均匀抽 ``n_samples``（默认 ``n``）个下标：一份自助样本。"""
    n = check_size(n, "n")
    n_samples = n if n_samples is None else check_size(n_samples, "n_samples")
    return check_random_state(rng).integers(0, n, size=n_samples)


def bootstrap_exclusion_probability(n: int) -> float:
    r"""某个样本不在大小为 :math:`n` 的自助样本中的概率 :math:`(1-1/n)^n`（:math:`n\to\infty` 时趋于 :math:`1/e`）。"""
    n = check_scalar(n, "n", Integral, min_val=1)
    return float(math.exp(n * math.log1p(-1.0 / n))) if n > 1 else 0.0


def majority_vote_accuracy(n_voters: int, p: float) -> float:
    r""":math:`K` 个相互独立、各自以概率 :math:`p` 投对的投票者，多数票正确的概率
    :math:`\sum_{k>K/2}\binom Kk p^k(1-p)^{K-k}`（:math:`K` 为偶数时平票按掷硬币算，计一半）。"""
    K = check_scalar(n_voters, "n_voters", Integral, min_val=1)
    p = check_scalar(p, "p", Real, min_val=0, max_val=1)
    total = 0.0
    for k in range(K + 1):
        prob = math.comb(K, k) * p**k * (1 - p) ** (K - k)
        if 2 * k > K:
            total += prob
        elif 2 * k == K:
            total += 0.5 * prob
    return float(total)


def majority_vote(predictions, classes=None) -> np.ndarray:
    """``predictions`` 形状 ``(K, n)``：K 个分类器对 n 个样本的预测；返回每列得票最多的类。

    平票时取 ``classes``（默认：出现过的类别，排序后）中靠前的类。
    """
    P = check_array(_as_regular(predictions, "predictions"), "predictions", ndim=2, dtype=None)
    classes = np.unique(P) if classes is None else np.asarray(classes)
    votes = np.stack([(P == c).sum(axis=0) for c in classes], axis=1)
    return classes[np.argmax(votes, axis=1)]


# ---------------------------------------------------------------------------------------------
# Bagging 与随机森林
# ---------------------------------------------------------------------------------------------
def _clone(estimator, random_state: int):
    """``estimator`` 的一个未拟合的副本（``sklearn.base.clone``）；它若有 ``random_state`` 超参数，就换成给定的种子。"""
    est = clone(estimator)
    if "random_state" in est.get_params(deep=False):
        est.set_params(random_state=random_state)
    return est


class _Ensemble(ClassifierMixin, BaseEstimator):
    """Bagging、随机森林与 AdaBoost 的共同部分：输入检查交给 scikit-learn 的 ``validate_data``，
    但保留字符串列（基分类器是决策树时，它们是类别属性）；接受哪些输入由基分类器的标签决定。"""

    def _base_estimator(self):
        raise NotImplementedError

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        base = self._base_estimator()
        if hasattr(base, "fit") and hasattr(base, "get_params"):  # 不合法的 estimator 由 fit 报错，这里用默认标签
            base_tags = get_tags(base)
            tags.input_tags.string = base_tags.input_tags.string
            tags.input_tags.categorical = base_tags.input_tags.categorical
        return tags

    def _validate_fit(self, X, y):
        base = self._base_estimator()
        if not (hasattr(base, "fit") and hasattr(base, "get_params")):  # 否则在 scikit-learn 的标签机制里才失败
            raise TypeError(
                f"estimator must be None or a classifier with fit and get_params, got {type(base).__name__} ({base!r})"
            )
        dtype = None if get_tags(self).input_tags.string else np.float64
        X, y = validate_data(self, X, y, dtype=dtype)
        self.classes_, _ = encode_labels(y)
        return X, y

    def _check_predict_X(self, X):
        return self._validate_X(X, "estimators_", dtype=None if get_tags(self).input_tags.string else np.float64)


class BaggingClassifier(_Ensemble):
    r"""Bagging 分类器，接口同 ``sklearn.ensemble.BaggingClassifier``。

    对 :math:`k=1,\dots,K`：抽一份自助样本 :math:`S_k`（``max_samples`` 个，``bootstrap=False`` 时不放回），
    在 :math:`S_k` 上训练 ``estimator`` 的一个副本。预测时 ``voting="hard"`` 多数投票（讲义的做法，平票取靠前的类），
    ``voting="soft"`` 平均各分类器的 ``predict_proba``（scikit-learn 的做法）。

    ``oob_score=True`` 时，每个训练样本只由 *没见过它* 的那些分类器投票，得到袋外准确率 ``oob_score_``，
    它近似于测试准确率而不需要另留数据。从未落在袋外的样本（:math:`K` 很小时才会有）不计入。

    Attributes
    ----------
    estimators_ : 训练好的基分类器。  estimators_samples_ : 每个分类器的训练下标。  classes_ : 类别。
    oob_decision_function_ : 袋外投票比例（或平均概率），从未落在袋外的行是 NaN。  oob_score_ : 袋外准确率。
    """

    def __init__(
        self,
        estimator=None,
        n_estimators: int = 10,
        *,
        max_samples: float = 1.0,
        bootstrap: bool = True,
        voting: str = "hard",
        oob_score: bool = False,
        random_state=None,
    ):
        self.estimator = estimator
        self.n_estimators = n_estimators
        self.max_samples = max_samples
        self.bootstrap = bootstrap
        self.voting = voting
        self.oob_score = oob_score
        self.random_state = random_state

    def _base_estimator(self):
        return DecisionTreeClassifier() if self.estimator is None else self.estimator

    def _max_samples(self):
        return self.max_samples

    def _check_params(self, n: int) -> int:
        check_scalar(self.n_estimators, "n_estimators", Integral, min_val=1)
        check_option(self.voting, "voting", _VOTING)
        check_scalar(self.bootstrap, "bootstrap", bool)
        check_scalar(self.oob_score, "oob_score", bool)
        if self.oob_score and not self.bootstrap:
            raise ValueError("oob_score=True requires bootstrap=True (without replacement nothing is left out)")
        max_samples = self._max_samples()
        if isinstance(max_samples, Integral) and not isinstance(max_samples, bool):
            return int(check_scalar(max_samples, "max_samples", Integral, min_val=1, max_val=n))
        check_scalar(max_samples, "max_samples", Real, min_val=0, max_val=1, include_min=False)
        return max(1, int(round(max_samples * n)))

    def fit(self, X, y) -> BaggingClassifier:
        X, y = self._validate_fit(X, y)
        n = X.shape[0]
        n_draw = self._check_params(n)
        rng = check_random_state(self.random_state, "random_state")
        base = self._base_estimator()
        self.estimators_, self.estimators_samples_ = [], []
        for _ in range(self.n_estimators):
            idx = rng.integers(0, n, n_draw) if self.bootstrap else rng.choice(n, n_draw, replace=False)
            est = _clone(base, int(rng.integers(2**31)))
            est.fit(X[idx], y[idx])
            self.estimators_.append(est)
            self.estimators_samples_.append(idx)
        if self.oob_score:
            self._compute_oob(X, y)
        return self

    # Each estimator's contribution as an (n, C) array aligned with self.classes_:
    # a one-hot vote (hard) or its predict_proba (soft). A bootstrap sample can miss a class.
    def _contribution(self, est, X) -> np.ndarray:
        C = len(self.classes_)
        out = np.zeros((X.shape[0], C))
        cols = np.searchsorted(self.classes_, est.classes_)
        if self.voting == "soft":
            out[:, cols] = est.predict_proba(X)
        else:
            pred = est.predict(X)
            out[np.arange(X.shape[0]), np.searchsorted(self.classes_, pred)] = 1.0
        return out

    def _compute_oob(self, X, y) -> None:
        n, C = X.shape[0], len(self.classes_)
        total = np.zeros((n, C))
        for est, idx in zip(self.estimators_, self.estimators_samples_):
            oob = np.ones(n, dtype=bool)
            oob[idx] = False
            if oob.any():
                total[oob] += self._contribution(est, X[oob])
        counts = total.sum(axis=1, keepdims=True)
        seen = counts[:, 0] > 0
        with np.errstate(invalid="ignore", divide="ignore"):
            self.oob_decision_function_ = np.where(counts > 0, total / counts, np.nan)
        pred = self.classes_[np.argmax(total[seen], axis=1)]
        self.oob_score_ = accuracy_score(y[seen], pred)

    def _aggregate(self, X, n_estimators: int | None = None) -> np.ndarray:
        X = self._check_predict_X(X)
        ests = self.estimators_[: n_estimators or len(self.estimators_)]
        return sum(self._contribution(est, X) for est in ests) / len(ests)

    def predict_proba(self, X) -> np.ndarray:
        """各类别的得票比例（hard）或平均概率（soft）。"""
        return self._aggregate(X)

    def predict(self, X) -> np.ndarray:
        scores = self._aggregate(X)  # checks that the ensemble is fitted
        return self.classes_[np.argmax(scores, axis=1)]

    def staged_predict(self, X):
        """依次给出只用前 1、2、……、K 个分类器时的预测（画“准确率–分类器个数”曲线用）。"""
        X = self._check_predict_X(X)
        total = np.zeros((X.shape[0], len(self.classes_)))
        for est in self.estimators_:
            total += self._contribution(est, X)
            yield self.classes_[np.argmax(total, axis=1)]


class RandomForestClassifier(BaggingClassifier):
    r"""随机森林（Breiman 2001），接口同 ``sklearn.ensemble.RandomForestClassifier``。

    就是以 :class:`~lib.tree.DecisionTreeClassifier` 为基分类器的 Bagging，但每棵树在 *每个结点*
    只从随机抽取的 ``max_features`` 个属性里找划分（默认 :math:`\sqrt d`）。这份额外的随机性让各棵树的错误
    相关性变小，投票才更有用。树默认长满、不剪枝。默认多数投票（Breiman 的原始做法）；
    scikit-learn 平均概率，对应 ``voting="soft"``。
    """

    def __init__(
        self,
        n_estimators: int = 100,
        *,
        criterion: str = "entropy",
        max_depth: int | None = None,
        min_samples_leaf: int = 1,
        max_features="sqrt",
        bootstrap: bool = True,
        voting: str = "hard",
        oob_score: bool = False,
        random_state=None,
    ):
        self.n_estimators = n_estimators
        self.bootstrap = bootstrap
        self.voting = voting
        self.oob_score = oob_score
        self.random_state = random_state
        self.criterion = criterion
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.max_features = max_features

    def _max_samples(self):
        return 1.0  # every tree sees a bootstrap sample of size N

    def _base_estimator(self):
        return DecisionTreeClassifier(
            criterion=self.criterion,
            max_depth=self.max_depth,
            min_samples_leaf=self.min_samples_leaf,
            max_features=self.max_features,
        )


# ---------------------------------------------------------------------------------------------
# 9.4 AdaBoost
# ---------------------------------------------------------------------------------------------
class DecisionStump(ClassifierMixin, BaseEstimator):
    r"""决策桩：只有一次划分的树 :math:`h(\mathbf x)=a` 若 :math:`x_j\le b`，否则 :math:`c`。

    与按信息增益划分的深度 1 的树不同，它直接选 **加权错误率** 最小的 :math:`(j,b,a,c)`——这正是 AdaBoost
    每一轮要的弱分类器。对每个属性排序后累加类别权重，一次算出所有阈值的错误率；左右两边各预测其中权重最大的类。
    并列时取编号最小的属性、最小的阈值。只接受数值属性。
    """

    def fit(self, X, y, sample_weight=None) -> DecisionStump:
        X, y = validate_data(self, X, y, dtype=np.float64)
        w = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
        self.classes_, y_enc = encode_labels(y, min_classes=1)
        keep = w > 0  # a sample of weight 0 is as good as absent: it must not place a threshold
        X, y_enc, w = X[keep], y_enc[keep], w[keep]
        n, d = X.shape
        C = len(self.classes_)
        Yw = np.zeros((n, C))
        Yw[np.arange(n), y_enc] = w
        total = Yw.sum(axis=0)
        # The constant classifier (no split) is the fallback.
        best_err, self.feature_, self.threshold_ = total.sum() - total.max(), 0, np.inf
        left_c = right_c = int(np.argmax(total))
        order = np.argsort(X, axis=0, kind="stable")
        xs = np.take_along_axis(X, order, axis=0)
        left = np.cumsum(Yw[order], axis=0)[:-1]  # (n-1, d, C)
        right = total - left
        err = (left.sum(-1) - left.max(-1)) + (right.sum(-1) - right.max(-1))
        err = np.where(xs[1:] > xs[:-1], err, np.inf)  # only between distinct values
        if np.isfinite(err).any():
            # ties (up to round-off) go to the smallest feature index, then the smallest threshold
            ties = np.flatnonzero(err.T.ravel() <= err.min() + 1e-12 * total.sum())
            j, i = np.unravel_index(ties[0], err.T.shape)
            if err[i, j] < best_err - 1e-12 * total.sum():
                best_err, self.feature_ = err[i, j], int(j)
                self.threshold_ = float(xs[i, j] / 2.0 + xs[i + 1, j] / 2.0)
                left_c, right_c = int(np.argmax(left[i, j])), int(np.argmax(right[i, j]))
        self.left_class_, self.right_class_ = self.classes_[left_c], self.classes_[right_c]
        self.weighted_error_ = float(best_err / total.sum())
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = True  # one split: with three classes in a row, one of them is always lost
        return tags

    def predict(self, X) -> np.ndarray:
        X = self._validate_X(X, "feature_")
        return np.where(X[:, self.feature_] <= self.threshold_, self.left_class_, self.right_class_)


def adaboost_alpha(error: float, n_classes: int = 2) -> float:
    r"""分类器权重 :math:`\alpha=\tfrac12\ln\frac{1-\epsilon}{\epsilon}`
    （多类 SAMME 再加 :math:`\tfrac12\ln(K-1)`）。"""
    error = check_scalar(error, "error", Real, min_val=0, max_val=1, include_min=False, include_max=False)
    K = check_scalar(n_classes, "n_classes", Integral, min_val=2)
    return 0.5 * (math.log((1.0 - error) / error) + math.log(K - 1))


def exponential_loss(y, F) -> float:
    r"""指数损失 :math:`\frac1N\sum_n e^{-y_nF(\mathbf x_n)}`，``y`` 取 :math:`\pm1`，``F`` 是加权投票的实数得分。

    它是 0-1 损失 :math:`\mathbb 1[y_nF(\mathbf x_n)\le0]` 的上界，所以也是训练错误率的上界。
    """
    y = check_array(y, "y", ndim=1)
    F = check_array(F, "F", ndim=1)
    if y.shape != F.shape:
        raise ValueError(f"y and F must have the same length, got {y.shape[0]} and {F.shape[0]}")
    if not np.all(np.abs(y) == 1):
        raise ValueError(f"y must contain only -1 and +1, got values {np.unique(y)[:5].tolist()}")
    return float(np.mean(np.exp(-y * F)))


class AdaBoostClassifier(_Ensemble):
    r"""AdaBoost，接口同 ``sklearn.ensemble.AdaBoostClassifier``（算法 SAMME；两类时就是讲义中的离散 AdaBoost）。

    1. 样本权重 :math:`w_n=1/N`；
    2. 第 :math:`k` 轮用当前权重训练弱分类器 :math:`h_k`（``estimator`` 的 ``fit`` 须接受 ``sample_weight``），
       算加权错误率 :math:`\epsilon_k` 与权重 :math:`\alpha_k`（:func:`adaboost_alpha`）；
    3. 两类（:math:`y,h\in\{-1,+1\}`）：:math:`w_n\leftarrow w_ne^{-\alpha_ky_nh_k(\mathbf x_n)}`；
       多类：:math:`w_n\leftarrow w_ne^{2\alpha_k\mathbb 1[h_k(\mathbf x_n)\ne y_n]}`（两类时与前者只差一个公共因子）；
       然后归一化使 :math:`\sum_nw_n=1`；
    4. 预测 :math:`\arg\max_c\sum_k\alpha_k\mathbb 1[h_k(\mathbf x)=c]`，
       两类时即 :math:`\operatorname{sign}\sum_k\alpha_kh_k(\mathbf x)`。

    :math:`\epsilon_k\ge1-1/K`（不比随机猜好）时停止（第一轮就这样则报错）；:math:`\epsilon_k=0` 时这个分类器已经全对，
    以 :math:`\epsilon=10^{-10}` 计其权重后停止。scikit-learn 的 ``estimator_weights_``
    是这里的 2 倍（它把 :math:`\tfrac12` 并进了学习率），预测完全相同。

    Attributes
    ----------
    estimators_, estimator_weights_ (:math:`\alpha_k`), estimator_errors_ (:math:`\epsilon_k`), classes_,
    sample_weight_history_ : 形状 ``(轮数 + 1, N)``，第 :math:`k` 行是训练第 :math:`k+1` 个弱分类器时的归一化权重，
    最后一行是训练结束后的权重。
    """

    def __init__(self, estimator=None, n_estimators: int = 50, random_state=None):
        self.estimator = estimator
        self.n_estimators = n_estimators
        self.random_state = random_state

    def _base_estimator(self):
        return DecisionStump() if self.estimator is None else self.estimator

    def fit(self, X, y) -> AdaBoostClassifier:
        check_scalar(self.n_estimators, "n_estimators", Integral, min_val=1)
        X, y = self._validate_fit(X, y)
        rng = check_random_state(self.random_state, "random_state")
        base = self._base_estimator()
        K = len(self.classes_)
        n = X.shape[0]
        w = np.full(n, 1.0 / n)
        self.estimators_, alphas, errors, history = [], [], [], [w.copy()]
        for k in range(self.n_estimators):
            h = _clone(base, int(rng.integers(2**31))).fit(X, y, sample_weight=w)
            miss = h.predict(X) != y
            eps = float(w[miss].sum() / w.sum())
            if eps >= 1.0 - 1.0 / K:
                if k == 0:
                    raise ValueError(
                        f"the first weak learner has weighted error {eps:.4f} >= {1 - 1 / K:.4f} "
                        "(no better than chance); AdaBoost cannot start"
                    )
                break
            perfect = eps <= 0.0
            alpha = adaboost_alpha(max(eps, 1e-10), K)
            self.estimators_.append(h)
            alphas.append(alpha)
            errors.append(eps)
            if K == 2:  # the book's form with labels y, h in {-1, +1}
                y_pm = np.where(y == self.classes_[1], 1.0, -1.0)
                h_pm = np.where(miss, -y_pm, y_pm)
                w = w * np.exp(-alpha * y_pm * h_pm)
            else:
                w = w * np.exp(2.0 * alpha * miss)
            w = w / w.sum()
            history.append(w.copy())
            if perfect:
                break
        self.estimator_weights_ = np.array(alphas)
        self.estimator_errors_ = np.array(errors)
        self.sample_weight_history_ = np.array(history)
        return self

    def staged_decision_function(self, X):
        r"""依次给出前 :math:`k` 轮的得分：两类时是 :math:`F_k(\mathbf x)=\sum_{i\le k}\alpha_ih_i(\mathbf x)`（正数投给
        ``classes_[1]``），多类时是每类的 :math:`\sum_{i\le k}\alpha_i\mathbb 1[h_i(\mathbf x)=c]`。"""
        X = self._check_predict_X(X)
        K = len(self.classes_)
        scores = np.zeros((X.shape[0], K))
        for h, alpha in zip(self.estimators_, self.estimator_weights_):
            pred = h.predict(X)
            scores[np.arange(X.shape[0]), np.searchsorted(self.classes_, pred)] += alpha
            yield scores[:, 1] - scores[:, 0] if K == 2 else scores.copy()

    def decision_function(self, X) -> np.ndarray:
        """最终得分（见 :meth:`staged_decision_function`）。"""
        *_, last = self.staged_decision_function(X)
        return last

    def _label(self, F: np.ndarray) -> np.ndarray:
        if F.ndim == 1:
            return self.classes_[(F > 0).astype(int)]
        return self.classes_[np.argmax(F, axis=1)]

    def predict(self, X) -> np.ndarray:
        return self._label(self.decision_function(X))

    def staged_predict(self, X):
        for F in self.staged_decision_function(X):
            yield self._label(F)

    def staged_score(self, X, y):
        y = check_target(_as_regular(y, "y"))
        for pred in self.staged_predict(X):
            yield accuracy_score(check_target(y, pred.shape[0]), pred)
