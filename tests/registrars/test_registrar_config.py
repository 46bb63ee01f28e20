"""[[registrars]] in the config (contract §11): validated, masked, and the errors of
`registrar check|sync` before any registrar is reached."""

from __future__ import annotations

import pytest

from acctctl.config import load_settings, registrar_url
from conftest import TEST_CONFIG, Cli

EDGE = """
[[registrars]]
name = "edge"
kind = "kamailio"
url = "mysql://kamailio:Sekr1t-pw@127.0.0.1:1/kamailio"
domain = "sip.test"
"""


@pytest.fixture
def offline(tmp_path, monkeypatch):
    """acctctl with a SQLite accounts database and a config the test writes."""
    config = tmp_path / "acctctl.toml"
    monkeypatch.chdir(tmp_path)

    def run(text: str) -> Cli:
        config.write_text(TEST_CONFIG + text)
        config.chmod(0o600)
        return Cli({"ACCTCTL_CONFIG": str(config), "ACCTCTL_DATABASE_URL":
                    f"sqlite:///{tmp_path / 'a.db'}", "COLUMNS": "200", "NO_COLOR": "1"})
    return run


def test_config_show_masks_every_registrar_password(offline):
    result = offline(EDGE)("config", "show")
    assert result.exit_code == 0, result.stderr
    assert "Sekr1t-pw" not in result.stdout + result.stderr
    assert 'url = "mysql://kamailio:***@127.0.0.1:1/kamailio"' in result.stdout
    assert 'domain = "sip.test"' in result.stdout and "store_plaintext = false" in result.stdout


@pytest.mark.parametrize("bad, words", [
    ('kind = "asterisk"', "registrars.0.kind: must be one of kamailio, opensips, astpp-opensips"),
    ('url = "sqlite:///x.db"', "registrars.0.url: must be a mysql://, mariadb:// or "
                               "postgresql:// URL"),
    ('name = "two words"', "registrars.0.name: must be 1-64 letters"),
    ('domain = ""', "registrars.0.domain"),
])
def test_a_bad_registrar_is_a_config_error_naming_the_key(offline, bad, words):
    key = bad.split(" = ")[0]
    text = "\n".join(line if not line.startswith(f"{key} =") else bad
                     for line in EDGE.splitlines())
    result = offline(text)("registrar", "check")
    assert result.exit_code == 5, result.stderr
    assert words in result.stderr
    assert "Traceback" not in result.stderr


def test_two_registrars_with_one_name_are_refused(offline):
    result = offline(EDGE + EDGE)("config", "show")
    assert result.exit_code == 5
    assert "two registrars are named 'edge'" in result.stderr


def test_without_registrars_or_with_an_unknown_name_is_a_usage_error(offline):
    result = offline("")("registrar", "check")
    assert result.exit_code == 2 and "no registrars are configured" in result.stderr
    result = offline(EDGE)("registrar", "sync", "core")
    assert result.exit_code == 2 and "no registrar is named 'core'; configured: edge" \
        in result.stderr


def test_an_unreachable_registrar_is_exit_5_without_its_password(offline):
    result = offline(EDGE)("registrar", "check")
    assert result.exit_code == 5, result.stderr
    assert "cannot use registrar edge at mysql://kamailio:***@127.0.0.1:1/kamailio" \
        in result.stderr
    assert "Sekr1t-pw" not in result.stderr and "Traceback" not in result.stderr


def test_password_file_gives_the_connection_its_password_and_never_the_shown_url(tmp_path):
    (tmp_path / "kam.pw").write_text("from-file\n")
    (tmp_path / "kam.pw").chmod(0o600)
    config = tmp_path / "acctctl.toml"
    config.write_text(EDGE.replace("kamailio:Sekr1t-pw@", "kamailio@")
                      + 'password_file = "kam.pw"\n')
    loaded = load_settings(str(config), env={}, cwd=tmp_path)
    warnings: list[str] = []
    url, shown = registrar_url(loaded, loaded.settings.registrars[0], warnings)
    assert url == "mysql+pymysql://kamailio:from-file@127.0.0.1:1/kamailio"
    assert shown == "mysql://kamailio@127.0.0.1:1/kamailio" and warnings == []


def test_a_config_with_a_registrar_password_readable_by_others_warns(tmp_path):
    config = tmp_path / "acctctl.toml"
    config.write_text(EDGE)
    config.chmod(0o644)
    loaded = load_settings(str(config), env={}, cwd=tmp_path)
    assert any("holds a database password" in w for w in loaded.warnings)


def test_registrar_commands_are_listed_by_help(offline):
    result = offline("")("--help")
    assert "registrar" in result.stdout
    result = offline("")("registrar", "--help")
    assert "check" in result.stdout and "sync" in result.stdout


def test_the_astpp_target_is_supported_and_an_unreachable_one_is_exit_5(offline):
    astpp = '[database]\ntarget = "astpp"\nurl = "mysql://root@127.0.0.1:1/astpp"\n'
    result = offline(astpp + EDGE)("registrar", "check",
                                   env={"ACCTCTL_DATABASE_URL": ""})
    assert result.exit_code == 5, result.stderr  # test_registrar_astpp.py: with a database
    assert "not supported" not in result.stderr


def test_the_error_points_at_the_line_of_the_right_registrar(offline, tmp_path):
    second = EDGE.replace('"edge"', '"core"').replace('kind = "kamailio"', 'kind = "sip"')
    result = offline(EDGE + second)("config", "show")
    assert result.exit_code == 5
    line = (TEST_CONFIG + EDGE + second).splitlines().index('kind = "sip"') + 1
    assert f"acctctl.toml:{line}: registrars.1.kind: must be one of" in result.stderr
