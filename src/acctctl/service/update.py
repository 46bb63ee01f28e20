"""`account update`: change fields of existing accounts, one or a file of them (contract §7).

The stored account and the fields given are merged and validated by the kind's create model,
so single-field, cross-field, ownership and uniqueness rules are the ones `create` applies.
Only the fields given change (plus what follows from them: valid_days sets expiry, a new
billing schedule a new billing day). A stored value that today's rules no longer accept (an
expiry now past, a PIN of an older pin_length) does not block changing another field.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from acctctl.errors import FieldError, ValidationFailed
from acctctl.models.inputs import KINDS, field_specs
from acctctl.models.rules import RuleContext
from acctctl.models.validate import validate_account, validate_field
from acctctl.plain import plain
from acctctl.service.changes import ChangeOptions, audit
from acctctl.service.rows import RowError
from acctctl.storage import Rollback, Storage, StoredAccount, as_storage
from acctctl.storage.lookups import owner_label

#: ASTPP does not allow these to change either; the kind never changes.
IMMUTABLE = ("number", "account_type", "reseller", "kind")
#: Given to update, these say where they are changed instead.
ELSEWHERE = {
    "password": "is not changed by update: use acctctl account reset-password",
    "password_hash": "is not changed by update: use acctctl account reset-password",
    "sip_password": "is not changed by update: use acctctl account rotate-sip-secret",
    "sip_device": "cannot be changed by update (the SIP device is made at creation)",
}
#: A given value meaning "no value": the field becomes what create gives it when it is not
#: given (empty, or its default: 0 for a credit limit, the day of today for a billing day).
#: Only the wizard hands it in (its `-` answer); a file's empty cell stays "not given".
class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET = _Unset()
#: A given key -> the stored keys it replaces and that are recomputed with it.
FOLLOWS = {"valid_days": ("expiry",), "expiry": ("valid_days",),
           "billing_schedule": ("billing_day",)}
#: Keys that, given as they are stored, keep what follows from them (a schedule given again
#: keeps its billing day). valid_days is not one: given, it renews the expiry from today.
KEEPS_FOLLOWERS = ("billing_schedule",)


@dataclass
class UpdateResult:
    batch_id: str
    dry_run: bool
    written: bool = False
    updated: list[dict] = field(default_factory=list)  # account records + "changes"
    unchanged: list[dict] = field(default_factory=list)
    errors: list[FieldError] = field(default_factory=list)


def editable_values(record: dict) -> dict:
    """The stored account as field values of its kind's model (what the wizard pre-fills)."""
    specs = field_specs(KINDS[record["kind"]])
    return {key: record.get(key) for key, spec in specs.items()
            if not (spec["secret"] or spec["file_only"]) and key != "valid_days"
            and record.get(key) is not None}


def update_accounts(storage: Storage, settings: Any,
                    rows: Iterable[tuple[int, dict | RowError]],
                    options: ChangeOptions, chunk_size: int = 500) -> UpdateResult:
    """Rows of {"number": ..., field: value}; all in one transaction (see §3 bulk rules)."""
    storage = as_storage(storage)
    run = UpdateRun(storage, settings, options)
    with storage.transaction(dry_run=options.dry_run) as conn:
        run.conn = conn
        run.lookups = storage.lookups(conn)
        pending: list[tuple[int, dict | RowError]] = []
        for row, raw in rows:
            pending.append((row, raw))
            if len(pending) >= chunk_size:
                run.chunk(pending)
                pending = []
        run.chunk(pending)
        run.result.errors.sort(key=lambda e: e.row or 0)
        if run.result.errors and not options.continue_on_error:
            raise Rollback  # refused: nothing is written
    run.result.written = bool(run.result.updated) and not options.dry_run
    return run.result


class UpdateRun:
    """One update of rows, in the caller's transaction: set `conn` and `lookups`, then
    chunk() the rows (apply and batch undo run it inside their own transaction)."""

    #: the audit record's action (batch undo restores old values as "undo batch")
    action = "update"
    #: an account whose every given field equals its stored value (same type, same value) is
    #: unchanged without being validated, resolved or checked for uniqueness: apply's
    #: re-apply of a file the database already holds. `account update` leaves it off: there
    #: a value given again goes through today's rules (a past expiry is refused).
    skip_equal = False

    def __init__(self, storage: Storage, settings: Any, options: ChangeOptions):
        self.storage = storage
        self.settings = settings
        self.options = options
        self.ctx = RuleContext(settings=settings, now=options.now)
        self.result = UpdateResult(batch_id=options.batch_id, dry_run=options.dry_run)
        self.seen: dict[str, dict[str, int]] = {"number": {}, "email": {}, "pin": {}}
        self.conn: Any
        self.lookups: Any
        #: validated updates of this chunk not written yet: (row, key, account, changes, ids)
        self.pending: list[tuple[int, str, StoredAccount, dict, dict]] = []

    def _error(self, row: int, key: str | None, name: str, message: str, conflict=False):
        self.result.errors.append(
            FieldError(field=name, message=message, conflict=conflict, row=row, key=key))

    def chunk(self, pending: list[tuple[int, dict | RowError]]) -> None:
        if not pending:
            return
        numbers = ["" if isinstance(raw, RowError) else str(raw.get("number", "")).strip()
                   for _, raw in pending]
        # locked as read: an account deleted (or undone) meanwhile is then not found (exit 3)
        # instead of being updated and audited after its deletion
        stored = self.storage.find(self.conn, [n for n in numbers if n], lock=True)
        for (row, raw), number in zip(pending, numbers, strict=True):
            self._one(row, raw, number, stored.get(number))
        self._flush()

    def _one(self, row: int, raw: dict | RowError, number: str,
             account: StoredAccount | None) -> None:
        if isinstance(raw, RowError):  # the reader could not make an object of this row
            self._error(row, None, raw.field, raw.message)
            return
        key = number or None
        if not number:
            self._error(row, None, "number", "is required: it says which account to update")
            return
        if number in self.seen["number"]:
            self._error(row, key, "number",
                        f"{number} duplicates row {self.seen['number'][number]} of this input")
            return
        self.seen["number"][number] = row
        if account is None:
            self._error(row, key, "number", f"no account has number {number}")
            return
        record = account.values
        given = {k: v for k, v in raw.items() if k != "number" and v is not None}
        if not self._allowed(row, key, record, given):
            return
        if self.skip_equal and _all_equal(record, given):
            self.result.unchanged.append({"number": number, "kind": record["kind"]})
            return
        model = self._validate(row, key, record, given)
        if model is None:
            return
        new = self._new_values(record, given, model.__dict__)
        ids = self._resolve(row, key, account, new)
        if ids is None or not self._unique(row, key, record, new):
            return
        problems = self.storage.check_changes(account, new)  # the target's own limits
        for name, message in problems:
            self._error(row, key, name, message)
        if problems:
            return
        changes = {k: [record.get(k), v] for k, v in new.items()
                   if plain(record.get(k)) != plain(v)}
        if not changes:
            self.result.unchanged.append({"number": number, "kind": record["kind"]})
            return
        # written with the rest of the chunk (_flush): a file is not one round trip a row
        self.pending.append((row, key, account, changes, ids))

    def _flush(self) -> None:
        """Write the pending updates and their audit records: all at once (update_many), or,
        when a concurrent writer took an email or PIN meanwhile, one by one to name the row."""
        pending, self.pending = self.pending, []
        if not pending:
            return
        now = self.options.now
        try:
            with self.conn.begin_nested():
                self.storage.update_many(self.conn, [(a, c, i) for _, _, a, c, i in pending],
                                         now)
        except sa.exc.IntegrityError:
            written = []
            for item in pending:
                row, key, account, changes, ids = item
                try:
                    with self.conn.begin_nested():
                        self.storage.update(self.conn, account, changes, ids, now)
                    written.append(item)
                except sa.exc.IntegrityError:
                    for name in ("email", "pin"):
                        if name in changes:
                            self._error(row, key, name, f"{changes[name][1]} was just taken by "
                                        "another account", conflict=True)
            pending = written
        audit(self.storage, self.conn, self.options, self.action,
              [(account.id, account.number, changes) for _, _, account, changes, _ in pending])
        for _, _, account, changes, _ in pending:
            updated = dict(account.values)
            updated.update({k: v for k, (_, v) in changes.items()})
            updated["updated_at"] = now
            updated = {k: v for k, v in updated.items() if not k.startswith("_")}
            updated["changes"] = changes
            self.result.updated.append(updated)

    def _allowed(self, row: int, key: str, record: dict, given: dict) -> bool:
        kind, ok = record["kind"], True
        model = KINDS[kind]
        for name in given:
            if name in IMMUTABLE:
                self._error(row, key, name, "cannot be changed after creation"
                            + (" (the kind never changes)" if name == "kind" else ""))
                ok = False
            elif name in ELSEWHERE and name in model.model_fields:
                self._error(row, key, name, ELSEWHERE[name])
                ok = False
            elif name not in model.model_fields:
                applies = any(name in m.model_fields for m in KINDS.values())
                article = "an" if kind[0] in "aeiou" else "a"
                self._error(row, key, name, f"does not apply to {article} {kind}" if applies
                            else "is not a known field")
                ok = False
        return ok

    def _merged(self, record: dict, given: dict) -> dict:
        merged = editable_values(record)
        merged.pop("number", None)  # immutable, and may predate today's numbers.length
        for name in given:
            if name in KEEPS_FOLLOWERS and self._as_stored(record, name, given[name]):
                continue  # given as it is stored: its billing day stays as it is
            for follower in FOLLOWS.get(name, ()):
                if follower not in given:
                    merged.pop(follower, None)
        merged.update(given)
        for name in [k for k, v in given.items() if v is UNSET]:
            merged.pop(name)  # as if never given: the model's default or derived value
        return merged

    def _as_stored(self, record: dict, name: str, value: Any) -> bool:
        """Whether `value` is the stored one once the field's own rule has read it (a
        billing schedule of "Monthly" is the stored "monthly")."""
        stored = record.get(name)
        if value is UNSET or value is None or stored is None:
            return False
        ok, clean = validate_field(record["kind"], name, value, self.ctx)
        return ok and plain(clean) == plain(stored)

    def _validate(self, row: int, key: str, record: dict, given: dict):
        kind = record["kind"]
        merged = self._merged(record, given)
        for _attempt in range(2):
            try:
                return validate_account(kind, merged, self.ctx)
            except ValidationFailed as failure:
                errors = failure.errors
            stale = [e.field for e in errors if e.field not in given and e.field in merged]
            if not stale:
                break
            for name in stale:  # a stored value today's rules refuse: not this update's fault
                merged.pop(name)
        for e in errors:
            self._error(row, key, e.field, e.message)
        return None

    def _new_values(self, record: dict, given: dict, clean: dict) -> dict:
        keys = list(given)
        for name in given:
            keys += [f for f in FOLLOWS.get(name, ()) if f in clean and f not in keys]
        return {k: clean.get(k) for k in keys}

    def _resolve(self, row: int, key: str, account: StoredAccount, new: dict) -> dict | None:
        """Ids of the rate group, taxes and role named, owned by the account's owner."""
        record = account.values
        ids: dict = {}
        ok = True
        owner_id = account.owner_id
        owner = owner_label(record.get("reseller"))
        if "rate_group" in new:
            ids["rate_group_id"], why = self.lookups.rate_group(new["rate_group"], owner_id,
                                                                 owner)
            if why:
                self._error(row, key, "rate_group", why)
                ok = False
        if "taxes" in new:
            ids["tax_ids"] = []
            for name in new["taxes"] or []:
                found, why = self.lookups.tax(name, owner_id, owner)
                if why:
                    self._error(row, key, "taxes", why)
                    ok = False
                ids["tax_ids"].append(found)
        if "role" in new:
            ids["role_id"], why = self.lookups.role(record["kind"], new["role"])
            if why:
                self._error(row, key, "role", why)
                ok = False
        return ids if ok else None

    def _unique(self, row: int, key: str, record: dict, new: dict) -> bool:
        email = new.get("email")
        email_key = email.casefold() if email else None
        pin = new.get("pin")
        if email_key == (record.get("email") or "").casefold():
            email_key = None
        if pin == record.get("pin"):
            pin = None
        taken = self.lookups.existing(email_keys=[email_key] if email_key else [],
                                      pins=[pin] if pin else [])
        if self.pending and (email_key in taken["email"] or pin in taken["pin"]):
            # a pending update of this chunk may free it (an email moved between accounts)
            self._flush()
            taken = self.lookups.existing(email_keys=[email_key] if email_key else [],
                                          pins=[pin] if pin else [])
        ok = True
        for name, value in (("email", email_key), ("pin", pin)):
            if value is None:
                continue
            earlier = self.seen[name].get(value)
            if earlier is not None:
                self._error(row, key, name, f"{value} duplicates row {earlier} of this input")
                ok = False
            elif value in taken[name]:
                shown = email if name == "email" else "this PIN"
                self._error(row, key, name, f"{shown} is already used by another account",
                            conflict=True)
                ok = False
            else:
                self.seen[name][value] = row
        return ok


def _all_equal(record: dict, given: dict) -> bool:
    """Whether every given value is the stored one exactly: the same type and the same
    value as the change computation spells it (plain(): Decimal by its digits), so a value
    that differs in case, format or type (1 for "1", 10 for 10.00) goes through the models.
    A key that recomputes others (FOLLOWS) or UNSET is never taken as equal."""
    for name, value in given.items():
        stored = record.get(name)
        if (name in FOLLOWS or type(value) is not type(stored)
                or plain(value) != plain(stored)):
            return False
    return True
