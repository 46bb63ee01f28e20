"""Fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL comes from ACCTCTL_TEST_POSTGRES_URL (a server URL; each test gets a database of
its own, cloned from a migrated template). Without it the PostgreSQL half is skipped, unless
ACCTCTL_REQUIRE_POSTGRES=1 (CI), where a missing server fails the run instead.

The suite runs in parallel (pytest-xdist, `-n auto`). Every worker has its own sealed
template and databases, named with the worker id and a random part (other runs may use the
same servers); it clones each test's database while the test before it runs and drops it
while the next one runs (see _PgServer). Nothing a test writes is shared: files go to its
tmp_path, HOME and the XDG directories are its own.
"""

from __future__ import annotations

import gc
import os
import shutil
import uuid
from pathlib import Path

import pytest
import typer.testing
from typer.testing import CliRunner

from launcher import share_pymysql_tls_context

PG_URL = os.environ.get("ACCTCTL_TEST_POSTGRES_URL", "")
REQUIRE_PG = os.environ.get("ACCTCTL_REQUIRE_POSTGRES", "") == "1"

# Cheap argon2 for tests: hashing cost is not what the tests are about.
TEST_CONFIG = """
[passwords]
hash_time_cost = 1
hash_memory_kib = 1024
hash_parallelism = 1
"""


# PyMySQL (1.2+) makes a TLS context for every MariaDB connection, reading the system's whole
# CA bundle each time (tens of ms; half a second on a busy machine), though without a CA of
# its own it verifies no certificate (CERT_NONE) and the test servers offer no TLS. The
# tests, and the acctctl processes they start, read an empty bundle instead; an
# SSL_CERT_FILE of the caller's own is kept.
os.environ.setdefault("SSL_CERT_FILE", os.devnull)
share_pymysql_tls_context()  # and where one is set (this machine sets one), read it once

def _built_once(get_command):
    """typer.testing's CliRunner converts the Typer app into Click commands on every
    invoke, and acctctl's groups then build each command used from its models again: about
    40 ms an invoke, a third of the in-process tests' CPU. An acctctl process builds them
    once and keeps them for its run; here a worker process does the same for all its
    invokes (each still gets a new context, its own environment, streams and database)."""
    built: dict[int, object] = {}

    def once(app):
        if id(app) not in built:
            built[id(app)] = (app, get_command(app))  # the app is kept: its id stays its own
        return built[id(app)][1]

    return once


typer.testing._get_command = _built_once(typer.testing._get_command)

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


@pytest.fixture(autouse=True)
def _own_home(tmp_path_factory, monkeypatch):
    """Each test its own HOME and XDG directories: acctctl's default database and config
    live there, and tests run side by side (never the developer's own)."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    for key, sub in (("XDG_CONFIG_HOME", ".config"), ("XDG_DATA_HOME", ".local/share"),
                     ("XDG_CACHE_HOME", ".cache"), ("XDG_STATE_HOME", ".local/state")):
        monkeypatch.setenv(key, str(home / sub))


def _worker() -> str:
    """The xdist worker id (gw0, gw1, ...), or "main" in a run without workers."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def unique_name(prefix: str, length: int = 12) -> str:
    """A database name no other test, worker or concurrent run uses."""
    return f"{prefix}_{_worker()}_{uuid.uuid4().hex[:length]}"


#: the longest tests (whole docs in a shell, Kamailio, pseudo-terminals, processes killed),
#: started first so that none of them is what the other workers wait for at the end
SLOW_FIRST = ("test_docs_run.py", "test_registrar_killed.py", "test_docs_python.py",
              "test_astpp_docs.py", "test_registrar_mirror.py", "test_registrar_kamailio.py",
              "test_wizard_pty_issue16.py", "test_interactive_pty.py", "test_secrets_delivery.py",
              "test_day_two_locking.py")


def pytest_xdist_auto_num_workers(config):
    """`-n auto`: two workers per core. Many tests wait on something other than their own
    process (an acctctl child, PostgreSQL, MariaDB, Kamailio, a pseudo-terminal), so one
    worker per core leaves the cores idle part of the time (on the 2-core CI machine, 4
    workers took 10.5 minutes where 2 took 11.6). PYTEST_XDIST_AUTO_NUM_WORKERS still
    decides when set."""
    chosen = os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS")
    if chosen and chosen.isdigit():
        return int(chosen)
    return max(2, min(8, 2 * (os.cpu_count() or 1)))


def pytest_configure(config):
    if not hasattr(config, "workerinput"):  # the controller, before any worker starts
        _compile_acctctl()


def _compile_acctctl() -> None:
    """acctctl's bytecode, written once. An editable install (the README's) compiles
    nothing, and where PYTHONDONTWRITEBYTECODE is set (this machine's CI sets it) Python
    writes no bytecode as it imports: every worker, launcher and acctctl process of the suite,
    hundreds of them, compiled acctctl's whole source again, 0.1 s of CPU each. A regular
    install compiles it, as this does."""
    import compileall
    import importlib.util

    for location in importlib.util.find_spec("acctctl").submodule_search_locations:
        compileall.compile_dir(location, quiet=1)


def pytest_collection_finish(session):
    """What the run has made so far (every module imported, every test collected) is never
    garbage: left out of the collector's passes, as acctctl's main() does at exit, so each
    full collection of a long run walks only what the tests made since."""
    gc.collect()
    gc.freeze()


def _slow_rank(item) -> int:
    name = item.path.name
    return SLOW_FIRST.index(name) if name in SLOW_FIRST else len(SLOW_FIRST)


def pytest_collection_modifyitems(config, items):
    items.sort(key=_slow_rank)  # stable: the rest keeps its order
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
    if hasattr(config, "workeroutput"):  # an xdist worker: the controller says it, once
        config.workeroutput["acctctl_left_out"] = said


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """xdist controller: every worker collects the same tests, so the first one to finish
    tells what was left out."""
    said = getattr(node, "workeroutput", {}).get("acctctl_left_out")
    if said is not None and _LEFT_OUT not in node.config.stash:
        node.config.stash[_LEFT_OUT] = said


def pytest_terminal_summary(terminalreporter, config):
    if hasattr(config, "workerinput"):
        return
    for line in config.stash.get(_LEFT_OUT, []):
        terminalreporter.write_line(line)


class _Session:
    """One libpq connection to the server's maintenance database that runs a statement
    either now or in the background (libpq's asynchronous interface: no thread, as the
    tests fork pseudo-terminals). A background statement's error is raised when the
    connection is next used."""

    def __init__(self, conninfo: str):
        from psycopg import pq

        self.pq = pq
        self.conn = pq.PGconn.connect(conninfo.encode())
        if self.conn.status != pq.ConnStatus.OK:
            raise ConnectionError(self.conn.error_message.decode(errors="replace"))
        self.busy = False

    def run(self, sql: str, *params: str) -> None:
        self.wait()
        self._check([self.conn.exec_params(sql.encode(), [p.encode() for p in params])])

    def send(self, sql: str) -> None:
        self.wait()
        self.conn.send_query(sql.encode())
        self.busy = True

    def ready(self) -> bool:
        """Idle, or its background statement has finished (without waiting)."""
        if self.busy:
            self.conn.consume_input()
            if self.conn.is_busy():
                return False
            self.wait()
        return True

    def wait(self) -> None:
        if not self.busy:
            return
        self.busy = False
        results = []
        while (result := self.conn.get_result()) is not None:
            results.append(result)
        self._check(results)

    def _check(self, results) -> None:
        for result in results:
            if result.status == self.pq.ExecStatus.FATAL_ERROR:
                raise RuntimeError(result.error_message.decode(errors="replace"))

    def close(self) -> None:
        try:
            self.wait()
        finally:
            self.conn.finish()


class _PgServer:
    """This worker's databases on the test server. A test's database is cloned from the
    sealed template while the test before it runs, and dropped while the tests after it
    run: a test waits for neither. DROP DATABASE forces a checkpoint (a second or more on a
    busy machine): drops run on several connections at once, and share checkpoints. Clones
    of a template are taken one at a time, under an advisory lock named after it."""

    DROPPERS = 4

    def __init__(self, url: str):
        from sqlalchemy.engine import make_url

        self.url = make_url(url)
        self.conninfo = self.url.set(drivername="postgresql").render_as_string(
            hide_password=False)
        self.cloner = _Session(self.conninfo)
        self.droppers: list[_Session] = []  # oldest statement first
        self.spare: tuple[str, str] | None = None  # (template, database being cloned)

    def _dropper(self) -> _Session:
        """An idle connection: a finished one, a new one, or the oldest once it finishes."""
        for session in self.droppers:
            if session.ready():
                break
        else:
            if len(self.droppers) < self.DROPPERS:
                session = _Session(self.conninfo)
            else:
                session = self.droppers[0]
                session.wait()
        if session in self.droppers:
            self.droppers.remove(session)
        self.droppers.append(session)
        return session

    def url_of(self, name: str) -> str:
        return self.url.set(database=name).render_as_string(hide_password=False)

    def _lock(self, template: str, take: bool) -> None:
        what = "lock" if take else "unlock"
        self.cloner.run(f"SELECT pg_advisory_{what}(hashtext($1))",
                        f"acctctl tests: clone {template}")

    def _start_clone(self, template: str) -> None:
        name = unique_name("acctctl_t")
        self._lock(template, True)
        self.cloner.send(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        self.spare = (template, name)

    def _finish_clone(self) -> str:
        template, name = self.spare
        self.spare = None
        try:
            self.cloner.wait()
        finally:
            self._lock(template, False)
        return name

    def clone(self, template: str) -> str:
        """A fresh clone of the template, and the next one started."""
        if self.spare is None or self.spare[0] != template:
            if self.spare is not None:
                self.drop(self._finish_clone())
            self._start_clone(template)
        name = self._finish_clone()
        self._start_clone(template)
        return name

    def create_empty(self) -> str:
        name = unique_name("acctctl_t")
        self._dropper().run(f'CREATE DATABASE "{name}"')
        return name

    def run(self, sql: str) -> None:
        self._dropper().run(sql)

    def drop(self, name: str) -> None:
        """Dropped in the background; connections a test left open are ended."""
        self._dropper().send(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def retire_spare(self) -> None:
        if self.spare is not None:
            self.drop(self._finish_clone())

    def close(self) -> None:
        try:
            self.retire_spare()
        finally:
            for session in [self.cloner, *self.droppers]:
                session.close()  # waits for its last statement


@pytest.fixture(scope="session")
def pg_server():
    """This worker's connections to ACCTCTL_TEST_POSTGRES_URL (skipped without it, unless
    ACCTCTL_REQUIRE_POSTGRES=1)."""
    if not PG_URL:
        if REQUIRE_PG:
            pytest.fail("ACCTCTL_REQUIRE_POSTGRES=1 but ACCTCTL_TEST_POSTGRES_URL is not set")
        pytest.skip("PostgreSQL tests need ACCTCTL_TEST_POSTGRES_URL")
    try:
        server = _PgServer(PG_URL)
    except Exception as exc:  # server down
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL is required but unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    yield server
    server.close()  # waits for the last drops


@pytest.fixture(scope="session")
def pg_template(pg_server):
    """A migrated PostgreSQL database that per-test databases are cloned from; sealed (no
    connections allowed), as a clone fails while any session is connected to its template."""
    from acctctl.db.engine import make_engine
    from acctctl.db.migrate import upgrade

    name = pg_server.create_empty()
    engine = make_engine(pg_server.url_of(name))
    upgrade(engine)
    engine.dispose()
    pg_server.run(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
    yield name
    pg_server.retire_spare()  # no clone of it is left in progress
    pg_server.drop(name)


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
    server = request.getfixturevalue("pg_server")
    yield from _pg_database(server, request.getfixturevalue("pg_template"))


@pytest.fixture
def empty_db_url(request, tmp_path):
    """An empty database (no schema) of each backend, for migration tests."""
    yield from _empty(request.param if hasattr(request, "param") else "sqlite", request,
                      tmp_path)


def _empty(backend, request, tmp_path):
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    yield from _pg_database(request.getfixturevalue("pg_server"), None)


def _pg_database(server: _PgServer, template: str | None):
    """A PostgreSQL database of its own for one test (a clone of `template`, or empty),
    dropped afterwards."""
    name = server.clone(template) if template else server.create_empty()
    yield server.url_of(name)
    server.drop(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def blank_db_url(request, tmp_path):
    yield from _empty(request.param, request, tmp_path)


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


@pytest.fixture(scope="session")
def launcher():
    """acctctl pre-imported, forked per command (tests/launcher.py): this worker's, shared
    with launcher.acctctl_argv(), which the tests that start acctctl processes use."""
    from launcher import shared

    return shared()


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
