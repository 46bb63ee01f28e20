"""`acctctl account list|show` and the filters they share with `account export`."""

from __future__ import annotations

from typing import Annotated

import typer
from typer.core import TyperGroup

from acctctl.cli.complete import KINDS, OUTPUT_FORMATS, choices, from_database
from acctctl.cli.state import state_of


class AccountGroup(TyperGroup):
    """`account update` takes every kind's field flags, derived from the models: it is built
    only when it runs or shows its help, so `acctctl --help` stays quick (as `create`)."""

    def list_commands(self, ctx) -> list[str]:
        return sorted({*super().list_commands(ctx), "update"})

    def get_command(self, ctx, cmd_name: str):
        if cmd_name == "update":
            from acctctl.cli.day_two import build_update_command

            return build_update_command()
        return super().get_command(ctx, cmd_name)


app = typer.Typer(cls=AccountGroup, help="Look at, change, disable, delete and export accounts.",
                  no_args_is_help=True)

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
    from acctctl.errors import UsageError
    from acctctl.output import FORMATS

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
    from acctctl.cli.create import KIND_NAMES
    from acctctl.errors import UsageError

    if kind is not None and kind not in KIND_NAMES:
        raise UsageError(f"--kind must be one of {', '.join(KIND_NAMES)}, got {kind!r}")
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
    from acctctl.errors import UsageError
    from acctctl.service.rows import MAX_CELL

    if value is not None and len(value) > MAX_CELL:
        raise UsageError(f"{flag} is {len(value):,} characters long: a value is at most "
                         f"{MAX_CELL:,} characters")
    return value


def native_catalog():
    from acctctl.service import catalog

    return catalog


def check_sort(sort: str) -> None:
    from acctctl.errors import UsageError
    from acctctl.service.records import SORT_KEYS

    if sort.lstrip("-") not in SORT_KEYS:
        raise UsageError(f"--sort must be a field key ({', '.join(SORT_KEYS)}), "
                         f"optionally with a leading -, got {sort!r}")


def parse_since(value: str | None, flag: str):
    """An ISO 8601 date (midnight UTC) or date-time (no offset = UTC); exit 2 otherwise.
    The date rule of --expiry (models/rules.py parse_moment), with the flag named."""
    from acctctl.errors import UsageError
    from acctctl.models.rules import parse_moment

    if value is None:
        return None
    try:
        return parse_moment(value)
    except ValueError as exc:
        raise UsageError(f"{flag} {exc}") from None


@app.command("show")
def show(ctx: typer.Context, number: str, output: Output = "table") -> None:
    """Show one account: acctctl account show 4123456789 -o json"""
    from acctctl.output import write_account_card, write_json, write_records
    from acctctl.targets import catalog_for

    check_format(output)
    engine = state_of(ctx).engine()
    catalog = catalog_for(engine)
    record = catalog.find_account(engine, number, with_devices=True)  # either target
    if output in ("table", "csv") and "sip_devices" in record:
        # one cell: "username (status)", never a secret
        record["sip_devices"] = [f"{d['username']} ({d['status']})"
                                 for d in record["sip_devices"]]
    if output == "json":
        write_json(record)
    elif output == "table":
        write_account_card(record)
    else:
        write_records([record], output, columns=list(record))


@app.command("list")
def list_(
    ctx: typer.Context,
    kind: Kind = None,
    reseller: Reseller = None,
    status: Status = None,
    search: Search = None,
    batch: Batch = None,
    created_after: CreatedAfter = None,
    include_deleted: IncludeDeleted = False,
    sort: Sort = "number",
    limit: Limit = None,
    offset: Offset = 0,
    output: Output = "table",
    wide: Annotated[bool, typer.Option("--wide", help="Table: every column and full "
                                       "timestamps (one block per account when they do not "
                                       "fit the terminal)")] = False,
) -> None:
    """List accounts: acctctl account list --kind customer --search ada -o csv

    The table shows 100 rows unless --limit says otherwise (0 = all); json, jsonl and csv
    return every row unless --limit is given."""
    from acctctl.cli.console import say
    from acctctl.cli.create import KIND_NAMES
    from acctctl.errors import UsageError
    from acctctl.output import write_records
    from acctctl.targets import catalog_for

    check_format(output)
    filters = list_filters(kind, reseller, status, search, batch, created_after,
                           include_deleted, sort)
    if limit is None and output == "table":
        limit = TABLE_LIMIT
    engine = state_of(ctx).engine()
    catalog = catalog_for(engine)
    if catalog is native_catalog():
        records, total = catalog.list_page(engine, limit=limit or None, offset=offset,
                                           count_all=True, **filters)
    else:  # the astpp target: --kind, --reseller and --limit only, for now
        day_two = [flag for flag, value in (
            ("--status", status), ("--search", search), ("--batch", batch),
            ("--created-after", created_after), ("--include-deleted", include_deleted),
            ("--sort", sort != "number"), ("--offset", offset)) if value]
        if day_two:
            raise UsageError(f"{', '.join(day_two)}: not supported on the astpp target")
        records, total = catalog.list_accounts(engine, kind, reseller, limit or None), None
    if output == "table":
        from acctctl.output import Fit

        columns = table_columns(LIST_COLUMNS + (["deleted_at"] if include_deleted else []),
                                filters)
        filtered = any(v for k, v in filters.items() if k != "sort") or offset
        write_records(records, output, columns=columns, title="accounts",
                      fit=Fit(drop=LIST_DROP_ORDER, wide=wide, hint="--wide shows every column"),
                      empty="no accounts match" if filtered else "no accounts")
    elif output == "csv":
        from acctctl.service.records import output_keys

        columns = list(dict.fromkeys(k for k_ in (kind and [kind] or KIND_NAMES)
                                     for k in output_keys(k_)))
        write_records(records, output, columns=columns)
    else:
        write_records(records, output)
    if total is not None:
        say(f"{len(records):,} of {total:,}; --limit 0 for all")
