"""`account list|show|export` on the astpp target, end to end through the real commands
(contract §7, §8): every list filter, the "100 of N" note, every row in json/jsonl/csv, and
export files that recreate the accounts on acctctl's own schema (the portal password then an
argon2id hash that verifies) and in another ASTPP database (whose login accepts the same
password)."""

from __future__ import annotations

import csv
import io
import json

import pytest

from acctctl.targets.astpp.encoding import PUBLIC_DEFAULT_KEY, encode
from astpp.astpp_helpers import created, rows
from astpp.conftest import _server, load_schema
from conftest import TEST_CONFIG, Cli, unique_name
from test_bulk import write_csv

LOGIN = ("SELECT number FROM accounts WHERE number = %s AND password = %s AND deleted = 0 "
         "AND status = 0")  # ASTPP's portal login condition (astpp-interop.md)


def ok(result):
    assert result.exit_code == 0, (result.exit_code, result.stdout[-2000:], result.stderr)
    return result


def numbers(result) -> list[str]:
    return [r["number"] for r in created(result)]


def sql(db, statement: str, *args) -> None:
    with db.cursor() as cur:
        cur.execute(statement, args)
    db.commit()


def test_every_list_filter(astpp, db, tmp_path):
    ok(astpp("create", "reseller", "--number", "5000000001", "--first-name", "Rita",
             "--email", "rita@example.com", "--role", "reseller"))
    owner = rows(db, "SELECT id FROM accounts WHERE number = '5000000001'")[0]["id"]
    sql(db, "INSERT INTO pricelists (name, status, reseller_id) VALUES ('gold', 0, %s)", owner)
    write_csv(tmp_path / "mine.csv", [
        {"number": "3000000001", "first_name": "Ada", "last_name": "Lovelace",
         "email": "ada@example.com", "reseller": "5000000001", "rate_group": "gold"},
        {"number": "3000000002", "first_name": "Grace", "company": "Hopper 100%_Ltd",
         "reseller": "5000000001", "rate_group": "gold", "status": "inactive"}])
    ok(astpp("create", "customer", "--from-file", str(tmp_path / "mine.csv")))
    write_csv(tmp_path / "theirs.csv", [
        {"number": "3000000003", "first_name": "José", "email": "JOSE@example.com"},
        {"number": "3000000010", "first_name": "Bob"},
        {"number": "300000009", "first_name": "bob"}])
    ok(astpp("create", "customer", "--from-file", str(tmp_path / "theirs.csv")))
    ok(astpp("create", "provider", "--number", "7000000001", "--first-name", "Carrier"))
    sql(db, "UPDATE accounts SET creation = '2026-01-01 00:00:00'")
    sql(db, "UPDATE accounts SET creation = '2026-02-01 12:00:00' WHERE number IN "
            "('3000000003', '3000000010')")
    sql(db, "UPDATE accounts SET deleted = 1 WHERE number = '3000000010'")

    def listed(*args) -> list[str]:
        return numbers(astpp("account", "list", *args, "-o", "json"))

    # as text, by code point ("3000000001" < "300000009"); the deleted one left out
    assert listed("--kind", "customer") == ["3000000001", "3000000002", "3000000003",
                                            "300000009"]
    assert listed("--kind", "provider") == ["7000000001"]
    assert listed("--kind", "admin") == ["admin"]
    assert listed("--reseller", "5000000001") == ["3000000001", "3000000002"]
    assert listed("--status", "inactive") == ["3000000002"]
    assert listed("--status", "active", "--reseller", "5000000001") == ["3000000001"]
    assert listed("--search", "LOVELACE") == ["3000000001"]
    assert listed("--search", "100%_") == ["3000000002"]  # literal: % and _ are themselves
    assert listed("--search", "jose@") == ["3000000003"]
    assert listed("--search", "jose") == ["3000000003"]  # by email; José itself is accented
    assert listed("--search", "bob") == ["300000009"]  # the other Bob is deleted
    assert listed("--search", "bob", "--include-deleted") == ["3000000010", "300000009"]
    assert listed("--created-after", "2026-02-01T12:00:00") == ["3000000003"]
    assert listed("--created-after", "2026-02-01T12:00:00", "--include-deleted") == \
        ["3000000003", "3000000010"]
    assert listed("--created-after", "2026-02-01T12:00:01") == []
    assert listed("--kind", "customer", "--sort", "-number") == \
        ["300000009", "3000000003", "3000000002", "3000000001"]
    assert listed("--kind", "customer", "--sort", "status", "--limit", "1", "--offset", "3") \
        == ["3000000002"]
    assert listed("--sort", "kind", "--limit", "2") == ["admin", "3000000001"]
    deleted = created(astpp("account", "list", "--include-deleted", "--search", "3000000010",
                            "-o", "json"))
    assert deleted[0]["deleted_at"] is None  # ASTPP's default deleted_date: no time known
    table = ok(astpp("account", "list", "--include-deleted", "--kind", "customer"))
    assert "deleted_at" in table.stdout
    unknown = astpp("account", "list", "--reseller", "3000000001")
    assert unknown.exit_code == 3 and "no reseller has number 3000000001" in unknown.stderr
    ledger_only = astpp("account", "list", "--sort", "batch_id")
    assert ledger_only.exit_code == 2 and "not available on the astpp target" in \
        ledger_only.stderr


def test_batch_filter(astpp, db):
    from acctctl.storage import storage_class

    out = created(astpp("create", "customer", "--count", "3", "-o", "json"))
    ok(astpp("create", "customer", "--count", "2"))
    for command in ("list", "export"):
        result = astpp("account", command, "--kind", "customer", "--batch", out["batch_id"],
                       "-o", "json")
        if not storage_class("astpp").supports("ledger"):  # batches live in the ledger
            assert result.exit_code == 2, result.stderr
            assert "--batch" in result.stderr and "astpp target" in result.stderr
            assert "ledger" in result.stderr or command == "list"
            continue
        assert sorted(numbers(result)) == sorted(a["number"] for a in out["created"])


def test_the_table_says_when_it_cut_the_list(astpp, db):
    ok(astpp("create", "customer", "--count", "150", "--no-sip-device"))
    table = ok(astpp("account", "list", "--kind", "customer"))
    assert "100 of 150; --limit 0 for all" in table.stderr
    assert table.stdout.count("customer") <= 1  # --kind customer drops the kind column
    everything = ok(astpp("account", "list", "--kind", "customer", "--limit", "0"))
    assert "of 150" not in everything.stderr
    assert "100 of 151; --limit 0 for all" in ok(astpp("account", "list")).stderr
    assert "20 of 150" in ok(astpp("account", "list", "--kind", "customer", "--limit",
                                   "20")).stderr
    assert "of 150" not in ok(astpp("account", "list", "--kind", "customer", "--limit",
                                    "20", "--offset", "140")).stderr  # nothing cut after it
    assert len(created(astpp("account", "list", "--kind", "customer", "-o", "json"))) == 150
    jsonl = ok(astpp("account", "list", "--kind", "customer", "-o", "jsonl"))
    assert len(jsonl.stdout.splitlines()) == 150 and "of 150" not in jsonl.stderr
    table_rows = list(csv.DictReader(io.StringIO(ok(astpp(
        "account", "list", "--kind", "customer", "-o", "csv")).stdout)))
    assert len(table_rows) == 150
    assert len(created(astpp("account", "list", "--kind", "customer", "-o", "json",
                             "--limit", "7"))) == 7


# --- export ----------------------------------------------------------------------------------


def export(cli, kind: str, tmp_path, *extra: str) -> str:
    result = ok(cli("account", "export", "--kind", kind, *extra))
    path = tmp_path / f"{kind}{'-secrets' if extra else ''}.csv"
    path.write_text(result.stdout)
    path.chmod(0o600)
    return str(path)


def astpp_world(astpp, db, tmp_path) -> dict:
    """On ASTPP: taxes, a reseller with its own rate group and tax, customers of both owners
    with PINs and known passwords, postpaid and daily ones; returns the portal passwords."""
    sql(db, "INSERT INTO taxes (taxes_description, taxes_rate, taxes_priority, reseller_id) "
            "VALUES ('levy', 1.5, 1, 0)")
    write_csv(tmp_path / "resellers.csv", [
        {"number": "5000000001", "first_name": "Rita", "email": "rita@example.com",
         "password": "Reseller-pass-1", "company": "Resale", "account_type": "postpaid",
         "credit_limit": "250.5", "taxes": "levy"}])
    ok(astpp("create", "reseller", "--from-file", str(tmp_path / "resellers.csv")))
    owner = rows(db, "SELECT id FROM accounts WHERE number = '5000000001'")[0]["id"]
    sql(db, "INSERT INTO pricelists (name, status, reseller_id) VALUES ('gold', 0, %s)", owner)
    sql(db, "INSERT INTO taxes (taxes_description, taxes_rate, taxes_priority, reseller_id) "
            "VALUES ('VAT', 20, 2, %s)", owner)
    passwords = {"5000000001": "Reseller-pass-1"}
    customers = []
    for i in range(6):
        number = f"30000000{i:02d}"
        passwords[number] = f"Portal-pass-{i}x"
        mine = i % 2 == 0
        customers.append({
            "number": number, "first_name": f"Cust{i}", "last_name": "Ünïcode",
            "email": f"c{i}@example.com" if i != 3 else "", "password": passwords[number],
            "pin": f"{700000 + i}", "reseller": "5000000001" if mine else "",
            "rate_group": "gold" if mine else "", "taxes": "VAT" if mine else "levy",
            "account_type": "postpaid" if i % 3 == 0 else "prepaid",
            "credit_limit": "99.25" if i % 3 == 0 else "", "max_channels": str(i),
            "billing_schedule": "daily" if i == 1 else "", "status": "inactive" if i == 5
            else "", "sip_device": "false" if i == 4 else "", "country": "FR" if i == 2
            else "", "timezone": "Europe/Paris" if i == 2 else "", "currency": "EUR" if i == 2
            else "",
        })
    ok(astpp("create", "customer", "--from-file", write_csv(tmp_path / "c.csv", customers)))
    passwords.update({"9000000001": "Admin-pass-1", "9000000002": "Subadmin-pass-2"})
    for kind, number in (("admin", "9000000001"), ("subadmin", "9000000002")):
        ok(astpp("create", kind, "--from-file", write_csv(tmp_path / f"{kind}.csv", [
            {"number": number, "first_name": kind.title(), "email": f"{kind}@example.com",
             "password": passwords[number], "role": "Admin_permission"}])))
    return passwords


KINDS = ("reseller", "customer", "admin", "subadmin")  # owners first


COMPARED = ("number", "kind", "reseller", "pin", "status", "max_channels", "cps", "expiry",
            "first_name", "last_name", "email", "company", "country", "timezone",
            "rate_group", "billing_schedule", "billing_day", "currency", "account_type",
            "credit_limit", "taxes", "low_balance_alert", "email_alerts", "notify_email",
            "sip_device", "number_translation")


def shown(cli, number: str) -> dict:
    return created(cli("account", "show", number, "-o", "json"))


def test_export_without_secrets_says_what_the_file_lacks(astpp, db, tmp_path):
    astpp_world(astpp, db, tmp_path)
    result = ok(astpp("account", "export", "--kind", "customer"))
    header = next(csv.reader(io.StringIO(result.stdout)))
    assert "password" not in header and "password_hash" not in header
    assert "sip_password" not in header and "pin" in header
    assert "no passwords" in result.stderr and "--with-secrets" in result.stderr
    assert "Portal-pass" not in result.stdout
    # a password the key cannot decode (an ASTPP that stored an empty one) is named
    sql(db, "UPDATE accounts SET password = '' WHERE number = '3000000001'")
    result = ok(astpp("account", "export", "--kind", "customer", "--with-secrets"))
    assert "passwords in clear and SIP secrets" in result.stderr
    assert "1 of them has no password" in result.stderr
    exported = {r["number"]: r for r in csv.DictReader(io.StringIO(result.stdout))}
    assert exported["3000000001"]["password"] == ""
    assert exported["3000000000"]["password"] == "Portal-pass-0x"
    admins = ok(astpp("account", "export", "--kind", "admin"))
    header = next(csv.reader(io.StringIO(admins.stdout)))
    assert "country" not in header and "timezone" not in header  # ASTPP's to set


@pytest.fixture
def own_cli(db_url, tmp_path):
    """acctctl on its own schema (SQLite and PostgreSQL), beside the ASTPP one."""
    config = tmp_path / "own.toml"
    config.write_text(TEST_CONFIG)
    config.chmod(0o600)
    return Cli({"ACCTCTL_DATABASE_URL": db_url, "ACCTCTL_CONFIG": str(config),
                "COLUMNS": "200", "NO_COLOR": "1"}), db_url


def test_export_recreates_the_accounts_on_acctctls_own_schema(astpp, db, own_cli, tmp_path):
    from argon2 import PasswordHasher
    from sqlalchemy import create_engine, text

    own, url = own_cli
    passwords = astpp_world(astpp, db, tmp_path)
    files = {kind: export(astpp, kind, tmp_path, "--with-secrets") for kind in KINDS}
    # the owners' rate groups and taxes first (contract §7), then the files unchanged
    ok(own("tax", "create", "levy", "--rate", "1.5"))
    ok(own("create", "reseller", "--from-file", files["reseller"]))
    ok(own("rategroup", "create", "gold", "--reseller", "5000000001"))
    ok(own("tax", "create", "VAT", "--rate", "20", "--priority", "2", "--reseller",
           "5000000001"))
    ok(own("role", "create", "Admin_permission", "--for", "admin"))
    for kind in ("customer", "admin", "subadmin"):
        ok(own("create", kind, "--from-file", files[kind]))
    for number in passwords:
        before, after = shown(astpp, number), shown(own, number)
        for key in COMPARED:
            # an admin's country, zone and currency are ASTPP's system ones, not exported
            if key in before and not (before["kind"] in ("admin", "subadmin") and key in (
                    "country", "timezone", "currency")):
                assert after[key] == before[key], (number, key)
        assert after.get("role") == before.get("role"), number
    # what the comparison covered: owner, rate group, taxes, PIN, a postpaid limit, status
    first, second = shown(own, "3000000000"), shown(own, "3000000005")
    assert (first["reseller"], first["rate_group"], first["taxes"], first["pin"],
            first["account_type"], first["credit_limit"]) == (
        "5000000001", "gold", ["VAT"], "700000", "postpaid", "99.25")
    assert (second["reseller"], second["taxes"], second["status"], second["sip_device"]) == (
        None, ["levy"], "inactive", True)
    engine = create_engine(url)
    with engine.connect() as conn:
        stored = dict(conn.execute(text("SELECT number, password_hash FROM accounts")).all())
        secrets = dict(conn.execute(text(
            "SELECT a.number, d.secret FROM sip_devices d JOIN accounts a "
            "ON a.id = d.account_id")).all())
    engine.dispose()
    for number, password in passwords.items():
        assert stored[number].startswith("$argon2id$")
        assert PasswordHasher().verify(stored[number], password)
    for device in rows(db, "SELECT username, dir_params FROM sip_devices"):
        assert secrets[device["username"]] == json.loads(device["dir_params"])["password"]


@pytest.fixture
def other_astpp(tmp_path):
    """A second ASTPP-like database, its own key file and acctctl profile."""
    params, pymysql = _server()
    name = unique_name("acctctl_astpp")
    admin = pymysql.connect(**params)
    load_schema(admin, name)
    keyfile = tmp_path / "other-astpp.conf"
    keyfile.write_text(f'PRIVATE_KEY = "{PUBLIC_DEFAULT_KEY}"\n')
    keyfile.chmod(0o600)
    auth = params["user"] + (f":{params['password']}" if params["password"] else "")
    config = tmp_path / "other.toml"
    config.write_text(
        f'[database]\nurl = "mysql://{auth}@{params["host"]}:{params["port"]}/{name}"\n'
        f'target = "astpp"\n\n[astpp]\nconfig_file = "{keyfile}"\n')
    config.chmod(0o600)
    other = pymysql.connect(**params, database=name, cursorclass=pymysql.cursors.DictCursor)
    yield Cli({"ACCTCTL_CONFIG": str(config), "COLUMNS": "200", "NO_COLOR": "1"}), other
    other.close()
    with admin.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
    admin.close()


def test_export_recreates_the_accounts_in_another_astpp(astpp, db, other_astpp, tmp_path):
    cli, other = other_astpp
    passwords = astpp_world(astpp, db, tmp_path)
    sql(other, "INSERT INTO taxes (taxes_description, taxes_rate, taxes_priority, "
               "reseller_id) VALUES ('levy', 1.5, 1, 0)")
    ok(cli("create", "reseller", "--from-file", export(astpp, "reseller", tmp_path,
                                                         "--with-secrets")))
    owner = rows(other, "SELECT id FROM accounts WHERE number = '5000000001'")[0]["id"]
    sql(other, "INSERT INTO pricelists (name, status, reseller_id) VALUES ('gold', 0, %s)",
        owner)
    sql(other, "INSERT INTO taxes (taxes_description, taxes_rate, taxes_priority, "
               "reseller_id) VALUES ('VAT', 20, 2, %s)", owner)
    for kind in ("customer", "admin", "subadmin"):
        ok(cli("create", kind, "--from-file", export(astpp, kind, tmp_path, "--with-secrets")))
    for number, password in passwords.items():
        before, after = shown(astpp, number), shown(cli, number)
        for key in COMPARED:
            if key in before:
                assert after[key] == before[key], (number, key)
        # ASTPP's login: the typed password, encoded with this install's key, as stored (an
        # inactive account is refused by its status, as in the source database)
        found = rows(other, LOGIN, number, encode(password, PUBLIC_DEFAULT_KEY))
        assert found == ([] if before["status"] == "inactive" else [{"number": number}])
        assert rows(other, "SELECT password FROM accounts WHERE number = %s AND deleted = 0",
                    number) == [{"password": encode(password, PUBLIC_DEFAULT_KEY)}]
    assert {d["username"]: json.loads(d["dir_params"])["password"] for d in rows(
        db, "SELECT username, dir_params FROM sip_devices")} == {
        d["username"]: json.loads(d["dir_params"])["password"] for d in rows(
            other, "SELECT username, dir_params FROM sip_devices")}
