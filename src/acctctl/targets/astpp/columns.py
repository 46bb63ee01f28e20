"""The rows ASTPP's own "Create Account" code writes, per kind, column by column.

Source of every value: ../shared/reference/astpp-interop.md §2 (observed by running ASTPP's
unmodified create code). Read a row of ACCOUNTS as: column, then its value for customers and
providers, for resellers, for admins and sub-admins. ``F(key)`` is the validated field,
``cfg(name)`` ASTPP's ``system`` setting, ``D.attr`` a value resolved for this account
(look-up ids, clock, encoded password). Every NOT NULL column is written explicitly, so the
rows are the same under strict and non-strict ``sql_mode``.

Two ASTPP bugs are deliberately not reproduced (contract §8): a sub-admin keeps the role it
was given (ASTPP stores 0), and tax links are written for the taxes given, not for the
unchecked ids of ``system.tax_type``.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

ZERO_DATE = "0000-00-00 00:00:00"  # ASTPP's "never" / "not yet" (first_used, reseller expiry)
NO_DATE = "1000-01-01 00:00:00"  # the deleted_date column default

TYPE = {"customer": 0, "reseller": 1, "admin": 2, "provider": 3, "subadmin": 4}
KIND_OF_TYPE = {-1: "admin", **{v: k for k, v in TYPE.items()}}
SWEEP = {"daily": 0, "weekly": 1, "monthly": 2}  # sweeplist ids; 6.0 seeds only 0 and 2
SCHEDULE_OF_SWEEP = {v: k for k, v in SWEEP.items()}


@dataclass
class Draft:
    """One account to write: the validated input plus everything resolved for it."""

    kind: str
    model: Any  # the kind's validated input model
    cfg: dict[str, str]  # ASTPP's system settings, as ASTPP reads them
    now: datetime  # naive UTC, whole seconds: creation = last_bill_date = assign_date
    password: str  # ASTPP-encoded portal password
    reseller_id: int = 0
    pricelist_id: int = 0
    permission_id: int = 0
    country_id: int = 0
    timezone_id: int = 0
    currency_id: int = 0
    sweep_id: int = 0
    credit_limit: Decimal = Decimal(0)  # already in ASTPP's base currency
    is_distributor: int = 0
    expiry: datetime | str = ZERO_DATE
    valid_days: int = 0
    taxes: list[tuple[int, int]] = field(default_factory=list)  # (taxes.id, taxes_priority)
    account_id: int | None = None  # set once the accounts row is in


def F(key: str, default: Any = "") -> Callable[[Draft], Any]:
    """The validated field ``key`` (absent or None: ``default``)."""
    return lambda d: _or(getattr(d.model, key, None), default)


def cfg(name: str) -> Callable[[Draft], Any]:
    return lambda d: d.cfg.get(name, "")


def _or(value: Any, default: Any) -> Any:
    return default if value is None else value


def _status(d: Draft) -> int:
    return 0 if d.model.status == "active" else 1


def _notification_email(d: Draft) -> str:
    return getattr(d.model, "notify_email", None) or d.model.email or ""


# column, customer / provider, reseller, admin / subadmin
ACCOUNTS: list[tuple[str, Any, Any, Any]] = [
    ("number", F("number"), F("number"), F("number")),
    ("reseller_id", lambda d: d.reseller_id, lambda d: d.reseller_id, 0),
    ("pricelist_id", lambda d: d.pricelist_id, lambda d: d.pricelist_id, 0),
    ("paypal_permission", cfg("paypal_permission"), cfg("paypal_permission"),
     cfg("paypal_permission")),
    ("reference", "", "", ""),
    ("status", _status, _status, _status),
    ("sweep_id", lambda d: d.sweep_id, lambda d: d.sweep_id, 0),
    ("creation", lambda d: d.now, lambda d: d.now, lambda d: d.now),
    ("credit_limit", lambda d: d.credit_limit, lambda d: d.credit_limit, 0),
    ("posttoexternal", lambda d: int(d.model.account_type == "postpaid"),
     lambda d: int(d.model.account_type == "postpaid"), 0),
    ("balance", 0, 0, 0),
    ("password", lambda d: d.password, lambda d: d.password, lambda d: d.password),
    ("first_name", F("first_name"), F("first_name"), F("first_name")),
    ("last_name", F("last_name"), F("last_name"), F("last_name")),
    ("company_name", F("company"), F("company"), ""),
    ("address_1", F("address"), F("address"), ""),
    ("address_2", "", "", ""),
    ("postal_code", F("postal_code"), F("postal_code"), ""),
    ("province", F("province"), F("province"), ""),
    ("city", F("city"), F("city"), ""),
    ("country_id", lambda d: d.country_id, lambda d: d.country_id,
     lambda d: d.country_id),  # admin: system country; sub-admin: 0 (resolved in target)
    ("telephone_1", F("telephone"), F("telephone"), F("telephone")),
    ("telephone_2", "", "", ""),
    ("email", F("email"), F("email"), F("email")),
    ("notification_email", _notification_email, _notification_email, _notification_email),
    ("language_id", 0, 0, 0),
    ("currency_id", lambda d: d.currency_id, lambda d: d.currency_id, lambda d: d.currency_id),
    ("maxchannels", F("max_channels"), F("max_channels"), 1),
    ("cps", F("cps"), F("cps"), 0),
    ("dialed_modify", F("number_translation"), F("number_translation"), ""),
    ("type", lambda d: TYPE[d.kind], lambda d: TYPE[d.kind], lambda d: TYPE[d.kind]),
    ("timezone_id", lambda d: d.timezone_id, lambda d: d.timezone_id, lambda d: d.timezone_id),
    ("inuse", 0, 0, 0),
    ("deleted", 0, 0, 0),
    ("notify_credit_limit", F("low_balance_alert"), F("low_balance_alert"),
     cfg("notify_credit_limit")),
    ("notify_flag", lambda d: 0 if d.model.email_alerts else 1,
     lambda d: 0 if d.model.email_alerts else 1, cfg("notify_flag")),
    ("notify_email", "", "", ""),
    ("commission_rate", 0, 0, 0),
    ("invoice_day", F("billing_day", 0), F("billing_day", 0), 0),
    ("invoice_interval", 0, 0, 0),
    ("invoice_note", "", "", ""),
    ("last_bill_date", lambda d: d.now, lambda d: d.now, lambda d: d.now),
    ("pin", F("pin"), "", ""),
    ("first_used", ZERO_DATE, ZERO_DATE, ZERO_DATE),
    ("expiry", lambda d: d.expiry, lambda d: d.expiry, lambda d: d.expiry),
    ("validfordays", lambda d: d.valid_days, lambda d: d.valid_days, lambda d: d.valid_days),
    ("local_call_cost", cfg("charge_per_min"), cfg("charge_per_min"), cfg("charge_per_min")),
    ("pass_link_status", 0, 0, 0),
    ("local_call", 0, 1, 1),
    ("charge_per_min", cfg("charge_per_min"), cfg("charge_per_min"), cfg("charge_per_min")),
    ("is_recording", cfg("is_recording"), cfg("is_recording"), cfg("is_recording")),
    ("allow_ip_management", cfg("allow_ip_management"), cfg("allow_ip_management"),
     cfg("allow_ip_management")),
    ("permission_id", 0, lambda d: d.permission_id, lambda d: d.permission_id),
    ("deleted_date", NO_DATE, NO_DATE, NO_DATE),
    ("localization_id", 0, 0, 0),
    # an admin creating a provider gets notifications off (1), as ASTPP's form pre-fills
    ("notifications", lambda d: 1 if d.kind == "provider" else d.cfg.get("notifications", "0"),
     cfg("notifications"), cfg("notifications")),
    ("is_distributor", 1, lambda d: d.is_distributor, 1),
    ("generate_invoice", cfg("generate_invoice"), cfg("generate_invoice"),
     cfg("generate_invoice")),
    ("std_cid_translation", "", "", ""),
    ("did_cid_translation", "", "", ""),
    ("tax_number", "", "", None),
]

#: The width of every text column acctctl writes from user input: ASTPP's limits.
WIDTHS = {
    "number": 20, "first_name": 40, "last_name": 40, "company_name": 40, "address_1": 80,
    "postal_code": 12, "province": 20, "city": 20, "telephone_1": 20, "email": 80,
    "notification_email": 80, "pin": 20,
}
#: Field key -> the accounts column it is stored in (for messages naming the field).
COLUMN_OF_FIELD = {
    "number": "number", "first_name": "first_name", "last_name": "last_name",
    "company": "company_name", "address": "address_1", "postal_code": "postal_code",
    "province": "province", "city": "city", "telephone": "telephone_1", "email": "email",
    "notify_email": "notification_email", "pin": "pin",
}

_GROUP = {"customer": 1, "provider": 1, "reseller": 2, "admin": 3, "subadmin": 3}


def account_row(d: Draft) -> dict[str, Any]:
    column = _GROUP[d.kind]
    row = {}
    for entry in ACCOUNTS:
        value = entry[column]
        row[entry[0]] = value(d) if callable(value) else value
    return row


def device_secret(row: dict[str, Any]) -> str:
    """The secret of a sip_device_row() (its dir_params' "password")."""
    return json.loads(row["dir_params"])["password"]


def sip_device_row(d: Draft, secret: str, sip_profile_id: int) -> dict[str, Any]:
    """ASTPP's SIP device, except that its password is its own secret (never the portal one)."""
    number = d.model.number
    params = {
        "password": secret,
        "vm-enabled": "true",
        "vm-password": 10000 + secrets.randbelow(90000),  # an integer, as PHP's rand writes
        "vm-mailto": d.model.email or "",
        "vm-attach-file": "true",
        "vm-keep-local-after-email": "true",
        "vm-email-all-messages": "true",
    }
    variables = {"effective_caller_id_name": number, "effective_caller_id_number": number,
                 "user_context": "default"}
    return {
        "username": number,
        "sip_profile_id": sip_profile_id,
        "reseller_id": d.reseller_id,
        "accountid": d.account_id,
        "dir_params": php_json(params),
        "dir_vars": php_json(variables),
        "codec": "",
        "status": _status(d),
        "creation_date": d.now,
        "last_modified_date": d.now,
        "call_waiting": 0,
    }


def tax_rows(d: Draft) -> list[dict[str, Any]]:
    return [{"accountid": d.account_id, "taxes_id": tax_id, "taxes_priority": priority,
             "assign_date": d.now} for tax_id, priority in d.taxes]


def invoice_conf_row(d: Draft) -> dict[str, Any]:
    """A reseller's invoice configuration ("Use same credential for Invoice Config" = Yes)."""
    m = d.model
    row = {
        "accountid": d.account_id,
        "company_name": m.company or m.first_name,
        "address": m.address,
        "city": m.city,
        "province": m.province,
        "country": str(d.country_id),  # the countrycode id, as a string
        "zipcode": m.postal_code,
        "telephone": m.telephone or "",
        "emailaddress": m.email or "",
    }
    for column in INVOICE_CONF_EMPTY:
        row[column] = ""
    return row


#: NOT NULL invoice_conf columns ASTPP leaves to non-strict MySQL ('').
INVOICE_CONF_EMPTY = ("fax", "website", "logo", "favicon", "invoice_note", "interval",
                      "domain", "website_title", "website_footer")


def php_json(value: dict) -> str:
    """PHP's json_encode: compact, non-ASCII as \\uXXXX, '/' escaped as '\\/'."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=True).replace("/", "\\/")


#: What the fingerprint requires: every column acctctl writes, per table.
WRITTEN_COLUMNS = {
    "accounts": [entry[0] for entry in ACCOUNTS],
    "sip_devices": ["username", "sip_profile_id", "reseller_id", "accountid", "dir_params",
                    "dir_vars", "codec", "status", "creation_date", "last_modified_date",
                    "call_waiting"],
    "taxes_to_accounts": ["accountid", "taxes_id", "taxes_priority", "assign_date"],
    "invoice_conf": ["accountid", "company_name", "address", "city", "province", "country",
                     "zipcode", "telephone", "emailaddress", *INVOICE_CONF_EMPTY],
}
