"""What the ledger (acctctl/ledger.py) needs to read in an ASTPP database: the digest of an
account's rows, and which accounts are still there.

An account's rows are the ones acctctl's create writes and ASTPP's edit pages change: its
`accounts` row, its SIP devices, its tax links and (a reseller's) invoice configuration, every
column. A create records their digest in the ledger; `batch undo` reads them again and refuses
an account whose digest differs, whatever changed it (ASTPP's web UI, acctctl, an UPDATE).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from acctctl.ledger import CHUNK, digest

#: table -> the column naming the account (ASTPP's own names)
ACCOUNT_ROWS = {"accounts": "id", "sip_devices": "accountid", "taxes_to_accounts": "accountid",
                "invoice_conf": "accountid"}


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
                parts[table].append(dict(row))
    return {account_id: digest(parts) for account_id, parts in rows.items()
            if parts["accounts"]}


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
