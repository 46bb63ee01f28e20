"""Helpers for the astpp target's tests (fixtures are in this directory's conftest.py)."""

from __future__ import annotations

import json


def rows(db, sql: str, *args) -> list[dict]:
    db.commit()  # end the previous snapshot: see what other connections committed
    with db.cursor() as cur:
        cur.execute(sql, args)
        return list(cur.fetchall())


def created(result) -> dict:
    assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr)
    return json.loads(result.stdout)


def execute(db, sql: str, *args) -> None:
    """One statement on the test's connection, committed (seen by acctctl's own)."""
    with db.cursor() as cur:
        cur.execute(sql, args or None)
    db.commit()


def customer(astpp, number: str, *extra: str, kind: str = "customer") -> dict:
    """A created account (any kind: kind=) with first name Ada and email NUMBER@example.com."""
    return created(astpp("create", kind, "--number", number, "--first-name", "Ada",
                         "--email", f"{number}@example.com", *extra, "-o", "json"))


def account_row(db, number: str) -> dict:
    (row,) = rows(db, "SELECT * FROM accounts WHERE number = %s AND deleted = 0", number)
    return row


def changed_columns(before: dict, after: dict) -> dict:
    return {k: after[k] for k in after if after[k] != before[k]}
