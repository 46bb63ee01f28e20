"""The proof of `account export` (contract §7): a SQLite database of 1,000 accounts of every
kind moves to an empty PostgreSQL database through export files, and comes back identical.

Resellers own rate groups, taxes and customers; a password that worked before verifies after.
"""

from __future__ import annotations

import csv
import io
import json
import shutil

import pytest

from conftest import TEST_CONFIG, Cli, _pg_database
from test_bulk import write_csv

KINDS = ("reseller", "customer", "provider", "admin", "subadmin")  # owners first
RESELLERS = 10


@pytest.fixture
def two_databases(tmp_path, sqlite_template, pg_server, pg_template, monkeypatch):
    source = tmp_path / "source.db"
    shutil.copy(sqlite_template, source)
    config = tmp_path / "acctctl.toml"
    config.write_text(TEST_CONFIG)
    config.chmod(0o600)
    monkeypatch.chdir(tmp_path)
    for key in ("ACCTCTL_PROFILE", "ACCTCTL_NO_INPUT"):
        monkeypatch.delenv(key, raising=False)
    target = _pg_database(pg_server, pg_template)
    env = {"ACCTCTL_CONFIG": str(config), "COLUMNS": "200", "NO_COLOR": "1"}
    yield (Cli({**env, "ACCTCTL_DATABASE_URL": f"sqlite:///{source}"}),
           Cli({**env, "ACCTCTL_DATABASE_URL": next(target)}))
    next(target, None)  # drops the PostgreSQL database


def ok(result):
    assert result.exit_code == 0, (result.stdout[-2000:], result.stderr[-2000:])
    return result


def seed(cli: Cli, tmp_path) -> str:
    """1,000 accounts of every kind; returns the JSON output of one created customer."""
    ok(cli("tax", "create", "levy", "--rate", "1.5", "--amount", "0.25"))
    write_csv(tmp_path / "resellers.csv", [
        {"number": str(700 + i), "first_name": f"Reseller{i}", "email": f"r{i}@example.com",
         "company": f"Resale {i}", "account_type": "postpaid" if i % 2 else "prepaid",
         "credit_limit": "1000.5" if i % 2 else "", "status": "inactive" if i == 9 else "",
         "taxes": "levy" if i % 3 == 0 else ""}
        for i in range(RESELLERS)])
    ok(cli("create", "reseller", "--from-file", str(tmp_path / "resellers.csv")))
    for i in range(RESELLERS - 1):  # the last reseller is inactive: it owns nothing
        ok(cli("rategroup", "create", f"gold{i}", "--reseller", str(700 + i)))
        ok(cli("tax", "create", "VAT", "--rate", str(10 + i), "--reseller", str(700 + i)))
        ok(cli("create", "customer", "--count", "40", "--reseller", str(700 + i),
               "--rate-group", f"gold{i}", "--tax", "VAT", "--prefix", str(3 + i % 5)))
    rows = []
    for i in range(240):
        rows.append({
            "number": str(100000 + i), "first_name": f"Cust{i}", "last_name": "Ünïcode",
            "email": f"c{i}@example.com" if i % 4 else "",
            "telephone": "+14155550100" if i % 5 == 0 else "",
            "country": "FR" if i % 7 == 0 else "", "timezone": "Europe/Paris" if i % 7 == 0
            else "", "account_type": "postpaid" if i % 3 == 0 else "",
            "credit_limit": "123456789012345.12345" if i % 3 == 0 else "",
            "billing_schedule": ("daily", "weekly", "monthly")[i % 3],
            "number_translation": '"011/",*/1234' if i % 6 == 0 else "",
            "taxes": "levy" if i % 2 else "", "email_alerts": "true" if i % 4 else "",
            "sip_device": "false" if i % 10 == 0 else "", "status": "inactive" if i % 9 == 0
            else "", "max_channels": str(i % 5), "cps": str(i % 3),
        })
    ok(cli("create", "customer", "--from-file", write_csv(tmp_path / "customers.csv", rows)))
    ok(cli("create", "provider", "--count", "289", "--first-name", "Carrier",
           "--company", "Carrier Ltd", "--prefix", "9"))
    for kind, n in (("admin", 50), ("subadmin", 50)):
        ok(cli("create", kind, "--from-file", write_csv(tmp_path / f"{kind}s.csv", [
            {"number": f"{kind}.{i}", "first_name": kind.title(), "email": f"{kind}{i}@x.org",
             "telephone": "+442071838750" if i % 2 else ""} for i in range(n)])))
    out = ok(cli("create", "customer", "--number", "42", "--first-name", "Known", "-o",
                 "json"))
    return json.loads(out.stdout)


def export(cli: Cli, kind: str) -> str:
    return ok(cli("account", "export", "--kind", kind, "--with-secrets", "-o", "csv")).stdout


def test_export_moves_a_database_from_sqlite_to_postgresql(two_databases, tmp_path):
    source, target = two_databases
    known = seed(source, tmp_path)
    total = len(json.loads(ok(source("account", "list", "-o", "json")).stdout))
    assert total == 1000
    first = {kind: export(source, kind) for kind in KINDS}
    assert {k: len(v.splitlines()) - 1 for k, v in first.items()} == {
        "reseller": 10, "customer": 241 + 9 * 40, "provider": 289, "admin": 50, "subadmin": 50}

    # The owners' rate groups and taxes first (contract: "create them first"), then the files.
    ok(target("tax", "create", "levy", "--rate", "1.5", "--amount", "0.25"))
    path = tmp_path / "reseller.csv"
    path.write_text(first["reseller"])
    ok(target("create", "reseller", "--from-file", str(path)))
    for i in range(RESELLERS - 1):
        ok(target("rategroup", "create", f"gold{i}", "--reseller", str(700 + i)))
        ok(target("tax", "create", "VAT", "--rate", str(10 + i), "--reseller", str(700 + i)))
    for kind in KINDS[1:]:
        path = tmp_path / f"{kind}.csv"
        path.write_text(first[kind])
        ok(target("create", kind, "--from-file", str(path)))

    again = {kind: export(target, kind) for kind in KINDS}
    for kind in KINDS:
        assert again[kind] == first[kind], kind  # no created_at / batch_id in an export

    rows = {r["number"]: r for r in csv.DictReader(io.StringIO(again["customer"]))}
    assert rows["42"]["sip_password"] == known["generated"]["sip_password"]
    from argon2 import PasswordHasher

    assert PasswordHasher().verify(rows["42"]["password_hash"], known["generated"]["password"])
    shown = json.loads(ok(target("account", "show", "42", "-o", "json")).stdout)
    assert {k: shown[k] for k in ("pin", "rate_group", "expiry", "taxes")} == {
        k: known[k] for k in ("pin", "rate_group", "expiry", "taxes")}
