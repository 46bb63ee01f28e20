"""The astpp target's ledger (acctctl/ledger.py), and what it reads in ASTPP's database: the
digest of an account's rows, and which accounts are still there.

An account's rows are the ones acctctl's create writes and ASTPP's edit pages change: its
`accounts` row, its SIP devices, its tax links and (a reseller's) invoice configuration, every
column. A create records their digest in the ledger; `batch undo` reads them again and refuses
an account whose digest differs, whatever changed it (ASTPP's web UI, acctctl, an UPDATE).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from acctctl.ledger import (
    CHUNK,
    CREATE_ACTION,
    Entry,
    Trail,
    add_members,
    digest,
    drop_members,
    open_ledger,
    read_members,
    server_identity,
)
from acctctl.storage import AuditEvent, Ledger, SetMember

#: table -> the column naming the account (ASTPP's own names)
ACCOUNT_ROWS = {"accounts": "id", "sip_devices": "accountid", "taxes_to_accounts": "accountid",
                "invoice_conf": "accountid"}
#: Never in a digest: a digest over a secret would be an unsalted verifier of it in the ledger
#: (a weak chosen portal password, encoded with ASTPP's often public key, could be guessed from
#: it). The portal password column, and the SIP secret and voicemail PIN in a device's
#: directory parameters; a change of them alone is not seen by the digest (acctctl's own
#: reset-password and rotate-sip-secret leave a ledger record, which undo also counts).
SECRET_COLUMNS = {"accounts": ("password",)}
SECRET_PARAMS = {"sip_devices": ("dir_params", ("password", "vm-password"))}


def row_digests(conn: Connection, account_ids: list[int]) -> dict[int, str]:
    """account id -> digest of its rows as they are now in `conn`'s transaction (the rows a
    create just wrote, before its commit); an id with no accounts row is left out."""
    wanted = sorted(set(account_ids))
    rows: dict[int, dict[str, list[dict]]] = {}
    for table, column in ACCOUNT_ROWS.items():
        for start in range(0, len(wanted), CHUNK):
            found = conn.execute(sa.text(
                f"SELECT * FROM `{table}` WHERE `{column}` IN :ids ORDER BY id"
            ).bindparams(sa.bindparam("ids", expanding=True)),
                {"ids": wanted[start:start + CHUNK]})
            for row in found.mappings():
                parts = rows.setdefault(row[column], {t: [] for t in ACCOUNT_ROWS})
                parts[table].append(_without_secrets(table, dict(row)))
    return {account_id: digest(parts) for account_id, parts in rows.items()
            if parts["accounts"]}


def _without_secrets(table: str, row: dict) -> dict:
    for name in SECRET_COLUMNS.get(table, ()):
        row.pop(name, None)
    if table in SECRET_PARAMS:
        name, keys = SECRET_PARAMS[table]
        try:
            params = json.loads(row.get(name) or "{}")
        except ValueError:
            params = None
        if isinstance(params, dict):  # the other parameters still count, in their order
            row[name] = [[k, v] for k, v in params.items() if k not in keys]
        else:  # not what ASTPP writes: it cannot be told apart from a secret, leave it out
            row.pop(name, None)
    return row


def live_ids(conn: Connection, account_ids: list[int]) -> set[int]:
    """The ids among these of accounts still in ASTPP and not deleted (`batch list`'s live)."""
    wanted = sorted(set(account_ids))
    live: set[int] = set()
    for start in range(0, len(wanted), CHUNK):
        live.update(conn.execute(sa.text(
            "SELECT id FROM accounts WHERE deleted = 0 AND id IN :ids"
        ).bindparams(sa.bindparam("ids", expanding=True)),
            {"ids": wanted[start:start + CHUNK]}).scalars())
    return live


class AstppLedger(Ledger):
    """The astpp target's batches and audit records: the ledger database's trail of this ASTPP
    database (acctctl/ledger.py), opened on first use. Records a command makes inside ASTPP's
    transaction are staged there, with the digest of each created account's rows as written,
    and written to the ledger once that transaction has committed (AstppStorage.transaction
    calls after_commit()), while acctctl's ASTPP lock is still held."""

    def __init__(self, storage: Any):
        self.storage = storage
        self._trail: Trail | None = None
        #: id(ASTPP connection) -> set-member changes to write once it commits, in order
        self._members: dict[int, list[tuple[Callable, list]]] = {}

    @property
    def trail(self) -> Trail:
        if self._trail is None:
            loaded = self.storage.loaded
            engine = open_ledger(loaded.ledger_url, loaded.ledger_shown, loaded.ledger_source,
                                 dry_run=self.storage.dry_run)
            with self.storage.engine.connect() as conn:
                identity = server_identity(conn, loaded.settings.ledger.identity)
            self._trail = Trail(engine, identity)
        return self._trail

    def connect(self) -> None:
        """Connect (and on first use initialise) the ledger now."""
        self.trail  # noqa: B018 - opened on first use

    def close(self) -> None:
        if self._trail is not None:
            self._trail.engine.dispose()

    # --- the two commits --------------------------------------------------------------

    def record(self, conn: Connection, events: list[AuditEvent]) -> None:
        creates = [e.account_id for e in events
                   if e.action.startswith(CREATE_ACTION) and e.account_id is not None]
        digests = row_digests(conn, creates) if creates else {}
        self.trail.stage(conn, [Entry(
            at=e.at, actor=e.actor, action=e.action, account_number=e.account_number,
            mode=e.mode, batch_id=e.batch_id, command=e.command, profile=e.profile,
            changes=e.changes, account_id=e.account_id,
            digest=digests.get(e.account_id))
            for e in events])

    def after_commit(self, conn: Connection, committed: bool) -> str | None:
        """ASTPP's transaction on `conn` ended: write what it staged (committed), or forget it
        (rolled back, a dry run). A warning to print when the ledger could not record it."""
        members = self._members.pop(id(conn), [])
        if self._trail is None:
            return None
        if not committed:
            self._trail.discard_staged(conn)
            return None
        warning = self._trail.commit_staged(conn)
        if members and warning is None:
            try:
                with self._trail.engine.begin() as ledger:
                    for write, rows in members:
                        write(ledger, self._trail.target, rows)
            except sa.exc.SQLAlchemyError as exc:
                return (f"warning: the change was written, but the ledger could not record "
                        f"which objects the set holds ({type(exc).__name__}): a later "
                        "`apply --prune` does not know of them")
        return warning

    # --- set membership (contract §10): staged like the records ---------------------------

    def add_set_members(self, conn: Connection, members: list[SetMember]) -> None:
        self.connect()
        self._members.setdefault(id(conn), []).append((add_members, list(members)))

    def drop_set_members(self, conn: Connection, members: list[SetMember]) -> None:
        self.connect()
        self._members.setdefault(id(conn), []).append((drop_members, list(members)))

    def set_members(self, conn: Connection, set_name: str) -> list[SetMember]:
        with self.trail.engine.connect() as ledger:
            return read_members(ledger, self.trail.target, set_name=set_name)

    def batch_set_members(self, conn: Connection, batch_id: str) -> list[SetMember]:
        with self.trail.engine.connect() as ledger:
            return read_members(ledger, self.trail.target, batch_id=batch_id)

    # --- catalog changes an apply made (for its undo): staged like the members -----------

    def add_catalog_changes(self, conn: Connection, changes: list[Any]) -> None:
        from acctctl.ledger import add_catalog_changes

        self.connect()
        self._members.setdefault(id(conn), []).append((add_catalog_changes, list(changes)))

    def batch_catalog_changes(self, conn: Connection, batch_id: str) -> list[Any]:
        from acctctl.ledger import read_catalog_changes

        with self.trail.engine.connect() as ledger:
            return read_catalog_changes(ledger, batch_id)

    def undo_catalog_changes(self, conn: Connection, batch_id: str) -> None:
        from acctctl.ledger import undo_catalog_changes

        self.connect()
        self._members.setdefault(id(conn), []).append((undo_catalog_changes, batch_id))

    # --- reading ------------------------------------------------------------------------

    def batch_exists(self, conn: Connection, batch_id: str) -> bool:
        return self.trail.batch_exists(batch_id)

    def batch_accounts(self, conn: Connection, batch_id: str) -> list[str]:
        return sorted(dict.fromkeys(a.number for a in self.trail.batch_accounts(batch_id)))

    def batch_members(self, conn: Connection, batch_id: str,
                      before_reading: Callable[[list[int]], None] | None = None
                      ) -> dict[int, tuple[str, bool]]:
        """ASTPP id -> (number, changed) of the batch's accounts still in ASTPP (deleted ones
        too): changed when their rows differ from what the batch wrote (any change, by ASTPP's
        pages or anyone) or the ledger has a later record of them (an acctctl change undone
        by another: disable, then enable). before_reading(ids): e.g. lock them first."""
        made = [a for a in self.trail.batch_accounts(batch_id) if a.account_id is not None]
        if before_reading is not None:
            before_reading([a.account_id for a in made])
        now = row_digests(conn, [a.account_id for a in made])
        later = set(self.trail.changed_since_created(batch_id))
        return {a.account_id: (a.number, a.number in later or now[a.account_id] != a.digest)
                for a in made if a.account_id in now}

    def list_batches(self, limit: int | None = None) -> list[dict]:
        def live(ids: list[int]) -> set[int]:
            with self.storage.engine.connect() as conn:
                return live_ids(conn, ids)

        return self.trail.list_batches(limit, live=live)

    def list_audit(self, account: str | None = None, batch_id: str | None = None,
                   since: datetime | None = None, limit: int | None = None) -> list[dict]:
        return self.trail.list_audit(account, batch_id, since, limit)
