"""A dry run changes nothing, anywhere: not even the first-use initialisation of a database.

A dry run against an initialised database needs nothing special: the create path inserts
inside its transaction and rolls it back. An empty database would be initialised (schema,
reference data) before that transaction, so a dry run gets a scratch database instead, one
that looks exactly as the real one would after initialisation:

- SQLite: the migrations replayed into an in-memory database. The file is not even opened
  when it does not exist (connecting would create it).
- PostgreSQL: the migrations run in the real database, inside one transaction that is never
  committed: the engine's dialect turns COMMIT and ROLLBACK into no-ops and its pool holds a
  single connection, so every step of the command (look-ups, inserts, savepoints) sees the
  schema, and closing the connection at exit throws it all away. This also proves that the
  real run could initialise the database (permissions, server version).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine, make_url


def scratch_engine_if_uninitialised(url: str, shown: str | None = None,
                                    source: str | None = None) -> Engine | None:
    """An engine for a dry run when the database at `url` has not been initialised yet;
    None when it has (or is not empty: the normal checks then say what is wrong).
    shown, source: the URL as written and where it was set, for messages."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "").expanduser()
        if path.exists() and path.stat().st_size > 0 and not _is_empty(url, shown, source):
            return None
        return _migrated(_sqlite_memory())
    if not _is_empty(url, shown, source):
        return None
    return _migrated(_never_committing(url))


def _is_empty(url: str, shown: str | None = None, source: str | None = None) -> bool:
    import sqlalchemy as sa

    from acctctl.db.engine import check_connection, make_engine
    from acctctl.db.revision import current_revision

    engine = make_engine(url, shown, source)
    try:
        check_connection(engine)
        with engine.connect() as conn:
            return current_revision(conn) is None and not sa.inspect(conn).get_table_names()
    finally:
        engine.dispose()


def _sqlite_memory() -> Engine:
    import sqlalchemy as sa
    from sqlalchemy.pool import StaticPool

    from acctctl.db.engine import _sqlite_like_postgres

    engine = sa.create_engine("sqlite://", poolclass=StaticPool, hide_parameters=True)
    _sqlite_like_postgres(engine)
    return engine


def _never_committing(url: str) -> Engine:
    import sqlalchemy as sa
    from sqlalchemy.pool import StaticPool

    from acctctl.db.engine import make_engine

    real = make_engine(url)  # driver and connect arguments as for a real run
    engine = sa.create_engine(real.url, poolclass=StaticPool, hide_parameters=True,
                              connect_args={"connect_timeout": 10})
    real.dispose()
    # Instance attributes shadow the dialect's methods for this engine only.
    engine.dialect.do_commit = lambda dbapi_connection: None
    engine.dialect.do_rollback = lambda dbapi_connection: None
    return engine


def _migrated(engine: Engine) -> Engine:
    from acctctl.db.migrate import upgrade

    upgrade(engine)
    return engine
