"""Issue 16: a closed stdout never costs a generated secret.

acctctl runs as a real subprocess whose stdout is a pipe (shrunk to one page, so a few
kilobytes of output outrun it) and whose reader closes early: before the first byte, after
the first line, mid-way. With --secrets-file the file must hold a row for exactly the
accounts in the database, each secret the one stored; without one, either stdout received
everything before the commit or nothing was committed (exit 130, said on stderr).
"""

from __future__ import annotations

import csv
import fcntl
import io
import json
import os
import subprocess
import tempfile

import pytest
import sqlalchemy as sa

from launcher import acctctl_argv

FORMATS = ("table", "json", "jsonl", "csv")
COUNT = 150  # 17 KB of table, 40 KB of csv, well over 100 KB of json/jsonl: all > 4 KB
PIPE_SIZE = 4096
CLOSED = "stdout was closed before every generated secret was written"


def run_reading(args: list[str], env: dict, cwd, stop) -> tuple[int, bytes, str]:
    """Run acctctl with stdout into a one-page pipe; read until `stop` (None: everything,
    0: nothing, "line": the first line, N: N bytes), then close the pipe's only reader."""
    read_end, write_end = os.pipe()
    fcntl.fcntl(read_end, fcntl.F_SETPIPE_SZ, PIPE_SIZE)
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([*acctctl_argv(), *args], stdout=write_end,
                                stderr=err, stdin=subprocess.DEVNULL,
                                env={**os.environ, **env}, cwd=cwd)
        os.close(write_end)
        got = b""
        with os.fdopen(read_end, "rb", buffering=0) as reader:
            while stop is None or (stop == "line" and b"\n" not in got) or (
                    isinstance(stop, int) and len(got) < stop):
                chunk = reader.read(PIPE_SIZE)
                if not chunk:
                    break
                got += chunk
        code = proc.wait(timeout=300)
        err.seek(0)
        return code, got, err.read().decode()


def stored(db_url: str) -> dict[str, dict]:
    """number -> {"hash": password hash, "sip": SIP secret} of every account in the DB."""
    from acctctl.db.engine import make_engine

    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT a.number, a.password_hash, d.secret FROM accounts a "
                "LEFT JOIN sip_devices d ON d.account_id = a.id")).all()
    finally:
        engine.dispose()
    return {number: {"hash": hashed, "sip": sip} for number, hashed, sip in rows}


def assert_secrets_match(rows: list[dict], accounts: dict[str, dict]) -> None:
    """Exactly one row per account in the database, each secret the one stored."""
    from argon2 import PasswordHasher

    hasher = PasswordHasher()
    assert sorted(r["number"] for r in rows) == sorted(accounts), "rows != accounts"
    for row in rows:
        account = accounts[row["number"]]
        assert hasher.verify(account["hash"], row["password"])
        assert row["sip_password"] == account["sip"]


def secrets_rows(path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def stdout_secrets(fmt: str, out: bytes) -> list[dict]:
    """number, password, sip_password of every account in a complete output."""
    text = out.decode()
    if fmt == "json":
        records = json.loads(text)["created"]
    elif fmt == "jsonl":
        records = [json.loads(line) for line in text.splitlines()]
    if fmt in ("json", "jsonl"):
        return [{"number": r["number"], **r["generated"]} for r in records]
    if fmt == "csv":
        return [{k: r[k] for k in ("number", "password", "sip_password")}
                for r in csv.DictReader(io.StringIO(text))]
    rows = []  # the table: number ... password sip_password, one account a line
    for line in text.splitlines():
        cells = line.split()
        if cells and cells[0].isdigit():
            rows.append({"number": cells[0], "password": cells[-2], "sip_password": cells[-1]})
    return rows


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("stop", [0, "line", "half"])
def test_a_closed_stdout_leaves_a_complete_secrets_file(cli_env, db_url, tmp_path, fmt, stop):
    secrets = tmp_path / "s.csv"
    if stop == "half":
        stop = {"table": 8_000, "csv": 20_000, "json": 60_000, "jsonl": 60_000}[fmt]
    code, _, err = run_reading(["create", "customer", "--count", str(COUNT), "--secrets-file",
                                str(secrets), "-o", fmt], cli_env, tmp_path, stop)
    # the secrets are safe before the commit: a reader that leaves is no failure
    assert code == 0, err
    assert "Traceback" not in err
    accounts = stored(db_url)
    assert len(accounts) == COUNT
    assert (secrets.stat().st_mode & 0o777) == 0o600
    assert_secrets_match(secrets_rows(secrets), accounts)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".s.csv")] == []


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("stop", [0, "line", "half"])
def test_a_closed_stdout_without_a_secrets_file_creates_nothing(cli_env, db_url, tmp_path,
                                                                fmt, stop):
    if stop == "half":
        stop = {"table": 8_000, "csv": 20_000, "json": 60_000, "jsonl": 60_000}[fmt]
    code, got, err = run_reading(["create", "customer", "--count", str(COUNT), "-o", fmt],
                                 cli_env, tmp_path, stop)
    # more output than was read and than the pipe holds: stdout failed before the commit
    assert code == 130, (code, err)
    assert CLOSED in err and "--secrets-file" in err and "Traceback" not in err
    assert stored(db_url) == {}


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_reader_that_reads_everything_gets_every_secret(cli_env, db_url, tmp_path, fmt):
    code, got, err = run_reading(["create", "customer", "--count", str(COUNT), "-o", fmt],
                                 cli_env, tmp_path, None)
    assert code == 0, err
    assert_secrets_match(stdout_secrets(fmt, got), stored(db_url))


def test_from_file_with_a_closed_stdout_keeps_every_secret(cli_env, db_url, tmp_path):
    rows = tmp_path / "rows.jsonl"
    rows.write_text("".join(json.dumps({"number": str(4100000000 + i), "first_name": f"F{i}"})
                            + "\n" for i in range(COUNT)))
    secrets = tmp_path / "s.csv"
    args = ["create", "customer", "--from-file", str(rows), "-o", "jsonl"]
    code, _, err = run_reading([*args, "--secrets-file", str(secrets)], cli_env, tmp_path,
                               "line")
    assert code == 0, err
    assert_secrets_match(secrets_rows(secrets), stored(db_url))
    # the same file again, stdout only, closed early: skipped rows generate nothing, and the
    # new rows are not created
    more = tmp_path / "more.jsonl"
    more.write_text(rows.read_text() + "".join(
        json.dumps({"number": str(4200000000 + i), "first_name": f"G{i}"}) + "\n"
        for i in range(COUNT)))
    code, _, err = run_reading(["create", "customer", "--from-file", str(more), "-o", "jsonl",
                                "--if-exists", "skip"], cli_env, tmp_path, 0)
    assert code == 130 and CLOSED in err, err
    assert len(stored(db_url)) == COUNT


def test_a_single_create_with_a_closed_stdout(cli_env, db_url, tmp_path):
    args = ["create", "customer", "--first-name", "Ada", "-o", "json"]
    code, _, err = run_reading(args, cli_env, tmp_path, 0)
    assert code == 130 and CLOSED in err, err
    assert stored(db_url) == {}
    secrets = tmp_path / "one.csv"
    code, _, err = run_reading([*args, "--secrets-file", str(secrets)], cli_env, tmp_path, 0)
    assert code == 0, err
    assert_secrets_match(secrets_rows(secrets), stored(db_url))


def test_no_secret_generated_no_rollback(cli_env, db_url, tmp_path):
    """Rows that carry their password and no SIP device: stdout holds no secret, so a closed
    stdout after the commit is the ordinary quiet exit 0 and the accounts stay."""
    rows = tmp_path / "rows.csv"
    rows.write_text("number,first_name,password,sip_device\n" + "".join(
        f"{4300000000 + i},P{i},Chosen-Pass-{i:04d},false\n" for i in range(COUNT)))
    rows.chmod(0o600)
    code, _, err = run_reading(["create", "customer", "--from-file", str(rows), "-o", "jsonl"],
                               cli_env, tmp_path, 0)
    assert code == 0, err
    assert len(stored(db_url)) == COUNT


# --- day two: reset-password, rotate-sip-secret --------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_day_two_secrets_with_a_closed_stdout(cli, cli_env, db_url, tmp_path, fmt):
    number = cli.json("create", "customer", "--first-name", "Ada")["number"]
    before = stored(db_url)[number]
    for command in ("reset-password", "rotate-sip-secret"):
        code, _, err = run_reading(["account", command, number, "-o", fmt], cli_env, tmp_path,
                                   0)
        assert code == 130 and CLOSED in err, (command, err)
        assert stored(db_url)[number] == before, command  # nothing changed
    audit = cli.json("audit", "list", "--account", number)
    assert [e["action"] for e in audit] == ["create customer"]
    for command in ("reset-password", "rotate-sip-secret"):
        secrets = tmp_path / f"{command}-{fmt}.csv"
        code, _, err = run_reading(["account", command, number, "-o", fmt, "--secrets-file",
                                    str(secrets)], cli_env, tmp_path, 0)
        assert code == 0, (command, err)
        (row,) = secrets_rows(secrets)
        now = stored(db_url)[number]
        if command == "reset-password":
            from argon2 import PasswordHasher

            assert PasswordHasher().verify(now["hash"], row["password"])
        else:
            assert row["sip_password"] == now["sip"] != before["sip"]


# --- the order itself, in-process: the secrets file is on disk before the commit -----------


def test_the_secrets_file_is_sealed_before_the_commit(cli, tmp_path, monkeypatch):
    """The commit sees a complete, fsynced temporary file; the target appears after it."""
    from acctctl.cli import secrets_file

    secrets = tmp_path / "s.csv"
    seen = []
    real_seal = secrets_file.PendingSecretsFile.seal

    def seal(self):
        real_seal(self)
        with open(self.temp, encoding="utf-8") as handle:
            seen.append((len(handle.read().splitlines()), secrets.exists()))

    monkeypatch.setattr(secrets_file.PendingSecretsFile, "seal", seal)
    result = cli("create", "customer", "--count", "7", "--secrets-file", str(secrets),
                 "-o", "jsonl")
    assert result.exit_code == 0, result.stderr
    assert seen == [(8, False)]  # header + 7 rows, and not in place before the commit
    assert len(secrets.read_text().splitlines()) == 8


def test_a_secrets_file_that_cannot_be_sealed_means_nothing_is_committed(cli, engine, tmp_path,
                                                                         monkeypatch):
    from acctctl.cli import secrets_file

    def full_disk(self):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(secrets_file.PendingSecretsFile, "seal", full_disk)
    secrets = tmp_path / "s.csv"
    result = cli("create", "customer", "--count", "5", "--secrets-file", str(secrets))
    assert result.exit_code == 5, result.stderr  # as a full disk mid-batch (input-rules.md)
    assert "No space left on device; nothing was written" in result.stderr
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM accounts")).scalar() == 0
    assert not secrets.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".s.csv")] == []
