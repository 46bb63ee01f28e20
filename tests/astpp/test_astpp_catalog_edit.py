"""Issue 16 on the astpp target: `rategroup|tax update|delete` and `create --if-exists` are,
like the other catalog commands that change data, not built for ASTPP: exit 2 saying so, and
ASTPP's pricelists and taxes are left as they are."""

from __future__ import annotations

import pytest

from astpp.astpp_helpers import created, rows


@pytest.mark.parametrize("args", [
    ["rategroup", "update", "default", "--inactive"],
    ["rategroup", "delete", "default", "--yes"],
    ["rategroup", "delete", "default"],
    ["rategroup", "create", "default", "--if-exists", "skip"],
    ["tax", "update", "GST", "--rate", "5"],
    ["tax", "delete", "GST", "--yes"],
    ["tax", "create", "GST", "--rate", "5", "--if-exists", "skip"],
])
def test_catalog_changes_exit_2_on_astpp(astpp, db, args):
    with db.cursor() as cur:
        cur.execute("INSERT INTO taxes (taxes_priority, taxes_rate, taxes_description) "
                    "VALUES (1, 18, 'GST')")
    db.commit()
    before = (rows(db, "SELECT * FROM pricelists"), rows(db, "SELECT * FROM taxes"))
    result = astpp(*args)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert f"{args[0]} {args[1]} is not supported on the astpp target" in result.stderr
    assert (rows(db, "SELECT * FROM pricelists"), rows(db, "SELECT * FROM taxes")) == before
    assert [r["name"] for r in created(astpp("rategroup", "list", "-o", "json"))] == ["default"]
