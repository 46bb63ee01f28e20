"""targets/astpp/reads.py on an ASTPP-like MariaDB database: every `account list` filter,
the sort, the page and its count, `show`'s devices, and the rows of `account export`.

Accounts are inserted as ASTPP's own screens leave them (non-strict sql_mode, only the
columns that matter), so the reads are checked against ASTPP's data, not only acctctl's."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from acctctl.errors import NotFound, UsageError
from acctctl.targets.astpp import reads
from acctctl.targets.astpp.encoding import PUBLIC_DEFAULT_KEY, encode
from acctctl.targets.astpp.reads import Where
from astpp.conftest import _server

FUTURE = datetime(2040, 1, 2, 3, 4, 5)
TYPES = {"customer": 0, "reseller": 1, "admin": 2, "provider": 3, "subadmin": 4}


@pytest.fixture
def conn(astpp_db):
    from acctctl.targets.astpp.storage import make_engine

    name, _ = astpp_db
    params, _ = _server()
    auth = params["user"] + (f":{params['password']}" if params["password"] else "")
    engine = make_engine(f"mysql+pymysql://{auth}@{params['host']}:{params['port']}/{name}")
    with engine.connect() as connection:
        yield connection
    engine.dispose()


def add(db, number: str, kind: str = "customer", **columns) -> int:
    """An accounts row as ASTPP's screens write it (non-strict: unlisted columns get '' / 0)."""
    values = {"number": number, "type": TYPES[kind], "first_name": f"First{number}",
              "password": encode(f"pw-{number}", PUBLIC_DEFAULT_KEY), "country_id": 88,
              "timezone_id": 49, "currency_id": 139, "pricelist_id": 1, "sweep_id": 2,
              "invoice_day": 7, "notify_flag": 1, "creation": datetime(2026, 1, 1),
              "expiry": FUTURE, "notify_credit_limit": 5, **columns}
    with db.cursor() as cur:
        cur.execute("SET SESSION sql_mode = ''")
        cur.execute(f"INSERT INTO accounts ({', '.join(values)}) "
                    f"VALUES ({', '.join(['%s'] * len(values))})", list(values.values()))
        account_id = cur.lastrowid
    db.commit()
    return account_id


def device(db, account_id: int, username: str, secret: str, status: int = 0) -> None:
    params = json.dumps({"password": secret, "vm-enabled": "true"})
    with db.cursor() as cur:
        cur.execute("SET SESSION sql_mode = ''")
        cur.execute("INSERT INTO sip_devices (username, accountid, dir_params, dir_vars, status)"
                    " VALUES (%s, %s, %s, '{}', %s)", (username, account_id, params, status))
    db.commit()


def numbers(conn, sort: str = "number", limit=None, offset=0, **where) -> list[str]:
    return [r["number"] for r in reads.list_accounts(conn, Where(**where), sort, limit, offset)]


def test_kind_and_the_super_admin(db, conn):
    add(db, "100"), add(db, "200", "provider"), add(db, "300", "admin")
    add(db, "400", "subadmin"), add(db, "500", "reseller")
    assert numbers(conn, kind="customer") == ["100"]
    assert numbers(conn, kind="provider") == ["200"]
    assert numbers(conn, kind="admin") == ["300", "admin"]  # ASTPP's super admin is an admin
    assert numbers(conn, kind="subadmin") == ["400"]
    assert numbers(conn, kind="reseller") == ["500"]
    assert len(numbers(conn)) == 6


def test_reseller_lists_what_it_owns_even_when_inactive(db, conn):
    owner = add(db, "500", "reseller", status=1)
    add(db, "101", reseller_id=owner), add(db, "102", reseller_id=owner), add(db, "103")
    assert numbers(conn, reseller="500") == ["101", "102"]
    listed = reads.list_accounts(conn, Where(reseller="500"))
    assert {r["reseller"] for r in listed} == {"500"}
    with pytest.raises(NotFound, match="no reseller has number 103"):
        numbers(conn, reseller="103")  # a customer is no reseller
    add(db, "600", "reseller", deleted=1)
    with pytest.raises(NotFound, match="no reseller has number 600"):
        numbers(conn, reseller="600")


def test_status(db, conn):
    add(db, "101"), add(db, "102", status=1)
    assert numbers(conn, status="active", kind="customer") == ["101"]
    assert numbers(conn, status="inactive") == ["102"]
    assert reads.list_accounts(conn, Where(status="inactive"))[0]["status"] == "inactive"


def test_search_is_a_literal_case_insensitive_substring(db, conn):
    add(db, "4155550100", first_name="Ada", last_name="LOVELACE")
    add(db, "102", company_name="Analytical Engines Ltd")
    add(db, "103", email="Grace.Hopper@Example.com")
    add(db, "104", first_name="José")
    add(db, "105", first_name="100%_sure")
    add(db, "106", first_name="100x sure", address_1="lovelace street")  # address: not searched
    assert numbers(conn, search="lovelace") == ["4155550100"]
    assert numbers(conn, search="ENGINES") == ["102"]
    assert numbers(conn, search="hopper@example") == ["103"]
    assert numbers(conn, search="555") == ["4155550100"]
    assert numbers(conn, search="JOSÉ") == ["104"]
    assert numbers(conn, search="jose") == []  # case-insensitive, not accent-blind
    assert numbers(conn, search="0%_") == ["105"]  # % and _ are themselves, not patterns
    assert numbers(conn, search="first10\x00") == []  # no stored value holds a control char
    assert numbers(conn, search="😀") == []  # outside what ASTPP's utf8mb3 columns hold


def test_batch_numbers(db, conn):
    add(db, "101"), add(db, "102"), add(db, "103", deleted=1)
    assert numbers(conn, batch_numbers={"102", "103", "999"}) == ["102"]
    assert numbers(conn, batch_numbers={"102", "103"}, include_deleted=True) == ["102", "103"]
    assert numbers(conn, batch_numbers=set()) == []
    assert reads.count_accounts(conn, Where(batch_numbers=set())) == 0
    # by id: the batch's account, not a later one that took its number after a delete
    first = add(db, "104", deleted=1)
    add(db, "104")
    assert [r["_id"] for r in reads.list_accounts(
        conn, Where(batch_ids={first}, include_deleted=True), with_ids=True)] == [first]
    assert numbers(conn, batch_ids={first}) == []  # deleted since


def test_created_after_is_inclusive_and_utc(db, conn):
    add(db, "101", creation=datetime(2026, 3, 1, 11, 59, 59))
    add(db, "102", creation=datetime(2026, 3, 1, 12, 0, 0))
    add(db, "103", creation=datetime(2026, 3, 2))
    assert numbers(conn, created_after=datetime(2026, 3, 1, 12, tzinfo=UTC)) == ["102", "103"]
    # 13:00 at UTC+1 is 12:00 UTC
    plus_one = timezone(timedelta(hours=1))
    assert numbers(conn, created_after=datetime(2026, 3, 1, 13, tzinfo=plus_one)) == \
        ["102", "103"]
    assert numbers(conn, created_after=datetime(2026, 3, 2)) == ["103"]


def test_deleted_only_with_include_deleted(db, conn):
    add(db, "101")
    add(db, "102", deleted=1, deleted_date=datetime(2026, 4, 5, 6, 7, 8))
    assert numbers(conn, kind="customer") == ["101"]
    listed = reads.list_accounts(conn, Where(kind="customer", include_deleted=True))
    assert [(r["number"], r["deleted_at"]) for r in listed] == [
        ("101", None), ("102", datetime(2026, 4, 5, 6, 7, 8, tzinfo=UTC))]
    assert reads.count_accounts(conn, Where(kind="customer", include_deleted=True)) == 2


def test_sort_compares_text_by_code_point_and_values_by_value(db, conn):
    add(db, "9", maxchannels=3, first_name="bob")
    add(db, "10", maxchannels=20, first_name="Bob")
    add(db, "100", maxchannels=100, first_name="alice", status=1)
    assert numbers(conn, kind="customer") == ["10", "100", "9"]  # as text
    assert numbers(conn, "-number", kind="customer") == ["9", "100", "10"]
    assert numbers(conn, "max_channels", kind="customer") == ["9", "10", "100"]  # as numbers
    assert numbers(conn, "-max_channels", kind="customer") == ["100", "10", "9"]
    # "B" < "a" < "b" by code point; ASTPP's collation would call Bob and bob equal
    assert numbers(conn, "first_name", kind="customer") == ["10", "100", "9"]
    # active < inactive; equal values in the order they were created, as on acctctl's own
    assert numbers(conn, "status", kind="customer") == ["9", "10", "100"]
    assert numbers(conn, "-status", kind="customer") == ["100", "9", "10"]


def test_sort_by_names_that_list_shows(db, conn):
    add(db, "101", "provider"), add(db, "102", "admin"), add(db, "103", "customer")
    # by kind name: admin < customer < provider (ASTPP's type ids would say 0 < 2 < 3)
    assert numbers(conn, "kind") == ["admin", "102", "103", "101"]
    with db.cursor() as cur:
        cur.execute("INSERT INTO pricelists (id, name, status, reseller_id) "
                    "VALUES (2, 'aaa', 0, 0)")
    db.commit()
    add(db, "104", pricelist_id=2)
    assert numbers(conn, "rate_group", kind="customer") == ["104", "103"]
    add(db, "105", country_id=226), add(db, "106", country_id=85)
    assert numbers(conn, "-country", kind="customer") == ["105", "103", "104", "106"]


def test_sort_ties_break_by_row_and_pages_do_not_overlap(db, conn):
    for i in range(7):
        add(db, f"{200 - i}", creation=datetime(2026, 1, 1))  # all created at the same second
    page = [numbers(conn, "created_at", 3, o, kind="customer") for o in (0, 3, 6)]
    assert sum(page, []) == ["200", "199", "198", "197", "196", "195", "194"]
    assert numbers(conn, "-created_at", 2, 0, kind="customer") == ["200", "199"]


def test_sort_keys_astpp_does_not_hold_exit_2(conn):
    for key in ("batch_id", "created_by", "-updated_at"):
        with pytest.raises(UsageError, match="not available on the astpp target"):
            reads.list_accounts(conn, Where(), key)
    with pytest.raises(UsageError, match="--sort must be a field key"):
        reads.list_accounts(conn, Where(), "password")


def test_limit_offset_and_the_count(db, conn):
    for i in range(12):
        add(db, f"{100 + i}", status=i % 2)
    assert numbers(conn, limit=5, kind="customer") == [str(100 + i) for i in range(5)]
    assert numbers(conn, limit=5, offset=10, kind="customer") == ["110", "111"]
    assert numbers(conn, offset=10, kind="customer") == ["110", "111"]  # offset, no limit
    assert numbers(conn, limit=0, kind="customer") == []
    assert reads.count_accounts(conn, Where(kind="customer")) == 12
    assert reads.count_accounts(conn, Where(kind="customer", status="active")) == 6
    assert reads.count_accounts(conn, Where()) == 13  # and the super admin


def test_record_shape_and_show_devices_without_secrets(db, conn):
    owner = add(db, "500", "reseller")
    with db.cursor() as cur:
        cur.execute("INSERT INTO taxes (id, taxes_description, taxes_priority) VALUES "
                    "(1, 'VAT', 2), (2, 'levy', 1)")
        cur.execute("INSERT INTO taxes_to_accounts (accountid, taxes_id) VALUES (%s, 1), "
                    "(%s, 2)", (owner + 1, owner + 1))
    db.commit()
    account = add(db, "101", reseller_id=owner, posttoexternal=1, credit_limit="12.5",
                  email="ada@example.com", notification_email="ada@example.com",
                  telephone_1="+14155550100", pin="123456", dialed_modify="011/",
                  first_used="0000-00-00 00:00:00", sweep_id=0, invoice_day=0)
    assert account == owner + 1
    device(db, account, "101", "s3cret-sip", status=1)
    [record] = reads.list_accounts(conn, Where(numbers=["101"]), with_devices=True)
    assert record["sip_devices"] == [{"username": "101", "status": "inactive"}]
    assert "s3cret-sip" not in json.dumps(record, default=str)
    assert record["pin"] == "123456" and record["first_used"] is None
    assert record["taxes"] == ["levy", "VAT"]  # by priority
    assert (record["reseller"], record["rate_group"], record["country"], record["timezone"],
            record["currency"]) == ("500", "default", "IN", "Europe/Sarajevo", "USD")
    assert (record["account_type"], record["credit_limit"], record["billing_schedule"],
            record["billing_day"]) == ("postpaid", Decimal("12.5"), "daily", None)
    assert record["sip_device"] is True and record["created_at"] == datetime(2026, 1, 1,
                                                                              tzinfo=UTC)
    assert reads.list_accounts(conn, Where(email="ADA@example.com"))[0]["number"] == "101"


# --- export ----------------------------------------------------------------------------------


def keys(kind: str, with_secrets: bool, fixed=()) -> list[str]:
    from acctctl.service.export import export_keys as own

    return reads.export_keys(own(kind, with_secrets), with_secrets, fixed)


def test_export_keys_replace_the_hash_by_the_password_only_with_secrets():
    plain = keys("customer", with_secrets=False)
    assert "password" not in plain and "password_hash" not in plain
    assert "sip_password" not in plain and "pin" in plain and "taxes" in plain
    secret = keys("customer", with_secrets=True)
    assert secret[:3] == ["reseller", "number", "password"] and "sip_password" in secret
    admin = keys("admin", True, fixed=("country", "timezone"))
    assert "country" not in admin and "timezone" not in admin and "role" in admin
    assert "password" in admin


def test_export_rows_decode_the_secrets_only_when_asked(db, conn):
    account = add(db, "101", email="a@example.com", notification_email="a@example.com",
                  notify_flag=0)
    device(db, account, "101", "sip-Secret-1")
    add(db, "102", password="")  # what a broken PHP 8 ASTPP writes: nothing to decode
    add(db, "103", password=encode("other", "another-key-1234"))
    without = reads.export_rows(conn, "customer", keys("customer", False),
                                key=PUBLIC_DEFAULT_KEY)
    assert without.undecodable == []
    assert all("password" not in r and "sip_password" not in r for r in without.rows)
    columns = keys("customer", True)
    found = reads.export_rows(conn, "customer", columns, key=PUBLIC_DEFAULT_KEY)
    by_number = {r["number"]: r for r in found.rows}
    assert by_number["101"]["password"] == "pw-101"
    assert by_number["101"]["sip_password"] == "sip-Secret-1"
    assert by_number["101"]["email_alerts"] is True and by_number["101"]["sip_device"] is True
    assert by_number["102"]["password"] is None and by_number["102"]["sip_password"] is None
    assert found.undecodable == ["102", "103"]
    assert list(by_number["101"]) == columns  # every key on every row, in order


def test_export_rows_carry_what_create_takes(db, conn):
    parent = add(db, "400", "reseller", status=1)
    add(db, "300", "reseller", reseller_id=parent)
    add(db, "200", "reseller", reseller_id=parent, posttoexternal=1, credit_limit="100",
        notify_flag=0)  # alerts on with no address: create would refuse it
    rows = reads.export_rows(conn, "reseller", keys("reseller", False),
                             key=PUBLIC_DEFAULT_KEY, currency_factor=Decimal("0.9")).rows
    assert [(r["number"], r["reseller"]) for r in rows] == [
        ("200", "400"), ("300", "400"), ("400", None)]
    assert rows[2]["status"] == "inactive"
    # stored 100 in the base currency; create takes the creating admin's: 100 x 0.9
    assert rows[0]["credit_limit"] == Decimal("90") and rows[0]["account_type"] == "postpaid"
    assert rows[0]["email_alerts"] is False
    assert "valid_days" not in rows[0] and "balance" not in rows[0]


def test_export_rows_leave_astpps_super_admin_out(db, conn):
    add(db, "300", "admin"), add(db, "400", "subadmin")
    assert numbers(conn, kind="admin") == ["300", "admin"]  # listed
    found = reads.export_rows(conn, "admin", ["number"], key=PUBLIC_DEFAULT_KEY)
    assert found.rows == [{"number": "300"}]  # every ASTPP has its own: not exported
    found = reads.export_rows(conn, "subadmin", ["number"], key=PUBLIC_DEFAULT_KEY)
    assert found.rows == [{"number": "400"}]


def test_export_rows_take_the_list_filters(db, conn):
    add(db, "101", status=1), add(db, "102"), add(db, "103", deleted=1)
    found = reads.export_rows(conn, "customer", ["number"], key=PUBLIC_DEFAULT_KEY,
                              where=Where(status="active", include_deleted=True), sort="-number")
    assert found.rows == [{"number": "103"}, {"number": "102"}]
