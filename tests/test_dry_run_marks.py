"""`account disable|enable --dry-run` mark their records as dry runs, as `account delete
--dry-run` and `batch undo --dry-run` do, and say that nothing was written."""

from __future__ import annotations

import json

import pytest


@pytest.mark.parametrize("verb", ["disable", "enable"])
def test_status_dry_run_is_marked(cli, verb):
    number = cli.json("create", "customer", "--first-name", "Dee")["number"]
    if verb == "enable":
        assert cli("account", "disable", number).exit_code == 0
    result = cli("account", verb, number, "--dry-run", "-o", "json")
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    assert records == [{"number": number, "kind": "customer",
                        "status": "inactive" if verb == "disable" else "active",
                        "changed": True, "dry_run": True}]
    assert "nothing was written" in result.stderr
    shown = cli.json("account", "show", number)
    assert shown["status"] == ("active" if verb == "disable" else "inactive")
    plain = cli("account", verb, number, "-o", "json")
    assert "dry_run" not in json.loads(plain.stdout)[0]
