"""The text rule a read needs too: which characters a stored value must not hold.

Plain Python, no pydantic: the storage checks looked-up numbers and ids with it before a
query, on every read, and models/rules.py (which the field rules' pydantic types need) uses
it for every text field.
"""

from __future__ import annotations

import re

#: Bidirectional embeddings, overrides and isolates: they make a stored name display as
#: another (U+202A-U+202E, U+2066-U+2069).
BIDI_CONTROLS = frozenset(map(chr, (*range(0x202A, 0x202F), *range(0x2066, 0x206A))))
#: Unicode Cc is exactly U+0000-U+001F and U+007F-U+009F.
_REFUSED_CHARS = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def control_problem(value: str) -> str | None:
    """Why `value` cannot be stored as text: a control character (Unicode Cc: NUL, ESC, BEL,
    newlines...) or a bidirectional control. None when it can."""
    found = _REFUSED_CHARS.search(value)
    if found is None:
        return None
    ch = found.group()
    what = "bidirectional control" if ch in BIDI_CONTROLS else "control"
    return f"must not contain {what} characters (found U+{ord(ch):04X})"
