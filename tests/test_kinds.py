"""Resellers, admins, sub-admins and ownership, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa


def make(cli, kind, *args, code=0, name="Rita"):
    return cli.json("create", kind, "--first-name", name, *args, code=code)


def run(cli, kind, *args, code, name="Rita"):
    result = cli("create", kind, "--first-name", name, *args)
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    return result


def count(cli) -> int:
    return len(cli.json("account", "list"))


# --- resellers ------------------------------------------------------------------------------


def test_reseller_defaults(cli, engine):
    out = make(cli, "reseller", "--email", "rita@example.com")
    assert out["kind"] == "reseller"
    assert len(out["number"]) == 10 and out["number"][0] != "0"
    assert out["expiry"] is None and out["valid_days"] is None
    assert out["role"] == "reseller" and out["rate_group"] == "default"
    for key in ("pin", "sip_device", "first_used"):
        assert key not in out
    assert set(out["generated"]) == {"password"}
    shown = cli.json("account", "show", out["number"])
    assert shown["role"] == "reseller" and shown["expiry"] is None
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM sip_devices")).scalar() == 0


@pytest.mark.parametrize("args", [["--pin", "123456"], ["--sip-device"], ["--no-sip-device"]])
def test_reseller_refuses_customer_only_flags(cli, args):
    result = run(cli, "reseller", *args, code=2)
    assert args[0] in result.stderr
    assert count(cli) == 0


def test_reseller_expiry_only_when_given(cli):
    out = make(cli, "reseller", "--valid-days", "10")
    assert out["valid_days"] == 10 and out["expiry"] is not None
    out = make(cli, "reseller", "--expiry", "2099-01-01")
    assert out["expiry"].startswith("2099-01-01")


def test_reseller_billing_fields(cli):
    out = make(cli, "reseller", "--account-type", "postpaid", "--credit-limit", "500.5",
               "--currency", "eur", "--billing-schedule", "weekly", "--billing-day", "3")
    assert (out["account_type"], out["credit_limit"], out["currency"]) == \
        ("postpaid", "500.5", "EUR")
    assert out["billing_day"] == 3
    result = run(cli, "reseller", "--credit-limit", "5", "--number", "12ab", code=3)
    assert "--credit-limit" in result.stderr and "--number" in result.stderr


def test_reseller_roles(cli):
    cli.json("role", "create", "gold-partner", "--for", "reseller")
    cli.json("role", "create", "ops", "--for", "admin")
    assert make(cli, "reseller", "--role", "gold-partner")["role"] == "gold-partner"
    result = run(cli, "reseller", "--role", "ops", code=3)  # an admin role
    assert "--role" in result.stderr
    assert "--role" in run(cli, "reseller", "--role", "nosuch", code=3).stderr
    assert count(cli) == 1


def test_reseller_number_rules(cli):
    assert make(cli, "reseller", "--number", "555")["number"] == "555"
    assert "--number" in run(cli, "reseller", "--number", "r-1", code=3).stderr
    run(cli, "reseller", "--number", "555", code=4)


# --- admins and sub-admins ------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["admin", "subadmin"])
def test_admin_kinds(cli, engine, kind):
    out = make(cli, kind, "--email", "root@example.com", "--number", "ops.lead_1",
               "--telephone", "+44 20 7946 0018", "--country", "gbr", "--last-name", "Root",
               "--timezone", "europe/london", "--status", "inactive")
    assert out["kind"] == kind and out["number"] == "ops.lead_1"
    assert out["telephone"] == "+442079460018" and out["country"] == "GB"
    assert out["timezone"] == "Europe/London" and out["status"] == "inactive"
    assert out["role"] == kind  # the seeded default role of that kind
    assert out["expiry"] is None
    for key in ("credit_limit", "rate_group", "pin", "sip_device", "currency", "reseller",
                "taxes", "balance"):
        assert key not in out or out[key] in (None, 0, "0"), key
    assert "credit_limit" not in out and "rate_group" not in out and "pin" not in out
    with engine.connect() as conn:
        hashed = conn.execute(sa.text("SELECT password_hash FROM accounts")).scalar_one()
    assert hashed.startswith("$argon2id$")


@pytest.mark.parametrize("kind", ["admin", "subadmin"])
def test_admin_generated_number(cli, kind):
    number = make(cli, kind, "--email", "a@example.com")["number"]
    assert number and all(c.isalnum() or c in "._-" for c in number)


@pytest.mark.parametrize("kind", ["admin", "subadmin"])
@pytest.mark.parametrize("value", ["has space", "x" * 21, "a/b", "ünï"])
def test_admin_number_invalid(cli, kind, value):
    result = run(cli, kind, "--email", "a@example.com", "--number", value, code=3)
    assert "--number" in result.stderr
    assert count(cli) == 0


@pytest.mark.parametrize("kind", ["admin", "subadmin"])
def test_admin_email_required(cli, kind):
    result = cli("create", kind, "--first-name", "Root")
    assert result.exit_code == 2 and "--email" in result.stderr
    result = cli("create", kind, "--last-name", "Root", "--no-input")
    assert result.exit_code == 2
    assert "--email" in result.stderr and "--first-name" in result.stderr
    assert count(cli) == 0


@pytest.mark.parametrize("kind", ["admin", "subadmin"])
@pytest.mark.parametrize("args", [
    ["--credit-limit", "5"], ["--rate-group", "default"], ["--pin", "123456"],
    ["--sip-device"], ["--currency", "EUR"], ["--company", "X"], ["--tax", "vat"],
    ["--reseller", "123"], ["--account-type", "postpaid"], ["--billing-day", "1"],
    ["--max-channels", "1"],
])
def test_admin_refuses_billing_flags(cli, kind, args):
    result = run(cli, kind, "--email", "a@example.com", *args, code=2)
    assert args[0] in result.stderr
    assert count(cli) == 0


def test_subadmin_keeps_its_role(cli, engine):
    cli.json("role", "create", "ops", "--for", "admin")
    out = make(cli, "subadmin", "--email", "sam@example.com", "--role", "ops")
    assert out["role"] == "ops"
    assert cli.json("account", "show", out["number"])["role"] == "ops"
    with engine.connect() as conn:
        stored = conn.execute(sa.text(
            "SELECT r.name FROM accounts a JOIN roles r ON r.id = a.role_id "
            "WHERE a.number = :n"), {"n": out["number"]}).scalar_one()
    assert stored == "ops"
    admin = make(cli, "admin", "--email", "adm@example.com", "--role", "ops")
    assert admin["role"] == "ops"


@pytest.mark.parametrize("kind", ["admin", "subadmin"])
def test_admin_unknown_role(cli, kind):
    cli.json("role", "create", "partner", "--for", "reseller")
    result = run(cli, kind, "--email", "a@example.com", "--role", "nosuch", code=3)
    assert "--role" in result.stderr and "nosuch" in result.stderr
    assert "--role" in run(cli, kind, "--email", "a@example.com", "--role", "partner",
                           code=3).stderr
    assert count(cli) == 0


def test_admin_email_unique_across_kinds(cli):
    make(cli, "customer", "--email", "same@example.com")
    run(cli, "admin", "--email", "SAME@example.com", code=4)
    run(cli, "subadmin", "--email", "same@example.com", code=4)
    assert count(cli) == 1


def test_admin_number_unique_across_kinds(cli):
    make(cli, "customer", "--number", "4242")
    run(cli, "admin", "--email", "a@example.com", "--number", "4242", code=4)


# --- ownership ------------------------------------------------------------------------------


@pytest.fixture
def reseller(cli):
    return make(cli, "reseller", "--email", "owner@example.com")["number"]


@pytest.mark.parametrize("kind", ["customer", "provider", "reseller"])
def test_owned_account(cli, reseller, kind):
    cli.json("rategroup", "create", "retail", "--reseller", reseller)
    out = make(cli, kind, "--reseller", reseller, "--rate-group", "retail")
    assert out["reseller"] == reseller and out["rate_group"] == "retail"
    shown = cli.json("account", "show", out["number"])
    assert shown["reseller"] == reseller and shown["rate_group"] == "retail"


def test_owner_must_exist(cli):
    result = run(cli, "customer", "--reseller", "9999", code=3)
    assert "--reseller" in result.stderr and "9999" in result.stderr
    assert count(cli) == 0


def test_owner_must_be_a_reseller(cli):
    customer = make(cli, "customer")["number"]
    result = run(cli, "customer", "--reseller", customer, code=3)
    assert "--reseller" in result.stderr and customer in result.stderr
    assert count(cli) == 1


def test_owner_must_be_active(cli):
    inactive = make(cli, "reseller", "--status", "inactive")["number"]
    result = cli("rategroup", "create", "retail", "--reseller", inactive)
    assert result.exit_code == 3 and inactive in result.stderr
    result = run(cli, "customer", "--reseller", inactive, code=3)
    assert "--reseller" in result.stderr and inactive in result.stderr
    assert "inactive" in result.stderr
    assert count(cli) == 1


def test_admin_rate_group_is_not_the_resellers(cli, reseller):
    result = run(cli, "customer", "--reseller", reseller, code=3)  # default = admin's
    assert "--rate-group" in result.stderr and reseller in result.stderr
    result = run(cli, "customer", "--reseller", reseller, "--rate-group", "default", code=3)
    assert f"reseller {reseller}" in result.stderr
    assert count(cli) == 1


def test_resellers_rate_group_is_not_the_admins(cli, reseller):
    cli.json("rategroup", "create", "retail", "--reseller", reseller)
    result = run(cli, "customer", "--rate-group", "retail", code=3)
    assert "--rate-group" in result.stderr and "admin" in result.stderr
    assert count(cli) == 1


def test_owned_taxes(cli, reseller):
    cli.json("rategroup", "create", "retail", "--reseller", reseller)
    cli.json("tax", "create", "vat", "--rate", "20")  # the admin's
    cli.json("tax", "create", "gst", "--rate", "10", "--reseller", reseller)
    result = run(cli, "customer", "--reseller", reseller, "--rate-group", "retail",
                 "--tax", "vat", code=3)
    assert "--tax" in result.stderr and reseller in result.stderr
    out = make(cli, "customer", "--reseller", reseller, "--rate-group", "retail", "--tax", "gst")
    assert out["taxes"] == ["gst"]
    result = run(cli, "customer", "--tax", "gst", code=3)  # admin-owned customer
    assert "--tax" in result.stderr and "admin" in result.stderr
    assert count(cli) == 2


def test_sub_reseller(cli, reseller):
    cli.json("rategroup", "create", "retail", "--reseller", reseller)
    sub = make(cli, "reseller", "--reseller", reseller, "--rate-group", "retail")
    assert sub["reseller"] == reseller and sub["kind"] == "reseller"
    cli.json("rategroup", "create", "sub-retail", "--reseller", sub["number"])
    leaf = make(cli, "customer", "--reseller", sub["number"], "--rate-group", "sub-retail")
    assert leaf["reseller"] == sub["number"]
    # the parent's rate group does not belong to the sub-reseller
    result = run(cli, "customer", "--reseller", sub["number"], "--rate-group", "retail", code=3)
    assert "--rate-group" in result.stderr


def test_account_list_by_reseller(cli, reseller):
    other = make(cli, "reseller", "--email", "other@example.com")["number"]
    for number in (reseller, other):
        cli.json("rategroup", "create", "retail", "--reseller", number)
    mine = {make(cli, "customer", "--reseller", reseller, "--rate-group", "retail")["number"]
            for _ in range(2)}
    mine.add(make(cli, "provider", "--reseller", reseller, "--rate-group", "retail")["number"])
    theirs = make(cli, "customer", "--reseller", other, "--rate-group", "retail")["number"]
    make(cli, "customer")
    listed = cli.json("account", "list", "--reseller", reseller)
    assert {a["number"] for a in listed} == mine
    assert all(a["reseller"] == reseller for a in listed)
    assert [a["number"] for a in cli.json("account", "list", "--reseller", other)] == [theirs]
    providers = cli.json("account", "list", "--reseller", reseller, "--kind", "provider")
    assert len(providers) == 1 and providers[0]["kind"] == "provider"
    assert len(cli.json("account", "list", "--limit", "2")) == 2
    assert len(cli.json("account", "list", "--kind", "reseller")) == 2


def test_account_list_unknown_reseller(cli):
    result = cli("account", "list", "--reseller", "424242")
    assert result.exit_code == 3 and "424242" in result.stderr


def test_account_show_unknown(cli):
    result = cli("account", "show", "424242")
    assert result.exit_code == 3 and "424242" in result.stderr
