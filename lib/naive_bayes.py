r"""朴素贝叶斯分类器（概率图模型一章“sigmoid 信念网络与朴素贝叶斯”一节）：类别 :math:`y` 是唯一的父节点，
给定类别时各特征条件独立，

.. math:: \log p(y\mid\mathbf x)=\log p(y)+\sum_i\log p(x_i\mid y)-\log p(\mathbf x).

``BernoulliNB``     二值特征（先按 ``binarize`` 阈值二值化）：:math:`\hat p_{yi}=\frac{N_{yi}+\alpha}{N_y+2\alpha}`
``MultinomialNB``   计数特征：:math:`\hat\theta_{yi}=\frac{N_{yi}+\alpha}{\sum_jN_{yj}+\alpha d}`
                    （加性平滑，见 ``lib.prob.additive_smoothing``）

名字、超参数、属性与 scikit-learn 的 ``sklearn.naive_bayes`` 中的同名类相同（``class_count_``、``feature_count_``、
``class_log_prior_``、``feature_log_prob_``、``predict_joint_log_proba``……），结果与它相等。
"""

from __future__ import annotations

from numbers import Real

import numpy as np
from scipy.special import logsumexp
from sklearn.utils.validation import _check_sample_weight

from .base import BaseEstimator, ClassifierMixin, encode_labels, validate_data
from .utils import check_array, check_scalar

__all__ = ["BernoulliNB", "MultinomialNB"]


class _DiscreteNB(ClassifierMixin, BaseEstimator):
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # as in scikit-learn: binarised / count models need not reach the suite's accuracy bar on Gaussian blobs
        tags.classifier_tags.poor_score = True
        return tags

    def _check_hyper(self, n_classes: int) -> float:
        check_scalar(self.alpha, "alpha", Real, min_val=0)
        if not isinstance(self.fit_prior, (bool, np.bool_)):
            raise TypeError(f"fit_prior must be a bool, got {type(self.fit_prior).__name__}")
        if not isinstance(self.force_alpha, (bool, np.bool_)):
            raise TypeError(f"force_alpha must be a bool, got {type(self.force_alpha).__name__}")
        if self.class_prior is not None:
            prior = check_array(self.class_prior, "class_prior", ndim=1)
            if prior.shape != (n_classes,) or np.any(prior < 0) or not np.isclose(prior.sum(), 1.0):
                raise ValueError(f"class_prior must be a probability vector with one entry per class ({n_classes})")
        # scikit-learn: alpha below 1e-10 is raised to 1e-10 unless force_alpha is set
        return self.alpha if self.force_alpha or self.alpha >= 1e-10 else 1e-10

    def fit(self, X, y, sample_weight=None):
        X, y = validate_data(self, X, y, dtype=np.float64)
        X = self._prepare(X)
        self.classes_, codes = encode_labels(y, min_classes=1)
        K = self.classes_.shape[0]
        alpha = self._check_hyper(K)
        Y = np.eye(K)[codes]  # one-hot class indicators
        if sample_weight is not None:
            Y = Y * _check_sample_weight(sample_weight, X)[:, None]
        self.class_count_ = Y.sum(axis=0)
        self.feature_count_ = Y.T @ X  # N_{yi}: (weighted) sum of feature i over class y
        self._update_feature_log_prob(alpha)
        if self.class_prior is not None:
            self.class_log_prior_ = np.log(np.asarray(self.class_prior, dtype=float))
        elif self.fit_prior:
            with np.errstate(divide="ignore"):
                self.class_log_prior_ = np.log(self.class_count_) - np.log(self.class_count_.sum())
        else:
            self.class_log_prior_ = np.full(K, -np.log(K))
        self.n_features_in_ = X.shape[1]
        return self

    def predict_joint_log_proba(self, X) -> np.ndarray:
        r""":math:`\log p(y)+\log p(\mathbf x\mid y)`，每类一列。"""
        X = self._prepare(self._validate_X(X, "feature_log_prob_"))
        return self._joint_log_likelihood(X)

    def predict_log_proba(self, X) -> np.ndarray:
        jll = self.predict_joint_log_proba(X)
        return jll - logsumexp(jll, axis=1, keepdims=True)

    def predict_proba(self, X) -> np.ndarray:
        return np.exp(self.predict_log_proba(X))

    def predict(self, X) -> np.ndarray:
        jll = self.predict_joint_log_proba(X)
        return self.classes_[np.argmax(jll, axis=1)]


class BernoulliNB(_DiscreteNB):
    r"""伯努利朴素贝叶斯：:math:`\log p(\mathbf x\mid y)=\sum_i\bigl[x_i\log p_{yi}+(1-x_i)\log(1-p_{yi})\bigr]`。"""

    def __init__(self, *, alpha=1.0, force_alpha=True, binarize=0.0, fit_prior=True, class_prior=None):
        self.alpha = alpha
        self.force_alpha = force_alpha
        self.binarize = binarize
        self.fit_prior = fit_prior
        self.class_prior = class_prior

    def _prepare(self, X):
        if self.binarize is None:
            return X
        check_scalar(self.binarize, "binarize", Real)
        return (X > self.binarize).astype(np.float64)

    def _update_feature_log_prob(self, alpha):
        num = self.feature_count_ + alpha
        den = self.class_count_ + 2 * alpha
        with np.errstate(divide="ignore"):
            self.feature_log_prob_ = np.log(num) - np.log(den)[:, None]

    def _joint_log_likelihood(self, X):
        with np.errstate(divide="ignore", invalid="ignore"):
            neg = np.log1p(-np.exp(self.feature_log_prob_))  # log(1 - p_yi)
            jll = X @ (self.feature_log_prob_ - neg).T + neg.sum(axis=1)
        return jll + self.class_log_prior_


class MultinomialNB(_DiscreteNB):
    r"""多项式朴素贝叶斯（计数特征）：:math:`\log p(\mathbf x\mid y)=\sum_ix_i\log\theta_{yi}+\text{常数}`。"""

    def __init__(self, *, alpha=1.0, force_alpha=True, fit_prior=True, class_prior=None):
        self.alpha = alpha
        self.force_alpha = force_alpha
        self.fit_prior = fit_prior
        self.class_prior = class_prior

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        return tags

    def _prepare(self, X):
        if np.any(X < 0):
            raise ValueError("Negative values in data passed to MultinomialNB (input X): counts must be >= 0")
        return X

    def _update_feature_log_prob(self, alpha):
        smoothed = self.feature_count_ + alpha
        with np.errstate(divide="ignore", invalid="ignore"):
            self.feature_log_prob_ = np.log(smoothed) - np.log(smoothed.sum(axis=1, keepdims=True))

    def _joint_log_likelihood(self, X):
        return X @ self.feature_log_prob_.T + self.class_log_prior_
