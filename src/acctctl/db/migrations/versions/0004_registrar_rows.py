"""registrar rows: which subscriber rows in each SIP registrar acctctl manages

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03

A registrar's `subscriber` table also holds rows an operator made by hand; acctctl changes
and removes only the rows it wrote, and records them here (contract §11), since it never
alters a registrar's own tables. A new table only: nothing to rebuild.
"""

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "registrar_rows",
        sa.Column("registrar", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("domain", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("registrar", "username", "domain",
                                name=op.f("pk_registrar_rows")),
    )


def downgrade() -> None:
    op.drop_table("registrar_rows")
