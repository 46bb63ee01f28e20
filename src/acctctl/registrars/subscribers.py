"""Rows of a registrar's `subscriber` table: read, write (upsert) and remove, in chunks.

One statement per chunk, never one per row: a multi-row INSERT with the dialect's upsert
(ON DUPLICATE KEY UPDATE on MariaDB/MySQL, ON CONFLICT on PostgreSQL) and a DELETE with an
IN list. Rows are found by their unique key (username, domain), which both Kamailio's and
OpenSIPS's tables have (`account_idx`).
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from acctctl.registrars import hashes
from acctctl.registrars.flavour import Flavour
from acctctl.registrars.record import CHUNK, Key, by_domain, insert_many
from acctctl.storage import Device

#: what acctctl compares and repairs in a managed row; the rest (ASTPP's dates, ids) it
#: only fills when it adds the row
COMPARED = ("password", "ha1", "ha1b", "ha1_sha256", "ha1_sha512t256")


def read(conn: sa.Connection, flavour: Flavour) -> dict[Key, dict[str, str]]:
    """Every row of the table, by (username, domain), with the compared columns."""
    columns = [c for c in ("username", "domain", *COMPARED)
               if c in ("username", "domain", "password") or c in flavour.hashes]
    query = sa.select(*(sa.column(c) for c in columns)).select_from(sa.table("subscriber"))
    rows = {}
    for row in conn.execute(query).mappings():
        # CHAR(n) columns come back space-padded on PostgreSQL: compare what was written
        values = {k: ("" if v is None else str(v).rstrip(" ")) for k, v in row.items()}
        rows[(values["username"], values["domain"])] = values
    return rows


def expected(device: Device, domain: str, flavour: Flavour, plaintext: bool) -> dict[str, str]:
    """The compared columns of the row a device needs; realm = the registrar's domain."""
    user, secret = device.username, device.secret
    row = {"username": user, "domain": domain, "password": secret if plaintext else ""}
    made = {
        "ha1": lambda: hashes.ha1(user, domain, secret),
        "ha1b": lambda: hashes.ha1b(user, domain, domain, secret),
        "ha1_sha256": lambda: hashes.ha1_sha256(user, domain, secret),
        "ha1_sha512t256": lambda: hashes.ha1_sha512t256(user, domain, secret),
    }
    row.update((column, made[column]()) for column in flavour.hashes)
    return row


def full_row(device: Device, compared: dict[str, str], flavour: Flavour,
             now: datetime) -> dict:
    """The row to write: the compared columns, plus what ASTPP's table cannot do without
    (its accountcode, caller-id, reseller and status have no default)."""
    row: dict = dict(compared)
    if flavour.extra:
        stamp = now.astimezone(UTC).replace(tzinfo=None, microsecond=0)
        row.update(accountcode=device.account[:20],
                   effective_caller_id_name=device.caller_id_name[:50],
                   effective_caller_id_number=device.caller_id_number[:50],
                   reseller_id=0, status=0, creation_date=stamp, last_modified_date=stamp)
    return row


def upsert(conn: sa.Connection, flavour: Flavour, rows: list[dict]) -> None:
    """Write rows, replacing the compared columns of a row whose key exists: one multi-row
    INSERT ... ON DUPLICATE KEY UPDATE / ON CONFLICT DO UPDATE per chunk."""
    if not rows:
        return
    columns = tuple(rows[0])
    updated = [c for c in COMPARED if c in rows[0]]
    if flavour.extra:
        updated.append("last_modified_date")
    if conn.dialect.name == "mysql":
        tail = " ON DUPLICATE KEY UPDATE " + ", ".join(f"{c} = VALUES({c})" for c in updated)
    else:
        tail = (" ON CONFLICT (username, domain) DO UPDATE SET "
                + ", ".join(f"{c} = EXCLUDED.{c}" for c in updated))
    insert_many(conn, "subscriber", columns, [tuple(r[c] for c in columns) for r in rows],
                tail)


def present(conn: sa.Connection, domain: str, usernames: list[str]) -> set[str]:
    """Which of these usernames have a row of `domain`: one SELECT per chunk."""
    found: set[str] = set()
    for start in range(0, len(usernames), CHUNK):
        found.update(conn.execute(
            sa.text("SELECT username FROM subscriber WHERE domain = :d AND username IN :u")
            .bindparams(sa.bindparam("u", expanding=True)),
            {"d": domain, "u": usernames[start:start + CHUNK]}).scalars())
    return found


def remove(conn: sa.Connection, keys: list[Key]) -> None:
    """Delete exactly these rows (acctctl's own: the caller checked the record)."""
    for domain, usernames in by_domain(keys).items():
        for start in range(0, len(usernames), CHUNK):
            conn.execute(sa.text("DELETE FROM subscriber WHERE domain = :d AND username IN :u")
                         .bindparams(sa.bindparam("u", expanding=True)),
                         {"d": domain, "u": usernames[start:start + CHUNK]})
