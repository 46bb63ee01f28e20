"""day two: soft delete, updated_at, uniqueness among live accounts, audit changes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26

Soft-deleted accounts keep their rows but leave every uniqueness check, so the plain unique
constraints on number, email_key, PIN and SIP username become partial unique indexes over the
live rows (deleted_at IS NULL). SQLite cannot drop a constraint in place: batch mode rebuilds
those two tables, with foreign keys switched off around the migration (see db/migrate.py) so
that rebuilding `accounts` does not cascade into the tables that point at it.
"""

import sqlalchemy as sa
from alembic import op

import acctctl.db.types

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

LIVE = sa.text("deleted_at IS NULL")


def _live_unique(batch_op, table: str, column: str) -> None:
    batch_op.create_index(f"uq_{table}_live_{column}", [column], unique=True,
                          sqlite_where=LIVE, postgresql_where=LIVE)


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("updated_at", acctctl.db.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("deleted_at", acctctl.db.types.UTCDateTime(), nullable=True))
        for column in ("number", "email_key", "pin"):
            batch_op.drop_constraint(f"uq_accounts_{column}", type_="unique")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        for column in ("number", "email_key", "pin"):
            _live_unique(batch_op, "accounts", column)

    with op.batch_alter_table("sip_devices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deleted_at", acctctl.db.types.UTCDateTime(), nullable=True))
        batch_op.drop_constraint("uq_sip_devices_username", type_="unique")
    with op.batch_alter_table("sip_devices", schema=None) as batch_op:
        _live_unique(batch_op, "sip_devices", "username")

    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("changes", sa.Text(), nullable=True))
        batch_op.create_index("ix_audit_events_account_number", ["account_number"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_account_number")
        batch_op.drop_column("changes")
    with op.batch_alter_table("sip_devices", schema=None) as batch_op:
        batch_op.drop_index("uq_sip_devices_live_username")
        batch_op.drop_column("deleted_at")
        batch_op.create_unique_constraint("uq_sip_devices_username", ["username"])
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        for column in ("number", "email_key", "pin"):
            batch_op.drop_index(f"uq_accounts_live_{column}")
        batch_op.drop_column("deleted_at")
        batch_op.drop_column("updated_at")
        for column in ("number", "email_key", "pin"):
            batch_op.create_unique_constraint(f"uq_accounts_{column}", [column])
