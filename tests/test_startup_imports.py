"""Start-up (issue 20): what a command imports. `acctctl --help` lists every command from
the registry of cli/app.py and imports no command module, no database and no model; a read
of an up-to-date database checks its revision without Alembic. Timings are in
benchmarks/startup.py (a benchmark, not a timed test)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

import pytest

#: Runs acctctl as its entry point does; at exit writes the modules it loaded, as JSON, to
#: the file named by $MODULES_OUT.
WRAPPER = """
import atexit, json, os, sys
def dump():
    with open(os.environ["MODULES_OUT"], "w") as out:
        json.dump(sorted(sys.modules), out)
atexit.register(dump)
sys.argv[0] = "acctctl"
from acctctl.cli import main
main()
"""

HEAVY = ("sqlalchemy", "sqlmodel", "alembic", "pydantic", "acctctl.db", "acctctl.models",
         "acctctl.service", "acctctl.config", "acctctl.registrars")
COMMAND_MODULES = ("acctctl.cli.create", "acctctl.cli.account", "acctctl.cli.day_two",
                   "acctctl.cli.batch_cmd", "acctctl.cli.catalog", "acctctl.cli.db_cmd",
                   "acctctl.cli.config_cmd", "acctctl.cli.registrar_cmd")


def loaded_modules(*args: str, env: dict | None = None) -> tuple[list[str], str]:
    with tempfile.TemporaryDirectory() as scratch:
        out = os.path.join(scratch, "modules.json")
        child_env = {k: v for k, v in os.environ.items()
                     if not k.startswith(("_ACCTCTL", "ACCTCTL_", "XDG_"))}
        child_env.update(env or {}, MODULES_OUT=out)
        result = subprocess.run([sys.executable, "-c", WRAPPER, *args], env=child_env,
                                capture_output=True, text=True, timeout=120)
        with open(out) as dumped:
            modules = json.load(dumped)
    return modules, result.stdout + result.stderr


def under(modules: list[str], prefixes: tuple[str, ...]) -> list[str]:
    return [m for m in modules if any(m == p or m.startswith(p + ".") for p in prefixes)]


def test_root_help_imports_no_command_module_database_or_model(tmp_path):
    modules, output = loaded_modules("--help", env={"HOME": str(tmp_path), "COLUMNS": "80"})
    assert "Commands:" in output and "rategroup" in output
    assert under(modules, HEAVY) == []
    assert under(modules, COMMAND_MODULES) == []


def test_root_help_lists_every_registered_command_with_its_help():
    from typer.testing import CliRunner

    from acctctl.cli import app
    from acctctl.cli.app import COMMANDS

    text = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"}).stdout
    for name, entry in COMMANDS.items():
        assert f"  {name}  " in text and entry.help in text, name


@pytest.mark.parametrize("name", ["completion", "create", "account", "batch", "audit",
                                  "rategroup", "tax",
                                  "role", "reference", "registrar", "db", "config"])
def test_every_registry_entry_loads_with_the_registry_help(name):
    from acctctl.cli.app import COMMANDS, load_group

    command = load_group(name)
    assert command.name == name and command.help == COMMANDS[name].help
    assert name == "completion" or command.list_commands(None)


def test_a_typo_of_a_group_not_yet_imported_is_suggested(tmp_path):
    modules, output = loaded_modules("rategrup", "list", env={"HOME": str(tmp_path)})
    assert "Did you mean 'rategroup'" in output
    assert under(modules, COMMAND_MODULES) == []


def test_account_group_is_whole_whoever_imports_it_first():
    """Its verbs used to be added as a side effect of batch_cmd importing day_two."""
    code = ("import typer.main; from acctctl.cli.account import app; "
            "print(' '.join(typer.main.get_group(app).list_commands(None)))")
    names = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True).stdout.split()
    assert names == sorted(["delete", "disable", "enable", "export", "list",
                            "reset-password", "rotate-sip-secret", "show", "update"])


def test_shipped_head_revision_constant_is_alembics_head():
    from acctctl.db import migrate, revision

    assert revision.HEAD_REVISION == migrate.script_head()


def test_a_read_of_an_up_to_date_database_does_not_import_alembic(tmp_path):
    env = {"HOME": str(tmp_path), "ACCTCTL_DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}"}
    first, output = loaded_modules("account", "list", "-o", "json", env=env)
    assert "alembic" in first, output  # the first use initialises the database: Alembic
    modules, output = loaded_modules("account", "list", "-o", "json", env=env)
    assert output.strip() == "[]", output
    assert under(modules, ("alembic", "acctctl.db.migrate")) == []


def test_a_database_behind_is_still_refused_on_the_fast_path(cli, monkeypatch):
    from acctctl.db import revision

    monkeypatch.setattr(revision, "HEAD_REVISION", "9999_next")
    result = cli("account", "list")
    assert result.exit_code == 5 and "acctctl db upgrade" in result.stderr


@pytest.mark.parametrize("args, env", [
    (["account", "--help"], {}),
    (["account", "list", "--help"], {}),
    (["batch", "list", "--help"], {}),
    (["create", "customer", "--help"], {}),
    (["account", "update", "--help"], {}),
    ([], {"_ACCTCTL_COMPLETE": "complete_bash",
          "COMP_WORDS": "acctctl create customer --account-type ", "COMP_CWORD": "4"}),
    ([], {"_ACCTCTL_COMPLETE": "complete_bash", "COMP_WORDS": "acctctl account list --kind ",
          "COMP_CWORD": "4"}),
])
def test_sub_command_help_and_tab_import_no_pydantic_or_database(tmp_path, args, env):
    """Typer converts values with pydantic; a default needs no converting (cli/lazy.py)."""
    modules, output = loaded_modules(*args, env={"HOME": str(tmp_path), **env})
    assert any(word in output for word in ("Usage", "customer", "prepaid")), output
    assert under(modules, ("sqlalchemy", "sqlmodel", "alembic", "pydantic", "acctctl.db",
                           "acctctl.models", "acctctl.config")) == []


def test_values_that_need_converting_are_still_checked_by_typer(cli):
    for flag, value, message in (("--limit", "x", "valid integer"),
                                 ("--limit", "-1", "greater than or equal to 0"),
                                 ("--offset", "-2", "greater than or equal to 0")):
        result = cli("account", "list", flag, value)
        assert result.exit_code == 2 and message in result.stderr, result.stderr
    assert cli("account", "list", "--limit", "3", "--offset", "0").exit_code == 0


def test_the_flag_table_is_the_models_declaration():
    """cli/flag_data.py is generated: python -m acctctl.cli.flag_table after a field
    changes."""
    from acctctl.cli.flag_data import FLAGS
    from acctctl.cli.flag_table import from_models

    assert FLAGS == from_models()
