"""Alembic, run programmatically with the migrations shipped inside the package.

Imported by what migrates or compares schemas (a first use, `db upgrade|current|check`);
an up-to-date database is recognised by db/revision.py without this module."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.engine import Connection, Engine

from acctctl import __version__
from acctctl.db import revision as schema_revision
from acctctl.db.revision import current_revision
from acctctl.errors import DatabaseError
from acctctl.models.tables import ddl_metadata  # the tables drift() compares

__all__ = ["current_revision", "ensure_schema", "head_revision", "upgrade"]

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(connection: Connection | None = None):
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision shipped (recorded in db/revision.py, checked against Alembic's)."""
    return schema_revision.HEAD_REVISION


def script_head() -> str:
    """Alembic's own head of the shipped migrations."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


#: Key of the PostgreSQL advisory lock that serialises schema changes ("acctctl" in ASCII).
SCHEMA_LOCK = 0x61636374_63746C


def known_revision(revision: str | None) -> bool:
    """Whether this acctctl ships `revision` (None, an empty database, counts as known)."""
    if revision is None:
        return True
    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except CommandError:
        return False


def refuse_newer(revision: str | None) -> None:
    if not known_revision(revision):
        raise DatabaseError(
            f"the database is at schema revision {revision}, which this acctctl "
            f"({__version__}) does not know: it was written by a newer acctctl",
            hint="upgrade acctctl (pip install -U acctctl) to use this database; "
            "`acctctl db upgrade` cannot go back",
        )


def upgrade(engine: Engine, target: str = "head") -> tuple[str | None, str]:
    """Migrate to `target`, one process at a time: on PostgreSQL a transaction-scoped
    advisory lock makes concurrent first uses wait for the one initialising, then find the
    work done (on SQLite, BEGIN IMMEDIATE does the same)."""
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            # Rebuilding a table (batch mode) drops the old one, which with foreign keys on
            # would cascade into every table pointing at it. The pragma only takes effect
            # outside a transaction, so set it before BEGIN, and check the keys before COMMIT.
            conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({SCHEMA_LOCK})")
                before = current_revision(conn)
                refuse_newer(before)
                command.upgrade(alembic_config(conn), target)
                after = current_revision(conn)
                if sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise DatabaseError(
                            f"the upgrade would break {len(broken)} foreign keys; "
                            "nothing was changed"
                        )
        finally:
            if sqlite:
                conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")
    return before, after


def ensure_schema(engine: Engine) -> None:
    """Initialise an empty database; refuse one that is behind (or ahead of) the code."""
    head = head_revision()
    with engine.connect() as conn:
        current = current_revision(conn)
        has_tables = bool(sa.inspect(conn).get_table_names())
    if current == head:
        return
    refuse_newer(current)
    if current is None and not has_tables:
        upgrade(engine)
        return
    if current is None:
        raise DatabaseError(
            "the database has tables but no acctctl schema version; "
            "point acctctl at an empty database or an acctctl one"
        )
    raise DatabaseError(
        f"the database schema is at revision {current}, this acctctl needs {head}",
        hint="run: acctctl db upgrade",
    )


def check_integrity(engine: Engine) -> None:
    """SQLite: read every page (quick_check); a damaged file is exit 5 with its diagnosis."""
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        found = [row[0] for row in conn.exec_driver_sql("PRAGMA quick_check")]
    if found != ["ok"]:
        raise DatabaseError(
            f"the SQLite database {engine.url.database} is corrupt: {found[0]}"
            + (f" (and {len(found) - 1} more problems)" if len(found) > 1 else ""),
            hint="restore it from a backup; acctctl cannot repair it",
        )


def drift(engine: Engine) -> list:
    """Differences between the live schema and the models (empty when they agree)."""
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, ddl_metadata())
