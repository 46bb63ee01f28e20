"""The ledger: batches and audit records of accounts kept in another database (contract §8).

On acctctl's own schema the trail is the ``audit_events`` table of the accounts' own database,
written in the same transaction. On the astpp target acctctl adds no tables to ASTPP's
database, so the trail goes to a *ledger*: a database of acctctl's own schema (SQLite or
PostgreSQL, ``[ledger] url``; by default acctctl's default SQLite file, the one its own schema
uses), initialised on first use like any acctctl database. Its ``audit_events`` rows carry

- ``target``: the identity of the ASTPP database (:func:`server_identity`), so one ledger
  keeps the trails of several ASTPP databases apart, and apart from the accounts of its own
  schema (``target`` NULL): every query here is filtered by it;
- ``target_account_id``: the account's id in ASTPP (``account_id`` points at the ledger's own
  ``accounts`` table, so it stays NULL);
- ``row_digest``: for a create, :func:`digest` of the account's rows as written in ASTPP;
  ``batch undo`` recomputes it and refuses an account whose rows changed since, whoever
  changed them (ASTPP's web pages, acctctl, a hand-written UPDATE).

Order of the two commits. A command stages its records (:meth:`Trail.stage`) inside the
target's transaction, where the rows it wrote can still be read for their digest, and the
ledger writes them in a transaction of its own only after the target's transaction has
committed (:meth:`Trail.commit_staged`). A crash, a lost connection or a full disk between
the two leaves at worst accounts without their ledger records (``batch undo`` then does not
know the batch, and the accounts can still be deleted one by one) — never a ledger record of
something that was not written, which ``batch undo`` would act on. A dry run or a rolled-back
transaction discards what it staged (:meth:`Trail.discard_staged`).

Knows nothing of Typer, questionary or rich; nothing here is specific to ASTPP but
:func:`server_identity`, which reads the MySQL/MariaDB server the target is on.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from acctctl.errors import DatabaseError
from acctctl.models.tables import AuditEvent
from acctctl.models.text import control_problem
from acctctl.plain import plain

__all__ = ["BatchAccount", "Entry", "Trail", "digest", "insert_entries", "open_ledger",
           "server_identity"]

AE = AuditEvent.__table__
#: what a create's records are called ("create customer", ...): a batch is what they made
CREATE_ACTION = "create "
#: the longest identity stored as it is; a longer one keeps a readable head and a hash
IDENTITY_MAX = 200
#: rows per INSERT/IN list (SQLite's default limit is 32766 bound values)
CHUNK = 500


@dataclass(frozen=True)
class Entry:
    """One audit record to keep: who did what to which account, how (contract §7 keys)."""

    at: datetime
    actor: str
    action: str  # "create customer", "update", "disable", "purge", "undo batch", ...
    account_number: str | None
    mode: str
    batch_id: str
    command: str  # secrets redacted by the caller
    profile: str | None = None
    changes: dict | None = None  # {field: [old, new]} of non-secret fields
    account_id: int | None = None  # the account's id in the target database
    digest: str | None = None  # a create's: digest() of the rows it wrote


@dataclass(frozen=True)
class BatchAccount:
    """An account a batch created, as the ledger recorded it."""

    number: str
    account_id: int | None  # in the target database
    kind: str
    digest: str | None
    at: datetime


# --------------------------------------------------------------------------------------------
# Opening the ledger
# --------------------------------------------------------------------------------------------


def open_ledger(url: str, shown: str | None = None, source: str | None = None, *,
                dry_run: bool = False) -> Engine:
    """The ledger's engine: connected, its schema initialised when empty (like any acctctl
    database), refused (exit 5, naming the ledger) when behind or not acctctl's.

    A dry run initialises nothing, as on acctctl's own schema: an empty ledger is replaced by
    a scratch one (db/dryrun.py), which knows no batch and keeps nothing."""
    from acctctl.db.engine import check_connection, make_engine
    from acctctl.db.revision import at_head

    if dry_run:
        from acctctl.db.dryrun import scratch_engine_if_uninitialised

        scratch = scratch_engine_if_uninitialised(url, shown, source)
        if scratch is not None:
            return scratch
    engine = make_engine(url, shown, source)
    check_connection(engine)
    if not at_head(engine):
        from acctctl.db.migrate import ensure_schema

        try:
            ensure_schema(engine)
        except DatabaseError as exc:
            engine.dispose()
            where = f" (from {source})" if source else ""
            hint = exc.hint
            if hint and "db upgrade" in hint:
                # `acctctl db upgrade` acts on database.url, ASTPP's on this target: name the
                # ledger as acctctl's own database for once, with no config file in the way
                hint = (f"upgrade the ledger: ACCTCTL_DATABASE_URL='{shown or url}' acctctl "
                        "--config /dev/null db upgrade")
            raise DatabaseError(f"the ledger {shown or url}{where}: {exc.message}",
                                hint=hint) from None
    return engine


def server_identity(conn: Connection, configured: str = "") -> str:
    """What tells this ASTPP database apart from any other in one ledger: the server's own
    host name and port and the schema name (``astpp:HOST:PORT/SCHEMA``), read from the server
    so that every client spelling of its address (localhost, 127.0.0.1, a DNS alias) finds
    the same trail. ``configured`` (``[ledger] identity``) replaces it, for a server that
    moved or was renamed: the identity is the trail's key, so a new one starts a new trail."""
    if configured:
        return _bounded(f"astpp:{configured}")
    host, port, schema = conn.execute(sa.text("SELECT @@hostname, @@port, DATABASE()")).one()
    if not schema:
        raise DatabaseError("the ASTPP database URL names no database (schema): acctctl "
                            "cannot tell which ASTPP database its trail belongs to")
    return _bounded(f"astpp:{host}:{port}/{schema}")


def _bounded(identity: str) -> str:
    if len(identity) <= IDENTITY_MAX:
        return identity
    tail = hashlib.sha256(identity.encode()).hexdigest()[:32]
    return f"{identity[:IDENTITY_MAX - 34]}#{tail}"


# --------------------------------------------------------------------------------------------
# Digests
# --------------------------------------------------------------------------------------------


def digest(parts: Mapping[str, Iterable[Mapping[str, Any]]]) -> str:
    """``sha256:<hex>`` of rows (table -> rows as read, every column): the same rows give the
    same digest whatever order they were read in; any changed value, added or removed row
    gives another. Values keep their type (the number 1 and the text "1" differ)."""
    canonical = {
        table: sorted(json.dumps({str(k): _typed(v) for k, v in row.items()}, sort_keys=True,
                                 ensure_ascii=False) for row in rows)
        for table, rows in parts.items()
    }
    text = json.dumps(canonical, sort_keys=True, ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def _typed(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return ["decimal", format(value, "f")]
    if isinstance(value, float):
        return ["float", repr(value)]
    if isinstance(value, datetime | date | time):
        return [type(value).__name__, value.isoformat()]
    if isinstance(value, timedelta):
        return ["timedelta", value.total_seconds()]
    if isinstance(value, bytes | bytearray | memoryview):
        return ["bytes", bytes(value).hex()]
    return [type(value).__name__, str(value)]


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


def insert_entries(conn: Connection, target: str | None, entries: Iterable[Entry]) -> None:
    """Insert audit records in `conn`'s transaction (the ledger's, or on acctctl's own schema
    the command's own). target None: accounts of this database, whose id is account_id."""
    rows = [{
        "at": e.at, "actor": e.actor, "action": e.action, "account_number": e.account_number,
        "mode": e.mode, "batch_id": e.batch_id, "command": e.command, "profile": e.profile,
        "changes": json.dumps(plain(e.changes), ensure_ascii=False) if e.changes else None,
        "target": target,
        "account_id": e.account_id if target is None else None,
        "target_account_id": e.account_id if target is not None else None,
        "row_digest": e.digest,
    } for e in entries]
    for start in range(0, len(rows), CHUNK):
        conn.execute(sa.insert(AE), rows[start:start + CHUNK])


def add_members(conn: Connection, target: str | None, members: Iterable[Any]) -> None:
    """Record set members (storage.SetMember) in `conn`'s transaction."""
    from datetime import UTC

    from acctctl.models.tables import SetMember

    now = datetime.now(UTC)
    rows = [{"set_name": m.set_name, "kind": m.kind, "key": m.key, "target": target,
             "target_id": m.target_id, "batch_id": m.batch_id, "created_at": now}
            for m in members]
    for start in range(0, len(rows), CHUNK):
        conn.execute(sa.insert(SetMember.__table__), rows[start:start + CHUNK])


def read_members(conn: Connection, target: str | None, *, set_name: str | None = None,
                 batch_id: str | None = None) -> list[Any]:
    """The members of a set, or those a batch created, oldest first."""
    from acctctl.models.tables import SetMember as Table
    from acctctl.storage import SetMember

    SM = Table.__table__
    if any(control_problem(t) for t in (set_name, batch_id) if t):
        return []
    query = sa.select(SM).where(SM.c.target.is_(None) if target is None
                                else SM.c.target == target).order_by(SM.c.id)
    if set_name is not None:
        query = query.where(SM.c.set_name == set_name)
    if batch_id is not None:
        query = query.where(SM.c.batch_id == batch_id)
    return [SetMember(r.set_name, r.kind, r.key, r.target_id, r.batch_id)
            for r in conn.execute(query)]


def drop_members(conn: Connection, target: str | None, members: Iterable[Any]) -> None:
    from acctctl.models.tables import SetMember

    SM = SetMember.__table__
    mine = SM.c.target.is_(None) if target is None else SM.c.target == target
    for m in members:
        conn.execute(sa.delete(SM).where(mine, SM.c.set_name == m.set_name,
                                         SM.c.kind == m.kind, SM.c.key == m.key,
                                         SM.c.batch_id == m.batch_id))


def add_catalog_changes(conn: Connection, target: str | None, changes: Iterable[Any]) -> None:
    """Record what an apply changed in catalog entries (storage.CatalogChange), in `conn`'s
    transaction. target: the ledger's key of the target (batch ids are unique anyway)."""
    import json
    from datetime import UTC

    from acctctl.models.tables import CatalogChange
    from acctctl.plain import plain

    now = datetime.now(UTC)
    rows = [{"batch_id": c.batch_id, "kind": c.kind, "key": c.key, "entry_id": c.entry_id,
             "changes": json.dumps(plain(c.changes), ensure_ascii=False), "at": now}
            for c in changes]
    for start in range(0, len(rows), CHUNK):
        conn.execute(sa.insert(CatalogChange.__table__), rows[start:start + CHUNK])


def read_catalog_changes(conn: Connection, batch_id: str) -> list[Any]:
    """The catalog changes batch `batch_id` made and no undo gave back yet, oldest first."""
    import json

    from acctctl.models.tables import CatalogChange
    from acctctl.models.text import control_problem
    from acctctl.storage import CatalogChange as Change

    if control_problem(batch_id):
        return []
    CC = CatalogChange.__table__
    return [Change(r.kind, r.key, r.entry_id, json.loads(r.changes), r.batch_id)
            for r in conn.execute(sa.select(CC).where(CC.c.batch_id == batch_id,
                                                      CC.c.undone_at.is_(None))
                                  .order_by(CC.c.id))]


def undo_catalog_changes(conn: Connection, target: str | None, batch_id: str) -> None:
    """Mark the batch's catalog changes given back (by `batch undo`)."""
    from datetime import UTC

    from acctctl.models.tables import CatalogChange

    CC = CatalogChange.__table__
    conn.execute(sa.update(CC).where(CC.c.batch_id == batch_id, CC.c.undone_at.is_(None))
                 .values(undone_at=datetime.now(UTC)))


class Trail:
    """The trail of one target database in a ledger database (target None: the ledger's own
    accounts, the trail acctctl's own schema keeps)."""

    def __init__(self, engine: Engine, target: str | None):
        self.engine = engine
        self.target = target
        self._staged: dict[int, list[Entry]] = {}  # id(target connection) -> its records

    def _mine(self):
        return AE.c.target.is_(None) if self.target is None else AE.c.target == self.target

    def _account_id(self):
        return AE.c.account_id if self.target is None else AE.c.target_account_id

    # --- the two-commit protocol (module docstring) ---------------------------------------

    def stage(self, conn: Connection, entries: Iterable[Entry]) -> None:
        """Keep records until the target transaction on `conn` commits."""
        self._staged.setdefault(id(conn), []).extend(entries)

    def discard_staged(self, conn: Connection) -> None:
        """The target transaction rolled back (or was a dry run): nothing to record."""
        self._staged.pop(id(conn), None)

    def commit_staged(self, conn: Connection) -> str | None:
        """After the target transaction on `conn` committed: write its records. Never raises:
        the accounts are written by now, and the command must still report them (and the
        secrets it generated); a failure is returned as a warning to print."""
        entries = self._staged.pop(id(conn), [])
        if not entries:
            return None
        try:
            self.write(entries)
        except (sa.exc.SQLAlchemyError, DatabaseError) as exc:
            from acctctl.db.engine import label

            reason = getattr(exc, "message", None) or str(getattr(exc, "orig", None) or exc)
            reason = (reason.strip().splitlines() or [type(exc).__name__])[0]
            return (f"warning: the change was written, but the ledger {label(self.engine)[0]} "
                    f"could not record it ({reason}): `batch list|show|undo` and `audit list` "
                    f"do not know of these {len(entries)} records")
        return None

    def write(self, entries: Iterable[Entry]) -> None:
        """Write records now, in one ledger transaction."""
        entries = list(entries)
        if not entries:
            return
        with self.engine.begin() as conn:
            insert_entries(conn, self.target, entries)

    # --- reading ----------------------------------------------------------------------------

    def list_batches(self, limit: int | None = None,
                     live: Callable[[list[int]], set[int]] | None = None) -> list[dict]:
        """Newest first: batch_id, at, actor, mode, command (of its first record) and how many
        accounts it created; with `live` (target account ids -> the ones still live there)
        also how many are still live."""
        created = AE.c.action.like(f"{CREATE_ACTION}%")
        first = (sa.select(AE.c.batch_id, sa.func.min(AE.c.id).label("first_id"),
                           sa.func.count().label("created"))
                 .where(self._mine(), created).group_by(AE.c.batch_id).subquery())
        query = (sa.select(first.c.batch_id, AE.c.at, AE.c.actor, AE.c.mode, AE.c.command,
                           first.c.created)
                 .select_from(first.join(AE, AE.c.id == first.c.first_id))
                 .order_by(AE.c.at.desc(), AE.c.id.desc()))
        if limit:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            batches = [dict(r._mapping) for r in conn.execute(query)]
            if live is None or not batches:
                return batches
            ids: dict[str, list[int]] = {b["batch_id"]: [] for b in batches}
            names = list(ids)
            for start in range(0, len(names), CHUNK):
                for batch_id, account_id in conn.execute(
                        sa.select(AE.c.batch_id, self._account_id())
                        .where(self._mine(), created,
                               AE.c.batch_id.in_(names[start:start + CHUNK]))):
                    if account_id is not None:
                        ids[batch_id].append(account_id)
        alive = live([i for group in ids.values() for i in group])
        for batch in batches:
            batch["live"] = sum(1 for i in ids[batch["batch_id"]] if i in alive)
        return batches

    def batch_exists(self, batch_id: str) -> bool:
        if control_problem(batch_id):  # no id holds one, and PostgreSQL refuses NUL in a query
            return False
        with self.engine.connect() as conn:
            return conn.execute(sa.select(AE.c.id).where(
                self._mine(), AE.c.batch_id == batch_id).limit(1)).first() is not None

    def batch_accounts(self, batch_id: str) -> list[BatchAccount]:
        """The accounts the batch created, by number, with the digest of what it wrote."""
        if control_problem(batch_id):
            return []
        query = (sa.select(AE.c.account_number, self._account_id().label("account_id"),
                           AE.c.action, AE.c.row_digest, AE.c.at)
                 .where(self._mine(), AE.c.batch_id == batch_id,
                        AE.c.action.like(f"{CREATE_ACTION}%"))
                 .order_by(AE.c.account_number, AE.c.id))
        with self.engine.connect() as conn:
            return [BatchAccount(number=r.account_number, account_id=r.account_id,
                                 kind=r.action.removeprefix(CREATE_ACTION),
                                 digest=r.row_digest, at=r.at)
                    for r in conn.execute(query)]

    def changed_since_created(self, batch_id: str) -> list[str]:
        """Numbers of the batch's accounts that have a record after the one of their creation
        (an update, disable, password reset... by acctctl), sorted."""
        if control_problem(batch_id):
            return []
        made, later = AE.alias("made"), AE.alias("later")
        same = (later.c.target.is_(None) if self.target is None
                else later.c.target == self.target)
        made_id = made.c.account_id if self.target is None else made.c.target_account_id
        later_id = later.c.account_id if self.target is None else later.c.target_account_id
        mine = made.c.target.is_(None) if self.target is None else made.c.target == self.target
        query = (sa.select(made.c.account_number).distinct()
                 .select_from(made.join(later, sa.and_(same, later_id == made_id,
                                                       later.c.id > made.c.id)))
                 .where(mine, made.c.batch_id == batch_id,
                        made.c.action.like(f"{CREATE_ACTION}%"))
                 .order_by(made.c.account_number))
        with self.engine.connect() as conn:
            return list(conn.execute(query).scalars())

    def list_audit(self, account: str | None = None, batch_id: str | None = None,
                   since: datetime | None = None, limit: int | None = None) -> list[dict]:
        """Audit records, newest first, as contract §7's JSON keys. No secret or hash is ever
        stored in them (a digest is neither, and is not shown)."""
        if any(control_problem(t) for t in (account, batch_id) if t):
            return []  # no record holds a control character; PostgreSQL refuses NUL in a query
        query = sa.select(AE).where(self._mine()).order_by(AE.c.at.desc(), AE.c.id.desc())
        if account is not None:
            query = query.where(AE.c.account_number == account)
        if batch_id is not None:
            query = query.where(AE.c.batch_id == batch_id)
        if since is not None:
            query = query.where(AE.c.at >= since)
        if limit:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            return [{"at": r.at, "actor": r.actor, "action": r.action,
                     "account": r.account_number, "batch_id": r.batch_id, "command": r.command,
                     "changes": json.loads(r.changes) if r.changes else {}}
                    for r in conn.execute(query)]
