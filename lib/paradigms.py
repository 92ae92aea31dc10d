"""与模型无关的学习方式：自训练、协同训练、多任务学习、CORAL 领域对齐、EWC（弹性权重巩固）与 MAML。

- ``self_training``：用少量标注训练，再把高置信度的无标注样本连同伪标签加入训练集，反复进行；
- ``co_training``：两个特征视图各训一个分类器，互相为对方提供高置信度伪标签；
- ``low_rank_multitask``：线性任务 y_m ≈ X_m B a_m 共享一个 k 维子空间 B，交替最小二乘求解（线性的硬共享）；
- ``MultiTaskMLP`` / ``fit_multitask``：M 个回归任务的多层感知机，主干硬共享（``sharing="hard"``）或各自一份
  （``sharing="none"``，即单任务网络；加 ``soft > 0`` 的主干差异惩罚就是软共享），
  联合目标 Σ_m η_m L_m + soft·Σ_m ‖θ_m − θ̄‖²；
- ``coral``：把源域特征的协方差（与均值）对齐到目标域（CORAL，Sun et al. 2016）；
- ``grad_reverse``：梯度反转层（DANN，Ganin et al. 2016）：前向恒等，反向把梯度乘以 −λ；
- ``EWC``：用对角 Fisher 信息加权的二次惩罚保护旧任务的重要参数（Kirkpatrick et al. 2017）；
- ``maml_adapt`` / ``maml_step``：MAML 的内循环（θ' = θ − α∇L_support(θ)，用 ``torch.func.functional_call``
  做可微的梯度步）与元损失；``first_order=True`` 时截断二阶项（FOMAML）。
"""

from __future__ import annotations

import functools
from numbers import Integral, Real

import numpy as np
from sklearn.base import clone

from lib.utils import check_array, check_int_sequence, check_module_input, check_option, check_scalar, check_size

__all__ = [
    "self_training",
    "co_training",
    "low_rank_multitask",
    "MultiTaskMLP",  # noqa: F822 (created on first access, see __getattr__)
    "fit_multitask",
    "coral",
    "EWC",
    "grad_reverse",
    "maml_forward",
    "maml_adapt",
    "maml_step",
]


def _check_labeled(X_l, y_l, X_u):
    X_l = check_array(X_l, "X_l", ndim=2)
    y_l = check_array(y_l, "y_l", ndim=1, dtype=None)
    X_u = check_array(X_u, "X_u", ndim=2, allow_empty=True)
    if X_l.shape[0] != y_l.shape[0]:
        raise ValueError(f"X_l and y_l must have the same number of rows, got {X_l.shape[0]} and {y_l.shape[0]}")
    if X_u.shape[0] and X_u.shape[1] != X_l.shape[1]:
        raise ValueError(f"X_u must have {X_l.shape[1]} columns like X_l, got {X_u.shape[1]}")
    if np.unique(y_l).size < 2:
        raise ValueError("y_l must contain at least two classes")
    return X_l, y_l, X_u


def self_training(estimator, X_l, y_l, X_u, *, threshold=0.9, max_iter=10, return_pseudo=False):
    """自训练。每轮用当前训练集拟合 ``estimator`` 的副本，把预测概率最大值 ≥ ``threshold`` 的
    无标注样本（带伪标签）移入训练集；没有新样本或达到 ``max_iter`` 轮时停止。
    （``sklearn.semi_supervised.SelfTrainingClassifier`` 的同一算法，它的判据是严格的 ``>``。）

    返回 ``(model, history)``：最后拟合的模型，以及每轮加入的伪标签样本数列表。
    ``return_pseudo=True`` 时再返回 ``(idx, labels)``：被加入训练集的无标注样本在 ``X_u`` 中的下标（按加入的先后）
    与它们的伪标签，可用来评估伪标签的质量。
    """
    X_l, y_l, X_u = _check_labeled(X_l, y_l, X_u)
    check_scalar(threshold, "threshold", Real, min_val=0, max_val=1)
    check_scalar(max_iter, "max_iter", Integral, min_val=0)
    check_scalar(return_pseudo, "return_pseudo", bool)
    if not hasattr(estimator, "predict_proba"):
        raise TypeError("estimator must implement predict_proba")
    X, y, pool = X_l, y_l, np.arange(X_u.shape[0])  # pool：尚未加入的无标注样本的下标
    history, added = [], []
    model = clone(estimator).fit(X, y)
    for _ in range(max_iter):
        if pool.size == 0:
            break
        proba = model.predict_proba(X_u[pool])
        take = proba.max(axis=1) >= threshold  # 置信度不低于阈值的样本
        if not take.any():
            break
        X = np.vstack([X, X_u[pool[take]]])
        y = np.concatenate([y, model.classes_[proba[take].argmax(axis=1)]])  # 伪标签 = argmax_c p(c|x)
        added.append(pool[take])
        pool = pool[~take]
        history.append(int(take.sum()))
        model = clone(estimator).fit(X, y)
    if not return_pseudo:
        return model, history
    return model, history, (np.concatenate([np.zeros(0, dtype=int), *added]), y[len(y_l) :])


def _top_per_class(proba, k):
    """每个预测类别里最自信的至多 k 个样本的下标（保持类别平衡，Blum & Mitchell 的做法）。"""
    pred, conf = proba.argmax(axis=1), proba.max(axis=1)
    out = []
    for c in range(proba.shape[1]):
        idx = np.flatnonzero(pred == c)
        out.extend(idx[np.argsort(-conf[idx], kind="stable")[:k]])
    return np.array(out, dtype=int)


def co_training(estimator, views_l, y_l, views_u, *, per_round=10, max_iter=20, return_pseudo=False):
    """协同训练（Blum & Mitchell 1998）。``views_l`` / ``views_u`` 是两个视图的特征矩阵组成的二元组。

    每轮：两个视图各拟合一个 ``estimator`` 的副本；各自在每个预测类别里挑出最自信的 ``per_round`` 个无标注样本，
    用自己的预测作伪标签加入共同的训练集（两边都挑中时取视图一的标签）。返回 ``(model_1, model_2, history)``；
    ``return_pseudo=True`` 时再返回 ``(idx, labels)``：加入训练集的无标注样本的下标（按加入的先后）与伪标签。
    """
    if len(views_l) != 2 or len(views_u) != 2:
        raise ValueError("views_l and views_u must each be a pair of feature matrices")
    A_l, y_l, A_u = _check_labeled(views_l[0], y_l, views_u[0])
    B_l, _, B_u = _check_labeled(views_l[1], y_l, views_u[1])
    if A_u.shape[0] != B_u.shape[0]:
        raise ValueError(f"the two unlabeled views must have the same rows, got {A_u.shape[0]} and {B_u.shape[0]}")
    check_scalar(per_round, "per_round", Integral, min_val=1)
    check_scalar(max_iter, "max_iter", Integral, min_val=0)
    check_scalar(return_pseudo, "return_pseudo", bool)
    y = y_l
    history, added = [], []
    pool = np.arange(A_u.shape[0])  # 尚未加入的无标注样本的下标
    m1, m2 = clone(estimator).fit(A_l, y), clone(estimator).fit(B_l, y)
    for _ in range(max_iter):
        if pool.size == 0:
            break
        p1, p2 = m1.predict_proba(A_u[pool]), m2.predict_proba(B_u[pool])
        i1, i2 = _top_per_class(p1, per_round), _top_per_class(p2, per_round)
        labels = {int(i): m2.classes_[p2[i].argmax()] for i in i2}
        labels.update({int(i): m1.classes_[p1[i].argmax()] for i in i1})  # 两边都挑中时取视图一的标签
        idx = np.array(sorted(labels))
        A_l, B_l = np.vstack([A_l, A_u[pool[idx]]]), np.vstack([B_l, B_u[pool[idx]]])
        y = np.concatenate([y, [labels[i] for i in idx]])
        added.append(pool[idx])
        pool = np.delete(pool, idx)
        history.append(len(idx))
        m1, m2 = clone(estimator).fit(A_l, y), clone(estimator).fit(B_l, y)
    if not return_pseudo:
        return m1, m2, history
    return m1, m2, history, (np.concatenate([np.zeros(0, dtype=int), *added]), y[len(y_l) :])


def low_rank_multitask(Xs, ys, rank, *, weights=None, n_iter=100, random_state=0):
    """共享子空间的多任务线性回归：最小化 Σ_m η_m ‖y_m − X_m B a_m‖²。

    B 是 d×k（所有任务共用），a_m 是 k 维（各任务私有），η_m 为任务权重 ``weights``（默认全为 1）。

    交替最小二乘：固定 B 时每个 a_m 是 k 维的普通最小二乘；固定所有 a_m 时
    X_m B a_m = (a_mᵀ ⊗ X_m) vec(B) 对 vec(B) 是线性的，合起来解一次最小二乘。
    返回 ``(B, A)``：B 的列已正交化（张成同一子空间），A 的第 m 行是 a_m。
    """
    if not isinstance(Xs, (list, tuple)) or not isinstance(ys, (list, tuple)) or len(Xs) != len(ys) or not Xs:
        raise ValueError("Xs and ys must be non-empty lists with one entry per task")
    Xs = [check_array(X, f"Xs[{m}]", ndim=2) for m, X in enumerate(Xs)]
    ys = [check_array(y, f"ys[{m}]", ndim=1) for m, y in enumerate(ys)]
    d = Xs[0].shape[1]
    for m, (X, y) in enumerate(zip(Xs, ys)):
        if X.shape[1] != d:
            raise ValueError(f"Xs[{m}] must have {d} columns like Xs[0], got {X.shape[1]}")
        if X.shape[0] != y.shape[0]:
            raise ValueError(
                f"Xs[{m}] and ys[{m}] must have the same number of rows, got {X.shape[0]} and {y.shape[0]}"
            )
    check_scalar(rank, "rank", Integral, min_val=1, max_val=d)
    check_scalar(n_iter, "n_iter", Integral, min_val=1)
    eta = np.ones(len(Xs)) if weights is None else check_array(weights, "weights", ndim=1)
    if eta.shape != (len(Xs),) or (eta < 0).any():
        raise ValueError(f"weights must be {len(Xs)} non-negative numbers, got {weights!r}")
    root = np.sqrt(eta)
    rng = np.random.default_rng(random_state)
    B = np.linalg.qr(rng.normal(size=(d, rank)))[0]
    for _ in range(n_iter):
        A = np.stack([np.linalg.lstsq(X @ B, y, rcond=None)[0] for X, y in zip(Xs, ys)])
        # vec(B) 按列展开：X B a = (aᵀ ⊗ X) vec(B)；权重 η_m 即把任务 m 的方程乘以 √η_m
        K = np.vstack([r * np.kron(a[None, :], X) for r, a, X in zip(root, A, Xs)])
        B = np.linalg.lstsq(K, np.concatenate([r * y for r, y in zip(root, ys)]), rcond=None)[0].reshape(rank, d).T
        B = np.linalg.qr(B)[0]
    A = np.stack([np.linalg.lstsq(X @ B, y, rcond=None)[0] for X, y in zip(Xs, ys)])
    return B, A


@functools.cache
def _torch_mtl():
    import torch

    class MultiTaskMLP(torch.nn.Module):
        """M 个任务的多层感知机，所有任务的数据一次前向：输入 ``(M, n, in_features)``，输出 ``(M, n, out_features)``。

        主干是 ``hidden`` 给出的全连接层（激活 ``activation``），每个任务一个线性输出头。
        ``sharing="hard"``：主干只有一份，所有任务共用；``sharing="none"``：每个任务一份主干，等价于 M 个独立的网络，
        ``trunk_penalty()`` 给出软共享的惩罚 Σ_m ‖θ_m − θ̄‖²（θ̄ 为各任务主干参数的平均）。
        每层参数按 ``torch.nn.Linear`` 的默认分布 U(−1/√fan_in, 1/√fan_in) 初始化；``sharing="none"`` 时
        各任务的主干取同一个初值（与硬共享的初值相同），所以三种共享方式只差在训练目标上。
        """

        def __init__(
            self,
            n_tasks,
            in_features,
            hidden=(40, 40),
            out_features=1,
            *,
            sharing="hard",
            activation="tanh",
            generator=None,
        ):
            super().__init__()
            check_size(n_tasks, "n_tasks", max_val=2**16)
            check_size(in_features, "in_features", max_val=2**16)
            check_size(out_features, "out_features", max_val=2**16)
            hidden = list(check_int_sequence(hidden, "hidden", max_val=2**16))
            check_option(sharing, "sharing", ("hard", "none"))
            check_option(activation, "activation", ("tanh", "relu"))
            self.n_tasks, self.in_features, self.out_features = n_tasks, in_features, out_features
            self.sharing, self.activation = sharing, activation
            copies = 1 if sharing == "hard" else n_tasks

            def uniform(shape, fan_in, copies=None):
                u = torch.rand(shape, generator=generator, dtype=torch.get_default_dtype())
                u = (2 * u - 1) / fan_in**0.5
                # 各任务的主干从同一个初值出发（对单任务网络无害，软共享的惩罚才有意义）
                return torch.nn.Parameter(u if copies is None else u.expand(copies, *shape[1:]).clone())

            sizes = [in_features, *hidden]
            pairs = list(zip(sizes[:-1], sizes[1:]))
            self.weights = torch.nn.ParameterList([uniform((1, a, b), a, copies) for a, b in pairs])
            self.biases = torch.nn.ParameterList([uniform((1, 1, b), a, copies) for a, b in pairs])
            self.head_weight = uniform((n_tasks, hidden[-1], out_features), hidden[-1])
            self.head_bias = uniform((n_tasks, 1, out_features), hidden[-1])

        def features(self, x):
            """主干的输出 ``(M, n, hidden[-1])``。"""
            if not torch.is_tensor(x) or x.ndim != 3 or x.shape[0] != self.n_tasks or x.shape[2] != self.in_features:
                shape = tuple(x.shape) if torch.is_tensor(x) else type(x).__name__
                raise ValueError(f"x must be a tensor of shape ({self.n_tasks}, n, {self.in_features}), got {shape}")
            check_module_input(x, self)
            act = torch.tanh if self.activation == "tanh" else torch.relu
            h = x
            for W, b in zip(self.weights, self.biases):
                h = act(h @ W + b)  # hard 时 W 的第 0 维为 1，广播到所有任务
            return h

        def forward(self, x):
            return self.features(x) @ self.head_weight + self.head_bias

        def trunk_penalty(self):
            """软共享惩罚 Σ_m ‖θ_m − θ̄‖²（对主干的所有权重与偏置求和）；硬共享时恒为 0。"""
            total = self.head_weight.new_zeros(())
            for p in [*self.weights, *self.biases]:
                total = total + ((p - p.mean(0, keepdim=True)) ** 2).sum()
            return total

    return MultiTaskMLP


def __getattr__(name):
    # MultiTaskMLP 继承 torch.nn.Module；延迟导入 torch，使只用 NumPy 部分的代码不必加载 torch
    if name == "MultiTaskMLP":
        return _torch_mtl()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def fit_multitask(model, X, Y, *, weights=None, soft=0.0, steps=500, lr=0.01):
    """用 Adam 全批量最小化联合目标 Σ_m η_m · mean_n (f_m(x) − y)² + soft · Σ_m ‖θ_m − θ̄‖²。

    ``X``：``(M, n, in_features)``，``Y``：``(M, n, out_features)``；``weights`` 为各任务的权重 η_m（默认全为 1）。
    返回每一步的联合目标值（列表）。
    """
    import torch

    if not isinstance(model, _torch_mtl()):
        raise TypeError(f"model must be a MultiTaskMLP, got {type(model).__name__}")
    out = model(X)
    if not torch.is_tensor(Y) or Y.shape != out.shape:
        shape = tuple(Y.shape) if torch.is_tensor(Y) else type(Y).__name__
        raise ValueError(f"Y must be a tensor of shape {tuple(out.shape)}, got {shape}")
    if weights is None:
        eta = torch.ones(model.n_tasks, dtype=X.dtype, device=X.device)
    else:
        eta = torch.as_tensor(check_array(weights, "weights", ndim=1), dtype=X.dtype, device=X.device)
        if eta.shape != (model.n_tasks,) or (eta < 0).any():
            raise ValueError(f"weights must be {model.n_tasks} non-negative numbers, got {weights!r}")
    check_scalar(soft, "soft", Real, min_val=0)
    check_scalar(steps, "steps", Integral, min_val=1)
    check_scalar(lr, "lr", Real, min_val=0, include_min=False)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    history = []
    for _ in range(steps):
        per_task = ((model(X) - Y) ** 2).mean(dim=(1, 2))
        loss = (eta * per_task).sum()
        if soft > 0:
            loss = loss + soft * model.trunk_penalty()
        opt.zero_grad()
        loss.backward()
        opt.step()
        history.append(float(loss.detach()))
    return history


def _sqrtm_psd(C, inverse=False):
    w, V = np.linalg.eigh(C)
    w = np.clip(w, 0, None)
    d = 1 / np.sqrt(w) if inverse else np.sqrt(w)
    return (V * d) @ V.T


def coral(Xs, Xt, *, eps=1.0, align_mean=True):
    """CORAL：``Xs (C_s + eps I)^{-1/2} (C_t + eps I)^{1/2}``，使源域特征的协方差变成目标域的
    （加 ``eps`` 的正则）；``align_mean=True`` 时同时把均值移到目标域均值。返回变换后的源域特征。"""
    Xs = check_array(Xs, "Xs", ndim=2)
    Xt = check_array(Xt, "Xt", ndim=2)
    if Xs.shape[1] != Xt.shape[1]:
        raise ValueError(f"Xs and Xt must have the same number of columns, got {Xs.shape[1]} and {Xt.shape[1]}")
    if Xs.shape[0] < 2 or Xt.shape[0] < 2:
        raise ValueError("Xs and Xt need at least two rows each to estimate a covariance")
    check_scalar(eps, "eps", Real, min_val=0)
    d = Xs.shape[1]
    ms, mt = Xs.mean(0), Xt.mean(0)
    Cs = np.cov(Xs, rowvar=False) + eps * np.eye(d)
    Ct = np.cov(Xt, rowvar=False) + eps * np.eye(d)
    if np.linalg.eigvalsh(Cs)[0] <= 1e-12 * max(1.0, np.abs(Cs).max()):
        raise ValueError("the source covariance (plus eps I) is singular: C_s^{-1/2} does not exist; use eps > 0")
    A = _sqrtm_psd(Cs, inverse=True) @ _sqrtm_psd(Ct)  # A = C_s^{-1/2} C_t^{1/2}：先白化，再染上目标域的协方差
    out = (Xs - ms) @ A
    return out + (mt if align_mean else ms)


class EWC:
    """弹性权重巩固。构造时在旧任务的数据上估计对角 Fisher 信息
    ``F_i = E_x E_{y~p(y|x)} (∂ log p(y|x)/∂θ_i)^2``（``empirical=True`` 时用真实标签 y），
    并记下旧参数 θ*；``penalty(model)`` 返回 ``(lam/2) Σ F_i (θ_i − θ*_i)^2``。

    ``model`` 是输出 logits 的分类网络，``X`` 为输入张量，``y`` 为标签（``empirical=True`` 时必需）。
    ``batch_size=1``（默认）逐样本求梯度的平方再平均，即上面的 F 的蒙特卡罗估计（y 按模型自己的分布抽取，
    生成器种子固定为 0）。``batch_size=b > 1`` 时改用（小批量梯度之和）²：抽样的 y 使得分函数的期望为零，
    交叉项的期望消失，所以仍是 F 的无偏估计（更快、方差更大）；
    ``empirical=True`` 时交叉项不消失，所以只接受 ``batch_size=1``。
    """

    def __init__(self, model, X, y=None, *, lam=1.0, empirical=False, batch_size=1):
        import torch

        if not isinstance(model, torch.nn.Module):
            raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        if not torch.is_tensor(X) or X.ndim < 2 or X.shape[0] == 0:
            raise ValueError("X must be a non-empty tensor with a batch dimension")
        if empirical and (y is None or not torch.is_tensor(y) or y.shape != (X.shape[0],)):
            raise ValueError("empirical=True needs y, a label tensor of shape (len(X),)")
        check_scalar(lam, "lam", Real, min_val=0)
        check_scalar(batch_size, "batch_size", Integral, min_val=1)
        if empirical and batch_size > 1:
            # with the true labels the score's mean is not zero: (sum of gradients)^2 keeps cross terms, biased
            raise ValueError("empirical=True needs batch_size=1 (squared batch gradients would be biased)")
        self.lam = float(lam)
        params = {n: p for n, p in model.named_parameters() if p.requires_grad}
        self.star = {n: p.detach().clone() for n, p in params.items()}
        self.fisher = {n: torch.zeros_like(p) for n, p in params.items()}
        gen = torch.Generator(device="cpu").manual_seed(0)
        n = X.shape[0]
        for s in range(0, n, batch_size):
            xb = X[s : s + batch_size]
            logp = torch.log_softmax(model(xb), dim=1)
            if empirical:
                yb = y[s : s + batch_size]
            else:
                yb = torch.multinomial(logp.detach().exp().cpu(), 1, generator=gen).squeeze(1).to(logp.device)
            # g = Σ_{i∈batch} ∂log p(y_i|x_i)/∂θ；batch_size=1 时 g² 就是逐样本的梯度平方，
            # 否则 g² = Σ g_i² + 交叉项，交叉项在 y 按模型抽样时期望为零
            loss = -logp.gather(1, yb[:, None]).sum()
            grads = torch.autograd.grad(loss, list(params.values()))
            for (name, _), g in zip(params.items(), grads):
                self.fisher[name] += g.detach() ** 2
        for name in self.fisher:
            self.fisher[name] /= n

    def penalty(self, model):
        total = 0.0
        for name, p in model.named_parameters():
            if name in self.fisher:
                total = total + (self.fisher[name] * (p - self.star[name]) ** 2).sum()
        return 0.5 * self.lam * total


@functools.cache
def _grad_reverse_fn():
    import torch

    class _GradReverse(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, lambd):
            ctx.lambd = lambd
            return x.view_as(x)  # 前向：恒等

        @staticmethod
        def backward(ctx, grad):
            return -ctx.lambd * grad, None  # 反向：梯度乘以 −λ

    return _GradReverse


def grad_reverse(x, lambd=1.0):
    """梯度反转层：前向返回 ``x``，反向把传回的梯度乘以 ``-lambd``。

    放在特征提取器 g 与领域判别器 c 之间，一次反传就同时得到判别器对 L_c 的梯度（最小化 L_c）
    与特征提取器对 −λ L_c 的梯度（最大化 L_c）。"""
    import torch

    if not torch.is_tensor(x):
        raise TypeError(f"x must be a tensor, got {type(x).__name__}")
    check_scalar(lambd, "lambd", Real, min_val=0)
    return _grad_reverse_fn().apply(x, float(lambd))


def _maml_call(model, params, x, batched):
    from torch.func import functional_call, vmap

    if batched:  # 参数与数据都带任务维：逐任务前向，vmap 把它们并成一次批量计算
        return vmap(lambda p, xx: functional_call(model, p, (xx,)))(params, x)
    return functional_call(model, params, (x,))


def maml_forward(model, params, x, *, batched=False):
    """用参数字典 ``params`` 计算 ``model(x)``；``batched=True`` 时 ``params`` 的每个张量与 ``x`` 都多一个前导的任务维，
    各任务用各自的参数（``maml_adapt(..., batched=True)`` 的输出）。"""
    return _maml_call(model, params, x, batched)


def maml_adapt(
    model, x, y, loss_fn, *, inner_lr=0.01, steps=1, first_order=False, params=None, trajectory=False, batched=False
):
    """MAML 的内循环：从参数 ``params``（默认 ``model`` 自己的参数）出发，在 ``(x, y)`` 上做 ``steps`` 步梯度下降
    θ ← θ − α ∇_θ loss_fn(f_θ(x), y)，α = ``inner_lr``。

    ``first_order=False`` 时用 ``create_graph=True`` 求内层梯度，返回的参数对初值 θ 可微（含二阶项）；
    ``first_order=True`` 时把内层梯度当常数。返回适应后的参数字典（名字同 ``model.named_parameters()``）；
    ``trajectory=True`` 时返回从初值起每一步的参数字典组成的列表（长度 ``steps + 1``）。

    ``batched=True``：``x``、``y`` 带前导的任务维 T，所有任务一起适应。初值 θ 被扩展成 T 份（``expand``），
    对 Σ_t L_t 求关于第 t 份的梯度恰好是 ∇L_t，所以每个任务各走各的梯度步，而二阶项仍能传回同一个 θ。
    """
    import torch
    from torch.func import vmap

    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    check_scalar(inner_lr, "inner_lr", Real, min_val=0)
    check_scalar(steps, "steps", Integral, min_val=0)
    if batched and (not torch.is_tensor(x) or not torch.is_tensor(y) or x.ndim < 2 or x.shape[0] != y.shape[0]):
        raise ValueError("batched=True needs tensors x and y with the same leading task dimension")
    fast = dict(model.named_parameters()) if params is None else dict(params)
    if batched and params is None:
        fast = {n: p.expand(x.shape[0], *p.shape) for n, p in fast.items()}
    path = [fast]
    for _ in range(steps):
        out = _maml_call(model, fast, x, batched)
        loss = vmap(loss_fn)(out, y).sum() if batched else loss_fn(out, y)
        grads = torch.autograd.grad(loss, list(fast.values()), create_graph=not first_order)
        fast = {n: p - inner_lr * (g.detach() if first_order else g) for (n, p), g in zip(fast.items(), grads)}
        path.append(fast)
    return path if trajectory else fast


def maml_step(model, tasks, loss_fn, *, inner_lr=0.01, inner_steps=1, first_order=False, vectorize=True):
    """MAML 的元损失（Finn et al. 2017）。``tasks`` 是 ``(x_support, y_support, x_query, y_query)`` 的列表。

    对每个任务用 ``maml_adapt`` 从当前参数 θ 出发在 support 上做 ``inner_steps`` 步梯度下降
    θ' = θ − α ∇L_support(θ)（``create_graph`` 保留二阶项；``first_order=True`` 时把内循环梯度当常数），
    再在 query 上求损失；返回各任务 query 损失的平均（可直接 ``backward()`` 后用外层优化器更新）。
    各任务的张量形状相同且 ``vectorize=True`` 时，所有任务堆成一批一起计算（``batched=True``），结果与逐个任务相同。
    """
    import torch
    from torch.func import vmap

    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if len(tasks) == 0:
        raise ValueError("tasks must not be empty")
    check_scalar(inner_lr, "inner_lr", Real, min_val=0)
    check_scalar(inner_steps, "inner_steps", Integral, min_val=0)
    for task in tasks:
        if len(task) != 4 or not all(torch.is_tensor(t) for t in task):
            raise ValueError("each task must be (x_support, y_support, x_query, y_query), four tensors")
    kw = dict(inner_lr=inner_lr, steps=inner_steps, first_order=first_order)
    if vectorize and all(tuple(t.shape for t in task) == tuple(t.shape for t in tasks[0]) for task in tasks):
        xs, ys, xq, yq = (torch.stack(col) for col in zip(*tasks))
        fast = maml_adapt(model, xs, ys, loss_fn, batched=True, **kw)
        return vmap(loss_fn)(_maml_call(model, fast, xq, True), yq).mean()
    total = 0.0
    for xs, ys, xq, yq in tasks:
        fast = maml_adapt(model, xs, ys, loss_fn, **kw)
        total = total + loss_fn(_maml_call(model, fast, xq, False), yq)
    return total / len(tasks)
