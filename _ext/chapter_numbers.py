"""Sphinx extension: section numbers follow the book's plan, not the order of the toc.

Sphinx numbers chapters by their position in the toctree. This book is written in pieces: chapter 4 may
exist while chapters 1-3 do not yet, and it must still read "第 4 章", "4.1", and number its equations
(4.1.1), (4.1.2), ... The number of every page is already in its path:

    chapters/04_linear_regression/index.md               -> 4
    chapters/04_linear_regression/02_normal_equation.md  -> 4.2
    chapters/A_math/01_matrix_calculus.md                -> A.1

After Sphinx has assigned its positional numbers, this extension rewrites their leading components with
the ones from the path, before figure and equation numbers are derived from them (so that
`math_numfig` numbers equations per section, as (4.2.1)).
"""

from __future__ import annotations

import re

from sphinx.environment.collectors.toctree import TocTreeCollector

PATH_RE = re.compile(r"^chapters/(?P<chapter>\d\d|[A-Z])_[^/]+/(?:index|(?P<section>\d\d)_[^/]+)$")


def prefix_for(docname: str) -> tuple | None:
    """The book number of a page from its path, e.g. (4, 2); None for pages outside chapters/."""
    match = PATH_RE.match(docname)
    if not match:
        return None
    chapter = match["chapter"]
    head: tuple = (int(chapter),) if chapter.isdigit() else (chapter,)
    if match["section"] is not None:
        head += (int(match["section"]),)
    return head


def _renumber(number, prefix):
    if not number:
        return number
    return (*prefix, *tuple(number)[len(prefix) :])


def _renumber_toc_nodes(node, prefix) -> None:
    # the reference nodes in a page's local toc carry 'secnumber' lists, used by the navigation
    for ref in node.findall(lambda n: "secnumber" in getattr(n, "attributes", {})):
        if ref["secnumber"]:
            ref["secnumber"] = list(_renumber(ref["secnumber"], prefix))


def renumber(env) -> None:
    for docname, secnums in env.toc_secnumbers.items():
        prefix = prefix_for(docname)
        if prefix is None:
            continue
        for anchor, number in list(secnums.items()):
            secnums[anchor] = _renumber(number, prefix)
        if docname in env.tocs:
            _renumber_toc_nodes(env.tocs[docname], prefix)
        title = env.titles.get(docname)
        if title is not None and title.get("secnumber"):
            title["secnumber"] = list(_renumber(title["secnumber"], prefix))


def _all_collector_classes(cls=TocTreeCollector):
    yield cls
    for sub in cls.__subclasses__():
        yield from _all_collector_classes(sub)


def _wrap_section_numbering(app) -> None:
    # Two extensions of Jupyter Book renumber sections too: sphinx_multitoc_numbering replaces
    # TocTreeCollector.assign_section_numbers in its setup(), and sphinx_external_toc registers a subclass
    # (TocTreeCollectorWithStyles) that renumbers after calling the base method. Wrapping every class's
    # method at builder-inited (after all setup()s) applies the book numbers last, whichever runs.
    # renumber() replaces leading components, so applying it more than once is harmless.
    for cls in _all_collector_classes():
        original = cls.__dict__.get("assign_section_numbers")
        if original is None or getattr(original, "_book_numbers", False):
            continue

        def assign_section_numbers(self, env, _original=original):
            rewrite_needed = _original(self, env)
            renumber(env)
            return rewrite_needed

        assign_section_numbers._book_numbers = True
        cls.assign_section_numbers = assign_section_numbers


def setup(app):
    # Sphinx calls assign_section_numbers and then assign_figure_numbers (which reads toc_secnumbers);
    # wrapping the first makes the second, and every writer, see the book's numbers.
    app.connect("builder-inited", _wrap_section_numbering, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
