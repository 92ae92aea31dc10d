import ipywidgets as w
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import lib  # noqa: E402
from lib.widgets import _as_widget, format_params, interactive_figure, small_multiples  # noqa: E402


def plot_line(ax, slope=1.0, label="线"):
    x = np.linspace(0, 1, 5)
    ax.plot(x, slope * x, label=label)


def plot_pair(axes, k=1):
    axes[0].plot([0, k])
    axes[1].plot([k, 0])


def test_shorthand_controls_become_widgets():
    assert isinstance(_as_widget("k", (1, 10)), w.IntSlider)
    s = _as_widget("lr", (0.0, 1.0, 0.1, 0.3))
    assert isinstance(s, w.FloatSlider) and s.value == 0.3 and s.description == "lr"
    assert isinstance(_as_widget("mode", ["a", "b"]), w.Dropdown)
    assert isinstance(_as_widget("on", True), w.Checkbox)
    given = w.FloatLogSlider(value=1.0)
    assert _as_widget("alpha", given) is given and given.description == "alpha"
    with pytest.raises(ValueError, match="min must be < max"):
        _as_widget("x", (1.0, 0.0))
    with pytest.raises(TypeError, match="control 'x'"):
        _as_widget("x", object())


def test_interactive_figure_builds_controls_and_output():
    box = interactive_figure(plot_line, {"slope": (-2.0, 2.0, 0.5, 1.0), "label": ["a", "b"]})
    controls, output = box.children
    assert [c.description for c in controls.children] == ["slope", "label"]
    assert isinstance(output, w.Output)
    with pytest.raises(ValueError, match="controls"):
        interactive_figure(plot_line, {})
    with pytest.raises(TypeError, match="plot_fn must be callable"):
        interactive_figure("plot", {"a": (0, 1)})
    plt.close("all")


def test_small_multiples_layouts():
    fig = small_multiples(plot_line, [{"slope": s} for s in (0.5, 1.0, 2.0, 3.0, 4.0)], max_cols=3)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(fig.axes) == 6 and len(visible) == 5
    assert visible[0].get_title() == "slope=0.5"
    plt.close(fig)
    fig = small_multiples(plot_pair, [{"k": 1}, {"k": 2}], ncols=2, titles=["一", "二"])
    assert len(fig.axes) == 4
    assert [sf._suptitle.get_text() for sf in fig.subfigs] == ["一", "二"]
    plt.close(fig)
    with pytest.raises(ValueError, match="titles must have one entry per setting"):
        small_multiples(plot_line, [{"slope": 1.0}], titles=["a", "b"])
    with pytest.raises(ValueError, match="at least one"):
        small_multiples(plot_line, [])
    with pytest.raises(ValueError, match="ncols"):
        small_multiples(plot_line, [{}], ncols=0)


def test_format_params():
    assert format_params({"lr": 0.123456, "steps": 20, "mode": "sgd"}) == "lr=0.123, steps=20, mode=sgd"
    lib.plot.use_book_style()
