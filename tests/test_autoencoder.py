"""lib.autoencoder：KL 稀疏惩罚的数值、遮挡噪声、线性自编码器张成主成分子空间、坏输入。"""

import numpy as np
import pytest
import torch
from scipy.linalg import subspace_angles

from lib.autoencoder import Autoencoder, corrupt, kl_sparsity, train_autoencoder


def test_kl_values():
    assert float(kl_sparsity(0.05, torch.tensor([0.5]))) == pytest.approx(0.494632, abs=1e-6)
    assert float(kl_sparsity(0.05, torch.tensor([0.1]))) == pytest.approx(0.016707, abs=1e-6)
    assert float(kl_sparsity(0.3, torch.tensor([0.3, 0.3]))) == pytest.approx(0.0, abs=1e-12)


def test_kl_gradcheck():
    x = torch.tensor([0.2, 0.6, 0.9], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda r: kl_sparsity(0.1, r), (x,))


def test_corrupt_fraction():
    g = torch.Generator().manual_seed(0)
    x = torch.ones(200, 50)
    y = corrupt(x, 0.3, g)
    assert abs(float((y == 0).float().mean()) - 0.3) < 0.02
    assert set(torch.unique(y).tolist()) <= {0.0, 1.0}


def test_linear_autoencoder_spans_pca_subspace():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 6)) * np.array([3.0, 2.0, 1.0, 0.2, 0.1, 0.05])
    X = X - X.mean(0)
    Xt = torch.tensor(X, dtype=torch.float64)
    model = Autoencoder([6, 2], "identity", generator=torch.Generator().manual_seed(0)).double()
    train_autoencoder(model, Xt, epochs=300, batch_size=400, lr=0.05)
    W = model.decoder[0].weight.detach().numpy()  # 6×2：解码器的列张成重构子空间
    _, _, Vt = np.linalg.svd(X, full_matrices=False)
    assert np.max(subspace_angles(W, Vt[:2].T)) < 1e-2


def test_bad_input():
    m = Autoencoder([8, 3])
    with pytest.raises(ValueError, match="x must have shape"):
        m(torch.zeros(4, 7))
    with pytest.raises(ValueError, match="code_activation"):
        Autoencoder([8, 3], code_activation="tanh")
    with pytest.raises(ValueError, match="p must be"):
        corrupt(torch.zeros(2, 2), 1.0)
    with pytest.raises(ValueError, match="rho_hat"):
        kl_sparsity(0.1, torch.tensor([0.0]))
    with pytest.raises(ValueError, match="sparsity > 0"):
        train_autoencoder(m, torch.zeros(4, 8), sparsity=1.0)
