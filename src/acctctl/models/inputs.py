"""The field catalogue: one non-table SQLModel per kind, every rule of contract §2 once.

Flags, interactive answers and file rows are all validated by these models. Each field carries
its metadata (label, form group and order, help, where its default comes from), so the CLI
flags, the wizard, the CSV template and the docs are derived from here, not listed by hand.
A new kind adds a model and a line in KINDS; a new field adds one attribute here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal
from functools import cache
from typing import Any, ClassVar

from pydantic import ConfigDict, SecretStr, ValidationError, ValidationInfo, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError
from sqlmodel import Field, SQLModel

from acctctl.models import rules
from acctctl.models.kinds import DEFAULT_ROLE as DEFAULT_ROLE
from acctctl.models.kinds import ROLE_SCOPE as ROLE_SCOPE

GROUPS = ("account", "profile", "billing", "alerts")


def field(
    default: Any = None,
    *,
    label: str,
    group: str,
    order: int,
    help: str,
    config_default: str | None = None,
    choices: tuple[str, ...] | None = None,
    source: str | None = None,
    flag: str | None = None,
    secret: bool = False,
    required: bool = False,
    file_only: bool = False,
    essential: bool = False,
    suggested_by: str | None = None,
):
    """A model field plus the metadata every front end reads.

    config_default: dotted path into Settings that supplies the default when not given.
    choices / source: the wizard offers a list (fixed choices, or a database lookup).
    essential: the wizard asks it first; the other fields only after "Change other settings?"
    suggested_by: another field whose answer suggests this one's default (see suggestion).
    """
    extra = {
        "label": label,
        "group": group,
        "order": order,
        "help": help,
        "config_default": config_default,
        "choices": choices,
        "source": source,
        "flag": flag,
        "secret": secret,
        "file_only": file_only,  # accepted in file rows only: no flag, no question
        "essential": essential,
        "suggested_by": suggested_by,
    }
    if required:
        return Field(description=help, schema_extra={"json_schema_extra": extra})
    return Field(default=default, description=help, schema_extra={"json_schema_extra": extra})


def role_field(help: str):
    return field(label="Role", group="account", order=35, source="roles", help=help)


class AccountInput(SQLModel):
    """Fields every kind has (admins and sub-admins have only these and a role)."""

    # A model's validator is built when it first validates, not when it is declared: a
    # command builds the one of the kind it creates, not all of them.
    model_config = ConfigDict(defer_build=True)

    kind: ClassVar[str] = ""
    numeric_number: ClassVar[bool] = True
    expires_by_default: ClassVar[bool] = False

    number: rules.LoginNumber | None = field(
        label="Account number", group="account", order=10,
        help="Login name: letters, digits, '.', '_', '-' (1-20 characters), unique among "
        "all accounts; generated (digits) when omitted",
    )
    password: rules.Password | None = field(
        label="Password", group="account", order=20, secret=True,
        help="Portal password (8-128 chars, a letter and a digit); generated when omitted",
    )
    password_hash: rules.PasswordHash | None = field(
        label="Password hash", group="account", order=25, secret=True, file_only=True,
        help="An argon2id or bcrypt PHC string, for migrating existing accounts",
    )
    first_name: rules.text(40, min_len=1) = field(
        label="First name", group="profile", order=110, required=True, essential=True,
        help="First name (1-40 characters)",
    )
    last_name: rules.text(40) = field(
        "", label="Last name", group="profile", order=120, essential=True,
        help="Last name (at most 40)",
    )
    email: rules.Email | None = field(
        label="Email", group="profile", order=130, essential=True,
        help="Login email, unique among accounts (case-insensitive)",
    )
    country: rules.Country = field(
        label="Country", group="profile", order=200, config_default="defaults.country",
        essential=True,
        source="countries", help="ISO 3166 alpha-2/alpha-3 code or English name",
    )
    telephone: rules.Telephone | None = field(
        label="Telephone", group="profile", order=210, essential=True,
        help="Phone number, parsed for the account's country, stored as E.164",
    )
    timezone: rules.Timezone = field(
        label="Time zone", group="profile", order=220, config_default="defaults.timezone",
        source="timezones", essential=True, suggested_by="country",
        help="IANA time zone name, e.g. Europe/Paris",
    )
    status: rules.Status = field(
        "active", label="Status", group="account", order=40, choices=("active", "inactive"),
        help="active or inactive",
    )
    expiry: rules.Expiry | None = field(
        label="Expiry", group="account", order=60,
        help="ISO 8601 date or date-time in the future (no offset = UTC)",
    )
    valid_days: rules.whole(1, 36500) | None = field(
        label="Valid days", group="account", order=70,
        help="Days the account is valid (1-36500); sets expiry = creation + days",
    )

    # --- defaults from configuration, before field validation -----------------------------
    @model_validator(mode="before")
    @classmethod
    def _apply_config_defaults(cls, data: Any, info: ValidationInfo) -> Any:
        if not isinstance(data, dict):
            return data
        settings = rules.rule_context(info).cfg
        filled = dict(data)
        for key, spec in field_specs(cls).items():
            path = spec["config_default"]
            if path and filled.get(key) is None:
                filled[key] = config_value(settings, path)
        return filled

    # --- cross-field rules and derived values, after every field passed --------------------
    @model_validator(mode="after")
    def _cross_fields(self, info: ValidationInfo) -> AccountInput:
        ctx = rules.rule_context(info)
        problems = cross_field_problems(type(self), self.__dict__)
        if problems:
            raise ValidationError.from_exception_data(
                type(self).__name__,
                [
                    InitErrorDetails(
                        type=PydanticCustomError("cross_field", message),
                        loc=(key,),
                        input=self.__dict__.get(key),
                    )
                    for key, message in problems
                ],
            )
        derive_values(self, ctx)
        return self


class BillingInput(AccountInput):
    """Customers, providers and resellers: the billing form on top of the common fields."""

    number: rules.DigitNumber | None = field(
        label="Account number", group="account", order=10,
        help="Account number (digits, at most numbers.length); generated when omitted",
    )
    company: rules.text(40) = field(
        "", label="Company", group="profile", order=140, essential=True,
        help="Company (at most 40)",
    )
    notify_email: rules.Email | None = field(
        label="Notification email", group="alerts", order=430,
        help="Where low-balance alerts go (default: the login email)",
    )
    address: rules.text(80) = field(
        "", label="Address", group="profile", order=150, help="Address (at most 80)",
    )
    city: rules.text(20) = field("", label="City", group="profile", order=160, help="City")
    province: rules.text(20) = field(
        "", label="Province", group="profile", order=170, help="Province or state",
    )
    postal_code: rules.text(12) = field(
        "", label="Postal code", group="profile", order=180, help="Postal code (at most 12)",
    )
    currency: rules.Currency = field(
        label="Currency", group="billing", order=340, config_default="defaults.currency",
        source="currencies", essential=True, suggested_by="country", help="ISO 4217 currency code",
    )
    max_channels: rules.whole(0) = field(
        label="Max channels", group="account", order=50, config_default="defaults.max_channels",
        help="Concurrent outbound calls; 0 = unlimited",
    )
    cps: rules.whole(0) = field(
        0, label="Calls per second", group="account", order=55,
        help="Calls per second; 0 = unlimited",
    )
    number_translation: rules.NumberTranslation = field(
        "", label="Number translation", group="account", order=58,
        help='Comma-separated match/replace rules, e.g. "011/,0/91,*/1234"',
    )
    rate_group: rules.Name = field(
        label="Rate group", group="billing", order=310, config_default="defaults.rate_group",
        source="rate_groups", essential=True, help="An active rate group of the account's owner",
    )
    billing_schedule: rules.BillingSchedule = field(
        "monthly", label="Billing schedule", group="billing", order=320,
        choices=("monthly", "weekly", "daily"), help="daily, weekly or monthly",
    )
    billing_day: rules.whole(1, 28) | None = field(
        label="Billing day", group="billing", order=330,
        help="monthly: 1-28; weekly: 1-7 (1 = Monday); not with daily",
    )
    account_type: rules.AccountType = field(
        "prepaid", label="Account type", group="billing", order=350, essential=True,
        choices=("prepaid", "postpaid"), help="prepaid or postpaid (cannot change later)",
    )
    credit_limit: rules.Money = field(
        Decimal(0), label="Credit limit", group="billing", order=360, essential=True,
        help="Decimal >= 0; only for postpaid accounts",
    )
    taxes: rules.NameList = field(
        label="Taxes", group="billing", order=370, config_default="defaults.taxes",
        source="taxes", flag="--tax", help="Tax name (repeat for several)",
    )
    low_balance_alert: rules.Money = field(
        label="Low balance alert", group="alerts", order=410,
        config_default="defaults.low_balance_alert", help="Alert when the balance drops below",
    )
    email_alerts: bool = field(
        label="Email alerts", group="alerts", order=420, config_default="defaults.email_alerts",
        help="Send low-balance alerts by email (needs an email)",
    )
    reseller: rules.AccountReference | None = field(
        label="Reseller", group="account", order=5, source="resellers", essential=True,
        help="Number of the active reseller that owns the account (default: the admin)",
    )


class CustomerInput(BillingInput):
    kind: ClassVar[str] = "customer"
    expires_by_default: ClassVar[bool] = True

    pin: rules.Pin | None = field(
        label="PIN", group="account", order=30,
        help="Calling-card PIN (numbers.pin_length digits); generated when numbers.generate_pin",
    )
    sip_device: bool = field(
        label="Create SIP device", group="account", order=80,
        config_default="defaults.create_sip_device",
        help="Create a SIP device (username = number, its own secret)",
    )
    sip_password: rules.SipSecret | None = field(
        label="SIP password", group="account", order=85, secret=True, file_only=True,
        help="The SIP device's secret, for migrating accounts (default: generated)",
    )


class ProviderInput(CustomerInput):
    kind: ClassVar[str] = "provider"


class ResellerInput(BillingInput):
    kind: ClassVar[str] = "reseller"

    role: rules.Name | None = role_field("A reseller role (default: the seeded 'reseller' role)")


class AdminInput(AccountInput):
    kind: ClassVar[str] = "admin"

    email: rules.RequiredEmail = field(
        label="Email", group="profile", order=130, required=True, essential=True,
        help="Login email (required), unique among accounts",
    )
    role: rules.Name | None = role_field("An admin role (default: the seeded role for this kind)")


class SubadminInput(AdminInput):
    kind: ClassVar[str] = "subadmin"


#: Every kind, its input model, and the seeded role it defaults to.
KINDS: dict[str, type[AccountInput]] = {
    m.kind: m for m in (CustomerInput, ProviderInput, ResellerInput, AdminInput, SubadminInput)
}


# --- metadata helpers -----------------------------------------------------------------------


@cache
def field_specs(model: type[AccountInput]) -> dict[str, dict]:
    """key -> metadata, in form order (group, then order). Cached and shared: read only."""
    specs = {}
    for key, info in model.model_fields.items():
        extra = dict(info.json_schema_extra or {})
        extra["required"] = info.is_required()
        extra.setdefault("flag", None)
        extra["flag"] = extra["flag"] or "--" + key.replace("_", "-")
        extra["annotation"] = info.annotation
        specs[key] = extra
    return dict(
        sorted(specs.items(), key=lambda kv: (GROUPS.index(kv[1]["group"]), kv[1]["order"]))
    )


def field_default(model: type[AccountInput], key: str, settings: Any) -> Any:
    """What a field is when it is not given: its configured default, else the model's own
    (None for a required field). Values derived from other fields (expiry, billing day,
    notification email) are computed at validation, see derive_values."""
    info = model.model_fields[key]
    path = (info.json_schema_extra or {}).get("config_default")
    if path:
        return config_value(settings, path)
    return None if info.is_required() else info.get_default(call_default_factory=True)


def config_value(settings: Any, path: str) -> Any:
    value = settings
    for part in path.split("."):
        value = getattr(value, part)
    return list(value) if isinstance(value, list) else value


def flag_for(kind: str, key: str) -> str:
    spec = field_specs(KINDS[kind]).get(key)
    if spec is None or spec["file_only"]:
        return key
    return "--password-file/--password-stdin" if key == "password" else spec["flag"]


def missing_required(kind: str, given: dict, settings: Any) -> list[str]:
    """Keys that are required and neither given nor supplied by configuration."""
    missing = []
    for key, spec in field_specs(KINDS[kind]).items():
        if given.get(key) is not None:  # given, even as "": then its rule judges it
            continue
        if spec["required"]:
            missing.append(key)
        elif spec["config_default"]:
            if config_value(settings, spec["config_default"]) in ("", None):
                missing.append(key)
    return missing


def suggestion(model: type[AccountInput], key: str, values: Mapping[str, Any],
               settings: Any) -> Any:
    """A default suggested by another answer (``suggested_by``): a country's main time zone
    and its currency. None when nothing is suggested: the country is the configured default
    one (whose time zone and currency are the configured ones), or the configuration sets the
    field's default explicitly (an operator's `[defaults]` beats a guess)."""
    spec = field_specs(model).get(key) or {}
    source = spec.get("suggested_by")
    if source != "country" or not values.get(source):
        return None
    if values[source] == settings.defaults.country:  # the configured defaults go together
        return None
    path = spec["config_default"]
    if path:
        section, name = path.split(".")
        if name in getattr(settings, section).model_fields_set:
            return None
    from acctctl.models import codes

    country = str(values[source])
    return codes.country_timezone(country) if key == "timezone" else codes.country_currency(country)


# --- cross-field rules ----------------------------------------------------------------------




#: Fields that exclude each other: give one or the other (on the command line, both is a
#: usage error; in a file row or an answer, a rule error on the second).
EXCLUSIVE = (("expiry", "valid_days"),)


#: Fields whose rules read other fields. When one of those failed, the field is not judged
#: again: a bad country does not also make the telephone "not valid for region US". When the
#: rule fails, the wizard asks these fields again with it: answering any of them differently
#: can satisfy it (email alerts without an address asks for the email).
DEPENDS_ON: dict[str, tuple[str, ...]] = {
    "telephone": ("country",),
    "password": ("number", "email"),
    "credit_limit": ("account_type",),
    "billing_day": ("billing_schedule",),
    "email_alerts": ("email", "notify_email"),
}


def judged(key: str, failed: set[str]) -> bool:
    """Whether a problem of `key` is worth reporting when the fields in `failed` failed."""
    return not failed.intersection(DEPENDS_ON.get(key, ()))


def not_applicable(key: str, values: Mapping[str, Any]) -> str | None:
    """Why `key` has no place given the other values, or None when it has one.

    The wizard skips such a question; cross_field_problems reports such a value that is
    given anyway. One statement of each dependency, for both.
    """
    if key == "credit_limit" and values.get("account_type") == "prepaid":
        return "applies to postpaid accounts only"
    if key == "billing_day" and values.get("billing_schedule") == "daily":
        return "is not used with a daily billing schedule"
    for first, second in EXCLUSIVE:
        if key == first and values.get(second) not in (None, ""):
            return f"is set by {second.replace('_', ' ')}"
    return None


def cross_field_problems(model: type[AccountInput], values: dict) -> list[tuple[str, str]]:
    """Rules that involve two fields. Tolerates missing keys so that it can also run on the
    fields that did pass when others failed (every problem is reported at once)."""
    problems: list[tuple[str, str]] = []
    if values.get("password") is not None and values.get("password_hash") is not None:
        problems.append(("password_hash", "give either password or password_hash, not both"))
    for first, second in EXCLUSIVE:
        if values.get(first) is not None and values.get(second) is not None:
            problems.append((second, f"cannot be combined with --{first.replace('_', '-')}; "
                                     "give one of them"))
    password = values.get("password")
    if isinstance(password, SecretStr):
        clash = rules.password_clash(
            password.get_secret_value(), values.get("number"), values.get("email")
        )
        if clash:
            problems.append(("password", clash))
    if values.get("sip_password") is not None and values.get("sip_device") is False:
        problems.append(("sip_password", "needs a SIP device (sip_device true)"))
    if issubclass(model, BillingInput):
        if not_applicable("credit_limit", values) and (values.get("credit_limit") or 0) != 0:
            problems.append(
                ("credit_limit", "must be 0 on a prepaid account (it applies to postpaid only)")
            )
        schedule, day = values.get("billing_schedule"), values.get("billing_day")
        if day is not None:
            if not_applicable("billing_day", values):
                problems.append(("billing_day", "is not allowed with a daily billing schedule"))
            elif schedule == "weekly" and not 1 <= day <= 7:
                problems.append(("billing_day", f"must be 1-7 (1 = Monday) for weekly, got {day}"))
        if values.get("email_alerts") and not (values.get("email") or values.get("notify_email")):
            problems.append(("email_alerts", "need an --email or --notify-email to send alerts to"))
    return problems


def derive_values(account: AccountInput, ctx: rules.RuleContext) -> None:
    """Defaults that depend on other fields or on the moment of creation."""
    values = account.__dict__
    if values.get("expiry") is None:
        days = values.get("valid_days")
        if days is None and account.expires_by_default:
            days = ctx.cfg.defaults.valid_days
        values["valid_days"] = days
        values["expiry"] = ctx.now + timedelta(days=days) if days else None
    if isinstance(account, BillingInput):
        if values.get("notify_email") is None:
            values["notify_email"] = values.get("email")
        if values.get("billing_day") is None:
            schedule = values["billing_schedule"]
            if schedule == "monthly":
                values["billing_day"] = min(ctx.now.day, 28)
            elif schedule == "weekly":
                values["billing_day"] = ctx.now.isoweekday()
