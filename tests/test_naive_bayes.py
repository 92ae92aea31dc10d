"""lib.naive_bayes equals scikit-learn's BernoulliNB and MultinomialNB (check_estimator runs in test_sklearn_compat)."""

import numpy as np
import pytest
from sklearn import naive_bayes as sk
from sklearn.datasets import load_digits

from lib.naive_bayes import BernoulliNB, MultinomialNB

X, y = load_digits(return_X_y=True)


@pytest.mark.parametrize("kw", [{}, {"alpha": 0.3}, {"fit_prior": False}, {"class_prior": np.full(10, 0.1)}])
@pytest.mark.parametrize(
    "ours, ref, extra", [(BernoulliNB, sk.BernoulliNB, {"binarize": 7.5}), (MultinomialNB, sk.MultinomialNB, {})]
)
def test_equal_to_sklearn(ours, ref, extra, kw):
    a, b = ours(**extra, **kw).fit(X[:1200], y[:1200]), ref(**extra, **kw).fit(X[:1200], y[:1200])
    Xt = X[1200:]
    assert np.allclose(a.feature_log_prob_, b.feature_log_prob_, atol=1e-12)
    assert np.allclose(a.class_log_prior_, b.class_log_prior_, atol=1e-12)
    assert np.allclose(a.predict_joint_log_proba(Xt), b.predict_joint_log_proba(Xt), atol=1e-9)
    assert np.allclose(a.predict_proba(Xt), b.predict_proba(Xt), atol=1e-10)
    assert np.array_equal(a.predict(Xt), b.predict(Xt))


def test_sample_weight_equals_repetition():
    w = np.random.default_rng(0).integers(0, 3, 300)
    a = BernoulliNB(binarize=7.5).fit(X[:300], y[:300], sample_weight=w)
    b = BernoulliNB(binarize=7.5).fit(np.repeat(X[:300], w, axis=0), np.repeat(y[:300], w))
    assert np.allclose(a.feature_log_prob_, b.feature_log_prob_)


def test_bad_input():
    with pytest.raises(ValueError, match="Negative"):
        MultinomialNB().fit(-X[:20], y[:20])
    with pytest.raises(ValueError, match="alpha"):
        BernoulliNB(alpha=-1.0).fit(X[:20], y[:20])
    with pytest.raises(ValueError, match="class_prior"):
        BernoulliNB(class_prior=[0.5, 0.5]).fit(X[:50], y[:50])
    with pytest.raises(ValueError, match="features"):
        BernoulliNB().fit(X[:50], y[:50]).predict(X[:5, :10])
