"""与模型无关的学习方式：自训练、协同训练、CORAL 领域对齐、EWC（弹性权重巩固）与 MAML 的一步元更新。

- ``self_training``：用少量标注训练，再把高置信度的无标注样本连同伪标签加入训练集，反复进行；
- ``co_training``：两个特征视图各训一个分类器，互相为对方提供高置信度伪标签；
- ``coral``：把源域特征的协方差（与均值）对齐到目标域（CORAL，Sun et al. 2016）；
- ``EWC``：用对角 Fisher 信息加权的二次惩罚保护旧任务的重要参数（Kirkpatrick et al. 2017）；
- ``maml_step``：MAML 的一次元更新，内循环用 ``torch.func.functional_call`` 做可微的梯度步，
  ``first_order=True`` 时截断二阶项（FOMAML）。
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.base import clone

from lib.utils import check_array, check_scalar

__all__ = ["self_training", "co_training", "coral", "EWC", "maml_step"]


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


def self_training(estimator, X_l, y_l, X_u, *, threshold=0.9, max_iter=10):
    """自训练。每轮用当前训练集拟合 ``estimator`` 的副本，把预测概率最大值 ≥ ``threshold`` 的
    无标注样本（带伪标签）移入训练集；没有新样本或达到 ``max_iter`` 轮时停止。

    返回 ``(model, history)``：最后拟合的模型，以及每轮加入的伪标签样本数列表。
    """
    X_l, y_l, X_u = _check_labeled(X_l, y_l, X_u)
    check_scalar(threshold, "threshold", Real, min_val=0, max_val=1)
    check_scalar(max_iter, "max_iter", Integral, min_val=0)
    if not hasattr(estimator, "predict_proba"):
        raise TypeError("estimator must implement predict_proba")
    X, y, pool = X_l, y_l, X_u
    history = []
    model = clone(estimator).fit(X, y)
    for _ in range(max_iter):
        if pool.shape[0] == 0:
            break
        proba = model.predict_proba(pool)
        take = proba.max(axis=1) >= threshold
        if not take.any():
            break
        X = np.vstack([X, pool[take]])
        y = np.concatenate([y, model.classes_[proba[take].argmax(axis=1)]])
        pool = pool[~take]
        history.append(int(take.sum()))
        model = clone(estimator).fit(X, y)
    return model, history


def _top_per_class(proba, k):
    """每个预测类别里最自信的至多 k 个样本的下标（保持类别平衡，Blum & Mitchell 的做法）。"""
    pred, conf = proba.argmax(axis=1), proba.max(axis=1)
    out = []
    for c in range(proba.shape[1]):
        idx = np.flatnonzero(pred == c)
        out.extend(idx[np.argsort(-conf[idx], kind="stable")[:k]])
    return np.array(out, dtype=int)


def co_training(estimator, views_l, y_l, views_u, *, per_round=10, max_iter=20):
    """协同训练（Blum & Mitchell 1998）。``views_l`` / ``views_u`` 是两个视图的特征矩阵组成的二元组。

    每轮：两个视图各拟合一个 ``estimator`` 的副本；各自在每个预测类别里挑出最自信的 ``per_round`` 个无标注样本，
    用自己的预测作伪标签加入共同的训练集（两边都挑中时取视图一的标签）。返回 ``(model_1, model_2, history)``。
    """
    if len(views_l) != 2 or len(views_u) != 2:
        raise ValueError("views_l and views_u must each be a pair of feature matrices")
    A_l, y_l, A_u = _check_labeled(views_l[0], y_l, views_u[0])
    B_l, _, B_u = _check_labeled(views_l[1], y_l, views_u[1])
    if A_u.shape[0] != B_u.shape[0]:
        raise ValueError(f"the two unlabeled views must have the same rows, got {A_u.shape[0]} and {B_u.shape[0]}")
    check_scalar(per_round, "per_round", Integral, min_val=1)
    check_scalar(max_iter, "max_iter", Integral, min_val=0)
    y = y_l
    history = []
    m1, m2 = clone(estimator).fit(A_l, y), clone(estimator).fit(B_l, y)
    for _ in range(max_iter):
        if A_u.shape[0] == 0:
            break
        p1, p2 = m1.predict_proba(A_u), m2.predict_proba(B_u)
        i1, i2 = _top_per_class(p1, per_round), _top_per_class(p2, per_round)
        labels = {int(i): m2.classes_[p2[i].argmax()] for i in i2}
        labels.update({int(i): m1.classes_[p1[i].argmax()] for i in i1})
        idx = np.array(sorted(labels))
        A_l, B_l = np.vstack([A_l, A_u[idx]]), np.vstack([B_l, B_u[idx]])
        y = np.concatenate([y, [labels[i] for i in idx]])
        keep = np.setdiff1d(np.arange(A_u.shape[0]), idx)
        A_u, B_u = A_u[keep], B_u[keep]
        history.append(len(idx))
        m1, m2 = clone(estimator).fit(A_l, y), clone(estimator).fit(B_l, y)
    return m1, m2, history


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
    A = _sqrtm_psd(Cs, inverse=True) @ _sqrtm_psd(Ct)
    out = (Xs - ms) @ A
    return out + (mt if align_mean else ms)


class EWC:
    """弹性权重巩固。构造时在旧任务的数据上估计对角 Fisher 信息
    ``F_i = E_x E_{y~p(y|x)} (∂ log p(y|x)/∂θ_i)^2``（``empirical=True`` 时用真实标签 y），
    并记下旧参数 θ*；``penalty(model)`` 返回 ``(lam/2) Σ F_i (θ_i − θ*_i)^2``。

    ``model`` 是输出 logits 的分类网络，``X`` 为输入张量，``y`` 为标签（``empirical=True`` 时必需）。
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
            # batch_size=1 给出逐样本梯度平方的平均（标准的对角 Fisher）
            loss = -logp.gather(1, yb[:, None]).sum() / xb.shape[0]
            grads = torch.autograd.grad(loss, list(params.values()))
            for (name, _), g in zip(params.items(), grads):
                self.fisher[name] += g.detach() ** 2 * xb.shape[0]
        for name in self.fisher:
            self.fisher[name] /= n

    def penalty(self, model):
        total = 0.0
        for name, p in model.named_parameters():
            if name in self.fisher:
                total = total + (self.fisher[name] * (p - self.star[name]) ** 2).sum()
        return 0.5 * self.lam * total


def maml_step(model, tasks, loss_fn, *, inner_lr=0.01, inner_steps=1, first_order=False):
    """MAML 的元损失（Finn et al. 2017）。``tasks`` 是 ``(x_support, y_support, x_query, y_query)`` 的列表。

    对每个任务从当前参数 θ 出发做 ``inner_steps`` 步梯度下降 θ' = θ − α ∇L_support(θ)
    （``create_graph`` 保留二阶项；``first_order=True`` 时把内循环梯度当常数），再在 query 上求损失；
    返回各任务 query 损失的平均（可直接 ``backward()`` 后用外层优化器更新）。
    """
    import torch
    from torch.func import functional_call

    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if len(tasks) == 0:
        raise ValueError("tasks must not be empty")
    check_scalar(inner_lr, "inner_lr", Real, min_val=0)
    check_scalar(inner_steps, "inner_steps", Integral, min_val=0)
    params = dict(model.named_parameters())
    total = 0.0
    for task in tasks:
        if len(task) != 4:
            raise ValueError("each task must be (x_support, y_support, x_query, y_query)")
        xs, ys, xq, yq = task
        fast = params
        for _ in range(inner_steps):
            loss = loss_fn(functional_call(model, fast, (xs,)), ys)
            grads = torch.autograd.grad(loss, list(fast.values()), create_graph=not first_order)
            fast = {n: p - inner_lr * (g.detach() if first_order else g) for (n, p), g in zip(fast.items(), grads)}
        total = total + loss_fn(functional_call(model, fast, (xq,)), yq)
    return total / len(tasks)
