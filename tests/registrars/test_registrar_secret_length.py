"""[passwords] sip_secret_length: the length of generated SIP secrets (12-64, default 24),
refused up front where a registrar stores the plaintext in a column too short for it."""

from __future__ import annotations

import json

import pytest

from registrars.test_registrar_flavours import bare_db, configure, opensips_v8  # noqa: F401
from registrars.test_registrar_kamailio import DOMAIN, create, registrar_config


def set_length(config_file, length) -> None:
    config_file.write_text(f"[passwords]\nsip_secret_length = {length}\n"
                           + config_file.read_text().replace("[passwords]\n", "", 1))


@pytest.mark.parametrize("length", [11, 65, "\"24\""])
def test_an_out_of_range_length_is_a_config_error_naming_the_key(cli, config_file, length):
    set_length(config_file, length)
    result = cli("create", "customer", "--count", "1")
    assert result.exit_code == 5, result.stderr
    assert "sip_secret_length" in result.stderr
    assert cli("config", "show").exit_code == 5
    edge = 12 if length == 11 else 64  # the bounds themselves are taken
    config_file.write_text(config_file.read_text().replace(
        f"sip_secret_length = {length}", f"sip_secret_length = {edge}"))
    assert cli.json("account", "list") == []  # the refused create wrote nothing
    assert {len(s) for _, s in create(cli, 2)} == {edge}


def test_generated_secrets_have_the_configured_length(cli, config_file):
    set_length(config_file, 40)
    shown = cli("config", "show")
    assert shown.exit_code == 0 and "sip_secret_length = 40" in shown.stdout
    devices = create(cli, 5)
    assert {len(s) for _, s in devices} == {40}
    result = cli("account", "rotate-sip-secret", devices[0][0], "-o", "json")
    assert result.exit_code == 0, result.stderr
    assert len(json.loads(result.stdout)["generated"]["sip_password"]) == 40


def test_the_default_is_24_and_config_init_writes_the_key(cli, tmp_path):
    assert {len(s) for _, s in create(cli, 3)} == {24}
    target = tmp_path / "fresh.toml"
    result = cli("config", "init", "--path", str(target))
    assert result.exit_code == 0, result.stderr
    assert "sip_secret_length = 24" in target.read_text()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("bare_db", ["mysql", "postgresql"], indirect=True)
def test_a_length_a_plaintext_column_cannot_hold_is_refused_before_anything_is_written(
        cli, config_file, bare_db):  # noqa: F811
    opensips_v8(bare_db)  # password CHAR(25)
    set_length(config_file, 30)
    configure(config_file, bare_db, "opensips", store_plaintext=True)
    result = cli("create", "customer", "--count", "3")
    assert result.exit_code == 3, result.stderr
    assert "sip_secret_length = 30" in result.stderr and "25 characters" in result.stderr
    assert cli.json("account", "list") == []
    assert bare_db.execute("SELECT count(*) FROM subscriber") == [(0,)]
    # hashes only: any length works
    config_file.write_text(config_file.read_text().replace("store_plaintext = true",
                                                           "store_plaintext = false"))
    devices = create(cli, 3)
    assert {len(s) for _, s in devices} == {30}
    assert bare_db.execute("SELECT count(*) FROM subscriber") == [(3,)]


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("registrar_db", ["mysql"], indirect=True)
def test_a_long_secret_in_plaintext_registers_where_the_column_holds_it(
        cli, config_file, registrar_db, kamailio, sipp):
    set_length(config_file, 64)  # Kamailio 7's password is varchar(64)
    registrar_config(config_file, registrar_db, store_plaintext=True)
    devices = create(cli, 10)
    assert {len(s) for _, s in devices} == {64}
    server = kamailio(registrar_db, plaintext=True)
    assert sipp(server, devices, DOMAIN, "200")
