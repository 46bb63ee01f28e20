"""`account update` on the astpp target: the columns ASTPP's own edit pages change.

Facts, read from ASTPP 6.0's accounts module (the customer/provider, reseller and admin edit
and save paths, the "Alert Threshold" page and the edit forms; docs/astpp.md says the same
for users):

- A save is one ``UPDATE accounts SET <posted columns> WHERE id = …`` (every value trimmed),
  plus, for customers, providers and resellers, the account's tax links deleted and written
  again for the taxes chosen. Nothing else: not the SIP devices (their voicemail address keeps
  the old email), not the reseller's invoice configuration, no welcome or change e-mail.
- Not editable: the number (read-only and dropped), the account type (disabled, and dropped
  for customers), the owner (reseller, disabled), the balance and, for customers and
  providers, the expiry date (disabled): a new "Account Valid Days" value moves the expiry to
  now + those days. A super admin's status is never changed.
- A credit limit is given in the editing admin's currency and stored in the base currency, as
  on create; a prepaid account's credit limit is forced to 0.
- Email alerts (``notify_flag``) and the low-balance limit (``notify_credit_limit``) are saved
  by the Alert Threshold page for customers and providers, by the edit page for resellers.
- An admin's edit page has country, time zone and currency; a sub-admin's has none of them.

acctctl changes only the fields given (ASTPP's page re-posts all of them), in chunks: one
UPDATE per chunk and set of changed columns, one DELETE and one multi-row INSERT for the tax
links of the chunk, never a statement per account.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from acctctl.errors import Conflict
from acctctl.storage import StoredAccount
from acctctl.targets.astpp.catalog import AstppLookups
from acctctl.targets.astpp.columns import KIND_OF_TYPE, SWEEP
from acctctl.targets.astpp.reads import money, record_fields

CHUNK = 500
SUPER_ADMIN = -1
#: ASTPP does not let these change (contract §7); the kind never changes either.
IMMUTABLE = ("number", "account_type", "reseller", "kind")

#: Field key -> the accounts column ASTPP's edit page posts it as, for the keys whose value is
#: stored as given (text, empty for none).
TEXT_COLUMNS = {
    "first_name": "first_name", "last_name": "last_name", "company": "company_name",
    "address": "address_1", "city": "city", "province": "province",
    "postal_code": "postal_code", "telephone": "telephone_1", "email": "email", "pin": "pin",
    "number_translation": "dialed_modify",
}
#: Every accounts column an update may write: the statements name only these.
WRITABLE = frozenset({
    *TEXT_COLUMNS.values(), "notification_email", "country_id", "timezone_id", "currency_id",
    "status", "maxchannels", "cps", "expiry", "validfordays", "sweep_id", "invoice_day",
    "credit_limit", "notify_credit_limit", "notify_flag", "pricelist_id", "permission_id",
})


@dataclass
class AstppAccount(StoredAccount):
    """A live ASTPP account as find() reads it: the storage's StoredAccount (owner_id: the
    owning reseller's id, None for the admin), with ASTPP's type (-1: the super admin) and
    its accounts row as read."""

    type: int = 0
    row: dict = field(default_factory=dict)


@dataclass
class Edit:
    """What one account's update writes: accounts columns and, when taxes change, the new
    tax links ((taxes.id, taxes_priority), in order)."""

    account_id: int
    columns: dict[str, Any] = field(default_factory=dict)
    taxes: list[tuple[int, int]] | None = None


# --- reading ----------------------------------------------------------------------------


def _in(sql: str, *names: str) -> sa.TextClause:
    return sa.text(sql).bindparams(*(sa.bindparam(n, expanding=True) for n in names))


def read_accounts(conn: Connection, target: Any, numbers: Iterable[str], *,
                  lock: bool = True) -> dict[str, AstppAccount]:
    """The live accounts of these numbers, by number (a number no live account has is
    absent). lock: their accounts rows are locked until the transaction ends, first, so an
    account deleted meanwhile is not found rather than changed after its deletion."""
    wanted = sorted({str(n) for n in numbers if n})
    found: dict[str, AstppAccount] = {}
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start:start + CHUNK]
        if lock:  # the accounts rows only: not the rate groups or owners the read joins
            conn.execute(_in("SELECT id FROM accounts WHERE deleted = 0 AND number IN :n "
                             "FOR UPDATE", "n"), {"n": chunk}).all()
        rows = [dict(r._mapping) for r in conn.execute(_in(
            "SELECT a.*, p.name AS _rate_group, o.number AS _reseller, r.name AS _role "
            "FROM accounts a LEFT JOIN pricelists p ON p.id = a.pricelist_id "
            "LEFT JOIN accounts o ON o.id = a.reseller_id AND a.reseller_id <> 0 "
            "LEFT JOIN permissions r ON r.id = a.permission_id AND a.permission_id <> 0 "
            "WHERE a.deleted = 0 AND a.number IN :n AND a.type IN (-1, 0, 1, 2, 3, 4) "
            "ORDER BY a.id", "n"), {"n": chunk})]
        ids = [r["id"] for r in rows] or [0]
        taxes: dict[int, list[str]] = {}
        for account_id, name in conn.execute(_in(
                "SELECT l.accountid, t.taxes_description FROM taxes_to_accounts l "
                "JOIN taxes t ON t.id = l.taxes_id WHERE l.accountid IN :ids "
                "ORDER BY t.taxes_priority, t.taxes_description", "ids"), {"ids": ids}):
            taxes.setdefault(account_id, []).append(name)
        with_device = set(conn.execute(_in(
            "SELECT DISTINCT accountid FROM sip_devices WHERE accountid IN :ids", "ids"),
            {"ids": ids}).scalars())
        for row in rows:
            if row["number"] in found:  # ASTPP has no unique index on numbers
                raise Conflict(f"number {row['number']} is held by more than one live ASTPP "
                               f"account (ids {found[row['number']].id} and {row['id']}); "
                               "nothing was changed",
                               hint="give one of them another number in ASTPP first")
            found[row["number"]] = AstppAccount(
                id=row["id"], number=row["number"], kind=KIND_OF_TYPE[row["type"]],
                status="active" if row["status"] == 0 else "inactive", deleted=False,
                values=field_values(target, row, taxes.get(row["id"], []),
                                    row["id"] in with_device),
                owner_id=row["reseller_id"] or None, type=row["type"], row=row)
    return found


def field_values(target: Any, row: Mapping, taxes: list[str], sip_device: bool) -> dict:
    """An ASTPP accounts row (with its _rate_group, _reseller and _role names) as acctctl's
    field values: the record `account show` prints."""
    from acctctl.storage.records import account_record

    named = dict(row, _country=target.country_iso.get(row["country_id"]),
                 _timezone=target.zone_name.get(row["timezone_id"]),
                 _currency=target.currency_code.get(row["currency_id"]))
    return account_record(record_fields(named), {
        "rate_group": row.get("_rate_group"), "taxes": list(taxes),
        "reseller": row.get("_reseller"), "role": row.get("_role"), "sip_device": sip_device})


# --- ASTPP's own limits on an edit ----------------------------------------------------------


def edit_problems(target: Any, account: AstppAccount, given: Mapping[str, Any]
                  ) -> list[tuple[str, str]]:
    """(field, message) for what ASTPP's edit pages do not allow on top of the shared rules
    and ASTPP's limits on values (target.check_value): exit 3, nothing written."""
    problems = []
    for key, value in given.items():
        if key in IMMUTABLE:
            continue  # the service says so, for every target
        if account.kind == "subadmin" and key in ("country", "timezone"):
            problems.append((key, "ASTPP keeps no country or time zone for a sub-admin (its "
                                  "edit page has none); it cannot be set on the astpp target"))
            continue
        if key == "status" and account.type == SUPER_ADMIN:
            problems.append(("status", "the super admin's status cannot change (ASTPP's edit "
                                       "page keeps it)"))
            continue
        problem = target.check_value(account.kind, key, value)
        if problem:
            problems.append((key, problem))
    return problems


# --- what an update writes ------------------------------------------------------------------


def naive_utc(moment: datetime) -> datetime:
    """ASTPP's datetimes: naive UTC, whole seconds (its gmdate clock)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.replace(microsecond=0)


def to_base_currency(target: Any, amount: Decimal) -> Decimal:
    """A credit limit given in the creating/editing admin's currency, as ASTPP stores it."""
    return (Decimal(amount) * target.base_rate / target.creator_rate).quantize(
        Decimal("0.00001"), rounding=ROUND_HALF_UP)


def plan_edit(conn: Connection, target: Any, account: AstppAccount, changes: Mapping[str, Any],
              now: datetime, ids: Mapping[str, Any] | None = None,
              lookups: AstppLookups | None = None) -> Edit:
    """The columns ASTPP's edit would write for these validated new values (field key ->
    value; names for rate_group, taxes and role). ids: the service's rate_group_id, role_id
    and tax_ids for them; a name without one resolves among what the account's owner has, as
    on create (the service has checked them: a name ASTPP lacks is a bug here)."""
    ids = ids or {}
    lookups = lookups or AstppLookups(conn)
    now = naive_utc(now)
    edit = Edit(account.id)
    cols = edit.columns
    for key, value in changes.items():
        if key in IMMUTABLE:
            raise ValueError(f"{key} cannot change after creation")
        if key in TEXT_COLUMNS:
            cols[TEXT_COLUMNS[key]] = "" if value is None else value
        elif key == "notify_email":  # empty: where create sends them, the login email
            email = changes.get("email", account.row.get("email"))
            cols["notification_email"] = value or email or ""
        elif key == "country":
            cols["country_id"] = target.countries[value][0]
        elif key == "timezone":
            cols["timezone_id"] = target.zones[value.casefold()]
        elif key == "currency":
            cols["currency_id"] = target.currencies[value][0]
        elif key == "status":
            cols["status"] = 0 if value == "active" else 1
        elif key == "max_channels":
            cols["maxchannels"] = value or 0
        elif key == "cps":
            cols["cps"] = value or 0
        elif key == "billing_schedule":
            cols["sweep_id"] = target.sweeps.get(value, SWEEP.get(value, 0))
        elif key == "billing_day":
            cols["invoice_day"] = value or 0
        elif key == "credit_limit":  # prepaid: 0, whatever was posted
            postpaid = bool(account.row.get("posttoexternal"))
            cols["credit_limit"] = to_base_currency(target, value or 0) if postpaid else 0
        elif key == "low_balance_alert":
            cols["notify_credit_limit"] = value or 0
        elif key == "email_alerts":
            cols["notify_flag"] = 0 if value else 1
        elif key == "valid_days":
            cols["validfordays"] = value
            if "expiry" not in changes:
                cols["expiry"] = now + timedelta(days=value)
        elif key == "expiry":
            expiry = naive_utc(value)
            cols["expiry"] = expiry
            if "valid_days" not in changes:  # the days it is valid for, from now
                cols["validfordays"] = max(-(-(expiry - now) // timedelta(days=1)), 1)
        elif key == "rate_group":
            cols["pricelist_id"] = ids.get("rate_group_id") or _found(lookups.rate_group(
                value, account.owner_id, _owner(account)), key)
        elif key == "role":
            cols["permission_id"] = ids.get("role_id") or _found(
                lookups.role(account.kind, value), key)
        elif key == "taxes":
            tax_ids = ids.get("tax_ids")
            if tax_ids is None:
                tax_ids = [_found(lookups.tax(name, account.owner_id,
                                              _owner(account)), key) for name in value or []]
            edit.taxes = [(t, target.catalog.tax_priority(conn, t))
                          for t in dict.fromkeys(tax_ids)]
        else:
            raise ValueError(f"{key} is not a field ASTPP's edit pages change")
    return edit


def _owner(account: AstppAccount) -> str:
    reseller = account.values.get("reseller")
    return f"reseller {reseller}" if reseller else "the admin"


def _found(result: tuple[int | None, str | None], key: str) -> int:
    found, why = result
    if why:
        raise ValueError(f"{key}: {why}")
    return found


def apply_edits(conn: Connection, edits: Iterable[Edit], now: datetime) -> int:
    """Write the edits: per chunk, one UPDATE for each set of changed columns and one DELETE
    and one INSERT for the tax links. Returns the number of statements run."""
    now = naive_utc(now)
    statements = 0
    pending = [e for e in edits if e.columns or e.taxes is not None]
    for start in range(0, len(pending), CHUNK):
        chunk = pending[start:start + CHUNK]
        groups: dict[tuple[str, ...], list[Edit]] = {}
        for e in chunk:
            if e.columns:
                groups.setdefault(tuple(sorted(e.columns)), []).append(e)
        for columns, group in groups.items():
            conn.execute(*_update(columns, group))
            statements += 1
        relinked = [e for e in chunk if e.taxes is not None]
        if relinked:
            conn.execute(_in("DELETE FROM taxes_to_accounts WHERE accountid IN :ids", "ids"),
                         {"ids": [e.account_id for e in relinked]})
            statements += 1
            links = [{"a": e.account_id, "t": t, "p": p, "d": now}
                     for e in relinked for t, p in e.taxes]
            if links:  # PyMySQL sends these as one multi-row INSERT
                conn.execute(sa.text(
                    "INSERT INTO taxes_to_accounts (accountid, taxes_id, taxes_priority, "
                    "assign_date) VALUES (:a, :t, :p, :d)"), links)
                statements += 1
    return statements


def _update(columns: tuple[str, ...], edits: list[Edit]) -> tuple[sa.TextClause, dict]:
    """UPDATE accounts joined to a derived table of (id, new values): one statement for many
    accounts (PyMySQL's executemany would send one UPDATE per account)."""
    unknown = set(columns) - WRITABLE
    if unknown:
        raise ValueError(f"not an accounts column update writes: {sorted(unknown)}")
    params: dict[str, Any] = {}
    selects = []
    for i, e in enumerate(edits):
        params[f"i{i}"] = e.account_id
        parts = [f":i{i} AS id" if i == 0 else f":i{i}"]
        for j, column in enumerate(columns):
            params[f"v{i}_{j}"] = e.columns[column]
            parts.append(f":v{i}_{j} AS `{column}`" if i == 0 else f":v{i}_{j}")
        selects.append("SELECT " + ", ".join(parts))
    assignments = ", ".join(f"a.`{c}` = v.`{c}`" for c in columns)
    sql = (f"UPDATE accounts a JOIN ({' UNION ALL '.join(selects)}) v ON a.id = v.id "
           f"SET {assignments}")
    return sa.text(sql), params


def stored_changes(target: Any, account: AstppAccount, edit: Edit,
                   changes: Mapping[str, Any]) -> dict[str, Any]:
    """The new values as ASTPP stores them, by field key (the audit's "new" and the output):
    a credit limit in the base currency, dates in whole UTC seconds."""
    stored = dict(changes)
    cols = edit.columns
    if "credit_limit" in changes:
        stored["credit_limit"] = money(cols["credit_limit"])
    if "expiry" in cols:
        stored["expiry"] = cols["expiry"].replace(tzinfo=UTC)
    if "validfordays" in cols:
        stored["valid_days"] = cols["validfordays"]
    if "notify_email" in changes:
        stored["notify_email"] = cols["notification_email"] or None
    return stored


