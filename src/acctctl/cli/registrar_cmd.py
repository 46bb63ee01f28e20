"""`acctctl registrar check|sync` (contract §11): the SIP registrars' `subscriber` tables
against the accounts target's SIP devices."""

from __future__ import annotations

from typing import Annotated

import typer

from acctctl.cli.console import say, warn
from acctctl.cli.options import DryRun, Output, check_format
from acctctl.cli.state import state_of
from acctctl.errors import EXIT_PARTIAL
from acctctl.output import write_records

app = typer.Typer(no_args_is_help=True)

Name = Annotated[str | None, typer.Argument(metavar="[NAME]",
                                            help="One [[registrars]] name (default: all)")]
CHECK_COLUMNS = ["registrar", "username", "domain", "state", "detail"]
SYNC_COLUMNS = ["registrar", "username", "domain", "action", "state"]


def _registrars(ctx: typer.Context, name: str | None):
    """(the accounts target's storage, each chosen registrar opened and its flavour known);
    the registrars' connections close when the command ends."""
    from acctctl.registrars import chosen, open_registrar

    state = state_of(ctx)
    engine = state.storage()
    engine.registrar_record()  # exit 5 when the target keeps no record of acctctl's rows
    warnings: list[str] = []
    opened = []
    for settings in chosen(state.settings, name):
        opened.append(open_registrar(state.loaded(), settings, warnings))
        ctx.call_on_close(opened[-1].engine.dispose)
    for message in dict.fromkeys(warnings):
        warn(message)
    return engine, opened


@app.command("check")
def check(ctx: typer.Context, name: Name = None, output: Output = "table") -> None:
    """Compare each registrar with the live SIP devices; exit 6 when they differ:
    acctctl registrar check edge -o json"""
    from acctctl.registrars.sync import plan

    check_format(output)
    engine, registrars = _registrars(ctx, name)
    records, differences = [], 0
    for registrar in registrars:
        found = plan(registrar, engine)
        differences += len(found.differences())
        records += found.report()
        say(f"{registrar.name}: {registrar.flavour.label} at {registrar.shown_url}, "
            f"{len(found.differences())} difference(s), {len(found.unmanaged)} unmanaged row(s)")
    write_records(records, output, columns=CHECK_COLUMNS, title="registrars",
                  empty="no differences, no unmanaged rows")
    if differences:
        say(f"{differences} difference(s): run acctctl registrar sync", "yellow")
        raise typer.Exit(EXIT_PARTIAL)
    say("every registrar matches the live SIP devices", "green")


@app.command("sync")
def sync(ctx: typer.Context, name: Name = None, dry_run: DryRun = False,
         output: Output = "table") -> None:
    """Repair every difference check finds (never an operator's own rows); fills a newly
    added registrar: acctctl registrar sync --dry-run"""
    from acctctl.registrars.sync import actions, check_fits, plan

    check_format(output)
    state = state_of(ctx)
    state.dry_run = dry_run  # a dry run initialises no empty accounts database either
    engine, registrars = _registrars(ctx, name)
    plans = [plan(registrar, engine) for registrar in registrars]
    for found in plans:  # every refusal before the first write, in any registrar
        check_fits(found)
    records, conflicts = [], 0
    for found in plans:
        done = actions(found, dry_run=True) if dry_run else _apply(found, engine)
        records += done
        conflicts += len(found.conflict)
        changed = len(done) - len(found.conflict)
        say(f"{found.registrar.name} ({found.registrar.flavour.label}): "
            f"{'would change' if dry_run else 'changed'} "
            f"{changed} row(s)" + (f", {len(found.conflict)} conflict(s) left alone"
                                  if found.conflict else ""),
            "yellow" if dry_run or found.conflict else "green")
    write_records(records, output, columns=SYNC_COLUMNS, title="registrar sync",
                  empty="nothing to do: every registrar matches")
    if dry_run:
        say("dry run: nothing was written", "yellow")
    if conflicts:
        say(f"{conflicts} username(s) are held by rows acctctl does not manage; remove or "
            "rename those rows, then sync again", "yellow")
        raise typer.Exit(EXIT_PARTIAL)


def _apply(found, engine) -> list[dict]:
    """apply(), with an interruption or a lost database told as what it is: the registrar
    may be partly written, and check/sync converge from there (docs/registrars.md)."""
    import sqlalchemy as sa

    from acctctl.errors import EXIT_INTERRUPTED, DatabaseError
    from acctctl.registrars.sync import apply

    name = found.registrar.name
    again = "run acctctl registrar check, then acctctl registrar sync again"
    try:
        return apply(found, engine)
    except KeyboardInterrupt:
        say(f"interrupted while syncing registrar {name}: it may be partly written; {again}",
            "yellow")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except sa.exc.SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise DatabaseError(f"registrar {name}: sync failed ({reason}); it may be partly "
                            f"written", hint=again) from None
