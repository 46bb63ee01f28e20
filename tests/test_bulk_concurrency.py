"""Two bulk runs at once, both drawing numbers from a tiny space: no duplicate, no crash.

The database's unique constraints are the guard; a run that loses a race rolls its savepoint
back, re-checks and draws afresh (service/accounts.py, _BatchRun._flush; the write is
NativeStorage.insert).
"""

from __future__ import annotations

import json
import os
import subprocess

import sqlalchemy as sa

from acctctl.service.lookups import Lookups
from acctctl.storage.native import NativeStorage
from launcher import acctctl_argv


def _bulk_process(env: dict, tmp_path, name: str) -> subprocess.Popen:
    out = open(tmp_path / f"{name}.out", "w")  # noqa: SIM115
    err = open(tmp_path / f"{name}.err", "w")  # noqa: SIM115
    return subprocess.Popen(
        [*acctctl_argv(), "create", "customer", "--count", "300",
         "--prefix", "9", "--length", "4", "--no-input", "-o", "json"],
        env={**os.environ, **env}, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
        cwd=tmp_path,
    )


def test_two_concurrent_runs_drawing_from_a_tiny_space(cli_env, engine, tmp_path):
    # 300 + 300 numbers out of 1,000 (9000-9999): collisions between the runs are near certain
    runs = [_bulk_process(cli_env, tmp_path, name) for name in ("a", "b")]
    codes = [run.wait(timeout=240) for run in runs]
    errs = [(tmp_path / f"{n}.err").read_text() for n in ("a", "b")]
    assert codes == [0, 0], errs
    created = []
    for name in ("a", "b"):
        doc = json.loads((tmp_path / f"{name}.out").read_text())
        assert doc["summary"] == {"created": 300, "skipped": 0, "failed": 0}
        created += [a["number"] for a in doc["created"]]
    assert len(set(created)) == 600
    with engine.connect() as conn:
        stored = list(conn.execute(sa.text("SELECT number FROM accounts")).scalars())
        devices = conn.execute(sa.text("SELECT count(*) FROM sip_devices")).scalar_one()
    assert len(stored) == len(set(stored)) == 600
    assert set(stored) == set(created)
    assert all(n.startswith("9") and len(n) == 4 for n in stored)
    assert all(a["first_name"] == a["number"] for n in ("a", "b") for a in
               json.loads((tmp_path / f"{n}.out").read_text())["created"])
    assert devices == 600


def test_a_lost_race_is_redrawn(cli, engine, monkeypatch):
    """Force the race in-process: the pre-insert check sees nothing taken, yet the number the
    run draws first was just inserted by "someone else". The savepoint insert fails with an
    IntegrityError, and the redraw path must pick an unused number and carry on."""
    from acctctl.service import secrets_

    first = cli.json("create", "customer", "--count", "1", "--prefix", "88", "--length", "4")
    taken = first["created"][0]["number"]

    real_existing = Lookups.existing
    blind = {"calls": 0}

    def existing(self, numbers=(), email_keys=(), pins=()):
        if blind["calls"] < 2:  # blind for the first check and the first draw
            blind["calls"] += 1
            return {"number": set(), "email": set(), "pin": set()}
        return real_existing(self, numbers, email_keys, pins)

    real_generate = secrets_.generate_account_number
    draws = iter([taken])

    def generate(length, prefix=""):
        return next(draws, None) or real_generate(length, prefix)

    inserts = {"failed": 0}
    real_insert = NativeStorage.insert

    def insert(self, conn, batch, pending):
        try:
            return real_insert(self, conn, batch, pending)
        except sa.exc.IntegrityError:
            inserts["failed"] += 1
            raise

    monkeypatch.setattr(Lookups, "existing", existing)
    monkeypatch.setattr(secrets_, "generate_account_number", generate)
    monkeypatch.setattr(NativeStorage, "insert", insert)

    doc = cli.json("create", "customer", "--count", "5", "--prefix", "88", "--length", "4")
    assert inserts["failed"] == 1  # the race happened, and was recovered from
    numbers = [a["number"] for a in doc["created"]]
    assert len(set(numbers)) == 5 and taken not in numbers
    assert [a["first_name"] for a in doc["created"]] == numbers  # follows the redrawn number
    with engine.connect() as conn:
        stored = list(conn.execute(sa.text("SELECT number FROM accounts")).scalars())
    assert sorted(stored) == sorted([taken, *numbers])


class _Deadlock(Exception):
    sqlstate = "40P01"


class _Other(Exception):
    sqlstate = "53300"  # too many connections: not ours to retry


def test_a_deadlock_victim_rolls_back_its_savepoint_and_retries(cli, engine, monkeypatch):
    real_insert = NativeStorage.insert
    calls = {"n": 0}

    def insert(self, conn, batch, pending):
        calls["n"] += 1
        if calls["n"] == 1:
            real_insert(self, conn, batch, pending)  # half done, then chosen as the deadlock victim
            raise sa.exc.OperationalError("INSERT", {}, _Deadlock("deadlock detected"))
        return real_insert(self, conn, batch, pending)

    monkeypatch.setattr(NativeStorage, "insert", insert)
    doc = cli.json("create", "customer", "--count", "3")
    assert calls["n"] == 2 and doc["summary"]["created"] == 3
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT count(*) FROM accounts")).scalar_one()
        devices = conn.execute(sa.text("SELECT count(*) FROM sip_devices")).scalar_one()
    assert stored == devices == 3  # the victim's first attempt left nothing behind


def test_other_operational_errors_are_not_retried_and_exit_5(cli, monkeypatch):
    def insert(self, conn, batch, pending):
        raise sa.exc.OperationalError("INSERT", {}, _Other("too many connections"))

    monkeypatch.setattr(NativeStorage, "insert", insert)
    result = cli("create", "customer", "--count", "3")
    assert result.exit_code == 5 and "too many connections" in result.stderr
    assert "internal error" not in result.stderr
    assert cli.json("account", "list") == []
