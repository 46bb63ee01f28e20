"""`batch list|show|undo` and `audit list` (contract §7): what the ledger knows.

A batch is what one command that created accounts wrote; the ledger knows which accounts it
made. Undo purges those accounts in one transaction, unless any of them was changed since or
owns something outside the batch.
"""

from __future__ import annotations

from datetime import datetime

from acctctl.errors import Conflict, NotFound
from acctctl.service.changes import ChangeOptions, audit, transaction
from acctctl.service.lifecycle import refusals
from acctctl.storage import AccountFilter, Storage, as_storage


def list_batches(storage: Storage, limit: int | None = None) -> list[dict]:
    """Newest first: id, time, actor, mode, command, how many it created, how many remain."""
    return as_storage(storage).ledger.list_batches(limit)


def show_batch(storage: Storage, batch_id: str) -> list[dict]:
    """The accounts the batch created that still exist (soft-deleted ones included)."""
    storage = as_storage(storage)
    with storage.reading() as conn:
        if not storage.ledger.batch_exists(conn, batch_id):
            raise NotFound(f"no batch has id {batch_id}")
    return storage.list_accounts(AccountFilter(batch_id=batch_id, include_deleted=True))


def undo_batch(storage: Storage, batch_id: str, options: ChangeOptions) -> list[dict]:
    """Purge what the batch created, with SIP devices and tax links; refused (exit 4, nothing
    changed) when any of its accounts changed since or owns something outside the batch."""
    storage = as_storage(storage)
    with transaction(storage, options.dry_run) as conn:
        if not storage.ledger.batch_exists(conn, batch_id):
            raise NotFound(f"no batch has id {batch_id}")
        numbers = storage.ledger.batch_accounts(conn, batch_id)
        found = storage.find(conn, numbers, batch_id=batch_id)
        accounts = sorted(found.values(), key=lambda a: a.number)
        changed = [a.number for a in accounts if a.changed]
        problems = []
        if changed:
            shown = ", ".join(changed[:10]) + (f" and {len(changed) - 10} more"
                                               if len(changed) > 10 else "")
            problems.append(f"changed since it was created: {shown}")
        problems += refusals(storage, conn, accounts, include_deleted=True, purge=True,
                             outside_batch=batch_id)
        if problems:
            raise Conflict(f"cannot undo batch {batch_id}: " + "; ".join(problems)
                           + "; nothing was changed",
                           hint=storage.dependants_hint(conn, accounts))
        options.batch_id = batch_id  # the undo belongs to the batch's own history
        audit(storage, conn, options, "undo batch", [(None, a.number, None) for a in accounts])
        storage.purge(conn, accounts)
    return [{"number": a.number, "kind": a.kind, "action": "purged"} for a in accounts]


def list_audit(storage: Storage, account: str | None = None, batch_id: str | None = None,
               since: datetime | None = None, limit: int | None = None) -> list[dict]:
    """Audit records, newest first. No secret or hash is ever stored in them."""
    return as_storage(storage).ledger.list_audit(account, batch_id, since, limit)
