"""Fixtures for the astpp target: a fresh ASTPP-compatible MariaDB database per test.

The server comes from ACCTCTL_TEST_MYSQL_URL (e.g. mysql://root@127.0.0.1:3306). Without it
these tests are skipped, unless ACCTCTL_REQUIRE_MYSQL=1 (CI), where that fails the run.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import Cli, unique_name

MYSQL_URL = os.environ.get("ACCTCTL_TEST_MYSQL_URL", "")
REQUIRE_MYSQL = os.environ.get("ACCTCTL_REQUIRE_MYSQL", "") == "1"
SCHEMA = Path(__file__).with_name("schema.sql")
PUBLIC_KEY = "8YSDaBtDHAB3EQkxPAyTz2I5DttzA9uR"


def _server():
    import pymysql
    from sqlalchemy.engine import make_url

    url = make_url(MYSQL_URL.replace("mariadb://", "mysql://", 1))
    return dict(host=url.host or "127.0.0.1", port=url.port or 3306, user=url.username or "root",
                password=url.password or "", charset="utf8mb4", autocommit=True), pymysql


def statements(text: str) -> list[str]:
    lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";\n") if s.strip()]


def driver_url(name: str = "", host: str | None = None) -> str:
    """The mysql+pymysql URL of test database `name` on the test server (host: another
    spelling of its address)."""
    params, _ = _server()
    auth = params["user"] + (f":{params['password']}" if params["password"] else "")
    return f"mysql+pymysql://{auth}@{host or params['host']}:{params['port']}/{name}"


def load_schema(admin, name: str) -> None:
    """Create database `name` with the test schema, as ASTPP is installed (non-strict)."""
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8")
        cur.execute(f"USE `{name}`")
        cur.execute("SET SESSION sql_mode = ''")
        for statement in statements(SCHEMA.read_text()):
            cur.execute(statement)


@pytest.fixture
def astpp_db():
    """(database name, connect()) of a fresh ASTPP-like database, dropped afterwards."""
    if not MYSQL_URL:
        if REQUIRE_MYSQL:
            pytest.fail("ACCTCTL_REQUIRE_MYSQL=1 but ACCTCTL_TEST_MYSQL_URL is not set")
        pytest.skip("ASTPP tests need ACCTCTL_TEST_MYSQL_URL (a MariaDB/MySQL server)")
    params, pymysql = _server()
    name = unique_name("acctctl_astpp")
    try:
        admin = pymysql.connect(**params)
    except pymysql.err.MySQLError as exc:
        if REQUIRE_MYSQL:
            pytest.fail(f"MariaDB is required but unreachable: {exc}")
        pytest.skip(f"MariaDB unreachable: {exc}")
    load_schema(admin, name)

    def connect():
        return pymysql.connect(**params, database=name, cursorclass=pymysql.cursors.DictCursor)

    yield name, connect
    with admin.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
    admin.close()


@pytest.fixture
def astpp_config(astpp_db, tmp_path) -> Path:
    name, _ = astpp_db
    keyfile = tmp_path / "astpp-config.conf"
    keyfile.write_text(f'dbhost = "127.0.0.1"\nPRIVATE_KEY = "{PUBLIC_KEY}"\n')
    keyfile.chmod(0o600)  # as docs/astpp.md says: others reading it get a warning
    params, _ = _server()
    auth = params["user"] + (f":{params['password']}" if params["password"] else "")
    path = tmp_path / "acctctl.toml"
    path.write_text(
        f'[database]\nurl = "mysql://{auth}@{params["host"]}:{params["port"]}/{name}"\n'
        f'target = "astpp"\n\n[astpp]\nconfig_file = "{keyfile}"\n'
    )
    path.chmod(0o600)
    return path


@pytest.fixture
def astpp(astpp_config, tmp_path, monkeypatch) -> Cli:
    monkeypatch.chdir(tmp_path)
    for key in ("ACCTCTL_PROFILE", "ACCTCTL_NO_INPUT", "ACCTCTL_DATABASE_URL"):
        monkeypatch.delenv(key, raising=False)
    return Cli({"ACCTCTL_CONFIG": str(astpp_config), "COLUMNS": "200", "NO_COLOR": "1"})


@pytest.fixture
def db(astpp_db):
    """A DictCursor connection to the test's ASTPP database."""
    _, connect = astpp_db
    conn = connect()
    yield conn
    conn.close()
