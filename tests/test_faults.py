"""Faults and races (issue 9, contract §9): exit 5 or 130 with the real cause, never 1.

Database tests run on SQLite and PostgreSQL; SQLite-only faults (a corrupt file, a full disk)
say so in their name.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa

from launcher import acctctl_argv


def acctctl(env: dict, *args: str, cwd=None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([*acctctl_argv(), *args, "--no-input"]
                          if args[0] == "create" else [*acctctl_argv(), *args],
                          env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=120, cwd=cwd, **kw)


def count_accounts(url: str) -> int:
    from acctctl.db.engine import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT count(*) FROM accounts")).scalar_one()
    finally:
        engine.dispose()


def wait_for_a_write(url: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    """Return once another session has started writing to the database (its batch is open,
    not committed): a loaded machine may take many seconds to get there, a quiet one well
    under one. SQLite: the rollback journal exists; PostgreSQL: a backend holds a
    transaction id."""
    from sqlalchemy.engine import make_url

    from acctctl.db.engine import make_engine

    deadline = time.monotonic() + timeout
    if url.startswith("sqlite"):
        journal = make_url(url).database + "-journal"
        while not os.path.exists(journal):
            assert proc.poll() is None, "the run ended before it wrote"
            assert time.monotonic() < deadline, "the run never started writing"
            time.sleep(0.02)
        return
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            while not conn.execute(sa.text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL")).scalar_one():
                conn.rollback()
                assert proc.poll() is None, "the run ended before it wrote"
                assert time.monotonic() < deadline, "the run never started writing"
                time.sleep(0.02)
    finally:
        engine.dispose()


# --- initialisation, schema versions -------------------------------------------------------


def test_concurrent_first_use_initialises_once(blank_db_url, config_file, tmp_path):
    env = {**os.environ, "ACCTCTL_DATABASE_URL": blank_db_url,
           "ACCTCTL_CONFIG": str(config_file)}
    runs = [subprocess.Popen(
        [*acctctl_argv(), "create", "customer", "--first-name", f"C{i}",
         "--no-input", "-o", "json"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, cwd=tmp_path) for i in range(4)]
    results = [(run.wait(timeout=180), run.stderr.read()) for run in runs]
    for run in runs:
        run.stdout.close()
        run.stderr.close()
    assert [code for code, _ in results] == [0, 0, 0, 0], results
    assert count_accounts(blank_db_url) == 4


def test_a_database_from_a_newer_acctctl_is_exit_5_everywhere(cli, engine):
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    for args in (("create", "customer", "--first-name", "Ada"), ("account", "list"),
                 ("rategroup", "list"), ("db", "upgrade"), ("db", "current"), ("db", "check")):
        result = cli(*args)
        assert result.exit_code == 5, (args, result.stderr)
        assert "newer acctctl" in result.stderr and "upgrade acctctl" in result.stderr, args
        assert "run: acctctl db upgrade" not in result.stderr
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM accounts")).scalar_one() == 0


def test_a_corrupt_sqlite_file_is_exit_5_with_the_diagnosis(config_file, tmp_path):
    path = tmp_path / "corrupt.db"
    env = {"ACCTCTL_DATABASE_URL": f"sqlite:///{path}", "ACCTCTL_CONFIG": str(config_file)}
    assert acctctl(env, "create", "customer", "--count", "200").returncode == 0
    size = path.stat().st_size
    with open(path, "r+b") as handle:  # scribble over the pages after the schema
        for page in range(2, size // 4096):
            handle.seek(page * 4096 + 100)
            handle.write(b"\xde\xad\xbe\xef" * 200)
    for args in (("create", "customer", "--first-name", "Ada"), ("account", "list"),
                 ("db", "check")):
        result = acctctl(env, *args)
        assert result.returncode == 5, (args, result.stderr)
        assert "corrupt" in result.stderr and "internal error" not in result.stderr


def test_db_check_reads_every_page_of_a_sqlite_file(config_file, tmp_path):
    path = tmp_path / "damaged.db"
    env = {"ACCTCTL_DATABASE_URL": f"sqlite:///{path}", "ACCTCTL_CONFIG": str(config_file)}
    assert acctctl(env, "create", "customer", "--count", "300").returncode == 0
    size = path.stat().st_size
    with open(path, "r+b") as handle:  # damage the last pages only: a listing may not notice
        handle.seek(size - 3 * 4096)
        handle.write(b"\xde\xad\xbe\xef" * 3000)
    result = acctctl(env, "db", "check")
    assert result.returncode == 5, result.stderr
    assert "corrupt" in result.stderr


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:",
                                 "sqlite:///file::memory:?cache=shared"])
def test_sqlite_urls_that_keep_nothing_are_refused(config_file, url):
    from typer.testing import CliRunner

    from acctctl.cli import app

    env = {"ACCTCTL_CONFIG": str(config_file), "ACCTCTL_DATABASE_URL": url}
    result = CliRunner().invoke(app, ["create", "customer", "--first-name", "Ada"], env=env)
    assert result.exit_code == 5, result.stdout
    assert "keep nothing" in result.stderr
    assert "password" not in result.stdout


# --- faults mid-batch ----------------------------------------------------------------------


def test_a_full_disk_reports_the_real_cause_sqlite(cli, db_url, engine, monkeypatch):
    """SQLite on a full disk (here: a page cap, which fails the same way, SQLITE_FULL) rolls
    the transaction back by itself; the error is the write that failed, not the savepoint
    that no longer exists."""
    if not db_url.startswith("sqlite"):
        pytest.skip("a full disk is simulated with SQLite's max_page_count")
    from sqlalchemy import event

    from acctctl.db import engine as engines

    like_postgres = engines._sqlite_like_postgres

    def tiny_disk(new_engine):
        like_postgres(new_engine)

        @event.listens_for(new_engine, "connect")
        def _cap(dbapi_connection, _record):
            pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
            dbapi_connection.execute(f"PRAGMA max_page_count={pages + 20}")

    monkeypatch.setattr(engines, "_sqlite_like_postgres", tiny_disk)
    result = cli("create", "customer", "--count", "2000")
    assert result.exit_code == 5, result.stderr
    assert "savepoint" not in result.stderr
    assert "full" in result.stderr and "nothing was written" in result.stderr
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM accounts")).scalar_one() == 0


def test_an_interrupt_surfacing_as_a_driver_error_exits_130(cli, monkeypatch):
    """psycopg raises "cannot exit pipeline mode" when Ctrl-C lands inside a pipeline: the
    KeyboardInterrupt is its context, and the run is an interrupted one (130), quietly."""
    from acctctl.service import accounts

    def interrupted(*args, **kwargs):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as exc:
            raise sa.exc.OperationalError(
                "INSERT", {}, Exception("cannot exit pipeline mode")) from exc

    monkeypatch.setattr(accounts, "create_accounts", interrupted)
    result = cli("create", "customer", "--first-name", "Ada")
    assert result.exit_code == 130, result.stderr
    assert "pipeline" not in result.stderr and "Traceback" not in result.stderr


def test_the_driver_never_logs_to_stderr(db_url):
    import logging

    from acctctl.db.engine import make_engine

    make_engine(db_url).dispose()
    if db_url.startswith("postgresql"):  # "error ignored terminating <Pipeline>"
        assert not logging.getLogger("psycopg").isEnabledFor(logging.WARNING)


def test_ctrl_c_mid_batch_exits_130_quietly_and_writes_nothing(cli_env, db_url, tmp_path):
    proc = subprocess.Popen(
        [*acctctl_argv(), "create", "customer", "--count", "5000", "--no-input",
         "-o", "jsonl"], env={**os.environ, **cli_env}, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True, cwd=tmp_path,
        # a shell without job control starts background jobs with SIGINT ignored
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    wait_for_a_write(db_url, proc)  # mid-batch: 5,000 rows are written in chunks of 500
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    if proc.returncode == 0:
        pytest.skip("the batch finished before the interrupt")
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and "error ignored" not in stderr
    assert count_accounts(db_url) == 0


def test_a_killed_run_leaves_no_secrets_file_and_can_be_run_again(cli_env, db_url, tmp_path):
    secrets = tmp_path / "secrets.csv"
    args = [sys.executable, "-m", "acctctl", "create", "customer", "--from-file", "-",
            "--format", "jsonl", "--secrets-file", str(secrets), "--no-input", "-o", "json"]
    row = json.dumps({"number": "5000001", "first_name": "Ada"}) + "\n"
    proc = subprocess.Popen(args, env={**os.environ, **cli_env}, stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
                            cwd=tmp_path)
    proc.stdin.write(row)
    proc.stdin.flush()
    # started, connected, reading rows (stdin stays open): the batch is open, not committed
    deadline = time.monotonic() + 120
    while not [p for p in tmp_path.iterdir() if p.name.startswith(".secrets.csv.")]:
        assert proc.poll() is None and time.monotonic() < deadline, "the run never started"
        time.sleep(0.02)
    time.sleep(0.5)
    proc.kill()
    proc.wait()
    assert not secrets.exists()
    rerun = subprocess.run(args, input=row, env={**os.environ, **cli_env}, capture_output=True,
                           text=True, timeout=120, cwd=tmp_path)
    assert rerun.returncode == 0, rerun.stderr
    assert (secrets.stat().st_mode & 0o777) == 0o600
    assert "5000001," in secrets.read_text()
    # what the killed run left is its empty temporary file, never a secret
    leftovers = [p for p in tmp_path.iterdir() if p.name.startswith(".secrets.csv.")]
    assert [p.stat().st_size for p in leftovers] == [0]


def test_a_failed_batch_leaves_no_secrets_file(cli, tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text('{"first_name": "Ada"}\n{"first_name": ""}\n')
    secrets = tmp_path / "s.csv"
    result = cli("create", "customer", "--from-file", str(path), "--secrets-file", str(secrets))
    assert result.exit_code == 3
    assert not secrets.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".s.csv")] == []


# --- search is literal ---------------------------------------------------------------------


def test_reference_search_text_is_literal(cli):
    for what in ("countries", "currencies"):
        assert cli.json("reference", what, "--search", "%") == []
        assert cli.json("reference", what, "--search", "_") == []
    zones = cli.json("reference", "timezones", "--search", "_")
    assert zones and all("_" in z["name"] for z in zones)
    assert len(zones) < len(cli.json("reference", "timezones"))
    assert "EUR" in [c["code"] for c in cli.json("reference", "currencies", "--search", "eur")]
    assert cli("reference", "countries", "--search", "a\x00").exit_code == 2


def test_a_swallowed_ctrl_c_still_writes_nothing(cli, engine, monkeypatch):
    """Python prints "Exception ignored" and drops a KeyboardInterrupt that lands in an import
    lock's callback; the interrupt is remembered and the batch is not committed."""
    from acctctl import interrupts

    monkeypatch.setattr(interrupts, "requested", interrupts.threading.Event())
    interrupts.requested.set()
    result = cli("create", "customer", "--count", "3")
    assert result.exit_code == 130, result.stderr
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM accounts")).scalar_one() == 0
