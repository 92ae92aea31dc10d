"""Root pytest configuration: environment for notebook kernels, and per-notebook execution times.

`pytest` (README's test command) runs the lib unit tests in tests/ and, through nbval, every committed
notebook under chapters/. nbval reports one test item per cell; here the durations of a notebook's items
are added up (kernel start and shutdown fall into the first item's setup and the last item's teardown),
printed as a table at the end, written to _build/reports/notebook-times.json, and any notebook slower
than NOTEBOOK_BUDGET_S makes the session fail: each notebook must run in under a minute on the 2-core CI
machine.
"""

from __future__ import annotations

import collections
import json
import os
import pathlib
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent
NOTEBOOK_BUDGET_S = 60.0
REPORT = ROOT / "_build" / "reports" / "notebook-times.json"

# Kernels started by nbval inherit this environment: the same one tools/nb.py executes notebooks in
# (hashing, inline figures, one thread), and a private matplotlib config dir (so that no font-cache
# warning is written to stderr on a fresh machine).
sys.path.insert(0, str(ROOT / "tools"))
from nb import KERNEL_ENV  # noqa: E402

os.environ.update(KERNEL_ENV)
os.environ.setdefault("MPLCONFIGDIR", os.path.join(tempfile.gettempdir(), "mlbook-mplconfig"))

_durations: dict[str, float] = collections.defaultdict(float)


def _notebook_of(nodeid: str) -> str | None:
    path = nodeid.split("::", 1)[0]
    return path if path.endswith(".ipynb") else None


def pytest_runtest_logreport(report):
    notebook = _notebook_of(report.nodeid)
    if notebook is not None:
        _durations[notebook] += report.duration


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not _durations:
        return
    rows = sorted(_durations.items())
    terminalreporter.section("notebook execution times")
    for path, seconds in rows:
        flag = "   OVER BUDGET" if seconds > NOTEBOOK_BUDGET_S else ""
        terminalreporter.write_line(f"{seconds:7.1f} s  {path}{flag}")
    terminalreporter.write_line(f"{sum(_durations.values()):7.1f} s  total over {len(rows)} notebooks")
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(dict(rows), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def pytest_sessionfinish(session, exitstatus):
    if getattr(session.config, "workerinput", None) is not None:
        return  # an xdist worker: the controller sees every report and decides
    slow = {p: s for p, s in _durations.items() if s > NOTEBOOK_BUDGET_S}
    if slow and session.exitstatus == 0:
        session.exitstatus = 1
        tr = session.config.pluginmanager.get_plugin("terminalreporter")
        if tr is not None:
            for path, seconds in sorted(slow.items()):
                tr.write_line(
                    f"FAILED (time budget): {path} took {seconds:.1f} s > {NOTEBOOK_BUDGET_S:.0f} s", red=True
                )


def pytest_collection_modifyitems(config, items):
    """Tests marked `cuda` need a GPU: skip them, with the reason shown, where torch sees none."""
    cuda_items = [item for item in items if item.get_closest_marker("cuda") is not None]
    if not cuda_items:
        return
    import pytest
    import torch

    if not torch.cuda.is_available():
        skip = pytest.mark.skip(reason="needs a CUDA device (torch.cuda.is_available() is False)")
        for item in cuda_items:
            item.add_marker(skip)
