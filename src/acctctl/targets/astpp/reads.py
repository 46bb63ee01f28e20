"""Reading accounts from ASTPP's tables: the filtered, sorted, paged `account list`, its count
(for the "100 of N" note), `account show`, and the rows of `account export` (contract §7, §8).

Every function takes a Connection of an engine made by target.make_engine (utf8mb4, UTC).
The records have the shape of acctctl's own (storage/records.account_record), so `list`,
`show` and `export` print the same columns on both targets.

Raw SQL through text(): ASTPP's zero dates come back from PyMySQL as the string
'0000-00-00 00:00:00', which a DateTime type would choke on; they read as "not set".
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from acctctl.errors import NotFound, UsageError
from acctctl.targets.astpp import encoding
from acctctl.targets.astpp.columns import KIND_OF_TYPE, SCHEDULE_OF_SWEEP, TYPE

#: Account types acctctl reads: its five kinds and ASTPP's super admin (-1, an admin).
KNOWN_TYPES = (-1, 0, 1, 2, 3, 4)
MAX_ROWS = 18446744073709551615  # MySQL's way to say "no LIMIT" before an OFFSET
CHUNK = 500

_FROM = (
    "FROM accounts a "
    "LEFT JOIN accounts o ON o.id = a.reseller_id AND a.reseller_id <> 0 "
    "LEFT JOIN pricelists p ON p.id = a.pricelist_id AND a.pricelist_id <> 0 "
    "LEFT JOIN permissions r ON r.id = a.permission_id AND a.permission_id <> 0 "
    "LEFT JOIN countrycode c ON c.id = a.country_id "
    "LEFT JOIN timezone z ON z.id = a.timezone_id "
    "LEFT JOIN currency u ON u.id = a.currency_id "
)
_SELECT = (
    "SELECT a.*, p.name AS _rate_group, o.number AS _reseller, r.name AS _role, "
    "UPPER(c.iso) AS _country, z.timezone_name AS _timezone, UPPER(u.currency) AS _currency "
)

#: What each column means to users: the field key's value as an SQL expression, so that
#: --sort orders by what `list` shows (the kind's name, not ASTPP's type id; "active", not
#: 0), as acctctl's own schema does. Text compares by code point (CAST AS BINARY), as on
#: acctctl's SQLite, not by ASTPP's case- and accent-blind collation.
_TEXT_SORT = {
    "number": "a.number",
    "kind": "CASE a.type " + " ".join(f"WHEN {t} THEN '{k}'" for t, k in KIND_OF_TYPE.items())
            + " END",
    "reseller": "o.number",
    "pin": "NULLIF(a.pin, '')",
    "status": "CASE WHEN a.status = 0 THEN 'active' ELSE 'inactive' END",
    "first_name": "a.first_name", "last_name": "a.last_name",
    "email": "NULLIF(a.email, '')", "company": "a.company_name", "address": "a.address_1",
    "city": "a.city", "province": "a.province", "postal_code": "a.postal_code",
    "country": "UPPER(c.iso)", "telephone": "NULLIF(a.telephone_1, '')",
    "timezone": "z.timezone_name", "rate_group": "p.name", "currency": "UPPER(u.currency)",
    "billing_schedule": "CASE a.sweep_id " + " ".join(
        f"WHEN {s} THEN '{k}'" for s, k in SCHEDULE_OF_SWEEP.items()) + " END",
    "account_type": "CASE WHEN a.posttoexternal <> 0 THEN 'postpaid' ELSE 'prepaid' END",
    "notify_email": "NULLIF(a.notification_email, '')",
    "role": "r.name",
}
#: Numbers and moments order by value. A zero date is "not set": it sorts first, as NULL.
_VALUE_SORT = {
    "max_channels": "a.maxchannels", "cps": "a.cps", "expiry": "a.expiry",
    "billing_day": "CASE WHEN a.sweep_id = 0 THEN NULL ELSE a.invoice_day END",
    "credit_limit": "a.credit_limit", "low_balance_alert": "a.notify_credit_limit",
    "first_used": "a.first_used", "balance": "a.balance", "created_at": "a.creation",
    "deleted_at": "CASE WHEN a.deleted <> 0 THEN a.deleted_date END",
}
#: Sort keys of acctctl's own schema that ASTPP's tables do not hold: who created an account
#: and in which batch are in acctctl's ledger, and ASTPP keeps no time of last change.
NOT_IN_ASTPP = {"created_by": "who created an account is in acctctl's ledger, not in ASTPP",
                "batch_id": "an account's batch is in acctctl's ledger, not in ASTPP",
                "updated_at": "ASTPP keeps no time of an account's last change"}
#: --search looks in these (number, names, company, email), as on acctctl's own schema.
SEARCH_COLUMNS = ("a.number", "a.first_name", "a.last_name", "a.company_name", "a.email")


@dataclass
class Where:
    """Which accounts (contract §7 `account list` filters). Only live accounts unless
    include_deleted. reseller: a reseller's number; batch_numbers or batch_ids: the accounts
    a batch created (from acctctl's ledger: ASTPP does not know batches)."""

    kind: str | None = None
    reseller: str | None = None
    status: str | None = None
    search: str | None = None
    created_after: datetime | None = None  # inclusive; naive means UTC
    include_deleted: bool = False
    batch_numbers: Collection[str] | None = None
    batch_ids: Collection[int] | None = None  # ASTPP's accounts.id: exact after a number is
    # reused (a deleted account's number is free again), where batch_numbers is not
    numbers: Collection[str] | None = None
    email: str | None = None
    super_admin: bool = True  # ASTPP's own install account (type -1), an admin to `list`


def _reseller_id(conn: Connection, number: str) -> int:
    """A live reseller's id, active or not (listing what an inactive reseller owns works)."""
    from acctctl.models.text import control_problem

    found = None if control_problem(number) else conn.execute(sa.text(
        "SELECT id FROM accounts WHERE number = :n AND type = :t AND deleted = 0 "
        "ORDER BY id LIMIT 1"), {"n": number, "t": TYPE["reseller"]}).scalar()
    if found is None:
        raise NotFound(f"no reseller has number {number}")
    return found


def _fold(text: str) -> str:
    from acctctl.db.search import fold

    return fold(text) or ""


def _conditions(conn: Connection, w: Where) -> tuple[list[str], dict[str, Any], set[str]]:
    """(SQL conditions, their parameters, the names of the expanding ones)."""
    from acctctl.models.text import control_problem

    where = [f"a.type IN ({', '.join(map(str, KNOWN_TYPES))})"]
    params: dict[str, Any] = {}
    lists: set[str] = set()
    if not w.include_deleted:
        where.append("a.deleted = 0")
    texts = [w.search, w.email, *(w.numbers or ()), *(w.batch_numbers or ())]
    if any(control_problem(t) for t in texts if t):
        return [*where, "1 = 0"], params, lists  # no stored value holds a control character
    if w.kind is not None:
        where.append("a.type IN :types")
        params["types"] = [TYPE[w.kind]] + ([-1] if w.kind == "admin" else [])
        lists.add("types")
    if not w.super_admin:
        where.append("a.type <> -1")
    if w.reseller is not None:
        where.append("a.reseller_id = :owner")
        params["owner"] = _reseller_id(conn, w.reseller)
    if w.status is not None:
        where.append("a.status = 0" if w.status == "active" else "a.status <> 0")
    if w.created_after is not None:
        moment = w.created_after
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
        where.append("a.creation >= :created_after")  # ASTPP's clock is gmdate(): naive UTC
        params["created_after"] = moment
    for name, column, values in (("numbers", "a.number", w.numbers),
                                 ("batch", "a.number", w.batch_numbers),
                                 ("batch_ids", "a.id", w.batch_ids)):
        if values is None:
            continue
        values = sorted(set(values))
        if not values:
            return [*where, "1 = 0"], params, lists
        where.append(f"{column} IN :{name}")
        params[name] = values
        lists.add(name)
    if w.email is not None:
        where.append("a.email = :email")  # ASTPP's column compares case-insensitively
        params["email"] = w.email
    if w.search:
        # literal (LOCATE has no pattern characters) and case-insensitive, by code point: the
        # text folded as acctctl folds it, the column lowered; ASTPP's general_ci collation
        # would also equate accents (e = é), which acctctl's own schema does not
        where.append("(" + " OR ".join(
            f"LOCATE(:search, CONVERT(LOWER({column}) USING utf8mb4) COLLATE utf8mb4_bin) > 0"
            for column in SEARCH_COLUMNS) + ")")
        params["search"] = _fold(w.search)
    return where, params, lists


def _statement(sql: str, lists: set[str]) -> sa.TextClause:
    return sa.text(sql).bindparams(*(sa.bindparam(n, expanding=True) for n in sorted(lists)))


def sort_expression(sort: str) -> str:
    """ORDER BY for a --sort value (a field key, "-" first for descending); ties by row id,
    as on acctctl's own schema, so pages do not overlap. Exit 2 for a key ASTPP's tables
    do not hold. An empty sort: the order rows were written in."""
    if not sort:
        return "a.id"
    key = sort.lstrip("-")
    direction = "DESC" if sort.startswith("-") else "ASC"
    if key in _TEXT_SORT:
        expression = f"CAST({_TEXT_SORT[key]} AS BINARY)"
    elif key in _VALUE_SORT:
        expression = _VALUE_SORT[key]
    elif key in NOT_IN_ASTPP:
        raise UsageError(f"--sort {key} is not available on the astpp target: "
                         f"{NOT_IN_ASTPP[key]}")
    else:
        raise UsageError(f"--sort must be a field key, got {sort!r}")
    return f"{expression} {direction}, a.id"  # ties: oldest row first, either direction


def count_accounts(conn: Connection, where: Where) -> int:
    """How many accounts match (no limit, no offset): the N of "100 of N"."""
    conditions, params, lists = _conditions(conn, where)
    # the conditions read only accounts' own columns: no join to count
    sql = f"SELECT COUNT(*) FROM accounts a WHERE {' AND '.join(conditions)}"
    return conn.execute(_statement(sql, lists), params).scalar_one()


def list_accounts(conn: Connection, where: Where, sort: str = "number",
                  limit: int | None = None, offset: int = 0, *,
                  with_devices: bool = False, with_ids: bool = False) -> list[dict]:
    """Accounts as users see them, sorted and paged. with_devices: their SIP devices
    (username and status, never the secret); with_ids: `_id` too, for acctctl's own use."""
    order = sort_expression(sort)  # before any query: a bad key reads nothing
    conditions, params, lists = _conditions(conn, where)
    sql = f"{_SELECT}{_FROM} WHERE {' AND '.join(conditions)} ORDER BY {order}"
    if limit is not None or offset:
        sql += " LIMIT :limit OFFSET :offset"
        params.update(limit=MAX_ROWS if limit is None else int(limit), offset=int(offset))
    rows = [dict(r._mapping) for r in conn.execute(_statement(sql, lists), params)]
    ids = [r["id"] for r in rows]
    taxes, devices = _taxes(conn, ids), _devices(conn, ids)
    from acctctl.storage.records import account_record

    records = []
    for row in rows:
        record = account_record(record_fields(row), {
            "rate_group": row["_rate_group"], "taxes": taxes.get(row["id"], []),
            "reseller": row["_reseller"], "role": row["_role"],
            "sip_device": row["id"] in devices})
        if with_devices:
            record["sip_devices"] = [{"username": d["username"], "status": d["status"]}
                                     for d in devices.get(row["id"], [])]
        if with_ids:
            record["_id"] = row["id"]
        records.append(record)
    return records


def _taxes(conn: Connection, ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for start in range(0, len(ids), CHUNK):
        for account_id, name in conn.execute(_statement(
                "SELECT l.accountid, t.taxes_description FROM taxes_to_accounts l "
                "JOIN taxes t ON t.id = l.taxes_id WHERE l.accountid IN :ids "
                "ORDER BY t.taxes_priority, t.taxes_description, t.id", {"ids"}),
                {"ids": ids[start:start + CHUNK]}):
            found.setdefault(account_id, []).append(name)
    return found


def _devices(conn: Connection, ids: list[int], secrets: bool = False) -> dict[int, list[dict]]:
    """Each account's SIP devices, oldest first; dir_params (which holds the secret) is read
    only when secrets is asked for (export --with-secrets)."""
    columns = "accountid, username, status" + (", dir_params" if secrets else "")
    found: dict[int, list[dict]] = {}
    for start in range(0, len(ids), CHUNK):
        for row in conn.execute(_statement(
                f"SELECT {columns} FROM sip_devices WHERE accountid IN :ids ORDER BY id",
                {"ids"}), {"ids": ids[start:start + CHUNK]}):
            device = {"username": row.username,
                      "status": "active" if row.status == 0 else "inactive"}
            if secrets:
                device["secret"] = _device_secret(row.dir_params)
            found.setdefault(row.accountid, []).append(device)
    return found


def _device_secret(dir_params: Any) -> str | None:
    """The SIP secret FreeSWITCH reads: dir_params' "password" (None when unreadable)."""
    try:
        value = json.loads(dir_params or "{}").get("password")
    except (ValueError, AttributeError):
        return None
    return None if value in (None, "") else str(value)


def record_fields(row: dict) -> dict:
    """A joined ASTPP accounts row (see _SELECT) as acctctl's field keys."""
    kind = KIND_OF_TYPE[row["type"]]
    schedule = SCHEDULE_OF_SWEEP.get(row["sweep_id"])
    return {
        "number": row["number"], "kind": kind, "first_name": row["first_name"],
        "last_name": row["last_name"], "company": row["company_name"],
        "telephone": row["telephone_1"] or None, "email": row["email"] or None,
        "notify_email": row["notification_email"] or None, "address": row["address_1"],
        "city": row["city"], "province": row["province"], "postal_code": row["postal_code"],
        "country": row["_country"], "timezone": row["_timezone"], "currency": row["_currency"],
        "status": "active" if row["status"] == 0 else "inactive",
        "max_channels": row["maxchannels"], "cps": row["cps"],
        "number_translation": row["dialed_modify"], "expiry": moment(row["expiry"]),
        "valid_days": row["validfordays"], "billing_schedule": schedule,
        "billing_day": (row["invoice_day"] or None) if schedule != "daily" else None,
        "account_type": "postpaid" if row["posttoexternal"] else "prepaid",
        "credit_limit": money(row["credit_limit"]),
        "low_balance_alert": money(row["notify_credit_limit"]),
        "email_alerts": row["notify_flag"] == 0, "pin": row["pin"] or None,
        "first_used": moment(row["first_used"]), "balance": money(row["balance"]),
        "created_at": moment(row["creation"]), "created_by": None, "batch_id": None,
        "deleted_at": moment(row["deleted_date"]) if row["deleted"] else None,
    }


def moment(value: Any) -> datetime | None:
    """ASTPP datetimes are naive UTC; its zero dates (strings from PyMySQL) and the
    1000-01-01 column default mean "not set"."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.year > 1000 else None
    return None


def money(value: Any) -> Decimal:
    amount = Decimal(str(value or 0))
    return Decimal(format(amount.normalize(), "f")) if amount else Decimal(0)


# --- export ----------------------------------------------------------------------------------


@dataclass
class Export:
    """rows: in list order (the service puts owners first); undecodable: numbers whose
    stored portal password the key does not decode (their rows carry no password)."""

    rows: list[dict]
    undecodable: list[str] = field(default_factory=list)


def export_keys(own: list[str], with_secrets: bool, fixed: Collection[str] = ()) -> list[str]:
    """The columns of an ASTPP export, from those of acctctl's own (`own`): the portal
    password as `password` (decoded, only with secrets) instead of `password_hash` (ASTPP
    keeps a reversible encoding, not a hash: there is no hash to carry), and without the
    fields ASTPP sets itself for the kind (`fixed`: an admin's country and time zone, which
    create refuses on this target)."""
    keys = []
    for key in own:
        if key == "password_hash":
            if with_secrets:
                keys.append("password")
        elif key not in fixed:
            keys.append(key)
    return keys


def export_rows(conn: Connection, kind: str, keys: list[str], *, key: str,
                where: Where | None = None, sort: str = "number", limit: int | None = None,
                offset: int = 0, currency_factor: Decimal = Decimal(1)) -> Export:
    """Rows of `kind` (the `keys` columns) that `create KIND --from-file` accepts unchanged,
    on acctctl's own schema (the password then hashed as argon2id) and on ASTPP (encoded
    with that install's key, so its login accepts the same password).

    key: this ASTPP's PRIVATE_KEY, which decodes the passwords (when "password" is a key);
    currency_factor: the creating admin's currency rate / the base rate. ASTPP stores a
    credit limit in its base currency, create takes it in the creating admin's (contract
    §8): the file holds what create must be given to store the same amount."""
    # not ASTPP's super admin: every ASTPP has its own (number "admin" in a fresh install),
    # so it is nothing to re-create elsewhere
    records = list_accounts(conn, replace(where or Where(), kind=kind, super_admin=False),
                            sort, limit, offset, with_ids=True)
    ids = [r["_id"] for r in records]
    devices = _devices(conn, ids, secrets=True) if "sip_password" in keys else {}
    stored: dict[int, str] = {}
    if "password" in keys:
        for start in range(0, len(ids), CHUNK):
            stored.update(conn.execute(_statement(
                "SELECT id, password FROM accounts WHERE id IN :ids", {"ids"}),
                {"ids": ids[start:start + CHUNK]}).all())
    result = Export([])
    for record in records:
        row = {k: record.get(k) for k in keys}
        if "credit_limit" in row and record.get("account_type") == "postpaid":
            row["credit_limit"] = money((record["credit_limit"] * currency_factor).quantize(
                Decimal("0.00001"), rounding=ROUND_HALF_UP))
        if "email_alerts" in row and not (record.get("email") or record.get("notify_email")):
            # ASTPP's flag can be on with nowhere to send; create refuses that combination
            row["email_alerts"] = False
        if "password" in row:
            try:
                row["password"] = encoding.decode(stored.get(record["_id"]) or "", key)
            except ValueError:
                row["password"] = None
                result.undecodable.append(record["number"])
        if "sip_password" in row:
            found = devices.get(record["_id"], [])
            row["sip_password"] = found[0]["secret"] if found else None
        result.rows.append(row)
    return result
