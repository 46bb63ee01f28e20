"""The astpp target refuses what ASTPP cannot take, checks the database before writing, and
keeps numbers, emails and SIP usernames unique among live accounts."""

from __future__ import annotations

import json

import pytest

import acctctl.targets.astpp.storage as astpp_target
from astpp.astpp_helpers import created, rows


def count(db) -> int:
    return rows(db, "SELECT COUNT(*) AS n FROM accounts")[0]["n"]


def test_wrong_key_exits_5_and_writes_nothing(astpp, astpp_config, db, tmp_path):
    keyfile = tmp_path / "astpp-config.conf"
    keyfile.write_text('PRIVATE_KEY = "not-the-key-of-this-astpp"\n')
    result = astpp("create", "customer", "--first-name", "Ada")
    assert result.exit_code == 5, result.stderr
    assert "does not decode" in result.stderr and count(db) == 1


def test_non_astpp_database_exits_5(astpp, db):
    with db.cursor() as cur:
        cur.execute("DROP TABLE `system`")
    result = astpp("create", "customer", "--first-name", "Ada")
    assert result.exit_code == 5 and "not an ASTPP database" in result.stderr
    assert count(db) == 1


def test_other_version_or_missing_column_exits_5(astpp, db):
    with db.cursor() as cur:
        cur.execute("ALTER TABLE sip_devices DROP COLUMN codec")
    result = astpp("create", "customer", "--first-name", "Ada")
    assert result.exit_code == 5 and "sip_devices.codec" in result.stderr
    with db.cursor() as cur:
        cur.execute("UPDATE `system` SET value = '5.0' WHERE name = 'version'")
    result = astpp("create", "customer", "--first-name", "Ada")
    assert result.exit_code == 5 and "6.0.x" in result.stderr
    assert count(db) == 1


def test_public_default_key_warns(astpp):
    result = astpp("create", "customer", "--first-name", "Ada")
    assert result.exit_code == 0, result.stderr
    assert "PRIVATE_KEY is its public default" in result.stderr


@pytest.mark.parametrize(("args", "field"), [
    (["--timezone", "Pacific/Auckland"], "timezone"),  # IANA, but not in ASTPP's list
    (["--currency", "JPY"], "currency"),
    (["--country", "JP"], "country"),
    (["--billing-schedule", "weekly"], "billing_schedule"),  # not in ASTPP's sweeplist
    (["--email", "a" * 75 + "@x.example"], "email"),  # ASTPP's email column: 80
    (["--first-name", "Ada 😀"], "first_name"),  # utf8mb3 tables
    (["--email", "a&b@example.com"], "email"),  # unescaped in FreeSWITCH's directory XML
    (["--rate-group", "gold"], "rate_group"),
])
def test_astpp_limits_exit_3_with_nothing_written(astpp, db, args, field):
    result = astpp("create", "customer", "--first-name", "Ada", *args, "-o", "json")
    assert result.exit_code == 3, (result.stdout, result.stderr)
    assert field.replace("_", "-") in result.stderr.replace("_", "-") and count(db) == 1


def test_password_longer_than_71_bytes_or_xml_breaking_is_refused(astpp, db, tmp_path):
    for password in ("a1" * 36, "abc123<&>xyz"):
        path = tmp_path / "pw"
        path.write_text(password)
        result = astpp("create", "customer", "--first-name", "Ada", "--password-file",
                       str(path))
        assert result.exit_code == 3 and "password" in result.stderr, result.stderr
    assert count(db) == 1


def test_soft_deleted_number_is_reusable_live_one_is_not(astpp, db):
    first = created(astpp("create", "customer", "--number", "777", "--email", "x@example.com",
                          "--first-name", "A", "-o", "json"))
    result = astpp("create", "customer", "--number", "777", "--first-name", "B")
    assert result.exit_code == 4 and "777" in result.stderr
    result = astpp("create", "reseller", "--email", "X@example.com", "--first-name", "B")
    assert result.exit_code == 4 and "email" in result.stderr
    with db.cursor() as cur:  # ASTPP's soft delete: deleted = 1 and its devices removed
        cur.execute("UPDATE accounts SET deleted = 1 WHERE number = '777'")
        cur.execute("DELETE FROM sip_devices WHERE username = '777'")
    db.commit()
    again = created(astpp("create", "customer", "--number", "777", "--email", "x@example.com",
                          "--first-name", "C", "-o", "json"))
    assert again["number"] == first["number"]
    assert len(rows(db, "SELECT id FROM accounts WHERE number = '777'")) == 2


def test_existing_sip_username_is_a_conflict(astpp, db):
    with db.cursor() as cur:
        cur.execute("INSERT INTO sip_devices (username, dir_params, dir_vars, codec) "
                    "VALUES ('888', '{}', '{}', '')")
    db.commit()
    result = astpp("create", "customer", "--number", "888", "--first-name", "A")
    assert result.exit_code == 4 and count(db) == 1


def test_strict_and_non_strict_sql_mode_write_identical_rows(astpp, db, monkeypatch):
    masked = ("id", "number", "creation", "last_bill_date", "expiry", "password")
    written = []
    for mode in (astpp_target.SESSION_SQL_MODE, ""):
        monkeypatch.setattr(astpp_target, "SESSION_SQL_MODE", mode)
        out = created(astpp("create", "customer", "--first-name", "Ada", "--email",
                            f"ada{len(written)}@example.com", "--no-sip-device",
                            "--pin", "12345" + str(len(written)), "-o", "json"))
        (row,) = rows(db, "SELECT * FROM accounts WHERE number = %s", out["number"])
        written.append({k: v for k, v in row.items() if k not in masked and "mail" not in k
                        and k != "pin"})
    assert written[0] == written[1]


def test_dry_run_and_if_exists_skip(astpp, db):
    result = astpp("create", "customer", "--first-name", "Ada", "--dry-run")
    assert result.exit_code == 0 and count(db) == 1
    created(astpp("create", "customer", "--number", "4242", "--first-name", "A", "-o", "json"))
    result = astpp("create", "customer", "--number", "4242", "--first-name", "A",
                   "--if-exists", "skip", "-o", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["number"] == "4242" and count(db) == 2


def test_file_continue_on_error_and_secrets_file(astpp, db, tmp_path):
    rows_file = tmp_path / "rows.csv"
    rows_file.write_text("first_name,email,timezone\nAda,ada@example.com,Europe/Paris\n"
                         "Bo,bo@example.com,Pacific/Auckland\n")
    secrets = tmp_path / "secrets.csv"
    result = astpp("create", "customer", "--from-file", str(rows_file), "--continue-on-error",
                   "--secrets-file", str(secrets), "-o", "json")
    assert result.exit_code == 6, result.stderr
    report = json.loads(result.stdout)
    assert report["summary"] == {"created": 1, "skipped": 0, "failed": 1}
    assert count(db) == 2 and oct(secrets.stat().st_mode)[-3:] == "600"
    assert len(secrets.read_text().splitlines()) == 2


def test_list_and_show_read_astpp_accounts(astpp, db):
    out = created(astpp("create", "customer", "--first-name", "Ada", "--email",
                        "ada@example.com", "-o", "json"))
    shown = created(astpp("account", "show", out["number"], "-o", "json"))
    for key in ("number", "kind", "first_name", "email", "country", "timezone", "currency",
                "rate_group", "sip_device", "expiry", "pin", "status"):
        assert shown[key] == out[key], key
    listed = created(astpp("account", "list", "--kind", "customer", "-o", "json"))
    assert [r["number"] for r in listed] == [out["number"]]
    admins = created(astpp("account", "list", "--kind", "admin", "-o", "json"))
    assert [r["number"] for r in admins] == ["admin"]
    with db.cursor() as cur:
        cur.execute("UPDATE accounts SET deleted = 1 WHERE number = %s", (out["number"],))
    db.commit()
    assert astpp("account", "show", out["number"]).exit_code == 3


@pytest.mark.parametrize("args", [["db", "upgrade"], ["db", "current"],
                                  ["role", "create", "x", "--for", "admin"]])
def test_commands_not_built_for_astpp_exit_2(astpp, args):
    result = astpp(*args)
    assert result.exit_code == 2 and "not supported on the astpp target" in result.stderr


def test_lists_read_astpps_own(astpp, db):
    with db.cursor() as cur:
        cur.execute("INSERT INTO taxes (taxes_priority, taxes_rate, taxes_description) "
                    "VALUES (1, 18, 'GST')")
    db.commit()
    assert [r["name"] for r in created(astpp("rategroup", "list", "-o", "json"))] == ["default"]
    assert [r["name"] for r in created(astpp("tax", "list", "-o", "json"))] == ["GST"]
    roles = created(astpp("role", "list", "-o", "json"))
    assert [(r["name"], r["for"]) for r in roles] == [("reseller", "reseller"),
                                                      ("Admin_permission", "admin")]
    zones = created(astpp("reference", "timezones", "-o", "json"))
    assert "Europe/Sarajevo" in [z["name"] for z in zones] and len(zones) == 5
    countries = created(astpp("reference", "countries", "--search", "ind", "-o", "json"))
    assert countries == [{"alpha2": "IN", "alpha3": "IND", "name": "India", "dial_code": "91"}]


def test_a_deadlock_retries_the_whole_transaction(astpp, db, monkeypatch):
    import pymysql
    import sqlalchemy as sa

    real, calls = astpp_target.AstppStorage.insert, []

    def insert_then_deadlock(self, conn, batch, pending):
        calls.append(len(pending))
        ids = real(self, conn, batch, pending)
        if len(calls) == 1:  # InnoDB chose this transaction as the deadlock victim
            raise sa.exc.OperationalError("INSERT", {}, pymysql.err.OperationalError(
                1213, "Deadlock found when trying to get lock; try restarting transaction"))
        return ids

    monkeypatch.setattr(astpp_target.AstppStorage, "insert", insert_then_deadlock)
    out = created(astpp("create", "customer", "--count", "3", "-o", "json"))
    assert calls == [3, 3] and out["summary"]["created"] == 3
    assert count(db) == 4 and len(rows(db, "SELECT id FROM sip_devices")) == 3


def test_count_beyond_the_free_numbers_exits_3(astpp, db):
    result = astpp("create", "customer", "--count", "91", "--length", "2")
    assert result.exit_code == 3 and "only 90 numbers remain" in result.stderr
    assert count(db) == 1


def test_an_admins_country_is_astpps_to_set(astpp, db):
    result = astpp("create", "admin", "--first-name", "Root", "--email", "root@example.com",
                   "--country", "FR")
    assert result.exit_code == 3 and "country" in result.stderr and count(db) == 1


def test_a_profile_prefix_that_does_not_fit_astpps_card_length_exits_5(astpp, astpp_config, db):
    astpp_config.write_text(astpp_config.read_text() + '\n[numbers]\nprefix = "123456789"\n')
    with db.cursor() as cur:
        cur.execute("UPDATE `system` SET value = '8' WHERE name = 'card_length'")
    db.commit()
    result = astpp("create", "customer", "--first-name", "Ada")
    assert result.exit_code == 5 and "numbers" in result.stderr and count(db) == 1


def test_a_value_astpps_column_cannot_hold_exits_5_not_1(astpp, db):
    with db.cursor() as cur:  # an admin currency worth almost nothing: the limit overflows
        cur.execute("UPDATE currency SET currencyrate = 0.001 WHERE id = 48")
        cur.execute("UPDATE accounts SET currency_id = 48 WHERE id = 1")
    db.commit()
    result = astpp("create", "customer", "--first-name", "Ada", "--account-type", "postpaid",
                   "--credit-limit", "999999999999999")
    assert result.exit_code == 5, result.stderr
    assert "nothing was written" in result.stderr and count(db) == 1
