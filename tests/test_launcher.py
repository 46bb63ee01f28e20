"""The docs tests' pre-imported acctctl (tests/launcher.py) behaves as the installed entry
point: same output, same exit code, the caller's working directory, environment and
descriptors."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

CASES = [
    ["--version"],
    ["account", "list", "-o", "json"],
    ["create", "customer", "--email", "not-an-email", "--no-input"],  # exit 3
    ["account", "show", "4999999999"],  # exit 3
    ["create", "customer", "--no-such-flag"],  # exit 2
    ["config", "show"],
]


def run(program: str, args: list[str], env: dict, cwd) -> tuple[int, str, str]:
    result = subprocess.run([program, *args], env=env, cwd=cwd, capture_output=True,
                            text=True, stdin=subprocess.DEVNULL, timeout=120)
    return result.returncode, result.stdout, result.stderr


@pytest.mark.parametrize("args", CASES, ids=" ".join)
def test_a_command_through_the_launcher_is_the_installed_command(args, launcher, tmp_path):
    installed = os.path.join(os.path.dirname(sys.executable), "acctctl")
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120",
           "ACCTCTL_DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}"}
    env.pop("ACCTCTL_CONFIG", None)
    expected = run(installed, args, env, tmp_path)
    got = run(str(launcher.bin / "acctctl"), args, env, tmp_path)
    assert got == expected
    assert expected[0] in (0, 2, 3)


def test_the_launched_command_uses_the_callers_directory_and_pipes(launcher, tmp_path):
    env = {**os.environ, "ACCTCTL_DATABASE_URL": "sqlite:///here.db", "NO_COLOR": "1"}
    script = f"{launcher.bin / 'acctctl'} account list -o json | wc -c; exit ${{PIPESTATUS[0]}}"
    result = subprocess.run(["bash", "-c", script], env=env, cwd=tmp_path, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) == len("[]\n")
    assert (tmp_path / "here.db").is_file()  # the caller's directory, the caller's env


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_reaches_the_launched_command_and_its_end_is_the_callers(signum, launcher,
                                                                         tmp_path):
    """The client passes a signal on to the command, and ends as the command ended: by
    SIGTERM (Python's default action) as a process killed by it, by SIGINT with acctctl's
    exit 130; as the installed entry point does."""
    env = {**os.environ, "NO_COLOR": "1", "ACCTCTL_DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}"}
    env.pop("ACCTCTL_CONFIG", None)
    installed = os.path.join(os.path.dirname(sys.executable), "acctctl")
    ends = []
    for program in (installed, str(launcher.bin / "acctctl")):
        # reading rows from its stdin, which stays open: running until it is signalled
        process = subprocess.Popen([program, "create", "customer", "--from-file", "-",
                                    "--format", "jsonl", "--no-input"], env=env, cwd=tmp_path,
                                   stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, text=True)
        time.sleep(3)  # started and reading (a signal before acctctl is up ends it either way)
        process.send_signal(signum)
        _, err = process.communicate(timeout=60)
        ends.append(process.returncode)
        assert "Traceback" not in err
    assert ends[1] == ends[0]
    assert ends[0] == (-signal.SIGTERM if signum == signal.SIGTERM else 130)
