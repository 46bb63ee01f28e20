"""What every day-two command that changes accounts shares (contract §7): one transaction,
live accounts found by number (exit 3 naming every unknown one), an audit record per account
changed, with old -> new for each changed non-secret field.

Knows nothing of Typer, questionary or rich.
"""

from __future__ import annotations

import getpass
import shlex
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from acctctl.db.engine import mask
from acctctl.errors import NotFound
from acctctl.storage import AuditEvent, Storage, StoredAccount, as_storage


@dataclass
class ChangeOptions:
    """Who runs which command, for the audit trail, and how (dry run, partial writes)."""

    command: str = ""
    profile: str | None = None
    actor: str = field(default_factory=lambda: _os_user())
    mode: str = "flags"
    dry_run: bool = False
    continue_on_error: bool = False
    batch_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    now: datetime = field(default_factory=lambda: datetime.now(UTC))


def redact_command(argv: list[str]) -> str:
    """The command line for the audit trail. Secrets never reach argv by design; a database
    URL with a password in it would, so mask those."""
    return shlex.join(mask(a) if "://" in a else a for a in argv)


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name (containers without passwd entries)
        return "unknown"


def transaction(storage: Storage, dry_run: bool = False):
    """One transaction for the whole command (the storage's: its lock, its one rollback).
    A bare engine (the rate group and tax commands) is acctctl's own schema."""
    return as_storage(storage).transaction(dry_run=dry_run)


def find_live(storage: Storage, conn, numbers: Iterable[str], *, deleted_too: bool = False,
              lock: bool = True) -> dict[str, StoredAccount]:
    """number -> the live account with that number, locked until the transaction ends.
    deleted_too: a number no live account has may match a soft-deleted one (the newest),
    for --purge. Exit 3 naming every number that matches nothing."""
    wanted = list(dict.fromkeys(numbers))
    found = storage.find(conn, wanted, deleted_too=deleted_too, lock=lock)
    missing = [n for n in wanted if n not in found]
    if missing:
        raise NotFound(f"no account has number {', '.join(missing)}"
                       if len(missing) < 20 else
                       f"{len(missing)} numbers match no account, e.g. {missing[0]}")
    return {number: found[number] for number in wanted}  # in the order given


def audit(storage: Storage, conn, options: ChangeOptions, action: str,
          events: list[tuple[int | None, str, dict | None]]) -> None:
    """One audit record per account: (account id, number, {field: [old, new]} or None)."""
    if events and storage.supports("ledger"):
        storage.ledger.record(conn, [
            AuditEvent(at=options.now, actor=options.actor, action=action,
                       account_id=account_id, account_number=number, mode=options.mode,
                       batch_id=options.batch_id, command=options.command,
                       profile=options.profile, changes=changes or None)
            for account_id, number, changes in events])
