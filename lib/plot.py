"""全书统一的 matplotlib 样式，以及随包发行的中文字体。

matplotlib 自带的 DejaVu Sans 没有汉字：中文标题会变成方框，并在 stderr 上打印
``Glyph ... missing from font(s)`` 警告（这些警告会被存进 notebook，使 nbval 失败）。
所以 lib 自带一个字体 ``lib/fonts/BookSansSC-Regular.otf``：它是 SIL OFL 授权的
Noto Sans CJK SC 的子集（GB 2312 全部汉字加书中用到的所有字符，由 ``tools/make_font_subset.py`` 生成），
在本地、CI、构建出的书和 Colab 里都一样，不需要安装系统字体。

用法（每一节开头的设置单元格已经替你调用了）::

    import lib
    lib.plot.use_book_style()
"""

from __future__ import annotations

import pathlib
from collections.abc import Callable
from numbers import Integral

import matplotlib as mpl
import numpy as np
from matplotlib import font_manager

from .utils import check_array, check_scalar

__all__ = ["FONT_PATH", "FONT_FAMILY", "use_book_style", "PALETTE", "loss_contour", "trajectory", "decision_regions"]

FONT_PATH = pathlib.Path(__file__).with_name("fonts") / "BookSansSC-Regular.otf"
FONT_FAMILY = "Book Sans SC"

# Colour-blind friendly palette (Okabe & Ito), used as the default colour cycle.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")


def _register_font() -> None:
    if not FONT_PATH.exists():
        raise FileNotFoundError(
            f"the book's CJK font is missing: {FONT_PATH}; reinstall lib or run tools/make_font_subset.py"
        )
    if FONT_FAMILY not in {f.name for f in font_manager.fontManager.ttflist}:
        font_manager.fontManager.addfont(str(FONT_PATH))


def use_book_style() -> None:
    """注册中文字体并设置全书统一的绘图样式。可以重复调用。"""
    _register_font()
    mpl.rcParams.update(
        {
            # Chinese glyphs from the bundled font; Latin, Greek and symbols it lacks fall back to DejaVu.
            # (an explicit list in font.family, not "sans-serif": only then does matplotlib fall back per glyph)
            "font.family": [FONT_FAMILY, "DejaVu Sans"],
            "font.sans-serif": [FONT_FAMILY, "DejaVu Sans"],
            "axes.unicode_minus": False,  # the CJK font has no U+2212; use '-' for negative tick labels
            "mathtext.fontset": "dejavusans",
            "figure.figsize": (6.0, 3.8),
            "figure.dpi": 100,
            "savefig.dpi": 150,
            "figure.constrained_layout.use": True,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.prop_cycle": mpl.cycler(color=list(PALETTE)),
            "legend.frameon": False,
            "image.cmap": "viridis",
        }
    )


# ---------------------------------------------------------------------------------------------
# 两个全书反复用到的图：二维损失函数的等高线，以及优化器在上面走过的路径
# ---------------------------------------------------------------------------------------------
def loss_contour(
    ax,
    loss: Callable[[np.ndarray], float],
    xlim: tuple[float, float],
    ylim: tuple[float, float],
    *,
    n: int = 101,
    levels: int = 15,
    log: bool = True,
    filled: bool = False,
    cmap: str = "viridis",
):
    """在 ``ax`` 上画二元函数 ``loss(w)``（``w`` 是长度 2 的数组）在矩形区域内的等高线。

    ``log=True`` 时等高线按对数间隔取，使碗底附近的细节与远处的陡坡都看得见。返回等高线对象。
    """
    if xlim[0] >= xlim[1] or ylim[0] >= ylim[1]:
        raise ValueError(f"xlim and ylim must be increasing (lo, hi) pairs, got {xlim} and {ylim}")
    if n < 2 or levels < 2:
        raise ValueError(f"n and levels must be at least 2, got n={n}, levels={levels}")
    xs = np.linspace(*xlim, n)
    ys = np.linspace(*ylim, n)
    W0, W1 = np.meshgrid(xs, ys)
    Z = np.array([loss(np.array([a, b])) for a, b in zip(W0.ravel(), W1.ravel())]).reshape(W0.shape)
    if log:
        lo = max(Z.min(), 1e-12 * max(Z.max(), 1e-300))
        lv = np.geomspace(lo + (Z.max() - lo) * 1e-3, Z.max(), levels)
    else:
        lv = np.linspace(Z.min(), Z.max(), levels)
    if filled:
        cs = ax.contourf(W0, W1, Z, levels=lv, cmap=cmap)
    else:
        cs = ax.contour(W0, W1, Z, levels=lv, cmap=cmap, linewidths=0.8)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    return cs


def trajectory(ax, path, *, color: str | None = None, label: str | None = None, markersize: float = 3.0):
    """画出优化路径（``path`` 形状为 ``(steps, 2)``）：折线连接各迭代点，空心圆标起点，星号标终点。"""
    path = np.asarray(path, dtype=float)
    if path.ndim != 2 or path.shape[1] != 2:
        raise ValueError(f"path must have shape (steps, 2), got {path.shape}")
    (line,) = ax.plot(path[:, 0], path[:, 1], "-o", color=color, markersize=markersize, linewidth=1.2, label=label)
    ax.plot(*path[0], "o", markerfacecolor="white", markeredgecolor=line.get_color(), markersize=7)
    ax.plot(*path[-1], "*", color=line.get_color(), markersize=11)
    return line


def decision_regions(
    ax,
    model,
    X,
    y=None,
    *,
    resolution: int = 200,
    margin: float = 0.3,
    alpha: float = 0.25,
    sizes=None,
    cmap: str = "coolwarm",
):
    """二维数据上任一分类器的决策区域（从决策树与集成学习一章起）：在网格上调用 ``model.predict`` 并着色，再画出样本点。

    ``sizes`` 可以给每个点一个大小（例如 AdaBoost 的样本权重）。

    ``model`` 是任何有 ``predict`` 的已训练分类器；类别按 ``model.classes_`` 的顺序编号着色。返回 ``ax``。
    """
    X = check_array(X, "X", ndim=2)
    if X.shape[1] != 2:
        raise ValueError(f"X must have 2 columns to draw decision regions, got {X.shape[1]}")
    check_scalar(resolution, "resolution", Integral, min_val=2)
    lo, hi = X.min(axis=0) - margin, X.max(axis=0) + margin
    g0, g1 = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    pred = model.predict(np.c_[g0.ravel(), g1.ravel()])
    classes = np.asarray(getattr(model, "classes_", np.unique(pred)))
    Z = np.searchsorted(classes, pred).reshape(g0.shape)
    levels = np.arange(len(classes) + 1) - 0.5
    ax.contourf(g0, g1, Z, levels=levels, cmap=cmap, alpha=alpha)
    if y is not None:
        codes = np.searchsorted(classes, np.asarray(y))
        ax.scatter(
            X[:, 0],
            X[:, 1],
            c=codes,
            cmap=cmap,
            vmin=0,
            vmax=max(len(classes) - 1, 1),
            s=20 if sizes is None else sizes,
            edgecolors="k",
            linewidths=0.4,
        )
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    return ax
