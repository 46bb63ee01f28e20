"""What every day-two command that changes accounts shares (contract §7): one transaction,
live accounts found by number (exit 3 naming every unknown one), an audit record per account
changed, with old -> new for each changed non-secret field.

Knows nothing of Typer, questionary or rich.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from acctctl.errors import NotFound
from acctctl.models.rules import control_problem
from acctctl.models.tables import Account, AuditEvent, SipDevice
from acctctl.plain import plain
from acctctl.service.lookups import _chunks

A = Account.__table__
SD = SipDevice.__table__
AE = AuditEvent.__table__


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


def _os_user() -> str:
    from acctctl.service.accounts import _os_user as user

    return user()


@contextmanager
def transaction(engine: Engine, dry_run: bool = False):
    """One transaction for the whole command; rolled back on error, or when only trying."""
    with engine.connect() as conn:
        tx = conn.begin()
        try:
            yield conn
        except BaseException:
            tx.rollback()
            raise
        if dry_run:
            tx.rollback()
        else:
            tx.commit()


def find_live(conn: Connection, numbers: Iterable[str], *, deleted_too: bool = False,
              lock: bool = True) -> dict[str, dict]:
    """number -> accounts row of the live account with that number. deleted_too: a number no
    live account has may match a soft-deleted one (the newest), for --purge. Exit 3 naming
    every number that matches nothing."""
    wanted = list(dict.fromkeys(numbers))
    found: dict[str, dict] = {}
    # no number holds a control character, and PostgreSQL refuses NUL in a query
    for chunk in _chunks([n for n in wanted if not control_problem(n)]):
        query = sa.select(A).where(A.c.number.in_(chunk), A.c.deleted_at.is_(None)) \
            .order_by(A.c.id)
        found.update((r.number, dict(r._mapping)) for r in conn.execute(_locked(conn, query,
                                                                               lock)))
    missing = [n for n in wanted if n not in found]
    if deleted_too and missing:
        query = (sa.select(A).where(A.c.number.in_([n for n in missing
                                                     if not control_problem(n)]),
                                    A.c.deleted_at.is_not(None))
                 .order_by(A.c.deleted_at))
        rows = conn.execute(_locked(conn, query, lock))
        found.update((r.number, dict(r._mapping)) for r in rows)  # the newest wins
        missing = [n for n in wanted if n not in found]
    if missing:
        raise NotFound(f"no account has number {', '.join(missing)}"
                       if len(missing) < 20 else
                       f"{len(missing)} numbers match no account, e.g. {missing[0]}")
    return {number: found[number] for number in wanted}  # in the order given


def lock_live(conn: Connection, numbers: Iterable[str]) -> None:
    """Lock the live accounts with these numbers until the transaction ends, so that what is
    read next is what is changed: a concurrent delete, purge or undo either finishes first
    (and the account is then found gone) or waits for this transaction. PostgreSQL: SELECT
    ... FOR UPDATE, whose WHERE is checked again once a concurrent writer commits; SQLite:
    nothing to do, every transaction begins with BEGIN IMMEDIATE (db/engine.py), which
    serialises the writers."""
    if conn.dialect.name != "postgresql":
        return
    for chunk in _chunks([n for n in dict.fromkeys(numbers) if n and not control_problem(n)]):
        conn.execute(_locked(conn, sa.select(A.c.id).where(
            A.c.number.in_(chunk), A.c.deleted_at.is_(None)).order_by(A.c.id)))


def _locked(conn: Connection, query, lock: bool = True):
    """The query with FOR UPDATE on PostgreSQL (the rows read are locked in the order read:
    by id, so two commands locking the same accounts do not deadlock)."""
    if lock and conn.dialect.name == "postgresql":
        return query.with_for_update(of=A)
    return query


def audit(conn: Connection, options: ChangeOptions, action: str,
          events: list[tuple[int | None, str, dict | None]]) -> None:
    """One audit record per account: (account id, number, {field: [old, new]} or None)."""
    if not events:
        return
    conn.execute(sa.insert(AE), [
        {"at": options.now, "actor": options.actor, "action": action, "account_id": account_id,
         "account_number": number, "mode": options.mode, "batch_id": options.batch_id,
         "command": options.command, "profile": options.profile,
         "changes": json.dumps(plain(changes), ensure_ascii=False) if changes else None}
        for account_id, number, changes in events
    ])


def set_device_status(conn: Connection, account_ids: list[int], status: str) -> None:
    """A SIP device follows its account's status."""
    for chunk in _chunks(account_ids):
        conn.execute(sa.update(SD).where(SD.c.account_id.in_(chunk), SD.c.deleted_at.is_(None))
                     .values(status=status))
