"""Start-up (issue 20) of a dry-run create, the command that validates an account: the
collector does not go through start-up's objects again and again (cli/app.py main() examines
the middle generation every MIDDLE_COLLECTIONS_EVERY young collections, and freezes what
exists when the command is done, so the collection at the interpreter's exit skips it), and
a message on a stderr that is no terminal is written without importing rich, as rich would
write it. Timings: benchmarks/startup.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from acctctl import output

#: Runs acctctl as its entry point does, counting the collections of each generation from
#: the moment main() is called; at exit (before the interpreter's last collection) writes
#: them, how many objects are frozen and the modules loaded to $REPORT_OUT.
WRAPPER = """
import atexit, gc, json, os, sys
sys.argv[0] = "acctctl"
from acctctl.cli import main
collections = [0, 0, 0]
def count(phase, info):
    if phase == "start":
        collections[info["generation"]] += 1
def dump():
    gc.callbacks.remove(count)
    with open(os.environ["REPORT_OUT"], "w") as out:
        json.dump({"collections": collections, "frozen": gc.get_freeze_count(),
                   "modules": sorted(sys.modules)}, out)
atexit.register(dump)
gc.callbacks.append(count)
main()
"""

DRY_RUN = ["create", "customer", "--first-name", "Ada", "--email", "ada@example.com",
           "--dry-run", "--no-input", "-o", "json"]


def test_a_dry_run_create_collects_no_older_generation_and_imports_no_rich(db_url, tmp_path):
    report = tmp_path / "report.json"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("_ACCTCTL", "ACCTCTL_", "XDG_", "FORCE_COLOR", "TTY_"))}
    env.update(HOME=str(tmp_path), ACCTCTL_DATABASE_URL=db_url, REPORT_OUT=str(report))
    result = subprocess.run([sys.executable, "-c", WRAPPER, *DRY_RUN], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["dry_run"] is True
    assert result.stderr == "dry run: every check passed; nothing was written\n"
    seen = json.loads(report.read_text())
    young, middle, full = seen["collections"]
    assert young > 0  # the young generation is collected as before
    assert (middle, full) == (0, 0), seen["collections"]
    assert seen["frozen"] > 50_000  # start-up's objects (~77,000): the exit's collection skips them
    assert [m for m in seen["modules"] if m == "rich" or m.startswith("rich.")] == []


@pytest.mark.parametrize("message", [
    "dry run: every check passed; nothing was written",
    "a tab\there, a newline\nthere, a bell \a and a carriage return \r",
    "wide: 日本語 and an emoji 🎉 :smile: and [bold]markup[/bold] and trailing spaces   ",
    "a long line " + "word " * 60,
    "right-to-left \u202e override, a line separator \u2028 and a zero-width \u200b",
])
def test_a_message_off_a_terminal_is_what_rich_writes(message, capsys, monkeypatch):
    output.note(message, "yellow")
    plain = capsys.readouterr().err
    monkeypatch.setattr(output, "_rich_styles_stderr", lambda: True)  # rich writes it
    output.note(message, "yellow")
    assert capsys.readouterr().err == plain


@pytest.mark.parametrize("variable", ["FORCE_COLOR", "TTY_COMPATIBLE"])
def test_rich_still_writes_where_the_environment_makes_stderr_a_terminal(variable,
                                                                          monkeypatch):
    monkeypatch.setenv(variable, "1")
    assert output._rich_styles_stderr()
