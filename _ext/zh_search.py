"""Sphinx extension: Chinese full-text search.

Sphinx's Chinese search splitter cuts text into words with jieba when jieba is installed (it is pinned
in requirements.txt); without it the search index holds no Chinese word at all. The search box matches
whole index terms, so the machine-learning vocabulary of the book must come out of jieba as words:
``_ext/search_words.txt`` is a user dictionary of such terms (``word frequency`` per line), loaded
through Sphinx's ``html_search_options['dict']``. jieba's search mode also indexes the shorter words
inside a term (梯度下降 -> 梯度, 下降, 梯度下降), so both the long and the short query find the page.
tests/test_book.py checks that the built index holds 注意力, 卷积, 梯度 and friends.
"""

from __future__ import annotations

import logging
import pathlib

DICTIONARY = pathlib.Path(__file__).resolve().with_name("search_words.txt")


def configure(app, config) -> None:
    if not str(config.language or "").startswith("zh"):
        return
    try:
        import jieba
    except ImportError:  # Sphinx then indexes no Chinese words; the -W build says so
        from sphinx.util import logging as sphinx_logging

        sphinx_logging.getLogger(__name__).warning("jieba is not installed: the search index has no Chinese words")
        return
    jieba.setLogLevel(logging.WARNING)  # its "Building prefix dict ..." messages go to stderr otherwise
    options = dict(config.html_search_options or {})
    options.setdefault("dict", str(DICTIONARY))
    config.html_search_options = options


def setup(app):
    app.connect("config-inited", configure)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
