"""`account update --from-file` writes a chunk's updates together (Storage.update_many), on
SQLite and PostgreSQL as on ASTPP; what that must not change: an email freed by an earlier row
of the same file can be taken by a later one, and a value a concurrent writer took meanwhile
fails only its own row."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from test_bulk import write_csv
from test_day_two import make_customer


@pytest.fixture
def chunks(monkeypatch) -> list[list[str]]:
    """The numbers of each update_many() call of acctctl's own schema, as they come."""
    from acctctl.storage.native import NativeStorage

    real, calls = NativeStorage.update_many, []

    def update_many(self, conn, updates, now):
        calls.append([account.number for account, _, _ in updates])
        return real(self, conn, updates, now)

    monkeypatch.setattr(NativeStorage, "update_many", update_many)
    return calls


def test_an_email_moved_between_accounts_in_one_file(cli, tmp_path, chunks):
    make_customer(cli, "1001", email="a@example.com")
    make_customer(cli, "1002", email="b@example.com")
    path = write_csv(tmp_path / "moves.csv", [
        {"number": "1001", "email": "c@example.com"},  # frees a@ ...
        {"number": "1002", "email": "a@example.com"},  # ... for the next row
    ])
    doc = cli.json("account", "update", "--from-file", path)
    assert doc["summary"] == {"updated": 2, "unchanged": 0, "failed": 0}
    # the pending row that frees a@ is written before the next row's check finds it taken
    assert chunks == [["1001"], ["1002"]]
    assert cli.json("account", "show", "1001")["email"] == "c@example.com"
    assert cli.json("account", "show", "1002")["email"] == "a@example.com"
    audit = cli.json("audit", "list", "--batch", doc["batch_id"])
    assert sorted(r["account"] for r in audit) == ["1001", "1002"]


def test_a_value_taken_meanwhile_fails_only_its_row(cli, tmp_path, monkeypatch, chunks):
    from acctctl.storage.native import NativeStorage

    for number in ("1001", "1002", "1003"):
        make_customer(cli, number)
    real = NativeStorage._write_updates  # what update and update_many both write through

    def taken_meanwhile(self, conn, updates, now):
        if any(a.number == "1002" for a, _, _ in updates):  # another writer took it just now
            raise sa.exc.IntegrityError("UPDATE accounts", {}, Exception("unique email"))
        return real(self, conn, updates, now)

    monkeypatch.setattr(NativeStorage, "_write_updates", taken_meanwhile)
    path = write_csv(tmp_path / "changes.csv", [
        {"number": n, "email": f"new{n}@example.com"} for n in ("1001", "1002", "1003")])
    result = cli("account", "update", "--from-file", path, "--continue-on-error", "-o", "json")
    assert result.exit_code == 6, result.stderr
    doc = json.loads(result.stdout)
    assert [(e["row"], e["field"]) for e in doc["errors"]] == [(2, "email")]
    assert "was just taken by another account" in doc["errors"][0]["message"]
    assert [r["number"] for r in doc["updated"]] == ["1001", "1003"]
    # the file's rows went to the storage together, then one by one to name the row
    assert chunks == [["1001", "1002", "1003"]]
    monkeypatch.setattr(NativeStorage, "_write_updates", real)
    assert cli.json("account", "show", "1001")["email"] == "new1001@example.com"
    assert cli.json("account", "show", "1002")["email"] is None
    audit = cli.json("audit", "list", "--batch", doc["batch_id"])
    assert sorted(r["account"] for r in audit) == ["1001", "1003"]
