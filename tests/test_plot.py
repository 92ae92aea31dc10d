import pathlib
import unicodedata
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from fontTools.ttLib import TTFont  # noqa: E402

import lib  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _draw(title: str) -> list[str]:
    lib.plot.use_book_style()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig, ax = plt.subplots()
        ax.set_title(title)
        ax.set_xlabel("学习率 η 与 $\\alpha^2$")
        ax.plot([0, 1], [0, -1], label="损失函数")
        ax.legend()
        fig.canvas.draw()
        plt.close(fig)
    return [str(w.message) for w in caught]


def test_chinese_title_draws_without_missing_glyphs(caplog):
    messages = _draw("代价函数 L(w₀, w₁)：梯度下降与随机梯度下降，−1 ≤ x ≤ 1")
    assert not [m for m in messages if "Glyph" in m or "missing" in m], messages
    # mathtext reports missing glyphs through logging, not warnings
    assert "does not have a glyph" not in caplog.text


def test_book_font_is_the_bundled_subset():
    lib.plot.use_book_style()
    assert matplotlib.rcParams["font.family"][0] == lib.plot.FONT_FAMILY
    path = matplotlib.font_manager.findfont(lib.plot.FONT_FAMILY, fallback_to_default=False)
    assert pathlib.Path(path) == lib.plot.FONT_PATH
    assert (lib.plot.FONT_PATH.parent / "OFL.txt").exists()


def _is_cjk(ch: str) -> bool:
    name = unicodedata.name(ch, "")
    return name.startswith(("CJK UNIFIED", "CJK COMPATIBILITY", "FULLWIDTH", "IDEOGRAPHIC", "CJK SYMBOL")) or (
        "\u3000" <= ch <= "\u303f"
    )


def test_bundled_font_covers_every_cjk_character_of_the_book():
    """A page may draw any of its own characters; if one is missing, re-run tools/make_font_subset.py."""
    cmap = TTFont(str(lib.plot.FONT_PATH)).getBestCmap()
    used: dict[str, str] = {}
    for pattern in ("chapters/**/*.md", "lib/**/*.py", "*.md", "benchmarks/**/*.py"):
        for path in ROOT.glob(pattern):
            for ch in path.read_text(encoding="utf-8"):
                if _is_cjk(ch) and ord(ch) not in cmap:
                    used.setdefault(ch, str(path.relative_to(ROOT)))
    assert not used, f"characters missing from the bundled font (run tools/make_font_subset.py): {used}"


def test_loss_contour_and_trajectory():
    lib.plot.use_book_style()
    fig, ax = plt.subplots()
    cs = lib.plot.loss_contour(ax, lambda w: w[0] ** 2 + 3 * w[1] ** 2, (-1, 1), (-1, 1), n=21, levels=6)
    assert len(cs.levels) == 6
    line = lib.plot.trajectory(ax, np.array([[1.0, 1.0], [0.5, 0.2], [0.0, 0.0]]))
    np.testing.assert_array_equal(line.get_xdata(), [1.0, 0.5, 0.0])
    with pytest.raises(ValueError, match="path must have shape"):
        lib.plot.trajectory(ax, np.zeros((3, 3)))
    with pytest.raises(ValueError, match="increasing"):
        lib.plot.loss_contour(ax, lambda w: 0.0, (1, -1), (0, 1))
    plt.close(fig)
