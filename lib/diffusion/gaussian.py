r"""高斯扩散过程（扩散模型一章从“前向过程的闭式解”到“训练与采样：算法 1 与算法 2”四节）：
前向过程的闭式解、后验分布、训练损失与变分下界的各项。

记号与书中一致，时间步 :math:`t` 从 1 数到 :math:`T`：

.. math::

    q(\mathbf x_t\mid\mathbf x_{t-1})=\mathcal N\bigl(\sqrt{1-\beta_t}\,\mathbf x_{t-1},\ \beta_t I\bigr),\qquad
    q(\mathbf x_t\mid\mathbf x_0)=\mathcal N\bigl(\sqrt{\bar\alpha_t}\,\mathbf x_0,\ (1-\bar\alpha_t)I\bigr),

    q(\mathbf x_{t-1}\mid\mathbf x_t,\mathbf x_0)=\mathcal N\bigl(\tilde{\boldsymbol\mu}_t,\ \tilde\beta_t I\bigr),\quad
    \tilde{\boldsymbol\mu}_t=\frac{\sqrt{\bar\alpha_{t-1}}\beta_t}{1-\bar\alpha_t}\mathbf x_0
    +\frac{\sqrt{1-\beta_t}(1-\bar\alpha_{t-1})}{1-\bar\alpha_t}\mathbf x_t,\quad
    \tilde\beta_t=\frac{1-\bar\alpha_{t-1}}{1-\bar\alpha_t}\beta_t .

:class:`GaussianDiffusion` 在构造时用 float64 把这些系数全部算好，存成长度 :math:`T+1` 的 NumPy 数组，
**下标就是时间步**：``alpha_bars[t]`` 是 :math:`\bar\alpha_t`，``alpha_bars[0]`` 是 :math:`\bar\alpha_0=1`，
``betas[0]`` 是占位的 0。这样代码里的 ``alpha_bars[t - 1]`` 就是公式里的 :math:`\bar\alpha_{t-1}`。
用到张量时，系数按时间步取出、转成输入的 dtype 与设备，所以同一份代码在 CPU 和 CUDA、float32 和 float64 上都能用。

去噪网络 ``model(x_t, t)`` 接收 ``x_t``（第一维是批）与整数时间步 ``t``（形状 ``(B,)`` 的 ``long`` 张量），
输出与 ``x_t`` 同形的预测；``prediction`` 说明它预测什么：``"eps"``（噪声 :math:`\boldsymbol\epsilon`，DDPM 的选择）、
``"x0"``（干净数据）或 ``"v"``（v = √ᾱ_t ε − √(1−ᾱ_t) x_0）。
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from numbers import Integral

import numpy as np
import torch

from ..utils import check_option
from .schedules import alpha_bar, check_betas

__all__ = ["GaussianDiffusion", "normal_kl", "gaussian_nll", "PREDICTIONS", "VARIANCES"]

PREDICTIONS = ("eps", "x0", "v")
VARIANCES = ("beta_tilde", "beta")  # σ_t² = β̃_t（后验方差，下界）或 β_t（上界），DDPM 论文 3.2 节
Model = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _check_variance(var: torch.Tensor, name: str) -> None:
    if not var.is_cuda and not bool(torch.all(var > 0)):  # NaN 也不满足 > 0；CUDA 上不做同步检查
        raise ValueError(f"{name} must be positive (a variance), got a minimum of {var.min().item():.3g}")


def normal_kl(mean1, var1, mean2, var2) -> torch.Tensor:
    r"""逐元素的 :math:`\mathrm{KL}\bigl(\mathcal N(\mu_1,v_1)\,\|\,\mathcal N(\mu_2,v_2)\bigr)
    =\frac12\Bigl(\log\frac{v_2}{v_1}+\frac{v_1+(\mu_1-\mu_2)^2}{v_2}-1\Bigr)`（单位：nat）。参数可以广播。"""
    mean1, var1, mean2, var2 = (torch.as_tensor(a) for a in (mean1, var1, mean2, var2))
    _check_variance(var1, "var1")
    _check_variance(var2, "var2")
    return 0.5 * (torch.log(var2) - torch.log(var1) + (var1 + (mean1 - mean2) ** 2) / var2 - 1.0)


def gaussian_nll(x, mean, var) -> torch.Tensor:
    r"""逐元素的负对数密度 :math:`-\log\mathcal N(x;\mu,v)=\frac12\bigl(\log 2\pi v+(x-\mu)^2/v\bigr)`。"""
    x, mean, var = (torch.as_tensor(a) for a in (x, mean, var))
    _check_variance(var, "var")
    return 0.5 * (torch.log(2 * torch.pi * var) + (x - mean) ** 2 / var)


def _sum_except_batch(x: torch.Tensor) -> torch.Tensor:
    return x.reshape(x.shape[0], -1).sum(dim=1)


def _as_time_steps(t) -> torch.Tensor:
    """``torch.as_tensor(t)``；``None``、字符串之类在这里就报出是参数 ``t`` 的问题。"""
    try:
        return torch.as_tensor(t)
    except (TypeError, ValueError, RuntimeError):
        raise TypeError(f"t must be an int or an integer tensor of time steps, got {type(t).__name__}") from None


class GaussianDiffusion:
    r"""一个固定的高斯扩散过程 :math:`q`，由调度 :math:`\beta_1,\dots,\beta_T` 决定（DDPM，Ho 等 2020）。

    >>> from lib.diffusion import GaussianDiffusion, linear_beta_schedule
    >>> diffusion = GaussianDiffusion(linear_beta_schedule(1000))
    >>> float(diffusion.alpha_bars[1000]) < 1e-4
    True

    参数
    ----
    betas : 长度 :math:`T` 的数组，:math:`\beta_t\in(0,1)`，由 ``schedules`` 中的函数给出。
    prediction : 去噪网络的输出是什么，``"eps"``（默认）、``"x0"`` 或 ``"v"``。
    """

    def __init__(self, betas, prediction: str = "eps"):
        check_option(prediction, "prediction", PREDICTIONS)
        betas = check_betas(betas)
        self.prediction = prediction
        self.T = int(betas.shape[0])
        # 下标 = 时间步 t；t = 0 处放 β_0 = 0、ᾱ_0 = 1，使 ᾱ_{t-1} 在 t = 1 时也有定义
        self.betas = np.concatenate([[0.0], betas])
        self.alphas = 1.0 - self.betas
        self.alpha_bars = np.concatenate([[1.0], alpha_bar(betas)])
        ab, ab_prev = self.alpha_bars[1:], self.alpha_bars[:-1]
        # 后验 q(x_{t-1} | x_t, x_0) 的方差与均值系数（配方法，“逆过程与后验分布”一节）；β̃_1 = 0
        self.posterior_variance = np.concatenate([[0.0], betas * (1.0 - ab_prev) / (1.0 - ab)])
        self.posterior_coef_x0 = np.concatenate([[0.0], np.sqrt(ab_prev) * betas / (1.0 - ab)])
        self.posterior_coef_xt = np.concatenate([[0.0], np.sqrt(1.0 - betas) * (1.0 - ab_prev) / (1.0 - ab)])
        self._cache: dict[tuple[str, str], torch.Tensor] = {}

    def __repr__(self) -> str:
        b = self.betas[1:]
        return (
            f"GaussianDiffusion(T={self.T}, beta_1={b[0]:.3g}, beta_T={b[-1]:.3g}, "
            f"alpha_bar_T={self.alpha_bars[-1]:.3g}, prediction={self.prediction!r})"
        )

    # -----------------------------------------------------------------------------------------
    # 系数：按时间步取值，搬到输入的设备与 dtype 上
    # -----------------------------------------------------------------------------------------
    def coef(self, name: str, t: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """``getattr(self, name)[t]``，形状 ``(B, 1, 1, ...)``，可与 ``x`` 广播。"""
        key = (name, str(x.device))
        table = self._cache.get(key)
        if table is None:
            table = torch.as_tensor(getattr(self, name), dtype=torch.float64, device=x.device)
            self._cache[key] = table
        # 负的时间步会绕回表尾（t=-1 变成 t=T），必须报错而不是默默取值
        tt = _as_time_steps(t)
        if tt.is_floating_point() or tt.is_complex() or tt.dtype == torch.bool:
            raise TypeError(f"t must hold integer time steps, got dtype {tt.dtype}")
        if tt.device.type == "cpu":
            if tt.numel() and (int(tt.min()) < 0 or int(tt.max()) >= table.shape[0]):
                raise IndexError(
                    f"t must lie in [0, {table.shape[0] - 1}], got values in [{int(tt.min())}, {int(tt.max())}]"
                )
        else:
            torch._assert_async(((tt >= 0) & (tt < table.shape[0])).all(), "t out of range")
        if tt.ndim == 1 and x.ndim and tt.shape[0] not in (1, x.shape[0]) and x.shape[0] != 1:
            raise ValueError(f"t must have one time step per sample of x ({x.shape[0]}), got shape {tuple(tt.shape)}")
        dtype = x.dtype if x.dtype in (torch.float32, torch.float64) else torch.float32
        return table[t].to(dtype).reshape(-1, *([1] * (x.ndim - 1)))

    def timesteps(self, t, batch: int, device, *, min_t: int = 1) -> torch.Tensor:
        """把 ``t``（整数，或长度为 ``batch`` 的整数数组/张量）检查并变成 ``(batch,)`` 的 ``long`` 张量。

        整数在主机上检查；CPU 张量检查后报出越界的值；CUDA（及其他非 CPU 设备）上的张量用 ``torch._assert_async``
        在设备上检查，不让主机等待 GPU（采样的每一步都要调用这里，一次同步就会让 CPU 与 GPU 交替空转）。"""
        if isinstance(t, Integral) and not isinstance(t, bool):
            if not min_t <= int(t) <= self.T:
                raise ValueError(f"t must lie in [{min_t}, {self.T}] (T = {self.T}), got {int(t)}")
            t_ = torch.full((batch,), int(t), dtype=torch.long, device=device)
        else:
            t_ = _as_time_steps(t).to(device)
            if t_.dtype.is_floating_point or t_.dtype == torch.bool or t_.is_complex():
                raise TypeError(f"t must be an int or an integer tensor of time steps, got dtype {t_.dtype}")
            if t_.ndim == 0:
                t_ = t_.expand(batch)
            if t_.shape != (batch,):
                raise ValueError(
                    f"t must be an int or have shape ({batch},) (one step per example), got {tuple(t_.shape)}"
                )
            t_ = t_.long()
            if t_.device.type != "cpu":
                # no host synchronisation on the sampling hot path: the check runs on the device, asynchronously
                torch._assert_async(((t_ >= min_t) & (t_ <= self.T)).all(), f"t must lie in [{min_t}, {self.T}]")
                return t_
            lo, hi = int(t_.min()), int(t_.max())
            if lo < min_t or hi > self.T:
                raise ValueError(f"t must lie in [{min_t}, {self.T}] (T = {self.T}), got values in [{lo}, {hi}]")
        return t_

    @staticmethod
    def _check_x(x, name: str) -> torch.Tensor:
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
        if x.ndim < 2:
            raise ValueError(f"{name} must have a batch dimension first, shape (B, ...), got shape {tuple(x.shape)}")
        if not x.dtype.is_floating_point:
            raise TypeError(f"{name} must be a floating-point tensor, got dtype {x.dtype}")
        return x

    @staticmethod
    def _check_same_shape(a: torch.Tensor, b: torch.Tensor, name_a: str, name_b: str) -> None:
        if a.shape != b.shape:
            raise ValueError(f"{name_b} must have the same shape as {name_a} {tuple(a.shape)}, got {tuple(b.shape)}")

    def _noise_like(self, x: torch.Tensor, noise, generator) -> torch.Tensor:
        if noise is None:
            return torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
        self._check_same_shape(x, noise, "x0", "noise")
        return noise

    # -----------------------------------------------------------------------------------------
    # 前向过程（“扩散过程”“前向过程的闭式解”两节）
    # -----------------------------------------------------------------------------------------
    def q_step(self, x_prev: torch.Tensor, t, noise=None, generator=None) -> torch.Tensor:
        r"""前向过程的一步：x_t = √(1−β_t) x_{t−1} + √β_t ε_t。"""
        x_prev = self._check_x(x_prev, "x_prev")
        t = self.timesteps(t, x_prev.shape[0], x_prev.device)
        noise = self._noise_like(x_prev, noise, generator)
        return self.coef("alphas", t, x_prev).sqrt() * x_prev + self.coef("betas", t, x_prev).sqrt() * noise

    def q_mean_variance(self, x0: torch.Tensor, t) -> tuple[torch.Tensor, torch.Tensor]:
        r"""闭式解 q(x_t | x_0) 的均值 √ᾱ_t x_0 与方差 1 − ᾱ_t（形状可与 ``x0`` 广播）。"""
        x0 = self._check_x(x0, "x0")
        t = self.timesteps(t, x0.shape[0], x0.device, min_t=0)
        ab = self.coef("alpha_bars", t, x0)
        return ab.sqrt() * x0, 1.0 - ab

    def q_sample(self, x0: torch.Tensor, t, noise=None, generator=None) -> torch.Tensor:
        r"""一步跳到第 :math:`t` 步：
            :math:`\mathbf x_t=\sqrt{\bar\alpha_t}\,\mathbf x_0+\sqrt{1-\bar\alpha_t}\,\boldsymbol\epsilon`。

        ``t`` 可以是整数或每个样本一个时间步（``t = 0`` 返回 ``x0`` 本身）；``noise`` 省略时从 ``generator`` 抽取。
        """
        mean, var = self.q_mean_variance(x0, t)
        noise = self._noise_like(x0, noise, generator)
        return mean + var.sqrt() * noise

    # -----------------------------------------------------------------------------------------
    # 后验与参数化（“逆过程与后验分布”“变分下界与简化损失”两节）
    # -----------------------------------------------------------------------------------------
    def q_posterior(self, x0: torch.Tensor, xt: torch.Tensor, t) -> tuple[torch.Tensor, torch.Tensor]:
        r"""后验 q(x_{t−1} | x_t, x_0) 的均值 μ̃_t 与方差 β̃_t（配方法，“逆过程与后验分布”一节）。"""
        x0, xt = self._check_x(x0, "x0"), self._check_x(xt, "xt")
        self._check_same_shape(x0, xt, "x0", "xt")
        t = self.timesteps(t, x0.shape[0], x0.device)
        mean = self.coef("posterior_coef_x0", t, x0) * x0 + self.coef("posterior_coef_xt", t, xt) * xt
        return mean, self.coef("posterior_variance", t, x0)

    def predict_x0_from_eps(self, xt: torch.Tensor, t, eps: torch.Tensor) -> torch.Tensor:
        r"""由 :math:`\mathbf x_t=\sqrt{\bar\alpha_t}\mathbf x_0+\sqrt{1-\bar\alpha_t}\boldsymbol\epsilon` 反解
        :math:`\mathbf x_0=(\mathbf x_t-\sqrt{1-\bar\alpha_t}\,\boldsymbol\epsilon)/\sqrt{\bar\alpha_t}`。"""
        xt, eps = self._check_x(xt, "xt"), self._check_x(eps, "eps")
        self._check_same_shape(xt, eps, "xt", "eps")
        t = self.timesteps(t, xt.shape[0], xt.device, min_t=1)
        ab = self.coef("alpha_bars", t, xt)
        return (xt - (1.0 - ab).sqrt() * eps) / ab.sqrt()

    def predict_eps_from_x0(self, xt: torch.Tensor, t, x0: torch.Tensor) -> torch.Tensor:
        r""":math:`\boldsymbol\epsilon=(\mathbf x_t-\sqrt{\bar\alpha_t}\,\mathbf x_0)/\sqrt{1-\bar\alpha_t}`。"""
        xt, x0 = self._check_x(xt, "xt"), self._check_x(x0, "x0")
        self._check_same_shape(xt, x0, "xt", "x0")
        t = self.timesteps(t, xt.shape[0], xt.device, min_t=1)
        ab = self.coef("alpha_bars", t, xt)
        return (xt - ab.sqrt() * x0) / (1.0 - ab).sqrt()

    def v_target(self, x0: torch.Tensor, t, eps: torch.Tensor) -> torch.Tensor:
        r"""v 参数化的目标 v = √ᾱ_t ε − √(1−ᾱ_t) x_0（Salimans 与 Ho，2022）。"""
        x0, eps = self._check_x(x0, "x0"), self._check_x(eps, "eps")
        self._check_same_shape(x0, eps, "x0", "eps")
        t = self.timesteps(t, x0.shape[0], x0.device, min_t=1)
        ab = self.coef("alpha_bars", t, x0)
        return ab.sqrt() * eps - (1.0 - ab).sqrt() * x0

    def eps_x0_from_output(self, output: torch.Tensor, xt: torch.Tensor, t) -> tuple[torch.Tensor, torch.Tensor]:
        """把网络输出（按 ``prediction`` 解释）换算成一对 (ε̂, x̂_0)。"""
        self._check_same_shape(xt, output, "xt", "model output")
        output = output.to(xt.dtype)
        if self.prediction == "eps":
            return output, self.predict_x0_from_eps(xt, t, output)
        if self.prediction == "x0":
            return self.predict_eps_from_x0(xt, t, output), output
        t_ = self.timesteps(t, xt.shape[0], xt.device)
        ab = self.coef("alpha_bars", t_, xt)
        x0 = ab.sqrt() * xt - (1.0 - ab).sqrt() * output  # v 参数化下的反解
        eps = (1.0 - ab).sqrt() * xt + ab.sqrt() * output
        return eps, x0

    def predict(
        self, model: Model, xt: torch.Tensor, t, *, clip_x0: Sequence[float] | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        r"""调用去噪网络，返回 :math:`(\hat{\boldsymbol\epsilon},\hat{\mathbf x}_0)`。

        ``clip_x0=(lo, hi)`` 时把 :math:`\hat{\mathbf x}_0` 截断到数据的取值范围（如图像的 :math:`[-1,1]`），
        再由截断后的 :math:`\hat{\mathbf x}_0` 重算 :math:`\hat{\boldsymbol\epsilon}`，两者始终满足前向过程的关系。
        """
        xt = self._check_x(xt, "xt")
        t = self.timesteps(t, xt.shape[0], xt.device)
        eps, x0 = self.eps_x0_from_output(model(xt, t), xt, t)
        if clip_x0 is not None:
            lo, hi = clip_x0
            x0 = x0.clamp(lo, hi)
            eps = self.predict_eps_from_x0(xt, t, x0)
        return eps, x0

    def sigma2(self, t, x: torch.Tensor, variance: str = "beta_tilde") -> torch.Tensor:
        r"""逆过程 :math:`p_\theta(\mathbf x_{t-1}\mid\mathbf x_t)` 的方差 :math:`\sigma_t^2`：
        ``"beta_tilde"`` 取 :math:`\tilde\beta_t`，``"beta"`` 取 :math:`\beta_t`。"""
        check_option(variance, "variance", VARIANCES)
        t = self.timesteps(t, x.shape[0], x.device)
        return self.coef("posterior_variance" if variance == "beta_tilde" else "betas", t, x)

    def p_mean_variance(
        self, model: Model, xt: torch.Tensor, t, *, variance: str = "beta_tilde", clip_x0=None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        r"""逆过程一步的均值与方差：:math:`\boldsymbol\mu_\theta=\frac{1}{\sqrt{1-\beta_t}}
        \bigl(\mathbf x_t-\frac{\beta_t}{\sqrt{1-\bar\alpha_t}}\hat{\boldsymbol\epsilon}\bigr)`，:math:`\sigma_t^2`。

        它等于把 x̂_0 代入后验均值 μ̃_t(x_t, x̂_0)（“变分下界与简化损失”一节）。
        """
        t = self.timesteps(t, xt.shape[0], xt.device)
        eps, _ = self.predict(model, xt, t, clip_x0=clip_x0)
        beta, ab = self.coef("betas", t, xt), self.coef("alpha_bars", t, xt)
        mean = (xt - beta / (1.0 - ab).sqrt() * eps) / (1.0 - beta).sqrt()
        return mean, self.sigma2(t, xt, variance)

    def loss_weight(self, t, variance: str = "beta_tilde") -> np.ndarray:
        r"""变分下界中 :math:`\|\boldsymbol\epsilon-\boldsymbol\epsilon_\theta\|^2` 前的权重
        :math:`\lambda_t=\frac{\beta_t^2}{2\sigma_t^2(1-\beta_t)(1-\bar\alpha_t)}`（“变分下界与简化损失”一节）。

        :math:`\sigma_t^2=\tilde\beta_t` 时化简为 :math:`\lambda_t=\frac{\beta_t}{2(1-\beta_t)(1-\bar\alpha_{t-1})}`；
        :math:`t=1` 时 :math:`\tilde\beta_1=0`，
        权重为 ``inf``——那一项其实是解码项 :math:`-\log p_\theta(\mathbf x_0\mid\mathbf x_1)`。
        ``t`` 是整数或整数数组，返回 float64 数组。
        """
        check_option(variance, "variance", VARIANCES)
        t = np.asarray(t)
        if not np.issubdtype(t.dtype, np.integer):
            raise TypeError(f"t must be integer time steps, got dtype {t.dtype}")
        if t.size and (t.min() < 1 or t.max() > self.T):
            raise ValueError(f"t must lie in [1, {self.T}] (T = {self.T}), got values in [{t.min()}, {t.max()}]")
        sigma2 = (self.posterior_variance if variance == "beta_tilde" else self.betas)[t]
        beta, ab = self.betas[t], self.alpha_bars[t]
        with np.errstate(divide="ignore"):
            return beta**2 / (2 * sigma2 * (1 - beta) * (1 - ab))

    # -----------------------------------------------------------------------------------------
    # 训练目标（“变分下界与简化损失”“训练与采样：算法 1 与算法 2”两节）
    # -----------------------------------------------------------------------------------------
    def loss(self, model: Model, x0: torch.Tensor, *, t=None, noise=None, generator=None, reduction: str = "mean"):
        r"""简化损失 :math:`L_{\text{simple}}`（算法 1 的第 2–5 行）：

        :math:`t\sim U\{1,\dots,T\}`，:math:`\boldsymbol\epsilon\sim\mathcal N(0,I)`，
        ‖ε − ε_θ(√ᾱ_t x_0 + √(1−ᾱ_t) ε, t)‖²
        对维数取平均。``prediction`` 为 ``"x0"``/``"v"`` 时目标相应换成 :math:`\mathbf x_0`/:math:`\mathbf v`。
        ``reduction="none"`` 返回每个样本的损失（形状 ``(B,)``），便于按 :math:`t` 画图。
        """
        if reduction not in ("mean", "none"):
            raise ValueError(f"reduction must be 'mean' or 'none', got {reduction!r}")
        x0 = self._check_x(x0, "x0")
        B = x0.shape[0]
        if t is None:  # 第 3 行：t ~ Uniform({1, ..., T})
            t = torch.randint(1, self.T + 1, (B,), generator=generator, device=x0.device)
        t = self.timesteps(t, B, x0.device)
        noise = self._noise_like(x0, noise, generator)  # 第 4 行：ε ~ N(0, I)
        xt = self.q_sample(x0, t, noise)
        output = model(xt, t)
        self._check_same_shape(x0, output, "x0", "model output")
        target = {"eps": noise, "x0": x0}.get(self.prediction)
        if target is None:
            target = self.v_target(x0, t, noise)
        per_example = ((target - output.to(x0.dtype)) ** 2).reshape(B, -1).mean(dim=1)  # 第 5 行：‖ε − ε_θ‖²
        return per_example.mean() if reduction == "mean" else per_example

    @torch.no_grad()
    def vlb_terms(self, model: Model, x0: torch.Tensor, *, variance: str = "beta_tilde", generator=None) -> dict:
        r"""负变分下界 :math:`-\mathcal L=L_0+\sum_{t=2}^T L_{t-1}+L_T` 的每一项（每个样本一个数，单位 nat，
            对维数求和）：

        * ``"prior"``：:math:`L_T=\mathrm{KL}(q(\mathbf x_T\mid\mathbf x_0)\,\|\,\mathcal N(0,I))`，不含参数；
        * ``"kl"``：形状 ``(B, T-1)``，
          第 ``t-2`` 列是 L_{t−1} = KL(q(x_{t−1} | x_t, x_0) ‖ p_θ(x_{t−1} | x_t))，
          :math:`t=2,\dots,T`，每个 :math:`t` 用一个 :math:`\mathbf x_t\sim q(\mathbf x_t\mid\mathbf x_0)` 估计；
        * ``"decoder"``：:math:`L_0=-\log p_\theta(\mathbf x_0\mid\mathbf x_1)`，连续数据用高斯解码器
          :math:`\mathcal N(\boldsymbol\mu_\theta(\mathbf x_1,1),\beta_1 I)`（:math:`\tilde\beta_1=0`，不能作方差）；
        * ``"total"``：三者之和，即 :math:`-\log p_\theta(\mathbf x_0)` 的上界。

        需要 :math:`T` 次网络前向，只用于小模型和小 :math:`T`。
        """
        x0 = self._check_x(x0, "x0")
        B = x0.shape[0]
        mean_T, var_T = self.q_mean_variance(x0, self.T)
        prior = _sum_except_batch(normal_kl(mean_T, var_T, torch.zeros_like(x0), torch.ones_like(x0)))
        kls = []
        for t in range(2, self.T + 1):
            xt = self.q_sample(x0, t, generator=generator)
            true_mean, true_var = self.q_posterior(x0, xt, t)
            mean, var = self.p_mean_variance(model, xt, t, variance=variance)
            kls.append(_sum_except_batch(normal_kl(true_mean, true_var, mean, var)))
        kl = torch.stack(kls, dim=1) if kls else x0.new_zeros(B, 0)
        x1 = self.q_sample(x0, 1, generator=generator)
        mean1, _ = self.p_mean_variance(model, x1, 1)
        decoder = _sum_except_batch(gaussian_nll(x0, mean1, self.coef("betas", self.timesteps(1, B, x0.device), x0)))
        return {"prior": prior, "kl": kl, "decoder": decoder, "total": prior + kl.sum(dim=1) + decoder}

    def snr(self, t) -> np.ndarray:
        r"""信噪比 :math:`\mathrm{SNR}(t)=\bar\alpha_t/(1-\bar\alpha_t)`（``t`` 为整数或整数数组）。"""
        t = np.asarray(t)
        if t.size and (t.min() < 1 or t.max() > self.T):
            raise ValueError(f"t must lie in [1, {self.T}] (T = {self.T}), got values in [{t.min()}, {t.max()}]")
        ab = self.alpha_bars[t]
        return ab / (1.0 - ab)
