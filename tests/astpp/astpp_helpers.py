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
