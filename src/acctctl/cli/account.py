"""The `account` group: `list` and `show` here, the changes (update, disable, enable, delete,
reset-password, rotate-sip-secret, export) in day_two.py, registered below explicitly."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

import typer

from acctctl.cli import day_two
from acctctl.cli.console import say
from acctctl.cli.lazy import LazyGroup
from acctctl.cli.options import (
    KINDS,
    LIST_COLUMNS,
    LIST_DROP_ORDER,
    TABLE_LIMIT,
    Output,
    check_format,
    list_filter_flags,
    table_columns,
)
from acctctl.cli.state import state_of
from acctctl.options import ListOptions
from acctctl.output import Fit, write_account_card, write_json, write_records


class AccountGroup(LazyGroup):
    """`account update` takes every kind's field flags, derived from the models: it is built
    only when it runs or shows its help, so `account --help` and its TAB stay quick."""

    lazy_help = {"update": day_two.UPDATE_HELP}

    def build(self, name: str):
        return day_two.build_update_command()

    def list_commands(self, ctx) -> list[str]:
        return sorted(super().list_commands(ctx))


app = typer.Typer(cls=AccountGroup, no_args_is_help=True)

@app.command("show")
def show(ctx: typer.Context, number: str, output: Output = "table") -> None:
    """Show one account: acctctl account show 4123456789 -o json"""
    check_format(output)
    record = state_of(ctx).client().show(number).as_dict()
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
@list_filter_flags
def list_(
    ctx: typer.Context,
    filters: ListOptions,
    output: Output = "table",
    wide: Annotated[bool, typer.Option("--wide", help="Table: every column and full "
                                       "timestamps (one block per account when they do not "
                                       "fit the terminal)")] = False,
) -> None:
    """List accounts: acctctl account list --kind customer --search ada -o csv

    The table shows 100 rows unless --limit says otherwise (0 = all); json, jsonl and csv
    return every row unless --limit is given."""
    check_format(output)
    checked = filters.check()
    kind, limit, include_deleted = filters.kind, filters.limit, filters.include_deleted
    if limit is None and output == "table":
        limit = TABLE_LIMIT
    page = state_of(ctx).client().page(replace(filters, limit=limit))
    records, total = [a.as_dict() for a in page.accounts], page.total
    if output == "table":
        columns = table_columns(LIST_COLUMNS + (["deleted_at"] if include_deleted else []),
                                checked)
        filtered = any(v for k, v in checked.items() if k != "sort") or filters.offset
        write_records(records, output, columns=columns, title="accounts",
                      fit=Fit(drop=LIST_DROP_ORDER, wide=wide, hint="--wide shows every column"),
                      empty="no accounts match" if filtered else "no accounts")
    elif output == "csv":
        from acctctl.service.records import output_keys

        columns = list(dict.fromkeys(k for k_ in (kind and [kind] or KINDS)
                                     for k in output_keys(k_)))
        write_records(records, output, columns=columns)
    else:
        write_records(records, output)
    if total is not None:
        say(f"{len(records):,} of {total:,}; --limit 0 for all")


# The changes live in day_two.py; registering them here (not as a side effect of importing
# day_two) keeps the group whole whoever imports it first.
for _name, _function in (("disable", day_two.disable), ("enable", day_two.enable),
                         ("delete", day_two.delete), ("reset-password", day_two.reset_password),
                         ("rotate-sip-secret", day_two.rotate_sip_secret),
                         ("export", day_two.export)):
    app.command(_name)(_function)
