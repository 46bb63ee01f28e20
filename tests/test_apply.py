"""Accounts as code (contract §10, issue 19): `plan` and `apply`, on SQLite and PostgreSQL
(the `cli` fixture is parametrised by `db_url`)."""

from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa

SEED = {
    "set": "ci",
    "rate_groups": [{"name": "gold"}],
    "resellers": [{
        "number": "700", "first_name": "Rita", "email": "rita@example.com",
        "rate_groups": [{"name": "rg1"}],
        "taxes": [{"name": "VAT", "rate": "20"}],
        "customers": [{"number": "7001", "first_name": "Cy", "rate_group": "rg1",
                       "taxes": ["VAT"]}],
    }],
    "customers": [{"number": "1001", "first_name": "Ada", "rate_group": "gold"}],
}


def write(tmp_path, data: dict, name: str = "seed.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return str(path)


def changed(data: dict, **customer) -> dict:
    data = json.loads(json.dumps(data))
    data["customers"][0].update(customer)
    return data


def apply_json(cli, path: str, *args: str, code: int = 0) -> dict:
    result = cli("apply", "-f", path, *args, "-o", "json")
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    return json.loads(result.stdout) if code == 0 else {}


def actions(plan: list[dict]) -> dict[str, str]:
    return {f"{p['kind']}:{p['key']}": p["action"] for p in plan}


def secrets_of(engine, number: str) -> tuple:
    with engine.connect() as conn:
        row = conn.execute(sa.text(
            "SELECT a.password_hash, a.pin, d.secret FROM accounts a LEFT JOIN sip_devices d "
            "ON d.account_id = a.id WHERE a.number = :n AND a.deleted_at IS NULL"),
            {"n": number}).one()
    return tuple(row)


def test_plan_lists_creates_json_and_exit_code_7(cli, tmp_path):
    path = write(tmp_path, SEED)
    plan = cli.json("plan", "-f", path)
    assert actions(plan) == {"rate_group:gold": "create", "reseller:700": "create",
                             "rate_group:rg1@700": "create", "tax:VAT@700": "create",
                             "customer:7001": "create", "customer:1001": "create"}
    assert all(set(p) == {"action", "kind", "key", "changes"} for p in plan)
    ada = next(p for p in plan if p["key"] == "1001")
    assert ada["changes"]["first_name"] == [None, "Ada"]
    result = cli("plan", "-f", path, "--exit-code")
    assert result.exit_code == 7, result.stderr
    assert "Plan: 6 to create, 0 to update, 0 to delete, 0 unchanged." in result.stderr
    # the plan wrote nothing
    assert cli.json("account", "list") == []


def test_apply_then_reapply_changes_nothing_and_keeps_secrets(cli, engine, tmp_path):
    path = write(tmp_path, SEED)
    out = apply_json(cli, path)
    assert out["summary"]["create"] == 6
    assert {g["number"] for g in out["generated"]} == {"700", "7001", "1001"}
    before = secrets_of(engine, "1001")
    again = apply_json(cli, path)
    assert again["summary"] == {"create": 0, "update": 0, "delete": 0, "disable": 0,
                                "unchanged": 6}
    assert again["generated"] == []
    assert secrets_of(engine, "1001") == before
    assert cli("plan", "-f", path, "--exit-code").exit_code == 0
    customer = cli.json("account", "show", "7001")
    assert (customer["reseller"], customer["rate_group"], customer["taxes"]) == (
        "700", "rg1", ["VAT"])
    # the batch is the apply's, audited
    batch = cli.json("batch", "list")[0]
    assert batch["batch_id"] == out["batch_id"] and batch["mode"] == "apply"


def test_update_shows_old_and_new_and_leaves_fields_not_given(cli, tmp_path):
    apply_json(cli, write(tmp_path, changed(SEED, last_name="Byron", company="Analytical")))
    path = write(tmp_path, changed(SEED, last_name="Lovelace"), "v2.json")
    plan = cli.json("plan", "-f", path)
    ada = next(p for p in plan if p["key"] == "1001")
    assert ada == {"action": "update", "kind": "customer", "key": "1001",
                   "changes": {"last_name": ["Byron", "Lovelace"]}}
    out = apply_json(cli, path)
    assert out["summary"]["update"] == 1
    shown = cli.json("account", "show", "1001")
    assert (shown["last_name"], shown["company"]) == ("Lovelace", "Analytical")
    audit = cli.json("audit", "list", "--account", "1001")
    assert audit[0]["changes"] == {"last_name": ["Byron", "Lovelace"]}


def test_immutable_field_is_exit_3_naming_it(cli, tmp_path):
    apply_json(cli, write(tmp_path, SEED))
    result = cli("apply", "-f", write(tmp_path, changed(SEED, account_type="postpaid",
                                                        last_name="X"), "v2.json"))
    assert result.exit_code == 3
    assert "customers[0] (1001): account_type: cannot be changed" in result.stderr
    assert cli.json("account", "show", "1001")["last_name"] == ""


def test_every_error_at_once_and_nothing_written(cli, tmp_path):
    data = changed(SEED, email="not-an-email", country="XX")
    data["customers"].append({"number": "1002"})
    data["resellers"][0]["taxes"][0]["rate"] = "-1"
    result = cli("apply", "-f", write(tmp_path, data))
    assert result.exit_code == 3, result.stderr
    for where in ("customers[0] (1001): email", "customers[0] (1001): country",
                  "customers[1] (1002): first_name", "resellers[0].taxes[0] (VAT@700): rate"):
        assert where in result.stderr
    assert cli.json("account", "list") == []
    assert [g["name"] for g in cli.json("rategroup", "list")] == ["default"]


def test_password_hash_and_file_compare_without_showing(cli, tmp_path):
    secret = tmp_path / "pw.txt"
    secret.write_text("s3cret-Passw0rd\n")
    data = changed(SEED, password_file="pw.txt")
    path = write(tmp_path, data)
    plan = cli.json("plan", "-f", path)
    ada = next(p for p in plan if p["key"] == "1001")
    assert ada["changes"]["password"] == [None, "(set)"]
    result = cli("plan", "-f", path)
    assert "s3cret" not in result.stdout + result.stderr
    apply_json(cli, path)
    assert actions(cli.json("plan", "-f", path))["customer:1001"] == "unchanged"
    secret.write_text("an0ther-Passw0rd\n")
    ada = next(p for p in cli.json("plan", "-f", path) if p["key"] == "1001")
    assert ada["action"] == "update" and ada["changes"] == {"password": ["(hidden)", "(set)"]}


def test_prune_removes_only_this_sets_members(cli, tmp_path):
    apply_json(cli, write(tmp_path, SEED))
    cli.json("create", "customer", "--number", "2001", "--first-name", "Made")
    other = {"set": "other", "customers": [{"number": "3001", "first_name": "Oth"}]}
    apply_json(cli, write(tmp_path, other, "other.json"))
    fewer = json.loads(json.dumps(SEED))
    fewer["customers"] = []
    path = write(tmp_path, fewer, "fewer.json")
    # without --prune nothing goes; with it, only 1001 (this set made it)
    assert "delete" not in actions(cli.json("plan", "-f", path)).values()
    plan = cli.json("plan", "-f", path, "--prune")
    assert [p["key"] for p in plan if p["action"] == "delete"] == ["1001"]
    refused = cli("apply", "-f", path, "--prune")
    assert refused.exit_code == 2 and "--yes" in refused.stderr
    out = apply_json(cli, path, "--prune", "--yes")
    assert out["summary"]["delete"] == 1
    numbers = {a["number"] for a in cli.json("account", "list")}
    assert numbers == {"700", "7001", "2001", "3001"}
    # a second prune has nothing left to do
    assert cli("plan", "-f", path, "--prune", "--exit-code").exit_code == 0


def test_whole_seed_torn_down_by_undo_and_rebuilt(cli, tmp_path):
    path = write(tmp_path, SEED)
    out = apply_json(cli, path)
    undo = cli.json("batch", "undo", out["batch_id"], "--yes")
    assert {(u["kind"], u["action"]) for u in undo} >= {("customer", "purged"),
                                                         ("rate_group", "deleted"),
                                                         ("tax", "deleted")}
    assert cli.json("account", "list", "--include-deleted") == []
    assert [g["name"] for g in cli.json("rategroup", "list")] == ["default"]
    assert cli.json("tax", "list") == []
    again = apply_json(cli, path)
    assert again["summary"]["create"] == 6


def test_undo_of_an_update_restores_old_values(cli, tmp_path):
    apply_json(cli, write(tmp_path, SEED))
    out = apply_json(cli, write(tmp_path, changed(SEED, last_name="Lovelace",
                                                  max_channels=3), "v2.json"))
    undo = cli.json("batch", "undo", out["batch_id"], "--yes")
    assert undo == [{"number": "1001", "kind": "customer", "action": "restored"}]
    shown = cli.json("account", "show", "1001")
    assert (shown["last_name"], shown["max_channels"]) == ("", 0)


@pytest.mark.parametrize("output", ["table", "json"])
def test_dry_run_writes_nothing(cli, tmp_path, output):
    result = cli("apply", "-f", write(tmp_path, SEED), "--dry-run", "-o", output)
    assert result.exit_code == 0, result.stderr
    assert "nothing was written" in result.stderr
    assert cli.json("account", "list") == []


def test_whole_seed_torn_down_by_prune_and_rebuilt(cli, tmp_path):
    path = write(tmp_path, SEED)
    apply_json(cli, path)
    empty = write(tmp_path, {"set": "ci"}, "empty.json")
    out = apply_json(cli, empty, "--prune", "--yes")
    done = {f"{o['kind']}:{o['key']}": o["action"] for o in out["objects"]}
    assert done == {"customer:1001": "delete", "customer:7001": "delete",
                    "reseller:700": "delete",
                    # soft-deleted accounts still point at them: made inactive
                    "rate_group:gold": "disable", "rate_group:rg1@700": "disable",
                    "tax:VAT@700": "disable"}
    assert cli.json("account", "list") == []
    assert cli("plan", "-f", empty, "--prune", "--exit-code").exit_code == 0
    again = apply_json(cli, path)
    assert again["summary"]["create"] == 5  # the reseller's catalog is new with it
    assert cli.json("account", "show", "1001")["rate_group"] == "gold"
    assert {g["name"]: g["status"] for g in cli.json("rategroup", "list")}["gold"] == "active"
    assert cli("plan", "-f", path, "--exit-code").exit_code == 0


def test_secrets_go_to_the_secrets_file_not_stdout(cli, tmp_path):
    secrets = tmp_path / "secrets.csv"
    result = cli("apply", "-f", write(tmp_path, SEED), "--secrets-file", str(secrets),
                 "-o", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["generated"] == []
    rows = secrets.read_text().splitlines()
    assert rows[0] == "number,password,sip_password"
    assert {r.split(",")[0] for r in rows[1:]} == {"700", "7001", "1001"}
    assert oct(secrets.stat().st_mode & 0o777) == "0o600"
    password = rows[1].split(",")[1]
    assert password and password not in result.stdout + result.stderr


def test_a_number_another_kind_holds_is_a_conflict(cli, tmp_path):
    cli.json("create", "provider", "--number", "1001", "--first-name", "Pro")
    cli.json("create", "customer", "--number", "2002", "--first-name", "Em",
             "--email", "ada@example.com")
    result = cli("apply", "-f", write(tmp_path, {"set": "ci", "customers": [
        {"number": "1001", "first_name": "Ada"}]}))
    assert result.exit_code == 3 and "is a provider, not a customer" in result.stderr
    result = cli("apply", "-f", write(tmp_path, {"set": "ci", "customers": [
        {"number": "3003", "first_name": "Ada", "email": "ada@example.com"}]}, "taken.json"))
    assert result.exit_code == 4, result.stderr
    assert "email" in result.stderr
    assert {a["number"] for a in cli.json("account", "list")} == {"1001", "2002"}


def test_plan_table_fits_80_columns_at_a_terminal(cli, tmp_path):
    data = changed(SEED, last_name="Lovelace-Byron", company="Analytical Engines",
                   email="augusta.ada.king@example.com")
    result = cli("plan", "-f", write(tmp_path, data), env={"COLUMNS": "80",
                                                           "TTY_COMPATIBLE": "1"})
    assert result.exit_code == 0, result.stderr
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", result.stdout)
    assert max(len(line) for line in text.splitlines()) <= 80, text
    assert "augusta.ada.king@example.com" in text
