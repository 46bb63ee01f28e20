"""`acctctl account update` on the astpp target (issue 17, contract §7/§8): the real command,
flags and --from-file, against an ASTPP database; the rows it leaves are what ASTPP's edit
pages leave (docs/astpp.md, "Changing accounts")."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from acctctl.storage.records import output_keys
from astpp.astpp_helpers import account_row, changed_columns, created, customer, execute, rows


def csv_file(tmp_path, text: str):
    path = tmp_path / "changes.csv"
    path.write_text(text)
    return str(path)


def test_flags_change_what_the_edit_page_shows(astpp, db):
    execute(db, "INSERT INTO taxes (id, taxes_priority, taxes_rate, taxes_description) "
                "VALUES (7, 1, 5, 'GST'), (8, 2, 5, 'PST')")
    execute(db, "INSERT INTO pricelists (id, name, status, reseller_id) VALUES (2, 'gold', 0, 0)")
    customer(astpp, "5550000001", "--tax", "GST")
    before = account_row(db, "5550000001")
    result = astpp("account", "update", "5550000001", "--first-name", "Grace", "--last-name",
                   "Hopper", "--email", "grace@example.com", "--timezone", "Europe/Paris",
                   "--country", "FR", "--rate-group", "gold", "--tax", "PST", "--max-channels",
                   "4", "--valid-days", "30", "--status", "inactive", "-o", "json")
    out = created(result)
    # the JSON keys are those of acctctl's own schema: the account, and old -> new
    assert set(out) == set(output_keys("customer")) | {"changes"}
    assert out["changes"]["first_name"] == ["Ada", "Grace"]
    assert out["changes"]["taxes"] == [["GST"], ["PST"]]
    assert out["rate_group"] == "gold" and out["status"] == "inactive"
    # what ASTPP's customer edit page reads: the accounts row and the account's tax ids
    after = account_row(db, "5550000001")
    changed = changed_columns(before, after)
    expiry = changed.pop("expiry")
    assert abs(expiry - (datetime.utcnow() + timedelta(days=30))) < timedelta(minutes=1)
    assert changed == {"first_name": "Grace", "last_name": "Hopper",
                       "email": "grace@example.com", "timezone_id": 50, "country_id": 73,
                       "pricelist_id": 2, "maxchannels": 4, "validfordays": 30, "status": 1}
    (view,) = rows(db, "SELECT group_concat(taxes_id) AS taxes_id FROM taxes_to_accounts "
                       "WHERE accountid = %s", after["id"])
    assert view["taxes_id"] == "8"
    shown = created(astpp("account", "show", "5550000001", "-o", "json"))
    assert (shown["first_name"], shown["timezone"], shown["taxes"]) == (
        "Grace", "Europe/Paris", ["PST"])


@pytest.mark.parametrize("flags, field", [
    (["--account-type", "postpaid"], "account_type"),
    (["--reseller", "5550000099"], "reseller"),
    (["--timezone", "Asia/Tokyo"], "timezone"),  # not in ASTPP's time-zone list
    (["--last-name", "x" * 41], "last_name"),
])
def test_immutable_fields_and_astpp_limits_exit_3(astpp, db, flags, field):
    customer(astpp, "5550000002")
    before = account_row(db, "5550000002")
    result = astpp("account", "update", "5550000002", *flags)
    assert result.exit_code == 3, (result.stdout, result.stderr)
    assert field.replace("_", "-") in result.stderr or field in result.stderr
    assert "nothing was written" in result.stderr
    assert account_row(db, "5550000002") == before


def test_sub_admin_country_and_super_admin_status_exit_3(astpp, db):
    created(astpp("create", "subadmin", "--number", "helper", "--first-name", "H", "--email",
                  "helper@example.com", "--role", "Admin_permission", "-o", "json"))
    result = astpp("account", "update", "helper", "--country", "FR")
    assert result.exit_code == 3 and "sub-admin" in result.stderr, result.stderr
    result = astpp("account", "update", "admin", "--status", "inactive")
    assert result.exit_code == 3 and "super admin" in result.stderr, result.stderr
    assert account_row(db, "admin")["status"] == 0
    assert account_row(db, "helper")["country_id"] == 0


def test_email_of_another_live_account_exits_4(astpp, db):
    customer(astpp, "5550000003")
    customer(astpp, "5550000004")
    result = astpp("account", "update", "5550000004", "--email", "5550000003@EXAMPLE.com")
    assert result.exit_code == 4, (result.stdout, result.stderr)
    assert account_row(db, "5550000004")["email"] == "5550000004@example.com"
    # a soft-deleted account's email is free again, as in ASTPP's is_unique
    execute(db, "UPDATE accounts SET deleted = 1 WHERE number = '5550000003'")
    assert astpp("account", "update", "5550000004", "--email",
                 "5550000003@example.com").exit_code == 0
    assert account_row(db, "5550000004")["email"] == "5550000003@example.com"


def test_from_file_is_atomic_and_reports_every_error(astpp, db, tmp_path):
    customer(astpp, "5550000005")
    customer(astpp, "5550000006")
    path = csv_file(tmp_path, "number,first_name,max_channels,account_type\n"
                              "5550000005,Grace,,\n"
                              "5550000006,,-1,\n"
                              "5550000007,Nobody,,\n"
                              "5550000005,Twice,,\n")
    before = rows(db, "SELECT * FROM accounts ORDER BY id")
    result = astpp("account", "update", "--from-file", path, "-o", "json")
    assert result.exit_code == 3, (result.stdout, result.stderr)
    errors = json.loads(result.stdout)["errors"]
    assert [(e["row"], e["field"]) for e in errors] == [
        (2, "max_channels"), (3, "number"), (4, "number")]
    assert rows(db, "SELECT * FROM accounts ORDER BY id") == before


def test_from_file_continue_on_error_writes_the_good_rows(astpp, db, tmp_path):
    customer(astpp, "5550000008")
    customer(astpp, "5550000009")
    path = csv_file(tmp_path, "number,first_name,city\n5550000008,Grace,Pune\n"
                              "5550000009,,x" + "y" * 30 + "\n")
    result = astpp("account", "update", "--from-file", path, "--continue-on-error",
                   "-o", "json")
    assert result.exit_code == 6, (result.stdout, result.stderr)
    document = json.loads(result.stdout)
    assert document["summary"] == {"updated": 1, "unchanged": 0, "failed": 1}
    assert (account_row(db, "5550000008")["first_name"],
            account_row(db, "5550000008")["city"]) == ("Grace", "Pune")
    assert account_row(db, "5550000009")["city"] == ""


def test_from_file_dry_run_writes_nothing(astpp, db, tmp_path):
    customer(astpp, "5550000010")
    path = csv_file(tmp_path, "number,first_name,low_balance_alert\n5550000010,Grace,9\n")
    before = rows(db, "SELECT * FROM accounts ORDER BY id")
    result = astpp("account", "update", "--from-file", path, "--dry-run", "-o", "json")
    document = created(result)
    assert document["dry_run"] is True and document["summary"]["updated"] == 1
    assert document["updated"][0]["changes"]["low_balance_alert"] == ["5", "9"]
    assert rows(db, "SELECT * FROM accounts ORDER BY id") == before


def test_from_file_of_many_rows_lands(astpp, db, tmp_path):
    created(astpp("create", "customer", "--count", "700", "--first-name", "Bulk",
                  "--no-sip-device", "-o", "json"))
    numbers = [r["number"] for r in rows(db, "SELECT number FROM accounts WHERE type = 0")]
    path = csv_file(tmp_path, "number,first_name,cps\n" + "".join(
        f"{n},Renamed{i},{i % 3}\n" for i, n in enumerate(numbers)))
    result = astpp("account", "update", "--from-file", path, "-o", "json")
    assert json.loads(result.stdout)["summary"]["updated"] == 700, result.stderr
    after = {r["number"]: r for r in rows(db, "SELECT number, first_name, cps FROM accounts "
                                              "WHERE type = 0")}
    assert all(after[n]["first_name"] == f"Renamed{i}" and after[n]["cps"] == i % 3
               for i, n in enumerate(numbers))
