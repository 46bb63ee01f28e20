"""The docs run as written: every ```sh runnable block of README.md and docs/*.md.

Per file, on a fresh SQLite and a fresh PostgreSQL database, in an empty temporary working
directory with its own HOME and XDG directories, no config file, ACCTCTL_DATABASE_URL set
and this venv's acctctl first on PATH: the blocks run in order, in one bash, line by line.
Each line must exit 0, unless it ends with a comment `# exit N` (then it must exit N).
A line ending with a backslash continues on the next one. Blocks marked plain `sh` are
examples, not run.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^[ \t]*```sh runnable[ \t]*\n(.*?)^[ \t]*```[ \t]*$",
                   re.MULTILINE | re.DOTALL)  # indented too (a block inside a list)
EXPECT = re.compile(r"#\s*exit\s+(\d+)\s*$")


def runnable_lines(text: str) -> list[tuple[int, str, int]]:
    """(line number in the file, command, expected exit code) of every runnable line."""
    found = []
    for block in FENCE.finditer(text):
        first = text.count("\n", 0, block.start(1)) + 1
        pending, start = "", 0
        for offset, line in enumerate(block.group(1).splitlines()):
            if not pending:
                start = first + offset
            if line.rstrip().endswith("\\"):
                pending += line.rstrip()[:-1] + " "
                continue
            command, pending = (pending + line).strip(), ""
            if not command or command.startswith("#"):
                continue
            expect = EXPECT.search(command)
            found.append((start, command, int(expect.group(1)) if expect else 0))
    return found


def script(name: str, lines: list[tuple[int, str, int]]) -> str:
    """One bash script: each line runs, then its exit code is checked (set -e semantics,
    with the expected code instead of 0 where the doc says so)."""
    out = ["set -o pipefail"]
    for number, command, expected in lines:
        where = shlex.quote(f"{name}:{number}: {command}")
        out.append(command)
        out.append(f'__rc=$?; if [ "$__rc" -ne {expected} ]; then '
                   f'echo "docs: exit $__rc, expected {expected}: "{where} >&2; exit 97; fi')
    return "\n".join(out) + "\n"


DOCS_WITH_COMMANDS = [p for p in DOCS if runnable_lines(p.read_text(encoding="utf-8"))]


def test_the_runnable_parser_reads_lines_continuations_and_expected_codes():
    text = ("x\n```sh runnable\n# a comment\nacctctl a \\\n  --b c   # note\n"
            "acctctl d  # exit 3\n```\n```sh\nnot run\n```\n")
    assert runnable_lines(text) == [(4, "acctctl a    --b c   # note", 0),
                                    (6, "acctctl d  # exit 3", 3)]


def test_the_readme_has_runnable_commands():
    assert ROOT / "README.md" in DOCS_WITH_COMMANDS


@pytest.mark.parametrize("doc", DOCS_WITH_COMMANDS, ids=lambda p: p.name)
def test_doc_commands_run_as_written(doc, blank_db_url, tmp_path):
    work = tmp_path / "work"
    home = tmp_path / "home"
    work.mkdir()
    home.mkdir()
    bin_dir = os.path.dirname(sys.executable)
    keep = {k: v for k, v in os.environ.items()
            if not k.startswith(("ACCTCTL_", "XDG_", "_ACCTCTL")) and k not in ("COLUMNS",)}
    env = {
        **keep,
        "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "ACCTCTL_DATABASE_URL": blank_db_url,
        "NO_COLOR": "1",
    }
    lines = runnable_lines(doc.read_text(encoding="utf-8"))
    result = subprocess.run(["bash", "-c", script(doc.name, lines)], cwd=work, env=env,
                            stdin=subprocess.DEVNULL, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
