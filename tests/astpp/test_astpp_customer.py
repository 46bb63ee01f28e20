"""The astpp target writes a customer exactly as ASTPP's own create code does."""

from __future__ import annotations

from astpp_helpers import created, rows


def test_customer_smoke(astpp, db):
    out = created(astpp("create", "customer", "--first-name", "Ada", "--email",
                        "ada@example.com", "-o", "json"))
    found = rows(db, "SELECT * FROM accounts WHERE number = %s", out["number"])
    assert len(found) == 1
