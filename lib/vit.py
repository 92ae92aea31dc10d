r"""视觉 Transformer（ViT）与掩码自编码器（MAE），torch 实现，编码层用 ``lib.attention.TransformerEncoderLayer``。

* 分块：:math:`H\times W` 的图切成 :math:`N=HW/P^2` 个 :math:`P\times P` 小块，
  每块展平成 :math:`P^2C` 维（:func:`patchify`）。
* ViT：:math:`\mathbf z_0=[\mathbf x_{\text{class}};\mathbf x_p^1E;\dots;\mathbf x_p^NE]+E_{\text{pos}}`，
  每层 :math:`\mathbf z'_\ell=\mathrm{MSA}(\mathrm{LN}(\mathbf z_{\ell-1}))+\mathbf z_{\ell-1}`，
  :math:`\mathbf z_\ell=\mathrm{MLP}(\mathrm{LN}(\mathbf z'_\ell))+\mathbf z'_\ell`（Pre-LN），
  表示是 :math:`\mathrm{LN}(\mathbf z_L^0)`。
* MAE：随机遮住比例为 ``mask_ratio`` 的小块（:func:`random_masking`），编码器只看可见块；轻量解码器在遮住的位置放一个
  共享的可学习掩码向量，加位置编码，预测被遮住块的像素；损失只在被遮住的块上算均方误差。
* :func:`vit_num_params`：按配置数出 ViT 的参数量（与实际模块的参数个数相同）。
"""

from __future__ import annotations

from numbers import Integral, Real

import torch
from torch import nn

from .attention import TransformerEncoder, TransformerEncoderLayer
from .nn.norm import LayerNorm
from .utils import check_module_input, check_scalar, check_size

_WIDTH, _DEPTH = 2**16, 1000  # 宽度与层数的上限：更大的值只会让分配器报错或挂起

__all__ = ["patchify", "unpatchify", "random_masking", "vit_num_params", "ViT", "MAE"]


def _as_images(x, name: str = "x") -> torch.Tensor:
    """``(n, H, W)``、``(n, C, H, W)`` 或 8×8 数字展平的 ``(n, 64)`` → ``(n, C, H, W)``。"""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if x.ndim == 2:
        if x.shape[1] != 64:
            raise ValueError(f"a 2-D {name} must hold flattened 8x8 images, shape (n, 64), got {tuple(x.shape)}")
        return x.reshape(-1, 1, 8, 8)
    if x.ndim == 3:
        return x.unsqueeze(1)
    if x.ndim == 4:
        return x
    raise ValueError(f"{name} must have shape (n, 64), (n, H, W) or (n, C, H, W), got {tuple(x.shape)}")


def patchify(x: torch.Tensor, patch: int) -> torch.Tensor:
    """把图像切成不重叠的 ``patch``×``patch`` 小块，按行优先顺序排列：返回 ``(n, N, patch*patch*C)``。"""
    img = _as_images(x)
    patch = check_scalar(patch, "patch", Integral, min_val=1)
    n, c, h, w = img.shape
    if h % patch or w % patch:
        raise ValueError(f"image size {h}x{w} must be divisible by patch={patch}")
    t = img.reshape(n, c, h // patch, patch, w // patch, patch)
    return t.permute(0, 2, 4, 3, 5, 1).reshape(n, (h // patch) * (w // patch), patch * patch * c)


def unpatchify(patches: torch.Tensor, patch: int, image_size: tuple[int, int], channels: int = 1) -> torch.Tensor:
    """:func:`patchify` 的逆：``(n, N, P*P*C)`` → ``(n, C, H, W)``。"""
    if not isinstance(patches, torch.Tensor) or patches.ndim != 3:
        raise ValueError("patches must be a 3-D tensor (n, n_patches, patch*patch*channels)")
    h, w = image_size
    gh, gw = h // patch, w // patch
    if patches.shape[1] != gh * gw or patches.shape[2] != patch * patch * channels:
        raise ValueError(
            f"patches must have shape (n, {gh * gw}, {patch * patch * channels}) for {h}x{w} images, "
            f"got {tuple(patches.shape)}"
        )
    n = patches.shape[0]
    t = patches.reshape(n, gh, gw, patch, patch, channels).permute(0, 5, 1, 3, 2, 4)
    return t.reshape(n, channels, h, w)


def random_masking(
    n: int, n_patches: int, mask_ratio: float, generator: torch.Generator | None = None, device=None
) -> tuple[torch.Tensor, torch.Tensor]:
    """每个样本独立地随机遮住 ``round(mask_ratio * n_patches)`` 个小块（MAE 的做法：给每块一个均匀噪声，
    保留噪声最小的那些）。返回 ``(keep, mask)``：``keep`` 是 ``(n, n_keep)`` 的可见块下标（升序），
    ``mask`` 是 ``(n, n_patches)`` 的布尔张量，``True`` 表示被遮住。"""
    n = check_scalar(n, "n", Integral, min_val=1)
    n_patches = check_scalar(n_patches, "n_patches", Integral, min_val=1)
    mask_ratio = check_scalar(mask_ratio, "mask_ratio", Real, min_val=0, max_val=1, include_max=False)
    n_keep = n_patches - int(round(mask_ratio * n_patches))
    if n_keep < 1:
        raise ValueError(f"mask_ratio={mask_ratio} leaves no visible patch out of {n_patches}")
    noise = torch.rand(n, n_patches, generator=generator)
    keep = torch.argsort(noise, dim=1)[:, :n_keep].sort(dim=1).values
    mask = torch.ones(n, n_patches, dtype=torch.bool)
    mask.scatter_(1, keep, False)
    return keep.to(device), mask.to(device)


def vit_num_params(
    *, image_size: int, patch: int, channels: int = 3, dim: int, depth: int, mlp_dim: int, num_classes: int = 1000
) -> int:
    """ViT 的参数量：分块嵌入 :math:`(P^2C+1)D`，类别向量 :math:`D`，位置编码 :math:`(N+1)D`，
    每层注意力 :math:`4D^2+4D`、MLP :math:`2D\\cdot\\text{mlp}+\\text{mlp}+D`、两个层归一化 :math:`4D`，
    最后的层归一化 :math:`2D` 与分类头 :math:`(D+1)K`。"""
    for name, v in (("image_size", image_size), ("patch", patch), ("channels", channels), ("dim", dim)):
        check_scalar(v, name, Integral, min_val=1)
    check_scalar(depth, "depth", Integral, min_val=1)
    check_scalar(mlp_dim, "mlp_dim", Integral, min_val=1)
    check_scalar(num_classes, "num_classes", Integral, min_val=0)
    if image_size % patch:
        raise ValueError(f"image_size={image_size} must be divisible by patch={patch}")
    n = (image_size // patch) ** 2
    D = dim
    per_layer = (4 * D * D + 4 * D) + (2 * D * mlp_dim + mlp_dim + D) + 4 * D
    head = (D + 1) * num_classes if num_classes else 0
    return (patch * patch * channels + 1) * D + D + (n + 1) * D + depth * per_layer + 2 * D + head


def _encoder(dim, depth, heads, mlp_dim):
    dim, mlp_dim = check_size(dim, "dim", max_val=_WIDTH), check_size(mlp_dim, "mlp_dim", max_val=_WIDTH)
    depth, heads = check_size(depth, "depth", max_val=_DEPTH), check_size(heads, "heads", max_val=dim)
    layer = TransformerEncoderLayer(
        dim, heads, dim_feedforward=mlp_dim, dropout=0.0, activation="gelu", batch_first=True, norm_first=True
    )
    return TransformerEncoder(layer, depth)


class ViT(nn.Module):
    """视觉 Transformer（Pre-LN，可学习的一维位置编码与 [class] 向量）。

    ``forward(x)`` 返回 ``num_classes`` 维的 logit（``num_classes=0`` 时返回表示）；``features(x)`` 返回
    :math:`\\mathrm{LN}(\\mathbf z_L^0)`（[class] 位置的输出）。``x`` 见 :func:`patchify`。
    """

    def __init__(
        self,
        image_size: int = 8,
        patch: int = 2,
        channels: int = 1,
        dim: int = 32,
        depth: int = 2,
        heads: int = 4,
        mlp_dim: int = 64,
        num_classes: int = 10,
    ):
        super().__init__()
        check_size(image_size, "image_size", max_val=4096)
        check_size(patch, "patch", max_val=image_size)
        check_size(channels, "channels", max_val=_WIDTH)
        check_size(dim, "dim", max_val=_WIDTH)
        if image_size % patch:
            raise ValueError(f"image_size={image_size} must be divisible by patch={patch}")
        check_size(num_classes, "num_classes", min_val=0, max_val=2**20)
        self.image_size, self.patch, self.channels = image_size, patch, channels
        self.n_patches = (image_size // patch) ** 2
        self.patch_embed = nn.Linear(patch * patch * channels, dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(0.02 * torch.randn(1, self.n_patches + 1, dim))
        self.encoder = _encoder(dim, depth, heads, mlp_dim)
        self.norm = LayerNorm(dim)
        self.head = nn.Linear(dim, num_classes) if num_classes else nn.Identity()

    def _patches(self, x):
        check_module_input(x, self, "x", ndim=(2, 3, 4))
        img = _as_images(x)
        if img.shape[1:] != (self.channels, self.image_size, self.image_size):
            raise ValueError(
                f"x must hold {self.channels}x{self.image_size}x{self.image_size} images, got {tuple(img.shape[1:])}"
            )
        return patchify(img, self.patch)

    def tokens(self, x: torch.Tensor) -> torch.Tensor:
        """编码器最后一层之后（含最终层归一化）的全部 :math:`N+1` 个向量，``(n, N+1, dim)``。"""
        p = self._patches(x)
        z = self.patch_embed(p)
        cls = self.cls_token.expand(z.shape[0], -1, -1)
        z = torch.cat([cls, z], dim=1) + self.pos_embed
        return self.norm(self.encoder(z))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.tokens(x)[:, 0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


class MAE(nn.Module):
    """掩码自编码器：编码器是一个不带分类头的 :class:`ViT`（只输入可见块），解码器是更窄、更浅的 Transformer。

    ``forward(x, mask_ratio, generator)`` 返回 ``(loss, pred, mask)``：``pred`` 是所有块的像素预测
    ``(n, N, P*P*C)``，``mask`` 为 ``True`` 的块参与损失（均方误差，按被遮住的块平均）。
    ``encode(x)`` 用全部小块（不遮）给出表示：[class] 位置的输出。
    """

    def __init__(
        self,
        image_size: int = 8,
        patch: int = 2,
        channels: int = 1,
        dim: int = 32,
        depth: int = 2,
        heads: int = 4,
        mlp_dim: int = 64,
        decoder_dim: int = 16,
        decoder_depth: int = 1,
        decoder_heads: int = 2,
    ):
        super().__init__()
        self.vit = ViT(image_size, patch, channels, dim, depth, heads, mlp_dim, num_classes=0)
        decoder_dim = check_size(decoder_dim, "decoder_dim", max_val=_WIDTH)
        check_size(decoder_depth, "decoder_depth", max_val=_DEPTH)
        check_size(decoder_heads, "decoder_heads", max_val=decoder_dim)
        n = self.vit.n_patches
        self.decoder_embed = nn.Linear(dim, decoder_dim)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, decoder_dim))
        self.decoder_pos = nn.Parameter(0.02 * torch.randn(1, n + 1, decoder_dim))
        self.decoder = _encoder(decoder_dim, decoder_depth, decoder_heads, 2 * decoder_dim)
        self.decoder_norm = LayerNorm(decoder_dim)
        self.decoder_pred = nn.Linear(decoder_dim, patch * patch * channels)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.vit.features(x)

    def forward(self, x: torch.Tensor, mask_ratio: float = 0.75, generator: torch.Generator | None = None):
        vit = self.vit
        p = vit._patches(x)
        n, N, _ = p.shape
        keep, mask = random_masking(n, N, mask_ratio, generator, device=p.device)
        z = vit.patch_embed(p) + vit.pos_embed[:, 1:]
        z = torch.gather(z, 1, keep.unsqueeze(-1).expand(-1, -1, z.shape[-1]))  # 只留可见块
        cls = (vit.cls_token + vit.pos_embed[:, :1]).expand(n, -1, -1)
        latent = vit.norm(vit.encoder(torch.cat([cls, z], dim=1)))
        # 解码器：可见块放回原位，其余位置填掩码向量
        y = self.decoder_embed(latent)
        full = self.mask_token.expand(n, N, -1).clone()
        full.scatter_(1, keep.unsqueeze(-1).expand(-1, -1, y.shape[-1]), y[:, 1:])
        full = torch.cat([y[:, :1], full], dim=1) + self.decoder_pos
        pred = self.decoder_pred(self.decoder_norm(self.decoder(full)))[:, 1:]
        per_patch = ((pred - p) ** 2).mean(-1)
        loss = (per_patch * mask).sum() / mask.sum().clamp(min=1)
        return loss, pred, mask
