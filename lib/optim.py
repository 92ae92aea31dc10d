r"""数值优化（线性回归一章起，优化、EM 与“优化方法”各章复用）：梯度下降、小批量随机梯度下降、牛顿法、学习率调度。

这里的优化器都作用于 NumPy 向量 :math:`\mathbf w`，只需要调用方给出梯度（和海森矩阵）函数，
因此同一段代码可以优化线性回归、逻辑回归或任何可微的小模型。每个优化器返回 :class:`OptimResult`，
其中保存了整条迭代路径，书中的轨迹图、损失曲线都由它画出。

==============================  ====================================================================
``gradient_descent``            :math:`\mathbf w^{(t+1)}=\mathbf w^{(t)}-r_t\nabla L(\mathbf w^{(t)})`
``sgd``                         同上，但梯度换成一个小批量上的平均梯度（无偏估计）
``newton``                      :math:`\mathbf w^{(t+1)}=\mathbf w^{(t)}-H^{-1}\nabla L(\mathbf w^{(t)})`，可加阻尼
``backtracking_line_search``    Armijo 回溯：步长减半，直到损失下降得足够多
``conjugate_gradient``          对称正定方程组 :math:`A\mathbf x=\mathbf b` 的共轭梯度法（只用矩阵–向量乘积）
``wolfe_line_search``           强 Wolfe 条件的线搜索（充分下降 + 斜率变平）
``nonlinear_cg``                非线性共轭梯度法（Fletcher–Reeves / Polak–Ribière+）
``minibatches``                 一个 epoch 的小批量下标：乱序（shuffle）、分段（segment）或独立抽样
调度 ``Constant`` 等            学习率 :math:`r_t` 随步数 :math:`t` 的变化规律，可调用对象 ``schedule(t)``
==============================  ====================================================================
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
    "backtracking_line_search",
    "wolfe_line_search",
    "CGResult",
    "conjugate_gradient",
    "nonlinear_cg",
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
    所以 SGD 用它时能收敛到最优点，而不是停在一团噪声里（“随机梯度下降、小批量与牛顿法”一节）。"""

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
    damping: float = 0.0,
    line_search: bool = False,
    max_norm: float = 1e12,
) -> OptimResult:
    r"""牛顿法（默认 :math:`\eta=1`）：

    .. math:: \mathbf w^{(t+1)}=\mathbf w^{(t)}-\eta\,(H(\mathbf w^{(t)})+\lambda I)^{-1}\nabla L(\mathbf w^{(t)}) .

    每步解一个线性方程组 :math:`(H+\lambda I)\mathbf d=\nabla L`，而不是求逆。对二次函数，一步就到最优点；
    在最优点附近（海森矩阵正定时）误差按平方收敛。梯度范数小于 ``tol`` 时停止。

    ``damping`` 是 :math:`\lambda\ge 0`（Levenberg–Marquardt 式的阻尼）。``line_search=True``（需要 ``loss_fn``）
    时是**阻尼牛顿法**：若 :math:`-\mathbf d` 不是下降方向（:math:`H+\lambda I` 不正定），先把矩阵的特征值
    抬高到正数（:func:`_shift_to_positive_definite`），再从 ``step_size`` 起做 Armijo 回溯
    （:func:`backtracking_line_search`）。``hess_fn`` 也可以换成别的正定矩阵，比如费希尔信息（自然梯度）。
    """
    w = _check_common(w0, tol, max_norm)
    check_scalar(n_steps, "n_steps", Integral, min_val=0)
    check_scalar(step_size, "step_size", Real, min_val=0, include_min=False)
    check_scalar(damping, "damping", Real, min_val=0)
    if not isinstance(line_search, bool):
        raise TypeError(f"line_search must be True or False, got {line_search!r}")
    if line_search and loss_fn is None:
        raise ValueError("line_search=True needs loss_fn (the Armijo test compares losses)")
    rec = _Recorder(w, loss_fn, max_norm)
    d = w.shape[0]
    for _ in range(n_steps):
        g = _checked_step(grad_fn(w), "grad_fn", (d,))
        if np.linalg.norm(g) < tol:
            return rec.result(converged=True, diverged=False)
        H = _checked_step(hess_fn(w), "hess_fn", (d, d)) + damping * np.eye(d)
        try:
            step = np.linalg.solve(H, g)
        except np.linalg.LinAlgError as err:
            if not line_search:
                raise np.linalg.LinAlgError(f"the Hessian is singular at w = {w}: Newton's step is undefined") from err
            step = None
        eta = step_size
        if line_search:
            if step is None or g @ step <= 0:  # -step 不是下降方向：把 H 的特征值抬成正数
                step = np.linalg.solve(_shift_to_positive_definite(H), g)
            eta = backtracking_line_search(loss_fn, w, -step, g, step0=step_size)
        w = w - eta * step
        if rec.add(w, eta if line_search else None):
            return rec.result(converged=False, diverged=True)
    g = _checked_step(grad_fn(w), "grad_fn", (d,))
    return rec.result(converged=bool(np.linalg.norm(g) < tol), diverged=False)


def _shift_to_positive_definite(H: np.ndarray, rel: float = 1e-3) -> np.ndarray:
    r"""把对称矩阵的特征值平移到至少 :math:`\delta=\text{rel}\cdot\max(1,\max_i|\lambda_i|)`：:math:`H+\tau I`，
    :math:`\tau=\max(0,\delta-\lambda_{\min})`（“修正牛顿法”里最简单的一种）。"""
    H = (H + H.T) / 2
    eig = np.linalg.eigvalsh(H)
    delta = rel * max(1.0, float(np.abs(eig).max()))
    return H + max(0.0, delta - float(eig[0])) * np.eye(H.shape[0])


def backtracking_line_search(
    loss_fn: Callable[[Vector], float],
    w,
    direction,
    grad,
    *,
    step0: float = 1.0,
    shrink: float = 0.5,
    c: float = 1e-4,
    max_halvings: int = 60,
) -> float:
    r"""Armijo 回溯线搜索：从 ``step0`` 开始，每次乘以 ``shrink``，直到

    .. math:: L(\mathbf w+\eta\,\mathbf d)\le L(\mathbf w)+c\,\eta\,\nabla L(\mathbf w)^\top\mathbf d

    （充分下降条件）。``direction`` 必须是下降方向（:math:`\nabla L^\top\mathbf d<0`）。返回步长 :math:`\eta`；
    减半 ``max_halvings`` 次仍不满足时返回最后那个（极小的）步长。
    """
    w = check_array(w, "w", ndim=1)
    direction = check_array(direction, "direction", ndim=1)
    grad = check_array(grad, "grad", ndim=1)
    if not (direction.shape == grad.shape == w.shape):
        raise ValueError(
            f"w, direction and grad must have the same shape, got {w.shape}, {direction.shape}, {grad.shape}"
        )
    check_scalar(step0, "step0", Real, min_val=0, include_min=False)
    check_scalar(shrink, "shrink", Real, min_val=0, max_val=1, include_min=False, include_max=False)
    check_scalar(c, "c", Real, min_val=0, max_val=1, include_min=False, include_max=False)
    check_scalar(max_halvings, "max_halvings", Integral, min_val=0)
    slope = float(grad @ direction)
    if not slope < 0:
        raise ValueError(f"direction is not a descent direction: grad @ direction = {slope:.3g} >= 0")
    f0 = float(loss_fn(w))
    # 到了机器精度附近，损失的差别会被舍入吞掉：留出几个 ulp 的余地，否则收敛前的最后几步永远通不过检验
    rounding = 8 * np.finfo(float).eps * abs(f0)
    eta = float(step0)
    for _ in range(max_halvings):
        with np.errstate(over="ignore", invalid="ignore"):
            f_new = float(loss_fn(w + eta * direction))
        if math.isfinite(f_new) and f_new <= f0 + c * eta * slope + rounding:
            return eta
        eta *= shrink
    return eta


def wolfe_line_search(
    loss_fn: Callable[[Vector], float],
    grad_fn: GradFn,
    w,
    direction,
    grad,
    *,
    step0: float = 1.0,
    c1: float = 1e-4,
    c2: float = 0.1,
    max_iter: int = 50,
) -> float:
    r"""满足强 Wolfe 条件的步长（Nocedal & Wright 的算法 3.5–3.6：先外推找一个包含好步长的区间，再缩小）：

    .. math:: \phi(\eta)\le\phi(0)+c_1\eta\,\phi'(0),\qquad |\phi'(\eta)|\le c_2\,|\phi'(0)|,

    其中 :math:`\phi(\eta)=L(\mathbf w+\eta\mathbf d)`。第二个条件（曲率条件）要求沿 :math:`\mathbf d` 的斜率已经
    足够平——非线性共轭梯度法需要它来保证下一个方向仍是下降方向。``max_iter`` 次内找不到时返回当前最好的步长。
    """
    w = check_array(w, "w", ndim=1)
    direction = check_array(direction, "direction", ndim=1)
    grad = check_array(grad, "grad", ndim=1)
    check_scalar(step0, "step0", Real, min_val=0, include_min=False)
    check_scalar(c1, "c1", Real, min_val=0, max_val=1, include_min=False, include_max=False)
    check_scalar(c2, "c2", Real, min_val=c1, max_val=1, include_min=False, include_max=False)
    check_scalar(max_iter, "max_iter", Integral, min_val=1)
    phi0, dphi0 = float(loss_fn(w)), float(grad @ direction)
    if not dphi0 < 0:
        raise ValueError(f"direction is not a descent direction: grad @ direction = {dphi0:.3g} >= 0")

    def phi(eta):
        with np.errstate(over="ignore", invalid="ignore"):
            value = float(loss_fn(w + eta * direction))
        return value if math.isfinite(value) else math.inf

    def dphi(eta):
        return float(_checked_step(grad_fn(w + eta * direction), "grad_fn", w.shape) @ direction)

    def zoom(lo, phi_lo, dphi_lo, hi, phi_hi):
        # 区间 [lo, hi]（可能 lo > hi）里有满足强 Wolfe 条件的步长：二次插值取点（退化时取中点）
        for _ in range(max_iter):
            denom = 2 * (phi_hi - phi_lo - dphi_lo * (hi - lo))
            eta = lo - dphi_lo * (hi - lo) ** 2 / denom if denom > 0 and math.isfinite(phi_hi) else (lo + hi) / 2
            a, b = min(lo, hi), max(lo, hi)
            if not a + 0.1 * (b - a) <= eta <= b - 0.1 * (b - a):
                eta = (lo + hi) / 2
            phi_eta = phi(eta)
            if phi_eta > phi0 + c1 * eta * dphi0 or phi_eta >= phi_lo:
                hi, phi_hi = eta, phi_eta
            else:
                dphi_eta = dphi(eta)
                if abs(dphi_eta) <= -c2 * dphi0:
                    return eta
                if dphi_eta * (hi - lo) >= 0:
                    hi, phi_hi = lo, phi_lo
                lo, phi_lo, dphi_lo = eta, phi_eta, dphi_eta
        return lo

    prev, phi_prev, dphi_prev = 0.0, phi0, dphi0
    eta = float(step0)
    for i in range(max_iter):
        phi_eta = phi(eta)
        if phi_eta > phi0 + c1 * eta * dphi0 or (i > 0 and phi_eta >= phi_prev):
            return zoom(prev, phi_prev, dphi_prev, eta, phi_eta)
        dphi_eta = dphi(eta)
        if abs(dphi_eta) <= -c2 * dphi0:
            return eta
        if dphi_eta >= 0:
            return zoom(eta, phi_eta, dphi_eta, prev, phi_prev)
        prev, phi_prev, dphi_prev = eta, phi_eta, dphi_eta
        eta *= 2
    return prev


# ---------------------------------------------------------------------------------------------
# 共轭梯度法
# ---------------------------------------------------------------------------------------------
@dataclass
class CGResult:
    """共轭梯度法的结果。

    Attributes
    ----------
    x : 近似解。
    n_iter : 走了几步（每步一次矩阵–向量乘积）。
    converged : 残差是否降到 ``tol * ||b||`` 以下。
    residual_norms : 长度 ``n_iter + 1``，第 k 个是 :math:`\\lVert\\mathbf b-A\\mathbf x_k\\rVert`（递推得到的残差）。
    directions : 形状 ``(n_iter, n)``，每一步的搜索方向 :math:`\\mathbf p_k`（用来检查 A-共轭）。
    path : 形状 ``(n_iter + 1, n)``，迭代点 :math:`\\mathbf x_0,\\mathbf x_1,\\dots`。
    """

    x: np.ndarray
    n_iter: int
    converged: bool
    residual_norms: np.ndarray
    directions: np.ndarray
    path: np.ndarray


def _as_matvec(A, n: int) -> Callable[[np.ndarray], np.ndarray]:
    if callable(A):

        def matvec(v):
            out = np.asarray(A(v), dtype=float)
            if out.shape != (n,):
                raise ValueError(f"A(v) must return an array of shape ({n},), got {out.shape}")
            return out

        return matvec
    A = check_array(A, "A", ndim=2)
    if A.shape != (n, n):
        raise ValueError(f"A must have shape ({n}, {n}) to match b, got {A.shape}")
    if not np.allclose(A, A.T, rtol=1e-10, atol=1e-12 * max(1.0, float(np.abs(A).max()))):
        raise ValueError("A must be symmetric (conjugate gradients need a symmetric positive definite matrix)")
    return lambda v: A @ v


def conjugate_gradient(
    A,
    b,
    x0=None,
    *,
    tol: float = 1e-10,
    max_iter: int | None = None,
) -> CGResult:
    r"""共轭梯度法解 :math:`A\mathbf x=\mathbf b`，:math:`A` 对称正定（Hestenes–Stiefel）。

    ``A`` 是 ``(n, n)`` 数组，或者一个函数 ``v -> A @ v``（只需要矩阵–向量乘积，矩阵本身可以不存在）。
    当 :math:`\lVert\mathbf r_k\rVert\le` ``tol`` :math:`\cdot\lVert\mathbf b\rVert` 时停止
    （与 SciPy 的 ``rtol`` 相同）；
    ``max_iter`` 默认 ``10 * n``（精确算术下至多 ``n`` 步）。遇到 :math:`\mathbf p^\top A\mathbf p\le 0`
    说明 :math:`A` 不是正定的，报错。
    """
    b = check_array(b, "b", ndim=1)
    n = b.shape[0]
    if n == 0:
        raise ValueError("b must not be empty")
    matvec = _as_matvec(A, n)
    check_scalar(tol, "tol", Real, min_val=0)
    max_iter = 10 * n if max_iter is None else check_scalar(max_iter, "max_iter", Integral, min_val=0)
    x = np.zeros(n) if x0 is None else check_array(x0, "x0", ndim=1).copy()
    if x.shape != (n,):
        raise ValueError(f"x0 must have shape ({n},) to match b, got {x.shape}")
    r = b - matvec(x)
    p = r.copy()
    rr = float(r @ r)
    stop = tol * float(np.linalg.norm(b))
    norms, dirs, path = [math.sqrt(rr)], [], [x.copy()]
    k = 0
    while math.sqrt(rr) > stop and k < max_iter:
        Ap = matvec(p)
        pAp = float(p @ Ap)
        if not pAp > 0:
            raise ValueError(f"A is not positive definite: p^T A p = {pAp:.3g} <= 0 at step {k}")
        alpha = rr / pAp  # 沿 p 的精确线搜索
        x = x + alpha * p
        r = r - alpha * Ap  # 残差递推：不再乘一次 A
        rr_new = float(r @ r)
        dirs.append(p)
        p = r + (rr_new / rr) * p  # 新方向与之前所有方向 A-共轭
        rr = rr_new
        k += 1
        norms.append(math.sqrt(rr))
        path.append(x.copy())
    return CGResult(
        x=x,
        n_iter=k,
        converged=bool(math.sqrt(rr) <= stop),
        residual_norms=np.array(norms),
        directions=np.array(dirs).reshape(k, n),
        path=np.array(path),
    )


def nonlinear_cg(
    loss_fn: Callable[[Vector], float],
    grad_fn: GradFn,
    w0,
    *,
    beta: str = "PR+",
    n_steps: int = 1000,
    tol: float = 1e-6,
    max_norm: float = 1e12,
) -> OptimResult:
    r"""非线性共轭梯度法：:math:`\mathbf d_{k+1}=-\mathbf g_{k+1}+\beta_k\mathbf d_k`，步长满足强 Wolfe 条件
    （:func:`wolfe_line_search`）。

    ``beta="FR"``（Fletcher–Reeves）：:math:`\beta_k=\lVert\mathbf g_{k+1}\rVert^2/\lVert\mathbf g_k\rVert^2`；
    ``beta="PR+"``（Polak–Ribière，截断为非负）：
    :math:`\beta_k=\max\bigl(0,\mathbf g_{k+1}^\top(\mathbf g_{k+1}-\mathbf g_k)/\lVert\mathbf g_k\rVert^2\bigr)`。
    新方向不是下降方向时重启为负梯度。梯度范数小于 ``tol`` 时停止。
    """
    w = _check_common(w0, tol, max_norm)
    check_scalar(n_steps, "n_steps", Integral, min_val=0)
    if beta not in ("FR", "PR+"):
        raise ValueError(f"beta must be 'FR' or 'PR+', got {beta!r}")
    rec = _Recorder(w, loss_fn, max_norm)
    g = _checked_step(grad_fn(w), "grad_fn", w.shape)
    d = -g
    for _ in range(n_steps):
        if np.linalg.norm(g) < tol:
            return rec.result(converged=True, diverged=False)
        if g @ d >= 0:  # 不是下降方向：重启
            d = -g
        eta = wolfe_line_search(loss_fn, grad_fn, w, d, g, step0=_initial_step(d, g, rec))
        w = w + eta * d
        if rec.add(w, eta):
            return rec.result(converged=False, diverged=True)
        g_new = _checked_step(grad_fn(w), "grad_fn", w.shape)
        if beta == "FR":
            b = float(g_new @ g_new) / float(g @ g)
        else:
            b = max(0.0, float(g_new @ (g_new - g)) / float(g @ g))
        d = -g_new + b * d
        g = g_new
    return rec.result(converged=bool(np.linalg.norm(g) < tol), diverged=False)


def _initial_step(d, g, rec: _Recorder) -> float:
    # 第一个试探步长：让这一步的一阶下降量与上一步的实际下降量相当（Nocedal & Wright 式 3.60），至多 1
    if len(rec.losses) < 2:
        return 1.0
    drop = rec.losses[-2] - rec.losses[-1]
    slope = -float(g @ d)
    return float(min(1.0, max(1e-8, 2.02 * drop / slope))) if slope > 0 and drop > 0 else 1.0
