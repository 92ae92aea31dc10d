r"""扩散模型（扩散模型一章）：本书的三个 GPU 核心之一。CPU 与 CUDA 走同一份代码，CUDA 上可用混合精度。

从上到下按书的顺序读（括号里是对应的节的标题）：

========================  ======================================================================
``schedules``             噪声调度 :math:`\beta_t`：线性（DDPM）、余弦、常数；:math:`\bar\alpha_t`
                          （“扩散过程”“前向过程的闭式解”）
``gaussian``              :class:`GaussianDiffusion`：前向闭式解、后验、参数化、简化损失、变分下界各项
                          （“前向过程的闭式解”“逆过程与后验分布”“变分下界与简化损失”）
``samplers``              DDPM 祖先采样（算法 2，两种 :math:`\sigma_t^2`）、DDIM（任意 :math:`\eta` 与步数）、
                          DDIM 反演（“训练与采样：算法 1 与算法 2”“更快的采样：DDIM”）
``models``                正弦时间编码、二维数据的 MLP、图像的小 U-Net（残差块、组归一化、注意力）、EMA
                          （“训练与采样：算法 1 与算法 2”）
``train``                 算法 1 的训练循环（tqdm 进度条只在终端显示；CUDA 上混合精度）
``quality``               Fréchet 距离、按类别的覆盖率、8×8 数字的预处理与特征分类器
``pretrained``            随包发行的数字 U-Net 检查点（由 ``tools/train_diffusion_digits.py`` 训练）
========================  ======================================================================

>>> import torch, lib
>>> diffusion = lib.diffusion.GaussianDiffusion(lib.diffusion.linear_beta_schedule(1000))
>>> model = lib.diffusion.MLPDenoiser(data_dim=2)
>>> loss = diffusion.loss(model, torch.randn(8, 2))                       # 算法 1 的一步
>>> x0 = lib.diffusion.ddim_sample(model, diffusion, (8, 2), steps=10)    # DDIM 10 步
"""

from .gaussian import *  # noqa: F401,F403
from .gaussian import __all__ as _gaussian_all
from .models import *  # noqa: F401,F403
from .models import __all__ as _models_all
from .pretrained import *  # noqa: F401,F403
from .pretrained import __all__ as _pretrained_all
from .quality import *  # noqa: F401,F403
from .quality import __all__ as _quality_all
from .samplers import *  # noqa: F401,F403
from .samplers import __all__ as _samplers_all
from .schedules import *  # noqa: F401,F403
from .schedules import __all__ as _schedules_all
from .train import *  # noqa: F401,F403
from .train import __all__ as _train_all

__all__ = [
    *_schedules_all,
    *_gaussian_all,
    *_samplers_all,
    *_models_all,
    *_train_all,
    *_quality_all,
    *_pretrained_all,
]
