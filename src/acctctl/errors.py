"""Errors a user can cause, each with the exit code of contract §4.

Anything that is not an AcctctlError is a bug and exits 1 (see cli/app.py). The classes
named after the exit codes (UsageError 2, InvalidData 3, Conflict 4, ConfigurationError 5,
Partial 6) are what the library raises (contract §12, `acctctl.InvalidData`, ...); the
narrower ones the service raises (NotFound, Exhausted, ConfigError, DatabaseError) are
subclasses of them, so one `except acctctl.InvalidData` catches every exit-3 error.
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
    row: int | str | None = None  # a row's number; in a set's file, a path: "customers[2]"
    key: str | None = None

    def as_dict(self) -> dict:
        return {"row": self.row, "key": self.key, "field": self.field, "message": self.message}

    def where(self) -> str:
        """"row 3 (1001): " for a row of a file; "customers[2] (1001): " for a place in a
        set's file (its path); "" for the command line."""
        if not self.row:
            return ""
        place = self.row if isinstance(self.row, str) else f"row {self.row}"
        return place + (f" ({self.key})" if self.key else "") + ": "


class AcctctlError(Exception):
    """Every error a user can cause. message: what the CLI prints; hint: what to do;
    errors: the field errors behind it (row, key, field, message), as the CLI lists them."""

    exit_code = EXIT_INTERNAL

    def __init__(self, message: str, hint: str | None = None,
                 errors: list[FieldError] | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.errors = list(errors or [])


class UsageError(AcctctlError):
    """Exit 2: options that do not go together, a bad option value, a missing input."""

    exit_code = EXIT_USAGE


class InvalidData(AcctctlError):
    """Exit 3: a field failed its rule, or a number / batch matches nothing; nothing written."""

    exit_code = EXIT_INVALID


class Conflict(AcctctlError):
    """Exit 4: the value exists already, or something depends on what would go."""

    exit_code = EXIT_CONFLICT


class ConfigurationError(AcctctlError):
    """Exit 5: unreadable configuration, no connection, a schema not at head."""

    exit_code = EXIT_CONFIG


class Partial(AcctctlError):
    """Exit 6: continue_on_error wrote the good rows; `errors` are the rows that failed and
    `result` is what was written."""

    exit_code = EXIT_PARTIAL

    def __init__(self, message: str, result=None, errors: list[FieldError] | None = None):
        super().__init__(message, errors=errors)
        self.result = result


class ConfigError(ConfigurationError):
    exit_code = EXIT_CONFIG


class DatabaseError(ConfigurationError):
    exit_code = EXIT_CONFIG


class NotFound(InvalidData):
    exit_code = EXIT_INVALID


class Exhausted(InvalidData):
    """No free value is left to generate (numbers of a prefix and length, PINs)."""

    exit_code = EXIT_INVALID


class ValidationFailed(AcctctlError):
    """One or more field rules failed, nothing written. `ValidationFailed(errors)` is an
    InvalidData (exit 3), or a Conflict (exit 4) when every error is a conflict, so the
    library's `except acctctl.InvalidData` / `except acctctl.Conflict` catch it as they catch
    the CLI's exit codes. `.message` is the CLI's summary (the CLI lists `.errors` above it);
    str() adds the first errors, for a library caller's traceback."""

    def __new__(cls, errors: list[FieldError], message: str | None = None):
        if cls is ValidationFailed:
            errors = list(errors)
            cls = (ConflictingValues if errors and all(e.conflict for e in errors)
                   else InvalidValues)
        return super().__new__(cls)

    def __init__(self, errors: list[FieldError], message: str | None = None):
        errors = list(errors)
        super().__init__(message or _summarise(errors), errors=errors)

    def __reduce__(self):
        return ValidationFailed, (self.errors, self.message)

    def __str__(self) -> str:
        details = "; ".join(f"{e.where()}{e.field}: {e.message}" for e in self.errors[:5])
        more = f"; and {len(self.errors) - 5} more" if len(self.errors) > 5 else ""
        return f"{self.message}: {details}{more}" if details else self.message


class InvalidValues(ValidationFailed, InvalidData):
    exit_code = EXIT_INVALID


class ConflictingValues(ValidationFailed, Conflict):
    exit_code = EXIT_CONFLICT


def _summarise(errors: list[FieldError]) -> str:
    n = len(errors)
    return f"{n} problem{'s' if n != 1 else ''} found; nothing was written"
