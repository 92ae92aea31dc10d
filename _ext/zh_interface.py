"""Sphinx extension: the theme's interface in Chinese, and the whole-book PDF in the download menu.

sphinx-book-theme, pydata-sphinx-theme and Sphinx translate most of their interface into zh_CN, but not
all of it ("Repository", "Open issue", "Launch interactive content", "Search this book...", several
tooltips), one translation is the Taiwanese wording (列印成 PDF), and the "open issue" link fills GitHub's
form with an English title and body. ``TRANSLATIONS`` is put in front of the catalogs those packages load,
so ``_()`` and their ``translation()`` helpers return it; the issue link and the search box are rewritten
per page.

The download menu's ".pdf" entry is the browser's print dialogue. When the book's PDF has been built
(``python tools/build_pdf.py`` writes ``_build/latex/book.pdf``, which the publishing workflow does before
the HTML), the HTML build copies it into the site as ``book.pdf`` and the menu gets a "全书 PDF" entry.
"""

from __future__ import annotations

import gettext
import pathlib
import shutil
import urllib.parse

# msgid -> the Chinese the book shows. Catalog names: sphinx (Sphinx and every template's _()),
# booktheme (sphinx-book-theme), pydata_sphinx_theme.
TRANSLATIONS = {
    "Repository": "代码仓库",
    "Source repository": "代码仓库",
    "Source repositories": "代码仓库",
    "Open issue": "报告问题",
    "Open an issue": "报告问题",
    "Launch interactive content": "在线运行本页",
    "Launch on": "运行于",
    "Print to PDF": "打印本页",
    "Download this page": "下载本页",
    "Download source file": "下载源文件",
    "Download notebook file": "下载 notebook",
    "Fullscreen mode": "全屏",
    "Color mode": "配色",
    "System Settings": "跟随系统",
    "Light": "浅色",
    "Dark": "深色",
    "Link to this heading": "链接到本标题",
    "Link to this equation": "链接到本公式",
    "Link to this image": "链接到本图",
    "Link to this table": "链接到本表",
    "Link to this code": "链接到本代码",
    "Link to this definition": "链接到本定义",
    "Toggle primary sidebar": "显示或隐藏目录",
    "Toggle secondary sidebar": "显示或隐藏本页目录",
    "Skip to main content": "跳到正文",
    "Back to top": "回到顶部",
    "Search": "搜索",
    "Contents": "本页目录",
}
SEARCH_BAR_TEXT = "搜索本书……"
ISSUE_TITLE = "关于 {page} 的问题"
ISSUE_BODY = "页面：{page}\n\n问题描述（哪一段、哪个公式或哪段代码，错在哪里，应该是什么）：\n"
PDF_NAME = "book.pdf"
CATALOGS = ("sphinx", "booktheme", "pydata_sphinx_theme")
TEMPLATES = pathlib.Path(__file__).resolve().with_name("templates")


class _BookTranslations(gettext.NullTranslations):
    """Looks in TRANSLATIONS first, then in the catalog it was put in front of."""

    def __init__(self, fallback):
        super().__init__()
        if fallback is not None:
            self.add_fallback(fallback)

    def gettext(self, message):
        if message in TRANSLATIONS:
            return TRANSLATIONS[message]
        return self._fallback.gettext(message) if self._fallback else message

    def ngettext(self, singular, plural, n):
        if self._fallback:
            return self._fallback.ngettext(singular, plural, n)
        return singular if n == 1 else plural


def install_translations(app) -> None:
    if not str(app.config.language or "").startswith("zh"):
        return
    from sphinx import locale

    for key, translator in list(locale.translators.items()):
        if key[1] in CATALOGS and not isinstance(translator, _BookTranslations):
            locale.translators[key] = _BookTranslations(translator)
    # The HTML templates' _() is bound to the translator object of the 'sphinx' catalog.
    templates = getattr(app.builder, "templates", None)
    environment = getattr(templates, "environment", None)
    if environment is not None:
        environment.install_gettext_translations(locale.translators[("general", "sphinx")], newstyle=True)


def set_search_text(app, config) -> None:
    # sphinx-book-theme's two sidebar toggles have their tooltips typed in English in the template;
    # _ext/templates/ holds copies that pass them through _(); the themes look their components up in
    # templates_path, so it goes first.
    config.templates_path = [str(TEMPLATES), *list(config.templates_path or [])]
    options = dict(config.html_theme_options or {})
    options["search_bar_text"] = SEARCH_BAR_TEXT
    config.html_theme_options = options


def _pdf_source(app) -> pathlib.Path:
    return pathlib.Path(app.outdir).parent / "latex" / PDF_NAME


def _walk_buttons(buttons):
    for button in buttons:
        yield button
        yield from _walk_buttons(button.get("buttons", []))


def rewrite_buttons(app, pagename, templatename, context, doctree) -> None:
    buttons = context.get("header_buttons") or []
    for button in _walk_buttons(buttons):
        if button.get("label") == "source-issues-button":
            base = button["url"].split("?", 1)[0]
            page = f"/{pagename}.html"
            query = urllib.parse.urlencode(
                {"title": ISSUE_TITLE.format(page=page), "body": ISSUE_BODY.format(page=page)},
                quote_via=urllib.parse.quote,
            )
            button["url"] = f"{base}?{query}"
        if button.get("label") == "download-buttons" and _pdf_source(app).exists():
            button["buttons"].append(
                {
                    "type": "link",
                    "url": context["pathto"](PDF_NAME, 1),
                    "text": "全书 PDF",
                    "tooltip": "下载全书的 PDF",
                    "icon": "fas fa-book",
                    "label": "download-book-pdf-button",
                }
            )


def copy_pdf(app, exception) -> None:
    if exception is None and app.builder.format == "html" and _pdf_source(app).exists():
        shutil.copyfile(_pdf_source(app), pathlib.Path(app.outdir) / PDF_NAME)


def setup(app):
    app.connect("config-inited", set_search_text)
    app.connect("builder-inited", install_translations, priority=900)
    # after sphinx-book-theme has added its header buttons (priority 501)
    app.connect("html-page-context", rewrite_buttons, priority=900)
    app.connect("build-finished", copy_pdf)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
