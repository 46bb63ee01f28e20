"""`plan` and `apply` (contract §10, issue 19) on the astpp target: accounts are converged in
ASTPP, the set's membership goes to the ledger; roles are refused there (exit 2): rate groups
and taxes are test_astpp_apply_catalog.py's."""

from __future__ import annotations

import json

from astpp.astpp_helpers import account_row, customer, execute

SEED = {"set": "ci", "customers": [
    {"number": "5553000001", "first_name": "Ada", "email": "ada@example.com"},
    {"number": "5553000002", "first_name": "Bo", "email": "bo@example.com"}]}
CALL = ("INSERT INTO cdrs (uniqueid, accountid, callerid, translated_dst, pattern, notes, "
        "reseller_code, provider_code, provider_code_destination, provider_call_cost, "
        "call_direction) SELECT 'u1', id, '', '', '', '', '', '', '', 0, 'outbound' "
        "FROM accounts WHERE number = %s")


def write(tmp_path, data: dict, name: str = "seed.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return str(path)


def run(astpp, *args: str, code: int = 0):
    result = astpp(*args, "-o", "json")
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    return json.loads(result.stdout) if code == 0 else result


def test_apply_creates_updates_and_reapplies_nothing(astpp, db, tmp_path):
    path = write(tmp_path, SEED)
    assert {p["action"] for p in run(astpp, "plan", "-f", path)} == {"create"}
    out = run(astpp, "apply", "-f", path)
    assert out["summary"]["create"] == 2
    before = account_row(db, "5553000001")
    again = run(astpp, "apply", "-f", path)
    assert again["summary"]["unchanged"] == 2 and again["generated"] == []
    assert account_row(db, "5553000001")["password"] == before["password"]
    data = json.loads(json.dumps(SEED))
    data["customers"][0]["last_name"] = "Lovelace"
    plan = run(astpp, "plan", "-f", write(tmp_path, data, "v2.json"))
    assert [p["changes"] for p in plan if p["action"] == "update"] == [
        {"last_name": ["", "Lovelace"]}]
    run(astpp, "apply", "-f", str(tmp_path / "v2.json"))
    assert account_row(db, "5553000001")["last_name"] == "Lovelace"


def test_prune_disables_an_account_with_billing_history(astpp, db, tmp_path):
    run(astpp, "apply", "-f", write(tmp_path, SEED))
    customer(astpp, "5553000009")  # made by create: never pruned
    execute(db, CALL, "5553000002")
    empty = write(tmp_path, {"set": "ci", "customers": []}, "empty.json")
    plan = run(astpp, "plan", "-f", empty, "--prune")
    assert {p["key"]: p["action"] for p in plan} == {"5553000001": "delete",
                                                     "5553000002": "disable"}
    run(astpp, "apply", "-f", empty, "--prune", "--yes")
    assert account_row(db, "5553000002")["status"] != 0  # ASTPP: 0 is active
    assert account_row(db, "5553000009")["deleted"] == 0
    numbers = {a["number"] for a in run(astpp, "account", "list", "--kind", "customer")}
    assert numbers == {"5553000002", "5553000009"}


def test_roles_are_refused_with_nothing_written(astpp, tmp_path):
    data = {**SEED, "rate_groups": [{"name": "gold"}],
            "roles": [{"name": "support", "for": "admin"}]}
    result = astpp("apply", "-f", write(tmp_path, data))
    assert result.exit_code == 2, result.stderr
    assert "roles are not supported on the astpp target" in result.stderr
    assert "permission sets" in result.stderr
    assert run(astpp, "account", "list", "--kind", "customer") == []


def test_undo_of_an_apply_purges_what_it_made_and_restores_what_it_updated(astpp, db,
                                                                           tmp_path):
    run(astpp, "apply", "-f", write(tmp_path, SEED))
    data = json.loads(json.dumps(SEED))
    data["customers"][0]["last_name"] = "Lovelace"
    data["customers"].append({"number": "5553000003", "first_name": "Cy"})
    out = run(astpp, "apply", "-f", write(tmp_path, data, "v2.json"))
    undone = run(astpp, "batch", "undo", out["batch_id"], "--yes")
    assert {(u["number"], u["action"]) for u in undone} == {("5553000003", "purged"),
                                                            ("5553000001", "restored")}
    assert account_row(db, "5553000001")["last_name"] == ""
    numbers = {a["number"] for a in run(astpp, "account", "list", "--kind", "customer")}
    assert numbers == {"5553000001", "5553000002"}
