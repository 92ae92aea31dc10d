"""Checks of the book as a whole: notebook pairs, execution state, setup cells, toc, and the -W build.

Every section is a pair chapters/NN_slug/MM_slug.md (edited) + .ipynb (executed). The .ipynb is what the
book renders, what Colab opens and what nbval re-executes, so it must hold exactly the .md's cells, all
executed top to bottom, with no errors and nothing on stderr.
"""

from __future__ import annotations

import json
import pathlib
import re
import sys

import jupytext
import nbformat
import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import nb as nbtool  # noqa: E402

SECTIONS = nbtool.all_sections()
SECTION_IDS = [str(p.relative_to(ROOT / "chapters")) for p in SECTIONS]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def toc_files() -> list[str]:
    files: list[str] = []

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections"))
            walk(entry.get("chapters"))

    walk(TOC.get("parts"))
    walk(TOC.get("chapters"))
    return files


def load_pair(md: pathlib.Path):
    return jupytext.read(md), nbformat.read(md.with_suffix(".ipynb"), as_version=4)


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


# ---------------------------------------------------------------------------------------------
# Table of contents and file layout
# ---------------------------------------------------------------------------------------------
def test_sections_exist():
    assert SECTIONS, "no section notebooks found under chapters/"


def test_toc_and_files_agree_both_ways():
    listed = toc_files()
    assert len(listed) == len(set(listed)), "a file is listed twice in _toc.yml"
    for entry in [TOC["root"], *listed]:
        assert any((ROOT / f"{entry}{ext}").exists() for ext in (".md", ".ipynb")), f"_toc.yml lists missing {entry}"
    on_disk = {str(p.relative_to(ROOT).with_suffix("")) for p in SECTIONS}
    on_disk |= {str(p.relative_to(ROOT).with_suffix("")) for p in (ROOT / "chapters").glob("*/index.md")}
    missing = sorted(on_disk - set(listed))
    assert not missing, f"pages not in _toc.yml: {missing}"


def test_chapter_layout():
    for chapter in sorted(p for p in (ROOT / "chapters").iterdir() if p.is_dir()):
        assert re.fullmatch(r"(\d\d|[A-Z])_[a-z0-9_]+", chapter.name), f"bad chapter folder name {chapter.name}"
        assert (chapter / "index.md").exists(), f"{chapter.name} has no index.md"
        for path in chapter.iterdir():
            if path.suffix in (".md", ".ipynb") and path.stem != "index":
                assert nbtool.SECTION_RE.match(path.with_suffix(".md").name), f"bad section file name {path}"
                assert path.with_suffix(".md").exists() and path.with_suffix(".ipynb").exists(), f"unpaired {path}"


def test_home_page_links_every_written_chapter():
    """The plan of the book on the home page links each chapter that exists, with its own number."""
    intro = (ROOT / "intro.md").read_text(encoding="utf-8")
    for chapter in sorted(p for p in (ROOT / "chapters").iterdir() if p.is_dir() and p.name[:2].isdigit()):
        link = f"</chapters/{chapter.name}/index>`"
        lines = [line for line in intro.splitlines() if link in line]
        assert lines, (
            f"intro.md does not link {chapter.name}: in the plan, write its line as "
            f"- 第 {int(chapter.name[:2])} 章 {{doc}}`标题 </chapters/{chapter.name}/index>`"
        )
        assert re.match(rf"^- 第 {int(chapter.name[:2])} 章 \{{doc\}}`", lines[0]), f"intro.md: {lines[0]!r}"
    plan = re.findall(r"^- 第 (\d+) 章 ", intro, re.M)
    assert [int(n) for n in plan] == list(range(1, 32)), "the plan lists chapters 1-31 in order"


def test_python_version_is_stated_consistently():
    """The pinned numpy/scipy/pandas/scikit-learn/matplotlib/ipython need Python 3.11 or newer."""
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'requires-python = ">=3.11"' in pyproject
    assert 'target-version = "py311"' in pyproject
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "3.10" not in readme and "Python 3.11" in readme
    assert (ROOT / "binder" / "runtime.txt").read_text().strip() == "python-3.11"
    for workflow in (ROOT / ".github" / "workflows").glob("*.yml"):
        versions = re.findall(r'python-version:\s*"?([\d.]+)', workflow.read_text(encoding="utf-8"))
        assert all(v == "3.11" for v in versions), f"{workflow.name}: {versions}"


def test_repository_settings_for_launch_buttons():
    repo = CONFIG["repository"]
    assert repo["branch"] == "main"
    assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", repo["url"])
    assert CONFIG["launch_buttons"]["colab_url"] == "https://colab.research.google.com"
    assert CONFIG["execute"]["execute_notebooks"] == "off"
    assert "chapters/*/[0-9][0-9]_*.md" in CONFIG["exclude_patterns"]


# ---------------------------------------------------------------------------------------------
# Every section notebook
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("md", SECTIONS, ids=SECTION_IDS)
def test_pair_in_sync(md):
    text, executed = load_pair(md)
    assert [c.cell_type for c in text.cells] == [c.cell_type for c in executed.cells], (
        f"{md.name}: cells differ between .md and .ipynb; run `python tools/nb.py run {md.relative_to(ROOT)}`"
    )
    for a, b in zip(text.cells, executed.cells):
        assert a.source.strip() == b.source.strip(), f"{md.name}: cell differs:\n{a.source[:200]}"
        assert a.metadata.get("tags", []) == b.metadata.get("tags", []), f"{md.name}: tags differ"
    for key in ("accelerator", "colab"):  # Colab's GPU request must reach the notebook Colab opens
        assert text.metadata.get(key) == executed.metadata.get(key), f"{md.name}: notebook metadata {key!r} differs"


@pytest.mark.parametrize("md", SECTIONS, ids=SECTION_IDS)
def test_executed_top_to_bottom_without_errors_or_stderr(md):
    executed = nbformat.read(md.with_suffix(".ipynb"), as_version=4)
    counts = [c.execution_count for c in code_cells(executed)]
    assert counts == list(range(1, len(counts) + 1)), f"{md.name}: execution counts {counts}"
    for cell in code_cells(executed):
        for out in cell.outputs:
            assert out.output_type != "error", f"{md.name}: error output in\n{cell.source[:200]}"
            assert not (out.output_type == "stream" and out.name == "stderr"), (
                f"{md.name}: stderr output {out.text[:300]!r} in\n{cell.source[:200]}"
            )
    assert executed.metadata["kernelspec"]["name"] == "python3"


def expected_setup_source() -> str:
    url, branch = CONFIG["repository"]["url"], CONFIG["repository"]["branch"]
    return nbtool.setup_cell_source().replace(
        f"git+{nbtool.repository_url()}@{nbtool.repository_branch()}", f"git+{url}@{branch}"
    )


@pytest.mark.parametrize("md", SECTIONS, ids=SECTION_IDS)
def test_setup_cell_matches_config(md):
    executed = nbformat.read(md.with_suffix(".ipynb"), as_version=4)
    first = code_cells(executed)[0]
    url, branch = CONFIG["repository"]["url"], CONFIG["repository"]["branch"]
    assert f'%pip install -q "git+{url}@{branch}"' in first.source, f"{md.name}: setup cell does not install {url}"
    assert first.source == expected_setup_source(), (
        f"{md.name}: setup cell differs from the canonical one; run `python tools/nb.py setup-cell`"
    )
    assert first.metadata.get("tags") == ["hide-input"]
    assert first.outputs == [], f"{md.name}: the setup cell must print nothing locally"


@pytest.mark.parametrize("md", SECTIONS, ids=SECTION_IDS)
def test_widget_cells_are_excluded_from_output_comparison(md):
    executed = nbformat.read(md.with_suffix(".ipynb"), as_version=4)
    has_widget = False
    for cell in code_cells(executed):
        shows_widget = any(WIDGET_MIME in out.get("data", {}) for out in cell.outputs)
        builds_widget = "interactive_figure(" in cell.source or "interact(" in cell.source
        if shows_widget or builds_widget:
            has_widget = True
            assert "nbval-ignore-output" in cell.metadata.get("tags", []), (
                f"{md.name}: widget cell needs the nbval-ignore-output tag:\n{cell.source[:200]}"
            )
    if has_widget:
        assert "widgets" in executed.metadata, f"{md.name}: widget state not saved (execute with tools/nb.py run)"


@pytest.mark.parametrize("md", SECTIONS, ids=SECTION_IDS)
def test_section_anatomy(md):
    """Each section checks its derivation in code, shows a figure, and ends with exercises."""
    executed = nbformat.read(md.with_suffix(".ipynb"), as_version=4)
    markdown = "\n".join(c.source for c in executed.cells if c.cell_type == "markdown")
    assert executed.cells[0].cell_type == "markdown" and executed.cells[0].source.startswith("# "), (
        f"{md.name}: must start with a '# title' markdown cell"
    )
    assert re.search(r"^## 练习", markdown, re.M), f"{md.name}: no '## 练习' (exercises) section"
    assert any(re.search(r"^\s*assert\b", c.source, re.M) for c in code_cells(executed)), (
        f"{md.name}: no assert checking a derivation numerically"
    )
    assert any("image/png" in out.get("data", {}) for c in code_cells(executed) for out in c.outputs), (
        f"{md.name}: no figure"
    )
    hand_refs = re.findall(r"式\s*[（(]\d+(?:\.\d+)*[)）]", markdown)
    assert not hand_refs, f"{md.name}: hand-numbered equation references {hand_refs}; use {{eq}}`label`"
    accelerator = executed.metadata.get("accelerator")
    assert accelerator in (None, "GPU")


def test_equation_labels_are_unique_across_the_book():
    labels: dict[str, str] = {}
    for md in SECTIONS:
        text = md.read_text(encoding="utf-8")
        found = re.findall(r"^\s*\$\$\s*\((eq-[\w-]+)\)\s*$", text, re.M)
        found += re.findall(r"^\s*:label:\s*(eq-[\w-]+)\s*$", text, re.M)  # {math} directives inside lists
        for label in found:
            assert label not in labels, f"equation label {label} in {md.name} is also in {labels[label]}"
            labels[label] = md.name


# ---------------------------------------------------------------------------------------------
# The book build: jupyter-book build . -W -n --keep-going
# ---------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_book_builds_without_warnings(book_build):
    assert book_build.returncode == 0 and not book_build.warnings, (
        "\n".join(book_build.warnings) or book_build.log[-3000:]
    )

    html = book_build.html
    url, branch = CONFIG["repository"]["url"], CONFIG["repository"]["branch"]
    org_repo = url.removeprefix("https://github.com/")
    for md in SECTIONS:
        rel = md.relative_to(ROOT)
        page = (html / rel).with_suffix(".html").read_text(encoding="utf-8")
        colab = f"https://colab.research.google.com/github/{org_repo}/blob/{branch}/{rel.with_suffix('.ipynb')}"
        assert colab in page, f"{rel}: no Colab button pointing at {colab}"
        head = rel.parts[1].split("_", 1)[0]  # "04" or, for the appendix, "A"
        chapter, section = (int(head) if head.isdigit() else head), int(rel.name[:2])
        assert f'<span class="section-number">{chapter}.{section}. </span>' in page, (
            f"{rel}: page is not numbered {chapter}.{section}"
        )


# ---------------------------------------------------------------------------------------------
# What a reader gets from the built site (the browser's view is in tests/test_browser.py)
# ---------------------------------------------------------------------------------------------
def built_pages(book_build) -> list[pathlib.Path]:
    return sorted(p for p in book_build.html.rglob("*.html") if "_static" not in p.parts)


def search_index(book_build) -> dict:
    text = (book_build.html / "searchindex.js").read_text(encoding="utf-8")
    return json.loads(text[text.index("(") + 1 : text.rindex(")")])


@pytest.mark.slow
def test_search_index_holds_chinese_words(book_build):
    """jieba splits the pages into words (_ext/zh_search.py): searching 注意力 or 卷积 finds pages."""
    index = search_index(book_build)

    def pages(word: str) -> set[str]:
        # a word found in a page's titles is listed only under titleterms for that page
        hits = []
        for table in (index["terms"], index["titleterms"]):
            found = table.get(word, [])
            hits += found if isinstance(found, list) else [found]
        return {index["docnames"][i] for i in hits}

    chinese = [t for t in index["terms"] if re.search(r"[\u4e00-\u9fff]", t)]
    assert len(chinese) > 1000, f"only {len(chinese)} Chinese terms in the search index; is jieba installed?"
    for word in ["注意力", "卷积", "梯度", "梯度下降", "反向传播", "扩散模型", "支持向量机", "正则化", "傅里叶变换"]:
        assert word in index["terms"], f"search index has no {word!r}"
    assert {f"chapters/15_cnn/{p.stem}" for p in (ROOT / "chapters/15_cnn").glob("[0-9]*.md")} <= pages("卷积")
    assert "chapters/18_long_sequences/06_hyena_vs_attention" in pages("注意力")


@pytest.mark.slow
def test_pages_load_nothing_from_other_sites(book_build):
    """MathJax, RequireJS, the widget manager and fonts come from the site itself (_ext/offline.py)."""
    resource = re.compile(r"<(?:script|link|img|iframe|source)\b[^>]*?\b(?:src|href)=\"(https?:)?//", re.I)
    for page in built_pages(book_build):
        text = page.read_text(encoding="utf-8")
        found = [m.group(0)[:120] for m in resource.finditer(text) if 'rel="canonical"' not in m.group(0)]
        assert not found, f"{page.relative_to(book_build.html)} loads from another site: {found[:3]}"


@pytest.mark.slow
def test_web_font_covers_every_chinese_character_of_the_site(book_build):
    from fontTools.ttLib import TTFont

    sys.path.insert(0, str(ROOT / "_ext"))
    import webfont

    font_path = book_build.html / webfont.TARGET
    assert font_path.exists(), "the build wrote no web font"
    cmap = set(TTFont(str(font_path)).getBestCmap())
    used = webfont.page_characters(book_build.html)
    assert len(used) > 500
    missing = sorted(c for c in used if ord(c) not in cmap)
    assert not missing, f"web font lacks {''.join(missing[:50])}"
    assert font_path.stat().st_size < 1_500_000, f"web font is {font_path.stat().st_size} bytes"


@pytest.mark.slow
def test_chinese_headings_have_readable_anchors(book_build):
    """No heading is addressed by a running number like #id9 (_ext/heading_ids.py)."""
    for page in built_pages(book_build):
        text = page.read_text(encoding="utf-8")
        numbered = re.findall(r'<section id="(id\d+)"', text)
        assert not numbered, f"{page.relative_to(book_build.html)}: sections {numbered}"
    page = (book_build.html / "chapters/04_linear_regression/01_cost_closed_form.html").read_text(encoding="utf-8")
    assert '<section id="代价函数">' in page


@pytest.mark.slow
def test_interface_is_chinese(book_build):
    page = (book_build.html / "chapters/04_linear_regression/01_cost_closed_form.html").read_text(encoding="utf-8")
    english_strings = [
        "Repository",
        "Open issue",
        "Search this book",
        "Launch interactive content",
        "Click to show",
        "Toggle primary sidebar",
        "Issue%20on%20page",
    ]
    for english in english_strings:
        assert english not in page, f"English interface string {english!r} on the page"
    for chinese in ["代码仓库", "报告问题", "搜索本书"]:
        assert chinese in page


@pytest.mark.parametrize("md", SECTIONS, ids=SECTION_IDS)
def test_display_maths_stands_in_its_own_paragraph(md):
    """A `$$` block glued to the text line before or after it is read as inline maths by MyST: the dollars pair up
    wrongly and the page (and the PDF) shows raw TeX. Every display block needs a blank line on both sides."""
    lines = md.read_text(encoding="utf-8").split("\n")
    in_code = in_math = False
    bad = []
    for i, line in enumerate(lines):
        s = line.strip()
        if s.startswith("```") and not in_math:
            in_code = not in_code
            continue
        if in_code or not s.startswith("$$"):
            continue
        if not in_math:
            if i > 0 and lines[i - 1].strip() and not lines[i - 1].lstrip().startswith(":"):
                bad.append(f"line {i + 1}: no blank line before $$")
            in_math = not (len(s) > 2 and s.endswith("$$"))
        else:
            in_math = False
            if i + 1 < len(lines) and lines[i + 1].strip() and not lines[i + 1].lstrip().startswith(":"):
                bad.append(f"line {i + 1}: no blank line after $$")
    assert not bad, f"{md.name}: " + "; ".join(bad)
