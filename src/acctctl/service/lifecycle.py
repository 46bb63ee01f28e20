"""`account disable|enable|delete|reset-password|rotate-sip-secret` (contract §7).

Each call is one transaction over all the numbers given (all or nothing), with an audit record
per account changed. Knows nothing of Typer, questionary or rich.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from acctctl.errors import Conflict, FieldError, NotFound, ValidationFailed
from acctctl.models.tables import Account, RateGroup, SipDevice, Tax
from acctctl.service import secrets_
from acctctl.service.changes import (
    ChangeOptions,
    audit,
    find_live,
    set_device_status,
    transaction,
)

A = Account.__table__
SD = SipDevice.__table__

#: before_commit of reset_password / rotate_sip_secret: delivers the result's generated secret
Deliver = Callable[[dict], None]


def set_status(engine: Engine, numbers: list[str], status: str,
               options: ChangeOptions) -> list[dict]:
    """Disable or enable accounts and their SIP devices. Already so: reported, not audited."""
    results = []
    with transaction(engine, options.dry_run) as conn:
        found = find_live(conn, numbers)
        changed = [row for row in found.values() if row["status"] != status]
        ids = [row["id"] for row in changed]
        if ids:
            conn.execute(sa.update(A).where(A.c.id.in_(ids))
                         .values(status=status, updated_at=options.now))
            set_device_status(conn, ids, status)
        audit(conn, options, "enable" if status == "active" else "disable",
              [(r["id"], r["number"], {"status": [r["status"], status]}) for r in changed])
        for row in found.values():
            results.append({"number": row["number"], "kind": row["kind"], "status": status,
                            "changed": row["status"] != status})
    return results


def delete_accounts(engine: Engine, numbers: list[str], purge: bool,
                    options: ChangeOptions) -> list[dict]:
    """Soft delete (the account leaves list, show and uniqueness; its SIP devices are
    disabled), or with purge remove the rows. A reseller that still owns something: exit 4."""
    results = []
    with transaction(engine, options.dry_run) as conn:
        found = find_live(conn, numbers, deleted_too=purge)
        ids = [row["id"] for row in found.values()]
        dependants = owned_by(conn, ids, include_deleted=purge)
        if dependants:
            raise Conflict(
                "cannot delete: " + "; ".join(dependants) + "; nothing was changed",
                hint=owner_hint(conn, ids),
            )
        if purge:
            audit(conn, options, "purge", [(None, r["number"], None) for r in found.values()])
            purge_accounts(conn, ids)
        else:
            conn.execute(sa.update(A).where(A.c.id.in_(ids))
                         .values(deleted_at=options.now, updated_at=options.now))
            conn.execute(sa.update(SD).where(SD.c.account_id.in_(ids), SD.c.deleted_at.is_(None))
                         .values(status="inactive", deleted_at=options.now))
            audit(conn, options, "delete",
                  [(r["id"], r["number"], None) for r in found.values()])
        for row in found.values():
            results.append({"number": row["number"], "kind": row["kind"],
                            "action": "purged" if purge else "deleted"})
    return results


def owned_by(conn: Connection, ids: list[int], include_deleted: bool,
             outside_batch: str | None = None) -> list[str]:
    """What still depends on these accounts as owner, other than themselves: accounts (live
    ones; with include_deleted also soft-deleted ones, which a purge would orphan), rate
    groups and taxes. outside_batch: only accounts not created by that batch."""
    if not ids:
        return []
    found = []
    owned = sa.select(A.c.number, A.c.deleted_at).where(
        A.c.reseller_id.in_(ids), A.c.id.not_in(ids)).order_by(A.c.number)
    if not include_deleted:
        owned = owned.where(A.c.deleted_at.is_(None))
    if outside_batch is not None:
        owned = owned.where(A.c.batch_id != outside_batch)
    accounts = [(n, d is not None) for n, d in conn.execute(owned)]
    if accounts:
        shown = ", ".join(n + (" (deleted)" if d else "") for n, d in accounts[:10])
        more = f" and {len(accounts) - 10} more" if len(accounts) > 10 else ""
        found.append(f"{len(accounts)} account{'s' if len(accounts) != 1 else ''} "
                     f"owned: {shown}{more}")
    for table, what in ((RateGroup.__table__, "rate group"), (Tax.__table__, "tax")):
        names = list(conn.execute(sa.select(table.c.name).where(table.c.reseller_id.in_(ids))
                                  .order_by(table.c.name)).scalars())
        if names:
            plural = "es" if what == "tax" else "s"
            found.append(f"{what}{plural if len(names) != 1 else ''} owned: "
                         + ", ".join(repr(n) for n in names))
    return found


def owner_hint(conn: Connection, ids: list[int]) -> str:
    """What to do about what a reseller owns: the rate groups and taxes by the commands that
    remove them (rategroup|tax delete), else the general advice."""
    from acctctl.service.catalog import catalog_hint

    return catalog_hint(conn, ids) or "delete or move what depends on the reseller first"


def purge_accounts(conn: Connection, ids: list[int]) -> None:
    """Remove the rows: SIP devices and tax links go with them (ON DELETE CASCADE), audit
    records stay (their account id becomes NULL, the number is kept). Owned before owners."""
    remaining = set(ids)
    while remaining:
        owners = set(conn.execute(sa.select(A.c.reseller_id).where(
            A.c.id.in_(remaining), A.c.reseller_id.in_(remaining))).scalars())
        leaves = remaining - owners or remaining
        conn.execute(sa.delete(A).where(A.c.id.in_(leaves)))
        remaining -= leaves


def reset_password(engine: Engine, settings: Any, number: str, password: str | None,
                   options: ChangeOptions, before_commit: Deliver | None = None) -> dict:
    """A new portal password (generated when None), stored as an argon2id hash only.
    before_commit(result) runs inside the transaction, just before the commit: where the
    caller delivers a generated password; if it raises, nothing is changed."""
    from acctctl.models.rules import RuleContext, password_clash
    from acctctl.models.validate import validate_field

    with transaction(engine, options.dry_run) as conn:
        row = find_live(conn, [number])[number]
        generated = password is None
        if generated:
            password = secrets_.generate_password(settings.passwords.generated_length)
        else:
            ok, clean = validate_field(row["kind"], "password", password,
                                       RuleContext(settings=settings, now=options.now))
            why = clean if not ok else password_clash(password, row["number"], row["email"])
            if why:
                raise ValidationFailed([FieldError("password", why)])
        if not options.dry_run:  # a dry run hashes nothing
            profile = (secrets_.generated_profile(settings) if generated
                       else secrets_.strong_profile(settings))
            conn.execute(sa.update(A).where(A.c.id == row["id"]).values(
                password_hash=secrets_.hash_password(password, profile), updated_at=options.now))
        audit(conn, options, "reset-password", [(row["id"], row["number"], None)])
        result = {"number": row["number"], "kind": row["kind"]}
        if generated:
            result["generated"] = {"password": password}
        if before_commit is not None and not options.dry_run:
            before_commit(result)
    return result


def rotate_sip_secret(engine: Engine, number: str, options: ChangeOptions,
                      before_commit: Deliver | None = None) -> dict:
    """A new generated secret for the account's SIP device (acctctl makes at most one).
    before_commit(result) as for reset_password: the secret is delivered before the commit."""
    with transaction(engine, options.dry_run) as conn:
        row = find_live(conn, [number])[number]
        devices = list(conn.execute(sa.select(SD.c.id, SD.c.username).where(
            SD.c.account_id == row["id"], SD.c.deleted_at.is_(None))))
        if not devices:
            raise NotFound(f"account {number} has no SIP device")
        secret = secrets_.generate_sip_secret()
        conn.execute(sa.update(SD).where(SD.c.id.in_([d.id for d in devices]))
                     .values(secret=secret))
        conn.execute(sa.update(A).where(A.c.id == row["id"]).values(updated_at=options.now))
        audit(conn, options, "rotate-sip-secret", [(row["id"], row["number"], None)])
        result = {"number": row["number"], "kind": row["kind"],
                  "sip_devices": [d.username for d in devices],
                  "generated": {"sip_password": secret}}
        if before_commit is not None and not options.dry_run:
            before_commit(result)
    return result
