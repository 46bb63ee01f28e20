"""acctctl as a Python library (contract §12, issue 20): `acctctl.open()` gives a client that
runs the CLI's operations with the same service, rules and storage; errors are the
exceptions named after the exit codes; results are typed objects."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from decimal import Decimal

import pytest
from tests.conftest import TEST_CONFIG

import acctctl

IMPORT_CHECK = """
import json, sys
import acctctl
names = [acctctl.Client, acctctl.open, acctctl.InvalidData, acctctl.Conflict,
         acctctl.UsageError, acctctl.ConfigurationError, acctctl.Partial, acctctl.Account]
print(json.dumps(sorted(sys.modules)))
"""

UI = ("typer", "rich", "questionary", "click", "prompt_toolkit")


def test_import_acctctl_and_its_client_load_no_typer_rich_or_questionary():
    out = subprocess.run([sys.executable, "-c", IMPORT_CHECK], capture_output=True,
                         text=True, check=True, timeout=120).stdout
    modules = json.loads(out)
    assert [m for m in modules if m.split(".")[0] in UI] == []


def test_bare_import_acctctl_loads_no_database_layer():
    out = subprocess.run([sys.executable, "-c", "import json, sys, acctctl; "
                          "print(json.dumps(sorted(sys.modules)))"], capture_output=True,
                         text=True, check=True, timeout=120).stdout
    modules = json.loads(out)
    assert [m for m in modules if m.split(".")[0] in (*UI, "sqlalchemy", "pydantic")] == []


def test_errors_are_named_after_the_exit_codes():
    from acctctl import errors

    assert (acctctl.UsageError.exit_code, acctctl.InvalidData.exit_code,
            acctctl.Conflict.exit_code, acctctl.ConfigurationError.exit_code,
            acctctl.Partial.exit_code) == (2, 3, 4, 5, 6)
    # the service's narrower errors are caught by the exit code's name
    assert issubclass(errors.NotFound, acctctl.InvalidData)
    assert issubclass(errors.Exhausted, acctctl.InvalidData)
    assert issubclass(errors.ConfigError, acctctl.ConfigurationError)
    assert issubclass(errors.DatabaseError, acctctl.ConfigurationError)
    assert issubclass(acctctl.InvalidData, acctctl.Error)


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "acctctl.toml"
    path.write_text(TEST_CONFIG)
    path.chmod(0o600)
    return path


@pytest.fixture
def client(db_url, config, tmp_path):
    with acctctl.open(db_url, config=config, env={}, cwd=tmp_path) as c:
        yield c


@pytest.mark.db
def test_create_one_returns_a_typed_account_with_its_generated_secrets(client):
    account = client.create("customer", first_name="Ada", email="ada@example.com")
    assert isinstance(account, acctctl.Account)
    assert account.kind == "customer" and account.number.isdigit()
    assert account.first_name == "Ada" and account.status == "active"
    assert account.credit_limit == Decimal("0") and isinstance(account.created_at, datetime)
    assert account.batch_id is not None
    assert len(account.generated.password) == 16 and account.generated.sip_password
    assert account.as_dict()["generated"] == {"password": account.generated.password,
                                              "sip_password": account.generated.sip_password}
    shown = client.show(account.number)
    assert shown.generated is None and shown.email == "ada@example.com"
    assert shown.sip_devices == [{"username": account.number, "status": "active"}]


@pytest.mark.db
def test_what_the_library_writes_the_cli_reads(client, db_url, config):
    """The same storage and schema: an account created in Python is the CLI's account."""
    from tests.conftest import Cli

    account = client.create("reseller", first_name="Res", number="4000")
    cli = Cli({"ACCTCTL_DATABASE_URL": db_url, "ACCTCTL_CONFIG": str(config)})
    shown = cli.json("account", "show", "4000")
    assert shown["kind"] == "reseller" and shown["first_name"] == "Res"
    assert {k: v for k, v in account.as_dict().items() if k != "generated"}.keys() \
        <= shown.keys()


@pytest.mark.db
def test_create_many_is_atomic_and_raises_invalid_data_with_every_row_error(client):
    rows = [{"first_name": "Ok", "number": "5001"}, {"first_name": "X", "email": "bad"},
            {"first_name": ""}]
    with pytest.raises(acctctl.InvalidData) as caught:
        client.create_many("customer", rows)
    assert [(e.row, e.field) for e in caught.value.errors] == [(2, "email"),
                                                              (3, "first_name")]
    assert caught.value.exit_code == 3 and "nothing was written" in caught.value.message
    with pytest.raises(acctctl.NotFound):
        client.show("5001")


@pytest.mark.db
def test_a_clash_with_an_existing_account_is_a_conflict(client):
    client.create("customer", first_name="A", number="5002", email="a@example.com")
    with pytest.raises(acctctl.Conflict) as caught:
        client.create("customer", first_name="B", email="A@example.com")
    assert caught.value.errors[0].field == "email"
    skipped = client.create("customer", first_name="B", number="5002",
                            options=acctctl.CreateOptions(if_exists="skip"))
    assert skipped.first_name == "A" and skipped.generated is None


@pytest.mark.db
def test_continue_on_error_raises_partial_carrying_what_was_written(client):
    rows = [{"first_name": "Good", "number": "5003"}, {"first_name": "Bad", "cps": "-1"}]
    with pytest.raises(acctctl.Partial) as caught:
        client.create_many("customer", rows,
                           options=acctctl.CreateOptions(continue_on_error=True))
    result = caught.value.result
    assert [a.number for a in result.created] == ["5003"]
    assert [(e.row, e.field) for e in caught.value.errors] == [(2, "cps")]
    assert result.batch_id is not None and client.show("5003").first_name == "Good"


@pytest.mark.db
def test_create_count_dry_run_and_defaults(client):
    result = client.create_count("customer", 3, options=acctctl.CreateOptions(
        prefix="77", length=6), country="DE")
    assert len(result.created) == 3 and result.summary["created"] == 3
    assert all(a.number.startswith("77") and len(a.number) == 6 and a.first_name == a.number
               and a.country == "DE" for a in result.created)
    dry = client.create_many("customer", [{"first_name": "Dry", "number": "5004"}],
                             options=acctctl.CreateOptions(dry_run=True))
    assert dry.dry_run and dry.batch_id is None and dry.created[0].dry_run
    with pytest.raises(acctctl.NotFound):
        client.show("5004")
    with pytest.raises(acctctl.InvalidData, match="only 10 numbers remain free"):
        client.create_count("customer", 11, options=acctctl.CreateOptions(prefix="1",
                                                                          length=2))


@pytest.mark.db
def test_day_two_operations_and_batch_undo(client):
    seeded = client.create_many("customer", [{"first_name": "One", "number": "6001"},
                                             {"first_name": "Two", "number": "6002"}])
    updated = client.update("6001", last_name="Byron", max_channels="3")
    assert updated.changes == {"last_name": ("", "Byron"), "max_channels": (0, 3)}
    assert client.show("6001").max_channels == 3
    with pytest.raises(acctctl.InvalidData) as caught:
        client.update("6001", account_type="postpaid")
    assert caught.value.errors[0].field == "account_type"
    with pytest.raises(acctctl.NotFound, match="no account has number 9999"):
        client.update("9999", last_name="X")
    assert [c.action for c in client.disable("6002")] == ["disabled"]
    assert client.show("6002").status == "inactive"
    assert client.enable("6002")[0].changed
    new = client.reset_password("6002")
    assert new.generated.password and new.generated.sip_password is None
    rotated = client.rotate_sip_secret("6002")
    assert rotated.generated.sip_password
    with pytest.raises(acctctl.InvalidData, match="password"):
        client.reset_password("6002", "short")
    # 6001 was changed since its batch: undo refuses (exit 4) and changes nothing
    with pytest.raises(acctctl.Conflict, match="changed since"):
        client.undo(seeded.batch_id)
    client.delete("6001", purge=True)
    with pytest.raises(acctctl.Conflict, match="changed since"):
        client.undo(seeded.batch_id)  # 6002 was changed too

@pytest.mark.db
def test_batch_undo_purges_what_a_create_wrote(client):
    seeded = client.create_count("customer", 2)
    assert [b.batch_id for b in client.batches()][:1] == [seeded.batch_id]
    assert client.batches()[0].mode == "library"
    assert sorted(a.number for a in client.batch(seeded.batch_id)) == \
        sorted(a.number for a in seeded.created)
    undone = client.undo(seeded.batch_id)
    assert sorted(c.number for c in undone) == sorted(a.number for a in seeded.created)
    assert client.list() == []
    actions = {r.action for r in client.audit(batch=seeded.batch_id)}
    assert actions == {"create customer", "undo batch"}


@pytest.mark.db
def test_list_filters_and_export_round_trip(client, tmp_path, config):
    client.create("reseller", first_name="Res", number="7000")
    client.create_many("customer", [{"first_name": "Ada", "number": "7001"},
                                    {"first_name": "Bob", "number": "7002",
                                     "status": "inactive"}])
    assert [a.number for a in client.list(kind="customer")] == ["7001", "7002"]
    assert [a.number for a in client.list(search="ada")] == ["7001"]
    assert [a.number for a in client.list(acctctl.ListOptions(status="inactive"))] == ["7002"]
    assert [a.number for a in client.list(sort="-number", limit=1)] == ["7002"]
    with pytest.raises(acctctl.UsageError, match="--sort must be a field key"):
        client.list(sort="nope")
    exported = client.export("customer")
    assert "password_hash" in exported.keys and len(exported.rows) == 2
    with acctctl.open(f"sqlite:///{tmp_path / 'copy.db'}", config=config, env={},
                      cwd=tmp_path) as copy:
        copy.create_many("customer", exported.rows)
        assert copy.show("7002").status == "inactive"
        assert copy.export("customer").rows == exported.rows


def test_open_reads_the_config_and_profile_as_the_cli_does(tmp_path):
    db = tmp_path / "staging.db"
    config = tmp_path / "acctctl.toml"
    config.write_text(TEST_CONFIG + f'\n[profiles.staging.database]\nurl = "sqlite:///{db}"\n'
                      '[profiles.staging.numbers]\nlength = 7\n')
    config.chmod(0o600)
    with acctctl.open(config=config, profile="staging", env={}, cwd=tmp_path) as client:
        assert client.profile == "staging" and str(db) in client.url
        assert len(client.create("customer", first_name="S").number) == 7
    assert db.exists()


def test_configuration_problems_are_configuration_errors(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[numbers\n")
    with pytest.raises(acctctl.ConfigurationError):
        acctctl.open(config=bad, env={}, cwd=tmp_path)
    with pytest.raises(acctctl.ConfigurationError):
        acctctl.open("postgresql://nobody@127.0.0.1:1/none", env={}, cwd=tmp_path)


def test_options_are_checked_as_the_cli_checks_its_flags(tmp_path):
    with acctctl.open(f"sqlite:///{tmp_path / 'o.db'}", env={}, cwd=tmp_path) as client:
        with pytest.raises(acctctl.UsageError, match="--prefix must be digits"):
            client.create_count("customer", 2, options=acctctl.CreateOptions(prefix="x"))
        with pytest.raises(acctctl.UsageError, match="cannot share --email"):
            client.create_count("customer", 2, email="a@example.com")
        with pytest.raises(acctctl.UsageError, match="--expiry and --valid-days"):
            client.create("customer", first_name="A", expiry="2099-01-01", valid_days="3")
        with pytest.raises(acctctl.UsageError, match="kind must be one of"):
            client.create("robot", first_name="A")


@pytest.mark.db
def test_update_many_and_create_from_file_follow_the_bulk_rules(client, tmp_path):
    rows = tmp_path / "rows.csv"
    rows.write_text("number,first_name\n8001,Ada\n8002,Bob\n")
    created = client.create_from_file("customer", rows, defaults={"city": "Leeds"})
    assert [(a.number, a.city) for a in created.created] == [("8001", "Leeds"),
                                                              ("8002", "Leeds")]
    with pytest.raises(acctctl.InvalidData) as caught:
        client.update_many([{"number": "8001", "city": "York"},
                            {"number": "8002", "cps": "-1"}])
    assert [(e.row, e.field) for e in caught.value.errors] == [(2, "cps")]
    assert client.show("8001").city == "Leeds"  # atomic: nothing written
    with pytest.raises(acctctl.Partial) as partial:
        client.update_many([{"number": "8001", "city": "York"},
                            {"number": "8002", "cps": "-1"}], continue_on_error=True)
    assert [a.number for a in partial.value.result.updated] == ["8001"]
    assert client.show("8001").city == "York"
    result = client.update_many([{"number": "8001", "city": "York"},
                                 {"number": "8002", "city": "Hull"}])
    assert result.unchanged == ["8001"] and result.updated[0].changes == {
        "city": ("Leeds", "Hull")}
