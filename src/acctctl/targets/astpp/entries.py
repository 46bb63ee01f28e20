"""Rate groups (ASTPP's `pricelists`) and taxes (`taxes`) behind the Storage catalog_*
methods, written as ASTPP 6.0's own Rate group and Taxes pages write them
(docs/astpp.md, "Rate groups and taxes"):

- the owner is `reseller_id` (0: the admin), a reseller's accounts.id;
- a rate group's status is 0 active, 1 inactive, 2 deleted: ASTPP's delete keeps the row with
  status 2 and removes its force-routing trunks (`routing`) and origination rates (`routes`,
  also what its `updateRates` trigger does); a deleted one is not found, and its name is free;
- a tax's status is 0 active, 1 inactive; ASTPP's delete removes the row and its
  `taxes_to_accounts` links; its fixed amount is stored in the base currency, converted from
  the creating admin's (as a credit limit is);
- creation_date on create, last_modified_date on every edit (naive UTC, whole seconds).

ASTPP has no unique key on either name: acctctl keeps one per owner (its writers are
serialised by the storage's named lock), compared as ASTPP's utf8_general_ci columns compare.
Roles are not built here: ASTPP's roles are permission sets of page rights, not acctctl's
named roles (refused by the storage, exit 2).
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from acctctl.errors import FieldError, ValidationFailed
from acctctl.targets.astpp.columns import TYPE
from acctctl.targets.astpp.lifecycle import PRICELIST_DELETED

#: what a new rate group gets that acctctl has no field for: the values of ASTPP's seed rate
#: group `default` (markup 0 %, initial increment 0 s, increment 60 s, routing type 0)
RATE_GROUP_FIXED = {"markup": "0", "routing_type": 0, "initially_increment": 0, "inc": 60,
                    "pricelist_id_admin": 0, "routing_prefix": ""}
#: the columns an entry's name is kept in, and their widths (the tables are utf8mb3)
NAME_COLUMN = {"rate_group": ("pricelists", "name", 30),
               "tax": ("taxes", "taxes_description", 255)}
#: taxes_to_accounts.taxes_priority is a signed tinyint: a tax's priority is copied there
MAX_TAX_PRIORITY = 127
STATUS = {"active": 0, "inactive": 1}
TAX_COLUMNS = {"rate": "taxes_rate", "amount": "taxes_amount", "priority": "taxes_priority",
               "status": "status"}
#: what the catalog writes, for the fingerprint (a missing one: exit 5 before any write)
WRITTEN = {"pricelists": ["name", "status", "reseller_id", "creation_date",
                          "last_modified_date", *RATE_GROUP_FIXED],
           "taxes": ["taxes_description", "taxes_rate", "taxes_amount", "taxes_priority",
                     "tax_type", "status", "reseller_id", "creation_date",
                     "last_modified_date"],
           "routes": ["pricelist_id"], "routing": ["pricelist_id"]}


def _money(value: Any) -> Decimal:
    """One spelling per amount (models.rules.check_money's), so a re-apply compares equal."""
    amount = Decimal(str(value or 0))
    return Decimal(format(amount.normalize(), "f")) if amount else Decimal(0)


def owner_id(conn: Connection, owner: str | None) -> int | None:
    """0 for the admin, a live reseller's id (active or not), None when there is none."""
    if not owner:
        return 0
    return conn.execute(sa.text(
        "SELECT id FROM accounts WHERE number = :n AND deleted = 0 AND type = :t "
        "ORDER BY id LIMIT 1"), {"n": owner, "t": TYPE["reseller"]}).scalar()


def find(conn: Connection, target: Any, kind: str, name: str, owner: str | None) -> dict | None:
    """The live entry of `owner` named `name`, locked until the transaction ends."""
    found_owner = owner_id(conn, owner)
    if found_owner is None:
        return None
    if kind == "rate_group":
        row = conn.execute(sa.text(
            "SELECT id, name, status FROM pricelists WHERE name = :n AND reseller_id = :o "
            f"AND status <> {PRICELIST_DELETED} ORDER BY id LIMIT 1 FOR UPDATE"),
            {"n": name, "o": found_owner}).first()
        if row is None:
            return None
        return {"id": row.id, "name": row.name,
                "status": "active" if row.status == 0 else "inactive"}
    row = conn.execute(sa.text(
        "SELECT id, taxes_description, taxes_rate, taxes_amount, taxes_priority, status "
        "FROM taxes WHERE taxes_description = :n AND reseller_id = :o ORDER BY id LIMIT 1 "
        "FOR UPDATE"), {"n": name, "o": found_owner}).first()
    if row is None:
        return None
    amount = Decimal(str(row.taxes_amount or 0)) * target.creator_rate / target.base_rate
    return {"id": row.id, "name": row.taxes_description, "rate": _money(row.taxes_rate),
            "amount": _money(amount.quantize(Decimal("0.00001"), rounding=ROUND_HALF_UP)),
            "priority": int(row.taxes_priority or 0),
            "status": "active" if row.status == 0 else "inactive"}


def problems(kind: str, values: dict) -> None:
    """ASTPP's columns' limits on an entry's values: exit 3 naming the field."""
    found = []
    name = values.get("name")
    if name is not None:
        table, column, width = NAME_COLUMN[kind]
        if len(name) > width:
            found.append(FieldError("name", f"must be at most {width} characters on the astpp "
                                    f"target (ASTPP's {table}.{column} column), got "
                                    f"{len(name)}"))
        if any(ord(ch) > 0xFFFF for ch in name):
            found.append(FieldError("name", "must not contain characters outside the Basic "
                                    "Multilingual Plane (e.g. emoji): ASTPP's tables are "
                                    "utf8mb3"))
    priority = values.get("priority")
    if kind == "tax" and priority is not None and priority > MAX_TAX_PRIORITY:
        found.append(FieldError("priority", f"must be at most {MAX_TAX_PRIORITY} on the astpp "
                                "target (ASTPP copies it into taxes_to_accounts.taxes_priority,"
                                f" a tinyint), got {priority}"))
    if found:
        raise ValidationFailed(found)


def create(conn: Connection, target: Any, kind: str, values: dict, owner: str | None,
           now: datetime) -> int:
    """Insert the entry as ASTPP's add page does; its id. The caller found none of that
    name for the owner (catalog_create checks)."""
    row: dict[str, Any] = {"reseller_id": owner_id(conn, owner) or 0, "creation_date": now,
                           "status": STATUS[values.get("status", "active")]}
    if kind == "rate_group":
        table = "pricelists"
        row.update(name=values["name"], **RATE_GROUP_FIXED)
    else:
        from acctctl.targets.astpp.edit import to_base_currency

        table = "taxes"
        row.update(taxes_description=values["name"], taxes_rate=values["rate"],
                   taxes_amount=to_base_currency(target, values.get("amount") or 0),
                   taxes_priority=values.get("priority", 0), tax_type=0)
    columns = ", ".join(f"`{c}`" for c in row)
    result = conn.execute(sa.text(f"INSERT INTO `{table}` ({columns}) VALUES ("
                                  + ", ".join(f":{c}" for c in row) + ")"), row)
    return int(result.lastrowid)


def update(conn: Connection, target: Any, kind: str, entry_id: int, changes: dict,
           now: datetime) -> None:
    """changes: field -> [old, new], validated; last_modified_date as ASTPP's edit sets it."""
    values: dict[str, Any] = {"last_modified_date": now}
    for key, (_, new) in changes.items():
        if key == "status":
            values["status"] = STATUS[new]
        elif kind == "tax" and key == "amount":
            from acctctl.targets.astpp.edit import to_base_currency

            values["taxes_amount"] = to_base_currency(target, new)
        elif kind == "tax":
            values[TAX_COLUMNS[key]] = new
    table = "pricelists" if kind == "rate_group" else "taxes"
    assignments = ", ".join(f"`{c}` = :{c}" for c in values)
    conn.execute(sa.text(f"UPDATE `{table}` SET {assignments} WHERE id = :entry_id"),
                 {**values, "entry_id": entry_id})


def delete(conn: Connection, kind: str, entry_id: int) -> None:
    """ASTPP's delete: a rate group gets status 2 and loses its routing and rates; a tax goes
    with its links (the caller refused one that accounts use)."""
    if kind == "rate_group":
        for table in ("routing", "routes"):
            conn.execute(sa.text(f"DELETE FROM `{table}` WHERE pricelist_id = :i"),
                         {"i": entry_id})
        conn.execute(sa.text("UPDATE pricelists SET status = :d WHERE id = :i"),
                     {"d": PRICELIST_DELETED, "i": entry_id})
        return
    conn.execute(sa.text("DELETE FROM taxes_to_accounts WHERE taxes_id = :i"), {"i": entry_id})
    conn.execute(sa.text("DELETE FROM taxes WHERE id = :i"), {"i": entry_id})


def users(conn: Connection, kind: str, entry_id: int) -> list[tuple[str, bool]]:
    """The accounts that point at the entry, soft-deleted ones too: (number, deleted)."""
    if kind == "rate_group":
        sql = "SELECT number, deleted FROM accounts WHERE pricelist_id = :i"
    else:
        sql = ("SELECT DISTINCT a.number, a.deleted FROM accounts a JOIN taxes_to_accounts t "
               "ON t.accountid = a.id WHERE t.taxes_id = :i")
    return [(n, bool(d)) for n, d in conn.execute(sa.text(sql + " ORDER BY 1, 2"),
                                                  {"i": entry_id})]


def owned(conn: Connection, account_id: int) -> list[tuple[str, str]]:
    """The live rate groups and the taxes a reseller owns: (kind, name) each."""
    rate_groups = conn.execute(sa.text(
        "SELECT name FROM pricelists WHERE reseller_id = :r AND status <> "
        f"{PRICELIST_DELETED} ORDER BY name"), {"r": account_id}).scalars()
    taxes = conn.execute(sa.text(
        "SELECT taxes_description FROM taxes WHERE reseller_id = :r ORDER BY taxes_description"),
        {"r": account_id}).scalars()
    return [("rate_group", n) for n in rate_groups] + [("tax", n) for n in taxes]
