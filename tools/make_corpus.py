"""Snapshot the text corpora that the text-representation chapter uses into lib/corpora/ (package data).

* ``zh_book.txt``: the Chinese prose of this book's own chapter pages (``chapters/*/*.md``, the text-representation
  chapter itself excluded), with YAML front matter, code cells, fenced blocks, display and inline maths, MyST
  directive lines and their options, roles, labels, links and Markdown markup removed, split into sentences and
  segmented into words with jieba (its default dictionary, HMM off, so the result depends only on jieba's version).
  One sentence per line, words separated by single spaces; Latin words lower-cased; punctuation and numbers dropped.
* ``en_templates.txt``: a small English corpus written for this book: a few hundred sentences generated from
  templates (royalty, age and gender of people, food and drink, animals, places), with a fixed seed.

Both are deterministic: running this script twice gives identical files. Usage::

    python tools/make_corpus.py            # writes lib/corpora/*.txt
    python tools/make_corpus.py --check    # exits 1 if the files on disk differ from a fresh snapshot
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "lib" / "corpora"
EXCLUDE = ("19_text_representation",)
MAX_BYTES = 1_200_000  # keep the package small: stop adding sentences past this size

# ---------------------------------------------------------------------------------------------
# Chinese: the book's own prose
# ---------------------------------------------------------------------------------------------
_FENCE = re.compile(r"^(`{3,}|~{3,})")
_DIRECTIVE = re.compile(r"^\s*:{3,}")
_OPTION = re.compile(r"^\s*:[\w-]+:")
_LABEL = re.compile(r"^\s*\([\w-]+\)=\s*$")
_ROLE = re.compile(r"\{[\w:-]+\}`([^`<]*)(<[^`]*>)?`")
_INLINE_CODE = re.compile(r"`[^`]*`")
_INLINE_MATH = re.compile(r"\$[^$]*\$")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_HTML = re.compile(r"<[^>]+>")
_SENTENCE_END = re.compile(r"[。！？；!?;\n]+")
_WORD = re.compile(r"^[\u4e00-\u9fff]+$|^[A-Za-z]+$")


def prose_lines(text: str) -> list[str]:
    """The prose paragraphs of one MyST page: everything that is not code, maths or markup."""
    lines = text.splitlines()
    if lines and lines[0].strip() == "---":  # YAML front matter
        end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), 0)
        lines = lines[end + 1 :]
    out, in_fence, in_math = [], None, False
    for line in lines:
        stripped = line.strip()
        if in_fence is not None:
            if stripped.startswith(in_fence):
                in_fence = None
            continue
        m = _FENCE.match(stripped)
        if m:
            in_fence = m.group(1)
            continue
        if stripped.startswith("$$"):
            # a display formula: "$$ ... $$ (label)" on one line, or a block up to the closing $$
            if not (stripped.count("$$") >= 2):
                in_math = not in_math
            continue
        if in_math:
            continue
        if _DIRECTIVE.match(line) or _OPTION.match(line) or _LABEL.match(line) or stripped.startswith("|"):
            continue
        # a role keeps its visible title ({doc}`标题 <target>`); a bare target (a label, a citation key) is dropped
        line = _ROLE.sub(lambda m: m.group(1) if m.group(2) else " ", line)
        line = _INLINE_MATH.sub(" ", _INLINE_CODE.sub(" ", line))
        line = _HTML.sub(" ", _LINK.sub(lambda m: m.group(1), line))
        line = line.lstrip("#>-*+ 0123456789.")
        out.append(line.replace("*", ""))
    return out


def chinese_sentences() -> list[str]:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    sentences, seen, size = [], set(), 0
    for path in sorted((ROOT / "chapters").glob("*/*.md")):
        if any(ex in str(path) for ex in EXCLUDE):
            continue
        text = "\n".join(prose_lines(path.read_text(encoding="utf-8")))
        for raw in _SENTENCE_END.split(text):
            words = [w.lower() for w in jieba.lcut(raw, HMM=False) if _WORD.match(w)]
            if len(words) < 4 or not any("\u4e00" <= w[0] <= "\u9fff" for w in words):
                continue
            line = " ".join(words)
            if line in seen:
                continue
            seen.add(line)
            size += len(line.encode("utf-8")) + 1
            if size > MAX_BYTES:
                return sentences
            sentences.append(line)
    return sentences


# ---------------------------------------------------------------------------------------------
# English: template sentences written for this book
# ---------------------------------------------------------------------------------------------
_PEOPLE = [("king", "queen"), ("man", "woman"), ("prince", "princess"), ("boy", "girl"), ("father", "mother"),
           ("brother", "sister"), ("husband", "wife"), ("son", "daughter")]  # fmt: skip
_ROYAL = {"king", "queen", "prince", "princess"}
_YOUNG = {"prince", "princess", "boy", "girl", "brother", "sister", "son", "daughter"}
# every person gets gendered templates ({pron}, {pos}); royals get royal ones, the young get young ones,
# adults get adult ones: the analogies king - man + woman = queen and prince - boy + girl = princess follow
_PERSON = [
    "the {p} walked to the {place} with {pos} {rel}",
    "the {p} said that {pron} was tired",
    "{pron} is the {p} who lives near the {place}",
    "the {p} drank {drink} in the morning",
    "the {p} ate {food} for dinner",
    "the {p} saw a {animal} near the {place}",
]
_ROYAL_T = [
    "the {p} lived in the palace of the kingdom",
    "the {p} wore a golden crown at the palace",
    "the people of the kingdom loved the {p}",
]
_ROYAL_ADULT = ["the {p} ruled the kingdom from the throne", "the {p} gave orders to the royal army"]
_ROYAL_YOUNG = ["the {p} will rule the kingdom one day", "the {p} learned to ride a royal horse"]
_YOUNG_T = [
    "the young {p} played with a ball",
    "the {p} went to school with a friend",
    "the little {p} was ten years old",
]
_ADULT_T = ["the {p} worked hard every day", "the old {p} paid for the house", "the grown {p} drove to work"]
_RELATIVES = ["mother", "father", "sister", "brother", "friend", "teacher"]
_DRINKS = ["tea", "coffee", "milk", "juice", "water"]
_FOODS = ["bread", "rice", "soup", "cheese", "apples", "noodles"]
_ANIMALS = ["dog", "cat", "horse", "bird", "fox", "sheep"]
_PLACES = ["city", "village", "market", "garden", "river", "school"]
_THINGS = [
    "a cup of {drink} is warm and good in the morning",
    "she likes {drink} but he likes {drink2}",
    "the {animal} ran across the {place}",
    "a {animal} and a {animal2} played near the river",
    "the {animal} ate {food} in the garden",
]


def english_sentences(n: int = 800, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    pick = lambda xs: xs[int(rng.integers(len(xs)))]  # noqa: E731
    out = []
    for _ in range(n):
        female = bool(rng.integers(2))
        p = pick(_PEOPLE)[int(female)]
        pools = [_PERSON, _YOUNG_T if p in _YOUNG else _ADULT_T]
        if p in _ROYAL:
            pools += [_ROYAL_T, _ROYAL_YOUNG if p in _YOUNG else _ROYAL_ADULT]
        t = pick(_THINGS) if rng.random() < 0.12 else pick(pick(pools))
        out.append(
            t.format(
                p=p,
                pos="her" if female else "his",
                pron="she" if female else "he",
                rel=pick(_RELATIVES),
                place=pick(_PLACES),
                drink=pick(_DRINKS),
                drink2=pick(_DRINKS),
                food=pick(_FOODS),
                animal=pick(_ANIMALS),
                animal2=pick(_ANIMALS),
            )
        )
    return out


def snapshots() -> dict[str, str]:
    return {
        "zh_book.txt": "\n".join(chinese_sentences()) + "\n",
        "en_templates.txt": "\n".join(english_sentences()) + "\n",
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the files on disk instead of writing")
    args = parser.parse_args(argv)
    files = snapshots()
    if args.check:
        stale = [name for name, text in files.items() if (OUT / name).read_text(encoding="utf-8") != text]
        print("stale: " + ", ".join(stale) if stale else "up to date")
        return 1 if stale else 0
    OUT.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (OUT / name).write_text(text, encoding="utf-8")
        print(f"{name}: {text.count(chr(10))} sentences, {len(text.encode('utf-8')) / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
