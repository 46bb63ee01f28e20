"""Issue 19: plan and apply of a set's file cost statements per chunk of accounts, not per
account (the no-change re-apply included: its password check reads the stored hashes a chunk
at a time). Statements are counted with an SQLAlchemy event on every engine; the figures of
a small and a large file are compared, so a per-account statement anywhere on these paths
(find, lookups, existing checks, password checks, set members, updates) fails here.
On SQLite and PostgreSQL (the `cli` fixture is parametrised by `db_url`)."""

from __future__ import annotations

import json
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

SMALL, LARGE = 40, 740  # the large file spans two chunks of 500 (storage/lookups.py chunks)
#: statements the large file may cost beyond the small one: a few a chunk and query, while
#: one statement an account would add LARGE - SMALL = 700
MARGIN = 80


@contextmanager
def counting():
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", count)


def write_set(tmp_path, name: str, first: int, rows: int, password_hash: str,
              **fields) -> str:
    customers = [{"number": str(first + i), "first_name": f"First{i}",
                  "email": f"u{first + i}@example.com", "password_hash": password_hash,
                  **fields} for i in range(rows)]
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps({"set": name, "customers": customers}))
    return str(path)


def statements(cli, *args: str) -> tuple[int, dict]:
    with counting() as seen:
        result = cli(*args, "-o", "json")
    assert result.exit_code in (0, 7), (result.exit_code, result.stdout, result.stderr)
    return len(seen), json.loads(result.stdout)


@pytest.fixture(scope="module")
def password_hash() -> str:
    return PasswordHasher().hash("Statement-count-1")


def test_plan_apply_and_re_apply_cost_statements_per_chunk_not_per_account(
        cli, tmp_path, password_hash):
    counts: dict[str, dict[int, int]] = {}
    for size, first in ((SMALL, 61_000_000), (LARGE, 62_000_000)):
        path = write_set(tmp_path, f"s{size}", first, size, password_hash)
        n, planned = statements(cli, "plan", "-f", path)
        assert [p["action"] for p in planned] == ["create"] * size
        counts.setdefault("plan", {})[size] = n
        n, applied = statements(cli, "apply", "-f", path)
        assert applied["summary"]["create"] == size
        counts.setdefault("apply", {})[size] = n
        n, again = statements(cli, "apply", "-f", path)
        assert again["summary"]["unchanged"] == size  # the password check said "same"
        counts.setdefault("re-apply", {})[size] = n
        changed = write_set(tmp_path, f"s{size}", first, size, password_hash,
                            last_name="Changed")
        n, updated = statements(cli, "apply", "-f", changed)
        assert updated["summary"]["update"] == size
        counts.setdefault("update", {})[size] = n
    for what, by_size in counts.items():
        assert by_size[LARGE] - by_size[SMALL] <= MARGIN, (what, counts)
