"""Rate groups, taxes, roles and reference data, on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import pytest


def one(doc):
    return doc[0] if isinstance(doc, list) else doc


def test_new_database_lists_default_rate_group(cli):
    groups = cli.json("rategroup", "list")
    assert groups == [{"name": "default", "status": "active", "reseller": None}]


def test_rategroup_create_and_list(cli):
    assert one(cli.json("rategroup", "create", "gold"))["name"] == "gold"
    assert one(cli.json("rategroup", "create", "old", "--inactive"))["status"] == "inactive"
    groups = {g["name"]: g for g in cli.json("rategroup", "list")}
    assert set(groups) == {"default", "gold", "old"}
    assert groups["old"]["status"] == "inactive" and groups["gold"]["status"] == "active"


def test_rategroup_duplicate_is_conflict(cli):
    cli.json("rategroup", "create", "gold")
    result = cli("rategroup", "create", "gold")
    assert result.exit_code == 4 and "gold" in result.stderr
    assert cli("rategroup", "create", "default").exit_code == 4


def test_rategroup_name_rules(cli):
    assert cli("rategroup", "create", "x" * 61).exit_code == 3
    assert cli("rategroup", "create", "bad\x01name").exit_code == 3
    assert len(cli.json("rategroup", "list")) == 1


def test_reseller_owned_catalog(cli):
    reseller = cli.json("create", "reseller", "--first-name", "R")["number"]
    # the same name may exist once per owner
    cli.json("rategroup", "create", "default", "--reseller", reseller)
    cli.json("tax", "create", "vat", "--rate", "20")
    cli.json("tax", "create", "vat", "--rate", "7.5", "--reseller", reseller)
    assert cli("rategroup", "create", "default", "--reseller", reseller).exit_code == 4
    assert cli("tax", "create", "vat", "--rate", "1", "--reseller", reseller).exit_code == 4
    owned = cli.json("rategroup", "list", "--reseller", reseller)
    assert owned == [{"name": "default", "status": "active", "reseller": reseller}]
    taxes = cli.json("tax", "list", "--reseller", reseller)
    assert [(t["name"], t["rate"], t["reseller"]) for t in taxes] == [("vat", "7.5", reseller)]
    everything = cli.json("tax", "list")
    assert sorted((t["reseller"] or "") for t in everything) == ["", reseller]


def test_catalog_owner_must_be_active_reseller(cli):
    customer = cli.json("create", "customer", "--first-name", "C")["number"]
    for args in (["rategroup", "create", "g", "--reseller", customer],
                 ["tax", "create", "t", "--rate", "1", "--reseller", "999"]):
        result = cli(*args)
        assert result.exit_code == 3 and "--reseller" in result.stderr


def test_tax_create_and_list(cli):
    out = one(cli.json("tax", "create", "vat", "--rate", "20.125", "--amount", "0.5",
                       "--priority", "2"))
    assert (out["rate"], out["amount"], out["priority"]) == ("20.125", "0.5", 2)
    listed = cli.json("tax", "list")
    assert len(listed) == 1
    assert Decimal(listed[0]["rate"]) == Decimal("20.125")
    assert listed[0]["amount"] == "0.5" and listed[0]["priority"] == 2
    assert cli("tax", "create", "vat", "--rate", "5").exit_code == 4


@pytest.mark.parametrize("args", [["--rate", "-1"], ["--rate", "abc"],
                                  ["--rate", "5", "--amount", "-2"]])
def test_tax_invalid(cli, args):
    result = cli("tax", "create", "bad", *args)
    assert result.exit_code == 3
    assert cli.json("tax", "list") == []


def test_tax_rate_required(cli):
    assert cli("tax", "create", "vat").exit_code == 2


def test_roles(cli):
    seeded = {r["name"]: r["for"] for r in cli.json("role", "list")}
    assert seeded == {"admin": "admin", "subadmin": "admin", "reseller": "reseller"}
    out = one(cli.json("role", "create", "ops", "--for", "admin", "--description", "Ops"))
    assert out["name"] == "ops" and out["for"] == "admin"
    cli.json("role", "create", "partner", "--for", "reseller")
    roles = {r["name"]: r for r in cli.json("role", "list")}
    assert roles["ops"]["description"] == "Ops" and roles["partner"]["for"] == "reseller"
    assert cli("role", "create", "ops", "--for", "admin").exit_code == 4
    assert cli("role", "create", "x", "--for", "customer").exit_code in (2, 3)


def test_reference_currencies(cli):
    found = cli.json("reference", "currencies", "--search", "eur")
    assert "EUR" in {c["code"] for c in found}
    assert all("eur" in (c["code"] + c["name"]).lower() for c in found)
    assert len(cli.json("reference", "currencies")) >= 150


def test_reference_countries_and_timezones(cli):
    found = cli.json("reference", "countries", "--search", "germany")
    assert found and found[0]["alpha2"] == "DE" and found[0]["alpha3"] == "DEU"
    assert found[0]["dial_code"] == "+49"
    zones = cli.json("reference", "timezones", "--search", "paris")
    assert any("Europe/Paris" in z.values() for z in zones)
    assert len(cli.json("reference", "countries")) >= 249


def test_catalog_output_formats(cli):
    cli.json("rategroup", "create", "gold")
    csv = cli("rategroup", "list", "-o", "csv")
    assert csv.exit_code == 0
    assert csv.stdout.splitlines()[0].split(",")[:2] == ["name", "status"]
    jsonl = cli("rategroup", "list", "-o", "jsonl")
    assert len(jsonl.stdout.strip().splitlines()) == 2
    assert cli("rategroup", "list", "-o", "yaml").exit_code == 2
