"""Issue 17's set-up trips on the astpp target: what a first-time operator runs into.

config init must leave ASTPP's own settings in charge; the wizard's country moves the time
zone and currency within ASTPP's lists; the public-key warning is one line where passwords are
stored; `account show` lists SIP devices; a loose key file warns; a reseller without a rate
group gets told where to make one.
"""

from __future__ import annotations

import json
import tomllib

from acctctl.interactive import wizard as wizard_mod
from astpp.astpp_helpers import created, rows
from conftest import Cli
from test_interactive import FakePrompter  # tests/test_interactive.py


def _set(db, **system):
    with db.cursor() as cur:
        for name, value in system.items():
            cur.execute("UPDATE `system` SET value = %s WHERE name = %s", (value, name))
    db.commit()


def _init(astpp_config, tmp_path, *flags) -> Cli:
    """`config init --target astpp` as docs/astpp.md runs it, for the test's database."""
    doc = tomllib.loads(astpp_config.read_text())
    path = tmp_path / "init.toml"
    cli = Cli({"ACCTCTL_CONFIG": str(path), "COLUMNS": "200", "NO_COLOR": "1"})
    result = cli("config", "init", "--target", "astpp", "--database-url",
                 doc["database"]["url"], "--astpp-config", doc["astpp"]["config_file"], *flags)
    assert result.exit_code == 0, result.stderr
    return cli


# --- 1. ASTPP's settings rule the defaults config init leaves alone --------------------------


def test_count_after_config_init_follows_astpps_starting_digit_and_length(
        astpp_config, db, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _set(db, starting_digit="55", card_length="8")
    cli = _init(astpp_config, tmp_path)
    doc = tomllib.loads((tmp_path / "init.toml").read_text())
    assert doc.get("numbers", {}) == {} and doc.get("defaults", {}) == {}
    out = created(cli("create", "customer", "--count", "5", "-o", "json"))
    numbers = [a["number"] for a in out["created"]]
    assert len(set(numbers)) == 5
    assert all(n.isdigit() and len(n) == 8 and n.startswith("55") for n in numbers), numbers


def test_a_prefix_the_config_sets_still_wins_over_astpps(astpp_config, db, tmp_path,
                                                         monkeypatch):
    monkeypatch.chdir(tmp_path)
    _set(db, starting_digit="55", card_length="8")
    cli = _init(astpp_config, tmp_path, "--number-prefix", "77")
    out = created(cli("create", "customer", "--count", "3", "-o", "json"))
    assert all(len(a["number"]) == 8 and a["number"].startswith("77") for a in out["created"])


def test_email_alerts_are_on_as_astpps_form_sets_them_for_an_account_with_an_email(
        astpp_config, db, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cli = _init(astpp_config, tmp_path)
    with_email = created(cli("create", "customer", "--first-name", "Ada", "--email",
                             "ada@example.com", "-o", "json"))["number"]
    without = created(cli("create", "customer", "--first-name", "Bo", "-o", "json"))["number"]
    flags = {r["number"]: r["notify_flag"] for r in rows(
        db, "SELECT number, notify_flag FROM accounts WHERE number IN (%s, %s)",
        with_email, without)}
    assert flags == {with_email: 0, without: 1}  # 0 = on in ASTPP; off without an address
    # the flag, and the profile's own setting, win
    flag = created(cli("create", "customer", "--first-name", "Di", "--email", "di@example.com",
                       "--no-email-alerts", "-o", "json"))["number"]
    (row,) = rows(db, "SELECT notify_flag FROM accounts WHERE number = %s", flag)
    assert row["notify_flag"] == 1
    path = tmp_path / "init.toml"
    path.write_text(path.read_text().replace("[defaults]", "[defaults]\nemail_alerts = false"))
    off = created(cli("create", "customer", "--first-name", "Cy", "--email", "cy@example.com",
                      "-o", "json"))["number"]
    (row,) = rows(db, "SELECT notify_flag FROM accounts WHERE number = %s", off)
    assert row["notify_flag"] == 1


# --- 2. the wizard's country moves the time zone and currency, within ASTPP's lists ----------


def test_the_wizards_country_offers_its_zone_and_currency_from_astpps_lists(astpp, db,
                                                                             monkeypatch):
    from acctctl.cli import console

    with db.cursor() as cur:  # ASTPP's list has Germany's zone (the fixture's five do not)
        cur.execute("INSERT INTO timezone (id, gmttime, gmtoffset, timezone_name) "
                    "VALUES (51, 'GMT+01:00', 3600, 'Europe/Berlin')")
    db.commit()
    monkeypatch.setattr(console, "current", lambda: console.Streams(
        stdin_tty=True, stdout_tty=True, stderr_tty=False))
    fake = FakePrompter({"First name": "Ada", "Email": "ada@example.com", "Country": "DE",
                         "Create this customer?": True})
    monkeypatch.setattr(wizard_mod, "make_prompter", lambda: fake)
    result = astpp("create", "customer", "-o", "json")
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert fake.defaults["Time zone"] == "Europe/Berlin"
    assert fake.defaults["Currency"] == "EUR"
    number = json.loads(result.stdout)["number"]
    (row,) = rows(db, "SELECT country_id, timezone_id, currency_id FROM accounts "
                  "WHERE number = %s", number)
    assert row == {"country_id": 80, "timezone_id": 51, "currency_id": 48}


def test_a_country_whose_zone_astpp_lacks_keeps_astpps_default_zone(astpp, db, monkeypatch):
    from acctctl.cli import console

    monkeypatch.setattr(console, "current", lambda: console.Streams(
        stdin_tty=True, stdout_tty=True, stderr_tty=False))
    fake = FakePrompter({"First name": "Ada", "Country": "DE",
                         "Create this customer?": True})
    monkeypatch.setattr(wizard_mod, "make_prompter", lambda: fake)
    result = astpp("create", "customer", "-o", "json")
    assert result.exit_code == 0, (result.stdout, result.stderr)
    # no Europe/Berlin in the fixture's list: ASTPP's own default, never a zone it refuses
    assert fake.defaults["Time zone"] == "Europe/Sarajevo" and not fake.errors
    assert fake.defaults["Currency"] == "EUR"


# --- 3. the public-key warning: one short line, once, where passwords are stored -------------


def test_the_public_key_warning_is_one_short_line_on_create_only(astpp):
    result = astpp("create", "customer", "--first-name", "Ada", "-o", "json")
    assert result.exit_code == 0, result.stderr
    lines = [ln for ln in result.stderr.splitlines() if "PRIVATE_KEY" in ln]
    assert len(lines) == 1 and len(lines[0]) <= 79 and "docs/astpp.md" in lines[0]
    assert "public" in lines[0]
    number = json.loads(result.stdout)["number"]
    for read in (["account", "show", number], ["account", "list"],
                 ["reference", "timezones"], ["rategroup", "list"]):
        result = astpp(*read)
        assert result.exit_code == 0, result.stderr
        assert "PRIVATE_KEY" not in result.stderr, read
    result = astpp("create", "customer", "--first-name", "Ada", "--dry-run")
    assert "PRIVATE_KEY" not in result.stderr  # nothing is stored
    result = astpp("create", "customer", "--first-name", "Ada", "--rate-group", "gold")
    assert result.exit_code == 3 and "PRIVATE_KEY" not in result.stderr  # nor here


# --- 4. account show lists the SIP devices, never a secret ------------------------------------


def test_account_show_json_has_sip_devices_without_secrets(astpp, db):
    out = created(astpp("create", "customer", "--first-name", "Ada", "-o", "json"))
    number, secret = out["number"], out.get("sip_password")
    shown = astpp("account", "show", number, "-o", "json")
    assert shown.exit_code == 0, shown.stderr
    record = json.loads(shown.stdout)
    assert record["sip_devices"] == [{"username": number, "status": "active"}]
    assert not secret or secret not in shown.stdout
    bare = created(astpp("create", "customer", "--first-name", "Bo", "--no-sip-device",
                         "-o", "json"))["number"]
    assert json.loads(astpp("account", "show", bare, "-o", "json").stdout)["sip_devices"] == []
    table = astpp("account", "show", number)
    assert f"{number} (active)" in table.stdout


# --- 5. a key file others can read warns, as a loose password_file does -----------------------


def test_a_world_readable_key_file_warns(astpp, astpp_config):
    key_file = tomllib.loads(astpp_config.read_text())["astpp"]["config_file"]
    from pathlib import Path

    Path(key_file).chmod(0o644)
    result = astpp("account", "list")
    assert result.exit_code == 0, result.stderr
    assert (f"warning: {key_file} holds ASTPP's PRIVATE_KEY and is readable by group or "
            f"others; run: chmod 600 {key_file}") in result.stderr
    Path(key_file).chmod(0o600)
    assert "readable by group" not in astpp("account", "list").stderr


# --- 6. a reseller's missing rate group says where it is made ---------------------------------


def test_a_customer_under_a_new_reseller_is_told_to_make_the_rate_group_in_astpp(astpp, db):
    reseller = created(astpp("create", "reseller", "--first-name", "Rita", "--email",
                             "rita@example.com", "-o", "json"))["number"]
    result = astpp("create", "customer", "--first-name", "Ada", "--reseller", reseller)
    assert result.exit_code == 3, result.stderr
    message = " ".join(result.stderr.split())
    assert f"no rate group named 'default' is owned by reseller {reseller}" in message
    assert "Tariff > Rate group" in message and "--rate-group NAME" in message
    assert f"acctctl rategroup list --reseller {reseller}" in message
    assert len(rows(db, "SELECT id FROM accounts WHERE type = 0")) == 0
