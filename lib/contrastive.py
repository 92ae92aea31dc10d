r"""对比表示学习（torch）：InfoNCE、SimCLR 的 NT-Xent、MoCo 的队列与动量编码器、原型对比学习的 ProtoNCE，
以及线性探测评估。

* InfoNCE：查询 :math:`\mathbf q` 与一个正样本键 :math:`\mathbf k^+`、若干负样本键 :math:`\mathbf k^-_j`，

  .. math:: \mathcal L=-\log\frac{e^{s(\mathbf q,\mathbf k^+)/\tau}}
            {e^{s(\mathbf q,\mathbf k^+)/\tau}+\sum_je^{s(\mathbf q,\mathbf k^-_j)/\tau}},

  即以正样本为“正确类别”的 softmax 交叉熵；:math:`s` 是（归一化后的）内积。负样本数为 :math:`N-1` 时
  :math:`I(\mathbf q;\mathbf k)\ge\log N-\mathcal L`（期望意义下）。
* NT-Xent（SimCLR）：一批 :math:`N` 张图各做两次增强，:math:`2N` 个视图中每个以另一个视图为正样本、
  其余 :math:`2N-2` 个为负样本。
* MoCo：负样本来自一个先进先出的键队列（:class:`KeyQueue`）；键编码器是查询编码器参数的指数滑动平均
  :math:`\theta_k\leftarrow m\theta_k+(1-m)\theta_q`（:func:`momentum_update_`），不接收梯度。
* ProtoNCE（原型对比学习）：InfoNCE 加上每个聚类粒度的原型项
  :math:`-\log\frac{\exp(\mathbf v\cdot\mathbf c_s/\phi_s)}{\sum_j\exp(\mathbf v\cdot\mathbf c_j/\phi_j)}`，
  原型 :math:`\mathbf c` 来自对动量特征的 k-means，集中度
  :math:`\phi=\frac{\sum_z\lVert\mathbf v'_z-\mathbf c\rVert_2}{Z\log(Z+\alpha)}`（:func:`concentration`）。
* :func:`augment_digits`：8×8 数字的批量随机增强（旋转、平移、高斯噪声），张量在哪个设备上就在哪里做。
* :func:`linear_probe`：冻结特征，标准化后训练多类逻辑回归，返回测试准确率。
"""

from __future__ import annotations

import copy
import math
from numbers import Integral, Real

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .utils import check_array, check_scalar

__all__ = [
    "info_nce",
    "nt_xent",
    "augment_digits",
    "momentum_update_",
    "KeyQueue",
    "concentration",
    "proto_nce",
    "train_simclr",
    "train_moco",
    "train_pcl",
    "encode",
    "linear_probe",
]


def _check_tensor(x, name: str, ndim: int) -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if x.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {tuple(x.shape)}")
    if x.shape[0] == 0:
        raise ValueError(f"{name} must not be empty, got shape {tuple(x.shape)}")
    if not torch.is_floating_point(x):
        raise TypeError(f"{name} must be a floating-point tensor, got {x.dtype}")
    return x


def _check_temperature(temperature) -> float:
    return float(check_scalar(temperature, "temperature", Real, min_val=0, include_min=False))


def info_nce(
    query: torch.Tensor,
    positive_key: torch.Tensor,
    negative_keys: torch.Tensor | None = None,
    *,
    temperature: float = 0.1,
    normalize: bool = True,
) -> torch.Tensor:
    r"""InfoNCE 损失（对批内样本取平均）。

    ``query``、``positive_key``：``(N, d)``，第 :math:`i` 行互为正样本对。``negative_keys``：``(M, d)``，
    所有查询共用的负样本（MoCo 的队列）；为 ``None`` 时用批内其他样本的正样本键作负样本（每个查询 :math:`N-1` 个）。
    ``normalize=True`` 时先把各向量归一化到单位长度（相似度为余弦），否则直接用内积。
    """
    q = _check_tensor(query, "query", 2)
    k = _check_tensor(positive_key, "positive_key", 2)
    if k.shape != q.shape:
        raise ValueError(f"positive_key must have the shape of query {tuple(q.shape)}, got {tuple(k.shape)}")
    tau = _check_temperature(temperature)
    if negative_keys is not None:
        neg = _check_tensor(negative_keys, "negative_keys", 2)
        if neg.shape[1] != q.shape[1]:
            raise ValueError(f"negative_keys must have {q.shape[1]} columns, got shape {tuple(neg.shape)}")
    if normalize:
        q, k = F.normalize(q, dim=1), F.normalize(k, dim=1)
    if negative_keys is None:
        logits = q @ k.T / tau  # 对角线是正样本对
        labels = torch.arange(q.shape[0], device=q.device)
    else:
        if normalize:
            neg = F.normalize(neg, dim=1)
        pos = (q * k).sum(1, keepdim=True)
        logits = torch.cat([pos, q @ neg.T], dim=1) / tau  # 第 0 列是正样本
        labels = torch.zeros(q.shape[0], dtype=torch.long, device=q.device)
    return F.cross_entropy(logits, labels)


def nt_xent(z1: torch.Tensor, z2: torch.Tensor, temperature: float = 0.5) -> torch.Tensor:
    r"""SimCLR 的 NT-Xent 损失：``z1[i]`` 与 ``z2[i]`` 是同一张图的两个视图（``(N, d)``，会先归一化）。
    :math:`2N` 个视图各自的 InfoNCE（分母含 1 个正样本与 :math:`2N-2` 个负样本）取平均。"""
    z1 = _check_tensor(z1, "z1", 2)
    z2 = _check_tensor(z2, "z2", 2)
    if z1.shape != z2.shape:
        raise ValueError(f"z1 and z2 must have the same shape, got {tuple(z1.shape)} and {tuple(z2.shape)}")
    if z1.shape[0] < 2:
        raise ValueError(f"nt_xent needs at least 2 images per batch, got {z1.shape[0]}")
    tau = _check_temperature(temperature)
    n = z1.shape[0]
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    sim = z @ z.T / tau
    sim = sim.masked_fill(torch.eye(2 * n, dtype=torch.bool, device=z.device), float("-inf"))  # 去掉自己
    targets = torch.cat([torch.arange(n, 2 * n), torch.arange(n)]).to(z.device)  # 另一个视图
    return F.cross_entropy(sim, targets)


def augment_digits(
    x: torch.Tensor,
    *,
    max_shift: int = 1,
    max_angle: float = 15.0,
    noise: float = 0.1,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    r"""8×8 数字图像（``(n, 64)`` 或 ``(n, 8, 8)``）的批量随机增强，返回同形的新张量：
    每张图转 :math:`U(-\text{max\_angle},\text{max\_angle})` 度、平移 :math:`\{-s,\dots,s\}` 个像素
    （一次仿射变换 + 双线性插值，图外补 0），再加 :math:`\mathcal N(0,\text{noise}^2)` 噪声。
    随机数取自 CPU 上的 ``generator``，图像可以在任何设备上。

    与 :func:`lib.nn.regularization.augment_digits`（NumPy，逐张用 SciPy 旋转、整像素平移、截到 [0, 16]，
    用于一次性扩充数据集）做的是同一种变换；这里是它的批量 torch 版：对比学习每一步都要对整批重新增强，
    一次 ``affine_grid`` + ``grid_sample`` 就完成，留在输入所在的设备上，也不假定像素的取值范围。"""
    x = _check_tensor(x, "x", x.ndim if isinstance(x, torch.Tensor) and x.ndim in (2, 3) else 2)
    if x.shape[1:] not in ((64,), (8, 8)):
        raise ValueError(f"x must have shape (n, 64) or (n, 8, 8), got {tuple(x.shape)}")
    max_shift = check_scalar(max_shift, "max_shift", Integral, min_val=0, max_val=3)
    max_angle = check_scalar(max_angle, "max_angle", Real, min_val=0, max_val=180)
    noise = check_scalar(noise, "noise", Real, min_val=0)
    n = x.shape[0]
    opts = dict(generator=generator, dtype=torch.float64)
    theta = (torch.rand(n, **opts) * 2 - 1) * math.radians(max_angle)
    shift = torch.randint(-max_shift, max_shift + 1, (n, 2), generator=generator).double()
    cos, sin = torch.cos(theta), torch.sin(theta)
    # 归一化坐标里一个像素是 2/8；affine_grid 的矩阵把输出坐标映射到输入坐标
    A = torch.stack(
        [torch.stack([cos, -sin, -shift[:, 0] * 0.25], 1), torch.stack([sin, cos, -shift[:, 1] * 0.25], 1)], 1
    )
    A = A.to(x.device, x.dtype)
    img = x.reshape(n, 1, 8, 8)
    grid = F.affine_grid(A, [n, 1, 8, 8], align_corners=False)
    out = F.grid_sample(img, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    if noise > 0:
        out = out + noise * torch.randn(out.shape, **opts).to(x.device, x.dtype)
    return out.reshape(x.shape)


@torch.no_grad()
def momentum_update_(key_model: nn.Module, query_model: nn.Module, m: float = 0.999) -> None:
    r"""就地更新 :math:`\theta_k\leftarrow m\,\theta_k+(1-m)\,\theta_q`（两个模型结构相同）。"""
    m = float(check_scalar(m, "m", Real, min_val=0, max_val=1))
    pk, pq = list(key_model.parameters()), list(query_model.parameters())
    if len(pk) != len(pq) or any(a.shape != b.shape for a, b in zip(pk, pq)):
        raise ValueError("key_model and query_model must have parameters of the same shapes")
    for a, b in zip(pk, pq):
        a.mul_(m).add_(b.detach(), alpha=1 - m)


class KeyQueue:
    """先进先出的键队列（环形缓冲区）：最多存 ``size`` 个 ``dim`` 维的键，满了以后新键覆盖最旧的键。

    ``keys`` 按入队顺序（最旧的在前）返回当前存着的键，形状 ``(len(queue), dim)``。
    """

    def __init__(self, size: int, dim: int, *, device=None, dtype=torch.float32):
        self.size = int(check_scalar(size, "size", Integral, min_val=1))
        self.dim = int(check_scalar(dim, "dim", Integral, min_val=1))
        self._buf = torch.zeros(self.size, self.dim, device=device, dtype=dtype)
        self._ptr = 0  # 下一个写入位置
        self._count = 0

    def __len__(self) -> int:
        return self._count

    @torch.no_grad()
    def enqueue(self, keys: torch.Tensor) -> None:
        keys = _check_tensor(keys, "keys", 2)
        if keys.shape[1] != self.dim:
            raise ValueError(f"keys must have {self.dim} columns, got shape {tuple(keys.shape)}")
        keys = keys.detach().to(self._buf.device, self._buf.dtype)[-self.size :]
        idx = (self._ptr + torch.arange(keys.shape[0])) % self.size
        self._buf[idx.to(self._buf.device)] = keys
        self._ptr = (self._ptr + keys.shape[0]) % self.size
        self._count = min(self.size, self._count + keys.shape[0])

    @property
    def keys(self) -> torch.Tensor:
        if self._count < self.size:
            return self._buf[: self._count].clone()
        return torch.roll(self._buf, -self._ptr, dims=0).clone()


def concentration(features, labels, centroids, alpha: float = 10.0) -> np.ndarray:
    r"""每个簇的集中度 :math:`\phi_k=\frac{\sum_{z\in k}\lVert\mathbf v_z-\mathbf c_k\rVert_2}{Z_k\log(Z_k+\alpha)}`。

    簇越松散（点离原型越远）、点越少，:math:`\phi` 越大，ProtoNCE 里这个原型的“温度”越高。
    只有一个点的簇按原论文的做法取其他簇 :math:`\phi` 的最大值。
    """
    V = check_array(features, "features", ndim=2)
    C = check_array(centroids, "centroids", ndim=2)
    y = check_array(labels, "labels", ndim=1, dtype=None)
    if not np.issubdtype(y.dtype, np.integer):
        raise TypeError(f"labels must be integers, got dtype {y.dtype}")
    if y.shape[0] != V.shape[0]:
        raise ValueError(f"labels must have one entry per row of features ({V.shape[0]}), got {y.shape[0]}")
    if C.shape[1] != V.shape[1]:
        raise ValueError(f"centroids must have {V.shape[1]} columns, got shape {C.shape}")
    if y.min() < 0 or y.max() >= C.shape[0]:
        raise ValueError(f"labels must lie in [0, {C.shape[0]}), got range [{y.min()}, {y.max()}]")
    alpha = float(check_scalar(alpha, "alpha", Real, min_val=0, include_min=False))
    dist = np.linalg.norm(V - C[y], axis=1)
    Z = np.bincount(y, minlength=C.shape[0]).astype(float)
    total = np.bincount(y, weights=dist, minlength=C.shape[0])
    phi = np.full(C.shape[0], np.nan)
    many = Z > 1
    phi[many] = total[many] / (Z[many] * np.log(Z[many] + alpha))
    fill = np.nanmax(phi) if many.any() else 1.0
    phi[~many] = fill
    return phi


def proto_nce(
    query: torch.Tensor,
    positive_key: torch.Tensor,
    negative_keys: torch.Tensor | None,
    prototypes: list[torch.Tensor],
    assignments: list[torch.Tensor],
    concentrations: list[torch.Tensor],
    *,
    temperature: float = 0.1,
) -> torch.Tensor:
    r"""ProtoNCE = InfoNCE + :math:`\frac1M\sum_{m=1}^M` 原型项。

    第 :math:`m` 个聚类粒度：``prototypes[m]`` 是 ``(K_m, d)`` 的原型（会归一化），``assignments[m]`` 是每个查询
    所属的簇（``(N,)`` 的整数），``concentrations[m]`` 是 ``(K_m,)`` 的集中度 :math:`\phi`；原型项是以所属原型为
    正确类别、logit 为 :math:`\mathbf v\cdot\mathbf c_j/\phi_j` 的交叉熵。
    """
    loss = info_nce(query, positive_key, negative_keys, temperature=temperature)
    if not (len(prototypes) == len(assignments) == len(concentrations)):
        raise ValueError("prototypes, assignments and concentrations must have the same length")
    if len(prototypes) == 0:
        return loss
    v = F.normalize(query, dim=1)
    proto = 0.0
    for m, (C, a, phi) in enumerate(zip(prototypes, assignments, concentrations)):
        C = _check_tensor(C, f"prototypes[{m}]", 2)
        if C.shape[1] != v.shape[1]:
            raise ValueError(f"prototypes[{m}] must have {v.shape[1]} columns, got shape {tuple(C.shape)}")
        if a.shape != (v.shape[0],) or a.dtype != torch.long:
            raise ValueError(f"assignments[{m}] must be a long tensor of shape ({v.shape[0]},)")
        if phi.shape != (C.shape[0],) or bool((phi <= 0).any()):
            raise ValueError(f"concentrations[{m}] must be positive with shape ({C.shape[0]},)")
        logits = v @ F.normalize(C, dim=1).T / phi
        proto = proto + F.cross_entropy(logits, a)
    return loss + proto / len(prototypes)


# ---------------------------------------------------------------------------------------------
# 训练循环（小批量、Adam；返回每个 epoch 的平均损失）
# ---------------------------------------------------------------------------------------------
def _check_train(X, epochs, batch_size, lr):
    X = _check_tensor(X, "X", 2)
    if X.shape[1] != 64:
        raise ValueError(f"X must hold flattened 8x8 images, shape (n, 64), got {tuple(X.shape)}")
    check_scalar(epochs, "epochs", Integral, min_val=1)
    check_scalar(batch_size, "batch_size", Integral, min_val=2)
    check_scalar(lr, "lr", Real, min_val=0, include_min=False)
    return X


def train_simclr(
    model: nn.Module,
    X: torch.Tensor,
    *,
    epochs: int = 30,
    batch_size: int = 256,
    lr: float = 1e-3,
    temperature: float = 0.5,
    augment: dict | None = None,
    seed: int = 0,
) -> list[float]:
    """SimCLR：每批图像各增强两次，``model``（编码器 + 投影头）的输出上算 NT-Xent。就地更新 ``model``。"""
    X = _check_train(X, epochs, batch_size, lr)
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    aug = augment or {}
    losses = []
    for _ in range(epochs):
        perm = torch.randperm(X.shape[0], generator=gen).to(X.device)
        total, count = 0.0, 0
        for s in range(0, X.shape[0] - 1, batch_size):
            xb = X[perm[s : s + batch_size]]
            if xb.shape[0] < 2:
                continue
            z1 = model(augment_digits(xb, generator=gen, **aug))
            z2 = model(augment_digits(xb, generator=gen, **aug))
            loss = nt_xent(z1, z2, temperature)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total, count = total + float(loss.detach()) * xb.shape[0], count + xb.shape[0]
        losses.append(total / count)
    return losses


def _moco_like(
    model, X, *, epochs, batch_size, lr, temperature, queue_size, m, augment, seed, step_loss, key_model=None
):
    X = _check_train(X, epochs, batch_size, lr)
    check_scalar(queue_size, "queue_size", Integral, min_val=1)
    check_scalar(m, "m", Real, min_val=0, max_val=1)
    _check_temperature(temperature)
    gen = torch.Generator().manual_seed(seed)
    if key_model is None:
        key_model = copy.deepcopy(model)
    for p in key_model.parameters():
        p.requires_grad_(False)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    aug = augment or {}
    with torch.no_grad():
        dim = model(X[:2]).shape[1]
    queue = KeyQueue(queue_size, dim, device=X.device, dtype=X.dtype)
    losses = []
    for epoch in range(epochs):
        perm = torch.randperm(X.shape[0], generator=gen).to(X.device)
        total, count = 0.0, 0
        for s in range(0, X.shape[0], batch_size):
            idx = perm[s : s + batch_size]
            q = model(augment_digits(X[idx], generator=gen, **aug))  # 查询：有梯度
            with torch.no_grad():
                k = key_model(augment_digits(X[idx], generator=gen, **aug))  # 键：无梯度
            neg = queue.keys if len(queue) > 0 else None
            loss = step_loss(epoch, idx, q, k, neg)
            opt.zero_grad()
            loss.backward()
            opt.step()
            momentum_update_(key_model, model, m)
            queue.enqueue(F.normalize(k, dim=1))
            total, count = total + float(loss.detach()) * len(idx), count + len(idx)
        losses.append(total / count)
    return key_model, losses


def train_moco(
    model: nn.Module,
    X: torch.Tensor,
    *,
    epochs: int = 30,
    batch_size: int = 64,
    lr: float = 1e-3,
    temperature: float = 0.2,
    queue_size: int = 1024,
    m: float = 0.99,
    augment: dict | None = None,
    seed: int = 0,
) -> tuple[nn.Module, list[float]]:
    """MoCo：查询编码器 ``model`` 由梯度更新，键编码器（``model`` 的拷贝）由动量更新；负样本来自键队列。
    返回 (键编码器, 每个 epoch 的平均损失)。队列为空的第一步用批内负样本。"""

    def step_loss(epoch, idx, q, k, neg):
        return info_nce(q, k, neg, temperature=temperature)

    return _moco_like(
        model, X, epochs=epochs, batch_size=batch_size, lr=lr, temperature=temperature,
        queue_size=queue_size, m=m, augment=augment, seed=seed, step_loss=step_loss,
    )  # fmt: skip


def train_pcl(
    model: nn.Module,
    X: torch.Tensor,
    *,
    n_clusters: tuple[int, ...] = (10, 20),
    epochs: int = 30,
    warmup_epochs: int = 5,
    batch_size: int = 64,
    lr: float = 1e-3,
    temperature: float = 0.2,
    queue_size: int = 1024,
    m: float = 0.99,
    alpha: float = 10.0,
    augment: dict | None = None,
    seed: int = 0,
) -> tuple[nn.Module, list[float], list[dict]]:
    """原型对比学习（EM）：每个 epoch 开始时 E 步——用键编码器提取全部特征、对每个 ``n_clusters`` 做 k-means，
    得到原型、分配与集中度（缩放到均值为 ``temperature``）；M 步——按 ProtoNCE 训练一个 epoch。
    前 ``warmup_epochs`` 个 epoch 只用 InfoNCE（即 MoCo）。返回 (键编码器, 损失, 每次 E 步的聚类结果)。"""
    from .cluster import KMeans
    from .nn.train import predict

    X = _check_train(X, epochs, batch_size, lr)
    n_clusters = tuple(n_clusters)
    if len(n_clusters) == 0:
        raise ValueError("n_clusters must list at least one number of clusters")
    for K in n_clusters:
        check_scalar(K, "n_clusters", Integral, min_val=2, max_val=X.shape[0])
    check_scalar(warmup_epochs, "warmup_epochs", Integral, min_val=0)
    state: dict = {"epoch": -1}
    history: list[dict] = []
    key_model = copy.deepcopy(model)  # E 步用它提取特征；_moco_like 对它做动量更新

    def e_step(key_model):
        V = F.normalize(predict(key_model, X), dim=1).cpu().double().numpy()
        protos, assign, phis = [], [], []
        for j, K in enumerate(n_clusters):
            km = KMeans(K, n_init=1, random_state=seed + j).fit(V)
            C = km.cluster_centers_ / np.linalg.norm(km.cluster_centers_, axis=1, keepdims=True)
            phi = concentration(V, km.labels_, km.cluster_centers_, alpha)
            lo, hi = np.percentile(phi, [10, 90])
            phi = np.clip(phi, lo, hi)
            phi = temperature * phi / phi.mean()
            protos.append(torch.as_tensor(C, dtype=X.dtype, device=X.device))
            assign.append(torch.as_tensor(km.labels_, dtype=torch.long, device=X.device))
            phis.append(torch.as_tensor(phi, dtype=X.dtype, device=X.device))
        history.append({"labels": [a.cpu().numpy() for a in assign], "phi": [p.cpu().numpy() for p in phis]})
        return protos, assign, phis

    def step_loss(epoch, idx, q, k, neg):
        if epoch < warmup_epochs:
            return info_nce(q, k, neg, temperature=temperature)
        if state["epoch"] != epoch:  # 每个 epoch 的第一步之前做一次 E 步
            state["epoch"] = epoch
            state["clusters"] = e_step(key_model)
        protos, assign, phis = state["clusters"]
        return proto_nce(q, k, neg, protos, [a[idx] for a in assign], phis, temperature=temperature)

    key_model, losses = _moco_like(
        model, X, epochs=epochs, batch_size=batch_size, lr=lr, temperature=temperature,
        queue_size=queue_size, m=m, augment=augment, seed=seed, step_loss=step_loss, key_model=key_model,
    )  # fmt: skip
    return key_model, losses, history


# ---------------------------------------------------------------------------------------------
# 评估：冻结特征 + 线性分类器
# ---------------------------------------------------------------------------------------------
def encode(model: nn.Module, X) -> np.ndarray:
    """把 ``X``（数组或张量）送进 ``model``（评估模式、不求梯度），返回 float64 的 NumPy 特征矩阵。"""
    from .nn.train import predict

    p = next(model.parameters(), None)
    if not isinstance(X, torch.Tensor):
        X = torch.as_tensor(check_array(X, "X", ndim=2))
    X = _check_tensor(X, "X", 2)
    if p is not None:
        X = X.to(p.device, p.dtype)
    return predict(model, X).cpu().double().numpy()


def linear_probe(F_train, y_train, F_test, y_test, *, C: float = 1.0) -> float:
    """线性探测：按训练集的均值、标准差标准化特征，训练多类逻辑回归（``lib.linear.LogisticRegression``），
    返回测试集准确率。特征本身不再改变——它衡量的是表示里“线性可读出”的信息。"""
    from .linear import LogisticRegression

    Ftr = check_array(F_train, "F_train", ndim=2)
    Fte = check_array(F_test, "F_test", ndim=2)
    ytr = check_array(y_train, "y_train", ndim=1, dtype=None)
    yte = check_array(y_test, "y_test", ndim=1, dtype=None)
    if Ftr.shape[0] != ytr.shape[0] or Fte.shape[0] != yte.shape[0]:
        raise ValueError("F_train/y_train and F_test/y_test must have matching numbers of rows")
    if Fte.shape[1] != Ftr.shape[1]:
        raise ValueError(f"F_test must have {Ftr.shape[1]} columns like F_train, got {Fte.shape[1]}")
    check_scalar(C, "C", Real, min_val=0, include_min=False)
    mu, sd = Ftr.mean(0), Ftr.std(0)
    sd[sd < 1e-12] = 1.0
    clf = LogisticRegression(C=C, solver="lbfgs", max_iter=1000, tol=1e-6).fit((Ftr - mu) / sd, ytr)
    return float(np.mean(clf.predict((Fte - mu) / sd) == yte))
