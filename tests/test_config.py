"""Tests for acctctl.config: lookup order, profiles, env overrides, errors, masking, writing.

Every test passes ``env=`` and ``cwd=`` explicitly, and the autouse fixture points platformdirs
at tmp_path, so the real user config and data dirs never leak in.
"""

from __future__ import annotations

import os
import stat
import tomllib
from decimal import Decimal
from pathlib import Path

import platformdirs
import pytest
import tomli_w
from sqlalchemy.engine import make_url

from acctctl import config
from acctctl.config import (
    default_config_dict,
    effective_settings_dict,
    load_settings,
    mask_url,
    user_config_path,
    write_config,
)
from acctctl.errors import EXIT_CONFIG, ConfigError


@pytest.fixture(autouse=True)
def user_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Redirect platformdirs into tmp_path; returns the two app dirs."""
    dirs = {"config": tmp_path / "user-config" / "acctctl", "data": tmp_path / "user-data"}
    monkeypatch.setattr(platformdirs, "user_config_path", lambda app, *a, **k: dirs["config"])
    monkeypatch.setattr(platformdirs, "user_data_path", lambda app, *a, **k: dirs["data"] / app)
    return dirs


def write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def load(tmp_path: Path, **kwargs) -> config.LoadedSettings:
    kwargs.setdefault("env", {})
    return load_settings(cwd=tmp_path, **kwargs)


def config_error(tmp_path: Path, **kwargs) -> str:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, **kwargs)
    assert caught.value.exit_code == EXIT_CONFIG
    return caught.value.message


# --- lookup order ---------------------------------------------------------------------------


def test_no_file_gives_builtin_defaults_and_sqlite_in_user_data_dir(tmp_path, user_dirs):
    loaded = load(tmp_path)

    assert loaded.path is None
    assert loaded.profile is None
    assert loaded.settings.numbers.length == 10
    assert loaded.settings.defaults.low_balance_alert == Decimal(5)
    assert loaded.settings.passwords.hash_memory_kib == 65536
    data_dir = user_dirs["data"] / "acctctl"
    assert loaded.database_url == f"sqlite:///{data_dir}/acctctl.db"
    assert data_dir.is_dir()
    assert loaded.warnings == []


def test_lookup_order_first_found_wins(tmp_path, user_dirs):
    explicit = write(tmp_path / "explicit.toml", "[numbers]\nlength = 11\n")
    from_env = write(tmp_path / "env.toml", "[numbers]\nlength = 12\n")
    project = write(tmp_path / "acctctl.toml", "[numbers]\nlength = 13\n")
    user = write(user_dirs["config"] / "config.toml", "[numbers]\nlength = 14\n")
    env = {"ACCTCTL_CONFIG": str(from_env)}

    loaded = load(tmp_path, config_path=str(explicit), env=env)
    assert (loaded.path, loaded.settings.numbers.length) == (explicit, 11)

    loaded = load(tmp_path, env=env)
    assert (loaded.path, loaded.settings.numbers.length) == (from_env, 12)

    loaded = load(tmp_path)
    assert (loaded.path, loaded.settings.numbers.length) == (project, 13)

    project.unlink()
    loaded = load(tmp_path)
    assert (loaded.path, loaded.settings.numbers.length) == (user, 14)


def test_relative_explicit_path_is_relative_to_cwd(tmp_path):
    write(tmp_path / "conf" / "a.toml", "[numbers]\nlength = 7\n")
    loaded = load(tmp_path, config_path="conf/a.toml")
    assert loaded.path == tmp_path / "conf" / "a.toml"
    assert loaded.settings.numbers.length == 7


def test_user_config_path_comes_from_platformdirs(user_dirs):
    assert user_config_path() == user_dirs["config"] / "config.toml"


@pytest.mark.parametrize("via_env", [False, True])
def test_missing_named_config_is_an_error(tmp_path, via_env):
    missing = tmp_path / "nope.toml"
    write(tmp_path / "acctctl.toml", "")  # must not be used as a fallback
    kwargs = {"env": {"ACCTCTL_CONFIG": str(missing)}} if via_env else {"config_path": missing}
    message = config_error(tmp_path, **kwargs)
    assert str(missing) in message
    assert "not found" in message


def test_unreadable_config_is_a_config_error(tmp_path):
    (tmp_path / "dir.toml").mkdir()
    message = config_error(tmp_path, config_path="dir.toml")
    assert f"cannot read config file {tmp_path / 'dir.toml'}" in message


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read a 0000 file")
def test_config_without_read_permission_is_a_config_error(tmp_path):
    path = write(tmp_path / "acctctl.toml", "[numbers]\n", mode=0o000)
    assert str(path) in config_error(tmp_path)


def test_non_utf8_config_is_a_config_error(tmp_path):
    (tmp_path / "acctctl.toml").write_bytes(b'[defaults]\ncountry = "\xff"\n')
    assert "not valid UTF-8" in config_error(tmp_path)


# --- profiles -------------------------------------------------------------------------------

PROFILES = """\
[database]
url = "sqlite:///top.db"

[numbers]
length = 10
prefix = "9"

[defaults]
taxes = ["vat", "gst"]

[profiles.staging.database]
url = "postgresql://acctctl@db.staging/acctctl"

[profiles.staging.numbers]
length = 12

[profiles.staging.defaults]
taxes = ["vat"]

[profiles.ci]
numbers.pin_length = 8
"""


def test_profile_deep_merges_over_top_level(tmp_path):
    write(tmp_path / "acctctl.toml", PROFILES)
    loaded = load(tmp_path, profile="staging")

    assert loaded.profile == "staging"
    assert loaded.settings.numbers.length == 12  # from the profile
    assert loaded.settings.numbers.prefix == "9"  # same section, key kept from top level
    assert loaded.settings.defaults.taxes == ["vat"]  # lists are replaced, not appended
    assert loaded.database_url == "postgresql+psycopg://acctctl@db.staging/acctctl"


def test_profile_from_env_and_argument_beats_env(tmp_path):
    write(tmp_path / "acctctl.toml", PROFILES)
    from_env = load(tmp_path, env={"ACCTCTL_PROFILE": "ci"})
    assert (from_env.profile, from_env.settings.numbers.pin_length) == ("ci", 8)
    assert from_env.settings.numbers.length == 10

    both = load(tmp_path, profile="staging", env={"ACCTCTL_PROFILE": "ci"})
    assert (both.profile, both.settings.numbers.pin_length) == ("staging", 6)


def test_without_profile_top_level_applies(tmp_path):
    write(tmp_path / "acctctl.toml", PROFILES)
    loaded = load(tmp_path)
    assert loaded.settings.numbers.length == 10
    assert loaded.database_url == "sqlite:///top.db"
    assert set(loaded.settings.profiles) == {"staging", "ci"}


def test_unknown_profile_lists_known_ones(tmp_path):
    write(tmp_path / "acctctl.toml", PROFILES)
    message = config_error(tmp_path, profile="prod")
    assert "unknown profile 'prod'" in message
    assert "ci, staging" in message


def test_unknown_profile_without_any_profiles(tmp_path):
    message = config_error(tmp_path, profile="prod")
    assert "unknown profile 'prod'" in message


def test_bad_value_in_profile_names_profile_key_and_line(tmp_path):
    text = PROFILES.replace("length = 12", "length = 30")
    path = write(tmp_path / "acctctl.toml", text)
    load(tmp_path)  # the top level alone is fine: profiles are validated when selected
    message = config_error(tmp_path, profile="staging")
    assert message.startswith(f"{path}:15: profiles.staging.numbers.length: ")
    assert "less than or equal to 18" in message


def test_unknown_key_in_profile_dotted_key(tmp_path):
    path = write(tmp_path / "acctctl.toml", PROFILES + "numbers.pinlength = 5\n")
    message = config_error(tmp_path, profile="ci")
    assert message == f"{path}:22: unknown key 'profiles.ci.numbers.pinlength'"


# --- database URL ---------------------------------------------------------------------------


def test_env_database_url_overrides_config(tmp_path):
    write(tmp_path / "acctctl.toml", PROFILES)
    env = {"ACCTCTL_DATABASE_URL": "sqlite:///from-env.db"}
    assert load(tmp_path, env=env).database_url == "sqlite:///from-env.db"
    assert load(tmp_path, env=env, profile="staging").database_url == "sqlite:///from-env.db"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u@h:5432/db", "postgresql+psycopg://u@h:5432/db"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgresql+psycopg2://u@h/db", "postgresql+psycopg2://u@h/db"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_postgres_urls_get_the_psycopg_driver(tmp_path, url, expected):
    assert load(tmp_path, env={"ACCTCTL_DATABASE_URL": url}).database_url == expected


def test_unparsable_database_url_is_a_config_error_without_the_password(tmp_path):
    write(tmp_path / "acctctl.toml", '[database]\nurl = "postgresql://u:hunter2@h:port/db"\n')
    message = config_error(tmp_path)
    assert "database.url is not a valid database URL" in message
    assert "hunter2" not in message


def test_password_file_is_read_and_wins_over_url_password(tmp_path):
    write(tmp_path / "conf" / "db.pass", "p@ss:/word\n")
    write(
        tmp_path / "conf" / "acctctl.toml",
        '[database]\nurl = "postgres://app:old@db/acct"\npassword_file = "db.pass"\n',
    )
    loaded = load(tmp_path, config_path="conf/acctctl.toml")  # relative to the config's dir

    url = make_url(loaded.database_url)
    assert url.drivername == "postgresql+psycopg"
    assert (url.username, url.password, url.host) == ("app", "p@ss:/word", "db")


def test_password_file_applies_to_env_url_too(tmp_path):
    pw = write(tmp_path / "db.pass", "s3cret\n")
    write(tmp_path / "acctctl.toml", f'[database]\npassword_file = "{pw}"\n')
    loaded = load(tmp_path, env={"ACCTCTL_DATABASE_URL": "postgresql://app@db/acct"})
    assert make_url(loaded.database_url).password == "s3cret"


def test_missing_password_file_is_a_config_error_naming_it(tmp_path):
    write(
        tmp_path / "acctctl.toml",
        '[database]\nurl = "postgresql://app@db/acct"\npassword_file = "/nonexistent/db.pass"\n',
    )
    message = config_error(tmp_path)
    assert "/nonexistent/db.pass" in message


def test_password_file_is_ignored_with_a_warning_for_sqlite(tmp_path):
    write(tmp_path / "acctctl.toml", '[database]\npassword_file = "/nonexistent"\n')
    loaded = load(tmp_path)
    assert loaded.database_url.startswith("sqlite:///")
    assert any("password_file is ignored" in w for w in loaded.warnings)


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        (
            "postgresql+psycopg://app:hunter2@db:5432/acct",
            "postgresql+psycopg://app:***@db:5432/acct",
        ),
        ("postgresql://app:p%40ss@db/acct", "postgresql://app:***@db/acct"),
        ("postgresql://app:p@ss@db/acct", "postgresql://app:***@db/acct"),  # unescaped @
        (
            "postgresql://db/acct?password=hunter2&sslmode=require",
            "postgresql://db/acct?password=***&sslmode=require",
        ),
        ("not a url ://app:hunter2@db", "not a url ://app:***@db"),  # SQLAlchemy cannot parse
        ("postgresql://app:hunter2@db:port/acct", "postgresql://app:***@db:port/acct"),
        ("postgresql://app@db/acct", "postgresql://app@db/acct"),
        ("sqlite:///acctctl.db", "sqlite:///acctctl.db"),
    ],
)
def test_mask_url(url, masked):
    assert mask_url(url) == masked


# --- errors ---------------------------------------------------------------------------------


def test_malformed_toml_reports_file_line_and_column(tmp_path):
    path = write(tmp_path / "acctctl.toml", '[numbers]\nlength = 10\nprefix = "12\n')
    message = config_error(tmp_path)
    assert message.startswith(f"{path}:3:")
    assert "invalid TOML" in message
    assert "(at line" not in message  # position is in the prefix, not repeated


def test_unknown_key_reports_line_and_dotted_key(tmp_path):
    text = """\
# acctctl config
[database]
url = ""

[numbers]
length = 10
lenght = 12
"""
    path = write(tmp_path / "acctctl.toml", text)
    assert config_error(tmp_path) == f"{path}:7: unknown key 'numbers.lenght'"


def test_unknown_section_and_every_problem_reported_in_line_order(tmp_path):
    text = """\
[defaults]
valid_days = 0
[extra]
x = 1
"""
    path = write(tmp_path / "acctctl.toml", text)
    lines = config_error(tmp_path).splitlines()
    assert lines[0].startswith(f"{path}:2: defaults.valid_days: Input should be greater")
    assert lines[1] == f"{path}:3: unknown key 'extra'"


@pytest.mark.parametrize(
    ("text", "line", "expected"),
    [
        ('[defaults]\ncountry = "US"\nvalid_days = 40000\n', 3, "defaults.valid_days: Input"),
        ('[numbers]\nlength = "10"\n', 2, "numbers.length: Input should be a valid integer"),
        ("[numbers]\ngenerate_pin = 1\n", 2, "numbers.generate_pin: Input should be a valid bool"),
        ('[numbers]\nprefix = "12a"\n', 2, "numbers.prefix: must contain digits 0-9 only"),
        ('[numbers]\nlength = 4\nprefix = "1234"\n', 3, "numbers.prefix: must be shorter than"),
        ("[numbers]\npin_length = 3\n", 2, "numbers.pin_length: Input should be greater"),
        (
            "[passwords]\nmin_length = 20\ngenerated_length = 16\n",
            3,
            "passwords.generated_length: must be at least passwords.min_length (20)",
        ),
        ("[passwords]\nhash_memory_kib = 512\n", 2, "passwords.hash_memory_kib: Input should"),
        ("[defaults]\nlow_balance_alert = -1\n", 2, "defaults.low_balance_alert: Input should"),
        ('[defaults]\ntaxes = [\n  "vat",\n  3,\n]\n', 2, "defaults.taxes.1: Input should be"),
        ("database = { url = 5 }\n", 1, "database.url: Input should be a valid string"),
        ("numbers = 5\n", 1, "numbers: Input should be a valid dictionary"),
    ],
)
def test_bad_value_reports_line_and_dotted_key(tmp_path, text, line, expected):
    path = write(tmp_path / "acctctl.toml", text)
    assert config_error(tmp_path).startswith(f"{path}:{line}: {expected}")


def test_locator_ignores_lookalike_lines_inside_multiline_values(tmp_path):
    text = '''\
[defaults]
rate_group = """
[numbers]
valid_days = 1
"""
taxes = [
  "a = b",
]
valid_days = 0
'''
    path = write(tmp_path / "acctctl.toml", text)
    assert config_error(tmp_path).startswith(f"{path}:9: defaults.valid_days:")


def test_locator_skips_header_lookalikes_inside_multiline_arrays(tmp_path):
    text = """\
[profiles.x]
matrix = [
  ["defaults"]
]
valid_days = 1

[defaults]
valid_days = 0
"""
    path = write(tmp_path / "acctctl.toml", text)
    assert config_error(tmp_path).startswith(f"{path}:8: defaults.valid_days:")


# --- permission warning ---------------------------------------------------------------------

SECRET = '[database]\nurl = "postgresql://app:hunter2@db/acct"\n'


def test_warns_when_file_with_password_is_group_or_world_readable(tmp_path):
    path = write(tmp_path / "acctctl.toml", SECRET, mode=0o644)
    loaded = load(tmp_path)
    assert loaded.warnings == [
        f"warning: {path} holds a database password and is readable by group or others; "
        f"run: chmod 600 {path}"
    ]


def test_no_warning_for_private_file(tmp_path):
    write(tmp_path / "acctctl.toml", SECRET, mode=0o600)
    assert load(tmp_path).warnings == []


def test_no_warning_without_password(tmp_path):
    write(tmp_path / "acctctl.toml", '[database]\nurl = "postgresql://app@db/a"\n', mode=0o644)
    assert load(tmp_path).warnings == []


def test_warns_for_password_in_an_unselected_profile(tmp_path):
    text = '[profiles.prod.database]\nurl = "postgresql://app:pw@db/acct"\n'
    write(tmp_path / "acctctl.toml", text, mode=0o640)
    assert len(load(tmp_path).warnings) == 1


# --- config show / config init --------------------------------------------------------------


def test_effective_settings_dict_masks_password_and_is_toml_serialisable(tmp_path):
    text = SECRET + "[defaults]\nlow_balance_alert = 2.5\n[profiles.x.numbers]\nlength = 9\n"
    path = write(tmp_path / "acctctl.toml", text)
    shown = effective_settings_dict(load(tmp_path))

    assert shown["config_file"] == str(path)
    assert shown["profile"] == "(none)"
    assert shown["database"]["url"] == "postgresql://app:***@db/acct"  # as written, masked
    assert shown["defaults"]["low_balance_alert"] == "2.5"
    assert "profiles" not in shown
    assert "hunter2" not in tomli_w.dumps(shown)


def test_effective_settings_dict_for_builtin_defaults(tmp_path):
    shown = effective_settings_dict(load(tmp_path))
    assert shown["config_file"] == "(built-in defaults)"
    assert shown["defaults"]["low_balance_alert"] == 5
    assert shown["database"]["url"].startswith("sqlite:///")


def test_default_config_round_trips_to_the_builtin_defaults(tmp_path):
    doc = default_config_dict()
    assert set(doc) == {"database", "numbers", "passwords", "defaults"}
    path = tmp_path / "new" / "config.toml"
    write_config(path, doc)
    loaded = load(tmp_path, config_path=str(path))
    assert loaded.settings == config.Settings()


def test_write_config_creates_parents_and_mode_0600(tmp_path):
    path = tmp_path / "a" / "b" / "config.toml"
    write_config(path, {"database": {"url": "postgresql://app:pw@db/acct"}})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert tomllib.loads(path.read_text())["database"]["url"] == "postgresql://app:pw@db/acct"


def test_write_config_refuses_to_overwrite_without_force(tmp_path):
    path = write(tmp_path / "config.toml", "keep = 1\n")
    with pytest.raises(ConfigError, match="exists; use --force to overwrite") as caught:
        write_config(path, default_config_dict())
    assert caught.value.exit_code == EXIT_CONFIG
    assert path.read_text() == "keep = 1\n"


def test_write_config_force_overwrites_and_tightens_mode(tmp_path):
    path = write(tmp_path / "config.toml", "keep = 1\n", mode=0o644)
    write_config(path, {"numbers": {"length": 12}}, force=True)
    assert tomllib.loads(path.read_text()) == {"numbers": {"length": 12}}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_write_config_serialises_decimals(tmp_path):
    path = tmp_path / "config.toml"
    write_config(path, {"defaults": {"low_balance_alert": Decimal("7.25")}})
    assert tomllib.loads(path.read_text()) == {"defaults": {"low_balance_alert": "7.25"}}


def test_write_config_creates_the_file_0600_from_the_start(tmp_path, monkeypatch):
    # The final mode alone cannot show that the file was never briefly world-readable.
    real_open = os.open
    modes: list[int] = []

    def spy(path, flags, mode=0o777, *args, **kwargs):
        modes.append(mode)
        return real_open(path, flags, mode, *args, **kwargs)

    monkeypatch.setattr(os, "open", spy)
    write_config(tmp_path / "config.toml", default_config_dict())
    assert modes == [0o600]


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [("country", "Narnia", "unknown country"), ("timezone", "Mars/Base", "unknown time zone"),
     ("currency", "ZZZ", "unknown currency")],
)
def test_defaults_follow_the_account_field_rules(tmp_path, key, value, message):
    # a bad default is the config's fault (exit 5, file and line), not a flag's at create time
    path = write(tmp_path / "acctctl.toml", f'[defaults]\nrate_group = "x"\n{key} = "{value}"\n')
    error = config_error(tmp_path)
    assert error.startswith(f"{path}:3: defaults.{key}: {message}")


def test_defaults_are_normalised_like_flags(tmp_path):
    write(tmp_path / "acctctl.toml", '[defaults]\ncountry = "gbr"\ncurrency = "eur"\n')
    settings = load_settings(env={}, cwd=tmp_path).settings
    assert (settings.defaults.country, settings.defaults.currency) == ("GB", "EUR")


def test_write_config_refuses_values_that_would_not_load(tmp_path):
    from acctctl.config import default_config_dict, write_config

    values = default_config_dict()
    values["numbers"]["length"] = 0
    with pytest.raises(ConfigError, match="numbers.length"):
        write_config(tmp_path / "new.toml", values)
    assert not (tmp_path / "new.toml").exists()


def test_warns_when_the_password_file_is_group_or_world_readable(tmp_path):
    pw = write(tmp_path / "db.pass", "s3cret\n", mode=0o640)
    write(tmp_path / "acctctl.toml", f'[database]\nurl = "postgresql://app@db/a"\n'
          f'password_file = "{pw}"\n')
    assert load(tmp_path).warnings == [
        f"warning: {pw} holds a database password and is readable by group or others; "
        f"run: chmod 600 {pw}"
    ]
    pw.chmod(0o600)
    assert load(tmp_path).warnings == []


def test_config_init_writes_where_acctctl_reads(tmp_path, user_dirs):
    from acctctl.config import config_init_path

    named = tmp_path / "named.toml"
    assert config_init_path(None, env={"ACCTCTL_CONFIG": str(named)}, cwd=tmp_path) == named
    assert config_init_path("x.toml", env={"ACCTCTL_CONFIG": str(named)},
                            cwd=tmp_path) == tmp_path / "x.toml"
    assert config_init_path(None, env={}, cwd=tmp_path) == user_config_path()
    write(tmp_path / "acctctl.toml", "")
    assert config_init_path(None, env={}, cwd=tmp_path) == tmp_path / "acctctl.toml"


def test_config_init_command_honours_acctctl_config(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from acctctl.cli import app

    monkeypatch.chdir(tmp_path)
    named = tmp_path / "etc" / "acctctl.toml"
    env = {"ACCTCTL_CONFIG": str(named), "ACCTCTL_DATABASE_URL": ""}
    runner = CliRunner()
    result = runner.invoke(app, ["config", "init", "--country", "DE"], env=env)
    assert result.exit_code == 0, result.stderr
    assert named.exists() and stat.S_IMODE(named.stat().st_mode) == 0o600
    shown = runner.invoke(app, ["config", "show"], env=env)
    assert shown.exit_code == 0 and str(named) in shown.stdout and '"DE"' in shown.stdout
