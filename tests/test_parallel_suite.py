"""The suite itself: CI runs the README's command, in parallel, and tests share nothing."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from conftest import unique_name

ROOT = Path(__file__).resolve().parents[1]


def _test_command(text: str) -> str:
    (line,) = [ln for ln in text.splitlines() if "pip install -e '.[test]'" in ln]
    return line.strip()


def test_ci_runs_the_readme_test_command_verbatim_in_parallel():
    readme = _test_command((ROOT / "README.md").read_text(encoding="utf-8"))
    assert _test_command((ROOT / ".ci" / "run").read_text(encoding="utf-8")) == readme
    assert readme.endswith("python -m pytest -n auto")


def test_database_names_carry_the_worker_and_never_repeat(monkeypatch):
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw7")
    names = {unique_name("acctctl_t") for _ in range(50)}
    assert len(names) == 50
    assert all(re.fullmatch(r"acctctl_t_gw7_[0-9a-f]{12}", n) for n in names)


def test_each_test_has_a_home_of_its_own(tmp_path_factory):
    home = Path(os.environ["HOME"])
    assert home.is_relative_to(tmp_path_factory.getbasetemp())
    assert os.environ["XDG_DATA_HOME"] == str(home / ".local" / "share")
    assert os.environ["XDG_CONFIG_HOME"] == str(home / ".config")


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_clones_come_from_the_sealed_template_and_are_dropped(db_url, pg_server, pg_template):
    from acctctl.db.engine import make_engine

    engine = make_engine(db_url)  # the test's own clone: migrated
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM alembic_version")).scalar_one() == 1
        sealed = conn.execute(sa.text("SELECT datallowconn FROM pg_database WHERE datname = "
                                      ":n"), {"n": pg_template}).scalar_one()
    engine.dispose()
    assert sealed is False  # nothing connects to the template: a clone never fails for it

    name = pg_server.clone(pg_template)
    assert name != engine.url.database and "_" + os.environ.get(
        "PYTEST_XDIST_WORKER", "main") + "_" in name
    pg_server.drop(name)
    for session in pg_server.droppers:
        session.wait()
    admin = make_engine(pg_server.url_of("postgres"))
    with admin.connect() as conn:
        left = conn.execute(sa.text("SELECT count(*) FROM pg_database WHERE datname = :n"),
                            {"n": name}).scalar_one()
    admin.dispose()
    assert left == 0


def test_the_left_out_half_is_said_once_by_the_xdist_controller(tmp_path):
    """Workers collect and leave the PostgreSQL half out; the controller says so, once."""
    for name in ("conftest.py", "launcher.py"):  # the conftest and what it imports
        (tmp_path / name).write_text((ROOT / "tests" / name).read_text())
    (tmp_path / "test_one.py").write_text("def test_a(db_url):\n    assert db_url\n")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ACCTCTL_", "PYTEST_"))}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:]
    assert result.stdout.count("PostgreSQL half not run (1 tests)") == 1, result.stdout
    assert "1 passed" in result.stdout
