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
    check_format(output)
    batches = state_of(ctx).client().batches(limit or None)
    write_records([b.as_dict() for b in batches], output,
                  columns=BATCH_COLUMNS, title="batches", empty="no batches")


@batch_app.command("show")
def batch_show(ctx: typer.Context, batch_id: Annotated[str, typer.Argument(metavar="ID")],
               output: Output = "table") -> None:
    """Show the accounts a batch created: acctctl batch show ID"""
    check_format(output)
    records = [a.as_dict() for a in state_of(ctx).client().batch(batch_id)]
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
    check_format(output)
    client = state_of(ctx).client()
    if not dry_run:
        confirm(f"Purge every account batch {batch_id} created?", yes)
    changes = client.undo(batch_id, dry_run=dry_run)
    counts = {k: sum(1 for c in changes if c.action == k) for k in ("purged", "restored",
                                                                     "deleted")}
    # a dry run's records are marked ("would purge", dry_run): a script must not mistake them
    results = [c.as_dict() for c in changes]
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
    check_format(output)
    for flag, value in (("--account", account), ("--batch", batch), ("--since", since)):
        filter_text(value, flag)
    moment = parse_since(since, "--since")
    records = [r.as_dict() for r in state_of(ctx).client().audit(
        account=account, batch=batch, since=moment, limit=limit or None)]
    write_records(records, output, columns=AUDIT_COLUMNS, title="audit",
                  empty="no audit records match" if account or batch or since
                  else "no audit records")
