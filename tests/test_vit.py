"""lib.vit：分块与还原、随机遮挡、参数量公式、ViT/MAE 的形状与训练、坏输入。"""

import numpy as np
import pytest
import torch

from lib.decomposition import image_to_patches
from lib.vit import MAE, ViT, patchify, random_masking, unpatchify, vit_num_params


def test_patchify_roundtrip_and_order():
    x = torch.arange(2 * 64, dtype=torch.float32).reshape(2, 64)
    p = patchify(x, 2)
    assert p.shape == (2, 16, 4)
    assert p[0, 0].tolist() == [0.0, 1.0, 8.0, 9.0]  # 左上角的 2×2 块，行优先
    assert p[0, 1].tolist() == [2.0, 3.0, 10.0, 11.0]
    assert torch.equal(unpatchify(p, 2, (8, 8)).reshape(2, 64), x)
    # 与 lib.decomposition 的 NumPy 分块一致（单通道）
    ref = image_to_patches(x[1].reshape(8, 8).numpy(), 4)
    assert np.array_equal(patchify(x[1:], 4)[0].numpy(), ref)
    rgb = torch.randn(3, 3, 12, 12)
    assert torch.equal(unpatchify(patchify(rgb, 4), 4, (12, 12), channels=3), rgb)


def test_random_masking():
    g = torch.Generator().manual_seed(0)
    keep, mask = random_masking(5, 16, 0.75, g)
    assert keep.shape == (5, 4) and mask.shape == (5, 16)
    assert torch.all(mask.sum(1) == 12)
    assert torch.all(~mask.gather(1, keep))
    assert torch.all(keep[:, 1:] > keep[:, :-1])
    assert len({tuple(r) for r in keep.tolist()}) > 1  # 每个样本独立
    _, m = random_masking(1000, 196, 0.75, g)
    assert int((~m[0]).sum()) == 49


def test_param_count_formula():
    model = ViT(image_size=8, patch=2, channels=1, dim=16, depth=3, heads=2, mlp_dim=24, num_classes=10)
    n = sum(p.numel() for p in model.parameters())
    assert n == vit_num_params(image_size=8, patch=2, channels=1, dim=16, depth=3, mlp_dim=24, num_classes=10)
    base = vit_num_params(image_size=224, patch=16, dim=768, depth=12, mlp_dim=3072)
    large = vit_num_params(image_size=224, patch=16, dim=1024, depth=24, mlp_dim=4096)
    huge = vit_num_params(image_size=224, patch=14, dim=1280, depth=32, mlp_dim=5120)
    assert round(base / 1e6, 1) == 86.6 and round(large / 1e6, 1) == 304.3 and round(huge / 1e6, 1) == 632.0


def test_vit_shapes_and_training_step():
    torch.manual_seed(0)
    model = ViT()
    x = torch.rand(6, 64)
    assert model(x).shape == (6, 10) and model.features(x).shape == (6, 32)
    assert model.tokens(x.reshape(6, 8, 8)).shape == (6, 17, 32)
    loss = torch.nn.functional.cross_entropy(model(x), torch.arange(6))
    loss.backward()
    assert all(p.grad is not None for p in model.parameters())


def test_mae_loss_only_on_masked_patches():
    torch.manual_seed(0)
    mae = MAE().requires_grad_(False)
    x = torch.rand(4, 64)
    loss, pred, mask = mae(x, 0.75, torch.Generator().manual_seed(1))
    p = patchify(x, 2)
    ref = (((pred - p) ** 2).mean(-1) * mask).sum() / mask.sum()
    assert float(loss) == pytest.approx(float(ref))
    # 改动被遮住块的像素：编码器看不到它们，预测一点不变，只有损失（目标）变了
    x_m = unpatchify(torch.where(mask[..., None], p + 1.0, p), 2, (8, 8)).reshape(4, 64)
    loss_m, pred_m, mask_m = mae(x_m, 0.75, torch.Generator().manual_seed(1))
    assert torch.equal(mask, mask_m) and torch.equal(pred, pred_m) and float(loss_m) > float(loss) + 0.5
    # 改动可见块的像素：预测变了，但可见块不在损失里——用新预测重算的被遮住块误差就是新的损失
    x_v = unpatchify(torch.where(mask[..., None], p, p + 1.0), 2, (8, 8)).reshape(4, 64)
    loss_v, pred_v, _ = mae(x_v, 0.75, torch.Generator().manual_seed(1))
    assert not torch.allclose(pred_v, pred)
    assert float(loss_v) == pytest.approx(float((((pred_v - p) ** 2).mean(-1) * mask).sum() / mask.sum()))
    assert mae.encode(x).shape == (4, 32)


def test_mae_decoder_input_puts_tokens_back_in_place():
    """解码器的输入：第 i 个可见块的编码放回它原来的位置 i，被遮住的位置是掩码向量；编码器只看可见块。"""
    torch.manual_seed(0)
    mae = MAE(decoder_dim=8).requires_grad_(False)
    with torch.no_grad():
        mae.mask_token.normal_()
    x = torch.rand(3, 64)
    seen = {}
    mae.decoder.register_forward_pre_hook(lambda mod, args: seen.setdefault("full", args[0].clone()))
    _, _, mask = mae(x, 0.75, torch.Generator().manual_seed(2))
    full = seen["full"] - mae.decoder_pos  # 去掉解码器的位置编码
    vit, p = mae.vit, patchify(x, 2)
    for i in range(3):
        keep = torch.nonzero(~mask[i]).ravel()  # 可见块的原位置，升序
        # 单独对这一张图的可见块（带各自的位置编码）跑编码器
        z = vit.patch_embed(p[i, keep]) + vit.pos_embed[0, 1 + keep]
        z = torch.cat([vit.cls_token[0] + vit.pos_embed[0, :1], z])[None]
        y = mae.decoder_embed(vit.norm(vit.encoder(z)))[0]
        assert torch.allclose(full[i, 0], y[0], atol=1e-6)  # [class] 在第 0 位
        assert torch.allclose(full[i, 1 + keep], y[1:], atol=1e-6)
        masked = torch.nonzero(mask[i]).ravel()
        assert torch.allclose(full[i, 1 + masked], mae.mask_token[0].expand(len(masked), -1), atol=1e-6)


def test_bad_input():
    with pytest.raises(ValueError, match="divisible by patch"):
        patchify(torch.zeros(2, 8, 8), 3)
    with pytest.raises(ValueError, match=r"flattened 8x8 images"):
        patchify(torch.zeros(2, 63), 2)
    with pytest.raises(TypeError, match="x must be a torch.Tensor"):
        patchify(np.zeros((2, 64)), 2)
    with pytest.raises(ValueError, match="patches must have shape"):
        unpatchify(torch.zeros(2, 15, 4), 2, (8, 8))
    with pytest.raises(ValueError, match="mask_ratio must be < 1"):
        random_masking(2, 16, 1.0)
    with pytest.raises(ValueError, match="leaves no visible patch"):
        random_masking(2, 4, 0.9)
    with pytest.raises(ValueError, match="x must hold 1x8x8 images"):
        ViT()(torch.zeros(2, 1, 12, 12))
    with pytest.raises(ValueError, match="divisible by patch"):
        ViT(image_size=8, patch=3)
    with pytest.raises(ValueError, match="divisible by patch"):
        vit_num_params(image_size=10, patch=3, dim=4, depth=1, mlp_dim=4)
