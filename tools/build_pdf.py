"""Build the PDF of the whole book: ``python tools/build_pdf.py`` -> ``_build/latex/book.pdf``.

It runs ``jupyter-book build . --builder pdflatex`` (Sphinx's LaTeX builder, then latexmk with xelatex;
the LaTeX settings are in ``_config.yml`` and ``_ext/latex_book.py``) and then checks the result: the
PDF exists, the xelatex log reports no error and no character missing from the fonts (a missing glyph
prints nothing in the PDF, silently). It prints the number of pages, the size and the time taken.

Needs TeX Live with xelatex and the Chinese packages, e.g. on Debian/Ubuntu::

    apt-get install --no-install-recommends texlive-xetex texlive-lang-chinese texlive-latex-extra \\
        texlive-fonts-recommended latexmk

No Chinese system font is needed: the book's own font (``lib/fonts/BookSansSC-Regular.otf``) is used.
The HTML build links the PDF from its download menu when it finds ``_build/latex/book.pdf``, so build the
PDF first when publishing (``.github/workflows/book.yml`` does).
"""

from __future__ import annotations

import argparse
import pathlib
import re
import shutil
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]


class PdfError(RuntimeError):
    pass


def check_log(log: str) -> dict:
    """What xelatex's log says about the finished PDF; raises PdfError on errors or missing glyphs."""
    missing = sorted(set(re.findall(r"Missing character: There is no (.+?) in font", log)))
    errors = re.findall(r"^! .*$", log, re.M)
    pages = re.search(r"Output written on \S+ \((\d+) pages?", log)
    if errors:
        raise PdfError("xelatex errors:\n" + "\n".join(errors[:20]))
    if missing:
        raise PdfError("characters missing from the fonts (they print as nothing): " + " ".join(missing))
    if not pages:
        raise PdfError("xelatex wrote no PDF")
    overfull = len(re.findall(r"^Overfull \\hbox \((\d+(?:\.\d+)?)pt too wide\)", log, re.M))
    return {"pages": int(pages.group(1)), "overfull_boxes": overfull}


def build(output: pathlib.Path) -> dict:
    if not shutil.which("xelatex") or not shutil.which("latexmk"):
        raise PdfError("xelatex and latexmk are needed (see this script's docstring)")
    jb = pathlib.Path(sys.executable).with_name("jupyter-book")
    cmd = [str(jb), "build", str(ROOT), "--builder", "pdflatex"]
    if output != ROOT:
        cmd += ["--path-output", str(output)]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    latex = output / "_build" / "latex"
    pdf, log_file = latex / "book.pdf", latex / "book.log"
    if proc.returncode != 0 or not pdf.exists() or not log_file.exists():
        raise PdfError(f"the PDF build failed (exit {proc.returncode}):\n{(proc.stdout + proc.stderr)[-4000:]}")
    sphinx_warnings = [line for line in proc.stdout.splitlines() + proc.stderr.splitlines() if "WARNING" in line]
    report = check_log(log_file.read_text(encoding="utf-8", errors="replace"))
    report.update(pdf=pdf, megabytes=pdf.stat().st_size / 1e6, seconds=seconds, sphinx_warnings=sphinx_warnings)
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path-output", type=pathlib.Path, default=ROOT, help="as jupyter-book's (default: .)")
    args = parser.parse_args()
    try:
        report = build(args.path_output.resolve())
    except PdfError as err:
        print(f"build_pdf: {err}", file=sys.stderr)
        return 1
    for line in report["sphinx_warnings"]:
        print(line, file=sys.stderr)
    print(
        f"wrote {report['pdf']}: {report['pages']} pages, {report['megabytes']:.1f} MB, "
        f"{report['seconds']:.0f} s ({report['overfull_boxes']} overfull lines)"
    )
    return 1 if report["sphinx_warnings"] else 0


if __name__ == "__main__":
    sys.exit(main())
