"""Fixtures shared by the book checks: one HTML build of the whole book per test session.

`jupyter-book build . -W -n --keep-going` takes about a minute on the CI machine. tests/test_book.py
(zero warnings, Colab buttons, numbering, search index, web font, anchors) and tests/test_browser.py
(headless Chromium) all look at the same build. Under pytest-xdist they may run in different worker
processes, so the build is made once per session under a file lock in _build/pytest-book/ and reused by
whichever worker asks second (the session is told apart by xdist's testrunuid).
"""

from __future__ import annotations

import dataclasses
import fcntl
import json
import pathlib
import shutil
import subprocess
import sys
import uuid

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
BUILD_DIR = ROOT / "_build" / "pytest-book"


@dataclasses.dataclass
class BookBuild:
    html: pathlib.Path
    returncode: int
    log: str

    @property
    def warnings(self) -> list[str]:
        return [line for line in self.log.splitlines() if "WARNING" in line or "ERROR" in line]


def _session_id(config) -> str:
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        return workerinput["testrunuid"]
    if not hasattr(config, "_book_session_id"):
        config._book_session_id = uuid.uuid4().hex
    return config._book_session_id


@pytest.fixture(scope="session")
def book_build(request) -> BookBuild:
    """The whole book built once per session with `jupyter-book build . -W -n --keep-going`."""
    BUILD_DIR.mkdir(parents=True, exist_ok=True)
    session = _session_id(request.config)
    with open(BUILD_DIR / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        stamp, record = BUILD_DIR / "session", BUILD_DIR / "result.json"
        if not (stamp.exists() and stamp.read_text() == session and record.exists()):
            shutil.rmtree(BUILD_DIR / "_build", ignore_errors=True)
            jb = pathlib.Path(sys.executable).with_name("jupyter-book")
            cmd = [str(jb), "build", str(ROOT), "-W", "-n", "--keep-going", "--path-output", str(BUILD_DIR)]
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
            record.write_text(
                json.dumps({"returncode": proc.returncode, "log": proc.stdout + proc.stderr}), encoding="utf-8"
            )
            stamp.write_text(session)
        result = json.loads(record.read_text(encoding="utf-8"))
    return BookBuild(html=BUILD_DIR / "_build" / "html", returncode=result["returncode"], log=result["log"])
