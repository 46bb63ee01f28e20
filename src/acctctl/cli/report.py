"""How errors read on stderr: each names the flag (or file key) and the rule."""

from __future__ import annotations

import re
from collections import defaultdict

from acctctl.cli.console import say
from acctctl.errors import AcctctlError, FieldError, ValidationFailed

#: Options of the catalog commands (rategroup, tax, role), which have no kind.
CATALOG_FLAGS = {"reseller": "--reseller", "rate": "--rate", "amount": "--amount",
                 "priority": "--priority", "for": "--for", "description": "--description"}


def flag_name(field: str, kind: str | None) -> str:
    if kind:
        from acctctl.models.inputs import KINDS, flag_for

        if field in KINDS[kind].model_fields:
            return flag_for(kind, field)
        return field
    return CATALOG_FLAGS.get(field, field)


#: Commands that never write (a first use's set-up of an empty database aside): when one
#: fails there was nothing to write, so "nothing was written" would only puzzle the reader.
READ_ONLY_COMMANDS = ("account list", "account show", "account export", "batch list",
                      "batch show", "audit list", "config show", "config path", "db current",
                      "db check", "reference", "rategroup list", "tax list", "role list",
                      "completion", "registrar check")

_NOTHING_WRITTEN = re.compile(r"(?:\s*[;:,]\s*|^)nothing was written\b\.?", re.IGNORECASE)


def is_read_only(argv: list[str]) -> bool:
    """argv: the command line as given (``["acctctl", "account", "list", ...]``)."""
    from acctctl.cli.state import State

    words = State(argv=argv).command_path().split()[1:]
    return any(words[: len(c.split())] == c.split() for c in READ_ONLY_COMMANDS)


def without_write_note(message: str) -> str:
    """The message without its "nothing was written" (for a read-only command)."""
    return _NOTHING_WRITTEN.sub("", message).strip() or message


def report_error(exc: AcctctlError, kind: str | None = None, read_only: bool = False) -> None:
    """read_only: the command writes nothing, so its message does not say so."""
    if isinstance(exc, ValidationFailed):
        kind = kind or getattr(exc, "kind", None)
        report_field_errors(exc.errors, kind)
    message = without_write_note(exc.message) if read_only else exc.message
    say(f"error: {message}", "red")
    if exc.hint:
        say(f"hint: {exc.hint}")


def report_field_errors(errors: list[FieldError], kind: str | None, group_after: int = 20,
                        use_keys: bool = False) -> None:
    """One line per problem; in a big file, identical problems are grouped with their rows.

    use_keys: name fields by their file key (rows of a file), not by flag."""
    def name(field: str, row: int | str | None = None) -> str:
        # a place in a set's file (a path) names the file's key
        return field if use_keys or isinstance(row, str) else flag_name(field, kind)

    if len(errors) <= group_after or all(e.row is None for e in errors):
        for e in errors:
            say(f"{e.where()}{name(e.field, e.row)}: {e.message}", "red")
        return
    groups: dict[tuple[str, str], list[FieldError]] = defaultdict(list)
    for e in errors:
        groups[(e.field, _shape(e.message))].append(e)
    for (field, _), members in groups.items():
        rows = ", ".join(str(m.row) for m in members[:10])
        more = f" and {len(members) - 10} more" if len(members) > 10 else ""
        say(f"{name(field, members[0].row)}: {members[0].message} — rows {rows}{more}", "red")


def _shape(message: str) -> str:
    return re.sub(r"'[^']*'|\d+", "#", message)
