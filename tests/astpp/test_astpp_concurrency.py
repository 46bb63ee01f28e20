"""Two concurrent `--count 300` runs against one ASTPP database: ASTPP has no unique index
on accounts.number or email, so only acctctl's named lock keeps them apart."""

from __future__ import annotations

import os
import subprocess
import time

from astpp.astpp_helpers import rows
from launcher import acctctl_argv


def test_two_concurrent_bulk_runs_leave_no_duplicates(astpp_config, db, tmp_path):
    env = {**os.environ, "ACCTCTL_CONFIG": str(astpp_config), "ACCTCTL_NO_INPUT": "1"}
    env.pop("ACCTCTL_DATABASE_URL", None)
    # a 3-digit space of 900 numbers: 600 draws collide often unless the writers serialise;
    # one run without SIP devices, so sip_devices' unique index cannot be what saves it
    argv = [*acctctl_argv(), "create", "customer", "--count", "300",
               "--length", "3", "-o", "csv"]
    runs = [subprocess.Popen(argv + extra, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
            for extra in ([], ["--no-sip-device"])]
    errors = [run.communicate(timeout=300)[1] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], errors
    numbers = rows(db, "SELECT number FROM accounts WHERE type = 0 AND deleted = 0")
    usernames = rows(db, "SELECT username FROM sip_devices")
    pins = rows(db, "SELECT pin FROM accounts WHERE type = 0")
    assert len(numbers) == 600 == len({r["number"] for r in numbers})
    assert len(usernames) == 300 == len({r["username"] for r in usernames})
    assert len({r["pin"] for r in pins}) == 600


def test_writers_wait_for_the_named_lock(astpp_config, astpp_db, db, tmp_path):
    """While another writer holds the database's lock, acctctl writes nothing; it proceeds
    once the lock is released."""
    name, connect = astpp_db
    holder = connect()
    with holder.cursor() as cur:
        cur.execute("SELECT GET_LOCK(%s, 10)", (f"acctctl.astpp:{name}",))
    env = {**os.environ, "ACCTCTL_CONFIG": str(astpp_config), "ACCTCTL_NO_INPUT": "1"}
    env.pop("ACCTCTL_DATABASE_URL", None)
    run = subprocess.Popen([*acctctl_argv(), "create", "customer",
                            "--first-name", "Ada"], env=env, cwd=tmp_path,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    # wait until its session is blocked in GET_LOCK (however long a loaded machine takes to
    # start it), then give it a moment in which it must not write
    deadline = time.monotonic() + 120
    while not rows(db, "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE "
                   "DB = %s AND INFO LIKE 'SELECT GET_LOCK%%'", name)[0]["n"]:
        assert run.poll() is None, run.stderr.read()
        assert time.monotonic() < deadline, "acctctl never asked for the lock"
        time.sleep(0.05)
    try:
        run.wait(timeout=1)
    except subprocess.TimeoutExpired:
        pass
    assert run.poll() is None  # still waiting for the lock
    assert rows(db, "SELECT COUNT(*) AS n FROM accounts")[0]["n"] == 1
    with holder.cursor() as cur:
        cur.execute("SELECT RELEASE_LOCK(%s)", (f"acctctl.astpp:{name}",))
    holder.close()
    assert run.wait(timeout=60) == 0, run.stderr.read()
    assert rows(db, "SELECT COUNT(*) AS n FROM accounts")[0]["n"] == 2


def test_two_concurrent_files_with_the_same_emails_create_each_once(astpp_config, db, tmp_path):
    source = tmp_path / "rows.csv"
    source.write_text("first_name,email\n" + "".join(
        f"User{i},user{i}@example.com\n" for i in range(50)))
    env = {**os.environ, "ACCTCTL_CONFIG": str(astpp_config), "ACCTCTL_NO_INPUT": "1"}
    env.pop("ACCTCTL_DATABASE_URL", None)
    argv = [*acctctl_argv(), "create", "customer", "--from-file",
               str(source), "--if-exists", "skip", "-o", "csv"]
    runs = [subprocess.Popen(argv, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True) for _ in range(2)]
    errors = [run.communicate(timeout=300)[1] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], errors
    emails = rows(db, "SELECT email FROM accounts WHERE type = 0")
    assert len(emails) == 50 == len({r["email"] for r in emails})
