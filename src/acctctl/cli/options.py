"""The flags and checks several command modules share: the output format, the filters of
`account list` and `account export` (contract §7), confirmation, --yes and --dry-run.

Imported by the command modules only (below the lazy boundary of cli/app.py); what needs the
service, the models or the database is imported where it is used, so that a sub-command's
--help and its TAB completion stay free of them."""

from __future__ import annotations

from typing import Annotated

import typer

from acctctl.cli.complete import KINDS, OUTPUT_FORMATS, choices, from_database
from acctctl.cli.console import say, streams
from acctctl.cli.state import state_of
from acctctl.errors import EXIT_INTERRUPTED, UsageError
from acctctl.output import FORMATS, write_records
from acctctl.service.rows import MAX_CELL

Output = Annotated[str, typer.Option("--output", "-o", help="table, json, jsonl or csv",
                                     autocompletion=choices(OUTPUT_FORMATS))]
LIST_COLUMNS = ["number", "kind", "first_name", "last_name", "email", "status", "reseller",
                "created_at"]
#: What a narrow terminal may leave out of the table (said on stderr; --wide keeps them).
#: The other columns matter: when they cannot fit, every account is a block of its own.
LIST_DROP_ORDER = ("reseller", "created_at")
#: A filter that fixes a column's value makes the column say nothing: the table leaves it out.
FIXED_BY = {"kind": "kind", "reseller": "reseller", "status": "status"}


def table_columns(columns: list[str], filters: dict) -> list[str]:
    """The table's columns without those whose value a filter fixes (--kind customer: every
    row's kind is customer)."""
    fixed = {column for key, column in FIXED_BY.items() if filters.get(key) is not None}
    return [c for c in columns if c not in fixed]


def check_format(fmt: str) -> None:

    if fmt not in FORMATS:
        raise UsageError(f"--output must be one of {', '.join(FORMATS)}, got {fmt!r}")


# --- the filters `account list` and `account export` share (contract §7) ------------------

Kind = Annotated[str | None, typer.Option("--kind", help="customer, provider, reseller, "
                                          "admin or subadmin", autocompletion=choices(KINDS))]
Reseller = Annotated[str | None, typer.Option("--reseller", metavar="NUMBER",
                                              help="Only what this reseller owns",
                                              autocompletion=from_database("resellers"))]
Status = Annotated[str | None, typer.Option("--status", help="active or inactive",
                                            autocompletion=choices(("active", "inactive")))]
Search = Annotated[str | None, typer.Option(
    "--search", metavar="TEXT",
    help="Case-insensitive text in number, names, company or email (literal, not a pattern)")]
Batch = Annotated[str | None, typer.Option("--batch", metavar="ID",
                                           help="Only what this batch created")]
CreatedAfter = Annotated[str | None, typer.Option(
    "--created-after", metavar="DATE", help="Created at or after DATE (ISO 8601, UTC)")]
IncludeDeleted = Annotated[bool, typer.Option("--include-deleted",
                                              help="Soft-deleted accounts too")]
Sort = Annotated[str, typer.Option("--sort", metavar="KEY",
                                   help="A field key; -KEY for descending")]
Limit = Annotated[int | None, typer.Option(
    "--limit", min=0, max=2**31 - 1, help="At most N (table: 100 by default; 0 = all)")]
Offset = Annotated[int, typer.Option("--offset", min=0, max=2**31 - 1,
                                     help="Skip the first N")]

TABLE_LIMIT = 100


def list_filters(kind, reseller, status, search, batch, created_after, include_deleted,
                 sort) -> dict:
    """The filter flags, checked (exit 2 on a bad one), as keyword arguments of the service."""

    if kind is not None and kind not in KINDS:
        raise UsageError(f"--kind must be one of {', '.join(KINDS)}, got {kind!r}")
    if status is not None and status not in ("active", "inactive"):
        raise UsageError(f"--status must be active or inactive, got {status!r}")
    check_sort(sort)
    for flag, value in (("--reseller", reseller), ("--search", search), ("--batch", batch),
                        ("--created-after", created_after)):
        filter_text(value, flag)
    return {"kind": kind, "reseller": reseller, "status": status, "search": search,
            "batch_id": batch, "include_deleted": include_deleted, "sort": sort,
            "created_after": parse_since(created_after, "--created-after")}


def filter_text(value: str | None, flag: str) -> str | None:
    """A filter flag's text: at most the value limit of docs/input-rules.md (10,000
    characters), so every backend answers it alike; exit 2 naming the flag otherwise."""

    if value is not None and len(value) > MAX_CELL:
        raise UsageError(f"{flag} is {len(value):,} characters long: a value is at most "
                         f"{MAX_CELL:,} characters")
    return value


def check_sort(sort: str) -> None:
    from acctctl.service.records import SORT_KEYS

    if sort.lstrip("-") not in SORT_KEYS:
        raise UsageError(f"--sort must be a field key ({', '.join(SORT_KEYS)}), "
                         f"optionally with a leading -, got {sort!r}")


def parse_since(value: str | None, flag: str):
    """An ISO 8601 date (midnight UTC) or date-time (no offset = UTC); exit 2 otherwise.
    The date rule of --expiry (models/rules.py parse_moment), with the flag named."""
    from acctctl.models.rules import parse_moment

    if value is None:
        return None
    try:
        return parse_moment(value)
    except ValueError as exc:
        raise UsageError(f"{flag} {exc}") from None


Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Run every check and write nothing")]


def change_options(ctx: typer.Context, mode: str = "flags", dry_run: bool = False,
                   continue_on_error: bool = False):
    """What the service records of a change: the command (secrets redacted), the profile."""
    from acctctl.service.accounts import redact_command
    from acctctl.service.changes import ChangeOptions

    state = state_of(ctx)
    return ChangeOptions(command=redact_command(state.argv), profile=state.loaded().profile,
                         mode=mode, dry_run=dry_run, continue_on_error=continue_on_error)


def confirm(question: str, yes: bool) -> None:
    """The confirmation rule of `delete`: --yes, or a yes at a terminal; exit 2 off one."""
    if yes:
        return
    if not streams().can_prompt():
        raise UsageError(f"{question.rstrip('?')}: not confirmed; pass --yes when not at a "
                         "terminal")
    from acctctl.interactive.wizard import make_prompter

    if not make_prompter().confirm(question, default=False):
        say("not confirmed: nothing was written", "yellow")
        raise typer.Exit(EXIT_INTERRUPTED)


def render(records: list[dict], output: str, title: str) -> None:
    write_records(records, output, title=title)
