"""targets/astpp/lifecycle.py against an ASTPP-like MariaDB database: the rows each day-two
function leaves are the ones ASTPP's own status switch, delete action, edit page and SIP device
page leave (docs/astpp.md, "What each day-two command changes in ASTPP"), and ASTPP's login
condition and FreeSWITCH's directory join see the change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from acctctl.errors import Conflict
from acctctl.targets.astpp import lifecycle as L
from acctctl.targets.astpp.encoding import PUBLIC_DEFAULT_KEY, encode
from astpp.astpp_helpers import directory, login, maker, rows, sql

NOW = datetime(2026, 12, 3, 10, 30, 15, 123456, tzinfo=UTC)
NO_DATE = datetime(1000, 1, 1)
# ASTPP's login (auth_model::verify_login) and FreeSWITCH's directory (astpp.xml.php)
LOGIN = ("SELECT id FROM accounts WHERE number = %s AND password = %s AND deleted = 0 "
         "AND status = 0")
# what ASTPP's delete removes with a customer or provider (common::customer_delete_dependencies),
# written out here rather than taken from the code under test
CUSTOMER_DELETE = ("ani_map", "block_patterns", "counters", "ip_map", "sip_devices",
                   "speed_dial", "taxes_to_accounts", "mail_details")
# ... and what it writes into the account's DIDs
RELEASED_DID = {
    "accountid": 0, "call_type": 0, "extensions": "", "always": 0, "always_destination": "",
    "user_busy": 0, "user_busy_destination": "", "user_not_registered": 0,
    "user_not_registered_destination": "", "no_answer": 0, "no_answer_destination": "",
    "call_type_vm_flag": 1, "failover_call_type": 1, "always_vm_flag": 1,
    "user_busy_vm_flag": 1, "user_not_registered_vm_flag": 1, "no_answer_vm_flag": 1,
    "failover_extensions": "",
}
# ... and with a reseller (common::reseller_delete_dependencies): table, column of its id
RESELLER_DELETE = (("refill_coupon", "reseller_id"), ("mail_details", "accountid"),
                   ("default_templates", "reseller_id"), ("invoice_conf", "accountid"))
DIRECTORY = ("SELECT s.dir_params FROM sip_devices s JOIN accounts a ON a.id = s.accountid "
             "WHERE s.username = %s AND s.status = 0 AND a.status = 0 AND a.deleted = 0")


@pytest.fixture
def engine(astpp_db):
    from acctctl.targets.astpp.storage import make_engine
    from astpp.conftest import _server

    name, _ = astpp_db
    params, _ = _server()
    auth = params["user"] + (f":{params['password']}" if params["password"] else "")
    engine = make_engine(f"mysql+pymysql://{auth}@{params['host']}:{params['port']}/{name}")
    yield engine
    engine.dispose()


@pytest.fixture
def make(astpp, db, tmp_path):
    """make(kind, number, *flags) -> the new account's id (acctctl's create: ASTPP's rows)."""
    create = maker(astpp, tmp_path)

    def make(kind: str, number: str, *extra: str) -> int:
        create(kind, number, *extra)
        return account_id(db, number)

    return make


def run(engine, fn, *args, **kwargs):
    with engine.begin() as conn:
        return fn(conn, *args, **kwargs)


def found(engine, *numbers, deleted_too=False):
    with engine.begin() as conn:
        return list(L.find(conn, numbers, deleted_too=deleted_too).values())


def account_id(db, number):
    return rows(db, "SELECT id FROM accounts WHERE number = %s ORDER BY id DESC", number)[0]["id"]


# --- find ----------------------------------------------------------------------------------


def test_find_live_deleted_and_unknown(engine, make, db):
    make("customer", "5551000001")
    make("customer", "5551000002")
    sql(db, "UPDATE accounts SET deleted = 1 WHERE number = '5551000002'")
    (one,) = found(engine, "5551000001")
    assert (one.number, one.kind, one.status, one.deleted) == ("5551000001", "customer",
                                                                "active", False)
    # numbers that match no live account are left out (the service names them: exit 3)
    assert [a.number for a in found(engine, "5551000002", "5559999999", "5551000001")] == [
        "5551000001"]
    (gone,) = found(engine, "5551000002", deleted_too=True)
    assert gone.deleted and gone.number == "5551000002"
    (admin,) = found(engine, "ADMIN")  # ASTPP's columns compare case-insensitively
    assert admin.type == -1 and admin.kind == "admin" and admin.owner_id is None


def test_find_refuses_a_number_two_live_accounts_share(engine, make, db):
    make("customer", "5551000003")
    sql(db, "INSERT INTO accounts (number, pricelist_id, reference, dialed_modify, notify_flag,"
            " notify_email, invoice_interval, invoice_note, pin, first_used, expiry,"
            " charge_per_min, std_cid_translation, did_cid_translation) SELECT number,"
            " pricelist_id, reference, dialed_modify, notify_flag, notify_email,"
            " invoice_interval, invoice_note, pin, first_used, expiry, charge_per_min,"
            " std_cid_translation, did_cid_translation FROM accounts WHERE number = '5551000003'")
    with pytest.raises(Conflict, match="more than one live ASTPP account"):
        found(engine, "5551000003")


# --- disable / enable ----------------------------------------------------------------------


def test_status_switch_changes_the_account_only(engine, make, db):
    make("customer", "5551000010")
    assert login(db, "5551000010") and directory(db, "5551000010")
    (acct,) = found(engine, "5551000010")
    changed = run(engine, L.set_status, [acct], "inactive")
    assert [a.number for a in changed] == ["5551000010"]
    (row,) = rows(db, "SELECT status, deleted FROM accounts WHERE number = '5551000010'")
    assert row == {"status": 1, "deleted": 0}
    # as ASTPP's switch: the device keeps its own status; the join keeps it out
    assert rows(db, "SELECT status FROM sip_devices WHERE username = '5551000010'") == [
        {"status": 0}]
    assert not login(db, "5551000010") and directory(db, "5551000010") is None
    (acct,) = found(engine, "5551000010")
    assert run(engine, L.set_status, [acct], "inactive") == []  # already so
    run(engine, L.set_status, [acct], "active")
    assert login(db, "5551000010") and directory(db, "5551000010")


def test_enable_leaves_a_device_switched_off_in_astpp_off(engine, make, db):
    make("customer", "5551000011")
    sql(db, "UPDATE sip_devices SET status = 1 WHERE username = '5551000011'")
    (acct,) = found(engine, "5551000011")
    run(engine, L.set_status, [acct], "inactive")
    (acct,) = found(engine, "5551000011")
    run(engine, L.set_status, [acct], "active")
    assert rows(db, "SELECT status FROM sip_devices WHERE username = '5551000011'") == [
        {"status": 1}]
    assert login(db, "5551000011") and directory(db, "5551000011") is None


def test_super_admin_is_never_disabled_or_deleted(engine, db):
    (admin,) = found(engine, "admin")
    for fn, args in ((L.set_status, ("inactive",)), (L.soft_delete, (NOW,)), (L.purge, ())):
        with pytest.raises(Conflict, match="super admin"):
            run(engine, fn, [admin], *args)
    assert rows(db, "SELECT status, deleted FROM accounts WHERE id = 1") == [
        {"status": 0, "deleted": 0}]


# --- delete --------------------------------------------------------------------------------


def seed_customer_rows(db, aid: int, number: str) -> None:
    """One row in every table ASTPP's delete touches for a customer or provider."""
    sql(db, "INSERT INTO ani_map (number, accountid) VALUES (%s, %s)", "4" + number, aid)
    sql(db, "INSERT INTO block_patterns (accountid, blocked_patterns, destination) "
            "VALUES (%s, '^900', 'premium')", aid)
    sql(db, "INSERT INTO counters (accountid, product_id) VALUES (%s, 3)", aid)
    sql(db, "INSERT INTO ip_map (name, ip, accountid) VALUES ('office', '10.0.0.1/32', %s)", aid)
    sql(db, "INSERT INTO speed_dial (speed_num, number, accountid) VALUES ('1', '123', %s)",
        aid)
    sql(db, "INSERT INTO taxes (taxes_description) VALUES ('VAT')")
    sql(db, "INSERT INTO taxes_to_accounts (accountid, taxes_id) VALUES (%s, LAST_INSERT_ID())",
        aid)
    sql(db, "INSERT INTO mail_details (accountid, subject, body, `from`, `to`, attachment, "
            "template, to_number, sms_body, sip_user_name, push_message_body, callkit_token, "
            "status_code) VALUES (%s, 'Welcome', 'hi', 'a@b', 'c@d', '', 'create_account', '', "
            "'', '', '', '', 0)", aid)
    sql(db, "INSERT INTO dids (number, accountid, parent_id, inc, extensions, call_type, "
            "product_id, `always`, always_destination, user_busy, user_busy_destination, "
            "user_not_registered, user_not_registered_destination, no_answer, "
            "no_answer_destination, failover_extensions, failover_call_type, call_type_vm_flag,"
            " description, order_id) VALUES (%s, %s, 0, 60, '1001', 5, 7, 1, 'x', 1, 'y', 1, "
            "'z', 1, 'w', '2002', 0, 0, 'did', 9)", "3" + number, aid)


def left_behind(db, aid: int) -> dict[str, int]:
    """How many rows of each table ASTPP's customer delete removes still point at aid."""
    return {t: rows(db, f"SELECT COUNT(*) AS n FROM `{t}` WHERE accountid = %s", aid)[0]["n"]
            for t in CUSTOMER_DELETE}


def test_delete_customer_leaves_what_astpp_leaves(engine, make, db):
    aid = make("customer", "5551000020")
    seed_customer_rows(db, aid, "5551000020")
    other = make("customer", "5551000021")
    seed_customer_rows(db, other, "5551000021")
    assert left_behind(db, aid) == dict.fromkeys(CUSTOMER_DELETE, 1)
    run(engine, L.soft_delete, found(engine, "5551000020"), NOW)

    (row,) = rows(db, "SELECT status, deleted, deleted_date FROM accounts WHERE id = %s", aid)
    assert row == {"status": 0, "deleted": 1, "deleted_date": datetime(2026, 12, 3, 10, 30, 15)}
    assert left_behind(db, aid) == dict.fromkeys(CUSTOMER_DELETE, 0)
    assert left_behind(db, other) == dict.fromkeys(CUSTOMER_DELETE, 1)  # nobody else's
    # its DID is released to the pool with its forwarding cleared, as ASTPP does
    (did,) = rows(db, "SELECT * FROM dids WHERE number = '35551000020'")
    assert {k: did[k] for k in RELEASED_DID} == RELEASED_DID
    assert did["product_id"] == 7 and did["description"] == "did"  # the rest is kept
    assert rows(db, "SELECT accountid FROM dids WHERE number = '35551000021'") == [
        {"accountid": other}]
    # the VAT tax itself stays: only the link goes
    assert rows(db, "SELECT COUNT(*) AS n FROM taxes")[0]["n"] == 2
    # ASTPP's portal, directory and list no longer see it; the number is free again
    assert not login(db, "5551000020") and directory(db, "5551000020") is None
    assert rows(db, "SELECT id FROM accounts WHERE type IN (0,3) AND deleted = 0 AND id = %s",
                aid) == []
    assert found(engine, "5551000020") == []


def test_delete_provider_switches_its_trunks_off(engine, make, db):
    aid = make("provider", "5551000030")
    sql(db, "INSERT INTO trunks (name, provider_id, status, dialed_modify, codec, "
            "cid_translation, localization_id) VALUES ('t1', %s, 0, '', 'PCMA', '', 0), "
            "('t2', 3, 0, '', 'PCMA', '', 0)", aid)
    run(engine, L.soft_delete, found(engine, "5551000030"), NOW)
    assert rows(db, "SELECT name, status FROM trunks ORDER BY name") == [
        {"name": "t1", "status": 1}, {"name": "t2", "status": 0}]
    assert rows(db, "SELECT COUNT(*) AS n FROM sip_devices WHERE accountid = %s",
                aid)[0]["n"] == 0


def test_delete_reseller_leaves_what_astpp_leaves(engine, make, db):
    rid = make("reseller", "5551000040")
    assert rows(db, "SELECT COUNT(*) AS n FROM invoice_conf WHERE accountid = %s",
                rid)[0]["n"] == 1
    sql(db, "INSERT INTO refill_coupon (number, amount, description, status, account_id, "
            "reseller_id, currency_id) VALUES ('c1', 5, '', 0, 0, %s, 139)", rid)
    sql(db, "INSERT INTO default_templates (name, subject, description, sms_template, "
            "alert_template, template, reseller_id, is_sms_enable, is_alert_enable, status) "
            "VALUES ('create_account', 's', 'd', '', '', 't', %s, 0, 0, 0)", rid)
    sql(db, "INSERT INTO mail_details (accountid, subject, body, `from`, `to`, attachment, "
            "template, to_number, sms_body, sip_user_name, push_message_body, callkit_token, "
            "status_code) VALUES (%s, 's', 'b', '', '', '', 't', '', '', '', '', '', 0)", rid)
    # a rate group it deleted in ASTPP (status 2), with rates ASTPP's delete removes
    sql(db, "INSERT INTO pricelists (name, status, reseller_id) VALUES ('old', 2, %s)", rid)
    sql(db, "INSERT INTO routes (pattern, includedseconds, pricelist_id, call_type, "
            "routing_type, percentage, call_count, effective_date) VALUES ('^1', 0, "
            "LAST_INSERT_ID(), '', '', '', 0, NOW())")
    sql(db, "INSERT INTO routing (pricelist_id, trunk_id, percentage) SELECT pricelist_id, 1,"
            " '' FROM routes")
    sql(db, "INSERT INTO dids (number, parent_id, inc, product_id, `always`, "
            "always_destination, user_busy, user_busy_destination, user_not_registered, "
            "user_not_registered_destination, no_answer, no_answer_destination, "
            "failover_extensions, description, order_id) VALUES ('3999', %s, 60, 1, 0, '', 0,"
            " '', 0, '', 0, '', '', '', 0)", rid)
    run(engine, L.soft_delete, found(engine, "5551000040"), NOW)

    (row,) = rows(db, "SELECT deleted, deleted_date FROM accounts WHERE id = %s", rid)
    assert row == {"deleted": 1, "deleted_date": datetime(2026, 12, 3, 10, 30, 15)}
    for table, column in RESELLER_DELETE:
        assert rows(db, f"SELECT COUNT(*) AS n FROM `{table}` WHERE `{column}` = %s",
                    rid)[0]["n"] == 0, table
    assert rows(db, "SELECT COUNT(*) AS n FROM routes")[0]["n"] == 0
    assert rows(db, "SELECT COUNT(*) AS n FROM routing")[0]["n"] == 0
    assert rows(db, "SELECT status FROM pricelists WHERE reseller_id = %s", rid) == [
        {"status": 2}]
    # its DID goes back to its own owner (the admin: 0)
    assert rows(db, "SELECT parent_id FROM dids WHERE number = '3999'") == [{"parent_id": 0}]
    assert not login(db, "5551000040")


def test_reseller_delete_removes_its_taxes_and_their_links(engine, make, db):
    """ASTPP's reseller delete removes the taxes it owns and their links (acctctl's delete
    refuses such a reseller first: dependants(); the function still does what ASTPP does)."""
    rid = make("reseller", "5551000041")
    cid = make("customer", "5551000042")
    sql(db, "INSERT INTO taxes (taxes_description, reseller_id) VALUES ('R-VAT', %s)", rid)
    sql(db, "INSERT INTO taxes_to_accounts (accountid, taxes_id) VALUES (%s, LAST_INSERT_ID())",
        cid)
    run(engine, L.soft_delete, found(engine, "5551000041"), NOW)
    assert rows(db, "SELECT COUNT(*) AS n FROM taxes WHERE reseller_id = %s", rid)[0]["n"] == 0
    assert rows(db, "SELECT COUNT(*) AS n FROM taxes_to_accounts WHERE accountid = %s",
                cid)[0]["n"] == 0


@pytest.mark.parametrize("kind", ["admin", "subadmin"])
def test_delete_admin_sets_the_flag_only(engine, make, db, kind):
    aid = make(kind, "5551000050")
    before = rows(db, "SELECT * FROM accounts WHERE id = %s", aid)[0]
    run(engine, L.soft_delete, found(engine, "5551000050"), NOW)
    after = rows(db, "SELECT * FROM accounts WHERE id = %s", aid)[0]
    assert {k for k in after if after[k] != before[k]} == {"deleted", "deleted_date"}
    assert after["deleted"] == 1 and not login(db, "5551000050")


# --- purge ---------------------------------------------------------------------------------


def test_purge_removes_the_account_and_every_row_pointing_at_it(engine, make, db):
    aid = make("customer", "5551000060")
    seed_customer_rows(db, aid, "5551000060")
    rid = make("reseller", "5551000061")
    run(engine, L.soft_delete, found(engine, "5551000061"), NOW)  # deleted before: still found
    sql(db, "INSERT INTO pricelists (name, status, reseller_id) VALUES ('old', 2, %s)", rid)
    run(engine, L.purge, found(engine, "5551000060", "5551000061", deleted_too=True))
    assert rows(db, "SELECT id FROM accounts WHERE id IN (%s, %s)", aid, rid) == []
    assert left_behind(db, aid) == dict.fromkeys(CUSTOMER_DELETE, 0)
    assert rows(db, "SELECT COUNT(*) AS n FROM invoice_conf WHERE accountid = %s",
                rid)[0]["n"] == 0
    assert rows(db, "SELECT COUNT(*) AS n FROM pricelists WHERE reseller_id = %s",
                rid)[0]["n"] == 0
    assert rows(db, "SELECT accountid FROM dids WHERE number = '35551000060'") == [
        {"accountid": 0}]


def test_purge_removes_owned_accounts_before_their_owner(engine, make, db):
    rid = make("reseller", "5551000062")
    cid = make("customer", "5551000063")
    sql(db, "UPDATE accounts SET reseller_id = %s WHERE id = %s", rid, cid)
    run(engine, L.purge, found(engine, "5551000062", "5551000063"))
    assert rows(db, "SELECT id FROM accounts WHERE id IN (%s, %s)", rid, cid) == []


# --- what refuses a delete or purge --------------------------------------------------------


def test_billing_history_counts_calls_invoices_and_payments(engine, make, db):
    caller = make("customer", "5551000070")
    carrier = make("provider", "5551000071")
    billed = make("customer", "5551000072")
    paid = make("customer", "5551000073")
    make("customer", "5551000074")  # nothing: not listed
    cdr = ("INSERT INTO cdrs (uniqueid, accountid, callerid, translated_dst, provider_id, "
           "pattern, notes, reseller_code, provider_code, provider_code_destination, "
           "provider_call_cost, call_direction) VALUES (%s, %s, '', '', %s, '', '', '', '', "
           "'', 0, 'outbound')")
    sql(db, cdr, "u1", caller, carrier)
    sql(db, cdr, "u2", caller, carrier)
    sql(db, "INSERT INTO invoices (prefix, number, accountid, due_date, notes) "
            "VALUES ('INV_', '1', %s, NOW(), '')", billed)
    sql(db, "INSERT INTO invoice_details (accountid, charge_type, base_currency, "
            "account_currency, created_date) VALUES (%s, 'REFILL', 'USD', 'USD', NOW())", billed)
    sql(db, "INSERT INTO payment_transaction (accountid, amount, tax, payment_method, "
            "actual_amount, transaction_id, customer_ip, user_currency, currency_rate, "
            "transaction_details, notes) VALUES (%s, 5, '', 'paypal', 5, 't', '', 'USD', 1, "
            "'', '')", paid)
    accounts = found(engine, "5551000070", "5551000071", "5551000072", "5551000073",
                     "5551000074")
    history = run(engine, L.billing_history, accounts)
    assert history == {"5551000070": {"calls": 2}, "5551000071": {"calls": 2},
                       "5551000072": {"invoices": 2}, "5551000073": {"payments": 1}}
    assert L.history_reasons(history) == [
        "account 5551000070 has billing history in ASTPP (2 calls)",
        "account 5551000071 has billing history in ASTPP (2 calls)",
        "account 5551000072 has billing history in ASTPP (2 invoices)",
        "account 5551000073 has billing history in ASTPP (1 payment)",
    ]


def test_dependants_of_a_reseller(engine, make, db):
    rid = make("reseller", "5551000080")
    live = make("customer", "5551000081")
    gone = make("customer", "5551000082")
    sql(db, "UPDATE accounts SET reseller_id = %s WHERE id IN (%s, %s)", rid, live, gone)
    sql(db, "UPDATE accounts SET deleted = 1 WHERE id = %s", gone)
    sql(db, "INSERT INTO pricelists (name, status, reseller_id) VALUES ('gold', 0, %s), "
            "('old', 2, %s)", rid, rid)
    sql(db, "INSERT INTO taxes (taxes_description, reseller_id) VALUES ('R-VAT', %s)", rid)
    (reseller,) = found(engine, "5551000080")
    assert run(engine, L.dependants, [reseller], include_deleted=False) == [
        "1 account owned: 5551000081", "rate group owned: 'gold'", "tax owned: 'R-VAT'"]
    assert run(engine, L.dependants, [reseller], include_deleted=True)[0] == (
        "2 accounts owned: 5551000081, 5551000082 (deleted)")
    # accounts deleted together with their owner, or outside what counts, do not count
    together = found(engine, "5551000080", "5551000081")
    gold = "rate group owned: 'gold'"
    assert run(engine, L.dependants, together, include_deleted=False)[0] == gold
    assert run(engine, L.dependants, [reseller], include_deleted=True,
               outside=[live, gone])[0] == gold
    (customer,) = found(engine, "5551000081")
    assert run(engine, L.dependants, [customer], include_deleted=True) == []


# --- reset-password / rotate-sip-secret ----------------------------------------------------


def test_set_password_is_what_astpp_login_accepts(engine, make, db):
    aid = make("customer", "5551000090")
    before = rows(db, "SELECT * FROM accounts WHERE id = %s", aid)[0]
    (acct,) = found(engine, "5551000090")
    run(engine, L.set_password, acct, encode("N3w-passw0rd", PUBLIC_DEFAULT_KEY))
    after = rows(db, "SELECT * FROM accounts WHERE id = %s", aid)[0]
    assert {k for k in after if after[k] != before[k]} == {"password"}
    assert login(db, "5551000090", "N3w-passw0rd") and not login(db, "5551000090")
    # the SIP device keeps its own secret
    assert directory(db, "5551000090")["password"] != "N3w-passw0rd"


def test_set_sip_secret_is_what_the_directory_hands_out(engine, make, db):
    aid = make("customer", "5551000095")
    before = directory(db, "5551000095")
    (device,) = rows(db, "SELECT * FROM sip_devices WHERE accountid = %s", aid)
    (acct,) = found(engine, "5551000095")
    later = NOW + timedelta(days=1)
    assert run(engine, L.set_sip_secret, acct, "fresh-Secret_42", later) == ["5551000095"]
    after = directory(db, "5551000095")
    assert after == {**before, "password": "fresh-Secret_42"}
    assert list(after) == list(before)  # ASTPP's key order, vm-password still an integer
    (now_device,) = rows(db, "SELECT * FROM sip_devices WHERE accountid = %s", aid)
    assert {k for k in now_device if now_device[k] != device[k]} == {"dir_params",
                                                                       "last_modified_date"}
    assert now_device["last_modified_date"] == datetime(2026, 12, 4, 10, 30, 15)
    assert login(db, "5551000095")  # the portal password is another thing


def test_set_sip_secret_without_a_device(engine, make):
    make("customer", "5551000096", "--no-sip-device")
    (acct,) = found(engine, "5551000096")
    assert run(engine, L.set_sip_secret, acct, "x", NOW) == []


def test_an_astpp_type_acctctl_does_not_manage_is_refused(engine, make, db):
    make("customer", "5551000099")
    sql(db, "UPDATE accounts SET type = 5 WHERE number = '5551000099'")  # a callshop
    with pytest.raises(Conflict, match="type 5"):
        found(engine, "5551000099")
