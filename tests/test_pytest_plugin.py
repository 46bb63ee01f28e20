"""The acctctl pytest plugin (contract §12, acctctl.testing), as a suite elsewhere uses it:
run with pytester, on SQLite (the default) and on PostgreSQL ($ACCTCTL_TEST_DATABASE_URL)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from tests.conftest import PG_URL, REQUIRE_PG

pytest_plugins = ["pytester"]

#: Two tests on the fixtures: each sees a fresh database; the helper undoes at teardown.
SUITE = '''
import pytest
import acctctl

@pytest.fixture
def seen_after(acctctl_client, tmp_path):
    """Set up before acctctl_accounts, so torn down after it: sees the database after
    the helper's undo."""
    yield
    left = [a.number for a in acctctl_client.list()]
    with open({out!r} + "/after", "a") as out:
        out.write(f"{{left}}\\n")

def test_seed(seen_after, acctctl_accounts, acctctl_client, acctctl_database_url):
    with open({out!r} + "/urls", "a") as out:
        out.write(acctctl_database_url + "\\n")
    one = acctctl_accounts.create("customer", first_name="Ada")
    assert one.generated.password and acctctl_client.show(one.number).first_name == "Ada"
    many = acctctl_accounts.create_count("customer", 3)
    assert len(many.created) == 3 and len(acctctl_client.list()) == 4

def test_fresh(acctctl_client, acctctl_database_url):
    with open({out!r} + "/urls", "a") as out:
        out.write(acctctl_database_url + "\\n")
    assert acctctl_client.list() == []
    assert acctctl_client.create("reseller", first_name="R", number="1000").number == "1000"
'''


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request, monkeypatch):
    for key in ("ACCTCTL_TEST_DATABASE_URL", "ACCTCTL_TEST_CONFIG", "ACCTCTL_DATABASE_URL"):
        monkeypatch.delenv(key, raising=False)
    if request.param == "postgresql":
        if not PG_URL:
            if REQUIRE_PG:
                pytest.fail("ACCTCTL_REQUIRE_POSTGRES=1 but ACCTCTL_TEST_POSTGRES_URL is unset")
            pytest.skip("PostgreSQL tests need ACCTCTL_TEST_POSTGRES_URL")
        monkeypatch.setenv("ACCTCTL_TEST_DATABASE_URL", PG_URL)
    return request.param


def in_python(script: str) -> object:
    """Run `script` in a fresh interpreter, return what it prints as JSON. (Not in this one:
    pytester takes back at teardown the modules a test imported, and SQLAlchemy's compiled
    parts do not survive being imported twice.)"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def run_suite(pytester, tmp_path, suite: str = SUITE, *args: str):
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    pytester.makepyfile(test_seeding=suite.format(out=str(out)))
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args), out


def test_the_plugin_is_registered_by_its_entry_point(pytester):
    pytester.makepyfile("def test_x(pytestconfig):\n"
                        "    assert pytestconfig.pluginmanager.has_plugin('acctctl')\n")
    pytester.runpytest_subprocess().assert_outcomes(passed=1)


@pytest.mark.db
def test_each_test_gets_a_fresh_database_and_the_helper_undoes_at_teardown(
        pytester, tmp_path, backend):
    result, out = run_suite(pytester, tmp_path)
    result.assert_outcomes(passed=2)
    urls = (out / "urls").read_text().split()
    assert len(set(urls)) == 2  # a database of its own per test
    assert (out / "after").read_text() == "[]\n"  # the seed's batches were undone
    if backend == "postgresql":
        names = [u.rsplit("/", 1)[1] for u in urls]
        left = in_python(f"""
import json, sqlalchemy as sa
from acctctl.db.engine import make_engine
with make_engine({PG_URL!r}).connect() as conn:
    print(json.dumps(conn.execute(sa.text("SELECT datname FROM pg_database WHERE datname "
                                          "= ANY(:n)"), {{"n": {names!r}}}).scalars().all()))
""")
        assert left == []  # dropped after each test


def test_a_shared_database_url_is_used_as_given_and_left_clean(pytester, tmp_path,
                                                               monkeypatch):
    """A non-PostgreSQL URL is shared by the tests: what the helper made is undone."""
    shared = tmp_path / "shared.db"
    monkeypatch.setenv("ACCTCTL_TEST_DATABASE_URL", f"sqlite:///{shared}")
    monkeypatch.delenv("ACCTCTL_TEST_CONFIG", raising=False)
    suite = SUITE.replace("    assert acctctl_client.list() == []\n", "")
    result, out = run_suite(pytester, tmp_path, suite)
    result.assert_outcomes(passed=2)
    assert len(set((out / "urls").read_text().split())) == 1
    numbers, live = in_python(f"""
import acctctl, json
with acctctl.open("sqlite:///{shared}", env={{}}, cwd={str(tmp_path)!r}) as client:
    print(json.dumps([[a.number for a in client.list()], [b.live for b in client.batches()]]))
""")
    assert numbers == ["1000"]  # only what the test created without the helper
    assert live == [1, 0, 0]  # the helper's two batches: undone


def test_the_helper_purges_what_the_test_changed_and_fails_on_what_cannot_go(
        pytester, tmp_path, monkeypatch):
    shared = tmp_path / "shared.db"
    monkeypatch.setenv("ACCTCTL_TEST_DATABASE_URL", f"sqlite:///{shared}")
    suite = '''
from typer.testing import CliRunner
from acctctl.cli import app

def test_changed(acctctl_accounts, acctctl_client):
    account = acctctl_accounts.create("customer", first_name="Ada", number="2001")
    acctctl_client.update(account.number, last_name="Byron")  # batch undo refuses this

def test_owner(acctctl_accounts, acctctl_database_url):
    acctctl_accounts.create("reseller", first_name="Res", number="3001")
    made = CliRunner().invoke(app, ["rategroup", "create", "own", "--reseller", "3001"],
                              env={"ACCTCTL_DATABASE_URL": acctctl_database_url})
    assert made.exit_code == 0, made.output
'''
    pytester.makepyfile(test_changed=suite)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_owner*",
                                 "*could not undo what it created: batch *rate group*"])
    numbers = in_python(f"""
import acctctl, json
with acctctl.open("sqlite:///{shared}", env={{}}, cwd={str(tmp_path)!r}) as client:
    print(json.dumps([a.number for a in client.list()]))
""")
    assert numbers == ["3001"]  # the changed customer was purged; the owner stays


def test_apply_seeds_a_file_and_undoes_it(pytester, monkeypatch):
    monkeypatch.delenv("ACCTCTL_TEST_DATABASE_URL", raising=False)
    pytester.makepyfile('''
import json
def test_apply(acctctl_accounts, acctctl_client, tmp_path):
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"set": "t", "customers": [{"number": "1001",
                                                            "first_name": "Ada"}]}))
    result = acctctl_accounts.apply(seed)
    assert [o.action for o in result.objects] == ["create"]
    assert acctctl_client.show("1001").first_name == "Ada"
    assert not acctctl_client.plan(seed).changed
''')
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
