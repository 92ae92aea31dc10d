r"""优化器（“动量、Nesterov、AdaGrad、RMSprop、Adam”一节）：``torch.optim.Optimizer`` 的子类，
构造参数与默认值与 ``torch.optim`` 相同，但每一步更新都按公式亲手写出（不调用 torch 的实现）。
记 :math:`\mathbf g_t=\nabla_\theta\mathcal L(\theta_{t-1})`，
:math:`\eta` 为学习率，:math:`\lambda` 为 ``weight_decay``
（先把 :math:`\lambda\theta` 加进梯度，即 L2 正则；AdamW 除外）：

* ``SGD``：动量 :math:`\mathbf b_t=\mu\mathbf b_{t-1}+(1-\tau)\mathbf g_t`（:math:`\mathbf b_1=\mathbf g_1`），
  Nesterov 时沿 :math:`\mathbf g_t+\mu\mathbf b_t`、否则沿 :math:`\mathbf b_t` 走 :math:`\eta` 倍；
* ``Adagrad``：:math:`G_t=G_{t-1}+\mathbf g_t^2`，
  :math:`\theta_t=\theta_{t-1}-\eta_t\,\mathbf g_t/(\sqrt{G_t}+\epsilon)`；
* ``RMSprop``：:math:`v_t=\alpha v_{t-1}+(1-\alpha)\mathbf g_t^2`，
  :math:`\theta_t=\theta_{t-1}-\eta\,\mathbf g_t/(\sqrt{v_t}+\epsilon)`（可选中心化与动量）；
* ``Adadelta``：:math:`v_t=\rho v_{t-1}+(1-\rho)\mathbf g_t^2`，
  :math:`\Delta_t=\frac{\sqrt{u_{t-1}+\epsilon}}{\sqrt{v_t+\epsilon}}\mathbf g_t`，
  :math:`u_t=\rho u_{t-1}+(1-\rho)\Delta_t^2`，:math:`\theta_t=\theta_{t-1}-\eta\Delta_t`；
* ``Adam``：:math:`\mathbf m_t=\beta_1\mathbf m_{t-1}+(1-\beta_1)\mathbf g_t`，
  :math:`v_t=\beta_2v_{t-1}+(1-\beta_2)\mathbf g_t^2`，
  :math:`\theta_t=\theta_{t-1}-\eta\,\frac{\mathbf m_t/(1-\beta_1^t)}{\sqrt{v_t/(1-\beta_2^t)}+\epsilon}`
  （可选 AMSGrad）；
* ``AdamW``：同 Adam，但权重衰减与梯度解耦：先 :math:`\theta\leftarrow(1-\eta\lambda)\theta`，
  梯度里不加 :math:`\lambda\theta`。

所有平方、开方、除法都逐元素进行。状态（``self.state[p]``）的名字与 torch 相同（``momentum_buffer``、``exp_avg`` ……）。
``tests/test_nn_optim.py`` 在 float64 下把每个优化器的整条轨迹与 ``torch.optim`` 比较（含参数组、权重衰减、maximize）。
学习率调度沿用 :mod:`lib.optim` 的调度对象：:func:`set_lr` 把 ``schedule(t)`` 写进优化器
（:func:`lib.nn.fit` 每步调用）。
"""

from __future__ import annotations

import math
from numbers import Real

import torch

__all__ = ["SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW", "set_lr", "get_lr"]


def _check(name: str, value, *, low: float = 0.0, high: float | None = None, high_open: bool = False) -> float:
    """构造参数的检查：类型为实数，取值在 [low, high]（或 [low, high)）内；错误信息写明参数名。"""
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite real number, got {value!r}")
    if value < low:
        raise ValueError(f"{name} must be >= {low}, got {value!r}")
    if high is not None and (value > high or (high_open and value == high)):
        raise ValueError(f"{name} must be {'<' if high_open else '<='} {high}, got {value!r}")
    return float(value)


def _grad(p: torch.Tensor, group: dict) -> torch.Tensor:
    """参数的梯度，按 ``maximize`` 取反，并按 ``weight_decay`` 加上 :math:`\\lambda\\theta`（L2 正则的梯度）。"""
    g = -p.grad if group["maximize"] else p.grad
    if g.is_sparse:
        raise RuntimeError("sparse gradients are not supported")
    if group["weight_decay"] != 0:
        g = g + group["weight_decay"] * p
    return g


class _Optimizer(torch.optim.Optimizer):
    """公共部分：``step(closure)`` 在 ``no_grad`` 下对每个有梯度的参数调用子类的 ``_update``。"""

    def _update(self, p: torch.Tensor, g: torch.Tensor, state: dict, group: dict) -> None:  # pragma: no cover
        raise NotImplementedError

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    self._update(p, _grad(p, group), self.state[p], group)
        return loss


class SGD(_Optimizer):
    r"""随机梯度下降，可选动量（``momentum`` :math:`\mu`、``dampening`` :math:`\tau`）与 Nesterov 动量。"""

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ):
        _check("lr", lr)
        _check("momentum", momentum)
        _check("dampening", dampening)
        _check("weight_decay", weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("nesterov momentum requires a momentum > 0 and zero dampening")
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _update(self, p, g, state, group):
        mu = group["momentum"]
        if mu != 0:
            if "momentum_buffer" not in state:  # b_1 = g_1
                state["momentum_buffer"] = g.clone()
            else:  # b_t = μ b_{t-1} + (1 - τ) g_t
                state["momentum_buffer"] = mu * state["momentum_buffer"] + (1 - group["dampening"]) * g
            b = state["momentum_buffer"]
            g = g + mu * b if group["nesterov"] else b
        p.sub_(group["lr"] * g)  # θ_t = θ_{t-1} - η g


class Adagrad(_Optimizer):
    r"""AdaGrad：按历史梯度平方和 :math:`G_t` 逐坐标缩小步长；:math:`\eta_t=\eta/(1+(t-1)\,\text{lr\_decay})`。"""

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ):
        _check("lr", lr)
        _check("lr_decay", lr_decay)
        _check("weight_decay", weight_decay)
        _check("initial_accumulator_value", initial_accumulator_value)
        _check("eps", eps)
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            weight_decay=weight_decay,
            eps=eps,
            maximize=maximize,
            initial_accumulator_value=initial_accumulator_value,
        )
        super().__init__(params, defaults)

    def _update(self, p, g, state, group):
        if "sum" not in state:
            state["step"] = 0
            state["sum"] = torch.full_like(p, group["initial_accumulator_value"])
        state["step"] += 1
        lr_t = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        state["sum"] = state["sum"] + g * g  # G_t = G_{t-1} + g_t²
        p.sub_(lr_t * g / (state["sum"].sqrt() + group["eps"]))


class RMSprop(_Optimizer):
    r"""RMSprop：梯度平方的指数滑动平均 :math:`v_t`；``centered`` 时减去梯度均值的平方（估计方差而非二阶矩）。"""

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ):
        _check("lr", lr)
        _check("alpha", alpha, high=1)
        _check("eps", eps)
        _check("weight_decay", weight_decay)
        _check("momentum", momentum)
        defaults = dict(
            lr=lr,
            alpha=alpha,
            eps=eps,
            weight_decay=weight_decay,
            momentum=momentum,
            centered=centered,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _update(self, p, g, state, group):
        alpha = group["alpha"]
        if "square_avg" not in state:
            state["step"] = 0
            state["square_avg"] = torch.zeros_like(p)
            if group["momentum"] > 0:
                state["momentum_buffer"] = torch.zeros_like(p)
            if group["centered"]:
                state["grad_avg"] = torch.zeros_like(p)
        state["step"] += 1
        state["square_avg"] = alpha * state["square_avg"] + (1 - alpha) * g * g  # v_t
        v = state["square_avg"]
        if group["centered"]:
            state["grad_avg"] = alpha * state["grad_avg"] + (1 - alpha) * g  # ḡ_t
            v = v - state["grad_avg"] ** 2  # v_t - ḡ_t²：梯度的（滑动）方差
        denom = v.sqrt() + group["eps"]
        if group["momentum"] > 0:
            state["momentum_buffer"] = group["momentum"] * state["momentum_buffer"] + g / denom
            p.sub_(group["lr"] * state["momentum_buffer"])
        else:
            p.sub_(group["lr"] * g / denom)


class Adadelta(_Optimizer):
    r"""AdaDelta：用更新量平方的滑动平均 :math:`u_t` 代替全局学习率，使步长有参数的“单位”。"""

    def __init__(
        self,
        params,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        *,
        maximize: bool = False,
    ):
        _check("lr", lr)
        _check("rho", rho, high=1)
        _check("eps", eps)
        _check("weight_decay", weight_decay)
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize))

    def _update(self, p, g, state, group):
        rho, eps = group["rho"], group["eps"]
        if "square_avg" not in state:
            state["step"] = 0
            state["square_avg"] = torch.zeros_like(p)
            state["acc_delta"] = torch.zeros_like(p)
        state["step"] += 1
        state["square_avg"] = rho * state["square_avg"] + (1 - rho) * g * g  # v_t
        delta = (state["acc_delta"] + eps).sqrt() / (state["square_avg"] + eps).sqrt() * g  # Δ_t
        state["acc_delta"] = rho * state["acc_delta"] + (1 - rho) * delta * delta  # u_t
        p.sub_(group["lr"] * delta)


class Adam(_Optimizer):
    r"""Adam：一阶矩 :math:`\mathbf m_t` 与二阶矩 :math:`v_t` 的滑动平均，各自做偏差修正。

    ``decoupled_weight_decay=True`` 时与 :class:`AdamW` 相同。``amsgrad=True`` 时分母用历史最大的 :math:`v_t`。
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ):
        _check("lr", lr)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        _check("betas[0]", betas[0], high=1, high_open=True)
        _check("betas[1]", betas[1], high=1, high_open=True)
        _check("eps", eps)
        _check("weight_decay", weight_decay)
        defaults = dict(
            lr=lr,
            betas=tuple(betas),
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            decoupled_weight_decay=decoupled_weight_decay,
        )
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            decoupled = group["decoupled_weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                if decoupled:  # AdamW：θ ← (1 - ηλ)θ，梯度本身不加 λθ
                    p.mul_(1 - group["lr"] * group["weight_decay"])
                    g = -p.grad if group["maximize"] else p.grad
                else:
                    g = _grad(p, group)
                self._update(p, g, self.state[p], group)
        return loss

    def _update(self, p, g, state, group):
        beta1, beta2 = group["betas"]
        if "exp_avg" not in state:
            state["step"] = 0
            state["exp_avg"] = torch.zeros_like(p)
            state["exp_avg_sq"] = torch.zeros_like(p)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = torch.zeros_like(p)
        state["step"] += 1
        t = state["step"]
        state["exp_avg"] = beta1 * state["exp_avg"] + (1 - beta1) * g  # m_t
        state["exp_avg_sq"] = beta2 * state["exp_avg_sq"] + (1 - beta2) * g * g  # v_t
        v = state["exp_avg_sq"]
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = torch.maximum(state["max_exp_avg_sq"], v)
            v = state["max_exp_avg_sq"]
        m_hat = state["exp_avg"] / (1 - beta1**t)  # 偏差修正
        v_hat = v / (1 - beta2**t)
        p.sub_(group["lr"] * m_hat / (v_hat.sqrt() + group["eps"]))


class AdamW(Adam):
    """Adam + 解耦的权重衰减（Loshchilov & Hutter）；与 torch 一样，``weight_decay`` 默认 0.01。"""

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ):
        super().__init__(
            params,
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            decoupled_weight_decay=True,
        )


def set_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    """把所有参数组的学习率设为 ``lr``（学习率调度每步调用它）。"""
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")
    _check("lr", lr)
    for group in optimizer.param_groups:
        group["lr"] = float(lr)


def get_lr(optimizer: torch.optim.Optimizer) -> float:
    """第一个参数组的学习率。"""
    return float(optimizer.param_groups[0]["lr"])
