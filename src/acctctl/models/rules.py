"""Field rules: one function per rule, wrapped as Annotated types the input models use.

Every rule of contract §2 that concerns a single value lives here, exactly once. Rules that
depend on configuration (number length, PIN length, password minimum) read it from the
validation context (`RuleContext`), so flags, prompts and file rows share them.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, SecretStr, ValidationInfo

# reference codes live in a leaf module that config.py uses too: no import cycle between them
from acctctl.models.codes import SHOWN_MAX as SHOWN_MAX
from acctctl.models.codes import iana_zone_names as iana_zone_names
from acctctl.models.codes import normalise_country, normalise_currency, normalise_timezone, shown
from acctctl.models.text import BIDI_CONTROLS as BIDI_CONTROLS
from acctctl.models.text import control_problem as control_problem


@dataclass(frozen=True)
class RuleContext:
    """What the rules need besides the value: configuration and the moment of creation."""

    settings: Any = None  # acctctl.config.Settings; Any keeps this module import-light
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    answers: dict = field(default_factory=dict)  # earlier answers, for per-field checks

    @property
    def cfg(self):
        if self.settings is None:
            from acctctl.config import Settings

            object.__setattr__(self, "settings", Settings())
        return self.settings


def rule_context(info: ValidationInfo | None) -> RuleContext:
    ctx = (info.context or {}) if info is not None else {}
    found = ctx.get("rules") if isinstance(ctx, dict) else None
    return found if isinstance(found, RuleContext) else RuleContext()


# --- text -----------------------------------------------------------------------------------


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


#: What a spreadsheet runs as a formula when a cell starts with it (CSV/formula injection).
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def _no_control_chars(value: str) -> str:
    problem = control_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _no_formula_lead(value: str) -> str:
    if value.startswith(FORMULA_LEADS):
        raise ValueError(
            f"must not start with {value[0]!r}: it would be read as a spreadsheet formula"
        )
    return value


def check_free_text(value: str) -> str:
    """Every stored free text: no control or bidi characters, no formula lead."""
    return _no_formula_lead(_no_control_chars(value))


def text(max_len: int, min_len: int = 0):
    """A trimmed single-line free text of at most `max_len` characters."""

    def check(value: str) -> str:
        check_free_text(value)
        if len(value) < min_len:
            raise ValueError("is required" if min_len == 1 else f"needs at least {min_len} chars")
        if len(value) > max_len:
            raise ValueError(f"must be at most {max_len} characters (got {len(value)})")
        return value

    return Annotated[str, BeforeValidator(_strip), AfterValidator(check)]


# --- account numbers and PINs ---------------------------------------------------------------


def check_digit_number(value: Any, info: ValidationInfo) -> str:
    value = str(value).strip()
    length = rule_context(info).cfg.numbers.length
    if not value.isascii() or not value.isdigit():
        raise ValueError("must contain digits only")
    if int(value) == 0:
        raise ValueError("must be greater than 0")
    if len(value) > length:
        raise ValueError(f"must have at most {length} digits (numbers.length), got {len(value)}")
    return value


_LOGIN_RE = re.compile(r"[A-Za-z0-9._-]{1,20}")


def check_login_number(value: Any) -> str:
    value = str(value).strip()
    if not _LOGIN_RE.fullmatch(value):
        raise ValueError("must be 1-20 characters of letters, digits, '.', '_' or '-'")
    return value


def check_pin(value: Any, info: ValidationInfo) -> str:
    value = str(value).strip()
    length = rule_context(info).cfg.numbers.pin_length
    if not value.isascii() or not value.isdigit():
        raise ValueError("must contain digits only")
    if len(value) != length:
        raise ValueError(f"must be exactly {length} digits (numbers.pin_length), got {len(value)}")
    return value


def check_account_reference(value: Any) -> str:
    """The number of an existing account: digits, whatever numbers.length is today."""
    value = str(value).strip()
    if not value.isascii() or not value.isdigit() or len(value) > 20:
        raise ValueError("must be the number of an existing account (digits)")
    return value


DigitNumber = Annotated[str, BeforeValidator(check_digit_number)]
AccountReference = Annotated[str, BeforeValidator(check_account_reference)]
LoginNumber = Annotated[str, BeforeValidator(check_login_number)]
Pin = Annotated[str, BeforeValidator(check_pin)]


# --- password -------------------------------------------------------------------------------

PASSWORD_MAX = 128


def check_password(value: Any, info: ValidationInfo) -> SecretStr:
    secret = value if isinstance(value, SecretStr) else SecretStr(str(value))
    raw = secret.get_secret_value()
    minimum = rule_context(info).cfg.passwords.min_length
    if len(raw) < minimum or len(raw) > PASSWORD_MAX:
        raise ValueError(f"must be {minimum}-{PASSWORD_MAX} characters long")
    if not any(c.isalpha() for c in raw) or not any(c in "0123456789" for c in raw):
        raise ValueError("must contain at least one letter and one digit")
    return secret


def password_clash(password: str, number: str | None, email: str | None) -> str | None:
    """The cross-field part of the password policy: not the number, not the email."""
    if number and password == number:
        return "must not be the same as the account number"
    if email and password.casefold() == email.casefold():
        return "must not be the same as the email address"
    return None


Password = Annotated[SecretStr, BeforeValidator(check_password)]

_ARGON2ID_RE = re.compile(
    r"\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]{11,}\$[A-Za-z0-9+/]{16,}"
)
_BCRYPT_RE = re.compile(r"\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}")


def check_password_hash(value: Any) -> SecretStr:
    raw = value.get_secret_value() if isinstance(value, SecretStr) else str(value).strip()
    if not (_ARGON2ID_RE.fullmatch(raw) or _BCRYPT_RE.fullmatch(raw)):
        raise ValueError("must be an argon2id ($argon2id$v=19$...) or bcrypt ($2b$...) PHC string")
    return SecretStr(raw)


PasswordHash = Annotated[SecretStr, BeforeValidator(check_password_hash)]

SIP_SECRET_MIN, SIP_SECRET_MAX = 8, 64  # 64: the column's size


def check_sip_secret(value: Any) -> SecretStr:
    """A SIP secret carried over from another system (`account export --with-secrets`)."""
    raw = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
    if not SIP_SECRET_MIN <= len(raw) <= SIP_SECRET_MAX:
        raise ValueError(f"must be {SIP_SECRET_MIN}-{SIP_SECRET_MAX} characters long")
    if not raw.isascii() or not raw.isprintable() or " " in raw:
        raise ValueError("must be printable ASCII without spaces")
    return SecretStr(raw)


SipSecret = Annotated[SecretStr, BeforeValidator(check_sip_secret)]


# --- email, phone ---------------------------------------------------------------------------


def check_email(value: Any) -> str:
    value = str(value).strip()
    if not value:  # not "must have an @-sign": there is nothing to judge
        raise ValueError("is empty: give an address, or leave it out for none")
    # legal, yet a spreadsheet would run "=x@y.z"
    return check_free_text(_normalized_email(value))


@functools.lru_cache(maxsize=256)
def _normalized_email(value: str) -> str:
    """email_validator's normal form (no DNS: the same answer every time). Cached: an update
    validates a stored account whose notify_email is its email, the same address twice."""
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(f"is not a valid email address: {exc}") from None


def check_required_email(value: Any) -> str:
    """The email of a kind that must have one (admin, subadmin): empty is "is required"."""
    if not str(value).strip():
        raise ValueError("is required")
    return check_email(value)


Email = Annotated[str, BeforeValidator(check_email)]
RequiredEmail = Annotated[str, BeforeValidator(check_required_email)]


_TELEPHONE_RE = re.compile(r"[0-9 +()./-]{1,40}")


def check_telephone(value: Any, info: ValidationInfo) -> str:
    import phonenumbers

    value = str(value).strip()
    if not _TELEPHONE_RE.fullmatch(value):
        # phonenumbers reads letters as keypad digits (030 abc -> 030 222): never guess
        raise ValueError(
            f"must be digits with optional spaces and + ( ) - . / (got {shown(value)}); "
            "letters are not read as keypad digits"
        )
    data = info.data or {}
    ctx = rule_context(info)
    region = data.get("country") or ctx.answers.get("country") or ctx.cfg.defaults.country
    region = normalise_country(region) if region else None
    try:
        parsed = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"is not a phone number: {exc}") from None
    if not phonenumbers.is_valid_number(parsed):
        raise ValueError(f"is not a valid phone number for region {region or 'unknown'}")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


Telephone = Annotated[str, BeforeValidator(check_telephone)]


# --- reference data: countries, currencies, time zones -------------------------------------


Country = Annotated[str, BeforeValidator(normalise_country)]
Currency = Annotated[str, BeforeValidator(normalise_currency)]
Timezone = Annotated[str, BeforeValidator(normalise_timezone)]


# --- choices --------------------------------------------------------------------------------


def choice(*allowed: str):
    def check(value: Any) -> str:
        lowered = str(value).strip().lower()
        if lowered not in allowed:
            raise ValueError(f"must be one of: {', '.join(allowed)} (got {shown(value)})")
        return lowered

    return Annotated[str, BeforeValidator(check)]


Status = choice("active", "inactive")
BillingSchedule = choice("daily", "weekly", "monthly")
AccountType = choice("prepaid", "postpaid")


# --- numbers, money, dates ------------------------------------------------------------------


INT_MAX = 2**31 - 1  # the largest INTEGER on every backend


def whole(minimum: int, maximum: int = INT_MAX):
    def check(value: Any) -> int:
        if isinstance(value, bool):
            raise ValueError("must be a whole number")
        if isinstance(value, int):
            number = value
        else:
            text_value = str(value).strip()
            if not re.fullmatch(r"[+-]?\d+", text_value):
                raise ValueError(f"must be a whole number (got {shown(value)})")
            if len(text_value.lstrip("+-").lstrip("0")) > len(str(INT_MAX)):
                # never int() it: Python refuses 4,300+ digits, and no such count is valid
                raise ValueError(f"must be at least {minimum} and at most {maximum} "
                                 f"(got a {len(text_value)}-digit number)")
            number = int(text_value)
        if number < minimum or number > maximum:
            raise ValueError(f"must be at least {minimum} and at most {maximum} (got {number})")
        return number

    return Annotated[int, BeforeValidator(check)]


_MONEY_RE = re.compile(r"\d{1,15}(\.\d{1,5})?")


def check_money(value: Any) -> Decimal:
    """Decimal >= 0 with at most 15 integer digits and 5 decimals, kept exact."""
    if isinstance(value, bool):
        raise ValueError("must be a decimal amount")
    if isinstance(value, Decimal) and value.is_finite() and (
        value.adjusted() >= 15 or value.as_tuple().exponent < -5
    ):
        # 1E+999999999 from a JSON file: never spell it out digit by digit
        raise ValueError("must be a decimal amount with at most 15 digits before and 5 "
                         f"after the point, got {shown(value)}")
    text_value = format(value, "f") if isinstance(value, Decimal) else str(value).strip()
    if text_value.startswith("-"):
        raise ValueError("must not be negative")
    if not _MONEY_RE.fullmatch(text_value):
        raise ValueError(
            f"must be a decimal amount with at most 15 digits before and 5 after the point, "
            f"no sign or separators (e.g. 99999.99999), got {shown(value)}"
        )
    try:
        amount = Decimal(text_value)
    except InvalidOperation:  # pragma: no cover - the regex already guarantees the form
        raise ValueError(f"is not a decimal amount: {value!r}") from None
    # one spelling per amount, so 5.00 and 5 read back identically on every backend
    return Decimal(format(amount.normalize(), "f")) if amount else Decimal(0)


Money = Annotated[Decimal, BeforeValidator(check_money)]


def check_tax_rate(value: Any) -> Decimal:
    """A tax's rate: a percentage, money-shaped (exact), from 0 to 100."""
    rate = check_money(value)
    if rate > 100:
        raise ValueError(f"must be a percentage from 0 to 100 (got {shown(value)})")
    return rate


#: A tax's fields (`tax create|update`): rate in percent, a fixed amount, and the order in
#: which taxes apply.
TaxRate = Annotated[Decimal, BeforeValidator(check_tax_rate)]
TaxAmount = Money
TaxPriority = whole(0)


def parse_moment(value: Any) -> datetime:
    """An ISO 8601 date (midnight) or date-time, no offset = UTC, as an aware UTC datetime.

    The one date rule of --expiry, --created-after and --since. ValueError (its message
    starts with the rule, without the field) for text that is not a date and for a moment UTC
    cannot hold: 0001-01-01T00:00:00+14:00 is before the first one, 9999-12-31T23:59:59-12:00
    after the last."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time.min)
    else:
        text_value = str(value).strip()
        try:
            moment = datetime.fromisoformat(text_value)
        except ValueError:
            raise ValueError(
                f"must be an ISO 8601 date or date-time such as 2030-12-31 or "
                f"2030-12-31T18:00:00+01:00, got {shown(value)}"
            ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError(
            f"is out of range: {shown(value)} in UTC is outside 0001-01-01T00:00:00Z .. "
            "9999-12-31T23:59:59Z"
        ) from None


def check_expiry(value: Any, info: ValidationInfo) -> datetime:
    moment = parse_moment(value)
    if moment <= rule_context(info).now:
        raise ValueError(f"must be in the future (got {moment.isoformat()})")
    return moment


Expiry = Annotated[datetime, BeforeValidator(check_expiry)]


# --- number translation ---------------------------------------------------------------------

TRANSLATION_MAX = 1000  # the column's size
_TRANSLATION_MATCH = re.compile(r"\*|[0-9*#+]+")
_TRANSLATION_REPLACE = re.compile(r"|\*|[0-9*#+]+")


def normalise_number_translation(value: Any) -> str:
    """`match/replace` rules, comma separated, each optionally in double quotes.

    match is `*` (prepend) or a prefix of 0-9 * # +; replace is empty (strip the prefix), `*`
    (strip) or digits and * # +. Stored as the unquoted rules joined by commas.
    """
    text_value = str(value).strip()
    if not text_value:
        return ""
    rules = []
    for position, raw in enumerate(text_value.split(","), start=1):
        rule = raw.strip()
        if len(rule) >= 2 and rule[0] == rule[-1] == '"':
            rule = rule[1:-1].strip()
        if rule.count("/") != 1:
            raise ValueError(
                f"rule {position} {shown(raw.strip())} must have the form match/replace"
            )
        match, replace = (part.strip() for part in rule.split("/"))
        if not match:
            raise ValueError(
                f"rule {position} {shown(raw.strip())} has an empty match; to prepend digits "
                f"write */{replace or 'PREFIX'}"
            )
        if not _TRANSLATION_MATCH.fullmatch(match):
            raise ValueError(
                f"rule {position}: match {shown(match)} must be * or a prefix of 0-9 * # +"
            )
        if not _TRANSLATION_REPLACE.fullmatch(replace):
            raise ValueError(
                f"rule {position}: replace {shown(replace)} must be empty, * or made of 0-9 * # +"
            )
        rules.append(f"{match}/{replace}")
    normalised = ",".join(rules)
    if len(normalised) > TRANSLATION_MAX:
        raise ValueError(f"must be at most {TRANSLATION_MAX} characters once normalised")
    return normalised


NumberTranslation = Annotated[str, BeforeValidator(normalise_number_translation)]


# --- lists ----------------------------------------------------------------------------------


def split_names(value: Any) -> list[str]:
    """Tax names: a list, or one string with names separated by ';' (CSV cells)."""
    if value is None:
        return []
    items = value if isinstance(value, list | tuple) else str(value).split(";")
    names = []
    for item in items:
        if not isinstance(item, str):
            raise ValueError(f"must be names (text), got {shown(item)}")
        name = item.strip()
        if name and name not in names:
            try:
                names.append(check_name(name))
            except ValueError as exc:
                raise ValueError(f"{shown(name)} {exc}") from None
    return names


NAME_MAX = 60


def check_name(value: str) -> str:
    """A catalog entry's name (rate group, tax, role) and the names accounts refer to."""
    check_free_text(value)
    if not value:
        raise ValueError("is required")
    if len(value) > NAME_MAX:
        raise ValueError(f"must be at most {NAME_MAX} characters (got {len(value)})")
    return value


NameList = Annotated[list[str], BeforeValidator(split_names)]
Name = Annotated[str, BeforeValidator(_strip), AfterValidator(check_name)]
RoleDescription = text(200)  # the roles.description column
