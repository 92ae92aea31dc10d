"""交互演示的统一做法：一个绘图函数，两种用法。

书里每个交互演示都先写一个 *绘图函数* ``plot_fn(ax, **params)``（或 ``plot_fn(axes, **params)``，
当一个设置需要并排的几幅子图时），然后：

* :func:`interactive_figure` 把它变成带滑块的 ipywidgets 演示——在 Colab/Jupyter 里拖动滑块即重画；
* :func:`small_multiples` 用几组典型参数把它画成一张静态的多子图，给阅读网页版的读者看
  （网页上的滑块没有内核，拖不动）。

同一个函数画两种图，保证静态图与交互图一致。

>>> def plot_parabola(ax, a=1.0):
...     x = np.linspace(-2, 2, 50); ax.plot(x, a * x**2)
>>> interactive_figure(plot_parabola, {"a": (-2.0, 2.0, 0.1)})          # doctest: +SKIP
>>> small_multiples(plot_parabola, [{"a": -1.0}, {"a": 0.5}, {"a": 2.0}])  # doctest: +SKIP

存有交互演示的单元格要打上 ``nbval-ignore-output`` 标签（widget 的输出依赖前端，nbval 无法比较）；
``tests/test_book.py`` 会检查这一点。
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from numbers import Integral, Real
from typing import Any

import numpy as np

__all__ = ["interactive_figure", "small_multiples", "format_params"]

PlotFn = Callable[..., Any]


def _as_widget(name: str, spec: Any):
    """把简写变成控件：``(min, max, step)`` → 滑块；列表 → 下拉框；布尔 → 复选框；控件原样返回。"""
    import ipywidgets as w

    if isinstance(spec, w.ValueWidget):
        if not spec.description:
            spec.description = name
        return spec
    style = {"description_width": "initial"}
    layout = w.Layout(width="320px")
    if isinstance(spec, bool):
        return w.Checkbox(value=spec, description=name)
    if isinstance(spec, tuple) and len(spec) in (2, 3, 4) and all(isinstance(v, Real) for v in spec):
        lo, hi = spec[0], spec[1]
        step = spec[2] if len(spec) >= 3 else None
        value = spec[3] if len(spec) == 4 else None
        if lo >= hi:
            raise ValueError(f"control {name!r}: min must be < max, got {spec}")
        if all(isinstance(v, Integral) for v in spec):
            return w.IntSlider(
                min=lo,
                max=hi,
                step=step or 1,
                value=lo if value is None else value,
                description=name,
                continuous_update=False,
                style=style,
                layout=layout,
            )
        step = step or (hi - lo) / 100
        return w.FloatSlider(
            min=lo,
            max=hi,
            step=step,
            value=(lo + hi) / 2 if value is None else value,
            description=name,
            continuous_update=False,
            style=style,
            layout=layout,
            readout_format=".3g",
        )
    if isinstance(spec, (list, tuple)) and len(spec) > 0:
        return w.Dropdown(options=list(spec), description=name, style=style)
    raise TypeError(
        f"control {name!r} must be an ipywidgets widget, a (min, max[, step[, value]]) tuple, "
        f"a list of options or a bool; got {spec!r}"
    )


def _panel_grid(nrows: int, ncols: int, panel_size: tuple[float, float]):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(nrows, ncols, figsize=(panel_size[0] * ncols, panel_size[1] * nrows), squeeze=False)
    return fig, axes


def _check_plot_args(plot_fn: PlotFn, ncols: int, panel_size: Sequence[float]) -> None:
    if not callable(plot_fn):
        raise TypeError(f"plot_fn must be callable, got {type(plot_fn).__name__}")
    if isinstance(ncols, bool) or not isinstance(ncols, Integral) or ncols < 1:
        raise ValueError(f"ncols must be a positive int, got {ncols!r}")
    if len(panel_size) != 2 or min(panel_size) <= 0:
        raise ValueError(f"panel_size must be (width, height) in inches, got {panel_size!r}")


def interactive_figure(
    plot_fn: PlotFn,
    controls: Mapping[str, Any],
    *,
    ncols: int = 1,
    panel_size: Sequence[float] = (5.0, 3.5),
):
    """由 ``plot_fn`` 生成交互演示：控件放在上方，图放在下方，松开滑块后重画。

    ``controls`` 把 ``plot_fn`` 的关键字参数名映射到控件或简写（见 :func:`_as_widget`）。
    ``ncols > 1`` 时 ``plot_fn`` 收到一行 ``ncols`` 个 Axes，否则收到一个 Axes。
    返回一个 ``ipywidgets.VBox``；把它放在单元格最后一行即可显示。
    """
    import ipywidgets as w
    import matplotlib.pyplot as plt

    _check_plot_args(plot_fn, ncols, panel_size)
    if not controls:
        raise ValueError("controls must name at least one parameter to vary")
    widgets = {name: _as_widget(name, spec) for name, spec in controls.items()}

    def update(**params):
        fig, axes = _panel_grid(1, ncols, tuple(panel_size))
        plot_fn(axes[0, 0] if ncols == 1 else axes[0], **params)
        plt.show()

    output = w.interactive_output(update, widgets)
    return w.VBox([w.VBox(list(widgets.values())), output])


def format_params(params: Mapping[str, Any]) -> str:
    """把一组参数写成简短的子图标题，例如 ``{"lr": 0.1, "steps": 20}`` → ``"lr=0.1, steps=20"``。"""
    parts = []
    for key, value in params.items():
        if isinstance(value, (float, np.floating)):
            parts.append(f"{key}={value:.3g}")
        else:
            parts.append(f"{key}={value}")
    return ", ".join(parts)


def small_multiples(
    plot_fn: PlotFn,
    settings: Sequence[Mapping[str, Any]],
    *,
    ncols: int = 1,
    max_cols: int = 4,
    panel_size: Sequence[float] = (3.6, 2.8),
    titles: Sequence[str] | None = None,
):
    """用几组参数画出 ``plot_fn`` 的静态多子图，返回 ``Figure``。

    ``ncols == 1``（每组参数一幅图）时，各组参数按每行最多 ``max_cols`` 幅排开；
    ``ncols > 1`` 时每组参数占一行 ``ncols`` 幅。子图标题默认由参数生成，也可以用 ``titles`` 指定。
    """
    _check_plot_args(plot_fn, ncols, panel_size)
    if len(settings) == 0:
        raise ValueError("settings must contain at least one parameter dict")
    if titles is not None and len(titles) != len(settings):
        raise ValueError(f"titles must have one entry per setting ({len(settings)}), got {len(titles)}")
    titles = list(titles) if titles is not None else [format_params(s) for s in settings]

    if ncols == 1:
        cols = min(max_cols, len(settings))
        rows = -(-len(settings) // cols)
        fig, axes = _panel_grid(rows, cols, tuple(panel_size))
        for k, (params, title) in enumerate(zip(settings, titles)):
            ax = axes[k // cols, k % cols]
            plot_fn(ax, **params)
            ax.set_title(title, fontsize="medium")
        for k in range(len(settings), rows * cols):
            axes[k // cols, k % cols].set_visible(False)
    else:
        import matplotlib.pyplot as plt

        # one sub-figure per setting, so that the setting's title sits above its row of panels
        fig = plt.figure(figsize=(panel_size[0] * ncols, (panel_size[1] + 0.3) * len(settings)))
        subfigs = np.atleast_1d(fig.subfigures(len(settings), 1))
        for subfig, params, title in zip(subfigs, settings, titles):
            plot_fn(subfig.subplots(1, ncols, squeeze=False)[0], **params)
            subfig.suptitle(title, fontsize="medium")
    return fig
