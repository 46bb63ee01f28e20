"""The day-two changes to an account's life in an ASTPP 6 database: find, disable/enable,
delete, purge, a new portal password, a new SIP secret.

Each function changes what ASTPP's own action changes (facts from ASTPP's source, listed in
docs/astpp.md, "What each day-two command changes in ASTPP"):

- the status switch of its account lists (``getstatus::customer_list_status``) sets
  ``accounts.status`` (0 active, 1 inactive) and nothing else. The SIP devices keep their own
  status: FreeSWITCH's directory joins them with ``accounts.status = 0 AND deleted = 0``, so
  the account's status alone stops them registering, and a device switched off in ASTPP stays
  off when the account is enabled again;
- its delete action (``common::customer_delete_dependencies`` for customers and providers,
  ``reseller_delete_dependencies`` for resellers, ``accounts_model::remove_customer`` for
  admins) sets ``deleted = 1`` and removes the rows listed in CUSTOMER_ROWS / RESELLER_ROWS;
- its edit page stores a new portal password as ``encode(password)`` in ``accounts.password``;
- its SIP device page writes the secret into the ``"password"`` key of
  ``sip_devices.dir_params``, which FreeSWITCH's directory hands out as the user's password.

Plain functions on a SQLAlchemy Connection inside the caller's transaction (the storage owns
the transaction and ASTPP's named lock); they never commit. Raw SQL through text(): ASTPP's
zero dates come back as strings, which a DateTime type would choke on.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from acctctl.errors import Conflict
from acctctl.targets.astpp.columns import KIND_OF_TYPE, php_json

SUPER_ADMIN_TYPE = -1  # ASTPP's own admin: never disabled or deleted
STATUS = {"active": 0, "inactive": 1}
PRICELIST_DELETED = 2  # ASTPP marks a deleted rate group with status 2 and keeps the row

#: Rows ASTPP's delete removes with a customer or provider (their `accountid` column).
CUSTOMER_ROWS = ("ani_map", "block_patterns", "counters", "ip_map", "sip_devices",
                 "speed_dial", "taxes_to_accounts", "mail_details")
#: What the same delete writes into the DIDs the account had: released to the pool, with
#: their forwarding cleared (the column values ASTPP sets).
DID_RELEASE = {
    "accountid": 0, "call_type": 0, "extensions": "", "always": 0, "always_destination": "",
    "user_busy": 0, "user_busy_destination": "", "user_not_registered": 0,
    "user_not_registered_destination": "", "no_answer": 0, "no_answer_destination": "",
    "call_type_vm_flag": 1, "failover_call_type": 1, "always_vm_flag": 1,
    "user_busy_vm_flag": 1, "user_not_registered_vm_flag": 1, "no_answer_vm_flag": 1,
    "failover_extensions": "",
}
TRUNK_OFF = 1  # a deleted provider's trunks are switched off, not removed
#: Rows ASTPP's delete removes with a reseller: (table, column holding the reseller's id).
RESELLER_ROWS = (("refill_coupon", "reseller_id"), ("mail_details", "accountid"),
                 ("default_templates", "reseller_id"), ("invoice_conf", "accountid"))
#: What a purge removes besides the accounts row, so that nothing points at a missing
#: account (ASTPP has no purge; its delete leaves some of these for resellers and admins).
PURGE_ROWS = tuple(dict.fromkeys((*CUSTOMER_ROWS, "invoice_conf")))

#: Billing history (a purge of an account with any is refused): what, tables and columns.
HISTORY = (
    ("calls", (("cdrs", "accountid"), ("cdrs", "provider_id"),
               ("reseller_cdrs", "accountid"))),
    ("invoices", (("invoices", "accountid"), ("invoice_details", "accountid"))),
    ("payments", (("payment_transaction", "accountid"),)),
)

#: Every table and column these functions read or write (the storage's fingerprint can ask
#: for them before a day-two command, so a missing one is exit 5, not a half-done delete).
TOUCHED = {
    "accounts": ["id", "number", "type", "status", "deleted", "deleted_date", "reseller_id",
                 "email", "password"],
    **{table: ["accountid"] for table in CUSTOMER_ROWS},
    "sip_devices": ["id", "accountid", "username", "status", "dir_params",
                    "last_modified_date"],
    "dids": ["accountid", "parent_id", *DID_RELEASE],
    "trunks": ["provider_id", "status"],
    "refill_coupon": ["reseller_id"], "default_templates": ["reseller_id"],
    "invoice_conf": ["accountid"], "pricelists": ["id", "name", "status", "reseller_id"],
    "routes": ["pricelist_id"], "routing": ["pricelist_id"],
    "taxes": ["id", "taxes_description", "reseller_id"], "cdrs": ["accountid", "provider_id"],
    "reseller_cdrs": ["accountid"], "invoices": ["accountid"],
    "invoice_details": ["accountid"], "payment_transaction": ["accountid"],
}


@dataclass
class Found:
    """One ASTPP account as the day-two functions see it. They use only id, number, kind,
    status, deleted and owner_id, so the storage's StoredAccount does as well."""

    id: int
    number: str
    kind: str
    status: str  # "active" | "inactive"
    deleted: bool
    owner_id: int | None  # the owning reseller's id; None: the admin
    type: int  # accounts.type: -1 super admin, 0 customer, 1 reseller, 2 admin, ...
    row: dict  # the accounts row as read


def _in(sql: str, **lists) -> sa.TextClause:
    return sa.text(sql).bindparams(*(sa.bindparam(k, expanding=True) for k in lists))


def _found(row) -> Found:
    if row.type not in KIND_OF_TYPE:  # e.g. 5, a callshop: no acctctl kind, never listed
        raise Conflict(f"account {row.number} is of an ASTPP type acctctl does not manage "
                       f"(type {row.type}); change it in ASTPP; nothing was changed")
    return Found(id=row.id, number=row.number, kind=KIND_OF_TYPE[row.type],
                 status="active" if row.status == 0 else "inactive",
                 deleted=bool(row.deleted), owner_id=row.reseller_id or None, type=row.type,
                 row=dict(row._mapping))


def find(conn: Connection, numbers: Iterable[str], *, deleted_too: bool = False,
         lock: bool = True) -> dict[str, Found]:
    """number -> the live account with that number, in the order given; numbers that match
    nothing are left out (the caller says so). deleted_too: a number no live account has may
    match a deleted one (the most recently deleted), for --purge. lock: FOR UPDATE, so that
    ASTPP's own screens cannot change the rows between this read and the write. Exit 4 when
    two live ASTPP accounts share a number (ASTPP has no unique index on it): which one was
    meant cannot be told."""
    wanted = list(dict.fromkeys(numbers))
    tail = " ORDER BY id" + (" FOR UPDATE" if lock else "")
    rows = conn.execute(_in("SELECT * FROM accounts WHERE deleted = 0 AND number IN :v"
                            + tail, v=None), {"v": wanted}).all() if wanted else []
    found: dict[str, Found] = {}
    for row in rows:
        # ASTPP's columns compare case-insensitively: key by the number asked for
        key = next((n for n in wanted if n.casefold() == row.number.casefold()), row.number)
        if key in found:
            raise Conflict(f"number {key} is held by more than one live ASTPP account (ids "
                           f"{found[key].id} and {row.id}); nothing was changed",
                           hint="give one of them another number in ASTPP first")
        found[key] = _found(row)
    missing = [n for n in wanted if n not in found]
    if deleted_too and missing:
        rows = conn.execute(_in("SELECT * FROM accounts WHERE deleted = 1 AND number IN :v "
                                "ORDER BY deleted_date, id" + (" FOR UPDATE" if lock else ""),
                                v=None), {"v": missing}).all()
        for row in rows:  # the most recently deleted wins
            key = next((n for n in missing if n.casefold() == row.number.casefold()),
                       row.number)
            found[key] = _found(row)
    return {number: found[number] for number in wanted if number in found}


def refuse_super_admin(conn: Connection, accounts: Collection[Found], action: str) -> None:
    """ASTPP never disables or deletes its super admin (type -1); neither does acctctl."""
    ids = [a.id for a in accounts]
    if not ids:
        return
    number = conn.execute(_in("SELECT number FROM accounts WHERE id IN :ids AND type = :super",
                              ids=None), {"ids": ids, "super": SUPER_ADMIN_TYPE}).scalar()
    if number is not None:
        raise Conflict(f"account {number} is ASTPP's super admin, which ASTPP does not let "
                       f"anyone {action}; nothing was changed")


def set_status(conn: Connection, accounts: Collection[Found], status: str) -> list[Found]:
    """ASTPP's status switch: accounts.status only (see the module's docstring for why the
    SIP devices are not touched). Returns the accounts whose status changed."""
    refuse_super_admin(conn, accounts, "disable" if status == "inactive" else "enable")
    changed = [a for a in accounts if a.status != status]
    if changed:
        conn.execute(_in("UPDATE accounts SET status = :s WHERE id IN :ids", ids=None),
                     {"s": STATUS[status], "ids": [a.id for a in changed]})
    return changed


def soft_delete(conn: Connection, accounts: Collection[Found], now: datetime) -> None:
    """ASTPP's delete: deleted = 1 and deleted_date, and what it removes with each kind.
    The caller has refused resellers that still own something (dependants()): ASTPP would
    delete their accounts too, acctctl does not (contract §7)."""
    refuse_super_admin(conn, accounts, "delete")
    stamp = _utc(now)
    customers = [a.id for a in accounts if a.kind in ("customer", "provider")]
    resellers = [a for a in accounts if a.kind == "reseller"]
    if customers:
        _remove_customer_rows(conn, customers)
        providers = [a.id for a in accounts if a.kind == "provider"]
        if providers:
            conn.execute(_in("UPDATE trunks SET status = :off WHERE provider_id IN :ids",
                             ids=None), {"off": TRUNK_OFF, "ids": providers})
    for reseller in resellers:
        _remove_reseller_rows(conn, reseller)
    conn.execute(_in("UPDATE accounts SET deleted = 1, deleted_date = :at "
                     "WHERE id IN :ids AND type <> -1", ids=None),
                 {"at": stamp, "ids": [a.id for a in accounts]})


def _remove_customer_rows(conn: Connection, ids: list[int]) -> None:
    for table in CUSTOMER_ROWS:
        conn.execute(_in(f"DELETE FROM `{table}` WHERE accountid IN :ids", ids=None),
                     {"ids": ids})
    released = ", ".join(f"`{column}` = :{column}" for column in DID_RELEASE)
    conn.execute(_in(f"UPDATE dids SET {released} WHERE accountid IN :ids", ids=None),
                 {**DID_RELEASE, "ids": ids})


def _remove_reseller_rows(conn: Connection, reseller: Found) -> None:
    """What ASTPP's reseller delete removes once no account of the reseller is left: the
    rates of its (deleted) rate groups, its coupons, mails, templates, invoice configuration
    and taxes with their links; its DIDs go back to its own owner."""
    rate_groups = list(conn.execute(sa.text(
        "SELECT id FROM pricelists WHERE reseller_id = :r"), {"r": reseller.id}).scalars())
    if rate_groups:
        for table in ("routing", "routes"):
            conn.execute(_in(f"DELETE FROM `{table}` WHERE pricelist_id IN :ids", ids=None),
                         {"ids": rate_groups})
        conn.execute(_in("UPDATE pricelists SET status = :d WHERE id IN :ids", ids=None),
                     {"d": PRICELIST_DELETED, "ids": rate_groups})
    conn.execute(sa.text("UPDATE dids SET parent_id = :parent WHERE parent_id = :r"),
                 {"parent": reseller.owner_id or 0, "r": reseller.id})
    for table, column in RESELLER_ROWS:
        conn.execute(sa.text(f"DELETE FROM `{table}` WHERE `{column}` = :r"), {"r": reseller.id})
    taxes = list(conn.execute(sa.text("SELECT id FROM taxes WHERE reseller_id = :r"),
                              {"r": reseller.id}).scalars())
    if taxes:
        conn.execute(_in("DELETE FROM taxes_to_accounts WHERE taxes_id IN :ids", ids=None),
                     {"ids": taxes})
        conn.execute(_in("DELETE FROM taxes WHERE id IN :ids", ids=None), {"ids": taxes})


def purge(conn: Connection, accounts: Collection[Found]) -> None:
    """Remove the accounts rows (ASTPP has no purge): first what ASTPP's delete removes
    (already gone for an account deleted before), then every row that would point at the
    missing account, then the accounts, owned ones before their owners. The caller has
    refused accounts with billing history or dependants."""
    refuse_super_admin(conn, accounts, "delete")
    ids = [a.id for a in accounts]
    live = [a for a in accounts if not a.deleted]
    if live:
        soft_delete(conn, live, datetime.now(UTC))  # the stamp is gone with the row
    for table in PURGE_ROWS:
        conn.execute(_in(f"DELETE FROM `{table}` WHERE accountid IN :ids", ids=None),
                     {"ids": ids})
    for reseller in (a for a in accounts if a.kind == "reseller"):
        # its deleted rate groups (status 2): ASTPP keeps them, nothing would own them now
        conn.execute(sa.text("DELETE FROM pricelists WHERE reseller_id = :r AND status = :d"),
                     {"r": reseller.id, "d": PRICELIST_DELETED})
    remaining = set(ids)
    while remaining:
        owners = set(conn.execute(_in("SELECT reseller_id FROM accounts WHERE id IN :a "
                                      "AND reseller_id IN :a", a=None),
                                  {"a": sorted(remaining)}).scalars())
        leaves = (remaining - owners) or remaining
        conn.execute(_in("DELETE FROM accounts WHERE id IN :ids AND type <> -1", ids=None),
                     {"ids": sorted(leaves)})
        remaining -= leaves


def billing_history(conn: Connection, accounts: Collection[Found]) -> dict[str, dict[str, int]]:
    """number -> {"calls": n, "invoices": n, "payments": n} (only what is there) for the
    accounts ASTPP has billed: call records (as caller, or as the provider that carried the
    call), invoices and their lines, payments."""
    by_id = {a.id: a.number for a in accounts}
    history: dict[str, dict[str, int]] = {}
    if not by_id:
        return history
    for what, sources in HISTORY:
        for table, column in sources:
            for account_id, count in conn.execute(_in(
                    f"SELECT `{column}`, COUNT(*) FROM `{table}` WHERE `{column}` IN :ids "
                    f"GROUP BY `{column}`", ids=None), {"ids": list(by_id)}):
                counts = history.setdefault(by_id[account_id], {})
                counts[what] = counts.get(what, 0) + count
    return {a.number: history[a.number] for a in accounts if a.number in history}


def history_reasons(history: dict[str, dict[str, int]]) -> list[str]:
    """The exit-4 reasons for billing_history(): one line per account."""
    def counted(what: str, n: int) -> str:
        return f"{n} {what if n != 1 else what[:-1]}"

    return [f"account {number} has billing history in ASTPP ("
            + ", ".join(counted(w, counts[w]) for w, _ in HISTORY if counts.get(w)) + ")"
            for number, counts in history.items()]


def dependants(conn: Connection, accounts: Collection[Found], *, include_deleted: bool,
               outside: Collection[int] | None = None) -> list[str]:
    """What still depends on these accounts as owner, other than themselves (exit-4 reasons):
    accounts (live ones; with include_deleted also deleted ones, which a purge would orphan),
    rate groups (pricelists not deleted) and taxes. outside: ids of accounts that do not
    count (a batch undo purges them with their owner)."""
    ids = [a.id for a in accounts]
    if not ids:
        return []
    skip = sorted({*ids, *(outside or ())})
    sql = "SELECT number, deleted FROM accounts WHERE reseller_id IN :ids AND id NOT IN :skip"
    if not include_deleted:
        sql += " AND deleted = 0"
    owned = conn.execute(_in(sql + " ORDER BY number", ids=None, skip=None),
                         {"ids": ids, "skip": skip}).all()
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


def set_password(conn: Connection, account: Found, encoded: str) -> None:
    """ASTPP's edit page: accounts.password = encode(new password); nothing else changes."""
    conn.execute(sa.text("UPDATE accounts SET password = :p WHERE id = :id"),
                 {"p": encoded, "id": account.id})


def set_sip_secret(conn: Connection, account: Found, secret: str,
                   now: datetime) -> list[str]:
    """The secret of every SIP device of the account, where FreeSWITCH reads it: the
    "password" key of sip_devices.dir_params (the other keys, their order and types are
    kept), and last_modified_date, as ASTPP's SIP device page writes them. Returns the
    devices' usernames (none: the account has no SIP device)."""
    devices = conn.execute(sa.text(
        "SELECT id, username, dir_params FROM sip_devices WHERE accountid = :a ORDER BY id "
        "FOR UPDATE"), {"a": account.id}).all()
    for device in devices:
        try:
            params = json.loads(device.dir_params or "{}")
        except ValueError:
            params = None
        if not isinstance(params, dict):
            raise Conflict(f"SIP device {device.username} of account {account.number} has "
                           "directory parameters that are not a JSON object; fix it in ASTPP "
                           "first; nothing was changed")
        params = {"password": secret, **params} if "password" not in params else {
            **params, "password": secret}
        conn.execute(sa.text("UPDATE sip_devices SET dir_params = :p, last_modified_date = :at "
                             "WHERE id = :id"),
                     {"p": php_json(params), "at": _utc(now), "id": device.id})
    return [d.username for d in devices]


def device_usernames(conn: Connection, account_ids: list[int]) -> list[str]:
    """The usernames of these accounts' SIP devices (what a registrar mirrors)."""
    found: list[str] = []
    for start in range(0, len(account_ids), 500):
        found += conn.execute(_in("SELECT username FROM sip_devices WHERE accountid IN :ids",
                                  ids=None), {"ids": account_ids[start:start + 500]}).scalars()
    return found


def sip_devices(conn: Connection, usernames: list[str] | None) -> list[dict]:
    """The SIP devices of live (not deleted) accounts, as a registrar mirrors them: the
    secret is the "password" key of dir_params, the caller id dir_vars' effective_caller_id_*,
    enabled when the device and its account are active (status 0)."""
    query = ("SELECT d.username, d.dir_params, d.dir_vars, d.status, a.status AS account, "
             "a.number FROM sip_devices d JOIN accounts a ON a.id = d.accountid "
             "WHERE a.deleted = 0")
    if usernames is None:
        rows = list(conn.execute(sa.text(query)).mappings())
    else:
        rows = []
        for start in range(0, len(usernames), 500):
            rows += conn.execute(sa.text(query + " AND d.username IN :u").bindparams(
                sa.bindparam("u", expanding=True)), {"u": usernames[start:start + 500]}
            ).mappings()
    found = []
    for row in rows:
        params, variables = _json_object(row["dir_params"]), _json_object(row["dir_vars"])
        found.append({
            "username": row["username"], "secret": str(params.get("password") or ""),
            "enabled": row["status"] == 0 and row["account"] == 0, "account": row["number"],
            "caller_id_name": str(variables.get("effective_caller_id_name") or row["number"]),
            "caller_id_number": str(variables.get("effective_caller_id_number")
                                    or row["number"])})
    return found


def _json_object(text: str | None) -> dict:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _utc(now: datetime) -> datetime:
    """ASTPP's gmdate(): naive UTC, whole seconds."""
    if now.tzinfo is not None:
        now = now.astimezone(UTC).replace(tzinfo=None)
    return now.replace(microsecond=0)
