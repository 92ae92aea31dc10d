"""Keep the notebook pairs of the book in step: the .md is edited, the .ipynb holds the executed outputs.

    python tools/nb.py run chapters/04_linear_regression/02_normal_equation.md   # execute one section
    python tools/nb.py run --all -j 2                                            # execute every section
    python tools/nb.py sync [PATH ...]       # copy .md inputs into the .ipynb, keeping outputs of unchanged cells
    python tools/nb.py setup-cell [PATH ...] # rewrite the first code cell from _config.yml (then `run`)
    python tools/nb.py new chapters/05_linear_classification/01_logistic_regression.md --title "逻辑回归"

`run` reads the inputs from the .md, executes them top to bottom in a fresh kernel started in the
notebook's folder (as Colab and nbval do), stores the outputs and the widget state in the .ipynb, and
prints the wall time. The .md is never rewritten by `run`, so what you edit is what is committed.
PATH may be a section's .md or .ipynb, or a chapter folder.

Small diffs: `run` and `sync` give every cell that is still there (same type and source, or edited in
place) the id it had in the committed .ipynb, and the widgets' model ids are renamed after execution to
ids derived from the notebook's path and the order the widgets were created in (the kernel draws random
ones). So editing one sentence and re-running changes that sentence in the .ipynb, plus whatever outputs
really changed. The kernel talks to this process over local IPC sockets, not TCP.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import difflib
import hashlib
import os
import pathlib
import re
import sys
import tempfile
import time

import jupytext
import nbformat
from traitlets.config import Config

ROOT = pathlib.Path(__file__).resolve().parents[1]
CHAPTERS = ROOT / "chapters"
SECTION_RE = re.compile(r"^\d\d_[a-z0-9_]+\.md$")
SETUP_MARKER = "# 运行环境设置"
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}

# The environment of every kernel that executes a notebook, here and under nbval (conftest.py imports it):
# fixed string hashing, inline figures, and one BLAS/OpenMP/torch thread. One thread makes the floating-point
# reduction order, and so every printed digit, independent of the machine's core count; CI runs two
# notebooks at a time on two cores, so nothing is lost there.
KERNEL_ENV = {
    "PYTHONHASHSEED": "0",
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


# ---------------------------------------------------------------------------------------------
# Which files
# ---------------------------------------------------------------------------------------------
def all_sections() -> list[pathlib.Path]:
    """Every section .md (chapters/NN_slug/MM_slug.md), in book order."""
    return sorted(p for p in CHAPTERS.glob("*/*.md") if SECTION_RE.match(p.name))


def resolve(paths: list[str]) -> list[pathlib.Path]:
    if not paths:
        return all_sections()
    found: list[pathlib.Path] = []
    for raw in paths:
        path = (pathlib.Path.cwd() / raw).resolve()
        if path.is_dir():
            found += sorted(p for p in path.glob("*.md") if SECTION_RE.match(p.name))
        elif path.suffix in (".md", ".ipynb"):
            md = path.with_suffix(".md")
            if not md.exists():
                sys.exit(f"no such section: {md}")
            found.append(md)
        else:
            sys.exit(f"not a section or chapter folder: {raw}")
    return found


def rel(path: pathlib.Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


# ---------------------------------------------------------------------------------------------
# The setup cell
# ---------------------------------------------------------------------------------------------
def repository_url() -> str:
    """repository.url from _config.yml (read without a YAML dependency: it is one plain line)."""
    text = (ROOT / "_config.yml").read_text(encoding="utf-8")
    block = re.search(r"^repository:\n((?:[ \t]+.*\n)+)", text, re.M)
    url = block and re.search(r"^\s+url:\s*(\S+)", block.group(1), re.M)
    if not url:
        sys.exit("_config.yml has no repository.url")
    return url.group(1)


def repository_branch() -> str:
    text = (ROOT / "_config.yml").read_text(encoding="utf-8")
    block = re.search(r"^repository:\n((?:[ \t]+.*\n)+)", text, re.M)
    branch = block and re.search(r"^\s+branch:\s*(\S+)", block.group(1), re.M)
    return branch.group(1) if branch else "main"


def setup_cell_source() -> str:
    """The one setup cell every notebook starts with (tests/test_book.py compares against this)."""
    return (
        f"{SETUP_MARKER}：本地什么也不做；在 Colab 中先安装本书的代码库 lib（含中文字体）\n"
        "import sys\n"
        "\n"
        'if "google.colab" in sys.modules:\n'
        f'    %pip install -q "git+{repository_url()}@{repository_branch()}"\n'
        "\n"
        "import lib\n"
        "\n"
        "lib.plot.use_book_style()"
    )


def setup_cell() -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(setup_cell_source())
    cell.metadata["tags"] = ["hide-input"]
    return cell


# ---------------------------------------------------------------------------------------------
# Reading, syncing, executing
# ---------------------------------------------------------------------------------------------
def read_md(md: pathlib.Path) -> nbformat.NotebookNode:
    nb = jupytext.read(md)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata.setdefault("language_info", {"name": "python"})
    return nb


def _strip_volatile_metadata(nb: nbformat.NotebookNode) -> None:
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        cell.metadata.pop("ExecuteTime", None)
    nb.metadata.pop("jupytext", None)  # the pairing lives in jupytext.toml, not in every notebook


def _keep_cell_ids(nb: nbformat.NotebookNode, old: nbformat.NotebookNode) -> None:
    """Cells of `nb` that are still in `old` (same type and source, or edited in place) get the old id.

    The cells are aligned as two sequences; runs of equal cells keep their ids, and in a run of replaced
    cells the i-th new cell takes the id of the i-th old one (an edited cell stays the same cell). Added
    cells keep the fresh id jupytext gave them.
    """
    key = [(c.cell_type, c.source) for c in old.cells], [(c.cell_type, c.source) for c in nb.cells]
    matcher = difflib.SequenceMatcher(a=key[0], b=key[1], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag not in ("equal", "replace"):
            continue
        for i, j in zip(range(i1, i2), range(j1, j2)):
            if "id" in old.cells[i] and old.cells[i].cell_type == nb.cells[j].cell_type:
                nb.cells[j].id = old.cells[i].id
    seen: set[str] = set()
    for cell in nb.cells:  # ids must stay unique (nbformat validates it)
        if cell.get("id") in seen:
            cell.id = nbformat.v4.new_code_cell().id
        seen.add(cell.get("id"))


WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def _stable_widget_ids(nb: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    """Rename the widgets' random model ids to ones derived from `name` and their order of creation."""
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    if not state:
        return nb
    mapping = {old: hashlib.md5(f"{name}:{i}".encode()).hexdigest() for i, old in enumerate(state)}
    pattern = re.compile("|".join(re.escape(old) for old in mapping))
    text = pattern.sub(lambda m: mapping[m.group(0)], nbformat.writes(nb))
    return nbformat.reads(text, as_version=4)


def _previous(ipynb: pathlib.Path) -> nbformat.NotebookNode | None:
    return nbformat.read(ipynb, as_version=4) if ipynb.exists() else None


def sync(md: pathlib.Path) -> None:
    """Copy the inputs of the .md into the .ipynb; outputs of unchanged cells are kept."""
    ipynb = md.with_suffix(".ipynb")
    nb = read_md(md)
    old = _previous(ipynb)
    if old is not None:
        outputs = {c.source: c for c in old.cells if c.cell_type == "code"}
        for cell in nb.cells:
            if cell.cell_type == "code" and cell.source in outputs:
                cell.outputs = outputs[cell.source].outputs
                cell.execution_count = outputs[cell.source].execution_count
        if "widgets" in old.metadata:
            nb.metadata["widgets"] = old.metadata["widgets"]
        for key in ("language_info",):
            if key in old.metadata:
                nb.metadata[key] = old.metadata[key]
        _keep_cell_ids(nb, old)
    _strip_volatile_metadata(nb)
    nbformat.write(nb, ipynb)


def execute(md: pathlib.Path, timeout: int = 600) -> tuple[str, float, str | None]:
    """Execute one section from its .md and write the .ipynb. Returns (path, seconds, error)."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = read_md(md)
    ipynb = md.with_suffix(".ipynb")
    os.environ.update(KERNEL_ENV)
    with tempfile.TemporaryDirectory(prefix="mlbook-kernel-") as sockets:
        # IPC sockets in a private folder: no TCP ports, and no "running over TCP without encryption" warning
        config = Config()
        config.KernelManager.transport = "ipc"
        config.KernelManager.ip = os.path.join(sockets, "kernel")
        client = NotebookClient(
            nb,
            config=config,
            timeout=timeout,
            kernel_name="python3",
            resources={"metadata": {"path": str(md.parent)}},
            record_timing=False,
            store_widget_state=True,
        )
        start = time.perf_counter()
        try:
            client.execute()
            error = None
        except CellExecutionError as err:
            error = str(err).splitlines()[-1] if str(err) else repr(err)
        seconds = time.perf_counter() - start
    _strip_volatile_metadata(nb)
    old = _previous(ipynb)
    if old is not None:
        _keep_cell_ids(nb, old)
    nb = _stable_widget_ids(nb, rel(md))
    nbformat.write(nb, ipynb)
    return rel(md), seconds, error


# ---------------------------------------------------------------------------------------------
# New sections and setup cells
# ---------------------------------------------------------------------------------------------
def write_md(nb: nbformat.NotebookNode, md: pathlib.Path) -> None:
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    # keep Colab's GPU request (accelerator, colab.gpuType) in the .md front matter, so that it reaches the .ipynb
    nb.metadata.setdefault("jupytext", {})["notebook_metadata_filter"] = "accelerator,colab"
    jupytext.write(nb, md, fmt="md:myst")


def set_setup_cell(md: pathlib.Path) -> bool:
    nb = jupytext.read(md)
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    new = setup_cell()
    if code and nb.cells[code[0]].source.startswith(SETUP_MARKER):
        if nb.cells[code[0]].source == new.source and nb.cells[code[0]].metadata.get("tags") == ["hide-input"]:
            return False
        nb.cells[code[0]] = new
    else:
        first_md = next((i for i, c in enumerate(nb.cells) if c.cell_type == "markdown"), -1)
        nb.cells.insert(first_md + 1, new)
    write_md(nb, md)
    return True


def new_section(md: pathlib.Path, title: str, gpu: bool) -> None:
    if md.exists():
        sys.exit(f"{rel(md)} exists already")
    if not SECTION_RE.match(md.name) or not re.match(r"^(\d\d|[A-Z])_[a-z0-9_]+$", md.parent.name):
        sys.exit("a section lives at chapters/NN_chapter_slug/MM_section_slug.md")
    md.parent.mkdir(parents=True, exist_ok=True)
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell(f"# {title}\n\n（动机：这一节要回答什么问题？）"),
        setup_cell(),
        nbformat.v4.new_markdown_cell("## 定义与推导\n\n$$\nL(\\mathbf w) = 0\n$$ (eq-CHANGE-ME)\n"),
        nbformat.v4.new_code_cell("import numpy as np\nimport matplotlib.pyplot as plt"),
        nbformat.v4.new_markdown_cell("## 练习\n\n1. "),
    ]
    if gpu:
        nb.metadata["accelerator"] = "GPU"
        nb.metadata["colab"] = {"gpuType": "T4"}
    write_md(nb, md)
    print(f"created {rel(md)}; add it to _toc.yml, write it, then: python tools/nb.py run {rel(md)}")


# ---------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p_run = sub.add_parser("run", help="execute sections (.md -> executed .ipynb)")
    p_run.add_argument("paths", nargs="*")
    p_run.add_argument("--all", action="store_true", help="every section of the book")
    p_run.add_argument("-j", "--jobs", type=int, default=1, help="notebooks executed in parallel")
    p_run.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    p_sync = sub.add_parser("sync", help="copy .md inputs into the .ipynb, keeping unchanged outputs")
    p_sync.add_argument("paths", nargs="*")
    p_setup = sub.add_parser("setup-cell", help="rewrite every setup cell from _config.yml")
    p_setup.add_argument("paths", nargs="*")
    p_new = sub.add_parser("new", help="start a new section from the template")
    p_new.add_argument("path")
    p_new.add_argument("--title", required=True)
    p_new.add_argument("--gpu", action="store_true", help="ask Colab for a GPU runtime")
    args = parser.parse_args(argv)

    if args.command == "new":
        new_section((pathlib.Path.cwd() / args.path).resolve(), args.title, args.gpu)
        return 0
    if args.command == "run" and not args.paths and not args.all:
        parser.error("run needs PATH ... or --all")
    sections = resolve(args.paths)
    if args.command == "sync":
        for md in sections:
            sync(md)
        print(f"synced {len(sections)} notebook(s)")
        return 0
    if args.command == "setup-cell":
        changed = [rel(md) for md in sections if set_setup_cell(md)]
        print("rewrote the setup cell of:", *changed, sep="\n  ") if changed else print("all setup cells current")
        return 0

    failures = 0
    with concurrent.futures.ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        jobs = [pool.submit(execute, md, args.timeout) for md in sections]
        for job in concurrent.futures.as_completed(jobs):
            path, seconds, error = job.result()
            print(f"{seconds:7.1f} s  {path}" + (f"  FAILED: {error}" if error else ""), flush=True)
            failures += error is not None
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
