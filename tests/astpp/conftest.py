"""Fixtures for the astpp target: an ASTPP-compatible MariaDB database per test, as fresh as
one just loaded from schema.sql.

The server comes from ACCTCTL_TEST_MYSQL_URL (e.g. mysql://root@127.0.0.1:3306). Without it
these tests are skipped, unless ACCTCTL_REQUIRE_MYSQL=1 (CI), where that fails the run.

Loading schema.sql (30 InnoDB tables) and dropping the database cost a quarter of a second
or more per test; a worker loads it twice instead (see _AstppDatabases): a template nobody
uses, and the database its tests use one after another, put back to the template's state
after each test (only the tables a test changed are refilled). A test that changed the
tables' shape (DROP TABLE, ALTER TABLE, a new table, trigger or routine) gets its database
dropped and a freshly loaded one made for the next test.
"""

from __future__ import annotations

import os
import re
import shutil
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


_AUTO_INCREMENT = re.compile(r" AUTO_INCREMENT=(\d+)")


class _AstppDatabases:
    """This worker's ASTPP test databases: a template loaded from schema.sql and never
    written, and the database the worker's tests use in turn (`name`). reset() puts that
    one back to the template's state (its tables as SHOW CREATE TABLE writes them, their
    rows and AUTO_INCREMENT counters, no trigger, routine or event of its own) or, when it
    cannot, replaces it with a freshly loaded one. Each look is one round trip (PyMySQL
    sends several statements at once): a busy server answers each one late."""

    def __init__(self, params: dict, pymysql):
        self.pymysql = pymysql
        self.admin = pymysql.connect(
            **params, client_flag=pymysql.constants.CLIENT.MULTI_STATEMENTS)
        self.template = unique_name("acctctl_astppt")
        load_schema(self.admin, self.template)
        [listed] = self._batch([f"SHOW FULL TABLES FROM `{self.template}`"])
        self.tables = sorted(table for table, _ in listed)
        self.shape, self.counters, self.sums = self._state(self.template)
        self.name = ""
        self._replace()

    def _batch(self, statements: list[str]) -> list[list[tuple]]:
        """Run the statements in one round trip: the rows of each."""
        with self.admin.cursor() as cur:
            cur.execute(";\n".join(statements))
            results = [list(cur.fetchall())]
            while cur.nextset():
                results.append(list(cur.fetchall()))
        return results

    def _state(self, name: str) -> tuple[dict, dict[str, int], dict[str, int]]:
        """(what must be the template's to the letter, each table's AUTO_INCREMENT counter
        (1: none yet), each table's CHECKSUM) of database `name`; a MySQLError when one of
        the template's tables is missing."""
        literal = self.admin.escape(name)
        listed, *creates, triggers, routines, events, charset, sums = self._batch([
            f"SHOW FULL TABLES FROM `{name}`",
            *(f"SHOW CREATE TABLE `{name}`.`{table}`" for table in self.tables),
            *(f"SELECT {kind}_NAME FROM information_schema.{kind}S WHERE {kind}_SCHEMA = {literal}"
              for kind in ("TRIGGER", "ROUTINE", "EVENT")),
            "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM "
            f"information_schema.SCHEMATA WHERE SCHEMA_NAME = {literal}",
            "CHECKSUM TABLE " + ", ".join(f"`{name}`.`{table}`" for table in self.tables),
        ])
        counters, shapes = {}, {}
        for table, [(_, create)] in zip(self.tables, creates, strict=True):
            found = _AUTO_INCREMENT.search(create)
            counters[table] = int(found.group(1)) if found else 1
            shapes[table] = _AUTO_INCREMENT.sub("", create)
        shape = {"tables": sorted(listed), "creates": shapes, "triggers": triggers,
                 "routines": routines, "events": events, "charset": charset}
        return shape, counters, {qualified.split(".", 1)[1]: total for qualified, total in sums}

    def reset(self) -> None:
        """Back to the template's state; a freshly loaded database if that fails."""
        try:
            if self._restore():
                return
        except self.pymysql.err.MySQLError:
            pass
        self._replace()

    def _restore(self) -> bool:
        shape, counters, sums = self._state(self.name)
        if shape != self.shape:
            return False
        changed = [table for table in self.tables if sums[table] != self.sums[table]]
        statements = ["SET SESSION foreign_key_checks = 0"]
        for table in changed:  # refilled: the template's rows, ids and all
            statements += [f"DELETE FROM `{self.name}`.`{table}`",
                           f"INSERT INTO `{self.name}`.`{table}` "
                           f"SELECT * FROM `{self.template}`.`{table}`"]
        statements += [f"ALTER TABLE `{self.name}`.`{table}` AUTO_INCREMENT = {counter}"
                       for table, counter in self.counters.items()
                       if table in changed or counters[table] != counter]
        if len(statements) == 1:
            return True
        self._batch([*statements, "SET SESSION foreign_key_checks = 1"])
        return self._state(self.name) == (self.shape, self.counters, self.sums)

    def _replace(self) -> None:
        if self.name:
            self._batch([f"DROP DATABASE IF EXISTS `{self.name}`"])
        self.name = unique_name("acctctl_astpp")
        load_schema(self.admin, self.name)

    def close(self) -> None:
        try:
            for name in (self.name, self.template):
                self._batch([f"DROP DATABASE IF EXISTS `{name}`"])
        finally:
            self.admin.close()


@pytest.fixture(scope="session")
def _astpp_databases():
    """This worker's _AstppDatabases (skipped without a server, unless ACCTCTL_REQUIRE_MYSQL=1)."""
    if not MYSQL_URL:
        if REQUIRE_MYSQL:
            pytest.fail("ACCTCTL_REQUIRE_MYSQL=1 but ACCTCTL_TEST_MYSQL_URL is not set")
        pytest.skip("ASTPP tests need ACCTCTL_TEST_MYSQL_URL (a MariaDB/MySQL server)")
    params, pymysql = _server()
    try:
        databases = _AstppDatabases(params, pymysql)
    except pymysql.err.MySQLError as exc:
        if REQUIRE_MYSQL:
            pytest.fail(f"MariaDB is required but unreachable: {exc}")
        pytest.skip(f"MariaDB unreachable: {exc}")
    yield databases
    databases.close()


@pytest.fixture
def astpp_db(_astpp_databases):
    """(database name, connect()) of an ASTPP-like database in the state schema.sql makes,
    which the test may change as it likes (put back afterwards)."""
    params, pymysql = _server()
    name = _astpp_databases.name

    def connect():
        return pymysql.connect(**params, database=name, cursorclass=pymysql.cursors.DictCursor)

    yield name, connect
    _astpp_databases.reset()


@pytest.fixture
def default_ledger(sqlite_template) -> Path:
    """The default ledger (acctctl's default SQLite file, in the test's own data directory),
    already initialised: a copy of the migrated template, as for every acctctl-schema test.
    Running the migrations for each test was a third of the ASTPP tests' CPU; a test of the
    ledger's first use asks for `fresh_ledger` instead."""
    path = Path(os.environ["XDG_DATA_HOME"]) / "acctctl" / "acctctl.db"
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    shutil.copyfile(sqlite_template, path)
    path.chmod(0o600)
    return path


@pytest.fixture
def fresh_ledger() -> None:
    """No ledger yet: the first command that needs one initialises it."""


@pytest.fixture
def astpp_config(astpp_db, tmp_path, request) -> Path:
    if "fresh_ledger" not in request.fixturenames:
        request.getfixturevalue("default_ledger")
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
