"""Issue 19's gaps in plan/apply (contract §10), on SQLite and PostgreSQL (the `cli` fixture
is parametrised by `db_url`):

* pruning a reseller reads through the apply's own transaction (SQLite: no second connection
  waiting on the write lock; PostgreSQL: it sees what the prune already deleted);
* the engine's errors read as the loader's: `PATH (KEY): FIELD: message`, the path as the
  row, the file's key as the field (text, and the library's FieldError);
* `batch undo` of an apply gives the catalog entries it updated their old values back,
  refused (exit 4, nothing changed) when one was changed since.
"""

from __future__ import annotations

import json

import pytest

import acctctl
from acctctl.errors import ValidationFailed
from test_apply import SEED, apply_json, write


def _reseller_set(customers: bool) -> dict:
    reseller = {"number": "700", "first_name": "Ada", "rate_groups": [{"name": "own"}],
                "taxes": [{"name": "VAT", "rate": 5}]}
    if customers:
        reseller["customers"] = [{"number": "7001", "first_name": "Cy", "rate_group": "own",
                                  "taxes": ["VAT"]}]
    return {"set": "ci", "resellers": [reseller],
            "customers": [{"number": "1001", "first_name": "Grace"}]}


def test_pruning_a_lone_reseller_plans_and_applies(cli, tmp_path):
    apply_json(cli, write(tmp_path, {"set": "ci", "resellers": [{"number": "700",
                                                                 "first_name": "Ada"}]}))
    empty = write(tmp_path, {"set": "ci"}, "empty.json")
    plan = cli.json("plan", "-f", empty, "--prune")
    assert [(o["action"], o["key"]) for o in plan] == [("delete", "700")]
    out = apply_json(cli, empty, "--prune", "--yes")
    assert [(o["action"], o["key"]) for o in out["objects"]] == [("delete", "700")]
    assert cli.json("account", "list") == []


def test_pruning_a_reseller_with_what_it_owns_sees_its_own_deletes(cli, tmp_path):
    apply_json(cli, write(tmp_path, _reseller_set(customers=True)))
    fewer = write(tmp_path, {"set": "ci", "customers": [{"number": "1001",
                                                         "first_name": "Grace"}]}, "f.json")
    planned = cli.json("plan", "-f", fewer, "--prune")
    out = apply_json(cli, fewer, "--prune", "--yes")
    done = {(o["kind"], o["key"]): o["action"] for o in out["objects"]}
    assert [(o["action"], o["kind"], o["key"]) for o in planned] == \
        [(o["action"], o["kind"], o["key"]) for o in out["objects"]]
    # the customer the prune deleted a moment before no longer holds its reseller back
    assert done[("reseller", "700")] == "delete"
    assert done[("customer", "7001")] == "delete"
    assert [a["number"] for a in cli.json("account", "list")] == ["1001"]


def test_a_reseller_still_owning_an_account_outside_the_set_is_refused(cli, tmp_path):
    apply_json(cli, write(tmp_path, _reseller_set(customers=False)))
    made = cli("create", "customer", "--number", "7009", "--first-name", "Hand",
               "--reseller", "700", "--rate-group", "own", "--no-input")
    assert made.exit_code == 0, made.stderr
    fewer = write(tmp_path, {"set": "ci", "customers": [{"number": "1001",
                                                         "first_name": "Grace"}]}, "f.json")
    for command in ("plan", "apply"):
        result = cli(command, "-f", fewer, "--prune",
                     *(["--yes"] if command == "apply" else []))
        assert result.exit_code == 4, (command, result.stderr)
        assert "7009" in result.stderr and "nothing was changed" in result.stderr
    assert {a["number"] for a in cli.json("account", "list")} == {"700", "7009", "1001"}


# --- one error form --------------------------------------------------------------------


def test_the_engines_errors_read_as_the_loaders(cli, db_url, config_file, tmp_path):
    apply_json(cli, write(tmp_path, SEED))
    bad = json.loads(json.dumps(SEED))
    bad["customers"][0].update(account_type="postpaid", email="nope")  # immutable, value
    bad["customers"].append({"number": "1002", "first_name": "X", "frist": "y"})  # loader
    bad["resellers"][0]["customers"].append({"number": "1001", "first_name": "Twice"})
    path = write(tmp_path, bad, "bad.json")
    with_json = cli("apply", "-f", path, "-o", "json")
    loader_only = cli("plan", "-f", path)
    assert loader_only.exit_code == 3
    # the loader refuses first (an unknown key, a number twice), in its form
    assert "customers[1] (1002): frist: is not a field of a customer" in loader_only.stderr
    assert with_json.stderr == loader_only.stderr and with_json.stdout == ""
    del bad["customers"][1]["frist"]
    bad["resellers"][0]["customers"].pop()
    taken = cli("create", "customer", "--number", "2001", "--first-name", "Hand",
                "--email", "taken@example.com", "--no-input")
    assert taken.exit_code == 0, taken.stderr
    bad["customers"].append({"number": "1003", "first_name": "Z",
                             "email": "taken@example.com"})  # a conflict
    path = write(tmp_path, bad, "engine.json")
    for output in ("table", "json"):
        result = cli("apply", "-f", path, "-o", output)
        assert result.exit_code == 3, result.stderr
        lines = [line for line in result.stderr.splitlines() if not line.startswith("error")]
        assert "customers[0] (1001): account_type: cannot be changed after creation " \
            "(it is 'prepaid', the file says 'postpaid')" in lines
        assert any(line.startswith("customers[0] (1001): email: ") for line in lines)
        assert all(line.split(": ")[1] in ("account_type", "email", "number", "reseller",
                                           "kind") for line in lines), lines
        assert all("]." not in line.split(": ")[1] for line in lines)
    # the library's errors carry the same (row, key, field)
    with acctctl.open(db_url, config=config_file, env={}, cwd=tmp_path) as client, \
            pytest.raises(ValidationFailed) as failure:
        client.apply(path)
    errors = [e.as_dict() for e in failure.value.errors]
    assert {"row": "customers[0]", "key": "1001", "field": "account_type"} in [
        {k: e[k] for k in ("row", "key", "field")} for e in errors]
    assert all(isinstance(e["row"], str) and "." not in e["field"] for e in errors)


# --- undo restores the catalog an apply updated -----------------------------------------


def _catalog(cli) -> tuple:
    taxes = {t["name"]: (t["rate"], t["priority"]) for t in cli.json("tax", "list")}
    groups = {g["name"]: g["status"] for g in cli.json("rategroup", "list")}
    return taxes, groups


def _first() -> dict:
    data = json.loads(json.dumps(SEED))
    data["taxes"] = [{"name": "GST", "rate": 10}]
    data["rate_groups"].append({"name": "silver"})
    return data


def _changed_catalog() -> dict:
    data = _first()
    data["rate_groups"][1]["active"] = False
    data["taxes"][0]["rate"] = 5
    data["resellers"][0]["taxes"][0]["priority"] = 2
    return data


def test_undo_of_an_apply_restores_the_catalog_it_updated(cli, tmp_path):
    first = _first()
    apply_json(cli, write(tmp_path, first))
    before = _catalog(cli)
    assert before[1]["silver"] == "active"
    out = apply_json(cli, write(tmp_path, _changed_catalog(), "v2.json"))
    assert out["summary"]["update"] == 3, out
    after = _catalog(cli)
    assert after[1]["silver"] == "inactive" and after != before
    undo = cli.json("batch", "undo", out["batch_id"], "--yes")
    assert sorted((u["kind"], u["number"], u["action"]) for u in undo) == [
        ("rate_group", "silver", "restored"), ("tax", "GST", "restored"),
        ("tax", "VAT@700", "restored")]
    assert _catalog(cli) == before
    assert cli("plan", "-f", write(tmp_path, first, "again.json"), "--exit-code").exit_code == 0
    # undone once: a second undo has nothing left to give back
    assert cli.json("batch", "undo", out["batch_id"], "--yes") == []
    assert _catalog(cli) == before


def test_undo_is_refused_when_an_updated_entry_changed_since(cli, tmp_path):
    apply_json(cli, write(tmp_path, _first()))
    out = apply_json(cli, write(tmp_path, _changed_catalog(), "v2.json"))
    changed = cli("tax", "update", "GST", "--rate", "7")
    assert changed.exit_code == 0, changed.stderr
    now = _catalog(cli)
    result = cli("batch", "undo", out["batch_id"], "--yes")
    assert result.exit_code == 4, result.stderr
    assert "tax GST" in result.stderr and "nothing was changed" in result.stderr
    assert _catalog(cli) == now  # the rate group was not restored either
