"""`db upgrade` from the schema of the previous release (revision 0001) keeps every account,
on SQLite and PostgreSQL, and the day-two commands then work on it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

ACCOUNTS = [
    # (number, kind, email, pin, owner number)
    ("700", "reseller", "rita@example.com", None, None),
    ("1001", "customer", "ada@example.com", "123456", "700"),
    ("1002", "customer", None, "654321", None),
    ("admin.1", "admin", "root@example.com", None, None),
]


@pytest.fixture
def old_database(blank_cli):
    """A database created by the previous release, with accounts in it (written as 0001's
    code wrote them: plain SQL against 0001's tables)."""
    from acctctl.db.engine import make_engine
    from acctctl.db.migrate import current_revision, upgrade

    engine = make_engine(blank_cli[1])
    upgrade(engine, "0001")
    now = datetime(2026, 11, 25, 12, tzinfo=UTC)
    with engine.begin() as conn:
        assert current_revision(conn) == "0001"
        ids = {}
        for number, kind, email, pin, owner in ACCOUNTS:
            billing = kind in ("customer", "reseller")
            row = conn.execute(sa.text(
                "INSERT INTO accounts (kind, number, password_hash, pin, first_name, last_name,"
                " company, email, email_key, address, city, province, postal_code, country,"
                " timezone, currency, status, rate_group_id, billing_schedule, account_type,"
                " credit_limit, reseller_id, created_at, created_by, batch_id) VALUES (:kind,"
                " :number, 'x', :pin, 'Old', '', '', :email, :email, '', '', '', '', 'US',"
                " 'UTC', :currency, 'active', :rate_group, :schedule, :type, :credit, :owner,"
                " :now, 'me', 'b-0001') RETURNING id"),
                {"kind": kind, "number": number, "pin": pin, "email": email,
                 "currency": "USD" if billing else None, "rate_group": 1 if billing else None,
                 "schedule": "monthly" if billing else None,
                 "type": "prepaid" if billing else None, "credit": "0" if billing else None,
                 "owner": ids.get(owner), "now": now.replace(tzinfo=None)})
            ids[number] = row.scalar_one()
            conn.execute(sa.text(
                "INSERT INTO audit_events (at, actor, action, account_id, account_number, mode,"
                " batch_id, command) VALUES (:now, 'me', :action, :id, :number, 'flags',"
                " 'b-0001', 'acctctl create')"),
                {"now": now.replace(tzinfo=None), "action": f"create {kind}",
                 "id": ids[number], "number": number})
            if kind == "customer":
                conn.execute(sa.text(
                    "INSERT INTO sip_devices (account_id, username, secret, caller_id_name,"
                    " caller_id_number, status, created_at) VALUES (:id, :number, 'sekrit-123',"
                    " :number, :number, 'active', :now)"),
                    {"id": ids[number], "number": number, "now": now.replace(tzinfo=None)})
    engine.dispose()
    return blank_cli


def test_upgrade_from_0001_keeps_every_account(old_database):
    cli, url = old_database
    result = cli("account", "list")
    assert result.exit_code == 5 and "db upgrade" in result.stderr  # behind: refused
    result = cli("db", "upgrade")
    assert result.exit_code == 0 and "0001 -> 0006" in result.stderr
    assert cli("db", "check").exit_code == 0

    listed = cli.json("account", "list")
    assert sorted(a["number"] for a in listed) == sorted(a[0] for a in ACCOUNTS)
    assert cli.json("account", "show", "1001")["reseller"] == "700"
    assert cli.json("account", "show", "1001")["sip_devices"] == [
        {"username": "1001", "status": "active"}]
    assert len(cli.json("audit", "list")) == len(ACCOUNTS)  # the trail survived the rebuild
    from acctctl.db.engine import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM sip_devices")).scalar() == 2
        # the constraints of 0001 are still enforced after SQLite rebuilt the table
        with pytest.raises(sa.exc.IntegrityError):
            conn.execute(sa.text("UPDATE accounts SET status = 'gone'"))
    engine.dispose()

    # the partial unique indexes: a deleted account's number, email and PIN are free again
    assert cli("account", "delete", "1001", "--yes").exit_code == 0
    out = cli.json("create", "customer", "--number", "1001", "--first-name", "New",
                   "--email", "ada@example.com", "--pin", "123456")
    assert out["number"] == "1001"
    result = cli("create", "customer", "--number", "1001", "--first-name", "Dup")
    assert result.exit_code == 4  # still unique among live accounts
