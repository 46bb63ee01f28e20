"""Pure rule and model tests: no database, no CLI."""

from __future__ import annotations

import string
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import phonenumbers
import pycountry
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from acctctl.config import Settings
from acctctl.errors import ValidationFailed
from acctctl.models import rules
from acctctl.models.rules import RuleContext
from acctctl.models.validate import validate_account, validate_field
from acctctl.service import secrets_

NOW = datetime(2030, 1, 15, 12, 0, tzinfo=UTC)


def ctx(**sections) -> RuleContext:
    return RuleContext(settings=Settings(**sections), now=NOW)


CTX = ctx()


def ok(key, value, kind="customer", context=CTX):
    good, result = validate_field(kind, key, value, context)
    assert good, (key, value, result)
    return result


def bad(key, value, kind="customer", context=CTX) -> str:
    good, message = validate_field(kind, key, value, context)
    assert not good, (key, value, message)
    return message


def fields_failing(kind: str, data: dict, context=CTX) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as info:
        validate_account(kind, data, context)
    return {e.field: e.message for e in info.value.errors}


# --- number ---------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["1", "42", "0000000001", "9999999999"])
def test_digit_number_valid(value):
    assert ok("number", value) == value


@pytest.mark.parametrize(
    ("value", "fragment"),
    [("12a4", "digits only"), ("0", "greater than 0"), ("000", "greater than 0"),
     ("12345678901", "at most 10"), ("-5", "digits only"), ("١٢٣", "digits only")],
)
def test_digit_number_invalid(value, fragment):
    assert fragment in bad("number", value)


def test_number_length_follows_config():
    short = ctx(numbers={"length": 4})
    assert ok("number", "1234", context=short) == "1234"
    assert "at most 4" in bad("number", "12345", context=short)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=string.digits, min_size=1, max_size=10))
def test_property_digit_numbers_accepted_iff_positive(value):
    good, result = validate_field("customer", "number", value, CTX)
    assert good is (int(value) > 0)
    if good:
        assert result == value


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=12).filter(lambda s: not s.strip().isdigit()))
def test_property_non_digit_numbers_rejected(value):
    good, _ = validate_field("customer", "number", value, CTX)
    assert not good


@pytest.mark.parametrize("value", ["admin", "ops.lead_2", "a-b", "X" * 20, "7"])
def test_login_number_valid(value):
    assert ok("number", value, kind="admin") == value


@pytest.mark.parametrize("value", ["", "x" * 21, "has space", "ünï", "a/b", "a@b"])
def test_login_number_invalid(value):
    bad("number", value, kind="admin")


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=string.ascii_letters + string.digits + "._-", min_size=1, max_size=20))
def test_property_login_numbers(value):
    assert ok("number", value, kind="subadmin") == value


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=1, max_value=12), st.text(alphabet=string.digits, max_size=4))
def test_property_generated_number(length, prefix):
    if prefix.startswith("0"):
        prefix = ""
    if len(prefix) >= length:
        with pytest.raises(ValueError):
            secrets_.generate_account_number(length, prefix)
        return
    number = secrets_.generate_account_number(length, prefix)
    assert len(number) == length and number.isdigit()
    assert number[0] != "0"
    assert number.startswith(prefix)
    # and it passes the number rule for that length
    assert ok("number", number, context=ctx(numbers={"length": length})) == number


def test_generated_numbers_default_shape_and_spread():
    numbers = {secrets_.generate_account_number(10) for _ in range(2000)}
    assert len(numbers) > 1990  # CSPRNG over 9e9 values: collisions are vanishingly rare
    assert all(len(n) == 10 and n[0] != "0" for n in numbers)
    assert {n[0] for n in numbers} == set("123456789")


# --- PIN ------------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=string.digits, min_size=1, max_size=10))
def test_property_pin_length(value):
    good, _ = validate_field("customer", "pin", value, CTX)
    assert good is (len(value) == 6)


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=4, max_value=12))
def test_property_pin_configured_length(length):
    context = ctx(numbers={"pin_length": length})
    pin = secrets_.generate_pin(length)
    assert ok("pin", pin, context=context) == pin
    bad("pin", pin + "1", context=context)
    bad("pin", pin[:-1], context=context)


@pytest.mark.parametrize("value", ["12a456", "12 456", "１２３４５６", "-12345"])
def test_pin_digits_only(value):
    assert "digits" in bad("pin", value)


def test_pin_length_never_below_four():
    with pytest.raises(ValueError):
        Settings(numbers={"pin_length": 3})


# --- password -------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["abcdefg1", "Pa55word", "x" * 127 + "1"])
def test_password_valid(value):
    assert ok("password", value).get_secret_value() == value


@pytest.mark.parametrize(
    ("value", "fragment"),
    [("abc1", "8-128"), ("x" * 128 + "1", "8-128"), ("abcdefgh", "letter and one digit"),
     ("12345678", "letter and one digit")],
)
def test_password_invalid(value, fragment):
    assert fragment in bad("password", value)


def test_password_min_length_from_config():
    context = ctx(passwords={"min_length": 12, "generated_length": 16})
    assert "12-128" in bad("password", "abcdefgh123", context=context)
    ok("password", "abcdefghi123", context=context)


def test_password_not_number_or_email():
    problems = fields_failing("customer", {"first_name": "A", "number": "1234567890",
                                           "password": "1234567890"})
    assert "password" in problems  # no letter anyway
    problems = fields_failing("admin", {"first_name": "A", "number": "abc12345",
                                        "password": "abc12345", "email": "a@example.com"})
    assert "same as the account number" in problems["password"]
    problems = fields_failing("admin", {"first_name": "A", "email": "ab1@example.com",
                                        "password": "AB1@example.com"})
    assert "same as the email" in problems["password"]


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=8, max_value=128))
def test_property_generated_password_passes_policy(length):
    password = secrets_.generate_password(length)
    assert len(password) == length
    ok("password", password)


def test_password_never_in_repr():
    model = validate_account("customer", {"first_name": "A", "password": "s3cretpass"}, CTX)
    assert "s3cretpass" not in repr(model)
    assert "s3cretpass" not in str(model.model_dump())


# --- names and text -------------------------------------------------------------------------


def test_first_name_trimmed_and_bounded():
    assert ok("first_name", "  Ada  ") == "Ada"
    assert ok("first_name", "x" * 40) == "x" * 40
    assert "at most 40" in bad("first_name", "x" * 41)
    assert "required" in bad("first_name", "   ")
    assert "control" in bad("first_name", "Ada\x07")
    assert "control" in bad("first_name", "Ada\nLovelace")


@pytest.mark.parametrize(
    ("key", "limit"),
    [("last_name", 40), ("company", 40), ("address", 80), ("city", 20), ("province", 20),
     ("postal_code", 12)],
)
def test_text_limits(key, limit):
    assert ok(key, "y" * limit) == "y" * limit
    bad(key, "y" * (limit + 1))


# --- email, phone ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["ada@example.com", "a.b+c@sub.example.org"])
def test_email_valid(value):
    assert ok("email", value) == value


@pytest.mark.parametrize("value", ["ada", "ada@", "@example.com", "a b@example.com",
                                   "ada@example..com"])
def test_email_invalid(value):
    assert "valid email" in bad("email", value)
    bad("notify_email", value)


def test_telephone_uses_country_as_region():
    model = validate_account("customer", {"first_name": "A", "country": "fr",
                                          "telephone": "01 42 68 53 00"}, CTX)
    assert model.telephone == "+33142685300"
    model = validate_account("customer", {"first_name": "A", "telephone": "(201) 555-0123"},
                             CTX)  # defaults.country = US
    assert model.telephone == "+12015550123"
    assert "valid phone" in fields_failing(
        "customer", {"first_name": "A", "telephone": "12"})["telephone"]
    assert "telephone" in fields_failing("customer", {"first_name": "A", "telephone": "abc"})


PHONE_REGIONS = sorted(
    r for r in phonenumbers.SUPPORTED_REGIONS
    if phonenumbers.example_number(r) is not None and pycountry.countries.get(alpha_2=r)
)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(PHONE_REGIONS), st.booleans())
def test_property_phone_e164(region, international):
    example = phonenumbers.example_number(region)
    expected = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
    style = (phonenumbers.PhoneNumberFormat.INTERNATIONAL if international
             else phonenumbers.PhoneNumberFormat.NATIONAL)
    written = phonenumbers.format_number(example, style)
    model = validate_account("admin", {"first_name": "A", "email": "a@example.com",
                                       "country": region, "telephone": written}, CTX)
    assert model.telephone == expected
    assert model.country == region


# --- reference values -----------------------------------------------------------------------


@pytest.mark.parametrize("value", ["DE", "de", "DEU", "deu", "Germany", "germany", " GERMANY "])
def test_country_any_form_to_alpha2(value):
    assert ok("country", value) == "DE"


@pytest.mark.parametrize("value", ["ZZ", "Atlantis", "", "D"])
def test_country_invalid(value):
    assert "country" in bad("country", value)


def test_timezone():
    assert ok("timezone", "Europe/Paris") == "Europe/Paris"
    assert ok("timezone", "europe/paris") == "Europe/Paris"
    assert "time zone" in bad("timezone", "Mars/Olympus")


def test_currency():
    assert ok("currency", "eur") == "EUR"
    assert ok("currency", " usd ") == "USD"
    assert "currency" in bad("currency", "EURO")
    assert "currency" in bad("currency", "XYZ")


@pytest.mark.parametrize(("key", "value", "expected"), [
    ("status", "Inactive", "inactive"), ("account_type", "POSTPAID", "postpaid"),
    ("billing_schedule", "weekly", "weekly"),
])
def test_choices(key, value, expected):
    assert ok(key, value) == expected
    assert "must be one of" in bad(key, "sometimes")


@pytest.mark.parametrize("key", ["max_channels", "cps"])
def test_non_negative_integers(key):
    assert ok(key, "0") == 0
    assert ok(key, "250") == 250
    assert "at least 0" in bad(key, "-1")
    assert "whole number" in bad(key, "1.5")
    assert "whole number" in bad(key, "ten")


def test_valid_days_range():
    assert ok("valid_days", "1") == 1
    assert ok("valid_days", "36500") == 36500
    bad("valid_days", "0")
    bad("valid_days", "36501")


# --- money ----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["0", "5", "5.5", "123456789012345.12345", "0.00001"])
def test_money_valid(value):
    assert ok("credit_limit", value) == Decimal(value)


@pytest.mark.parametrize("value", ["-1", "1234567890123456", "1.123456", "1e5", "abc", "1,5",
                                   "NaN", ""])
def test_money_invalid(value):
    bad("credit_limit", value)
    bad("low_balance_alert", value)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=10**15 - 1), st.integers(min_value=0, max_value=5),
       st.integers(min_value=0, max_value=99999))
def test_property_money_exact(whole_part, places, frac):
    frac_text = str(frac).zfill(5)[:places]
    text_value = f"{whole_part}.{frac_text}" if places else str(whole_part)
    amount = rules.check_money(text_value)
    assert amount == Decimal(text_value)  # exact, never through float
    assert rules.check_money(format(amount, "f")) == amount  # stable spelling round-trips


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=10**6), st.integers(min_value=6, max_value=9))
def test_property_money_too_many_decimals(whole_part, places):
    with pytest.raises(ValueError):
        rules.check_money(f"{whole_part}." + "1" * places)


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=10**15, max_value=10**20))
def test_property_money_too_many_digits(value):
    with pytest.raises(ValueError):
        rules.check_money(str(value))


# --- number translation ---------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [
    ("011/", "011/"),
    ('"0/91", "*/1234"', "0/91,*/1234"),
    (" 011/ , 0/91 ,*/1234", "011/,0/91,*/1234"),
    ("+1/*", "+1/*"),
    ("", ""),
])
def test_number_translation_normalised(value, expected):
    assert ok("number_translation", value) == expected


def test_number_translation_empty_match_hint():
    message = bad("number_translation", "/1234")
    assert "*/1234" in message and "empty match" in message


@pytest.mark.parametrize("value", ["abc/1", "0/ab", "01", "0/1/2", "0/9,x/"])
def test_number_translation_invalid(value):
    bad("number_translation", value)


TRANSLATION_CHARS = "0123456789*#+"
match_st = st.one_of(st.just("*"), st.text(alphabet=TRANSLATION_CHARS, min_size=1, max_size=6))
replace_st = st.one_of(st.just(""), st.just("*"),
                       st.text(alphabet=TRANSLATION_CHARS, min_size=1, max_size=6))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(match_st, replace_st, st.booleans()), min_size=1, max_size=5))
def test_property_number_translation(rules_list):
    written = " , ".join(f'"{m}/{r}"' if quoted else f"{m}/{r}" for m, r, quoted in rules_list)
    expected = ",".join(f"{m}/{r}" for m, r, _ in rules_list)
    normalised = rules.normalise_number_translation(written)
    assert normalised == expected
    assert rules.normalise_number_translation(normalised) == normalised  # idempotent


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=string.ascii_letters, min_size=1, max_size=4), replace_st)
def test_property_number_translation_rejects_letters(letters, replace):
    with pytest.raises(ValueError):
        rules.normalise_number_translation(f"{letters}/{replace}")


# --- expiry ---------------------------------------------------------------------------------


def test_expiry_forms():
    assert ok("expiry", "2031-02-03") == datetime(2031, 2, 3, tzinfo=UTC)
    assert ok("expiry", "2031-02-03T10:00:00") == datetime(2031, 2, 3, 10, tzinfo=UTC)
    assert ok("expiry", "2031-02-03T10:00:00+02:00") == datetime(2031, 2, 3, 8, tzinfo=UTC)
    assert "future" in bad("expiry", "2029-12-31")
    assert "ISO 8601" in bad("expiry", "31/12/2031")


def test_expiry_defaults():
    customer = validate_account("customer", {"first_name": "A"}, CTX)
    assert customer.valid_days == 3650
    assert customer.expiry == NOW + timedelta(days=3650)
    customer = validate_account("customer", {"first_name": "A", "valid_days": "10"}, CTX)
    assert customer.expiry == NOW + timedelta(days=10)
    reseller = validate_account("reseller", {"first_name": "A"}, CTX)
    assert reseller.expiry is None
    admin = validate_account("admin", {"first_name": "A", "email": "a@example.com"}, CTX)
    assert admin.expiry is None
    problems = fields_failing("customer", {"first_name": "A", "valid_days": "5",
                                           "expiry": "2031-01-01"})
    assert "valid_days" in problems


# --- cross-field rules ----------------------------------------------------------------------


def test_credit_limit_on_prepaid():
    assert "prepaid" in fields_failing(
        "customer", {"first_name": "A", "credit_limit": "10"})["credit_limit"]
    model = validate_account("customer", {"first_name": "A", "credit_limit": "10",
                                          "account_type": "postpaid"}, CTX)
    assert model.credit_limit == Decimal(10)
    model = validate_account("customer", {"first_name": "A", "credit_limit": "0"}, CTX)
    assert model.credit_limit == 0


def test_billing_day_against_schedule():
    model = validate_account("customer", {"first_name": "A"}, CTX)
    assert (model.billing_schedule, model.billing_day) == ("monthly", 15)  # NOW.day
    model = validate_account("customer", {"first_name": "A", "billing_schedule": "weekly"}, CTX)
    assert model.billing_day == NOW.isoweekday()
    model = validate_account("customer", {"first_name": "A", "billing_schedule": "daily"}, CTX)
    assert model.billing_day is None
    assert "daily" in fields_failing("customer", {"first_name": "A", "billing_schedule": "daily",
                                                  "billing_day": "3"})["billing_day"]
    assert "1-7" in fields_failing("customer", {"first_name": "A", "billing_schedule": "weekly",
                                                "billing_day": "8"})["billing_day"]
    assert "billing_day" in fields_failing("customer", {"first_name": "A", "billing_day": "29"})
    ok("billing_day", "28")


def test_monthly_billing_day_capped_at_28():
    late = RuleContext(settings=Settings(), now=datetime(2030, 1, 31, tzinfo=UTC))
    assert validate_account("customer", {"first_name": "A"}, late).billing_day == 28


def test_email_alerts_need_an_address():
    assert "email_alerts" in fields_failing("customer", {"first_name": "A",
                                                         "email_alerts": True})
    model = validate_account("customer", {"first_name": "A", "email_alerts": True,
                                          "notify_email": "n@example.com"}, CTX)
    assert model.email is None and model.notify_email == "n@example.com"
    model = validate_account("customer", {"first_name": "A", "email": "e@example.com"}, CTX)
    assert model.notify_email == "e@example.com"


def test_every_problem_reported_at_once():
    problems = fields_failing("customer", {
        "first_name": "", "pin": "12", "cps": "-1", "country": "zz", "credit_limit": "5",
        "billing_schedule": "daily", "billing_day": "2",
    })
    assert {"first_name", "pin", "cps", "country", "credit_limit", "billing_day"} <= set(problems)


def test_taxes_split_and_deduplicated():
    assert ok("taxes", "vat; levy ;vat") == ["vat", "levy"]
    assert ok("taxes", ["a", "b"]) == ["a", "b"]


def test_admin_model_requires_email_and_has_no_billing():
    assert "email" in fields_failing("admin", {"first_name": "A"})
    from acctctl.models.inputs import KINDS

    for kind in ("admin", "subadmin"):
        for key in ("credit_limit", "rate_group", "pin", "sip_device", "currency", "company"):
            assert key not in KINDS[kind].model_fields
    for key in ("pin", "sip_device"):
        assert key not in KINDS["reseller"].model_fields


# --- limits found in review -----------------------------------------------------------------


@pytest.mark.parametrize("key", ["max_channels", "cps"])
def test_counts_stop_at_the_largest_integer_every_backend_stores(key):
    assert ok(key, str(rules.INT_MAX)) == rules.INT_MAX
    assert "at most 2147483647" in bad(key, str(rules.INT_MAX + 1))


def test_number_translation_fits_its_column():
    long_rules = ",".join(["12345/6789"] * 120)
    assert "at most 1000" in bad("number_translation", long_rules)


def test_password_digit_must_be_an_ascii_digit():
    assert "letter and one digit" in bad("password", "abcdefg\u00b2")  # superscript two
    ok("password", "abcdefg2")


@pytest.mark.parametrize("name", ["localtime", "Factory", "posixrules"])
def test_tzdata_files_that_are_not_zones_are_refused(name):
    assert "unknown time zone" in bad("timezone", name)


def test_reseller_reference_is_not_bound_by_todays_number_length():
    short = ctx(numbers={"length": 4})
    assert ok("reseller", "4123456789", context=short) == "4123456789"
    assert "existing account" in bad("reseller", "12ab", context=short)


def test_messages_show_values_as_written_not_python_reprs():
    from decimal import Decimal as D

    assert "got 2.0)" in bad("max_channels", D("2.0"))
    assert "got 100.123456" in bad("credit_limit", D("100.123456"))
