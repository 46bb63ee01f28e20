"""What an operator hits on day one (issue 10): dry runs that change nothing, --if-exists
that skips only the same account, global options anywhere, suggestions, closed pipes,
rejects files, config init and password files."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from conftest import TEST_CONFIG
from launcher import acctctl_argv

# --- a dry run changes nothing, anywhere ---------------------------------------------------


def _tables(url) -> list[str]:
    from acctctl.db.engine import make_engine

    engine = make_engine(url)
    try:
        return sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_a_dry_run_against_an_empty_database_leaves_it_empty(blank_cli):
    cli, url = blank_cli
    single = cli("create", "customer", "--first-name", "Ada", "--dry-run", "-o", "json")
    assert single.exit_code == 0, single.stderr
    assert json.loads(single.stdout)["rate_group"] == "default"  # checked as for real
    bulk = cli("create", "customer", "--count", "3", "--dry-run", "-o", "json")
    assert bulk.exit_code == 0, bulk.stderr
    assert json.loads(bulk.stdout)["summary"]["created"] == 3
    bad = cli("create", "customer", "--first-name", "Ada", "--rate-group", "gold", "--dry-run")
    assert bad.exit_code == 3 and "gold" in bad.stderr  # same verdict as the real run
    if url.startswith("sqlite"):
        from sqlalchemy.engine import make_url

        path = make_url(url).database
        import os

        assert not os.path.exists(path), "a dry run created the SQLite file"
    else:
        assert _tables(url) == []
    real = cli("create", "customer", "--first-name", "Ada", "-o", "json")
    assert real.exit_code == 0, real.stderr
    assert "accounts" in _tables(url)


def test_a_single_dry_run_says_so_in_its_json(cli):
    doc = cli.json("create", "customer", "--first-name", "Ada", "--dry-run")
    assert doc["dry_run"] is True
    real = cli.json("create", "customer", "--first-name", "Ada")
    assert "dry_run" not in real


# --- --if-exists skip skips only the same account ------------------------------------------


def test_if_exists_skip_does_not_skip_another_kind_of_account(cli, tmp_path):
    reseller = cli.json("create", "reseller", "--first-name", "Rita",
                        "--email", "rita@example.com")
    single = cli("create", "customer", "--first-name", "Cy", "--number", reseller["number"],
                 "--if-exists", "skip")
    assert single.exit_code == 4, single.stderr
    assert "it is a reseller, not a customer" in single.stderr
    by_email = cli("create", "customer", "--first-name", "Cy", "--email", "RITA@example.com",
                   "--if-exists", "skip")
    assert by_email.exit_code == 4, by_email.stderr
    rows = tmp_path / "rows.csv"
    rows.write_text(f"number,first_name\n{reseller['number']},Cy\n4100000001,Di\n")
    batch = cli("create", "customer", "--from-file", str(rows), "--if-exists", "skip",
                "--continue-on-error", "-o", "json")
    assert batch.exit_code == 6, batch.stderr
    doc = json.loads(batch.stdout)
    assert doc["skipped"] == [] and [e["row"] for e in doc["errors"]] == [1]
    assert [a["number"] for a in doc["created"]] == ["4100000001"]
    # the same kind is still skipped
    again = cli.json("create", "reseller", "--first-name", "Rita", "--number",
                     reseller["number"], "--if-exists", "skip")
    assert again["number"] == reseller["number"]


# --- the command line ----------------------------------------------------------------------


@pytest.mark.parametrize("typo, meant", [
    (["create", "custmer"], "customer"), (["create", "resellr"], "reseller"),
    (["acount", "list"], "account"), (["account", "lst"], "list"),
    (["rategroup", "crate"], "create"), (["reference", "countrys"], "countries"),
    (["db", "upgrad"], "upgrade"), (["config", "shw"], "show"),
])
def test_a_mistyped_command_suggests_the_right_one(cli, typo, meant):
    result = cli(*typo)
    assert result.exit_code == 2
    assert f"Did you mean '{meant}'?" in result.stderr


def test_global_options_work_after_the_sub_command(cli, config_file, tmp_path):
    config_file.write_text(TEST_CONFIG + '\n[profiles.staging.defaults]\ncountry = "DE"\n'
                           'timezone = "Europe/Berlin"\ncurrency = "EUR"\n')
    missing = tmp_path / "missing.toml"
    before = cli("--config", str(missing), "account", "list")
    after = cli("account", "list", "--config", str(missing))
    assert before.exit_code == after.exit_code == 5 and str(missing) in after.stderr
    assert cli("account", "list", f"--config={missing}").exit_code == 5
    doc = cli.json("create", "customer", "--first-name", "Ada", "--profile", "staging")
    assert (doc["country"], doc["currency"]) == ("DE", "EUR")
    unknown = cli("account", "list", "--profile", "nope")
    assert unknown.exit_code == 5 and "unknown profile 'nope'" in unknown.stderr
    listed = cli("account", "list", "--no-input", "-o", "json")
    assert listed.exit_code == 0 and json.loads(listed.stdout)[0]["number"] == doc["number"]


def test_global_no_input_refuses_to_prompt_at_a_terminal(cli, monkeypatch):
    from acctctl.cli import console

    class Terminal(console.Streams):
        def __init__(self):
            super().__init__(stdin_tty=True, stdout_tty=True, stderr_tty=False)

    monkeypatch.setattr(console, "current", Terminal)
    for args in (["--no-input", "create", "customer"], ["create", "customer", "--no-input"]):
        result = cli(*args, "--last-name", "Lovelace")
        assert result.exit_code == 2 and "--first-name" in result.stderr


def test_a_closed_stdout_ends_quietly_with_success(config_file, tmp_path):
    # about pipes, not databases: one SQLite file, more rows than a pipe buffer holds
    import os
    import shutil
    import subprocess
    import sys

    acctctl = shutil.which("acctctl", path=os.path.dirname(sys.executable))
    env = {**os.environ, "ACCTCTL_CONFIG": str(config_file),
           "ACCTCTL_DATABASE_URL": f"sqlite:///{tmp_path / 'pipe.db'}"}
    seeded = subprocess.run([acctctl, "create", "customer", "--count", "300", "--no-sip-device",
                             "-o", "csv"], env=env, capture_output=True, text=True)
    assert seeded.returncode == 0, seeded.stderr
    for fmt in ("csv", "table"):
        piped = subprocess.run(["bash", "-o", "pipefail", "-c",
                                f"{acctctl} account list --limit 0 -o {fmt} | head -n 1"],
                               env=env, capture_output=True)
        assert piped.returncode in (0, 141), (fmt, piped.returncode, piped.stderr)
        assert piped.stderr == b"", (fmt, piped.stderr)


# --- --rejects-file --------------------------------------------------------------------------


def test_rejects_file_holds_the_failed_rows_to_fix_and_run_again(cli, tmp_path):
    import os
    import stat

    source = tmp_path / "in.csv"
    source.write_text("number,first_name,country,password\n"
                      "4100000001,Ada,DE,Secret-Pass1\n"
                      "4100000002,Bo,Neverland,Secret-Pass2\n"
                      "4100000003,,FR,\n")
    rejects = tmp_path / "rejects.csv"
    result = cli("create", "customer", "--from-file", str(source), "--continue-on-error",
                 "--rejects-file", str(rejects))
    assert result.exit_code == 6, result.stderr
    assert f"wrote the 2 failed rows to {rejects}" in result.stderr
    assert stat.S_IMODE(os.stat(rejects).st_mode) == 0o600
    lines = rejects.read_text().splitlines()
    assert lines[0] == "number,first_name,country,password,error"
    assert lines[1].startswith("4100000002,Bo,Neverland,Secret-Pass2,country: ")
    assert lines[2].startswith("4100000003,,FR,,first_name: ")
    # fixed in place, the rejects file runs as it is (its error column is ignored)
    rejects.write_text(rejects.read_text().replace("Neverland", "GB").replace(",,FR", ",Cy,FR"))
    again = cli("create", "customer", "--from-file", str(rejects), "-o", "json")
    assert again.exit_code == 0, again.stderr
    assert len(json.loads(again.stdout)["created"]) == 2
    # never overwritten, and refused before anything is written
    refused = cli("create", "customer", "--from-file", str(source), "--continue-on-error",
                  "--rejects-file", str(rejects))
    assert refused.exit_code == 2 and "never overwritten" in refused.stderr
    assert len(cli.json("account", "list")) == 3


def test_rejects_file_keeps_the_input_format_and_is_left_out_when_nothing_failed(cli, tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text('{"first_name": "Ada", "taxes": ["vat"]}\n{"first_name": "Bo"}\n')
    rejects = tmp_path / "rejects.jsonl"
    result = cli("create", "customer", "--from-file", str(source), "--continue-on-error",
                 "--rejects-file", str(rejects))
    assert result.exit_code == 6, result.stderr
    [row] = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert row["first_name"] == "Ada" and row["taxes"] == ["vat"]
    assert row["error"].startswith("taxes: ")
    clean = tmp_path / "clean.jsonl"
    clean.write_text('{"first_name": "Cy"}\n')
    none = tmp_path / "none.jsonl"
    ok = cli("create", "customer", "--from-file", str(clean), "--continue-on-error",
             "--rejects-file", str(none))
    assert ok.exit_code == 0 and not none.exists()
    lone = cli("create", "customer", "--from-file", str(clean), "--rejects-file", str(none))
    assert lone.exit_code == 2 and "--continue-on-error" in lone.stderr


# --- 80 columns, in a real terminal ------------------------------------------------------------


def test_account_list_fits_an_80_column_terminal(cli, cli_env):
    import os
    import re
    import sys

    pexpect = pytest.importorskip("pexpect")
    reseller = cli.json("create", "reseller", "--first-name", "Rita", "--number",
                        "3906770608", "--email", "rita@example-company.com")
    assert cli("rategroup", "create", "default", "--reseller", reseller["number"]).exit_code == 0
    cli.json("create", "customer", "--first-name", "Bartholomew", "--last-name",
             "Longley", "--reseller", reseller["number"])
    env = {**os.environ, **cli_env, "COLUMNS": "80", "LINES": "24", "TERM": "xterm"}
    child = pexpect.spawn(sys.executable, ["-m", "acctctl", "account", "list"], env=env,
                          dimensions=(24, 80), encoding="utf-8", timeout=30)
    child.expect(pexpect.EOF)
    child.close()
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", child.before)
    assert child.exitstatus == 0, text
    lines = [line for line in text.splitlines() if not line.startswith("(")]  # not the note
    assert max(len(line) for line in lines) <= 80, text
    assert any("3906770608" in line and "reseller" in line for line in lines), text
    assert "rita@example-company.com" in text
    assert "left out to fit 80 columns" in text and "--wide" in text


# --- help at 80 columns ------------------------------------------------------------------------


def _every_command_path() -> list[list[str]]:
    import typer

    from acctctl.cli import app

    root = typer.main.get_command(app)
    paths = []

    def walk(command, path):
        paths.append(path)
        if hasattr(command, "list_commands"):
            for name in command.list_commands(None):
                walk(command.get_command(None, name), [*path, name])

    walk(root, [])
    return paths


def test_every_help_fits_80_columns_with_plain_placeholders_and_examples():
    from typer.testing import CliRunner

    from acctctl.cli import app

    runner = CliRunner()
    paths = _every_command_path()
    assert ["create", "customer"] in paths and ["account", "list"] in paths
    for path in paths:
        result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "80"})
        assert result.exit_code == 0, (path, result.output)
        text = result.stdout
        assert max(len(line) for line in text.splitlines()) <= 80, (path, text)
        for bad in ("…", "<bool>", "<str>", "<int", "{"):
            assert bad not in text.replace("${fpath[1]}", ""), (path, bad, text)
        if path and not hasattr(typer_command(path), "list_commands"):
            examples = [line for line in text.splitlines() if line.strip().startswith("$ ")]
            assert 1 <= len(examples) <= 4, (path, text)


def typer_command(path):
    import typer

    from acctctl.cli import app

    command = typer.main.get_command(app)
    for name in path:
        command = command.get_command(None, name)
    return command


def test_create_help_groups_flags_as_the_form_and_marks_required_ones():
    from typer.testing import CliRunner

    from acctctl.cli import app

    for kind in ("customer", "admin"):
        text = CliRunner().invoke(app, ["create", kind, "--help"], env={"COLUMNS": "80"}).stdout
        headings = [line[:-1] for line in text.splitlines() if line.endswith(":")
                    and not line.startswith(" ")]
        expected = ["Account", "Profile"] + (["Billing", "Alerts"] if kind == "customer" else [])
        assert headings[:len(expected)] == expected, text
        assert "--number-translation" in text or kind == "admin"
        first_name = text[text.index("--first-name"):].split("\n--")[0]
        assert "[required]" in first_name
        assert ("required" in text[text.index("--email"):].split("\n  --")[0]) == (
            kind == "admin")
        examples = [line for line in text.splitlines() if line.strip().startswith("$ ")]
        assert 2 <= len(examples) <= 4, text


# --- shell completion completes values ------------------------------------------------------


def _complete(env, words: str) -> list[str]:
    import os
    import subprocess

    result = subprocess.run(
        acctctl_argv(), capture_output=True, text=True, timeout=60,
        env={**os.environ, **env, "_ACCTCTL_COMPLETE": "complete_bash", "COMP_WORDS": words,
             "COMP_CWORD": str(len(words.split(" ")) - 1)})
    assert result.returncode == 0 and result.stderr == "", result
    return result.stdout.split()


def test_tab_completes_fixed_choices_and_config_profiles(tmp_path, config_file):
    config_file.write_text(TEST_CONFIG + "\n[profiles.staging]\n[profiles.prod]\n")
    env = {"ACCTCTL_DATABASE_URL": f"sqlite:///{tmp_path / 'none.db'}",
           "ACCTCTL_CONFIG": str(config_file)}
    assert _complete(env, "acctctl create customer --status ") == ["active", "inactive"]
    assert _complete(env, "acctctl create customer --account-type p") == ["prepaid", "postpaid"]
    assert _complete(env, "acctctl create customer --billing-schedule w") == ["weekly"]
    assert _complete(env, "acctctl account list -o j") == ["json", "jsonl"]
    assert _complete(env, "acctctl account list --kind sub") == ["subadmin"]
    assert _complete(env, "acctctl account list --profile ") == ["prod", "staging"]
    assert _complete(env, "acctctl completion z") == ["zsh"]


def test_tab_completes_names_from_the_database(cli, cli_env):
    assert cli("rategroup", "create", "gold").exit_code == 0
    assert cli("tax", "create", "vat", "--rate", "20").exit_code == 0
    reseller = cli.json("create", "reseller", "--first-name", "Rita")
    assert _complete(cli_env, "acctctl create customer --rate-group ") == ["default", "gold"]
    assert _complete(cli_env, "acctctl create customer --tax v") == ["vat"]
    assert _complete(cli_env, "acctctl create customer --reseller ") == [reseller["number"]]
    assert _complete(cli_env, "acctctl create admin --role ") == ["admin", "subadmin"]
    assert _complete(cli_env, "acctctl create customer --currency EU") == ["EUR"]


def test_tab_never_creates_a_database(tmp_path, config_file):
    missing = tmp_path / "nothing-here.db"
    env = {"ACCTCTL_DATABASE_URL": f"sqlite:///{missing}", "ACCTCTL_CONFIG": str(config_file)}
    assert _complete(env, "acctctl create customer --rate-group ") == []
    assert not missing.exists()


def test_rejects_file_takes_rows_the_reader_could_not_make_an_object_of(cli, tmp_path):
    # a JSONL line that is not an object, and one with a key given twice: each is a row error,
    # reported in the rejects file (with no columns to give back) while the good row is written
    source = tmp_path / "in.jsonl"
    source.write_text('{"first_name": "Ada"}\n[1, 2]\n{"first_name": "Bo", "first_name": "B"}\n')
    rejects = tmp_path / "rejects.jsonl"
    result = cli("create", "customer", "--from-file", str(source), "--continue-on-error",
                 "--rejects-file", str(rejects))
    assert result.exit_code == 6, result.stderr
    rows = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert len(rows) == 2 and all(set(r) == {"error"} for r in rows)
    assert len(cli.json("account", "list")) == 1
