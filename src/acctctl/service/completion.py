"""Values a TAB press can offer from the database: names of rate groups, taxes and roles,
reseller numbers, reference codes. Prefix match (literal, never a pattern), bounded."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from acctctl.models.inputs import ROLE_SCOPE
from acctctl.models.tables import Account, Country, Currency, RateGroup, Role, Tax, Timezone

#: The field metadata's `source` -> the column holding its values.
COLUMNS = {
    "rate_groups": RateGroup.__table__.c.name,
    "taxes": Tax.__table__.c.name,
    "roles": Role.__table__.c.name,
    "resellers": Account.__table__.c.number,
    "countries": Country.__table__.c.alpha2,
    "currencies": Currency.__table__.c.code,
    "timezones": Timezone.__table__.c.name,
}


def candidates(engine: Engine, source: str, prefix: str, kind: str | None = None,
               limit: int = 200, owner: str | None = None) -> list[str]:
    """Values of `source` starting with `prefix`; roles only those of `kind`'s scope; rate
    groups and taxes only those of reseller `owner` when one is given (else every owner's)."""
    column = COLUMNS.get(source)
    if column is None:
        return []
    query = sa.select(column).distinct().where(column.startswith(prefix, autoescape=True))
    if owner and source in ("rate_groups", "taxes"):
        A = Account.__table__
        owners = sa.select(A.c.id).where(A.c.number == owner, A.c.kind == "reseller",
                                         A.c.deleted_at.is_(None))
        query = query.where(column.table.c.reseller_id.in_(owners.scalar_subquery()))
    if source == "resellers":  # live ones: a deleted reseller cannot own a new account
        query = query.where(Account.__table__.c.kind == "reseller",
                            Account.__table__.c.deleted_at.is_(None))
    if source == "roles" and kind in ROLE_SCOPE:
        query = query.where(Role.__table__.c.scope == ROLE_SCOPE[kind])
    with engine.connect() as conn:
        return list(conn.execute(query.order_by(column).limit(limit)).scalars())
