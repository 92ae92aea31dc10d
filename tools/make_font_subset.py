"""Make the CJK font that ships inside ``lib`` (``lib/fonts/``).

Why: matplotlib needs a font with Chinese glyphs for plot labels. The system may have none (CI, Colab),
and we may ship only a free font. Noto Sans CJK SC is under the SIL Open Font License 1.1, which allows
subsetting and redistribution under a new name. A subset keeps the wheel and the repository small.

What goes in: all 6,763 hanzi of GB 2312 (covers everyday simplified Chinese), every character that
appears in the book's sources (chapters/, lib/, intro.md, ...), CJK and full-width punctuation, Latin,
Greek and the maths symbols Noto has. Whatever else is missing falls back to DejaVu Sans (lib.plot sets
the fallback), except inside strings that mix text with $...$ mathtext, which have no fallback: that is
why Greek and maths symbols are kept here too.

How to re-make it (needed only when a page uses a character outside GB 2312; tests/test_plot.py
tells you when)::

    apt-get install fonts-noto-cjk        # Debian/Ubuntu: provides NotoSansCJK-Regular.ttc
    pip install fonttools
    python tools/make_font_subset.py      # writes lib/fonts/BookSansSC-Regular.otf
"""

from __future__ import annotations

import argparse
import pathlib

from fontTools import subset
from fontTools.ttLib import TTCollection

ROOT = pathlib.Path(__file__).resolve().parents[1]
SOURCE = pathlib.Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
TARGET = ROOT / "lib" / "fonts" / "BookSansSC-Regular.otf"
FAMILY = "Book Sans SC"  # renamed, as the OFL asks of modified versions
TEXT_GLOBS = ["chapters/**/*.md", "lib/**/*.py", "*.md", "*.yml", "benchmarks/**/*.py"]


def gb2312_hanzi() -> set[str]:
    """The 6,763 hanzi of GB 2312 (rows 16-87 of the 94x94 code table)."""
    chars = set()
    for row in range(0xB0, 0xF8):
        for col in range(0xA1, 0xFF):
            try:
                chars.add(bytes([row, col]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return chars


def book_characters() -> set[str]:
    chars: set[str] = set()
    for pattern in TEXT_GLOBS:
        for path in ROOT.glob(pattern):
            chars |= set(path.read_text(encoding="utf-8"))
    return chars


def wanted_codepoints() -> list[int]:
    ranges = [
        (0x0020, 0x007E),  # ASCII
        (0x00A0, 0x00FF),  # Latin-1
        (0x0370, 0x03FF),  # Greek
        (0x2070, 0x209F),  # super- and subscripts
        (0x2100, 0x214F),  # letterlike symbols
        (0x2190, 0x21FF),  # arrows
        (0x2200, 0x22FF),  # mathematical operators
        (0x25A0, 0x25FF),  # geometric shapes
        (0x2000, 0x206F),  # general punctuation (— ‘ ’ “ ” …)
        (0x3000, 0x303F),  # CJK symbols and punctuation (、。《》「」)
        (0xFF00, 0xFFEF),  # full-width forms (，：；（）)
    ]
    cps = {cp for lo, hi in ranges for cp in range(lo, hi + 1)}
    cps |= {ord(c) for c in gb2312_hanzi() | book_characters()}
    return sorted(cps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=pathlib.Path, default=SOURCE)
    parser.add_argument("--target", type=pathlib.Path, default=TARGET)
    args = parser.parse_args()

    collection = TTCollection(str(args.source))
    font = next(f for f in collection.fonts if "Noto Sans CJK SC" in f["name"].getDebugName(1))

    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.hinting = False
    options.desubroutinize = False
    subsetter = subset.Subsetter(options)
    available = set(font.getBestCmap())
    subsetter.populate(unicodes=[cp for cp in wanted_codepoints() if cp in available])
    subsetter.subset(font)

    names = font["name"]
    for record in list(names.names):
        if record.nameID in (1, 16):
            names.setName(FAMILY, record.nameID, record.platformID, record.platEncID, record.langID)
        elif record.nameID == 4:
            names.setName(f"{FAMILY} Regular", 4, record.platformID, record.platEncID, record.langID)
        elif record.nameID == 6:
            names.setName("BookSansSC-Regular", 6, record.platformID, record.platEncID, record.langID)
        elif record.nameID in (3,):
            names.setName(
                "BookSansSC-Regular;subset of Noto Sans CJK SC", 3, record.platformID, record.platEncID, record.langID
            )
    args.target.parent.mkdir(parents=True, exist_ok=True)
    font.save(str(args.target))
    glyphs = len(font.getGlyphOrder())
    print(f"wrote {args.target.relative_to(ROOT)}: {glyphs} glyphs, {args.target.stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
