"""Create accounts: one, or a stream of them, in one transaction.

The single create and the bulk paths are this one function. It knows nothing of Typer,
questionary or rich: rows in (dicts of field keys), a BatchResult out.

Per row: validate with the kind's model, resolve owner / rate group / taxes / role, check for
duplicates inside the batch. Per chunk of rows: check what exists in the database, generate
numbers, PINs and passwords, hash on every core, insert with executemany inside a savepoint.
The database's unique constraints are the real guard: when a concurrent writer wins a race
the savepoint is rolled back, the chunk re-checked, and generated values drawn afresh.

Each row is validated once and hashed once (a redraw after a lost race keeps the hash); a dry
run hashes nothing. Passwords a person chose get the strong argon2id profile, generated ones
the light profile (service/secrets_.py, docs/security.md). Progress is reported as rows are
written (or found to be skipped or failed), with the phase the batch is in.
"""

from __future__ import annotations

import json
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from acctctl import interrupts
from acctctl.errors import DatabaseError, Exhausted, FieldError, ValidationFailed
from acctctl.models.inputs import DEFAULT_ROLE, KINDS, AccountInput, BillingInput
from acctctl.models.rules import RuleContext, password_clash
from acctctl.models.validate import validate_account
from acctctl.plain import json_default
from acctctl.service import secrets_
from acctctl.service.changes import _os_user
from acctctl.service.records import account_record
from acctctl.service.rows import RowError
from acctctl.storage import (
    AuditEvent,
    InsertBatch,
    NewAccount,
    Rollback,
    Storage,
    as_storage,
)
from acctctl.storage.lookups import owner_label

MAX_RACE_RETRIES = 8
#: Whole-batch runs when the storage says the database rolled the transaction back (an ASTPP
#: deadlock): the rows are replayed from the start.
MAX_BATCH_RUNS = 5
MAX_DRAWS = 200
#: Stands in for the hash in a dry run's rows, which are rolled back: nothing is hashed.
DRY_RUN_HASH = "(dry run: not hashed)"
#: Strong-profile hashes a chunk may hold per core: a chunk of them takes seconds, and progress
#: moves once per chunk written.
STRONG_HASHES_PER_CORE = 8

#: progress(phase, rows done): phase is validating, hashing, writing or committing; rows done
#: counts rows written inside the transaction, plus rows that will never be (skipped, failed).
Progress = Callable[[str, int], None]


@dataclass
class BatchOptions:
    mode: str = "flags"  # flags | interactive | file | count
    command: str = ""
    profile: str | None = None
    actor: str = field(default_factory=lambda: _os_user())
    dry_run: bool = False
    if_exists: str = "fail"  # fail | skip
    continue_on_error: bool = False
    defaults: dict = field(default_factory=dict)  # flag values applied to every row
    number_prefix: str | None = None  # --prefix, else numbers.prefix
    number_length: int | None = None  # --length, else numbers.length
    first_name_from_number: bool = False  # --count: first name defaults to the number
    chunk_size: int = 500
    #: the batch's id (None: a new one); `apply` creates every kind in one batch
    batch_id: str | None = None
    #: Called with the BatchResult inside the transaction, after every row is written and
    #: just before the commit (never in a dry run or a refused batch): the caller delivers
    #: the generated secrets there (a secrets file made durable, or stdout). If it raises,
    #: the batch is rolled back: no account is committed whose secret was not delivered.
    before_commit: Callable[[BatchResult], None] | None = None


@dataclass
class BatchResult:
    batch_id: str
    dry_run: bool
    written: bool = False
    created_count: int = 0
    #: created accounts with a generated secret (password or SIP secret) in their record
    secrets_generated: int = 0
    #: set just before the database commit starts: an error after it leaves the outcome of
    #: the commit unknown (the secrets delivered before it are then kept)
    committing: bool = False
    skipped: list[dict] = field(default_factory=list)
    errors: list[FieldError] = field(default_factory=list)
    _spool: Any = None

    def created(self) -> Iterable[dict]:
        """Created (or, in a dry run, would-be) accounts, streamed back from disk."""
        if self._spool is None:
            return
        self._spool.seek(0)
        for line in self._spool:
            yield json.loads(line)

    def close(self) -> None:
        if self._spool is not None:
            self._spool.close()


#: a row on its way into the storage (the pipeline's name for it)
_Row = NewAccount


def create_accounts(
    storage: Storage,
    settings: Any,
    kind: str,
    rows: Iterable[tuple[int, dict]],
    options: BatchOptions,
    progress: Progress | None = None,
) -> BatchResult:
    """storage: where the accounts go (a bare engine: acctctl's own schema on it). The storage
    owns the transaction; a batch it cannot finish because the database rolled it back
    (retryable) runs again from its first row, without progress the second time."""
    storage = as_storage(storage)
    replay = _Replayable(rows, keep=storage.may_retry)
    for attempt in range(1, MAX_BATCH_RUNS + 1):
        run = BatchRun(settings, kind, options, storage)
        write = False
        try:
            with storage.transaction(dry_run=options.dry_run) as conn:
                run.execute(conn, replay.rows(), progress if attempt == 1 else None)
                if options.dry_run or (run.result.errors and not options.continue_on_error):
                    raise Rollback
                interrupts.check()  # a Ctrl-C Python swallowed still means "write nothing"
                run.enter("committing")
                run.deliver()
                interrupts.check()
                run.result.committing = True
                write = True
        except BaseException as exc:
            run.result.close()
            # a failed commit is not replayed: its secrets were delivered once
            if (attempt < MAX_BATCH_RUNS and not run.result.committing
                    and storage.retryable(exc)):
                continue
            raise
        if write:
            run.result.written = run.result.created_count > 0
            if run.result.written:
                storage.after_write(run.batch)
        return run.result
    raise AssertionError("unreachable")  # pragma: no cover


class _Replayable:
    """Rows read once from their source, replayable when the batch must run again. keep:
    whether it may (else nothing is kept: a file of a million rows streams through)."""

    def __init__(self, source: Iterable, keep: bool):
        self._source = iter(source)
        self._seen: list | None = [] if keep else None

    def rows(self) -> Iterator:
        if self._seen is None:
            yield from self._source
            return
        yield from list(self._seen)
        for row in self._source:
            self._seen.append(row)
            yield row


class BatchRun:
    """One create batch of one kind, in the caller's transaction: execute(conn, rows). A
    caller that owns the transaction (apply) runs several, with one BatchOptions.batch_id."""

    def __init__(self, settings: Any, kind: str, options: BatchOptions, storage: Storage):
        self.storage = storage
        self.settings = settings
        self.progress: Progress | None = None
        self.phase = "validating"
        self.done = 0  # rows written, skipped or failed
        self.strong = secrets_.strong_profile(settings)
        self.for_generated = secrets_.generated_profile(settings)
        self.strong_chunk = STRONG_HASHES_PER_CORE * secrets_.hash_workers()
        self.kind = kind
        self.model = KINDS[kind]
        self.options = options
        self.now = datetime.now(UTC)
        self.ctx = RuleContext(settings=settings, now=self.now)
        self.result = BatchResult(batch_id=options.batch_id or str(uuid.uuid4()),
                                  dry_run=options.dry_run)
        self.result._spool = tempfile.SpooledTemporaryFile(max_size=4 << 20, mode="w+")
        self.batch = InsertBatch(kind=kind, batch_id=self.result.batch_id, actor=options.actor,
                                 mode=options.mode, command=options.command,
                                 profile=options.profile, now=self.now,
                                 dry_run=options.dry_run)
        self.seen: dict[str, dict[str, int]] = {"number": {}, "email": {}, "pin": {}}
        self.error_rows: set[int | None] = set()  # rows with an error (a set: O(1) per row)
        #: a caller that needs the new accounts' ids (apply: the set's members) sets a dict:
        #: number -> id, filled as chunks are written (no re-read of what was just inserted)
        self.created_ids: dict[str, int] | None = None
        self.length = options.number_length or settings.numbers.length
        self.prefix = (
            options.number_prefix
            if options.number_prefix is not None
            else settings.numbers.prefix
        )

    # --- the loop -------------------------------------------------------------------------

    def execute(self, conn: Any, rows, progress: Progress | None = None) -> None:
        self.conn = conn
        self.progress = progress
        self.postgres = conn.dialect.name == "postgresql"
        self.lookups = self.storage.lookups(conn)
        pending: list[_Row] = []
        strong = 0  # rows of `pending` whose password takes the strong profile
        self.enter("validating")
        for row_number, raw in rows:
            prepared = self._prepare(row_number, raw)
            if prepared is None:
                self._settle(1)
            else:
                pending.append(prepared)
                strong += self._profile_of(prepared) == self.strong
            if len(pending) >= self.options.chunk_size or strong >= self.strong_chunk:
                self._flush(pending)
                pending, strong = [], 0
                self.enter("validating")
        self._flush(pending)
        self.result.errors.sort(key=lambda e: (e.row or 0))

    def deliver(self) -> None:
        """The caller's before_commit: every generated secret delivered before the commit."""
        if self.options.before_commit is not None:
            self.options.before_commit(self.result)

    # --- progress -------------------------------------------------------------------------

    def enter(self, phase: str) -> None:
        self.phase = phase
        if self.progress:
            self.progress(phase, self.done)

    def _settle(self, rows: int) -> None:
        """`rows` more rows are done with: written, or never to be (skipped, failed)."""
        if rows:
            self.done += rows
            if self.progress:
                self.progress(self.phase, self.done)

    def _error(self, row: int, key: str | None, field_key: str, message: str, conflict=False):
        self.error_rows.add(row)
        self.result.errors.append(
            FieldError(field=field_key, message=message, conflict=conflict, row=row, key=key)
        )

    @property
    def _stop_writing(self) -> bool:
        return bool(self.result.errors) and not self.options.continue_on_error

    # --- per row --------------------------------------------------------------------------

    def _prepare(self, row: int, raw: dict | RowError) -> _Row | None:
        if isinstance(raw, RowError):  # the reader could not make an object of this row
            self._error(row, None, raw.field, raw.message)
            return None
        data = dict(self.options.defaults)
        # Readers already drop empty cells ("not given"); an empty value that gets here was
        # given on purpose (e.g. an empty --password-file) and its rule judges it.
        data.update({k: v for k, v in raw.items() if v is not None})
        # a target's defaults that depend on the row's own fields (ASTPP's email alerts)
        self.storage.prefill(self.kind, data)
        found = natural_key(data.get("number"), data.get("email"))
        key = str(found[1]) if found else None
        # what the reader found wrong in a row it translated (ASTPP's import file: a value
        # acctctl has no field for): errors of this row, reported with its field errors
        for column, message in getattr(raw, "problems", {}).items():
            self._error(row, key, column, message)
        if self.options.first_name_from_number and "first_name" not in data:
            data["first_name"] = "(from number)"  # replaced once the number is drawn
        unknown = [k for k in data if k not in self.model.model_fields]
        for k in unknown:
            applies = [name for name, m in KINDS.items() if k in m.model_fields]
            article = "an" if self.kind[0] in "aeiou" else "a"
            why = f"does not apply to {article} {self.kind}" if applies else "is not a known field"
            self._error(row, key, k, why)
            data.pop(k)
        model = None
        try:
            model = validate_account(self.kind, data, self.ctx)
            values = model.__dict__
        except ValidationFailed as failure:
            for e in failure.errors:
                self._error(row, key, e.field, e.message)
            values = getattr(failure, "partial", {})
        if model is not None:
            for field_key, message in self.storage.check_fields(self.kind, model, data):
                self._error(row, key, field_key, message)
        refs, ids = self._resolve(row, key, values)
        if model is None or unknown:
            return None
        key = model.number or model.email
        if not self._unique_in_batch(row, key, model):
            return None
        if row in self.error_rows:
            return None
        return _Row(
            row=row, model=model, key=key, refs=refs, ids=ids,
            number_given=model.number is not None,
            pin_given=getattr(model, "pin", None) is not None,
        )

    def _resolve(self, row: int, key, values: dict) -> tuple[dict, dict]:
        refs = {"reseller": None, "rate_group": None, "taxes": [], "role": None,
                "sip_device": False}
        ids = {"reseller_id": None, "rate_group_id": None, "tax_ids": [], "role_id": None}
        owner_id = None
        if issubclass(self.model, BillingInput):
            reseller = values.get("reseller")
            if reseller:
                owner_id, why = self.lookups.reseller(reseller)
                if why:
                    self._error(row, key, "reseller", why)
                    return refs, ids
                refs["reseller"], ids["reseller_id"] = reseller, owner_id
            owner = owner_label(reseller)
            if values.get("rate_group"):
                found, why = self.lookups.rate_group(values["rate_group"], owner_id, owner)
                if why:
                    self._error(row, key, "rate_group", why)
                refs["rate_group"], ids["rate_group_id"] = values["rate_group"], found
            for name in values.get("taxes") or []:
                found, why = self.lookups.tax(name, owner_id, owner)
                if why:
                    self._error(row, key, "taxes", why)
                refs["taxes"].append(name)
                ids["tax_ids"].append(found)
        if "role" in self.model.model_fields:
            found, why = self.lookups.role(self.kind, values.get("role"))
            if why:
                self._error(row, key, "role", why)
            refs["role"] = values.get("role") or DEFAULT_ROLE[self.kind]
            ids["role_id"] = found
        return refs, ids

    def _unique_in_batch(self, row: int, key, model: AccountInput) -> bool:
        ok = True
        values = {
            "number": model.number,
            "email": model.email.casefold() if model.email else None,
            "pin": getattr(model, "pin", None),
        }
        for name, value in values.items():
            if value is None:
                continue
            earlier = self.seen[name].get(value)
            if earlier is not None:
                self._error(row, key, name, f"{value} duplicates row {earlier} of this input")
                ok = False
            else:
                self.seen[name][value] = row
        return ok

    # --- per chunk ------------------------------------------------------------------------

    def _flush(self, pending: list[_Row]) -> None:
        if not pending:
            return
        pending = self._drop_existing(pending)
        if self._stop_writing or not pending:
            self._settle(len(pending))  # validated, but nothing will be written
            return
        self._draw_numbers_and_pins(pending, redraw_all=False)
        pending = self._hash_passwords(pending)
        for p in pending:  # drawn once: a chunk written again keeps the secret it reported
            if (getattr(p.model, "sip_device", False)
                    and getattr(p.model, "sip_password", None) is None
                    and "sip_password" not in p.generated):
                p.generated["sip_password"] = secrets_.generate_sip_secret(
                    self.settings.passwords.sip_secret_length)
        self.enter("writing")
        for _attempt in range(MAX_RACE_RETRIES):
            if not pending:
                return
            try:
                with self.conn.begin_nested():
                    ids = self.storage.insert(self.conn, self.batch, pending)
                    self._audit(pending, ids)
            except (sa.exc.IntegrityError, sa.exc.OperationalError) as exc:
                if isinstance(exc, sa.exc.OperationalError) and not _is_deadlock(exc):
                    raise
                # Someone else committed one of our values meanwhile (or PostgreSQL chose us
                # as a deadlock victim): the savepoint is rolled back; re-check and redraw.
                # The hashes stay: a row is hashed once.
                pending = self._drop_existing(pending)
                self._draw_numbers_and_pins(pending, redraw_all=True)
                continue
            self._record(pending, ids)
            self._settle(len(pending))
            return
        raise DatabaseError(
            "could not insert a chunk of accounts after "
            f"{MAX_RACE_RETRIES} attempts: too many concurrent writers drew the same values"
        )

    def _drop_existing(self, pending: list[_Row]) -> list[_Row]:
        taken = self.lookups.existing(
            numbers=[p.model.number for p in pending if p.number_given],
            email_keys=[p.model.email.casefold() for p in pending if p.model.email],
            pins=[p.model.pin for p in pending if p.pin_given],
        )
        keep = []
        for p in pending:
            key = natural_key(p.model.number if p.number_given else None, p.model.email)
            holder = None  # the kind of the account that has this row's key
            if key is not None:
                value = key[1] if key[0] == "number" else key[1].casefold()
                if "kinds" in taken:
                    holder = taken["kinds"].get((key[0], value))
                elif value in taken[key[0]]:  # a target that does not say (ASTPP): the key
                    holder = self.kind
            # skip only "this account exists already": the same key on another kind of
            # account (a reseller with a customer's number) is a conflict, not a re-run
            if holder == self.kind and self.options.if_exists == "skip":
                self.result.skipped.append({"row": p.row, "key": p.key, "reason": "exists"})
                continue  # settled below, with the rows that clash
            clashes = []
            if p.number_given and p.model.number in taken["number"]:
                clashes.append(("number", f"account number {p.model.number} already exists"
                                + _held_by(taken, "number", p.model.number, self.kind)))
            if p.model.email and p.model.email.casefold() in taken["email"]:
                clashes.append(("email", f"email {p.model.email} is already used by an account"
                                + _held_by(taken, "email", p.model.email.casefold(),
                                           self.kind)))
            if p.pin_given and p.model.pin in taken["pin"]:
                clashes.append(("pin", "this PIN is already used by another account"))
            for name, message in clashes:
                self._error(p.row, p.key, name, message, conflict=True)
            if not clashes:
                keep.append(p)
        self._settle(len(pending) - len(keep))
        return keep

    def _draw_numbers_and_pins(self, pending: list[_Row], redraw_all: bool) -> None:
        needs_pin = "pin" in self.model.model_fields and self.settings.numbers.generate_pin
        for attempt in range(MAX_DRAWS):
            to_draw = [p for p in pending if not p.number_given and
                       (redraw_all or p.model.number is None)]
            pins = [p for p in pending if needs_pin and not p.pin_given and
                    (redraw_all or p.model.pin is None)]
            if not to_draw and not pins:
                return
            for p in to_draw:
                self._set_generated_number(p)
            for p in pins:
                p.model.__dict__["pin"] = self._fresh(
                    "pin", lambda: secrets_.generate_pin(self.settings.numbers.pin_length)
                )
            taken = self.lookups.existing(
                numbers=[p.model.number for p in to_draw], pins=[p.model.pin for p in pins]
            )
            redraw_all = False
            for p in to_draw:
                if p.model.number in taken["number"]:
                    del self.seen["number"][p.model.number]
                    p.model.__dict__["number"] = None
            for p in pins:
                if p.model.pin in taken["pin"]:
                    del self.seen["pin"][p.model.pin]
                    p.model.__dict__["pin"] = None
            if attempt == MAX_DRAWS - 1:
                raise Exhausted(
                    "could not draw unused numbers: the number space is full",
                    hint=f"numbers of {self.length} digits starting {self.prefix or '1-9'} are "
                    "(nearly) all taken: set a longer numbers.length or --length",
                )

    def _set_generated_number(self, p: _Row) -> None:
        if p.model.number is not None:
            self.seen["number"].pop(p.model.number, None)
        number = self._fresh(
            "number", lambda: secrets_.generate_account_number(self.length, self.prefix)
        )
        p.model.__dict__["number"] = number
        # --count: the first name follows the number, also when the number is drawn again
        placeholders = ("(from number)", p.generated.get("number"))
        if self.options.first_name_from_number and p.model.first_name in placeholders:
            p.model.__dict__["first_name"] = number
        if p.key is None or p.key == p.generated.get("number"):
            p.key = number
        p.generated["number"] = number

    def _fresh(self, name: str, draw: Callable[[], str]) -> str:
        for _ in range(MAX_DRAWS):
            value = draw()
            if value not in self.seen[name]:
                self.seen[name][value] = -1
                return value
        raise Exhausted(
            f"could not draw an unused {name}: (nearly) every value is taken",
            hint="use a longer numbers.length / numbers.pin_length",
        )

    def _profile_of(self, p: _Row) -> secrets_.HashProfile | None:
        """The argon2id profile this row's password is hashed with (None: it has a hash)."""
        if p.model.password_hash is not None:
            return None
        return self.strong if p.model.password is not None else self.for_generated

    def _hash_passwords(self, pending: list[_Row]) -> list[_Row]:
        to_hash: dict[secrets_.HashProfile, list[tuple[_Row, str]]] = {}
        keep = []
        for p in pending:
            m = p.model
            profile = self._profile_of(p)
            if profile is None:
                p.password_hash = m.password_hash.get_secret_value()
            else:
                if m.password is not None:
                    password = m.password.get_secret_value()
                    clash = password_clash(password, m.number, m.email)
                    if clash:
                        self._error(p.row, p.key, "password", clash)
                        continue
                else:
                    password = secrets_.generate_password(self.settings.passwords.generated_length)
                    p.generated["password"] = password
                to_hash.setdefault(profile, []).append((p, password))
            keep.append(p)
        self._settle(len(pending) - len(keep))
        if to_hash and not self.options.dry_run:  # a dry run writes nothing worth a hash
            self.enter("hashing")
        for profile, rows in to_hash.items():
            hashes = (
                [DRY_RUN_HASH] * len(rows) if self.options.dry_run
                else self.storage.protect_passwords([pw for _, pw in rows], self.settings,
                                                    profile)
            )
            for (p, _), hashed in zip(rows, hashes, strict=True):
                p.password_hash = hashed
        return keep

    def _audit(self, pending: list[_Row], ids: list[int]) -> None:
        """A "create KIND" record per account, in the ledger, with the accounts."""
        if not self.storage.supports("ledger"):
            return  # a storage without a ledger (yet) records no batch
        b = self.batch
        self.storage.ledger.record(self.conn, [
            AuditEvent(at=b.now, actor=b.actor, action=f"create {b.kind}", account_id=i,
                       account_number=p.model.number, mode=b.mode, batch_id=b.batch_id,
                       command=b.command, profile=b.profile)
            for p, i in zip(pending, ids, strict=True)])

    def _record(self, pending: list[_Row], ids: list[int]) -> None:
        spool = self.result._spool
        if self.created_ids is not None:
            self.created_ids.update((p.model.number, i) for p, i in zip(pending, ids,
                                                                         strict=True))
        for p in pending:
            row = p.values  # as inserted: computed once, in _insert
            refs = dict(p.refs)
            refs["sip_device"] = bool(getattr(p.model, "sip_device", False))
            record = account_record(row, refs)
            generated = {k: v for k, v in p.generated.items() if k != "number"}
            if generated:
                record["generated"] = generated
                self.result.secrets_generated += 1
            record["_row"] = p.row
            spool.write(json.dumps(record, default=json_default) + "\n")
            self.result.created_count += 1


def _held_by(taken: dict, field: str, value: str, kind: str) -> str:
    """", a reseller" when another kind of account holds the value: --if-exists skip does
    not skip it, and the message says why."""
    holder = taken.get("kinds", {}).get((field, value))
    if not holder or holder == kind:
        return ""
    return f" (it is {'an' if holder[0] in 'aeiou' else 'a'} {holder}, not a {kind})"


def _is_deadlock(exc: sa.exc.OperationalError) -> bool:
    return getattr(getattr(exc, "orig", None), "sqlstate", None) == "40P01"


def natural_key(number: str | None, email: str | None) -> tuple[str, str] | None:
    """What --if-exists matches on: the number when there is one, else the email."""
    if number:
        return "number", number
    if email:
        return "email", email
    return None


def free_numbers(storage: Storage, prefix: str, length: int) -> int:
    """How many numbers of this prefix and length are still free."""
    storage = as_storage(storage)
    with storage.reading() as conn:
        used = storage.lookups(conn).count_numbers(prefix, length)
    return max(secrets_.number_capacity(length, prefix) - used, 0)


def check_free_numbers(storage: Storage, settings: Any, count: int, prefix: str | None,
                       length: int | None) -> None:
    """--count N: exit 2 when the prefix leaves no digit to draw, exit 3 (saying how many
    remain) when fewer than N numbers of that prefix and length are free."""
    from acctctl.errors import NotFound, UsageError

    length = length or settings.numbers.length
    prefix = prefix if prefix is not None else settings.numbers.prefix
    if len(prefix) >= length:
        raise UsageError(f"--prefix {prefix} leaves no digit to generate in a "
                         f"{length}-digit number: give a longer --length")
    free = free_numbers(storage, prefix, length)
    if count > free:
        raise NotFound(
            f"only {free} numbers remain free for prefix {prefix or '(none)'} and length "
            f"{length}; --count {count} does not fit",
            hint="choose another --prefix or a longer --length",
        )
