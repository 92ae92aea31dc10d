"""lib.contrastive：InfoNCE 的交叉熵形式、互信息下界、NT-Xent、增强、动量更新、FIFO 队列、集中度、ProtoNCE、坏输入。"""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from lib.contrastive import (
    KeyQueue,
    augment_digits,
    concentration,
    encode,
    info_nce,
    linear_probe,
    momentum_update_,
    nt_xent,
    proto_nce,
    train_moco,
    train_pcl,
    train_simclr,
)


def _explicit_info_nce(q, k, neg, tau):
    """逐个查询按 -log(e^{s+}/(e^{s+}+Σe^{s-})) 计算。"""
    q, k = F.normalize(q, dim=1), F.normalize(k, dim=1)
    total = 0.0
    for i in range(q.shape[0]):
        pos = torch.exp(q[i] @ k[i] / tau)
        if neg is None:
            others = torch.cat([k[:i], k[i + 1 :]])
        else:
            others = F.normalize(neg, dim=1)
        total += -torch.log(pos / (pos + torch.exp(others @ q[i] / tau).sum()))
    return total / q.shape[0]


@pytest.mark.parametrize("with_queue", [False, True])
def test_info_nce_equals_explicit_cross_entropy(with_queue):
    g = torch.Generator().manual_seed(0)
    q, k = torch.randn(7, 5, generator=g, dtype=torch.float64), torch.randn(7, 5, generator=g, dtype=torch.float64)
    neg = torch.randn(11, 5, generator=g, dtype=torch.float64) if with_queue else None
    got = info_nce(q, k, neg, temperature=0.3)
    assert float(got) == pytest.approx(float(_explicit_info_nce(q, k, neg, 0.3)), rel=1e-12)


def test_info_nce_gradcheck():
    g = torch.Generator().manual_seed(1)
    q = torch.randn(4, 3, generator=g, dtype=torch.float64, requires_grad=True)
    k = torch.randn(4, 3, generator=g, dtype=torch.float64, requires_grad=True)
    neg = torch.randn(6, 3, generator=g, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda a, b: info_nce(a, b, neg, temperature=0.5), (q, k))


def test_info_nce_bound_on_gaussian_pair():
    """相关系数 rho 的 d 维高斯对：I = -d/2 log(1-rho^2)。用真实的对数密度比作评分函数，
    log N - L 不超过 I（蒙特卡罗误差之内），N 大时接近 I；随便一个评分函数也不超过 I。"""
    rho, d, N = 0.8, 3, 256
    mi = -d / 2 * math.log(1 - rho**2)
    g = torch.Generator().manual_seed(0)
    est_opt, est_bad = [], []
    for _ in range(40):
        x = torch.randn(N, d, generator=g, dtype=torch.float64)
        y = rho * x + math.sqrt(1 - rho**2) * torch.randn(N, d, generator=g, dtype=torch.float64)
        # log p(x|y)/p(x) 中与查询 y 无关、只含 x 的项不能省：写成内积 phi(y)·psi(x)
        c = rho / (1 - rho**2)
        phi = torch.cat([c * y, torch.ones(N, 1, dtype=torch.float64)], 1)
        psi = torch.cat([x, -(rho**2) / (2 * (1 - rho**2)) * (x**2).sum(1, keepdim=True)], 1)
        est_opt.append(math.log(N) - float(info_nce(phi, psi, temperature=1.0, normalize=False)))
        est_bad.append(math.log(N) - float(info_nce(y, x, temperature=0.5)))
    assert np.mean(est_opt) <= mi + 0.02
    assert np.mean(est_opt) > mi - 0.1
    assert np.mean(est_bad) <= mi + 0.02
    assert max(est_opt) <= math.log(N)


def test_nt_xent_explicit_and_random_baseline():
    g = torch.Generator().manual_seed(0)
    z1, z2 = torch.randn(5, 4, generator=g, dtype=torch.float64), torch.randn(5, 4, generator=g, dtype=torch.float64)
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    tau, n = 0.5, 5
    total = 0.0
    for i in range(2 * n):
        j = (i + n) % (2 * n)
        denom = sum(torch.exp(z[i] @ z[a] / tau) for a in range(2 * n) if a != i)
        total += -torch.log(torch.exp(z[i] @ z[j] / tau) / denom)
    assert float(nt_xent(z1, z2, tau)) == pytest.approx(float(total / (2 * n)), rel=1e-12)
    # 随机的高维单位向量：所有相似度≈0，损失≈log(2N-1)
    big = torch.randn(2, 256, 4096, generator=g, dtype=torch.float64)
    assert float(nt_xent(big[0], big[1], 1.0)) == pytest.approx(math.log(511), abs=0.01)


def test_augment_identity_and_shift():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(6, 64, generator=g)
    same = augment_digits(x, max_shift=0, max_angle=0.0, noise=0.0, generator=g)
    assert torch.allclose(same, x, atol=1e-6)
    img = torch.zeros(1, 8, 8)
    img[0, 3, 3] = 1.0
    moved = augment_digits(img, max_shift=1, max_angle=0.0, noise=0.0, generator=torch.Generator().manual_seed(3))
    r, c = divmod(int(moved.argmax()), 8)
    assert abs(r - 3) <= 1 and abs(c - 3) <= 1 and float(moved.max()) == pytest.approx(1.0)
    out = augment_digits(x, noise=0.2, generator=g)
    assert out.shape == x.shape and not torch.allclose(out, x)


def test_momentum_update():
    torch.manual_seed(0)
    q, k = nn.Linear(3, 2), nn.Linear(3, 2)
    k0, q0 = k.weight.detach().clone(), q.weight.detach().clone()
    momentum_update_(k, q, 0.9)
    assert torch.allclose(k.weight, 0.9 * k0 + 0.1 * q0)
    # 查询参数固定时，原来的键参数占 m^t 的份额
    for _ in range(999):
        momentum_update_(k, q, 0.9)
    assert torch.allclose(k.weight, q0, atol=1e-6)
    k.weight.data.copy_(k0)
    for _ in range(1000):
        momentum_update_(k, q, 0.999)
    share = 0.999**1000
    assert share == pytest.approx(0.3677, abs=1e-4)
    assert torch.allclose(k.weight, share * k0 + (1 - share) * q0, atol=1e-5)


def test_queue_fifo():
    queue = KeyQueue(5, 2)
    assert len(queue) == 0 and queue.keys.shape == (0, 2)
    keys = torch.arange(16, dtype=torch.float32).reshape(8, 2)
    queue.enqueue(keys[:3])
    assert torch.equal(queue.keys, keys[:3])
    queue.enqueue(keys[3:7])
    assert len(queue) == 5 and torch.equal(queue.keys, keys[2:7])  # 最旧的两个被挤出
    queue.enqueue(keys[7:])
    assert torch.equal(queue.keys, keys[3:8])
    queue.enqueue(torch.zeros(9, 2))  # 一次超过容量：只留最后 5 个
    assert torch.equal(queue.keys, torch.zeros(5, 2))


def test_concentration_formula_and_monotone():
    rng = np.random.default_rng(0)
    C = np.array([[0.0, 0.0], [10.0, 0.0]])
    V = np.vstack([C[0] + 0.1 * rng.normal(size=(50, 2)), C[1] + 1.0 * rng.normal(size=(50, 2))])
    lab = np.repeat([0, 1], 50)
    phi = concentration(V, lab, C, alpha=10)
    d0 = np.linalg.norm(V[:50] - C[0], axis=1).sum()
    assert phi[0] == pytest.approx(d0 / (50 * np.log(60)))
    assert phi[1] > 5 * phi[0]  # 松散的簇集中度大
    phi1 = concentration(np.vstack([V, [[5.0, 5.0]]]), np.append(lab, 2), np.vstack([C, [[5.0, 5.0]]]))
    assert phi1[2] == pytest.approx(phi1[:2].max())  # 单点簇取其他簇的最大值


def test_proto_nce_reduces_to_info_nce_plus_ce():
    g = torch.Generator().manual_seed(0)
    q, k = torch.randn(6, 4, generator=g, dtype=torch.float64), torch.randn(6, 4, generator=g, dtype=torch.float64)
    neg = torch.randn(10, 4, generator=g, dtype=torch.float64)
    C1, C2 = torch.randn(3, 4, generator=g, dtype=torch.float64), torch.randn(5, 4, generator=g, dtype=torch.float64)
    a1, a2 = torch.tensor([0, 1, 2, 0, 1, 2]), torch.tensor([0, 1, 2, 3, 4, 0])
    p1, p2 = torch.full((3,), 0.2, dtype=torch.float64), torch.linspace(0.1, 0.5, 5, dtype=torch.float64)
    got = proto_nce(q, k, neg, [C1, C2], [a1, a2], [p1, p2], temperature=0.1)
    v = F.normalize(q, dim=1)
    ref = info_nce(q, k, neg, temperature=0.1)
    for C, a, p in ((C1, a1, p1), (C2, a2, p2)):
        logits = v @ F.normalize(C, dim=1).T / p
        ref = ref + 0.5 * (-(logits.log_softmax(1)[torch.arange(6), a])).mean()
    assert float(got) == pytest.approx(float(ref), rel=1e-12)
    assert float(proto_nce(q, k, neg, [], [], [], temperature=0.1)) == pytest.approx(float(info_nce(q, k, neg)))


def test_training_loops_run_and_decrease():
    from sklearn.datasets import load_digits

    X = torch.tensor(load_digits().data[:200] / 16, dtype=torch.float32)

    def model():
        g = torch.Generator().manual_seed(0)
        lin1, lin2 = nn.Linear(64, 32), nn.Linear(32, 16)
        for lin in (lin1, lin2):
            nn.init.normal_(lin.weight, std=0.2, generator=g)
        return nn.Sequential(lin1, nn.ReLU(), lin2)

    losses = train_simclr(model(), X, epochs=6, batch_size=100)
    assert losses[-1] < losses[0]
    key, losses = train_moco(model(), X, epochs=6, batch_size=50, queue_size=100)
    # 第一个 epoch 里队列从空到满（负样本越来越多），从第二个 epoch 起比较
    assert losses[-1] < losses[1] and not any(p.requires_grad for p in key.parameters())
    key, losses, hist = train_pcl(model(), X, n_clusters=(5, 8), epochs=4, warmup_epochs=2, batch_size=50)
    assert len(hist) == 2 and hist[0]["labels"][1].max() < 8
    assert all(abs(p.mean() - 0.2) < 1e-6 for p in hist[0]["phi"])  # 集中度缩放到均值为 temperature


def test_linear_probe_and_encode():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = (X[:, 0] > 0).astype(int)
    assert linear_probe(X[:100], y[:100], X[100:], y[100:]) > 0.9
    lin = nn.Linear(3, 2)
    assert encode(lin, X).shape == (200, 2)


def test_bad_input():
    q = torch.randn(4, 3)
    with pytest.raises(TypeError, match="query must be a torch.Tensor"):
        info_nce(q.numpy(), q)
    with pytest.raises(ValueError, match="positive_key must have the shape"):
        info_nce(q, torch.randn(4, 2))
    with pytest.raises(ValueError, match="negative_keys must have 3 columns"):
        info_nce(q, q, torch.randn(5, 2))
    with pytest.raises(ValueError, match="temperature must be > 0"):
        info_nce(q, q, temperature=0.0)
    with pytest.raises(ValueError, match="query must not be empty"):
        info_nce(torch.zeros(0, 3), torch.zeros(0, 3))
    with pytest.raises(TypeError, match="floating-point"):
        info_nce(torch.ones(2, 3, dtype=torch.long), torch.ones(2, 3, dtype=torch.long))
    with pytest.raises(ValueError, match="at least 2 images"):
        nt_xent(torch.randn(1, 3), torch.randn(1, 3))
    with pytest.raises(ValueError, match="same shape"):
        nt_xent(torch.randn(4, 3), torch.randn(5, 3))
    with pytest.raises(ValueError, match=r"x must have shape \(n, 64\)"):
        augment_digits(torch.zeros(3, 63))
    with pytest.raises(ValueError, match="max_shift must be <= 3"):
        augment_digits(torch.zeros(3, 64), max_shift=4)
    with pytest.raises(ValueError, match="m must be <= 1"):
        momentum_update_(nn.Linear(2, 2), nn.Linear(2, 2), 1.5)
    with pytest.raises(ValueError, match="same shapes"):
        momentum_update_(nn.Linear(2, 2), nn.Linear(3, 2), 0.9)
    with pytest.raises(ValueError, match="size must be >= 1"):
        KeyQueue(0, 2)
    with pytest.raises(ValueError, match="keys must have 2 columns"):
        KeyQueue(3, 2).enqueue(torch.zeros(1, 3))
    with pytest.raises(ValueError, match="labels must lie in"):
        concentration(np.zeros((3, 2)), np.array([0, 1, 2]), np.zeros((2, 2)))
    with pytest.raises(TypeError, match="labels must be integers"):
        concentration(np.zeros((3, 2)), np.array([0.0, 1.0, 1.0]), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="concentrations\\[0\\] must be positive"):
        proto_nce(q, q, None, [torch.randn(2, 3)], [torch.zeros(4, dtype=torch.long)], [torch.zeros(2)])
    with pytest.raises(ValueError, match="same length"):
        proto_nce(q, q, None, [torch.randn(2, 3)], [], [])
    with pytest.raises(ValueError, match=r"X must hold flattened 8x8 images"):
        train_simclr(nn.Linear(3, 2), torch.zeros(10, 3))
    with pytest.raises(ValueError, match="n_clusters must list"):
        train_pcl(nn.Linear(64, 2), torch.zeros(10, 64), n_clusters=())
    with pytest.raises(ValueError, match="F_test must have 3 columns"):
        linear_probe(np.zeros((4, 3)), np.array([0, 1, 0, 1]), np.zeros((2, 2)), np.array([0, 1]))
