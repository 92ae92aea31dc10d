"""Sphinx extension: every page reads the same with no network.

MathJax, RequireJS and the widget manager are served from ``_static/vendor/`` (copied there from pinned npm
packages by ``tools/vendor_web.py``); ``_config.yml`` points ``mathjax_path`` and ``nb_ipywidgets_js`` at
them. This extension does the two things configuration alone cannot:

* Jupyter Book adds *every* ``.js`` and ``.css`` file under ``_static/`` to *every* page. The vendored
  files must be loaded only where Sphinx and MyST-NB ask for them (MathJax on pages with maths, the widget
  manager on pages with widgets), so they are taken out of ``html_js_files``/``html_css_files`` again.
* pydata-sphinx-theme needs a default colour mode (else a console error on every page), and the site
  gets a favicon (else browsers ask for /favicon.ico and get a 404).
* Some extensions register the same inline script twice (sphinx-thebe's ``const THEBE_JS_URL = …``, which
  is a console error on every page, and sphinx-togglebutton's selector): repeated scripts and style sheets
  are dropped from each page.
* ``_static/book.js`` (RequireJS paths for the widget manager, a MathJax 2 shim it needs) must run before
  the per-page scripts, so it is added with an early priority instead.
"""

from __future__ import annotations

VENDOR_PREFIX = "vendor/"
# _static/book.js configures RequireJS, so it must run before the per-page require.js (priority 500)
EARLY_SCRIPTS = {"book.js": 200}


def _name(entry) -> str:
    # html_js_files entries are a filename or (filename, attributes)
    return entry[0] if isinstance(entry, (tuple, list)) else str(entry)


def drop_vendored_from_every_page(app, config) -> None:
    for key in ("html_js_files", "html_css_files"):
        files = getattr(config, key, None) or []
        setattr(
            config,
            key,
            [f for f in files if not _name(f).startswith(VENDOR_PREFIX) and _name(f) not in EARLY_SCRIPTS],
        )


def _key(asset):
    # sphinx.builders.html._assets._JavaScript / _CascadingStyleSheet (Sphinx 7.4) or plain strings
    filename = getattr(asset, "filename", None) or None  # an inline script has None or ""
    attributes = getattr(asset, "attributes", None) or {}
    if filename is None and not attributes:
        return str(asset)
    return (filename, tuple(sorted((k, str(v)) for k, v in attributes.items())))


def _dedupe(assets: list) -> list:
    seen, kept = set(), []
    for asset in assets:
        key = _key(asset)
        if key not in seen:
            seen.add(key)
            kept.append(asset)
    return kept


def dedupe_page_assets(app, pagename, templatename, context, doctree) -> None:
    for key in ("script_files", "css_files"):
        if key in context:
            context[key] = _dedupe(context[key])


def set_theme_mode(app, config) -> None:
    # pydata-sphinx-theme reads the colour mode from html_context["default_mode"]; left empty, every page
    # logs "Got invalid theme mode: . Resetting to auto." as a console error.
    context = dict(config.html_context or {})
    context.setdefault("default_mode", "auto")
    config.html_context = context


def setup(app):
    app.connect("config-inited", drop_vendored_from_every_page, priority=900)
    app.connect("config-inited", set_theme_mode)
    for script, priority in EARLY_SCRIPTS.items():
        app.add_js_file(script, priority=priority)
    app.connect("html-page-context", dedupe_page_assets, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
