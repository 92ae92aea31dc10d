"""Sphinx extension: the structure of the book's PDF (the LaTeX builder; ``python tools/build_pdf.py``).

The HTML pages get their numbers from ``_ext/chapter_numbers.py``; LaTeX numbers chapters by counting
them, and knows nothing of the parts of ``_toc.yml``. When the LaTeX builder has assembled the whole book
into one document, this extension

* puts the home page (intro.md: how to use the book, its plan, the notation) in the front matter
  (unnumbered chapters, roman page numbers) and starts the main matter at the first part;
* starts each part of ``_toc.yml`` with ``\\part{第二部分 线性模型与经典方法}``;
* sets the chapter counter before each chapter from its folder name, so chapter 4 is 第 4 章 and its
  equations are (4.2.1), ... even while chapters 1-2 are not written, exactly as on the web;
* starts the lettered appendix chapters (folder ``A_math``) with ``\\appendix``, so they are 附录 A with
  equations (A.1.1), as on the web;
* drops the page references.md: LaTeX prints the cited works as its own chapter 参考文献 at the end.

Cell outputs the PDF cannot show are adjusted before MyST-NB picks a MIME type for LaTeX: a widget
(whose text form is ``VBox(children=(...``) is left out, since each interactive figure is followed by
static figures of a few settings; a table that a cell displayed as HTML (a pandas DataFrame) becomes a
real table instead of its plain-text form.
"""

from __future__ import annotations

import html.parser
import pathlib

import yaml
from chapter_numbers import prefix_for
from docutils import nodes
from sphinx import addnodes
from sphinx.transforms.post_transforms import SphinxPostTransform

ROOT = pathlib.Path(__file__).resolve().parents[1]
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


# ---------------------------------------------------------------------------------------------
# Cell outputs
# ---------------------------------------------------------------------------------------------
class _HtmlTable(html.parser.HTMLParser):
    """The rows of the first <table> in an HTML snippet: [(is_header_row, [cell text, ...]), ...]."""

    def __init__(self):
        super().__init__()
        self.rows: list[tuple[bool, list[str]]] = []
        self.spans = False
        self._section = None
        self._cell: list[str] | None = None
        self._skip = 0
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("style", "script"):
            self._skip += 1
        elif tag == "table":
            self._depth += 1
        elif self._depth == 1 and tag in ("thead", "tbody"):
            self._section = tag
        elif self._depth == 1 and tag == "tr":
            self.rows.append((self._section == "thead", []))
        elif self._depth == 1 and tag in ("td", "th") and self.rows:
            self._cell = []
            if int(attrs.get("colspan") or 1) > 1 or int(attrs.get("rowspan") or 1) > 1:
                self.spans = True

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self._skip -= 1
        elif tag == "table":
            self._depth -= 1
        elif tag in ("td", "th") and self._cell is not None:
            self.rows[-1][1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None and not self._skip:
            self._cell.append(data)


def html_table_node(html: str) -> nodes.table | None:
    """A docutils table for a simple HTML table (no spans, rows of equal length), else None."""
    parser = _HtmlTable()
    parser.feed(html)
    rows = [r for r in parser.rows if r[1]]
    if not rows or parser.spans or len({len(cells) for _, cells in rows}) != 1:
        return None
    ncols = len(rows[0][1])
    table = nodes.table(classes=["colwidths-auto"])
    group = nodes.tgroup(cols=ncols)
    table += group
    for _ in range(ncols):
        group += nodes.colspec(colwidth=1)
    head, body = nodes.thead(), nodes.tbody()
    for is_header, cells in rows:
        row = nodes.row()
        for text in cells:
            entry = nodes.entry()
            entry += nodes.paragraph(text=text)
            row += entry
        (head if is_header else body).append(row)
    if len(head):
        group += head
    group += body
    return table


class LatexCellOutputs(SphinxPostTransform):
    """Before MyST-NB's SelectMimeType (priority 4): drop widgets, turn HTML tables into tables."""

    default_priority = 3
    formats = ("latex",)

    def run(self, **kwargs) -> None:
        bundles = [n for n in self.document.findall(nodes.container) if n.attributes.get("nb_element") == "mime_bundle"]
        for bundle in bundles:
            mime_types = [child.get("mime_type") for child in bundle.children]
            if WIDGET_VIEW in mime_types:
                bundle.parent.remove(bundle)
            elif "text/html" in mime_types and "text/latex" not in mime_types:
                html = bundle.children[mime_types.index("text/html")].astext()
                table = html_table_node(html) if "<table" in html else None
                if table is not None:
                    bundle.replace_self(table)


# ---------------------------------------------------------------------------------------------
# The book's structure
# ---------------------------------------------------------------------------------------------
def first_chapter_of_each_part() -> dict[str, str]:
    """docname of a part's first chapter -> the part's caption, from _toc.yml (the 参考 part excluded)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    firsts = {}
    for part in toc.get("parts", []):
        chapters = part.get("chapters") or []
        if chapters and part.get("numbered", False):
            firsts[chapters[0]["file"]] = part["caption"]
    return firsts


def _raw(tex: str) -> nodes.raw:
    return nodes.raw("", tex + "\n", format="latex")


# \\appendix letters \\thechapter, but ctexheading's chapter number and Sphinx's figure, table and equation
# numbers (sphinxlatexnumfig.sty) print the chapter with \\arabic: letter them too, and drop 第…章, so that
# the heading reads "A  附录 数学基础" and the equations (A.1.1), as on the web.
_APPENDIX_NUMBER = r"\ifnum\value{chapter}>0 \Alph{chapter}.\fi\ifnum\value{section}>0 \arabic{section}.\fi"
APPENDIX = "\n".join(
    [
        r"\appendix",
        r"\ctexset{chapter/name={,}, chapter/number=\Alph{chapter}}",
        rf"\renewcommand{{\theequation}}{{{_APPENDIX_NUMBER}\arabic{{equation}}}}",
        rf"\renewcommand{{\thefigure}}{{{_APPENDIX_NUMBER}\arabic{{figure}}}}",
        rf"\renewcommand{{\thetable}}{{{_APPENDIX_NUMBER}\arabic{{table}}}}",
    ]
)


def structure_the_book(app, doctree, docname) -> None:
    if app.builder.name != "latex" or docname != app.config.root_doc:
        return
    parts = first_chapter_of_each_part()
    started_main = False
    started_appendix = False
    for start in list(doctree.findall(addnodes.start_of_file)):
        name = start.get("docname", "")
        if name == "references":
            start.parent.remove(start)
            continue
        prefix = prefix_for(name)
        if prefix is None or len(prefix) != 1:
            continue
        letter = isinstance(prefix[0], str)
        if letter and not (len(prefix[0]) == 1 and "A" <= prefix[0] <= "Z"):
            continue
        before = []
        if not started_main:
            before.append(_raw("\\mainmatter"))
            started_main = True
        if name in parts:
            # xeCJK drops a space between two Chinese characters: 第二部分 线性模型 needs a \quad
            before.append(_raw(f"\\part{{{parts[name].replace(' ', chr(92) + 'quad ')}}}"))
        if letter and not started_appendix:
            # appendix chapters (folder A_math) are lettered: 附录 A, equations (A.1.1), as on the web
            before.append(_raw(APPENDIX))
            started_appendix = True
        number = ord(prefix[0]) - ord("A") + 1 if letter else prefix[0]
        before.append(_raw(f"\\setcounter{{chapter}}{{{number - 1}}}"))
        parent = start.parent
        index = parent.index(start)
        for offset, node in enumerate(before):
            parent.insert(index + offset, node)
    doctree.insert(0, _raw("\\frontmatter"))


def setup(app):
    app.add_post_transform(LatexCellOutputs)
    app.connect("doctree-resolved", structure_the_book)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
