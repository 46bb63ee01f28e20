"""acctctl's record of the registrar rows it manages (table registrar_rows, contract §11).

The record is written before a row is added and cleared after a row is removed, so an
interruption between the two databases leaves a recorded row that is missing (which
`registrar check` reports and `sync` adds) and never an unrecorded row of acctctl's that
would pass for an operator's own.
"""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa

from acctctl.models.tables import RegistrarRow

RR = RegistrarRow.__table__
CHUNK = 500

Key = tuple[str, str]  # (username, domain)


def managed(conn: sa.Connection, registrar: str) -> set[Key]:
    rows = conn.execute(sa.select(RR.c.username, RR.c.domain).where(RR.c.registrar == registrar))
    return {(u, d) for u, d in rows}


def managed_of(conn: sa.Connection, registrar: str, usernames: list[str]) -> set[Key]:
    """The recorded keys of these usernames (any domain): one SELECT per chunk."""
    found: set[Key] = set()
    for start in range(0, len(usernames), CHUNK):
        found.update(conn.execute(sa.select(RR.c.username, RR.c.domain).where(
            RR.c.registrar == registrar,
            RR.c.username.in_(usernames[start:start + CHUNK]))).all())
    return found


def remember(conn: sa.Connection, registrar: str, keys: list[Key]) -> None:
    """Record keys: one INSERT per chunk. A key another sync recorded meanwhile is kept as
    it is (ON CONFLICT DO NOTHING, on SQLite and PostgreSQL alike)."""
    insert_many(conn, "registrar_rows", ("registrar", "username", "domain"),
                [(registrar, u, d) for u, d in keys], " ON CONFLICT DO NOTHING")


def insert_many(conn: sa.Connection, table: str, columns: tuple[str, ...], rows: list[tuple],
                tail: str = "") -> None:
    """One multi-row INSERT per chunk of rows, written straight for the driver: SQLAlchemy
    compiles a multi-row VALUES anew for every chunk (a bind parameter object per value),
    which cost more than the database's work. `table`, `columns` and `tail` are acctctl's
    own constants, never input; the values are bound."""
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    one = "(" + ", ".join([mark] * len(columns)) + ")"
    head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start:start + CHUNK]
        conn.exec_driver_sql(head + ", ".join([one] * len(chunk)) + tail,
                             tuple(value for row in chunk for value in row))


def forget(conn: sa.Connection, registrar: str, keys: list[Key]) -> None:
    """Drop keys from the record: one DELETE per chunk of a domain."""
    for domain, usernames in by_domain(keys).items():
        for start in range(0, len(usernames), CHUNK):
            conn.execute(sa.delete(RR).where(
                RR.c.registrar == registrar, RR.c.domain == domain,
                RR.c.username.in_(usernames[start:start + CHUNK])))


def by_domain(keys: list[Key]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = defaultdict(list)
    for username, domain in keys:
        grouped[domain].append(username)
    return grouped
