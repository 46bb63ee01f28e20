"""set members: what each `apply` of a set created (contract §10)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03

`apply --prune` removes only objects an earlier apply of the same set created, never what
`create` or another set made; this table is that record (written in the apply's transaction;
on the astpp target, in the ledger, with `target` naming the ASTPP database). A new table
only: nothing to rebuild.
"""

import sqlalchemy as sa
from alembic import op

from acctctl.db.types import UTCDateTime

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "set_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("set_name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("target", sa.String(length=255), nullable=True),
        sa.Column("target_id", sa.BigInteger(), nullable=True),
        sa.Column("batch_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_set_members")),
    )
    op.create_index("ix_set_members_set_name_kind_key", "set_members",
                    ["set_name", "kind", "key"], unique=False)
    op.create_index(op.f("ix_set_members_batch_id"), "set_members", ["batch_id"],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_set_members_batch_id"), table_name="set_members")
    op.drop_index("ix_set_members_set_name_kind_key", table_name="set_members")
    op.drop_table("set_members")
