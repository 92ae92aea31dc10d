r"""超参数搜索（“超参数优化”一节）：网格搜索、随机搜索与贝叶斯优化。

三者都 **最小化** 一个黑箱函数 ``objective(params) -> float``（例如验证误差），``space`` 把每个超参数的名字映射到
:class:`Real`（区间 :math:`[low, high]`，``log=True`` 时在对数尺度上取值）。

* :func:`grid_search`：每维取 ``per_dim`` 个等距点，做笛卡儿积——:math:`k` 维共 ``per_dim**k`` 次试验，
  但每一维只试了 ``per_dim`` 个不同的值；
* :func:`random_search`：每次试验独立地在每一维上均匀抽样——``n_trials`` 次试验在每一维上都是 ``n_trials`` 个不同的值
  （Bergstra & Bengio：只有少数超参数重要时，随机搜索远比网格高效）；
* :func:`bayes_opt`：先随机试 ``n_init`` 次，然后每一步用高斯过程（scikit-learn 的 ``GaussianProcessRegressor``，
  Matérn 5/2 核）拟合已有的试验，选 **期望改进** 最大的点作为下一次试验：

  .. math::
     \mathrm{EI}(x)=\bigl(f^\ast-\mu(x)\bigr)\Phi(z)+\sigma(x)\varphi(z),\qquad
     z=\frac{f^\ast-\mu(x)}{\sigma(x)},

  :math:`f^\ast` 是目前最好的值，:math:`\mu,\sigma` 是高斯过程的后验均值与标准差。
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from numbers import Integral
from numbers import Real as _Real

import numpy as np

from ..utils import check_random_state, check_scalar

__all__ = ["Real", "SearchResult", "grid_search", "random_search", "bayes_opt"]


@dataclass(frozen=True)
class Real:
    """一个连续超参数的取值范围 :math:`[low, high]`；``log=True`` 时在 :math:`[\\log low,\\log high]` 上均匀。"""

    low: float
    high: float
    log: bool = False

    def __post_init__(self):
        for name in ("low", "high"):
            check_scalar(getattr(self, name), name, _Real)
        if not self.low < self.high:
            raise ValueError(f"low must be < high, got low={self.low}, high={self.high}")
        if self.log and self.low <= 0:
            raise ValueError(f"a log-scale range needs low > 0, got low={self.low}")

    def to_unit(self, value: float) -> float:
        """把取值映射到 [0, 1]（高斯过程在这个单位立方体上工作）。"""
        if self.log:
            return (math.log(value) - math.log(self.low)) / (math.log(self.high) - math.log(self.low))
        return (value - self.low) / (self.high - self.low)

    def from_unit(self, u: float) -> float:
        if self.log:
            return float(math.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low))))
        return float(self.low + u * (self.high - self.low))


@dataclass
class SearchResult:
    """所有试验（按进行的顺序）及最好的一次。"""

    params: list[dict[str, float]] = field(default_factory=list)
    values: list[float] = field(default_factory=list)

    @property
    def best_index(self) -> int:
        return int(np.argmin(self.values))

    @property
    def best_params(self) -> dict[str, float]:
        return self.params[self.best_index]

    @property
    def best_value(self) -> float:
        return float(self.values[self.best_index])

    def best_so_far(self) -> np.ndarray:
        """第 k 次试验之后的最好值（画收敛曲线用）。"""
        return np.minimum.accumulate(np.array(self.values))


def _check(objective, space) -> list[str]:
    if not callable(objective):
        raise TypeError(f"objective must be callable, got {type(objective).__name__}")
    if not isinstance(space, Mapping) or not space:
        raise ValueError("space must be a non-empty mapping from names to lib.nn.search.Real ranges")
    for name, dim in space.items():
        if not isinstance(dim, Real):
            raise TypeError(f"space[{name!r}] must be a lib.nn.search.Real, got {type(dim).__name__}")
    return list(space)


def _run(objective, space, names, units, result: SearchResult) -> None:
    for u in units:
        params = {n: space[n].from_unit(float(ui)) for n, ui in zip(names, u)}
        result.params.append(params)
        result.values.append(float(objective(params)))


def grid_search(objective: Callable[[dict], float], space: Mapping[str, Real], per_dim: int) -> SearchResult:
    """网格搜索：每维 ``per_dim`` 个点（含两端；``per_dim=1`` 时取中点）。"""
    names = _check(objective, space)
    per_dim = check_scalar(per_dim, "per_dim", Integral, min_val=1)
    axis = np.linspace(0, 1, per_dim) if per_dim > 1 else np.array([0.5])
    result = SearchResult()
    _run(objective, space, names, itertools.product(axis, repeat=len(names)), result)
    return result


def random_search(
    objective: Callable[[dict], float], space: Mapping[str, Real], n_trials: int, rng=None
) -> SearchResult:
    """随机搜索：``n_trials`` 次独立的均匀抽样（对数尺度的维在对数上均匀）。"""
    names = _check(objective, space)
    n_trials = check_scalar(n_trials, "n_trials", Integral, min_val=1)
    rng = check_random_state(rng)
    result = SearchResult()
    _run(objective, space, names, rng.uniform(size=(n_trials, len(names))), result)
    return result


def expected_improvement(mu: np.ndarray, sigma: np.ndarray, best: float) -> np.ndarray:
    """最小化问题的期望改进 EI（见模块说明）；:math:`\\sigma=0` 处为 0。"""
    from scipy.stats import norm

    sigma = np.maximum(sigma, 1e-12)
    z = (best - mu) / sigma
    return (best - mu) * norm.cdf(z) + sigma * norm.pdf(z)


def bayes_opt(
    objective: Callable[[dict], float],
    space: Mapping[str, Real],
    n_trials: int,
    n_init: int = 4,
    rng=None,
    n_candidates: int = 2000,
) -> SearchResult:
    """贝叶斯优化：``n_init`` 次随机试验之后，每步在 ``n_candidates`` 个随机候选点中选 EI 最大者。"""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

    names = _check(objective, space)
    n_trials = check_scalar(n_trials, "n_trials", Integral, min_val=1)
    n_init = check_scalar(n_init, "n_init", Integral, min_val=1, max_val=n_trials)
    n_candidates = check_scalar(n_candidates, "n_candidates", Integral, min_val=1)
    rng = check_random_state(rng)
    d = len(names)
    result = SearchResult()
    units = list(rng.uniform(size=(n_init, d)))
    _run(objective, space, names, units, result)
    kernel = ConstantKernel(1.0, (1e-3, 1e3)) * Matern(
        length_scale=np.full(d, 0.3), length_scale_bounds=(1e-2, 10), nu=2.5
    ) + WhiteKernel(1e-4, (1e-8, 1e-1))
    for _ in range(n_trials - n_init):
        U, v = np.array(units), np.array(result.values)
        scale = v.std() if v.std() > 0 else 1.0
        gp = GaussianProcessRegressor(kernel, normalize_y=False, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            gp.fit(U, (v - v.mean()) / scale)
        cand = rng.uniform(size=(n_candidates, d))
        mu, sigma = gp.predict(cand, return_std=True)
        ei = expected_improvement(mu, sigma, (v.min() - v.mean()) / scale)
        nxt = cand[int(np.argmax(ei))]
        units.append(nxt)
        _run(objective, space, names, [nxt], result)
    return result
