"""The catalog through the library (issue 20): rate groups, taxes, roles and the reference
lists are Client methods with typed results, raising the exceptions named after the CLI's
exit codes with the CLI's messages; on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import pytest

import acctctl

pytestmark = pytest.mark.db


@pytest.fixture
def client(db_url, config_file, tmp_path):
    with acctctl.open(db_url, config=config_file, env={}, cwd=tmp_path) as opened:
        yield opened


def test_a_rate_group_is_created_listed_changed_and_deleted(client):
    assert client.rate_groups() == [acctctl.RateGroup("default", "active")]
    gold = client.create_rate_group("gold", active=False)
    assert gold == acctctl.RateGroup("gold", "inactive")
    assert gold.as_dict() == {"name": "gold", "reseller": None, "status": "inactive"}
    assert [g.name for g in client.rate_groups()] == ["default", "gold"]

    would = client.update_rate_group("gold", active=True, dry_run=True)
    assert would.changes == {"status": ("inactive", "active")} and would.dry_run
    assert client.rate_groups()[1].status == "inactive"  # nothing was written
    changed = client.update_rate_group("gold", active=True)
    assert changed.changes == {"status": ("inactive", "active")} and not changed.dry_run
    assert client.update_rate_group("gold", active=True).changes == {}  # already so
    with pytest.raises(acctctl.UsageError, match="nothing to change"):
        client.update_rate_group("gold")

    assert client.delete_rate_group("gold", dry_run=True) == acctctl.DeletedEntry(
        "rate group", "gold", dry_run=True)
    assert len(client.rate_groups()) == 2
    deleted = client.delete_rate_group("gold")
    assert deleted.as_dict() == {"name": "gold", "reseller": None, "action": "deleted"}
    assert [g.name for g in client.rate_groups()] == ["default"]
    with pytest.raises(acctctl.NotFound) as missing:
        client.delete_rate_group("gold")
    assert missing.value.message == "no rate group named 'gold' is owned by the admin"


def test_if_exists_fail_is_a_conflict_and_skip_returns_the_entry_as_it_is(client):
    client.create_rate_group("gold", active=False)
    with pytest.raises(acctctl.Conflict) as clash:
        client.create_rate_group("gold")
    assert clash.value.exit_code == 4
    assert clash.value.message == ("rate group 'gold' already exists for the admin; "
                                   "nothing was written")
    kept = client.create_rate_group("gold", if_exists="skip")  # active=True is not applied
    assert kept.skipped and kept.status == "inactive"
    assert kept.as_dict()["skipped"] is True

    client.create_tax("vat", rate="20")
    with pytest.raises(acctctl.Conflict, match="tax 'vat' already exists"):
        client.create_tax("vat", rate="7")
    tax = client.create_tax("vat", rate="7", if_exists="skip")
    assert tax.skipped and tax.rate == Decimal("20")
    with pytest.raises(acctctl.UsageError, match="--if-exists must be fail or skip"):
        client.create_tax("other", rate="1", if_exists="maybe")


def test_deleting_what_an_account_uses_is_refused_with_exit_4(client):
    client.create_rate_group("gold")
    client.create_tax("vat", rate="20")
    account = client.create("customer", first_name="Uses", rate_group="gold", taxes=["vat"])
    with pytest.raises(acctctl.Conflict) as refused:
        client.delete_rate_group("gold")
    assert refused.value.exit_code == 4
    assert refused.value.message == (f"cannot delete rate group 'gold' of the admin: 1 account "
                                     f"uses it: {account.number}; nothing was changed")
    assert "--rate-group OTHER" in refused.value.hint
    with pytest.raises(acctctl.Conflict, match=f"cannot delete tax 'vat' .*{account.number}"):
        client.delete_tax("vat", dry_run=True)
    assert [g.name for g in client.rate_groups()] == ["default", "gold"]  # nothing changed
    assert [t.name for t in client.taxes()] == ["vat"]


def test_a_tax_is_typed_and_checked_by_the_rules_of_the_cli(client):
    vat = client.create_tax("vat", rate="7.5", amount="0.25", priority=2)
    assert (vat.rate, vat.amount, vat.priority, vat.status) == (
        Decimal("7.5"), Decimal("0.25"), 2, "active")
    listed = client.taxes()
    assert listed == [vat] and list(listed[0].as_dict()) == [
        "name", "rate", "amount", "priority", "status", "reseller"]  # `tax list -o json`
    changed = client.update_tax("vat", rate=Decimal("8"), priority=3)
    assert changed.changes == {"rate": (Decimal("7.5"), Decimal("8")), "priority": (2, 3)}
    assert (changed.rate, changed.amount) == (Decimal("8"), Decimal("0.25"))
    with pytest.raises(acctctl.InvalidData) as bad:
        client.update_tax("vat", rate="101", amount="x", priority=-1)
    assert [e.field for e in bad.value.errors] == ["rate", "amount", "priority"]
    assert bad.value.message == "3 problems found; nothing was written"
    with pytest.raises(acctctl.InvalidData):
        client.create_tax("bad\x01name", rate="1")
    assert client.delete_tax("vat").kind == "tax" and client.taxes() == []


def test_a_reseller_owns_its_own_entries(client):
    reseller = client.create("reseller", first_name="R").number
    customer = client.create("customer", first_name="C").number
    own = client.create_rate_group("default", reseller=reseller)
    assert own == acctctl.RateGroup("default", "active", reseller)
    assert client.rate_groups(reseller) == [own]
    assert len(client.rate_groups()) == 2  # every owner's
    client.create_tax("vat", rate="5", reseller=reseller)
    assert [t.reseller for t in client.taxes(reseller)] == [reseller]
    with pytest.raises(acctctl.NotFound) as missing:
        client.update_tax("nope", rate="1", reseller=reseller)
    assert missing.value.message == f"no tax named 'nope' is owned by reseller {reseller}"
    with pytest.raises(acctctl.InvalidData) as not_one:
        client.create_rate_group("g", reseller=customer)
    assert not_one.value.errors[0].message == (f"account {customer} is a customer, "
                                               "not a reseller")
    assert client.delete_rate_group("default", reseller=reseller).reseller == reseller


def test_roles_and_the_reference_lists(client):
    role = client.create_role("support", scope="admin", description="Helps")
    assert role == acctctl.Role("support", "admin", "Helps")
    assert role.as_dict() == {"name": "support", "for": "admin", "description": "Helps"}
    assert role in client.roles() and {r.scope for r in client.roles()} == {"admin",
                                                                            "reseller"}
    with pytest.raises(acctctl.Conflict, match="role 'support' already exists for admins"):
        client.create_role("support", scope="admin")
    with pytest.raises(acctctl.UsageError, match="--for must be admin or reseller"):
        client.create_role("other", scope="nobody")

    assert client.countries("germ") == [acctctl.Country("DE", "DEU", "Germany", "+49")]
    assert acctctl.Currency("EUR", "Euro") in client.currencies("eur")
    assert client.timezones("berlin") == [acctctl.Timezone("Europe/Berlin")]
    assert len(client.timezones()) > 100 and client.countries("zzzz") == []
