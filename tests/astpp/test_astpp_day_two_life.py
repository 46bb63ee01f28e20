"""`account disable|enable|delete|reset-password|rotate-sip-secret` on the ASTPP target, end
to end (contract §7, §8): the real commands against an ASTPP-like MariaDB database, with
ASTPP's login condition and FreeSWITCH's directory join before and after each, and the exit
codes of §4."""

from __future__ import annotations

import json

import pytest

from astpp.astpp_helpers import directory, login, maker, rows, sql

KINDS = ["customer", "provider", "reseller", "admin", "subadmin"]
# the -o json keys of acctctl's own schema (service/lifecycle.py), the same on every target
STATUS_KEYS = {"number", "kind", "status", "changed"}
DELETE_KEYS = {"number", "kind", "action"}


@pytest.fixture
def make(astpp, tmp_path):
    return maker(astpp, tmp_path)


def snapshot(db) -> dict:
    """Every row of the tables a day-two command may change."""
    return {t: rows(db, f"SELECT * FROM `{t}`") for t in (
        "accounts", "sip_devices", "taxes_to_accounts", "invoice_conf", "ani_map", "dids",
        "trunks")}


def ok(result) -> list | dict:
    assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr)
    return json.loads(result.stdout)


def refused(result, code: int, *words: str) -> None:
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    for word in words:
        assert word in result.stderr, (word, result.stderr)
    assert "Traceback" not in result.stderr


# --- disable / enable ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_disable_and_enable_every_kind(astpp, make, db, kind):
    make(kind, "5552000001")
    sip = kind in ("customer", "provider")
    assert login(db, "5552000001") and bool(directory(db, "5552000001")) == sip

    out = ok(astpp("account", "disable", "5552000001", "-o", "json"))
    assert out == [{"number": "5552000001", "kind": kind, "status": "inactive",
                    "changed": True}]
    assert set(out[0]) == STATUS_KEYS
    assert rows(db, "SELECT status FROM accounts WHERE number = '5552000001'") == [
        {"status": 1}]
    assert not login(db, "5552000001") and directory(db, "5552000001") is None

    again = ok(astpp("account", "disable", "5552000001", "-o", "json"))
    assert again[0]["changed"] is False

    out = ok(astpp("account", "enable", "5552000001", "-o", "json"))
    assert out[0]["status"] == "active" and out[0]["changed"] is True
    assert login(db, "5552000001") and bool(directory(db, "5552000001")) == sip
    # ASTPP's status switch: the device kept its own status throughout
    assert rows(db, "SELECT status FROM sip_devices WHERE username = '5552000001'") == (
        [{"status": 0}] if sip else [])


def test_disable_several_is_all_or_nothing(astpp, make, db):
    make("customer", "5552000002")
    refused(astpp("account", "disable", "5552000002", "5552999999"), 3,
            "no account has number 5552999999")
    assert login(db, "5552000002")
    assert ok(astpp("account", "disable", "5552000002", "-o", "json"))[0]["changed"] is True


def test_the_super_admin_is_never_disabled_or_deleted(astpp, db):
    refused(astpp("account", "disable", "admin"), 4, "super admin")
    refused(astpp("account", "delete", "admin", "--yes"), 4, "super admin")
    assert login(db, "admin", "admin")


# --- delete --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_delete_every_kind(astpp, make, db, kind):
    make(kind, "5552000010")
    out = ok(astpp("account", "delete", "5552000010", "--yes", "-o", "json"))
    assert out == [{"number": "5552000010", "kind": kind, "action": "deleted"}]
    assert set(out[0]) == DELETE_KEYS
    (row,) = rows(db, "SELECT deleted, deleted_date FROM accounts WHERE number = '5552000010'")
    assert row["deleted"] == 1 and row["deleted_date"].year > 2000
    # what ASTPP's delete removes with it: its SIP device, tax links, invoice configuration
    assert rows(db, "SELECT * FROM sip_devices WHERE username = '5552000010'") == []
    if kind == "reseller":
        assert rows(db, "SELECT * FROM invoice_conf WHERE accountid = (SELECT id FROM accounts"
                        " WHERE number = '5552000010')") == []
    assert not login(db, "5552000010") and directory(db, "5552000010") is None
    refused(astpp("account", "show", "5552000010"), 3)
    # the number (and the SIP username) can be used again
    make(kind, "5552000010")
    assert login(db, "5552000010")


def test_delete_asks_off_a_terminal_and_changes_nothing(astpp, make, db):
    make("customer", "5552000011")
    before = snapshot(db)
    result = astpp("account", "delete", "5552000011")
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert snapshot(db) == before


def test_delete_a_reseller_that_owns_something_exit_4(astpp, make, db):
    make("reseller", "5552000020")
    sql(db, "INSERT INTO pricelists (name, status, reseller_id) SELECT 'silver', 0, id "
            "FROM accounts WHERE number = '5552000020'")
    make("customer", "5552000021", "--reseller", "5552000020", "--rate-group", "silver")
    before = snapshot(db)
    refused(astpp("account", "delete", "5552000020", "--yes"), 4,
            "5552000021", "'silver'", "nothing was changed")
    assert snapshot(db) == before
    # deleting the reseller with what it owns, in one go, is fine once the rate group is gone
    sql(db, "UPDATE pricelists SET status = 2 WHERE name = 'silver'")
    out = ok(astpp("account", "delete", "5552000021", "5552000020", "--yes", "-o", "json"))
    assert [r["number"] for r in out] == ["5552000021", "5552000020"]


def test_dry_run_writes_nothing(astpp, make, db):
    make("customer", "5552000030")
    make("reseller", "5552000031")
    before = snapshot(db)
    for args in (["disable", "5552000030"], ["delete", "5552000030", "5552000031"],
                 ["delete", "5552000030", "--purge"]):
        result = astpp("account", *args, "--dry-run", "-o", "json")
        assert result.exit_code == 0, (args, result.stdout, result.stderr)
        assert snapshot(db) == before, args
    out = json.loads(astpp("account", "delete", "5552000030", "--dry-run", "-o", "json").stdout)
    assert out[0]["action"] == "would delete" and out[0]["dry_run"] is True


# --- purge ---------------------------------------------------------------------------------


HISTORY = {
    "a call record": ("INSERT INTO cdrs (uniqueid, accountid, callerid, translated_dst, pattern,"
                      " notes, reseller_code, provider_code, provider_code_destination, "
                      "provider_call_cost, call_direction) SELECT 'u1', id, '', '', '', '', "
                      "'', '', '', 0, 'outbound' FROM accounts WHERE number = %s", "1 call"),
    "an invoice": ("INSERT INTO invoices (prefix, number, accountid, due_date, notes) SELECT "
                   "'INV_', '7', id, NOW(), '' FROM accounts WHERE number = %s", "1 invoice"),
    "a payment": ("INSERT INTO payment_transaction (accountid, amount, tax, payment_method, "
                  "actual_amount, transaction_id, customer_ip, user_currency, currency_rate, "
                  "transaction_details, notes) SELECT id, 5, '', 'paypal', 5, 't', '', 'USD', "
                  "1, '', '' FROM accounts WHERE number = %s", "1 payment"),
}


@pytest.mark.parametrize("what", list(HISTORY))
def test_purge_is_refused_with_billing_history(astpp, make, db, what):
    make("customer", "5552000040")
    statement, said = HISTORY[what]
    sql(db, statement, "5552000040")
    before = snapshot(db)
    refused(astpp("account", "delete", "5552000040", "--purge", "--yes"), 4,
            "5552000040", "billing history", said, "nothing was changed")
    assert snapshot(db) == before
    assert login(db, "5552000040") and directory(db, "5552000040")
    # a soft delete is still possible: ASTPP keeps the history of a deleted account
    ok(astpp("account", "delete", "5552000040", "--yes", "-o", "json"))


def test_purge_removes_the_rows_also_of_a_deleted_account(astpp, make, db):
    make("customer", "5552000050")
    make("reseller", "5552000051")
    ok(astpp("account", "delete", "5552000051", "--yes", "-o", "json"))
    out = ok(astpp("account", "delete", "5552000050", "5552000051", "--purge", "--yes",
                   "-o", "json"))
    assert [(r["number"], r["action"]) for r in out] == [("5552000050", "purged"),
                                                          ("5552000051", "purged")]
    assert rows(db, "SELECT id FROM accounts WHERE number IN ('5552000050', '5552000051')") == []
    assert rows(db, "SELECT id FROM sip_devices WHERE username = '5552000050'") == []
    refused(astpp("account", "delete", "5552000050", "--purge", "--yes"), 3)


# --- unknown numbers -----------------------------------------------------------------------


@pytest.mark.parametrize("args", [["disable"], ["enable"], ["delete", "--yes"],
                                  ["delete", "--purge", "--yes"], ["reset-password"],
                                  ["rotate-sip-secret"]])
def test_an_unknown_number_exits_3(astpp, db, args):
    before = snapshot(db)
    verb, *flags = args
    refused(astpp("account", verb, "5552999999", *flags), 3,
            "no account has number 5552999999")
    assert snapshot(db) == before


# --- reset-password ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_reset_password_generated_is_what_astpp_login_accepts(astpp, make, db, kind):
    make(kind, "5552000060")
    device = directory(db, "5552000060")
    out = ok(astpp("account", "reset-password", "5552000060", "-o", "json"))
    new = out["generated"]["password"]
    assert out["number"] == "5552000060" and out["kind"] == kind
    assert login(db, "5552000060", new) and not login(db, "5552000060")
    assert directory(db, "5552000060") == device  # the SIP secret is another thing


def test_reset_password_from_a_file(astpp, make, db, tmp_path):
    make("customer", "5552000061")
    given = tmp_path / "new"
    given.write_text("Another-Passw0rd\n")
    ok(astpp("account", "reset-password", "5552000061", "--password-file", str(given),
             "-o", "json"))
    assert login(db, "5552000061", "Another-Passw0rd")


@pytest.mark.parametrize(("password", "why"), [
    ("Aa1" + "x" * 69, "71 bytes"),  # 72 bytes: ASTPP's column would cut its encoding
    ('Quote"d-Passw0rd', "directory XML"),
])
def test_reset_password_keeps_astpps_limits(astpp, make, db, tmp_path, password, why):
    make("customer", "5552000062")
    given = tmp_path / "new"
    given.write_text(password + "\n")
    before = snapshot(db)
    refused(astpp("account", "reset-password", "5552000062", "--password-file", str(given)), 3,
            "password", why)
    assert snapshot(db) == before and login(db, "5552000062")


# --- rotate-sip-secret ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["customer", "provider"])
def test_rotate_sip_secret_is_what_the_directory_hands_out(astpp, make, db, kind):
    make(kind, "5552000070")
    before = directory(db, "5552000070")
    out = ok(astpp("account", "rotate-sip-secret", "5552000070", "-o", "json"))
    secret = out["generated"]["sip_password"]
    assert out["sip_devices"] == ["5552000070"] and secret != before["password"]
    after = directory(db, "5552000070")
    assert after == {**before, "password": secret} and list(after) == list(before)
    assert login(db, "5552000070")  # the portal password is untouched


def test_rotate_sip_secret_of_an_account_without_a_device_exits_3(astpp, make, db):
    make("customer", "5552000071", "--no-sip-device")
    refused(astpp("account", "rotate-sip-secret", "5552000071"), 3, "has no SIP device")


def test_rotate_sip_secret_of_a_disabled_account_waits_for_enable(astpp, make, db):
    make("customer", "5552000072")
    ok(astpp("account", "disable", "5552000072", "-o", "json"))
    secret = ok(astpp("account", "rotate-sip-secret", "5552000072", "-o", "json"))[
        "generated"]["sip_password"]
    assert directory(db, "5552000072") is None
    ok(astpp("account", "enable", "5552000072", "-o", "json"))
    assert directory(db, "5552000072")["password"] == secret


def test_reset_password_generated_with_an_ampersand_is_stored(astpp, make, db, monkeypatch):
    """ASTPP's limits apply to a chosen password, as on create; a generated one may hold any
    of acctctl's symbols ('&' among them): it never goes into FreeSWITCH's XML (the SIP
    device has its own secret)."""
    from acctctl.service import secrets_

    make("customer", "5552000063")
    monkeypatch.setattr(secrets_, "generate_password", lambda length: "Gen&rated-Pa55word")
    out = ok(astpp("account", "reset-password", "5552000063", "-o", "json"))
    assert out["generated"]["password"] == "Gen&rated-Pa55word"
    assert login(db, "5552000063", "Gen&rated-Pa55word")
