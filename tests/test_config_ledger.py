"""`[ledger] url` (contract §8): where the astpp target keeps its batches and audit records.

Default: acctctl's default SQLite file in the user data dir, the same file acctctl's own schema
uses by default; a SQLite or PostgreSQL URL of acctctl's own schema otherwise. `config show`
prints it (password masked) on the astpp target only, where it means something.
"""

from __future__ import annotations

from pathlib import Path

import platformdirs
import pytest
import tomli_w

from acctctl.config import default_config_dict, effective_settings_dict, load_settings
from acctctl.errors import EXIT_CONFIG, ConfigError

ASTPP = '[database]\nurl = "mysql://astpp@db:3306/astpp"\ntarget = "astpp"\n'


@pytest.fixture(autouse=True)
def user_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "user-data"
    monkeypatch.setattr(platformdirs, "user_config_path",
                        lambda app, *a, **k: tmp_path / "user-config" / app)
    monkeypatch.setattr(platformdirs, "user_data_path", lambda app, *a, **k: data / app)
    return data / "acctctl"


def load(tmp_path: Path, text: str, mode: int = 0o600, **kwargs):
    path = tmp_path / "acctctl.toml"
    path.write_text(text)
    path.chmod(mode)
    return load_settings(cwd=tmp_path, env=kwargs.pop("env", {}), **kwargs)


def test_the_default_ledger_is_acctctls_default_sqlite_file(tmp_path, user_dirs):
    loaded = load(tmp_path, ASTPP)
    assert loaded.ledger_url == f"sqlite:///{user_dirs}/acctctl.db"
    # the very file acctctl's own schema uses when no database.url is set
    own = load(tmp_path, "[numbers]\nlength = 9\n")
    assert own.database_url == loaded.ledger_url
    assert "no ledger.url" in loaded.ledger_source


def test_ledger_url_postgresql_gets_acctctls_driver_and_is_shown_masked(tmp_path):
    loaded = load(tmp_path, ASTPP + '[ledger]\nurl = "postgresql://led:s3cret@pg/ledger"\n')
    assert loaded.ledger_url == "postgresql+psycopg://led:s3cret@pg/ledger"
    shown = effective_settings_dict(loaded)
    assert shown["ledger"]["url"] == "postgresql://led:***@pg/ledger"
    assert "s3cret" not in tomli_w.dumps(shown)
    assert loaded.ledger_source == f"ledger.url in {tmp_path / 'acctctl.toml'}"


def test_config_show_prints_the_default_ledger_file_on_the_astpp_target(tmp_path, user_dirs):
    shown = effective_settings_dict(load(tmp_path, ASTPP))
    assert shown["ledger"] == {"url": f"sqlite:///{user_dirs}/acctctl.db", "identity": ""}


def test_acctctls_own_schema_has_no_ledger(tmp_path):
    loaded = load(tmp_path, '[ledger]\nurl = "sqlite:///elsewhere.db"\n')
    assert loaded.ledger_url == ""
    assert "ledger" not in effective_settings_dict(loaded)
    assert "ledger" not in default_config_dict()  # config init writes it for astpp only


@pytest.mark.parametrize("url", ["mysql://root@db/ledger", "mariadb://root@db/ledger",
                                 "oracle://x@db/ledger"])
def test_a_ledger_url_not_of_acctctls_own_schema_is_exit_5(tmp_path, url):
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, ASTPP + f'[ledger]\nurl = "{url}"\n')
    assert caught.value.exit_code == EXIT_CONFIG
    assert "ledger.url must be a sqlite:/// or postgresql:// URL" in caught.value.message


def test_a_malformed_ledger_url_is_exit_5_naming_the_key(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, ASTPP + '[ledger]\nurl = "::nope"\n')
    assert "ledger.url is not a valid database URL" in caught.value.message


def test_a_profile_sets_its_own_ledger(tmp_path):
    loaded = load(tmp_path, ASTPP + '[profiles.ci.ledger]\nurl = "sqlite:///ci-ledger.db"\n',
                  profile="ci")
    assert loaded.ledger_url == "sqlite:///ci-ledger.db"
    assert "profiles.ci.ledger.url" in loaded.ledger_source


def test_a_config_holding_the_ledger_password_readable_by_others_warns(tmp_path):
    loaded = load(tmp_path, ASTPP + '[ledger]\nurl = "postgresql://led:pw@pg/ledger"\n',
                  mode=0o644)
    assert any("holds a database password" in w for w in loaded.warnings)


def test_unknown_ledger_key_and_bad_identity_are_exit_5(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, ASTPP + '[ledger]\npath = "x"\n')
    assert "unknown key 'ledger.path'" in caught.value.message
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, ASTPP + '[ledger]\nidentity = "a\\u0007b"\n')
    assert "ledger.identity: must not contain control characters" in caught.value.message
