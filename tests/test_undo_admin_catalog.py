"""`batch undo` of an apply whose reseller uses a rate group of the admin that the same apply
made (issue 19): the reseller is purged before the admin's entry it uses is removed, on SQLite
and PostgreSQL (the `cli` fixture is parametrised by `db_url`)."""

from __future__ import annotations

import json

SEED = {"set": "own", "rate_groups": [{"name": "standard"}], "resellers": [{
    "number": "800", "first_name": "Rita", "email": "rita@example.com",
    "rate_group": "standard", "rate_groups": [{"name": "rg8"}],
    "customers": [{"number": "8001", "first_name": "Cy", "rate_group": "rg8"}]}]}


def test_undo_removes_an_admin_rate_group_its_reseller_used(cli, tmp_path):
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(SEED))
    out = cli.json("apply", "-f", str(path))
    undone = cli.json("batch", "undo", out["batch_id"], "--yes")
    assert {(u["kind"], u["number"]) for u in undone if u["action"] == "deleted"} == {
        ("rate_group", "standard"), ("rate_group", "rg8@800")}
    assert [r["name"] for r in cli.json("rategroup", "list")
            if r["name"] in ("standard", "rg8")] == []
