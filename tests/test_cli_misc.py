"""The CLI shell: help, version, completion, start-up cost, internal errors."""

import os
import subprocess
import sys

import pytest

from acctctl import __version__


def run(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "acctctl", *args], capture_output=True, text=True, timeout=60,
        env={**os.environ, "ACCTCTL_DATABASE_URL": "postgresql://u:pw@127.0.0.1:1/none",
             **(env or {})},
    )


def test_help_and_version_work_with_an_unreachable_database():
    help_ = run("--help")
    assert help_.returncode == 0 and "create" in help_.stdout
    version = run("--version")
    assert version.returncode == 0 and version.stdout.strip() == f"acctctl {__version__}"


def test_help_does_not_import_the_database_stack():
    code = (
        "import sys\n"
        "from acctctl.cli import app\n"
        "try:\n"
        "    app(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = [m for m in ('sqlalchemy', 'sqlmodel', 'alembic', 'questionary', 'pydantic')"
        " if m in sys.modules]\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "HEAVY []" in result.stderr


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_script_for_each_shell(shell):
    result = run("completion", shell)
    assert result.returncode == 0
    assert "_ACCTCTL_COMPLETE" in result.stdout


def test_completion_script_rejects_an_unknown_shell():
    result = run("completion", "tcsh")
    assert result.returncode == 2


def test_tab_completion_completes_commands_and_flags():
    words = run(env={"_ACCTCTL_COMPLETE": "complete_bash", "COMP_WORDS": "acctctl cre",
                     "COMP_CWORD": "1"})
    assert "create" in words.stdout.split()
    flags = run(env={"_ACCTCTL_COMPLETE": "complete_bash",
                     "COMP_WORDS": "acctctl create customer --first-", "COMP_CWORD": "3"})
    assert "--first-name" in flags.stdout.split()


def test_unreachable_database_exits_5_with_masked_url_and_no_traceback():
    result = run("account", "list")
    assert result.returncode == 5
    assert "cannot connect" in result.stderr
    assert "pw" not in result.stderr.replace("postgresql", "")
    assert "***" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_internal_error_exits_1_without_traceback_or_locals(monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from acctctl.cli import app
    from acctctl.storage import catalog  # what `role list` reads through the storage

    def boom(*_a, **_k):
        secret_local = "hunter2-secret"  # noqa: F841 - must never be printed
        raise RuntimeError("kaboom")

    monkeypatch.setattr(catalog, "list_roles", boom)
    result = CliRunner().invoke(app, ["role", "list"], env={
        "ACCTCTL_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "ACCTCTL_DEBUG": ""})
    assert result.exit_code == 1
    assert "internal error" in result.stderr and "kaboom" in result.stderr
    assert "hunter2" not in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("url", "secret"),
    [("postgresql://postgres:p@ss@127.0.0.1:1/x", "ss@"),
     ("postgresql://postgres@127.0.0.1:1/x?password=hunter2", "hunter2")],
)
def test_cannot_connect_never_shows_any_part_of_the_password(url, secret):
    result = run("account", "list", env={"ACCTCTL_DATABASE_URL": url})
    assert result.returncode == 5
    assert secret not in result.stderr


def test_a_sqlite_path_that_cannot_be_created_is_a_database_error():
    result = run("account", "list", env={"ACCTCTL_DATABASE_URL": "sqlite:////proc/none/x.db"})
    assert result.returncode == 5
    assert "cannot connect" in result.stderr and "internal error" not in result.stderr


def test_database_errors_never_print_statements_or_parameters(monkeypatch, tmp_path):
    import sqlalchemy as sa
    from typer.testing import CliRunner

    from acctctl.cli import app
    from acctctl.storage import catalog  # what `role list` reads through the storage

    def fail(*_a, **_k):
        raise sa.exc.DataError("INSERT INTO accounts VALUES (%(password_hash)s)",
                               {"password_hash": "$argon2id$v=19$secret"},
                               Exception("integer out of range"))

    monkeypatch.setattr(catalog, "list_roles", fail)
    result = CliRunner().invoke(app, ["role", "list"], env={
        "ACCTCTL_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"})
    assert result.exit_code == 1
    assert "integer out of range" in result.stderr
    assert "argon2" not in result.stderr and "INSERT" not in result.stderr
