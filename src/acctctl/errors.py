"""Errors a user can cause, each with the exit code of contract §4.

Anything that is not an AcctctlError is a bug and exits 1 (see cli/app.py).
"""

from __future__ import annotations

from dataclasses import dataclass

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_INVALID = 3
EXIT_CONFLICT = 4
EXIT_CONFIG = 5
EXIT_PARTIAL = 6
EXIT_INTERRUPTED = 130


@dataclass(frozen=True)
class FieldError:
    """One violated rule: which field, what is wrong, and (in bulk) which row."""

    field: str
    message: str
    conflict: bool = False  # True when the value clashes with an existing account
    row: int | None = None
    key: str | None = None

    def as_dict(self) -> dict:
        return {"row": self.row, "key": self.key, "field": self.field, "message": self.message}


class AcctctlError(Exception):
    exit_code = EXIT_INTERNAL

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(AcctctlError):
    exit_code = EXIT_USAGE


class ConfigError(AcctctlError):
    exit_code = EXIT_CONFIG


class DatabaseError(AcctctlError):
    exit_code = EXIT_CONFIG


class NotFound(AcctctlError):
    exit_code = EXIT_INVALID


class Exhausted(AcctctlError):
    """No free value is left to generate (numbers of a prefix and length, PINs)."""

    exit_code = EXIT_INVALID


class Conflict(AcctctlError):
    exit_code = EXIT_CONFLICT


class ValidationFailed(AcctctlError):
    """One or more field rules failed. Exit 3, or 4 when every error is a conflict."""

    def __init__(self, errors: list[FieldError], message: str | None = None):
        self.errors = list(errors)
        super().__init__(message or _summarise(self.errors))

    @property
    def exit_code(self) -> int:  # type: ignore[override]
        if self.errors and all(e.conflict for e in self.errors):
            return EXIT_CONFLICT
        return EXIT_INVALID


def _summarise(errors: list[FieldError]) -> str:
    n = len(errors)
    return f"{n} problem{'s' if n != 1 else ''} found; nothing was written"
