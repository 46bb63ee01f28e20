"""`account export`: rows that `create KIND --from-file` accepts unchanged (contract §7).

Every input key of the kind (not the read-only ones; `expiry`, not `valid_days`), plus
`password_hash`, and with secrets the SIP device's `sip_password`. Owners come before the
accounts they own, so a file of resellers imports in one pass.
"""

from __future__ import annotations

from acctctl.models.inputs import KINDS, field_specs
from acctctl.storage import AccountFilter, Storage, as_storage

NOT_EXPORTED = ("password", "valid_days")


def export_keys(kind: str, with_secrets: bool) -> list[str]:
    keys = [k for k in field_specs(KINDS[kind]) if k not in NOT_EXPORTED]
    if not with_secrets and "sip_password" in keys:
        keys.remove("sip_password")
    return keys


def export_accounts(storage: Storage, kind: str, with_secrets: bool = False, *,
                    sort: str = "number", limit: int | None = None, offset: int = 0,
                    **filters) -> tuple[list[str], list[dict]]:
    """(the keys, the rows), owners first. Filters: those of `account list`."""
    keys = export_keys(kind, with_secrets)
    filters.pop("kind", None)
    records = list(as_storage(storage).export_rows(kind, keys, AccountFilter(**filters),
                                                   sort=sort, limit=limit, offset=offset))
    return keys, [{k: record.get(k) for k in keys} for record in owners_first(records)]


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
