"""targets/astpp/edit.py: the columns an update writes are those ASTPP's own edit pages
change (docs/astpp.md, "account update"), and no others; written in chunked statements."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from acctctl.plain import json_default
from acctctl.targets.astpp import edit as E
from astpp.astpp_helpers import account_row, changed_columns, created, customer, execute, rows

NOW = datetime(2030, 1, 2, 3, 4, 5, 678000)  # microseconds: ASTPP keeps whole seconds
WHOLE = NOW.replace(microsecond=0)


@pytest.fixture
def target(astpp_config, astpp):
    from acctctl.config import load_settings
    from acctctl.targets.astpp.storage import AstppStorage

    storage = AstppStorage.open(load_settings(str(astpp_config)))
    yield storage
    storage.close()


def update(target, changes_by_number: dict[str, dict], now=NOW) -> int:
    """Plan and apply, as the storage does: one transaction; returns the statements run."""
    with target.engine.begin() as conn:
        found = E.read_accounts(conn, target, changes_by_number)
        edits = [E.plan_edit(conn, target, found[n], c, now)
                 for n, c in changes_by_number.items()]
        return E.apply_edits(conn, edits, now)


def test_customer_edit_changes_exactly_the_edited_columns(astpp, db, target):
    execute(db, "INSERT INTO pricelists (id, name, status, reseller_id) "
                "VALUES (2, 'gold', 0, 0)")
    customer(astpp, "5550000001", "--account-type", "postpaid", "--credit-limit", "10")
    before = account_row(db, "5550000001")
    devices = rows(db, "SELECT * FROM sip_devices")
    update(target, {"5550000001": {
        "first_name": "Grace", "last_name": "Hopper", "company": "Navy",
        "address": "1 Harbour Rd", "city": "Arlington", "province": "VA",
        "postal_code": "22201", "telephone": "+14155550100", "email": "grace@example.com",
        "notify_email": "alerts@example.com", "country": "DE", "timezone": "Europe/Paris",
        "currency": "EUR", "status": "inactive", "max_channels": 3, "cps": 2,
        "number_translation": "0/44", "billing_schedule": "daily", "billing_day": None,
        "credit_limit": Decimal("250.5"), "low_balance_alert": Decimal("7.5"),
        "email_alerts": False, "pin": "654321", "rate_group": "gold"}})
    after = account_row(db, "5550000001")
    assert changed_columns(before, after) == {
        "first_name": "Grace", "last_name": "Hopper", "company_name": "Navy",
        "address_1": "1 Harbour Rd", "city": "Arlington", "province": "VA",
        "postal_code": "22201", "telephone_1": "+14155550100", "email": "grace@example.com",
        "notification_email": "alerts@example.com", "country_id": 80, "timezone_id": 50,
        "currency_id": 48, "status": 1, "maxchannels": 3, "cps": 2, "dialed_modify": "0/44",
        "sweep_id": 0, "invoice_day": 0, "credit_limit": Decimal("250.5"),
        "notify_credit_limit": Decimal("7.5"), "notify_flag": 1, "pin": "654321",
        "pricelist_id": 2}
    # the edit page changes the accounts row only: the SIP device (its voicemail address
    # too) stays as it was
    assert rows(db, "SELECT * FROM sip_devices") == devices


def test_valid_days_moves_expiry_from_now_and_expiry_sets_valid_days(astpp, db, target):
    customer(astpp, "5550000002")
    customer(astpp, "5550000003")
    update(target, {"5550000002": {"valid_days": 30},
                    "5550000003": {"expiry": NOW + timedelta(days=9, hours=1)}})
    two, three = account_row(db, "5550000002"), account_row(db, "5550000003")
    assert (two["expiry"], two["validfordays"]) == (WHOLE + timedelta(days=30), 30)
    assert (three["expiry"], three["validfordays"]) == (WHOLE + timedelta(days=9, hours=1), 10)


def test_credit_limit_is_stored_in_base_currency_and_zero_when_prepaid(astpp, db, target,
                                                                       astpp_config):
    customer(astpp, "5550000004", "--account-type", "postpaid")
    customer(astpp, "5550000005")
    # the admin works in EUR (rate 0.9), ASTPP's base is USD
    execute(db, "UPDATE accounts SET currency_id = 48 WHERE id = 1")
    with target.engine.connect() as conn:
        target.load(conn)
    update(target, {"5550000004": {"credit_limit": Decimal("90")},
                    "5550000005": {"credit_limit": Decimal("0")}})
    assert account_row(db, "5550000004")["credit_limit"] == Decimal("100")
    assert account_row(db, "5550000005")["credit_limit"] == 0


def test_taxes_are_linked_again_and_the_edit_page_sees_them(astpp, db, target):
    with db.cursor() as cur:
        cur.executemany("INSERT INTO taxes (id, taxes_priority, taxes_rate, taxes_description)"
                        " VALUES (%s, %s, 5, %s)", [(7, 1, "GST"), (8, 2, "PST"), (9, 3, "VAT")])
    db.commit()
    customer(astpp, "5550000006", "--tax", "GST")
    customer(astpp, "5550000007", "--tax", "GST")
    update(target, {"5550000006": {"taxes": ["PST", "VAT"]}})
    one, other = account_row(db, "5550000006"), account_row(db, "5550000007")
    links = rows(db, "SELECT taxes_id, taxes_priority, assign_date FROM taxes_to_accounts "
                     "WHERE accountid = %s ORDER BY id", one["id"])
    assert links == [{"taxes_id": 8, "taxes_priority": 2, "assign_date": WHOLE},
                     {"taxes_id": 9, "taxes_priority": 3, "assign_date": WHOLE}]
    # what ASTPP's edit page reads to pre-select the taxes
    (view,) = rows(db, "SELECT group_concat(taxes_id) AS taxes_id FROM taxes_to_accounts "
                       "WHERE accountid = %s", one["id"])
    assert sorted(view["taxes_id"].split(",")) == ["8", "9"]
    assert [r["taxes_id"] for r in rows(db, "SELECT taxes_id FROM taxes_to_accounts WHERE "
                                            "accountid = %s", other["id"])] == [7]
    update(target, {"5550000006": {"taxes": []}})
    assert rows(db, "SELECT * FROM taxes_to_accounts WHERE accountid = %s", one["id"]) == []


def test_admin_country_and_role_reseller_role(astpp, db, target):
    created(astpp("create", "admin", "--number", "boss", "--first-name", "B", "--email",
                  "boss@example.com", "-o", "json"))
    customer(astpp, "5550000008", kind="reseller")
    execute(db, "INSERT INTO permissions (id, name, reseller_id, description, login_type, "
                "permissions, edit_permissions) VALUES (4, 'ops', 0, '', 0, '{}', '{}'), "
                "(5, 'wholesale', 0, '', 1, '{}', '{}')")
    update(target, {"boss": {"country": "FR", "timezone": "America/New_York", "role": "ops"},
                    "5550000008": {"role": "wholesale"}})
    boss = account_row(db, "boss")
    assert (boss["country_id"], boss["timezone_id"], boss["permission_id"]) == (73, 12, 4)
    assert account_row(db, "5550000008")["permission_id"] == 5


def test_edit_problems_are_astpp_s_limits(astpp, target):
    created(astpp("create", "subadmin", "--number", "helper", "--first-name", "H", "--email",
                  "helper@example.com", "--role", "Admin_permission", "-o", "json"))
    customer(astpp, "5550000009")
    with target.engine.connect() as conn:
        found = E.read_accounts(conn, target, ["helper", "admin", "5550000009"], lock=False)
    assert [k for k, _ in E.edit_problems(target, found["helper"],
                                          {"country": "FR", "first_name": "Hal"})] == ["country"]
    (problem,) = E.edit_problems(target, found["admin"], {"status": "inactive"})
    assert problem[0] == "status" and "super admin" in problem[1]
    (problem,) = E.edit_problems(target, found["5550000009"], {"last_name": "x" * 41})
    assert problem == ("last_name", "must be at most 40 characters on the astpp target "
                                    "(ASTPP's last_name column), got 41")
    assert E.edit_problems(target, found["5550000009"], {"timezone": "Asia/Tokyo"})[0][0] \
        == "timezone"


def test_read_values_are_what_show_prints(astpp, db, target):
    execute(db, "INSERT INTO taxes (id, taxes_priority, taxes_rate, taxes_description) "
                "VALUES (7, 1, 5, 'GST')")
    customer(astpp, "5550000010", "--tax", "GST", "--company", "Engines")
    shown = created(astpp("account", "show", "5550000010", "-o", "json"))
    with target.engine.connect() as conn:
        account = E.read_accounts(conn, target, ["5550000010", "nobody"], lock=False)
    assert list(account) == ["5550000010"]
    values = account["5550000010"].values
    shown.pop("sip_devices", None)
    assert json.loads(json.dumps(values, default=json_default)) == shown
    assert account["5550000010"].kind == "customer" and values["taxes"] == ["GST"]


def test_many_accounts_take_one_statement_per_chunk_and_column_set(astpp, db, target):
    created(astpp("create", "customer", "--count", "600", "--first-name", "Bulk",
                  "--no-sip-device", "-o", "json"))
    numbers = sorted(r["number"] for r in rows(db, "SELECT number FROM accounts WHERE type = 0"))
    assert len(numbers) == 600
    changes = {n: ({"first_name": f"N{i}"} if i % 2 else {"first_name": f"N{i}", "cps": i})
               for i, n in enumerate(numbers)}
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("UPDATE"):
            seen.append(statement)

    sa.event.listen(target.engine, "before_cursor_execute", count)
    try:
        statements = update(target, changes)
    finally:
        sa.event.remove(target.engine, "before_cursor_execute", count)
    assert statements == len(seen) == 4  # 2 chunks (500 + 100) x 2 sets of columns
    after = {r["number"]: r for r in rows(db, "SELECT number, first_name, cps FROM accounts "
                                              "WHERE type = 0")}
    for i, n in enumerate(numbers):
        assert after[n]["first_name"] == f"N{i}"
        assert after[n]["cps"] == (0 if i % 2 else i)


def test_the_storage_reports_the_credit_limit_as_stored(astpp, db, target):
    customer(astpp, "5550000011", "--account-type", "postpaid")
    # the admin works in EUR (rate 0.9), ASTPP's base is USD
    execute(db, "UPDATE accounts SET currency_id = 48 WHERE id = 1")
    with target.engine.connect() as conn:
        target.load(conn)
    with target.transaction() as conn:
        account = target.find(conn, ["5550000011"])["5550000011"]
        changes = {"credit_limit": [Decimal(0), Decimal("45")], "city": ["", "Pune"]}
        target.update(conn, account, changes, {}, NOW)
    # the audit's old -> new and the output show what ASTPP keeps: the base currency
    assert changes == {"credit_limit": [Decimal(0), Decimal("50")], "city": ["", "Pune"]}
    assert account_row(db, "5550000011")["credit_limit"] == Decimal("50")
