r"""训练循环（从“多层感知机与激活函数”一节起，后面各章共用）：小批量、可选的学习率调度、梯度截断、早停、tqdm 进度条。

:func:`fit` 做的事就是网络优化一章讲的一切的组合：每个 epoch 打乱训练集（``torch.Generator`` 固定种子，可复现），
对每个小批量

1. （若给了 ``schedule``）把学习率设为 ``schedule(t)``——调度对象来自 :mod:`lib.optim`，:math:`t` 是全局步数；
2. 前向、求损失、``backward()``；
3. （若给了 ``clip_norm``）按范数截断梯度；
4. ``optimizer.step()``。

每个 epoch 结束时在训练集与验证集上评估（``model.eval()``，不更新 BatchNorm 的统计量、不做 dropout），记进
:class:`History`。给了 :class:`EarlyStopping` 时，验证损失连续 ``patience`` 个 epoch 没有改进就停止，并恢复最好的权重。

进度条：``progress=None`` 时只在终端（stderr 是 tty）显示，notebook 里不输出任何东西（nbval 把 stderr 当作失败）。
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np
import torch
from torch import nn

from ..utils import check_scalar
from .clip import clip_grad_norm_
from .optim import get_lr, set_lr

__all__ = ["History", "EarlyStopping", "fit", "evaluate", "accuracy", "predict", "as_classifier"]


@dataclass
class History:
    """每个 epoch 一项：训练损失、训练正确率、验证损失、验证正确率（没有验证集时为空）、该 epoch 末的学习率。"""

    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    best_epoch: int | None = None
    stopped_epoch: int | None = None

    @property
    def epochs(self) -> int:
        return len(self.train_loss)

    def as_arrays(self) -> dict[str, np.ndarray]:
        return {k: np.array(v) for k, v in vars(self).items() if isinstance(v, list)}


class EarlyStopping:
    """早停：记住验证损失最小（至少改进 ``min_delta``）的那个 epoch 的权重；``patience`` 个 epoch 没有改进就停止。"""

    def __init__(self, patience: int = 10, min_delta: float = 0.0, restore_best: bool = True):
        self.patience = check_scalar(patience, "patience", Integral, min_val=1)
        self.min_delta = check_scalar(min_delta, "min_delta", Real, min_val=0)
        self.restore_best = check_scalar(restore_best, "restore_best", bool)
        self.reset()

    def reset(self) -> None:
        self.best_loss = float("inf")
        self.best_epoch: int | None = None
        self.best_state: dict | None = None
        self.wait = 0

    def step(self, epoch: int, val_loss: float, model: nn.Module) -> bool:
        """记录一个 epoch 的验证损失；返回 ``True`` 表示应当停止。"""
        if val_loss < self.best_loss - self.min_delta:
            self.best_loss, self.best_epoch, self.wait = val_loss, epoch, 0
            self.best_state = copy.deepcopy(model.state_dict())
            return False
        self.wait += 1
        return self.wait >= self.patience

    def restore(self, model: nn.Module) -> None:
        if self.restore_best and self.best_state is not None:
            model.load_state_dict(self.best_state)


def _check_data(X, y, name: str) -> tuple[torch.Tensor, torch.Tensor]:
    if not isinstance(X, torch.Tensor) or not isinstance(y, torch.Tensor):
        raise TypeError(f"{name} must be a pair of torch tensors (X, y), got {type(X).__name__}, {type(y).__name__}")
    if X.shape[0] != y.shape[0] or X.shape[0] == 0:
        raise ValueError(
            f"{name}: X and y must have the same, non-zero number of rows, got {X.shape[0]} and {y.shape[0]}"
        )
    return X, y


def accuracy(logits: torch.Tensor, y: torch.Tensor) -> float:
    """分类正确率：多类 logits 取 argmax；单列 logits 以 0 为阈值。``y`` 是类别（或软目标时取其 argmax）。"""
    if y.dim() == 2 and logits.dim() == 2 and y.shape == logits.shape and logits.shape[1] > 1:
        y = y.argmax(dim=1)
    if logits.dim() == 2 and logits.shape[1] > 1:
        pred = logits.argmax(dim=1)
    else:
        pred = (logits.reshape(-1) > 0).to(y.dtype)
        y = y.reshape(-1)
    return float((pred == y).float().mean())


@torch.no_grad()
def predict(model: nn.Module, X: torch.Tensor, batch_size: int = 4096) -> torch.Tensor:
    """评估模式下的输出（分批计算，不求梯度）；模型原来的 train/eval 状态会恢复。"""
    was_training = model.training
    model.eval()
    out = torch.cat([model(X[i : i + batch_size]) for i in range(0, X.shape[0], batch_size)])
    model.train(was_training)
    return out


def evaluate(model: nn.Module, loss_fn: Callable, X: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    """评估模式下的 (平均损失, 正确率)。"""
    X, y = _check_data(X, y, "data")
    out = predict(model, X)
    return float(loss_fn(out, y)), accuracy(out, y)


def fit(
    model: nn.Module,
    loss_fn: Callable,
    optimizer: torch.optim.Optimizer,
    X: torch.Tensor,
    y: torch.Tensor,
    *,
    epochs: int,
    batch_size: int = 32,
    val: tuple[torch.Tensor, torch.Tensor] | None = None,
    schedule: Callable[[int], float] | None = None,
    clip_norm: float | None = None,
    early_stopping: EarlyStopping | None = None,
    seed: int = 0,
    progress: bool | None = None,
    callback: Callable[[int, nn.Module, History], None] | None = None,
) -> History:
    """用小批量训练 ``model``（就地更新），返回 :class:`History`。``X``、``y`` 是放在同一设备上的整个训练集。

    ``loss_fn(output, y_batch)`` 返回批量平均损失；``schedule(t)`` 给出第 ``t`` 步（从 0 起）的学习率；
    ``callback(epoch, model, history)`` 在每个 epoch 的评估之后调用。
    """
    X, y = _check_data(X, y, "training data")
    if val is not None:
        val = _check_data(*val, "val")
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")
    epochs = check_scalar(epochs, "epochs", Integral, min_val=1)
    batch_size = check_scalar(batch_size, "batch_size", Integral, min_val=1)
    seed = check_scalar(seed, "seed", Integral, min_val=0)
    if clip_norm is not None:
        clip_norm = check_scalar(clip_norm, "clip_norm", Real, min_val=0, include_min=False)
    if schedule is not None and not callable(schedule):
        raise TypeError(f"schedule must be callable (e.g. a lib.optim schedule), got {type(schedule).__name__}")
    if early_stopping is not None:
        if val is None:
            raise ValueError("early_stopping needs validation data: pass val=(X_val, y_val)")
        early_stopping.reset()
    if progress is None:
        progress = sys.stderr.isatty()

    generator = torch.Generator(device="cpu").manual_seed(seed)
    history = History()
    n, t = X.shape[0], 0
    epoch_iter = range(epochs)
    if progress:
        from tqdm.auto import tqdm

        epoch_iter = tqdm(epoch_iter, desc="epochs", leave=False)
    for epoch in epoch_iter:
        model.train()
        order = torch.randperm(n, generator=generator).to(X.device)
        for start in range(0, n, batch_size):
            idx = order[start : start + batch_size]
            if schedule is not None:
                set_lr(optimizer, schedule(t))
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(X[idx]), y[idx])
            loss.backward()
            if clip_norm is not None:
                clip_grad_norm_(model.parameters(), clip_norm)
            optimizer.step()
            t += 1
        train_loss, train_acc = evaluate(model, loss_fn, X, y)
        history.train_loss.append(train_loss)
        history.train_acc.append(train_acc)
        history.lr.append(get_lr(optimizer))
        if val is not None:
            val_loss, val_acc = evaluate(model, loss_fn, *val)
            history.val_loss.append(val_loss)
            history.val_acc.append(val_acc)
        if progress:
            epoch_iter.set_postfix(loss=f"{train_loss:.4f}")
        if callback is not None:
            callback(epoch, model, history)
        if early_stopping is not None and early_stopping.step(epoch, history.val_loss[-1], model):
            history.stopped_epoch = epoch
            break
    if early_stopping is not None:
        history.best_epoch = early_stopping.best_epoch
        early_stopping.restore(model)
    model.eval()
    return history


class _TorchClassifier:
    """把输出 logits 的 torch 模型包成有 ``predict(X_numpy)`` 的分类器（给 :func:`lib.plot.decision_regions` 用）。"""

    def __init__(self, model: nn.Module, n_classes: int):
        self.model = model
        self.classes_ = np.arange(n_classes)

    def predict(self, X) -> np.ndarray:
        param = next(self.model.parameters())
        out = predict(self.model, torch.as_tensor(np.asarray(X), dtype=param.dtype, device=param.device))
        if out.dim() == 2 and out.shape[1] > 1:
            return out.argmax(dim=1).cpu().numpy()
        return (out.reshape(-1) > 0).long().cpu().numpy()


def as_classifier(model: nn.Module, n_classes: int = 2):
    """``lib.plot.decision_regions(ax, lib.nn.as_classifier(net), X, y)`` 画 torch 网络的决策区域。"""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    n_classes = check_scalar(n_classes, "n_classes", Integral, min_val=2)
    return _TorchClassifier(model, n_classes)
