"""Schema, migrations and database failures, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from conftest import Cli


def _engine(url):
    from acctctl.db.engine import make_engine

    return make_engine(url)


def test_upgrade_from_empty(blank_cli):
    cli, url = blank_cli
    from acctctl.db.migrate import drift, head_revision

    result = cli("db", "current")
    assert result.exit_code == 0 and "(none)" in result.stdout
    result = cli("db", "upgrade")
    assert result.exit_code == 0, result.stderr
    result = cli("db", "current")
    assert result.exit_code == 0 and result.stdout.strip() == head_revision()
    assert cli("db", "check").exit_code == 0
    result = cli("db", "upgrade")
    assert result.exit_code == 0 and "already" in result.stderr
    engine = _engine(url)
    try:
        assert drift(engine) == []
        tables = set(sa.inspect(engine).get_table_names())
        assert {"accounts", "sip_devices", "rate_groups", "taxes", "account_taxes", "roles",
                "countries", "currencies", "timezones", "audit_events"} <= tables
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM countries")).scalar() >= 249
            assert conn.execute(sa.text("SELECT count(*) FROM currencies")).scalar() >= 150
            assert conn.execute(sa.text("SELECT count(*) FROM timezones")).scalar() >= 300
    finally:
        engine.dispose()


def test_first_use_initialises_empty_database(blank_cli):
    cli, _ = blank_cli
    groups = cli.json("rategroup", "list")
    assert [g["name"] for g in groups] == ["default"]
    roles = {(r["name"], r.get("for", r.get("scope"))) for r in cli.json("role", "list")}
    assert {name for name, _ in roles} >= {"admin", "subadmin", "reseller"}
    out = cli.json("create", "customer", "--first-name", "Ada")
    assert len(out["number"]) == 10


def test_migrated_database_checks_clean(cli, engine):
    from acctctl.db.migrate import drift, head_revision

    assert drift(engine) == []
    result = cli("db", "check")
    assert result.exit_code == 0, result.stderr
    result = cli("db", "current")
    assert result.stdout.strip() == head_revision() and "at head" in result.stderr


def test_drift_is_detected(cli, engine):
    """The drift check is not vacuous: an extra column shows up."""
    from acctctl.db.migrate import drift

    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE accounts ADD COLUMN stray INTEGER"))
    assert drift(engine) != []
    result = cli("db", "check")
    assert result.exit_code == 5 and "stray" in result.stderr


@pytest.fixture
def behind(cli, engine, monkeypatch):
    """A database one migration behind this acctctl. Its revision must be one acctctl ships
    (an unknown one means a newer acctctl wrote it, see test_faults.py), so the code's
    newest revision is made one the database does not have yet."""
    from acctctl.db import revision

    monkeypatch.setattr(revision, "HEAD_REVISION", "9999_next")
    return cli


@pytest.mark.parametrize("args", [
    ["create", "customer", "--first-name", "Ada"],
    ["create", "admin", "--first-name", "Ada", "--email", "a@example.com"],
    ["rategroup", "create", "gold"],
    ["tax", "create", "vat", "--rate", "20"],
    ["role", "create", "ops", "--for", "admin"],
])
def test_behind_head_refuses_writes(behind, engine, args):
    result = behind(*args)
    assert result.exit_code == 5, (result.stdout, result.stderr)
    assert "acctctl db upgrade" in result.stderr
    assert "Traceback" not in result.stderr
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM accounts")).scalar() == 0
        assert conn.execute(sa.text("SELECT count(*) FROM rate_groups")).scalar() == 1


def test_behind_head_db_check_and_current(behind, engine):
    result = behind("db", "check")
    assert result.exit_code == 5 and "acctctl db upgrade" in result.stderr
    result = behind("db", "current")
    from acctctl.db.migrate import current_revision

    with engine.connect() as conn:
        revision = current_revision(conn)
    assert result.stdout.strip() == revision and "behind" in result.stderr


UNREACHABLE = "postgresql://acct:s3cr3tpw@127.0.0.1:1/acctctl"


@pytest.fixture
def unreachable(tmp_path, monkeypatch):
    config = tmp_path / "acctctl.toml"
    config.write_text(f'[database]\nurl = "{UNREACHABLE}"\n')
    config.chmod(0o600)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ACCTCTL_DATABASE_URL", raising=False)
    return Cli({"ACCTCTL_CONFIG": str(config), "COLUMNS": "200", "NO_COLOR": "1"})


@pytest.mark.parametrize("args", [
    ["account", "list"],
    ["create", "customer", "--first-name", "Ada"],
    ["rategroup", "list", "-o", "json"],
    ["db", "current"],
    ["db", "upgrade"],
])
def test_unreachable_database(unreachable, args):
    result = unreachable(*args)
    assert result.exit_code == 5, (result.stdout, result.stderr)
    assert "s3cr3tpw" not in result.stderr + result.stdout
    assert "127.0.0.1" in result.stderr and "acct" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_help_and_version_without_database(unreachable):
    from acctctl import __version__

    result = unreachable("--help")
    assert result.exit_code == 0 and "create" in result.stdout
    result = unreachable("--version")
    assert result.exit_code == 0 and __version__ in result.stdout
    result = unreachable("create", "customer", "--help")
    assert result.exit_code == 0 and "--first-name" in result.stdout


def test_foreign_keys_enforced(engine):
    with pytest.raises(sa.exc.IntegrityError):
        with engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO account_taxes (account_id, tax_id) VALUES (999999, 999999)"))


def test_unique_email_key_enforced_by_database(cli, engine):
    cli.json("create", "customer", "--first-name", "A", "--email", "Dup@example.com")
    with pytest.raises(sa.exc.IntegrityError):
        with engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO accounts (number, kind, first_name, last_name, status, country, "
                "timezone, created_at, created_by, batch_id, email, email_key, password_hash) "
                "SELECT '77', kind, first_name, last_name, status, country, timezone, "
                "created_at, created_by, batch_id, 'dup@EXAMPLE.com', email_key, password_hash "
                "FROM accounts"))
