"""Day two (contract §7): update, disable/enable, delete, secrets, batches, audit.

Every test runs on SQLite and on PostgreSQL (the `cli` fixture is parametrised by `db_url`).
"""

from __future__ import annotations

import csv
import json
import os
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from test_bulk import write_csv


def make_reseller(cli, number="700", email="rita@example.com"):
    cli.json("create", "reseller", "--number", number, "--first-name", "Rita", "--email", email)
    cli.json("rategroup", "create", "gold", "--reseller", number)
    cli.json("tax", "create", "VAT", "--rate", "20", "--reseller", number)


def make_customer(cli, number, *args, email=None, pin=None):
    extra = [*args]
    if email:
        extra += ["--email", email]
    if pin:
        extra += ["--pin", pin]
    return cli.json("create", "customer", "--number", number, "--first-name", "Ada", *extra)


def audit_of(cli, number) -> list[dict]:
    return cli.json("audit", "list", "--account", number)


def set_column(engine, number: str, column: str, value) -> None:
    """Through the table's own types, as acctctl stores it on each backend."""
    from acctctl.models.tables import Account

    table = Account.__table__
    with engine.begin() as conn:
        conn.execute(sa.update(table).where(table.c.number == number).values({column: value}))


def count(engine, sql: str) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text(sql)).scalar()


# --- update ---------------------------------------------------------------------------------


def test_update_changes_only_the_given_fields_and_audits_old_and_new(cli):
    before = make_customer(cli, "1001", email="ada@example.com")
    out = cli.json("account", "update", "1001", "--last-name", "Lovelace", "--max-channels",
                   "4", "--country", "fr")
    assert out["changes"] == {"last_name": ["", "Lovelace"], "max_channels": [0, 4],
                              "country": ["US", "FR"]}
    shown = cli.json("account", "show", "1001")
    assert (shown["last_name"], shown["max_channels"], shown["country"]) == ("Lovelace", 4, "FR")
    untouched = ("email", "pin", "expiry", "billing_day", "rate_group", "created_at", "batch_id")
    assert {k: shown[k] for k in untouched} == {k: before[k] for k in untouched}
    assert shown["updated_at"] is not None
    event = audit_of(cli, "1001")[0]
    assert event["action"] == "update" and event["account"] == "1001"
    assert event["changes"] == out["changes"]
    assert "update 1001 --last-name Lovelace" in event["command"]


def test_update_valid_days_and_billing_schedule_recompute_what_follows(cli):
    make_customer(cli, "1001", "--billing-schedule", "monthly", "--billing-day", "10")
    out = cli.json("account", "update", "1001", "--billing-schedule", "daily",
                   "--valid-days", "1")
    assert out["changes"]["billing_day"] == [10, None]
    assert out["changes"]["valid_days"][1] == 1
    assert out["expiry"] < make_customer(cli, "1002")["expiry"]


@pytest.mark.parametrize("flag,value", [("--number", "1002"), ("--account-type", "postpaid"),
                                        ("--reseller", "700")])
def test_update_refuses_immutable_fields(cli, flag, value):
    make_reseller(cli)
    make_customer(cli, "1001")
    result = cli("account", "update", "1001", flag, value, "--last-name", "X")
    assert result.exit_code == 3, result.stderr
    assert f"{flag}: cannot be changed" in result.stderr
    assert cli.json("account", "show", "1001")["last_name"] == ""


def test_update_applies_every_rule_class(cli):
    make_reseller(cli)
    make_customer(cli, "1001", "--reseller", "700", "--rate-group", "gold", email="a@example.com",
                  pin="111111")
    make_customer(cli, "1002", email="b@example.com", pin="222222")

    def refused(*args, code=3, flag=None):
        result = cli("account", "update", "1001", *args)
        assert result.exit_code == code, (args, result.stderr)
        assert flag in result.stderr, result.stderr

    refused("--email", "not-an-email", flag="--email")  # single field
    refused("--credit-limit", "5", flag="--credit-limit")  # cross-field: prepaid
    refused("--billing-schedule", "daily", "--billing-day", "3", flag="--billing-day")
    refused("--rate-group", "default", flag="--rate-group")  # ownership: the admin's
    refused("--tax", "nope", flag="--tax")
    refused("--email", "B@example.com", code=4, flag="--email")  # another live account's
    refused("--pin", "222222", code=4, flag="--pin")
    result = cli("account", "update", "1001", "--company", "x", "--role", "admin")
    assert result.exit_code == 3 and "does not apply to a customer" in result.stderr
    assert cli.json("account", "show", "1001")["company"] == ""
    # the email and PIN of a deleted account are free again
    assert cli("account", "delete", "1002", "--yes").exit_code == 0
    out = cli.json("account", "update", "1001", "--email", "b@example.com", "--pin", "222222",
                   "--tax", "VAT")
    assert out["email"] == "b@example.com" and out["pin"] == "222222" and out["taxes"] == ["VAT"]


def test_update_status_moves_the_sip_device_too_and_flags_conflict(cli, engine):
    make_customer(cli, "1001")
    assert cli.json("account", "update", "1001", "--status", "inactive")["status"] == "inactive"
    assert count(engine, "SELECT count(*) FROM sip_devices WHERE status = 'inactive'") == 1
    result = cli("account", "update", "1001", "--expiry", "2099-01-01", "--valid-days", "3")
    assert result.exit_code == 2 and "cannot be combined" in result.stderr


def test_update_of_an_account_whose_stored_expiry_has_passed(cli, engine):
    make_customer(cli, "1001")
    set_column(engine, "1001", "expiry", datetime(2001, 1, 1, tzinfo=UTC))
    out = cli.json("account", "update", "1001", "--first-name", "Grace")
    assert out["changes"] == {"first_name": ["Ada", "Grace"]}


def test_update_unknown_number_and_nothing_to_change(cli):
    result = cli("account", "update", "9999", "--last-name", "x")
    assert result.exit_code == 3 and "no account has number 9999" in result.stderr
    make_customer(cli, "1001")
    result = cli("account", "update", "1001")
    assert result.exit_code == 2 and "nothing to change" in result.stderr
    result = cli("account", "update", "1001", "--last-name", "")
    assert result.exit_code == 0 and "nothing changed" in result.stderr
    assert audit_of(cli, "1001")[0]["action"] == "create customer"


def test_update_from_file_is_atomic_and_reports_every_error(cli, tmp_path):
    for n in ("1001", "1002", "1003"):
        make_customer(cli, n)
    path = write_csv(tmp_path / "changes.csv", [
        {"number": "1001", "last_name": "One"},
        {"number": "1002", "cps": "-1"},
        {"number": "9999", "last_name": "Nobody"},
        {"number": "1003", "account_type": "postpaid"},
        {"number": "1001", "city": "Twice"},
    ])
    doc = cli.json("account", "update", "--from-file", path, code=3)
    assert [(e["row"], e["field"]) for e in doc["errors"]] == [
        (2, "cps"), (3, "number"), (4, "account_type"), (5, "number")]
    assert doc["updated"] == [] and doc["summary"]["failed"] == 4
    assert cli.json("account", "show", "1001")["last_name"] == ""

    doc = cli.json("account", "update", "--from-file", path, "--dry-run", code=3)
    assert cli.json("account", "show", "1001")["last_name"] == ""

    result = cli("account", "update", "--from-file", path, "--continue-on-error")
    assert result.exit_code == 6, result.stderr
    assert cli.json("account", "show", "1001")["last_name"] == "One"

    good = tmp_path / "good.jsonl"
    good.write_text('{"number": "1002", "cps": "3"}\n')
    good = str(good)
    doc = cli.json("account", "update", "--from-file", good, "--dry-run")
    assert doc["dry_run"] and doc["summary"] == {"updated": 1, "unchanged": 0, "failed": 0}
    assert cli.json("account", "show", "1002")["cps"] == 0
    stdin_rows = '{"number": "1002", "cps": 3}\n'
    result = cli("account", "update", "--from-file", "-", "--format", "jsonl", "-o", "json",
                 input=stdin_rows)
    assert result.exit_code == 0, result.stderr
    assert cli.json("account", "show", "1002")["cps"] == 3


def test_update_wizard_at_a_terminal_prefills_the_current_values(cli, monkeypatch):
    from acctctl.cli import console
    from acctctl.interactive import wizard

    make_customer(cli, "1001", "--last-name", "Byron")
    seen = {}

    def fake_wizard(kind, given, settings, engine, *, ask, confirm=True, **kwargs):
        seen.update(kind=kind, given=dict(given), ask=ask, exclude=kwargs.get("exclude"))
        return {**given, "last_name": "Lovelace"}

    monkeypatch.setattr(console, "current",
                        lambda: console.Streams(stdin_tty=True, stdout_tty=True))
    monkeypatch.setattr(wizard, "run_wizard", fake_wizard)
    out = cli.json("account", "update", "1001", "--yes")  # the summary is asked after the wizard
    assert seen["kind"] == "customer" and seen["ask"] == "essentials"
    assert "account_type" in seen["exclude"] and "number" in seen["exclude"]
    assert seen["given"]["last_name"] == "Byron" and seen["given"]["number"] == "1001"
    assert out["changes"] == {"last_name": ["Byron", "Lovelace"]}

    def renumbering_wizard(kind, given, *args, **kwargs):
        return {**given, "number": "1002"}

    monkeypatch.setattr(wizard, "run_wizard", renumbering_wizard)
    make_customer(cli, "1002")
    result = cli("account", "update", "1001")
    assert result.exit_code == 3 and "--number: cannot be changed" in result.stderr
    assert cli.json("account", "show", "1002")["last_name"] == ""


# --- disable, enable, delete ----------------------------------------------------------------


def test_disable_and_enable_set_account_and_sip_device_status(cli, engine):
    make_customer(cli, "1001")
    make_customer(cli, "1002")
    out = cli.json("account", "disable", "1001", "1002")
    assert [(r["number"], r["status"], r["changed"]) for r in out] == [
        ("1001", "inactive", True), ("1002", "inactive", True)]
    assert cli.json("account", "show", "1001")["sip_devices"] == [
        {"username": "1001", "status": "inactive"}]
    assert count(engine, "SELECT count(*) FROM sip_devices WHERE status = 'active'") == 0
    assert "1001 (inactive)" in cli("account", "show", "1001").stdout
    assert audit_of(cli, "1001")[0]["changes"] == {"status": ["active", "inactive"]}
    result = cli("account", "enable", "1001", "4242")  # one unknown: nothing changes
    assert result.exit_code == 3 and "4242" in result.stderr
    assert cli.json("account", "show", "1001")["status"] == "inactive"
    assert cli.json("account", "enable", "1001")[0]["changed"] is True
    assert count(engine, "SELECT count(*) FROM sip_devices WHERE status = 'active'") == 1


def test_soft_delete_frees_number_email_pin_and_sip_username(cli, engine):
    make_customer(cli, "1001", email="ada@example.com", pin="123456")
    result = cli("account", "delete", "1001", "--yes")
    assert result.exit_code == 0, result.stderr
    assert cli("account", "show", "1001").exit_code == 3
    assert cli.json("account", "list") == []
    deleted = cli.json("account", "list", "--include-deleted")
    assert [(a["number"], a["deleted_at"] is not None) for a in deleted] == [("1001", True)]
    assert count(engine, "SELECT count(*) FROM sip_devices WHERE status = 'inactive'") == 1
    again = make_customer(cli, "1001", email="ADA@example.com", pin="123456")
    assert again["number"] == "1001"
    both = cli.json("account", "list", "--include-deleted")
    assert len(both) == 2 and cli.json("account", "show", "1001")["deleted_at"] is None
    assert count(engine, "SELECT count(*) FROM sip_devices WHERE username = '1001'") == 2
    result = cli("account", "delete", "1001", "--yes")  # the new one; the old stays deleted
    assert result.exit_code == 0
    assert cli("account", "delete", "1001", "--yes").exit_code == 3  # no live one left


def test_purge_removes_rows_also_of_soft_deleted_accounts(cli, engine):
    make_customer(cli, "1001")
    make_customer(cli, "1002")
    assert cli("account", "delete", "1001", "--yes").exit_code == 0
    out = cli.json("account", "delete", "1001", "1002", "--purge", "--yes")
    assert [r["action"] for r in out] == ["purged", "purged"]
    assert count(engine, "SELECT count(*) FROM accounts") == 0
    assert count(engine, "SELECT count(*) FROM sip_devices") == 0
    assert audit_of(cli, "1001")[0]["action"] == "purge"  # the trail outlives the account


def test_deleting_a_reseller_with_dependants_exits_4_naming_them(cli):
    make_reseller(cli)
    make_customer(cli, "1001", "--reseller", "700", "--rate-group", "gold")
    result = cli("account", "delete", "700", "--yes")
    assert result.exit_code == 4
    for named in ("1001", "'gold'", "'VAT'"):
        assert named in result.stderr
    assert cli.json("account", "show", "700")["deleted_at"] is None
    # deleting the reseller together with what it owns still leaves its rate group and tax
    result = cli("account", "delete", "700", "1001", "--yes")
    assert result.exit_code == 4 and "1001" not in result.stderr.split("owned")[0]
    assert cli.json("account", "show", "1001")["deleted_at"] is None


def test_purging_a_reseller_counts_its_soft_deleted_customers(cli):
    make_reseller(cli)
    make_customer(cli, "1001", "--reseller", "700", "--rate-group", "gold")
    assert cli("account", "delete", "1001", "--yes").exit_code == 0
    result = cli("account", "delete", "700", "--purge", "--yes")
    assert result.exit_code == 4 and "1001 (deleted)" in result.stderr


def test_delete_needs_yes_off_a_terminal_and_asks_at_one(cli, monkeypatch):
    from acctctl.cli import console
    from acctctl.interactive import wizard

    make_customer(cli, "1001")
    result = cli("account", "delete", "1001")
    assert result.exit_code == 2 and "--yes" in result.stderr
    assert cli.json("account", "show", "1001")["deleted_at"] is None

    answers = []

    class Prompter:
        def confirm(self, message, default=False):
            answers.append(message)
            return len(answers) > 1  # no the first time, yes the second

    monkeypatch.setattr(console, "current",
                        lambda: console.Streams(stdin_tty=True, stdout_tty=True))
    monkeypatch.setattr(wizard, "make_prompter", Prompter)
    assert cli("account", "delete", "1001").exit_code == 130
    assert cli.json("account", "show", "1001")["deleted_at"] is None
    assert cli("account", "delete", "1001").exit_code == 0
    assert "1001" in answers[0]
    assert cli("account", "show", "1001").exit_code == 3


# --- secrets --------------------------------------------------------------------------------


def _verify(engine, number: str, password: str) -> bool:
    from argon2 import PasswordHasher
    from argon2.exceptions import VerifyMismatchError

    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT password_hash FROM accounts WHERE number = :n "
                                      "AND deleted_at IS NULL"), {"n": number}).scalar()
    try:
        return PasswordHasher().verify(stored, password)
    except VerifyMismatchError:
        return False


def test_reset_password_generated_or_given_and_checked(cli, engine, tmp_path):
    old = make_customer(cli, "1001", email="ada@example.com")["generated"]["password"]
    out = cli.json("account", "reset-password", "1001")
    new = out["generated"]["password"]
    assert _verify(engine, "1001", new) and not _verify(engine, "1001", old)
    events = audit_of(cli, "1001")
    assert events[0]["action"] == "reset-password" and new not in json.dumps(events)

    pw = tmp_path / "pw"
    pw.write_text("Chosen123pass\n")
    out = cli.json("account", "reset-password", "1001", "--password-file", str(pw))
    assert "generated" not in out and _verify(engine, "1001", "Chosen123pass")
    result = cli("account", "reset-password", "1001", "--password-stdin", input="short\n")
    assert result.exit_code == 3 and "password" in result.stderr
    result = cli("account", "reset-password", "1001", "--password-stdin",
                 input="ada@example.com1\n")
    assert result.exit_code == 0
    result = cli("account", "reset-password", "1001", "--password-stdin", input="1001\n")
    assert result.exit_code == 3 and _verify(engine, "1001", "ada@example.com1")

    secrets = tmp_path / "secrets.csv"
    result = cli("account", "reset-password", "1001", "--secrets-file", str(secrets))
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(secrets.open()))
    assert rows[0]["number"] == "1001" and _verify(engine, "1001", rows[0]["password"])
    assert rows[0]["password"] not in result.stdout
    assert os.stat(secrets).st_mode & 0o777 == 0o600
    assert cli("account", "reset-password", "1001", "--secrets-file", str(secrets)).exit_code == 2
    assert cli("account", "reset-password", "4242").exit_code == 3


def test_rotate_sip_secret(cli, engine, tmp_path):
    old = make_customer(cli, "1001")["generated"]["sip_password"]
    out = cli.json("account", "rotate-sip-secret", "1001")
    new = out["generated"]["sip_password"]
    assert new != old
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT secret FROM sip_devices")).scalar() == new
    assert new not in json.dumps(cli.json("account", "show", "1001"))
    secrets = tmp_path / "s.csv"
    result = cli("account", "rotate-sip-secret", "1001", "--secrets-file", str(secrets))
    assert result.exit_code == 0
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT secret FROM sip_devices")).scalar()
    assert list(csv.DictReader(secrets.open()))[0]["sip_password"] == stored
    make_customer(cli, "1002", "--no-sip-device")
    result = cli("account", "rotate-sip-secret", "1002")
    assert result.exit_code == 3 and "no SIP device" in result.stderr


def test_file_rows_may_carry_the_sip_password(cli, engine, tmp_path):
    path = write_csv(tmp_path / "rows.csv", [
        {"number": "1001", "first_name": "A", "sip_password": "carried-secret-1"},
        {"number": "1002", "first_name": "B", "sip_password": "short"},
        {"number": "1003", "first_name": "C", "sip_password": "carried-secret-3",
         "sip_device": "false"}])
    doc = cli.json("create", "customer", "--from-file", path, code=3)
    assert [(e["row"], e["field"]) for e in doc["errors"]] == [(2, "sip_password"),
                                                             (3, "sip_password")]
    doc = cli.json("create", "customer", "--from-file", path, "--continue-on-error", code=6)
    assert "sip_password" not in doc["created"][0].get("generated", {})  # not generated
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT secret FROM sip_devices")).scalar() == (
            "carried-secret-1")
    exported = cli("account", "export", "--kind", "customer", "--with-secrets").stdout
    assert "carried-secret-1" in exported
    assert "carried-secret-1" not in cli("account", "export", "--kind", "customer").stdout
    assert cli("account", "export").exit_code == 2  # one kind per file


# --- list -----------------------------------------------------------------------------------


def test_list_filters_sort_and_paging(cli, engine):
    make_customer(cli, "1001", email="ada_1@example.com")
    make_customer(cli, "1002", "--company", "100% Telecom")
    make_customer(cli, "1003", "--last-name", "Lovelace")
    cli.json("account", "disable", "1003")

    def numbers(*args):
        return [a["number"] for a in cli.json("account", "list", *args)]

    assert numbers("--status", "inactive") == ["1003"]
    assert numbers("--search", "LOVE") == ["1003"]
    assert numbers("--search", "100%") == ["1002"]  # literal: % is not a wildcard
    assert numbers("--search", "%") == ["1002"]
    assert numbers("--search", "a_1") == ["1001"]
    assert numbers("--search", "a_") == ["1001"]  # _ is not "any character"
    assert numbers("--sort", "-number") == ["1003", "1002", "1001"]
    assert numbers("--sort", "-number", "--limit", "1", "--offset", "1") == ["1002"]
    assert cli("account", "list", "--sort", "password_hash").exit_code == 2
    assert cli("account", "list", "--status", "gone").exit_code == 2
    batch = cli.json("account", "show", "1002")["batch_id"]
    assert numbers("--batch", batch) == ["1002"]
    set_column(engine, "1001", "created_at", datetime(2020, 1, 1, tzinfo=UTC))
    assert numbers("--created-after", "2020-01-02") == ["1002", "1003"]
    assert numbers("--created-after", "2020-01-01") == ["1001", "1002", "1003"]  # inclusive
    assert cli("account", "list", "--created-after", "yesterday").exit_code == 2


def test_list_table_shows_100_and_says_so(cli):
    cli("create", "customer", "--count", "102", "--first-name", "Bulk")
    result = cli("account", "list")
    assert result.exit_code == 0
    assert "100 of 102; --limit 0 for all" in result.stderr
    assert len(cli.json("account", "list")) == 102  # json: every row
    assert "of 102" not in cli("account", "list", "--limit", "0").stderr
    assert len(cli.json("account", "list", "--limit", "5")) == 5


# --- batches, audit -------------------------------------------------------------------------


def test_ci_cycle_seed_undo_seed_creates_the_same_accounts(cli, tmp_path, engine):
    rows = tmp_path / "seed.csv"
    write_csv(rows, [{"number": str(5000 + i), "first_name": f"S{i}",
                       "email": f"s{i}@example.com", "pin": f"{900000 + i}"} for i in range(5)])
    first = cli.json("create", "customer", "--from-file", str(rows), "--if-exists", "skip")
    again = cli.json("create", "customer", "--from-file", str(rows), "--if-exists", "skip")
    assert again["summary"]["skipped"] == 5
    cli.json("create", "customer", "--first-name", "Later")
    batches = cli.json("batch", "list")  # newest first; the run that skipped all made nothing
    assert len(batches) == 2 and batches[1]["batch_id"] == first["batch_id"]
    assert (batches[1]["created"], batches[1]["live"], batches[1]["mode"]) == (5, 5, "file")
    assert len(cli.json("batch", "show", first["batch_id"])) == 5
    assert cli("batch", "undo", first["batch_id"]).exit_code == 2  # no --yes, no terminal
    out = cli.json("batch", "undo", first["batch_id"], "--dry-run")
    assert len(out) == 5 and count(engine, "SELECT count(*) FROM accounts") == 6
    out = cli.json("batch", "undo", first["batch_id"], "--yes")
    assert len(out) == 5
    for table in ("accounts", "sip_devices"):
        assert count(engine, f"SELECT count(*) FROM {table}") == 1
    third = cli.json("create", "customer", "--from-file", str(rows), "--if-exists", "skip")
    key = ("number", "email", "pin", "first_name")
    assert ([{k: a[k] for k in key} for a in third["created"]]
            == [{k: a[k] for k in key} for a in first["created"]])
    assert cli("batch", "undo", "no-such-batch", "--yes").exit_code == 3
    assert cli("batch", "show", "no-such-batch").exit_code == 3
    undone = cli.json("audit", "list", "--batch", first["batch_id"])
    assert {e["action"] for e in undone} == {"create customer", "undo batch"}


def test_batch_undo_refused_when_changed_or_owning_outside(cli):
    make_reseller(cli)
    batch = cli.json("account", "show", "700")["batch_id"]
    result = cli("batch", "undo", batch, "--yes")
    assert result.exit_code == 4 and "'gold'" in result.stderr  # owns a rate group
    seeded = cli.json("create", "customer", "--count", "2", "--first-name", "S")
    first, second = (a["number"] for a in seeded["created"])
    cli.json("account", "update", first, "--last-name", "Changed")
    result = cli("batch", "undo", seeded["batch_id"], "--yes")
    assert result.exit_code == 4 and first in result.stderr and second not in result.stderr
    assert len(cli.json("account", "list")) == 3


def test_audit_list_filters_and_never_holds_secrets(cli):
    out = make_customer(cli, "1001", email="ada@example.com")
    make_customer(cli, "1002")
    cli.json("account", "update", "1001", "--city", "Paris")
    cli.json("account", "reset-password", "1001")
    events = cli.json("audit", "list")
    assert [e["action"] for e in events][:2] == ["reset-password", "update"]
    assert set(events[0]) == {"at", "actor", "action", "account", "batch_id", "command",
                              "changes"}
    assert [e["account"] for e in cli.json("audit", "list", "--account", "1002")] == ["1002"]
    assert len(cli.json("audit", "list", "--batch", out["batch_id"])) == 1
    assert len(cli.json("audit", "list", "--limit", "2")) == 2
    assert cli.json("audit", "list", "--since", "2999-01-01") == []
    text = json.dumps(events)
    for secret in out["generated"].values():
        assert secret not in text
    assert "argon2" not in text


def test_control_characters_in_numbers_and_filters_match_nothing(cli):
    # PostgreSQL refuses NUL in a query: that must be "no such account", never a crash
    make_customer(cli, "1001")
    for args in (["account", "update", "10\x0001", "--city", "X"],
                 ["account", "disable", "1001", "\x00"],
                 ["account", "delete", "\x00", "--purge", "--yes"],
                 ["account", "reset-password", "\x001"],
                 ["batch", "undo", "\x00", "--yes"], ["batch", "show", "a\x00"]):
        result = cli(*args)
        assert result.exit_code == 3, (args, result.stderr)
    assert cli.json("account", "list", "--search", "\x00") == []
    assert cli.json("account", "list", "--batch", "\x00") == []
    assert cli.json("audit", "list", "--account", "\x00") == []
    assert cli.json("account", "show", "1001")["status"] == "active"
