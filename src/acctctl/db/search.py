"""Literal, case-insensitive substring search that answers alike on SQLite and PostgreSQL.

No LIKE: SQLite limits a LIKE pattern (SQLITE_MAX_LIKE_PATTERN_LENGTH, 50,000 bytes by
default; a longer one is "LIKE or GLOB pattern too complex") and a pattern needs `%`, `_` and
`\\` escaped. `instr()` (SQLite) and `position(... in ...)` (PostgreSQL, MySQL) take the
text as it is, whatever its length: `%` and `_` match themselves.

Case: PostgreSQL's lower() maps every character to its lower case; SQLite's folds only
A-Z. So SQLite gets `acctctl_fold()` (registered on each connection by db/engine.py) doing
what fold() does here, and the searched text is folded by fold() on both backends.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

SQLITE_FOLD = "acctctl_fold"
_DOTTED_I = "\u0130"  # İ: Python lowers it to two characters (i + U+0307), a database to i


def fold(text: str | None) -> str | None:
    """Lower case, one character for one, as PostgreSQL's lower() does."""
    if text is None:
        return None
    return (text.replace(_DOTTED_I, "i") if _DOTTED_I in text else text).lower()


class _Contains(FunctionElement):
    """contains_text(column, text): true when the column, case-folded, holds text."""

    type = sa.Boolean()
    inherit_cache = True
    name = "acctctl_contains"


def contains_text(column, text: str):
    """`column` holds `text` literally, ignoring case; NULL holds nothing."""
    return _Contains(sa.func.coalesce(column, ""), sa.literal(fold(text), sa.Text()))


@compiles(_Contains, "sqlite")
def _sqlite(element, compiler, **kw) -> str:
    haystack, needle = (compiler.process(c, **kw) for c in element.clauses)
    return f"(instr({SQLITE_FOLD}({haystack}), {needle}) > 0)"


@compiles(_Contains)
def _standard(element, compiler, **kw) -> str:  # PostgreSQL, MySQL/MariaDB
    haystack, needle = (compiler.process(c, **kw) for c in element.clauses)
    return f"(position({needle} in lower({haystack})) > 0)"
