r"""生成对抗网络（“生成对抗网络”一章）：最优判别器与价值函数、模式计数、GAN 与 WGAN 的训练循环。

* ``optimal_discriminator``：已知两个密度时的最优判别器 :math:`D^\ast=p_{\rm data}/(p_{\rm data}+p_g)`；
* ``gan_value``：价值函数 :math:`V(D,G)=\mathbb E_{p_{\rm data}}\log D+\mathbb E_{p_g}\log(1-D)`（网格上的数值积分）；
* ``count_modes``：生成的样本覆盖了几个模式（离某个中心 3 个标准差以内算“高质量”样本）；
* ``train_gan``：交替训练判别器（或评论家）与生成器，损失可选原始的极小极大、非饱和、WGAN 权重截断、WGAN 梯度惩罚；
* ``wasserstein_critic``：固定两组样本，训练一个评论家，用对偶形式估计 1-Wasserstein 距离；
* ``gradient_penalty``：WGAN-GP 的 :math:`\mathbb E\bigl[(\lVert\nabla_{\hat x}D(\hat x)\rVert-1)^2\bigr]`。
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .utils import check_array, check_option, check_scalar

__all__ = [
    "optimal_discriminator",
    "gan_value",
    "count_modes",
    "LOSSES",
    "GANHistory",
    "gradient_penalty",
    "train_gan",
    "wasserstein_critic",
]

LOSSES = ("minimax", "non-saturating", "wgan-clip", "wgan-gp")


def _check_densities(p_data, p_g):
    p_data = check_array(p_data, "p_data", ndim=1)
    p_g = check_array(p_g, "p_g", ndim=1)
    if p_data.shape != p_g.shape:
        raise ValueError(f"p_data and p_g must be on the same grid, got shapes {p_data.shape} and {p_g.shape}")
    if (p_data < 0).any() or (p_g < 0).any():
        raise ValueError("densities must be non-negative")
    return p_data, p_g


def optimal_discriminator(p_data, p_g) -> np.ndarray:
    r"""固定生成器时使 :math:`V` 最大的判别器，逐点 :math:`D^\ast(x)=\frac{p_{\rm data}(x)}{p_{\rm data}(x)+p_g(x)}`
    （两个密度都为零的点取 1/2）。"""
    p_data, p_g = _check_densities(p_data, p_g)
    total = p_data + p_g
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, p_data / np.where(total > 0, total, 1.0), 0.5)


def gan_value(d, p_data, p_g, dx: float) -> float:
    r"""网格上的 :math:`V(D,G)=\int p_{\rm data}\log D+p_g\log(1-D)\,\mathrm dx`（矩形公式，间距 ``dx``）；
    密度为零处的项按 0 计（:math:`0\log0=0`）。"""
    p_data, p_g = _check_densities(p_data, p_g)
    d = check_array(d, "d", ndim=1)
    if d.shape != p_data.shape:
        raise ValueError(f"d must be on the same grid as the densities, got {d.shape} and {p_data.shape}")
    if (d < 0).any() or (d > 1).any():
        raise ValueError("d must take values in [0, 1]")
    check_scalar(dx, "dx", Real, min_val=0, include_min=False)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(p_data > 0, p_data * np.log(d), 0.0)
        b = np.where(p_g > 0, p_g * np.log1p(-d), 0.0)
    return float(np.sum(a + b) * dx)


def count_modes(samples, centers, std: float, *, n_sigma: float = 3.0, min_fraction: float = 0.01):
    r"""样本覆盖了几个模式。

    每个样本归到最近的中心；离它不超过 ``n_sigma * std`` 的算“高质量”样本。一个模式被覆盖，当且仅当它分到的
    高质量样本至少占全部样本的 ``min_fraction``。返回 ``(覆盖的模式数, 高质量样本的比例)``。
    """
    samples = check_array(samples, "samples", ndim=2)
    centers = check_array(centers, "centers", ndim=2)
    if samples.shape[1] != centers.shape[1]:
        raise ValueError(
            f"samples and centers must have the same dimension, got {samples.shape[1]} and {centers.shape[1]}"
        )
    check_scalar(std, "std", Real, min_val=0, include_min=False)
    check_scalar(n_sigma, "n_sigma", Real, min_val=0, include_min=False)
    check_scalar(min_fraction, "min_fraction", Real, min_val=0, max_val=1)
    dist = np.linalg.norm(samples[:, None, :] - centers[None, :, :], axis=-1)
    nearest = dist.argmin(axis=1)
    good = dist[np.arange(len(samples)), nearest] <= n_sigma * std
    counts = np.bincount(nearest[good], minlength=len(centers))
    return int(np.sum(counts >= min_fraction * len(samples))), float(good.mean())


@dataclass
class GANHistory:
    """每 ``log_every`` 步记录一次：步数、判别器（评论家）的损失、生成器的损失、
    当时生成器的样本（``n_snapshot`` 个，噪声固定）。"""

    steps: list[int] = field(default_factory=list)
    d_loss: list[float] = field(default_factory=list)
    g_loss: list[float] = field(default_factory=list)
    samples: list[np.ndarray] = field(default_factory=list)


def gradient_penalty(critic: nn.Module, real: torch.Tensor, fake: torch.Tensor, generator=None) -> torch.Tensor:
    r"""WGAN-GP 的梯度惩罚：在真假样本连线上随机取点 :math:`\hat x=\alpha x+(1-\alpha)\tilde x`，
    返回 :math:`\mathbb E\bigl[(\lVert\nabla_{\hat x}D(\hat x)\rVert_2-1)^2\bigr]`（可对评论家的参数求导）。"""
    if real.shape != fake.shape:
        raise ValueError(f"real and fake must have the same shape, got {tuple(real.shape)} and {tuple(fake.shape)}")
    alpha = torch.rand((real.shape[0],) + (1,) * (real.ndim - 1), generator=generator, dtype=real.dtype)
    mixed = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(mixed).sum(), mixed, create_graph=True)
    return ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()


def train_gan(
    generator_net: nn.Module,
    discriminator: nn.Module,
    sample_data: Callable[[int, torch.Generator], torch.Tensor],
    *,
    z_dim: int,
    loss: str = "non-saturating",
    steps: int = 2000,
    batch_size: int = 256,
    lr: float = 1e-3,
    lr_d: float | None = None,
    betas: tuple[float, float] = (0.5, 0.999),
    n_critic: int = 1,
    clip: float = 0.01,
    gp_weight: float = 10.0,
    seed: int = 0,
    log_every: int = 100,
    n_snapshot: int = 1000,
) -> GANHistory:
    r"""交替训练：每一步先更新判别器 ``n_critic`` 次，再更新生成器一次（Adam）。

    ``loss``：

    * ``"minimax"``：判别器最大化 :math:`\log D(x)+\log(1-D(G(z)))`，生成器**最小化** :math:`\log(1-D(G(z)))`；
    * ``"non-saturating"``：判别器同上，生成器**最大化** :math:`\log D(G(z))`；
    * ``"wgan-clip"``：评论家最大化 :math:`D(x)-D(G(z))`，每次更新后把参数截断到 :math:`[-c,c]`；
      生成器最大化 :math:`D(G(z))`；
    * ``"wgan-gp"``：同上，但不截断，评论家的目标减去 ``gp_weight`` 乘梯度惩罚。

    ``lr`` 是生成器的学习率，``lr_d`` 是判别器的（缺省与 ``lr`` 相同）。判别器输出 logit（GAN）或任意实数（WGAN）。
    ``sample_data(n, generator)`` 返回 ``n`` 个真实样本。
    """
    for name, net in (("generator_net", generator_net), ("discriminator", discriminator)):
        if not isinstance(net, nn.Module):
            raise TypeError(f"{name} must be a torch.nn.Module, got {type(net).__name__}")
    if not callable(sample_data):
        raise TypeError(f"sample_data must be callable, got {type(sample_data).__name__}")
    check_option(loss, "loss", LOSSES)
    check_scalar(z_dim, "z_dim", Integral, min_val=1)
    check_scalar(steps, "steps", Integral, min_val=1)
    check_scalar(batch_size, "batch_size", Integral, min_val=1)
    check_scalar(lr, "lr", Real, min_val=0, include_min=False)
    if lr_d is not None:
        check_scalar(lr_d, "lr_d", Real, min_val=0, include_min=False)
    check_scalar(n_critic, "n_critic", Integral, min_val=1)
    check_scalar(clip, "clip", Real, min_val=0, include_min=False)
    check_scalar(gp_weight, "gp_weight", Real, min_val=0)
    check_scalar(seed, "seed", Integral, min_val=0)
    check_scalar(log_every, "log_every", Integral, min_val=1)
    check_scalar(n_snapshot, "n_snapshot", Integral, min_val=1)
    gen = torch.Generator().manual_seed(int(seed))
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=lr if lr_d is None else lr_d, betas=betas)
    opt_g = torch.optim.Adam(generator_net.parameters(), lr=lr, betas=betas)
    wgan = loss.startswith("wgan")
    z_fixed = torch.randn(n_snapshot, z_dim, generator=gen)
    history = GANHistory()
    for step in range(1, steps + 1):
        for _ in range(n_critic):
            real = sample_data(batch_size, gen)
            with torch.no_grad():
                fake = generator_net(torch.randn(batch_size, z_dim, generator=gen))
            d_real, d_fake = discriminator(real), discriminator(fake)
            if wgan:
                d_loss = d_fake.mean() - d_real.mean()  # 评论家最大化 D(x) - D(G(z))
                if loss == "wgan-gp":
                    d_loss = d_loss + gp_weight * gradient_penalty(discriminator, real, fake, gen)
            else:  # 判别器最大化 log D(x) + log(1 - D(G(z)))，即最小化二分类交叉熵
                d_loss = F.binary_cross_entropy_with_logits(
                    d_real, torch.ones_like(d_real)
                ) + F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake))
            opt_d.zero_grad()
            d_loss.backward()
            opt_d.step()
            if loss == "wgan-clip":
                with torch.no_grad():
                    for p in discriminator.parameters():
                        p.clamp_(-clip, clip)
        d_fake = discriminator(generator_net(torch.randn(batch_size, z_dim, generator=gen)))
        if wgan or loss == "non-saturating":
            g_loss = -d_fake.mean() if wgan else F.binary_cross_entropy_with_logits(d_fake, torch.ones_like(d_fake))
        else:  # 原始的极小极大：最小化 log(1 - D(G(z))) = -softplus(logit)
            g_loss = -F.softplus(d_fake).mean()
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()
        if step % log_every == 0 or step == steps:
            history.steps.append(step)
            history.d_loss.append(float(d_loss.detach()))
            history.g_loss.append(float(g_loss.detach()))
            with torch.no_grad():
                history.samples.append(generator_net(z_fixed).numpy().copy())
    return history


def wasserstein_critic(
    x_p,
    x_q,
    *,
    method: str = "gp",
    steps: int = 1000,
    hidden: int = 64,
    lr: float = 1e-3,
    clip: float = 0.01,
    gp_weight: float = 10.0,
    seed: int = 0,
) -> tuple[float, nn.Module]:
    r"""用 Kantorovich–Rubinstein 对偶估计 :math:`W_1(p,q)=\sup_{\lVert f\rVert_L\le1}\mathbb E_p f-\mathbb E_q f`。

    评论家 :math:`f` 是一个隐藏层的 MLP（输入是样本的维数）；``method="gp"`` 用梯度惩罚约束它的斜率，
    ``method="clip"`` 把参数截断到 :math:`[-c,c]`。每步用全部样本（全批量 Adam）。返回 ``(估计值, 评论家)``，
    估计值是训练结束时 :math:`\frac1n\sum f(x_p)-\frac1m\sum f(x_q)`。
    """
    x_p = check_array(x_p, "x_p", ndim=(1, 2))
    x_q = check_array(x_q, "x_q", ndim=(1, 2))
    x_p = x_p[:, None] if x_p.ndim == 1 else x_p
    x_q = x_q[:, None] if x_q.ndim == 1 else x_q
    if x_p.ndim != 2 or x_q.ndim != 2 or x_p.shape[1] != x_q.shape[1]:
        raise ValueError(f"x_p and x_q must be samples of the same dimension, got shapes {x_p.shape} and {x_q.shape}")
    if method not in ("gp", "clip"):
        raise ValueError(f"method must be 'gp' or 'clip', got {method!r}")
    check_scalar(steps, "steps", Integral, min_val=1)
    check_scalar(hidden, "hidden", Integral, min_val=1, max_val=10**5)
    check_scalar(lr, "lr", Real, min_val=0, include_min=False)
    check_scalar(clip, "clip", Real, min_val=0, include_min=False)
    check_scalar(gp_weight, "gp_weight", Real, min_val=0)
    check_scalar(seed, "seed", Integral, min_val=0)
    gen = torch.Generator().manual_seed(int(seed))
    torch.manual_seed(int(seed))
    critic = nn.Sequential(
        nn.Linear(x_p.shape[1], hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 1)
    )
    p = torch.tensor(x_p, dtype=torch.float32)
    q = torch.tensor(x_q, dtype=torch.float32)
    n = min(len(p), len(q))
    opt = torch.optim.Adam(critic.parameters(), lr=lr, betas=(0.5, 0.9))
    for _ in range(steps):
        objective = critic(p).mean() - critic(q).mean()  # 最大化
        loss = -objective
        if method == "gp":
            loss = loss + gp_weight * gradient_penalty(critic, p[:n], q[:n], gen)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if method == "clip":
            with torch.no_grad():
                for param in critic.parameters():
                    param.clamp_(-clip, clip)
    with torch.no_grad():
        estimate = float(critic(p).mean() - critic(q).mean())
    return estimate, critic
