"""`account export`: rows that `create KIND --from-file` accepts unchanged (contract §7).

Every input key of the kind (not the read-only ones; `expiry`, not `valid_days`), plus
`password_hash`, and with secrets the SIP device's `sip_password`. Owners come before the
accounts they own, so a file of resellers imports in one pass.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from acctctl.models.inputs import KINDS, field_specs
from acctctl.models.tables import Account, SipDevice
from acctctl.service.lookups import _chunks

A = Account.__table__
SD = SipDevice.__table__
NOT_EXPORTED = ("password", "valid_days")


def export_keys(kind: str, with_secrets: bool) -> list[str]:
    keys = [k for k in field_specs(KINDS[kind]) if k not in NOT_EXPORTED]
    if not with_secrets and "sip_password" in keys:
        keys.remove("sip_password")
    return keys


def export_accounts(engine: Engine, kind: str, with_secrets: bool = False,
                    **filters) -> tuple[list[str], list[dict]]:
    """(the keys, the rows), owners first. Filters: those of `account list`."""
    from acctctl.service.catalog import list_page

    keys = export_keys(kind, with_secrets)
    records, _ = list_page(engine, kind=kind, with_ids=True, **filters)
    ids = [r["_id"] for r in records]
    hashes: dict[int, str] = {}
    secrets: dict[int, str] = {}
    with engine.connect() as conn:
        for chunk in _chunks(ids):
            hashes.update((i, h) for i, h in conn.execute(
                sa.select(A.c.id, A.c.password_hash).where(A.c.id.in_(chunk))))
            if "sip_password" in keys:
                rows = conn.execute(sa.select(SD.c.account_id, SD.c.secret).where(
                    SD.c.account_id.in_(chunk), SD.c.deleted_at.is_(None)).order_by(SD.c.id))
                for account_id, secret in rows:
                    secrets.setdefault(account_id, secret)
    rows = []
    for record in owners_first(records):
        row = {k: record.get(k) for k in keys if k in record}
        row["password_hash"] = hashes[record["_id"]]
        if "sip_password" in keys:
            row["sip_password"] = secrets.get(record["_id"])
        rows.append({k: row.get(k) for k in keys})
    return keys, rows


def owners_first(records: list[dict]) -> list[dict]:
    """Stable order in which every owner in the list comes before what it owns."""
    by_number = {r["number"]: r for r in records}

    def depth(record: dict) -> int:
        level, seen = 0, set()
        owner = record.get("reseller")
        while owner in by_number and owner not in seen:
            seen.add(owner)
            level += 1
            owner = by_number[owner].get("reseller")
        return level

    return sorted(records, key=depth)
