"""The interactive wizard, in-process.

Flow logic runs against a scripted fake Prompter; the questionary Prompter is driven with
prompt_toolkit pipe input (keystrokes) under a timeout; the real CLI is run in-process with
the interactivity gate opened and the fake prompter injected.
"""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest

from acctctl.config import Settings
from acctctl.interactive import wizard as wizard_mod
from acctctl.interactive.prompter import Option, QuestionaryPrompter
from acctctl.interactive.wizard import Wizard, run_wizard

ENTER = "\r"
DOWN = "\x1b[B"
CTRL_C = "\x03"
CTRL_U = "\x15"
SPACE = " "


class Interrupt:
    """A scripted answer that raises, like questionary's unsafe_ask on Ctrl-C / EOF."""

    def __init__(self, exc):
        self.exc = exc


class FakePrompter:
    """Answers by question label; unscripted questions take their default (Enter).

    Text answers behave like QuestionaryPrompter: "" (Enter alone) gives the default, and
    ``validate`` runs on it; a rejected answer records the message and the same question
    takes the next scripted answer.
    """

    def __init__(self, script: dict | None = None, strict: bool = False):
        self.script = {k: list(v) if isinstance(v, list) else [v]
                       for k, v in (script or {}).items()}
        self.strict = strict
        self.asked: list[str] = []
        self.errors: list[str] = []
        self.defaults: dict[str, object] = {}
        self.options: dict[str, list] = {}

    def _next(self, message, default):
        self.asked.append(message)
        if self.asked.count(message) > 10:  # a re-ask loop would otherwise never end
            raise AssertionError(f"{message!r} asked over and over")
        self.defaults[message] = default
        answers = self.script.get(message)
        if not answers:
            if self.strict:
                raise AssertionError(f"unexpected question {message!r}")
            return default
        answer = answers.pop(0)
        if isinstance(answer, Interrupt):
            raise answer.exc
        return answer

    def _validated(self, message, default, validate):
        while True:
            answer = self._next(message, default)
            if answer == "" and default:
                answer = default
            result = validate(answer) if validate else True
            if result is True:
                return answer
            self.errors.append(result)

    def text(self, message, *, default="", validate=None, instruction=None):
        return self._validated(message, default, validate)

    def autocomplete(self, message, words, *, default="", meta=None, validate=None):
        return self._validated(message, default, validate)

    def password(self, message, *, validate=None):
        return self._validated(message, "", validate)

    def select(self, message, options, *, default=None):
        self.options[message] = [o.value for o in options]
        values = [o.value for o in options]
        return self._next(message, default if default in values else values[0])

    def checkbox(self, message, options):
        self.options[message] = [o.value for o in options]
        return self._next(message, [o.value for o in options if o.checked])

    def confirm(self, message, *, default=False):
        return self._next(message, default)


@pytest.fixture
def settings():
    return Settings()


# --- flow, with the scripted fake ---------------------------------------------------------


def test_only_missing_asks_only_missing_required(settings, engine):
    fake = FakePrompter({"First name": "Ada"}, strict=True)
    answers = run_wizard("customer", {"email": "ada@example.com"}, settings, engine,
                         ask="missing", confirm=False, prompter=fake)
    assert fake.asked == ["First name"]
    assert answers == {"email": "ada@example.com", "first_name": "Ada"}


def test_invalid_email_is_asked_again_with_the_rule_message(settings, engine):
    fake = FakePrompter({"First name": "Ada", "Email": ["not-an-email", "ada@example.com"]})
    answers = run_wizard("customer", {}, settings, engine, ask="all", confirm=False,
                         prompter=fake)
    assert fake.asked.count("Email") == 2
    assert len(fake.errors) == 1 and fake.errors[0].startswith("Email ")
    from acctctl.models.rules import RuleContext
    from acctctl.models.validate import validate_field

    ok, message = validate_field("customer", "email", "not-an-email", RuleContext())
    assert not ok and message in fake.errors[0]
    assert answers["email"] == "ada@example.com"
    assert answers["first_name"] == "Ada"
    assert "password" not in answers  # empty = generate


def test_ask_all_walks_the_form_in_order_with_flags_as_defaults(settings, engine):
    fake = FakePrompter({"First name": "Ada"})
    run_wizard("customer", {"last_name": "Lovelace", "cps": "3"}, settings, engine,
               ask="all", confirm=False, prompter=fake)
    assert fake.defaults["Last name"] == "Lovelace"
    assert fake.defaults["Calls per second"] == "3"
    assert fake.defaults["Country"] == settings.defaults.country
    assert fake.defaults["Rate group"] == "default"
    order = [fake.asked.index(label) for label in
             ("Account number", "Status", "Valid days", "First name", "Country", "Telephone",
              "Rate group", "Account type", "Low balance alert")]
    assert order == sorted(order)
    assert "Expiry" not in fake.asked  # valid days kept its default


def test_prepaid_skips_credit_limit_and_postpaid_asks_it(settings, engine):
    fake = FakePrompter({"First name": "Ada", "Account type": "prepaid"})
    answers = run_wizard("customer", {"credit_limit": "50"}, settings, engine, ask="all",
                         confirm=False, prompter=fake)
    assert "Credit limit" not in fake.asked
    assert "credit_limit" not in answers

    fake = FakePrompter({"First name": "Ada", "Account type": "postpaid",
                         "Credit limit": ["-1", "250.5"]})
    answers = run_wizard("customer", {}, settings, engine, ask="all", confirm=False,
                         prompter=fake)
    assert "Credit limit" in fake.asked
    assert answers["credit_limit"] == "250.5" and answers["account_type"] == "postpaid"
    assert fake.errors and "negative" in fake.errors[0]


def test_billing_day_follows_the_schedule(settings, engine):
    fake = FakePrompter({"First name": "Ada", "Billing schedule": "weekly", "Billing day": "3"})
    answers = run_wizard("customer", {}, settings, engine, ask="all", confirm=False,
                         prompter=fake)
    assert fake.options["Billing day"] == [None, "1", "2", "3", "4", "5", "6", "7"]
    assert answers["billing_day"] == "3"

    fake = FakePrompter({"First name": "Ada", "Billing schedule": "daily"})
    answers = run_wizard("customer", {"billing_day": "5"}, settings, engine, ask="all",
                         confirm=False, prompter=fake)
    assert "Billing day" not in fake.asked and "billing_day" not in answers

    fake = FakePrompter({"First name": "Ada"})
    run_wizard("customer", {}, settings, engine, ask="all", confirm=False, prompter=fake)
    assert fake.options["Billing day"] == [None, *[str(n) for n in range(1, 29)]]


def test_empty_valid_days_asks_expiry(settings, engine):
    fake = FakePrompter({"First name": "Ada", "Valid days": "-", "Expiry": "2999-01-01"})
    answers = run_wizard("customer", {}, settings, engine, ask="all", confirm=False,
                         prompter=fake)
    assert answers["expiry"] == "2999-01-01" and "valid_days" not in answers


def test_password_twice_mismatch_is_asked_again(settings, engine):
    fake = FakePrompter({"First name": "Ada",
                         "Password (empty: generate)": ["short", "secret123", "secret123"],
                         "Password again": ["secret999", "secret123"]})
    answers = run_wizard("customer", {}, settings, engine, ask="all", confirm=False,
                         prompter=fake)
    assert answers["password"] == "secret123"
    assert len(fake.errors) == 1  # "short" failed the model's password rule
    assert fake.asked.count("Password again") == 2


def test_cross_field_error_re_asks_the_field(settings, engine):
    # answering No the second time also satisfies the rule
    fake = FakePrompter({"First name": "Ada", "Email alerts": [True, False]})
    answers = run_wizard("customer", {}, settings, engine, ask="all", confirm=False,
                         prompter=fake)
    assert fake.asked.count("Email alerts") == 2
    assert answers["email_alerts"] is False


def test_reseller_scopes_rate_groups_and_taxes(settings, engine):
    from acctctl.service import catalog
    from acctctl.service.accounts import BatchOptions, create_accounts

    result = create_accounts(engine, settings, "reseller", [(1, {"first_name": "Rita"})],
                             BatchOptions(mode="flags", command="test"))
    rita = next(iter(result.created()))["number"]
    result.close()
    catalog.create_rate_group(engine, "rita-rates", rita, True)
    catalog.create_rate_group(engine, "rita-old", rita, False)
    catalog.create_tax(engine, "rita-vat", "20", None, 0, rita)
    catalog.create_tax(engine, "admin-vat", "10", None, 0, None)
    fake = FakePrompter({"Reseller": rita, "First name": "Ada", "Taxes": [["rita-vat"]]})
    answers = run_wizard("customer", {}, settings, engine, ask="all", confirm=False,
                         prompter=fake)
    assert fake.options["Rate group"] == ["rita-rates"]
    assert fake.options["Taxes"] == ["rita-vat"]
    assert answers["reseller"] == rita and answers["rate_group"] == "rita-rates"
    assert answers["taxes"] == ["rita-vat"]


def test_roles_are_listed_for_the_kind(settings, engine):
    fake = FakePrompter({"First name": "Root", "Email": "root@example.com"})
    answers = run_wizard("admin", {}, settings, engine, ask="all", confirm=False,
                         prompter=fake)
    assert fake.options["Role"] == ["admin", "subadmin"]
    assert answers["role"] == "admin"


@pytest.mark.parametrize("exc", [KeyboardInterrupt, EOFError])
def test_interrupt_propagates(settings, engine, exc):
    fake = FakePrompter({"First name": "Ada", "Email": Interrupt(exc())})
    with pytest.raises(exc):
        run_wizard("customer", {}, settings, engine, ask="all", prompter=fake)


def test_declined_confirmation_raises_declined(settings, engine):
    fake = FakePrompter({"First name": "Ada"})  # the confirmation defaults to No
    with pytest.raises(wizard_mod.Declined):
        run_wizard("customer", {}, settings, engine, ask="missing", prompter=fake)
    assert fake.asked[-1] == "Create this customer?"


def test_summary_values_are_literal_and_password_masked(settings, engine, capsys):
    fake = FakePrompter({"First name": "[bold]Ada[/bold]", "Create this customer?": True})
    run_wizard("customer", {}, settings, engine, ask="missing", prompter=fake)
    err = capsys.readouterr().err
    assert "[bold]Ada[/bold]" in err
    assert "(generated)" in err
    wiz = Wizard("customer", {"first_name": "Ada", "password": "secret123"}, settings, engine,
                 FakePrompter())
    wiz.run(ask="missing")
    rows = dict(wiz.summary_rows())
    assert rows["Password"] == "(set)" and "secret123" not in str(rows)
    assert rows["Account number"] == "(generated)"
    assert rows["Credit limit"] == str(Decimal(0))
    wiz = Wizard("subadmin", {"first_name": "Sam", "email": "sam@example.com"}, settings,
                 engine, FakePrompter())
    wiz.run(ask="essentials")  # the role is not among the essentials
    assert dict(wiz.summary_rows())["Role"] == "subadmin"


# --- questionary, driven by keystrokes ----------------------------------------------------


def drive(keys: str, ask, timeout: float = 10.0, pace: float = 0.0):
    """Run ``ask(prompter)`` on a QuestionaryPrompter fed ``keys``; fail instead of hanging.

    pace: seconds between keystrokes (as a person types), else all at once."""
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    outcome: dict = {}

    def target():
        try:
            with create_pipe_input() as pipe:
                if pace:
                    def typist():
                        for key in keys:
                            time.sleep(pace)
                            pipe.send_text(key)

                    threading.Thread(target=typist, daemon=True).start()
                else:
                    pipe.send_text(keys)
                outcome["value"] = ask(QuestionaryPrompter(input=pipe, output=DummyOutput()))
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            outcome["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), "the prompt is still waiting for input"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def test_questionary_text_validation_rejects_then_accepts():
    seen = []

    def validate(text):
        seen.append(text)
        return True if "@" in text else "needs an @"

    answer = drive("bad" + ENTER + CTRL_U + "a@b.c" + ENTER,
                   lambda p: p.text("Email", validate=validate))
    assert answer == "a@b.c"
    assert "bad" in seen


def test_questionary_select_and_checkbox():
    options = [Option("(none)", None), Option("one", "1"), Option("two", "2")]
    assert drive(DOWN + DOWN + ENTER, lambda p: p.select("Pick", options)) == "2"
    assert drive(ENTER, lambda p: p.select("Pick", options)) is None
    assert drive(ENTER, lambda p: p.select("Pick", options, default="1")) == "1"
    boxes = [Option("a", "a", checked=True), Option("b", "b")]
    assert drive(DOWN + SPACE + ENTER, lambda p: p.checkbox("Taxes", boxes)) == ["a", "b"]


def test_questionary_confirm_answers_on_the_key_and_defaults_to_no():
    # issue 16: y/n answer at once (keys typed ahead are dropped: test_wizard_keys.py)
    assert drive(ENTER, lambda p: p.confirm("Create?")) is False
    assert drive("y", lambda p: p.confirm("Create?")) is True
    assert drive("n", lambda p: p.confirm("Create?", default=True)) is False


def test_questionary_ctrl_c_raises_keyboard_interrupt():
    with pytest.raises(KeyboardInterrupt):
        drive("Ad" + CTRL_C, lambda p: p.text("First name"))


def test_questionary_password_and_autocomplete():
    assert drive("secret123" + ENTER, lambda p: p.password("Password")) == "secret123"
    assert drive(CTRL_U + "FR" + ENTER,
                 lambda p: p.autocomplete("Country", ["FR", "France"], default="US")) == "FR"


def test_wizard_through_questionary_keystrokes(settings, engine):
    # only-missing mode: first name is asked; the bad --email flag fails the whole-model
    # check, so Email is asked again (pre-filled); then the summary confirmation.
    keys = "Ada" + ENTER + CTRL_U + "ada@example.com" + ENTER + "y" + ENTER

    def ask(prompter):
        return run_wizard("customer", {"email": "nope"}, settings, engine, ask="missing",
                          prompter=prompter)

    assert drive(keys, ask) == {"email": "ada@example.com", "first_name": "Ada"}


# --- the real CLI, in-process -------------------------------------------------------------


@pytest.fixture
def open_gate(monkeypatch):
    from acctctl.cli import console

    monkeypatch.setattr(console, "current",
                        lambda: console.Streams(stdin_tty=True, stdout_tty=True,
                                                stderr_tty=False))


def test_cli_creates_an_account_from_answers(cli, open_gate, monkeypatch):
    fake = FakePrompter({"First name": "Ada", "Email": ["bad@", "ada@example.com"],
                         "Account type": "postpaid", "Credit limit": "100",
                         "Create this customer?": True})
    monkeypatch.setattr(wizard_mod, "make_prompter", lambda: fake)
    result = cli("create", "customer", "-o", "json")
    assert result.exit_code == 0, (result.stdout, result.stderr)
    import json

    created = json.loads(result.stdout)
    shown = cli.json("account", "show", created["number"])
    assert shown["first_name"] == "Ada" and shown["email"] == "ada@example.com"
    assert shown["account_type"] == "postpaid"
    assert Decimal(str(shown["credit_limit"])) == Decimal(100)
    assert "password" in created["generated"]
    assert len(fake.errors) == 1


def test_cli_only_missing_then_yes_skips_confirmation(cli, open_gate, monkeypatch):
    fake = FakePrompter({"First name": "Ada"}, strict=True)
    monkeypatch.setattr(wizard_mod, "make_prompter", lambda: fake)
    result = cli("create", "customer", "--last-name", "Lovelace", "--yes", "-o", "json")
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert fake.asked == ["First name"]


def test_cli_interrupt_writes_nothing(cli, open_gate, monkeypatch):
    fake = FakePrompter({"First name": "Ada", "Email": Interrupt(KeyboardInterrupt())})
    monkeypatch.setattr(wizard_mod, "make_prompter", lambda: fake)
    result = cli("create", "customer")
    assert result.exit_code == 130
    assert "nothing was written" in result.stderr
    assert cli.json("account", "list") == []


def test_cli_declined_writes_nothing(cli, open_gate, monkeypatch):
    fake = FakePrompter({"First name": "Ada"})
    monkeypatch.setattr(wizard_mod, "make_prompter", lambda: fake)
    result = cli("create", "customer")
    assert result.exit_code == 130
    assert cli.json("account", "list") == []


def test_cli_closed_gate_never_prompts(cli, monkeypatch):
    def boom():
        raise AssertionError("prompted without a terminal")

    monkeypatch.setattr(wizard_mod, "make_prompter", boom)
    result = cli("create", "customer")
    assert result.exit_code == 2
    assert "--first-name" in result.stderr


def test_flag_value_that_no_longer_fits_is_dropped_not_looped(settings, engine):
    # only-missing mode: --credit-limit on a prepaid account fails the cross-field rule, which
    # names the account type: it is asked; kept prepaid, the credit-limit question does not
    # apply, so the value is dropped (and said so)
    fake = FakePrompter({"First name": "Ada", "Account type": "prepaid"}, strict=True)
    answers = run_wizard("customer", {"credit_limit": "5"}, settings, engine, ask="missing",
                         confirm=False, prompter=fake)
    assert fake.asked == ["First name", "Account type"]
    assert "credit_limit" not in answers


def test_an_email_or_number_already_taken_is_asked_again_at_once(settings, engine, cli):
    taken = cli.json("create", "customer", "--first-name", "Old", "--email", "old@example.com")
    fake = FakePrompter({"First name": "Ada",
                         "Account number": [taken["number"], ""],
                         "Email": ["OLD@example.com", "new@example.com"]})
    answers = run_wizard("customer", {}, settings, engine, ask="all", confirm=False,
                         prompter=fake)
    assert fake.asked.count("Email") == 2 and fake.asked.count("Account number") == 2
    assert sum("already used" in e for e in fake.errors) == 2
    assert answers["email"] == "new@example.com" and "number" not in answers


def test_the_admin_as_owner_is_offered_only_the_admins_rate_groups_and_taxes(settings, engine):
    from acctctl.service import catalog
    from acctctl.service.accounts import BatchOptions, create_accounts

    result = create_accounts(engine, settings, "reseller", [(1, {"first_name": "Rita"})],
                             BatchOptions(mode="flags", command="test"))
    rita = next(iter(result.created()))["number"]
    result.close()
    catalog.create_rate_group(engine, "rita-rates", rita, True)
    catalog.create_tax(engine, "rita-vat", "20", None, 0, rita)
    catalog.create_tax(engine, "admin-vat", "10", None, 0, None)
    fake = FakePrompter({"Reseller": None, "First name": "Ada"})
    run_wizard("customer", {}, settings, engine, ask="all", confirm=False, prompter=fake)
    assert fake.options["Rate group"] == ["default"]
    assert fake.options["Taxes"] == ["admin-vat"]


# --- issue 10: a wizard that never traps --------------------------------------------------


def test_a_rejected_hidden_password_is_not_kept_in_the_line():
    # "abc" is rejected; the next answer starts from an empty line, not "abcSecret-Pass1"
    def validate(text):
        return True if len(text) >= 8 else "Password must be 8-128 characters long"

    keys = "abc" + ENTER + "Secret-Pass1" + ENTER
    assert drive(keys, lambda p: p.password("Password", validate=validate)) == "Secret-Pass1"


def test_a_rejected_text_answer_is_cleared_before_asking_again():
    def validate(text):
        return True if "@" in text else "needs an @"

    keys = "bad" + ENTER + "a@b.c" + ENTER  # no Ctrl-U needed
    assert drive(keys, lambda p: p.text("Email", validate=validate)) == "a@b.c"
    keys = "Germ" + ENTER + "FR" + ENTER
    assert drive(keys, lambda p: p.autocomplete(
        "Country", ["FR", "DE", "Germany"],
        validate=lambda t: True if t in ("FR", "DE") else f"unknown country {t!r}")) == "FR"


def test_a_default_is_shown_enter_keeps_it_and_typing_replaces_it():
    assert drive("5" + ENTER, lambda p: p.text("Calls per second", default="0")) == "5"
    assert drive("30" + ENTER, lambda p: p.text("Valid days", default="3650")) == "30"
    assert drive(ENTER, lambda p: p.text("Valid days", default="3650")) == "3650"
    assert drive("FR" + ENTER,
                 lambda p: p.autocomplete("Country", ["FR", "US"], default="US")) == "FR"
    assert drive(ENTER, lambda p: p.autocomplete("Country", ["FR", "US"], default="US")) == "US"


def test_answers_are_checked_on_enter_not_on_each_keystroke():
    seen = []

    def validate(text):
        seen.append(text)
        return True

    drive("Germany" + ENTER, lambda p: p.autocomplete("Country", ["Germany"], validate=validate),
          pace=0.05)
    drive("Ada" + ENTER, lambda p: p.text("First name", validate=validate), pace=0.05)
    assert seen == ["Germany", "Ada"]  # never "G", "Ge", "Ger", ...


def test_a_failed_cross_field_rule_re_asks_the_fields_it_names(settings, engine):
    # email alerts need an email: Email is asked again (not only "Email alerts", forever)
    fake = FakePrompter({"First name": "Ada", "Email alerts": True,
                         "Email": ["", "ada@example.com"]})
    answers = run_wizard("customer", {}, settings, engine, ask="all", confirm=False,
                         prompter=fake)
    assert fake.asked.count("Email") == 2
    assert fake.asked.index("Email", fake.asked.index("Email alerts")) > 0
    assert answers["email"] == "ada@example.com" and answers["email_alerts"] is True
    assert "Notification email" in fake.asked[fake.asked.index("Email alerts") + 1:]


def test_the_same_answers_to_a_failed_rule_end_the_wizard_instead_of_looping(settings,
                                                                               engine):
    from acctctl.errors import ValidationFailed

    # Enter everywhere: alerts stay on, no email is given; the rule is reported, once
    fake = FakePrompter({"First name": "Ada"})
    with pytest.raises(ValidationFailed) as info:
        run_wizard("customer", {"email_alerts": True}, settings, engine, ask="essentials",
                   prompter=fake)
    assert [e.field for e in info.value.errors] == ["email_alerts"]
    assert fake.asked.count("Email") == 2
    assert "Create this customer?" not in fake.asked  # no summary for what cannot be created


def test_a_chosen_country_suggests_its_time_zone_and_currency(settings, engine):
    fake = FakePrompter({"First name": "Ada", "Country": "Germany"})
    answers = run_wizard("customer", {}, settings, engine, ask="essentials", confirm=False,
                         prompter=fake)
    assert fake.defaults["Time zone"] == "Europe/Berlin"
    assert fake.defaults["Currency"] == "EUR"
    assert answers["timezone"] == "Europe/Berlin" and answers["currency"] == "EUR"

    # several zones: the first one tzdata lists for the country
    fake = FakePrompter({"First name": "Ada", "Country": "US"})
    run_wizard("customer", {"country": "FR"}, settings, engine, ask="essentials",
               confirm=False, prompter=fake)
    assert fake.defaults["Country"] == "FR"
    assert fake.defaults["Time zone"] == "UTC"  # US is the configured country: config values
    fake = FakePrompter({"First name": "Ada", "Country": "BR"})
    run_wizard("customer", {}, settings, engine, ask="essentials", confirm=False,
               prompter=fake)
    assert fake.defaults["Time zone"].startswith("America/")
    assert fake.defaults["Currency"] == "BRL"


def test_flags_and_explicit_config_beat_the_country_suggestion(engine):
    fake = FakePrompter({"First name": "Ada"})
    run_wizard("customer", {"country": "DE", "timezone": "Europe/Paris"}, Settings(), engine,
               ask="essentials", confirm=False, prompter=fake)
    assert fake.defaults["Time zone"] == "Europe/Paris"  # the flag
    assert fake.defaults["Currency"] == "EUR"  # not given: suggested

    configured = Settings(defaults={"currency": "GBP"})
    fake = FakePrompter({"First name": "Ada", "Country": "DE"})
    run_wizard("customer", {}, configured, engine, ask="essentials", confirm=False,
               prompter=fake)
    assert fake.defaults["Currency"] == "GBP"  # set in the config: kept
    assert fake.defaults["Time zone"] == "Europe/Berlin"


ESSENTIALS = {
    "customer": ["First name", "Last name", "Email", "Company", "Country", "Telephone",
                 "Time zone", "Rate group", "Currency", "Account type"],
    "reseller": ["First name", "Last name", "Email", "Company", "Country", "Telephone",
                 "Time zone", "Rate group", "Currency", "Account type"],
    "admin": ["First name", "Last name", "Email", "Country", "Telephone", "Time zone"],
}


@pytest.mark.parametrize("kind", sorted(ESSENTIALS))
def test_essentials_first_then_change_other_settings(settings, engine, kind):
    script = {"First name": "Ada", "Email": "ada@example.com"}
    fake = FakePrompter(script)
    run_wizard(kind, {}, settings, engine, ask="essentials", confirm=False, prompter=fake)
    assert fake.asked == [*ESSENTIALS[kind], "Change other settings?"]

    fake = FakePrompter({**script, "Change other settings?": True})
    run_wizard(kind, {}, settings, engine, ask="essentials", confirm=False, prompter=fake)
    rest = fake.asked[len(ESSENTIALS[kind]) + 1:]
    assert fake.asked[:len(ESSENTIALS[kind]) + 1] == [*ESSENTIALS[kind],
                                                      "Change other settings?"]
    assert rest[:2] == ["Account number", "Password (empty: generate)"]
    assert "Status" in rest and not set(rest) & set(ESSENTIALS[kind])


def test_postpaid_asks_the_credit_limit_among_the_essentials(settings, engine):
    fake = FakePrompter({"First name": "Ada", "Account type": "postpaid",
                         "Credit limit": "100"})
    answers = run_wizard("customer", {}, settings, engine, ask="essentials", confirm=False,
                         prompter=fake)
    assert fake.asked[-3:] == ["Account type", "Credit limit", "Change other settings?"]
    assert answers["credit_limit"] == "100"


def test_the_reseller_is_asked_first_when_there_is_one(settings, engine):
    from acctctl.service.accounts import BatchOptions, create_accounts

    result = create_accounts(engine, settings, "reseller", [(1, {"first_name": "Rita"})],
                             BatchOptions(mode="flags", command="test"))
    result.close()
    fake = FakePrompter({"First name": "Ada"})
    run_wizard("customer", {}, settings, engine, ask="essentials", confirm=False,
               prompter=fake)
    assert fake.asked[:2] == ["Reseller", "First name"]


def test_the_essential_split_is_field_metadata():
    from acctctl.models.inputs import KINDS, field_specs

    specs = field_specs(KINDS["customer"])
    essential = {k for k, s in specs.items() if s["essential"]}
    assert essential == {"reseller", "first_name", "last_name", "email", "company", "country",
                         "telephone", "timezone", "rate_group", "currency", "account_type",
                         "credit_limit"}


def test_a_dash_clears_an_optional_answer_that_has_a_default(settings, engine):
    fake = FakePrompter({"Last name": "-"})
    answers = run_wizard("customer", {"first_name": "Ada", "last_name": "Lovelace"}, settings,
                         engine, ask="essentials", confirm=False, prompter=fake)
    assert fake.defaults["Last name"] == "Lovelace"
    assert "last_name" not in answers


def test_the_wizard_takes_current_values_as_defaults_and_can_leave_fields_out(settings,
                                                                             engine):
    # what `account update` needs: the account's values as defaults, immutable keys not asked
    current = {"first_name": "Ada", "email": "ada@example.com", "country": "FR",
               "account_type": "postpaid", "credit_limit": "10"}
    fake = FakePrompter({"Email": "ada@example.org", "Change other settings?": True})
    answers = run_wizard("customer", current, settings, engine, ask="essentials",
                         confirm=False, prompter=fake,
                         exclude=("number", "account_type", "reseller", "password"))
    assert fake.defaults["First name"] == "Ada" and fake.defaults["Credit limit"] == "10"
    assert not {"Account type", "Account number", "Reseller"} & set(fake.asked)
    assert not any(q.startswith("Password") for q in fake.asked)
    assert answers["email"] == "ada@example.org" and answers["account_type"] == "postpaid"


@pytest.mark.parametrize("flag, expected", [
    ([], "essentials"), (["--interactive", "--last-name", "L"], "essentials"),
    (["--all-fields"], "all"), (["--last-name", "L"], "missing"),
])
def test_cli_picks_the_questions(cli, open_gate, monkeypatch, flag, expected):
    seen = {}

    def fake_wizard(kind, given, settings, engine, *, ask, confirm, console):
        seen["ask"] = ask
        raise KeyboardInterrupt

    monkeypatch.setattr(wizard_mod, "run_wizard", fake_wizard)
    result = cli("create", "customer", *flag)
    assert result.exit_code == 130
    assert seen["ask"] == expected


def test_cli_all_fields_walks_every_field_in_form_order(cli, open_gate, monkeypatch):
    fake = FakePrompter({"First name": "Ada"})
    monkeypatch.setattr(wizard_mod, "make_prompter", lambda: fake)
    result = cli("create", "customer", "--all-fields", "--yes", "-o", "json")
    assert result.exit_code == 0, result.stderr
    assert fake.asked[0] == "Account number"
    assert "Change other settings?" not in fake.asked
    assert fake.asked.index("Calls per second") < fake.asked.index("First name")


def test_all_fields_needs_a_terminal(cli):
    result = cli("create", "customer", "--all-fields", "--first-name", "Ada")
    assert result.exit_code == 2
    assert "--all-fields needs a terminal" in result.stderr


# --- structure ------------------------------------------------------------------------------


def _imports(path) -> set[str]:
    """Every module a file imports, lazily inside functions too."""
    import ast

    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_interactive_imports_neither_typer_nor_the_cli():
    from pathlib import Path

    import acctctl.interactive

    for path in Path(acctctl.interactive.__file__).parent.glob("*.py"):
        names = _imports(path)
        assert not {n for n in names if n == "typer" or n.startswith("typer.")}, path
        assert not {n for n in names if n.startswith("acctctl.cli")}, path


def test_config_and_the_rules_do_not_import_each_other():
    from pathlib import Path

    import acctctl.config
    import acctctl.models.rules

    config, rules = Path(acctctl.config.__file__), Path(acctctl.models.rules.__file__)
    config_uses_rules = any(n.startswith("acctctl.models.rules") for n in _imports(config))
    rules_uses_config = any(n.startswith("acctctl.config") for n in _imports(rules))
    assert not (config_uses_rules and rules_uses_config)
    # and the leaf both may use imports neither
    codes = Path(rules.parent / "codes.py")
    assert not [n for n in _imports(codes) if n.startswith("acctctl")]


def test_account_update_reuses_the_wizard_with_current_values(cli, open_gate, monkeypatch):
    created = cli.json("create", "customer", "--first-name", "Ada", "--last-name", "Byron",
                       "--account-type", "postpaid", "--credit-limit", "10")
    fake = FakePrompter({"Last name": "Lovelace", "Update this customer?": True})
    monkeypatch.setattr(wizard_mod, "make_prompter", lambda: fake)
    out = cli.json("account", "update", created["number"])
    assert out["changes"] == {"last_name": ["Byron", "Lovelace"]}
    assert fake.defaults["First name"] == "Ada"
    assert not {"Account number", "Account type", "Reseller"} & set(fake.asked)
    assert "Change other settings?" in fake.asked
