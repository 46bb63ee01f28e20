"""The ASTPP database's identity, the key of its trail in the ledger (acctctl/ledger.py):
the same for every client spelling of the server's address, another for another database."""

from __future__ import annotations

import pytest

from acctctl.ledger import server_identity
from acctctl.targets.astpp.storage import make_engine
from astpp.conftest import driver_url


def _identity(host: str, name: str, configured: str = "") -> str:
    engine = make_engine(driver_url(name, host))
    try:
        with engine.connect() as conn:
            return server_identity(conn, configured)
    finally:
        engine.dispose()


def test_one_database_one_identity_whatever_the_address(astpp_db):
    name, _ = astpp_db
    by_ip, by_name = _identity("127.0.0.1", name), _identity("localhost", name)
    assert by_ip == by_name
    assert by_ip.startswith("astpp:") and by_ip.endswith(f"/{name}")


def test_two_databases_two_identities(astpp_db):
    name, connect = astpp_db
    conn = connect()
    other = name + "_b"
    with conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{other}`")
    try:
        assert _identity("127.0.0.1", name) != _identity("127.0.0.1", other)
    finally:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE `{other}`")
        conn.close()


def test_a_configured_identity_replaces_the_servers(astpp_db):
    name, _ = astpp_db
    assert _identity("127.0.0.1", name, "billing-prod") == "astpp:billing-prod"
    long = _identity("127.0.0.1", name, "x" * 300)
    assert len(long) <= 200 and long.startswith("astpp:xxx") and "#" in long


def test_a_url_without_a_database_has_no_identity(astpp_db):
    from acctctl.errors import DatabaseError

    engine = make_engine(driver_url(""))
    try:
        with engine.connect() as conn, pytest.raises(DatabaseError) as caught:
            server_identity(conn)
    finally:
        engine.dispose()
    assert "names no database" in caught.value.message
