"""ledger: audit records of accounts kept in another database (the astpp target)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03

On the astpp target acctctl adds no tables to ASTPP's database; its batches and audit records
go to a ledger, a database of acctctl's own schema (acctctl/ledger.py). audit_events gets what
a record of an ASTPP account needs: which ASTPP database (`target`, NULL for this database's
own accounts, so every record written before stays one of those), the account's id there,
and a digest of the rows a create wrote, which `batch undo` compares with the rows it finds.
Only nullable columns and indexes: SQLite adds them in place, without a table rebuild.
"""

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("target", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("target_account_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("row_digest", sa.String(length=80), nullable=True))
        batch_op.create_index("ix_audit_events_target_batch_id", ["target", "batch_id"],
                              unique=False)
        batch_op.create_index("ix_audit_events_target_target_account_id",
                              ["target", "target_account_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_target_target_account_id")
        batch_op.drop_index("ix_audit_events_target_batch_id")
        batch_op.drop_column("row_digest")
        batch_op.drop_column("target_account_id")
        batch_op.drop_column("target")
