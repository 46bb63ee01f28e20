"""`batch list|show|undo` and `audit list` (contract §7): what the audit trail knows.

A batch is what one command that created accounts wrote; its id is on every account and
audit record it made. Undo purges those accounts in one transaction, unless any of them was
changed since (updated_at set by every day-two command) or owns something outside the batch.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from acctctl.errors import Conflict, NotFound
from acctctl.models.rules import control_problem
from acctctl.models.tables import Account, AuditEvent
from acctctl.service.changes import ChangeOptions, audit, transaction
from acctctl.service.lifecycle import owned_by, purge_accounts

A = Account.__table__
AE = AuditEvent.__table__
CREATED = AE.c.action.like("create %")
#: this database's own accounts: when it is also the astpp target's ledger (by default both
#: are the SQLite file in the user data dir), ASTPP's trails are not its batches (ledger.py)
OWN = AE.c.target.is_(None)


def list_batches(engine: Engine, limit: int | None = None) -> list[dict]:
    """Newest first: id, time, actor, mode, command, how many it created, how many remain."""
    first = (sa.select(AE.c.batch_id, sa.func.min(AE.c.id).label("first_id"),
                       sa.func.count().label("created"))
             .where(CREATED, OWN).group_by(AE.c.batch_id).subquery())
    live = (sa.select(A.c.batch_id, sa.func.count().label("live"))
            .where(A.c.deleted_at.is_(None)).group_by(A.c.batch_id).subquery())
    query = (sa.select(first.c.batch_id, AE.c.at, AE.c.actor, AE.c.mode, AE.c.command,
                       first.c.created, sa.func.coalesce(live.c.live, 0).label("live"))
             .select_from(first.join(AE, AE.c.id == first.c.first_id)
                          .outerjoin(live, live.c.batch_id == first.c.batch_id))
             .order_by(AE.c.at.desc(), AE.c.id.desc()))
    if limit:
        query = query.limit(limit)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def batch_exists(conn, batch_id: str) -> bool:
    if control_problem(batch_id):  # no id holds one, and PostgreSQL refuses NUL in a query
        return False
    return (conn.execute(sa.select(AE.c.id).where(AE.c.batch_id == batch_id, OWN).limit(1)
                         ).first()
            is not None or conn.execute(sa.select(A.c.id).where(A.c.batch_id == batch_id)
                                        .limit(1)).first() is not None)


def show_batch(engine: Engine, batch_id: str) -> list[dict]:
    """The accounts the batch created that still exist (soft-deleted ones included)."""
    from acctctl.service.records import AccountFilter, load_accounts

    with engine.connect() as conn:
        if not batch_exists(conn, batch_id):
            raise NotFound(f"no batch has id {batch_id}")
        return load_accounts(conn, where=AccountFilter(batch_id=batch_id, include_deleted=True))


def undo_batch(engine: Engine, batch_id: str, options: ChangeOptions) -> list[dict]:
    """Purge what the batch created, with SIP devices and tax links; refused (exit 4, nothing
    changed) when any of its accounts changed since or owns something outside the batch."""
    with transaction(engine, options.dry_run) as conn:
        if not batch_exists(conn, batch_id):
            raise NotFound(f"no batch has id {batch_id}")
        query = sa.select(A.c.id, A.c.number, A.c.kind, A.c.updated_at).where(
            A.c.batch_id == batch_id).order_by(A.c.number)
        if conn.dialect.name == "postgresql":
            query = query.with_for_update()
        rows = list(conn.execute(query))
        changed = [r.number for r in rows if r.updated_at is not None]
        problems = []
        if changed:
            shown = ", ".join(changed[:10]) + (f" and {len(changed) - 10} more"
                                               if len(changed) > 10 else "")
            problems.append(f"changed since it was created: {shown}")
        problems += owned_by(conn, [r.id for r in rows], include_deleted=True,
                             outside_batch=batch_id)
        if problems:
            from acctctl.service.catalog import catalog_hint

            raise Conflict(f"cannot undo batch {batch_id}: " + "; ".join(problems)
                           + "; nothing was changed",
                           hint=catalog_hint(conn, [r.id for r in rows]))
        options.batch_id = batch_id  # the undo belongs to the batch's own history
        audit(conn, options, "undo batch", [(None, r.number, None) for r in rows])
        purge_accounts(conn, [r.id for r in rows])
    return [{"number": r.number, "kind": r.kind, "action": "purged"} for r in rows]


def list_audit(engine: Engine, account: str | None = None, batch_id: str | None = None,
               since: datetime | None = None, limit: int | None = None) -> list[dict]:
    """Audit records, newest first. No secret or hash is ever stored in them."""
    from acctctl.ledger import Ledger

    return Ledger(engine, None).list_audit(account, batch_id, since, limit)
