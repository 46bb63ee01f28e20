"""Rate groups, taxes and roles: what accounts point at."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from acctctl.errors import Conflict, FieldError, NotFound, UsageError, ValidationFailed
from acctctl.models.rules import INT_MAX, check_money
from acctctl.models.tables import Account, Country, Currency, RateGroup, Role, Tax, Timezone
from acctctl.service.lookups import Lookups


def _owner(conn, reseller: str | None) -> int | None:
    if not reseller:
        return None
    from acctctl.models.rules import AccountReference

    reseller = _checked(AccountReference, reseller, "reseller", "")
    owner_id, why = Lookups(conn).reseller(reseller)
    if why:
        raise ValidationFailed([FieldError("reseller", why)])
    return owner_id


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


def _insert(engine: Engine, table, values: dict, what: str, owner: str) -> dict:
    try:
        with engine.begin() as conn:
            conn.execute(sa.insert(table), values)
    except sa.exc.IntegrityError:
        raise Conflict(f"{what} {values['name']!r} already exists for {owner}") from None
    return values


def create_rate_group(engine: Engine, name: str, reseller: str | None, active: bool) -> dict:
    name = _name(name, "rate group")
    with engine.connect() as conn:
        owner_id = _owner(conn, reseller)
    _insert(engine, RateGroup.__table__, {
        "name": name, "reseller_id": owner_id, "status": "active" if active else "inactive",
        "created_at": datetime.now(UTC)}, "rate group", _label(reseller))
    return {"name": name, "reseller": reseller, "status": "active" if active else "inactive"}


def create_tax(engine: Engine, name: str, rate: str, amount: str | None, priority: int,
               reseller: str | None) -> dict:
    name = _name(name, "tax")
    problems = []
    values = {}
    for key, raw in (("rate", rate), ("amount", amount or "0")):
        try:
            values[key] = check_money(raw)
        except ValueError as exc:
            problems.append(FieldError(key, str(exc)))
    if "rate" in values and values["rate"] > 100:
        problems.append(FieldError("rate", "must be a percentage from 0 to 100"))
    if not 0 <= priority <= INT_MAX:
        problems.append(FieldError("priority", f"must be from 0 to {INT_MAX}"))
    if problems:
        raise ValidationFailed(problems)
    with engine.connect() as conn:
        owner_id = _owner(conn, reseller)
    _insert(engine, Tax.__table__, {
        "name": name, "rate": values["rate"], "amount": values["amount"],
        "priority": priority, "reseller_id": owner_id, "status": "active",
        "created_at": datetime.now(UTC)}, "tax", _label(reseller))
    return {"name": name, "rate": values["rate"], "amount": values["amount"],
            "priority": priority, "reseller": reseller, "status": "active"}


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
            query = query.where(table.c.reseller_id == _owner(conn, reseller))
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
