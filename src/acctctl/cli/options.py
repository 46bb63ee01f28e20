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
from acctctl.options import filter_text, parse_since  # noqa: F401 - the commands' names
from acctctl.output import FORMATS, write_records

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

#: The filter flags, declared once: ListOptions field -> its flag. `account list` and
#: `account export` take them all through list_filter_flags.
LIST_FILTER_FLAGS = {"kind": (Kind, None), "reseller": (Reseller, None),
                     "status": (Status, None), "search": (Search, None),
                     "batch": (Batch, None), "created_after": (CreatedAfter, None),
                     "include_deleted": (IncludeDeleted, False), "sort": (Sort, "number"),
                     "limit": (Limit, None), "offset": (Offset, 0)}


def list_filter_flags(command):
    """The filter flags of `account list` and `account export` (contract §7), declared once:
    `command(ctx, filters: ListOptions, ...)` gets them, in this order after ctx, as one
    acctctl.options.ListOptions (the library's, so both check them alike)."""
    import functools
    import inspect
    import typing

    # the command's own annotations resolved (they are strings here): Typer reads them from
    # the new signature, whose module is this one
    hints = typing.get_type_hints(command, include_extras=True)
    signature = inspect.signature(command)
    rest = [p.replace(annotation=hints.get(p.name, p.annotation))
            for p in signature.parameters.values() if p.name != "filters"]
    flags = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default,
                               annotation=annotation)
             for name, (annotation, default) in LIST_FILTER_FLAGS.items()]
    params = [rest[0], *flags,
              *(p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in rest[1:])]

    @functools.wraps(command)
    def with_filters(ctx, **kwargs):
        from acctctl.options import ListOptions

        filters = ListOptions(**{name: kwargs.pop(name) for name in LIST_FILTER_FLAGS})
        return command(ctx, filters=filters, **kwargs)

    with_filters.__signature__ = signature.replace(parameters=params)
    with_filters.__annotations__ = {p.name: p.annotation for p in params}
    return with_filters


Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Run every check and write nothing")]


def change_options(ctx: typer.Context, mode: str = "flags", dry_run: bool = False,
                   continue_on_error: bool = False):
    """What the service records of a change: the command (secrets redacted), the profile."""
    from acctctl.service.changes import ChangeOptions, redact_command

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
