import numpy as np
import pytest
import sklearn.base
from sklearn.base import clone, is_classifier, is_clusterer, is_regressor
from sklearn.exceptions import ConvergenceWarning as SkConvergenceWarning
from sklearn.exceptions import NotFittedError

import lib
from lib.base import BaseEstimator, ClassifierMixin, ConvergenceWarning, RegressorMixin, encode_labels

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
def test_get_params_set_params_and_repr_come_from_scikit_learn(est):
    assert isinstance(est, sklearn.base.BaseEstimator)
    params = est.get_params()
    rebuilt = type(est)(**params)
    assert rebuilt.get_params() == params
    assert repr(rebuilt) == repr(est) and repr(est).startswith(type(est).__name__ + "(")
    name = next(iter(params))
    assert est.set_params(**{name: params[name]}) is est
    with pytest.raises(ValueError, match="Invalid parameter 'nonsense'"):
        est.set_params(nonsense=1)
    assert repr(clone(est)) == repr(est)


def test_repr_lists_only_the_changed_hyperparameters_as_scikit_learn_does():
    assert repr(lib.svm.SVC()) == "SVC()"
    assert repr(lib.svm.SVC(C=3.0, kernel="linear")) == "SVC(C=3.0, kernel='linear')"
    assert repr(lib.linear.OneVsRestClassifier(lib.linear.LogisticRegression(C=2.0))) == (
        "OneVsRestClassifier(estimator=LogisticRegression(C=2.0))"
    )
    # nested hyperparameters are reachable with scikit-learn's double underscore
    ovr = lib.linear.OneVsRestClassifier(lib.linear.LogisticRegression())
    assert ovr.get_params()["estimator__C"] == 1.0
    assert ovr.set_params(estimator__C=0.1).estimator.C == 0.1


def test_estimator_types_seen_by_scikit_learn():
    assert is_regressor(lib.linear.Ridge()) and is_regressor(lib.features.PolynomialRegression())
    assert is_classifier(lib.svm.SVC()) and is_classifier(lib.tree.DecisionTreeClassifier())
    assert is_classifier(lib.ensemble.BaggingClassifier()) and is_classifier(lib.ensemble.DecisionStump())
    assert is_clusterer(lib.cluster.KMeans()) and is_clusterer(lib.cluster.SoftKMeans())
    for transformer in (lib.decomposition.PCA(), lib.features.PolynomialFeatures(), lib.cluster.KMeans()):
        assert isinstance(transformer, sklearn.base.TransformerMixin)


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


def test_not_fitted_error_and_feature_checks_at_predict_time():
    X = np.random.default_rng(1).normal(size=(20, 3))
    model = lib.linear.Ridge()
    with pytest.raises(NotFittedError, match="this Ridge is not fitted yet"):
        model.predict(X)
    model.fit(X, X[:, 0])
    assert model.n_features_in_ == 3
    with pytest.raises(ValueError, match="X has 2 features, but Ridge is expecting 3 features as input"):
        model.predict(X[:, :2])
    with pytest.raises(ValueError, match="X has 2 features, but Ridge is expecting 3 features as input"):
        model._check_n_features(2)
    assert ConvergenceWarning is SkConvergenceWarning


def test_pandas_column_names_are_remembered_and_checked():
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "b": [1.0, 0.0, 1.0, 0.0]})
    model = lib.linear.LinearRegression().fit(X, [1.0, 2.0, 3.0, 4.0])
    np.testing.assert_array_equal(model.feature_names_in_, ["a", "b"])
    with pytest.raises(ValueError, match="The feature names should match those that were passed during fit"):
        model.predict(X.rename(columns={"a": "c"}))


def test_encode_labels():
    classes, codes = encode_labels(np.array(["b", "a", "b"]))
    np.testing.assert_array_equal(classes, ["a", "b"])
    np.testing.assert_array_equal(codes, [1, 0, 1])
    with pytest.raises(ValueError, match="only one class: 'a'"):
        encode_labels(np.array(["a", "a"]))
    with pytest.raises(ValueError, match="Unknown label type: continuous"):
        encode_labels(np.array([0.5, 1.5]))
    classes, _ = encode_labels(np.array([3, 3]), min_classes=1)
    np.testing.assert_array_equal(classes, [3])
