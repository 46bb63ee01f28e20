"""Bulk progress: a bar with rate on stderr when stderr is a terminal, nothing otherwise."""

from __future__ import annotations

import os
import sys

import pytest

pexpect = pytest.importorskip("pexpect")


def test_progress_bar_on_a_terminal(cli_env, tmp_path):
    env = {**{k: v for k, v in os.environ.items() if k != "ACCTCTL_NO_INPUT"}, **cli_env,
           "TERM": "xterm"}
    out = tmp_path / "created.jsonl"
    # stderr is the terminal; stdout goes to a file so the data stays clean
    child = pexpect.spawn(
        "/bin/sh", ["-c", f'"{sys.executable}" -m acctctl create customer --count 400 '
                          f'--prefix 8 --length 7 -o jsonl > "{out}"'],
        env=env, dimensions=(30, 120), encoding="utf-8", timeout=60)
    child.expect_exact("creating")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert len(out.read_text().splitlines()) == 400
    assert "created 400" in child.before


def test_no_progress_when_stderr_is_not_a_terminal(cli):
    result = cli("create", "customer", "--count", "5", "-o", "jsonl")
    assert result.exit_code == 0
    assert "creating" not in result.stderr and "\x1b[" not in result.stderr
    assert "created 5, skipped 0, failed 0" in result.stderr
