"""The PDF of the whole book (``python tools/build_pdf.py``), checked where TeX Live's xelatex is installed.

The build itself fails on any xelatex error and on any character missing from the fonts
(tools/build_pdf.py reads the log). On top of that this test checks the structure a reader of the PDF
sees: the parts of ``_toc.yml``, every written chapter under its own number (第 4 章 is chapter 4 even
while chapters 1-2 are unwritten), equations numbered per section as on the web, every figure included,
no widget printed as ``VBox(...)`` text, and the bibliography as the last chapter.

Without xelatex (a developer's machine without TeX) the test is skipped; the publishing workflow
(.github/workflows/book.yml) installs TeX and builds the PDF on every push to main.
"""

from __future__ import annotations

import pathlib
import re
import shutil
import sys

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import build_pdf  # noqa: E402

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (shutil.which("xelatex") and shutil.which("latexmk")),
        reason="needs xelatex and latexmk (TeX Live; see tools/build_pdf.py)",
    ),
]


@pytest.fixture(scope="module")
def pdf_build():
    output = ROOT / "_build" / "pytest-pdf"
    shutil.rmtree(output, ignore_errors=True)
    try:
        report = build_pdf.build(output)
    except build_pdf.PdfError as err:
        pytest.fail(str(err))
    latex = output / "_build" / "latex"
    return report, latex


def test_pdf_builds_with_every_glyph(pdf_build):
    report, latex = pdf_build
    assert not report["sphinx_warnings"], report["sphinx_warnings"]
    assert report["pdf"].stat().st_size > 1_000_000
    assert report["pages"] > 100


def test_pdf_structure(pdf_build):
    report, latex = pdf_build
    toc = (latex / "book.toc").read_text(encoding="utf-8")
    tex = (latex / "book.tex").read_text(encoding="utf-8")
    aux = (latex / "book.aux").read_text(encoding="utf-8")
    toc_yml = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))

    for part in toc_yml["parts"]:
        if part.get("numbered"):
            assert f"\\part{{{part['caption'].replace(' ', chr(92) + 'quad ')}}}" in tex, part["caption"]
    for chapter in sorted(p for p in (ROOT / "chapters").iterdir() if p.is_dir() and p.name[:2].isdigit()):
        number = int(chapter.name[:2])
        assert f"\\contentsline {{chapter}}{{\\numberline {{第{number}章}}" in toc, f"no chapter {number}"
        first = sorted(chapter.glob("01_*.md"))
        if first:
            assert re.search(rf"\\contentsline {{section}}{{\\numberline {{{number}\.1}}", toc), f"no {number}.1"
    # the appendix chapters are lettered, their equations too (A.1.1), and no English index follows them
    for chapter in sorted(p for p in (ROOT / "chapters").iterdir() if p.is_dir() and p.name[1:2] == "_"):
        letter = chapter.name[0]
        assert f"\\contentsline {{chapter}}{{\\numberline {{{letter}}}" in toc, f"no appendix {letter}"
        assert re.search(rf"\\newlabel{{equation:chapters/{chapter.name}/01_\w+:[\w-]+}}{{{{{letter}\.1\.1}}", aux)
    assert "Index" not in toc and "Appendix" not in toc
    # equations are numbered per section, as on the web: 4.1's first labelled equation is (4.1.1)
    assert re.search(r"\\newlabel{equation:chapters/04_linear_regression/01_cost_closed_form:[\w-]+}{{4\.1\.1}", aux)
    # the home page is front matter, the references are the bibliography at the end
    assert tex.index("\\frontmatter") < tex.index("\\mainmatter") < tex.index("\\part{")
    assert tex.rindex("\\begin{sphinxthebibliography}") > tex.rindex("\\part{")

    images = ["".join(m) for m in re.findall(r"\\sphinxincludegraphics(?:\[[^\]]*\])?{{([^}]+)}(\.\w+)}", tex)]
    assert len(images) > 100
    missing = [name for name in images if not (latex / name).exists()]
    assert not missing, missing[:5]
    assert "VBox(children" not in tex and "IntSlider(" not in tex, "a widget printed as text"
