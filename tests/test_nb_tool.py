"""tools/nb.py: a one-line edit of a section and a re-run give a small diff of its .ipynb.

A tiny section (markdown, a printing cell, a widget) is executed in a real kernel, one sentence of its
.md is changed, and it is executed again: the cell ids and the widget model ids must be the ones of the
first run, so that the .ipynb differs in that sentence only.
"""

from __future__ import annotations

import difflib
import pathlib
import sys

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import nb as nbtool  # noqa: E402

SECTION = """\
---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# 一个小节

第一句话。

```{code-cell} ipython3
print(sum(range(10)))
```

第二段。

```{code-cell} ipython3
:tags: [nbval-ignore-output]

import ipywidgets

ipywidgets.VBox([ipywidgets.IntSlider(value=3, description="k"), ipywidgets.Label("标签")])
```
"""


def widget_ids(notebook) -> list[str]:
    return list(notebook.metadata["widgets"][nbtool.WIDGET_STATE]["state"])


@pytest.fixture
def section(tmp_path):
    md = tmp_path / "99_demo" / "01_section.md"
    md.parent.mkdir()
    md.write_text(SECTION, encoding="utf-8")
    return md


def test_one_line_edit_gives_a_small_diff(section):
    path, seconds, error = nbtool.execute(section)
    assert error is None
    ipynb = section.with_suffix(".ipynb")
    first_text = ipynb.read_text(encoding="utf-8")
    first = nbformat.read(ipynb, as_version=4)
    assert first.cells[1].outputs[0].text == "45\n"
    assert len(widget_ids(first)) >= 3  # VBox, IntSlider, Label and their layouts/styles

    section.write_text(SECTION.replace("第一句话。", "改过的第一句话。"), encoding="utf-8")
    nbtool.execute(section)
    second_text = ipynb.read_text(encoding="utf-8")
    second = nbformat.read(ipynb, as_version=4)

    assert [c.id for c in second.cells] == [c.id for c in first.cells]
    assert widget_ids(second) == widget_ids(first)
    diff = [
        line
        for line in difflib.unified_diff(first_text.splitlines(), second_text.splitlines(), lineterm="", n=0)
        if line.startswith(("+", "-")) and not line.startswith(("+++", "---"))
    ]
    assert diff == ['-    "第一句话。"', '+    "改过的第一句话。"'], diff


def test_inserted_and_removed_cells_keep_the_other_ids(section):
    nbtool.sync(section)
    before = nbformat.read(section.with_suffix(".ipynb"), as_version=4)
    text = SECTION.replace("第二段。\n", "第二段。\n\n```{code-cell} ipython3\nx = 1\n```\n")
    section.write_text(text.replace("# 一个小节\n\n第一句话。\n", "# 一个小节\n"), encoding="utf-8")
    nbtool.sync(section)
    after = nbformat.read(section.with_suffix(".ipynb"), as_version=4)
    old_ids = {c.source: c.id for c in before.cells}
    kept = [c for c in after.cells if c.source in old_ids]
    assert len(kept) == len(after.cells) - 2  # the edited title cell (kept in place) and the new cell
    assert all(c.id == old_ids[c.source] for c in kept)
    assert after.cells[0].id == before.cells[0].id  # the title cell was edited in place
    assert len({c.id for c in after.cells}) == len(after.cells)


def test_widget_ids_are_derived_from_the_path():
    nb = nbformat.v4.new_notebook()
    ids = ["0f" * 16, "a1" * 16]
    nb.metadata["widgets"] = {
        nbtool.WIDGET_STATE: {"state": {ids[0]: {"state": {"children": [f"IPY_MODEL_{ids[1]}"]}}, ids[1]: {}}}
    }
    cell = nbformat.v4.new_code_cell("w")
    cell.outputs = [
        nbformat.v4.new_output("display_data", {"application/vnd.jupyter.widget-view+json": {"model_id": ids[0]}})
    ]
    nb.cells = [cell]
    renamed = nbtool._stable_widget_ids(nb, "chapters/99_x/01_y.md")
    new_ids = widget_ids(renamed)
    assert len(new_ids) == 2 and not set(new_ids) & set(ids)
    state = renamed.metadata["widgets"][nbtool.WIDGET_STATE]["state"]
    assert state[new_ids[0]]["state"]["children"] == [f"IPY_MODEL_{new_ids[1]}"]
    assert renamed.cells[0].outputs[0].data["application/vnd.jupyter.widget-view+json"]["model_id"] == new_ids[0]
    assert widget_ids(nbtool._stable_widget_ids(nb, "chapters/99_x/01_y.md")) == new_ids
