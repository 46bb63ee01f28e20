"""Helpers for the astpp target's tests (fixtures are in this directory's conftest.py)."""

from __future__ import annotations

import json

from typer.testing import CliRunner


class AstppCli:
    """acctctl in-process with the test's ASTPP profile (stdout and stderr apart)."""

    def __init__(self, env: dict):
        self.env = env
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None, env: dict | None = None):
        from acctctl.cli import app

        return self.runner.invoke(app, list(args), input=input, env={**self.env, **(env or {})})


def rows(db, sql: str, *args) -> list[dict]:
    db.commit()  # end the previous snapshot: see what other connections committed
    with db.cursor() as cur:
        cur.execute(sql, args)
        return list(cur.fetchall())


def created(result) -> dict:
    assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr)
    return json.loads(result.stdout)
