r"""卷积神经网络的计算核心（卷积神经网络一章，全书三个 GPU 核心之一）。

表中括号里是对应的节（节的标题）。

按“函数 → 反向传播 → 层 → 网络”的顺序分成几个模块，全部从这里导入：

============================  ==============================================================================
``lib.conv.functional``       ``conv2d``/``conv1d``（direct、im2col、FFT 三种实现）、``conv_transpose2d``、
                              ``max_pool2d``、``avg_pool2d``、``im2col``/``col2im``、``rot180``、``dilate``——
                              签名与 ``torch.nn.functional`` 相同（从“卷积与互相关”到“三种实现”五节）
``lib.conv.backward``         显式反向传播：``conv2d_backward``、``Conv2dFunction``、池化的“上采样”
                              （“卷积层的反向传播”）
``lib.conv.layers``           ``Conv2d``、``ConvTranspose2d``、``MaxPool2d``、``AvgPool2d``、``GlobalAvgPool2d``、
                              ``DepthwiseSeparableConv2d``——与 ``torch.nn`` 同名层可互换
``lib.conv.arithmetic``       输出大小、感受野、参数量、乘加次数、网络结构表（“步长、填充、空洞与感受野”
                              “池化与多通道”“深度可分离卷积与 1×1 卷积”“经典网络”）
``lib.conv.models``           LeNet-5、AlexNet、VGG、ResNet、Inception、SE 模块，以及手写数字上的训练工具（“经典网络”）
``lib.conv.bench``            读取 ``lib/results/conv-*.json`` 中的基准测试结果（“三种实现：直接、im2col 与 FFT”）
============================  ==============================================================================

约定：卷积指 **互相关**（与 PyTorch 相同），``flip=True`` 给出数学上的卷积。所有实现只用 PyTorch 的张量运算，
CPU 与 CUDA、float64/float32/float16/bfloat16 走同一份代码，autograd 可以穿过它们求导。
"""

from . import arithmetic, backward, bench, functional, layers, models
from .arithmetic import *  # noqa: F401,F403
from .backward import *  # noqa: F401,F403
from .bench import *  # noqa: F401,F403
from .functional import *  # noqa: F401,F403
from .layers import *  # noqa: F401,F403
from .models import *  # noqa: F401,F403

__all__ = [
    *functional.__all__,
    *backward.__all__,
    *layers.__all__,
    *arithmetic.__all__,
    *models.__all__,
    *bench.__all__,
]
