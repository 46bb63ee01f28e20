"""`acctctl plan` and `acctctl apply` (contract §10): accounts as code.

Thin commands: read the file (service/declared.py, before the database is opened, as before),
make one call of the library's Client (acctctl.client: plan, or apply after a prune preview)
and render its PlanResult. No rules and no SQL here.
"""

from __future__ import annotations

from typing import Annotated

import typer

from acctctl.cli.console import say
from acctctl.cli.options import DryRun, Yes, check_format, confirm
from acctctl.cli.secrets_file import run_delivering
from acctctl.cli.state import state_of
from acctctl.errors import UsageError
from acctctl.output import cell, write_json, write_records

#: contract §4: `plan --exit-code` when the plan is not empty
EXIT_CHANGES = 7
#: the plan table's columns; `changes` is one "field: old → new" a line
PLAN_COLUMNS = ["action", "kind", "key", "changes"]
#: what apply prints per object, kubectl's words
DONE = {"create": "created", "update": "configured", "unchanged": "unchanged",
        "delete": "deleted", "disable": "disabled"}

File = Annotated[str, typer.Option("--file", "-f", metavar="FILE",
                                   help="The set's file (YAML, TOML or JSON, by extension)")]
Prune = Annotated[bool, typer.Option(
    "--prune", help="Also delete what earlier applies of this set created and the file no "
    "longer declares (billing history: disabled instead)")]


def _changes_text(changes: dict) -> str:
    return "; ".join(f"{k}: {cell(old) if old is not None else '(none)'} → {cell(new)}"
                     for k, (old, new) in changes.items())


def _render_plan(result, output: str, done: bool = False) -> None:
    ops = result.objects
    if output == "json":
        write_json([op.as_dict() for op in ops])
        return
    if output == "table":
        rows = [{"action": DONE[op.action] if done else op.action, "kind": op.kind,
                 "key": op.key, "changes": _changes_text(op.changes)} for op in ops]
        write_records(rows, "table", columns=PLAN_COLUMNS, title=None,
                      empty="the file declares nothing")
        return
    write_records([{**op.as_dict(), "changes": _changes_text(op.changes)} for op in ops],
                  output, columns=PLAN_COLUMNS)


def _read(path: str):
    """The set the file declares, read before the database is opened (its errors first)."""
    from acctctl.service.declared import read_declared

    return read_declared(path)


def plan(ctx: typer.Context, file: File, prune: Prune = False,
         exit_code: Annotated[bool, typer.Option(
             "--exit-code", help="Exit 7 when the plan is not empty (changes pending)")] = False,
         output: Annotated[str, typer.Option("--output", "-o",
                                             help="table or json")] = "table") -> None:
    """Show what apply would change: acctctl plan -f seed.yaml --exit-code"""
    if output not in ("table", "json"):
        raise UsageError(f"--output must be table or json for plan, got {output!r}")
    declared = _read(file)
    state = state_of(ctx)
    state.dry_run = True  # an empty database is planned against, not initialised
    result = state.client().plan(declared, prune=prune)
    _render_plan(result, output)
    say(f"Plan: {result.summary}.")
    if exit_code and result.changed:
        raise typer.Exit(EXIT_CHANGES)


def apply(ctx: typer.Context, file: File, prune: Prune = False, dry_run: DryRun = False,
          yes: Yes = False,
          secrets_file: Annotated[str | None, typer.Option(
              "--secrets-file", metavar="PATH",
              help="Write generated secrets to this new file (mode 0600) instead of "
              "stdout")] = None,
          output: Annotated[str, typer.Option("--output", "-o",
                                              help="table, json, jsonl or csv")] = "table",
          ) -> None:
    """Converge the database to the file, in one transaction: acctctl apply -f seed.yaml"""
    check_format(output)
    declared = _read(file)
    state = state_of(ctx)
    state.dry_run = dry_run
    client = state.client()
    if prune and not dry_run:
        # what would go is known before anything is asked: plan first, ask only when needed
        preview = client.plan(declared, prune=True)
        going = [op for op in preview.objects if op.action in ("delete", "disable")]
        if going:
            shown = ", ".join(f"{op.kind} {op.key}" for op in going[:10])
            confirm(f"Prune {len(going)} object{'s' if len(going) != 1 else ''} of set "
                    f"{preview.set_name} ({shown})?", yes)

    def run(before_commit):
        return client.apply(declared, prune=prune, dry_run=dry_run, deliver=before_commit)

    def secrets(result) -> list[dict]:  # what the secrets file (or stdout) must carry
        return [{"number": g["number"], "generated": {
            k: v for k, v in g.items() if k in ("password", "sip_password")}}
            for g in result.generated]

    result = run_delivering(None if dry_run else secrets_file, run, secrets,
                            lambda r: _render_applied(r, output, with_secrets=not secrets_file),
                            f"generated secrets are in {secrets_file} (mode 0600)")
    if dry_run:
        say(f"dry run: {result.summary}; nothing was written", "yellow")
    else:
        say(f"Apply: {result.summary}; batch {result.batch_id}", "green")


def _render_applied(result, output: str, with_secrets: bool = True) -> None:
    if output == "json":
        write_json({"batch_id": result.batch_id, "set": result.set_name,
                    "dry_run": result.dry_run,
                    "objects": [{**op.as_dict(), "result": DONE[op.action]}
                                for op in result.objects],
                    "generated": result.generated if with_secrets else [],
                    "summary": result.counts})
        return
    _render_plan(result, output, done=not result.dry_run)
    if result.generated and with_secrets and not result.dry_run:
        write_records(result.generated, output if output != "json" else "jsonl",
                      columns=["kind", "number", "password", "sip_password"],
                      title="generated secrets (shown once)")
