"""Fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL comes from ACCTCTL_TEST_POSTGRES_URL (a server URL; each test gets a database of
its own, cloned from a migrated template). Without it the PostgreSQL half is skipped, unless
ACCTCTL_REQUIRE_POSTGRES=1 (CI), where a missing server fails the run instead.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

PG_URL = os.environ.get("ACCTCTL_TEST_POSTGRES_URL", "")
REQUIRE_PG = os.environ.get("ACCTCTL_REQUIRE_POSTGRES", "") == "1"

# Cheap argon2 for tests: hashing cost is not what the tests are about.
TEST_CONFIG = """
[passwords]
hash_time_cost = 1
hash_memory_kib = 1024
hash_parallelism = 1
"""


MYSQL_URL = os.environ.get("ACCTCTL_TEST_MYSQL_URL", "")
REQUIRE_MYSQL = os.environ.get("ACCTCTL_REQUIRE_MYSQL", "") == "1"


def _uses_postgres(item) -> bool:
    params = getattr(getattr(item, "callspec", None), "params", {})
    return "postgresql" in params.values()


def _uses_mysql(item) -> bool:
    return "astpp_db" in getattr(item, "fixturenames", ())


# (what is left out, when, how to run it): said once in the summary instead of one skip line
# per test. CI names both servers and sets ACCTCTL_REQUIRE_*=1, where a missing one fails.
_HALVES = (
    ("PostgreSQL half", _uses_postgres, lambda: not (PG_URL or REQUIRE_PG),
     "set ACCTCTL_TEST_POSTGRES_URL, e.g. postgresql://postgres@127.0.0.1:5432/postgres"),
    ("ASTPP (MariaDB) half", _uses_mysql, lambda: not (MYSQL_URL or REQUIRE_MYSQL),
     "set ACCTCTL_TEST_MYSQL_URL, e.g. mysql://root@127.0.0.1:3306"),
)
_LEFT_OUT = pytest.StashKey[list]()


def pytest_collection_modifyitems(config, items):
    said = []
    for name, uses, absent, how in _HALVES:
        if not absent():
            continue
        left = [item for item in items if uses(item)]
        if left:
            config.hook.pytest_deselected(items=left)
            gone = set(left)
            items[:] = [item for item in items if item not in gone]
            said.append(f"{name} not run ({len(left)} tests): {how}")
    config.stash[_LEFT_OUT] = said


def pytest_terminal_summary(terminalreporter, config):
    for line in config.stash.get(_LEFT_OUT, []):
        terminalreporter.write_line(line)


def _pg_admin_engine():
    import sqlalchemy as sa

    from acctctl.db.engine import make_engine

    engine = make_engine(PG_URL)
    return engine.execution_options(isolation_level="AUTOCOMMIT"), sa


@pytest.fixture(scope="session")
def pg_template():
    """A migrated PostgreSQL database that per-test databases are cloned from."""
    if not PG_URL:
        if REQUIRE_PG:
            pytest.fail("ACCTCTL_REQUIRE_POSTGRES=1 but ACCTCTL_TEST_POSTGRES_URL is not set")
        pytest.skip("PostgreSQL tests need ACCTCTL_TEST_POSTGRES_URL")
    from sqlalchemy.engine import make_url

    from acctctl.db.engine import make_engine
    from acctctl.db.migrate import upgrade

    try:
        admin, _ = _pg_admin_engine()
        name = f"acctctl_tmpl_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except Exception as exc:  # server down
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL is required but unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield name
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    from acctctl.db.engine import make_engine
    from acctctl.db.migrate import upgrade

    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A fresh, migrated database of each backend."""
    if request.param == "sqlite":
        path = tmp_path / "acctctl.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    template = request.getfixturevalue("pg_template")
    yield from _pg_database(f'TEMPLATE "{template}"')


@pytest.fixture
def empty_db_url(request, tmp_path):
    """An empty database (no schema) of each backend, for migration tests."""
    yield from _empty(request.param if hasattr(request, "param") else "sqlite", tmp_path)


def _empty(backend, tmp_path):
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    if not PG_URL:
        if REQUIRE_PG:
            pytest.fail("ACCTCTL_REQUIRE_POSTGRES=1 but ACCTCTL_TEST_POSTGRES_URL is not set")
        pytest.skip("PostgreSQL tests need ACCTCTL_TEST_POSTGRES_URL")
    yield from _pg_database("")


def _pg_database(options: str):
    """A PostgreSQL database of its own for one test, dropped afterwards."""
    from sqlalchemy.engine import make_url

    admin, _ = _pg_admin_engine()
    name = f"acctctl_t_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}" {options}')
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def blank_db_url(request, tmp_path):
    yield from _empty(request.param, tmp_path)


@pytest.fixture
def blank_cli(blank_db_url, tmp_path, monkeypatch):
    """acctctl on an empty database (no schema) of each backend: (Cli, url)."""
    config = tmp_path / "acctctl.toml"
    config.write_text(TEST_CONFIG)
    config.chmod(0o600)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ACCTCTL_PROFILE", raising=False)
    return Cli({"ACCTCTL_DATABASE_URL": blank_db_url, "ACCTCTL_CONFIG": str(config),
                "COLUMNS": "200", "NO_COLOR": "1"}), blank_db_url


@pytest.fixture
def config_file(tmp_path) -> Path:
    path = tmp_path / "acctctl.toml"
    path.write_text(TEST_CONFIG)
    path.chmod(0o600)
    return path


@pytest.fixture
def cli_env(db_url, config_file, tmp_path, monkeypatch):
    env = {
        "ACCTCTL_DATABASE_URL": db_url,
        "ACCTCTL_CONFIG": str(config_file),
        "COLUMNS": "200",
        "TERMINAL_WIDTH": "200",
        "NO_COLOR": "1",
    }
    monkeypatch.chdir(tmp_path)
    for key in ("ACCTCTL_PROFILE", "ACCTCTL_NO_INPUT"):
        monkeypatch.delenv(key, raising=False)
    return env


class Cli:
    """Runs acctctl in-process, stdout and stderr apart (Click 8.2+ semantics)."""

    def __init__(self, env: dict):
        self.env = env
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None, env: dict | None = None):
        from acctctl.cli import app

        return self.runner.invoke(app, list(args), input=input, env={**self.env, **(env or {})})

    def json(self, *args: str, input: str | None = None, code: int = 0):
        import json

        result = self(*args, "-o", "json", input=input)
        assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
        return json.loads(result.stdout)


@pytest.fixture
def cli(cli_env) -> Cli:
    return Cli(cli_env)


@pytest.fixture
def engine(db_url):
    from acctctl.db.engine import make_engine

    engine = make_engine(db_url)
    yield engine
    engine.dispose()
