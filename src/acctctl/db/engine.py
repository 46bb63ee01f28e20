"""Engines for SQLite and PostgreSQL that behave alike, and the schema gate.

SQLite gets foreign keys on every connection, a busy timeout, and the pysqlite transaction
workaround from the SQLAlchemy docs so that BEGIN and SAVEPOINT work as on PostgreSQL.
Write transactions on SQLite start with BEGIN IMMEDIATE so two writers queue instead of
deadlocking on a lock upgrade.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

from acctctl.errors import DatabaseError

SQLITE_BUSY_TIMEOUT_S = 30


def mask(url: str) -> str:
    from acctctl.config import mask_url

    return mask_url(url)


def make_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except Exception:
        raise DatabaseError(f"cannot use database URL {mask(url)!r}: not a valid URL") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            try:
                Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseError(
                    f"cannot connect to {mask(url)}: cannot create its directory: "
                    f"{exc.strerror or exc}"
                ) from None
        # hide_parameters: an error message must never carry a row's values (hashes, PINs)
        engine = sa.create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S},
                                  hide_parameters=True)
        _sqlite_like_postgres(engine)
        return engine
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        return sa.create_engine(parsed, connect_args={"connect_timeout": 10},
                                hide_parameters=True)
    raise DatabaseError(
        f"unsupported database {mask(url)!r}: use sqlite:///PATH or postgresql://…"
    )


def _sqlite_like_postgres(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def check_connection(engine: Engine) -> None:
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except sa.exc.SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc) or exc).strip().splitlines()[0]
        url = mask(engine.url.render_as_string(hide_password=False))
        raise DatabaseError(f"cannot connect to {url}: {_scrub(reason, engine)}") from None


def _scrub(text: str, engine: Engine) -> str:
    """Driver messages may quote the password (e.g. a host parsed out of a stray '@')."""
    secrets = [engine.url.password or ""]
    host = engine.url.host or ""
    if "@" in host:  # an unescaped '@' in the password spilled into the host
        secrets.append(host.rsplit("@", 1)[0])
    for secret in filter(None, secrets):
        text = text.replace(secret, "***")
    return text
