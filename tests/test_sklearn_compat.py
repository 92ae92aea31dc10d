"""Every estimator in lib is a scikit-learn estimator: scikit-learn's own conformance suite
(``sklearn.utils.estimator_checks.check_estimator``) runs on each of them, and they work inside ``Pipeline``,
``GridSearchCV`` and ``cross_val_score``.

The estimators are discovered, not listed: every public class defined in a module of ``lib`` that subclasses
``sklearn.base.BaseEstimator`` (as everything built on ``lib.base.BaseEstimator`` does) gets its own test, so a new
estimator is checked without editing this file. Two small registries, keyed by class name:

* ``CONSTRUCTOR_ARGS`` -- keyword arguments for estimators that cannot be built without arguments (meta-estimators)
  or whose defaults are needlessly slow on the checks' small data sets;
* ``EXPECTED_FAILURES`` -- ``{check name: reason}`` for a check that cannot pass for a stated reason, at most
  ``MAX_EXPECTED_FAILURES`` per estimator. An entry whose check passes is an error (the registry must not go stale);
* ``NOT_ARRAY_INPUT`` -- ``reason`` for an estimator whose input is not a 2-D array (its tags say
  ``two_d_array=False``, e.g. raw text documents): scikit-learn's suite runs no check on it, so this file runs the
  checks that need no data and the estimator's own tests must cover the rest.

One check, ``check_array_api_input``, only runs when SciPy was imported with ``SCIPY_ARRAY_API=1``; that setting
cannot change once SciPy is loaded, so scikit-learn skips it in this process and ``test_array_api_check`` runs it for
every estimator in a fresh interpreter with the variable set. Nothing is skipped on the whole.

``python tests/test_sklearn_compat.py`` prints the table of passed checks and expected failures per estimator.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import pkgutil
import subprocess
import sys
import time
from collections import Counter
from functools import partial

import numpy as np
import pytest
import sklearn.base
from sklearn.utils import estimator_checks, get_tags
from sklearn.utils.estimator_checks import check_estimator, estimator_checks_generator

import lib

MAX_EXPECTED_FAILURES = 3
ARRAY_API_CHECK = "check_array_api_input"

# Constructor arguments, with the reason for each.
CONSTRUCTOR_ARGS: dict[str, dict] = {
    # a meta-estimator: it needs the binary classifier it trains once per class
    "OneVsRestClassifier": {"estimator": lib.linear.LogisticRegression()},
    # 100 trees per fit (the default) only slows the suite down; 10 trees exercise the same code
    "RandomForestClassifier": {"n_estimators": 10},
}

# {class name: {check name: reason}}; empty when every check passes.
EXPECTED_FAILURES: dict[str, dict[str, str]] = {}

# {class name: reason} for estimators that take something other than a 2-D array (see the module docstring).
NOT_ARRAY_INPUT: dict[str, str] = {
    # like hmmlearn's: fit(X, lengths) takes integer symbol sequences laid end to end, not a feature matrix with y
    "CategoricalHMM": "takes integer symbol sequences (n, 1) plus lengths; tested in tests/test_hmm.py",
    "CountVectorizer": "takes raw text documents (an iterable of str); tests/test_text.py compares it to scikit-learn",
    "TfidfVectorizer": "takes raw text documents (an iterable of str); tests/test_text.py compares it to scikit-learn",
}

# scikit-learn's API checks that need no input data: the ones that still apply when the suite cannot run.
DATA_FREE_CHECKS = (
    "check_estimator_cloneable",
    "check_estimator_tags_renamed",
    "check_valid_tag_types",
    "check_estimator_repr",
    "check_no_attributes_set_in_init",
    "check_do_not_raise_errors_in_init_or_set_params",
    "check_mixin_order",
)


def lib_estimator_classes() -> dict[str, type]:
    """Every public scikit-learn estimator class defined in lib (``lib.base`` itself excluded), by class name."""
    found: dict[str, type] = {}
    for info in pkgutil.walk_packages(lib.__path__, "lib."):
        if any(part.startswith("_") for part in info.name.split(".")) or info.name == "lib.base":
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if (
                inspect.isclass(obj)
                and issubclass(obj, sklearn.base.BaseEstimator)
                and obj.__module__ == module.__name__
                and not name.startswith("_")
                and not inspect.isabstract(obj)
            ):
                if name in found and found[name] is not obj:
                    raise RuntimeError(f"two lib estimators are called {name}: {found[name]} and {obj}")
                found[name] = obj
    return dict(sorted(found.items()))


ESTIMATORS = lib_estimator_classes()


def make_estimator(name: str):
    return ESTIMATORS[name](**CONSTRUCTOR_ARGS.get(name, {}))


def _check_name(check) -> str:
    return check.func.__name__ if isinstance(check, partial) else check.__name__


def run_check_estimator(name: str) -> list[dict]:
    """scikit-learn's full suite (``legacy=True``: every check) on one lib estimator, in this process."""
    results = check_estimator(
        make_estimator(name), expected_failed_checks=EXPECTED_FAILURES.get(name), on_fail=None, on_skip=None
    )
    return [
        {
            "check": r["check_name"],
            "status": r["status"],
            "error": "" if r["exception"] is None else f"{type(r['exception']).__name__}: {r['exception']}",
        }
        for r in results
    ]


def run_array_api_check(names) -> dict[str, list[dict]]:
    """``check_array_api_input`` for each estimator; meaningful only in an interpreter with ``SCIPY_ARRAY_API=1``."""
    from sklearn.utils._testing import SkipTest

    out: dict[str, list[dict]] = {}
    for name in names:
        out[name] = []
        for estimator, check in estimator_checks_generator(make_estimator(name), legacy=True, mark=None):
            if _check_name(check) != ARRAY_API_CHECK:
                continue
            try:
                check(estimator)
                status, error = "passed", ""
            except SkipTest as exc:
                status, error = "skipped", f"SkipTest: {exc}"
            except Exception as exc:  # noqa: BLE001 - a failing check is a result to report
                status, error = "failed", f"{type(exc).__name__}: {exc}"
            out[name].append({"check": ARRAY_API_CHECK, "status": status, "error": error})
    return out


def array_api_results_in_subprocess(names) -> dict[str, list[dict]]:
    env = {**os.environ, "SCIPY_ARRAY_API": "1"}
    proc = subprocess.run(
        [sys.executable, __file__, "--array-api", *names], env=env, capture_output=True, text=True, timeout=600
    )
    if proc.returncode != 0:
        raise RuntimeError(f"the array-API run failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _describe(results) -> str:
    return "\n".join(f"  {r['check']}: {r['status']} -- {r['error'][:300]}" for r in results)


# ---------------------------------------------------------------------------------------------
# The registries
# ---------------------------------------------------------------------------------------------
def test_discovery_finds_the_estimators_of_chapters_4_to_10():
    expected = {
        "LinearRegression", "Ridge", "Lasso", "LogisticRegression", "OneVsRestClassifier", "SVC",
        "DecisionTreeClassifier", "BaggingClassifier", "RandomForestClassifier", "DecisionStump",
        "AdaBoostClassifier", "KMeans", "SoftKMeans", "PCA", "PolynomialFeatures", "GaussianFeatures",
        "SigmoidFeatures", "PolynomialRegression",
    }  # fmt: skip
    assert expected <= set(ESTIMATORS)
    for cls in ESTIMATORS.values():
        assert issubclass(cls, lib.base.BaseEstimator), f"{cls} should build on lib.base.BaseEstimator"


def test_registries_name_real_estimators_and_give_reasons():
    assert set(CONSTRUCTOR_ARGS) <= set(ESTIMATORS)
    assert set(EXPECTED_FAILURES) <= set(ESTIMATORS)
    assert set(NOT_ARRAY_INPUT) <= set(ESTIMATORS) and not set(NOT_ARRAY_INPUT) & set(EXPECTED_FAILURES)
    assert all(isinstance(r, str) and len(r) > 20 for r in NOT_ARRAY_INPUT.values())
    for name, reasons in EXPECTED_FAILURES.items():
        assert 1 <= len(reasons) <= MAX_EXPECTED_FAILURES, f"{name}: at most {MAX_EXPECTED_FAILURES} expected failures"
        assert all(isinstance(r, str) and len(r) > 20 for r in reasons.values()), f"{name}: state each reason"


# ---------------------------------------------------------------------------------------------
# scikit-learn's conformance suite on every lib estimator
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_check_estimator(name):
    if not get_tags(make_estimator(name)).input_tags.two_d_array:
        assert name in NOT_ARRAY_INPUT, (
            f"{name}'s tags say its input is not a 2-D array, so scikit-learn's suite cannot test it; "
            "add it to NOT_ARRAY_INPUT with the reason (and test its behaviour in its own test file)"
        )
        for check_name in DATA_FREE_CHECKS:
            getattr(estimator_checks, check_name)(name, make_estimator(name))
        return
    assert name not in NOT_ARRAY_INPUT, f"{name} takes 2-D arrays: remove it from NOT_ARRAY_INPUT"
    results = run_check_estimator(name)
    assert len(results) > 40, f"only {len(results)} checks ran for {name}"
    failed = [r for r in results if r["status"] == "failed"]
    assert not failed, f"{name} fails scikit-learn's checks:\n{_describe(failed)}"
    # the only check scikit-learn may skip here is the array-API one (run by test_array_api_check instead)
    skipped = [r for r in results if r["status"] == "skipped"]
    if os.environ.get("SCIPY_ARRAY_API") == "1":
        assert not skipped, f"skipped checks:\n{_describe(skipped)}"
    else:
        assert [r["check"] for r in skipped] == [ARRAY_API_CHECK], f"skipped checks:\n{_describe(skipped)}"
        assert "SCIPY_ARRAY_API is not set" in skipped[0]["error"]
    # every expected failure really fails, for the stated reason's check
    failing = {r["check"] for r in results if r["status"] == "xfail"}
    stale = set(EXPECTED_FAILURES.get(name, {})) - failing
    assert not stale, f"{name}: these checks now pass, remove them from EXPECTED_FAILURES: {sorted(stale)}"


def test_array_api_check():
    """``check_array_api_input`` (numpy inputs with array-API dispatch on) for every estimator, in a fresh
    interpreter started with ``SCIPY_ARRAY_API=1``."""
    names = [name for name in ESTIMATORS if name not in NOT_ARRAY_INPUT]
    results = array_api_results_in_subprocess(names)
    assert set(results) == set(names)
    for name, rs in results.items():
        assert rs, f"no array-API check was generated for {name}"
        assert all(r["status"] == "passed" for r in rs), f"{name}:\n{_describe(rs)}"


# ---------------------------------------------------------------------------------------------
# lib estimators inside scikit-learn's model-selection tools (chapter 7)
# ---------------------------------------------------------------------------------------------
def test_lib_pipeline_in_grid_search_matches_the_scikit_learn_pipeline():
    from sklearn.linear_model import Ridge as SkRidge
    from sklearn.model_selection import GridSearchCV, KFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import PolynomialFeatures as SkPolynomialFeatures
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=(60, 1))
    y = np.sin(3 * x[:, 0]) + 0.2 * rng.normal(size=60)
    grid = {"polynomialfeatures__degree": [1, 3, 5, 9], "ridge__alpha": [1e-3, 1e-1, 10.0]}
    cv = KFold(5, shuffle=True, random_state=0)
    ours = GridSearchCV(
        make_pipeline(lib.features.PolynomialFeatures(include_bias=False), StandardScaler(), lib.linear.Ridge()),
        grid,
        cv=cv,
        scoring="neg_mean_squared_error",
    ).fit(x, y)
    ref = GridSearchCV(
        make_pipeline(SkPolynomialFeatures(include_bias=False), StandardScaler(), SkRidge()),
        grid,
        cv=cv,
        scoring="neg_mean_squared_error",
    ).fit(x, y)
    assert ours.best_params_ == ref.best_params_
    np.testing.assert_allclose(ours.cv_results_["mean_test_score"], ref.cv_results_["mean_test_score"], rtol=1e-8)
    np.testing.assert_allclose(ours.predict(x), ref.predict(x), rtol=1e-8)
    assert isinstance(ours.best_estimator_[-1], lib.linear.Ridge)  # refitted on all data, a lib estimator


def test_lib_classifiers_in_cross_val_score_match_scikit_learn():
    from sklearn.datasets import load_iris
    from sklearn.model_selection import cross_val_score
    from sklearn.svm import SVC as SkSVC
    from sklearn.tree import DecisionTreeClassifier as SkTree

    X, y = load_iris(return_X_y=True)
    # a classifier gets stratified folds from scikit-learn, so both see the same splits
    ours = cross_val_score(lib.svm.SVC(C=1.0, tol=1e-7), X, y, cv=5)
    ref = cross_val_score(SkSVC(C=1.0, tol=1e-7), X, y, cv=5)
    np.testing.assert_array_equal(ours, ref)
    tree = cross_val_score(lib.tree.DecisionTreeClassifier(criterion="gini", max_depth=2), X, y, cv=5)
    np.testing.assert_array_equal(tree, cross_val_score(SkTree(max_depth=2), X, y, cv=5))


# ---------------------------------------------------------------------------------------------
# The table for the closing note: python tests/test_sklearn_compat.py
# ---------------------------------------------------------------------------------------------
def main() -> None:  # pragma: no cover - a report, run by hand
    if len(sys.argv) > 1 and sys.argv[1] == "--array-api":
        names = sys.argv[2:] or list(ESTIMATORS)
        print(json.dumps(run_array_api_check(names)))
        return
    rows, total = [], time.perf_counter()
    array_api = array_api_results_in_subprocess([name for name in ESTIMATORS if name not in NOT_ARRAY_INPUT])
    for name in ESTIMATORS:
        if name in NOT_ARRAY_INPUT:
            checks = f"{len(DATA_FREE_CHECKS)} data-free API checks"
            rows.append(f"| {name} | -- | {checks} | 0 | {NOT_ARRAY_INPUT[name]} | 0 | 0 | -- |")
            continue
        start = time.perf_counter()
        results = [r for r in run_check_estimator(name) if r["status"] != "skipped" or r["check"] != ARRAY_API_CHECK]
        results += array_api[name]
        seconds = time.perf_counter() - start
        counts = Counter(r["status"] for r in results)
        reasons = "; ".join(f"{c}: {why}" for c, why in EXPECTED_FAILURES.get(name, {}).items()) or "--"
        rows.append(
            f"| {name} | {len(results)} | {counts['passed']} | {counts['xfail']} | {reasons} | "
            f"{counts['failed']} | {counts['skipped']} | {seconds:.1f} |"
        )
    print("| estimator | checks | passed | expected failures | reasons | failed | skipped | seconds |")
    print("|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    print(f"\ntotal {time.perf_counter() - total:.1f} s (array-API check in a separate interpreter included)")


if __name__ == "__main__":  # pragma: no cover
    main()
