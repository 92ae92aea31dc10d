"""lib：《可执行的机器学习讲义》的配套代码库。

书中每一节都 ``import lib`` 并调用这里的实现；每个模块对应书的一个主题，可以从头到尾读完：

=================  ==========================================================
``lib.utils``      随机种子、设备选择、计时、数值梯度、输入检查
``lib.plot``       全书统一的 matplotlib 样式与自带的中文字体
``lib.widgets``    由绘图函数生成 ipywidgets 演示，以及给静态读者的多参数小图
``lib.data``       讲义中的小表格（房价……）与 scikit-learn 自带数据集
``lib.linear``     线性模型：闭式解、正规方程、伪逆与岭回归（从线性回归一章起）
``lib.optim``      梯度下降、随机梯度下降、牛顿法与学习率调度（从线性回归一章起）
=================  ==========================================================

后面各章的模块（``lib.fourier``、``lib.conv``、``lib.hyena``、``lib.diffusion`` ……）同样如此：
``dir(lib)`` 列出全部模块。子模块按需导入（``lib.plot`` 在第一次访问时才导入），所以 ``import lib`` 很快，
而且不使用 PyTorch 的页面不会为导入 torch 付出时间。
"""

from __future__ import annotations

import importlib
import pkgutil

__version__ = "0.1.0"

# Every topic module (or subpackage) of lib, found on disk, so that adding a module needs no edit here.
# Accessing lib.<name> imports it on first use (PEP 562).
_SUBMODULES = tuple(sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")))

__all__ = list(_SUBMODULES)


def __getattr__(name: str):
    if name in _SUBMODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'lib' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_SUBMODULES))
