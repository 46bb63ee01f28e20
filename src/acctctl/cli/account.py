"""`acctctl account list|show`."""

from __future__ import annotations

from typing import Annotated

import typer

from acctctl.cli.complete import KINDS, OUTPUT_FORMATS, choices, from_database
from acctctl.cli.state import state_of

app = typer.Typer(help="Look at accounts.", no_args_is_help=True)

Output = Annotated[str, typer.Option("--output", "-o", help="table, json, jsonl or csv",
                                     autocompletion=choices(OUTPUT_FORMATS))]
LIST_COLUMNS = ["number", "kind", "first_name", "last_name", "email", "status", "reseller",
                "created_at"]
#: What a narrow terminal loses first: number, kind and email stay.
LIST_DROP_ORDER = ("reseller", "created_at", "status", "last_name", "first_name")


def check_format(fmt: str) -> None:
    from acctctl.errors import UsageError
    from acctctl.output import FORMATS

    if fmt not in FORMATS:
        raise UsageError(f"--output must be one of {', '.join(FORMATS)}, got {fmt!r}")


@app.command("show")
def show(ctx: typer.Context, number: str, output: Output = "table") -> None:
    """Show one account: acctctl account show 4123456789 -o json"""
    from acctctl.output import write_account_card, write_json, write_records
    from acctctl.service.catalog import find_account

    check_format(output)
    record = find_account(state_of(ctx).engine(), number)
    if output == "json":
        write_json(record)
    elif output == "table":
        write_account_card(record)
    else:
        write_records([record], output, columns=list(record))


@app.command("list")
def list_(
    ctx: typer.Context,
    kind: Annotated[str | None, typer.Option("--kind", help="customer, provider, reseller, "
                                             "admin or subadmin",
                                             autocompletion=choices(KINDS))] = None,
    reseller: Annotated[str | None, typer.Option("--reseller", metavar="NUMBER",
                                                 help="Only what this reseller owns",
                                                 autocompletion=from_database("resellers"))
                        ] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="At most N")] = None,
    output: Output = "table",
    wide: Annotated[bool, typer.Option("--wide", help="Table: every column and full "
                                       "timestamps, however wide the terminal")] = False,
) -> None:
    """List accounts: acctctl account list --kind customer -o csv"""
    from acctctl.cli.create import KIND_NAMES
    from acctctl.errors import UsageError
    from acctctl.output import write_records
    from acctctl.service.catalog import list_accounts

    check_format(output)
    if kind is not None and kind not in KIND_NAMES:
        raise UsageError(f"--kind must be one of {', '.join(KIND_NAMES)}, got {kind!r}")
    records = list_accounts(state_of(ctx).engine(), kind, reseller, limit)
    if output in ("table",):
        from acctctl.output import Fit

        write_records(records, output, columns=LIST_COLUMNS, title="accounts",
                      fit=Fit(drop=LIST_DROP_ORDER, wide=wide, hint="--wide shows every column"))
    elif output == "csv":
        from acctctl.service.records import output_keys

        columns = list(dict.fromkeys(k for k_ in (kind and [kind] or KIND_NAMES)
                                     for k in output_keys(k_)))
        write_records(records, output, columns=columns)
    else:
        write_records(records, output)
