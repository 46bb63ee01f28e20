"""Issue 17: storage is one declared interface (acctctl.storage). The target is chosen by
database.target from REGISTRY; a new target is one class and one registry line, and the
service writes through what it is given; the layers import downwards only; every `account`
verb is registered where the group is, not as a side effect of another module."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

from acctctl import storage as storage_api
from acctctl.storage.native import NativeStorage

SRC = Path(__file__).resolve().parents[1] / "src" / "acctctl"
CALLS: list[str] = []  # what RecordingStorage was asked, in order


class RecordingStorage(NativeStorage):
    """A third target: acctctl's own schema, noting each storage operation the service calls.
    Registered by one REGISTRY line in the tests below, and nowhere else."""

    name = "recording"

    @contextmanager
    def transaction(self, *, dry_run: bool = False):
        CALLS.append("transaction")
        with super().transaction(dry_run=dry_run) as conn:
            yield conn

    def insert(self, conn, batch, rows):
        CALLS.append(f"insert {batch.kind} {len(rows)}")
        return super().insert(conn, batch, rows)

    def find(self, conn, numbers, **kwargs):
        CALLS.append("find " + " ".join(numbers))
        return super().find(conn, numbers, **kwargs)

    def set_status(self, conn, accounts, status, now):
        CALLS.append(f"set_status {status} " + " ".join(a.number for a in accounts))
        super().set_status(conn, accounts, status, now)

    def update(self, conn, account, changes, ids, now):
        CALLS.append(f"update {account.number} " + " ".join(sorted(changes)))
        super().update(conn, account, changes, ids, now)

    def update_many(self, conn, updates, now):  # the service's chunked form of update()
        for account, changes, _ids in updates:
            CALLS.append(f"update {account.number} " + " ".join(sorted(changes)))
        super().update_many(conn, updates, now)

    def list_accounts(self, where, sort="number", limit=None, offset=0):
        CALLS.append("list_accounts")
        return super().list_accounts(where, sort, limit, offset)

    def show(self, number=None, email=None, *, with_devices=True):
        CALLS.append(f"show {number}")
        return super().show(number, email, with_devices=with_devices)


@pytest.fixture
def recording(cli, cli_env, tmp_path, monkeypatch):
    """`cli` on database.target = "recording", registered by one line."""
    monkeypatch.setitem(storage_api.REGISTRY, "recording",
                        f"{__name__}:RecordingStorage")
    config = Path(cli_env["ACCTCTL_CONFIG"])
    config.write_text(config.read_text() + '\n[database]\ntarget = "recording"\n')
    CALLS.clear()
    return cli


def test_the_registry_picks_the_storage_of_database_target(cli_env, monkeypatch):
    from acctctl.cli.state import State

    assert storage_api.storage_class("acctctl") is NativeStorage
    astpp = storage_api.storage_class("astpp")
    assert astpp.__module__ == "acctctl.targets.astpp.storage" and astpp.name == "astpp"
    assert issubclass(astpp, storage_api.Storage)
    for key, value in cli_env.items():
        monkeypatch.setenv(key, value)
    state = State(argv=["acctctl", "account", "list"])
    try:
        assert type(state.storage()) is NativeStorage
        assert state.engine() is state.storage().engine  # one connection pool per command
    finally:
        state.close()


def test_a_new_target_is_one_registry_line_and_the_service_writes_through_it(recording,
                                                                              engine):
    import sqlalchemy as sa

    created = recording.json("create", "customer", "--first-name", "Ada", "--email",
                             "ada@example.com")
    number = created["number"]
    assert CALLS == ["transaction", "insert customer 1"]
    CALLS.clear()
    result = recording("account", "disable", number)
    assert result.exit_code == 0, result.stderr
    assert CALLS == ["transaction", f"find {number}", f"set_status inactive {number}"]
    CALLS.clear()
    result = recording("account", "update", number, "--city", "Paris", "--yes")
    assert result.exit_code == 0, result.stderr
    assert "transaction" in CALLS and f"update {number} city" in CALLS
    CALLS.clear()
    listed = recording.json("account", "list")
    shown = recording.json("account", "show", number)
    assert CALLS == ["list_accounts", f"show {number}"]
    assert [a["number"] for a in listed] == [number] and shown["city"] == "Paris"
    with engine.connect() as conn:  # the audit trail went through the storage's ledger
        actions = list(conn.execute(sa.text(
            "SELECT action FROM audit_events ORDER BY id")).scalars())
    assert actions == ["create customer", "disable", "update"]


def test_an_unknown_target_names_the_registered_ones(cli, cli_env):
    config = Path(cli_env["ACCTCTL_CONFIG"])
    config.write_text(config.read_text() + '\n[database]\ntarget = "registrar"\n')
    result = cli("account", "list")
    assert result.exit_code == 5, (result.stdout, result.stderr)  # a configuration error
    assert "acctctl, astpp" in result.stderr and "registrar" in result.stderr


def test_a_storage_that_misses_an_operation_cannot_be_made():
    class Partial(storage_api.Storage):
        name = "partial"

        def insert(self, conn, batch, rows):
            return []

    with pytest.raises(TypeError, match="abstract"):
        Partial()
    missing = Partial.__abstractmethods__
    for operation in ("check", "transaction", "lookups", "find", "update", "set_status",
                      "soft_delete", "purge", "list_accounts", "show", "export_rows", "ledger"):
        assert operation in missing


def test_astpp_supports_every_account_command_but_not_role_or_db_writes():
    astpp = storage_api.storage_class("astpp")
    for operation in ("create", "account list", "account show", "account list --kind",
                      "reference", "rategroup list", "account export", "account list --status",
                      "account list total", "account list --sort", "account update",
                      "account list --batch", "account disable", "account enable",
                      "account delete", "account reset-password", "account rotate-sip-secret",
                      "ledger", "batch list", "batch show", "batch undo", "audit list",
                      "rategroup create", "rategroup update", "tax delete"):
        assert astpp.supports(operation), operation
    for operation in ("role create", "db upgrade"):
        assert not astpp.supports(operation), operation
    assert NativeStorage.supports("account update") and NativeStorage.supports("ledger")


# --- the import graph ------------------------------------------------------------------------


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, names) of every import in the file, at any depth (lazy ones too)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.module, [alias.name for alias in node.names]))
    return found


def _files(*parts: str) -> list[Path]:
    return sorted(SRC.joinpath(*parts).rglob("*.py"))


def test_the_service_knows_no_target_and_no_adapter_takes_a_private_service_name():
    wrong = []
    for path in _files("service"):
        wrong += [f"{path.name}: {module}" for module, _ in _imports(path)
                  if module.startswith("acctctl.targets")]
    for path in _files("targets") + _files("storage"):
        for module, names in _imports(path):
            if module.startswith("acctctl.service"):
                private = [n for n in names if n.startswith("_")]
                if private or module.rsplit(".", 1)[-1].startswith("_"):
                    wrong.append(f"{path.name}: {module} {private}")
    assert wrong == []


def test_no_target_rides_on_the_engine_any_more():
    hits = [str(p.relative_to(SRC)) for p in SRC.rglob("*.py")
            if "acctctl_target" in p.read_text()]
    assert hits == []


def test_cli_reaches_storage_through_state_only():
    """No SQL in cli/ (no statement, no table), and storage only as the declared interface
    (acctctl.storage, never an adapter's module)."""
    wrong = []
    for path in _files("cli"):
        for module, _ in _imports(path):
            if module.startswith(("acctctl.storage.", "acctctl.targets",
                                  "acctctl.models.tables")):
                wrong.append(f"{path.name}: {module}")
        text = path.read_text()
        wrong += [f"{path.name}: {call}" for call in ("sa.text(", "sa.select(", "sa.insert(",
                                                      "sa.update(", "sa.delete(", ".execute(")
                  if call in text]
    assert wrong == []


# --- explicit command registration -----------------------------------------------------------


def test_account_help_lists_every_verb_without_importing_batch_cmd(tmp_path):
    """`account` gets its verbs where the group is made (cli/account.py), not as a side
    effect of cli/batch_cmd.py importing cli/day_two.py."""
    script = (
        "import json, sys\n"
        "from typer.testing import CliRunner\n"
        "from acctctl.cli import app\n"
        "result = CliRunner().invoke(app, ['account', '--help'])\n"
        "print(json.dumps({'out': result.output,\n"
        "                  'batch_cmd': 'acctctl.cli.batch_cmd' in sys.modules}))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, env={"HOME": str(tmp_path), "COLUMNS": "100",
                                            "PATH": "/usr/bin:/bin"})
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["batch_cmd"] is False
    for verb in ("list", "show", "update", "disable", "enable", "delete", "reset-password",
                 "rotate-sip-secret", "export"):
        assert f"  {verb} " in report["out"], verb


def test_account_and_day_two_do_not_import_each_other():
    account = {m for m, _ in _imports(SRC / "cli" / "account.py")}
    day_two = {m for m, _ in _imports(SRC / "cli" / "day_two.py")}
    batch_cmd = {m for m, _ in _imports(SRC / "cli" / "batch_cmd.py")}
    assert "acctctl.cli.account" not in day_two
    assert not any("day_two" in m for m in batch_cmd)
    assert "acctctl.cli" in account or "acctctl.cli.day_two" in account


# --- the service owns the batch, the storage the transaction --------------------------------


class _RolledBack(Exception):
    """What a storage's database says when it rolled the whole transaction back."""


class FlakyStorage(NativeStorage):
    """Its first transaction is rolled back by "the database" after the accounts are written."""

    may_retry = True

    def __init__(self, engine):
        super().__init__(engine)
        self.inserts = 0

    def insert(self, conn, batch, rows):
        self.inserts += 1
        ids = super().insert(conn, batch, rows)
        if self.inserts == 1:
            raise _RolledBack("deadlock")
        return ids

    def retryable(self, exc):
        return isinstance(exc, _RolledBack)


def test_a_batch_the_storage_may_retry_runs_again_from_a_single_pass_source(engine):
    import sqlalchemy as sa

    from acctctl.config import Settings
    from acctctl.service.accounts import BatchOptions, create_accounts

    settings = Settings(passwords={"hash_time_cost": 1, "hash_memory_kib": 1024,
                                   "hash_parallelism": 1})
    rows = ((i, {"first_name": f"R{i}", "number": f"55500{i}"}) for i in (1, 2))  # read once
    storage = FlakyStorage(engine)
    result = create_accounts(storage, settings, "customer", rows, BatchOptions())
    assert storage.inserts == 2 and result.created_count == 2 and result.written
    with engine.connect() as conn:
        numbers = list(conn.execute(sa.text("SELECT number FROM accounts ORDER BY number"))
                       .scalars())
        audits = conn.execute(sa.text("SELECT count(*) FROM audit_events")).scalar_one()
    assert numbers == ["555001", "555002"] and audits == 2  # the first run left nothing


def test_a_batch_the_storage_cannot_retry_is_rolled_back_once(engine):
    import sqlalchemy as sa

    from acctctl.config import Settings
    from acctctl.service.accounts import BatchOptions, create_accounts

    storage = FlakyStorage(engine)
    storage.may_retry = False
    storage.retryable = lambda exc: False
    with pytest.raises(_RolledBack):
        create_accounts(storage, Settings(), "customer", [(1, {"first_name": "A"})],
                        BatchOptions())
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM accounts")).scalar_one() == 0
