"""The account as users see it: contract field keys, never a hash, owners by number."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from functools import cache

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from acctctl.models.inputs import KINDS, field_specs
from acctctl.models.tables import Account, AccountTax, RateGroup, Role, SipDevice, Tax

SERVER_KEYS = ("kind", "balance", "created_at", "created_by", "batch_id")
REFERENCE_KEYS = ("rate_group", "taxes", "reseller", "role", "sip_device")


def output_keys(kind: str) -> list[str]:
    keys = ["number", "kind"]
    for key, spec in field_specs(KINDS[kind]).items():
        if spec["secret"] or key in keys:
            continue
        keys.append(key)
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


def load_accounts(
    conn: Connection,
    number: str | None = None,
    email: str | None = None,
    kind: str | None = None,
    reseller_id: int | None = None,
    limit: int | None = None,
) -> list[dict]:
    A = Account.__table__
    owner = A.alias("owner")
    query = (
        sa.select(
            A,
            RateGroup.__table__.c.name.label("_rate_group"),
            owner.c.number.label("_reseller"),
            Role.__table__.c.name.label("_role"),
        )
        .select_from(
            A.outerjoin(RateGroup.__table__, RateGroup.__table__.c.id == A.c.rate_group_id)
            .outerjoin(owner, owner.c.id == A.c.reseller_id)
            .outerjoin(Role.__table__, Role.__table__.c.id == A.c.role_id)
        )
        .order_by(A.c.id)
    )
    if number is not None:
        query = query.where(A.c.number == number)
    if email is not None:
        query = query.where(A.c.email_key == email.casefold())
    if kind is not None:
        query = query.where(A.c.kind == kind)
    if reseller_id is not None:
        query = query.where(A.c.reseller_id == reseller_id)
    if limit is not None:
        query = query.limit(limit)
    rows = [dict(r._mapping) for r in conn.execute(query)]
    ids = [r["id"] for r in rows]
    taxes: dict[int, list[str]] = {i: [] for i in ids}
    devices: set[int] = set()
    if ids:
        AT, TX, SD = AccountTax.__table__, Tax.__table__, SipDevice.__table__
        for account_id, name in conn.execute(
            sa.select(AT.c.account_id, TX.c.name)
            .join(TX, TX.c.id == AT.c.tax_id)
            .where(AT.c.account_id.in_(ids))
            .order_by(TX.c.priority, TX.c.name)
        ):
            taxes[account_id].append(name)
        devices = set(
            conn.execute(sa.select(SD.c.account_id).where(SD.c.account_id.in_(ids))).scalars()
        )
    return [
        account_record(
            row,
            {
                "rate_group": row["_rate_group"],
                "taxes": taxes[row["id"]],
                "reseller": row["_reseller"],
                "role": row["_role"],
                "sip_device": row["id"] in devices,
            },
        )
        for row in rows
    ]
