"""`acctctl create customer|provider` from flags, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

KINDS = ("customer", "provider")


def create(cli, *args, kind="customer", code=0, input=None):
    return cli.json("create", kind, "--first-name", "Ada", *args, code=code, input=input)


def fail(cli, *args, kind="customer", code=3, input=None):
    result = cli("create", kind, "--first-name", "Ada", *args, input=input)
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    return result


def nothing_written(cli):
    assert cli.json("account", "list") == []


def row(engine, number, table="accounts", key="number"):
    with engine.connect() as conn:
        return conn.execute(sa.text(f"SELECT * FROM {table} WHERE {key} = :n"),
                            {"n": number}).mappings().first()


def parse_ts(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- the happy path and generated values ----------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_create_defaults(cli, engine, kind):
    out = cli.json("create", kind, "--first-name", "Ada", "--email", "ada@example.com")
    assert out["kind"] == kind
    number = out["number"]
    assert len(number) == 10 and number.isdigit() and number[0] != "0"
    assert len(out["pin"]) == 6 and out["pin"].isdigit()
    assert out["status"] == "active" and out["account_type"] == "prepaid"
    assert out["rate_group"] == "default" and out["reseller"] is None
    assert out["country"] == "US" and out["timezone"] == "UTC" and out["currency"] == "USD"
    assert out["credit_limit"] == "0" and out["balance"] == "0"
    assert Decimal(out["low_balance_alert"]) == 5
    assert out["email_alerts"] is False and out["notify_email"] == "ada@example.com"
    assert out["first_used"] is None and out["sip_device"] is True
    assert out["valid_days"] == 3650
    created = parse_ts(out["created_at"])
    assert parse_ts(out["expiry"]) - created == timedelta(days=3650)
    assert set(out["generated"]) == {"password", "sip_password"}
    assert "password_hash" not in out
    shown = cli.json("account", "show", number)
    assert shown["kind"] == kind and shown["pin"] == out["pin"]
    assert "generated" not in shown
    db = row(engine, number)
    assert db["kind"] == kind and db["created_by"] and db["batch_id"] == out["batch_id"]


def test_generated_number_prefix_from_config(cli, config_file):
    config_file.write_text(config_file.read_text() + '\n[numbers]\nprefix = "77"\nlength = 8\n')
    for _ in range(3):
        number = create(cli)["number"]
        assert number.startswith("77") and len(number) == 8 and number.isdigit()


def test_pin_length_from_config(cli, config_file):
    config_file.write_text(config_file.read_text() + "\n[numbers]\npin_length = 8\n")
    assert len(create(cli)["pin"]) == 8
    assert "--pin" in fail(cli, "--pin", "123456").stderr


def test_no_pin_when_generation_off(cli, config_file):
    config_file.write_text(config_file.read_text() + "\n[numbers]\ngenerate_pin = false\n")
    assert create(cli)["pin"] is None
    assert create(cli, "--pin", "123456")["pin"] == "123456"


def test_generated_numbers_unique_over_many(cli, engine):
    numbers = {create(cli)["number"] for _ in range(30)}
    assert len(numbers) == 30
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(DISTINCT number) FROM accounts")).scalar() == 30
        assert conn.execute(sa.text("SELECT count(DISTINCT pin) FROM accounts")).scalar() == 30


def test_generated_number_collision_is_retried(cli, monkeypatch):
    first = create(cli)["number"]
    from acctctl.service import secrets_

    real = secrets_.generate_account_number
    calls = []

    def clashing(length, prefix=""):
        calls.append(1)
        return first if len(calls) == 1 else real(length, prefix)

    monkeypatch.setattr(secrets_, "generate_account_number", clashing)
    second = create(cli)["number"]
    assert len(calls) >= 2
    assert second != first and len(second) == 10
    assert sorted(a["number"] for a in cli.json("account", "list")) == sorted([first, second])


def test_generated_pin_collision_is_retried(cli, monkeypatch):
    first = create(cli)["pin"]
    from acctctl.service import secrets_

    real = secrets_.generate_pin
    calls = []

    def clashing(length):
        calls.append(1)
        return first if len(calls) == 1 else real(length)

    monkeypatch.setattr(secrets_, "generate_pin", clashing)
    second = create(cli)["pin"]
    assert len(calls) >= 2 and second != first


def test_collision_with_concurrent_writer_is_retried(cli, engine, monkeypatch):
    """A number free at check time but taken before the insert: the database rejects it and
    the create draws a fresh one instead of crashing."""
    from acctctl.service import lookups, secrets_

    real_gen = secrets_.generate_account_number
    drawn = []
    monkeypatch.setattr(secrets_, "generate_account_number",
                        lambda length, prefix="": drawn.append(real_gen(length, prefix))
                        or drawn[-1])
    real_existing = lookups.Lookups.existing
    state = {"raced": False}

    def racing_existing(self, numbers=(), email_keys=(), pins=()):
        found = real_existing(self, numbers, email_keys, pins)
        if numbers and not state["raced"]:
            state["raced"] = True
            # another writer, on its own connection, takes the number just drawn
            from acctctl.config import Settings
            from acctctl.service.accounts import BatchOptions, create_accounts

            cheap = Settings(passwords={"hash_time_cost": 1, "hash_memory_kib": 1024,
                                        "hash_parallelism": 1})
            other = create_accounts(engine, cheap, "admin", [(1, {
                "first_name": "Other", "email": "other@example.com",
                "number": sorted(numbers)[0]})], BatchOptions())
            assert other.written and not other.errors
        return found

    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite serialises writers: the concurrent insert would block")
    monkeypatch.setattr(lookups.Lookups, "existing", racing_existing)
    out = create(cli)
    assert out["number"] != drawn[0]
    assert len(drawn) >= 2


# --- number ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_number_given(cli, kind):
    assert create(cli, "--number", "4242", kind=kind)["number"] == "4242"
    result = fail(cli, "--number", "4242", code=4)
    assert "4242" in result.stderr
    assert len(cli.json("account", "list")) == 1


@pytest.mark.parametrize("value", ["12ab", "0", "12345678901", "-7"])
def test_number_invalid(cli, value):
    assert "--number" in fail(cli, "--number", value).stderr
    nothing_written(cli)


# --- PIN ------------------------------------------------------------------------------------


def test_pin_given_and_unique(cli):
    assert create(cli, "--pin", "123456")["pin"] == "123456"
    assert "PIN" in fail(cli, "--pin", "123456", code=4).stderr
    assert len(cli.json("account", "list")) == 1


@pytest.mark.parametrize("value", ["12345", "1234567", "12a456"])
def test_pin_invalid(cli, value):
    assert "--pin" in fail(cli, "--pin", value).stderr
    nothing_written(cli)


# --- password -------------------------------------------------------------------------------


def _verify(hashed: str, password: str) -> bool:
    from argon2 import PasswordHasher
    from argon2.exceptions import VerificationError

    try:
        return PasswordHasher().verify(hashed, password)
    except VerificationError:
        return False


def test_password_file(cli, engine, tmp_path):
    path = tmp_path / "pw"
    path.write_text("Secret123pass\n")
    out = create(cli, "--password-file", str(path))
    assert "password" not in out.get("generated", {})
    hashed = row(engine, out["number"])["password_hash"]
    assert hashed.startswith("$argon2id$") and _verify(hashed, "Secret123pass")
    assert "Secret123pass" not in str(out)


def test_password_stdin(cli, engine):
    out = create(cli, "--password-stdin", input="Another1pass\n")
    hashed = row(engine, out["number"])["password_hash"]
    assert hashed.startswith("$argon2id$") and _verify(hashed, "Another1pass")
    assert not _verify(hashed, "Another1pasx")


@pytest.mark.parametrize("password", ["short1", "nodigitshere", "123456789", "x" * 130 + "1"])
def test_password_policy(cli, tmp_path, password):
    path = tmp_path / "pw"
    path.write_text(password + "\n")
    assert "--password" in fail(cli, "--password-file", str(path)).stderr
    assert "--password" in fail(cli, "--password-stdin", input=password + "\n").stderr
    nothing_written(cli)


def test_password_not_the_number_or_email(cli):
    assert "--password" in fail(cli, "--number", "12345678", "--email", "x1@example.com",
                                "--password-stdin", input="x1@example.com\n").stderr
    nothing_written(cli)


def test_password_min_length_config(cli, config_file):
    config_file.write_text(config_file.read_text().replace(
        "[passwords]", "[passwords]\nmin_length = 12\ngenerated_length = 16"))
    assert "--password" in fail(cli, "--password-stdin", input="abcdefgh123\n").stderr
    create(cli, "--password-stdin", input="abcdefghi123\n")


def test_password_is_not_a_flag(cli):
    assert fail(cli, "--password", "Secret123", code=2).exit_code == 2


def test_generated_password_stored_as_argon2id(cli, engine):
    out = create(cli)
    password = out["generated"]["password"]
    account = row(engine, out["number"])
    assert account["password_hash"].startswith("$argon2id$")
    assert _verify(account["password_hash"], password)
    assert password not in account["password_hash"]


# --- SIP device -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_sip_device_own_secret(cli, engine, kind):
    out = create(cli, "--status", "inactive", kind=kind)
    with engine.connect() as conn:
        device = conn.execute(
            sa.text("SELECT s.* FROM sip_devices s JOIN accounts a ON a.id = s.account_id "
                    "WHERE a.number = :n"), {"n": out["number"]}).mappings().one()
    password = out["generated"]["password"]
    assert device["username"] == out["number"]
    assert device["caller_id_name"] == out["number"] == device["caller_id_number"]
    assert device["status"] == "inactive"
    assert device["secret"] == out["generated"]["sip_password"]
    assert device["secret"] != password
    assert not _verify(row(engine, out["number"])["password_hash"], device["secret"])
    assert _verify(row(engine, out["number"])["password_hash"], password)


def test_sip_device_secret_differs_from_given_password(cli, engine, tmp_path):
    path = tmp_path / "pw"
    path.write_text("Secret123pass\n")
    out = create(cli, "--password-file", str(path))
    with engine.connect() as conn:
        secret = conn.execute(sa.text("SELECT secret FROM sip_devices")).scalar_one()
    assert secret != "Secret123pass" and secret == out["generated"]["sip_password"]


def test_no_sip_device(cli, engine):
    out = create(cli, "--no-sip-device")
    assert out["sip_device"] is False
    assert "sip_password" not in out["generated"]
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM sip_devices")).scalar() == 0
    assert cli.json("account", "show", out["number"])["sip_device"] is False


def test_sip_device_default_from_config(cli, config_file):
    config_file.write_text(config_file.read_text() + "\n[defaults]\ncreate_sip_device = false\n")
    assert create(cli)["sip_device"] is False
    assert create(cli, "--sip-device")["sip_device"] is True


# --- profile fields -------------------------------------------------------------------------


def test_first_name_trimmed(cli):
    assert create(cli, kind="provider")["first_name"] == "Ada"
    out = cli.json("create", "customer", "--first-name", "  Grace  ")
    assert out["first_name"] == "Grace"


@pytest.mark.parametrize("name", ["x" * 41, "Bad\x07name", "   "])
def test_first_name_invalid(cli, name):
    result = cli("create", "customer", "--first-name", name, "--no-input")
    assert result.exit_code == 3 and "--first-name" in result.stderr
    nothing_written(cli)


def test_text_field_limits(cli):
    out = create(cli, "--last-name", "L" * 40, "--company", "C" * 40, "--address", "A" * 80,
                 "--city", "c" * 20, "--province", "p" * 20, "--postal-code", "1" * 12)
    assert out["address"] == "A" * 80 and out["postal_code"] == "1" * 12
    result = fail(cli, "--last-name", "L" * 41, "--company", "C" * 41, "--address", "A" * 81,
                  "--city", "c" * 21, "--province", "p" * 21, "--postal-code", "1" * 13)
    for flag in ("--last-name", "--company", "--address", "--city", "--province",
                 "--postal-code"):
        assert flag in result.stderr
    assert len(cli.json("account", "list")) == 1


def test_email_syntax(cli):
    assert "--email" in fail(cli, "--email", "not-an-email").stderr
    assert "--notify-email" in fail(cli, "--notify-email", "nope@").stderr
    nothing_written(cli)


def test_email_unique_case_insensitive(cli):
    create(cli, "--email", "Ada@Example.com")
    result = fail(cli, "--email", "ada@EXAMPLE.com", code=4)
    assert "--email" in result.stderr or "email" in result.stderr
    result = fail(cli, "--email", "ada@example.com", kind="provider", code=4)
    assert len(cli.json("account", "list")) == 1


def test_notify_email(cli):
    out = create(cli, "--email", "a@example.com", "--notify-email", "alerts@example.com")
    assert out["email"] == "a@example.com" and out["notify_email"] == "alerts@example.com"


@pytest.mark.parametrize(("country", "phone", "expected"), [
    ("FR", "01 42 68 53 00", "+33142685300"),
    ("gb", "020 7946 0018", "+442079460018"),
    (None, "(201) 555-0123", "+12015550123"),
    ("DE", "+1 201 555 0123", "+12015550123"),
])
def test_telephone_e164(cli, country, phone, expected):
    args = ["--telephone", phone] + (["--country", country] if country else [])
    assert create(cli, *args)["telephone"] == expected


def test_telephone_invalid(cli):
    assert "--telephone" in fail(cli, "--telephone", "555").stderr
    # valid in the US, not a French number
    assert "--telephone" in fail(cli, "--country", "FR", "--telephone", "(201) 555-0123").stderr
    nothing_written(cli)


@pytest.mark.parametrize("value", ["de", "DEU", "germany", "Germany", "DE"])
def test_country_forms(cli, value):
    assert create(cli, "--country", value)["country"] == "DE"


def test_country_default_from_config(cli, config_file):
    config_file.write_text(config_file.read_text() + '\n[defaults]\ncountry = "NL"\n'
                           'currency = "EUR"\ntimezone = "Europe/Amsterdam"\n')
    out = create(cli)
    assert (out["country"], out["currency"], out["timezone"]) == ("NL", "EUR", "Europe/Amsterdam")


def test_invalid_reference_values(cli):
    result = fail(cli, "--country", "Atlantis", "--timezone", "Mars/Base", "--currency", "XYZ")
    for flag in ("--country", "--timezone", "--currency"):
        assert flag in result.stderr
    nothing_written(cli)


def test_timezone_and_currency(cli):
    out = create(cli, "--timezone", "Europe/Paris", "--currency", "eur")
    assert out["timezone"] == "Europe/Paris" and out["currency"] == "EUR"


def test_status(cli):
    assert create(cli, "--status", "inactive")["status"] == "inactive"
    assert "--status" in fail(cli, "--status", "paused").stderr


def test_channels_and_cps(cli):
    out = create(cli, "--max-channels", "5", "--cps", "2")
    assert (out["max_channels"], out["cps"]) == (5, 2)
    result = fail(cli, "--max-channels", "-1", "--cps", "-3")
    assert "--max-channels" in result.stderr and "--cps" in result.stderr
    assert "--cps" in fail(cli, "--cps", "1.5").stderr


def test_max_channels_default_from_config(cli, config_file):
    config_file.write_text(config_file.read_text() + "\n[defaults]\nmax_channels = 7\n")
    assert create(cli)["max_channels"] == 7


def test_number_translation(cli):
    out = create(cli, "--number-translation", '"011/", 0/91 ,*/1234')
    assert out["number_translation"] == "011/,0/91,*/1234"
    assert cli.json("account", "show", out["number"])["number_translation"] == \
        "011/,0/91,*/1234"
    result = fail(cli, "--number-translation", "/1234")
    assert "--number-translation" in result.stderr and "*/1234" in result.stderr
    assert "--number-translation" in fail(cli, "--number-translation", "ab/1").stderr


# --- expiry and validity --------------------------------------------------------------------


def test_expiry_iso(cli):
    out = create(cli, "--expiry", "2099-06-30")
    assert parse_ts(out["expiry"]) == datetime(2099, 6, 30, tzinfo=UTC)
    out = create(cli, "--expiry", "2099-06-30T12:00:00+02:00")
    assert parse_ts(out["expiry"]) == datetime(2099, 6, 30, 10, tzinfo=UTC)
    shown = cli.json("account", "show", out["number"])
    assert parse_ts(shown["expiry"]) == datetime(2099, 6, 30, 10, tzinfo=UTC)


def test_expiry_must_be_future_and_iso(cli):
    assert "--expiry" in fail(cli, "--expiry", "2001-01-01").stderr
    assert "--expiry" in fail(cli, "--expiry", "30/06/2099").stderr
    nothing_written(cli)


def test_expiry_with_valid_days_is_usage_error(cli):
    result = fail(cli, "--expiry", "2099-01-01", "--valid-days", "10", code=2)
    assert "--valid-days" in result.stderr
    nothing_written(cli)


def test_valid_days(cli):
    out = create(cli, "--valid-days", "30")
    assert out["valid_days"] == 30
    assert parse_ts(out["expiry"]) - parse_ts(out["created_at"]) == timedelta(days=30)
    shown = cli.json("account", "show", out["number"])
    assert parse_ts(shown["expiry"]) - parse_ts(shown["created_at"]) == timedelta(days=30)
    create(cli, "--valid-days", "36500")
    for value in ("0", "36501", "ten"):
        assert "--valid-days" in fail(cli, "--valid-days", value).stderr


def test_valid_days_default_from_config(cli, config_file):
    config_file.write_text(config_file.read_text() + "\n[defaults]\nvalid_days = 10\n")
    out = create(cli)
    assert parse_ts(out["expiry"]) - parse_ts(out["created_at"]) == timedelta(days=10)


# --- billing --------------------------------------------------------------------------------


def test_rate_group_must_exist_and_be_active(cli):
    assert "--rate-group" in fail(cli, "--rate-group", "nosuch").stderr
    cli.json("rategroup", "create", "gold")
    cli.json("rategroup", "create", "old", "--inactive")
    assert create(cli, "--rate-group", "gold")["rate_group"] == "gold"
    result = fail(cli, "--rate-group", "old")
    assert "--rate-group" in result.stderr and "inactive" in result.stderr
    assert len(cli.json("account", "list")) == 1


@pytest.mark.parametrize(("args", "schedule", "day"), [
    (["--billing-schedule", "daily"], "daily", None),
    (["--billing-schedule", "weekly", "--billing-day", "7"], "weekly", 7),
    (["--billing-day", "28"], "monthly", 28),
    (["--billing-schedule", "MONTHLY", "--billing-day", "1"], "monthly", 1),
])
def test_billing_schedule_ok(cli, args, schedule, day):
    out = create(cli, *args)
    assert (out["billing_schedule"], out["billing_day"]) == (schedule, day)


def test_billing_default_day(cli):
    out = create(cli)
    now = datetime.now(UTC)
    assert out["billing_day"] == min(now.day, 28)
    out = create(cli, "--billing-schedule", "weekly")
    assert out["billing_day"] == datetime.now(UTC).isoweekday()


@pytest.mark.parametrize("args", [
    ["--billing-schedule", "daily", "--billing-day", "1"],
    ["--billing-schedule", "weekly", "--billing-day", "8"],
    ["--billing-day", "29"],
    ["--billing-day", "0"],
    ["--billing-schedule", "yearly"],
])
def test_billing_schedule_invalid(cli, args):
    result = fail(cli, *args)
    assert "--billing-day" in result.stderr or "--billing-schedule" in result.stderr
    nothing_written(cli)


def test_account_type_and_credit_limit(cli):
    assert create(cli, "--account-type", "postpaid")["account_type"] == "postpaid"
    assert "--account-type" in fail(cli, "--account-type", "credit").stderr
    result = fail(cli, "--credit-limit", "100")
    assert "--credit-limit" in result.stderr and "prepaid" in result.stderr
    assert create(cli, "--credit-limit", "0")["credit_limit"] == "0"
    for value in ("-1", "1.123456", "1234567890123456", "abc"):
        assert "--credit-limit" in fail(cli, "--account-type", "postpaid",
                                        "--credit-limit", value).stderr
    assert len(cli.json("account", "list")) == 2


@pytest.mark.parametrize("amount", ["123456789012345.12345", "0.00001", "999999999999999.99999",
                                    "10.5"])
def test_credit_limit_exact(cli, engine, amount):
    out = create(cli, "--account-type", "postpaid", "--credit-limit", amount)
    assert out["credit_limit"] == amount
    shown = cli.json("account", "show", out["number"])
    assert shown["credit_limit"] == amount
    assert Decimal(shown["credit_limit"]) == Decimal(amount)
    listed = cli.json("account", "list")
    assert listed[0]["credit_limit"] == amount
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT credit_limit FROM accounts")).scalar_one()
    assert Decimal(str(stored)) == Decimal(amount)


def test_taxes(cli):
    cli.json("tax", "create", "vat", "--rate", "20")
    cli.json("tax", "create", "levy", "--rate", "1.5", "--priority", "2")
    out = create(cli, "--tax", "vat", "--tax", "levy")
    assert sorted(out["taxes"]) == ["levy", "vat"]
    assert sorted(cli.json("account", "show", out["number"])["taxes"]) == ["levy", "vat"]
    result = fail(cli, "--tax", "vat", "--tax", "nosuch")
    assert "--tax" in result.stderr and "nosuch" in result.stderr
    assert len(cli.json("account", "list")) == 1


def test_taxes_default_from_config(cli, config_file):
    cli.json("tax", "create", "vat", "--rate", "20")
    config_file.write_text(config_file.read_text() + '\n[defaults]\ntaxes = ["vat"]\n')
    assert create(cli)["taxes"] == ["vat"]


def test_low_balance_alert(cli):
    assert create(cli, "--low-balance-alert", "12.25")["low_balance_alert"] == "12.25"
    assert "--low-balance-alert" in fail(cli, "--low-balance-alert", "-1").stderr


def test_email_alerts(cli):
    result = fail(cli, "--email-alerts")
    assert "--email-alerts" in result.stderr
    nothing_written(cli)
    assert create(cli, "--email-alerts", "--email", "x@example.com")["email_alerts"] is True
    assert create(cli, "--email-alerts", "--notify-email", "n@example.com")["email_alerts"]
    assert create(cli, "--no-email-alerts")["email_alerts"] is False


# --- several problems at once, missing flags, usage ------------------------------------------


def test_all_violations_reported_together(cli):
    result = cli("create", "customer", "--first-name", "Ada", "--pin", "12",
                 "--cps", "-1", "--country", "zz", "--credit-limit", "9",
                 "--email", "bad", "--billing-schedule", "daily", "--billing-day", "3")
    assert result.exit_code == 3
    for flag in ("--pin", "--cps", "--country", "--credit-limit", "--email", "--billing-day"):
        assert flag in result.stderr, flag
    assert result.stdout == ""
    nothing_written(cli)


def test_missing_first_name_without_terminal(cli):
    result = cli("create", "customer", "--email", "a@example.com")
    assert result.exit_code == 2 and "--first-name" in result.stderr
    result = cli("create", "provider", "--no-input")
    assert result.exit_code == 2 and "--first-name" in result.stderr
    nothing_written(cli)


def test_unknown_flag_is_usage_error(cli):
    result = cli("create", "customer", "--first-name", "A", "--frobnicate", "1")
    assert result.exit_code == 2 and "--frobnicate" in result.stderr


def test_dry_run_writes_nothing(cli):
    result = cli("create", "customer", "--first-name", "A", "--dry-run", "-o", "json")
    assert result.exit_code == 0
    nothing_written(cli)
    assert fail(cli, "--cps", "-1", "--dry-run").exit_code == 3


# --- audit ----------------------------------------------------------------------------------


def test_audit_event_per_account(cli, engine, tmp_path, monkeypatch):
    import sys

    path = tmp_path / "pw"
    path.write_text("Secret123pass\n")
    args = ["create", "customer", "--first-name", "Ada", "--password-file", str(path),
            "--email", "au@example.com", "-o", "json"]
    # the audit records the arguments acctctl was given, not the host process's argv
    monkeypatch.setattr(sys, "argv", ["pytest", "--not-acctctl"])
    out = cli.json(*args[:-2])
    other = create(cli)
    with engine.connect() as conn:
        events = conn.execute(sa.text("SELECT * FROM audit_events ORDER BY id")).mappings().all()
    assert [e["account_number"] for e in events] == [out["number"], other["number"]]
    event = events[0]
    assert event["mode"] == "flags"
    assert event["batch_id"] == out["batch_id"] != events[1]["batch_id"]
    assert event["actor"] and event["at"] is not None
    assert "create" in event["action"] and "customer" in event["action"]
    assert event["command"].startswith("acctctl create customer --first-name Ada")
    assert "--not-acctctl" not in event["command"]
    for secret in ("Secret123pass", other["generated"]["password"],
                   other["generated"]["sip_password"]):
        for e in events:
            assert secret not in (e["command"] or "")
            assert secret not in str(dict(e))


def test_database_constraint_is_the_guard(cli, monkeypatch):
    """The pre-check misses an existing number (as it would under a race): the unique
    constraint rejects the insert and the create retries with a fresh number, on every
    backend."""
    first = create(cli)["number"]
    from acctctl.service import lookups, secrets_

    real_gen = secrets_.generate_account_number
    drawn = []

    def gen(length, prefix=""):
        drawn.append(first if not drawn else real_gen(length, prefix))
        return drawn[-1]

    real_existing = lookups.Lookups.existing
    hidden = {"times": 0}

    def blind_existing(self, numbers=(), email_keys=(), pins=()):
        found = real_existing(self, numbers, email_keys, pins)
        if first in found["number"] and hidden["times"] == 0:
            hidden["times"] += 1
            found["number"].discard(first)
        return found

    monkeypatch.setattr(secrets_, "generate_account_number", gen)
    monkeypatch.setattr(lookups.Lookups, "existing", blind_existing)
    second = create(cli)
    assert hidden["times"] == 1 and drawn[0] == first
    assert second["number"] != first and second["number"] == drawn[-1]
    listed = cli.json("account", "list")
    assert sorted(a["number"] for a in listed) == sorted([first, second["number"]])


# --- values the database could not store are refused by the rules (review findings) -------


@pytest.mark.parametrize(
    ("args", "flag"),
    [(("--cps", "3000000000"), "--cps"),
     (("--max-channels", "99999999999999999999"), "--max-channels"),
     (("--number-translation", ",".join(["12345/6789"] * 120)), "--number-translation")],
)
def test_out_of_range_values_are_rule_errors_on_every_backend(cli, args, flag):
    result = fail(cli, *args)
    assert f"{flag}:" in result.stderr
    assert "$argon2" not in result.stderr and "internal error" not in result.stderr
    nothing_written(cli)


def test_every_account_starts_with_a_zero_balance_of_money(cli):
    admin = cli.json("create", "admin", "--first-name", "Root", "--email", "r@example.com")
    customer = create(cli)
    assert admin["balance"] == customer["balance"] == "0"


def test_if_exists_skip_on_a_single_create_shows_the_existing_account(cli):
    first = create(cli, "--email", "skip@example.com")
    again = cli("create", "customer", "--first-name", "Other", "--email", "SKIP@example.com",
                "--if-exists", "skip", "-o", "json")
    assert again.exit_code == 0, again.stderr
    shown = json.loads(again.stdout)
    assert shown["number"] == first["number"] and shown["first_name"] == "Ada"
    assert "generated" not in shown and "skipped" in again.stderr
    by_number = cli("create", "customer", "--first-name", "X", "--number", first["number"],
                    "--if-exists", "skip", "-o", "json")
    assert by_number.exit_code == 0 and json.loads(by_number.stdout)["number"] == first["number"]
    assert len(cli.json("account", "list")) == 1


def test_an_empty_password_file_is_a_rule_error_not_a_generated_password(cli, tmp_path):
    empty = tmp_path / "empty"
    empty.write_text("")
    result = fail(cli, "--password-file", str(empty))
    assert "--password-file/--password-stdin: must be 8-128" in result.stderr
    nothing_written(cli)


def test_a_full_number_space_is_invalid_data_with_a_hint(cli, config_file):
    config_file.write_text(config_file.read_text() + "\n[numbers]\nlength = 1\n")
    for _ in range(9):
        create(cli, "--no-sip-device")
    result = fail(cli, "--no-sip-device")
    assert "number space is full" in result.stderr and "hint:" in result.stderr
