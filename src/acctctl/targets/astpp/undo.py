"""`batch undo` on the astpp target: the accounts a batch created, as the ledger recorded them,
and the minimal purge of what acctctl's create wrote for them.

A STAND-IN: the day-two work on ASTPP (targets/astpp/lifecycle.py, on its own branch) brings
the purge, dependants and billing-history checks every day-two command shares, with the
rows ASTPP's own delete removes; once it lands, AstppStorage's purge, dependants and
billing_history call that module and only batch_found() here remains.

Plain functions on the caller's connection, inside its transaction (never a commit); raw
SQL through text(): ASTPP's zero dates come back as strings.
"""

from __future__ import annotations

from collections.abc import Collection

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from acctctl.storage import StoredAccount
from acctctl.targets.astpp.columns import KIND_OF_TYPE

PRICELIST_DELETED = 2  # ASTPP marks a deleted rate group with status 2 and keeps the row
#: the rows acctctl's create writes besides the accounts row (their `accountid` column)
CREATED_ROWS = ("sip_devices", "taxes_to_accounts", "invoice_conf")
#: billing history (an undo of an account with any is refused): what, (table, column)...
HISTORY = (
    ("calls", (("cdrs", "accountid"), ("cdrs", "provider_id"), ("reseller_cdrs", "accountid"))),
    ("invoices", (("invoices", "accountid"), ("invoice_details", "accountid"))),
    ("payments", (("payment_transaction", "accountid"),)),
)


def _in(sql: str, **lists) -> sa.TextClause:
    return sa.text(sql).bindparams(*(sa.bindparam(k, expanding=True) for k in lists))


def lock(conn: Connection, ids: list[int]) -> None:
    """FOR UPDATE on these accounts rows until the transaction ends: ASTPP's own pages wait
    to change them until the undo is done (or refused), so what it compared is what it purges."""
    if ids:
        conn.execute(_in("SELECT id FROM accounts WHERE id IN :ids ORDER BY id FOR UPDATE",
                         ids=None), {"ids": sorted(ids)})


def batch_found(conn: Connection, members: dict[int, tuple[str, bool]]
                ) -> dict[str, StoredAccount]:
    """number -> the batch's accounts still in ASTPP, deleted ones too, by their ASTPP id (a
    number may have been given to another account since). members: ASTPP id -> (number,
    changed since the batch wrote it), from the ledger."""
    if not members:
        return {}
    rows = conn.execute(_in(
        "SELECT id, number, type, status, deleted, reseller_id FROM accounts WHERE id IN :ids "
        "ORDER BY id", ids=None), {"ids": sorted(members)})
    found = {}
    for row in rows:
        number, changed = members[row.id]
        found[number] = StoredAccount(
            id=row.id, number=number, kind=KIND_OF_TYPE.get(row.type, "customer"),
            status="active" if row.status == 0 else "inactive", deleted=bool(row.deleted),
            values={}, owner_id=row.reseller_id or None, changed=changed)
    return found


def dependants(conn: Connection, ids: list[int], include_deleted: bool) -> list[str]:
    """What these accounts own besides each other (exit-4 reasons): accounts, rate groups
    (pricelists ASTPP has not marked deleted) and taxes."""
    if not ids:
        return []
    sql = "SELECT number, deleted FROM accounts WHERE reseller_id IN :ids AND id NOT IN :ids"
    if not include_deleted:
        sql += " AND deleted = 0"
    owned = conn.execute(_in(sql + " ORDER BY number", ids=None), {"ids": ids}).all()
    found = []
    if owned:
        shown = ", ".join(n + (" (deleted)" if d else "") for n, d in owned[:10])
        more = f" and {len(owned) - 10} more" if len(owned) > 10 else ""
        found.append(f"{len(owned)} account{'s' if len(owned) != 1 else ''} owned: "
                     f"{shown}{more}")
    for what, plural, sql in (
            ("rate group", "rate groups", "SELECT name FROM pricelists WHERE reseller_id IN :ids"
             f" AND status <> {PRICELIST_DELETED} ORDER BY name"),
            ("tax", "taxes", "SELECT taxes_description FROM taxes WHERE reseller_id IN :ids "
             "ORDER BY taxes_description")):
        names = list(conn.execute(_in(sql, ids=None), {"ids": ids}).scalars())
        if names:
            found.append(f"{what if len(names) == 1 else plural} owned: "
                         + ", ".join(repr(n) for n in names))
    return found


def billing_history(conn: Connection, accounts: Collection[StoredAccount]) -> list[str]:
    """One exit-4 reason per account ASTPP has billed: call records (as caller or carrier),
    invoices, payments. A table this ASTPP does not have holds no history."""
    by_id = {a.id: a.number for a in accounts}
    if not by_id:
        return []
    tables = set(conn.execute(sa.text(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()"
    )).scalars())
    history: dict[str, dict[str, int]] = {}
    for what, sources in HISTORY:
        for table, column in sources:
            if table not in tables:
                continue
            for account_id, count in conn.execute(_in(
                    f"SELECT `{column}`, COUNT(*) FROM `{table}` WHERE `{column}` IN :ids "
                    f"GROUP BY `{column}`", ids=None), {"ids": list(by_id)}):
                counts = history.setdefault(by_id[account_id], {})
                counts[what] = counts.get(what, 0) + count
    return [f"account {number} has billing history in ASTPP ("
            + ", ".join(f"{n} {w if n != 1 else w[:-1]}" for w, n in counts.items()) + ")"
            for number, counts in sorted(history.items())]


def purge(conn: Connection, ids: list[int]) -> None:
    """Remove what acctctl's create wrote for these accounts (their SIP devices, tax links,
    invoice configuration, accounts rows), owned accounts before their owners. The caller
    has refused accounts that changed since, own others or have billing history."""
    if not ids:
        return
    for table in CREATED_ROWS:
        conn.execute(_in(f"DELETE FROM `{table}` WHERE accountid IN :ids", ids=None),
                     {"ids": ids})
    remaining = set(ids)
    while remaining:
        owners = set(conn.execute(_in("SELECT reseller_id FROM accounts WHERE id IN :a "
                                      "AND reseller_id IN :a", a=None),
                                  {"a": sorted(remaining)}).scalars())
        leaves = (remaining - owners) or remaining
        conn.execute(_in("DELETE FROM accounts WHERE id IN :ids AND type <> -1", ids=None),
                     {"ids": sorted(leaves)})
        remaining -= leaves
