r"""自编码器（torch）：编码器 :math:`f:\mathbb R^p\to\mathbb R^k`、解码器 :math:`g:\mathbb R^k\to\mathbb R^p`，
最小化重构误差 :math:`\frac1N\sum_n\lVert\mathbf x_n-g(f(\mathbf x_n))\rVert^2`。三种常用的变体：

* **欠完备**：:math:`k<p`，瓶颈迫使网络只保留最重要的变化方向（线性编码器、解码器时张成的正是主成分子空间）；
* **去噪**：输入先被破坏（每个分量以概率 :math:`\mu` 置 0，:func:`corrupt`），但要重构干净的 :math:`\mathbf x`；
* **稀疏**：编码经过 sigmoid，惩罚每个隐单元的平均激活 :math:`\hat\rho_j` 偏离目标 :math:`\rho`：
  :math:`\beta\sum_j\mathrm{KL}(\rho\,\Vert\,\hat\rho_j)`（伯努利分布的 KL，:func:`kl_sparsity`）。

编码器、解码器都是 ``lib.nn.MLP``；张量可以在任何设备上，CPU 与 CUDA 走同一份代码。
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral, Real

import torch
from torch import nn

from .nn import MLP
from .utils import check_int_sequence, check_module_input, check_scalar

__all__ = ["Autoencoder", "corrupt", "kl_sparsity", "train_autoencoder"]


class Autoencoder(nn.Module):
    """``sizes=[p, h1, …, k]``：编码器 ``MLP(sizes)``，解码器 ``MLP(sizes 倒过来)``。

    ``activation`` 是隐层激活（``"identity"`` 时整个网络是线性的）；``code_activation`` 作用在编码上
    （``None`` 或 ``"sigmoid"``，稀疏自编码器用后者）；``output_activation`` 作用在重构上（``None`` 或 ``"sigmoid"``）。
    ``init`` 是 ``lib.nn.MLP`` 的初始化方案（偏置置 0），权重从 ``generator`` 抽取，给定种子时结果可复现。
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activation: str = "relu",
        *,
        code_activation: str | None = None,
        output_activation: str | None = None,
        init: str = "xavier_uniform",
        generator: torch.Generator | None = None,
    ):
        super().__init__()
        sizes = list(check_int_sequence(sizes, "sizes"))
        if len(sizes) < 2:
            raise ValueError(f"sizes must list at least the input and code sizes, got {sizes}")
        for name, act in (("code_activation", code_activation), ("output_activation", output_activation)):
            if act is not None and (not isinstance(act, str) or act != "sigmoid"):
                raise ValueError(f"{name} must be None or 'sigmoid', got {act!r}")
        self.n_features, self.n_code = sizes[0], sizes[-1]
        self.encoder = MLP(sizes, activation, init=init, generator=generator)
        self.decoder = MLP(sizes[::-1], activation, init=init, generator=generator)
        self.code_activation = code_activation
        self.output_activation = output_activation

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        check_module_input(x, self, "x")
        if x.ndim != 2 or x.shape[1] != self.n_features:
            raise ValueError(f"x must have shape (batch, {self.n_features}), got {tuple(x.shape)}")
        h = self.encoder(x)
        return torch.sigmoid(h) if self.code_activation == "sigmoid" else h

    def decode(self, h: torch.Tensor) -> torch.Tensor:
        check_module_input(h, self, "h")
        if h.ndim != 2 or h.shape[1] != self.n_code:
            raise ValueError(f"h must have shape (batch, {self.n_code}), got {tuple(h.shape)}")
        out = self.decoder(h)
        return torch.sigmoid(out) if self.output_activation == "sigmoid" else out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))


def corrupt(x: torch.Tensor, p: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """遮挡噪声：每个分量独立地以概率 ``p`` 置 0（不做 dropout 那样的 1/(1-p) 放大）。"""
    check_scalar(p, "p", Real, min_val=0, max_val=1, include_max=False)
    keep = torch.rand(x.shape, generator=generator, device="cpu" if generator is None else generator.device)
    return x * (keep.to(x.device) >= p).to(x.dtype)


def kl_sparsity(rho: float, rho_hat: torch.Tensor) -> torch.Tensor:
    r"""两个伯努利分布的 KL，对隐单元求和：

    .. math:: \sum_j\big[\rho\log\frac{\rho}{\hat\rho_j}+(1-\rho)\log\frac{1-\rho}{1-\hat\rho_j}\big]
    """
    check_scalar(rho, "rho", Real, min_val=0, max_val=1, include_min=False, include_max=False)
    if torch.any((rho_hat <= 0) | (rho_hat >= 1)):
        raise ValueError("rho_hat must lie strictly between 0 and 1")
    return (rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))).sum()


def train_autoencoder(
    model: Autoencoder,
    X: torch.Tensor,
    *,
    epochs: int = 50,
    batch_size: int = 64,
    lr: float = 1e-2,
    noise: float = 0.0,
    sparsity: float = 0.0,
    rho: float = 0.05,
    seed: int = 0,
) -> list[float]:
    """Adam 小批量训练（就地更新 ``model``），返回每个 epoch 的平均损失（重构 MSE，加上稀疏惩罚时含惩罚项）。

    ``noise > 0`` 时是去噪自编码器（输入被 :func:`corrupt`，目标是干净的 ``X``）；``sparsity > 0`` 时加
    ``sparsity * kl_sparsity(rho, 批内平均编码)``（编码须在 (0, 1) 内，即 ``code_activation="sigmoid"``）。
    """
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features), got shape {tuple(X.shape)}")
    check_scalar(epochs, "epochs", Integral, min_val=1)
    check_scalar(batch_size, "batch_size", Integral, min_val=1)
    check_scalar(lr, "lr", Real, min_val=0, include_min=False)
    check_scalar(sparsity, "sparsity", Real, min_val=0)
    if sparsity > 0 and model.code_activation != "sigmoid":
        raise ValueError("sparsity > 0 needs code_activation='sigmoid' (codes in (0, 1))")
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    n = X.shape[0]
    for _ in range(epochs):
        perm = torch.randperm(n, generator=gen).to(X.device)
        total = 0.0
        for s in range(0, n, batch_size):
            xb = X[perm[s : s + batch_size]]
            inp = corrupt(xb, noise, gen) if noise > 0 else xb
            h = model.encode(inp)
            loss = ((model.decode(h) - xb) ** 2).sum(1).mean()
            if sparsity > 0:
                loss = loss + sparsity * kl_sparsity(rho, h.mean(0).clamp(1e-6, 1 - 1e-6))
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach()) * xb.shape[0]
        losses.append(total / n)
    return losses
