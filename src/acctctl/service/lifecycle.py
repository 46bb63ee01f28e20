"""`account disable|enable|delete|reset-password|rotate-sip-secret` (contract §7).

Each call is one transaction over all the numbers given (all or nothing), with an audit record
per account changed. The storage does the writing; this decides what changes and what is
refused. Knows nothing of Typer, questionary or rich.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from acctctl.errors import Conflict, FieldError, NotFound, ValidationFailed
from acctctl.service import secrets_
from acctctl.service.changes import ChangeOptions, audit, find_live, transaction
from acctctl.storage import Storage, StoredAccount, as_storage

#: before_commit of reset_password / rotate_sip_secret: delivers the result's generated secret
Deliver = Callable[[dict], None]


def set_status(storage: Storage, numbers: list[str], status: str,
               options: ChangeOptions) -> list[dict]:
    """Disable or enable accounts and their SIP devices. Already so: reported, not audited."""
    storage = as_storage(storage)
    with transaction(storage, options.dry_run) as conn:
        found = find_live(storage, conn, numbers)
        changed = [a for a in found.values() if a.status != status]
        if changed:
            storage.set_status(conn, changed, status, options.now)
        audit(storage, conn, options, "enable" if status == "active" else "disable",
              [(a.id, a.number, {"status": [a.status, status]}) for a in changed])
    return [{"number": a.number, "kind": a.kind, "status": status,
             "changed": a.status != status} for a in found.values()]


def delete_accounts(storage: Storage, numbers: list[str], purge: bool,
                    options: ChangeOptions) -> list[dict]:
    """Soft delete (the account leaves list, show and uniqueness; its SIP devices are
    disabled), or with purge remove the rows. A reseller that still owns something, or (with
    purge) an account with billing records: exit 4."""
    storage = as_storage(storage)
    with transaction(storage, options.dry_run) as conn:
        found = find_live(storage, conn, numbers, deleted_too=purge)
        accounts = list(found.values())
        refused = refusals(storage, conn, accounts, include_deleted=purge, purge=purge)
        if refused:
            raise Conflict("cannot delete: " + "; ".join(refused) + "; nothing was changed",
                           hint=owner_hint(storage, conn, accounts))
        if purge:
            audit(storage, conn, options, "purge", [(None, a.number, None) for a in accounts])
            storage.purge(conn, accounts)
        else:
            storage.soft_delete(conn, accounts, options.now)
            audit(storage, conn, options, "delete", [(a.id, a.number, None) for a in accounts])
    return [{"number": a.number, "kind": a.kind, "action": "purged" if purge else "deleted"}
            for a in accounts]


def refusals(storage: Storage, conn, accounts: list[StoredAccount], *, include_deleted: bool,
             purge: bool, outside_batch: str | None = None) -> list[str]:
    """Why these accounts cannot go: what they own, and for a purge their billing records."""
    found = storage.dependants(conn, accounts, include_deleted=include_deleted,
                               outside_batch=outside_batch)
    if purge:
        found += storage.billing_history(conn, accounts)
    return found


def owner_hint(storage: Storage, conn, accounts: list[StoredAccount]) -> str:
    """What to do about what a reseller owns: the commands that remove it, else the general
    advice."""
    return (storage.dependants_hint(conn, accounts)
            or "delete or move what depends on the reseller first")


def reset_password(storage: Storage, settings: Any, number: str, password: str | None,
                   options: ChangeOptions, before_commit: Deliver | None = None) -> dict:
    """A new portal password (generated when None), stored as the storage keeps passwords.
    before_commit(result) runs inside the transaction, just before the commit: where the
    caller delivers a generated password; if it raises, nothing is changed."""
    from acctctl.models.rules import RuleContext, password_clash
    from acctctl.models.validate import validate_field

    storage = as_storage(storage)
    with transaction(storage, options.dry_run) as conn:
        account = find_live(storage, conn, [number])[number]
        generated = password is None
        if generated:
            password = secrets_.generate_password(settings.passwords.generated_length)
        else:
            ok, clean = validate_field(account.kind, "password", password,
                                       RuleContext(settings=settings, now=options.now))
            # the storage's own limits too, as create applies them to a chosen password
            why = clean if not ok else (
                storage.check_value(account.kind, "password", password)
                or password_clash(password, account.number, account.values.get("email")))
            if why:
                raise ValidationFailed([FieldError("password", why)])
        if not options.dry_run:  # a dry run hashes nothing
            profile = (secrets_.generated_profile(settings) if generated
                       else secrets_.strong_profile(settings))
            stored = storage.protect_passwords([password], settings, profile)[0]
            storage.set_password(conn, account, stored, options.now)
        audit(storage, conn, options, "reset-password", [(account.id, account.number, None)])
        result = {"number": account.number, "kind": account.kind}
        if generated:
            result["generated"] = {"password": password}
        if before_commit is not None and not options.dry_run:
            before_commit(result)
    return result


def rotate_sip_secret(storage: Storage, number: str, options: ChangeOptions,
                      before_commit: Deliver | None = None) -> dict:
    """A new generated secret for the account's SIP device (acctctl makes at most one).
    before_commit(result) as for reset_password: the secret is delivered before the commit."""
    storage = as_storage(storage)
    with transaction(storage, options.dry_run) as conn:
        account = find_live(storage, conn, [number])[number]
        secret = secrets_.generate_sip_secret(secrets_.sip_secret_length(storage.settings))
        devices = storage.set_sip_secret(conn, account, secret, options.now)
        if not devices:
            raise NotFound(f"account {number} has no SIP device")
        audit(storage, conn, options, "rotate-sip-secret", [(account.id, account.number, None)])
        result = {"number": account.number, "kind": account.kind, "sip_devices": devices,
                  "generated": {"sip_password": secret}}
        if before_commit is not None and not options.dry_run:
            before_commit(result)
    return result
