"""Alembic, run programmatically with the migrations shipped inside the package."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Connection, Engine

from acctctl.errors import DatabaseError

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(connection: Connection | None = None):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, target: str = "head") -> tuple[str | None, str]:
    from alembic import command

    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            # Rebuilding a table (batch mode) drops the old one, which with foreign keys on
            # would cascade into every table pointing at it. The pragma only takes effect
            # outside a transaction, so set it before BEGIN, and check the keys before COMMIT.
            conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                before = current_revision(conn)
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
    import sqlalchemy as sa

    head = head_revision()
    with engine.connect() as conn:
        current = current_revision(conn)
        has_tables = bool(sa.inspect(conn).get_table_names())
    if current == head:
        return
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


def drift(engine: Engine) -> list:
    """Differences between the live schema and the models (empty when they agree)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlmodel import SQLModel

    import acctctl.models.tables  # noqa: F401

    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, SQLModel.metadata)
