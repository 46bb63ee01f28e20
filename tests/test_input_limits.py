"""Hostile input (issue 9, contract §9): bounded readers, text rules, no exit 1.

Every test that touches the database runs on SQLite and on PostgreSQL (the `cli` fixture).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa


def accounts_in(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM accounts")).scalar_one()


def write(path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


def errors_of(cli, *args, code: int = 3) -> list[dict]:
    doc = cli.json(*args, code=code)
    return doc["errors"]


# --- bounded readers -----------------------------------------------------------------------


# The child reports its own peak RSS (VmHWM of the program it runs) at exit: wait4's
# ru_maxrss would carry the forking pytest process's size, which a long run makes large.
_REPORT_PEAK = """
import atexit, re, runpy, sys
def report():
    status = open("/proc/self/status").read()
    sys.stderr.write("\\npeak-rss-kib " + re.search(r"VmHWM:\\s+(\\d+)", status)[1] + "\\n")
atexit.register(report)
sys.argv = ["acctctl"] + sys.argv[1:]
runpy.run_module("acctctl", run_name="__main__", alter_sys=True)
"""


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "json"])
def test_endless_input_ends_quickly_with_memory_flat(cli_env, tmp_path, fmt):
    """/dev/zero is an endless line of NULs: exit 2 or 3 within seconds, memory bounded."""
    import re

    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", _REPORT_PEAK, "create", "customer", "--from-file", "/dev/zero",
         "--format", fmt, "--no-input"],
        env={**os.environ, **cli_env}, capture_output=True, cwd=tmp_path, timeout=120,
    )
    stderr = proc.stderr.decode()
    assert proc.returncode in (2, 3), stderr
    assert time.monotonic() - started < 30
    peak = int(re.search(r"peak-rss-kib (\d+)", stderr)[1])
    assert peak < 250 * 1024, f"{peak} KiB"
    assert "internal error" not in stderr


def test_a_huge_csv_cell_is_exit_3_naming_row_and_field(cli, tmp_path, engine):
    path = write(tmp_path / "big.csv", "first_name,city\nAda,ok\nBo," + "x" * 1_000_000 + "\n")
    errors = errors_of(cli, "create", "customer", "--from-file", path)
    assert [(e["row"], e["field"]) for e in errors] == [(2, "city")]
    assert "10,000 characters" in errors[0]["message"]
    assert accounts_in(engine) == 0


def test_a_huge_csv_record_over_many_lines_is_bounded(cli, tmp_path, engine):
    # one quoted cell spanning a million short lines: the record, not a line, is too long
    path = write(tmp_path / "q.csv", 'first_name,city\nAda,"' + "ab\n" * 400_000 + '"\n')
    result = cli("create", "customer", "--from-file", path)
    assert result.exit_code == 3, result.stderr
    assert "row 1" in result.stderr and "characters" in result.stderr
    assert accounts_in(engine) == 0


@pytest.mark.parametrize("name", ["deep.json", "deep.jsonl"])
def test_deep_nesting_is_exit_3(cli, tmp_path, engine, name):
    deep = "[" * 100_000 + "]" * 100_000
    text = f"[{deep}]" if name.endswith(".json") else '{"first_name": ' + deep + "}\n"
    result = cli("create", "customer", "--from-file", write(tmp_path / name, text))
    assert result.exit_code == 3, result.stderr
    assert "nests deeper than" in result.stderr
    # moderately deep (under the recursion limit, over the bound) as well
    moderate = '{"first_name": "A", "taxes": ' + "[" * 40 + "]" * 40 + "}\n"
    result = cli("create", "customer", "--from-file", write(tmp_path / "m.jsonl", moderate))
    assert result.exit_code == 3 and "nests deeper than 32" in result.stderr
    assert accounts_in(engine) == 0


def test_a_5000_digit_integer_is_exit_3_naming_the_field(cli, tmp_path, engine):
    path = write(tmp_path / "n.json",
                 '[{"first_name": "Ada", "max_channels": ' + "9" * 5000 + "}]")
    errors = errors_of(cli, "create", "customer", "--from-file", path)
    assert [e["field"] for e in errors] == ["max_channels"]
    result = cli("create", "customer", "--first-name", "Ada", "--max-channels", "9" * 5000)
    assert result.exit_code == 3 and "--max-channels" in result.stderr
    result = cli("create", "customer", "--first-name", "Ada", "--credit-limit", "1e999999999",
                 "--account-type", "postpaid")
    assert result.exit_code == 3 and "--credit-limit" in result.stderr
    path = write(tmp_path / "e.json", '[{"first_name": "Ada", "credit_limit": 1e999999999, '
                 '"account_type": "postpaid"}]')
    assert [e["field"] for e in errors_of(cli, "create", "customer", "--from-file", path)] == [
        "credit_limit"]
    assert accounts_in(engine) == 0


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_a_field_named_error_is_an_unknown_field(cli, tmp_path, engine, fmt):
    if fmt == "csv":
        text = "first_name,__error__\nAda,x\nBo,\n"
    else:
        text = '{"first_name": "Ada", "__error__": "x"}\n{"first_name": "Bo"}\n'
    path = write(tmp_path / f"rows.{fmt}", text)
    doc = cli.json("create", "customer", "--from-file", path, "--continue-on-error", code=6)
    assert [(e["row"], e["field"], e["message"]) for e in doc["errors"]] == [
        (1, "__error__", "is not a known field")]
    assert [a["first_name"] for a in doc["created"]] == ["Bo"]
    assert accounts_in(engine) == 1


@pytest.mark.parametrize(("name", "text", "key"), [
    ("dup.csv", "first_name,email,first_name\nAda,a@example.com,Bo\n", "first_name"),
    ("dup.jsonl", '{"first_name": "Ada", "email": "a@example.com", "email": "b@example.com"}\n',
     "email"),
    ("dup.json", '[{"first_name": "Ada", "email": "a@example.com", "email": "b@example.com"}]',
     "email"),
])
def test_a_key_given_twice_in_one_row_is_exit_3_naming_it(cli, tmp_path, engine, name, text,
                                                          key):
    result = cli("create", "customer", "--from-file", write(tmp_path / name, text))
    assert result.exit_code == 3, result.stderr
    assert f"{key}: " in result.stderr and "twice" in result.stderr
    assert accounts_in(engine) == 0


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_and_tab_separated_csv_are_read(cli, tmp_path, delimiter):
    rows = [["number", "first_name", "email"], ["5000001", "Semi", "semi@example.com"]]
    text = "\n".join(delimiter.join(r) for r in rows) + "\n"
    doc = cli.json("create", "customer", "--from-file", write(tmp_path / "eu.csv", text))
    assert [(a["number"], a["first_name"], a["email"]) for a in doc["created"]] == [
        ("5000001", "Semi", "semi@example.com")]


def test_a_header_with_another_separator_says_what_was_seen(cli, tmp_path, engine):
    path = write(tmp_path / "pipe.csv", "number|first_name\n5000001|Ada\n")
    result = cli("create", "customer", "--from-file", path)
    assert result.exit_code == 2
    assert "'number|first_name'" in result.stderr and "';'" in result.stderr
    assert accounts_in(engine) == 0


# --- text rules (models/rules.py), for flags, rows and catalog entries ---------------------


@pytest.mark.parametrize(("flag", "value"), [
    ("--first-name", '=HYPERLINK("http://evil.example/","click")'),
    ("--city", "-1+1"),
    ("--last-name", "+cmd"),
    ("--company", "@SUM(A1)"),
    ("--address", "  =1+1"),
    ("--email", "=1+2@example.com"),
])
def test_free_text_refuses_a_spreadsheet_formula_lead(cli, engine, flag, value):
    args = ["create", "customer", "--first-name", "Ada", flag, value]
    result = cli(*args)
    assert result.exit_code == 3, result.stderr
    assert f"{flag}: " in result.stderr and "spreadsheet formula" in result.stderr
    assert accounts_in(engine) == 0


def test_numbers_and_e164_telephones_are_not_free_text(cli):
    account = cli.json("create", "customer", "--first-name", "Ada", "--telephone",
                       "+1 201 555 0123", "--number-translation", "+1/00", "--last-name",
                       "O'Neil-Smith")
    assert account["telephone"] == "+12015550123"
    assert account["number_translation"] == "+1/00"


@pytest.mark.parametrize("value", ["Ada\x1b[2J", "Ada\x07", "A\x00da", "Ada\u202eevil",
                                   "\u2066Ada", "Ad\x85a"])
def test_control_and_bidi_characters_are_refused(cli, tmp_path, engine, value):
    result = cli("create", "customer", "--first-name", value)
    assert result.exit_code == 3, result.stderr
    assert "--first-name" in result.stderr and "U+" in result.stderr
    path = write(tmp_path / "r.jsonl", json.dumps({"first_name": "Ada", "city": value}) + "\n")
    errors = errors_of(cli, "create", "customer", "--from-file", path)
    assert [e["field"] for e in errors] == ["city"]
    assert accounts_in(engine) == 0


@pytest.mark.parametrize("command", [
    ("tax", "create", "V\x00AT", "--rate", "20"),
    ("tax", "create", "=VAT", "--rate", "20"),
    ("rategroup", "create", "gold\u202e"),
    ("role", "create", "ops\x1b", "--for", "admin"),
    ("role", "create", "ops", "--for", "admin", "--description", "\x1b[2J\x07 cleared"),
    ("role", "create", "ops", "--for", "admin", "--description", "=cmd"),
    ("rategroup", "create", "gold", "--reseller", "1\x00"),
])
def test_catalog_names_and_descriptions_follow_the_text_rules(cli, command):
    before = {what: cli.json(what, "list") for what in ("tax", "rategroup", "role")}
    result = cli(*command)
    assert result.exit_code == 3, (result.stdout, result.stderr)
    assert "internal error" not in result.stderr
    assert {what: cli.json(what, "list") for what in before} == before


def test_names_accounts_refer_to_follow_the_text_rules(cli, engine, tmp_path):
    result = cli("create", "customer", "--first-name", "Ada", "--tax", "V\x00AT")
    assert result.exit_code == 3 and "--tax" in result.stderr, result.stderr
    result = cli("create", "customer", "--first-name", "Ada", "--rate-group", "g\x00")
    assert result.exit_code == 3 and "--rate-group" in result.stderr
    for args in (("account", "show", "1\x00"), ("account", "list", "--reseller", "1\x00")):
        assert cli(*args).exit_code == 3
    assert accounts_in(engine) == 0


def test_stored_control_characters_never_reach_the_terminal(cli, engine):
    """Rows written before these rules (or by hand) are shown with control characters
    made visible, not sent raw to the operator's terminal."""
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO roles (name, scope, description, created_at) "
                             "VALUES ('old', 'admin', :d, CURRENT_TIMESTAMP)"),
                     {"d": "\x1b[2J\x07gone\u202e"})
    table = cli("role", "list")
    assert table.exit_code == 0
    assert "\x1b" not in table.stdout and "\x07" not in table.stdout
    assert "\u202e" not in table.stdout and "gone" in table.stdout
    stored = {r["name"]: r["description"] for r in cli.json("role", "list")}
    assert stored["old"] == "\x1b[2J\x07gone\u202e"  # the data itself is not changed


# --- single values ------------------------------------------------------------------------


def test_expiry_past_the_last_representable_moment_is_exit_3(cli, engine):
    result = cli("create", "customer", "--first-name", "Ada",
                 "--expiry", "9999-12-31T23:59:59-12:00")
    assert result.exit_code == 3, result.stderr
    assert "--expiry" in result.stderr and "out of range" in result.stderr
    assert accounts_in(engine) == 0


def test_telephone_letters_are_not_read_as_keypad_digits(cli, engine):
    result = cli("create", "customer", "--first-name", "Ada", "--country", "DE",
                 "--telephone", "030 abc")
    assert result.exit_code == 3, result.stdout
    assert "--telephone" in result.stderr and "letters" in result.stderr
    assert accounts_in(engine) == 0


def test_a_field_depending_on_a_failed_field_is_not_judged_again(cli, engine):
    result = cli("create", "customer", "--first-name", "Ada", "--country", "Atlantis",
                 "--telephone", "030 1234567")
    assert result.exit_code == 3
    assert "--country" in result.stderr
    assert "--telephone" not in result.stderr and "region" not in result.stderr
    result = cli("create", "customer", "--first-name", "Ada", "--email", "nope",
                 "--email-alerts")
    assert "--email:" in result.stderr and "--email-alerts" not in result.stderr


def test_account_list_limit_beyond_any_integer_is_a_usage_error(cli):
    result = cli("account", "list", "--limit", "99999999999999999999")
    assert result.exit_code == 2, (result.stdout, result.stderr)


def test_a_csv_header_that_cannot_be_keys_is_a_usage_error(cli, tmp_path, engine):
    path = write(tmp_path / "h.csv", "first_name," + "k" * 500_000 + "\nAda,x\n")
    result = cli("create", "customer", "--from-file", path)
    assert result.exit_code == 2, result.stderr
    assert "500,000 characters" in result.stderr and len(result.stderr) < 1000
    assert accounts_in(engine) == 0
