"""Database look-ups the create path needs: owners, rate groups, taxes, roles, conflicts.

Results are cached per batch: a file of 100,000 customers of one reseller looks the reseller
up once.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from acctctl.models.kinds import DEFAULT_ROLE, ROLE_SCOPE
from acctctl.models.tables import Account, RateGroup, Role, SipDevice, Tax

A = Account.__table__
RG = RateGroup.__table__
TX = Tax.__table__
RL = Role.__table__
SD = SipDevice.__table__
#: Soft-deleted accounts (and their SIP devices) take part in no look-up or uniqueness check.
LIVE_ACCOUNT = A.c.deleted_at.is_(None)
LIVE_DEVICE = SD.c.deleted_at.is_(None)


def owner_label(reseller_number: str | None) -> str:
    return f"reseller {reseller_number}" if reseller_number else "the admin"


class Lookups:
    def __init__(self, conn: Connection):
        self.conn = conn
        self._resellers: dict[str, tuple[int | None, str | None]] = {}
        self._rate_groups: dict[tuple, tuple[int | None, str | None]] = {}
        self._taxes: dict[tuple, tuple[int | None, str | None]] = {}
        self._roles: dict[tuple, tuple[int | None, str | None]] = {}

    def reseller(self, number: str) -> tuple[int | None, str | None]:
        """(id, None) for an active reseller, else (None, why not)."""
        if number not in self._resellers:
            row = self.conn.execute(
                sa.select(A.c.id, A.c.kind, A.c.status).where(A.c.number == number, LIVE_ACCOUNT)
            ).first()
            if row is None:
                found = (None, f"no reseller has number {number}")
            elif row.kind != "reseller":
                found = (None, f"account {number} is a {row.kind}, not a reseller")
            elif row.status != "active":
                found = (None, f"reseller {number} is inactive")
            else:
                found = (row.id, None)
            self._resellers[number] = found
        return self._resellers[number]

    def _owned(self, table, cache, name: str, owner_id: int | None, owner: str, what: str):
        key = (name, owner_id)
        if key not in cache:
            owned = table.c.reseller_id.is_(None) if owner_id is None else (
                table.c.reseller_id == owner_id
            )
            query = sa.select(table.c.id, table.c.status).where(table.c.name == name, owned)
            if self.conn.dialect.name == "postgresql":
                # FOR KEY SHARE, held to the end of the transaction: a concurrent `rategroup|
                # tax delete` (FOR UPDATE) either waits for this create to commit, and then
                # sees its accounts, or has deleted the entry, and this reads that it is gone
                query = query.with_for_update(read=True, key_share=True)
            row = self.conn.execute(query).first()
            if row is None:
                cache[key] = (None, f"no {what} named {name!r} is owned by {owner}")
            elif row.status != "active":
                cache[key] = (None, f"{what} {name!r} of {owner} is inactive")
            else:
                cache[key] = (row.id, None)
        return cache[key]

    def rate_group(self, name: str, owner_id: int | None, owner: str):
        return self._owned(RG, self._rate_groups, name, owner_id, owner, "rate group")

    def tax(self, name: str, owner_id: int | None, owner: str):
        return self._owned(TX, self._taxes, name, owner_id, owner, "tax")

    def role(self, kind: str, name: str | None):
        name = name or DEFAULT_ROLE[kind]
        scope = ROLE_SCOPE[kind]
        key = (scope, name)
        if key not in self._roles:
            row = self.conn.execute(
                sa.select(RL.c.id).where(RL.c.name == name, RL.c.scope == scope)
            ).first()
            self._roles[key] = (
                (row.id, None) if row else (None, f"no {scope} role named {name!r}")
            )
        return self._roles[key]

    # --- what already exists --------------------------------------------------------------

    def existing(self, numbers=(), email_keys=(), pins=()) -> dict[str, set[str]]:
        """Which of these values are taken already (numbers also as SIP usernames).

        "kinds" maps each taken number and email key to the kind of the account holding it,
        so that --if-exists skip can tell "this account exists" from "another kind has it"."""
        taken: dict = {"number": set(), "email": set(), "pin": set(), "kinds": {}}
        for key, values, columns in (("number", numbers, ((A.c.number, LIVE_ACCOUNT),
                                                          (SD.c.username, LIVE_DEVICE))),
                                     ("email", email_keys, ((A.c.email_key, LIVE_ACCOUNT),)),
                                     ("pin", pins, ((A.c.pin, LIVE_ACCOUNT),))):
            for chunk in chunks(sorted(set(values))):
                for column, live in columns:
                    kind = A.c.kind if column.table is A else sa.null()
                    for value, holder in self.conn.execute(
                            sa.select(column, kind).where(self.one_of(column, chunk), live)):
                        taken[key].add(value)
                        if holder is not None and key != "pin":
                            taken["kinds"][(key, value)] = holder
        return taken

    def one_of(self, column, values: list[str]):
        """column IN values; on PostgreSQL `= ANY(array)`: one parameter, so psycopg does not
        rewrite a query text of 500 placeholders for every chunk."""
        if self.conn.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import ARRAY

            return column == sa.any_(sa.bindparam(None, values, type_=ARRAY(sa.String)))
        return column.in_(values)

    def count_numbers(self, prefix: str, length: int) -> int:
        return self.conn.execute(
            sa.select(sa.func.count()).where(
                A.c.number.like(prefix + "%"), sa.func.length(A.c.number) == length,
                LIVE_ACCOUNT,
            )
        ).scalar_one()


def chunks(values: list, size: int = 500):
    for start in range(0, len(values), size):
        yield values[start : start + size]
