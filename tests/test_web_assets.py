"""The files the built pages serve from the book's own site (no CDN): vendored JavaScript and the web font.

The vendored files are copied unchanged from pinned npm packages by tools/vendor_web.py, which records
their SHA-256 sums; the configuration must point at them; the @font-face rule and the web-font builder
must agree on which characters the Chinese font draws.
"""

from __future__ import annotations

import hashlib
import json
import pathlib
import re
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
VENDOR = ROOT / "_static" / "vendor"
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
sys.path.insert(0, str(ROOT / "_ext"))
sys.path.insert(0, str(ROOT / "tools"))

import vendor_web  # noqa: E402
import webfont  # noqa: E402


def test_vendored_files_are_the_recorded_npm_files():
    record = json.loads((VENDOR / "VERSIONS.json").read_text(encoding="utf-8"))
    assert {name: p["npm"] for name, p in record["packages"].items()} == {
        name: spec for name, (spec, _, _) in vendor_web.PACKAGES.items()
    }, "VERSIONS.json is stale: run python tools/vendor_web.py"
    on_disk = {str(p.relative_to(VENDOR)) for p in VENDOR.rglob("*") if p.is_file()} - {"VERSIONS.json"}
    assert on_disk == set(record["sha256"]), "files in _static/vendor differ from VERSIONS.json"
    for name, digest in record["sha256"].items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, f"{name} was modified"
    for licence in ["mathjax/LICENSE", "requirejs/LICENSE", "html-manager/LICENSE"]:
        assert (VENDOR / licence).stat().st_size > 500


def test_configuration_points_at_the_vendored_files():
    config = CONFIG["sphinx"]["config"]
    assert (ROOT / "_static" / config["mathjax_path"]).is_file()
    widget_js = list(config["nb_ipywidgets_js"])
    assert widget_js == ["vendor/requirejs/require.js", "vendor/html-manager/embed-amd.js"]
    assert all((ROOT / "_static" / path).is_file() for path in widget_js)
    # the html-manager major version must speak the widget protocol of the pinned ipywidgets (8.x -> 1.x)
    requirements = (ROOT / "requirements.txt").read_text(encoding="utf-8")
    assert re.search(r"^ipywidgets==8\.", requirements, re.M)
    assert vendor_web.PACKAGES["html-manager"][0].startswith("@jupyter-widgets/html-manager@1.")


def test_font_face_unicode_range_matches_the_web_font_builder():
    css = (ROOT / "_static" / "book.css").read_text(encoding="utf-8")
    declared = re.search(r"unicode-range:\s*([^;]+);", css).group(1).strip()
    assert declared == webfont.css_unicode_range()
    assert 'url("fonts/BookSansSC-web.woff2")' in css and str(webfont.TARGET) == "_static/fonts/BookSansSC-web.woff2"
    for char in "中文，。“”…——《》（）：":
        assert webfont.in_range(char), char
    for char in "Aa1 $\\(":
        assert not webfont.in_range(char), char


def test_web_font_subset_of_a_page(tmp_path):
    """The builder keeps exactly the CJK characters of the pages, as WOFF2."""
    from fontTools.ttLib import TTFont

    site = tmp_path / "html"
    (site / "_static").mkdir(parents=True)
    (site / "index.html").write_text('<p>梯度下降 gradient，“注意力”</p><script>{"a": "\\u5377\\u79ef"}</script>')
    chars = webfont.page_characters(site)
    assert chars == set("梯度下降，“”注意力卷积")
    target = site / webfont.TARGET
    missing = webfont.make_woff2(chars, target)
    assert not missing
    font = TTFont(str(target))
    assert font.flavor == "woff2"
    assert {chr(cp) for cp in font.getBestCmap()} == chars
