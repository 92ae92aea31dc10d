r"""数值优化（第 4 章起，第 13、21、31 章复用）：梯度下降、小批量随机梯度下降、牛顿法、学习率调度。

这里的优化器都作用于 NumPy 向量 :math:`\mathbf w`，只需要调用方给出梯度（和海森矩阵）函数，
因此同一段代码可以优化线性回归、逻辑回归或任何可微的小模型。每个优化器返回 :class:`OptimResult`，
其中保存了整条迭代路径，书中的轨迹图、损失曲线都由它画出。

===========================  ====================================================================
``gradient_descent``          :math:`\mathbf w^{(t+1)}=\mathbf w^{(t)}-r_t\nabla L(\mathbf w^{(t)})`
``sgd``                       同上，但梯度换成一个小批量上的平均梯度（无偏估计）
``newton``                    :math:`\mathbf w^{(t+1)}=\mathbf w^{(t)}-H^{-1}\nabla L(\mathbf w^{(t)})`
``minibatches``               一个 epoch 的小批量下标：乱序（shuffle）、分段（segment）或独立抽样
调度 ``Constant`` 等           学习率 :math:`r_t` 随步数 :math:`t` 的变化规律，可调用对象 ``schedule(t)``
===========================  ====================================================================
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np

from .utils import check_array, check_random_state, check_scalar

__all__ = [
    "OptimResult",
    "gradient_descent",
    "sgd",
    "newton",
    "minibatches",
    "Schedule",
    "Constant",
    "StepDecay",
    "ExponentialDecay",
    "InverseTimeDecay",
    "CosineDecay",
    "LinearWarmup",
    "as_schedule",
]

Vector = np.ndarray
GradFn = Callable[[Vector], Vector]


# ---------------------------------------------------------------------------------------------
# 学习率调度
# ---------------------------------------------------------------------------------------------
class Schedule:
    """学习率调度的基类：``schedule(t)`` 返回第 ``t`` 步（从 0 数起）的学习率。"""

    def __call__(self, t: int) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"


class Constant(Schedule):
    """固定学习率 :math:`r_t = r`。"""

    def __init__(self, lr: float):
        self.lr = check_scalar(lr, "lr", Real, min_val=0, include_min=False)

    def __call__(self, t: int) -> float:
        return self.lr


class StepDecay(Schedule):
    r"""分段常数衰减：每过 ``step_size`` 步乘以 ``gamma``，:math:`r_t=r\gamma^{\lfloor t/s\rfloor}`。"""

    def __init__(self, lr: float, step_size: int, gamma: float = 0.1):
        self.lr = check_scalar(lr, "lr", Real, min_val=0, include_min=False)
        self.step_size = check_scalar(step_size, "step_size", Integral, min_val=1)
        self.gamma = check_scalar(gamma, "gamma", Real, min_val=0, max_val=1, include_min=False)

    def __call__(self, t: int) -> float:
        return self.lr * self.gamma ** (t // self.step_size)


class ExponentialDecay(Schedule):
    r"""指数衰减 :math:`r_t=r\gamma^t`。"""

    def __init__(self, lr: float, gamma: float):
        self.lr = check_scalar(lr, "lr", Real, min_val=0, include_min=False)
        self.gamma = check_scalar(gamma, "gamma", Real, min_val=0, max_val=1, include_min=False)

    def __call__(self, t: int) -> float:
        return self.lr * self.gamma**t


class InverseTimeDecay(Schedule):
    r"""逆时衰减 :math:`r_t=r/(1+kt)`。满足 Robbins–Monro 条件 :math:`\sum r_t=\infty,\ \sum r_t^2<\infty`，
    所以 SGD 用它时能收敛到最优点，而不是停在一团噪声里（第 4.4 节）。"""

    def __init__(self, lr: float, decay: float):
        self.lr = check_scalar(lr, "lr", Real, min_val=0, include_min=False)
        self.decay = check_scalar(decay, "decay", Real, min_val=0)

    def __call__(self, t: int) -> float:
        return self.lr / (1.0 + self.decay * t)


class CosineDecay(Schedule):
    r"""余弦衰减 :math:`r_t=r_{\min}+\tfrac12(r-r_{\min})(1+\cos(\pi t/T))`，:math:`t\ge T` 后保持 :math:`r_{\min}`。"""

    def __init__(self, lr: float, total_steps: int, lr_min: float = 0.0):
        self.lr = check_scalar(lr, "lr", Real, min_val=0, include_min=False)
        self.total_steps = check_scalar(total_steps, "total_steps", Integral, min_val=1)
        self.lr_min = check_scalar(lr_min, "lr_min", Real, min_val=0, max_val=lr)

    def __call__(self, t: int) -> float:
        progress = min(t, self.total_steps) / self.total_steps
        return self.lr_min + 0.5 * (self.lr - self.lr_min) * (1.0 + math.cos(math.pi * progress))


class LinearWarmup(Schedule):
    """前 ``warmup_steps`` 步把学习率从 0 线性升到 ``schedule(warmup_steps)``，之后交给 ``schedule``。"""

    def __init__(self, schedule: Schedule, warmup_steps: int):
        if not callable(schedule):
            raise TypeError(f"schedule must be callable, got {type(schedule).__name__}")
        self.schedule = schedule
        self.warmup_steps = check_scalar(warmup_steps, "warmup_steps", Integral, min_val=1)

    def __call__(self, t: int) -> float:
        if t < self.warmup_steps:
            return self.schedule(self.warmup_steps) * (t + 1) / self.warmup_steps
        return self.schedule(t)


def as_schedule(lr: float | Callable[[int], float]) -> Callable[[int], float]:
    """数字 → :class:`Constant`；可调用对象原样返回。"""
    if callable(lr):
        return lr
    return Constant(lr)


# ---------------------------------------------------------------------------------------------
# 结果与公共部分
# ---------------------------------------------------------------------------------------------
@dataclass
class OptimResult:
    """一次优化的完整记录。

    Attributes
    ----------
    w : 最后的迭代点。
    path : 形状 ``(n_iter + 1, d)``，第 0 行是起点，之后每一步一行。
    losses : 每个迭代点上的损失（给了 ``loss_fn`` 时），长度 ``n_iter + 1``；否则为空数组。
    n_iter : 实际走的步数。
    converged : 梯度范数（或步长）是否降到 ``tol`` 以下。
    diverged : 是否因为数值爆炸（非有限或超过 ``max_norm``）而提前停止。
    """

    w: np.ndarray
    path: np.ndarray
    losses: np.ndarray
    n_iter: int
    converged: bool = False
    diverged: bool = False
    lrs: np.ndarray = field(default_factory=lambda: np.empty(0))


class _Recorder:
    """把迭代点与损失记进列表；发现发散就通知调用方停止。"""

    def __init__(self, w0: np.ndarray, loss_fn, max_norm: float):
        self.loss_fn = loss_fn
        self.max_norm = max_norm
        self.path = [w0.copy()]
        self.losses = [] if loss_fn is None else [float(loss_fn(w0))]
        self.lrs: list[float] = []

    def add(self, w: np.ndarray, lr: float | None = None) -> bool:
        """记录新点；若发散返回 ``True``（发散的点不记录，路径停在最后一个有限点）。"""
        with np.errstate(over="ignore", invalid="ignore"):
            bad = not np.all(np.isfinite(w)) or np.linalg.norm(w) > self.max_norm
            loss = None
            if not bad and self.loss_fn is not None:
                loss = float(self.loss_fn(w))
                bad = not math.isfinite(loss)
        if bad:
            return True
        self.path.append(w.copy())
        if loss is not None:
            self.losses.append(loss)
        if lr is not None:
            self.lrs.append(lr)
        return False

    def result(self, converged: bool, diverged: bool) -> OptimResult:
        return OptimResult(
            w=self.path[-1].copy(),
            path=np.array(self.path),
            losses=np.array(self.losses),
            n_iter=len(self.path) - 1,
            converged=converged,
            diverged=diverged,
            lrs=np.array(self.lrs),
        )


def _check_common(w0, tol, max_norm):
    w0 = check_array(w0, "w0", ndim=1)
    check_scalar(tol, "tol", Real, min_val=0)
    check_scalar(max_norm, "max_norm", Real, min_val=0, include_min=False)
    return w0


def _checked_step(vector, name: str, shape) -> np.ndarray:
    vector = np.asarray(vector, dtype=float)
    if vector.shape != shape:
        raise ValueError(f"{name} must return an array of shape {shape}, got {vector.shape}")
    return vector


# ---------------------------------------------------------------------------------------------
# 优化器
# ---------------------------------------------------------------------------------------------
def gradient_descent(
    grad_fn: GradFn,
    w0,
    *,
    lr: float | Callable[[int], float],
    n_steps: int = 100,
    loss_fn: Callable[[Vector], float] | None = None,
    tol: float = 0.0,
    max_norm: float = 1e12,
) -> OptimResult:
    r"""（批量）梯度下降 :math:`\mathbf w^{(t+1)}=\mathbf w^{(t)}-r_t\,\nabla L(\mathbf w^{(t)})`。

    ``lr`` 是数字或调度（``lr(t)``）。``tol > 0`` 时，梯度范数小于 ``tol`` 即停止（``converged=True``）。
    迭代点出现非有限值或范数超过 ``max_norm`` 时视为发散，提前停止（``diverged=True``），
    路径在最后一个有限点截止——学习率过大的演示靠它画出“爆炸”而不产生溢出警告。
    """
    w = _check_common(w0, tol, max_norm)
    check_scalar(n_steps, "n_steps", Integral, min_val=0)
    schedule = as_schedule(lr)
    rec = _Recorder(w, loss_fn, max_norm)
    for t in range(n_steps):
        with np.errstate(over="ignore", invalid="ignore"):
            g = _checked_step(grad_fn(w), "grad_fn", w.shape)
        if tol > 0 and np.linalg.norm(g) < tol:
            return rec.result(converged=True, diverged=False)
        r_t = schedule(t)
        with np.errstate(over="ignore", invalid="ignore"):
            w = w - r_t * g
        if rec.add(w, r_t):
            return rec.result(converged=False, diverged=True)
    return rec.result(converged=False, diverged=False)


def minibatches(
    n_samples: int,
    batch_size: int,
    *,
    scheme: str = "shuffle",
    rng=None,
) -> Iterator[np.ndarray]:
    """产生一个 epoch 的小批量下标。

    * ``"shuffle"``（乱序）：每个 epoch 先随机打乱，再按顺序切成大小为 ``batch_size`` 的块；
    * ``"segment"``（分段）：不打乱，按原顺序切块——每个 epoch 的批次完全相同；
    * ``"replacement"``：每一批独立地从全部样本中无放回抽取 ``batch_size`` 个（批与批之间可重叠）。

    最后一批可能不满（``shuffle``/``segment``）。一个 epoch 共 ``ceil(n/b)`` 批。
    """
    n_samples = check_scalar(n_samples, "n_samples", Integral, min_val=1)
    batch_size = check_scalar(batch_size, "batch_size", Integral, min_val=1, max_val=n_samples)
    if scheme not in ("shuffle", "segment", "replacement"):
        raise ValueError(f"scheme must be 'shuffle', 'segment' or 'replacement', got {scheme!r}")
    rng = check_random_state(rng)
    n_batches = -(-n_samples // batch_size)
    if scheme == "replacement":
        for _ in range(n_batches):
            yield rng.choice(n_samples, size=batch_size, replace=False)
        return
    order = rng.permutation(n_samples) if scheme == "shuffle" else np.arange(n_samples)
    for start in range(0, n_samples, batch_size):
        yield order[start : start + batch_size]


def sgd(
    batch_grad_fn: Callable[[Vector, np.ndarray], Vector],
    n_samples: int,
    w0,
    *,
    lr: float | Callable[[int], float],
    batch_size: int = 1,
    n_epochs: int = 10,
    scheme: str = "shuffle",
    rng=None,
    loss_fn: Callable[[Vector], float] | None = None,
    max_norm: float = 1e12,
) -> OptimResult:
    r"""小批量随机梯度下降：

    .. math:: \mathbf w^{(t+1)}=\mathbf w^{(t)}-r_t\,\frac1{|B_t|}\sum_{i\in B_t}\nabla\ell_i(\mathbf w^{(t)}) .

    ``batch_grad_fn(w, idx)`` 返回下标为 ``idx`` 的那些样本上的 *平均* 梯度。
    ``batch_size = n_samples`` 且 ``scheme="segment"`` 时就是批量梯度下降。
    ``loss_fn``（通常是全训练集上的损失）在每一步之后记录一次，用来画损失曲线；它不参与更新。
    """
    w = _check_common(w0, 0.0, max_norm)
    check_scalar(n_epochs, "n_epochs", Integral, min_val=1)
    rng = check_random_state(rng)
    schedule = as_schedule(lr)
    rec = _Recorder(w, loss_fn, max_norm)
    t = 0
    for _ in range(n_epochs):
        for idx in minibatches(n_samples, batch_size, scheme=scheme, rng=rng):
            with np.errstate(over="ignore", invalid="ignore"):
                g = _checked_step(batch_grad_fn(w, idx), "batch_grad_fn", w.shape)
                r_t = schedule(t)
                w = w - r_t * g
            t += 1
            if rec.add(w, r_t):
                return rec.result(converged=False, diverged=True)
    return rec.result(converged=False, diverged=False)


def newton(
    grad_fn: GradFn,
    hess_fn: Callable[[Vector], np.ndarray],
    w0,
    *,
    n_steps: int = 20,
    loss_fn: Callable[[Vector], float] | None = None,
    tol: float = 1e-10,
    step_size: float = 1.0,
    max_norm: float = 1e12,
) -> OptimResult:
    r"""牛顿法（默认 :math:`\eta=1`）：

    .. math:: \mathbf w^{(t+1)}=\mathbf w^{(t)}-\eta\,H(\mathbf w^{(t)})^{-1}\nabla L(\mathbf w^{(t)}) .

    每步解一个线性方程组 :math:`H\mathbf d=\nabla L`，而不是求逆。对二次函数，一步就到最优点；
    在最优点附近（海森矩阵正定时）误差按平方收敛。梯度范数小于 ``tol`` 时停止。
    """
    w = _check_common(w0, tol, max_norm)
    check_scalar(n_steps, "n_steps", Integral, min_val=0)
    check_scalar(step_size, "step_size", Real, min_val=0, include_min=False)
    rec = _Recorder(w, loss_fn, max_norm)
    d = w.shape[0]
    for _ in range(n_steps):
        g = _checked_step(grad_fn(w), "grad_fn", (d,))
        if np.linalg.norm(g) < tol:
            return rec.result(converged=True, diverged=False)
        H = _checked_step(hess_fn(w), "hess_fn", (d, d))
        try:
            step = np.linalg.solve(H, g)
        except np.linalg.LinAlgError as err:
            raise np.linalg.LinAlgError(f"the Hessian is singular at w = {w}: Newton's step is undefined") from err
        w = w - step_size * step
        if rec.add(w):
            return rec.result(converged=False, diverged=True)
    g = _checked_step(grad_fn(w), "grad_fn", (d,))
    return rec.result(converged=bool(np.linalg.norm(g) < tol), diverged=False)
