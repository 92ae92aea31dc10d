"""Sphinx extension: readable, stable anchors for Chinese headings.

docutils makes a heading's HTML id from its title with everything outside ASCII removed; a Chinese title
leaves nothing, so the section gets a running number (``#id9``) that changes whenever a heading is added
above it. This transform gives every such section an id made from its own title instead:

    ## 正规方程的推导        ->  #正规方程的推导
    ## $k$ 折交叉验证        ->  #k-折交叉验证
    ## 练习                  ->  #练习   (a second 练习 on the same page: #练习-1)

The id changes only when the heading's text changes. A section that also carries an explicit label
(``(sec-normal-equation)=`` above the heading) is addressed by that label: it is put first, so the
permalink and the table of contents use it. Links into a page keep working through the old number too
only where something still refers to it (nothing does after this transform: it runs before Sphinx
collects the table of contents and the labels).
"""

from __future__ import annotations

import re

from docutils import nodes
from sphinx.transforms import SphinxTransform

AUTO_ID = re.compile(r"^id\d+$")


def slugify(text: str) -> str:
    """Lower-case words (any script) joined by '-', punctuation dropped."""
    words = re.findall(r"[\w]+", text.lower())
    return "-".join(words).strip("-_")


class ReadableSectionIds(SphinxTransform):
    default_priority = 500  # after docutils' PropagateTargets (260), before the doctree-read collectors

    def apply(self, **kwargs) -> None:
        document = self.document
        for section in document.findall(nodes.section):
            ids = section["ids"]
            auto = [i for i in ids if AUTO_ID.match(i)]
            if not auto or not section.children or not isinstance(section[0], nodes.title):
                continue
            base = slugify(section[0].astext())
            if not base:
                continue
            slug, n = base, 0
            while slug in document.ids:
                n += 1
                slug = f"{base}-{n}"
            explicit = [i for i in ids if not AUTO_ID.match(i)]
            for old in auto:
                if document.ids.get(old) is section:
                    del document.ids[old]
            section["ids"] = [*explicit, slug]
            document.ids[slug] = section


def setup(app):
    app.add_transform(ReadableSectionIds)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
