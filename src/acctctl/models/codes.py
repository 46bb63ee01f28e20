"""Reference codes: ISO 3166 countries, ISO 4217 currencies, IANA time zones.

A leaf module (it imports nothing of acctctl), so that both the field rules (models/rules.py)
and the configuration (config.py, which checks its `[defaults]` with these same functions) can
use it without importing each other. Also what a country suggests: its main time zone and its
currency, which the wizard offers once a country is chosen.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

SHOWN_MAX = 40


def shown(value: Any) -> str:
    """A value as the user wrote it: 2.0, not Decimal('2.0'); a long one cut short. (Here, in
    the leaf, because the messages below use it too; the rules re-export it.)"""
    text_value = repr(value) if isinstance(value, str) else str(value)
    if len(text_value) > SHOWN_MAX:
        return text_value[:SHOWN_MAX] + f"... ({len(text_value)} chars)"
    return text_value


def normalise_country(value: Any) -> str:
    import pycountry

    text_value = str(value).strip()
    try:
        return pycountry.countries.lookup(text_value).alpha_2
    except LookupError:
        raise ValueError(
            f"unknown country {shown(text_value)}: use an ISO 3166 alpha-2 or alpha-3 code or "
            "the English name (see: acctctl reference countries)"
        ) from None


def normalise_currency(value: Any) -> str:
    import pycountry

    code = str(value).strip().upper()
    if pycountry.currencies.get(alpha_3=code) is None:
        raise ValueError(
            f"unknown currency {shown(value)}: use an ISO 4217 code "
            "(see: acctctl reference currencies)"
        )
    return code


NOT_ZONES = frozenset({"localtime", "Factory", "posixrules"})  # tzdata files, not zones


def iana_zone_names() -> list[str]:
    from zoneinfo import available_timezones

    return sorted(name for name in available_timezones() if name not in NOT_ZONES)


@lru_cache(maxsize=1)
def timezone_names() -> dict[str, str]:
    """Every IANA zone name, keyed case-insensitively."""
    return {name.casefold(): name for name in iana_zone_names()}


def normalise_timezone(value: Any) -> str:
    name = timezone_names().get(str(value).strip().casefold())
    if name is None:
        raise ValueError(
            f"unknown time zone {shown(value)}: use an IANA name such as Europe/Paris "
            "(see: acctctl reference timezones)"
        )
    return name


# --- what a country suggests ----------------------------------------------------------------


@lru_cache(maxsize=1)
def _zones_by_country() -> dict[str, list[str]]:
    """alpha-2 -> zones, in tzdata's zone.tab order: within a country, the most populous
    zone comes first (America/New_York for US, Europe/Berlin for DE)."""
    from importlib.resources import files

    zones: dict[str, list[str]] = {}
    text = files("tzdata").joinpath("zoneinfo", "zone.tab").read_text(encoding="utf-8")
    known = timezone_names()
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) >= 3 and parts[2].casefold() in known:
            zones.setdefault(parts[0], []).append(parts[2])
    return zones


def country_timezones(alpha2: str) -> list[str]:
    """The country's IANA zones, the most populous first (empty when tzdata lists none)."""
    return list(_zones_by_country().get(str(alpha2).upper(), ()))


def country_timezone(alpha2: str) -> str | None:
    """The country's first (most populous) IANA zone, or None when tzdata lists none."""
    found = _zones_by_country().get(str(alpha2).upper())
    return found[0] if found else None


def country_currency(alpha2: str) -> str | None:
    """The currency in use in the country (CLDR, through Babel), or None when unknown."""
    import pycountry
    from babel.numbers import get_territory_currencies

    try:
        codes = get_territory_currencies(str(alpha2).upper())
    except Exception:  # noqa: BLE001 - an unknown territory is "no suggestion", not a failure
        return None
    return next((c for c in codes if pycountry.currencies.get(alpha_3=c) is not None), None)
