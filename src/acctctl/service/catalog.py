"""Rate groups, taxes and roles: what accounts point at."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from acctctl.errors import Conflict, FieldError, NotFound, UsageError, ValidationFailed
from acctctl.models.rules import Status, TaxAmount, TaxPriority, TaxRate
from acctctl.models.tables import (
    Account,
    AccountTax,
    Country,
    Currency,
    RateGroup,
    Role,
    Tax,
    Timezone,
)
from acctctl.service.lookups import Lookups


def _owner(conn, reseller: str | None, active_only: bool = True) -> int | None:
    """The owner's id (None: the admin). A new entry needs an active reseller; what a
    reseller already owns is found (listed, changed, deleted) while it is disabled too."""
    if not reseller:
        return None
    from acctctl.models.rules import AccountReference

    reseller = _checked(AccountReference, reseller, "reseller", "")
    owner_id, why = (Lookups(conn).reseller(reseller) if active_only
                     else _live_reseller(conn, reseller))
    if why:
        raise ValidationFailed([FieldError("reseller", why)])
    return owner_id


def _live_reseller(conn, number: str) -> tuple[int | None, str | None]:
    A = Account.__table__
    row = conn.execute(sa.select(A.c.id, A.c.kind).where(
        A.c.number == number, A.c.deleted_at.is_(None))).first()
    if row is None:
        return None, f"no reseller has number {number}"
    if row.kind != "reseller":
        return None, f"account {number} is a {row.kind}, not a reseller"
    return row.id, None


def _name(value: str, what: str) -> str:
    """The same rule as the names accounts refer to (rate_group, taxes, role)."""
    from acctctl.models.rules import Name

    return _checked(Name, value, "name", f"{what} name ")


def _checked(annotation, value, field: str, prefix: str):
    """A catalog value through its rule in models/rules.py; exit 3 naming the field."""
    from pydantic import TypeAdapter, ValidationError

    try:
        return TypeAdapter(annotation).validate_python(value)
    except ValidationError as exc:
        message = exc.errors()[0]["msg"].removeprefix("Value error, ")
        raise ValidationFailed([FieldError(field, f"{prefix}{message}")]) from None


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


def _insert(engine: Engine, table, values: dict, what: str, owner: str,
            if_exists: str = "fail") -> dict | None:
    """Insert the entry; None when it exists already and if_exists is skip (nothing is
    touched); exit 4 when it exists and if_exists is fail."""
    try:
        with engine.begin() as conn:
            conn.execute(sa.insert(table), values)
    except sa.exc.IntegrityError:
        if if_exists == "skip":
            return None
        raise Conflict(f"{what} {values['name']!r} already exists for {owner}; "
                       "nothing was written",
                       hint=None if what == "role" else
                       "--if-exists skip leaves an existing one as it is") from None
    return values


def _check_if_exists(if_exists: str) -> None:
    if if_exists not in ("fail", "skip"):
        raise UsageError(f"--if-exists must be fail or skip, got {if_exists!r}")


def _skipped(engine: Engine, what: str, name: str, reseller: str | None) -> dict:
    """--if-exists skip: the entry as it is, marked skipped."""
    with engine.connect() as conn:
        row = _entry(conn, what, name, reseller, lock=False)
    return {**_record(what, row._mapping, reseller), "skipped": True}


def create_rate_group(engine: Engine, name: str, reseller: str | None, active: bool,
                      if_exists: str = "fail") -> dict:
    """The new rate group; with if_exists skip an existing one as it is, with
    "skipped": True."""
    _check_if_exists(if_exists)
    name = _name(name, "rate group")
    with engine.connect() as conn:
        owner_id = _owner(conn, reseller)
    status = "active" if active else "inactive"
    if _insert(engine, RateGroup.__table__, {
            "name": name, "reseller_id": owner_id, "status": status,
            "created_at": datetime.now(UTC)}, "rate group", _label(reseller), if_exists) is None:
        return _skipped(engine, "rate group", name, reseller)
    return {"name": name, "reseller": reseller, "status": status}


def create_tax(engine: Engine, name: str, rate: str, amount: str | None, priority: int,
               reseller: str | None, if_exists: str = "fail") -> dict:
    """The new tax; with if_exists skip an existing one as it is, with "skipped": True."""
    _check_if_exists(if_exists)
    name = _name(name, "tax")
    values = _check_all(TAX_RULES, {"rate": rate, "amount": amount or "0",
                                    "priority": priority})
    with engine.connect() as conn:
        owner_id = _owner(conn, reseller)
    if _insert(engine, Tax.__table__, {
            "name": name, **values, "reseller_id": owner_id, "status": "active",
            "created_at": datetime.now(UTC)}, "tax", _label(reseller), if_exists) is None:
        return _skipped(engine, "tax", name, reseller)
    return {"name": name, "rate": values["rate"], "amount": values["amount"],
            "priority": values["priority"], "reseller": reseller, "status": "active"}


# --- rategroup|tax update|delete (contract §1, §7) -----------------------------------------

TABLES = {"rate group": RateGroup.__table__, "tax": Tax.__table__}
TAX_RULES = {"rate": TaxRate, "amount": TaxAmount, "priority": TaxPriority}
RATE_GROUP_RULES = {"status": Status}


def _record(what: str, row, reseller: str | None) -> dict:
    """The entry as `create` prints it."""
    if what == "rate group":
        return {"name": row["name"], "reseller": reseller, "status": row["status"]}
    return {"name": row["name"], "rate": row["rate"], "amount": row["amount"],
            "priority": row["priority"], "reseller": reseller, "status": row["status"]}


def _entry(conn, what: str, name: str, reseller: str | None, lock: bool = True):
    """The row of `what` named `name` owned by `reseller` (None: the admin), locked on
    PostgreSQL until the transaction ends; exit 3 when there is none."""
    table = TABLES[what]
    name = _name(name, what)
    owner_id = _owner(conn, reseller, active_only=False)
    owned = (table.c.reseller_id.is_(None) if owner_id is None
             else table.c.reseller_id == owner_id)
    query = sa.select(table).where(table.c.name == name, owned)
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        command = "rategroup" if what == "rate group" else "tax"
        raise NotFound(f"no {what} named {name!r} is owned by {_label(reseller)}",
                       hint=f"acctctl {command} list"
                       + (f" --reseller {reseller}" if reseller else "")
                       + " shows the names")
    return row


def update_entry(engine: Engine, what: str, name: str, reseller: str | None, given: dict,
                 dry_run: bool = False) -> dict:
    """Change the given fields of a rate group (status) or tax (rate, amount, priority),
    each through the rule `create` uses; only those change. The entry as `create` prints it,
    with "changes": {field: [old, new]} (empty: the values were already so)."""
    from acctctl.service.changes import transaction

    if not given:
        raise UsageError("nothing to change: give at least one of "
                         + ("--active, --inactive" if what == "rate group"
                            else "--rate, --amount, --priority"))
    values = _check_all(RATE_GROUP_RULES if what == "rate group" else TAX_RULES, given)
    table = TABLES[what]
    with transaction(engine, dry_run) as conn:
        row = _entry(conn, what, name, reseller)
        old = dict(row._mapping)
        changes = {k: [old[k], v] for k, v in values.items() if old[k] != v}
        if changes:
            conn.execute(sa.update(table).where(table.c.id == old["id"])
                         .values({k: new for k, (_, new) in changes.items()}))
    record = _record(what, {**old, **values}, reseller)
    record["changes"] = changes
    if dry_run:
        record["dry_run"] = True
    return record


def delete_entry(engine: Engine, what: str, name: str, reseller: str | None,
                 dry_run: bool = False) -> dict:
    """Remove a rate group or tax that no account uses (soft-deleted accounts too, which
    still point at it until purged); exit 4 naming the accounts that do, nothing changed."""
    from acctctl.service.changes import transaction

    table = TABLES[what]
    with transaction(engine, dry_run) as conn:
        row = _entry(conn, what, name, reseller)
        users = _users(conn, what, row.id)
        if users:
            raise Conflict(f"cannot delete {what} {row.name!r} of {_label(reseller)}: "
                           f"{users}; nothing was changed",
                           hint=_users_hint(what))
        try:
            conn.execute(sa.delete(table).where(table.c.id == row.id))
        except sa.exc.IntegrityError:  # an account took it up after the check
            raise Conflict(f"cannot delete {what} {row.name!r} of {_label(reseller)}: "
                           "an account uses it; nothing was changed",
                           hint=_users_hint(what)) from None
    record = {"name": row.name, "reseller": reseller, "action": "deleted"}
    if dry_run:
        record["dry_run"] = True
    return record


def _users(conn, what: str, entry_id: int) -> str:
    """"N accounts use it: 1001, 1002 (deleted) …", or "" when none does."""
    A = Account.__table__
    if what == "rate group":
        source, where = A, A.c.rate_group_id == entry_id
    else:
        AT = AccountTax.__table__
        source, where = A.join(AT, AT.c.account_id == A.c.id), AT.c.tax_id == entry_id
    count = conn.execute(sa.select(sa.func.count()).select_from(source).where(where)).scalar()
    if not count:
        return ""
    first = conn.execute(sa.select(A.c.number, A.c.deleted_at).select_from(source).where(where)
                         .order_by(A.c.number).limit(10))
    shown = ", ".join(n + (" (deleted)" if d is not None else "") for n, d in first)
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


def catalog_hint(conn, reseller_ids: list[int]) -> str | None:
    """For a reseller that cannot be deleted or undone because it owns rate groups or
    taxes: the commands that remove them."""
    if not reseller_ids:
        return None
    import shlex

    A = Account.__table__
    commands = []
    for what, command in (("tax", "tax"), ("rate group", "rategroup")):
        table = TABLES[what]
        rows = conn.execute(sa.select(table.c.name, A.c.number)
                            .select_from(table.join(A, A.c.id == table.c.reseller_id))
                            .where(table.c.reseller_id.in_(reseller_ids))
                            .order_by(A.c.number, table.c.name))
        commands += [f"acctctl {command} delete {shlex.quote(name)} --reseller {number} --yes"
                     for name, number in rows]
    if not commands:
        return None
    shown = "; ".join(commands[:5]) + (f"; and {len(commands) - 5} more"
                                       if len(commands) > 5 else "")
    return f"once no account uses them, remove the rate groups and taxes it owns: {shown}"


def create_role(engine: Engine, name: str, scope: str, description: str) -> dict:
    from acctctl.models.rules import RoleDescription

    name = _name(name, "role")
    description = _checked(RoleDescription, description, "description", "")
    if scope not in ("admin", "reseller"):
        raise UsageError(f"--for must be admin or reseller, got {scope!r}")
    _insert(engine, Role.__table__, {"name": name, "scope": scope, "description": description,
                                     "created_at": datetime.now(UTC)},
            "role", f"{scope}s")
    return {"name": name, "for": scope, "description": description}


def _label(reseller: str | None) -> str:
    return f"reseller {reseller}" if reseller else "the admin"


def _owned_list(engine: Engine, table, columns, reseller: str | None,
                owned_by: bool) -> list[dict]:
    """Every owner's entries, or (owned_by) only those of `reseller` (None: the admin)."""
    A = Account.__table__
    with engine.connect() as conn:
        query = (sa.select(*columns, A.c.number.label("reseller"))
                 .select_from(table.outerjoin(A, A.c.id == table.c.reseller_id))
                 .order_by(table.c.name))
        if reseller:
            query = query.where(table.c.reseller_id == _owner(conn, reseller,
                                                                active_only=False))
        elif owned_by:
            query = query.where(table.c.reseller_id.is_(None))
        return [dict(r._mapping) for r in conn.execute(query)]


def list_rate_groups(engine: Engine, reseller: str | None = None,
                     owned_by: bool = False) -> list[dict]:
    t = RateGroup.__table__
    return _owned_list(engine, t, [t.c.name, t.c.status], reseller, owned_by)


def list_taxes(engine: Engine, reseller: str | None = None, owned_by: bool = False) -> list[dict]:
    t = Tax.__table__
    return _owned_list(engine, t, [t.c.name, t.c.rate, t.c.amount, t.c.priority, t.c.status],
                       reseller, owned_by)


def list_roles(engine: Engine) -> list[dict]:
    t = Role.__table__
    with engine.connect() as conn:
        rows = conn.execute(sa.select(t.c.name, t.c.scope.label("for"), t.c.description)
                            .order_by(t.c.scope, t.c.name))
        return [dict(r._mapping) for r in rows]


def reference(engine: Engine, what: str, search: str | None) -> list[dict]:
    table, columns = {
        "countries": (Country.__table__, ("alpha2", "alpha3", "name", "dial_code")),
        "currencies": (Currency.__table__, ("code", "name")),
        "timezones": (Timezone.__table__, ("name",)),
    }[what]
    query = sa.select(*(table.c[c] for c in columns)).order_by(table.c[columns[0]])
    if search:
        from acctctl.models.rules import control_problem

        if control_problem(search):
            raise UsageError(f"--search {control_problem(search)}")
        from acctctl.db.search import contains_text

        # literal text: % and _ match themselves, not any characters
        query = query.where(sa.or_(*(contains_text(table.c[c], search) for c in columns)))
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def find_account(engine: Engine, number: str | None = None, email: str | None = None,
                 with_devices: bool = False) -> dict:
    """A live account by number or email; exit 3 when there is none."""
    from acctctl.models.rules import control_problem
    from acctctl.service.records import load_accounts

    found = None
    if not control_problem(number or email or ""):  # PostgreSQL refuses NUL in a query
        with engine.connect() as conn:
            found = load_accounts(conn, number=number, email=email, with_devices=with_devices)
    if not found:
        raise NotFound(f"no account has number {number}" if number is not None
                       else f"no account has email {email}")
    return found[0]


def list_accounts(engine: Engine, kind: str | None, reseller: str | None,
                  limit: int | None, **filters) -> list[dict]:
    """Live accounts (filters: see records.AccountFilter), sorted by number."""
    return list_page(engine, kind=kind, reseller=reseller, limit=limit, **filters)[0]


def list_page(engine: Engine, *, reseller: str | None = None, count_all: bool = False,
              with_ids: bool = False, **filters) -> tuple[list[dict], int | None]:
    """(the accounts, how many match without limit/offset when count_all and the limit cut
    the list, else None)."""
    from dataclasses import replace

    from acctctl.service.records import AccountFilter, count_accounts, load_accounts

    A = Account.__table__
    where = AccountFilter(**filters)
    with engine.connect() as conn:
        if reseller:  # listing what a reseller owns works for inactive resellers too
            from acctctl.models.rules import control_problem

            owner_id = None if control_problem(reseller) else conn.execute(sa.select(
                A.c.id).where(A.c.number == reseller, A.c.kind == "reseller",
                              A.c.deleted_at.is_(None))).scalar()
            if owner_id is None:
                raise NotFound(f"no reseller has number {reseller}")
            where.reseller_id = owner_id
        if not count_all or where.limit is None:
            return load_accounts(conn, where=where, with_ids=with_ids), None
        # one row more than asked tells whether the limit cut the list
        records = load_accounts(conn, where=replace(where, limit=where.limit + 1),
                                with_ids=with_ids)
        if len(records) <= where.limit:
            return records, None
        total = count_accounts(conn, replace(where, limit=None, offset=0))
        return records[: where.limit], total
