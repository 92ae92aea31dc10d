import numpy as np
import pytest
from sklearn.base import clone

import lib
from lib.base import BaseEstimator, ClassifierMixin, RegressorMixin

ESTIMATORS = [
    lib.linear.LinearRegression(),
    lib.linear.Ridge(alpha=2.0),
    lib.linear.Lasso(alpha=0.1),
    lib.linear.LogisticRegression(C=0.5),
    lib.svm.SVC(C=3.0, kernel="rbf"),
    lib.tree.DecisionTreeClassifier(max_depth=3),
    lib.ensemble.RandomForestClassifier(n_estimators=7),
    lib.ensemble.AdaBoostClassifier(n_estimators=5),
    lib.cluster.KMeans(n_clusters=4),
    lib.decomposition.PCA(n_components=2),
    lib.features.PolynomialFeatures(degree=3),
]


@pytest.mark.parametrize("est", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_get_params_set_params_and_repr_follow_the_init_signature(est):
    params = est.get_params()
    rebuilt = type(est)(**params)
    assert rebuilt.get_params() == params
    assert repr(rebuilt) == repr(est) and repr(est).startswith(type(est).__name__ + "(")
    name = next(iter(params))
    assert est.set_params(**{name: params[name]}) is est
    with pytest.raises(ValueError, match="invalid parameter 'nonsense'"):
        est.set_params(nonsense=1)
    # scikit-learn's clone only needs get_params and __init__, so our estimators can be cloned by it
    assert repr(clone(est, safe=False)) == repr(est)


def test_mixins_score_like_scikit_learn():
    assert issubclass(lib.linear.Ridge, RegressorMixin) and issubclass(lib.linear.LogisticRegression, ClassifierMixin)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    y = (X[:, 0] > 0).astype(int)
    clf = lib.linear.LogisticRegression().fit(X, y)
    assert clf.score(X, y) == pytest.approx(np.mean(clf.predict(X) == y))
    reg = lib.linear.Ridge(alpha=1.0).fit(X, X @ [1.0, -1.0])
    assert reg.score(X, X @ [1.0, -1.0]) > 0.99
    assert isinstance(reg, BaseEstimator)
