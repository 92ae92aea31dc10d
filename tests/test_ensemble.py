"""lib.ensemble (chapter 9.3-9.4) against scipy, scikit-learn and the worked numbers of lecture L9 (seed-001 L9)."""

import math

import numpy as np
import pytest
from scipy.stats import binom
from sklearn import datasets
from sklearn import ensemble as skens
from sklearn import tree as sktree
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import train_test_split

import lib
from lib.ensemble import (
    AdaBoostClassifier,
    BaggingClassifier,
    DecisionStump,
    RandomForestClassifier,
    adaboost_alpha,
    bootstrap_exclusion_probability,
    bootstrap_indices,
    exponential_loss,
    majority_vote,
    majority_vote_accuracy,
)
from lib.tree import DecisionTreeClassifier


def split(name):
    if name == "moons":
        X, y = datasets.make_moons(300, noise=0.3, random_state=0)
    elif name == "cancer":
        X, y = datasets.load_breast_cancer(return_X_y=True)
    elif name == "wine":
        X, y = datasets.load_wine(return_X_y=True)
    else:
        X, y = datasets.make_classification(300, n_features=8, n_informative=5, random_state=3)
    X = X.astype(np.float32).astype(float)  # as scikit-learn's trees see it
    return train_test_split(X, y, test_size=0.3, random_state=0)


# ---------------------------------------------------------------------------------------------
# Bootstrap and voting (L9.1)
# ---------------------------------------------------------------------------------------------
def test_bootstrap_facts_of_the_notes():
    assert round(bootstrap_exclusion_probability(1000), 4) == 0.3677
    assert bootstrap_exclusion_probability(10**6) == pytest.approx(math.exp(-1), rel=1e-6)
    assert round(majority_vote_accuracy(25, 0.6), 4) == 0.8462
    assert majority_vote_accuracy(25, 0.6) == pytest.approx(binom.sf(12, 25, 0.6), rel=1e-12)
    assert majority_vote_accuracy(1, 0.6) == pytest.approx(0.6)
    assert majority_vote_accuracy(2, 0.6) == pytest.approx(0.36 + 0.5 * 0.48)  # a tie counts half
    assert majority_vote_accuracy(25, 0.4) < 0.4  # voting amplifies in both directions


def test_bootstrap_exclusion_by_simulation():
    rng = np.random.default_rng(0)
    n = 200
    missing = [np.setdiff1d(np.arange(n), bootstrap_indices(n, rng=rng)).size / n for _ in range(400)]
    assert np.mean(missing) == pytest.approx(bootstrap_exclusion_probability(n), abs=0.005)


def test_majority_vote():
    P = np.array([[0, 1, 2, 1], [0, 2, 2, 0], [1, 2, 0, 2]])
    np.testing.assert_array_equal(majority_vote(P), [0, 2, 2, 0])  # the last column ties: the first class
    np.testing.assert_array_equal(majority_vote(np.array([["a", "b"], ["b", "b"], ["a", "c"]])), ["a", "b"])
    with pytest.raises(ValueError, match="predictions must be 2-D"):
        majority_vote([0, 1])


# ---------------------------------------------------------------------------------------------
# Bagging and random forests against scikit-learn
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["moons", "cancer", "wine"])
def test_random_forest_matches_scikit_learn_accuracy(name):
    Xtr, Xte, ytr, yte = split(name)
    ours = RandomForestClassifier(60, oob_score=True, random_state=0).fit(Xtr, ytr)
    ref = skens.RandomForestClassifier(60, criterion="entropy", oob_score=True, random_state=0).fit(Xtr, ytr)
    assert ours.score(Xtr, ytr) >= 0.99 and ref.score(Xtr, ytr) >= 0.99
    assert abs(ours.score(Xte, yte) - ref.score(Xte, yte)) <= 0.04
    assert abs(ours.oob_score_ - ref.oob_score_) <= 0.04
    assert abs(ours.oob_score_ - ours.score(Xte, yte)) <= 0.08  # out-of-bag estimates test accuracy
    single = DecisionTreeClassifier().fit(Xtr, ytr).score(Xte, yte)
    assert ours.score(Xte, yte) >= single - 0.01


@pytest.mark.parametrize("name", ["moons", "classification"])
@pytest.mark.parametrize("voting", ["hard", "soft"])
def test_bagging_matches_scikit_learn_accuracy(name, voting):
    Xtr, Xte, ytr, yte = split(name)
    ours = BaggingClassifier(n_estimators=30, voting=voting, oob_score=True, random_state=1).fit(Xtr, ytr)
    ref = skens.BaggingClassifier(
        sktree.DecisionTreeClassifier(criterion="entropy"), n_estimators=30, oob_score=True, random_state=1
    ).fit(Xtr, ytr)
    assert abs(ours.score(Xte, yte) - ref.score(Xte, yte)) <= 0.05
    assert abs(ours.oob_score_ - ref.oob_score_) <= 0.05


def test_bagging_internals():
    Xtr, Xte, ytr, yte = split("moons")
    bag = BaggingClassifier(n_estimators=15, oob_score=True, random_state=0).fit(Xtr, ytr)
    n = len(ytr)
    for est, idx in zip(bag.estimators_, bag.estimators_samples_):
        assert len(idx) == n and est.score(Xtr[idx], ytr[idx]) == 1.0  # full trees fit their bootstrap sample
    # hard voting = majority_vote of the members' predictions
    votes = np.array([est.predict(Xte) for est in bag.estimators_])
    np.testing.assert_array_equal(bag.predict(Xte), majority_vote(votes, bag.classes_))
    # staged predictions end at the full ensemble
    *_, last = bag.staged_predict(Xte)
    np.testing.assert_array_equal(last, bag.predict(Xte))
    # out-of-bag: recomputed by hand for one sample
    i = 0
    oob_members = [est for est, idx in zip(bag.estimators_, bag.estimators_samples_) if i not in idx]
    frac = np.mean([est.predict(Xtr[[i]])[0] == 1 for est in oob_members])
    assert bag.oob_decision_function_[i, 1] == pytest.approx(frac)
    # a bootstrap sample without some class still votes with aligned columns
    tiny = BaggingClassifier(n_estimators=5, max_samples=3, random_state=0).fit(Xtr, ytr)
    np.testing.assert_allclose(tiny.predict_proba(Xte).sum(axis=1), 1.0)


def test_random_forest_trees_use_random_feature_subsets():
    Xtr, _, ytr, _ = split("cancer")
    rf = RandomForestClassifier(8, random_state=0).fit(Xtr, ytr)
    roots = {est.tree_.feature for est in rf.estimators_}
    assert len(roots) > 1  # with all features every bootstrap tree would tend to pick the same root
    assert all(est.max_features_ == 5 for est in rf.estimators_)  # floor(sqrt(30))
    again = RandomForestClassifier(8, random_state=0).fit(Xtr, ytr)
    np.testing.assert_array_equal(again.predict(Xtr), rf.predict(Xtr))  # reproducible


def test_bagging_errors():
    X, y = datasets.make_moons(50, random_state=0)
    with pytest.raises(ValueError, match="n_estimators must be >= 1"):
        BaggingClassifier(n_estimators=0).fit(X, y)
    with pytest.raises(ValueError, match="voting must be one of"):
        BaggingClassifier(voting="mean").fit(X, y)
    with pytest.raises(ValueError, match="oob_score=True requires bootstrap=True"):
        BaggingClassifier(bootstrap=False, oob_score=True).fit(X, y)
    with pytest.raises(ValueError, match="max_samples must be <= 1"):
        BaggingClassifier(max_samples=1.5).fit(X, y)
    with pytest.raises(NotFittedError, match="not fitted"):
        RandomForestClassifier().predict(X)
    rf = RandomForestClassifier(3).fit(X, y)
    with pytest.raises(ValueError, match="X has 1 features, but RandomForestClassifier is expecting 2 features"):
        rf.predict(X[:, :1])


# ---------------------------------------------------------------------------------------------
# AdaBoost (L9.2)
# ---------------------------------------------------------------------------------------------
def test_alpha_values_of_the_notes():
    assert round(adaboost_alpha(0.3), 4) == 0.4236  # slide: 0.42
    assert round(adaboost_alpha(0.21), 4) == 0.6625  # slide: 0.65
    assert round(adaboost_alpha(0.14), 4) == 0.9076  # slide: 0.92
    assert round(math.exp(adaboost_alpha(0.3)), 4) == 1.5275
    # the slide's 0.65 and 0.92 are the exact errors 3/14 and 3/22 of the classic example, not 0.21 and 0.14
    assert round(adaboost_alpha(3 / 14), 2) == 0.65 and round(adaboost_alpha(3 / 22), 2) == 0.92
    assert adaboost_alpha(0.5, n_classes=3) == pytest.approx(0.5 * math.log(2))


def test_adaboost_toy_reproduces_the_example():
    toy = lib.data.adaboost_toy()
    ada = AdaBoostClassifier(n_estimators=3).fit(toy.X, toy.y)
    np.testing.assert_allclose(ada.estimator_errors_, [3 / 10, 3 / 14, 3 / 22], rtol=1e-12)
    np.testing.assert_allclose(ada.estimator_weights_, [0.4236, 0.6496, 0.9229], atol=5e-5)
    assert list(ada.staged_score(toy.X, toy.y)) == [0.7, 0.7, 1.0]
    # after each reweighting the misclassified samples hold exactly half of the weight
    for k, h in enumerate(ada.estimators_):
        miss = h.predict(toy.X) != toy.y
        assert ada.sample_weight_history_[k + 1][miss].sum() == pytest.approx(0.5)
    # the weights are exp(-y F_k) normalised (the exponential-loss view)
    F = np.zeros(10)
    for k, F_k in enumerate(ada.staged_decision_function(toy.X)):
        w = np.exp(-toy.y * F_k)
        np.testing.assert_allclose(ada.sample_weight_history_[k + 1], w / w.sum(), rtol=1e-12)
        F = F_k
    # training error <= mean exponential loss = prod of 2 sqrt(eps (1 - eps))
    eps = ada.estimator_errors_
    bound = np.prod(2 * np.sqrt(eps * (1 - eps)))
    assert exponential_loss(toy.y.astype(float), F) == pytest.approx(bound, rel=1e-12)
    assert 1 - ada.score(toy.X, toy.y) <= bound


def test_alpha_minimises_the_exponential_loss_of_the_round():
    from scipy.optimize import minimize_scalar

    Xtr, _, ytr, _ = split("moons")
    y = np.where(ytr == 1, 1.0, -1.0)
    ada = AdaBoostClassifier(n_estimators=4).fit(Xtr, y)
    for k, h in enumerate(ada.estimators_):
        w = ada.sample_weight_history_[k]
        hx = h.predict(Xtr)
        loss = lambda a, w=w, hx=hx: np.sum(w * np.exp(-a * y * hx))  # noqa: E731
        best = minimize_scalar(loss, bounds=(-5, 5), method="bounded")
        assert ada.estimator_weights_[k] == pytest.approx(best.x, abs=1e-4)


@pytest.mark.parametrize("name", ["moons", "cancer", "wine", "classification"])
def test_adaboost_equals_scikit_learn_with_the_same_weak_learner(name):
    """scikit-learn's SAMME with depth-1 gini trees: identical ensemble, its weights are 2 alpha."""
    Xtr, Xte, ytr, yte = split(name)
    ours = AdaBoostClassifier(DecisionTreeClassifier(criterion="gini", max_depth=1), n_estimators=40).fit(Xtr, ytr)
    ref = skens.AdaBoostClassifier(n_estimators=40, random_state=0).fit(Xtr, ytr)
    k = len(ours.estimator_weights_)
    np.testing.assert_allclose(2 * ours.estimator_weights_, ref.estimator_weights_[:k], rtol=1e-9)
    np.testing.assert_allclose(ours.estimator_errors_, ref.estimator_errors_[:k], rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(ours.predict(Xte), ref.predict(Xte))
    if len(ours.classes_) == 2:
        np.testing.assert_allclose(
            ours.decision_function(Xte), ref.decision_function(Xte) * ours.estimator_weights_.sum() / 2, rtol=1e-9
        )


@pytest.mark.parametrize("name", ["moons", "cancer"])
def test_adaboost_with_error_minimising_stumps(name):
    Xtr, Xte, ytr, yte = split(name)
    ours = AdaBoostClassifier(n_estimators=100).fit(Xtr, ytr)
    ref = skens.AdaBoostClassifier(n_estimators=100, random_state=0).fit(Xtr, ytr)
    assert abs(ours.score(Xte, yte) - ref.score(Xte, yte)) <= 0.04
    errors = [1 - s for s in ours.staged_score(Xtr, ytr)]
    assert errors[-1] < errors[0]


def test_decision_stump_minimises_weighted_error():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = np.where(X[:, 1] + 0.3 * rng.normal(size=40) > 0, 1, -1)
    w = rng.uniform(0.1, 1.0, size=40)
    stump = DecisionStump().fit(X, y, sample_weight=w)
    best = np.inf
    for j in range(3):  # brute force over every threshold and both polarities
        for t in np.unique(X[:, j]):
            for s in (1, -1):
                best = min(best, w[np.where(X[:, j] <= t, s, -s) != y].sum() / w.sum())
    assert stump.weighted_error_ == pytest.approx(best)
    assert stump.feature_ == 1
    assert np.mean(stump.predict(X) != y) <= 0.3


def test_decision_stump_ignores_samples_of_zero_weight():
    X, y = datasets.make_moons(60, noise=0.3, random_state=1)
    w = np.random.default_rng(2).integers(0, 3, size=len(y))
    weighted = DecisionStump().fit(X, y, sample_weight=w)
    removed = DecisionStump().fit(X[w > 0], y[w > 0], sample_weight=w[w > 0])
    assert (weighted.feature_, weighted.threshold_) == (removed.feature_, removed.threshold_)
    np.testing.assert_array_equal(weighted.predict(X), removed.predict(X))


def test_ensembles_accept_what_their_base_estimator_accepts():
    from sklearn.utils import get_tags

    outlook = np.array(["sunny", "rain", "overcast", "rain", "sunny", "overcast"] * 3)[:, None]
    play = np.array(["no", "yes", "yes", "yes", "no", "yes"] * 3)
    for model in (BaggingClassifier(n_estimators=3), RandomForestClassifier(3, max_features=None)):
        assert get_tags(model).input_tags.string  # the default base estimator is a tree
        np.testing.assert_array_equal(model.fit(outlook, play).predict(outlook), play)
    assert not get_tags(AdaBoostClassifier()).input_tags.string  # decision stumps need numbers
    boosted = AdaBoostClassifier(DecisionTreeClassifier(max_depth=1), n_estimators=2)
    assert get_tags(boosted).input_tags.string
    np.testing.assert_array_equal(boosted.fit(outlook, play).predict(outlook), play)
    with pytest.raises(ValueError, match="could not convert string to float"):
        AdaBoostClassifier().fit(outlook, play)


def test_adaboost_errors():
    X, y = datasets.make_moons(40, random_state=0)
    with pytest.raises(ValueError, match="error must be < 1"):
        adaboost_alpha(1.0)
    with pytest.raises(ValueError, match="y must contain at least 2 classes, but it contains only one class"):
        AdaBoostClassifier().fit(X, np.zeros(40))
    with pytest.raises(ValueError, match="no better than chance"):
        AdaBoostClassifier().fit(np.zeros((4, 1)), [0, 1, 0, 1])
    with pytest.raises(ValueError, match="y must contain only -1 and \\+1"):
        exponential_loss([0.0, 1.0], [0.5, 0.5])
    with pytest.raises(ValueError, match="y and F must have the same length"):
        exponential_loss([1.0, -1.0], [0.5])
    with pytest.raises(NotFittedError, match="not fitted"):
        AdaBoostClassifier().predict(X)
    perfect = AdaBoostClassifier(n_estimators=10).fit(X[:, :1] * 0 + np.arange(40)[:, None], (np.arange(40) > 19))
    assert len(perfect.estimators_) == 1 and perfect.estimator_errors_[0] == 0.0  # stops after a perfect stump
