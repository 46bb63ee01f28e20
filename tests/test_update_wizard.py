"""`account update NUMBER` in the wizard (issue 16): what the summary shows is what is written.

`-` (no value) to a question clears the field: it becomes what create gives an account that
lacks it (empty for a last name, 0 for a credit limit). The summary names the account and
shows old and new of the changed fields only, computed by the update itself (a dry run of the
same changes), so that confirming writes exactly that.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import sqlalchemy as sa

from acctctl.interactive import wizard as wizard_mod
from test_interactive import FakePrompter  # tests/test_interactive.py


@pytest.fixture(autouse=True)
def open_gate(monkeypatch):
    """At a terminal: the wizard runs (its questions answered by a FakePrompter)."""
    from acctctl.cli import console

    monkeypatch.setattr(console, "current",
                        lambda: console.Streams(stdin_tty=True, stdout_tty=True,
                                                stderr_tty=False))


@pytest.fixture
def account(cli) -> dict:
    return cli.json("create", "customer", "--number", "1002", "--first-name", "Ada",
                    "--last-name", "Byron", "--account-type", "postpaid", "--credit-limit",
                    "500", "--company", "Engines", "--city", "Oslo",
                    "--telephone", "+4722000000")


@pytest.fixture
def summaries(monkeypatch) -> list:
    """Every summary the update shows: (title, {key: (old, new)})."""
    shown = []
    real = wizard_mod.confirm_changes

    def spy(kind, title, changes, **kw):
        shown.append((title, {k: tuple(v) for k, v in changes.items()}))
        return real(kind, title, changes, **kw)

    monkeypatch.setattr(wizard_mod, "confirm_changes", spy)
    return shown


def _update(cli, monkeypatch, script: dict, *args: str):
    fake = FakePrompter(script)
    monkeypatch.setattr(wizard_mod, "make_prompter", lambda: fake)
    return cli("account", "update", "1002", "-o", "json", *args), fake


def _audit_changes(engine) -> list[dict]:
    with engine.connect() as conn:
        return [json.loads(c) for c in conn.execute(sa.text(
            "SELECT changes FROM audit_events WHERE action = 'update' ORDER BY id")).scalars()]


def _plain(changes: dict) -> dict:
    from acctctl.plain import plain

    return {k: [plain(o), plain(n)] for k, (o, n) in changes.items()}


def test_a_dash_clears_the_last_name_as_the_summary_says(cli, account, monkeypatch,
                                                         summaries, engine):
    result, _ = _update(cli, monkeypatch, {"Last name": "-", "Update this customer?": True})
    assert result.exit_code == 0, result.stderr
    [(title, changes)] = summaries
    assert changes == {"last_name": ("Byron", "")}
    assert cli.json("account", "show", "1002")["last_name"] in ("", None)  # cleared
    assert json.loads(result.stdout)["changes"] == {"last_name": ["Byron", ""]}
    assert _audit_changes(engine) == [{"last_name": ["Byron", ""]}]


def test_a_dash_to_the_credit_limit_writes_the_zero_the_summary_shows(cli, account,
                                                                      monkeypatch, summaries,
                                                                      engine):
    result, _ = _update(cli, monkeypatch, {"Credit limit": "-",
                                           "Update this customer?": True})
    assert result.exit_code == 0, result.stderr
    [(_, changes)] = summaries
    assert list(changes) == ["credit_limit"]
    old, new = changes["credit_limit"]
    assert Decimal(old) == 500 and Decimal(new) == 0
    assert Decimal(str(cli.json("account", "show", "1002")["credit_limit"])) == 0
    row = [line for line in result.stderr.splitlines() if "Credit limit" in line]
    assert len(row) == 1 and "500" in row[0] and "0" in row[0].split("500", 1)[1]
    assert "500.00000" not in result.stderr  # amounts as typed, not as stored


def test_the_summary_is_exactly_what_is_written(cli, account, monkeypatch,
                                                summaries, engine):
    script = {"Last name": "-", "Company": "-", "Telephone": "-", "Credit limit": "-",
              "Email": "ada@example.org", "Change other settings?": True, "City": "-",
              "Calls per second": "3", "Update this customer?": True}
    result, _ = _update(cli, monkeypatch, script)
    assert result.exit_code == 0, result.stderr
    [(_, shown)] = summaries
    written = _audit_changes(engine)
    assert written == [_plain(shown)]
    assert set(shown) == {"last_name", "company", "telephone", "credit_limit", "email",
                          "city", "cps"}
    after = cli.json("account", "show", "1002")
    for key, (_, new) in _plain(shown).items():
        assert str(after[key] if after[key] is not None else "") == str(new or "") or \
            Decimal(str(after[key])) == Decimal(new), key


def test_the_summary_names_the_account_and_lists_only_changed_fields(cli, account,
                                                                     monkeypatch, summaries):
    result, _ = _update(cli, monkeypatch, {"City": "Paris", "Change other settings?": True,
                                           "Update this customer?": True})
    assert result.exit_code == 0, result.stderr
    [(title, changes)] = summaries
    assert title == "Update customer 1002 (Ada Byron)"
    assert changes == {"city": ("Oslo", "Paris")}
    summary = result.stderr[result.stderr.index(title):]
    summary = summary[:summary.index("updated customer")]
    assert "Oslo" in summary and "Paris" in summary
    for unchanged in ("First name", "Last name", "Company", "Credit limit", "Telephone"):
        assert unchanged not in summary


def test_declining_the_summary_writes_nothing(cli, account, monkeypatch, summaries,
                                              engine):
    result, fake = _update(cli, monkeypatch, {"Last name": "-"})  # the confirm defaults to No
    assert result.exit_code == 130
    assert "not confirmed: nothing was written" in result.stderr
    assert fake.asked[-1] == "Update this customer?"
    assert cli.json("account", "show", "1002")["last_name"] == "Byron"
    assert _audit_changes(engine) == []


def test_no_change_asks_no_confirmation(cli, account, monkeypatch, summaries,
                                        engine):
    result, fake = _update(cli, monkeypatch, {})
    assert result.exit_code == 0, result.stderr
    assert "nothing changed" in result.stderr
    assert "Update this customer?" not in fake.asked and summaries == []
    assert _audit_changes(engine) == []


def test_yes_writes_the_cleared_field_without_asking(cli, account, monkeypatch,
                                                     summaries, engine):
    result, fake = _update(cli, monkeypatch, {"Last name": "-"}, "--yes")
    assert result.exit_code == 0, result.stderr
    assert "Update this customer?" not in fake.asked and summaries == []
    assert _audit_changes(engine) == [{"last_name": ["Byron", ""]}]


def test_a_prepaid_account_is_walked_without_a_word_about_its_credit_limit(cli, monkeypatch,
                                                                          summaries, engine):
    cli.json("create", "customer", "--number", "1002", "--first-name", "Bo")  # prepaid
    result, fake = _update(cli, monkeypatch, {})
    assert result.exit_code == 0, result.stderr
    assert "Credit limit" not in fake.asked and "dropped" not in result.stderr
    assert "customer 1002: nothing changed; nothing was written" in result.stderr
    assert _audit_changes(engine) == []
