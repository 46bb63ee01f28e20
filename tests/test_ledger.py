"""acctctl/ledger.py, function by function, with SQLite and PostgreSQL as the ledger database:
trails of several targets (and of the ledger's own accounts) kept apart, the records written
only once the target's transaction committed, digests, and opening a ledger."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from acctctl.ledger import Entry, Trail, digest, open_ledger

T0 = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
ONE = "astpp:db1:3306/astpp"
TWO = "astpp:db2:3306/astpp"


def entry(action: str, number: str, batch: str, *, at: datetime = T0, account_id=None,
          digest_=None, changes=None) -> Entry:
    return Entry(at=at, actor="ops", action=action, account_number=number, mode="flags",
                 batch_id=batch, command=f"acctctl {action} {number}", changes=changes,
                 account_id=account_id, digest=digest_)


@pytest.fixture
def ledger_engine(db_url):
    engine = open_ledger(db_url)
    yield engine
    engine.dispose()


def seeded(engine) -> tuple[Trail, Trail]:
    one, two = Trail(engine, ONE), Trail(engine, TWO)
    one.write([entry("create customer", "1001", "b1", account_id=11, digest_="sha256:a"),
               entry("create customer", "1002", "b1", account_id=12, digest_="sha256:b")])
    one.write([entry("create reseller", "2001", "b2", at=T0 + timedelta(minutes=1),
                     account_id=21, digest_="sha256:c")])
    one.write([entry("update", "1002", "b3", at=T0 + timedelta(minutes=2), account_id=12,
                     changes={"city": ["", "Oslo"]})])
    # the same ids and numbers in another ASTPP database: another trail
    two.write([entry("create customer", "1001", "b9", account_id=11, digest_="sha256:z")])
    return one, two


def test_each_target_sees_its_own_batches(ledger_engine):
    one, two = seeded(ledger_engine)
    batches = one.list_batches()
    assert [(b["batch_id"], b["created"]) for b in batches] == [("b2", 1), ("b1", 2)]
    assert batches[0]["actor"] == "ops" and batches[0]["command"] == "acctctl create reseller 2001"
    assert batches[0]["at"] == T0 + timedelta(minutes=1) and batches[0]["mode"] == "flags"
    assert [b["batch_id"] for b in two.list_batches()] == ["b9"]
    assert Trail(ledger_engine, None).list_batches() == []  # nor the ledger's own accounts
    assert [b["batch_id"] for b in one.list_batches(limit=1)] == ["b2"]
    assert one.batch_exists("b1") and one.batch_exists("b3") and not one.batch_exists("b9")
    assert two.batch_exists("b9") and not two.batch_exists("b1")
    assert not one.batch_exists("b\x001")


def test_live_counts_come_from_the_target(ledger_engine):
    one, _ = seeded(ledger_engine)
    asked = []

    def live(ids):
        asked.append(sorted(ids))
        return {11, 21}  # 12 was deleted in the target since

    assert [(b["batch_id"], b["created"], b["live"]) for b in one.list_batches(live=live)] == [
        ("b2", 1, 1), ("b1", 2, 1)]
    assert asked == [[11, 12, 21]]  # one question for every batch listed


def test_batch_accounts_carry_number_id_kind_and_digest(ledger_engine):
    one, two = seeded(ledger_engine)
    accounts = one.batch_accounts("b1")
    assert [(a.number, a.account_id, a.kind, a.digest) for a in accounts] == [
        ("1001", 11, "customer", "sha256:a"), ("1002", 12, "customer", "sha256:b")]
    assert accounts[0].at == T0
    assert one.batch_accounts("b3") == []  # an update created nothing
    assert [a.digest for a in two.batch_accounts("b9")] == ["sha256:z"]
    assert one.batch_accounts("b9") == []


def test_changed_since_created_names_accounts_with_a_later_record(ledger_engine):
    one, two = seeded(ledger_engine)
    assert one.changed_since_created("b1") == ["1002"]
    assert one.changed_since_created("b2") == []
    # a later record of account 11 in ANOTHER target is not a change of this one's 11
    two.write([entry("disable", "1001", "b10", account_id=11)])
    assert one.changed_since_created("b1") == ["1002"]
    one.write([entry("disable", "1001", "b11", account_id=11)])
    assert one.changed_since_created("b1") == ["1001", "1002"]


def test_audit_records_have_contract_keys_and_stay_per_target(ledger_engine):
    one, two = seeded(ledger_engine)
    records = one.list_audit()
    assert [r["action"] for r in records] == ["update", "create reseller", "create customer",
                                              "create customer"]
    assert set(records[0]) == {"at", "actor", "action", "account", "batch_id", "command",
                               "changes"}
    assert records[0]["changes"] == {"city": ["", "Oslo"]} and records[1]["changes"] == {}
    assert [r["batch_id"] for r in one.list_audit(account="1001")] == ["b1"]
    assert [r["batch_id"] for r in two.list_audit(account="1001")] == ["b9"]
    assert [r["account"] for r in one.list_audit(batch_id="b1")] == ["1002", "1001"]
    assert [r["action"] for r in one.list_audit(since=T0 + timedelta(minutes=1))] == [
        "update", "create reseller"]  # inclusive
    assert len(one.list_audit(limit=2)) == 2
    assert one.list_audit(account="10\x0001") == []


def test_records_of_a_target_are_not_the_ledgers_own_trail(ledger_engine):
    from acctctl.service.batches import list_audit, list_batches
    from acctctl.storage import as_storage

    seeded(ledger_engine)
    assert list_batches(ledger_engine) == []
    assert list_audit(ledger_engine) == []
    with ledger_engine.connect() as conn:
        assert not as_storage(ledger_engine).ledger.batch_exists(conn, "b1")


def test_staged_records_are_written_only_when_the_target_commits(ledger_engine):
    ledger = Trail(ledger_engine, ONE)
    target_conn, other_conn = object(), object()  # stand-ins: only their identity matters
    ledger.stage(target_conn, [entry("create customer", "1001", "b1", account_id=11)])
    ledger.stage(other_conn, [entry("create customer", "3001", "b5", account_id=31)])
    ledger.stage(target_conn, [entry("create customer", "1002", "b1", account_id=12)])
    assert ledger.list_audit() == []  # nothing before the target's commit
    assert ledger.commit_staged(target_conn) is None
    assert sorted(r["account"] for r in ledger.list_audit()) == ["1001", "1002"]
    ledger.discard_staged(other_conn)  # rolled back, or a dry run
    assert ledger.commit_staged(other_conn) is None
    assert sorted(r["account"] for r in ledger.list_audit()) == ["1001", "1002"]
    assert ledger.commit_staged(target_conn) is None  # written once, not twice
    assert len(ledger.list_audit()) == 2


def test_a_ledger_that_cannot_record_warns_instead_of_failing(tmp_path):
    from acctctl.db.engine import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'no-schema.db'}")  # no audit_events table
    ledger = Trail(engine, ONE)
    conn = object()
    ledger.stage(conn, [entry("create customer", "1001", "b1", account_id=11)])
    warning = ledger.commit_staged(conn)
    engine.dispose()
    assert warning is not None and warning.startswith("warning: the change was written")
    assert "no-schema.db" in warning and "1 records" in warning


def test_entries_are_written_in_chunks(ledger_engine):
    ledger = Trail(ledger_engine, ONE)
    ledger.write([entry("create customer", str(5000 + i), "big", account_id=i)
                  for i in range(1201)])
    assert ledger.list_batches()[0]["created"] == 1201
    assert len(ledger.batch_accounts("big")) == 1201


def test_digest_is_order_free_type_aware_and_changes_with_any_value():
    row = {"id": 7, "number": "1001", "balance": Decimal("0.00000"), "status": 0,
           "creation": datetime(2026, 12, 3, 10), "first_used": "0000-00-00 00:00:00",
           "tax_number": None, "blob": b"\x00\x01"}
    device = {"id": 3, "accountid": 7, "username": "1001", "dir_params": "{}"}
    base = digest({"accounts": [row], "sip_devices": [device]})
    assert base.startswith("sha256:") and len(base) == 71
    assert digest({"sip_devices": [device], "accounts": [dict(reversed(row.items()))]}) == base
    two = [device, {**device, "id": 4, "username": "1001b"}]
    assert digest({"accounts": [row], "sip_devices": two}) == digest(
        {"accounts": [row], "sip_devices": list(reversed(two))})
    changed = [
        {"accounts": [{**row, "status": 1}], "sip_devices": [device]},
        {"accounts": [{**row, "status": "0"}], "sip_devices": [device]},  # same text, other type
        {"accounts": [{**row, "balance": Decimal("0.00001")}], "sip_devices": [device]},
        {"accounts": [{**row, "tax_number": ""}], "sip_devices": [device]},
        {"accounts": [row], "sip_devices": []},  # a device removed
        {"accounts": [row], "sip_devices": two},  # a device added
    ]
    assert len({digest(parts) for parts in changed} | {base}) == len(changed) + 1


def test_open_ledger_initialises_an_empty_database(blank_db_url):
    from acctctl.db.revision import HEAD_REVISION, current_revision

    engine = open_ledger(blank_db_url)
    with engine.connect() as conn:
        assert current_revision(conn) == HEAD_REVISION
    Trail(engine, ONE).write([entry("create customer", "1001", "b1", account_id=11)])
    engine.dispose()
    engine = open_ledger(blank_db_url)  # opened again: at head, nothing to do
    assert Trail(engine, ONE).batch_exists("b1")
    engine.dispose()


def test_open_ledger_refuses_a_ledger_behind_naming_it(blank_db_url):
    from acctctl.db.engine import make_engine
    from acctctl.db.migrate import upgrade
    from acctctl.errors import DatabaseError

    engine = make_engine(blank_db_url)
    upgrade(engine, "0002")
    engine.dispose()
    with pytest.raises(DatabaseError) as caught:
        open_ledger(blank_db_url, "the-ledger-url", "ledger.url in acctctl.toml")
    assert caught.value.exit_code == 5
    assert caught.value.message.startswith(
        "the ledger the-ledger-url (from ledger.url in acctctl.toml): the database schema is "
        "at revision 0002")
    assert caught.value.hint == ("upgrade the ledger: ACCTCTL_DATABASE_URL='the-ledger-url' "
                                 "acctctl --config /dev/null db upgrade")


def test_a_dry_run_does_not_initialise_an_empty_ledger(tmp_path):
    path = tmp_path / "ledger.db"
    engine = open_ledger(f"sqlite:///{path}", dry_run=True)
    assert Trail(engine, ONE).list_batches() == []
    engine.dispose()
    assert not path.exists()


def test_a_dry_run_reads_an_initialised_ledger(db_url):
    Trail(engine := open_ledger(db_url), ONE).write(
        [entry("create customer", "1001", "b1", account_id=11)])
    engine.dispose()
    engine = open_ledger(db_url, dry_run=True)
    assert Trail(engine, ONE).batch_exists("b1")
    engine.dispose()


def test_target_records_leave_account_id_null(ledger_engine):
    Trail(ledger_engine, ONE).write([entry("create customer", "1001", "b1", account_id=11,
                                            digest_="sha256:a")])
    with ledger_engine.connect() as conn:
        row = conn.execute(sa.text("SELECT account_id, target, target_account_id, row_digest"
                                   " FROM audit_events")).one()
    assert tuple(row) == (None, ONE, 11, "sha256:a")
