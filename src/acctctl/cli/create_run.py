"""What `acctctl create KIND` does once its flags are parsed: choose the mode, gather the
input, call the service once, render the result. No rules and no SQL here."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

import typer

from acctctl.cli.console import say, streams, warn
from acctctl.cli.state import state_of
from acctctl.errors import EXIT_INTERRUPTED, EXIT_PARTIAL, UsageError, ValidationFailed
from acctctl.options import CreateOptions, check_count, check_exclusive, check_file_format
from acctctl.output import FORMATS


@dataclass
class CreateFlags(CreateOptions):
    """Every mode flag of `create KIND` (cli/create.py _mode_parameters): the library's
    CreateOptions (dry run, if-exists, continue-on-error, prefix, length) plus what only the
    command line has: where the input comes from, the terminal, the output."""

    password_file: str | None = None
    password_stdin: bool = False
    interactive: bool = False
    all_fields: bool = False
    yes: bool = False
    output: str = "table"
    secrets_file: str | None = None
    from_file: str | None = None
    file_format: str | None = None
    count: int | None = None
    rejects_file: str | None = None
    template: str | None = None

    @property
    def bulk(self) -> bool:
        return self.from_file is not None or self.count is not None


def run_create(ctx: typer.Context, kind: str, given: dict, mode: CreateFlags) -> None:
    state = state_of(ctx)
    state.dry_run = mode.dry_run
    _check_mode_flags(kind, given, mode)
    if mode.template:
        _print_template(kind, mode.template)
        return
    bulk = mode.bulk
    password = _read_password(mode.password_file, mode.password_stdin, bulk)
    if password is not None:
        given["password"] = password
    if mode.dry_run and mode.secrets_file and os.path.exists(mode.secrets_file):
        raise UsageError(f"--secrets-file {mode.secrets_file} exists; it is never overwritten")
    # a dry run generates nothing worth keeping, so it writes no secrets file either
    secrets_file = None if mode.dry_run else _open_secrets_file(mode.secrets_file)
    try:
        if bulk:
            _run_bulk(state, kind, given, mode, secrets_file)
        else:
            _run_single(state, kind, given, mode, secrets_file)
    finally:
        # the file is put in place only once its batch committed; otherwise it goes
        if secrets_file is not None:
            secrets_file.discard()


# --- flags that go together, or not --------------------------------------------------------


def _check_mode_flags(kind: str, given: dict, mode: CreateFlags) -> None:
    if mode.output not in FORMATS:
        raise UsageError(f"--output must be one of {', '.join(FORMATS)}, got {mode.output!r}")
    if mode.template not in (None, "csv", "json"):
        raise UsageError(f"--template must be csv or json, got {mode.template!r}")
    check_file_format(mode.file_format, kind)
    if mode.from_file is not None and mode.count is not None:
        raise UsageError("--from-file and --count cannot be combined")
    if mode.count is not None:
        check_count(kind, mode.count, given)
    mode.check()  # what the library checks too: --if-exists, --prefix, --length
    if mode.rejects_file is not None and not (mode.from_file is not None
                                              and mode.continue_on_error):
        raise UsageError("--rejects-file needs --from-file and --continue-on-error: it holds "
                         "the rows that were not written while the others were")
    if mode.password_file and mode.password_stdin:
        raise UsageError("--password-file and --password-stdin cannot be combined")
    if mode.password_stdin and mode.from_file == "-":
        raise UsageError("--password-stdin and --from-file - both want standard input")
    for flag in ("interactive", "all_fields"):
        if getattr(mode, flag) and mode.bulk:
            raise UsageError(f"--{flag.replace('_', '-')} creates one account; it cannot be "
                             "combined with bulk")
    check_exclusive(given)  # on the command line, giving both is a usage error


def _read_password(password_file: str | None, password_stdin: bool,
                   bulk: bool) -> str | None:
    if not (password_file or password_stdin):
        return None
    if bulk:
        raise UsageError("one password cannot serve many accounts: put `password` in the rows")
    from acctctl.bounded import PASSWORD_LINE_MAX, STDIN, read_line
    from acctctl.errors import FieldError

    def invalid(message: str) -> ValidationFailed:  # the password's content: exit 3
        return ValidationFailed([FieldError("password", f"{message}; a password is one line "
                                            "of UTF-8 text")], message="nothing was written")

    path = password_file or STDIN
    what = (f"--password-file {path}" if password_file
            else "standard input (--password-stdin)")
    # one line, at most PASSWORD_LINE_MAX bytes: /dev/zero or an endless pipe ends at once
    return read_line(path, what=what, limit=PASSWORD_LINE_MAX, error=UsageError,
                     invalid=invalid).rstrip("\r\n")


def _open_secrets_file(path: str | None):
    if path is None:
        return None
    from acctctl.cli.secrets_file import PendingSecretsFile

    return PendingSecretsFile(path)


def _print_template(kind: str, fmt: str) -> None:
    from acctctl.models.inputs import KINDS, field_specs
    from acctctl.output import to_csv_line, write_json

    keys = list(field_specs(KINDS[kind]))
    if fmt == "csv":
        typer.echo(to_csv_line(keys))
    else:
        write_json([dict.fromkeys(keys)])


def _options(state, mode: CreateFlags, run_mode: str, defaults: dict | None = None):
    from acctctl.service.accounts import BatchOptions
    from acctctl.service.changes import redact_command

    return BatchOptions(
        mode=run_mode,
        command=redact_command(state.argv),
        profile=state.loaded().profile,
        dry_run=mode.dry_run,
        if_exists=mode.if_exists,
        continue_on_error=mode.continue_on_error,
        defaults=defaults or {},
        number_prefix=mode.prefix,
        number_length=mode.length,
        first_name_from_number=mode.count is not None,
    )


# --- one account ---------------------------------------------------------------------------


def _run_single(state, kind: str, given: dict, mode: CreateFlags, secrets_file) -> None:
    from acctctl.models.inputs import flag_for, missing_required
    from acctctl.service.accounts import create_accounts

    gate = streams(no_input=state.no_input)
    settings = state.account_settings()
    field_flags = [k for k in given if k != "password"]
    run_mode = "flags"
    for flag in ("interactive", "all_fields"):
        if getattr(mode, flag) and not gate.can_prompt():
            raise UsageError(f"--{flag.replace('_', '-')} needs a terminal on stdin and stdout "
                             "(and no --no-input)")
    wants_wizard = mode.interactive or mode.all_fields or not field_flags
    missing = missing_required(kind, given, settings)
    if gate.can_prompt() and (wants_wizard or missing):
        from acctctl.cli.console import err_console
        from acctctl.interactive.wizard import Declined, run_wizard

        ask = "all" if mode.all_fields else "essentials" if wants_wizard else "missing"
        storage = state.storage()
        try:
            given = run_wizard(kind, given, settings, storage, ask=ask, confirm=not mode.yes,
                               console=err_console())
        except Declined:
            say("not confirmed: nothing was written", "yellow")
            raise typer.Exit(EXIT_INTERRUPTED) from None
        run_mode = "interactive"
    elif missing:
        flags = ", ".join(flag_for(kind, k) for k in missing)
        raise UsageError(
            f"missing required flag{'s' if len(missing) > 1 else ''}: {flags} "
            "(no terminal to ask on, or prompting is off)"
        )
    storage = state.storage()
    from acctctl.cli.secrets_file import Delivery

    delivery = Delivery(secrets_file)
    shown: dict = {}

    def before_commit(result) -> None:
        delivery.batch = result
        record = shown["record"] = _single_record(result)
        if record is not None:
            delivery.before_commit([record], bool(record.get("generated")),
                                   lambda: _render_single(record, mode.output))

    options = _options(state, mode, run_mode)
    options.before_commit = before_commit
    try:
        result = create_accounts(storage, settings, kind, [(1, given)], options)
    except BaseException as exc:
        delivery.failed(exc)
        raise
    try:
        if result.errors:
            failure = ValidationFailed(
                [e.__class__(field=e.field, message=e.message, conflict=e.conflict)
                 for e in result.errors]
            )
            failure.kind = kind
            raise failure
        if result.skipped:
            _report_skipped_single(storage, kind, given, result, mode.output)
            return
        if mode.dry_run:
            record = _single_record(result)
            record.pop("generated", None)
            record["batch_id"] = None  # nothing was written: no batch knows this account
            record["dry_run"] = True  # as bulk output says it: a script must not mistake it
            say("dry run: every check passed; nothing was written", "yellow")
        else:
            delivery.committed()
            record = shown["record"]
        if not delivery.on_stdout:
            _render_single(record, mode.output)
        if not mode.dry_run:
            say(f"created {kind} {record['number']} (batch {result.batch_id})", "green")
    finally:
        result.close()


def _single_record(result) -> dict | None:
    record = next(iter(result.created()), None)
    if record is not None:
        record.pop("_row", None)
    return record


def _report_skipped_single(storage, kind: str, given: dict, result, fmt: str) -> None:
    """--if-exists skip: nothing is touched; show the account that is already there."""
    from acctctl.service.accounts import natural_key

    key = result.skipped[0]["key"]
    field, value = natural_key(given.get("number"), given.get("email"))
    existing = storage.show(**{field: value}, with_devices=False)
    say(f"skipped: {key} already exists (--if-exists skip); nothing was written", "yellow")
    _render_single(existing, fmt)


def _render_single(record: dict, fmt: str) -> None:
    from acctctl.output import write_account_card, write_json, write_records

    if fmt == "json":
        write_json(record)
    elif fmt == "table":
        write_account_card(record)
    elif fmt == "jsonl":
        write_records([record], fmt)  # a JSON object, the same shape as -o json
    else:
        flat = _flatten(record)
        write_records([flat], fmt, columns=list(flat))


def _flatten(record: dict) -> dict:
    """csv and tables: generated secrets become `password` / `sip_password` columns."""
    flat = {k: v for k, v in record.items() if k not in ("generated", "_row")}
    for key, value in (record.get("generated") or {}).items():
        flat[key] = value
    return flat


# --- many accounts -------------------------------------------------------------------------


def _run_bulk(state, kind: str, given: dict, mode: CreateFlags, secrets_file) -> None:
    from acctctl.service.accounts import check_free_numbers, create_accounts
    from acctctl.service.rows import infer_format, read_rows, readable_by_others

    settings = state.account_settings()
    rejects = None
    if mode.count is not None:
        storage = state.storage()
        check_free_numbers(storage, settings, mode.count, mode.prefix, mode.length)
        rows = ((i, {}) for i in range(1, mode.count + 1))
        total, run_mode = mode.count, "count"
        chosen, generated = 0, mode.count
    else:
        from acctctl.service.rows import count_rows

        path = mode.from_file
        fmt = infer_format(path, mode.file_format)
        loose = readable_by_others(path)

        def on_password() -> None:
            if loose:
                warn(f"warning: {path} holds passwords and is readable by group or others; "
                     f"run: chmod 600 {path}")

        from acctctl.cli.rejects import without_error_column

        # ASTPP's customer import file is read as customers only (its columns are a customer's)
        astpp = frozenset(given) if kind == "customer" else None
        rows = without_error_column(read_rows(path, fmt, on_password, astpp=astpp))
        counted = count_rows(path, fmt, astpp)  # stdin: no total, so no ETA
        total, run_mode = (counted[0] if counted else None), "file"
        chosen, generated = (counted[1], counted[0] - counted[1] - counted[2]) if counted \
            else (0, 0)
        storage = state.storage()
        if mode.rejects_file is not None:
            from acctctl.cli.rejects import Rejects

            rejects = Rejects(mode.rejects_file, path, fmt)
            rows = rejects.tee(rows)
    options = _options(state, mode, run_mode, defaults=given)
    if not mode.dry_run:  # a dry run hashes nothing
        _estimate_hashing(storage, settings, chosen, generated)
    from acctctl.cli.secrets_file import Delivery

    delivery = Delivery(secrets_file)
    bar = _progress(total)

    def before_commit(result) -> None:
        bar.stop()  # the data may go to stdout now: no live display in its way
        delivery.batch = result
        delivery.before_commit(
            _bulk_records(result, mode, keep_secrets=True), result.secrets_generated > 0,
            lambda: _write_bulk_output(kind, result, mode, _bulk_records(result, mode, True)))

    options.before_commit = before_commit
    try:
        with bar as advance:
            result = create_accounts(storage, settings, kind, rows, options, progress=advance)
    except BaseException as exc:
        if rejects is not None:
            rejects.discard()
        delivery.failed(exc)
        raise
    try:
        if _written(result, mode):
            delivery.committed()
        _report_bulk(kind, result, mode, delivery, rejects)
    finally:
        result.close()
        if rejects is not None:
            rejects.discard()  # when reporting failed before it was written


def _written(result, mode: CreateFlags) -> bool:
    """Whether the batch committed accounts: only then has it a batch id that `batch show`
    and `batch undo` know (nothing written, e.g. every row skipped: batch_id null)."""
    refused = bool(result.errors) and not mode.continue_on_error
    return not (result.dry_run or refused) and result.created_count > 0


def _bulk_records(result, mode: CreateFlags, keep_secrets: bool):
    """The created (or, in a dry run, would-be) accounts, streamed back from the spool."""
    if result.errors and not mode.continue_on_error:
        return
    for record in result.created():
        record.pop("_row", None)
        if result.dry_run:
            record.pop("generated", None)
            record["batch_id"] = None  # nothing was written: no batch knows these accounts
        elif not keep_secrets:
            record.pop("generated", None)
        yield record


def _report_bulk(kind: str, result, mode: CreateFlags, delivery, rejects=None) -> None:
    from acctctl.cli.report import report_field_errors

    failed = rejects.write(result.errors) if rejects is not None else 0  # before stdout
    if not delivery.on_stdout:  # no secret on it, or the secrets file has them
        _write_bulk_output(kind, result, mode,
                           _bulk_records(result, mode, keep_secrets=delivery.file is None))
    if result.errors:
        # rows of a file are keyed by field keys; --count rows come from flags
        report_field_errors(result.errors, kind, use_keys=mode.from_file is not None)
    verb = "would create" if result.dry_run else "created"
    summary = _bulk_summary(result, mode)
    would = result.created_count if result.dry_run else summary["created"]
    # a batch id is shown only when the batch wrote something: one `batch show` knows
    batch = (f"batch {result.batch_id}" if _written(result, mode)
             else "no batch: nothing was written")
    say(f"{verb} {would}, skipped {summary['skipped']}, failed {summary['failed']}; {batch}",
        "yellow" if result.errors else "green")
    if failed:
        say(f"wrote the {failed} failed row{'s' if failed != 1 else ''} to "
            f"{rejects.path}: fix them and run it again", "yellow")
    if result.errors:
        if mode.continue_on_error:
            raise typer.Exit(EXIT_PARTIAL)
        failure = ValidationFailed(result.errors, message="nothing was written")
        raise typer.Exit(failure.exit_code)


def _bulk_summary(result, mode: CreateFlags) -> dict:
    refused = bool(result.errors) and not mode.continue_on_error
    # a dry run reports what it would create, matching its "created" list ("dry_run": true)
    created = result.created_count if result.dry_run else 0 if refused else result.created_count
    return {"created": created, "skipped": len(result.skipped),
            "failed": len({e.row for e in result.errors})}


def _write_bulk_output(kind: str, result, mode: CreateFlags, created) -> None:
    """The data on stdout in the chosen format; `created` streams the accounts."""
    from acctctl.output import write_records, write_table_stream
    from acctctl.service.records import output_keys

    fmt = mode.output
    if fmt == "json":
        document = {
            "batch_id": result.batch_id if _written(result, mode) else None,
            "created": [],
            "skipped": result.skipped,
            "errors": [e.as_dict() for e in result.errors],
            "summary": _bulk_summary(result, mode),
        }
        if result.dry_run:
            document["dry_run"] = True
        _write_bulk_json(document, created)
    elif fmt == "table":
        # a readable summary, streamed in chunks: all columns of 100,000 accounts in one
        # rich table would take minutes and gigabytes; -o csv/jsonl carry every field
        from acctctl.output import Fit

        # the number and its shown-once secrets are never left out
        write_table_stream((_flatten(r) for r in created), BULK_TABLE_COLUMNS,
                           title=f"{kind} accounts",
                           fit=Fit(drop=("reseller", "kind", "last_name", "first_name", "email"),
                                   hint="-o csv or -o jsonl has every field"))
    elif fmt == "jsonl":
        write_records(created, fmt)  # one JSON object a line, "generated" as in -o json
    else:
        secrets = ["password"] + (["sip_password"] if "sip_device" in output_keys(kind) else [])
        write_records((_flatten(r) for r in created), fmt, columns=output_keys(kind) + secrets)


def _write_bulk_json(document: dict, created) -> None:
    """write_json(document) with "created" streamed from the spool, not held as a list."""
    import json

    from acctctl.plain import plain

    out = sys.stdout
    head, tail = json.dumps(plain(document), indent=2, ensure_ascii=False).split(
        '"created": []', 1)
    out.write(head + '"created": [')
    first = True
    for record in created:
        text = json.dumps(plain(record), indent=2, ensure_ascii=False)
        out.write(("\n" if first else ",\n") + "\n".join("    " + ln for ln in text.splitlines()))
        first = False
    out.write(("]" if first else "\n  ]") + tail + "\n")


BULK_TABLE_COLUMNS = ["number", "kind", "first_name", "last_name", "email", "reseller",
                      "password", "sip_password"]


#: Hashing estimated to take this long or more is announced on stderr before it starts.
ANNOUNCE_HASHING_S = 10


def _estimate_hashing(storage, settings, chosen: int, generated: int) -> None:
    """One line on stderr before a long strong-profile hash workload: how long it will take."""
    from acctctl.service import secrets_

    if not storage.hashes_passwords():
        return  # another target stores passwords its own way: nothing is hashed here
    strong = secrets_.strong_profile(settings)
    count = chosen + (generated if secrets_.generated_profile(settings) == strong else 0)
    if count < 2 * secrets_.hash_workers():
        return
    seconds = secrets_.estimate_hash_seconds(count, strong)
    if seconds >= ANNOUNCE_HASHING_S:
        cores = secrets_.hash_workers()
        say(f"hashing {count:,} passwords with the {strong.describe()} will take about "
            f"{_duration(seconds)} on {cores} core{'s' if cores > 1 else ''}", "dim")


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


class _progress:
    """A progress bar on stderr when stderr is a terminal; nothing animated otherwise.

    It is driven by the service's progress(phase, rows done): rows count when written inside
    the transaction (or skipped, or failed), not when read, so the count, the rate and the ETA
    (when the total is known) describe the real work; the phase says what a long pause is.
    """

    def __init__(self, total: int | None, console=None):
        self.total = total
        self.console = console
        self.bar = None

    def __enter__(self):
        if self.console is None:
            if not streams().stderr_tty:
                return lambda phase, done: None
            from acctctl.cli.console import err_console

            self.console = err_console()
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )
        from rich.text import Text

        class Rate(TextColumn):
            def render(self, task):
                return Text(f"{task.speed:,.0f} rows/s" if task.speed else "")

        self.bar = Progress(TextColumn("creating"), TextColumn("{task.description:<10}"),
                            BarColumn(), MofNCompleteColumn(), Rate(""),
                            TimeRemainingColumn(), console=self.console, transient=True)
        self.bar.start()
        task = self.bar.add_task("validating", total=self.total)
        shown = {"phase": "validating"}

        def update(phase: str, done: int) -> None:
            if self.bar is None:  # stopped: the output is being written
                return
            changed, shown["phase"] = phase != shown["phase"], phase  # a new phase shows now
            self.bar.update(task, completed=done, description=phase, refresh=changed)

        return update

    def stop(self) -> None:
        """Take the bar off the terminal (before the data goes to stdout: a live display
        would otherwise take stdout over while it runs)."""
        if self.bar is not None:
            bar, self.bar = self.bar, None
            bar.stop()

    def __exit__(self, *exc):
        self.stop()
        return False
