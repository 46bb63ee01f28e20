"""Column types that behave the same on SQLite and PostgreSQL.

Money: PostgreSQL has NUMERIC(20,5); SQLite has no decimal type and would round through
float, so there the value is stored as its canonical decimal text and read back as Decimal.
Either way `123456789012345.12345` comes back identical.

UTCDateTime: aware UTC datetimes in, aware UTC datetimes out, on both backends.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator


class Money(TypeDecorator):
    impl = sa.Numeric(20, 5)
    cache_ok = True

    def __init__(self, signed: bool = False):
        super().__init__()
        self.signed = signed

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.String(24))
        return dialect.type_descriptor(sa.Numeric(20, 5, asdecimal=True))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        value = Decimal(value)
        if dialect.name == "sqlite":
            return format(value.normalize(), "f") if value else "0"
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        value = Decimal(str(value)) if not isinstance(value, Decimal) else value
        return Decimal(format(value.normalize(), "f")) if value else Decimal(0)

    def __repr__(self) -> str:
        return "Money(signed=True)" if self.signed else "Money()"


class UTCDateTime(TypeDecorator):
    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def __repr__(self) -> str:
        return "UTCDateTime()"
