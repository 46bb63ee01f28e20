"""End to end in a real pseudo-terminal (pexpect) of 80x24: the interactive gate, the wizard,
Ctrl-C.

Each `db_url` parametrisation runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import date

import pytest

from launcher import acctctl_argv

pexpect = pytest.importorskip("pexpect")

ENTER = "\r"
CTRL_C = "\x03"
CTRL_U = "\x15"
# per expected output, the first including start-up: generous, as the suite runs in parallel
# on busy machines; a passing test never waits it out
TIMEOUT = 60


@pytest.fixture
def env(cli_env):
    merged = {k: v for k, v in os.environ.items() if k != "ACCTCTL_NO_INPUT"}
    merged.update(cli_env)
    merged.update({"TERM": "xterm", "PROMPT_TOOLKIT_NO_CPR": "1", "COLUMNS": "80",
                   "LINES": "24"})
    return merged


def spawn(env, *args, entry_point: bool = False):
    """acctctl on an 80x24 pseudo-terminal: through the worker's pre-imported launcher (the
    pseudo-terminal is the command's stdin, stdout and stderr; signals are passed on), or,
    with entry_point, the installed command in a fresh interpreter whose controlling
    terminal it is."""
    program, *first = [sys.executable, "-m", "acctctl"] if entry_point else acctctl_argv()
    child = pexpect.spawn(program, [*first, *args], env=env,
                          dimensions=(24, 80), encoding="utf-8", timeout=TIMEOUT)
    return child


def run(env, *args, input=""):
    return subprocess.run([*acctctl_argv(), *args], env=env, input=input,
                          capture_output=True, text=True, timeout=120)


def answer(child, question: str, keys: str = ENTER):
    """Wait for the question to be on screen, then type."""
    child.expect_exact(question)
    child.send(keys)


def finish(child) -> int:
    child.expect(pexpect.EOF)
    child.close()
    return child.exitstatus


def test_create_customer_by_answering(env):
    # essentials first: the name, not the account number, PIN or calls per second
    child = spawn(env, "create", "customer", entry_point=True)
    answer(child, "First name", "Ada" + ENTER)
    answer(child, "Last name", "Lovelace" + ENTER)
    answer(child, "Email", "ada-at-example" + ENTER)
    # the rule's message is shown and the question is asked again, from an empty line
    answer(child, "not a valid email address", "ada@example.com" + ENTER)
    answer(child, "Company")
    answer(child, "Country", "FR" + ENTER)
    answer(child, "Telephone", "01 42 68 53 00" + ENTER)
    for question in ("Time zone", "Rate group", "Currency", "Account type"):
        answer(child, question)
    answer(child, "Change other settings?")  # No: the rest keep their defaults
    child.expect_exact("New customer")  # the summary table
    asked = child.before
    child.expect_exact("Ada")
    answer(child, "Create this customer?", "y" + ENTER)
    child.expect(r"created customer (\d+)")
    number = child.match.group(1)
    assert finish(child) == 0
    for technical in ("Account number", "PIN", "Calls per second", "Number translation"):
        assert technical not in asked

    account = show(env, number)
    assert account["first_name"] == "Ada" and account["last_name"] == "Lovelace"
    assert account["email"] == "ada@example.com"
    assert account["country"] == "FR" and account["telephone"] == "+33142685300"
    assert account["timezone"] == "Europe/Paris" and account["currency"] == "EUR"


def show(env, number: str) -> dict:
    shown = run(env, "account", "show", number, "-o", "json")
    assert shown.returncode == 0, shown.stderr
    return json.loads(shown.stdout)


def test_a_rejected_password_is_not_kept_and_ctrl_c_writes_nothing(env):
    child = spawn(env, "create", "customer", "--all-fields")
    answer(child, "Account number")
    answer(child, "Password", "abc" + ENTER)  # hidden, and too short
    child.expect_exact("must be 8-128 characters")
    answer(child, "Password", "Secret-Pass1" + ENTER)
    answer(child, "Password again", "Secret-Pass1" + ENTER)
    child.expect_exact("PIN")  # accepted: "abc" was not kept in front of it
    assert "do not match" not in child.before
    child.send(CTRL_C)
    child.expect_exact("interrupted: nothing was written")
    assert finish(child) == 130
    listed = run(env, "account", "list", "-o", "json")
    assert json.loads(listed.stdout) == []


def test_typing_replaces_a_shown_default(env):
    child = spawn(env, "create", "customer", "--first-name", "Ada", "--all-fields", "--yes",
                  "-o", "json")
    for question in ("Account number", "Password", "PIN", "Status", "Max channels"):
        answer(child, question)
    answer(child, "Calls per second", "5" + ENTER)  # shown default 0: not "05"
    answer(child, "Number translation")
    answer(child, "Valid days", "30" + ENTER)  # shown default 3650: not "365030"
    for question in ("Create SIP device", "First name", "Last name", "Email", "Company",
                     "Address", "City", "Province", "Postal code", "Country", "Telephone",
                     "Time zone", "Rate group", "Billing schedule", "Billing day", "Currency",
                     "Account type", "Low balance alert", "Email alerts",
                     "Notification email"):
        answer(child, question)
    child.expect(r"created customer (\d+)")
    number = child.match.group(1)
    assert finish(child) == 0
    account = show(env, number)
    assert account["cps"] == 5 and account["first_name"] == "Ada"
    expiry, created = date.fromisoformat(account["expiry"][:10]), \
        date.fromisoformat(account["created_at"][:10])
    assert (expiry - created).days == 30


def test_email_alerts_without_an_email_asks_for_the_email(env):
    child = spawn(env, "create", "customer", "--first-name", "Ada", "--email-alerts",
                  "--interactive")
    for question in ("First name", "Last name", "Email", "Company", "Country", "Telephone",
                     "Time zone", "Rate group", "Currency", "Account type",
                     "Change other settings?"):
        answer(child, question)
    child.expect_exact("need an --email or --notify-email")
    answer(child, "Email", "ada@example.com" + ENTER)  # the field the rule names
    answer(child, "Email alerts")
    answer(child, "Notification email")
    answer(child, "Create this customer?", "y" + ENTER)
    child.expect(r"created customer (\d+)")
    number = child.match.group(1)
    assert finish(child) == 0
    account = show(env, number)
    assert account["email"] == "ada@example.com" and account["email_alerts"] is True


def test_a_chosen_country_offers_its_time_zone_and_currency(env):
    child = spawn(env, "create", "customer", "--first-name", "Ada", "--interactive", "--yes",
                  "-o", "json")
    for question in ("First name", "Last name", "Email", "Company"):
        answer(child, question)
    answer(child, "Country", "DE" + ENTER)
    answer(child, "Telephone")
    answer(child, "(Europe/Berlin)")  # offered; Enter takes it
    answer(child, "Rate group")
    answer(child, "(EUR)")
    answer(child, "Account type")
    answer(child, "Change other settings?")
    child.expect(r"created customer (\d+)")
    number = child.match.group(1)
    assert finish(child) == 0
    account = show(env, number)
    assert account["country"] == "DE"
    assert account["timezone"] == "Europe/Berlin" and account["currency"] == "EUR"


def test_ctrl_c_midway_writes_nothing(env):
    child = spawn(env, "create", "customer", entry_point=True)
    answer(child, "First name", "Ada" + ENTER)
    answer(child, "Last name", "Love")  # Ctrl-C in the middle of typing an answer
    child.send(CTRL_C)
    child.expect_exact("interrupted: nothing was written")
    assert finish(child) == 130
    listed = run(env, "account", "list", "-o", "json")
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout) == []


def test_piped_stdin_without_flags_exits_2_quickly(env):
    started = time.monotonic()
    result = run(env, "create", "customer")
    assert time.monotonic() - started < 10
    assert result.returncode == 2
    assert "--first-name" in result.stderr
    assert "?" not in result.stdout  # no question was printed


def test_required_flags_and_yes_ask_nothing(env):
    child = spawn(env, "create", "customer", "--first-name", "X", "--yes")
    child.expect(r"created customer (\d+)")  # nothing is typed: a prompt would time out
    output = child.before
    assert finish(child) == 0
    assert "Create this customer?" not in output
    assert "(Use arrow keys)" not in output


@pytest.mark.parametrize("how", ["flag", "env"])
def test_no_input_never_prompts_even_on_a_terminal(env, how):
    args = ["create", "customer"] + (["--no-input"] if how == "flag" else [])
    if how == "env":
        env = {**env, "ACCTCTL_NO_INPUT": "1"}
    child = spawn(env, *args)
    child.expect(pexpect.EOF)  # a prompt would wait here until the timeout fails the test
    child.close()
    assert child.exitstatus == 2
    assert "--first-name" in child.before and "?" not in child.before.split("error")[0]


def test_the_gate(monkeypatch):
    from acctctl.cli.console import Streams

    monkeypatch.delenv("ACCTCTL_NO_INPUT", raising=False)
    assert Streams(stdin_tty=True, stdout_tty=True).can_prompt()
    monkeypatch.setenv("ACCTCTL_NO_INPUT", "1")
    assert not Streams(stdin_tty=True, stdout_tty=True).can_prompt()
    monkeypatch.delenv("ACCTCTL_NO_INPUT")
    assert not Streams(stdin_tty=False, stdout_tty=True).can_prompt()
    assert not Streams(stdin_tty=True, stdout_tty=False).can_prompt()
    assert not Streams(stdin_tty=True, stdout_tty=True, no_input=True).can_prompt()
