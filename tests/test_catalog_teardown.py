"""Issue 16, "a seed that cannot be torn down": `rategroup|tax update|delete`, `--if-exists
fail|skip` on their create, and a reseller's whole seed torn down and seeded again, on SQLite
and PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from launcher import acctctl_argv

RESELLER = "7001"


def seed(cli) -> dict:
    """A reseller, its rate group and tax, and two customers using them. Idempotent:
    `--if-exists skip` everywhere, as a CI seed script runs it."""
    out = cli.json("create", "reseller", "--number", RESELLER, "--first-name", "Rita",
                   "--if-exists", "skip")
    cli.json("rategroup", "create", "gold", "--reseller", RESELLER, "--if-exists", "skip")
    cli.json("tax", "create", "VAT", "--rate", "20", "--reseller", RESELLER,
             "--if-exists", "skip")
    rows = "number,first_name\n1001,Ada\n1002,Bo\n"
    customers = cli.json("create", "customer", "--from-file", "-", "--format", "csv",
                         "--reseller", RESELLER, "--rate-group", "gold", "--tax", "VAT",
                         "--if-exists", "skip", input=rows)
    return {"reseller_batch": out.get("batch_id"), "customer_batch": customers["batch_id"]}


def assert_seeded(cli) -> None:
    assert [g["name"] for g in cli.json("rategroup", "list", "--reseller", RESELLER)] == ["gold"]
    assert [t["name"] for t in cli.json("tax", "list", "--reseller", RESELLER)] == ["VAT"]
    owned = cli.json("account", "list", "--reseller", RESELLER)
    assert [(a["number"], a["rate_group"], a["taxes"]) for a in owned] == [
        ("1001", "gold", ["VAT"]), ("1002", "gold", ["VAT"])]


def assert_gone(cli) -> None:
    assert cli.json("account", "list") == []
    assert [g["name"] for g in cli.json("rategroup", "list")] == ["default"]
    assert cli.json("tax", "list") == []


def ok(result):
    assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr)
    return result


def test_seed_torn_down_by_delete_and_purge_then_seeded_again(cli):
    seed(cli)
    assert_seeded(cli)
    ok(cli("account", "delete", "1001", "1002", "--purge", "--yes"))
    ok(cli("tax", "delete", "VAT", "--reseller", RESELLER, "--yes"))
    ok(cli("rategroup", "delete", "gold", "--reseller", RESELLER, "--yes"))
    ok(cli("account", "delete", RESELLER, "--purge", "--yes"))
    assert_gone(cli)
    seed(cli)
    assert_seeded(cli)


def test_seed_torn_down_by_batch_undo_then_seeded_again(cli):
    batches = seed(cli)
    # the reseller's own batch cannot go while it owns a rate group and a tax
    refused = cli("batch", "undo", batches["reseller_batch"], "--yes")
    assert refused.exit_code == 4
    assert "'gold'" in refused.stderr and "'VAT'" in refused.stderr
    assert "rategroup delete gold --reseller 7001" in refused.stderr
    assert "tax delete VAT --reseller 7001" in refused.stderr
    ok(cli("batch", "undo", batches["customer_batch"], "--yes"))
    ok(cli("tax", "delete", "VAT", "--reseller", RESELLER, "--yes"))
    ok(cli("rategroup", "delete", "gold", "--reseller", RESELLER, "--yes"))
    ok(cli("batch", "undo", batches["reseller_batch"], "--yes"))
    assert_gone(cli)
    seed(cli)
    assert_seeded(cli)


def test_reseller_purge_refused_names_the_catalog_and_hints_at_its_delete(cli):
    seed(cli)
    ok(cli("account", "delete", "1001", "1002", "--purge", "--yes"))
    for args in (["account", "delete", RESELLER, "--purge", "--yes"],
                 ["account", "delete", RESELLER, "--yes"]):
        result = cli(*args)
        assert result.exit_code == 4
        assert "rate group owned: 'gold'" in result.stderr
        assert "tax owned: 'VAT'" in result.stderr
        assert "acctctl rategroup delete gold --reseller 7001 --yes" in result.stderr
        assert "acctctl tax delete VAT --reseller 7001 --yes" in result.stderr
    assert [a["number"] for a in cli.json("account", "list")] == [RESELLER]


@pytest.mark.parametrize(("what", "name", "flag"), [("rategroup", "gold", "--rate-group"),
                                                    ("tax", "VAT", "--tax")])
def test_delete_is_refused_while_accounts_use_it(cli, what, name, flag):
    seed(cli)
    result = cli(what, "delete", name, "--reseller", RESELLER, "--yes")
    assert result.exit_code == 4
    assert "2 accounts use it: 1001, 1002" in result.stderr
    assert "nothing was changed" in result.stderr
    assert_seeded(cli)
    # a soft-deleted account still points at it until purged: named as deleted
    ok(cli("account", "delete", "1001", "1002", "--yes"))
    result = cli(what, "delete", name, "--reseller", RESELLER, "--yes")
    assert result.exit_code == 4
    assert "1001 (deleted), 1002 (deleted)" in result.stderr and "--purge" in result.stderr
    ok(cli("account", "delete", "1001", "1002", "--purge", "--yes"))
    ok(cli(what, "delete", name, "--reseller", RESELLER, "--yes"))
    assert cli.json(what, "list", "--reseller", RESELLER) == []


def test_delete_needs_confirmation_dry_run_writes_nothing(cli):
    cli.json("rategroup", "create", "gold")
    cli.json("tax", "create", "VAT", "--rate", "20")
    for what, name in (("rategroup", "gold"), ("tax", "VAT")):
        result = cli(what, "delete", name)
        assert result.exit_code == 2 and "--yes" in result.stderr
        dry = cli.json(what, "delete", name, "--dry-run")
        assert dry == {"name": name, "reseller": None, "action": "deleted", "dry_run": True}
        assert name in [e["name"] for e in cli.json(what, "list")]
        assert cli.json(what, "delete", name, "--yes") == {"name": name, "reseller": None,
                                                           "action": "deleted"}
        assert name not in [e["name"] for e in cli.json(what, "list")]


def test_unknown_names_and_owners_exit_3(cli):
    reseller = cli.json("create", "reseller", "--first-name", "R")["number"]
    customer = cli.json("create", "customer", "--first-name", "C")["number"]
    cli.json("rategroup", "create", "gold")  # the admin's, not the reseller's
    for args in (["rategroup", "delete", "gold", "--reseller", reseller, "--yes"],
                 ["rategroup", "update", "silver", "--inactive"],
                 ["tax", "delete", "VAT", "--yes"],
                 ["tax", "update", "VAT", "--rate", "1"]):
        result = cli(*args)
        assert result.exit_code == 3, args
        assert "no rate group named" in result.stderr or "no tax named" in result.stderr
    for owner in (customer, "999", "bad\x01"):
        result = cli("rategroup", "delete", "gold", "--reseller", owner, "--yes")
        assert result.exit_code == 3 and "--reseller" in result.stderr
    assert cli("rategroup", "delete", "x" * 61, "--yes").exit_code == 3
    assert cli("tax", "update", "bad\x01", "--rate", "1").exit_code == 3
    assert [g["name"] for g in cli.json("rategroup", "list")] == ["default", "gold"]


def test_rategroup_update_status(cli):
    cli.json("rategroup", "create", "gold")
    out = cli.json("rategroup", "update", "gold", "--inactive")
    assert out == {"name": "gold", "reseller": None, "status": "inactive",
                   "changes": {"status": ["active", "inactive"]}}
    refused = cli("create", "customer", "--first-name", "A", "--rate-group", "gold")
    assert refused.exit_code == 3 and "inactive" in refused.stderr
    same = cli("rategroup", "update", "gold", "--inactive")
    assert same.exit_code == 0 and "nothing changed" in same.stderr
    dry = cli.json("rategroup", "update", "gold", "--active", "--dry-run")
    assert dry["status"] == "active" and dry["dry_run"] is True
    assert {g["name"]: g["status"] for g in cli.json("rategroup", "list")}["gold"] == "inactive"
    cli.json("rategroup", "update", "gold", "--active")
    ok(cli("create", "customer", "--first-name", "A", "--rate-group", "gold"))
    result = cli("rategroup", "update", "gold")
    assert result.exit_code == 2 and "--active" in result.stderr


def test_tax_update_changes_only_what_is_given_through_creates_rules(cli):
    reseller = cli.json("create", "reseller", "--first-name", "R")["number"]
    cli.json("tax", "create", "VAT", "--rate", "20", "--amount", "1", "--priority", "2",
             "--reseller", reseller)
    out = cli.json("tax", "update", "VAT", "--reseller", reseller, "--rate", "7.5")
    assert (out["rate"], out["amount"], out["priority"]) == ("7.5", "1", 2)
    assert out["changes"] == {"rate": ["20", "7.5"]}
    cli.json("tax", "update", "VAT", "--reseller", reseller, "--amount", "0.25",
             "--priority", "0")
    listed = cli.json("tax", "list", "--reseller", reseller)
    assert [(t["rate"], t["amount"], t["priority"]) for t in listed] == [("7.5", "0.25", 0)]
    bad = cli("tax", "update", "VAT", "--reseller", reseller, "--rate", "101",
              "--amount", "-1", "--priority", "-3")
    assert bad.exit_code == 3
    for field in ("--rate", "--amount", "--priority"):
        assert field in bad.stderr
    assert cli("tax", "update", "VAT", "--reseller", reseller, "--rate", "abc").exit_code == 3
    assert cli("tax", "update", "VAT", "--reseller", reseller).exit_code == 2
    dry = cli.json("tax", "update", "VAT", "--reseller", reseller, "--rate", "9", "--dry-run")
    assert dry["rate"] == "9" and dry["dry_run"] is True
    listed = cli.json("tax", "list", "--reseller", reseller)
    assert [(t["rate"], t["amount"], t["priority"]) for t in listed] == [("7.5", "0.25", 0)]


def test_catalog_of_a_disabled_reseller_can_still_be_changed_and_removed(cli):
    reseller = cli.json("create", "reseller", "--first-name", "R")["number"]
    cli.json("rategroup", "create", "gold", "--reseller", reseller)
    ok(cli("account", "disable", reseller))
    assert cli.json("rategroup", "list", "--reseller", reseller)[0]["name"] == "gold"
    cli.json("rategroup", "update", "gold", "--reseller", reseller, "--inactive")
    ok(cli("rategroup", "delete", "gold", "--reseller", reseller, "--yes"))


@pytest.mark.parametrize("what", ["rategroup", "tax"])
def test_create_if_exists(cli, what):
    extra = {"rategroup": [], "tax": ["--rate", "20"]}[what]
    created = cli.json(what, "create", "gold", *extra, "--if-exists", "skip")
    assert "skipped" not in created
    again = {"rategroup": ["--inactive"], "tax": ["--rate", "5"]}[what]
    skipped = cli(what, "create", "gold", *again, "--if-exists", "skip", "-o", "json")
    assert skipped.exit_code == 0 and "skipped" in skipped.stderr
    assert json.loads(skipped.stdout) == {**created, "skipped": True}  # as it was
    entry = next(e for e in cli.json(what, "list") if e["name"] == "gold")
    assert entry["status"] == "active"  # untouched: not made inactive, rate not changed
    assert entry.get("rate") == ("20" if what == "tax" else None)
    failed = cli(what, "create", "gold", *extra, "--if-exists", "fail")
    assert failed.exit_code == 4 and "already exists" in failed.stderr
    assert cli(what, "create", "gold", *extra).exit_code == 4
    bad = cli(what, "create", "silver", *extra, "--if-exists", "maybe")
    assert bad.exit_code == 2 and "--if-exists" in bad.stderr
    assert "silver" not in [e["name"] for e in cli.json(what, "list")]


def test_deleting_the_configured_default_warns(cli):
    ok(cli("tax", "create", "VAT", "--rate", "20"))
    result = ok(cli("rategroup", "delete", "default", "--yes"))
    assert "defaults.rate_group" in result.stderr
    refused = cli("create", "customer", "--first-name", "A")
    assert refused.exit_code == 3 and "default" in refused.stderr
    ok(cli("rategroup", "create", "default"))
    ok(cli("create", "customer", "--first-name", "A"))


def test_table_jsonl_and_csv_output(cli):
    cli.json("rategroup", "create", "gold")
    csv = ok(cli("rategroup", "update", "gold", "--inactive", "-o", "csv"))
    assert csv.stdout.splitlines() == ["name,reseller,status", "gold,,inactive"]
    jsonl = ok(cli("rategroup", "delete", "gold", "--yes", "-o", "jsonl"))
    assert json.loads(jsonl.stdout) == {"name": "gold", "reseller": None, "action": "deleted"}
    assert cli("tax", "update", "x", "--rate", "1", "-o", "yaml").exit_code == 2


# --- help and completion --------------------------------------------------------------------


def _commands():
    import typer

    from acctctl.cli import app

    root = typer.main.get_command(app)
    for group in ("rategroup", "tax", "role", "reference"):
        sub = root.commands[group]
        for name, command in sub.commands.items():
            yield f"{group} {name}", command


def test_every_catalog_flag_and_argument_has_help():
    for path, command in _commands():
        for param in command.params:
            assert getattr(param, "help", None), f"{path}: {param.name} has no help"


@pytest.mark.parametrize("path", ["rategroup update", "rategroup delete", "tax update",
                                  "tax delete"])
def test_new_commands_have_examples(path):
    from typer.testing import CliRunner

    from acctctl.cli import app

    text = CliRunner().invoke(app, [*path.split(), "--help"], env={"COLUMNS": "80"}).stdout
    examples = [line for line in text.splitlines() if line.strip().startswith("$ acctctl")]
    assert len(examples) >= 2 and all(path in line for line in examples), text


def _complete(env, words: str) -> list[str]:
    result = subprocess.run(
        acctctl_argv(), capture_output=True, text=True, timeout=60,
        env={**os.environ, **env, "_ACCTCTL_COMPLETE": "complete_bash", "COMP_WORDS": words,
             "COMP_CWORD": str(len(words.split(" ")) - 1)})
    assert result.returncode == 0 and result.stderr == "", result
    return result.stdout.split()


def test_tab_completes_the_new_commands_and_catalog_names(cli, cli_env):
    reseller = cli.json("create", "reseller", "--first-name", "R")["number"]
    ok(cli("rategroup", "create", "gold"))
    ok(cli("rategroup", "create", "silver", "--reseller", reseller))
    ok(cli("tax", "create", "VAT", "--rate", "20", "--reseller", reseller))
    assert _complete(cli_env, "acctctl rategroup ") == ["create", "list", "update", "delete"]
    assert _complete(cli_env, "acctctl tax ") == ["create", "list", "update", "delete"]
    assert _complete(cli_env, "acctctl rategroup delete ") == ["default", "gold", "silver"]
    assert _complete(cli_env, f"acctctl rategroup update --reseller {reseller} ") == ["silver"]
    assert _complete(cli_env, "acctctl tax update V") == ["VAT"]
    assert _complete(cli_env, "acctctl tax delete --reseller ") == [reseller]
    assert _complete(cli_env, "acctctl tax create VAT --if-exists ") == ["fail", "skip"]



# --- a delete racing a create -------------------------------------------------------------


def test_a_create_racing_a_rategroup_delete_reads_that_it_is_gone(cli, cli_env, db_url, engine):
    """PostgreSQL: a create that looks the rate group up while `rategroup delete` holds it
    waits, and then says the rate group does not exist (exit 3), instead of failing its
    insert on the foreign key. (SQLite writers queue with BEGIN IMMEDIATE: no race.)"""
    import time

    import sqlalchemy as sa

    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite serialises writers (BEGIN IMMEDIATE)")
    ok(cli("rategroup", "create", "gold"))
    where = "name = 'gold' AND reseller_id IS NULL"
    with engine.connect() as conn:
        tx = conn.begin()
        conn.execute(sa.text(f"SELECT id FROM rate_groups WHERE {where} FOR UPDATE"))
        create = subprocess.Popen(
            [*acctctl_argv(), "create", "customer", "--first-name", "A",
             "--rate-group", "gold", "-o", "json"],
            env={**os.environ, **cli_env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)
        with engine.connect() as watch:  # until the create waits for the lock
            for _ in range(600):
                waiting = watch.execute(sa.text(
                    "SELECT count(*) FROM pg_locks WHERE NOT granted")).scalar()
                watch.rollback()
                if waiting or create.poll() is not None:
                    break
                time.sleep(0.1)
        conn.execute(sa.text(f"DELETE FROM rate_groups WHERE {where}"))
        tx.commit()
    out, err = create.communicate(timeout=120)
    assert create.returncode == 3, (create.returncode, out, err)
    assert "no rate group named 'gold'" in err
    assert cli.json("account", "list") == []
