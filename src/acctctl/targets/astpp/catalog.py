"""Reading ASTPP: its lists (for the wizard and the look-ups) and its live accounts in the
same output shape as acctctl's own (``account list|show``).

Raw SQL through SQLAlchemy text(): ASTPP's zero dates come back from PyMySQL as the string
'0000-00-00 00:00:00', which a DateTime type would choke on; they read as "not set".
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from acctctl.errors import NotFound
from acctctl.targets.astpp.columns import KIND_OF_TYPE, SCHEDULE_OF_SWEEP, TYPE

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
                if what == "rate group":  # ASTPP has them; acctctl makes none on this target
                    listing = "acctctl rategroup list" + (
                        f" --reseller {owner.removeprefix('reseller ')}" if owner_id else "")
                    why += (f" (rate groups are made in ASTPP: log in as {owner}, add one under"
                            " Tariff > Rate group, then give its name with --rate-group NAME;"
                            f" {listing} lists them)")
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
        found = self._accounts(number=number, email=email, limit=1,
                               with_devices=with_devices)
        if not found:
            raise NotFound(f"no account has number {number}" if number is not None
                           else f"no account has email {email}")
        return found[0]

    def list_accounts(self, engine, kind: str | None, reseller: str | None, limit: int | None):
        owner = None
        if reseller:
            with self.target.engine.connect() as conn:
                owner = conn.execute(sa.text(
                    "SELECT id FROM accounts WHERE number = :n AND type = 1 AND deleted = 0"),
                    {"n": reseller}).scalar()
            if owner is None:
                raise NotFound(f"no reseller has number {reseller}")
        return self._accounts(kind=kind, reseller_id=owner, limit=limit)

    def _accounts(self, number=None, email=None, kind=None, reseller_id=None, limit=None,
                  with_devices=False):
        from acctctl.storage.records import account_record

        where, params = ["a.deleted = 0", "a.type IN (-1, 0, 1, 2, 3, 4)"], {}
        if number is not None:
            where.append("a.number = :number")
            params["number"] = number
        if email is not None:
            where.append("a.email = :email")
            params["email"] = email
        if kind is not None:
            where.append("a.type IN :types")
            params["types"] = [TYPE[kind]] + ([-1] if kind == "admin" else [])
        if reseller_id is not None:
            where.append("a.reseller_id = :owner")
            params["owner"] = reseller_id
        sql = ("SELECT a.*, p.name AS _rate_group, o.number AS _reseller, r.name AS _role "
               "FROM accounts a LEFT JOIN pricelists p ON p.id = a.pricelist_id "
               "LEFT JOIN accounts o ON o.id = a.reseller_id AND a.reseller_id <> 0 "
               "LEFT JOIN permissions r ON r.id = a.permission_id AND a.permission_id <> 0 "
               f"WHERE {' AND '.join(where)} ORDER BY a.id"
               + (f" LIMIT {int(limit)}" if limit else ""))
        statement = sa.text(sql)
        if "types" in params:
            statement = statement.bindparams(sa.bindparam("types", expanding=True))
        with self.target.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(statement, params)]
            ids = [r["id"] for r in rows] or [0]
            taxes: dict[int, list[str]] = {}
            for account_id, name in conn.execute(_in(
                    "SELECT l.accountid, t.taxes_description FROM taxes_to_accounts l "
                    "JOIN taxes t ON t.id = l.taxes_id WHERE l.accountid IN :ids "
                    "ORDER BY t.taxes_priority, t.taxes_description", ids=None), {"ids": ids}):
                taxes.setdefault(account_id, []).append(name)
            # username and status only: dir_params holds the secret, never read here
            devices: dict[int, list[dict]] = {}
            for account_id, username, status in conn.execute(_in(
                    "SELECT accountid, username, status FROM sip_devices "
                    "WHERE accountid IN :ids ORDER BY id", ids=None), {"ids": ids}):
                devices.setdefault(account_id, []).append(
                    {"username": username, "status": "active" if status == 0 else "inactive"})
        records = []
        for row in rows:
            record = account_record(self._fields(row), {
                "rate_group": row["_rate_group"], "taxes": taxes.get(row["id"], []),
                "reseller": row["_reseller"], "role": row["_role"],
                "sip_device": row["id"] in devices})
            if with_devices:
                record["sip_devices"] = devices.get(row["id"], [])
            records.append(record)
        return records

    def _fields(self, row: dict) -> dict:
        """An ASTPP accounts row as acctctl's field keys."""
        t = self.target
        kind = KIND_OF_TYPE[row["type"]]
        schedule = SCHEDULE_OF_SWEEP.get(row["sweep_id"])
        return {
            "number": row["number"], "kind": kind, "first_name": row["first_name"],
            "last_name": row["last_name"], "company": row["company_name"],
            "telephone": row["telephone_1"] or None, "email": row["email"] or None,
            "notify_email": row["notification_email"] or None, "address": row["address_1"],
            "city": row["city"], "province": row["province"],
            "postal_code": row["postal_code"],
            "country": t.country_iso.get(row["country_id"]),
            "timezone": t.zone_name.get(row["timezone_id"]),
            "currency": t.currency_code.get(row["currency_id"]),
            "status": "active" if row["status"] == 0 else "inactive",
            "max_channels": row["maxchannels"], "cps": row["cps"],
            "number_translation": row["dialed_modify"], "expiry": _moment(row["expiry"]),
            "valid_days": row["validfordays"], "billing_schedule": schedule,
            "billing_day": row["invoice_day"] if schedule != "daily" else None,
            "account_type": "postpaid" if row["posttoexternal"] else "prepaid",
            "credit_limit": _money(row["credit_limit"]),
            "low_balance_alert": _money(row["notify_credit_limit"]),
            "email_alerts": row["notify_flag"] == 0, "pin": row["pin"] or None,
            "first_used": _moment(row["first_used"]), "balance": _money(row["balance"]),
            "created_at": _moment(row["creation"]), "created_by": None, "batch_id": None,
        }

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


def _moment(value: Any) -> datetime | None:
    """ASTPP datetimes are naive UTC; its zero dates (strings from PyMySQL) mean "not set"."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.year > 1000 else None
    return None


def _money(value: Any) -> Decimal:
    amount = Decimal(str(value or 0))
    return Decimal(format(amount.normalize(), "f")) if amount else Decimal(0)
