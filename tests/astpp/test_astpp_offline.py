"""The astpp target's parts that need no database: encoding vectors, configuration."""

from __future__ import annotations

import tomllib

import pytest

from acctctl.targets.astpp.encoding import PUBLIC_DEFAULT_KEY, decode, encode
from conftest import Cli

# ASTPP 6.0's seed rows, encoded by its PHP code with its public default key
VECTORS = [
    ("8xbJv9wZmjA", "admin"),
    ("dOxAtqeO7E6A-wGlILTl-RLbYiySAwss", "+AZ9X9cwwX@w-hyX"),
    ("lzq1UjaoM44Ed2D07iQY8RLbYiySAwss", "VE9u_CeYZ7-CEG&g"),
]


@pytest.mark.parametrize(("encoded", "plain"), VECTORS)
def test_encoding_matches_astpps_test_vectors(encoded, plain):
    assert decode(encoded, PUBLIC_DEFAULT_KEY) == plain
    assert encode(plain, PUBLIC_DEFAULT_KEY) == encoded


def test_encoding_round_trips_and_a_wrong_key_does_not_decode():
    for text in ("a", "x" * 71, "Pässwörd€1", "a/b+c=d"):
        assert decode(encode(text, PUBLIC_DEFAULT_KEY), PUBLIC_DEFAULT_KEY) == text
    assert len(encode("x" * 71, PUBLIC_DEFAULT_KEY)) <= 100 < len(encode("x" * 72, "k" * 32))
    with pytest.raises(ValueError):
        decode("8xbJv9wZmjA", "another-key-entirely-0123456789")


def test_config_init_writes_an_astpp_profile(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cli = Cli({"ACCTCTL_CONFIG": ""})
    path = tmp_path / "acctctl.toml"
    result = cli("config", "init", "--path", str(path), "--target", "astpp", "--database-url",
                 "mariadb://astppuser@127.0.0.1:3306/astpp", "--astpp-config",
                 "/var/lib/astpp/astpp-config.conf")
    assert result.exit_code == 0, result.stderr
    doc = tomllib.loads(path.read_text())
    assert doc["database"]["target"] == "astpp"
    assert doc["astpp"]["config_file"] == "/var/lib/astpp/astpp-config.conf"
    assert "country" not in doc["defaults"]  # ASTPP's system settings supply it


def test_astpp_target_needs_a_mysql_url_and_a_key(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ACCTCTL_DATABASE_URL", raising=False)
    config = tmp_path / "acctctl.toml"
    config.write_text('[database]\nurl = "sqlite:///x.db"\ntarget = "astpp"\n')
    cli = Cli({"ACCTCTL_CONFIG": str(config)})
    result = cli("create", "customer", "--first-name", "Ada")
    assert result.exit_code == 5 and "mysql://" in result.stderr
    config.write_text('[database]\nurl = "mysql://u@127.0.0.1:1/astpp"\ntarget = "astpp"\n'
                      f'[astpp]\nconfig_file = "{tmp_path / "missing.conf"}"\n')
    result = cli("create", "customer", "--first-name", "Ada")
    assert result.exit_code == 5 and "astpp.config_file" in result.stderr


@pytest.mark.parametrize(("argv", "allowed"), [
    (["acctctl", "--profile", "astpp", "create", "customer", "--first-name", "A"], True),
    (["acctctl", "--config", "x.toml", "account", "show", "123"], True),
    (["acctctl", "account", "list", "--kind", "admin"], True),
    (["acctctl", "reference", "timezones"], True),
    (["acctctl", "account", "update", "123", "--city", "X"], True),
    (["acctctl", "account", "delete", "123"], True),
    (["acctctl", "--profile", "astpp", "batch", "undo", "x"], True),  # the ledger
    (["acctctl", "audit", "list"], True),
    (["acctctl", "rategroup", "create", "gold"], True),  # targets/astpp/entries.py
    (["acctctl", "tax", "delete", "VAT"], True),
    (["acctctl", "role", "create", "x"], False),  # ASTPP's roles are permission sets
    (["acctctl", "db", "upgrade"], False),
])
def test_only_the_commands_built_for_astpp_may_open_it(argv, allowed):
    from acctctl.cli.state import State
    from acctctl.storage import storage_class

    operation = State(argv=argv).command_path().removeprefix("acctctl").strip()
    assert storage_class("astpp").supports(operation) is allowed
