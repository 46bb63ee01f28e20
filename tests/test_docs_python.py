"""The Python examples of the docs run as written (docs/api.md, contract §12).

Per doc, its ```python runnable blocks run in order in one fresh interpreter, in an empty
working directory with its own HOME and XDG directories and no config file: on SQLite as a
newcomer has it (the built-in default database in the fresh user data dir) and on a fresh
PostgreSQL database ($ACCTCTL_DATABASE_URL). Its ```python runnable-pytest blocks are test
files of a suite that has acctctl installed: they run with pytest (the acctctl plugin's
fixtures), on SQLite by default and on PostgreSQL through $ACCTCTL_TEST_DATABASE_URL.
Plain ```python blocks are examples, not run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.test_docs_run import DOCS, fence

PYTHON = fence("python runnable")
PYTEST = fence("python runnable-pytest")


def blocks(doc: Path, pattern) -> list[str]:
    return [m.group(1) for m in pattern.finditer(doc.read_text(encoding="utf-8"))]


DOCS_WITH_PYTHON = [d for d in DOCS if blocks(d, PYTHON) or blocks(d, PYTEST)]


def test_the_api_doc_has_runnable_python_and_a_runnable_test_file():
    api = Path(__file__).resolve().parents[1] / "docs" / "api.md"
    assert len(blocks(api, PYTHON)) >= 5 and blocks(api, PYTEST)
    assert "docs/api.md" in (api.parents[1] / "README.md").read_text(encoding="utf-8")


def reader_env(home: Path) -> dict:
    keep = {k: v for k, v in os.environ.items()
            if not k.startswith(("ACCTCTL_", "XDG_", "_ACCTCTL", "PYTEST_"))}
    return {**keep, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
            "XDG_CACHE_HOME": str(home / ".cache")}


@pytest.mark.parametrize("doc", DOCS_WITH_PYTHON, ids=lambda p: p.name)
def test_doc_python_runs_as_written(doc, blank_db_url, tmp_path):
    work, home = tmp_path / "work", tmp_path / "home"
    work.mkdir()
    home.mkdir()
    env = reader_env(home)
    newcomer = blank_db_url.startswith("sqlite")
    if not newcomer:
        env["ACCTCTL_DATABASE_URL"] = blank_db_url
        env["ACCTCTL_TEST_DATABASE_URL"] = blank_db_url
    code = "\n\n".join(blocks(doc, PYTHON))
    if code:
        run = subprocess.run([sys.executable, "-c", code], cwd=work, env=env,
                             stdin=subprocess.DEVNULL, capture_output=True, text=True,
                             timeout=600)
        assert run.returncode == 0, run.stderr[-3000:]
        if newcomer:
            assert (home / ".local" / "share" / "acctctl" / "acctctl.db").is_file()
    for number, test_file in enumerate(blocks(doc, PYTEST), start=1):
        path = work / f"test_{doc.stem.replace('-', '_')}_{number}.py"
        path.write_text(test_file, encoding="utf-8")
        run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                              path.name], cwd=work, env=env, stdin=subprocess.DEVNULL,
                             capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
        assert " passed" in run.stdout and "failed" not in run.stdout
