"""Which schema revision a database is at, read without Alembic.

Every command that touches the database checks the revision first; a read of an up-to-date
database should not pay for importing Alembic (and its script directory) to learn that. The
revision is one row of the table Alembic keeps, read here directly, and compared with the
newest migration shipped, recorded below (tests/test_startup_imports.py checks it against
Alembic's own head, so a new migration cannot forget to move it)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from acctctl.errors import DatabaseError

#: The newest migration in db/migrations/versions.
HEAD_REVISION = "0006"
#: Alembic's bookkeeping table (its default name; db/migrations/env.py does not change it).
VERSION_TABLE = "alembic_version"


def current_revision(connection: Connection) -> str | None:
    """The revision the database is stamped with; None when it is not stamped (empty)."""
    if not sa.inspect(connection).has_table(VERSION_TABLE):
        return None
    rows = connection.exec_driver_sql(f"SELECT version_num FROM {VERSION_TABLE}").fetchall()
    if len(rows) > 1:
        raise DatabaseError(
            f"the database is stamped with {len(rows)} schema revisions "
            f"({', '.join(sorted(r[0] for r in rows))}); acctctl's migrations have one head",
            hint="point acctctl at an acctctl database",
        )
    return rows[0][0] if rows else None


def at_head(engine: Engine) -> bool:
    """Whether the database is at the newest revision this acctctl ships (nothing to do)."""
    with engine.connect() as conn:
        return current_revision(conn) == HEAD_REVISION
