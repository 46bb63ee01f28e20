"""`rategroup|tax create|update|delete|list` on the astpp target (issue 19): ASTPP's
pricelists and taxes, written as its Rate group and Taxes pages write them; a delete is
refused (exit 4, nothing changed) while accounts use the entry."""

from __future__ import annotations

import json

from astpp.astpp_helpers import created, customer, rows


def ok(astpp, *args: str):
    return created(astpp(*args, "-o", "json"))


def test_rate_group_create_update_delete_of_a_reseller(astpp, db):
    reseller = customer(astpp, "5555000001", kind="reseller")
    ok(astpp, "rategroup", "create", "gold", "--reseller", reseller["number"])
    (gold,) = rows(db, "SELECT * FROM pricelists WHERE name = 'gold'")
    (owner,) = rows(db, "SELECT id FROM accounts WHERE number = '5555000001'")
    assert (gold["reseller_id"], gold["status"], gold["inc"]) == (owner["id"], 0, 60)
    listed = ok(astpp, "rategroup", "list", "--reseller", "5555000001")
    assert listed == [{"name": "gold", "status": "active", "reseller": "5555000001"}]
    out = ok(astpp, "rategroup", "update", "gold", "--reseller", "5555000001", "--inactive")
    assert out["changes"] == {"status": ["active", "inactive"]}
    (gold,) = rows(db, "SELECT * FROM pricelists WHERE name = 'gold'")
    assert gold["status"] == 1 and gold["last_modified_date"].year > 2000
    ok(astpp, "rategroup", "delete", "gold", "--reseller", "5555000001", "--yes")
    assert rows(db, "SELECT status FROM pricelists WHERE name = 'gold'") == [{"status": 2}]
    assert ok(astpp, "rategroup", "list", "--reseller", "5555000001") == []


def test_a_second_rate_group_of_that_name_is_exit_4_or_skipped(astpp, db):
    result = astpp("rategroup", "create", "default")
    assert result.exit_code == 4, result.stderr
    assert "already exists for the admin" in result.stderr
    skipped = ok(astpp, "rategroup", "create", "default", "--if-exists", "skip")
    assert skipped["skipped"] is True
    assert len(rows(db, "SELECT id FROM pricelists")) == 1


def test_rate_group_delete_is_refused_while_an_account_uses_it(astpp, db):
    ok(astpp, "rategroup", "create", "silver")
    customer(astpp, "5555000002", "--rate-group", "silver")
    before = rows(db, "SELECT * FROM pricelists")
    result = astpp("rategroup", "delete", "silver", "--yes")
    assert result.exit_code == 4, result.stderr
    assert "1 account uses it: 5555000002" in " ".join(result.stderr.split())
    assert rows(db, "SELECT * FROM pricelists") == before


def test_tax_create_update_list_and_delete_refused_while_used(astpp, db):
    out = ok(astpp, "tax", "create", "VAT", "--rate", "20", "--amount", "1.5",
             "--priority", "2")
    assert (out["rate"], out["amount"], out["priority"]) == ("20", "1.5", 2)
    (tax,) = rows(db, "SELECT * FROM taxes")
    assert (str(tax["taxes_rate"]), str(tax["taxes_amount"]), tax["taxes_priority"],
            tax["reseller_id"], tax["status"]) == ("20.00000", "1.50000", 2, 0, 0)
    ok(astpp, "tax", "update", "VAT", "--rate", "21")
    assert str(rows(db, "SELECT taxes_rate FROM taxes")[0]["taxes_rate"]) == "21.00000"
    assert [(t["name"], float(t["rate"])) for t in ok(astpp, "tax", "list")] == [("VAT", 21)]
    customer(astpp, "5555000003", "--tax", "VAT")
    result = astpp("tax", "delete", "VAT", "--yes")
    assert result.exit_code == 4, result.stderr
    assert "5555000003" in result.stderr
    assert len(rows(db, "SELECT id FROM taxes")) == 1
    assert len(rows(db, "SELECT id FROM taxes_to_accounts WHERE taxes_id = %s",
                    tax["id"])) == 1


def test_tax_delete_removes_the_row_and_its_links_as_astpp(astpp, db):
    ok(astpp, "tax", "create", "GST", "--rate", "5")
    (tax,) = rows(db, "SELECT id FROM taxes")
    # a link left behind by an account ASTPP no longer has
    with db.cursor() as cur:
        cur.execute("INSERT INTO taxes_to_accounts (accountid, taxes_id) VALUES (9999, %s)",
                    (tax["id"],))
    db.commit()
    ok(astpp, "tax", "delete", "GST", "--yes")
    assert rows(db, "SELECT * FROM taxes") == []
    assert rows(db, "SELECT * FROM taxes_to_accounts") == []


def test_what_astpps_columns_cannot_hold_is_exit_3_with_nothing_written(astpp, db):
    result = astpp("rategroup", "create", "r" * 31)
    assert result.exit_code == 3, result.stderr
    assert "pricelists.name" in result.stderr
    result = astpp("tax", "create", "VAT", "--rate", "5", "--priority", "200")
    assert result.exit_code == 3, result.stderr
    assert "taxes_to_accounts.taxes_priority" in " ".join(result.stderr.split())
    assert len(rows(db, "SELECT id FROM pricelists")) == 1
    assert rows(db, "SELECT * FROM taxes") == []


def test_rate_group_delete_removes_its_routing_and_rates_as_astpp(astpp, db):
    ok(astpp, "rategroup", "create", "bronze")
    (bronze,) = rows(db, "SELECT id FROM pricelists WHERE name = 'bronze'")
    with db.cursor() as cur:
        cur.execute("INSERT INTO routing (pricelist_id, trunk_id, percentage) "
                    "VALUES (%s, 1, '')", (bronze["id"],))
        cur.execute("INSERT INTO routes (pattern, includedseconds, pricelist_id, call_type, "
                    "routing_type, percentage, call_count, effective_date) VALUES "
                    "('^1.*', 0, %s, '', '', '', 0, NOW())", (bronze["id"],))
    db.commit()
    assert json.loads(astpp("rategroup", "delete", "bronze", "--yes", "-o", "json").stdout)
    assert rows(db, "SELECT * FROM routing") == [] and rows(db, "SELECT * FROM routes") == []


def test_a_database_without_the_columns_astpp_writes_is_exit_5(astpp, db):
    with db.cursor() as cur:
        cur.execute("ALTER TABLE taxes DROP COLUMN creation_date")
    db.commit()
    result = astpp("tax", "create", "VAT", "--rate", "5")
    assert result.exit_code == 5, result.stderr
    assert "taxes.creation_date" in result.stderr
    assert rows(db, "SELECT * FROM taxes") == []
