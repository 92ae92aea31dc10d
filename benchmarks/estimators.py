"""lib's classic estimators against their scikit-learn counterparts: quality and fit time on one dataset each.

This script measures; it is not a timed test (the agreement itself is asserted, with tolerances, in tests/).

  python benchmarks/estimators.py            # prints a Markdown table, writes lib/results/estimators-<device>.json

For every estimator of the chapters from linear regression (线性回归) to clustering and dimensionality reduction
(聚类与降维) that has a scikit-learn counterpart, both are fitted with the same hyper-parameters on one bundled
dataset (scikit-learn's diabetes, breast-cancer or digits; no downloads) and
compared on what the two should agree on: the objective value or the coefficients for convex problems, held-out
accuracy for the randomised or greedy learners (trees, forests, boosting), inertia for K-means, explained
variance for PCA. Fit time is the fastest of `--repeat` fits (time.perf_counter, one thread).
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import time

import numpy as np
from sklearn import cluster as skcluster
from sklearn import datasets
from sklearn import decomposition as skdecomp
from sklearn import ensemble as skens
from sklearn import linear_model as sklm
from sklearn import svm as sksvm
from sklearn import tree as sktree
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import lib  # noqa: E402


def fit_time(make, X, y, repeat):
    """Fit a fresh estimator `repeat` times; return the last fitted one and the fastest time in seconds."""
    best, est = np.inf, None
    for _ in range(repeat):
        est = make()
        t0 = time.perf_counter()
        est.fit(X) if y is None else est.fit(X, y)
        best = min(best, time.perf_counter() - t0)
    return est, best


def standardised_split(X, y, seed=0):
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, random_state=seed, stratify=y)
    scaler = StandardScaler().fit(Xtr)
    return scaler.transform(Xtr), scaler.transform(Xte), ytr, yte


def logistic_objective(est, X, y, C):
    """C · Σ log-loss + ½‖w‖² (scikit-learn's scaling) of a fitted binary model (0/1 labels), via lib.linear."""
    w = np.ravel(est.coef_)
    theta = np.concatenate([np.ravel(est.intercept_)[:1], w])
    return float(C * len(y) * lib.linear.logistic_loss(lib.linear.add_bias(X), y, theta) + 0.5 * w @ w)


def ridge_objective(est, X, y, alpha):
    r = y - X @ est.coef_ - est.intercept_
    return float(r @ r + alpha * est.coef_ @ est.coef_)


def cases(repeat):
    diab = datasets.load_diabetes()
    Xd = StandardScaler().fit_transform(diab.data)
    yd = diab.target
    cancer = datasets.load_breast_cancer()
    Xc_tr, Xc_te, yc_tr, yc_te = standardised_split(cancer.data, cancer.target)
    digits = datasets.load_digits()
    Xg_tr, Xg_te, yg_tr, yg_te = standardised_split(digits.data, digits.target)
    Xg = digits.data

    rows = []

    def add(name, dataset, metric, ours, ref, t_ours, t_ref, note=""):
        rows.append(dict(estimator=name, dataset=dataset, metric=metric, lib=ours, sklearn=ref,
                         lib_fit_s=t_ours, sklearn_fit_s=t_ref, note=note))

    # --- linear regression family (convex: the objective values must agree) ---
    a, ta = fit_time(lambda: lib.linear.LinearRegression(), Xd, yd, repeat)
    b, tb = fit_time(lambda: sklm.LinearRegression(), Xd, yd, repeat)
    add("LinearRegression", "diabetes (442×10)", "training MSE", float(np.mean((a.predict(Xd) - yd) ** 2)),
        float(np.mean((b.predict(Xd) - yd) ** 2)), ta, tb,
        f"max abs Δcoef = {np.abs(a.coef_ - b.coef_).max():.1e}")

    a, ta = fit_time(lambda: lib.linear.Ridge(alpha=10.0), Xd, yd, repeat)
    b, tb = fit_time(lambda: sklm.Ridge(alpha=10.0), Xd, yd, repeat)
    add("Ridge(α=10)", "diabetes (442×10)", "‖r‖² + α‖w‖²", ridge_objective(a, Xd, yd, 10.0),
        ridge_objective(b, Xd, yd, 10.0), ta, tb, f"max abs Δcoef = {np.abs(a.coef_ - b.coef_).max():.1e}")

    a, ta = fit_time(lambda: lib.linear.Lasso(alpha=1.0, tol=1e-8, max_iter=10_000), Xd, yd, repeat)
    b, tb = fit_time(lambda: sklm.Lasso(alpha=1.0, tol=1e-8, max_iter=10_000), Xd, yd, repeat)
    add("Lasso(α=1)", "diabetes (442×10)", "Lasso objective",
        lib.linear.lasso_objective(Xd, yd, a.coef_, 1.0, a.intercept_),
        lib.linear.lasso_objective(Xd, yd, b.coef_, 1.0, b.intercept_), ta, tb,
        f"nonzeros {int((a.coef_ != 0).sum())} vs {int((b.coef_ != 0).sum())}")

    # --- logistic regression (convex) ---
    a, ta = fit_time(lambda: lib.linear.LogisticRegression(C=1.0), Xc_tr, yc_tr, repeat)
    b, tb = fit_time(lambda: sklm.LogisticRegression(C=1.0, solver="newton-cholesky", tol=1e-10), Xc_tr, yc_tr,
                     repeat)
    add("LogisticRegression(C=1)", "breast cancer (398/171)", "penalised log-loss",
        logistic_objective(a, Xc_tr, yc_tr, 1.0), logistic_objective(b, Xc_tr, yc_tr, 1.0), ta, tb,
        f"test acc {a.score(Xc_te, yc_te):.3f} vs {b.score(Xc_te, yc_te):.3f}")

    a, ta = fit_time(lambda: lib.linear.LogisticRegression(C=1.0), Xg_tr, yg_tr, repeat)
    b, tb = fit_time(lambda: sklm.LogisticRegression(C=1.0, solver="lbfgs", tol=1e-8, max_iter=5000), Xg_tr, yg_tr,
                     repeat)
    add("LogisticRegression (softmax, C=1)", "digits (1257/540)", "test accuracy", a.score(Xg_te, yg_te),
        b.score(Xg_te, yg_te), ta, tb)

    # --- SVM (convex dual: the same decision function up to the solver tolerance) ---
    a, ta = fit_time(lambda: lib.svm.SVC(C=1.0, kernel="rbf", gamma="scale"), Xc_tr, yc_tr, repeat)
    b, tb = fit_time(lambda: sksvm.SVC(C=1.0, kernel="rbf", gamma="scale"), Xc_tr, yc_tr, repeat)
    agree = float(np.mean(a.predict(Xc_te) == b.predict(Xc_te)))
    add("SVC(rbf, C=1)", "breast cancer (398/171)", "test accuracy", a.score(Xc_te, yc_te), b.score(Xc_te, yc_te),
        ta, tb, f"support vectors {len(a.support_)} vs {len(b.support_)}; predictions agree {agree:.3f}")

    # --- trees and ensembles (greedy / randomised: held-out accuracy) ---
    a, ta = fit_time(lambda: lib.tree.DecisionTreeClassifier(criterion="entropy", random_state=0), Xc_tr, yc_tr,
                     repeat)
    b, tb = fit_time(lambda: sktree.DecisionTreeClassifier(criterion="entropy", random_state=0), Xc_tr, yc_tr,
                     repeat)
    add("DecisionTreeClassifier", "breast cancer (398/171)", "test accuracy", a.score(Xc_te, yc_te),
        b.score(Xc_te, yc_te), ta, tb)

    a, ta = fit_time(lambda: lib.ensemble.BaggingClassifier(n_estimators=25, random_state=0), Xc_tr, yc_tr, repeat)
    b, tb = fit_time(lambda: skens.BaggingClassifier(sktree.DecisionTreeClassifier(criterion="entropy"),
                                                     n_estimators=25, random_state=0), Xc_tr, yc_tr, repeat)
    add("BaggingClassifier(25 trees)", "breast cancer (398/171)", "test accuracy", a.score(Xc_te, yc_te),
        b.score(Xc_te, yc_te), ta, tb)

    a, ta = fit_time(lambda: lib.ensemble.RandomForestClassifier(n_estimators=50, random_state=0), Xc_tr, yc_tr,
                     repeat)
    b, tb = fit_time(lambda: skens.RandomForestClassifier(n_estimators=50, criterion="entropy", random_state=0),
                     Xc_tr, yc_tr, repeat)
    add("RandomForestClassifier(50)", "breast cancer (398/171)", "test accuracy", a.score(Xc_te, yc_te),
        b.score(Xc_te, yc_te), ta, tb)

    a, ta = fit_time(lambda: lib.ensemble.AdaBoostClassifier(n_estimators=50), Xc_tr, yc_tr, repeat)
    b, tb = fit_time(lambda: skens.AdaBoostClassifier(n_estimators=50, random_state=0), Xc_tr, yc_tr, repeat)
    add("AdaBoostClassifier(50 stumps)", "breast cancer (398/171)", "test accuracy", a.score(Xc_te, yc_te),
        b.score(Xc_te, yc_te), ta, tb)

    # --- unsupervised ---
    a, ta = fit_time(lambda: lib.cluster.KMeans(n_clusters=10, n_init=10, random_state=0), Xg, None, repeat)
    b, tb = fit_time(lambda: skcluster.KMeans(n_clusters=10, n_init=10, random_state=0), Xg, None, repeat)
    add("KMeans(k=10, k-means++)", "digits (1797×64)", "inertia", float(a.inertia_), float(b.inertia_), ta, tb)

    a, ta = fit_time(lambda: lib.decomposition.PCA(n_components=10), Xg, None, repeat)
    b, tb = fit_time(lambda: skdecomp.PCA(n_components=10, svd_solver="full"), Xg, None, repeat)
    add("PCA(10)", "digits (1797×64)", "explained variance ratio (sum)", float(a.explained_variance_ratio_.sum()),
        float(b.explained_variance_ratio_.sum()), ta, tb)
    return rows


def markdown(rows):
    lines = ["| estimator | dataset | metric | lib | scikit-learn | lib fit (ms) | sklearn fit (ms) | note |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['estimator']} | {r['dataset']} | {r['metric']} | {r['lib']:.6g} | {r['sklearn']:.6g} | "
                     f"{1e3 * r['lib_fit_s']:.1f} | {1e3 * r['sklearn_fit_s']:.1f} | {r['note']} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="fits per estimator; the fastest is reported")
    parser.add_argument("--no-save", action="store_true", help="print only; do not write lib/results")
    args = parser.parse_args(argv)
    try:
        import threadpoolctl
        limiter = threadpoolctl.threadpool_limits(1)
    except ImportError:  # pragma: no cover - threadpoolctl ships with scikit-learn
        limiter = None
    rows = cases(args.repeat)
    if limiter is not None:
        limiter.unregister()
    env = lib.utils.environment_info()
    print(env)
    print(markdown(rows))
    if not args.no_save:
        path = lib.utils.save_results("estimators-cpu", {"environment": env, "rows": rows})
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
