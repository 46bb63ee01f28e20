"""Migration 0003 (the ledger's columns on audit_events): `db upgrade` from 0002 keeps every
audit record as one of this database's own accounts (target NULL), on SQLite and PostgreSQL,
and the schema then matches the models; the trail and the ledger's records stay apart."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa


def _at_0002_with_a_trail(url: str) -> None:
    from acctctl.db.engine import make_engine
    from acctctl.db.migrate import current_revision, upgrade

    engine = make_engine(url)
    upgrade(engine, "0002")
    now = datetime(2026, 12, 1, 9, tzinfo=UTC).replace(tzinfo=None)
    with engine.begin() as conn:
        assert current_revision(conn) == "0002"
        conn.execute(sa.text(
            "INSERT INTO audit_events (at, actor, action, account_id, account_number, mode,"
            " batch_id, command, changes) VALUES (:now, 'me', 'create customer', NULL, '1001',"
            " 'flags', 'b-0002', 'acctctl create customer', NULL), (:now, 'me', 'update',"
            " NULL, '1001', 'flags', 'b-0003', 'acctctl account update 1001',"
            " '{\"city\": [\"\", \"Oslo\"]}')"), {"now": now})
    engine.dispose()


def test_upgrade_from_0002_keeps_the_trail_as_this_databases_own(blank_cli):
    cli, url = blank_cli
    _at_0002_with_a_trail(url)
    assert cli("audit", "list").exit_code == 5  # behind: refused until upgraded
    result = cli("db", "upgrade")
    assert result.exit_code == 0 and "0002 -> 0006" in result.stderr
    assert cli("db", "check").exit_code == 0  # the models and the migrated schema agree

    from acctctl.db.engine import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT action, target, target_account_id, row_digest FROM audit_events"
            " ORDER BY id")).all()
        indexes = {i["name"] for i in sa.inspect(conn).get_indexes("audit_events")}
    engine.dispose()
    assert rows == [("create customer", None, None, None), ("update", None, None, None)]
    assert {"ix_audit_events_target_batch_id",
            "ix_audit_events_target_target_account_id"} <= indexes
    assert [r["action"] for r in cli.json("audit", "list")] == ["update", "create customer"]
    assert [b["batch_id"] for b in cli.json("batch", "list")] == ["b-0002"]


def test_downgrade_to_0002_drops_the_ledger_columns(blank_db_url):
    from acctctl.db.engine import make_engine
    from acctctl.db.migrate import upgrade

    engine = make_engine(blank_db_url)
    upgrade(engine)
    upgrade_down(engine)
    with engine.connect() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("audit_events")}
    engine.dispose()
    assert "changes" in columns and not {"target", "target_account_id", "row_digest"} & columns


def upgrade_down(engine) -> None:
    from alembic import command

    from acctctl.db.migrate import alembic_config

    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")
        with conn.begin():
            command.downgrade(alembic_config(conn), "0002")
