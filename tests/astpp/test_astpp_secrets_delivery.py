"""Issue 16 on the ASTPP target: a closed stdout never costs a generated secret (the same
delivery before the commit as on acctctl's own schema; see tests/test_secrets_delivery.py)."""

from __future__ import annotations

import pytest

from astpp.astpp_helpers import rows
from test_secrets_delivery import CLOSED, run_reading, secrets_rows

COUNT = 60


def numbers(db) -> set[str]:
    return {r["number"] for r in rows(db, "SELECT number FROM accounts WHERE deleted = 0")}


@pytest.mark.parametrize("fmt", ["jsonl", "table"])
def test_astpp_closed_stdout_keeps_every_secret_or_writes_nothing(astpp, db, tmp_path, fmt):
    before = numbers(db)
    args = ["create", "customer", "--count", str(COUNT), "-o", fmt]
    code, _, err = run_reading(args, astpp.env, tmp_path, 0)
    assert code == 130 and CLOSED in err, (code, err)
    assert numbers(db) == before
    secrets = tmp_path / f"s-{fmt}.csv"
    code, _, err = run_reading([*args, "--secrets-file", str(secrets)], astpp.env, tmp_path,
                               "line")
    assert code == 0, err
    new = numbers(db) - before
    assert len(new) == COUNT
    assert sorted(r["number"] for r in secrets_rows(secrets)) == sorted(new)
    assert all(r["password"] and r["sip_password"] for r in secrets_rows(secrets))
