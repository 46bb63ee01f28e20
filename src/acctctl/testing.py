"""The acctctl pytest plugin (contract §12): installed with the package, registered through
the `pytest11` entry point, so a test suite that has acctctl installed has these fixtures:

acctctl_database_url
    A fresh database for the test. Without $ACCTCTL_TEST_DATABASE_URL: a SQLite file in the
    test's tmp_path. With a PostgreSQL server URL there: a database of its own created on
    that server for the test and dropped after it. Any other URL (a SQLite file, ...) is used
    as it is: the test shares it, and acctctl_accounts undoes what it created.
acctctl_client
    An acctctl.Client on that database (acctctl.open()), closed after the test. Its
    configuration: $ACCTCTL_TEST_CONFIG when set (a config file), else a test one with cheap
    password hashing; never the developer's own config, profile or $ACCTCTL_DATABASE_URL.
acctctl_accounts
    Helpers that create accounts through the client (create, create_many, create_count,
    create_from_file: the Client's, same arguments) and undo each batch they created at
    teardown (`batch undo`, newest first). Accounts the test changed since (which batch undo
    refuses) are purged instead; what cannot go (a reseller that owns something outside the
    batch) fails the teardown, naming the batch.

See docs/api.md. Cheap to load: pytest loads it in every run of a suite that has acctctl
installed, so nothing of acctctl or SQLAlchemy is imported until a fixture is used.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ENV_URL = "ACCTCTL_TEST_DATABASE_URL"
ENV_CONFIG = "ACCTCTL_TEST_CONFIG"
#: Hashing is not what a suite that seeds accounts tests: the cheapest argon2id settings.
TEST_CONFIG = """\
# written by the acctctl pytest plugin (acctctl.testing)
[passwords]
hash_time_cost = 1
hash_memory_kib = 1024
hash_parallelism = 1
"""


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "acctctl: uses the acctctl fixtures (acctctl_client, acctctl_accounts)")


@pytest.fixture(scope="session")
def _acctctl_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database made once per session (per xdist worker): each test's
    database is a copy, not a migration run of its own."""
    from acctctl.db.engine import make_engine
    from acctctl.db.migrate import upgrade

    path = tmp_path_factory.mktemp("acctctl-template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    return path


@pytest.fixture
def acctctl_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a fresh acctctl database for this test (see the module's doc)."""
    url = os.environ.get(ENV_URL, "").strip()
    if not url:
        import shutil

        path = tmp_path / "acctctl.db"
        shutil.copy(request.getfixturevalue("_acctctl_sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    if url.split(":", 1)[0].split("+", 1)[0] in ("postgresql", "postgres"):
        with _fresh_postgres_database(url) as fresh:
            yield fresh
        return
    yield url


@pytest.fixture
def acctctl_client(acctctl_database_url: str, tmp_path: Path) -> Iterator[Any]:
    """An acctctl.Client on acctctl_database_url, closed after the test."""
    import acctctl

    config = os.environ.get(ENV_CONFIG)
    if not config:
        path = tmp_path / "acctctl-test.toml"
        path.write_text(TEST_CONFIG)
        path.chmod(0o600)
        config = str(path)
    # env: only what locates files, so no ACCTCTL_* of the developer's shell leaks in
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCTCTL_")}
    client = acctctl.open(acctctl_database_url, config=config, env=env, cwd=tmp_path)
    try:
        yield client
    finally:
        client.close()


class Accounts:
    """Creates accounts through a client and undoes their batches at teardown."""

    def __init__(self, client: Any):
        self.client = client
        #: the batch ids created, oldest first (those undone at teardown)
        self.batches: list[str] = []

    def _keep(self, batch_id: str | None) -> None:
        if batch_id is not None and batch_id not in self.batches:
            self.batches.append(batch_id)

    def create(self, kind: str, *, options: Any = None, **fields: Any):
        """Client.create: one account (its generated secrets in `.generated`). An account
        if_exists="skip" found is returned, and left alone at teardown."""
        import acctctl

        account, batch_id = self.client._create_one(kind, options or acctctl.CreateOptions(),
                                                    fields)
        self._keep(batch_id)
        return account

    def create_many(self, kind: str, rows, **kwargs: Any):
        """Client.create_many: a batch of accounts, undone at teardown."""
        return self._batch(self.client.create_many, kind, rows, **kwargs)

    def create_count(self, kind: str, count: int, **kwargs: Any):
        """Client.create_count: `count` generated accounts, undone at teardown."""
        return self._batch(self.client.create_count, kind, count, **kwargs)

    def create_from_file(self, kind: str, path, **kwargs: Any):
        """Client.create_from_file: the rows of a CSV, JSON or JSONL file."""
        return self._batch(self.client.create_from_file, kind, path, **kwargs)

    def apply(self, path, **kwargs: Any):
        """Client.apply: the file's set (contract §10), its batch undone at teardown."""
        return self._batch(self.client.apply, path, **kwargs)

    def _batch(self, create, *args: Any, **kwargs: Any):
        import acctctl

        try:
            result = create(*args, **kwargs)
        except acctctl.Partial as partial:  # what was written is undone too
            self._keep(partial.result.batch_id)
            raise
        self._keep(result.batch_id)
        return result

    def undo_all(self) -> None:
        """Undo every batch created here, newest first; raise naming those that failed."""
        import acctctl

        problems = []
        for batch_id in reversed(self.batches):
            try:
                self.client.undo(batch_id)
            except acctctl.Conflict as refused:
                # batch undo protects accounts changed since their batch; these are the
                # test's own, changed by the test: they go too (a purge, in one transaction)
                left = [a.number for a in self.client.batch(batch_id) if a.batch_id == batch_id]
                try:
                    if left and "changed since it was created" in refused.message:
                        self.client.delete(*left, purge=True)
                    else:
                        raise refused
                except acctctl.Error as exc:
                    problems.append(f"batch {batch_id}: {exc.message}")
            except acctctl.Error as exc:
                problems.append(f"batch {batch_id}: {exc.message}")
        self.batches.clear()
        if problems:
            raise AssertionError("acctctl_accounts could not undo what it created: "
                                 + "; ".join(problems))


@pytest.fixture
def acctctl_accounts(acctctl_client: Any) -> Iterator[Accounts]:
    """Create accounts for the test; every batch is undone (batch undo) at teardown."""
    accounts = Accounts(acctctl_client)
    yield accounts
    accounts.undo_all()


# --- a database of its own on a PostgreSQL server ---------------------------------------


class _fresh_postgres_database:
    """CREATE DATABASE on the server of `url` (its own name, random), DROP it after. The
    migrations run when the client opens it (an empty database is initialised on first use)."""

    def __init__(self, url: str):
        import sqlalchemy as sa

        parsed = sa.engine.make_url(url)
        if parsed.drivername in ("postgresql", "postgres"):
            parsed = parsed.set(drivername="postgresql+psycopg")
        self.name = f"acctctl_test_{uuid.uuid4().hex[:16]}"
        self.server = parsed
        self.url = parsed.set(database=self.name).render_as_string(hide_password=False)
        self.engine = sa.create_engine(parsed, isolation_level="AUTOCOMMIT",
                                       poolclass=sa.pool.NullPool)

    def __enter__(self) -> str:
        import sqlalchemy as sa

        with self.engine.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{self.name}"'))
        return self.url

    def __exit__(self, *exc: object) -> None:
        import sqlalchemy as sa

        try:
            with self.engine.connect() as conn:
                # FORCE (PostgreSQL 13+): a connection the test left open does not keep it
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        finally:
            self.engine.dispose()
