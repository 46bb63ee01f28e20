"""Issue 16, output at a terminal: every table fits the terminal with no value cut (record
blocks when it cannot), messages wrap between words, filter-fixed columns are left out, empty
lists say so on stderr, and `account export -o json|jsonl` keeps every key."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import sys

import pytest

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
#: 68 characters: wider than what is left of 80 columns beside a number and a kind
EMAIL = "a" * 56 + "@example.com"
TABLE_COMMANDS = [
    ("account", "list"),
    ("batch", "list"),
    ("audit", "list"),
    ("audit", "list", "--limit", "3"),
    ("rategroup", "list"),
    ("tax", "list"),
    ("role", "list"),
    ("reference", "countries", "--search", "fr"),
]


def terminal(cli, *args, width: int):
    """The command at a terminal of `width` columns (TTY_COMPATIBLE=1: rich's own switch)."""
    result = cli(*args, env={"COLUMNS": str(width), "TTY_COMPATIBLE": "1"})
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return ANSI.sub("", result.stdout), ANSI.sub("", result.stderr)


def seed(cli) -> dict:
    reseller = cli.json("create", "reseller", "--first-name", "Rita", "--number", "3906770608",
                        "--email", "rita@example.com")
    assert cli("rategroup", "create", "default", "--reseller", reseller["number"]).exit_code == 0
    assert cli("tax", "create", "VAT", "--rate", "20").exit_code == 0
    assert cli("role", "create", "support", "--for", "admin", "--description",
               "Answers the phone and resets passwords for customers").exit_code == 0
    long_one = cli.json("create", "customer", "--first-name", "Bartholomew", "--last-name",
                        "Longlastnameington", "--email", EMAIL, "--reseller", reseller["number"],
                        "--company", "Very Long Company Name Of Many Words Ltd")
    cli.json("create", "customer", "--first-name", "Ada", "--last-name", "Lovelace",
             "--email", "ada@example.com")
    return long_one


def assert_whole(text: str, values, wrappable: bool = False) -> None:
    """Each value on one line, whole; free text may wrap, but only between its words."""
    lines = text.splitlines()
    tokens = {token for line in lines for token in line.split()}
    for value in values:
        value = str(value)
        if wrappable:
            assert all(word in tokens for word in value.split()), (value, text)
        else:
            assert any(value in line for line in lines), (value, text)


@pytest.mark.parametrize("width", [80, 120])
def test_every_table_fits_the_terminal_and_keeps_every_value_whole(cli, width):
    created = seed(cli)
    for args in TABLE_COMMANDS:
        text, _ = terminal(cli, *args, width=width)
        assert text.strip(), args
        assert max(len(line) for line in text.splitlines()) <= width, (args, text)
    text, _ = terminal(cli, "account", "list", width=width)
    assert_whole(text, [created["number"], EMAIL, "3906770608", "rita@example.com", "Ada",
                        "Longlastnameington", "customer", "reseller"])
    text, _ = terminal(cli, "account", "show", created["number"], width=width)
    assert max(len(line) for line in text.splitlines()) <= width, text
    assert_whole(text, [EMAIL, created["batch_id"], created["number"]])
    assert_whole(text, ["Very Long Company Name Of Many Words Ltd"], wrappable=True)
    text, _ = terminal(cli, "batch", "show", created["batch_id"], width=width)
    assert max(len(line) for line in text.splitlines()) <= width, text
    assert_whole(text, [created["number"], EMAIL])
    for batch in cli.json("batch", "list"):
        text, _ = terminal(cli, "batch", "list", width=width)
        assert_whole(text, [batch["batch_id"]])
        assert_whole(text, [batch["command"]], wrappable=True)
    audit, _ = terminal(cli, "audit", "list", width=width)
    for record in cli.json("audit", "list"):
        assert_whole(audit, [record["batch_id"], record["account"], record["action"]])
        assert_whole(audit, [record["command"]], wrappable=True)
    roles, _ = terminal(cli, "role", "list", width=width)
    assert_whole(roles, ["Answers the phone and resets passwords for customers"], wrappable=True)


def test_a_table_too_wide_for_the_terminal_becomes_one_block_per_record(cli):
    created = seed(cli)
    text, err = terminal(cli, "account", "list", width=80)
    blocks = re.findall(r"^-\[ RECORD (\d+) \]-+$", text, flags=re.M)
    assert blocks == ["1", "2", "3"], text
    # every column in every block, the long email whole on a line of its own
    assert text.count("created_at | ") == 3 and text.count("reseller   |") == 3
    assert f"number     | {created['number']}" in text
    assert EMAIL in text.splitlines()[text.splitlines().index("email      |") + 1]
    assert "left out" not in err
    # 120 columns: the same (the columns that matter, email included, cannot fit) ...
    wide_text, _ = terminal(cli, "account", "list", width=120)
    assert "-[ RECORD 1 ]-" in wide_text and f"email      | {EMAIL}" in wide_text
    # ... while a list whose columns fit is a table, the minor columns left out and named
    table, err = terminal(cli, "account", "list", "--search", "lovelace", width=80)
    assert table.splitlines()[1].split() == ["number", "kind", "first_name", "last_name",
                                             "email", "status", "created_at"]
    assert "left out to fit 80 columns: reseller; --wide shows every column" in err
    table, err = terminal(cli, "account", "list", "--search", "lovelace", width=70)
    assert "RECORD" not in table and "left out to fit 70 columns: reseller, created_at" in err
    assert max(len(line) for line in table.splitlines()) <= 70


def test_a_terminal_narrower_than_the_keys_still_shows_every_value_whole(cli):
    created = seed(cli)
    for args in (("account", "list"), ("audit", "list"), ("account", "show", created["number"])):
        text, _ = terminal(cli, *args, width=8)
        assert_whole(text, [created["number"], EMAIL])
    _, err = terminal(cli, "account", "list", "--search", "nobody", width=2)
    assert err.strip() == "no accounts match"


def test_audit_list_at_80_columns_is_short_and_never_a_ribbon(cli):
    seed(cli)
    text, _ = terminal(cli, "audit", "list", "--limit", "3", width=80)
    lines = text.splitlines()
    assert len(lines) <= 3 * 12, text  # was 63 lines with a four-character command column
    assert max(len(line) for line in lines) <= 80
    for record in cli.json("audit", "list", "--limit", "3"):
        assert_whole(text, [record["command"]], wrappable=True)


def test_wide_keeps_every_column_and_full_times_and_still_fits(cli):
    created = seed(cli)
    full = cli.json("account", "show", created["number"])["created_at"]
    text, err = terminal(cli, "account", "list", "--wide", width=80)
    assert max(len(line) for line in text.splitlines()) <= 80, text
    assert full in text and "left out" not in err
    roomy, err = terminal(cli, "account", "list", "--wide", width=250)
    assert "RECORD" not in roomy and full in roomy and "left out" not in err


def test_a_pipe_keeps_every_column_at_full_width(cli):
    created = seed(cli)
    result = cli("account", "list", env={"COLUMNS": "80"})
    lines = result.stdout.splitlines()
    assert lines[1].split() == ["number", "kind", "first_name", "last_name", "email", "status",
                                "reseller", "created_at"]
    assert any(created["number"] in line and EMAIL in line for line in lines)
    assert "RECORD" not in result.stdout and "left out" not in result.stderr


def test_a_column_a_filter_fixes_is_left_out(cli):
    seed(cli)
    for args, column in ((["--kind", "customer"], "kind"), (["--status", "active"], "status"),
                         (["--reseller", "3906770608"], "reseller")):
        header = cli("account", "list", *args).stdout.splitlines()[1].split()
        assert column not in header and "number" in header, (args, header)
        # the machine formats keep their shape
        rows = list(csv.DictReader(io.StringIO(cli("account", "list", *args, "-o", "csv").stdout)))
        assert column in rows[0]
    header = cli("account", "list").stdout.splitlines()[1].split()
    assert {"kind", "status", "reseller"} <= set(header)


@pytest.mark.parametrize("args, message, csv_header", [
    (("account", "list"), "no accounts", "number,kind,"),
    (("account", "list", "--search", "nobody"), "no accounts match", "number,kind,"),
    (("batch", "list"), "no batches", "batch_id,at,actor,mode,command,created,live"),
    (("audit", "list"), "no audit records", "at,actor,action,account,batch_id,command,changes"),
    (("audit", "list", "--account", "1"), "no audit records match", "at,actor,"),
    (("tax", "list"), "no taxes", None),
])
def test_an_empty_list_prints_no_table_and_says_so(cli, args, message, csv_header):
    result = cli(*args)
    assert result.exit_code == 0 and result.stdout == "", result.stdout
    assert result.stderr.strip() == message
    assert cli.json(*args) == []
    jsonl = cli(*args, "-o", "jsonl")
    assert jsonl.exit_code == 0 and jsonl.stdout == "" and jsonl.stderr == ""
    if csv_header:  # the header keeps the file's shape for scripts
        lines = cli(*args, "-o", "csv").stdout.splitlines()
        assert len(lines) == 1 and lines[0].startswith(csv_header), lines


def test_messages_wrap_between_words_at_a_terminal_and_stay_one_line_elsewhere(cli, tmp_path):
    path = tmp_path / ("a-directory-with-a-rather-long-name-" * 3) / "customers.csv"
    args = ("create", "customer", "--from-file", str(path))
    at_terminal = cli(*args, env={"COLUMNS": "60", "TTY_COMPATIBLE": "1"})
    piped = cli(*args, env={"COLUMNS": "60"})
    assert at_terminal.exit_code == piped.exit_code == 2
    message = piped.stderr.strip()
    assert len(message.splitlines()) == 1 and str(path) in message
    lines = ANSI.sub("", at_terminal.stderr).splitlines()
    assert len(lines) > 1 and any(str(path) in line for line in lines), lines  # whole
    assert all(len(line) <= 60 for line in lines if str(path) not in line), lines
    # the same words in the same order: nothing split, nothing lost
    assert " ".join(" ".join(lines).split()) == " ".join(message.split())


def test_account_list_and_a_message_in_a_real_80_column_terminal(cli, cli_env):
    pexpect = pytest.importorskip("pexpect")
    created = seed(cli)
    env = {**os.environ, **cli_env, "COLUMNS": "80", "LINES": "24", "TERM": "xterm"}

    def run(*args):
        child = pexpect.spawn(sys.executable, ["-m", "acctctl", *args], env=env,
                              dimensions=(24, 80), encoding="utf-8", timeout=60)
        child.expect(pexpect.EOF)
        child.close()
        return child.exitstatus, ANSI.sub("", child.before).replace("\r\n", "\n")

    status, text = run("account", "list")
    assert status == 0, text
    assert max(len(line) for line in text.splitlines()) <= 80, text
    assert "-[ RECORD 1 ]-" in text and "  " + EMAIL in text.splitlines()
    assert f"number     | {created['number']}" in text
    status, text = run("audit", "list", "--limit", "3")
    assert status == 0 and max(len(line) for line in text.splitlines()) <= 80, text
    assert len(text.splitlines()) <= 36, text
    status, text = run("account", "list", "--sort", "no-such-key")
    assert status == 2 and len(text.splitlines()) > 1, text
    assert max(len(line) for line in text.splitlines()) <= 80, text
    assert "'no-such-key'" in text and "billing_schedule," in text.split()


# --- account export: every key, a stable shape --------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_export_json_has_every_key_and_round_trips(cli, tmp_path, fmt):
    from acctctl.service.export import export_keys

    full = cli.json("create", "customer", "--first-name", "Ada", "--last-name", "Lovelace",
                    "--email", "ada@example.com", "--company", "Analytical", "--city", "London")
    bare = cli.json("create", "customer", "--first-name", "Bo")  # most fields empty

    def export() -> list[dict]:
        result = cli("account", "export", "--kind", "customer", "-o", fmt)
        assert result.exit_code == 0, result.stderr
        if fmt == "json":
            return json.loads(result.stdout)
        return [json.loads(line) for line in result.stdout.splitlines()]

    rows = export()
    keys = export_keys("customer", with_secrets=False)
    assert [list(row) for row in rows] == [keys, keys]  # every key, in one order
    by_number = {row["number"]: row for row in rows}
    assert by_number[bare["number"]]["email"] is None
    assert by_number[bare["number"]]["company"] in (None, "")  # as stored, as -o json lists it
    assert by_number[full["number"]]["company"] == "Analytical"
    # export, purge, import the file: the same accounts again
    path = tmp_path / f"customers.{fmt}"
    path.write_text("\n".join(json.dumps(r) for r in rows) if fmt == "jsonl"
                    else json.dumps(rows))
    purge = cli("account", "delete", full["number"], bare["number"], "--purge", "--yes")
    assert purge.exit_code == 0, purge.stderr
    created = cli("create", "customer", "--from-file", str(path))
    assert created.exit_code == 0, created.stderr
    assert export() == rows
