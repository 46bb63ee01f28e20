"""Issue 16 in a real pseudo-terminal of 80x24 (pexpect): the update wizard's `-` and its
summary, y/N questions that answer on the key, keys typed ahead of a confirmation, and a
billing-day list that fits the terminal. Each test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import re
import time

import pytest

from test_interactive_pty import ENTER, answer, env, finish, run, show, spawn  # noqa: F401

pexpect = pytest.importorskip("pexpect")

DOWN = "\x1b[B"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def screen_text(text: str) -> str:
    return ANSI.sub("", text)


def still_waiting(child, seconds: float = 1.5) -> str:
    """What the child printed while it went on waiting for a key (fails if it ended)."""
    child.expect(pexpect.TIMEOUT, timeout=seconds)
    assert child.isalive()
    return child.before


@pytest.fixture
def ada(env):  # noqa: F811 - the fixture of test_interactive_pty
    created = run(env, "create", "customer", "--number", "1002", "--first-name", "Ada",
                  "--last-name", "Byron", "--account-type", "postpaid", "--credit-limit", "500",
                  "--city", "Oslo", "-o", "json")
    assert created.returncode == 0, created.stderr
    return json.loads(created.stdout)


def test_update_wizard_clears_what_the_summary_says(env, ada):  # noqa: F811
    child = spawn(env, "account", "update", "1002")
    answer(child, "First name")
    answer(child, "Last name", "-" + ENTER)
    for question in ("Email", "Company", "Country", "Telephone", "Time zone", "Rate group",
                     "Currency"):
        answer(child, question)
    answer(child, "Credit limit", "-" + ENTER)
    answer(child, "Change other settings?", "n")  # one key: no Enter
    child.expect_exact("Update customer 1002 (Ada Byron)")
    child.expect_exact("Update this customer?")
    summary = screen_text(child.before)
    rows = {line.split("│")[1].strip(): [c.strip() for c in line.split("│")[2:4]]
            for line in summary.splitlines() if line.count("│") == 4}
    assert rows == {"Last name": ["Byron", "(none)"], "Credit limit": ["500", "0"]}
    assert all(len(line) <= 80 for line in summary.splitlines())
    child.send("y")  # one key: no Enter
    child.expect_exact("updated customer 1002")
    assert finish(child) == 0
    account = show(env, "1002")
    assert account["last_name"] in ("", None)
    assert float(account["credit_limit"]) == 0 and account["city"] == "Oslo"


def test_y_and_n_answer_without_enter(env):  # noqa: F811
    child = spawn(env, "create", "customer", "--first-name", "Ada", "--interactive", "-o",
                  "json")
    for question in ("First name", "Last name", "Email", "Company", "Country", "Telephone",
                     "Time zone", "Rate group", "Currency", "Account type"):
        answer(child, question)
    answer(child, "Change other settings?", "y")
    answer(child, "Account number")  # the rest of the form follows at once
    child.send("\x03")
    assert finish(child) == 130

    child = spawn(env, "create", "customer", "--first-name", "Ada", "--interactive", "-o",
                  "json")
    for question in ("First name", "Last name", "Email", "Company", "Country", "Telephone",
                     "Time zone", "Rate group", "Currency", "Account type"):
        answer(child, question)
    answer(child, "Change other settings?", "n")
    child.expect_exact("New customer")
    answer(child, "Create this customer?", "y")
    child.expect(r"created customer (\d+)")
    assert finish(child) == 0


def test_a_key_typed_before_the_confirmation_does_not_answer_it(env, ada):  # noqa: F811
    child = spawn(env, "account", "delete", "1002")
    child.send("y")  # typed ahead, before the question is there
    child.expect_exact("Delete 1 account (1002)?")
    still_waiting(child)
    child.send("n")
    child.expect_exact("not confirmed: nothing was written")
    assert finish(child) == 130
    assert show(env, "1002")["number"] == "1002"


def test_the_billing_day_list_fits_an_80x24_terminal(env):  # noqa: F811
    child = spawn(env, "create", "customer", "--first-name", "Zed", "--all-fields", "--yes",
                  "-o", "json")
    for question in ("Account number", "Password", "PIN", "Status", "Max channels",
                     "Calls per second", "Number translation", "Valid days",
                     "Create SIP device", "First name", "Last name", "Email", "Company",
                     "Address", "City", "Province", "Postal code", "Country", "Telephone",
                     "Time zone", "Rate group", "Billing schedule"):
        answer(child, question)
    child.expect_exact("Billing day")
    shown = screen_text(child.after + still_waiting(child, 1.0))
    entries = re.findall(r"^ [ »] (\d+)\s*$", shown, re.MULTILINE)
    assert entries == [str(n) for n in range(1, 10)]  # with the "(default ...)" line: 10
    assert "29 entries, 10 shown at a time" in shown
    child.send(DOWN * 27)
    scrolled = screen_text(still_waiting(child, 1.0))
    assert re.search(r"^ » 27\s*$", scrolled, re.MULTILINE)
    child.send(ENTER)
    for question in ("Currency", "Account type", "Low balance alert", "Email alerts",
                     "Notification email"):
        answer(child, question)
    child.expect(r"created customer (\d+)")
    number = child.match.group(1)
    assert finish(child) == 0
    assert show(env, number)["billing_day"] == 27


def test_every_day_two_question_answers_on_the_key(env, ada):  # noqa: F811
    child = spawn(env, "account", "delete", "1002")
    child.expect_exact("Delete 1 account (1002)?")
    time.sleep(0.2)
    child.send("y")
    child.expect_exact("deleted 1 account")
    assert finish(child) == 0
