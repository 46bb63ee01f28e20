"""catalog changes: what each `apply` changed in a rate group, tax or role (contract §10)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03

`batch undo` of an apply gives the catalog entries it updated their old values back; this
table is the record of those updates ({field: [old, new]}), written in the apply's
transaction. A new table only: nothing to rebuild.
"""

import sqlalchemy as sa
from alembic import op

from acctctl.db.types import UTCDateTime

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "catalog_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("entry_id", sa.BigInteger(), nullable=False),
        sa.Column("changes", sa.Text(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("undone_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_changes")),
    )
    op.create_index(op.f("ix_catalog_changes_batch_id"), "catalog_changes", ["batch_id"],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_catalog_changes_batch_id"), table_name="catalog_changes")
    op.drop_table("catalog_changes")
