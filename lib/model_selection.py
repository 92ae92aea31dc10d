r"""过拟合与模型选择（“过拟合与偏差-方差分解”“模型选择：交叉验证与 AIC/BIC”两节）：
偏差–方差分解的模拟、交叉验证、留一法的闭式解、信息准则。

模型要在 *没见过* 的数据上好，所以只能用没参与训练的数据来比较模型。这里的工具都围绕这一点：

===============================  =======================================================================
``KFold``、``LeaveOneOut``        把样本下标分成 :math:`K` 折（:math:`K=n` 即留一法），接口同 scikit-learn
``clone``                         按超参数新建一个未拟合的估计器（每一折都要从头训练）
``cross_val_score``               每折训练一次、在留出的那折上打分，返回 :math:`K` 个分数
``validation_curve``              超参数取一串值时的训练与验证分数（“模型选择：交叉验证与 AIC/BIC”一节的“U 形曲线”）
``loocv_linear_smoother``         线性平滑器 :math:`\hat{\mathbf y}=H\mathbf y` 的留一误差闭式解
                                  :math:`\frac1n\sum_i\bigl(\frac{y_i-\hat y_i}{1-H_{ii}}\bigr)^2`
``loocv_linear_regression``       最小二乘 / 岭回归的 :math:`H`（用 ``lib.linear.hat_matrix``）代入上式
``gaussian_log_likelihood``       高斯噪声回归模型在数据上的最大对数似然
``aic``、``bic``                  :math:`2M-2\ln\hat L`、:math:`M\ln n-2\ln\hat L`（:math:`\hat L` 是最大 *似然*）
``bias_variance_decomposition``   反复抽训练集并拟合，估计偏差²、方差与噪声（“过拟合与偏差-方差分解”一节）
===============================  =======================================================================

估计器只需有 ``fit(X, y)``、``predict(X)`` / ``score(X, y)`` 和 ``get_params()``：lib 与 scikit-learn 的估计器都可以。
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import Any

import numpy as np

from .linear.regression import add_bias, hat_matrix
from .metrics import accuracy_score, mean_squared_error, r2_score
from .utils import check_array, check_random_state, check_scalar, check_X_y

__all__ = [
    "KFold",
    "LeaveOneOut",
    "clone",
    "get_scorer",
    "cross_val_score",
    "validation_curve",
    "loocv_linear_smoother",
    "loocv_linear_regression",
    "gaussian_log_likelihood",
    "aic",
    "bic",
    "BiasVariance",
    "bias_variance_decomposition",
]


# ---------------------------------------------------------------------------------------------
# 划分：K 折与留一
# ---------------------------------------------------------------------------------------------
def _n_samples(X) -> int:
    if isinstance(X, Integral) and not isinstance(X, bool):
        return int(X)
    return check_array(X, "X", ndim=None, dtype=None).shape[0]


class KFold:
    r"""K 折交叉验证的划分，接口与划分方式同 ``sklearn.model_selection.KFold``。

    把 :math:`n` 个样本（``shuffle=True`` 时先随机打乱）按顺序切成 :math:`K` 段：前 :math:`n \bmod K` 段各有
    :math:`\lfloor n/K\rfloor+1` 个样本，
    其余各 :math:`\lfloor n/K\rfloor` 个。第 :math:`k` 次把第 :math:`k` 段作验证集、
    其余 :math:`K-1` 段作训练集。每个样本恰好被验证一次。

    ``random_state`` 是整数种子或 ``numpy.random.Generator``（``None`` 表示种子 0，书中一切可复现）。
    打乱用的是 NumPy 的 ``Generator``，所以 ``shuffle=True`` 时的具体划分与 scikit-learn（``RandomState``）不同，
    不打乱时则逐个下标相同。
    """

    def __init__(self, n_splits: int = 5, shuffle: bool = False, random_state=None):
        self.n_splits = check_scalar(n_splits, "n_splits", Integral, min_val=2)
        if not isinstance(shuffle, bool):
            raise TypeError(f"shuffle must be a bool, got {shuffle!r}")
        self.shuffle = shuffle
        if random_state is not None:
            check_random_state(random_state, "random_state")  # 检查类型；每次 split 时再由它生成随机源
        self.random_state = random_state

    def __repr__(self) -> str:
        return f"KFold(n_splits={self.n_splits}, shuffle={self.shuffle}, random_state={self.random_state!r})"

    def get_n_splits(self, X=None, y=None, groups=None) -> int:
        return self.n_splits

    def split(self, X, y=None, groups=None):
        """逐折产生 ``(train_index, test_index)``。``X`` 可以是数据，也可以直接是样本数。
        ``y``、``groups`` 不影响划分（与 scikit-learn 的签名相同，所以也能交给 ``GridSearchCV`` 等工具的 ``cv``）。"""
        n = _n_samples(X)
        if self.n_splits > n:
            raise ValueError(f"n_splits={self.n_splits} cannot be greater than the number of samples n={n}")
        order = check_random_state(self.random_state, "random_state").permutation(n) if self.shuffle else np.arange(n)
        sizes = np.full(self.n_splits, n // self.n_splits)
        sizes[: n % self.n_splits] += 1
        start = 0
        for size in sizes:
            test = order[start : start + size]
            train = np.concatenate([order[:start], order[start + size :]])
            yield train, test
            start += size


class LeaveOneOut:
    """留一法：第 :math:`i` 次只留出样本 :math:`i` 作验证集，共 :math:`n` 次。等价于 ``KFold(n_splits=n)``。"""

    def __repr__(self) -> str:
        return "LeaveOneOut()"

    def get_n_splits(self, X=None, y=None, groups=None) -> int:
        if X is None:
            raise ValueError("LeaveOneOut needs X (or the number of samples) to know how many splits there are")
        return _n_samples(X)

    def split(self, X, y=None, groups=None):
        n = _n_samples(X)
        if n < 2:
            raise ValueError(f"LeaveOneOut needs at least 2 samples, got n={n}")
        everyone = np.arange(n)
        for i in range(n):
            yield np.delete(everyone, i), np.array([i])


def _check_cv(cv):
    """整数 → ``KFold(cv)``（不打乱）；有 ``split`` 方法的对象原样返回；其余报错。"""
    if isinstance(cv, Integral) and not isinstance(cv, bool):
        return KFold(n_splits=int(cv))
    if hasattr(cv, "split") and not isinstance(cv, (str, bytes)):  # (a str has a .split method too)
        return cv
    raise TypeError(f"cv must be an int (number of folds) or a splitter with a split(X, y) method, got {cv!r}")


# ---------------------------------------------------------------------------------------------
# 打分与交叉验证
# ---------------------------------------------------------------------------------------------
def clone(estimator, **params):
    """一个新的、未拟合的同类估计器，超参数取自 ``estimator.get_params()``，再用 ``params`` 覆盖。"""
    if not hasattr(estimator, "get_params") or not hasattr(estimator, "fit"):
        raise TypeError(f"estimator must have fit and get_params methods, got {type(estimator).__name__}")
    try:
        current = estimator.get_params(deep=False)  # every scikit-learn estimator, lib's included
    except TypeError:
        current = estimator.get_params()  # an object whose get_params takes no `deep`
    unknown = set(params) - set(current)
    if unknown:
        raise ValueError(
            f"{type(estimator).__name__} has no parameter(s) {sorted(unknown)}; valid parameters: {sorted(current)}"
        )
    return type(estimator)(**{**current, **params})


_SCORERS: dict[str, Callable[[Any, np.ndarray, np.ndarray], float]] = {
    "neg_mean_squared_error": lambda est, X, y: -mean_squared_error(y, est.predict(X)),
    "r2": lambda est, X, y: r2_score(y, est.predict(X)),
    "accuracy": lambda est, X, y: accuracy_score(y, est.predict(X)),
}


def get_scorer(scoring) -> Callable[[Any, np.ndarray, np.ndarray], float]:
    """``None`` → 估计器自己的 ``score``；字符串 → 上面的同名打分函数（同 scikit-learn，越大越好）；
    可调用对象原样返回。"""
    if scoring is None:
        return lambda est, X, y: float(est.score(X, y))
    if callable(scoring):
        return scoring
    if scoring in _SCORERS:
        return _SCORERS[scoring]
    raise ValueError(f"scoring must be None, a callable or one of {sorted(_SCORERS)}, got {scoring!r}")


def _check_Xy_any(X, y):
    X = check_array(X, "X", ndim=2)
    y = check_array(y, "y", ndim=1, dtype=None)
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"X and y must have the same number of rows, got X: {X.shape[0]}, y: {y.shape[0]}")
    return X, y


def cross_val_score(estimator, X, y, *, cv=5, scoring=None) -> np.ndarray:
    r"""交叉验证分数：对 ``cv`` 给出的每一折，在训练部分上拟合 ``estimator`` 的一个新副本，在验证部分上打分。

    返回长度为折数的数组，其均值就是交叉验证对“没见过的数据上的表现”的估计。``cv`` 是整数时用不打乱的
    :class:`KFold`（scikit-learn 对分类器会改用分层 K 折；要与它逐位相同，请显式传入划分器）。
    """
    X, y = _check_Xy_any(X, y)
    scorer = get_scorer(scoring)
    scores = []
    for train, test in _check_cv(cv).split(X, y):
        model = clone(estimator).fit(X[train], y[train])
        scores.append(scorer(model, X[test], y[test]))
    return np.array(scores, dtype=float)


def validation_curve(estimator, X, y, *, param_name: str, param_range, cv=5, scoring=None):
    """超参数 ``param_name`` 依次取 ``param_range`` 中的值，返回 ``(train_scores, test_scores)``。

    两个数组的形状都是 ``(len(param_range), 折数)``，与 ``sklearn.model_selection.validation_curve`` 相同：
    训练分数在每折的训练部分上计算，验证分数在留出的那一折上计算。
    """
    X, y = _check_Xy_any(X, y)
    if not isinstance(param_name, str):
        raise TypeError(f"param_name must be a str, got {type(param_name).__name__}")
    scorer = get_scorer(scoring)
    splits = list(_check_cv(cv).split(X, y))
    values = list(param_range)
    if not values:
        raise ValueError("param_range must contain at least one value")
    train_scores = np.empty((len(values), len(splits)))
    test_scores = np.empty((len(values), len(splits)))
    for a, value in enumerate(values):
        for k, (train, test) in enumerate(splits):
            model = clone(estimator, **{param_name: value}).fit(X[train], y[train])
            train_scores[a, k] = scorer(model, X[train], y[train])
            test_scores[a, k] = scorer(model, X[test], y[test])
    return train_scores, test_scores


# ---------------------------------------------------------------------------------------------
# 留一法的闭式解
# ---------------------------------------------------------------------------------------------
def loocv_linear_smoother(H, y) -> float:
    r"""线性平滑器 :math:`\hat{\mathbf y}=H\mathbf y` 的留一均方误差（“模型选择：交叉验证与 AIC/BIC”一节）：

    .. math:: \mathrm{LOOCV} = \frac1n\sum_{i=1}^n\Bigl(\frac{y_i-\hat y_i}{1-H_{ii}}\Bigr)^2 .

    对最小二乘与岭回归（二次惩罚固定、不依赖数据）它 *精确* 等于把每个样本留出、重新拟合 :math:`n` 次的结果：
    去掉第 :math:`i` 个样本后的预测满足 :math:`y_i-\hat y_{-i}=(y_i-\hat y_i)/(1-H_{ii})`
    （Sherman–Morrison 公式，推导见书）。只需拟合一次。:math:`H_{ii}=1` 的样本（例如独占一个参数的点）没有留一预测，
    报错。
    """
    H = check_array(H, "H", ndim=2)
    y = check_array(y, "y", ndim=1)
    n = y.shape[0]
    if H.shape != (n, n):
        raise ValueError(f"H must be a square matrix of shape ({n}, {n}) to match y, got {H.shape}")
    leverage = np.diag(H)
    if np.any(leverage > 1 - 1e-10):
        worst = int(np.argmax(leverage))
        raise ValueError(
            f"sample {worst} has leverage H_ii = {leverage[worst]:.6g} ~ 1: the model refitted without it "
            "is not determined, so leave-one-out is undefined"
        )
    residual = y - H @ y
    return float(np.mean((residual / (1 - leverage)) ** 2))


def loocv_linear_regression(X, y, *, alpha: float = 0.0, fit_intercept: bool = True) -> float:
    r"""最小二乘（``alpha=0``）或岭回归（同 :class:`lib.linear.Ridge`，截距不受惩罚）的留一均方误差闭式解。

    最小二乘时 :math:`H=XX^+`（:func:`lib.linear.hat_matrix`）；岭回归时
    :math:`H=A(A^\top A+\alpha D)^{-1}A^\top`，:math:`A=[\mathbf 1, X]`，:math:`D=\mathrm{diag}(0,1,\dots,1)`。
    """
    X, y = check_X_y(X, y)
    alpha = check_scalar(alpha, "alpha", Real, min_val=0)
    if not isinstance(fit_intercept, bool):
        raise TypeError(f"fit_intercept must be a bool, got {fit_intercept!r}")
    A = add_bias(X) if fit_intercept else X
    if alpha == 0:
        H = hat_matrix(A)
    else:
        D = np.eye(A.shape[1])
        if fit_intercept:
            D[0, 0] = 0.0
        H = A @ np.linalg.solve(A.T @ A + alpha * D, A.T)
    return loocv_linear_smoother(H, y)


# ---------------------------------------------------------------------------------------------
# 信息准则
# ---------------------------------------------------------------------------------------------
def gaussian_log_likelihood(y, y_pred, noise_variance: float | None = None) -> float:
    r"""回归模型 :math:`y_i\sim\mathcal N(\hat y_i,\sigma^2)` 的对数似然 :math:`\ln L`。

    .. math:: \ln L = -\frac n2\ln(2\pi\sigma^2) - \frac{\mathrm{RSS}}{2\sigma^2},
              \qquad \mathrm{RSS}=\sum_i(y_i-\hat y_i)^2 .

    ``noise_variance=None`` 时代入 :math:`\sigma^2` 的最大似然估计 :math:`\hat\sigma^2=\mathrm{RSS}/n`，得到最大对数似然
    :math:`\ln\hat L=-\frac n2\bigl(\ln(2\pi\,\mathrm{RSS}/n)+1\bigr)`；此时 :math:`\sigma^2` 也是一个被估计的参数，
    计算 AIC/BIC 时要算进 :math:`M`。
    """
    y = check_array(y, "y", ndim=1)
    y_pred = check_array(y_pred, "y_pred", ndim=1)
    if y.shape != y_pred.shape:
        raise ValueError(f"y and y_pred must have the same length, got {y.shape[0]} and {y_pred.shape[0]}")
    n = y.shape[0]
    rss = float(np.sum((y - y_pred) ** 2))
    if noise_variance is None:
        if rss == 0:
            raise ValueError("the residuals are all zero: the maximum-likelihood noise variance is 0 and ln L = +inf")
        s2 = rss / n
    else:
        s2 = check_scalar(noise_variance, "noise_variance", Real, min_val=0, include_min=False)
    return float(-0.5 * n * np.log(2 * np.pi * s2) - rss / (2 * s2))


def aic(log_likelihood: float, n_params: int) -> float:
    r"""赤池信息准则 :math:`\mathrm{AIC}=2M-2\ln\hat L` （Akaike, 1974），越小越好。

    ``log_likelihood`` 是最大对数似然 :math:`\ln\hat L`（不是似然本身），``n_params`` 是被估计参数的个数 :math:`M`。
    """
    log_likelihood = check_scalar(log_likelihood, "log_likelihood", Real)
    n_params = check_scalar(n_params, "n_params", Integral, min_val=0)
    return float(2 * n_params - 2 * log_likelihood)


def bic(log_likelihood: float, n_params: int, n_samples: int) -> float:
    r"""贝叶斯信息准则 :math:`\mathrm{BIC}=M\ln n-2\ln\hat L` （Schwarz, 1978），越小越好。

    :math:`n\ge 8` 时 :math:`\ln n>2`，BIC 对每个参数的惩罚比 AIC 重，倾向于选更简单的模型。
    """
    log_likelihood = check_scalar(log_likelihood, "log_likelihood", Real)
    n_params = check_scalar(n_params, "n_params", Integral, min_val=0)
    n_samples = check_scalar(n_samples, "n_samples", Integral, min_val=1)
    return float(n_params * np.log(n_samples) - 2 * log_likelihood)


# ---------------------------------------------------------------------------------------------
# 偏差–方差分解的蒙特卡洛估计
# ---------------------------------------------------------------------------------------------
@dataclass
class BiasVariance:
    r"""偏差–方差分解的估计（各量都是在测试点上的平均）。

    Attributes
    ----------
    bias2 : :math:`\overline{(f(x)-\bar f(x))^2}`，:math:`\bar f` 是各次拟合的平均预测。
    variance : :math:`\overline{\frac1R\sum_r(\hat f_r(x)-\bar f(x))^2}`。
    noise : 噪声方差 :math:`\sigma^2`（模拟中已知）。
    expected_error : 直接估计的期望测试误差 :math:`\overline{\frac1R\sum_r(y_r-\hat f_r(x))^2}`，
        :math:`y_r=f(x)+\varepsilon_r` 是每次新抽的测试目标。
    expected_error_se : ``expected_error`` 的蒙特卡洛标准误。
    predictions : 形状 ``(n_repeats, n_test)``，每次拟合在测试点上的预测（画“一把”拟合曲线用）。
    """

    bias2: float
    variance: float
    noise: float
    expected_error: float
    expected_error_se: float
    predictions: np.ndarray = field(repr=False)

    @property
    def total(self) -> float:
        r""":math:`\text{偏差}^2+\text{方差}+\sigma^2`，理论上等于期望测试误差。"""
        return self.bias2 + self.variance + self.noise


def bias_variance_decomposition(
    estimator,
    sample_train: Callable[[np.random.Generator], tuple[np.ndarray, np.ndarray]],
    true_fn: Callable[[np.ndarray], np.ndarray],
    X_test,
    *,
    noise_std: float,
    n_repeats: int = 200,
    rng=None,
) -> BiasVariance:
    r"""用模拟估计 :math:`\mathbb E[(y-\hat f(x))^2]=\text{偏差}^2+\text{方差}+\sigma^2`
    （“过拟合与偏差-方差分解”一节）。

    重复 ``n_repeats`` 次：用 ``sample_train(rng)`` 抽一个新训练集 ``(X, y)``，拟合 ``estimator`` 的新副本，
    在固定的测试点 ``X_test`` 上预测；同时抽新的测试目标 :math:`y=f(x)+\varepsilon`，
    :math:`\varepsilon\sim\mathcal N(0,\sigma^2)`，记下平方误差。``true_fn`` 是真实的回归函数 :math:`f`。
    """
    X_test = check_array(X_test, "X_test", ndim=2)
    noise_std = check_scalar(noise_std, "noise_std", Real, min_val=0)
    n_repeats = check_scalar(n_repeats, "n_repeats", Integral, min_val=2)
    if not callable(sample_train) or not callable(true_fn):
        raise TypeError("sample_train and true_fn must be callables")
    rng = check_random_state(rng)
    f = check_array(true_fn(X_test), "true_fn(X_test)", ndim=1)
    if f.shape[0] != X_test.shape[0]:
        raise ValueError(f"true_fn(X_test) must have one value per test point ({X_test.shape[0]}), got {f.shape[0]}")
    preds = np.empty((n_repeats, X_test.shape[0]))
    sq_err = np.empty_like(preds)
    for r in range(n_repeats):
        X, y = sample_train(rng)
        preds[r] = clone(estimator).fit(X, y).predict(X_test)
        y_test = f + noise_std * rng.standard_normal(f.shape[0])
        sq_err[r] = (y_test - preds[r]) ** 2
    mean_pred = preds.mean(axis=0)
    per_repeat = sq_err.mean(axis=1)  # 每次重复在全部测试点上的平均误差：独立同分布，用来算标准误
    return BiasVariance(
        bias2=float(np.mean((f - mean_pred) ** 2)),
        variance=float(np.mean(preds.var(axis=0))),
        noise=float(noise_std**2),
        expected_error=float(per_repeat.mean()),
        expected_error_se=float(per_repeat.std(ddof=1) / np.sqrt(n_repeats)),
        predictions=preds,
    )
