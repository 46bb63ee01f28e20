"""Reading ASTPP: its lists (for the wizard and the look-ups) and, through reads.py, its
accounts in the same output shape as acctctl's own (``account list|show``).

Raw SQL through SQLAlchemy text(): ASTPP's zero dates come back from PyMySQL as the string
'0000-00-00 00:00:00', which a DateTime type would choke on; they read as "not set".
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from acctctl.errors import NotFound
from acctctl.targets.astpp.columns import KIND_OF_TYPE, TYPE

ROLE_LOGIN_TYPE = {"reseller": 1, "admin": 0, "subadmin": 0}


def _in(sql: str, **lists) -> sa.TextClause:
    return sa.text(sql).bindparams(*(sa.bindparam(k, expanding=True) for k in lists))


class AstppLookups:
    """The create pipeline's look-ups (acctctl.storage.lookups.Lookups), over ASTPP's tables.
    Only live accounts (deleted = 0) count, as ASTPP's own is_unique checks."""

    def __init__(self, conn: Connection):
        self.conn = conn
        self._cache: dict[tuple, tuple[int | None, str | None]] = {}

    def _cached(self, key: tuple, find):
        if key not in self._cache:
            self._cache[key] = find()
        return self._cache[key]

    def reseller(self, number: str):
        def find():
            row = self.conn.execute(sa.text(
                "SELECT id, type, status FROM accounts WHERE number = :n AND deleted = 0 "
                "ORDER BY id LIMIT 1"), {"n": number}).first()
            if row is None:
                return None, f"no reseller has number {number}"
            if row.type != TYPE["reseller"]:
                return None, f"account {number} is a {KIND_OF_TYPE.get(row.type, 'other')}, " \
                             "not a reseller"
            if row.status != 0:
                return None, f"reseller {number} is inactive"
            return row.id, None

        return self._cached(("reseller", number), find)

    def _owned(self, what: str, sql: str, name: str, owner_id: int | None, owner: str):
        def find():
            row = self.conn.execute(sa.text(sql), {"name": name, "owner": owner_id or 0}).first()
            if row is None:
                why = f"no {what} named {name!r} is owned by {owner}"
                if what == "rate group":  # made by `rategroup create` or in ASTPP
                    flag = (f" --reseller {owner.removeprefix('reseller ')}" if owner_id
                            else "")
                    why += (f" (make one: acctctl rategroup create NAME{flag}, or in ASTPP as "
                            f"{owner} under Tariff > Rate group; then give its name with "
                            f"--rate-group NAME; acctctl rategroup list{flag} lists them)")
                return None, why
            if row.status != 0:
                return None, f"{what} {name!r} of {owner} is inactive"
            return row.id, None

        return self._cached((what, name, owner_id), find)

    def rate_group(self, name: str, owner_id: int | None, owner: str):
        return self._owned("rate group", "SELECT id, status FROM pricelists WHERE name = :name "
                           "AND reseller_id = :owner AND status <> 2 ORDER BY id LIMIT 1",
                           name, owner_id, owner)

    def tax(self, name: str, owner_id: int | None, owner: str):
        return self._owned("tax", "SELECT id, status FROM taxes WHERE taxes_description = :name "
                           "AND reseller_id = :owner ORDER BY id LIMIT 1", name, owner_id, owner)

    def role(self, kind: str, name: str | None):
        """A role by name; without one, the first of ASTPP's list (what its form pre-selects)."""
        def find():
            sql = ("SELECT id FROM permissions WHERE login_type = :lt AND reseller_id = 0"
                   + (" AND name = :name" if name else "") + " ORDER BY id LIMIT 1")
            found = self.conn.execute(sa.text(sql), {"lt": ROLE_LOGIN_TYPE[kind],
                                                     "name": name}).scalar()
            scope = "reseller" if kind == "reseller" else "admin"
            if found is None:
                return None, (f"no {scope} role named {name!r}" if name
                              else f"ASTPP has no {scope} role (permissions)")
            return found, None

        return self._cached(("role", kind, name), find)

    def existing(self, numbers=(), email_keys=(), pins=()) -> dict[str, set[str]]:
        """Which of these are taken by live accounts (numbers also as SIP usernames). ASTPP's
        columns compare case-insensitively: the values asked for are returned."""
        taken: dict[str, set[str]] = {"number": set(), "email": set(), "pin": set()}
        queries = (
            ("number", numbers, "SELECT number FROM accounts WHERE deleted = 0 AND number IN :v"),
            ("number", numbers, "SELECT username FROM sip_devices WHERE username IN :v"),
            ("email", email_keys, "SELECT email FROM accounts WHERE deleted = 0 AND email IN :v"),
            ("pin", pins, "SELECT pin FROM accounts WHERE deleted = 0 AND pin IN :v"),
        )
        for key, values, sql in queries:
            wanted = {str(v).casefold(): v for v in values if v}
            ordered = sorted(wanted.values())
            for start in range(0, len(ordered), 500):
                for found in self.conn.execute(_in(sql, v=None),
                                               {"v": ordered[start:start + 500]}).scalars():
                    if str(found).casefold() in wanted:
                        taken[key].add(wanted[str(found).casefold()])
        return taken

    def count_numbers(self, prefix: str, length: int) -> int:
        return self.conn.execute(sa.text(
            "SELECT COUNT(*) FROM accounts WHERE deleted = 0 AND number LIKE :p "
            "AND CHAR_LENGTH(number) = :n"), {"p": prefix + "%", "n": length}).scalar_one()


class Catalog:
    """The functions of acctctl.service.catalog that the wizard and `account list|show` use,
    read from ASTPP, for AstppStorage (targets/astpp/storage.py)."""

    def __init__(self, target: Any):
        self.target = target
        self._memo: dict[tuple, Any] = {}  # small reads the writer repeats per account

    def _rows(self, sql: str, **params) -> list[dict]:
        with self.target.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.text(sql), params)]

    def _owner_id(self, reseller: str | None) -> int:
        if not reseller:
            return 0
        with self.target.engine.connect() as conn:
            owner_id, why = AstppLookups(conn).reseller(reseller)
        if why:
            raise NotFound(why)
        return owner_id

    @staticmethod
    def _status(rows: list[dict]) -> list[dict]:
        for row in rows:
            row["status"] = "active" if row["status"] == 0 else "inactive"
        return rows

    def _owned(self, columns: str, table: str, reseller: str | None, owned_by: bool):
        """Every owner's entries, or (owned_by) only those of `reseller` (None: the admin)."""
        where = "x.status <> 2" if table == "pricelists" else "1 = 1"
        params = {}
        if reseller or owned_by:
            where += " AND x.reseller_id = :o"
            params["o"] = self._owner_id(reseller)
        return self._status(self._rows(
            f"SELECT {columns}, x.status, o.number AS reseller FROM {table} x "
            "LEFT JOIN accounts o ON o.id = x.reseller_id AND x.reseller_id <> 0 "
            f"WHERE {where} ORDER BY x.id", **params))

    def list_rate_groups(self, engine, reseller: str | None = None, owned_by: bool = False):
        return self._owned("x.name", "pricelists", reseller, owned_by)

    def list_taxes(self, engine, reseller: str | None = None, owned_by: bool = False):
        return self._owned("x.taxes_description AS name, x.taxes_rate AS rate, "
                           "x.taxes_amount AS amount, x.taxes_priority AS priority",
                           "taxes", reseller, owned_by)

    def list_roles(self, engine):
        rows = self._rows("SELECT name, login_type, description FROM permissions "
                          "WHERE reseller_id = 0 ORDER BY id")
        return [{"name": r["name"], "for": "reseller" if r["login_type"] == 1 else "admin",
                 "description": r["description"] or ""} for r in rows]

    def reference(self, engine, what: str, search: str | None):
        t = self.target
        if what == "countries":
            rows = [{"alpha2": iso, "alpha3": alpha3, "name": name, "dial_code": dial}
                    for iso, (_, name, alpha3, dial) in t.countries.items()]
        elif what == "currencies":
            rows = [{"code": code, "name": name} for code, (_, _, name) in t.currencies.items()]
        else:
            rows = [{"name": name} for name in t.zone_name.values()]
        if search:
            rows = [r for r in rows if any(search.casefold() in str(v).casefold()
                                           for v in r.values())]
        return rows

    # --- accounts ------------------------------------------------------------------------

    def find_account(self, engine, number: str | None = None, email: str | None = None,
                     with_devices: bool = False):
        from acctctl.targets.astpp.reads import Where, list_accounts

        where = Where(numbers=None if number is None else [number], email=email)
        with self.target.engine.connect() as conn:
            found = list_accounts(conn, where, "", 1, with_devices=with_devices)
        if not found:
            raise NotFound(f"no account has number {number}" if number is not None
                           else f"no account has email {email}")
        return found[0]

    def list_accounts(self, engine, kind: str | None, reseller: str | None, limit: int | None):
        from acctctl.targets.astpp.reads import Where, list_accounts

        with self.target.engine.connect() as conn:
            return list_accounts(conn, Where(kind=kind, reseller=reseller), "", limit)

    # --- small reads the writer needs ----------------------------------------------------

    def _scalar(self, conn: Connection, sql: str, key: int) -> Any:
        if (sql, key) not in self._memo:
            self._memo[(sql, key)] = conn.execute(sa.text(sql), {"i": key}).scalar()
        return self._memo[(sql, key)]

    def tax_priority(self, conn: Connection, tax_id: int) -> int:
        return self._scalar(conn, "SELECT taxes_priority FROM taxes WHERE id = :i", tax_id) or 0

    def parent_distributor(self, conn: Connection, reseller_id: int) -> int:
        """A sub-reseller copies its parent's Distributor/Commission type (ASTPP's form)."""
        if not reseller_id:
            return 0
        return self._scalar(conn, "SELECT is_distributor FROM accounts WHERE id = :i",
                            reseller_id) or 0

    def role_name(self, conn: Connection, permission_id: int) -> str | None:
        if not permission_id:
            return None
        return self._scalar(conn, "SELECT name FROM permissions WHERE id = :i", permission_id)

