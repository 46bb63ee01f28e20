"""Issue 19: a re-apply does not validate an account the file declares exactly as stored.

When every field the file gives equals the stored value (same type, same value), the
account is unchanged without going through the kind's create model, the look-ups and the
uniqueness checks (that was most of a no-change re-apply's time). A value that differs only
in case or format still goes the whole way (here the model normalises it back to the stored
one: unchanged, but validated), and `account update` validates what it is given as before.
The models' entry point is spied on; on SQLite and PostgreSQL (`cli` is parametrised by
`db_url`)."""

from __future__ import annotations

import json

import pytest

from acctctl.service import update


@pytest.fixture
def validated(monkeypatch) -> list[str]:
    """The numbers of the accounts update.py validates through the create model."""
    seen: list[str] = []
    real = update.UpdateRun._validate

    def spy(self, row, key, record, given):
        seen.append(record["number"])
        return real(self, row, key, record, given)

    monkeypatch.setattr(update.UpdateRun, "_validate", spy)
    return seen


def write_set(tmp_path, customers: list[dict]) -> str:
    path = tmp_path / "unchanged.json"
    path.write_text(json.dumps({"set": "unchanged", "customers": customers}))
    return str(path)


def customers() -> list[dict]:
    return [{"number": str(71_000 + i), "first_name": f"First{i}", "last_name": "Same",
             "email": f"u{i}@example.com", "country": "GB", "max_channels": 2 + i}
            for i in range(3)]


def summary(cli, path: str) -> dict:
    return cli.json("apply", "-f", path)["summary"]


def test_only_a_field_that_differs_sends_a_re_applied_account_through_the_model(
        cli, tmp_path, validated):
    rows = customers()
    path = write_set(tmp_path, rows)
    assert summary(cli, path)["create"] == 3
    assert validated == []  # new accounts go through the create pipeline, not update's
    assert summary(cli, path) == {"create": 0, "update": 0, "delete": 0, "disable": 0,
                                  "unchanged": 3}
    assert validated == []  # every field as stored: no model, look-up or uniqueness check

    rows[0]["email"] = "u0@EXAMPLE.com"  # the model lowers the domain: the stored address
    rows[1]["max_channels"] = str(rows[1]["max_channels"])  # text, not the stored integer
    rows[2]["last_name"] = "Changed"
    out = cli.json("apply", "-f", write_set(tmp_path, rows))
    assert sorted(validated) == ["71000", "71001", "71002"]
    actions = {o["key"]: (o["action"], o["changes"]) for o in out["objects"]}
    assert actions == {"71000": ("unchanged", {}), "71001": ("unchanged", {}),
                       "71002": ("update", {"last_name": ["Same", "Changed"]})}

    # account update judges a value given again by today's rules, as before
    validated.clear()
    out = cli.json("account", "update", "71000", "--last-name", "Same")
    assert validated == ["71000"]
    assert out["last_name"] == "Same" and out["updated_at"] is None  # nothing changed
