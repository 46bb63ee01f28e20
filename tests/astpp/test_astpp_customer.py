"""Each kind's rows equal what ASTPP's own create code writes (astpp-interop.md §2), column by
column; clock columns and random values are checked by rule."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from acctctl.targets.astpp.encoding import PUBLIC_DEFAULT_KEY, encode
from astpp.astpp_helpers import created, rows

PASSWORD = "Secret123abc"
ZERO = "0000-00-00 00:00:00"  # PyMySQL returns ASTPP's zero date as this string
NO_DATE = datetime(1000, 1, 1)

# the columns every kind gets the same way (seed system settings)
COMMON = {
    "reseller_id": 0, "paypal_permission": 0, "reference": "", "status": 0, "balance": 0,
    "address_2": "", "telephone_2": "", "language_id": 0, "inuse": 0, "deleted": 0,
    "notify_email": "", "commission_rate": 0, "invoice_interval": 0, "invoice_note": "",
    "first_used": ZERO, "local_call_cost": 0, "pass_link_status": 0, "charge_per_min": "0",
    "is_recording": 1, "allow_ip_management": 1, "deleted_date": NO_DATE,
    "localization_id": 0, "generate_invoice": 0, "std_cid_translation": "",
    "did_cid_translation": "", "validfordays": 3650, "credit_limit": 0,
}
BILLING = {
    **COMMON, "pricelist_id": 1, "sweep_id": 2, "posttoexternal": 0, "first_name": "Ada",
    "last_name": "Lovelace", "company_name": "Engines Ltd", "address_1": "1 Analytical St",
    "postal_code": "12345", "province": "Essex", "city": "London", "country_id": 88,
    "telephone_1": "", "email": "ada@example.com", "notification_email": "ada@example.com",
    "currency_id": 139, "maxchannels": 0, "cps": 0, "dialed_modify": "", "timezone_id": 49,
    "notify_credit_limit": 5, "notify_flag": 0, "invoice_day": 7, "tax_number": "",
}
EXPECTED = {
    "customer": {**BILLING, "type": 0, "local_call": 0, "permission_id": 0,
                 "notifications": 0, "is_distributor": 1, "pin": "123456"},
    "provider": {**BILLING, "type": 3, "local_call": 0, "permission_id": 0,
                 "notifications": 1, "is_distributor": 1, "pin": "123456"},
    "reseller": {**BILLING, "type": 1, "local_call": 1, "permission_id": 2,
                 "notifications": 0, "is_distributor": 0, "pin": "", "expiry": ZERO},
    "admin": {**COMMON, "type": 2, "pricelist_id": 0, "sweep_id": 0, "posttoexternal": 0,
              "first_name": "Ada", "last_name": "Lovelace", "company_name": "",
              "address_1": "", "postal_code": "", "province": "", "city": "",
              "country_id": 88, "telephone_1": "", "email": "ada@example.com",
              "notification_email": "ada@example.com", "currency_id": 139, "maxchannels": 1,
              "cps": 0, "dialed_modify": "", "timezone_id": 49, "notify_credit_limit": 5,
              "notify_flag": 0, "invoice_day": 0, "pin": "", "local_call": 1,
              "permission_id": 3, "notifications": 0, "is_distributor": 1, "tax_number": None},
}
# a sub-admin: what ASTPP writes for an admin, but no country, zone or currency (0); it keeps
# the role it was given (ASTPP's bug of storing 0 is not reproduced, contract §8)
EXPECTED["subadmin"] = {**EXPECTED["admin"], "type": 4, "country_id": 0, "timezone_id": 0,
                        "currency_id": 0}

FLAGS = {
    "billing": ["--first-name", "Ada", "--last-name", "Lovelace", "--company", "Engines Ltd",
                "--address", "1 Analytical St", "--postal-code", "12345", "--province",
                "Essex", "--city", "London", "--email", "ada@example.com", "--billing-day",
                "7", "--email-alerts"],
    "admin": ["--first-name", "Ada", "--last-name", "Lovelace", "--email", "ada@example.com"],
}


def create(astpp, tmp_path, kind: str, *extra: str) -> dict:
    secret = tmp_path / "pw"
    secret.write_text(PASSWORD + "\n")
    flags = FLAGS["admin" if kind in ("admin", "subadmin") else "billing"]
    pin = ["--pin", "123456"] if kind in ("customer", "provider") else []
    role = ["--role", "Admin_permission"] if kind == "subadmin" else []
    return created(astpp("create", kind, "--number", "5551234567", "--password-file",
                         str(secret), *flags, *pin, *role, *extra, "-o", "json"))


@pytest.mark.parametrize("kind", ["customer", "provider", "reseller", "admin", "subadmin"])
def test_rows_equal_what_astpp_writes(astpp, db, tmp_path, kind):
    out = create(astpp, tmp_path, kind)
    (row,) = rows(db, "SELECT * FROM accounts WHERE number = '5551234567'")
    for column, value in EXPECTED[kind].items():
        assert row[column] == value, (column, row[column], value)
    # clock and secret columns, by rule
    assert row["password"] == encode(PASSWORD, PUBLIC_DEFAULT_KEY)
    assert PASSWORD not in json.dumps(row, default=str)
    creation = row["creation"]
    assert abs(datetime.utcnow() - creation) < timedelta(minutes=1)
    assert creation.microsecond == 0 and row["last_bill_date"] == creation
    if kind != "reseller":
        assert row["expiry"] - creation == timedelta(days=3650)
    assert out["number"] == "5551234567" and out["kind"] == kind
    # every column ASTPP's accounts table has was written or is a column default
    assert len(row) == 62


def test_customer_sip_device_and_directory(astpp, db, tmp_path):
    out = create(astpp, tmp_path, "customer")
    (account,) = rows(db, "SELECT id, creation FROM accounts WHERE number = '5551234567'")
    (device,) = rows(db, "SELECT * FROM sip_devices WHERE username = '5551234567'")
    assert device["accountid"] == account["id"] and device["sip_profile_id"] == 1
    assert device["reseller_id"] == 0 and device["status"] == 0 and device["codec"] == ""
    assert device["call_waiting"] == 0
    assert device["creation_date"] == device["last_modified_date"] == account["creation"]
    assert device["dir_vars"] == ('{"effective_caller_id_name":"5551234567",'
                                  '"effective_caller_id_number":"5551234567",'
                                  '"user_context":"default"}')
    # FreeSWITCH's directory query (astpp.xml.php::load_directory) finds it
    (found,) = rows(db, "SELECT s.dir_params FROM sip_devices s JOIN accounts a "
                        "ON a.id = s.accountid WHERE s.username = %s AND s.status = 0 "
                        "AND a.status = 0 AND a.deleted = 0", "5551234567")
    params = json.loads(found["dir_params"])
    assert list(params) == ["password", "vm-enabled", "vm-password", "vm-mailto",
                            "vm-attach-file", "vm-keep-local-after-email",
                            "vm-email-all-messages"]
    assert params["password"] == out["generated"]["sip_password"] != PASSWORD
    assert isinstance(params["vm-password"], int) and 10000 <= params["vm-password"] <= 99999
    assert params["vm-mailto"] == "ada@example.com"
    assert all(params[k] == "true" for k in ("vm-enabled", "vm-attach-file",
                                              "vm-keep-local-after-email",
                                              "vm-email-all-messages"))
    # no plaintext portal password anywhere; no welcome mail queued
    assert PASSWORD not in found["dir_params"]


def test_login_condition_finds_the_account(astpp, db, tmp_path):
    create(astpp, tmp_path, "customer")
    found = rows(db, "SELECT number FROM accounts WHERE number = %s AND password = %s "
                     "AND deleted = 0 AND status = 0", "5551234567",
                 encode(PASSWORD, PUBLIC_DEFAULT_KEY))
    assert found == [{"number": "5551234567"}]


def test_reseller_invoice_configuration(astpp, db, tmp_path):
    create(astpp, tmp_path, "reseller")
    (account,) = rows(db, "SELECT id FROM accounts WHERE number = '5551234567'")
    (conf,) = rows(db, "SELECT * FROM invoice_conf WHERE accountid = %s", account["id"])
    assert {k: conf[k] for k in ("company_name", "address", "city", "province", "country",
                                 "zipcode", "telephone", "emailaddress", "invoice_prefix",
                                 "invoice_start_from", "fax", "interval")} == {
        "company_name": "Engines Ltd", "address": "1 Analytical St", "city": "London",
        "province": "Essex", "country": "88", "zipcode": "12345", "telephone": "",
        "emailaddress": "ada@example.com", "invoice_prefix": "INV_", "invoice_start_from": 1,
        "fax": "", "interval": ""}
    assert rows(db, "SELECT id FROM sip_devices") == []


def test_taxes_given_are_linked_and_none_by_default(astpp, db, tmp_path):
    with db.cursor() as cur:
        cur.execute("INSERT INTO taxes (id, taxes_priority, taxes_rate, taxes_description) "
                    "VALUES (5, 2, 10, 'VAT')")
    db.commit()
    create(astpp, tmp_path, "customer", "--tax", "VAT")
    (account,) = rows(db, "SELECT id, creation FROM accounts WHERE number = '5551234567'")
    links = rows(db, "SELECT accountid, taxes_id, taxes_priority, assign_date "
                     "FROM taxes_to_accounts")
    assert links == [{"accountid": account["id"], "taxes_id": 5, "taxes_priority": 2,
                      "assign_date": account["creation"]}]
    out = created(astpp("create", "customer", "--first-name", "Bo", "-o", "json"))
    assert out["taxes"] == []
    assert len(rows(db, "SELECT id FROM taxes_to_accounts")) == 1  # not system.tax_type's


def test_postpaid_credit_limit_in_the_creating_admins_currency(astpp, db, tmp_path):
    with db.cursor() as cur:  # the super admin works in EUR (rate 0.9; base USD 1.0)
        cur.execute("UPDATE accounts SET currency_id = 48 WHERE id = 1")
    db.commit()
    create(astpp, tmp_path, "customer", "--account-type", "postpaid", "--credit-limit", "90")
    (row,) = rows(db, "SELECT posttoexternal, credit_limit FROM accounts WHERE number = %s",
                  "5551234567")
    assert row == {"posttoexternal": 1, "credit_limit": Decimal("100.00000")}


def test_astpps_system_settings_are_the_defaults_unless_the_profile_sets_them(
        astpp, astpp_config, db):
    with db.cursor() as cur:  # later rows win, as ASTPP's get_system_config reads them
        cur.executemany("INSERT INTO `system` (name, value) VALUES (%s, %s)", [
            ("validfordays", "30"), ("maxchannels", "5"), ("country", "73"),
            ("default_timezone", "50"), ("notify_credit_limit", "2.5"),
            ("create_sipdevice", "1"), ("card_length", "8"), ("starting_digit", "77")])
    db.commit()
    out = created(astpp("create", "customer", "--first-name", "Ada", "-o", "json"))
    assert (out["country"], out["timezone"], out["max_channels"], out["valid_days"]) == (
        "FR", "Europe/Paris", 5, 30)
    assert out["sip_device"] is False and Decimal(out["low_balance_alert"]) == Decimal("2.5")
    assert len(out["number"]) == 8 and out["number"].startswith("77")
    (row,) = rows(db, "SELECT country_id, timezone_id, maxchannels, validfordays, expiry, "
                      "creation, notify_credit_limit FROM accounts WHERE number = %s",
                  out["number"])
    assert (row["country_id"], row["timezone_id"], row["maxchannels"], row["validfordays"]) == (
        73, 50, 5, 30)
    assert row["expiry"] - row["creation"] == timedelta(days=30)
    assert row["notify_credit_limit"] == Decimal("2.5")
    assert rows(db, "SELECT id FROM sip_devices") == []
    # the profile's own [defaults] win over ASTPP's
    astpp_config.write_text(astpp_config.read_text() + '\n[defaults]\ncountry = "DE"\n')
    out = created(astpp("create", "customer", "--first-name", "Bo", "-o", "json"))
    assert out["country"] == "DE" and out["max_channels"] == 5
