"""acctctl as a Python library (contract §12): `acctctl.open(...)` gives a Client.

The client is what the CLI's commands are, without Typer, Rich or questionary: it loads the
configuration as the CLI does (config.load_settings: --config, $ACCTCTL_CONFIG, ./acctctl.toml,
the user config; profiles; $ACCTCTL_DATABASE_URL), opens the storage database.target names
(acctctl.storage) and calls the same service functions with the same models and rules. What
the CLI would exit non-zero for is raised as the exception named after that exit code
(acctctl.UsageError 2, InvalidData 3, Conflict 4, ConfigurationError 5, Partial 6), with the
CLI's message and the row errors in `.errors`. Results are the dataclasses of results.py.

The CLI's day-two, read and catalog commands are this client: each makes one on the storage
it opened (cli/state.py State.client(), with its command line as the Origin) and renders the
result.
"""

from __future__ import annotations

import builtins
import os
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from acctctl.errors import NotFound, Partial, UsageError, ValidationFailed
from acctctl.options import CreateOptions, ListOptions, check_count, check_exclusive
from acctctl.results import (
    REFERENCE,
    Account,
    AuditRecord,
    Batch,
    Change,
    Country,
    CreateResult,
    Currency,
    DeletedEntry,
    Export,
    Page,
    PlanResult,
    RateGroup,
    Role,
    Skipped,
    Tax,
    Timezone,
    UpdateResult,
    audit_of,
    batch_of,
    entry_of,
    plan_of,
)

if TYPE_CHECKING:
    from acctctl.service.declared import Declared

#: The audit trail's `mode` of what the library wrote (the CLI's: flags, interactive, file,
#: count): `batch list` tells a seeding test suite's batches from an operator's.
MODE = "library"
#: How the library's calls appear as the audit trail's `command`.
COMMAND = "acctctl (python) {}"
#: the CLI command of a catalog entry (what the target is asked whether it supports)
_COMMAND_OF = {"rate group": "rategroup", "tax": "tax"}


@dataclass(frozen=True)
class HashingEstimate:
    """Client.hashing_estimate(): how many passwords, about how many seconds, with which
    argon2id profile, on how many cores."""

    count: int
    seconds: float
    profile: str
    cores: int


#: reset_password's and rotate_sip_secret's deliver: called with the result before the commit
Deliver = Callable[[Account], None]


class AcctctlWarning(UserWarning):
    """What the CLI prints as a warning on stderr (a config readable by others, ...)."""


def open(url: str | None = None, *, config: str | os.PathLike | None = None,  # noqa: A001
         profile: str | None = None, env: Mapping[str, str] | None = None,
         cwd: str | os.PathLike | None = None) -> Client:
    """A client on the database the configuration names, as the CLI would find it.

    url: the database URL (as $ACCTCTL_DATABASE_URL: it overrides the config's, the rest of
    the configuration still applies); config: a config file (as --config); profile: a
    [profiles.NAME] table (as --profile); env / cwd: the environment and working directory the
    lookup uses (default: the process's). Raises ConfigurationError (exit 5) when the
    configuration is unreadable or the database cannot be reached.
    """
    from acctctl.config import ENV_DATABASE_URL, load_settings

    environ = dict(os.environ if env is None else env)
    if url is not None:
        environ[ENV_DATABASE_URL] = url
    loaded = load_settings(None if config is None else os.fspath(config), profile,
                           env=environ, cwd=None if cwd is None else Path(cwd))
    return Client(loaded)


@dataclass(frozen=True)
class Origin:
    """Who calls, for the audit trail and `batch list`: the command as recorded (None: the
    library's "acctctl (python) ACTION") and the mode ("library"; the CLI's: flags,
    interactive, file, count)."""

    command: str | None = None
    mode: str = MODE


class Client:
    """The operations of the CLI, in-process. Open one with acctctl.open(); close it (or use
    it as a context manager) to release the database connections.

    The CLI's commands are this client too: each builds one on the storage it opened, with
    its command line as the Origin, calls one method and renders what it returns."""

    def __init__(self, loaded: Any, *, storage: Any = None, origin: Origin | None = None):
        """loaded: a config.LoadedSettings (acctctl.open() makes one). storage: an opened
        acctctl.storage.Storage to work on (its owner closes it), else one is opened."""
        from acctctl.storage import storage_class

        self.loaded = loaded
        self.origin = origin or Origin()
        self._class = storage_class(loaded.settings.target)
        self._borrowed = storage is not None
        self._storage = storage
        if storage is None:
            for message in loaded.warnings:
                warnings.warn(message, AcctctlWarning, stacklevel=3)
            self._storage = self._class.open(loaded, warn=self._warn)
            if loaded.settings.registrars:  # every device write mirrored, as the CLI's
                from acctctl.registrars.mirror import attach

                attach(self._storage, loaded, self._warn)

    @staticmethod
    def _warn(message: str) -> None:
        warnings.warn(message, AcctctlWarning, stacklevel=3)

    # --- the client itself ------------------------------------------------------------------

    @property
    def storage(self):
        """The acctctl.storage.Storage the client writes through."""
        if self._storage is None:
            raise UsageError("this client is closed")
        return self._storage

    @property
    def settings(self):
        """The effective settings accounts are created with (the profile applied; on the
        astpp target ASTPP's own defaults fill what the profile does not set)."""
        return self.storage.settings

    @property
    def url(self) -> str:
        """The database URL, any password masked (what messages show)."""
        return self.loaded.shown_url

    @property
    def profile(self) -> str | None:
        return self.loaded.profile

    def close(self) -> None:
        if self._storage is not None:
            storage, self._storage = self._storage, None
            if self._borrowed:
                return
            storage.close()
            dispose = getattr(storage.engine, "dispose", None)
            if dispose is not None:
                dispose()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<acctctl.Client {self.url}{' (closed)' if self._storage is None else ''}>"

    def _for(self, operation: str):
        """The storage, when its target does `operation` (exit 2 otherwise, as the CLI)."""
        if not self._class.supports(operation):
            raise UsageError(f"{operation} is not supported on the {self._class.name} target")
        return self.storage

    def _changes(self, action: str, dry_run: bool = False, continue_on_error: bool = False):
        from acctctl.service.changes import ChangeOptions

        return ChangeOptions(command=self._command(action), profile=self.profile,
                             mode=self.origin.mode, dry_run=dry_run,
                             continue_on_error=continue_on_error)

    def _command(self, action: str) -> str:
        return self.origin.command or COMMAND.format(action)

    # --- create -----------------------------------------------------------------------------

    def create(self, kind: str, *, options: CreateOptions | None = None,
               **fields: Any) -> Account:
        """Create one account of `kind` from field keys (contract §2): what is not given
        gets its default, number, PIN, password and SIP secret are generated when not given
        (the Account's `generated` holds them, shown once). `password=` sets the portal
        password. With options.if_exists="skip" an existing account (same number, else
        email) is returned untouched; with options.dry_run the would-be account (nothing
        written, batch_id None, dry_run True)."""
        return self._create_one(kind, options or CreateOptions(), fields)[0]

    def _create_one(self, kind: str, options: CreateOptions,
                    fields: dict) -> tuple[Account, str | None]:
        """(the account, the id of the batch that created it; None when nothing was)."""
        _check_kind(kind)
        check_exclusive(fields)
        result = self._create(kind, [(1, fields)], options, "flags")
        if result.errors:
            raise ValidationFailed([_single(e) for e in result.errors])
        if result.skipped:
            from acctctl.service.accounts import natural_key

            field, value = natural_key(fields.get("number"), fields.get("email"))
            shown = self.storage.show(**{field: value}, with_devices=False)
            return Account.from_record(shown), None
        return result.created[0], result.batch_id

    def create_many(self, kind: str, rows: Iterable[Mapping[str, Any]], *,
                    defaults: Mapping[str, Any] | None = None,
                    options: CreateOptions | None = None) -> CreateResult:
        """Create one account per row (dicts of field keys; `password` or `password_hash`
        allowed), in one transaction; defaults apply to every row (the CLI's flags with
        --from-file). Atomic: any bad row raises InvalidData / Conflict with every row error,
        nothing written; with options.continue_on_error the good rows are written and
        Partial is raised carrying them (`.result`) and the errors."""
        _check_kind(kind)
        return self._bulk(kind, ((i, dict(row)) for i, row in enumerate(rows, start=1)),
                          defaults, options or CreateOptions(), "file")

    def create_from_file(self, kind: str, path: str | os.PathLike, *, format: str | None = None,
                         defaults: Mapping[str, Any] | None = None,
                         options: CreateOptions | None = None) -> CreateResult:
        """create_many from a CSV, JSON or JSONL file, read as `create KIND --from-file`
        reads it (format inferred from the name unless given)."""
        from acctctl.options import check_file_format
        from acctctl.service.rows import infer_format, read_rows

        _check_kind(kind)
        check_file_format(format, kind)
        path = os.fspath(path)
        # ASTPP's customer import file is read as the CLI reads it; `defaults` are its flags
        astpp = frozenset(defaults or {}) if kind == "customer" else None
        rows = read_rows(path, infer_format(path, format), astpp=astpp)
        return self._bulk(kind, rows, defaults, options or CreateOptions(), "file")

    def create_count(self, kind: str, count: int, *, options: CreateOptions | None = None,
                     **template: Any) -> CreateResult:
        """`count` accounts from the template's fields (the CLI's --count): numbers are
        generated (options.prefix / options.length), the first name defaults to the number.
        InvalidData (exit 3) when fewer numbers remain free."""
        options = options or CreateOptions()
        _check_kind(kind)
        options.check()
        check_count(kind, count, template)
        check_exclusive(template)
        self.check_free_numbers(count, options)
        return self._bulk(kind, ((i, {}) for i in range(1, count + 1)), template, options,
                          "count")

    def _bulk(self, kind: str, rows, defaults, options: CreateOptions,
              run_mode: str) -> CreateResult:
        defaults = dict(defaults or {})
        check_exclusive(defaults)
        result = self._create(kind, rows, options, run_mode, defaults)
        if result.errors and not options.continue_on_error:
            raise ValidationFailed(result.errors)
        if result.errors:
            raise Partial(f"created {len(result.created)}, failed {result.summary['failed']}",
                          result=result, errors=result.errors)
        return result

    def _create(self, kind: str, rows, options: CreateOptions, run_mode: str,
                defaults: dict | None = None) -> CreateResult:
        result = self.run_create(kind, rows, options=options, defaults=defaults,
                                 count=run_mode == "count")
        try:
            refused = bool(result.errors) and not options.continue_on_error
            created = [] if refused else [Account.from_record(r) for r in result.created()]
        finally:
            result.close()
        if result.dry_run:
            for account in created:
                account.batch_id, account.generated, account.dry_run = None, None, True
        return CreateResult(batch_id=result.batch_id if result.written else None,
                            created=created,
                            skipped=[Skipped(s.get("row"), s.get("key"),
                                             s.get("reason", "exists"))
                                     for s in result.skipped],
                            errors=list(result.errors), dry_run=result.dry_run)

    def run_create(self, kind: str, rows: Iterable[tuple[int, dict]], *,
                   options: CreateOptions, defaults: Mapping[str, Any] | None = None,
                   count: bool = False, progress: Callable[[str, int], None] | None = None,
                   before_commit: Callable[[Any], None] | None = None):
        """The streaming form of the creates, for a caller that writes millions of rows or
        must deliver secrets before the commit (the CLI's `create` is this call): `rows` are
        (row number, fields) pairs, read once; count: the rows come from `--count` (first
        names default to the numbers). progress(phase, done) is called as rows are checked
        and written; before_commit(result) inside the transaction, just before the commit
        (if it raises, nothing is written). Returns the service's batch result: its
        `created()` reads the created records back from a spool on disk, `errors`, `skipped`,
        `batch_id`; close() it when done. Row errors are in the result, not raised."""
        from acctctl.service.accounts import BatchOptions, create_accounts

        options.check()
        storage = self._for("create")
        batch = BatchOptions(mode=self.origin.mode, command=self._command(f"create {kind}"),
                             profile=self.profile, dry_run=options.dry_run,
                             if_exists=options.if_exists,
                             continue_on_error=options.continue_on_error,
                             defaults=dict(defaults or {}), number_prefix=options.prefix,
                             number_length=options.length, first_name_from_number=count)
        batch.before_commit = before_commit
        return create_accounts(storage, self.settings, kind, rows, batch, progress=progress)

    def check_free_numbers(self, count: int, options: CreateOptions | None = None) -> None:
        """InvalidData (exit 3) when fewer than `count` numbers of options.prefix / length
        remain free (what `--count` checks before it starts)."""
        from acctctl.service.accounts import check_free_numbers

        options = options or CreateOptions()
        check_free_numbers(self._for("create"), self.settings, count, options.prefix,
                           options.length)

    def hashing_estimate(self, chosen: int, generated: int) -> HashingEstimate | None:
        """How long hashing the passwords of a create will take: `chosen` given passwords
        (the strong argon2id profile) and `generated` ones (the cheaper profile unless it is
        the same). None when this target hashes nothing or the work is too small to tell."""
        from acctctl.service import secrets_

        if not self.storage.hashes_passwords():
            return None  # another target stores passwords its own way
        strong = secrets_.strong_profile(self.settings)
        same = secrets_.generated_profile(self.settings) == strong
        count = chosen + (generated if same else 0)
        if count < 2 * secrets_.hash_workers():
            return None
        return HashingEstimate(count, secrets_.estimate_hash_seconds(count, strong),
                               strong.describe(), secrets_.hash_workers())

    # --- day two ----------------------------------------------------------------------------

    def update(self, number: str, *, dry_run: bool = False, **changes: Any) -> Account:
        """Change fields of one account (the same rules as create; number, account_type and
        reseller cannot change: InvalidData). The Account returned carries `changes`
        ({field: (old, new)}, empty when the values already were so)."""
        if not changes:
            raise UsageError("nothing to change: give at least one field")
        if "number" in changes:
            raise ValidationFailed([_field_error("number", "cannot be changed after creation")])
        check_exclusive(changes)
        result = self._update([(1, {**changes, "number": number})], dry_run, False)
        if result.errors:
            missing = [e for e in result.errors
                       if e.message.startswith("no account has number")]
            if missing:
                raise NotFound(missing[0].message)
            raise ValidationFailed([_single(e) for e in result.errors])
        if result.unchanged:
            account = self.show(number)
            account.changes = {}
            return account
        account = result.updated[0]
        account.dry_run = dry_run
        return account

    def update_many(self, rows: Iterable[Mapping[str, Any]], *, dry_run: bool = False,
                    continue_on_error: bool = False) -> UpdateResult:
        """Rows keyed by `number` with the fields to change (`account update --from-file`):
        atomic (InvalidData / Conflict with every row error) unless continue_on_error
        (Partial carrying the result)."""
        result = self._update(((i, dict(r)) for i, r in enumerate(rows, start=1)), dry_run,
                              continue_on_error)
        if result.errors and not continue_on_error:
            raise ValidationFailed(result.errors)
        if result.errors:
            raise Partial(f"updated {len(result.updated)}, failed {result.summary['failed']}",
                          result=result, errors=result.errors)
        return result

    def _update(self, rows, dry_run: bool, continue_on_error: bool) -> UpdateResult:
        result = self.run_update(rows, dry_run=dry_run, continue_on_error=continue_on_error)
        refused = bool(result.errors) and not continue_on_error
        updated = [] if refused else [Account.from_record(r) for r in result.updated]
        nothing = result.dry_run or refused or not updated
        return UpdateResult(batch_id=None if nothing else result.batch_id, updated=updated,
                            unchanged=[r["number"] for r in result.unchanged],
                            errors=list(result.errors), dry_run=result.dry_run)

    def run_update(self, rows: Iterable[tuple[int, dict]], *, dry_run: bool = False,
                   continue_on_error: bool = False, now: Any = None):
        """The raw form of update / update_many (the CLI's `account update` is this call):
        (row number, fields keyed by `number`) pairs; returns the service's result, with the
        row errors in `.errors` (not raised), `.updated` records carrying `changes`,
        `.unchanged`, `.batch_id`. now: the moment of the change (a preview and its write
        share one, so a valid-days expiry is the one shown)."""
        from acctctl.service.update import update_accounts

        storage = self._for("account update")
        options = self._changes("account update", dry_run, continue_on_error)
        if now is not None:
            options.now = now
        return update_accounts(storage, self.settings, rows, options)

    def disable(self, *numbers: str, dry_run: bool = False) -> builtins.list[Change]:
        """Disable accounts and their SIP devices, all or nothing."""
        return self._set_status(numbers, "inactive", dry_run)

    def enable(self, *numbers: str, dry_run: bool = False) -> builtins.list[Change]:
        """Enable accounts and their SIP devices, all or nothing."""
        return self._set_status(numbers, "active", dry_run)

    def _set_status(self, numbers, status: str, dry_run: bool) -> builtins.list[Change]:
        from acctctl.service.lifecycle import set_status

        verb = "disable" if status == "inactive" else "enable"
        storage = self._for(f"account {verb}")
        results = set_status(storage, _numbers(numbers), status,
                             self._changes(f"account {verb}", dry_run))
        return [Change(r["number"], r["kind"], verb + "d", r["changed"], dry_run, status)
                for r in results]

    def delete(self, *numbers: str, purge: bool = False,
               dry_run: bool = False) -> builtins.list[Change]:
        """Soft delete (the number, email, PIN and SIP username become free again), or with
        purge remove the rows. A reseller that still owns something: Conflict."""
        from acctctl.service.lifecycle import delete_accounts

        storage = self._for("account delete")
        results = delete_accounts(storage, _numbers(numbers), purge,
                                  self._changes("account delete", dry_run))
        return [Change(r["number"], r["kind"], r["action"], True, dry_run) for r in results]

    def purge(self, *numbers: str, dry_run: bool = False) -> builtins.list[Change]:
        """delete(..., purge=True)."""
        return self.delete(*numbers, purge=True, dry_run=dry_run)

    def reset_password(self, number: str, password: str | None = None, *,
                       deliver: Deliver | None = None) -> Account:
        """A new portal password: `password` (checked by the password rules), or generated
        and returned once in `.generated.password`. Stored as a hash. deliver(account): runs
        just before the commit, where a generated secret is put somewhere safe; if it raises,
        nothing is changed."""
        from acctctl.service.lifecycle import reset_password

        storage = self._for("account reset-password")
        result = reset_password(storage, self.settings, number, password,
                                self._changes("account reset-password"), _hook(deliver))
        return Account.from_record(result)

    def rotate_sip_secret(self, number: str, *, deliver: Deliver | None = None) -> Account:
        """A new generated secret for the account's SIP device, in `.generated.sip_password`
        (InvalidData when the account has no SIP device). deliver: as for reset_password."""
        from acctctl.service.lifecycle import rotate_sip_secret

        storage = self._for("account rotate-sip-secret")
        result = rotate_sip_secret(storage, number,
                                   self._changes("account rotate-sip-secret"), _hook(deliver))
        return Account.from_record(result)

    # --- reads ------------------------------------------------------------------------------

    def show(self, number: str | None = None, *, email: str | None = None,
             devices: bool = True) -> Account:
        """One live account by number (or email), with its SIP devices (never a secret;
        devices=False: without them). NotFound (InvalidData, exit 3) when none matches."""
        if (number is None) == (email is None):
            raise UsageError("give a number or an email")
        storage = self._for("account show")
        return Account.from_record(storage.show(number, email, with_devices=devices))

    def list(self, options: ListOptions | None = None, **filters: Any) -> builtins.list[Account]:
        """Accounts matching the filters of `account list` (ListOptions, or its fields as
        keywords: kind, reseller, status, search, batch, created_after, include_deleted,
        sort, limit, offset). Every match unless limit is given."""
        return self.page(options, **filters).accounts

    def page(self, options: ListOptions | None = None, **filters: Any) -> Page:
        """list(), and how many match in all when options.limit cut the list (`total`; None
        when it did not, or the target cannot count)."""
        options = _list_options(options, filters)
        storage = self._for("account list")
        where = options.where()
        given = [("--status", options.status), ("--search", options.search),
                 ("--batch", options.batch), ("--created-after", options.created_after),
                 ("--include-deleted", options.include_deleted),
                 ("--sort", options.sort != "number"), ("--offset", options.offset)]
        unsupported = [flag for flag, value in given
                       if value and not storage.supports(f"account list {flag}")]
        if unsupported:
            raise UsageError(f"{', '.join(unsupported)}: not supported on the {storage.name} "
                             "target")
        limit = options.limit or None
        # one row more than asked tells whether the limit cut the list (then: how many in all)
        counted = limit is not None and storage.supports("account list total")
        records = storage.list_accounts(where, options.sort,
                                        limit + 1 if counted else limit, options.offset)
        total = None
        if counted and len(records) > limit:
            records, total = records[:limit], storage.count_accounts(where)
        return Page([Account.from_record(r) for r in records], total)

    def export(self, kind: str, *, with_secrets: bool = False,
               options: ListOptions | None = None, **filters: Any) -> Export:
        """Accounts of one kind as rows create_many (or `create KIND --from-file`) takes
        unchanged, password_hash included, owners first; with_secrets adds sip_password."""
        from acctctl.service.export import export_accounts

        _check_kind(kind)
        options = _list_options(options, {**filters, "kind": kind})
        checked = options.check()
        storage = self._for("account export")
        keys, rows = export_accounts(storage, with_secrets=with_secrets,
                                     limit=options.limit or None, offset=options.offset,
                                     **checked)
        return Export(kind=kind, keys=keys, rows=rows)

    # --- batches and the audit trail ----------------------------------------------------

    def batches(self, limit: int | None = None) -> builtins.list[Batch]:
        """Batches, newest first."""
        from acctctl.service.batches import list_batches

        return [batch_of(r) for r in list_batches(self._for("batch list"), limit or None)]

    def batch(self, batch_id: str) -> builtins.list[Account]:
        """The accounts a batch created that still exist (soft-deleted ones too)."""
        from acctctl.service.batches import show_batch

        return [Account.from_record(r) for r in show_batch(self._for("batch show"),
                                                           batch_id)]

    def undo(self, batch_id: str, *, dry_run: bool = False) -> builtins.list[Change]:
        """Purge what the batch created, in one transaction (`batch undo`); Conflict, nothing
        changed, when any of its accounts changed since or owns something outside it."""
        from acctctl.service.batches import undo_batch

        storage = self._for("batch undo")
        results = undo_batch(storage, batch_id, self._changes("batch undo", dry_run))
        return [Change(r["number"], r["kind"], r["action"], True, dry_run) for r in results]

    # --- accounts as code (contract §10) ----------------------------------------------------

    def plan(self, path: str | os.PathLike | Declared, *, prune: bool = False) -> PlanResult:
        """What `apply` would change to make the database match the file (`acctctl plan`);
        nothing is written. InvalidData / Conflict with every error of the file. path: the
        file, or the set read_declared() read from it already (the CLI reads it first)."""
        from acctctl.service.apply import plan

        declared = _declared(path)
        storage = self._for("plan")
        result = plan(storage, storage.settings, declared, prune=prune,
                      options=self._apply_options("plan"))
        return plan_of(result, applied=False)

    def apply(self, path: str | os.PathLike | Declared, *, prune: bool = False,
              dry_run: bool = False,
              deliver: Callable[[PlanResult], None] | None = None) -> PlanResult:
        """Make the database match the file, in one transaction with one batch id (`acctctl
        apply`; prune needs no confirmation here: asking for it is the caller's). The
        secrets generated for new accounts are in `.generated`, shown once; `undo(batch_id)`
        reverts it. deliver(result): runs just before the commit (never in a dry run), where
        the generated secrets are put somewhere safe; if it raises, nothing is written.
        path: as for plan()."""
        from acctctl.service.apply import apply

        declared = _declared(path)
        storage = self._for("apply")
        options = self._apply_options("apply")
        options.prune, options.dry_run = prune, dry_run
        if deliver is not None:
            options.before_commit = lambda result: deliver(plan_of(result, applied=True))
        result = apply(storage, storage.settings, declared, options)
        return plan_of(result, applied=True)

    def _apply_options(self, action: str):
        from acctctl.service.apply import ApplyOptions

        return ApplyOptions(command=self._command(action), profile=self.profile)

    def audit(self, *, account: str | None = None, batch: str | None = None,
              since: Any = None, limit: int | None = None) -> builtins.list[AuditRecord]:
        """Audit records, newest first, filtered by account number, batch id or time
        (since: ISO 8601 text or a datetime, inclusive)."""
        from acctctl.options import parse_since
        from acctctl.service.batches import list_audit

        if isinstance(since, str):
            since = parse_since(since, "--since")
        return [audit_of(r) for r in list_audit(self._for("audit list"), account, batch,
                                                since, limit or None)]


    # --- the catalog: rate groups, taxes, roles, reference data (contract §1, §7) ----------
    # reseller: the owner's number; None: the admin's entries (a list: every owner's).

    def rate_groups(self, reseller: str | None = None) -> builtins.list[RateGroup]:
        """Rate groups by name, every owner's, or only `reseller`'s (`rategroup list`)."""
        storage = self._for("rategroup list")
        return [entry_of(RateGroup, r) for r in storage.list_rate_groups(reseller)]

    def create_rate_group(self, name: str, *, reseller: str | None = None,
                          active: bool = True, if_exists: str = "fail") -> RateGroup:
        """A new rate group (`rategroup create`; active=False: `--inactive`, no account can
        be given it until update_rate_group(active=True)). One of that name and owner exists
        already: Conflict, or with if_exists="skip" it is returned as it is, `.skipped`."""
        from acctctl.service.catalog import create_rate_group

        storage = self._for("rategroup create")
        return entry_of(RateGroup, create_rate_group(storage, name, reseller, active,
                                                     if_exists))

    def update_rate_group(self, name: str, *, reseller: str | None = None,
                          dry_run: bool = False, active: bool | None = None) -> RateGroup:
        """Make a rate group active or inactive (accounts keep it; `rategroup update`). The
        group carries `.changes` ({} when it already was so). NotFound when there is none."""
        given = {} if active is None else {"status": "active" if active else "inactive"}
        return self._update_entry("rate group", name, reseller, given, dry_run)

    def delete_rate_group(self, name: str, *, reseller: str | None = None,
                          dry_run: bool = False) -> DeletedEntry:
        """Remove a rate group no account uses (`rategroup delete`; confirming is the
        caller's). Conflict, nothing changed, naming the accounts that still use it
        (soft-deleted ones too, until they are purged)."""
        return self._delete_entry("rate group", name, reseller, dry_run)

    def taxes(self, reseller: str | None = None) -> builtins.list[Tax]:
        """Taxes by name, every owner's, or only `reseller`'s (`tax list`)."""
        return [entry_of(Tax, r) for r in self._for("tax list").list_taxes(reseller)]

    def create_tax(self, name: str, *, rate: str | Decimal | int,
                   amount: str | Decimal | int | None = None, priority: int = 0,
                   reseller: str | None = None, if_exists: str = "fail") -> Tax:
        """A new tax (`tax create`): rate in percent (0 to 100), a fixed amount (default 0),
        priority (0 or more). An existing one: Conflict, or as create_rate_group with
        if_exists="skip"."""
        from acctctl.service.catalog import create_tax

        storage = self._for("tax create")
        return entry_of(Tax, create_tax(storage, name, rate, amount, priority, reseller,
                                        if_exists))

    def update_tax(self, name: str, *, rate: str | Decimal | int | None = None,
                   amount: str | Decimal | int | None = None, priority: int | None = None,
                   reseller: str | None = None, dry_run: bool = False) -> Tax:
        """Change what is given of a tax (`tax update`; accounts that have it keep it); the
        tax carries `.changes` as update_rate_group's."""
        given = {k: v for k, v in (("rate", rate), ("amount", amount), ("priority", priority))
                 if v is not None}
        return self._update_entry("tax", name, reseller, given, dry_run)

    def delete_tax(self, name: str, *, reseller: str | None = None,
                   dry_run: bool = False) -> DeletedEntry:
        """Remove a tax no account has (`tax delete`); Conflict as delete_rate_group."""
        return self._delete_entry("tax", name, reseller, dry_run)

    def _update_entry(self, what: str, name: str, reseller: str | None, given: dict,
                      dry_run: bool):
        from acctctl.service.catalog import update_entry

        storage = self._for(f"{_COMMAND_OF[what]} update")
        return entry_of(RateGroup if what == "rate group" else Tax,
                        update_entry(storage, what, name, reseller, given, dry_run))

    def _delete_entry(self, what: str, name: str, reseller: str | None,
                      dry_run: bool) -> DeletedEntry:
        from acctctl.service.catalog import delete_entry

        storage = self._for(f"{_COMMAND_OF[what]} delete")
        record = delete_entry(storage, what, name, reseller, dry_run)
        return DeletedEntry(what, record["name"], record["reseller"], dry_run)

    def roles(self) -> builtins.list[Role]:
        """The roles accounts can be given (`role list`), by scope and name."""
        return [Role(r["name"], r["for"], r["description"])
                for r in self._for("role list").list_roles()]

    def create_role(self, name: str, *, scope: str, description: str = "") -> Role:
        """A new role for "admin" or "reseller" accounts (`role create --for SCOPE`);
        Conflict when that scope has one of that name."""
        from acctctl.service.catalog import create_role

        record = create_role(self._for("role create"), name, scope, description)
        return Role(record["name"], record["for"], record["description"])

    def countries(self, search: str | None = None) -> builtins.list[Country]:
        """The countries a `country` field takes (`reference countries`); search: a
        case-insensitive filter on every column."""
        return self._reference("countries", search)

    def currencies(self, search: str | None = None) -> builtins.list[Currency]:
        """The currencies a `currency` field takes (`reference currencies`)."""
        return self._reference("currencies", search)

    def timezones(self, search: str | None = None) -> builtins.list[Timezone]:
        """The timezones a `timezone` field takes (`reference timezones`)."""
        return self._reference("timezones", search)

    def _reference(self, what: str, search: str | None) -> builtins.list:
        rows = self._for(f"reference {what}").reference(what, search)
        return [REFERENCE[what](**row) for row in rows]

# --- helpers ----------------------------------------------------------------------------------


def _declared(path):
    """The set a file declares (a set read already is taken as it is)."""
    from acctctl.service.declared import Declared, read_declared

    return path if isinstance(path, Declared) else read_declared(os.fspath(path))


def _hook(deliver: Deliver | None):
    """The service's before_commit (a result record) as deliver (an Account)."""
    if deliver is None:
        return None
    return lambda record: deliver(Account.from_record(record))


def _check_kind(kind: str) -> None:
    from acctctl.options import KINDS

    if kind not in KINDS:
        raise UsageError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")


def _numbers(numbers: Iterable[str]) -> builtins.list[str]:
    numbers = [str(n) for n in numbers]
    if not numbers:
        raise UsageError("give at least one account number")
    return numbers


def _list_options(options: ListOptions | None, filters: dict) -> ListOptions:
    if options is not None and filters:
        from dataclasses import replace

        return replace(options, **filters)
    try:
        return options or ListOptions(**filters)
    except TypeError as exc:
        raise UsageError(f"unknown filter: {exc}") from None


def _field_error(field: str, message: str):
    from acctctl.errors import FieldError

    return FieldError(field=field, message=message)


def _single(error):
    """A single account's error: no row number (the CLI lists it without one)."""
    return error.__class__(field=error.field, message=error.message, conflict=error.conflict,
                           key=error.key)
