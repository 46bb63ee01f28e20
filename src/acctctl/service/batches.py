"""`batch list|show|undo` and `audit list` (contract §7): what the ledger knows.

A batch is what one command that created accounts wrote; the ledger knows which accounts it
made. Undo purges those accounts in one transaction, unless any of them was changed since or
owns something outside the batch.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from acctctl.errors import Conflict, NotFound
from acctctl.service.changes import ChangeOptions, audit, transaction
from acctctl.service.lifecycle import refusals
from acctctl.storage import CATALOG_KINDS, AccountFilter, Storage, as_storage


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
    changed) when any of its accounts changed since or owns something outside the batch.
    An `apply` batch (contract §10) also had its catalog entries removed and the accounts it
    updated given their old values back (refused when one changed since)."""
    storage = as_storage(storage)
    updated = _updates_of(storage, batch_id)
    with transaction(storage, options.dry_run) as conn:
        if not storage.ledger.batch_exists(conn, batch_id):
            raise NotFound(f"no batch has id {batch_id}")
        numbers = storage.ledger.batch_accounts(conn, batch_id)
        found = storage.find(conn, numbers, batch_id=batch_id)
        accounts = sorted(found.values(), key=lambda a: a.number)
        entries = [m for m in storage.ledger.batch_set_members(conn, batch_id)
                   if m.kind in CATALOG_KINDS]
        catalog = storage.ledger.batch_catalog_changes(conn, batch_id)
        changed = [a.number for a in accounts if a.changed]
        changed += [n for n, (_, later) in updated.items() if later]
        problems = []
        if changed:
            shown = ", ".join(changed[:10]) + (f" and {len(changed) - 10} more"
                                               if len(changed) > 10 else "")
            problems.append(f"changed since it was created: {shown}")
        restores, problems_of_catalog = _catalog_restores(storage, conn, catalog)
        problems += problems_of_catalog
        problems += [p for p in refusals(storage, conn, accounts, include_deleted=True,
                                         purge=True, outside_batch=batch_id)
                     if not (entries and p.startswith(("rate group", "tax")))]
        if problems:
            raise Conflict(f"cannot undo batch {batch_id}: " + "; ".join(problems)
                           + "; nothing was changed",
                           hint=storage.dependants_hint(conn, accounts))
        options.batch_id = batch_id  # the undo belongs to the batch's own history
        results = _restore(storage, conn, options, updated)
        audit(storage, conn, options, "undo batch", [(None, a.number, None) for a in accounts])
        owners = [a for a in accounts if a.kind == "reseller"]
        owned = [a for a in accounts if a.kind != "reseller"]
        if owned:
            storage.purge(conn, owned)
        # what resellers own before them; the admin's after them (a reseller may use one)
        results += _remove_entries(storage, conn, [m for m in entries if "@" in m.key])
        for change, old in restores:
            storage.catalog_update(conn, change.kind, change.entry_id, old)
            results.append({"number": change.key, "kind": change.kind, "action": "restored"})
        storage.ledger.undo_catalog_changes(conn, batch_id)
        if owners:
            storage.purge(conn, owners)
        results += _remove_entries(storage, conn, [m for m in entries if "@" not in m.key])
        storage.ledger.drop_set_members(conn, storage.ledger.batch_set_members(conn, batch_id))
    return [{"number": a.number, "kind": a.kind, "action": "purged"}
            for a in accounts] + results


def _updates_of(storage: Storage, batch_id: str) -> dict[str, tuple[dict, bool]]:
    """The accounts the batch updated and not yet restored: number -> (the old values,
    whether another command changed it since)."""
    records = storage.ledger.list_audit(batch_id=batch_id)  # newest first
    undone = {r["account"] for r in records if r["action"] == "undo batch"}
    found: dict[str, tuple[dict, bool]] = {}
    for r in reversed(records):
        number = r["account"]
        if r["action"] != "update" or not r["changes"] or number in undone:
            continue
        old = found.get(number, ({}, False))[0]
        for key, (before, _after) in r["changes"].items():
            old.setdefault(key, before)  # the oldest old value of the batch
        found[number] = (old, False)
    for number, (old, _) in found.items():
        newest = storage.ledger.list_audit(account=number, limit=1)
        found[number] = (old, bool(newest) and newest[0]["batch_id"] != batch_id)
    return found


def _restore(storage: Storage, conn, options: ChangeOptions,
             updated: dict[str, tuple[dict, bool]]) -> list[dict]:
    """Give the updated accounts their old values back, through update's own rules."""
    if not updated:
        return []
    from acctctl.config import Settings
    from acctctl.errors import ValidationFailed
    from acctctl.service.update import UpdateRun

    run = UpdateRun(storage, storage.settings or Settings(), options)
    run.action = "undo batch"
    run.conn, run.lookups = conn, storage.lookups(conn)
    run.chunk([(i, {"number": n, **old}) for i, (n, (old, _)) in
               enumerate(sorted(updated.items()), start=1)])
    if run.result.errors:
        raise ValidationFailed(run.result.errors, message="cannot restore the old values: "
                               "nothing was changed")
    return [{"number": r["number"], "kind": r["kind"], "action": "restored"}
            for r in run.result.updated]


def _catalog_restores(storage: Storage, conn, changes: list) -> tuple[list, list[str]]:
    """What gives the catalog entries the batch updated their old values back: (change,
    {field: [now, old]}) each, and the problems (an entry gone, or changed since: a field
    no longer holds the value the batch gave it)."""
    restores, changed, gone = [], [], []
    for change in changes:  # one per entry: a file declares an entry once
        name, _, owner = change.key.partition("@")
        entry = storage.catalog_find(conn, change.kind, name, owner or None)
        if entry is None or entry["id"] != change.entry_id:
            gone.append(f"{CATALOG_KINDS[change.kind]} {change.key}")
            continue
        if any(_typed(entry.get(k), new) != entry.get(k)
               for k, (_old, new) in change.changes.items()):
            changed.append(f"{CATALOG_KINDS[change.kind]} {change.key}")
            continue
        restores.append((change, {k: [new, _typed(entry.get(k), old)]
                                  for k, (old, new) in change.changes.items()}))
    problems = []
    if changed:
        problems.append("changed since the batch updated it: " + ", ".join(changed[:10]))
    if gone:
        problems.append("deleted since the batch updated it: " + ", ".join(gone[:10]))
    return restores, problems


def _typed(current, old):
    """A value read back from the record as the column holds it (a Decimal's digits back to
    a Decimal, which compares by value, not by its number of places)."""
    if isinstance(current, Decimal) and old is not None:
        return Decimal(str(old))
    return old


def _remove_entries(storage: Storage, conn, entries: list) -> list[dict]:
    """Delete the catalog entries the batch created, once no account uses them."""
    done = []
    for m in reversed(entries):  # what owners made after their owners: removed first
        name, _, owner = m.key.partition("@")
        entry = storage.catalog_find(conn, m.kind, name, owner or None)
        if entry is None or entry["id"] != m.target_id:
            continue
        users = storage.catalog_users(conn, m.kind, entry["id"])
        if users:
            raise Conflict(f"cannot undo: {CATALOG_KINDS[m.kind]} {m.key} is used by "
                           + ", ".join(n for n, _ in users[:10]) + "; nothing was changed")
        storage.catalog_delete(conn, m.kind, entry["id"])
        done.append({"number": m.key, "kind": m.kind, "action": "deleted"})
    return done


def list_audit(storage: Storage, account: str | None = None, batch_id: str | None = None,
               since: datetime | None = None, limit: int | None = None) -> list[dict]:
    """Audit records, newest first. No secret or hash is ever stored in them."""
    return as_storage(storage).ledger.list_audit(account, batch_id, since, limit)
