"""lib/, benchmarks/ and tools/ name the book's chapters and sections in words, never by typed numbers.

Numbers come from the table of contents (folder and file names) and change when chapters move; a typed
"第 15.3 节" in a docstring goes stale silently. Write the section's title instead: （“池化与多通道”一节）,
“扩散模型一章”. References to sections of *other* works (a paper's "3.2 节", Bishop's "第 1 章") are fine:
lines that cite an external work (see ``EXTERNAL``) are skipped.
"""

from __future__ import annotations

import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
SCANNED = ("lib", "benchmarks", "tools")
SUFFIXES = {".py", ".sh"}


_NUM = r"\d{1,2}(?:\.\d{1,2})?"
_SEP = r"\s?[–、,，-]\s?"
TYPED_REF = re.compile(
    "|".join(
        [
            rf"第\s?{_NUM}(?:{_SEP}{_NUM})*\s?[章节]",  # 第 15.5 节, 第 28.1–28.2 节, 第 5、6 章
            rf"(?<![\d.]){_NUM}(?:{_SEP}{_NUM})*\s?节",  # （15.3 节）, 15.2、15.3 节
            rf"（\d{{1,2}}\.\d{{1,2}}(?:{_SEP}\d{{1,2}}\.\d{{1,2}})*）",  # table tags such as （9.3）, （2.5、6.2）
            r"\d{1,2}\s?[–-]\s?\d{1,2}\s?章",  # 第 21–25 章 without the 第
            r"§\s?\d",
            r"附录\s?[A-Z]\.\d",
            r"\b[Ss]ections?\s+\d",
            r"\b[Cc]hapters?\s+\d",
            r"\*\*\d{1,2}\.\d{1,2}\s",  # a numbered bold heading: **3.1 傅里叶级数……**
        ]
    )
)
# A line that cites another work: its section numbers are that work's, not the book's.
EXTERNAL = re.compile(r"论文|《|Bishop|Nocedal|et al\.|paper")


def scanned_files() -> list[pathlib.Path]:
    files = []
    for top in SCANNED:
        for path in sorted((ROOT / top).rglob("*")):
            if path.suffix in SUFFIXES and path.is_file():
                files.append(path)
    return files


def typed_refs(text: str) -> list[tuple[int, str]]:
    """(line number, matched text) for every typed chapter/section number in ``text``."""
    hits = []
    for number, line in enumerate(text.splitlines(), start=1):
        if EXTERNAL.search(line):
            continue
        hits += [(number, m.group(0)) for m in TYPED_REF.finditer(line)]
    return hits


@pytest.mark.parametrize(
    "text",
    [
        "第 15.5 节",
        "（15.3 节）",
        "第 11.3 节起",
        "第 28.1–28.2 节",
        "15.2、15.3、15.6、15.7 节",
        "第 5、6 章",
        "第 21–25 章",
        "线性模型（第 4 章起）",
        "自助样本的下标（9.3）",
        "（2.5、6.2）",
        "附录 A.4",
        "§3",
        "Benchmark (section 28.6)",
        "sections 15.5, 18.6",
        "chapter 9",
        "* **3.1 傅里叶级数与傅里叶变换**。",
    ],
)
def test_pattern_catches(text):
    assert typed_refs(text), text


@pytest.mark.parametrize(
    "text",
    [
        "（“池化与多通道”一节）",
        "扩散模型一章",
        "betas=(0.9, 0.999)",
        "math.sqrt(2.0)",
        "σ_t² = β̃_t（后验方差，下界）或 β_t（上界），DDPM 论文 3.2 节",
        "（Bishop 2006 第 1 章的经典例子）",
        "（讲义印作 0.3、0.21、0.14）",
        "torch 2.5.1",
    ],
)
def test_pattern_spares(text):
    assert not typed_refs(text), text


def test_no_typed_section_numbers():
    files = scanned_files()
    assert len(files) > 50  # the scan sees the package, not an empty tree
    found = []
    for path in files:
        for number, match in typed_refs(path.read_text(encoding="utf-8")):
            found.append(f"{path.relative_to(ROOT).as_posix()}:{number}: {match}")
    assert not found, "typed chapter/section numbers (write the title in words):\n" + "\n".join(found)
