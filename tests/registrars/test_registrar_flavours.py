"""Flavour detection and what each flavour gets (contract §11): tables made by hand from
the schema facts of docs/registrars.md (OpenSIPS 3.2+ version 8, ASTPP's OpenSIPS table),
and the ones acctctl refuses (exit 5) without writing anything."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from acctctl.registrars import hashes
from registrars.conftest import drop_registrar_db, make_registrar_db
from registrars.test_registrar_kamailio import DOMAIN, create, states, unmirrored


@pytest.fixture(params=["mysql", "postgresql"])
def bare_db(request):
    db = make_registrar_db(request.param, scripts=())
    yield db
    drop_registrar_db(db)


def version_table(db, subscriber_version: int) -> None:
    db.execute("CREATE TABLE version (table_name VARCHAR(32) NOT NULL PRIMARY KEY, "
               "table_version INTEGER DEFAULT 0 NOT NULL)")
    db.execute("INSERT INTO version VALUES ('subscriber', %s)", (subscriber_version,))


def opensips_v8(db) -> None:
    """OpenSIPS 3.2+ `subscriber` (version 8): CHAR columns, password CHAR(25), the RFC 8760
    SHA-2 columns and no ha1b."""
    version_table(db, 8)
    serial = "SERIAL" if db.backend == "postgresql" else "INT UNSIGNED AUTO_INCREMENT"
    db.execute(f"CREATE TABLE subscriber (id {serial} PRIMARY KEY, "
               "username CHAR(64) DEFAULT '' NOT NULL, domain CHAR(64) DEFAULT '' NOT NULL, "
               "password CHAR(25) DEFAULT '' NOT NULL, ha1 CHAR(64) DEFAULT '' NOT NULL, "
               "ha1_sha256 CHAR(64) DEFAULT '' NOT NULL, "
               "ha1_sha512t256 CHAR(64) DEFAULT '' NOT NULL, "
               "CONSTRAINT account_idx UNIQUE (username, domain))")


def configure(config_file, db, kind: str, store_plaintext: bool = False) -> None:
    config_file.write_text(config_file.read_text() + (
        f'\n[[registrars]]\nname = "edge"\nkind = "{kind}"\nurl = "{db.acctctl_url}"\n'
        f'domain = "{DOMAIN}"\nstore_plaintext = {str(store_plaintext).lower()}\n'))


def test_opensips_v8_gets_the_sha_columns_and_no_plaintext(cli, config_file, bare_db):
    opensips_v8(bare_db)
    configure(config_file, bare_db, "opensips")
    devices = dict(create(cli, 4))
    result = cli("registrar", "sync")
    assert result.exit_code == 0, result.stderr
    assert "opensips (subscriber table version 8)" in result.stderr
    rows = bare_db.execute("SELECT username, domain, password, ha1, ha1_sha256, "
                           "ha1_sha512t256 FROM subscriber")
    assert len(rows) == 4
    for username, domain, password, ha1, sha256, sha512t256 in rows:
        secret = devices[username.rstrip()]
        assert (domain.rstrip(), password.rstrip()) == (DOMAIN, "")
        assert ha1.rstrip() == hashes.ha1(username.rstrip(), DOMAIN, secret)
        assert sha256.rstrip() == hashes.ha1_sha256(username.rstrip(), DOMAIN, secret)
        assert sha512t256.rstrip() == hashes.ha1_sha512t256(username.rstrip(), DOMAIN, secret)
    assert states(cli, 0) == {}  # PostgreSQL pads CHAR(64): still no stale row


def test_a_secret_the_password_column_cannot_hold_is_refused_before_any_write(
        cli, config_file, bare_db, engine):
    opensips_v8(bare_db)
    configure(config_file, bare_db, "opensips", store_plaintext=True)
    with unmirrored(config_file):
        (long_one, _), *_ = create(cli, 3)
    with engine.begin() as conn:  # a carried-over secret longer than CHAR(25)
        conn.execute(sa.text("UPDATE sip_devices SET secret = :s WHERE username = :u"),
                     {"s": "x" * 30, "u": long_one})
    result = cli("registrar", "sync")
    assert result.exit_code == 3, (result.stdout, result.stderr)
    assert long_one in result.stderr and "25 characters" in result.stderr
    assert "x" * 30 not in result.stderr + result.stdout  # never the secret itself
    assert bare_db.execute("SELECT count(*) FROM subscriber") == [(0,)]
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM registrar_rows")).scalar() == 0
    # a generated secret (24 characters) fits: rotate, then sync writes the plaintext
    assert cli("account", "rotate-sip-secret", long_one).exit_code == 0
    assert cli("registrar", "sync").exit_code == 0
    assert bare_db.execute("SELECT count(*) FROM subscriber WHERE password <> ''") == [(3,)]


@pytest.mark.parametrize("bare_db", ["mysql"], indirect=True)
def test_astpps_opensips_table_gets_the_plaintext_its_proxy_needs(cli, config_file, bare_db):
    version_table(bare_db, 7)
    # ASTPP's extended table (database/opensips_chages.sql), its columns as documented
    bare_db.execute(
        "CREATE TABLE subscriber (id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, "
        "username CHAR(64) NOT NULL DEFAULT '', domain CHAR(64) NOT NULL DEFAULT '', "
        "password CHAR(25) NOT NULL DEFAULT '', email_address CHAR(64) NOT NULL DEFAULT '', "
        "ha1 CHAR(64) NOT NULL DEFAULT '', ha1b CHAR(64) NOT NULL DEFAULT '', "
        "rpid CHAR(64) DEFAULT NULL, accountcode VARCHAR(20) NOT NULL, "
        "pricelist_id INT NOT NULL DEFAULT 0, channel_limit INT DEFAULT NULL, "
        "effective_caller_id_name VARCHAR(50) NOT NULL, "
        "effective_caller_id_number VARCHAR(50) NOT NULL, "
        "creation_date DATETIME NOT NULL DEFAULT '1980-01-01 00:00:00', "
        "last_modified_date DATETIME NOT NULL DEFAULT '1980-01-01 00:00:00', "
        "reseller_id INT NOT NULL, status INT NOT NULL DEFAULT 0, "
        "UNIQUE KEY account_idx (username, domain))")
    configure(config_file, bare_db, "astpp-opensips")  # store_plaintext false: still needed
    devices = dict(create(cli, 2))
    assert cli("registrar", "sync").exit_code == 0
    rows = bare_db.execute("SELECT username, password, accountcode, status, ha1b "
                           "FROM subscriber")
    assert {r[0]: r[1] for r in rows} == devices
    for username, _, accountcode, status, ha1b in rows:
        assert (accountcode, status) == (username, 0)
        assert ha1b == hashes.ha1b(username, DOMAIN, DOMAIN, devices[username])
    assert states(cli, 0) == {}


def _kamailio_v7_as_opensips_v8(db):
    version_table(db, 8)
    db.execute("CREATE TABLE subscriber (username VARCHAR(64), domain VARCHAR(64), "
               "password VARCHAR(64), ha1 VARCHAR(128), ha1b VARCHAR(128))")


UNKNOWN = {
    "no tables at all": (lambda db: None, "kamailio", "no `version` row"),
    "no subscriber row in version": (
        lambda db: version_table(db, 7) or db.execute("DELETE FROM version"), "kamailio",
        "no `version` row"),
    "a version acctctl does not know": (
        lambda db: version_table(db, 5) or db.execute(
            "CREATE TABLE subscriber (username VARCHAR(64), domain VARCHAR(64), "
            "password VARCHAR(25), ha1 VARCHAR(64), ha1b VARCHAR(64))"),
        "kamailio", "version 5"),
    "an OpenSIPS v8 table configured as kamailio": (opensips_v8, "kamailio", "opensips"),
    "ha1b where version 8 needs the SHA-2 columns": (
        _kamailio_v7_as_opensips_v8, "opensips", "kamailio"),
    "no ha1 column": (
        lambda db: version_table(db, 7) or db.execute(
            "CREATE TABLE subscriber (username VARCHAR(64), domain VARCHAR(64), "
            "password VARCHAR(64))"), "kamailio", "no ha1 column"),
}


@pytest.mark.parametrize("bare_db", ["mysql"], indirect=True)
@pytest.mark.parametrize("case", UNKNOWN, ids=list(UNKNOWN))
def test_an_unknown_flavour_is_exit_5_and_nothing_is_written(cli, config_file, bare_db, case):
    make, kind, words = UNKNOWN[case]
    make(bare_db)
    configure(config_file, bare_db, kind)
    with unmirrored(config_file):
        create(cli, 1)
    refused = cli("create", "customer", "--count", "1")  # mirrored: refused before writing
    assert refused.exit_code == 5 and words in refused.stderr, refused.stderr
    for command in (("registrar", "check"), ("registrar", "sync")):
        result = cli(*command)
        assert result.exit_code == 5, (case, result.stdout, result.stderr)
        assert "registrar edge" in result.stderr and words in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
    tables = {r[0] for r in bare_db.execute("SHOW TABLES")}
    assert tables <= {"version", "subscriber"}  # never any DDL
    if "subscriber" in tables:
        assert bare_db.execute("SELECT count(*) FROM subscriber") == [(0,)]


def test_check_json_lists_unmanaged_rows_of_any_domain(cli, config_file, bare_db):
    opensips_v8(bare_db)
    configure(config_file, bare_db, "opensips")
    bare_db.execute("INSERT INTO subscriber (username, domain) VALUES ('gw', 'elsewhere.test')")
    result = cli("registrar", "check", "edge", "-o", "json")
    assert result.exit_code == 0, result.stderr
    assert [(r["username"], r["domain"], r["state"]) for r in json.loads(result.stdout)] == [
        ("gw", "elsewhere.test", "unmanaged")]
