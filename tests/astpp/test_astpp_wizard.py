"""The wizard on the astpp target offers ASTPP's own lists and writes into ASTPP."""

from __future__ import annotations

import json

from acctctl.interactive import wizard as wizard_mod
from astpp.astpp_helpers import rows
from test_interactive import FakePrompter  # tests/test_interactive.py


class ListingPrompter(FakePrompter):
    """Also records the words an autocomplete question offers."""

    def __init__(self, script):
        super().__init__(script)
        self.words: dict[str, list[str]] = {}

    def autocomplete(self, message, words, *, default="", meta=None, validate=None):
        self.words[message] = list(words)
        return super().autocomplete(message, words, default=default, meta=meta,
                                    validate=validate)


def test_wizard_offers_astpps_lists_and_its_defaults(astpp, db, monkeypatch):
    from acctctl.cli import console

    monkeypatch.setattr(console, "current", lambda: console.Streams(
        stdin_tty=True, stdout_tty=True, stderr_tty=False))
    fake = ListingPrompter({"First name": "Ada", "Email": "ada@example.com",
                            "Time zone": ["Pacific/Auckland", "Europe/Paris"],
                            "Create this reseller?": True})
    monkeypatch.setattr(wizard_mod, "make_prompter", lambda: fake)
    result = astpp("create", "reseller", "-o", "json")
    assert result.exit_code == 0, (result.stdout, result.stderr)
    # ASTPP's 5 test zones only: an IANA zone ASTPP lacks is re-asked with the reason
    assert sorted(fake.words["Time zone"]) == sorted(
        ["Europe/London", "Europe/Sarajevo", "Europe/Paris", "America/New_York", "Asia/Kolkata"])
    assert any("ASTPP has no time zone" in e for e in fake.errors)
    assert fake.options["Rate group"] == ["default"]  # ASTPP's pricelists
    assert fake.options["Role"] == ["reseller"]  # ASTPP's reseller roles (login_type 1)
    # ASTPP's system settings are the defaults its form pre-fills
    assert fake.defaults["Country"] == "IN" and fake.defaults["Currency"] == "USD"
    number = json.loads(result.stdout)["number"]
    (row,) = rows(db, "SELECT type, timezone_id, permission_id FROM accounts WHERE number = %s",
                  number)
    assert row == {"type": 1, "timezone_id": 50, "permission_id": 2}


def test_wizard_does_not_ask_what_astpp_sets_for_an_admin(astpp, db, monkeypatch):
    from acctctl.cli import console

    monkeypatch.setattr(console, "current", lambda: console.Streams(
        stdin_tty=True, stdout_tty=True, stderr_tty=False))
    fake = ListingPrompter({"First name": "Root", "Email": "root@example.com",
                            "Create this subadmin?": True})
    monkeypatch.setattr(wizard_mod, "make_prompter", lambda: fake)
    result = astpp("create", "subadmin", "-o", "json")
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert "Country" not in fake.asked and "Time zone" not in fake.asked
    assert fake.options["Role"] == ["Admin_permission"]
    number = json.loads(result.stdout)["number"]
    (row,) = rows(db, "SELECT type, country_id, permission_id FROM accounts WHERE number = %s",
                  number)
    assert row == {"type": 4, "country_id": 0, "permission_id": 3}
