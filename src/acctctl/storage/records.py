"""The account as users see it: contract field keys, never a hash, owners by number."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from acctctl.db.search import contains_text
from acctctl.models.shown_fields import SHOWN_FIELDS
from acctctl.models.tables import Account, AccountTax, RateGroup, Role, SipDevice, Tax
from acctctl.models.text import control_problem
from acctctl.storage.lookups import chunks

SERVER_KEYS = ("kind", "balance", "created_at", "created_by", "batch_id", "updated_at",
               "deleted_at")
REFERENCE_KEYS = ("rate_group", "taxes", "reseller", "role", "sip_device")


def output_keys(kind: str) -> list[str]:
    """A record's keys: the kind's fields but the secrets (from the models, through their
    generated copy models/shown_fields.py), then what the server sets."""
    keys = ["number", "kind"]
    keys += [key for key in SHOWN_FIELDS[kind] if key not in keys]
    if "sip_device" in keys:  # customers and providers: first use is tracked
        keys.append("first_used")
    keys += [k for k in SERVER_KEYS if k not in keys]
    return keys


@cache
def _record_keys(kind: str) -> tuple[str, ...]:
    return tuple(output_keys(kind))  # once per kind, not once per created account


def account_record(row: Mapping, refs: Mapping) -> dict:
    """row: accounts columns; refs: the names of what the row points at."""
    record = {}
    for key in _record_keys(row["kind"]):
        record[key] = refs[key] if key in REFERENCE_KEYS else row.get(key)
    if record.get("balance") is None and "balance" in record:
        record["balance"] = Decimal(0)  # every account starts at 0, as money
    return record


@dataclass
class AccountFilter:
    """Which accounts a read returns (contract §7 `account list` filters). Only live
    accounts unless include_deleted."""

    number: str | None = None
    numbers: list[str] | None = None
    email: str | None = None
    kind: str | None = None
    reseller_id: int | None = None
    status: str | None = None
    search: str | None = None  # literal, case-insensitive substring
    batch_id: str | None = None
    created_after: datetime | None = None  # inclusive
    include_deleted: bool = False
    sort: str = "number"  # a field key; "-" first for descending
    limit: int | None = None
    offset: int = 0


SEARCH_KEYS = ("number", "first_name", "last_name", "company", "email")


def _account_query(f: AccountFilter):
    A = Account.__table__
    owner = A.alias("owner")
    RG, RL = RateGroup.__table__, Role.__table__
    query = (
        sa.select(
            A,
            RG.c.name.label("_rate_group"),
            owner.c.number.label("_reseller"),
            RL.c.name.label("_role"),
        )
        .select_from(
            A.outerjoin(RG, RG.c.id == A.c.rate_group_id)
            .outerjoin(owner, owner.c.id == A.c.reseller_id)
            .outerjoin(RL, RL.c.id == A.c.role_id)
        )
    )
    if not f.include_deleted:
        query = query.where(A.c.deleted_at.is_(None))
    texts = [f.number, f.email, f.batch_id, f.search, *(f.numbers or [])]
    if any(control_problem(t) for t in texts if t):
        # no stored value holds a control character, and PostgreSQL refuses NUL in a query
        return query.where(sa.false()), {"reseller": owner.c.number, "rate_group": RG.c.name,
                                          "role": RL.c.name}
    if f.number is not None:
        query = query.where(A.c.number == f.number)
    if f.numbers is not None:
        query = query.where(A.c.number.in_(f.numbers))
    if f.email is not None:
        query = query.where(A.c.email_key == f.email.casefold())
    if f.kind is not None:
        query = query.where(A.c.kind == f.kind)
    if f.reseller_id is not None:
        query = query.where(A.c.reseller_id == f.reseller_id)
    if f.status is not None:
        query = query.where(A.c.status == f.status)
    if f.batch_id is not None:
        query = query.where(A.c.batch_id == f.batch_id)
    if f.created_after is not None:
        query = query.where(A.c.created_at >= f.created_after)
    if f.search:
        # literal and case-insensitive, any length up to the value limit, alike on SQLite
        # and PostgreSQL (no LIKE pattern: db/search.py)
        query = query.where(sa.or_(*(contains_text(A.c[key], f.search)
                                     for key in SEARCH_KEYS)))
    return query, {"reseller": owner.c.number, "rate_group": RG.c.name, "role": RL.c.name}


#: Keys `account list --sort` accepts: every field key a listed account shows.
SORT_KEYS = ("number", "kind", "reseller", "pin", "status", "max_channels", "cps", "expiry",
             "first_name", "last_name", "email", "company", "address", "city", "province",
             "postal_code", "country", "telephone", "timezone", "rate_group",
             "billing_schedule", "billing_day", "currency", "account_type", "credit_limit",
             "low_balance_alert", "notify_email", "first_used", "balance", "role",
             "created_at", "created_by", "batch_id", "updated_at", "deleted_at")


def sort_column(key: str, joined: dict):
    """The column behind a sort key: an accounts column, or an owner/rate group/role name."""
    if key in joined:
        return joined[key]
    return Account.__table__.c[key]


def count_accounts(conn: Connection, f: AccountFilter) -> int:
    query, _ = _account_query(f)
    return conn.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()


def load_accounts(
    conn: Connection,
    number: str | None = None,
    email: str | None = None,
    kind: str | None = None,
    reseller_id: int | None = None,
    limit: int | None = None,
    *,
    where: AccountFilter | None = None,
    with_devices: bool = False,
    with_ids: bool = False,
) -> list[dict]:
    """Accounts as users see them. with_devices: their SIP devices (username, status, never
    the secret); with_ids: the row ids too (`_id`, `_reseller_id`), for the service only."""
    f = where or AccountFilter(number=number, email=email, kind=kind, reseller_id=reseller_id,
                               limit=limit, sort="")
    A = Account.__table__
    query, joined = _account_query(f)
    if f.sort:
        descending = f.sort.startswith("-")
        column = sort_column(f.sort.lstrip("-"), joined)
        query = query.order_by(column.desc() if descending else column.asc(), A.c.id)
    else:
        query = query.order_by(A.c.id)
    if f.limit is not None:
        query = query.limit(f.limit)
    if f.offset:
        query = query.offset(f.offset)
    rows = [dict(r._mapping) for r in conn.execute(query)]
    ids = [r["id"] for r in rows]
    taxes: dict[int, list[str]] = {i: [] for i in ids}
    devices: dict[int, list[dict]] = {i: [] for i in ids}
    AT, TX, SD = AccountTax.__table__, Tax.__table__, SipDevice.__table__
    for chunk in chunks(ids):
        for account_id, name in conn.execute(
            sa.select(AT.c.account_id, TX.c.name)
            .join(TX, TX.c.id == AT.c.tax_id)
            .where(AT.c.account_id.in_(chunk))
            .order_by(TX.c.priority, TX.c.name)
        ):
            taxes[account_id].append(name)
        for account_id, username, status in conn.execute(
            sa.select(SD.c.account_id, SD.c.username, SD.c.status)
            .where(SD.c.account_id.in_(chunk)).order_by(SD.c.id)
        ):
            devices[account_id].append({"username": username, "status": status})
    records = []
    for row in rows:
        record = account_record(
            row,
            {
                "rate_group": row["_rate_group"],
                "taxes": taxes[row["id"]],
                "reseller": row["_reseller"],
                "role": row["_role"],
                "sip_device": bool(devices[row["id"]]),
            },
        )
        if with_devices:
            record["sip_devices"] = devices[row["id"]]
        if with_ids:
            record["_id"], record["_reseller_id"] = row["id"], row["reseller_id"]
        records.append(record)
    return records

