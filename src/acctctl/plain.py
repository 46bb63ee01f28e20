"""One JSON spelling of values, shared by the spool of created accounts and every output."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any


def plain(value: Any) -> Any:
    """JSON-safe and exact: Decimal as its digits, datetimes as ISO 8601."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def json_default(value: Any) -> Any:
    """plain() as json.dumps(default=...): the C encoder walks dicts and lists itself and asks
    only for what it cannot spell (much faster for the spool of created accounts)."""
    if isinstance(value, Decimal | datetime):
        return plain(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
