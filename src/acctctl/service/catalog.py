"""Rate groups, taxes and roles: what accounts point at. Written through the Storage's
catalog_* methods (a bare engine: acctctl's own schema), as `apply` writes them."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from acctctl.errors import Conflict, FieldError, NotFound, UsageError, ValidationFailed
from acctctl.models.rules import Status, TaxAmount, TaxPriority, TaxRate
from acctctl.storage import Storage, as_storage
from acctctl.storage.catalog import (  # the reads live with the native storage
    catalog_hint,
    find_account,
    list_accounts,
    list_page,
    list_rate_groups,
    list_roles,
    list_taxes,
    reference,
)
from acctctl.storage.catalog import checked as _checked

#: the reads, for the callers that take them from the service
__all__ = ["catalog_hint", "find_account", "list_accounts", "list_page", "list_rate_groups",
           "list_roles", "list_taxes", "reference"]


def _name(value: str, what: str) -> str:
    """The same rule as the names accounts refer to (rate_group, taxes, role)."""
    from acctctl.models.rules import Name

    return _checked(Name, value, "name", f"{what} name ")


def _check_all(rules: dict, given: dict) -> dict:
    """Every given value through its rule in models/rules.py; exit 3 naming every field
    that fails (not only the first)."""
    from pydantic import TypeAdapter, ValidationError

    values, problems = {}, []
    for key, raw in given.items():
        try:
            values[key] = TypeAdapter(rules[key]).validate_python(raw)
        except ValidationError as exc:
            message = exc.errors()[0]["msg"].removeprefix("Value error, ")
            problems.append(FieldError(key, message))
    if problems:
        raise ValidationFailed(problems)
    return values


KIND = {"rate group": "rate_group", "tax": "tax", "role": "role"}


def _insert(storage: Storage, what: str, values: dict, reseller: str | None, owner: str,
            if_exists: str = "fail") -> dict | None:
    """Insert the entry through the storage; None when it exists already and if_exists is
    skip (nothing is touched); exit 4 when it exists and if_exists is fail."""
    try:
        with storage.transaction() as conn:
            if reseller:
                _owner_of(storage, conn, reseller, active_only=True)
            storage.catalog_create(conn, KIND[what], values, reseller, datetime.now(UTC))
    except sa.exc.IntegrityError:
        if if_exists == "skip":
            return None
        raise Conflict(f"{what} {values['name']!r} already exists for {owner}; "
                       "nothing was written",
                       hint=None if what == "role" else
                       "--if-exists skip leaves an existing one as it is") from None
    return values


def _owner_of(storage: Storage, conn, reseller: str, active_only: bool = False) -> None:
    """Exit 3 unless `reseller` is a live reseller (active, for a new entry): what a reseller
    already owns is found (listed, changed, deleted) while it is disabled too."""
    from acctctl.models.rules import AccountReference

    reseller = _checked(AccountReference, reseller, "reseller", "")
    if active_only:
        why = storage.lookups(conn).reseller(reseller)[1]
    else:
        found = storage.find(conn, [reseller], lock=False).get(reseller)
        why = (f"no reseller has number {reseller}" if found is None else
               None if found.kind == "reseller" else
               f"account {reseller} is a {found.kind}, not a reseller")
    if why:
        raise ValidationFailed([FieldError("reseller", why)])


def _check_if_exists(if_exists: str) -> None:
    if if_exists not in ("fail", "skip"):
        raise UsageError(f"--if-exists must be fail or skip, got {if_exists!r}")


def _skipped(storage: Storage, what: str, name: str, reseller: str | None) -> dict:
    """--if-exists skip: the entry as it is, marked skipped."""
    with storage.reading() as conn:
        row = _entry(storage, conn, what, name, reseller)
    return {**_record(what, row, reseller), "skipped": True}


def create_rate_group(storage: Storage | Engine, name: str, reseller: str | None,
                      active: bool, if_exists: str = "fail") -> dict:
    """The new rate group; with if_exists skip an existing one as it is, with
    "skipped": True."""
    _check_if_exists(if_exists)
    storage = as_storage(storage)
    name = _name(name, "rate group")
    status = "active" if active else "inactive"
    if _insert(storage, "rate group", {"name": name, "status": status}, reseller,
               _label(reseller), if_exists) is None:
        return _skipped(storage, "rate group", name, reseller)
    return {"name": name, "reseller": reseller, "status": status}


def create_tax(storage: Storage | Engine, name: str, rate: str, amount: str | None,
               priority: int, reseller: str | None, if_exists: str = "fail") -> dict:
    """The new tax; with if_exists skip an existing one as it is, with "skipped": True."""
    _check_if_exists(if_exists)
    storage = as_storage(storage)
    name = _name(name, "tax")
    values = _check_all(TAX_RULES, {"rate": rate, "amount": amount or "0",
                                    "priority": priority})
    if _insert(storage, "tax", {"name": name, **values, "status": "active"}, reseller,
               _label(reseller), if_exists) is None:
        return _skipped(storage, "tax", name, reseller)
    return {"name": name, "rate": values["rate"], "amount": values["amount"],
            "priority": values["priority"], "reseller": reseller, "status": "active"}


# --- rategroup|tax update|delete (contract §1, §7) -----------------------------------------

TAX_RULES = {"rate": TaxRate, "amount": TaxAmount, "priority": TaxPriority}
RATE_GROUP_RULES = {"status": Status}
#: the fields a file declares a catalog entry with (contract §10), by Storage catalog kind
FILE_FIELDS = {"rate_group": ("name", "active", "status"),
               "tax": ("name", "rate", "amount", "priority"),
               "role": ("name", "for", "description")}


def catalog_values(kind: str, given: dict) -> dict:
    """A declared catalog entry's fields through the rules of the catalog commands, as the
    Storage catalog_* methods take them (a rate group's `active` as its status); exit 3
    naming every field that fails, or that an entry of this kind does not have."""
    from acctctl.models.rules import Name, RoleDescription

    problems, values = [], {}
    for key in given:
        if key not in FILE_FIELDS[kind]:
            problems.append(FieldError(key, "is not a field of a "
                                       + kind.replace("_", " ")))
    what = kind.replace("_", " ")
    rules: dict = {"name": Name}
    if kind == "rate_group":
        rules["status"] = Status
    elif kind == "tax":
        rules.update(TAX_RULES)
    else:
        rules["description"] = RoleDescription
    raw = {k: v for k, v in given.items() if k in rules and v is not None}
    if kind == "rate_group" and "active" in given:
        if not isinstance(given["active"], bool):
            problems.append(FieldError("active", "must be true or false"))
        else:
            raw["status"] = "active" if given["active"] else "inactive"
    if "name" not in raw:
        problems.append(FieldError("name", f"is required: it is the {what}'s key"))
    if kind == "role" and "for" in given:
        if given["for"] not in ("admin", "reseller"):
            problems.append(FieldError("for", "must be admin or reseller"))
        else:
            values["for"] = given["for"]
    try:
        values.update(_check_all(rules, raw))
    except ValidationFailed as failure:
        problems += failure.errors
    if problems:
        raise ValidationFailed(problems)
    return values


def _record(what: str, row, reseller: str | None) -> dict:
    """The entry as `create` prints it."""
    if what == "rate group":
        return {"name": row["name"], "reseller": reseller, "status": row["status"]}
    return {"name": row["name"], "rate": row["rate"], "amount": row["amount"],
            "priority": row["priority"], "reseller": reseller, "status": row["status"]}


def _entry(storage: Storage, conn, what: str, name: str, reseller: str | None) -> dict:
    """The entry of `what` named `name` owned by `reseller` (None: the admin), locked on
    PostgreSQL until the transaction ends; exit 3 when there is none."""
    name = _name(name, what)
    if reseller:
        _owner_of(storage, conn, reseller)
    row = storage.catalog_find(conn, KIND[what], name, reseller)
    if row is None:
        command = "rategroup" if what == "rate group" else "tax"
        raise NotFound(f"no {what} named {name!r} is owned by {_label(reseller)}",
                       hint=f"acctctl {command} list"
                       + (f" --reseller {reseller}" if reseller else "")
                       + " shows the names")
    return row


def update_entry(storage: Storage | Engine, what: str, name: str, reseller: str | None,
                 given: dict, dry_run: bool = False) -> dict:
    """Change the given fields of a rate group (status) or tax (rate, amount, priority),
    each through the rule `create` uses; only those change. The entry as `create` prints it,
    with "changes": {field: [old, new]} (empty: the values were already so)."""

    if not given:
        raise UsageError("nothing to change: give at least one of "
                         + ("--active, --inactive" if what == "rate group"
                            else "--rate, --amount, --priority"))
    values = _check_all(RATE_GROUP_RULES if what == "rate group" else TAX_RULES, given)
    storage = as_storage(storage)
    with storage.transaction(dry_run=dry_run) as conn:
        old = _entry(storage, conn, what, name, reseller)
        changes = {k: [old[k], v] for k, v in values.items() if old[k] != v}
        if changes:
            storage.catalog_update(conn, KIND[what], old["id"], changes)
    record = _record(what, {**old, **values}, reseller)
    record["changes"] = changes
    if dry_run:
        record["dry_run"] = True
    return record


def delete_entry(storage: Storage | Engine, what: str, name: str, reseller: str | None,
                 dry_run: bool = False) -> dict:
    """Remove a rate group or tax that no account uses (soft-deleted accounts too, which
    still point at it until purged); exit 4 naming the accounts that do, nothing changed."""
    storage = as_storage(storage)
    with storage.transaction(dry_run=dry_run) as conn:
        row = _entry(storage, conn, what, name, reseller)
        users = _users(storage.catalog_users(conn, KIND[what], row["id"]))
        if users:
            raise Conflict(f"cannot delete {what} {row['name']!r} of {_label(reseller)}: "
                           f"{users}; nothing was changed",
                           hint=_users_hint(what))
        try:
            with conn.begin_nested():
                storage.catalog_delete(conn, KIND[what], row["id"])
        except sa.exc.IntegrityError:  # an account took it up after the check
            raise Conflict(f"cannot delete {what} {row['name']!r} of {_label(reseller)}: "
                           "an account uses it; nothing was changed",
                           hint=_users_hint(what)) from None
    record = {"name": row["name"], "reseller": reseller, "action": "deleted"}
    if dry_run:
        record["dry_run"] = True
    return record


def _users(users: list[tuple[str, bool]]) -> str:
    """"N accounts use it: 1001, 1002 (deleted) …", or "" when none does."""
    count = len(users)
    if not count:
        return ""
    shown = ", ".join(n + (" (deleted)" if d else "") for n, d in users[:10])
    more = f" and {count - 10} more" if count > 10 else ""
    return (f"{count} account{'s' if count != 1 else ''} use{'' if count != 1 else 's'} it: "
            f"{shown}{more}")


def _users_hint(what: str) -> str:
    change = ("--rate-group OTHER" if what == "rate group"
              else "--tax OTHER, or --tax '' for none")
    return (f"give those accounts another {what} (acctctl account update NUMBER {change}) or "
            "purge them (acctctl account delete NUMBER --purge, acctctl batch undo ID); "
            "a soft-deleted account keeps its "
            f"{what} until it is purged")


def create_role(storage: Storage | Engine, name: str, scope: str, description: str) -> dict:
    from acctctl.models.rules import RoleDescription

    name = _name(name, "role")
    description = _checked(RoleDescription, description, "description", "")
    if scope not in ("admin", "reseller"):
        raise UsageError(f"--for must be admin or reseller, got {scope!r}")
    _insert(as_storage(storage), "role", {"name": name, "for": scope,
                                          "description": description},
            None, f"{scope}s")
    return {"name": name, "for": scope, "description": description}


def _label(reseller: str | None) -> str:
    return f"reseller {reseller}" if reseller else "the admin"


