"""acctctl's own schema: reads of accounts and of what they point at (rate groups, taxes,
roles, reference data), for the native storage (acctctl.storage.native) and the catalog
commands of the service, which only this schema has."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from acctctl.errors import FieldError, NotFound, UsageError, ValidationFailed
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
from acctctl.storage.lookups import Lookups

TABLES = {"rate group": RateGroup.__table__, "tax": Tax.__table__}


def owner_id(conn, reseller: str | None, active_only: bool = True) -> int | None:
    """The owner's id (None: the admin). A new entry needs an active reseller; what a
    reseller already owns is found (listed, changed, deleted) while it is disabled too."""
    if not reseller:
        return None
    from acctctl.models.rules import AccountReference

    reseller = checked(AccountReference, reseller, "reseller", "")
    owner_id, why = (Lookups(conn).reseller(reseller) if active_only
                     else live_reseller(conn, reseller))
    if why:
        raise ValidationFailed([FieldError("reseller", why)])
    return owner_id


def live_reseller(conn, number: str) -> tuple[int | None, str | None]:
    A = Account.__table__
    row = conn.execute(sa.select(A.c.id, A.c.kind).where(
        A.c.number == number, A.c.deleted_at.is_(None))).first()
    if row is None:
        return None, f"no reseller has number {number}"
    if row.kind != "reseller":
        return None, f"account {number} is a {row.kind}, not a reseller"
    return row.id, None


def checked(annotation, value, field: str, prefix: str):
    """A catalog value through its rule in models/rules.py; exit 3 naming the field."""
    from pydantic import TypeAdapter, ValidationError

    try:
        return TypeAdapter(annotation).validate_python(value)
    except ValidationError as exc:
        message = exc.errors()[0]["msg"].removeprefix("Value error, ")
        raise ValidationFailed([FieldError(field, f"{prefix}{message}")]) from None


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


def owned_list(engine: Engine, table, columns, reseller: str | None,
                owned_by: bool) -> list[dict]:
    """Every owner's entries, or (owned_by) only those of `reseller` (None: the admin)."""
    A = Account.__table__
    with engine.connect() as conn:
        query = (sa.select(*columns, A.c.number.label("reseller"))
                 .select_from(table.outerjoin(A, A.c.id == table.c.reseller_id))
                 .order_by(table.c.name))
        if reseller:
            query = query.where(table.c.reseller_id == owner_id(conn, reseller,
                                                                active_only=False))
        elif owned_by:
            query = query.where(table.c.reseller_id.is_(None))
        return [dict(r._mapping) for r in conn.execute(query)]


def list_rate_groups(engine: Engine, reseller: str | None = None,
                     owned_by: bool = False) -> list[dict]:
    t = RateGroup.__table__
    return owned_list(engine, t, [t.c.name, t.c.status], reseller, owned_by)


def list_taxes(engine: Engine, reseller: str | None = None, owned_by: bool = False) -> list[dict]:
    t = Tax.__table__
    return owned_list(engine, t, [t.c.name, t.c.rate, t.c.amount, t.c.priority, t.c.status],
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
        from acctctl.models.text import control_problem

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
    from acctctl.models.text import control_problem
    from acctctl.storage.records import load_accounts

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

    from acctctl.storage.records import AccountFilter, count_accounts, load_accounts

    A = Account.__table__
    where = AccountFilter(**filters)
    with engine.connect() as conn:
        if reseller:  # listing what a reseller owns works for inactive resellers too
            from acctctl.models.text import control_problem

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


# --- writes of the Storage catalog_* methods (conn: the storage's transaction) -------------

CATALOG_TABLES = {"rate_group": RateGroup.__table__, "tax": Tax.__table__,
                  "role": Role.__table__}


def find_entry(conn, kind: str, name: str, owner: str | None = None,
               scope: str | None = None) -> dict | None:
    """The entry of `kind` named `name` owned by `owner` (a reseller's number, None: the
    admin), locked on PostgreSQL until the transaction ends; None when there is none (or the
    owner is no live reseller)."""
    table = CATALOG_TABLES[kind]
    query = sa.select(table).where(table.c.name == name)
    if kind == "role":
        if scope is not None:
            query = query.where(table.c.scope == scope)
    else:
        if owner:
            found, why = live_reseller(conn, owner)
            if why:
                return None
            query = query.where(table.c.reseller_id == found)
        else:
            query = query.where(table.c.reseller_id.is_(None))
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    rows = conn.execute(query.order_by(table.c.id)).all()
    if not rows:
        return None
    row = rows[0]._mapping
    if kind == "rate_group":
        return {"id": row["id"], "name": row["name"], "status": row["status"]}
    if kind == "tax":
        return {"id": row["id"], "name": row["name"], "rate": row["rate"],
                "amount": row["amount"], "priority": row["priority"], "status": row["status"]}
    return {"id": row["id"], "name": row["name"], "for": row["scope"],
            "description": row["description"]}


def create_entry(conn, kind: str, values: dict, owner: str | None, now) -> int:
    table = CATALOG_TABLES[kind]
    row = {("scope" if k == "for" else k): v for k, v in values.items()}
    row["created_at"] = now
    if kind != "role":
        row["reseller_id"] = owner_id(conn, owner, active_only=False) if owner else None
    return conn.execute(sa.insert(table).values(**row).returning(table.c.id)).scalar_one()


def update_entry_row(conn, kind: str, entry_id: int, changes: dict) -> None:
    table = CATALOG_TABLES[kind]
    conn.execute(sa.update(table).where(table.c.id == entry_id).values(
        {("scope" if k == "for" else k): new for k, (_, new) in changes.items()}))


def delete_entry_row(conn, kind: str, entry_id: int) -> None:
    table = CATALOG_TABLES[kind]
    conn.execute(sa.delete(table).where(table.c.id == entry_id))


def entry_users(conn, kind: str, entry_id: int) -> list[tuple[str, bool]]:
    A = Account.__table__
    if kind == "rate_group":
        source, where = A, A.c.rate_group_id == entry_id
    elif kind == "role":
        source, where = A, A.c.role_id == entry_id
    else:
        AT = AccountTax.__table__
        source, where = A.join(AT, AT.c.account_id == A.c.id), AT.c.tax_id == entry_id
    return [(n, d is not None) for n, d in conn.execute(
        sa.select(A.c.number, A.c.deleted_at).select_from(source).where(where)
        .order_by(A.c.number))]
