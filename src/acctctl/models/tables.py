"""The tables: what is stored, as SQLAlchemy Core tables (one definition each). Never
built from raw input (see models/inputs.py).

Each is held by a class named after what a row is (`Account.__table__`, as a declarative
model has it), but no ORM or pydantic model is built: a command that reads or writes pays for
SQLAlchemy Core only (the field rules are the input models' concern, models/inputs.py).

Constraints are named (naming convention below) so that a database error maps back to a
field, and the database enforces what it can: unique number, case-folded email, PIN and SIP
username; foreign keys; check constraints.
"""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from acctctl.db.types import Money, UTCDateTime
from acctctl.models.kinds import ACCOUNT_KINDS

metadata = sa.MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def text(name: str, length: int, *args, null: bool = False, default=None,
         **kw) -> sa.Column:
    """A text column of at most `length` characters (NOT NULL unless null)."""
    return sa.Column(name, sa.String(length), *args, nullable=null, default=default, **kw)


def num(name: str, *args, null: bool = True, **kw) -> sa.Column:
    """An integer column (NULL allowed unless null=False)."""
    return sa.Column(name, sa.Integer, *args, nullable=null, **kw)


def when(name: str, *, null: bool = True) -> sa.Column:
    return sa.Column(name, UTCDateTime(), nullable=null)


def money(name: str, *, null: bool = True, signed: bool = False, default=None) -> sa.Column:
    return sa.Column(name, Money(signed=signed), nullable=null, default=default)


def key(name: str = "id") -> sa.Column:
    return sa.Column(name, sa.Integer, primary_key=True, nullable=False)


def points_at(name: str, target: str, *, null: bool = True, ondelete: str | None = None,
              **kw) -> sa.Column:
    """A foreign key column to `target` ("table.column")."""
    return num(name, sa.ForeignKey(target, ondelete=ondelete), null=null, **kw)


def _owner_column() -> sa.Column:
    # rate groups and taxes belong to a reseller account, and accounts point at rate groups:
    # the cycle is broken by adding this key after both tables exist (use_alter).
    return num("reseller_id", sa.ForeignKey("accounts.id", use_alter=True), index=True)


LIVE = "deleted_at IS NULL"


def _partial_unique(name: str, column: str, where: str) -> sa.Index:
    """A unique index over the rows `where` holds. Its WHERE is given for SQLite here and
    copied for PostgreSQL by ddl_metadata(): naming a PostgreSQL option makes SQLAlchemy
    import its PostgreSQL dialect, which a command on SQLite has no use for."""
    return sa.Index(name, column, unique=True, sqlite_where=sa.text(where))


def _unique_while_live(table: str, column: str) -> sa.Index:
    """Unique among live rows only: a soft-deleted account frees its number, email, PIN and
    SIP username (a partial unique index, on SQLite and PostgreSQL alike)."""
    return _partial_unique(f"uq_{table}_live_{column}", column, LIVE)


def _unique_name_per_owner(table: str) -> tuple:
    """A name is unique per reseller, and among the admin's own (reseller_id NULL, which a
    plain unique constraint would not compare)."""
    return (
        _partial_unique(f"uq_{table}_admin_name", "name", "reseller_id IS NULL"),
        sa.UniqueConstraint("name", "reseller_id"),
    )


def ddl_metadata() -> sa.MetaData:
    """The tables for what works on the schema itself (Alembic: migrations, `db check`):
    every partial index with its WHERE for PostgreSQL too (see _partial_unique)."""
    for table in metadata.tables.values():
        for index in table.indexes:
            where = index.dialect_options["sqlite"]["where"]
            if where is not None:
                index.dialect_options["postgresql"]["where"] = where
    return metadata


class Country:
    __table__ = sa.Table(
        "countries", metadata,
        text("alpha2", 2, primary_key=True),
        text("alpha3", 3, unique=True),
        text("name", 100),
        text("dial_code", 8, default=""),
    )


class Currency:
    __table__ = sa.Table(
        "currencies", metadata,
        text("code", 3, primary_key=True),
        text("name", 100),
    )


class Timezone:
    __table__ = sa.Table("timezones", metadata, text("name", 64, primary_key=True))


class Role:
    __table__ = sa.Table(
        "roles", metadata,
        key(),
        text("name", 60),
        text("scope", 10),
        text("description", 200, default=""),
        when("created_at", null=False),
        sa.UniqueConstraint("name", "scope"),
        sa.CheckConstraint(_in("scope", ("admin", "reseller")), name="scope"),
    )


class RateGroup:
    __table__ = sa.Table(
        "rate_groups", metadata,
        key(),
        text("name", 60),
        _owner_column(),
        text("status", 10, default="active"),
        when("created_at", null=False),
        *_unique_name_per_owner("rate_groups"),
        sa.CheckConstraint(_in("status", ("active", "inactive")), name="status"),
    )


class Tax:
    __table__ = sa.Table(
        "taxes", metadata,
        key(),
        text("name", 60),
        money("rate", null=False),
        money("amount", null=False, default=Decimal(0)),
        num("priority", null=False, default=0),
        _owner_column(),
        text("status", 10, default="active"),
        when("created_at", null=False),
        *_unique_name_per_owner("taxes"),
        sa.CheckConstraint("CAST(rate AS NUMERIC) >= 0", name="rate"),
        sa.CheckConstraint("CAST(amount AS NUMERIC) >= 0", name="amount"),
    )


class Account:
    __table__ = sa.Table(
        "accounts", metadata,
        key(),
        text("kind", 10, index=True),
        text("number", 20),
        text("password_hash", 255),
        text("pin", 20, null=True),
        text("first_name", 40),
        text("last_name", 40, default=""),
        text("company", 40, default=""),
        text("telephone", 20, null=True),
        text("email", 254, null=True),
        text("email_key", 254, null=True),
        text("notify_email", 254, null=True),
        text("address", 80, default=""),
        text("city", 20, default=""),
        text("province", 20, default=""),
        text("postal_code", 12, default=""),
        text("country", 2, sa.ForeignKey("countries.alpha2")),
        text("timezone", 64, sa.ForeignKey("timezones.name")),
        text("currency", 3, sa.ForeignKey("currencies.code"), null=True),
        text("status", 10, default="active"),
        num("max_channels"),
        num("cps"),
        text("number_translation", 1000, null=True),
        when("first_used"),
        when("expiry"),
        num("valid_days"),
        points_at("rate_group_id", "rate_groups.id"),
        text("billing_schedule", 10, null=True),
        num("billing_day"),
        text("account_type", 10, null=True),
        money("credit_limit"),
        money("balance", signed=True),
        money("low_balance_alert"),
        sa.Column("email_alerts", sa.Boolean, nullable=True),
        points_at("reseller_id", "accounts.id", index=True),
        points_at("role_id", "roles.id"),
        when("created_at", null=False),
        text("created_by", 64),
        text("batch_id", 36, index=True),
        # Day two: when any command of contract §7 last changed the account, and when it
        # was soft-deleted (NULL = live; only live accounts take part in uniqueness).
        when("updated_at"),
        when("deleted_at"),
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


class AccountTax:
    __table__ = sa.Table(
        "account_taxes", metadata,
        points_at("account_id", "accounts.id", null=False, primary_key=True,
                  ondelete="CASCADE"),
        points_at("tax_id", "taxes.id", null=False, primary_key=True),
    )


class SipDevice:
    __table__ = sa.Table(
        "sip_devices", metadata,
        key(),
        points_at("account_id", "accounts.id", null=False, index=True, ondelete="CASCADE"),
        text("username", 40),
        # The switch verifies SIP digest auth, so it needs the secret itself (or its HA1).
        # It is the device's own random secret, never the portal password, and is shown
        # only once.
        text("secret", 64),
        text("caller_id_name", 40),
        text("caller_id_number", 40),
        text("status", 10, default="active"),
        when("created_at", null=False),
        when("deleted_at"),  # with its account
        sa.CheckConstraint(_in("status", ("active", "inactive")), name="status"),
        _unique_while_live("sip_devices", "username"),
    )


class AuditEvent:
    """One record per account a command changed. On the astpp target the same table, in the
    ledger database (acctctl/ledger.py), holds the trail of ASTPP's accounts: `target` names
    the ASTPP database, `target_account_id` is the account's id there (account_id points at
    this database's own accounts, so it stays NULL), `row_digest` what a create wrote."""

    __table__ = sa.Table(
        "audit_events", metadata,
        key(),
        when("at", null=False),
        text("actor", 64),
        text("action", 40),
        points_at("account_id", "accounts.id", ondelete="SET NULL"),
        text("account_number", 20, null=True, index=True),
        text("mode", 20),
        text("batch_id", 36, index=True),
        sa.Column("command", sa.Text(), nullable=False),
        text("profile", 60, null=True),
        # {field: [old, new]} as JSON for changes of non-secret fields; never a secret or
        # hash
        sa.Column("changes", sa.Text(), nullable=True),
        # NULL: an account of this database; else the identity of the target database
        # (ledger.py)
        text("target", 255, null=True),
        sa.Column("target_account_id", sa.BigInteger(), nullable=True),
        # "sha256:<hex>" of the account's rows as a create wrote them in the target (undo
        # compares)
        text("row_digest", 80, null=True),
        sa.Index("ix_audit_events_target_batch_id", "target", "batch_id"),
        sa.Index("ix_audit_events_target_target_account_id", "target", "target_account_id"),
    )


class RegistrarRow:
    """A `subscriber` row acctctl wrote into a SIP registrar (contract §11): the record of
    which rows are acctctl's, so an operator's own rows in the same table (trunks, test
    phones) are never changed or removed. Kept here, not in the registrar, because acctctl
    never alters a registrar's tables and Kamailio's has no column to mark a row with."""

    __table__ = sa.Table(
        "registrar_rows", metadata,
        text("registrar", 64, primary_key=True),  # [[registrars]] name
        text("username", 64, primary_key=True),
        text("domain", 64, primary_key=True),
    )


class SetMember:
    """An object an `apply -f FILE` of set `set_name` created (contract §10): `--prune`
    removes only these, never what `create` or another set made. target: NULL for this
    database's own accounts and catalog; an ASTPP database's identity in a ledger."""

    __table__ = sa.Table(
        "set_members", metadata,
        key(),
        text("set_name", 200),
        text("kind", 20),
        text("key", 200),
        text("target", 255, null=True),
        sa.Column("target_id", sa.BigInteger, nullable=True),
        text("batch_id", 36, index=True),
        when("created_at", null=False),
        sa.Index("ix_set_members_set_name_kind_key", "set_name", "kind", "key"),
    )


class CatalogChange:
    """A catalog entry (rate group, tax, role) an `apply` updated (contract §10): the fields
    it changed, {field: [old, new]} as JSON, so that `batch undo` gives the old values back
    (and can tell when the entry was changed since). Accounts' changes are in audit_events."""

    __table__ = sa.Table(
        "catalog_changes", metadata,
        key(),
        text("batch_id", 36, index=True),
        text("kind", 20),
        text("key", 200),
        sa.Column("entry_id", sa.BigInteger, nullable=False),
        sa.Column("changes", sa.Text(), nullable=False),
        when("at", null=False),
        when("undone_at"),  # set by `batch undo`: given back, not to be given back again
    )
