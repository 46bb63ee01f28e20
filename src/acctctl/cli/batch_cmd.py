"""`acctctl batch list|show|undo` and `acctctl audit list` (contract §7)."""

from __future__ import annotations

from typing import Annotated

import typer

from acctctl.cli.console import say
from acctctl.cli.options import (
    LIST_COLUMNS,
    LIST_DROP_ORDER,
    Batch,
    DryRun,
    Limit,
    Output,
    Yes,
    change_options,
    check_format,
    confirm,
    filter_text,
    parse_since,
    render,
)
from acctctl.cli.state import state_of
from acctctl.output import Fit, write_records

batch_app = typer.Typer(no_args_is_help=True)
audit_app = typer.Typer(no_args_is_help=True)

#: The keys of a batch and of an audit record (contract §7): the table's columns and the csv
#: header, which an empty list keeps.
BATCH_COLUMNS = ["batch_id", "at", "actor", "mode", "command", "created", "live"]
AUDIT_COLUMNS = ["at", "actor", "action", "account", "batch_id", "command", "changes"]


@batch_app.command("list")
def batch_list(ctx: typer.Context, limit: Limit = None, output: Output = "table") -> None:
    """List batches, newest first: acctctl batch list -o json"""
    from acctctl.service.batches import list_batches

    check_format(output)
    write_records(list_batches(state_of(ctx).storage(), limit or None), output,
                  columns=BATCH_COLUMNS, title="batches", empty="no batches")


@batch_app.command("show")
def batch_show(ctx: typer.Context, batch_id: Annotated[str, typer.Argument(metavar="ID")],
               output: Output = "table") -> None:
    """Show the accounts a batch created: acctctl batch show ID"""
    from acctctl.service.batches import show_batch

    check_format(output)
    records = show_batch(state_of(ctx).storage(), batch_id)
    if output == "table":
        write_records(records, output, columns=[*LIST_COLUMNS, "deleted_at"], title=batch_id,
                      fit=Fit(drop=LIST_DROP_ORDER), empty=f"batch {batch_id} has no accounts")
    else:
        write_records(records, output)


@batch_app.command("undo")
def batch_undo(ctx: typer.Context, batch_id: Annotated[str, typer.Argument(metavar="ID")],
               dry_run: DryRun = False, yes: Yes = False, output: Output = "table") -> None:
    """Purge the accounts a batch created (refused if any changed since or owns accounts
    outside it): acctctl batch undo ID --yes"""
    from acctctl.service.batches import undo_batch

    check_format(output)
    storage = state_of(ctx).storage()
    if not dry_run:
        confirm(f"Purge every account batch {batch_id} created?", yes)
    results = undo_batch(storage, batch_id, change_options(ctx, dry_run=dry_run))
    counts = {k: sum(1 for r in results if r["action"] == k)
              for k in ("purged", "restored", "deleted")}
    if dry_run:  # marked as create's dry run marks it: a script must not mistake it
        results = [{**r, "action": f"would {r['action'].removesuffix('d')}", "dry_run": True}
                   for r in results]
    render(results, output, "accounts")
    if not results:
        say(f"batch {batch_id} has no accounts left: nothing to undo", "yellow")
    else:
        purged = counts["purged"]
        n = f"{purged} account{'s' if purged != 1 else ''} of batch {batch_id}"
        others = "".join(f", {k} {counts[k]}" for k in ("restored", "deleted") if counts[k])
        say(f"dry run: would purge {n}{others}; nothing was written" if dry_run
            else f"purged {n}{others}", "yellow" if dry_run else "green")


@audit_app.command("list")
def audit_list(
    ctx: typer.Context,
    account: Annotated[str | None, typer.Option("--account", metavar="NUMBER",
                                                help="Only records of this account")] = None,
    batch: Batch = None,
    since: Annotated[str | None, typer.Option(
        "--since", metavar="DATE", help="At or after DATE (ISO 8601, UTC)")] = None,
    limit: Limit = None,
    output: Output = "table",
) -> None:
    """Audit records, newest first: acctctl audit list --account 4123456789 -o json"""
    from acctctl.service.batches import list_audit

    check_format(output)
    for flag, value in (("--account", account), ("--batch", batch), ("--since", since)):
        filter_text(value, flag)
    records = list_audit(state_of(ctx).storage(), account, batch,
                         parse_since(since, "--since"), limit or None)
    write_records(records, output, columns=AUDIT_COLUMNS, title="audit",
                  empty="no audit records match" if account or batch or since
                  else "no audit records")
