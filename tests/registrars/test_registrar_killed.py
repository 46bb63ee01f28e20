"""A `create` killed (SIGKILL, by its pid) in the middle of a large run with a registrar
leaves a state `registrar check` reports and `registrar sync` repairs: afterwards the
registrar holds exactly the live devices (docs/registrars.md, "Order of writes")."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa

from registrars.test_registrar_kamailio import DOMAIN, registrar_config, states

COUNT = 10000
RUN_TIMEOUT_S = 300


def _recorded(engine) -> int:
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT count(*) FROM registrar_rows")).scalar()
    except sa.exc.OperationalError:  # SQLite: the writer holds the file for a moment
        return 0


def _killed_create(cli_env, engine, when: str) -> None:
    """`create customer --count COUNT` in its own process, SIGKILLed by its pid: 3 s in
    (inside the accounts transaction), or once the record of the registrar rows is written
    (after the accounts commit, while the registrar's rows are written)."""
    env = {**os.environ, **cli_env}
    process = subprocess.Popen(
        [sys.executable, "-m", "acctctl", "create", "customer", "--count", str(COUNT),
         "--secrets-file", f"secrets-{when.split()[0]}.csv", "-o", "json"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
        env=env)
    try:
        deadline = time.monotonic() + RUN_TIMEOUT_S
        if when == "accounts":
            time.sleep(3)
        else:
            while _recorded(engine) == 0 and time.monotonic() < deadline:
                assert process.poll() is None, "create ended before it could be killed"
                time.sleep(0.02)
        assert process.poll() is None, "create ended before it could be killed"
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL


def _converges(cli, engine, registrar_db) -> set[str]:
    check = cli("registrar", "check")
    assert check.exit_code in (0, 6), check.stderr  # never 1: a state check understands
    assert cli("registrar", "sync").exit_code == 0
    assert states(cli, 0) == {"unmanaged": {"trunk-1"}}
    with engine.connect() as conn:  # joined here: no plan of a table without statistics
        active = set(conn.execute(sa.text(
            "SELECT id FROM accounts WHERE deleted_at IS NULL AND status = 'active'")).scalars())
        live = {u for u, a in conn.execute(sa.text(
            "SELECT username, account_id FROM sip_devices WHERE deleted_at IS NULL AND "
            "status = 'active'")) if a in active}
    rows = {r[0] for r in registrar_db.execute(
        "SELECT username FROM subscriber WHERE domain = %s", (DOMAIN,))} - {"trunk-1"}
    assert rows == live
    return live


@pytest.mark.parametrize(("db_url", "registrar_db"),
                         [("sqlite", "mysql"), ("postgresql", "postgresql")], indirect=True)
def test_a_killed_create_converges_after_sync(cli, cli_env, config_file, registrar_db, engine):
    registrar_config(config_file, registrar_db)
    registrar_db.execute("INSERT INTO subscriber (username, domain, ha1) VALUES "
                         "('trunk-1', %s, 'operator-made')", (DOMAIN,))
    _killed_create(cli_env, engine, "accounts")  # inside the accounts transaction
    _converges(cli, engine, registrar_db)
    _killed_create(cli_env, engine, "registrar")  # after the accounts commit
    assert len(_converges(cli, engine, registrar_db)) >= COUNT  # all of them are there
