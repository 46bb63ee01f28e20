"""targets/astpp/trail.py: the digest of an ASTPP account's rows (what `batch undo` compares)
and which accounts are still live, read from ASTPP's tables on MariaDB."""

from __future__ import annotations

import pytest

from acctctl.targets.astpp.storage import make_engine
from acctctl.targets.astpp.trail import live_ids, row_digests
from astpp.astpp_helpers import created, rows
from astpp.conftest import driver_url


@pytest.fixture
def two_customers(astpp, db) -> tuple[int, int]:
    numbers = []
    for number in ("4100000001", "4100000002"):
        created(astpp("create", "customer", "--number", number, "--first-name", "Ada",
                      "--sip-device", "-o", "json"))
        numbers.append(number)
    ids = [r["id"] for r in rows(db, "SELECT id FROM accounts WHERE number IN (%s, %s) "
                                 "ORDER BY number", *numbers)]
    return ids[0], ids[1]


@pytest.fixture
def engine(astpp_db):
    engine = make_engine(driver_url(astpp_db[0]))
    yield engine
    engine.dispose()


def digests(engine, ids):
    with engine.connect() as conn:
        return row_digests(conn, ids)


@pytest.mark.parametrize("change", [
    "UPDATE accounts SET first_name = 'Adda' WHERE id = %s",  # ASTPP's edit page
    "UPDATE accounts SET status = 1 WHERE id = %s",  # its status toggle
    "UPDATE sip_devices SET dir_params = '{}' WHERE accountid = %s",  # its SIP device page
    "INSERT INTO taxes_to_accounts (accountid, taxes_id, taxes_priority, assign_date) "
    "VALUES (%s, 1, 1, NOW())",  # a tax added
    "DELETE FROM sip_devices WHERE accountid = %s",
])
def test_any_change_to_an_accounts_rows_changes_its_digest_alone(two_customers, engine, db,
                                                                 change):
    first, second = two_customers
    before = digests(engine, [first, second])
    assert set(before) == {first, second} and before[first] != before[second]
    assert digests(engine, [second, first, first]) == before  # read again: the same
    with db.cursor() as cur:
        cur.execute(change, (first,))
    db.commit()
    after = digests(engine, [first, second])
    assert after[first] != before[first]
    assert after[second] == before[second]


@pytest.mark.parametrize("change", [
    "UPDATE accounts SET password = 'x' WHERE id = %s",
    "UPDATE sip_devices SET dir_params = JSON_SET(dir_params, '$.password', 'other-secret') "
    "WHERE accountid = %s",
    "UPDATE sip_devices SET dir_params = JSON_SET(dir_params, '$.\"vm-password\"', 12345) "
    "WHERE accountid = %s",
])
def test_no_secret_goes_into_a_digest(two_customers, engine, db, change):
    """A digest over a secret would be a verifier of it in the ledger: a secret alone
    changing leaves the digest as it was (acctctl's own changes of them leave a record)."""
    first, _ = two_customers
    before = digests(engine, [first])[first]
    with db.cursor() as cur:
        cur.execute(change, (first,))
    db.commit()
    assert digests(engine, [first])[first] == before


def test_a_digest_sees_its_own_transactions_rows(two_customers, engine, db):
    first, _ = two_customers
    committed = digests(engine, [first])[first]
    with engine.connect() as conn, conn.begin() as tx:
        conn.exec_driver_sql("UPDATE accounts SET city = 'Oslo' WHERE id = %s", (first,))
        assert row_digests(conn, [first])[first] != committed  # not yet committed
        tx.rollback()
    assert digests(engine, [first])[first] == committed


def test_gone_accounts_have_no_digest_and_are_not_live(two_customers, engine, db):
    first, second = two_customers
    with engine.connect() as conn:
        assert live_ids(conn, [first, second]) == {first, second}
    with db.cursor() as cur:
        cur.execute("UPDATE accounts SET deleted = 1 WHERE id = %s", (first,))
        cur.execute("DELETE FROM accounts WHERE id = %s", (second,))
    db.commit()
    assert set(digests(engine, [first, second])) == {first}
    with engine.connect() as conn:
        assert live_ids(conn, [first, second, 999999]) == set()
        assert live_ids(conn, []) == set()
