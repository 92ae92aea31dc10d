"""Sphinx extension: the Chinese web font of the HTML book, made at build time from lib's font.

A reader's machine may have no Chinese font at all (then every heading and paragraph is empty boxes), and
the pages must not fetch one from the network. The book already ships an OFL font with every character it
uses: ``lib/fonts/BookSansSC-Regular.otf`` (a subset of Noto Sans CJK SC made by tools/make_font_subset.py;
matplotlib draws the figures with it). When the HTML build has finished, this extension

1. collects every character of the pages (all ``.html`` files, including the escaped non-ASCII characters
   in the JSON they embed, the search index and the translated interface strings of the search page) that
   lies in ``UNICODE_RANGE``, the CJK ranges that ``_static/book.css`` assigns to the font with
   ``unicode-range``;
2. subsets lib's font to exactly those characters and writes it as WOFF2 (Brotli-compressed) to
   ``_static/fonts/BookSansSC-web.woff2`` in the output, next to a JSON list of the characters it covers.

``_static/book.css`` declares it with ``@font-face`` and puts it first in the theme's font stacks, so CJK
text is drawn with it on every machine while Latin letters, digits and code keep the theme's fonts. The
font is a modified version of an OFL font under a new name (Book Sans SC), as the OFL asks; the licence
is copied beside it. The subset is rebuilt only when the set of characters changes.
"""

from __future__ import annotations

import hashlib
import json
import pathlib
import re
import shutil

ROOT = pathlib.Path(__file__).resolve().parents[1]
SOURCE_FONT = ROOT / "lib" / "fonts" / "BookSansSC-Regular.otf"
LICENCE = ROOT / "lib" / "fonts" / "OFL.txt"
TARGET = pathlib.Path("_static") / "fonts" / "BookSansSC-web.woff2"
JSON_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")

# Must equal the unicode-range of the @font-face rule in _static/book.css (tests/test_web_assets.py checks).
UNICODE_RANGE = [
    (0x00B7, 0x00B7),  # middle dot ·
    (0x2014, 0x2014),  # em dash — (Chinese dash ——)
    (0x2018, 0x2019),  # ‘ ’
    (0x201C, 0x201D),  # “ ”
    (0x2026, 0x2026),  # …
    (0x2E80, 0x9FFF),  # CJK radicals, symbols and punctuation (、。《》「」), kana, CJK unified ideographs
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFE30, 0xFE4F),  # CJK compatibility forms
    (0xFF00, 0xFFEF),  # full-width forms (，：；（）)
]


def in_range(char: str) -> bool:
    cp = ord(char)
    return any(lo <= cp <= hi for lo, hi in UNICODE_RANGE)


def css_unicode_range() -> str:
    return ", ".join(f"U+{lo:04X}" if lo == hi else f"U+{lo:04X}-{hi:04X}" for lo, hi in UNICODE_RANGE)


def page_characters(outdir: pathlib.Path) -> set[str]:
    """Every character in UNICODE_RANGE that the built site can show."""
    files = list(outdir.rglob("*.html")) + [outdir / "searchindex.js", outdir / "_static" / "translations.js"]
    chars: set[str] = set()
    for path in files:
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="ignore")
            chars |= set(text)
            # JSON inside the pages (the saved widget state: slider labels, output text) escapes non-ASCII
            chars |= {chr(int(code, 16)) for code in set(JSON_ESCAPE.findall(text))}
    return {c for c in chars if in_range(c)}


def make_woff2(chars: set[str], target: pathlib.Path) -> set[str]:
    """Subset lib's font to `chars`, write WOFF2; returns the characters the font lacks."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(str(SOURCE_FONT))
    cmap = font.getBestCmap()
    wanted = {ord(c) for c in chars}
    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]  # vertical forms, full-width punctuation alternates
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.hinting = False
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(wanted & set(cmap)))
    subsetter.subset(font)
    target.parent.mkdir(parents=True, exist_ok=True)
    font.flavor = "woff2"
    font.save(str(target))
    return {chr(cp) for cp in wanted - set(cmap)}


def build_web_font(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    from sphinx.util import logging

    logger = logging.getLogger(__name__)
    outdir = pathlib.Path(app.outdir)
    target = outdir / TARGET
    manifest = target.with_suffix(".json")
    chars = page_characters(outdir)
    text = "".join(sorted(chars))
    digest = hashlib.sha256((text + SOURCE_FONT.name).encode() + SOURCE_FONT.read_bytes()).hexdigest()
    if target.exists() and manifest.exists():
        if json.loads(manifest.read_text(encoding="utf-8")).get("sha256") == digest:
            return
    missing = make_woff2(chars, target)
    shutil.copyfile(LICENCE, target.parent / "OFL.txt")
    manifest.write_text(json.dumps({"sha256": digest, "characters": text}, ensure_ascii=False) + "\n", encoding="utf-8")
    if missing:
        # lib's font lacks a character a page uses: re-make it (tools/make_font_subset.py keeps every
        # character of the sources), or the reader sees a fallback glyph.
        logger.warning(
            "web font: lib/fonts/BookSansSC-Regular.otf has no glyph for %s; run tools/make_font_subset.py",
            " ".join(f"{c} (U+{ord(c):04X})" for c in sorted(missing)),
        )
    logger.info(f"web font: {len(chars)} characters, {target.stat().st_size / 1e3:.0f} kB -> {TARGET}")


def setup(app):
    app.connect("build-finished", build_web_font)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
