"""What a storage is: the one interface through which the service reads and writes accounts.

acctctl's own schema (``acctctl.storage.native``) and an ASTPP 6 database
(``acctctl.targets.astpp.storage``) are two adapters of it, chosen by ``[database] target``
from REGISTRY. A new target is one package with a Storage subclass and one REGISTRY line
(the dict is config.TARGETS, which also tells the configuration which names are targets).

The service receives a Storage and calls only what is declared here; an adapter never sees the
service's private names (the create pipeline hands it NewAccount rows and an InsertBatch). The
storage owns the transaction (``transaction()``: begin, the target's lock, commit, the one
rollback); the service decides what is written and re-runs a whole batch when
``retryable(exc)`` says the database asked for it (a deadlock).

No SQLAlchemy at import time: the CLI imports this module before it knows which adapter.
"""

from __future__ import annotations

import abc
import importlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from acctctl.config import TARGETS as REGISTRY  # database.target -> "module:Class"

__all__ = ["CATALOG_KINDS", "REGISTRY", "AccountFilter", "AuditEvent", "Device", "InsertBatch",
           "Ledger", "NewAccount", "Rollback", "SetMember", "Storage", "StoredAccount",
           "as_storage", "open_storage",
           "storage_class", "transaction_on"]

#: The operations a command may need beyond creating and reading accounts (supports()):
#: the command words ("account update", "batch undo", ...) or "ledger" (batches and audit).
DAY_TWO = ("account update", "account disable", "account enable", "account delete",
           "account reset-password", "account rotate-sip-secret", "account export",
           "batch", "audit", "ledger")


class Rollback(Exception):  # noqa: N818 - a signal, not an error
    """Raised inside transaction(): end it with a rollback, and no error (a refused batch)."""


@dataclass
class NewAccount:
    """One validated row the create pipeline hands to insert()."""

    row: int  # its row number in the input
    model: Any  # the kind's validated input model (models.inputs); field values by key
    key: str | None  # what messages name the row by (number, else email)
    refs: dict  # names of what it points at: reseller, rate_group, taxes, role, sip_device
    ids: dict  # their ids in this storage: reseller_id, rate_group_id, tax_ids, role_id
    number_given: bool = False
    pin_given: bool = False
    generated: dict = field(default_factory=dict)  # secrets drawn for it (insert may add)
    password_hash: str | None = None  # as protect_passwords() made it: what is stored
    values: dict | None = None  # set by insert(): the account as stored, by field key


@dataclass
class InsertBatch:
    """What one create batch is: every row insert() gets in it belongs to this batch."""

    kind: str
    batch_id: str
    actor: str
    mode: str
    command: str
    profile: str | None
    now: datetime
    dry_run: bool = False


@dataclass
class StoredAccount:
    """An account as find() returns it: its id in this storage, and its values by field key
    (account_record's keys: number, kind, status, email, reseller, ...)."""

    id: int
    number: str
    kind: str
    status: str
    deleted: bool
    values: dict
    owner_id: int | None = None  # the owning reseller's id (None: the admin)
    changed: bool = False  # changed since it was created (batch undo refuses it)


@dataclass
class AuditEvent:
    """One ledger record: who did what to which account, in which batch."""

    at: datetime
    actor: str
    action: str
    account_id: int | None
    account_number: str
    mode: str
    batch_id: str
    command: str
    profile: str | None
    changes: dict | None = None  # field -> [old, new]; never a secret


@dataclass
class AccountFilter:
    """Which accounts list_accounts() returns (the `account list` filters)."""

    kind: str | None = None
    reseller: str | None = None  # the owner's number; exit 3 when no reseller has it
    status: str | None = None
    search: str | None = None
    batch_id: str | None = None
    created_after: datetime | None = None
    include_deleted: bool = False
    numbers: list[str] | None = None


#: catalog entry kinds of the Storage catalog_* methods -> what messages call them
CATALOG_KINDS = {"rate_group": "rate group", "tax": "tax", "role": "role"}


@dataclass
class SetMember:
    """An object an `apply` of set `set_name` created (contract §10): only these are pruned.
    key: an account's number, a catalog entry's "NAME" or "NAME@RESELLER"; target_id: its id
    in the storage (a number or name used again later by another object is not this one)."""

    set_name: str
    kind: str
    key: str
    target_id: int | None
    batch_id: str


@dataclass
class CatalogChange:
    """A catalog entry an `apply` updated (contract §10), so `batch undo` can give it its old
    values back. key: "NAME" or "NAME@RESELLER" (as SetMember); changes: {field: [old,
    new]} as the Storage catalog_* methods take them."""

    kind: str
    key: str
    entry_id: int
    changes: dict
    batch_id: str


@dataclass(frozen=True)
class Device:
    """A live (not deleted) SIP device as a registrar must mirror it (sip_devices())."""

    username: str
    secret: str
    enabled: bool  # the device and its account are active: it may register
    account: str  # the account's number (ASTPP's OpenSIPS table stores it as accountcode)
    caller_id_name: str
    caller_id_number: str


#: what a write did to SIP devices, as a storage reports it (devices_changed()): the ones
#: that loosen (a device may register from now on) and the ones that tighten
DEVICE_CHANGES = ("added", "enabled", "disabled", "removed", "secret")


class Ledger(abc.ABC):
    """The batch and audit trail. On acctctl's own schema: the same database and transaction
    as the accounts; elsewhere it may be a database of its own."""

    @abc.abstractmethod
    def record(self, conn: Any, events: list[AuditEvent]) -> None:
        """Write these records in the storage's transaction `conn` (committed with it)."""

    @abc.abstractmethod
    def batch_exists(self, conn: Any, batch_id: str) -> bool: ...

    @abc.abstractmethod
    def batch_accounts(self, conn: Any, batch_id: str) -> list[str]:
        """The numbers of the accounts this batch created, in number order."""

    @abc.abstractmethod
    def list_batches(self, limit: int | None = None) -> list[dict]:
        """Newest first: batch_id, at, actor, mode, command, created, live."""

    @abc.abstractmethod
    def list_audit(self, account: str | None = None, batch_id: str | None = None,
                   since: datetime | None = None, limit: int | None = None) -> list[dict]:
        """Newest first: at, actor, action, account, batch_id, command, changes."""

    # --- set membership (contract §10): written in the storage's transaction `conn` --------

    def add_set_members(self, conn: Any, members: list[SetMember]) -> None:
        """Record what an apply created (written, or staged, like record())."""
        raise _unsupported("accounts as code (plan/apply)")

    def set_members(self, conn: Any, set_name: str) -> list[SetMember]:
        """Every recorded member of the set, oldest first."""
        raise _unsupported("accounts as code (plan/apply)")

    def batch_set_members(self, conn: Any, batch_id: str) -> list[SetMember]:
        """The members this batch created."""
        return []

    def drop_set_members(self, conn: Any, members: list[SetMember]) -> None:
        """Forget these members (pruned, or undone)."""
        raise _unsupported("accounts as code (plan/apply)")


    # --- catalog changes (contract §10): what an apply updated in a catalog entry ---------

    def add_catalog_changes(self, conn: Any, changes: list[CatalogChange]) -> None:
        """Record what an apply changed in catalog entries, in the transaction `conn`."""
        raise _unsupported("catalog entries in a set's file")

    def batch_catalog_changes(self, conn: Any, batch_id: str) -> list[CatalogChange]:
        """The catalog changes this batch made and no undo gave back yet, oldest first."""
        return []

    def undo_catalog_changes(self, conn: Any, batch_id: str) -> None:
        """Mark the batch's catalog changes given back (by `batch undo`)."""
        return None  # nothing recorded elsewhere (add_catalog_changes refuses)


def _unsupported(what: str, target: str = "this"):
    from acctctl.errors import UsageError

    return UsageError(f"{what} is not supported on {target} target")


class Storage(abc.ABC):
    """One database acctctl provisions accounts in. Every abstract method is a contract the
    service relies on; `conn` is the connection transaction() yields."""

    #: database.target value; messages name it ("... is not supported on the astpp target")
    name: str = ""

    # --- what the CLI asks before running a command ---------------------------------------

    @classmethod
    def supports(cls, operation: str) -> bool:
        """Whether this storage does `operation`: a command path without "acctctl" ("create",
        "account update", "batch undo", "rategroup list") or "ledger". Asked before the
        database is opened: a class method."""
        return True

    # --- opening and the transaction ------------------------------------------------------

    @classmethod
    @abc.abstractmethod
    def open(cls, loaded: Any, *, warn: Any = None, dry_run: bool = False) -> Storage:
        """Connect for config.LoadedSettings `loaded`, check() the database, load what the
        storage needs (e.g. the target's settings). warn(message): the CLI's warning."""

    @abc.abstractmethod
    def check(self) -> None:
        """Is this database what we expect (schema at head, or the ASTPP fingerprint)?
        DatabaseError (exit 5) otherwise; nothing is written."""

    @property
    @abc.abstractmethod
    def engine(self) -> Any:
        """The SQLAlchemy engine (for the commands that only acctctl's own schema has)."""

    @property
    def settings(self) -> Any:
        """The settings accounts are created with: the profile's, with the defaults the target
        supplies where the profile sets none (ASTPP's system settings)."""
        return self._settings

    @abc.abstractmethod
    def transaction(self, *, dry_run: bool = False) -> AbstractContextManager[Any]:
        """The one owner of a write: begin (with the target's lock), yield the connection,
        commit on a clean exit, roll back on an exception or when dry_run. The only rollback."""

    #: whether retryable() can ever say yes: the service then keeps a batch's rows to re-run it
    may_retry: bool = False

    def reading(self) -> AbstractContextManager[Any]:
        """A connection for reads: no lock, nothing written."""
        return self.engine.connect()

    def retryable(self, exc: BaseException) -> bool:
        """The database rolled the whole transaction back and it may be run again (a deadlock):
        the service then re-runs the whole batch in a new transaction()."""
        return False

    def close(self) -> None:
        if self.mirror is not None:
            self.mirror.close()
        self.engine.dispose()

    # --- SIP registrars (contract §11; acctctl.registrars.mirror) --------------------------

    #: the registrars that mirror this storage's SIP devices (a registrars.mirror.Mirror);
    #: None: none configured, or a dry run. Every write that changes a device tells it
    #: (devices_changed), and transaction() has it write the registrars around the commit.
    mirror: Any = None

    def devices_changed(self, change: str, usernames: Iterable[str],
                        secrets: Iterable[str] | None = None) -> None:
        """A write method's report: these SIP devices were `change` (DEVICE_CHANGES) in the
        current transaction; secrets: the new ones ("added", "secret"), checked against
        what a registrar's `password` column holds (SecretTooLong, exit 3, before the commit)."""
        if self.mirror is not None:
            self.mirror.note(change, usernames, secrets)

    @abc.abstractmethod
    def sip_devices(self, conn: Any, usernames: Iterable[str] | None = None
                    ) -> dict[str, Device]:
        """The live (not deleted) SIP devices, disabled ones too, by username: all of them,
        or those of these usernames (an unknown or deleted one is left out)."""

    def registrar_record(self) -> Any:
        """The engine of the database that keeps registrar_rows (acctctl's schema): the
        accounts' own by default; DatabaseError (exit 5) when this target has none."""
        return self.engine

    # --- the create path ------------------------------------------------------------------

    @abc.abstractmethod
    def lookups(self, conn: Any) -> Any:
        """Cached look-ups for one batch: reseller(number), rate_group(name, owner_id, owner),
        tax(name, owner_id, owner), role(kind, name) -> (id, why-not); existing(numbers=,
        email_keys=, pins=) -> {"number"|"email"|"pin": set, optionally "kinds"};
        count_numbers(prefix, length) -> int."""

    def check_fields(self, kind: str, model: Any, given: dict) -> list[tuple[str, str]]:
        """The target's own limits on a validated row: (field, message) each (exit 3)."""
        return []

    def check_value(self, kind: str, key: str, value: Any) -> str | None:
        """One field's value against the target's limits (the wizard asks again)."""
        return None

    def fixed_fields(self, kind: str) -> tuple[str, ...]:
        """Fields the target sets itself for this kind: the wizard does not ask them."""
        return ()

    def prefill(self, kind: str, data: dict) -> None:
        """Defaults of a row that depend on its other fields, set in `data` before
        validation."""
        return None

    def suggestion(self, kind: str, key: str, values: dict, suggested: Any) -> Any:
        """The wizard's offer for `key`, given the answers so far and acctctl's suggestion."""
        return suggested

    @abc.abstractmethod
    def protect_passwords(self, passwords: list[str], settings: Any, profile: Any) -> list[str]:
        """The passwords as this storage keeps them (argon2id hashes, ASTPP's encoding).
        profile: the argon2id cost the service chose for them; profile.hash_all(passwords)
        hashes them with it."""

    def hashes_passwords(self) -> bool:
        """Whether protect_passwords() hashes (the CLI announces a long hashing)."""
        return True

    @abc.abstractmethod
    def insert(self, conn: Any, batch: InsertBatch, rows: list[NewAccount]) -> list[int]:
        """Write the accounts (with their SIP devices and tax links) and return their ids, in
        the order of `rows`; set each row's `values`. May add generated["sip_password"].
        Called inside a savepoint: IntegrityError means a concurrent writer took a value."""

    def after_write(self, batch: InsertBatch) -> None:
        """After a batch that stored accounts was committed (ASTPP: the public-key warning)."""
        return None

    # --- day two: conn from transaction() -------------------------------------------------

    @abc.abstractmethod
    def find(self, conn: Any, numbers: list[str], *, deleted_too: bool = False,
             lock: bool = True, batch_id: str | None = None) -> dict[str, StoredAccount]:
        """The live accounts with these numbers (deleted_too: else the newest soft-deleted
        one), locked until the transaction ends when lock. Unknown numbers are left out.
        batch_id: only the accounts that batch created, live or soft-deleted (batch undo)."""

    @abc.abstractmethod
    def update(self, conn: Any, account: StoredAccount, changes: dict, ids: dict,
               now: datetime) -> None:
        """changes: field key -> [old, new] (validated); ids: rate_group_id, role_id, tax_ids
        of the new references. A SIP device follows a new status. IntegrityError: a
        concurrent writer took the email or PIN (the service runs this in a savepoint).
        A new value the storage keeps otherwise (ASTPP: a credit limit in its base currency)
        is replaced in `changes` by the value as stored: the audit and output show that."""

    def update_many(self, conn: Any, updates: list[tuple[StoredAccount, dict, dict]],
                    now: datetime) -> None:
        """update() of several accounts ((account, changes, ids) each), in as few statements
        as the storage can (a file of 10,000 rows is not 10,000 round trips). IntegrityError:
        the service runs them again one by one, to name the row."""
        for account, changes, ids in updates:
            self.update(conn, account, changes, ids, now)

    def check_changes(self, account: StoredAccount, new: dict) -> list[tuple[str, str]]:
        """The target's own limits on an update: (field, message) each (exit 3). new: the
        validated new values of the fields given (and of those that follow them)."""
        return []

    @abc.abstractmethod
    def set_status(self, conn: Any, accounts: list[StoredAccount], status: str,
                   now: datetime) -> None:
        """"active" or "inactive", with their SIP devices."""

    @abc.abstractmethod
    def soft_delete(self, conn: Any, accounts: list[StoredAccount], now: datetime) -> None: ...

    @abc.abstractmethod
    def purge(self, conn: Any, accounts: list[StoredAccount]) -> None:
        """Remove the rows and what hangs on them; owned accounts before their owners."""

    @abc.abstractmethod
    def dependants(self, conn: Any, accounts: list[StoredAccount], *, include_deleted: bool,
                   outside_batch: str | None = None) -> list[str]:
        """Why these accounts cannot go (exit 4): what they own, one reason a string."""

    def dependants_hint(self, conn: Any, accounts: list[StoredAccount]) -> str | None:
        """What to do about dependants(): the commands that remove them, if any."""
        return None

    @abc.abstractmethod
    def billing_history(self, conn: Any, accounts: list[StoredAccount]) -> list[str]:
        """Why a purge would destroy billing records (calls, invoices, payments): exit 4."""

    @abc.abstractmethod
    def set_password(self, conn: Any, account: StoredAccount, stored_password: str,
                     now: datetime) -> None:
        """stored_password: as protect_passwords() made it."""

    def password_matches(self, conn: Any, account: StoredAccount, *,
                         password: str | None = None, password_hash: str | None = None
                         ) -> bool:
        """Whether the account's stored password is `password` (verified against the stored
        hash) or the stored hash is `password_hash` (compared as given): a re-apply of the
        same file changes nothing. A storage that cannot tell says True (left as it is)."""
        return True

    def passwords_match(self, conn: Any, checks: list[tuple[StoredAccount, str | None,
                                                            str | None]]) -> list[bool]:
        """password_matches of each (account, password, password_hash), in order: what a
        re-apply of a file asks of every account in it, so an adapter reads the stored
        hashes a chunk at a time rather than an account at a time."""
        return [self.password_matches(conn, account, password=password,
                                      password_hash=password_hash)
                for account, password, password_hash in checks]

    @abc.abstractmethod
    def set_sip_secret(self, conn: Any, account: StoredAccount, secret: str,
                       now: datetime) -> list[str]:
        """The new secret on the account's SIP devices: their usernames ([]: it has none,
        and nothing was changed)."""

    # --- reads (each opens its own short connection) --------------------------------------

    @abc.abstractmethod
    def list_accounts(self, where: AccountFilter, sort: str = "number",
                      limit: int | None = None, offset: int = 0) -> list[dict]:
        """Account records (storage.records.account_record keys)."""

    @abc.abstractmethod
    def count_accounts(self, where: AccountFilter) -> int: ...

    @abc.abstractmethod
    def show(self, number: str | None = None, email: str | None = None, *,
             with_devices: bool = True) -> dict:
        """One live account's record, with `sip_devices` (username, status); NotFound."""

    @abc.abstractmethod
    def export_rows(self, kind: str, keys: list[str], where: AccountFilter,
                    sort: str = "number", limit: int | None = None,
                    offset: int = 0) -> Iterator[dict]:
        """Records (owners first is the service's job) with `password_hash` (and with
        `sip_password` in keys, the device's secret) as `create --from-file` of acctctl's own
        schema takes them; `keys` are export_columns()'."""

    def export_columns(self, kind: str, keys: list[str], with_secrets: bool) -> list[str]:
        """The columns of `account export` of `kind` here, given acctctl's own (`keys`). A
        storage that keeps no password hash carries the secret another way (ASTPP: the
        password itself, only with secrets)."""
        return keys

    @abc.abstractmethod
    def list_rate_groups(self, reseller: str | None = None,
                         owned_by: bool = False) -> list[dict]: ...

    @abc.abstractmethod
    def list_taxes(self, reseller: str | None = None, owned_by: bool = False) -> list[dict]: ...

    @abc.abstractmethod
    def list_roles(self) -> list[dict]: ...

    @abc.abstractmethod
    def reference(self, what: str, search: str | None) -> list[dict]:
        """countries, currencies or timezones, as this storage knows them."""

    # --- the catalog: rate groups, taxes, roles (conn from transaction()) -----------------
    # kind: a CATALOG_KINDS key. An entry is a dict: id, name, and rate group: status; tax:
    # rate, amount, priority, status; role: for, description. owner: the owning reseller's
    # number (None: the admin); roles have none.

    def catalog_find(self, conn: Any, kind: str, name: str, owner: str | None = None,
                     scope: str | None = None) -> dict | None:
        """The entry named `name` of `owner` (a role: of `scope`, else the only one of that
        name), or None."""
        raise _unsupported(f"{CATALOG_KINDS[kind]}s", f"the {self.name}")

    def catalog_create(self, conn: Any, kind: str, values: dict, owner: str | None,
                       now: datetime) -> int:
        """Insert a validated entry; its id. IntegrityError: it exists already."""
        raise _unsupported(f"{CATALOG_KINDS[kind]}s", f"the {self.name}")

    def catalog_update(self, conn: Any, kind: str, entry_id: int, changes: dict) -> None:
        """changes: field -> [old, new], validated."""
        raise _unsupported(f"{CATALOG_KINDS[kind]}s", f"the {self.name}")

    def catalog_delete(self, conn: Any, kind: str, entry_id: int) -> None:
        """Remove the entry (the caller checked catalog_users())."""
        raise _unsupported(f"{CATALOG_KINDS[kind]}s", f"the {self.name}")

    def catalog_owned(self, conn: Any, account: StoredAccount) -> list[tuple[str, str]]:
        """The catalog entries a reseller owns: (kind, name) each."""
        return []

    def catalog_users(self, conn: Any, kind: str, entry_id: int) -> list[tuple[str, bool]]:
        """The accounts that point at the entry: (number, soft-deleted) each, by number."""
        raise _unsupported(f"{CATALOG_KINDS[kind]}s", f"the {self.name}")

    # --- the ledger -----------------------------------------------------------------------

    @property
    @abc.abstractmethod
    def ledger(self) -> Ledger: ...


@contextmanager
def transaction_on(conn: Any, *, dry_run: bool = False,
                   translate: Callable[[BaseException], BaseException | None] | None = None,
                   storage: Storage | None = None):
    """The one commit-or-rollback of every adapter's transaction(): begin on `conn`; commit on
    a clean exit; roll back when dry_run, on Rollback (no error), or on any exception, which
    is raised again (or what translate(exc) returns instead, when not None).

    storage: the adapter, whose mirror (if any) writes the registrars around the commit:
    what tightens (removals, disables, new secrets) before it, what loosens (additions,
    enables) after it (docs/registrars.md, "Order of writes")."""
    mirror = storage.mirror if storage is not None and not dry_run else None
    if mirror is not None:
        mirror.begin(storage)
    tx = conn.begin()
    try:
        try:
            yield conn
            if mirror is not None:
                mirror.before_commit(conn)
        except Rollback:
            tx.rollback()
            return
        except BaseException as exc:
            tx.rollback()
            better = translate(exc) if translate is not None else None
            if better is not None:
                raise better from None
            raise
        if dry_run:
            tx.rollback()
            return
        tx.commit()
        if mirror is not None:
            mirror.after_commit()
    finally:
        if mirror is not None:
            mirror.end()


def storage_class(target: str) -> type[Storage]:
    """The Storage class REGISTRY names for a database.target (imported now)."""
    module, _, name = REGISTRY[target].partition(":")
    return getattr(importlib.import_module(module), name)


def open_storage(loaded: Any, *, warn: Any = None, dry_run: bool = False) -> Storage:
    """The storage database.target of config.LoadedSettings `loaded` names, opened."""
    return storage_class(loaded.settings.database.target).open(loaded, warn=warn,
                                                               dry_run=dry_run)


def as_storage(storage_or_engine: Any) -> Storage:
    """A Storage as it is; a bare SQLAlchemy engine (tests, benchmarks) as acctctl's own
    schema on it."""
    if isinstance(storage_or_engine, Storage):
        return storage_or_engine
    return storage_class("acctctl")(storage_or_engine)
