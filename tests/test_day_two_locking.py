"""Day-two commands against a concurrent delete or batch undo (issue 16).

One connection holds `account delete 1002` (or `batch undo` of its batch) open in its
transaction, the real service code paused just before its commit; the command under test
starts in a subprocess and waits on the row lock (PostgreSQL: SELECT ... FOR UPDATE; SQLite:
BEGIN IMMEDIATE serialises the writers). Once the delete commits, the command finds no live
account: exit 3 ("no account ..."), no traceback, and nothing written, no audit record.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from acctctl.service import batches, changes, lifecycle
from acctctl.service.changes import ChangeOptions
from launcher import acctctl_argv

NUMBER = "1002"

COMMANDS = {
    "update": ["account", "update", NUMBER, "--city", "Paris"],
    "update --from-file": ["account", "update", "--from-file", "changes.csv"],
    "disable": ["account", "disable", NUMBER],
    "enable": ["account", "enable", NUMBER],
    "delete": ["account", "delete", NUMBER, "--yes"],
    "reset-password": ["account", "reset-password", NUMBER],
    "rotate-sip-secret": ["account", "rotate-sip-secret", NUMBER],
}


class Holder:
    """Runs a service call in a thread and keeps its transaction open until released."""

    def __init__(self, module, monkeypatch):
        self.inside = threading.Event()
        self.release = threading.Event()
        self.error: BaseException | None = None
        real = changes.transaction

        @contextmanager
        def held(engine, dry_run=False):
            with real(engine, dry_run) as conn:
                yield conn
                self.inside.set()  # the work is done, the commit not yet
                assert self.release.wait(120), "never released"

        monkeypatch.setattr(module, "transaction", held)

    def start(self, call) -> threading.Thread:
        def target():
            try:
                call()
            except BaseException as exc:  # noqa: BLE001 - reported by the test
                self.error = exc
                self.inside.set()

        thread = threading.Thread(target=target, daemon=True)
        thread.start()
        assert self.inside.wait(60), "the holder never reached its commit"
        assert self.error is None, self.error
        return thread


def _waiting_on_a_lock(engine) -> bool:
    with engine.connect() as conn:
        return conn.execute(sa.text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'")).scalar_one() > 0


def _start(cli_env, tmp_path, args) -> subprocess.Popen:
    return subprocess.Popen([*acctctl_argv(), *args],
                            env={**os.environ, **cli_env, "ACCTCTL_NO_INPUT": "1"},
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True)


def _race(engine, cli_env, tmp_path, holder: Holder, hold, args):
    """Hold, start the command, let it reach the lock, commit the holder; the command's
    (exit code, stdout, stderr)."""
    thread = holder.start(hold)
    proc = _start(cli_env, tmp_path, args)
    try:
        if engine.dialect.name == "postgresql":  # until the command waits on the row lock
            deadline = time.monotonic() + 90
            while proc.poll() is None and not _waiting_on_a_lock(engine):
                assert time.monotonic() < deadline, "the command never reached the lock"
                time.sleep(0.05)
        else:  # SQLite: BEGIN IMMEDIATE waits (busy timeout); let the command get there
            time.sleep(1.5)
    finally:
        holder.release.set()
        thread.join(60)
    out, err = proc.communicate(timeout=120)
    assert holder.error is None, holder.error
    return proc.returncode, out, err


def _actions(engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(sa.text(
            "SELECT action FROM audit_events WHERE account_number = :n ORDER BY id"),
            {"n": NUMBER}).scalars())


@pytest.fixture
def account(cli, tmp_path) -> str:
    """Customer 1002 in Oslo, with a SIP device; returns its batch id."""
    created = cli.json("create", "customer", "--number", NUMBER, "--first-name", "Ada",
                       "--city", "Oslo")
    (tmp_path / "changes.csv").write_text(f"number,city\n{NUMBER},Paris\n")
    return created["batch_id"]


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_command_started_during_a_delete_finds_no_account(command, account, engine,
                                                            cli_env, tmp_path, monkeypatch):
    holder = Holder(lifecycle, monkeypatch)
    code, out, err = _race(engine, cli_env, tmp_path, holder, lambda: lifecycle.delete_accounts(
        engine, [NUMBER], False, ChangeOptions(command="delete")), COMMANDS[command])
    assert code == 3, (out, err)
    assert f"no account has number {NUMBER}" in err
    assert "Traceback" not in err and "internal error" not in err
    assert [a for a in _actions(engine) if not a.startswith("create")] == ["delete"]
    with engine.connect() as conn:  # the deleted account kept its values
        row = conn.execute(sa.text("SELECT city, status, deleted_at FROM accounts "
                                   "WHERE number = :n"), {"n": NUMBER}).one()
    assert row.city == "Oslo" and row.status == "active" and row.deleted_at is not None


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_command_started_during_a_batch_undo_finds_no_account(command, account, engine,
                                                                cli_env, tmp_path,
                                                                monkeypatch):
    holder = Holder(batches, monkeypatch)
    code, out, err = _race(engine, cli_env, tmp_path, holder, lambda: batches.undo_batch(
        engine, account, ChangeOptions(command="undo")), COMMANDS[command])
    assert code == 3, (out, err)  # not 1 (IndexError) and not 0
    assert f"no account has number {NUMBER}" in err
    assert "Traceback" not in err and "internal error" not in err
    assert [a for a in _actions(engine) if not a.startswith("create")] == ["undo batch"]
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM accounts")).scalar_one() == 0


def test_an_undo_started_during_a_delete_of_its_account_is_refused(account, engine, cli_env,
                                                                  tmp_path, monkeypatch):
    # the delete changed an account of the batch: the undo, once it gets the rows, says so
    holder = Holder(lifecycle, monkeypatch)
    code, out, err = _race(engine, cli_env, tmp_path, holder, lambda: lifecycle.delete_accounts(
        engine, [NUMBER], False, ChangeOptions(command="delete")),
        ["batch", "undo", account, "--yes"])
    assert code == 4, (out, err)
    assert "changed since it was created: 1002" in err
    assert [a for a in _actions(engine) if not a.startswith("create")] == ["delete"]


def test_an_undo_started_during_the_same_undo_has_nothing_left(account, engine, cli_env,
                                                              tmp_path, monkeypatch):
    holder = Holder(batches, monkeypatch)
    code, out, err = _race(engine, cli_env, tmp_path, holder, lambda: batches.undo_batch(
        engine, account, ChangeOptions(command="undo")), ["batch", "undo", account, "--yes"])
    assert code == 0, (out, err)
    assert "has no accounts left: nothing to undo" in err
    assert [a for a in _actions(engine) if not a.startswith("create")] == ["undo batch"]
