"""`acctctl account update|disable|enable|delete|reset-password|rotate-sip-secret|export`
(contract §7); `batch` and `audit` are in batch_cmd.py.

Thin commands: check the flags, call one service function, render. No rules and no SQL here.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Annotated, Any

import typer

from acctctl.cli.console import err_console, say, streams
from acctctl.cli.create import KIND_NAMES, _field_parameters
from acctctl.cli.create_run import _read_password, _render_single
from acctctl.cli.help import EXAMPLES, GroupedCommand, examples_epilog
from acctctl.cli.options import (
    DryRun,
    Output,
    Yes,
    check_format,
    confirm,
    list_filter_flags,
    render,
)
from acctctl.cli.report import report_field_errors
from acctctl.cli.secrets_file import run_delivering
from acctctl.cli.state import state_of
from acctctl.errors import (
    EXIT_INTERRUPTED,
    EXIT_PARTIAL,
    AcctctlError,
    FieldError,
    NotFound,
    UsageError,
    ValidationFailed,
)
from acctctl.options import ListOptions, check_exclusive, check_file_format
from acctctl.output import cell, write_json, write_records
from acctctl.service.rows import infer_format, read_rows

Numbers = Annotated[list[str], typer.Argument(metavar="NUMBER...", help="Account numbers")]
SecretsFile = Annotated[str | None, typer.Option(
    "--secrets-file", metavar="PATH",
    help="Write the generated secret to this new file (mode 0600) instead of stdout")]


def _render_one(record: dict, output: str) -> None:
    """One account-shaped result, as create prints one (secrets under "generated")."""

    _render_single(record, output)


# --- update ---------------------------------------------------------------------------------


def _update_field_parameters() -> list[inspect.Parameter]:
    """Every kind's field flags (the first kind that has a key decides its flag): the kind
    of NUMBER is known only once it is looked up; a flag its kind lacks is then exit 3."""

    params: dict[str, inspect.Parameter] = {}
    for kind in KIND_NAMES:
        for param in _field_parameters(kind, mark_required=False):  # only what changes
            params.setdefault(param.name, param)
    return list(params.values())


UPDATE_HELP = (
    "Change fields of an account (the same flags and rules as create), or of many "
    "from a file keyed by number.\n\nnumber, account type and reseller cannot change; "
    "passwords change with reset-password.")


def build_update_command():
    fields = _update_field_parameters()
    field_keys = [p.name for p in fields]

    def opt(name, annotation, default, *decls, **kw):
        return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default,
                                 annotation=Annotated[annotation, typer.Option(*decls, **kw)])

    modes = [
        opt("from_file", str | None, None, "--from-file", metavar="PATH", rich_help_panel="Bulk",
            help="Update one account per row (keyed by number) of a CSV, JSON or JSONL file; "
                 "- for stdin"),
        opt("file_format", str | None, None, "--format", rich_help_panel="Bulk",
            help="csv, json or jsonl (inferred from the file name; required for stdin)"),
        opt("continue_on_error", bool, False, "--continue-on-error", rich_help_panel="Bulk",
            help="Write the good rows and report the bad ones (exit 6)"),
        opt("dry_run", bool, False, "--dry-run", rich_help_panel="Mode",
            help="Run every check, the database ones included, and write nothing"),
        opt("no_input", bool, False, "--no-input", rich_help_panel="Mode",
            help="Never prompt (also ACCTCTL_NO_INPUT=1)"),
        opt("yes", bool, False, "--yes", "-y", rich_help_panel="Mode",
            help="Do not ask for confirmation"),
        opt("output", str, "table", "--output", "-o", rich_help_panel="Output",
            help="table, json, jsonl or csv"),
    ]
    number = inspect.Parameter(
        "account", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None,
        annotation=Annotated[str | None, typer.Argument(metavar="NUMBER",
                                                        help="The account to change")])

    def command(ctx: typer.Context, account: str | None = None, **kwargs: Any) -> None:
        given = {k: kwargs.pop(k) for k in field_keys}
        given = {k: v for k, v in given.items() if v is not None and v != []}
        run_update(ctx, account, given, UpdateFlags(**kwargs))

    ctx_param = inspect.Parameter("ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                  annotation=typer.Context)
    params = [ctx_param, number, *fields, *modes]
    command.__signature__ = inspect.Signature(params)
    command.__annotations__ = {p.name: p.annotation for p in params}
    command.__doc__ = UPDATE_HELP

    # plain help grouped as the form, as create's (fits 80 columns, examples at the end)
    single = typer.Typer(add_completion=False, rich_markup_mode=None)
    single.command("update", cls=GroupedCommand,
                   epilog=examples_epilog(EXAMPLES["account update"]))(command)
    return typer.main.get_command(single)


@dataclass
class UpdateFlags:
    """The mode flags of `account update` (the field flags are the changes)."""

    from_file: str | None = None
    file_format: str | None = None
    continue_on_error: bool = False
    dry_run: bool = False
    no_input: bool = False
    yes: bool = False
    output: str = "table"


def run_update(ctx: typer.Context, number: str | None, given: dict, mode: UpdateFlags) -> None:
    check_format(mode.output)
    check_file_format(mode.file_format)
    check_exclusive(given)
    if mode.from_file is not None:
        if number is not None:
            raise UsageError("give NUMBER or --from-file, not both (rows carry their number)")
        _update_bulk(ctx, given, mode)
        return
    if number is None:
        raise UsageError("missing NUMBER: the account to update (or --from-file PATH)")
    run_mode, account = "flags", None
    if not given and streams(no_input=mode.no_input).can_prompt():
        account, given = _wizard_changes(ctx, number)
        run_mode = "interactive"
    elif not given:
        raise UsageError("nothing to change: give at least one field flag "
                         "(see acctctl account update --help)")
    if "number" in given:  # NUMBER says which account; the number itself never changes

        failure = ValidationFailed([FieldError("number", "cannot be changed after creation")])
        failure.kind = _kind_of(state_of(ctx).client(), number)
        raise failure
    _update_single(ctx, number, given, mode, run_mode,
                   confirm_for=account if account is not None and not mode.yes else None)


#: What the update wizard never asks: fixed at creation, or changed by reset-password.
NOT_ASKED = ("number", "account_type", "reseller", "password")


def _wizard_changes(ctx: typer.Context, number: str) -> tuple[dict, dict]:
    """The create wizard, pre-filled with the account's values: (the account, what the
    answers change). A field answered `-` (no value) is handed on as UNSET: it becomes what
    create gives an account that lacks it (empty, or the field's default)."""
    from acctctl.interactive.wizard import run_wizard
    from acctctl.service.update import UNSET, editable_values

    state = state_of(ctx)
    storage = state.storage()
    record = storage.show(number, with_devices=False)
    current = {k: (v if isinstance(v, list | bool) else cell(v))
               for k, v in editable_values(record).items()}
    # essentials first, then "Change other settings?"; what cannot change is not asked. The
    # summary comes after, from what the update would really write (_update_single).
    answers = run_wizard(record["kind"], dict(current), state.settings, storage,
                         ask="essentials", confirm=False, console=err_console(),
                         exclude=NOT_ASKED, action="Update", own=current)
    changed: dict = {k: v for k, v in answers.items() if k != "password" and current.get(k) != v}
    changed.update({k: UNSET for k in current if k not in answers and k not in NOT_ASKED})
    if not changed:
        say(f"{record['kind']} {number}: nothing changed; nothing was written", "yellow")
        raise typer.Exit(0)
    return record, changed


def _account_title(record: dict) -> str:
    """"Update customer 1002 (Ada Byron)": the kind, number and name of the account."""
    name = " ".join(str(p) for p in (record.get("first_name"), record.get("last_name")) if p)
    name = name or record.get("company") or record.get("email") or ""
    return f"Update {record['kind']} {record['number']}" + (f" ({name})" if name else "")


def _update_single(ctx, number: str, given: dict, mode: UpdateFlags, run_mode: str,
                   confirm_for: dict | None = None) -> None:
    """Update one account. confirm_for (the account, from the wizard): first run the update
    as a dry run, show its old -> new and ask; then write the same changes, at the same
    moment (a --valid-days expiry is the one shown)."""

    from datetime import UTC, datetime

    client = state_of(ctx).client(run_mode)
    now = datetime.now(UTC)  # the preview's and the write's
    rows = [(1, {**given, "number": number})]
    if confirm_for is not None and not mode.dry_run:
        preview = client.run_update(rows, dry_run=True, now=now)
        _raise_update_errors(client, number, preview)
        if preview.unchanged:
            say(f"{confirm_for['kind']} {number}: nothing changed; nothing was written",
                "yellow")
            raise typer.Exit(0)
        from acctctl.interactive.wizard import Declined, confirm_changes

        try:
            confirm_changes(confirm_for["kind"], _account_title(confirm_for),
                            preview.updated[0]["changes"], console=err_console())
        except Declined:
            say("not confirmed: nothing was written", "yellow")
            raise typer.Exit(EXIT_INTERRUPTED) from None
    result = client.run_update(rows, dry_run=mode.dry_run, now=now)
    _raise_update_errors(client, number, result)
    if result.unchanged:
        record = result.unchanged[0]

        say(f"{record['kind']} {number}: nothing changed (the values are already so)",
            "yellow")
        _render_one(client.show(number, devices=False).as_dict(), mode.output)
        return
    record = result.updated[0]
    changes = record.pop("changes")
    if mode.output == "json":
        record["changes"] = changes
    _render_one(record, mode.output)
    for key, (old, new) in changes.items():
        say(f"  {key}: {_shown(old)} -> {_shown(new)}")
    verb = "dry run: would update" if result.dry_run else "updated"
    say(f"{verb} {record['kind']} {number}" + ("; nothing was written" if result.dry_run
                                               else ""), "yellow" if result.dry_run else "green")


def _raise_update_errors(client, number: str, result) -> None:
    if not result.errors:
        return

    missing = [e for e in result.errors if e.message.startswith("no account has number")]
    if missing:
        raise NotFound(missing[0].message)
    failure = ValidationFailed([e.__class__(field=e.field, message=e.message,
                                            conflict=e.conflict) for e in result.errors])
    failure.kind = _kind_of(client, number)
    raise failure


def _shown(value) -> str:

    return repr(cell(value)) if value is not None else "(none)"


def _kind_of(client, number: str) -> str | None:
    """Which kind the account is (its flags name the fields in messages), if it exists."""
    try:
        return client.show(number, devices=False).kind
    except AcctctlError:
        return None


def _update_bulk(ctx, given: dict, mode: UpdateFlags) -> None:
    if given:
        raise UsageError("--from-file takes the changes from its rows; field flags cannot be "
                         "combined with it")
    path = mode.from_file
    rows = read_rows(path, infer_format(path, mode.file_format))
    result = state_of(ctx).client("file").run_update(rows, dry_run=mode.dry_run,
                                                     continue_on_error=mode.continue_on_error)
    refused = bool(result.errors) and not mode.continue_on_error
    updated = [] if refused else result.updated
    failed = len({e.row for e in result.errors})
    summary = {"updated": len(updated), "unchanged": len(result.unchanged), "failed": failed}
    nothing = result.dry_run or refused or not updated
    batch_id = None if nothing else result.batch_id  # only a batch that wrote has an id
    fmt = mode.output
    if fmt == "json":
        document = {"batch_id": batch_id, "updated": updated,
                    "unchanged": result.unchanged,
                    "errors": [e.as_dict() for e in result.errors], "summary": summary}
        if result.dry_run:
            document["dry_run"] = True
        write_json(document)
    elif fmt == "table":
        write_records([{"number": r["number"], "kind": r["kind"],
                        "changes": ", ".join(r["changes"])} for r in updated], fmt,
                      columns=["number", "kind", "changes"], title="updated accounts")
    else:
        write_records(updated, fmt)
    if result.errors:
        report_field_errors(result.errors, None, use_keys=True)
    say(f"{'would update' if result.dry_run else 'updated'} {summary['updated']}, unchanged "
        f"{summary['unchanged']}, failed {failed}; "
        + ("no batch: nothing was written" if nothing else f"batch {batch_id}"),
        "yellow" if result.errors else "green")
    if result.errors:
        if mode.continue_on_error:
            raise typer.Exit(EXIT_PARTIAL)
        raise typer.Exit(ValidationFailed(result.errors).exit_code)


# --- disable, enable, delete ----------------------------------------------------------------


def _set_status(ctx: typer.Context, numbers: list[str], status: str, output: str,
                dry_run: bool) -> None:
    check_format(output)
    client = state_of(ctx).client()
    changes = (client.disable if status == "inactive" else client.enable)(
        *numbers, dry_run=dry_run)
    render([c.as_dict() for c in changes], output, "accounts")
    changed = sum(c.changed for c in changes)
    verb = "disabled" if status == "inactive" else "enabled"
    say(f"{'dry run: would have ' if dry_run else ''}{verb} {changed} of {len(changes)} "
        f"account{'s' if len(changes) != 1 else ''} and their SIP devices"
        + ("; nothing was written" if dry_run else ""), "yellow" if dry_run else "green")


def disable(ctx: typer.Context, numbers: Numbers, dry_run: DryRun = False,
            output: Output = "table") -> None:
    """Disable accounts and their SIP devices: acctctl account disable 4123456789"""
    _set_status(ctx, numbers, "inactive", output, dry_run)


def enable(ctx: typer.Context, numbers: Numbers, dry_run: DryRun = False,
           output: Output = "table") -> None:
    """Enable accounts and their SIP devices: acctctl account enable 4123456789"""
    _set_status(ctx, numbers, "active", output, dry_run)


def delete(
    ctx: typer.Context,
    numbers: Numbers,
    purge: Annotated[bool, typer.Option("--purge", help="Remove the rows instead of a soft "
                                        "delete (also of already soft-deleted accounts)")] = False,
    yes: Yes = False,
    dry_run: DryRun = False,
    output: Output = "table",
) -> None:
    """Delete accounts: soft by default, so the number, email, PIN and SIP username can be
    used again. acctctl account delete 4123456789 --yes"""
    check_format(output)
    client = state_of(ctx).client()
    if not dry_run:
        n = len(set(numbers))
        what = ", ".join(numbers[:5]) + (f" and {n - 5} more" if n > 5 else "")
        confirm(f"{'Purge' if purge else 'Delete'} {n} account{'s' if n != 1 else ''} "
                f"({what})?", yes)
    results = client.delete(*numbers, purge=purge, dry_run=dry_run)
    render([r.as_dict() for r in results], output, "accounts")  # a dry run's marked
    verb = "purged" if purge else "deleted"
    say(f"{'dry run: would have ' if dry_run else ''}{verb} {len(results)} "
        f"account{'s' if len(results) != 1 else ''}", "green")


# --- secrets ----------------------------------------------------------------------------------


def _run_with_secrets_file(path: str | None, output: str, run) -> dict:
    """Run the change; the generated secret is delivered before it commits: into the new
    0600 file (create's --secrets-file, sealed before the commit and put in place after it),
    or on stdout, written before the commit, so a closed stdout writes nothing (exit 130)."""
    delivered: list[dict] = []  # the record as delivered: a secret sent to the file is gone

    def through_client(before_commit):
        def deliver(account) -> None:
            delivered.append(account.as_dict())
            before_commit(delivered[-1])

        account = run(deliver)
        return delivered[-1] if delivered else account.as_dict()

    return run_delivering(path, through_client, lambda r: [r] if r.get("generated") else [],
                          lambda r: _render_one(r, output),
                          f"the new secret is in {path} (mode 0600)")


def reset_password(
    ctx: typer.Context,
    number: Annotated[str, typer.Argument(metavar="NUMBER")],
    password_file: Annotated[str | None, typer.Option(
        "--password-file", metavar="PATH", help="Read the new password from this file")] = None,
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read the new password from standard input")] = False,
    secrets_file: SecretsFile = None,
    output: Output = "table",
) -> None:
    """Set a new portal password, generated and shown once unless read from a file or stdin:
    acctctl account reset-password 4123456789 --secrets-file new.csv"""
    check_format(output)
    if password_file and password_stdin:
        raise UsageError("--password-file and --password-stdin cannot be combined")
    password = _read_password(password_file, password_stdin, bulk=False)
    client = state_of(ctx).client()
    result = _run_with_secrets_file(secrets_file, output, lambda before_commit: (
        client.reset_password(number, password, deliver=before_commit)))
    say(f"new password set for {result['kind']} {number}", "green")


def rotate_sip_secret(
    ctx: typer.Context,
    number: Annotated[str, typer.Argument(metavar="NUMBER")],
    secrets_file: SecretsFile = None,
    output: Output = "table",
) -> None:
    """Give the account's SIP device a new generated secret, shown once:
    acctctl account rotate-sip-secret 4123456789"""
    check_format(output)
    client = state_of(ctx).client()
    result = _run_with_secrets_file(secrets_file, output, lambda before_commit: (
        client.rotate_sip_secret(number, deliver=before_commit)))
    say(f"new SIP secret set for {result['kind']} {number}", "green")


# --- export -----------------------------------------------------------------------------------


@list_filter_flags
def export(
    ctx: typer.Context,
    filters: ListOptions,
    with_secrets: Annotated[bool, typer.Option(
        "--with-secrets", help="Add each SIP device's secret as sip_password (on the "
        "astpp target also the portal password, in clear)")] = False,
    output: Annotated[str, typer.Option("--output", "-o", help="csv, jsonl or json")] = "csv",
) -> None:
    """Write accounts of one kind as rows `create KIND --from-file` accepts unchanged
    (password_hash included; owners first): acctctl account export --kind reseller > r.csv"""
    if output not in ("csv", "jsonl", "json"):
        raise UsageError(f"--output must be csv, jsonl or json for export, got {output!r}")
    kind = filters.kind
    if kind is None:
        raise UsageError("--kind is required: create KIND --from-file takes one kind per file")
    filters.check()  # the flags' errors first, before the database is opened
    exported = state_of(ctx).client().export(kind, with_secrets=with_secrets, options=filters)
    keys, rows = exported.keys, exported.rows
    # every key of the kind on every row (§7: a stable shape); an empty field is null in
    # json/jsonl and an empty cell in csv, which create --from-file reads alike: not given
    write_records(rows, output, columns=keys)
    say(f"exported {len(rows)} {kind} account{'s' if len(rows) != 1 else ''}"
        + _export_secrets_note(keys, with_secrets))
    if "password" in keys:  # a stored password the target's key did not decode
        missing = sum(1 for row in rows if not row.get("password"))
        if missing:
            say(f"warning: {missing:,} of them ha{'ve' if missing != 1 else 's'} no password "
                "in the file (the key does not decode what is stored): importing them "
                "generates new ones", "yellow")


def _export_secrets_note(keys: list[str], with_secrets: bool) -> str:
    """What the file holds of the accounts' secrets, which decides how it is kept and what
    importing it does (a target without password hashes exports the password itself)."""
    if "password" in keys:
        return "; the file holds passwords in clear" + (
            " and SIP secrets" if "sip_password" in keys else "") + ": keep it private"
    note = "; the file holds SIP secrets: keep it private" if with_secrets else ""
    if "password_hash" not in keys:
        note += ("; it holds no passwords: importing it generates new ones "
                 "(--with-secrets exports them)")
    return note
