"""Reference data seeded by the first migration: ISO 3166 countries, ISO 4217 currencies,
IANA time zones (from pycountry, phonenumbers and tzdata), the admin's `default` rate group
and the default roles."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

DEFAULT_RATE_GROUP = "default"
DEFAULT_ROLES = (
    ("admin", "admin", "Administrator (seeded default for admins)"),
    ("subadmin", "admin", "Sub-administrator (seeded default for sub-admins)"),
    ("reseller", "reseller", "Reseller (seeded default for resellers)"),
)


def countries() -> list[dict]:
    import phonenumbers
    import pycountry

    rows = []
    for country in pycountry.countries:
        code = phonenumbers.country_code_for_region(country.alpha_2)
        rows.append(
            {
                "alpha2": country.alpha_2,
                "alpha3": country.alpha_3,
                "name": country.name,
                "dial_code": f"+{code}" if code else "",
            }
        )
    return rows


def currencies() -> list[dict]:
    import pycountry

    return [{"code": c.alpha_3, "name": c.name} for c in pycountry.currencies]


def timezones() -> list[dict]:
    from acctctl.models.rules import iana_zone_names

    return [{"name": name} for name in iana_zone_names()]


def seed_reference_data() -> None:
    from alembic import op

    now = datetime.now(UTC)
    if op.get_bind().dialect.name == "sqlite":
        now = now.replace(tzinfo=None)
    tables = {
        "countries": (("alpha2", "alpha3", "name", "dial_code"), countries()),
        "currencies": (("code", "name"), currencies()),
        "timezones": (("name",), timezones()),
        "rate_groups": (
            ("name", "status", "created_at"),
            [{"name": DEFAULT_RATE_GROUP, "status": "active", "created_at": now}],
        ),
        "roles": (
            ("name", "scope", "description", "created_at"),
            [
                {"name": n, "scope": s, "description": d, "created_at": now}
                for n, s, d in DEFAULT_ROLES
            ],
        ),
    }
    for name, (columns, rows) in tables.items():
        table = sa.table(name, *(sa.column(c) for c in columns))
        op.bulk_insert(table, rows)
