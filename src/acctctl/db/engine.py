"""Engines for SQLite and PostgreSQL that behave alike, and the schema gate.

SQLite gets foreign keys on every connection, a busy timeout, and the pysqlite transaction
workaround from the SQLAlchemy docs so that BEGIN and SAVEPOINT work as on PostgreSQL.
Write transactions on SQLite start with BEGIN IMMEDIATE so two writers queue instead of
deadlocking on a lock upgrade.
"""

from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

from acctctl.db.search import SQLITE_FOLD, fold
from acctctl.errors import DatabaseError

SQLITE_BUSY_TIMEOUT_S = 30


def mask(url: str) -> str:
    from acctctl.config import mask_url

    return mask_url(url)


def display(url: str) -> str:
    """``url`` for a message: as the user would have written it (no driver name acctctl
    added), password masked."""
    from acctctl.config import shown_url

    return shown_url(url)


def label(engine: Engine) -> tuple[str, str]:
    """(URL to show, where it came from) of an engine, for messages."""
    shown = getattr(engine, "acctctl_shown", None)
    if shown is None:
        shown = display(engine.url.render_as_string(hide_password=False))
    return shown, getattr(engine, "acctctl_source", None) or ""


def _from(source: str | None) -> str:
    return f" (from {source})" if source else ""


def make_engine(url: str, shown: str | None = None, source: str | None = None) -> Engine:
    """An engine for ``url``. shown: the URL as the user wrote it (masked) and source: where
    it was set (config file and key, the environment), both for messages; the engine
    carries them for check_connection and the other messages that name the database."""
    shown = shown or display(url)
    where = _from(source)
    try:
        parsed = make_url(url)
    except Exception:
        raise DatabaseError(f"cannot use database URL {shown!r}{where}: not a valid URL"
                            ) from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if keeps_nothing(parsed):
            raise DatabaseError(
                f"database URL {shown!r}{where} is an in-memory SQLite database: it would "
                "keep nothing (accounts, and the passwords shown once, lost at exit)",
                hint="name a file, e.g. sqlite:///acctctl.db",
            )
        if parsed.database:
            try:
                # the file holds SIP secrets (the switch needs them in clear) and password
                # hashes: a new directory and file are the owner's alone
                Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True,
                                                                mode=0o700)
            except OSError as exc:
                raise DatabaseError(
                    f"cannot connect to {shown}{where}: cannot create its directory: "
                    f"{exc.strerror or exc}"
                ) from None
        # hide_parameters: an error message must never carry a row's values (hashes, PINs)
        engine = sa.create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S},
                                  hide_parameters=True)
        _sqlite_like_postgres(engine)
        _private_when_new(engine, Path(parsed.database).expanduser() if parsed.database
                          else None)
        return labelled(engine, shown, source)
    if backend == "postgresql":
        # psycopg logs "error ignored terminating <Pipeline>" when a statement fails inside
        # a pipeline (a lost race, Ctrl-C); acctctl reports the error itself, once
        import logging

        logging.getLogger("psycopg").setLevel(logging.CRITICAL)
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        return labelled(sa.create_engine(parsed, connect_args={"connect_timeout": 10},
                                         hide_parameters=True), shown, source)
    if backend == "mysql":
        raise DatabaseError(
            f"{shown}{where} is a MySQL/MariaDB database: acctctl keeps its own accounts in "
            "SQLite or PostgreSQL",
            hint='MySQL/MariaDB is supported only as an existing ASTPP 6 database: set '
            'target = "astpp" under [database] (acctctl config init --target astpp '
            '--database-url mysql://...); see docs/astpp.md',
        )
    raise DatabaseError(
        f"unsupported database {shown!r}{where}: use sqlite:///PATH or postgresql://…"
    )


def labelled(engine: Engine, shown: str, source: str | None) -> Engine:
    engine.acctctl_shown = shown  # type: ignore[attr-defined]
    engine.acctctl_source = source  # type: ignore[attr-defined]
    return engine


def keeps_nothing(parsed) -> bool:
    """sqlite://, sqlite:///:memory: and file::memory: / mode=memory URIs."""
    name = parsed.database or ""
    return (not name or name == ":memory:" or name.startswith("file::memory:")
            or "mode=memory" in name or parsed.query.get("mode") == "memory")


#: SQLite's words for a damaged file ("database disk image is malformed", "malformed
#: database schema", "file is not a database").
CORRUPT = ("malformed", "not a database", "corrupt")


def explain(exc: BaseException) -> DatabaseError | None:
    """A database failure as the user should read it, or None when it is not one (a bug).

    The cause is the first database error in the chain: when SQLite fails a write (disk
    full) it rolls the transaction back itself, and releasing the savepoint then fails with
    "no such savepoint", which says nothing."""
    chain = []
    seen: BaseException | None = exc
    while seen is not None and len(chain) < 20:
        chain.append(seen)
        seen = seen.__context__
    # a unique-constraint clash in the chain is a lost race acctctl handled, not the cause
    db_errors = [e for e in chain if isinstance(e, sa.exc.DBAPIError)
                 and not isinstance(e, sa.exc.IntegrityError)]
    if not db_errors:
        return None
    cause = db_errors[-1]
    text = str(getattr(cause, "orig", None) or cause).strip()
    text = text.splitlines()[0] if text else type(cause).__name__
    sqlite = type(getattr(cause, "orig", None)).__module__ == "sqlite3"
    if sqlite and any(word in text for word in CORRUPT):
        return DatabaseError(f"the SQLite database is corrupt: {text}; nothing was written",
                             hint="run `acctctl db check`; restore the file from a backup")
    if isinstance(cause, sa.exc.OperationalError) or isinstance(exc, sa.exc.OperationalError):
        hint = ("check the free disk space and the file-size limit (ulimit -f)"
                if "disk" in text or "full" in text else None)
        return DatabaseError(f"database error: {text}; nothing was written", hint=hint)
    return None


def _sqlite_like_postgres(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        # lower() as PostgreSQL's, beyond A-Z: search answers alike on both (db/search.py)
        dbapi_connection.create_function(SQLITE_FOLD, 1, fold, deterministic=True)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _private_when_new(engine: Engine, path: Path | None) -> None:
    """SQLite creates a missing database file with the umask's mode (usually 0644: readable
    by every local user). Create it first, empty and 0600, just before the first connection
    opens it; SQLite gives its journal files the database file's mode. A file that exists
    keeps the mode its owner chose."""
    if path is None:
        return

    @event.listens_for(engine, "do_connect")
    def _create_private(_dialect, _record, _cargs, _cparams):
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            pass
        except OSError:
            pass  # SQLite's own open reports what is wrong, with the database named


def check_connection(engine: Engine) -> None:
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except sa.exc.SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc) or exc).strip().splitlines()[0]
        shown, source = label(engine)
        raise DatabaseError(f"cannot connect to {shown}{_from(source)}: "
                            f"{_scrub(reason, engine)}") from None


def _scrub(text: str, engine: Engine) -> str:
    """Driver messages may quote the password (e.g. a host parsed out of a stray '@')."""
    secrets = [engine.url.password or ""]
    host = engine.url.host or ""
    if "@" in host:  # an unescaped '@' in the password spilled into the host
        secrets.append(host.rsplit("@", 1)[0])
    for secret in filter(None, secrets):
        text = text.replace(secret, "***")
    return text
