"""`acctctl batch list|show|undo` and `acctctl audit list` (contract §7)."""

from __future__ import annotations

from typing import Annotated

import typer

from acctctl.cli.account import Batch, Limit, Output, check_format, parse_since
from acctctl.cli.console import say
from acctctl.cli.day_two import DryRun, Yes, _options, _render, confirm
from acctctl.cli.state import state_of

batch_app = typer.Typer(help="What each create command wrote, and undoing it.",
                        no_args_is_help=True)
audit_app = typer.Typer(help="The audit trail of every change.", no_args_is_help=True)


@batch_app.command("list")
def batch_list(ctx: typer.Context, limit: Limit = None, output: Output = "table") -> None:
    """List batches, newest first: acctctl batch list -o json"""
    from acctctl.service.batches import list_batches

    check_format(output)
    _render(list_batches(state_of(ctx).engine(), limit or None), output, "batches")


@batch_app.command("show")
def batch_show(ctx: typer.Context, batch_id: Annotated[str, typer.Argument(metavar="ID")],
               output: Output = "table") -> None:
    """Show the accounts a batch created: acctctl batch show ID"""
    from acctctl.cli.account import LIST_COLUMNS
    from acctctl.output import write_records
    from acctctl.service.batches import show_batch

    check_format(output)
    records = show_batch(state_of(ctx).engine(), batch_id)
    if output == "table":
        write_records(records, output, columns=[*LIST_COLUMNS, "deleted_at"], title=batch_id)
    else:
        write_records(records, output)


@batch_app.command("undo")
def batch_undo(ctx: typer.Context, batch_id: Annotated[str, typer.Argument(metavar="ID")],
               dry_run: DryRun = False, yes: Yes = False, output: Output = "table") -> None:
    """Purge the accounts a batch created (refused if any changed since or owns accounts
    outside it): acctctl batch undo ID --yes"""
    from acctctl.service.batches import undo_batch

    check_format(output)
    engine = state_of(ctx).engine()
    if not dry_run:
        confirm(f"Purge every account batch {batch_id} created?", yes)
    results = undo_batch(engine, batch_id, _options(ctx, dry_run=dry_run))
    if dry_run:  # marked as create's dry run marks it: a script must not mistake it
        results = [{**r, "action": "would purge", "dry_run": True} for r in results]
    _render(results, output, "accounts")
    if not results:
        say(f"batch {batch_id} has no accounts left: nothing to undo", "yellow")
    else:
        n = f"{len(results)} account{'s' if len(results) != 1 else ''} of batch {batch_id}"
        say(f"dry run: would purge {n}; nothing was written" if dry_run else f"purged {n}",
            "yellow" if dry_run else "green")


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
    records = list_audit(state_of(ctx).engine(), account, batch,
                         parse_since(since, "--since"), limit or None)
    _render(records, output, "audit")
