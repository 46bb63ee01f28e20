"""Table models: what is stored. Never built from raw input (see models/inputs.py).

Constraints are named (naming convention below) so that a database error maps back to a
field, and the database enforces what it can: unique number, case-folded email, PIN and SIP
username; foreign keys; check constraints.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from acctctl.db.types import Money, UTCDateTime

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ACCOUNT_KINDS = ("customer", "provider", "reseller", "admin", "subadmin")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _owner_column() -> sa.Column:
    # rate groups and taxes belong to a reseller account, and accounts point at rate groups:
    # the cycle is broken by adding this key after both tables exist (use_alter).
    return sa.Column(
        "reseller_id", sa.Integer, sa.ForeignKey("accounts.id", use_alter=True), index=True
    )


LIVE = "deleted_at IS NULL"


def _unique_while_live(table: str, column: str) -> sa.Index:
    """Unique among live rows only: a soft-deleted account frees its number, email, PIN and
    SIP username (a partial unique index, on SQLite and PostgreSQL alike)."""
    live = sa.text(LIVE)
    return sa.Index(f"uq_{table}_live_{column}", column, unique=True,
                    sqlite_where=live, postgresql_where=live)


def _unique_name_per_owner(table: str) -> tuple:
    """A name is unique per reseller, and among the admin's own (reseller_id NULL, which a
    plain unique constraint would not compare)."""
    admin_only = sa.text("reseller_id IS NULL")
    return (
        sa.Index(f"uq_{table}_admin_name", "name", unique=True,
                 sqlite_where=admin_only, postgresql_where=admin_only),
        sa.UniqueConstraint("name", "reseller_id"),
    )


class Country(SQLModel, table=True):
    __tablename__ = "countries"
    alpha2: str = Field(primary_key=True, max_length=2)
    alpha3: str = Field(max_length=3, unique=True)
    name: str = Field(max_length=100)
    dial_code: str = Field(default="", max_length=8)


class Currency(SQLModel, table=True):
    __tablename__ = "currencies"
    code: str = Field(primary_key=True, max_length=3)
    name: str = Field(max_length=100)


class Timezone(SQLModel, table=True):
    __tablename__ = "timezones"
    name: str = Field(primary_key=True, max_length=64)


class Role(SQLModel, table=True):
    __tablename__ = "roles"
    __table_args__ = (
        sa.UniqueConstraint("name", "scope"),
        sa.CheckConstraint(_in("scope", ("admin", "reseller")), name="scope"),
    )
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=60)
    scope: str = Field(max_length=10)
    description: str = Field(default="", max_length=200)
    created_at: datetime = Field(sa_type=UTCDateTime())


class RateGroup(SQLModel, table=True):
    __tablename__ = "rate_groups"
    __table_args__ = (
        *_unique_name_per_owner("rate_groups"),
        sa.CheckConstraint(_in("status", ("active", "inactive")), name="status"),
    )
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=60)
    reseller_id: int | None = Field(default=None, sa_column=_owner_column())
    status: str = Field(default="active", max_length=10)
    created_at: datetime = Field(sa_type=UTCDateTime())


class Tax(SQLModel, table=True):
    __tablename__ = "taxes"
    __table_args__ = (
        *_unique_name_per_owner("taxes"),
        sa.CheckConstraint("CAST(rate AS NUMERIC) >= 0", name="rate"),
        sa.CheckConstraint("CAST(amount AS NUMERIC) >= 0", name="amount"),
    )
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=60)
    rate: Decimal = Field(sa_type=Money())
    amount: Decimal = Field(default=Decimal(0), sa_type=Money())
    priority: int = Field(default=0)
    reseller_id: int | None = Field(default=None, sa_column=_owner_column())
    status: str = Field(default="active", max_length=10)
    created_at: datetime = Field(sa_type=UTCDateTime())


class Account(SQLModel, table=True):
    __tablename__ = "accounts"
    __table_args__ = (
        sa.CheckConstraint(_in("kind", ACCOUNT_KINDS), name="kind"),
        sa.CheckConstraint(_in("status", ("active", "inactive")), name="status"),
        sa.CheckConstraint(
            "account_type IS NULL OR " + _in("account_type", ("prepaid", "postpaid")),
            name="account_type",
        ),
        sa.CheckConstraint(
            "billing_schedule IS NULL OR "
            + _in("billing_schedule", ("daily", "weekly", "monthly")),
            name="billing_schedule",
        ),
        sa.CheckConstraint("max_channels IS NULL OR max_channels >= 0", name="max_channels"),
        sa.CheckConstraint("cps IS NULL OR cps >= 0", name="cps"),
        sa.CheckConstraint(
            "credit_limit IS NULL OR CAST(credit_limit AS NUMERIC) >= 0", name="credit_limit"
        ),
        _unique_while_live("accounts", "number"),
        _unique_while_live("accounts", "email_key"),
        _unique_while_live("accounts", "pin"),
    )
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=10, index=True)
    number: str = Field(max_length=20)
    password_hash: str = Field(max_length=255)
    pin: str | None = Field(default=None, max_length=20)
    first_name: str = Field(max_length=40)
    last_name: str = Field(default="", max_length=40)
    company: str = Field(default="", max_length=40)
    telephone: str | None = Field(default=None, max_length=20)
    email: str | None = Field(default=None, max_length=254)
    email_key: str | None = Field(default=None, max_length=254)
    notify_email: str | None = Field(default=None, max_length=254)
    address: str = Field(default="", max_length=80)
    city: str = Field(default="", max_length=20)
    province: str = Field(default="", max_length=20)
    postal_code: str = Field(default="", max_length=12)
    country: str = Field(foreign_key="countries.alpha2", max_length=2)
    timezone: str = Field(foreign_key="timezones.name", max_length=64)
    currency: str | None = Field(default=None, foreign_key="currencies.code", max_length=3)
    status: str = Field(default="active", max_length=10)
    max_channels: int | None = Field(default=None)
    cps: int | None = Field(default=None)
    number_translation: str | None = Field(default=None, max_length=1000)
    first_used: datetime | None = Field(default=None, sa_type=UTCDateTime())
    expiry: datetime | None = Field(default=None, sa_type=UTCDateTime())
    valid_days: int | None = Field(default=None)
    rate_group_id: int | None = Field(default=None, foreign_key="rate_groups.id")
    billing_schedule: str | None = Field(default=None, max_length=10)
    billing_day: int | None = Field(default=None)
    account_type: str | None = Field(default=None, max_length=10)
    credit_limit: Decimal | None = Field(default=None, sa_type=Money())
    balance: Decimal | None = Field(default=None, sa_type=Money(signed=True))
    low_balance_alert: Decimal | None = Field(default=None, sa_type=Money())
    email_alerts: bool | None = Field(default=None)
    reseller_id: int | None = Field(default=None, foreign_key="accounts.id", index=True)
    role_id: int | None = Field(default=None, foreign_key="roles.id")
    created_at: datetime = Field(sa_type=UTCDateTime())
    created_by: str = Field(max_length=64)
    batch_id: str = Field(max_length=36, index=True)
    # Day two: when any command of contract §7 last changed the account, and when it was
    # soft-deleted (NULL = live; only live accounts take part in uniqueness).
    updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime())


class AccountTax(SQLModel, table=True):
    __tablename__ = "account_taxes"
    account_id: int = Field(foreign_key="accounts.id", primary_key=True, ondelete="CASCADE")
    tax_id: int = Field(foreign_key="taxes.id", primary_key=True)


class SipDevice(SQLModel, table=True):
    __tablename__ = "sip_devices"
    __table_args__ = (
        sa.CheckConstraint(_in("status", ("active", "inactive")), name="status"),
        _unique_while_live("sip_devices", "username"),
    )
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="accounts.id", index=True, ondelete="CASCADE")
    username: str = Field(max_length=40)
    # The switch verifies SIP digest auth, so it needs the secret itself (or its HA1). It is
    # the device's own random secret, never the portal password, and is shown only once.
    secret: str = Field(max_length=64)
    caller_id_name: str = Field(max_length=40)
    caller_id_number: str = Field(max_length=40)
    status: str = Field(default="active", max_length=10)
    created_at: datetime = Field(sa_type=UTCDateTime())
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime())  # with its account


class AuditEvent(SQLModel, table=True):
    """One record per account a command changed. On the astpp target the same table, in the
    ledger database (acctctl/ledger.py), holds the trail of ASTPP's accounts: `target` names
    the ASTPP database, `target_account_id` is the account's id there (account_id points at
    this database's own accounts, so it stays NULL), `row_digest` what a create wrote."""

    __tablename__ = "audit_events"
    __table_args__ = (
        sa.Index("ix_audit_events_target_batch_id", "target", "batch_id"),
        sa.Index("ix_audit_events_target_target_account_id", "target", "target_account_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime())
    actor: str = Field(max_length=64)
    action: str = Field(max_length=40)
    account_id: int | None = Field(default=None, foreign_key="accounts.id", ondelete="SET NULL")
    account_number: str | None = Field(default=None, max_length=20, index=True)
    mode: str = Field(max_length=20)
    batch_id: str = Field(max_length=36, index=True)
    command: str = Field(sa_type=sa.Text())
    profile: str | None = Field(default=None, max_length=60)
    # {field: [old, new]} as JSON for changes of non-secret fields; never a secret or hash
    changes: str | None = Field(default=None, sa_type=sa.Text())
    # NULL: an account of this database; else the identity of the target database (ledger.py)
    target: str | None = Field(default=None, max_length=255)
    target_account_id: int | None = Field(default=None, sa_type=sa.BigInteger())
    # "sha256:<hex>" of the account's rows as a create wrote them in the target (undo compares)
    row_digest: str | None = Field(default=None, max_length=80)


class RegistrarRow(SQLModel, table=True):
    """A `subscriber` row acctctl wrote into a SIP registrar (contract §11): the record of
    which rows are acctctl's, so an operator's own rows in the same table (trunks, test
    phones) are never changed or removed. Kept here, not in the registrar, because acctctl
    never alters a registrar's tables and Kamailio's has no column to mark a row with."""

    __tablename__ = "registrar_rows"
    registrar: str = Field(primary_key=True, max_length=64)  # [[registrars]] name
    username: str = Field(primary_key=True, max_length=64)
    domain: str = Field(primary_key=True, max_length=64)


class SetMember(SQLModel, table=True):
    """An object an `apply -f FILE` of set `set_name` created (contract §10): `--prune`
    removes only these, never what `create` or another set made. target: NULL for this
    database's own accounts and catalog; an ASTPP database's identity in a ledger."""

    __tablename__ = "set_members"
    __table_args__ = (sa.Index("ix_set_members_set_name_kind_key", "set_name", "kind", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    set_name: str = Field(max_length=200)
    kind: str = Field(max_length=20)
    key: str = Field(max_length=200)
    target: str | None = Field(default=None, max_length=255)
    target_id: int | None = Field(default=None, sa_type=sa.BigInteger())
    batch_id: str = Field(max_length=36, index=True)
    created_at: datetime = Field(sa_type=UTCDateTime())
