"""`batch undo` on the astpp target: the accounts a batch created, as the ledger recorded them
(locked, then compared with what the batch wrote). The purge, dependants and billing-history
checks undo shares with `account delete --purge` are in targets/astpp/lifecycle.py.

Plain functions on the caller's connection, inside its transaction (never a commit); raw
SQL through text(): ASTPP's zero dates come back as strings.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from acctctl.storage import StoredAccount
from acctctl.targets.astpp.columns import KIND_OF_TYPE


def _in(sql: str, **lists) -> sa.TextClause:
    return sa.text(sql).bindparams(*(sa.bindparam(k, expanding=True) for k in lists))


def lock(conn: Connection, ids: list[int]) -> None:
    """FOR UPDATE on these accounts rows until the transaction ends: ASTPP's own pages wait
    to change them until the undo is done (or refused), so what it compared is what it purges."""
    if ids:
        conn.execute(_in("SELECT id FROM accounts WHERE id IN :ids ORDER BY id FOR UPDATE",
                         ids=None), {"ids": sorted(ids)})


def batch_found(conn: Connection, members: dict[int, tuple[str, bool]]
                ) -> dict[str, StoredAccount]:
    """number -> the batch's accounts still in ASTPP, deleted ones too, by their ASTPP id (a
    number may have been given to another account since). members: ASTPP id -> (number,
    changed since the batch wrote it), from the ledger."""
    if not members:
        return {}
    rows = conn.execute(_in(
        "SELECT id, number, type, status, deleted, reseller_id FROM accounts WHERE id IN :ids "
        "ORDER BY id", ids=None), {"ids": sorted(members)})
    found = {}
    for row in rows:
        number, changed = members[row.id]
        found[number] = StoredAccount(
            id=row.id, number=number, kind=KIND_OF_TYPE.get(row.type, "customer"),
            status="active" if row.status == 0 else "inactive", deleted=bool(row.deleted),
            values={}, owner_id=row.reseller_id or None, changed=changed)
    return found
