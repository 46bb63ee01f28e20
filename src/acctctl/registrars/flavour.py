"""Which `subscriber` table a registrar has, read from the `version` table and the columns.

acctctl never creates or alters a registrar's tables (contract §11): it finds out what is
there and refuses (exit 5) what it does not know, rather than guess and write a row the
proxy cannot authenticate with.

Facts (docs/registrars.md cites them):
- Kamailio `subscriber` version 7 (Debian's kamailio 5.6 create scripts): username, domain,
  password varchar(64), ha1, ha1b varchar(128); version 6: password varchar(25), 64-wide
  hashes. Both key (username, domain).
- OpenSIPS 3.2+ version 8: password CHAR(25), ha1, ha1_sha256, ha1_sha512t256, no ha1b.
  OpenSIPS up to 3.1 (version 7) has ha1 and ha1b like Kamailio.
- ASTPP's OpenSIPS table: the OpenSIPS columns plus accountcode, pricelist_id,
  channel_limit, caller-id names, reseller_id, status and dates; ASTPP's proxy computes HA1
  from the plaintext `password`, so that flavour always stores it.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from acctctl.errors import DatabaseError

#: Columns every flavour has; the ones acctctl writes are chosen from what is present.
KEY_COLUMNS = ("username", "domain", "password", "ha1")
HASH_COLUMNS = ("ha1", "ha1b", "ha1_sha256", "ha1_sha512t256")
#: ASTPP's additions that have no default and so must be written (opensips_chages.sql)
ASTPP_COLUMNS = ("accountcode", "effective_caller_id_name", "effective_caller_id_number",
                 "reseller_id", "status")

#: kind -> the `subscriber` table versions acctctl knows for it
KNOWN_VERSIONS = {"kamailio": (6, 7), "opensips": (7, 8), "astpp-opensips": (6, 7, 8)}


@dataclass(frozen=True)
class Flavour:
    kind: str  # kamailio | opensips | astpp-opensips, as detected
    version: int  # the `subscriber` table version
    hashes: tuple[str, ...]  # which of HASH_COLUMNS the table has
    password_length: int | None  # what `password` holds (None: unbounded text)
    plaintext_required: bool  # the proxy computes HA1 from `password` (ASTPP)
    extra: tuple[str, ...] = ()  # ASTPP's own columns acctctl fills

    @property
    def label(self) -> str:
        return f"{self.kind} (subscriber table version {self.version})"


def detect(conn: sa.Connection, kind: str, name: str) -> Flavour:
    """The flavour of the registrar's `subscriber` table; DatabaseError (exit 5) when it is
    not one acctctl knows, or not the configured kind."""
    where = f"registrar {name}"
    version = _table_version(conn, where)
    columns = _columns(conn)
    if not columns:
        raise DatabaseError(f"{where}: the database has no `subscriber` table",
                            hint="create it with the proxy's own scripts (e.g. kamdbctl "
                            "create); acctctl never creates a registrar's tables")
    missing = [c for c in KEY_COLUMNS if c not in columns]
    if missing:
        raise DatabaseError(f"{where}: `subscriber` has no {', '.join(missing)} column: not "
                            "a Kamailio or OpenSIPS subscriber table")
    astpp = all(c in columns for c in ASTPP_COLUMNS)
    hashes = tuple(c for c in HASH_COLUMNS if c in columns)
    found = ("astpp-opensips" if astpp
             else "opensips" if "ha1_sha256" in columns
             else "kamailio" if "ha1b" in columns else None)
    if found is None:
        raise DatabaseError(f"{where}: `subscriber` (version {version}) has neither ha1b nor "
                            "ha1_sha256: an unknown flavour")
    compatible = {"kamailio": ("kamailio",), "opensips": ("opensips", "kamailio"),
                  "astpp-opensips": ("astpp-opensips",)}[kind]
    # OpenSIPS <= 3.1 (version 7) has Kamailio's columns; anything else is the wrong kind
    if found not in compatible or (kind == "opensips" and found == "kamailio" and version != 7):
        raise DatabaseError(f"{where} is configured as kind {kind!r} but its `subscriber` "
                            f"table looks like {found!r} (version {version})",
                            hint=f"set kind = {found!r} for registrar {name}")
    if version not in KNOWN_VERSIONS[kind]:
        known = ", ".join(str(v) for v in KNOWN_VERSIONS[kind])
        raise DatabaseError(f"{where}: `subscriber` table version {version} is not one acctctl "
                            f"knows for kind {kind!r} ({known})")
    if kind == "kamailio" and any(c in columns for c in ("ha1_sha256", "ha1_sha512t256")):
        raise DatabaseError(f"{where}: a Kamailio `subscriber` with SHA-2 columns is an "
                            "unknown flavour")
    return Flavour(kind=kind, version=version, hashes=hashes,
                   password_length=columns["password"],
                   plaintext_required=kind == "astpp-opensips",
                   extra=ASTPP_COLUMNS if astpp else ())


def _table_version(conn: sa.Connection, where: str) -> int:
    try:
        with conn.begin_nested():
            value = conn.execute(sa.text(
                "SELECT table_version FROM version WHERE table_name = 'subscriber'")).scalar()
    except sa.exc.ProgrammingError:  # no `version` table (both drivers say so this way)
        value = None
    if value is None:
        raise DatabaseError(f"{where}: no `version` row for `subscriber`: not a Kamailio or "
                            "OpenSIPS database (or its subscriber table was never installed)")
    return int(value)


def _columns(conn: sa.Connection) -> dict[str, int | None]:
    """column -> its character length (None when unbounded), of this schema's subscriber."""
    schema = ("DATABASE()" if conn.dialect.name == "mysql" else "current_schema()")
    rows = conn.execute(sa.text(
        "SELECT column_name, character_maximum_length FROM information_schema.columns "
        f"WHERE table_schema = {schema} AND table_name = 'subscriber'")).all()
    return {str(n).lower(): (int(length) if length is not None else None) for n, length in rows}
