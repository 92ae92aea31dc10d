"""线性模型（从线性回归到非线性化、过拟合与模型选择的四章）。
与 ``sklearn.linear_model`` 一样按主题分文件，从这里统一导入：

* ``lib.linear.regression``——线性回归一章：最小二乘、正规方程、伪逆、岭回归；
* 后续各章（逻辑回归、Softmax 回归、Lasso……）在本目录下各自新增一个模块，并在下面导出。
"""

from .regression import *  # noqa: F401,F403
from .regression import __all__ as _regression_all

__all__ = list(_regression_all)

from .logistic import *  # noqa: E402,F401,F403  (线性分类一章：逻辑回归、Softmax 回归、一对其余)
from .logistic import __all__ as _logistic_all  # noqa: E402

__all__ += _logistic_all

from .lasso import *  # noqa: E402,F401,F403  (非线性化、过拟合与模型选择一章：Lasso、坐标下降与正则化路径)
from .lasso import __all__ as _lasso_all  # noqa: E402

__all__ += _lasso_all
