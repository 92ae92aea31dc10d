r"""逐层归一化（“数据预处理与逐层归一化”一节）：``BatchNorm1d`` 与 ``LayerNorm``，由公式写成，
与 ``torch.nn`` 同名、同参数、同 ``state_dict``。

**批量归一化**（对每个特征，在小批量的 :math:`N` 个样本上统计；输入 ``(N, C)`` 或 ``(N, C, L)``）：

.. math::
   \mu_B=\frac1m\sum_i x_i,\qquad \sigma_B^2=\frac1m\sum_i(x_i-\mu_B)^2,\qquad
   \hat x_i=\frac{x_i-\mu_B}{\sqrt{\sigma_B^2+\epsilon}},\qquad y_i=\gamma\hat x_i+\beta .

训练时用本批的 :math:`\mu_B,\sigma_B^2`（有偏方差），同时更新滑动平均
:math:`\hat\mu\leftarrow(1-m)\hat\mu+m\,\mu_B`、:math:`\hat\sigma^2\leftarrow(1-m)\hat\sigma^2+m\,\frac{M}{M-1}\sigma_B^2`
（滑动方差用 **无偏** 估计，:math:`M` 是参与统计的元素个数；``momentum=None`` 时取累计平均 :math:`m=1/k`）；
评估时（``model.eval()``）用滑动平均代替本批统计量。

**层归一化**（对每个样本，在最后几维 ``normalized_shape`` 上统计，训练与评估相同）：

.. math::
   \hat{\mathbf x}=\frac{\mathbf x-\mu}{\sqrt{\sigma^2+\epsilon}},\qquad
   \mathbf y=\boldsymbol\gamma\odot\hat{\mathbf x}+\boldsymbol\beta .

两个模块的参数 ``weight``（:math:`\gamma`）、``bias``（:math:`\beta`）与缓冲区 ``running_mean``、``running_var``、
``num_batches_tracked`` 与 torch 同名，``state_dict`` 可以互相加载。反向传播交给 autograd；
:func:`batch_norm_backward` 是手推的批量归一化反向公式，``tests/test_nn_norm.py`` 把它与 autograd 比较。
"""

from __future__ import annotations

from numbers import Integral, Real

import torch
from torch import nn

from ..utils import check_device, check_int_sequence, check_module_input, check_scalar, check_size

__all__ = ["BatchNorm1d", "LayerNorm", "batch_norm_backward"]


class BatchNorm1d(nn.Module):
    """批量归一化，参数与 ``torch.nn.BatchNorm1d`` 相同。"""

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device=None,
        dtype=None,
    ):
        super().__init__()
        self.num_features = check_size(num_features, "num_features")
        self.eps = check_scalar(eps, "eps", Real, min_val=0, include_min=False)
        if momentum is not None:
            check_scalar(momentum, "momentum", Real, min_val=0, max_val=1)
        self.momentum = momentum
        self.affine = check_scalar(affine, "affine", bool)
        self.track_running_stats = check_scalar(track_running_stats, "track_running_stats", bool)
        kw = {"device": check_device(device), "dtype": dtype}
        if affine:
            self.weight = nn.Parameter(torch.ones(num_features, **kw))
            self.bias = nn.Parameter(torch.zeros(num_features, **kw))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", torch.zeros(num_features, **kw))
            self.register_buffer("running_var", torch.ones(num_features, **kw))
            self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long, device=device))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
            f"track_running_stats={self.track_running_stats}"
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_module_input(x, self, "x")
        if x.dim() not in (2, 3) or x.shape[1] != self.num_features:
            raise ValueError(
                f"x must have shape (N, {self.num_features}) or (N, {self.num_features}, L), got {tuple(x.shape)}"
            )
        axes = (0,) if x.dim() == 2 else (0, 2)  # 每个特征（通道）在批量（和长度）上统计
        shape = (1, -1) if x.dim() == 2 else (1, -1, 1)
        use_batch_stats = self.training or not self.track_running_stats
        if use_batch_stats:
            count = x.numel() // self.num_features
            if self.training and count < 2:
                raise ValueError(
                    f"expected more than 1 value per channel when training, got input shape {tuple(x.shape)}"
                )
            mean = x.mean(dim=axes)
            var = x.var(dim=axes, unbiased=False)
            if self.training and self.track_running_stats:
                self._update_running_stats(mean.detach(), var.detach(), count)
        else:
            mean, var = self.running_mean, self.running_var
        x_hat = (x - mean.reshape(shape)) / torch.sqrt(var.reshape(shape) + self.eps)
        if self.affine:
            return x_hat * self.weight.reshape(shape) + self.bias.reshape(shape)
        return x_hat

    @torch.no_grad()
    def _update_running_stats(self, mean: torch.Tensor, var: torch.Tensor, count: int) -> None:
        self.num_batches_tracked += 1
        m = 1.0 / float(self.num_batches_tracked) if self.momentum is None else self.momentum
        unbiased = var * count / (count - 1)
        self.running_mean.mul_(1 - m).add_(m * mean)
        self.running_var.mul_(1 - m).add_(m * unbiased)


class LayerNorm(nn.Module):
    """层归一化，参数与 ``torch.nn.LayerNorm`` 相同。"""

    def __init__(
        self,
        normalized_shape: int | tuple[int, ...],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        device=None,
        dtype=None,
    ):
        super().__init__()
        if isinstance(normalized_shape, Integral) and not isinstance(normalized_shape, bool):
            normalized_shape = (int(normalized_shape),)
        normalized_shape = check_int_sequence(normalized_shape, "normalized_shape")
        self.normalized_shape = normalized_shape
        self.eps = check_scalar(eps, "eps", Real, min_val=0, include_min=False)
        self.elementwise_affine = check_scalar(elementwise_affine, "elementwise_affine", bool)
        check_scalar(bias, "bias", bool)
        kw = {"device": check_device(device), "dtype": dtype}
        if elementwise_affine:
            self.weight = nn.Parameter(torch.ones(normalized_shape, **kw))
            if bias:
                self.bias = nn.Parameter(torch.zeros(normalized_shape, **kw))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_module_input(x, self, "x")
        k = len(self.normalized_shape)
        if tuple(x.shape[-k:]) != self.normalized_shape:
            raise ValueError(f"x must end with the normalized_shape {self.normalized_shape}, got {tuple(x.shape)}")
        dims = tuple(range(-k, 0))
        mean = x.mean(dim=dims, keepdim=True)
        var = x.var(dim=dims, unbiased=False, keepdim=True)
        x_hat = (x - mean) / torch.sqrt(var + self.eps)
        if self.weight is not None:
            x_hat = x_hat * self.weight
        if self.bias is not None:
            x_hat = x_hat + self.bias
        return x_hat


def batch_norm_backward(
    dy: torch.Tensor, x_hat: torch.Tensor, gamma: torch.Tensor, var: torch.Tensor, eps: float = 1e-5
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    r"""批量归一化（训练模式，输入 ``(N, C)``）的反向传播，由链式法则手推：

    .. math::
       \frac{\partial\mathcal L}{\partial\gamma}=\sum_i\delta_i\hat x_i,\qquad
       \frac{\partial\mathcal L}{\partial\beta}=\sum_i\delta_i,\qquad
       \frac{\partial\mathcal L}{\partial x_i}=\frac{\gamma}{N\sqrt{\sigma_B^2+\epsilon}}
       \Bigl(N\delta_i-\sum_j\delta_j-\hat x_i\sum_j\delta_j\hat x_j\Bigr),

    其中 :math:`\delta_i=\partial\mathcal L/\partial y_i`。返回 ``(dx, dgamma, dbeta)``。
    """
    if dy.shape != x_hat.shape or dy.dim() != 2:
        raise ValueError(
            f"dy and x_hat must be (N, C) tensors of the same shape, got {tuple(dy.shape)} and {tuple(x_hat.shape)}"
        )
    n = dy.shape[0]
    dgamma = (dy * x_hat).sum(0)
    dbeta = dy.sum(0)
    dx = gamma / (n * torch.sqrt(var + eps)) * (n * dy - dbeta - x_hat * dgamma)
    return dx, dgamma, dbeta
