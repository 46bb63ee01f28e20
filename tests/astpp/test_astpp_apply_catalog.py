"""`apply` of rate groups and taxes on the astpp target (issue 19): a reseller owning a rate
group and a tax, with customers under it, converges in ASTPP's pricelists and taxes as its own
pages write them; re-applied it changes nothing; a changed tax rate is an update; prune and
batch undo remove what the set made."""

from __future__ import annotations

import json

from astpp.astpp_helpers import rows

RESELLER = "5554000001"
SEED = {"set": "cat", "rate_groups": [{"name": "standard"}], "resellers": [{
    "number": RESELLER, "first_name": "Rita", "email": "rita@example.com",
    "rate_group": "standard",
    "rate_groups": [{"name": "rita-gold"}],
    "taxes": [{"name": "VAT", "rate": 20, "priority": 1}],
    "customers": [
        {"number": "5554000101", "first_name": "Ada", "rate_group": "rita-gold",
         "taxes": ["VAT"]},
        {"number": "5554000102", "first_name": "Grace", "rate_group": "rita-gold",
         "sip_device": False}]}]}


def write(tmp_path, data: dict, name: str = "seed.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return str(path)


def run(astpp, *args: str):
    result = astpp(*args, "-o", "json")
    assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr)
    return json.loads(result.stdout)


def reseller_id(db) -> int:
    (row,) = rows(db, "SELECT id FROM accounts WHERE number = %s AND deleted = 0", RESELLER)
    return row["id"]


def test_apply_writes_pricelists_and_taxes_as_astpp_and_reapplies_nothing(astpp, db,
                                                                          tmp_path):
    path = write(tmp_path, SEED)
    out = run(astpp, "apply", "-f", path)
    assert out["summary"]["create"] == 6  # 2 rate groups, 1 tax, 3 accounts
    rid = reseller_id(db)
    pricelists = {r["name"]: r for r in rows(db, "SELECT * FROM pricelists")}
    assert pricelists["standard"]["reseller_id"] == 0
    gold = pricelists["rita-gold"]
    assert (gold["reseller_id"], gold["status"], gold["markup"], gold["routing_type"],
            gold["initially_increment"], gold["inc"], gold["routing_prefix"],
            gold["pricelist_id_admin"]) == (rid, 0, "0", 0, 0, 60, "", 0)
    assert gold["creation_date"].year > 2000
    (tax,) = rows(db, "SELECT * FROM taxes")
    assert (tax["taxes_description"], tax["reseller_id"], str(tax["taxes_rate"]),
            str(tax["taxes_amount"]), tax["taxes_priority"], tax["tax_type"],
            tax["status"]) == ("VAT", rid, "20.00000", "0.00000", 1, 0, 0)
    # the customers point at them as ASTPP's own create does
    accounts = {r["number"]: r for r in rows(db, "SELECT * FROM accounts WHERE type = 0")}
    assert {a["pricelist_id"] for a in accounts.values()} == {gold["id"]}
    links = rows(db, "SELECT * FROM taxes_to_accounts WHERE taxes_id = %s", tax["id"])
    assert [(lk["accountid"], lk["taxes_priority"]) for lk in links] == [
        (accounts["5554000101"]["id"], 1)]
    (reseller,) = rows(db, "SELECT * FROM accounts WHERE id = %s", rid)
    assert reseller["pricelist_id"] == pricelists["standard"]["id"]
    again = run(astpp, "apply", "-f", path)
    assert again["summary"]["unchanged"] == 6 and again["summary"].get("update", 0) == 0
    assert rows(db, "SELECT * FROM pricelists") == list(pricelists.values())


def test_a_changed_tax_rate_is_an_update_of_that_tax_only(astpp, db, tmp_path):
    run(astpp, "apply", "-f", write(tmp_path, SEED))
    data = json.loads(json.dumps(SEED))
    data["resellers"][0]["taxes"][0]["rate"] = "7.5"
    path = write(tmp_path, data, "v2.json")
    plan = run(astpp, "plan", "-f", path)
    assert [(p["kind"], p["action"], p["changes"]) for p in plan if p["action"] != "unchanged"
            ] == [("tax", "update", {"rate": ["20", "7.5"]})]
    run(astpp, "apply", "-f", path)
    (tax,) = rows(db, "SELECT * FROM taxes")
    assert str(tax["taxes_rate"]) == "7.50000"
    assert tax["last_modified_date"].year > 2000  # ASTPP's edit stamps it
    assert run(astpp, "apply", "-f", path)["summary"]["unchanged"] == 6


def test_prune_deletes_the_sets_catalog_as_astpp_does(astpp, db, tmp_path):
    # the reseller on ASTPP's own rate group: apply's prune takes the admin's catalog before
    # the resellers that use it (service/apply.py), on every target
    data = json.loads(json.dumps(SEED))
    data["resellers"][0]["rate_group"] = "default"
    seed = write(tmp_path, data)
    run(astpp, "apply", "-f", seed)
    empty = write(tmp_path, {"set": "cat"}, "empty.json")
    plan = run(astpp, "plan", "-f", empty, "--prune")
    assert {(p["kind"], p["action"]) for p in plan} >= {("rate_group", "delete"),
                                                       ("tax", "delete")}
    run(astpp, "apply", "-f", empty, "--prune", "--yes")
    # ASTPP's delete: a rate group keeps its row with status 2, a tax goes
    assert {r["name"]: r["status"] for r in rows(db, "SELECT * FROM pricelists")} == {
        "default": 0, "standard": 2, "rita-gold": 2}
    assert rows(db, "SELECT * FROM taxes") == []
    assert rows(db, "SELECT * FROM accounts WHERE deleted = 0 AND type IN (0, 1)") == []
    assert [r["name"] for r in run(astpp, "rategroup", "list")] == ["default"]
    # applied again, they are made again (a deleted rate group's name is free)
    assert run(astpp, "apply", "-f", seed)["summary"]["create"] == 6


def test_batch_undo_removes_the_catalog_the_apply_made(astpp, db, tmp_path):
    out = run(astpp, "apply", "-f", write(tmp_path, SEED))
    undone = run(astpp, "batch", "undo", out["batch_id"], "--yes")
    assert {(u["kind"], u["action"]) for u in undone} >= {("rate_group", "deleted"),
                                                         ("tax", "deleted")}
    assert rows(db, "SELECT * FROM taxes") == []
    assert rows(db, "SELECT * FROM taxes_to_accounts") == []
    assert [r["name"] for r in rows(db, "SELECT name FROM pricelists WHERE status <> 2")] == [
        "default"]
    assert rows(db, "SELECT * FROM accounts WHERE type IN (0, 1)") == []
