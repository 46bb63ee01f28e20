"""A billing schedule given again as it is stored keeps the billing day (issue 19: a
second apply of the same file changes nothing, whatever day it runs on).

A file that gives `billing_schedule` but no `billing_day` used to move the billing day to
the day the re-apply ran (the day a new schedule defaults to), so a seed re-applied on
another day was never 0 changes; `account update --billing-schedule` with the stored
schedule did the same. The day here is set to one that is not today's, as if the account
had been created on another day. On SQLite and PostgreSQL (`cli` is parametrised)."""

from __future__ import annotations

import json
from datetime import date


def other_day() -> str:
    return str(date.today().day % 28 + 1)  # 1-28, never today's


def test_a_re_apply_giving_the_same_schedule_keeps_the_billing_day(cli, tmp_path):
    path = tmp_path / "set.json"
    path.write_text(json.dumps({"set": "billing", "customers": [
        {"number": "4300000001", "first_name": "Ada", "billing_schedule": "monthly"}]}))
    assert cli("apply", "-f", str(path)).exit_code == 0
    day = other_day()
    assert cli("account", "update", "4300000001", "--billing-day", day).exit_code == 0
    plan = cli("plan", "-f", str(path), "--exit-code", "-o", "json")
    assert plan.exit_code == 0, plan.stdout  # nothing to do: 7 would be a change
    assert [op["action"] for op in json.loads(plan.stdout)] == ["unchanged"]
    assert cli("apply", "-f", str(path)).exit_code == 0
    assert cli.json("account", "show", "4300000001")["billing_day"] == int(day)


def test_update_with_the_stored_schedule_keeps_the_day_and_a_new_one_resets_it(cli):
    day = other_day()
    cli.json("create", "customer", "--number", "4300000002", "--first-name", "Bo",
             "--billing-schedule", "monthly", "--billing-day", day)
    result = cli("account", "update", "4300000002", "--billing-schedule", "Monthly")
    assert result.exit_code == 0, result.stderr
    assert cli.json("account", "show", "4300000002")["billing_day"] == int(day)
    weekly = cli.json("account", "update", "4300000002", "--billing-schedule", "weekly")
    assert weekly  # a new schedule: its day is today's weekday, as at creation
    shown = cli.json("account", "show", "4300000002")
    assert shown["billing_schedule"] == "weekly"
    assert shown["billing_day"] == date.today().isoweekday()
