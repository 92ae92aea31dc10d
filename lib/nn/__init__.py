r"""神经网络的积木（感知机与前馈网络、反向传播与自动微分、网络优化、正则化四章），也是后面各章（循环网络、注意力、表示学习、生成模型、学习范式……）共用的部分。

一个模块一件事，都可以从上到下读完：

每个模块后面的方括号是它对应的一节（标题，不写编号）：

* ``activations``：激活函数（NumPy 版带导数；``activation_module(name)`` 构造 torch 层）
  [多层感知机与激活函数]
* ``perceptron``：逻辑门真值表、感知机（= scikit-learn ``Perceptron``）、最大间隔、线性可分判定
  [神经元与感知机；线性可分性与 XOR]
* ``approximation``：万能逼近的构造：ReLU 折线插值、sigmoid 台阶 [万能逼近]
* ``backprop``：NumPy 多层感知机的矩阵形式前向/反向传播 [矩阵形式的反向传播]
* ``mlp``：``MLP``：torch 多层感知机（可选 BatchNorm/LayerNorm、dropout、初始化方案）
  [多层感知机与激活函数，及其后各章]
* ``train``：``fit``：小批量训练循环（学习率调度、梯度截断、早停、tqdm 进度条）；``evaluate``
  [多层感知机与激活函数，及其后各章]
* ``optim``：``SGD``（动量、Nesterov）、``Adagrad``、``RMSprop``、``Adadelta``、``Adam``、``AdamW``
  [学习率与学习率调度；动量、Nesterov、AdaGrad、RMSprop、Adam]
* ``clip``：``clip_grad_norm_``、``clip_grad_value_``（= ``torch.nn.utils``） [梯度截断]
* ``init``：Xavier/He 初始化（= ``torch.nn.init``） [参数初始化]
* ``norm``：``BatchNorm1d``、``LayerNorm``（= ``torch.nn``，``state_dict`` 兼容）；手推的 BN 反向
  [数据预处理与逐层归一化]
* ``search``：网格搜索、随机搜索、高斯过程贝叶斯优化 [超参数优化]
* ``regularization``：``Dropout``（= ``torch.nn.Dropout``）、标签平滑、数字图像的数据增强
  [Dropout 与集成；数据增强与标签平滑]

自动微分的教学实现在 :mod:`lib.autograd`（“动手实现自动微分”一节），学习率调度在 :mod:`lib.optim`
（线性回归一章与“学习率与学习率调度”一节；
``fit(schedule=lib.optim.CosineDecay(...))`` 直接使用它们，这里没有第二份）。

常用对象都可以从 ``lib.nn`` 直接取到::

    import torch, lib
    net = lib.nn.MLP([64, 64, 10], activation="relu", norm="batch", init="kaiming_normal")
    opt = lib.nn.AdamW(net.parameters(), lr=1e-3)
    history = lib.nn.fit(net, torch.nn.CrossEntropyLoss(), opt, X, y, epochs=20, batch_size=64,
                         val=(X_val, y_val), schedule=lib.optim.CosineDecay(1e-3, total_steps=600),
                         early_stopping=lib.nn.EarlyStopping(patience=5))

与 torch 同名的对象（优化器、归一化层、初始化函数、dropout、梯度截断）参数与默认值都与 torch 相同，
并在 ``tests/test_nn_*.py`` 中与 torch 逐一比较；坏输入（形状不对、负的学习率、未知的激活函数名……）
抛出写明参数名的 ``ValueError``/``TypeError``。
"""

from . import (
    activations,
    approximation,
    backprop,
    clip,
    init,
    mlp,
    norm,
    optim,
    perceptron,
    regularization,
    search,
    train,
)
from .activations import ACTIVATIONS, activation_module, get_activation
from .approximation import ShallowNet, relu_interpolant, sigmoid_staircase
from .clip import clip_grad_norm_, clip_grad_value_
from .mlp import MLP, count_parameters
from .norm import BatchNorm1d, LayerNorm, batch_norm_backward
from .optim import SGD, Adadelta, Adagrad, Adam, AdamW, RMSprop, get_lr, set_lr
from .perceptron import Perceptron, is_linearly_separable, logic_gate, max_margin
from .regularization import Dropout, augment_digits, dropout, smooth_labels
from .train import EarlyStopping, History, accuracy, as_classifier, evaluate, fit, predict

__all__ = [
    # modules
    "activations", "approximation", "backprop", "clip", "init", "mlp", "norm", "optim", "perceptron",
    "regularization", "search", "train",
    # 11
    "ACTIVATIONS", "get_activation", "activation_module", "Perceptron", "logic_gate", "max_margin",
    "is_linearly_separable", "ShallowNet", "relu_interpolant", "sigmoid_staircase", "MLP", "count_parameters",
    # training
    "fit", "evaluate", "predict", "accuracy", "as_classifier", "History", "EarlyStopping",
    # 13
    "SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW", "set_lr", "get_lr", "clip_grad_norm_",
    "clip_grad_value_", "BatchNorm1d", "LayerNorm", "batch_norm_backward",
    # 14
    "Dropout", "dropout", "smooth_labels", "augment_digits",
]  # fmt: skip
