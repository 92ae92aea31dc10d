r"""变分自编码器（“变分自编码器”一章）：梯度估计、编码器与解码器、ELBO、训练与重要性采样的对数似然。

* ``score_function_grad`` / ``reparam_grad``：同一个梯度 :math:`\nabla_\mu\mathbb E_{z\sim\mathcal N(\mu,\sigma^2)}f(z)`
  的得分函数（REINFORCE）估计与重参数化估计；
* ``reparameterize``：:math:`\mathbf z=\boldsymbol\mu+\boldsymbol\sigma\odot\boldsymbol\epsilon`，可求导；
* ``kl_normal_std``：:math:`\mathrm{KL}(\mathcal N(\boldsymbol\mu,\operatorname{diag}\boldsymbol\sigma^2)
  \,\|\,\mathcal N(\mathbf 0,I))` 的闭式；
* ``VAE``：高斯编码器 :math:`q_\phi(\mathbf z\mid\mathbf x)` + 伯努利解码器 :math:`p_\theta(\mathbf x\mid\mathbf z)`；
* ``train_vae``：小批量 + 重参数化 + Adam 最大化 ELBO，记录每个 epoch 的 ELBO、重构项与 KL 项；
* ``iwae_log_likelihood``：重要性采样估计 :math:`\log p_\theta(\mathbf x)`，样本数 :math:`K` 越大越紧。

ELBO 对每个样本是

.. math:: \mathcal L(\mathbf x)=\mathbb E_{q_\phi(\mathbf z\mid\mathbf x)}
          \bigl[\log p_\theta(\mathbf x\mid\mathbf z)\bigr]
          -\mathrm{KL}\bigl(q_\phi(\mathbf z\mid\mathbf x)\,\|\,p(\mathbf z)\bigr)
          \le\log p_\theta(\mathbf x),

重构项用一个重参数化样本估计，KL 项用闭式。像素值在 :math:`[0,1]` 中，伯努利对数似然
:math:`\sum_j x_j\log\pi_j+(1-x_j)\log(1-\pi_j)` 对非 0/1 的 :math:`x_j` 也照样计算（常见做法）。
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .utils import check_module_input, check_random_state, check_scalar

__all__ = [
    "score_function_grad",
    "reparam_grad",
    "reparameterize",
    "kl_normal_std",
    "bernoulli_log_likelihood",
    "VAE",
    "VAEHistory",
    "train_vae",
    "iwae_log_likelihood",
]


# ---------------------------------------------------------------------------------------------
# 两种梯度估计（NumPy，一维高斯）
# ---------------------------------------------------------------------------------------------
def _check_gaussian_args(mu, sigma, n_samples):
    check_scalar(mu, "mu", Real)
    check_scalar(sigma, "sigma", Real, min_val=0, include_min=False)
    check_scalar(n_samples, "n_samples", Integral, min_val=1)


def score_function_grad(
    f: Callable[[np.ndarray], np.ndarray],
    mu: float,
    sigma: float,
    n_samples: int,
    rng=None,
    *,
    baseline: float | None = None,
) -> np.ndarray:
    r"""得分函数估计的 ``n_samples`` 个独立样本（每个样本一个估计值，调用方取平均）：

    .. math:: \nabla_\mu\mathbb E[f(z)]=\mathbb E\bigl[(f(z)-b)\,\nabla_\mu\log\mathcal N(z;\mu,\sigma^2)\bigr]
              =\mathbb E\Bigl[(f(z)-b)\,\frac{z-\mu}{\sigma^2}\Bigr],

    只需要 :math:`f` 的值，不需要它的导数。常数基线 :math:`b`（``baseline``）不改变期望（得分函数的期望为零），
    但可以大大降低方差。
    """
    _check_gaussian_args(mu, sigma, n_samples)
    if not callable(f):
        raise TypeError(f"f must be callable, got {type(f).__name__}")
    if baseline is not None:
        check_scalar(baseline, "baseline", Real)
    rng = check_random_state(rng)
    z = mu + sigma * rng.standard_normal(n_samples)
    values = np.asarray(f(z), dtype=float)
    if values.shape != z.shape:
        raise ValueError(f"f must map an array of shape {z.shape} to the same shape, got {values.shape}")
    return (values - (baseline or 0.0)) * (z - mu) / sigma**2


def reparam_grad(
    f_prime: Callable[[np.ndarray], np.ndarray],
    mu: float,
    sigma: float,
    n_samples: int,
    rng=None,
) -> np.ndarray:
    r"""重参数化估计的 ``n_samples`` 个独立样本：:math:`z=\mu+\sigma\epsilon`，
    :math:`\nabla_\mu\mathbb E[f(z)]=\mathbb E_\epsilon\bigl[f'(\mu+\sigma\epsilon)\bigr]`。
    需要 :math:`f` 的导数 ``f_prime``。"""
    _check_gaussian_args(mu, sigma, n_samples)
    if not callable(f_prime):
        raise TypeError(f"f_prime must be callable, got {type(f_prime).__name__}")
    rng = check_random_state(rng)
    z = mu + sigma * rng.standard_normal(n_samples)
    values = np.asarray(f_prime(z), dtype=float)
    if values.shape != z.shape:
        raise ValueError(f"f_prime must map an array of shape {z.shape} to the same shape, got {values.shape}")
    return values


# ---------------------------------------------------------------------------------------------
# ELBO 的组成部分（torch）
# ---------------------------------------------------------------------------------------------
def _check_mu_logvar(mu: torch.Tensor, logvar: torch.Tensor) -> None:
    if not (isinstance(mu, torch.Tensor) and isinstance(logvar, torch.Tensor)):
        raise TypeError("mu and logvar must be torch tensors")
    if mu.shape != logvar.shape:
        raise ValueError(f"mu and logvar must have the same shape, got {tuple(mu.shape)} and {tuple(logvar.shape)}")


def reparameterize(mu: torch.Tensor, logvar: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    r""":math:`\mathbf z=\boldsymbol\mu+e^{\frac12\log\boldsymbol\sigma^2}\odot\boldsymbol\epsilon`，
    :math:`\boldsymbol\epsilon\sim\mathcal N(\mathbf 0,I)`：随机性在 :math:`\boldsymbol\epsilon` 里，
    对 ``mu``、``logvar`` 可以求导。"""
    _check_mu_logvar(mu, logvar)
    eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype, device=mu.device)
    return mu + torch.exp(0.5 * logvar) * eps


def kl_normal_std(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    r"""闭式 :math:`\mathrm{KL}(\mathcal N(\boldsymbol\mu,\operatorname{diag}\boldsymbol\sigma^2)
    \,\|\,\mathcal N(\mathbf 0,I))=\frac12\sum_j\bigl(\mu_j^2+\sigma_j^2-\log\sigma_j^2-1\bigr)`，
    对最后一维求和，每个样本一个值。"""
    _check_mu_logvar(mu, logvar)
    return 0.5 * torch.sum(mu**2 + torch.exp(logvar) - logvar - 1.0, dim=-1)


def bernoulli_log_likelihood(x: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    r""":math:`\log p(\mathbf x\mid\mathbf z)=\sum_j x_j\log\pi_j+(1-x_j)\log(1-\pi_j)`，
    :math:`\pi_j=\sigma(\text{logit}_j)`，对最后一维求和（用 ``binary_cross_entropy_with_logits``，数值稳定）。"""
    if x.shape[-1] != logits.shape[-1]:
        raise ValueError(f"x and logits must have the same last dimension, got {x.shape[-1]} and {logits.shape[-1]}")
    x = x.expand_as(logits)
    return -F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(dim=-1)


class VAE(nn.Module):
    r"""一层隐藏层的高斯编码器与伯努利解码器。

    编码器 :math:`\mathbf x\mapsto(\boldsymbol\mu,\log\boldsymbol\sigma^2)`（:math:`\mathbb R^D\to\mathbb R^{2d}`），
    解码器 :math:`\mathbf z\mapsto` 每个像素的 logit（:math:`\mathbb R^d\to\mathbb R^D`），隐藏层用 tanh。
    """

    def __init__(self, in_dim: int = 64, hidden: int = 128, z_dim: int = 2):
        super().__init__()
        check_scalar(in_dim, "in_dim", Integral, min_val=1, max_val=10**6)
        check_scalar(hidden, "hidden", Integral, min_val=1, max_val=10**5)
        check_scalar(z_dim, "z_dim", Integral, min_val=1, max_val=10**4)
        self.in_dim, self.z_dim = int(in_dim), int(z_dim)
        self.encoder = nn.Sequential(nn.Linear(in_dim, hidden), nn.Tanh(), nn.Linear(hidden, 2 * z_dim))
        self.decoder = nn.Sequential(nn.Linear(z_dim, hidden), nn.Tanh(), nn.Linear(hidden, in_dim))

    def _check_x(self, x: torch.Tensor) -> torch.Tensor:
        check_module_input(x, self, "x")
        if x.ndim != 2 or x.shape[1] != self.in_dim:
            raise ValueError(f"x must have shape (batch, {self.in_dim}), got {tuple(x.shape)}")
        return x

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """返回 ``(mu, logvar)``，形状都是 ``(batch, z_dim)``。"""
        mu, logvar = self.encoder(self._check_x(x)).chunk(2, dim=-1)
        return mu, logvar

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """返回每个像素的 logit，形状 ``(..., in_dim)``。"""
        check_module_input(z, self, "z")
        if z.shape[-1] != self.z_dim:
            raise ValueError(f"z must have last dimension z_dim = {self.z_dim}, got {tuple(z.shape)}")
        return self.decoder(z)

    def elbo(
        self, x: torch.Tensor, *, beta: float = 1.0, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        r"""每个样本的 ``(elbo, reconstruction, kl)``：重构项 :math:`\log p_\theta(\mathbf x\mid\mathbf z)`
        用一个重参数化样本，KL 用闭式，``elbo = reconstruction - beta * kl``（:math:`\beta=1` 时是真正的证据下界）。"""
        check_scalar(beta, "beta", Real, min_val=0)
        mu, logvar = self.encode(x)
        z = reparameterize(mu, logvar, generator)
        rec = bernoulli_log_likelihood(x, self.decode(z))
        kl = kl_normal_std(mu, logvar)
        return rec - beta * kl, rec, kl

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """平均 ELBO（一个重参数化样本），训练时最大化它。"""
        return self.elbo(x)[0].mean()


@dataclass
class VAEHistory:
    """每个 epoch 末在整个训练集上的平均 ELBO、重构项与 KL 项（nats / 样本）。"""

    elbo: list[float] = field(default_factory=list)
    reconstruction: list[float] = field(default_factory=list)
    kl: list[float] = field(default_factory=list)


def train_vae(
    model: VAE,
    X: torch.Tensor,
    *,
    epochs: int = 30,
    batch_size: int = 64,
    lr: float = 1e-3,
    beta: float = 1.0,
    seed: int = 0,
) -> VAEHistory:
    """小批量 Adam 最大化（:math:`\\beta` 加权的）ELBO；每个 epoch 打乱一次（固定种子，可复现）。"""
    if not isinstance(model, VAE):
        raise TypeError(f"model must be a lib.vae.VAE, got {type(model).__name__}")
    X = model._check_x(X)
    if not torch.isfinite(X).all():
        raise ValueError("X contains NaN or infinity")
    if X.min() < 0 or X.max() > 1:
        raise ValueError("X must hold pixel values in [0, 1] (Bernoulli decoder)")
    check_scalar(epochs, "epochs", Integral, min_val=1)
    check_scalar(batch_size, "batch_size", Integral, min_val=1)
    check_scalar(lr, "lr", Real, min_val=0, include_min=False)
    check_scalar(beta, "beta", Real, min_val=0)
    check_scalar(seed, "seed", Integral, min_val=0)
    gen = torch.Generator(device=X.device).manual_seed(int(seed))
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = VAEHistory()
    n = X.shape[0]
    for _ in range(epochs):
        model.train()
        order = torch.randperm(n, generator=gen, device=X.device)
        for start in range(0, n, batch_size):
            xb = X[order[start : start + batch_size]]
            loss = -model.elbo(xb, beta=beta, generator=gen)[0].mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            elbo, rec, kl = model.elbo(X, generator=gen)
        history.elbo.append(float(elbo.mean()))
        history.reconstruction.append(float(rec.mean()))
        history.kl.append(float(kl.mean()))
    return history


@torch.no_grad()
def iwae_log_likelihood(model: VAE, x: torch.Tensor, n_samples: int = 100, seed: int = 0) -> torch.Tensor:
    r"""重要性采样估计每个样本的 :math:`\log p_\theta(\mathbf x)`（提议分布是编码器 :math:`q_\phi`）：

    .. math:: \log\frac1K\sum_{k=1}^K
              \frac{p_\theta(\mathbf x\mid\mathbf z_k)\,p(\mathbf z_k)}{q_\phi(\mathbf z_k\mid\mathbf x)},
              \qquad\mathbf z_k\sim q_\phi(\cdot\mid\mathbf x).

    :math:`K=1` 时期望等于 ELBO；期望随 :math:`K` 单调不减，趋于 :math:`\log p_\theta(\mathbf x)`。
    """
    if not isinstance(model, VAE):
        raise TypeError(f"model must be a lib.vae.VAE, got {type(model).__name__}")
    check_scalar(n_samples, "n_samples", Integral, min_val=1, max_val=10**6)
    check_scalar(seed, "seed", Integral, min_val=0)
    gen = torch.Generator(device=x.device).manual_seed(int(seed))
    mu, logvar = model.encode(x)
    std = torch.exp(0.5 * logvar)
    eps = torch.randn((n_samples, *mu.shape), generator=gen, dtype=mu.dtype, device=mu.device)
    z = mu + std * eps  # (K, batch, d)
    log_px_z = bernoulli_log_likelihood(x, model.decode(z))
    log_pz = -0.5 * (z**2).sum(-1) - 0.5 * model.z_dim * math.log(2 * math.pi)
    log_qz = -0.5 * (eps**2).sum(-1) - 0.5 * logvar.sum(-1) - 0.5 * model.z_dim * math.log(2 * math.pi)
    return torch.logsumexp(log_px_z + log_pz - log_qz, dim=0) - math.log(n_samples)
