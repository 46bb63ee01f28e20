"""Issue 16: what acctctl says about its configuration and database.

- a connection error names where the URL came from (config file and key, the environment,
  a profile, the built-in default);
- messages and `config show` print the URL the user wrote (password masked), never the
  driver URL acctctl made of it (`postgresql+psycopg://`, `mysql+pymysql://…?charset=…`);
- `config show` prints `[astpp]` only for `target = "astpp"`;
- a MySQL/MariaDB URL without `target = "astpp"` is exit 5 with a hint to that target;
- a read-only command that fails does not say "nothing was written"; a write command does.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from conftest import TEST_CONFIG, Cli

REFUSED_PG = "postgresql://acctctl:hunter2@127.0.0.1:1/acctctl"  # port 1: refused at once
REFUSED_PG_SHOWN = "postgresql://acctctl:***@127.0.0.1:1/acctctl"


def write_config(path: Path, text: str) -> Path:
    path.write_text(TEST_CONFIG + text)
    path.chmod(0o600)
    return path


@pytest.fixture
def run(tmp_path, monkeypatch):
    """acctctl in-process with only the given environment's acctctl variables."""
    monkeypatch.chdir(tmp_path)
    for key in ("ACCTCTL_PROFILE", "ACCTCTL_DATABASE_URL", "ACCTCTL_CONFIG", "ACCTCTL_NO_INPUT"):
        monkeypatch.delenv(key, raising=False)

    def invoke(*args: str, env: dict | None = None):
        return Cli({"COLUMNS": "200", "NO_COLOR": "1", **(env or {})})(*args)

    return invoke


# --- a connection error names where the URL came from ---------------------------------------


def test_a_connection_error_names_the_config_file_and_key(run, tmp_path):
    path = write_config(tmp_path / "site.toml", f'[database]\nurl = "{REFUSED_PG}"\n')
    result = run("account", "list", env={"ACCTCTL_CONFIG": str(path)})
    assert result.exit_code == 5, result.stderr
    assert f"cannot connect to {REFUSED_PG_SHOWN} (from database.url in {path}):" in (
        result.stderr)
    assert "hunter2" not in result.stderr


def test_a_connection_error_names_the_environment_variable(run, tmp_path):
    path = write_config(tmp_path / "site.toml", "")
    result = run("account", "list", env={"ACCTCTL_CONFIG": str(path),
                                         "ACCTCTL_DATABASE_URL": REFUSED_PG})
    assert result.exit_code == 5, result.stderr
    assert f"cannot connect to {REFUSED_PG_SHOWN} (from $ACCTCTL_DATABASE_URL):" in result.stderr


@pytest.mark.parametrize("how", ["flag", "env"])
def test_a_connection_error_names_the_profile(run, tmp_path, how):
    path = write_config(tmp_path / "site.toml",
                        f'[profiles.staging.database]\nurl = "{REFUSED_PG}"\n')
    env = {"ACCTCTL_CONFIG": str(path)}
    args = ["account", "list"]
    if how == "flag":
        args += ["--profile", "staging"]
        via = "--profile"
    else:
        env["ACCTCTL_PROFILE"] = "staging"
        via = "$ACCTCTL_PROFILE"
    result = run(*args, env=env)
    assert result.exit_code == 5, result.stderr
    assert (f"cannot connect to {REFUSED_PG_SHOWN} (from profiles.staging.database.url in "
            f"{path}, selected by {via}):") in result.stderr


def test_a_sqlite_connection_error_names_the_config_file_too(run, tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the database's directory would be")
    url = f"sqlite:///{blocker}/acctctl.db"
    path = write_config(tmp_path / "site.toml", f'[database]\nurl = "{url}"\n')
    result = run("account", "list", env={"ACCTCTL_CONFIG": str(path)})
    assert result.exit_code == 5, result.stderr
    assert f"cannot connect to {url} (from database.url in {path}):" in result.stderr


def test_the_built_in_default_is_named_as_the_source(tmp_path, monkeypatch):
    import platformdirs

    from acctctl.config import load_settings

    monkeypatch.setattr(platformdirs, "user_data_path", lambda app, *a, **k: tmp_path / app)
    loaded = load_settings(env={}, cwd=tmp_path,
                           config_path=str(write_config(tmp_path / "empty.toml", "")))
    assert loaded.url_source == (f"the built-in default: no database.url in "
                                 f"{tmp_path / 'empty.toml'}, no $ACCTCTL_DATABASE_URL")


# --- the URL as the user wrote it ------------------------------------------------------------


def test_config_show_prints_the_postgresql_url_as_written_password_masked(run, tmp_path):
    path = write_config(tmp_path / "site.toml", f'[database]\nurl = "{REFUSED_PG}"\n')
    result = run("config", "show", env={"ACCTCTL_CONFIG": str(path)})
    assert result.exit_code == 0, result.stderr
    assert f'url = "{REFUSED_PG_SHOWN}"' in result.stdout
    assert "psycopg" not in result.stdout and "hunter2" not in result.stdout


@pytest.mark.parametrize("scheme", ["mysql", "mariadb"])
def test_config_show_prints_the_astpp_url_as_written(run, tmp_path, scheme):
    path = write_config(tmp_path / "site.toml",
                        f'[database]\nurl = "{scheme}://acctctl:pw@astpp-db:3306/astpp"\n'
                        'target = "astpp"\n')
    result = run("config", "show", env={"ACCTCTL_CONFIG": str(path)})
    assert result.exit_code == 0, result.stderr
    assert f'url = "{scheme}://acctctl:***@astpp-db:3306/astpp"' in result.stdout
    assert "pymysql" not in result.stdout and "charset" not in result.stdout


def test_the_astpp_connection_error_shows_the_url_as_written(run, tmp_path):
    key = tmp_path / "astpp-config.conf"
    key.write_text('PRIVATE_KEY = "a-key-of-this-install"\n')
    path = write_config(tmp_path / "site.toml",
                        '[database]\nurl = "mariadb://acctctl:pw@127.0.0.1:1/astpp"\n'
                        f'target = "astpp"\n[astpp]\nconfig_file = "{key}"\n')
    result = run("account", "list", env={"ACCTCTL_CONFIG": str(path)})
    assert result.exit_code == 5, result.stderr
    assert (f"cannot connect to mariadb://acctctl:***@127.0.0.1:1/astpp (from database.url in "
            f"{path}):") in result.stderr
    assert "pymysql" not in result.stderr and "charset" not in result.stderr


@pytest.mark.parametrize(("url", "shown"), [
    ("postgresql+psycopg://u:p@h/db", "postgresql://u:***@h/db"),
    ("mysql+pymysql://u:p@h:3306/astpp?charset=utf8mb4", "mysql://u:***@h:3306/astpp"),
    ("mysql+pymysql://u@h/astpp?charset=latin1", "mysql://u@h/astpp?charset=latin1"),
    ("sqlite:////tmp/a.db", "sqlite:////tmp/a.db"),
])
def test_shown_url_drops_what_acctctl_added(url, shown):
    from acctctl.config import shown_url

    assert shown_url(url) == shown


# --- [astpp] only for the astpp target -------------------------------------------------------


def test_config_show_has_no_astpp_section_for_acctctls_own_schema(run, tmp_path):
    path = write_config(tmp_path / "site.toml", "")
    result = run("config", "show", env={"ACCTCTL_CONFIG": str(path)})
    assert result.exit_code == 0, result.stderr
    assert "[astpp]" not in result.stdout and "config_file = " in result.stdout  # the top key
    assert "[database]" in result.stdout


def test_config_show_has_the_astpp_section_for_the_astpp_target(run, tmp_path):
    path = write_config(tmp_path / "site.toml",
                        '[database]\nurl = "mysql://acctctl@astpp-db/astpp"\n'
                        'target = "astpp"\n')
    result = run("config", "show", env={"ACCTCTL_CONFIG": str(path)})
    assert result.exit_code == 0, result.stderr
    assert "[astpp]" in result.stdout


# --- MySQL/MariaDB only as an ASTPP database -------------------------------------------------


@pytest.mark.parametrize("scheme", ["mysql", "mariadb"])
@pytest.mark.parametrize("args", [("account", "list"),
                                  ("create", "customer", "--first-name", "Ada", "--no-input"),
                                  ("create", "customer", "--first-name", "Ada", "--no-input",
                                   "--dry-run")])
def test_a_mysql_url_without_the_astpp_target_hints_at_it(run, tmp_path, scheme, args):
    url = f"{scheme}://root@127.0.0.1:3306/acctctl"
    path = write_config(tmp_path / "site.toml", f'[database]\nurl = "{url}"\n')
    result = run(*args, env={"ACCTCTL_CONFIG": str(path)})
    assert result.exit_code == 5, result.stderr
    assert f"{url} (from database.url in {path}) is a MySQL/MariaDB database" in result.stderr
    assert 'hint: MySQL/MariaDB is supported only as an existing ASTPP 6 database: set ' \
           'target = "astpp"' in result.stderr
    assert "config init --target astpp" in result.stderr
    assert "pymysql" not in result.stderr


# --- "nothing was written" only where something could have been ------------------------------


READ_ONLY = [("account", "list"), ("account", "show", "1001"),
             ("account", "export", "--kind", "customer"), ("batch", "list"),
             ("batch", "show", "00000000-0000-0000-0000-000000000000"), ("audit", "list")]
SQLITE_ONLY_READ_ONLY = [("db", "current"), ("db", "check"), ("reference", "currencies"),
                         ("rategroup", "list"), ("tax", "list"), ("role", "list")]
WRITES = [("create", "customer", "--first-name", "Ada", "--no-input"),
          ("rategroup", "create", "gold")]


def _corrupt_sqlite(url: str) -> None:
    path = Path(sa.engine.make_url(url).database)
    size = path.stat().st_size
    with open(path, "r+b") as handle:  # scribble over every page after the schema
        for page in range(2, size // 4096):
            handle.seek(page * 4096 + 100)
            handle.write(b"\xde\xad\xbe\xef" * 200)


def test_read_only_commands_that_fail_do_not_say_nothing_was_written(cli, db_url, engine):
    """The same database failure: a read-only command reports it without "nothing was
    written" (there was nothing to write), a write command with it. SQLite: a corrupt file;
    PostgreSQL: the tables locked by another session, with a short lock_timeout."""
    if db_url.startswith("sqlite"):
        engine.dispose()
        _corrupt_sqlite(db_url)
        env, read_only, holder = {}, READ_ONLY + SQLITE_ONLY_READ_ONLY, None
    else:
        env, read_only = {"PGOPTIONS": "-c lock_timeout=200"}, READ_ONLY
        holder = engine.connect()
        holder.begin()
        holder.execute(sa.text("LOCK TABLE accounts, rate_groups, audit_events "
                               "IN ACCESS EXCLUSIVE MODE"))
    try:
        for args in read_only:
            result = cli(*args, env=env)
            assert result.exit_code == 5, (args, result.stderr)
            assert "error: " in result.stderr, args
            assert "nothing was written" not in result.stderr, (args, result.stderr)
        for args in WRITES:
            result = cli(*args, env=env)
            assert result.exit_code == 5, (args, result.stderr)
            assert "nothing was written" in result.stderr, (args, result.stderr)
    finally:
        if holder is not None:
            holder.rollback()
            holder.close()


@pytest.mark.parametrize(("argv", "read_only"), [
    (["acctctl", "account", "list"], True),
    (["acctctl", "--config", "x.toml", "account", "show", "1"], True),
    (["acctctl", "reference", "timezones", "--search", "eur"], True),
    (["acctctl", "config", "show"], True),
    (["acctctl", "db", "check"], True),
    (["acctctl", "account", "update", "1", "--city", "Oslo"], False),
    (["acctctl", "create", "customer"], False),
    (["acctctl", "batch", "undo", "x", "--dry-run"], False),
    (["acctctl", "db", "upgrade"], False),
    (["acctctl", "config", "init"], False),
])
def test_which_commands_are_read_only(argv, read_only):
    from acctctl.cli.report import is_read_only

    assert is_read_only(argv) is read_only


@pytest.mark.parametrize(("message", "without"), [
    ("database error: x; nothing was written", "database error: x"),
    ("3 problems found; nothing was written", "3 problems found"),
    ("nothing was written", "nothing was written"),  # nothing else to say: kept
    ("db is not an ASTPP database: it has no tables; nothing was written",
     "db is not an ASTPP database: it has no tables"),
])
def test_the_write_note_is_dropped_from_a_message(message, without):
    from acctctl.cli.report import without_write_note

    assert without_write_note(message) == without
