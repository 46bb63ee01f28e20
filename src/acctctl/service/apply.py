"""Accounts as code: `plan` and `apply` (contract §10).

A file declares a set of objects (service/declared.py reads it); this converges the storage
to it in ONE transaction of the storage, with one batch id:

- catalog entries (rate groups, taxes, roles) and accounts, in the order their references
  need (roles, the admin's catalog, resellers and then the catalog they own, the rest);
- a new object is created through the same pipelines as `create` (accounts: the create
  pipeline, service/accounts.py BatchRun; the catalog: the rules of the catalog commands);
- an existing one is updated through `account update`'s own validation and change
  computation (service/update.py UpdateRun): only the fields the file gives, immutable
  fields compared (exit 3 naming them when they differ);
- with prune, the members of the set (recorded when an apply created them) the file no
  longer declares are soft-deleted as `account delete` does (billing history: disabled),
  catalog entries after the accounts that used them.

`plan` is the same run in a transaction that is rolled back (the writes are what makes a
later object's reference to an earlier new one check out), so apply performs exactly the
operations plan shows. Every error (row path, key, field, message) is collected, and if there
is any the transaction is rolled back and they are raised together: nothing is written.

Knows nothing of Typer, questionary or rich.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from acctctl import interrupts
from acctctl.errors import Conflict, FieldError, ValidationFailed
from acctctl.models.inputs import KINDS
from acctctl.plain import plain
from acctctl.service import secrets_
from acctctl.service.accounts import BatchOptions, BatchRun
from acctctl.service.changes import ChangeOptions, _os_user, audit
from acctctl.service.declared import Declared, DeclaredObject
from acctctl.service.update import UpdateRun
from acctctl.storage import (
    CATALOG_KINDS,
    CatalogChange,
    Rollback,
    SetMember,
    Storage,
    StoredAccount,
    as_storage,
)

#: what a secret shows as in a plan (never its value or hash)
SET = "(set)"
HIDDEN = "(hidden)"
SECRET_KEYS = ("password", "password_hash", "password_file", "sip_password")
#: the order accounts are written in: owners before what they own
ACCOUNT_ORDER = ("reseller", "customer", "provider", "admin", "subadmin")
#: account fields a file gives that only a new account takes
CREATION_ONLY = ("valid_days",)
#: catalog fields -> (entry key, rule)
ACTIONS = ("create", "update", "delete", "disable", "unchanged")


@dataclass
class Operation:
    """One line of a plan: what happens to one object."""

    action: str  # create | update | unchanged | delete | disable
    kind: str
    key: str
    changes: dict = field(default_factory=dict)  # field -> [old, new]; secrets as "(set)"
    path: str | None = None  # where the file declares it (None: a pruned member)

    def as_dict(self) -> dict:
        return {"action": self.action, "kind": self.kind, "key": self.key,
                "changes": plain(self.changes)}


@dataclass
class ApplyOptions:
    prune: bool = False
    dry_run: bool = False
    command: str = ""
    profile: str | None = None
    actor: str = field(default_factory=_os_user)
    #: called with the result inside the transaction just before the commit (never in a dry
    #: run): where the caller delivers generated secrets; if it raises, nothing is written
    before_commit: Callable[[ApplyResult], None] | None = None


@dataclass
class ApplyResult:
    set_name: str
    batch_id: str
    dry_run: bool
    operations: list[Operation] = field(default_factory=list)
    #: secrets generated for new accounts: {"kind", "number", "password"?, "sip_password"?}
    generated: list[dict] = field(default_factory=list)
    written: bool = False

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(ACTIONS, 0)
        for op in self.operations:
            counts[op.action] += 1
        return counts

    @property
    def changed(self) -> bool:
        """Whether the plan is not empty (something would be or was changed)."""
        return any(op.action != "unchanged" for op in self.operations)

    def summary(self, done: bool = False) -> str:
        """"3 to create, 1 to update, 0 to delete, 5 unchanged" (done: "3 created, ...")."""
        c = self.counts()
        words = (("created", "updated", "deleted") if done
                 else ("to create", "to update", "to delete"))
        line = (f"{c['create']} {words[0]}, {c['update']} {words[1]}, "
                f"{c['delete'] + c['disable']} {words[2]}, {c['unchanged']} unchanged")
        if c["disable"]:
            line += f" ({c['disable']} disabled instead: billing history)"
        return line


def plan(storage: Storage, settings: Any, declared: Declared, prune: bool = False,
         options: ApplyOptions | None = None) -> ApplyResult:
    """What apply would do: the same run, rolled back."""
    options = options or ApplyOptions()
    options.prune, options.dry_run = prune, True
    return apply(storage, settings, declared, options)


def apply(storage: Storage, settings: Any, declared: Declared,
          options: ApplyOptions) -> ApplyResult:
    """Converge the storage to `declared` in one transaction (see the module docstring).
    ValidationFailed (exit 3, or 4 when every error is a conflict) with every error of the
    file, nothing written; Conflict (exit 4) when a pruned object is still needed."""
    storage = as_storage(storage)
    run = _Converge(storage, settings, declared, options)
    with storage.transaction(dry_run=options.dry_run) as conn:
        run.execute(conn)
        if run.errors:
            raise Rollback
        if not options.dry_run:
            interrupts.check()
            if options.before_commit is not None:
                options.before_commit(run.result)
            interrupts.check()
    if run.errors:
        raise ValidationFailed(run.errors, message=f"{len(run.errors)} problem"
                               f"{'s' if len(run.errors) != 1 else ''} in {declared.source}; "
                               "nothing was written")
    run.result.written = not options.dry_run and run.result.changed
    return run.result


class _Converge:
    def __init__(self, storage: Storage, settings: Any, declared: Declared,
                 options: ApplyOptions):
        self.storage = storage
        self.settings = settings
        self.declared = declared
        self.options = options
        self.now = datetime.now(UTC)
        self.batch_id = str(uuid.uuid4())
        self.result = ApplyResult(set_name=declared.set_name, batch_id=self.batch_id,
                                  dry_run=options.dry_run)
        self.errors: list[FieldError] = []
        self.change_options = ChangeOptions(
            command=options.command, profile=options.profile, actor=options.actor,
            mode="apply", dry_run=options.dry_run, batch_id=self.batch_id, now=self.now)
        self.new_members: list[SetMember] = []
        self.catalog_changes: list[CatalogChange] = []  # what batch undo gives back
        self.conn: Any = None

    # --- errors ---------------------------------------------------------------------------

    def _error(self, obj: DeclaredObject | None, name: str, message: str,
               conflict: bool = False, key: str | None = None) -> None:
        self.errors.append(FieldError(field=name, message=message, conflict=conflict,
                                      row=obj.path if obj is not None else None,
                                      key=obj.key if obj is not None else key))

    def _op(self, action: str, obj: DeclaredObject, changes: dict | None = None) -> None:
        self.result.operations.append(Operation(action, obj.kind, obj.key, changes or {},
                                                obj.path))

    # --- the run --------------------------------------------------------------------------

    def execute(self, conn: Any) -> None:
        self.conn = conn
        self.members = self.storage.ledger.set_members(conn, self.declared.set_name)
        objects = self.declared.objects
        accounts = [o for o in objects if o.kind in KINDS]
        catalog = [o for o in objects if o.kind in CATALOG_KINDS]
        self._duplicates(objects)
        declared_resellers = {o.key for o in accounts if o.kind == "reseller"}
        # roles and the admin's catalog, and what resellers that exist already own
        self._catalog([o for o in catalog if o.kind == "role"])
        self._catalog([o for o in catalog if o.kind != "role"
                       and (not o.owner or o.owner not in declared_resellers)])
        # resellers, owners first (a reseller may belong to a declared reseller)
        resellers = [o for o in accounts if o.kind == "reseller"]
        done: set[str] = set()
        while resellers:
            ready = [o for o in resellers if str(o.fields.get("reseller") or "") in done
                     or str(o.fields.get("reseller") or "") not in declared_resellers]
            if not ready:  # a cycle: let validation name it
                ready = resellers
            self._accounts("reseller", ready)
            keys = {o.key for o in ready}
            done |= keys
            self._catalog([o for o in catalog if o.kind != "role" and o.owner in keys])
            resellers = [o for o in resellers if o.key not in keys]
        for kind in ACCOUNT_ORDER[1:]:
            self._accounts(kind, [o for o in accounts if o.kind == kind])
        if self.options.prune:
            self._prune({(o.kind, o.key) for o in objects})
        if self.new_members and not self.errors:
            self.storage.ledger.add_set_members(conn, self.new_members)
        if self.catalog_changes and not self.errors:
            self.storage.ledger.add_catalog_changes(conn, self.catalog_changes)

    def _duplicates(self, objects: list[DeclaredObject]) -> None:
        seen: dict[tuple[str, str], str] = {}
        for o in objects:
            family = "account" if o.kind in KINDS else o.kind
            earlier = seen.get((family, o.key))
            if earlier is not None:
                self._error(o, "number" if o.kind in KINDS else "name",
                            f"{o.key} is declared twice (also at {earlier})")
            else:
                seen[(family, o.key)] = o.path

    # --- accounts -------------------------------------------------------------------------

    def _accounts(self, kind: str, objs: list[DeclaredObject]) -> None:
        if not objs:
            return
        numbers = []
        for o in objs:
            if not o.key:
                self._error(o, "number", "is required: it is the account's key in the set")
            else:
                numbers.append(o.key)
        found = self.storage.find(self.conn, numbers, lock=True)
        new = [o for o in objs if o.key and o.key not in found]
        old = [o for o in objs if o.key in found]
        self._create_accounts(kind, new)
        self._update_accounts(old, found)

    def _password(self, obj: DeclaredObject, fields: dict) -> str | None:
        """The password of a `password_file` (one line), None when not given or unreadable
        (an error is recorded)."""
        path = fields.pop("password_file", None)
        if path is None:
            return None
        from acctctl.bounded import PASSWORD_LINE_MAX, read_line

        problem: list[str] = []

        def fail(message: str) -> Exception:
            problem.append(message)
            return ValueError(message)

        try:
            return read_line(path, what=f"password_file {path}", limit=PASSWORD_LINE_MAX,
                             error=fail, invalid=fail).rstrip("\r\n")
        except ValueError:
            self._error(obj, "password_file", problem[0] if problem else "cannot be read")
            return None

    def _create_accounts(self, kind: str, objs: list[DeclaredObject]) -> None:
        if not objs:
            return
        rows, by_row = [], {}
        for i, o in enumerate(objs, start=1):
            fields = dict(o.fields)
            password = self._password(o, fields)
            if password is not None:
                fields["password"] = password
            rows.append((i, fields))
            by_row[i] = o
        batch = BatchRun(self.settings, kind, BatchOptions(
            mode="apply", command=self.options.command, profile=self.options.profile,
            actor=self.options.actor, dry_run=self.options.dry_run, batch_id=self.batch_id),
            self.storage)
        batch.now = self.now
        batch.created_ids = {}
        try:
            batch.execute(self.conn, rows)
            for e in batch.result.errors:
                o = by_row.get(e.row)
                self._error(o, e.field, e.message, e.conflict, key=e.key)
            created = list(batch.result.created())
        finally:
            batch.result.close()
        made = {}
        for record in created:
            o = by_row[record["_row"]]
            given = set(o.fields) - {"password_file", "password_hash", "sip_password"}
            changes = {k: [None, record.get(k)] for k in record
                       if k in given and k not in SECRET_KEYS}
            for k in ("password_file", "password_hash", "password", "sip_password"):
                if k in o.fields:
                    changes["password" if k != "sip_password" else k] = [None, SET]
            self._op("create", o, changes)
            generated = record.get("generated") or {}
            if generated:
                self.result.generated.append({"kind": kind, "number": record["number"],
                                              **generated})
            made[record["number"]] = o
        if made:  # the ids as inserted: not read back
            ids = batch.created_ids
            self.new_members += [SetMember(self.declared.set_name, o.kind, o.key,
                                           ids.get(n), self.batch_id)
                                 for n, o in made.items()]

    def _update_accounts(self, objs: list[DeclaredObject],
                         found: dict[str, StoredAccount]) -> None:
        if not objs:
            return
        run = UpdateRun(self.storage, self.settings, self.change_options)
        run.skip_equal = True  # the file and the database agree: nothing to validate
        run.conn = self.conn
        run.lookups = self.storage.lookups(self.conn)
        passwords: list[tuple[DeclaredObject, StoredAccount, str | None, str | None]] = []
        rows: list[tuple[int, dict, DeclaredObject, StoredAccount]] = []
        for i, o in enumerate(objs, start=1):
            account = found[o.key]
            record = account.values
            if account.kind != o.kind:
                self._error(o, "kind", f"account {o.key} is a {account.kind}, not a {o.kind} "
                            "(the kind never changes)")
                continue
            given = {k: v for k, v in o.fields.items() if v is not None}
            given.pop("number", None)
            for k in CREATION_ONLY:
                given.pop(k, None)
            given.pop("sip_password", None)  # a SIP secret is never replaced by a re-apply
            self._immutable(o, record, given)
            password = self._password(o, given)
            password_hash = given.pop("password_hash", None)
            given.pop("password", None)
            if password is not None or password_hash is not None:
                passwords.append((o, account, password, password_hash))
            rows.append((i, {"number": o.key, **given}, o, account))
        by_row = {i: o for i, _, o, _ in rows}
        errors_before = len(run.result.errors)
        for i, raw, _o, account in rows:
            run._one(i, raw, account.number, account)
        for e in run.result.errors[errors_before:]:
            self._error(by_row.get(e.row), e.field, e.message, e.conflict, key=e.key)
        changes_of = {account.number: dict(changes) for _r, _k, account, changes, _ids
                      in run.pending}
        matches = self.storage.passwords_match(  # one read a chunk, not one an account
            self.conn, [(account, password, password_hash)
                        for _o, account, password, password_hash in passwords])
        for (o, account, password, password_hash), same in zip(passwords, matches,
                                                                strict=True):
            if same:
                continue
            changes_of.setdefault(account.number, {})["password"] = [HIDDEN, SET]
            self._set_password(o, account, password, password_hash)
        if not self.errors:
            run._flush()
        for _i, _raw, o, account in rows:
            changes = changes_of.get(account.number)
            self._op("update" if changes else "unchanged", o, changes)

    def _immutable(self, obj: DeclaredObject, record: dict, given: dict) -> None:
        """Immutable fields are taken out of `given`: equal to the stored ones they change
        nothing; ones that differ are errors (exit 3 naming them)."""
        for name in ("account_type", "reseller", "sip_device"):
            if name not in given:
                continue
            value, stored = given.pop(name), record.get(name)
            same = (str(value).strip().casefold() == str(stored or "").casefold()
                    if name != "sip_device" else bool(value) == bool(stored))
            if value in (None, "") and not stored:
                same = True
            if not same:
                self._error(obj, name, f"cannot be changed after creation (it is {stored!r}, "
                            f"the file says {value!r})")

    def _set_password(self, obj: DeclaredObject, account: StoredAccount,
                      password: str | None, password_hash: str | None) -> None:
        from acctctl.models.rules import RuleContext, password_clash
        from acctctl.models.validate import validate_field

        if password_hash is not None:
            ok, clean = validate_field(account.kind, "password_hash", password_hash,
                                       RuleContext(settings=self.settings, now=self.now))
            if not ok:
                self._error(obj, "password_hash", clean)
                return
            stored = clean.get_secret_value() if hasattr(clean, "get_secret_value") else clean
        else:
            ok, clean = validate_field(account.kind, "password", password,
                                       RuleContext(settings=self.settings, now=self.now))
            why = clean if not ok else (
                self.storage.check_value(account.kind, "password", password)
                or password_clash(password, account.number, account.values.get("email")))
            if why:
                self._error(obj, "password_file", why)
                return
            if self.options.dry_run:
                return
            stored = self.storage.protect_passwords(
                [password], self.settings, secrets_.strong_profile(self.settings))[0]
        if self.options.dry_run:
            return
        self.storage.set_password(self.conn, account, stored, self.now)
        audit(self.storage, self.conn, self.change_options, "reset-password",
              [(account.id, account.number, None)])

    # --- the catalog ----------------------------------------------------------------------

    def _catalog(self, objs: list[DeclaredObject]) -> None:
        for o in objs:
            values = self._catalog_values(o)
            if values is None:
                continue
            name = values["name"]
            entry = self.storage.catalog_find(self.conn, o.kind, name, o.owner,
                                              values.get("for"))
            if entry is None:
                self._catalog_create(o, values)
                continue
            if (entry.get("status") == "inactive" and "status" not in values
                    and any(m.kind == o.kind and m.key == o.key and m.target_id == entry["id"]
                            for m in self.members)):
                values["status"] = "active"  # disabled by a prune of this set: declared again
            changes = {k: [entry.get(k), v] for k, v in values.items()
                       if k not in ("name", "for") and plain(entry.get(k)) != plain(v)}
            if changes:
                self.storage.catalog_update(self.conn, o.kind, entry["id"], changes)
                self.catalog_changes.append(CatalogChange(o.kind, o.key, entry["id"], changes,
                                                          self.batch_id))
            self._op("update" if changes else "unchanged", o, changes)

    def _catalog_values(self, o: DeclaredObject) -> dict | None:
        """The entry's fields through the rules of the catalog commands; None after
        recording every error."""
        from acctctl.service.catalog import catalog_values

        try:
            return catalog_values(o.kind, o.fields)
        except ValidationFailed as failure:
            for e in failure.errors:
                self._error(o, e.field, e.message)
            return None

    def _catalog_create(self, o: DeclaredObject, values: dict) -> None:
        full = dict(values)
        if o.kind == "rate_group":
            full.setdefault("status", "active")
        elif o.kind == "tax":
            from decimal import Decimal

            if "rate" not in full:
                self._error(o, "rate", "is required for a new tax")
                return
            full.setdefault("amount", Decimal(0))
            full.setdefault("priority", 0)
            full.setdefault("status", "active")
        elif o.kind == "role":
            if "for" not in full:
                self._error(o, "for", "is required for a new role (admin or reseller)")
                return
            full.setdefault("description", "")
        if o.owner:
            _owner_id, why = self.storage.lookups(self.conn).reseller(o.owner)
            if why:
                self._error(o, "reseller", why)
                return
        try:
            with self.conn.begin_nested():
                entry_id = self.storage.catalog_create(self.conn, o.kind, full, o.owner,
                                                       self.now)
        except sa.exc.IntegrityError:
            self._error(o, "name", f"{CATALOG_KINDS[o.kind]} {full['name']!r} already exists",
                        conflict=True)
            return
        self._op("create", o, {k: [None, v] for k, v in values.items()})
        self.new_members.append(SetMember(self.declared.set_name, o.kind, o.key, entry_id,
                                          self.batch_id))

    # --- prune ----------------------------------------------------------------------------

    def _prune(self, declared: set[tuple[str, str]]) -> None:
        members = [m for m in self.members if (m.kind, m.key) not in declared]
        if not members:
            return
        gone: list[SetMember] = []  # members whose object no longer exists: forgotten
        accounts = [m for m in members if m.kind in KINDS]
        found = self.storage.find(self.conn, [m.key for m in accounts], lock=True)
        to_delete, to_disable = [], []
        for m in accounts:
            account = found.get(m.key)
            if account is None or account.id != m.target_id:
                gone.append(m)
                continue
            if self.storage.billing_history(self.conn, [account]):
                if account.status != "inactive":
                    to_disable.append((m, account))
            else:
                to_delete.append((m, account))
        # owned accounts go before their owners
        to_delete.sort(key=lambda p: ACCOUNT_ORDER.index(p[1].kind) if p[1].kind in
                       ACCOUNT_ORDER else 0, reverse=True)
        pruned = {(m.kind, m.key) for m in members}
        owners = [a for _, a in to_delete if a.kind == "reseller"]
        deleting = [a for _, a in to_delete if a.kind != "reseller"]
        if deleting:  # what resellers own first: then what they still own is not pruned
            self.storage.soft_delete(self.conn, deleting, self.now)
        for m in [m for m in members if m.kind in CATALOG_KINDS]:
            self._prune_entry(m, gone)  # after the accounts that used them, before owners
        if owners:
            still = [f"reseller {r.number}: {why}" for r in owners for why in
                     self.storage.dependants(self.conn, [r], include_deleted=False)
                     if not (why.startswith(("rate group", "tax")) and all(
                         (kind, f"{name}@{r.number}") in pruned
                         for kind, name in self.storage.catalog_owned(self.conn, r)))]
            if still:
                raise Conflict(f"cannot prune set {self.declared.set_name}: " + "; ".join(still)
                               + "; nothing was changed",
                               hint="declare them in the file again, or move or delete what "
                               "depends on them first")
            self.storage.soft_delete(self.conn, owners, self.now)
        if deleting or owners:
            audit(self.storage, self.conn, self.change_options, "delete",
                  [(a.id, a.number, None) for a in deleting + owners])
        if to_disable:
            accounts_off = [a for _, a in to_disable]
            self.storage.set_status(self.conn, accounts_off, "inactive", self.now)
            audit(self.storage, self.conn, self.change_options, "disable",
                  [(a.id, a.number, {"status": [a.status, "inactive"]}) for a in accounts_off])
        for m, _a in to_delete:
            self.result.operations.append(Operation("delete", m.kind, m.key, {}, None))
            gone.append(m)
        for m, a in to_disable:
            self.result.operations.append(Operation("disable", m.kind, m.key,
                                                    {"status": [a.status, "inactive"]}, None))
        if gone:
            self.storage.ledger.drop_set_members(self.conn, gone)

    def _prune_entry(self, m: SetMember, gone: list[SetMember]) -> None:
        name, _, owner = m.key.partition("@")
        entry = self.storage.catalog_find(self.conn, m.kind, name, owner or None)
        if entry is None or entry["id"] != m.target_id:
            gone.append(m)
            return
        users = self.storage.catalog_users(self.conn, m.kind, entry["id"])
        live = [n for n, deleted in users if not deleted]
        if live:
            raise Conflict(f"cannot prune {CATALOG_KINDS[m.kind]} {m.key} of set "
                           f"{self.declared.set_name}: used by {', '.join(live[:10])}"
                           + (f" and {len(live) - 10} more" if len(live) > 10 else "")
                           + "; nothing was changed",
                           hint="declare it in the file again, or give those accounts "
                           "another one first")
        if users and m.kind != "role":  # soft-deleted accounts still point at it
            if entry.get("status") != "inactive":
                self.storage.catalog_update(self.conn, m.kind, entry["id"],
                                            {"status": [entry.get("status"), "inactive"]})
                self.result.operations.append(Operation(
                    "disable", m.kind, m.key, {"status": [entry.get("status"), "inactive"]}))
            return
        if users:
            raise Conflict(f"cannot prune role {m.key}: deleted accounts still have it; "
                           "nothing was changed")
        self.storage.catalog_delete(self.conn, m.kind, entry["id"])
        self.result.operations.append(Operation("delete", m.kind, m.key, {}, None))
        gone.append(m)
