"""acctctl's own schema (models/tables.py, Alembic migrations) as a Storage: the default target.

The SQL of every command that writes accounts lives here; the service decides what changes and
what the audit record says. The ledger is the same database: audit records are written in the
accounts' own transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from acctctl.models.shown_fields import BILLING_KINDS
from acctctl.models.tables import Account, AccountTax, RateGroup, SipDevice, Tax
from acctctl.models.tables import AuditEvent as AuditTable
from acctctl.models.tables import CatalogChange as CatalogChangeTable
from acctctl.models.tables import SetMember as SetMemberTable
from acctctl.models.text import control_problem
from acctctl.plain import plain
from acctctl.storage import (
    AccountFilter,
    AuditEvent,
    CatalogChange,
    Device,
    InsertBatch,
    Ledger,
    NewAccount,
    SetMember,
    Storage,
    StoredAccount,
    transaction_on,
)
from acctctl.storage import catalog as reads
from acctctl.storage.lookups import Lookups, chunks
from acctctl.storage.records import AccountFilter as Where
from acctctl.storage.records import load_accounts

A = Account.__table__
AT = AccountTax.__table__
SD = SipDevice.__table__
AE = AuditTable.__table__
SM = SetMemberTable.__table__
CC = CatalogChangeTable.__table__
_ACCOUNT_COLUMNS = frozenset(A.c.keys())


class NativeStorage(Storage):
    """acctctl's own schema on SQLite or PostgreSQL."""

    name = "acctctl"

    def __init__(self, engine: Engine, settings: Any = None):
        self._engine = engine
        self._settings = settings
        self._ledger = NativeLedger(engine)

    @classmethod
    def open(cls, loaded: Any, *, warn: Any = None, dry_run: bool = False) -> NativeStorage:
        engine = None
        if dry_run:
            from acctctl.db.dryrun import scratch_engine_if_uninitialised

            # an empty database is not initialised by a dry run: it works on a scratch copy
            engine = scratch_engine_if_uninitialised(loaded.database_url, loaded.shown_url,
                                                     loaded.url_source)
        if engine is None:
            from acctctl.db.engine import check_connection, make_engine

            engine = make_engine(loaded.database_url, loaded.shown_url, loaded.url_source)
            check_connection(engine)
        storage = cls(engine, loaded.settings)
        storage.check()
        return storage

    def check(self) -> None:
        from acctctl.db.revision import at_head

        if not at_head(self._engine):
            # behind, ahead or empty: Alembic decides (and initialises an empty one)
            from acctctl.db.migrate import ensure_schema

            ensure_schema(self._engine)

    @property
    def engine(self) -> Engine:
        return self._engine

    @contextmanager
    def transaction(self, *, dry_run: bool = False) -> Iterator[Connection]:
        with self._engine.connect() as conn, transaction_on(conn, dry_run=dry_run,
                                                            storage=self):
            if conn.dialect.name == "postgresql":
                # psycopg prepares a statement after 5 runs, and PostgreSQL may then keep a
                # generic plan made while the table was small: a sequential scan for every
                # chunk's look-ups as a batch grows (quadratic). Plan each look-up afresh.
                conn.exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")
            yield conn

    def retryable(self, exc: BaseException) -> bool:
        return False  # a deadlock costs one savepoint here (the pipeline redraws the chunk)

    # --- the create path ------------------------------------------------------------------

    def lookups(self, conn: Connection) -> Lookups:
        return Lookups(conn)

    def protect_passwords(self, passwords: list[str], settings: Any, profile: Any) -> list[str]:
        return profile.hash_all(passwords)  # argon2id, the profile the service chose

    def insert(self, conn: Connection, batch: InsertBatch, rows: list[NewAccount]) -> list[int]:
        values = [self._account_row(batch, p) for p in rows]
        for p, row in zip(rows, values, strict=True):
            p.values = row
        # Rows go in ascending number order, so two concurrent writers take unique-index
        # locks in the same order and wait for each other instead of deadlocking.
        write_rows(conn, A, sorted(values, key=lambda r: r["number"]))
        by_number = {}  # then the ids, by number: one statement per chunk
        lookups = Lookups(conn)
        for chunk in chunks([r["number"] for r in values]):
            found = conn.execute(sa.select(A.c.number, A.c.id).where(
                lookups.one_of(A.c.number, chunk), A.c.deleted_at.is_(None)))
            by_number.update((number, account_id) for number, account_id in found)
        ids = [by_number[r["number"]] for r in values]
        devices, links = [], []
        for p, account_id in zip(rows, ids, strict=True):
            m = p.model
            if getattr(m, "sip_device", False):
                carried = getattr(m, "sip_password", None)  # a file row may carry one
                secret = (carried.get_secret_value() if carried is not None
                          else p.generated["sip_password"])
                devices.append({
                    "account_id": account_id, "username": m.number, "secret": secret,
                    "caller_id_name": m.number, "caller_id_number": m.number,
                    "status": m.status, "created_at": batch.now,
                })
            links += [{"account_id": account_id, "tax_id": t}
                      for t in dict.fromkeys(p.ids["tax_ids"])]
        for table, batch_rows in ((SD, devices), (AT, links)):
            if batch_rows:
                write_rows(conn, table, batch_rows)
        if devices:
            self.devices_changed("added", [d["username"] for d in devices],
                                 [d["secret"] for d in devices])
        return ids

    def _account_row(self, batch: InsertBatch, p: NewAccount) -> dict:
        m = p.model
        values = {k: v for k, v in m.__dict__.items() if k in _ACCOUNT_COLUMNS}
        values.update(
            kind=batch.kind, password_hash=p.password_hash,
            email_key=m.email.casefold() if m.email else None,
            rate_group_id=p.ids["rate_group_id"], reseller_id=p.ids["reseller_id"],
            role_id=p.ids["role_id"], created_at=batch.now, created_by=batch.actor,
            batch_id=batch.batch_id,
            balance=Decimal(0) if m.kind in BILLING_KINDS else None,
        )
        return values

    # --- day two --------------------------------------------------------------------------

    def find(self, conn: Connection, numbers: list[str], *, deleted_too: bool = False,
             lock: bool = True, batch_id: str | None = None) -> dict[str, StoredAccount]:
        # no number holds a control character, and PostgreSQL refuses NUL in a query
        wanted = [n for n in dict.fromkeys(numbers) if n and not control_problem(n)]
        if not wanted:
            return {}
        if batch_id is not None:  # what the batch made, live or soft-deleted
            if lock:
                _lock(conn, wanted, live=None, batch_id=batch_id)
            return {r["number"]: _stored(r) for r in load_accounts(conn, where=Where(
                numbers=wanted, batch_id=batch_id, include_deleted=True, sort="deleted_at"),
                with_ids=True)}
        if lock:
            _lock(conn, wanted, live=True)
        # a chunk of numbers a statement: one IN list of a whole file's numbers costs more
        # to build, bind and plan than the rows it reads
        found = {r["number"]: _stored(r) for chunk in chunks(wanted) for r in load_accounts(
            conn, where=Where(numbers=chunk, sort=""), with_ids=True)}
        missing = [n for n in wanted if n not in found]
        if deleted_too and missing:
            if lock:
                _lock(conn, missing, live=False)
            for chunk in chunks(missing):
                gone = load_accounts(conn, where=Where(numbers=chunk, include_deleted=True,
                                                       sort="deleted_at"), with_ids=True)
                found.update((r["number"], _stored(r)) for r in gone)  # the newest wins
        return found

    def update(self, conn: Connection, account: StoredAccount, changes: dict, ids: dict,
               now: Any) -> None:
        self._write_updates(conn, [(account, changes, ids)], now)

    def update_many(self, conn: Connection, updates: list[tuple[StoredAccount, dict, dict]],
                    now: Any) -> None:
        self._write_updates(conn, updates, now)

    def _write_updates(self, conn: Connection,
                       updates: list[tuple[StoredAccount, dict, dict]], now: Any) -> None:
        """One UPDATE (an executemany, in id order) per set of changed columns; the tax links
        of a chunk in one DELETE and one INSERT; the devices' status a chunk at a time."""
        groups: dict[tuple[str, ...], list[dict]] = {}
        retaxed: list[tuple[int, list[int]]] = []
        statuses: dict[str, list[int]] = {}
        for account, changes, ids in sorted(updates, key=lambda u: u[0].id):
            values = {k: new for k, (_, new) in changes.items() if k in A.c and k != "taxes"}
            if "email" in changes:
                values["email_key"] = (changes["email"][1].casefold() if changes["email"][1]
                                       else None)
            for name in ("rate_group_id", "role_id"):
                if name in ids and name.removesuffix("_id") in changes:
                    values[name] = ids[name]
            values["updated_at"] = now
            groups.setdefault(tuple(sorted(values)), []).append(
                {"acct_id": account.id, **{f"new_{k}": v for k, v in values.items()}})
            if "taxes" in changes:
                retaxed.append((account.id, list(dict.fromkeys(ids["tax_ids"]))))
            if "status" in changes:
                statuses.setdefault(changes["status"][1], []).append(account.id)
        for keys, rows in groups.items():
            conn.execute(sa.update(A).where(A.c.id == sa.bindparam("acct_id")).values(
                {k: sa.bindparam(f"new_{k}", type_=A.c[k].type) for k in keys}), rows)
        for chunk in chunks(retaxed):
            conn.execute(sa.delete(AT).where(AT.c.account_id.in_([i for i, _ in chunk])))
            links = [{"account_id": i, "tax_id": t} for i, taxes in chunk for t in taxes]
            if links:
                conn.execute(sa.insert(AT), links)
        for status, account_ids in statuses.items():
            self._device_status(conn, account_ids, status)

    def set_status(self, conn: Connection, accounts: list[StoredAccount], status: str,
                   now: Any) -> None:
        ids = [a.id for a in accounts]
        for chunk in chunks(ids):
            conn.execute(sa.update(A).where(A.c.id.in_(chunk))
                         .values(status=status, updated_at=now))
        self._device_status(conn, ids, status)

    def soft_delete(self, conn: Connection, accounts: list[StoredAccount], now: Any) -> None:
        for chunk in chunks([a.id for a in accounts]):
            conn.execute(sa.update(A).where(A.c.id.in_(chunk))
                         .values(deleted_at=now, updated_at=now))
            devices = (sa.update(SD).where(SD.c.account_id.in_(chunk),
                                           SD.c.deleted_at.is_(None))
                       .values(status="inactive", deleted_at=now))
            if self.mirror is None:
                conn.execute(devices)
            else:
                self.devices_changed("removed", conn.execute(
                    devices.returning(SD.c.username)).scalars())

    def _device_status(self, conn: Connection, account_ids: list[int], status: str) -> None:
        """A SIP device follows its account's status."""
        change = "enabled" if status == "active" else "disabled"
        for chunk in chunks(account_ids):
            devices = (sa.update(SD).where(SD.c.account_id.in_(chunk),
                                           SD.c.deleted_at.is_(None)).values(status=status))
            if self.mirror is None:
                conn.execute(devices)
            else:
                self.devices_changed(change, conn.execute(
                    devices.returning(SD.c.username)).scalars())

    def sip_devices(self, conn: Connection, usernames=None) -> dict[str, Device]:
        """Devices, then their accounts by id, joined here: two scans (or two look-ups per
        chunk), whatever plan a database without statistics would make of a join right
        after a bulk insert (a nested loop of sequential scans: quadratic)."""
        devices = sa.select(SD.c.username, SD.c.secret, SD.c.status, SD.c.account_id,
                            SD.c.caller_id_name, SD.c.caller_id_number).where(
            SD.c.deleted_at.is_(None))
        if usernames is None:
            rows = list(conn.execute(devices))
        else:
            rows = [row for chunk in chunks(list(dict.fromkeys(usernames)))
                    for row in conn.execute(devices.where(SD.c.username.in_(chunk)))]
        accounts: dict[int, tuple[str, str]] = {}
        ids = list({row.account_id for row in rows})
        query = sa.select(A.c.id, A.c.number, A.c.status).where(A.c.deleted_at.is_(None))
        if usernames is None:
            accounts.update((i, (n, s)) for i, n, s in conn.execute(query))
        else:
            for chunk in chunks(ids):
                accounts.update((i, (n, s)) for i, n, s in conn.execute(
                    query.where(A.c.id.in_(chunk))))
        found = {}
        for row in rows:
            account = accounts.get(row.account_id)
            if account is None:  # its account is deleted
                continue
            found[row.username] = Device(
                username=row.username, secret=row.secret,
                enabled=row.status == "active" and account[1] == "active", account=account[0],
                caller_id_name=row.caller_id_name, caller_id_number=row.caller_id_number)
        return found

    def purge(self, conn: Connection, accounts: list[StoredAccount]) -> None:
        """SIP devices and tax links go with the rows (ON DELETE CASCADE); audit records stay
        (their account id becomes NULL, the number is kept). Owned before owners."""
        remaining = {a.id for a in accounts}
        if self.mirror is not None:
            for chunk in chunks(list(remaining)):
                self.devices_changed("removed", conn.execute(sa.select(SD.c.username).where(
                    SD.c.account_id.in_(chunk))).scalars())
        while remaining:
            owners = set(conn.execute(sa.select(A.c.reseller_id).where(
                A.c.id.in_(remaining), A.c.reseller_id.in_(remaining))).scalars())
            leaves = remaining - owners or remaining
            conn.execute(sa.delete(A).where(A.c.id.in_(leaves)))
            remaining -= leaves

    def dependants(self, conn: Connection, accounts: list[StoredAccount], *,
                   include_deleted: bool, outside_batch: str | None = None) -> list[str]:
        """Accounts (live ones; with include_deleted also soft-deleted ones, which a purge
        would orphan), rate groups and taxes these accounts own, other than themselves.
        outside_batch: only accounts not created by that batch."""
        ids = [a.id for a in accounts]
        if not ids:
            return []
        found = []
        owned = sa.select(A.c.number, A.c.deleted_at).where(
            A.c.reseller_id.in_(ids), A.c.id.not_in(ids)).order_by(A.c.number)
        if not include_deleted:
            owned = owned.where(A.c.deleted_at.is_(None))
        if outside_batch is not None:
            owned = owned.where(A.c.batch_id != outside_batch)
        owned_accounts = [(n, d is not None) for n, d in conn.execute(owned)]
        if owned_accounts:
            shown = ", ".join(n + (" (deleted)" if d else "") for n, d in owned_accounts[:10])
            more = f" and {len(owned_accounts) - 10} more" if len(owned_accounts) > 10 else ""
            found.append(f"{len(owned_accounts)} account"
                         f"{'s' if len(owned_accounts) != 1 else ''} owned: {shown}{more}")
        for table, what in ((RateGroup.__table__, "rate group"), (Tax.__table__, "tax")):
            names = list(conn.execute(sa.select(table.c.name).where(
                table.c.reseller_id.in_(ids)).order_by(table.c.name)).scalars())
            if names:
                plural = "es" if what == "tax" else "s"
                found.append(f"{what}{plural if len(names) != 1 else ''} owned: "
                             + ", ".join(repr(n) for n in names))
        return found

    def dependants_hint(self, conn: Connection, accounts: list[StoredAccount]) -> str | None:
        return reads.catalog_hint(conn, [a.id for a in accounts])

    def billing_history(self, conn: Connection, accounts: list[StoredAccount]) -> list[str]:
        return []  # acctctl's own schema keeps no calls, invoices or payments

    def set_password(self, conn: Connection, account: StoredAccount, stored_password: str,
                     now: Any) -> None:
        conn.execute(sa.update(A).where(A.c.id == account.id).values(
            password_hash=stored_password, updated_at=now))

    def set_sip_secret(self, conn: Connection, account: StoredAccount, secret: str,
                       now: Any) -> list[str]:
        devices = list(conn.execute(sa.select(SD.c.id, SD.c.username).where(
            SD.c.account_id == account.id, SD.c.deleted_at.is_(None))))
        if not devices:
            return []
        conn.execute(sa.update(SD).where(SD.c.id.in_([d.id for d in devices]))
                     .values(secret=secret))
        self.devices_changed("secret", [d.username for d in devices],
                             [secret] * len(devices))
        conn.execute(sa.update(A).where(A.c.id == account.id).values(updated_at=now))
        return [d.username for d in devices]

    # --- reads ----------------------------------------------------------------------------

    def _page(self, where: AccountFilter, sort: str, limit: int | None, offset: int,
              count_all: bool = False, with_ids: bool = False):
        return reads.list_page(
            self._engine, reseller=where.reseller, count_all=count_all, with_ids=with_ids,
            kind=where.kind, status=where.status, search=where.search,
            batch_id=where.batch_id, created_after=where.created_after,
            include_deleted=where.include_deleted, numbers=where.numbers, sort=sort,
            limit=limit, offset=offset)

    def list_accounts(self, where: AccountFilter, sort: str = "number",
                      limit: int | None = None, offset: int = 0) -> list[dict]:
        return self._page(where, sort, limit, offset)[0]

    def list_page(self, where: AccountFilter, sort: str = "number", limit: int | None = None,
                  offset: int = 0) -> tuple[list[dict], int | None]:
        """(the page, how many match in all when the limit cut the list, else None)."""
        return self._page(where, sort, limit, offset, count_all=True)

    def count_accounts(self, where: AccountFilter) -> int:
        # a page of one: the total comes with it when more than one account matches
        records, total = self._page(where, "", 1, 0, count_all=True)
        return total if total is not None else len(records)

    def show(self, number: str | None = None, email: str | None = None, *,
             with_devices: bool = True) -> dict:
        return reads.find_account(self._engine, number, email, with_devices=with_devices)

    def export_rows(self, kind: str, keys: list[str], where: AccountFilter,
                    sort: str = "number", limit: int | None = None,
                    offset: int = 0) -> Iterator[dict]:
        records, _ = self._page(AccountFilter(**{**where.__dict__, "kind": kind}), sort,
                                limit, offset, with_ids=True)
        ids = [r["_id"] for r in records]
        hashes: dict[int, str] = {}
        secrets: dict[int, str] = {}
        with self._engine.connect() as conn:
            for chunk in chunks(ids):
                hashes.update((i, h) for i, h in conn.execute(
                    sa.select(A.c.id, A.c.password_hash).where(A.c.id.in_(chunk))))
                if "sip_password" in keys:
                    rows = conn.execute(sa.select(SD.c.account_id, SD.c.secret).where(
                        SD.c.account_id.in_(chunk), SD.c.deleted_at.is_(None))
                        .order_by(SD.c.id))
                    for account_id, secret in rows:
                        secrets.setdefault(account_id, secret)
        for record in records:
            account_id = record.pop("_id")
            record.pop("_reseller_id", None)
            record["password_hash"] = hashes[account_id]
            if "sip_password" in keys:
                record["sip_password"] = secrets.get(account_id)
            yield record

    def list_rate_groups(self, reseller: str | None = None, owned_by: bool = False):
        return reads.list_rate_groups(self._engine, reseller, owned_by)

    def list_taxes(self, reseller: str | None = None, owned_by: bool = False):
        return reads.list_taxes(self._engine, reseller, owned_by)

    def list_roles(self):
        return reads.list_roles(self._engine)

    def reference(self, what: str, search: str | None):
        return reads.reference(self._engine, what, search)

    def password_matches(self, conn: Connection, account: StoredAccount, *,
                         password: str | None = None, password_hash: str | None = None
                         ) -> bool:
        return self.passwords_match(conn, [(account, password, password_hash)])[0]

    def passwords_match(self, conn: Connection, checks: list[tuple[StoredAccount, str | None,
                                                                   str | None]]) -> list[bool]:
        from acctctl.service.secrets_ import verify_password

        hashes: dict[int, str | None] = {}
        for chunk in chunks(list(dict.fromkeys(a.id for a, _, _ in checks))):
            hashes.update(conn.execute(sa.select(A.c.id, A.c.password_hash)
                                       .where(A.c.id.in_(chunk))).all())
        matches = []
        for account, password, password_hash in checks:
            stored = hashes.get(account.id)
            if password_hash is not None:
                matches.append(stored == password_hash)
            else:
                matches.append(password is None or not stored
                               or verify_password(stored, password))
        return matches

    # --- the catalog ----------------------------------------------------------------------

    def catalog_find(self, conn: Connection, kind: str, name: str, owner: str | None = None,
                     scope: str | None = None) -> dict | None:
        return reads.find_entry(conn, kind, name, owner, scope)

    def catalog_create(self, conn: Connection, kind: str, values: dict, owner: str | None,
                       now: Any) -> int:
        return reads.create_entry(conn, kind, values, owner, now)

    def catalog_update(self, conn: Connection, kind: str, entry_id: int, changes: dict) -> None:
        reads.update_entry_row(conn, kind, entry_id, changes)

    def catalog_delete(self, conn: Connection, kind: str, entry_id: int) -> None:
        reads.delete_entry_row(conn, kind, entry_id)

    def catalog_owned(self, conn: Connection, account: StoredAccount) -> list[tuple[str, str]]:
        return [(kind, name) for kind, table in (("rate_group", RateGroup.__table__),
                                                 ("tax", Tax.__table__))
                for name in conn.execute(sa.select(table.c.name).where(
                    table.c.reseller_id == account.id).order_by(table.c.name)).scalars()]

    def catalog_users(self, conn: Connection, kind: str, entry_id: int) -> list[tuple[str, bool]]:
        return reads.entry_users(conn, kind, entry_id)

    @property
    def ledger(self) -> NativeLedger:
        return self._ledger


class NativeLedger(Ledger):
    """The audit_events table of the same database, written in the accounts' transaction."""

    CREATED = AE.c.action.like("create %")
    #: this database's own accounts: when it is also the astpp target's ledger (by default
    #: both are the SQLite file in the user data dir), ASTPP's trails are not its batches
    OWN = AE.c.target.is_(None)

    def __init__(self, engine: Engine):
        self.engine = engine

    def record(self, conn: Connection, events: list[AuditEvent]) -> None:
        if events:
            write_rows(conn, AE, [{
                "at": e.at, "actor": e.actor, "action": e.action, "account_id": e.account_id,
                "account_number": e.account_number, "mode": e.mode, "batch_id": e.batch_id,
                "command": e.command, "profile": e.profile,
                "changes": (json.dumps(plain(e.changes), ensure_ascii=False) if e.changes
                            else None)} for e in events])

    def batch_exists(self, conn: Connection, batch_id: str) -> bool:
        if control_problem(batch_id):  # no id holds one, and PostgreSQL refuses NUL
            return False
        return (conn.execute(sa.select(AE.c.id).where(AE.c.batch_id == batch_id, self.OWN)
                             .limit(1))
                .first() is not None or conn.execute(sa.select(A.c.id).where(
                    A.c.batch_id == batch_id).limit(1)).first() is not None
                or conn.execute(sa.select(CC.c.id).where(CC.c.batch_id == batch_id)
                                .limit(1)).first() is not None)  # only catalog changed

    def batch_accounts(self, conn: Connection, batch_id: str) -> list[str]:
        return list(conn.execute(sa.select(A.c.number).where(A.c.batch_id == batch_id)
                                 .order_by(A.c.number)).scalars())

    def list_batches(self, limit: int | None = None) -> list[dict]:
        first = (sa.select(AE.c.batch_id, sa.func.min(AE.c.id).label("first_id"),
                           sa.func.count().label("created"))
                 .where(self.CREATED, self.OWN).group_by(AE.c.batch_id).subquery())
        live = (sa.select(A.c.batch_id, sa.func.count().label("live"))
                .where(A.c.deleted_at.is_(None)).group_by(A.c.batch_id).subquery())
        query = (sa.select(first.c.batch_id, AE.c.at, AE.c.actor, AE.c.mode, AE.c.command,
                           first.c.created, sa.func.coalesce(live.c.live, 0).label("live"))
                 .select_from(first.join(AE, AE.c.id == first.c.first_id)
                              .outerjoin(live, live.c.batch_id == first.c.batch_id))
                 .order_by(AE.c.at.desc(), AE.c.id.desc()))
        if limit:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def list_audit(self, account: str | None = None, batch_id: str | None = None,
                   since: Any = None, limit: int | None = None) -> list[dict]:
        from acctctl.ledger import Trail

        return Trail(self.engine, None).list_audit(account, batch_id, since, limit)

    def add_set_members(self, conn: Connection, members: list[SetMember]) -> None:
        from acctctl.ledger import add_members

        add_members(conn, None, members)

    def set_members(self, conn: Connection, set_name: str) -> list[SetMember]:
        from acctctl.ledger import read_members

        return read_members(conn, None, set_name=set_name)

    def batch_set_members(self, conn: Connection, batch_id: str) -> list[SetMember]:
        from acctctl.ledger import read_members

        return read_members(conn, None, batch_id=batch_id)

    def drop_set_members(self, conn: Connection, members: list[SetMember]) -> None:
        from acctctl.ledger import drop_members

        drop_members(conn, None, members)

    def add_catalog_changes(self, conn: Connection, changes: list[CatalogChange]) -> None:
        from acctctl.ledger import add_catalog_changes

        add_catalog_changes(conn, None, changes)

    def batch_catalog_changes(self, conn: Connection, batch_id: str) -> list[CatalogChange]:
        from acctctl.ledger import read_catalog_changes

        return read_catalog_changes(conn, batch_id)

    def undo_catalog_changes(self, conn: Connection, batch_id: str) -> None:
        from acctctl.ledger import undo_catalog_changes

        undo_catalog_changes(conn, None, batch_id)


def _stored(record: dict) -> StoredAccount:
    return StoredAccount(
        id=record["_id"], number=record["number"], kind=record["kind"],
        status=record["status"], deleted=record.get("deleted_at") is not None,
        values={k: v for k, v in record.items() if not k.startswith("_")},
        owner_id=record["_reseller_id"], changed=record.get("updated_at") is not None)


def _lock(conn: Connection, numbers: list[str], live: bool | None,
          batch_id: str | None = None) -> None:
    """Lock the accounts with these numbers until the transaction ends, so that what is read
    next is what is changed: a concurrent delete, purge or undo either finishes first (and
    the account is then found gone) or waits for this transaction. PostgreSQL: SELECT ... FOR
    UPDATE, in id order (two commands locking the same accounts do not deadlock), whose WHERE
    is checked again once a concurrent writer commits; SQLite: nothing to do, every
    transaction begins with BEGIN IMMEDIATE (db/engine.py), which serialises the writers."""
    if conn.dialect.name != "postgresql":
        return
    state = (sa.true() if live is None else A.c.deleted_at.is_(None) if live
             else A.c.deleted_at.is_not(None))
    if batch_id is not None:
        state = sa.and_(state, A.c.batch_id == batch_id)
    for chunk in chunks(numbers):
        conn.execute(sa.select(A.c.id).where(A.c.number.in_(chunk), state)
                     .order_by(A.c.id).with_for_update(of=A))


def write_rows(conn: Connection, table: sa.Table, rows: list[dict]) -> None:
    """INSERT rows (all with the same keys) straight through the driver: COPY on PostgreSQL,
    the sqlite3 module's executemany (a loop in C) on SQLite. SQLAlchemy's executemany costs a
    statement per row on psycopg and per-row Python work on both. Values are bound as
    SQLAlchemy would bind them (column types, scalar column defaults), and errors are raised
    as SQLAlchemy's (IntegrityError, OperationalError), parameters hidden."""
    dialect = conn.dialect
    keys = list(rows[0])
    defaults = {c.key: c.default.arg for c in table.columns
                if c.key not in rows[0] and c.default is not None and c.default.is_scalar}
    columns = [table.c[k] for k in keys + list(defaults)]
    bind = [c.type._cached_bind_processor(dialect) for c in columns]
    fill = list(defaults.values())
    data = ([b(v) if b else v for b, v in zip(bind, [row[k] for k in keys] + fill, strict=True)]
            for row in rows)
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(c.name) for c in columns)
    cursor = conn.connection.dbapi_connection.cursor()
    if dialect.name == "postgresql":
        from psycopg import Error

        sql = f"COPY {quote(table.name)} ({names}) FROM STDIN"
    else:
        from sqlite3 import Error

        sql = f"INSERT INTO {quote(table.name)} ({names}) VALUES ({', '.join('?' * len(bind))})"
    try:
        if dialect.name == "postgresql":
            with cursor.copy(sql) as copy:
                for values in data:
                    copy.write_row(values)
        else:
            cursor.executemany(sql, data)
    except Error as exc:
        raise sa.exc.DBAPIError.instance(sql, None, exc, Error, hide_parameters=True) from exc
    finally:
        cursor.close()
