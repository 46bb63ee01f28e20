"""The docs run as written: every ```sh runnable block of README.md and docs/*.md.

Per file, in an empty temporary working directory with its own fresh HOME and XDG
directories, no config file and this venv's acctctl first on PATH, on SQLite as a newcomer
has it (no ACCTCTL_DATABASE_URL: the built-in default in the fresh user data dir) and on a
fresh PostgreSQL database (ACCTCTL_DATABASE_URL): the blocks run in order, in one bash, line
by line. README's runs right after the acctctl command of its set-up line, as a reader runs
them. Each line must exit 0, unless it ends with a comment `# exit N` (then it must exit N).
A line ending with a backslash continues on the next one. Blocks marked plain `sh` are
examples, not run; `sh runnable-astpp` blocks (docs/astpp.md) need an ASTPP database and
run in tests/astpp/test_astpp_docs.py. After the last line the reader's next ordinary
command must still work (`acctctl account list` exits 0), except after docs/astpp.md,
which points acctctl at an ASTPP server on purpose.
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


def fence(info: str) -> re.Pattern:
    """Fenced blocks whose info string is exactly ``info``, indented too (in a list)."""
    return re.compile(rf"^[ \t]*```{re.escape(info)}[ \t]*\n(.*?)^[ \t]*```[ \t]*$",
                      re.MULTILINE | re.DOTALL)


FENCE = fence("sh runnable")
EXPECT = re.compile(r"#\s*exit\s+(\d+)\s*$")


def runnable_lines(text: str, blocks: re.Pattern = FENCE) -> list[tuple[int, str, int]]:
    """(line number in the file, command, expected exit code) of every runnable line."""
    found = []
    for block in blocks.finditer(text):
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
#: the reader's next command after the doc's last line; must exit 0
NEXT_COMMAND = "acctctl account list"
#: docs whose set-up points acctctl at a server the tests do not have, on purpose
NEXT_COMMAND_NOT_EXPECTED = {"astpp.md"}
SET_UP_BLOCK = re.compile(r"^## Set up\n.*?^```sh\n(.*?)^```", re.MULTILINE | re.DOTALL)


def set_up_command(readme: str) -> str:
    """The acctctl part of README's set-up line (`python3 -m venv … && pip install . &&
    acctctl …`): what a reader has run before the everyday commands."""
    line = SET_UP_BLOCK.search(readme).group(1).strip()
    parts = [part.strip() for part in line.split("&&")]
    first = next(i for i, part in enumerate(parts) if part.startswith("acctctl "))
    return " && ".join(parts[first:])


def doc_sequence(doc: Path) -> list[tuple[int, str, int]]:
    """What the test runs for one doc, in order."""
    text = doc.read_text(encoding="utf-8")
    lines = runnable_lines(text)
    if doc.name == "README.md":
        number = text.count("\n", 0, SET_UP_BLOCK.search(text).start(1)) + 1
        lines = [(number, set_up_command(text), 0), *lines]
    if doc.name not in NEXT_COMMAND_NOT_EXPECTED:
        lines = [*lines, (0, f"{NEXT_COMMAND}   # the reader's next command", 0)]
    return lines


def test_the_runnable_parser_reads_lines_continuations_and_expected_codes():
    text = ("x\n```sh runnable\n# a comment\nacctctl a \\\n  --b c   # note\n"
            "acctctl d  # exit 3\n```\n```sh\nnot run\n```\n")
    assert runnable_lines(text) == [(4, "acctctl a    --b c   # note", 0),
                                    (6, "acctctl d  # exit 3", 3)]


def test_the_readme_has_runnable_commands():
    assert ROOT / "README.md" in DOCS_WITH_COMMANDS


def test_the_readme_runs_after_its_set_up_line_and_ends_with_a_working_command():
    sequence = doc_sequence(ROOT / "README.md")
    commands = [command for _, command, _ in sequence]
    assert commands[0].startswith("acctctl create customer --first-name Ada ")
    assert "pip install" not in commands[0]
    assert commands[1:-1] == [c for _, c, _ in runnable_lines(
        (ROOT / "README.md").read_text(encoding="utf-8"))]
    assert commands[-1].startswith(NEXT_COMMAND)


def entry_point_path(doc: Path, newcomer: bool, request) -> str:
    """The directory whose `acctctl` the doc's shell finds first: the installed entry point
    for the newcomer's README (what a reader runs, start-up included), the test launcher's
    client for the rest."""
    from launcher import acctctl_argv

    if doc.name == "README.md" and newcomer:
        return os.path.dirname(sys.executable)
    return os.path.dirname(acctctl_argv()[0])


@pytest.mark.parametrize("doc", DOCS_WITH_COMMANDS, ids=lambda p: p.name)
def test_doc_commands_run_as_written(doc, blank_db_url, tmp_path, request):
    work = tmp_path / "work"
    home = tmp_path / "home"
    work.mkdir()
    home.mkdir()
    newcomer = blank_db_url.startswith("sqlite")
    bin_dir = entry_point_path(doc, newcomer, request) + os.pathsep + os.path.dirname(
        sys.executable)
    keep = {k: v for k, v in os.environ.items()
            if not k.startswith(("ACCTCTL_", "XDG_", "_ACCTCTL")) and k not in ("COLUMNS",)}
    env = {
        **keep,
        "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "NO_COLOR": "1",
    }
    if not newcomer:  # SQLite: the built-in default in the fresh HOME, as a reader has it
        env["ACCTCTL_DATABASE_URL"] = blank_db_url
    result = subprocess.run(["bash", "-c", script(doc.name, doc_sequence(doc))], cwd=work,
                            env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    if newcomer and doc.name not in NEXT_COMMAND_NOT_EXPECTED:
        assert (home / ".local" / "share" / "acctctl" / "acctctl.db").is_file()
