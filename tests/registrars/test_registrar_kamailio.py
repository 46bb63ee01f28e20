"""A real Kamailio authenticates REGISTER from the rows `registrar sync` writes (contract
§11), on a MariaDB- and a PostgreSQL-backed registrar, with acctctl's own accounts on
SQLite and PostgreSQL."""

from __future__ import annotations

import json
from contextlib import contextmanager

import pytest

from conftest import Cli

DOMAIN = "sip.test"
COUNT = 200


def registrar_config(config_file, db, name="edge", store_plaintext=False, domain=DOMAIN):
    text = config_file.read_text() + (
        f'\n[[registrars]]\nname = "{name}"\nkind = "kamailio"\nurl = "{db.acctctl_url}"\n'
        f'domain = "{domain}"\nstore_plaintext = {"true" if store_plaintext else "false"}\n')
    config_file.write_text(text)


@contextmanager
def unmirrored(config_file):
    """The registrars left out of the config meanwhile: what changes then reaches them only
    through `registrar sync` (acctctl mirrors every change it makes while they are in)."""
    text = config_file.read_text()
    config_file.write_text(text.partition("\n[[registrars]]")[0] + "\n")
    try:
        yield
    finally:
        config_file.write_text(text)


def create(cli: Cli, count: int) -> list[tuple[str, str]]:
    result = cli("create", "customer", "--count", str(count), "-o", "json")
    assert result.exit_code == 0, result.stderr
    return [(a["number"], a["generated"]["sip_password"])
            for a in json.loads(result.stdout)["created"]]


def states(cli: Cli, code: int) -> dict[str, set[str]]:
    result = cli("registrar", "check", "-o", "json")
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    found: dict[str, set[str]] = {}
    for item in json.loads(result.stdout):
        found.setdefault(item["state"], set()).add(item["username"])
    return found


def test_synced_devices_register_and_changes_converge(cli, config_file, registrar_db,
                                                     kamailio, sipp):
    registrar_config(config_file, registrar_db)
    # an operator's own rows: a trunk, and a phone in another domain
    registrar_db.execute("INSERT INTO subscriber (username, domain, ha1) VALUES "
                         "('trunk-1', %s, 'operator-made'), ('phone-9', 'other.test', 'x')",
                         (DOMAIN,))
    with unmirrored(config_file):
        devices = create(cli, COUNT)
    assert states(cli, 6)["missing"] == {u for u, _ in devices}

    result = cli("registrar", "sync", "-o", "json")
    assert result.exit_code == 0, result.stderr
    assert {r["action"] for r in json.loads(result.stdout)} == {"added"}
    after = states(cli, 0)
    assert after == {"unmanaged": {"trunk-1", "phone-9"}}
    again = cli("registrar", "sync", "-o", "json")  # idempotent: nothing left to do
    assert again.exit_code == 0 and json.loads(again.stdout) == []

    server = kamailio(registrar_db)
    assert sipp(server, devices, DOMAIN, "200"), "a synced device could not register"
    wrong = [(u, s[::-1] + "x") for u, s in devices[:20]]
    assert sipp(server, wrong, DOMAIN, "401"), "a wrong secret was not refused"

    # disable one, delete another: check says so, REGISTER still works until sync
    (off, _), (gone, _) = devices[0], devices[1]
    with unmirrored(config_file):
        assert cli("account", "disable", off).exit_code == 0
        assert cli("account", "delete", gone, "--yes").exit_code == 0
    found = states(cli, 6)
    assert found["wrongly_enabled"] == {off} and found["extra"] == {gone}
    assert cli("registrar", "sync").exit_code == 0
    assert states(cli, 0) == {"unmanaged": {"trunk-1", "phone-9"}}
    assert sipp(server, devices[:2], DOMAIN, "401"), "a disabled or deleted device registered"
    assert sipp(server, devices[2:], DOMAIN, "200")

    # enable restores the same secret
    with unmirrored(config_file):
        assert cli("account", "enable", off).exit_code == 0
    assert states(cli, 6) == {"missing": {off}, "unmanaged": {"trunk-1", "phone-9"}}
    assert cli("registrar", "sync").exit_code == 0
    assert sipp(server, devices[:1], DOMAIN, "200")

    # the operator's rows were never touched
    rows = registrar_db.execute("SELECT username, domain, ha1 FROM subscriber WHERE username "
                                "IN ('trunk-1', 'phone-9') ORDER BY username")
    assert [tuple(r) for r in rows] == [("phone-9", "other.test", "x"),
                                        ("trunk-1", DOMAIN, "operator-made")]


def test_stale_secret_and_hand_edits_are_repaired(cli, config_file, registrar_db, kamailio,
                                                 sipp):
    registrar_config(config_file, registrar_db)
    devices = create(cli, 5)
    assert cli("registrar", "sync").exit_code == 0
    (user, _), (broken, _) = devices[0], devices[1]
    registrar_db.execute("UPDATE subscriber SET ha1 = 'tampered' WHERE username = %s", (user,))
    registrar_db.execute("DELETE FROM subscriber WHERE username = %s", (broken,))
    found = states(cli, 6)
    assert found["stale"] == {user} and found["missing"] == {broken}
    assert cli("registrar", "sync", "--dry-run").exit_code == 0
    assert states(cli, 6)["stale"] == {user}  # the dry run wrote nothing
    assert cli("registrar", "sync").exit_code == 0
    assert states(cli, 0) == {}
    server = kamailio(registrar_db)
    assert sipp(server, devices, DOMAIN, "200")


def test_an_operators_row_holding_a_device_username_is_a_conflict_left_alone(
        cli, config_file, registrar_db):
    registrar_config(config_file, registrar_db)
    with unmirrored(config_file):
        (user, _), *_ = create(cli, 2)
    registrar_db.execute("INSERT INTO subscriber (username, domain, ha1) VALUES (%s, %s, 'own')",
                         (user, DOMAIN))
    result = cli("registrar", "sync", "-o", "json")
    assert result.exit_code == 6, result.stderr
    assert {(r["username"], r["action"]) for r in json.loads(result.stdout)
            if r["state"] == "conflict"} == {(user, "left alone")}
    assert registrar_db.execute("SELECT ha1 FROM subscriber WHERE username = %s",
                                (user,)) == [("own",)]
    assert states(cli, 6)["conflict"] == {user}


@pytest.mark.parametrize("registrar_db", ["mysql"], indirect=True)
def test_store_plaintext_serves_a_proxy_that_computes_ha1(cli, config_file, registrar_db,
                                                         kamailio, sipp):
    registrar_config(config_file, registrar_db, store_plaintext=True)
    devices = create(cli, 10)
    assert cli("registrar", "sync").exit_code == 0
    stored = dict(registrar_db.execute("SELECT username, password FROM subscriber"))
    assert stored == dict(devices)
    server = kamailio(registrar_db, plaintext=True)
    assert sipp(server, devices, DOMAIN, "200")


@pytest.mark.parametrize("registrar_db", ["postgresql"], indirect=True)
def test_a_registrar_added_later_is_filled_and_hashes_only_by_default(cli, config_file,
                                                                      registrar_db, kamailio,
                                                                      sipp):
    devices = create(cli, 30)  # before any registrar is configured
    registrar_config(config_file, registrar_db, name="late")
    assert states(cli, 6)["missing"] == {u for u, _ in devices}
    assert cli("registrar", "sync", "late").exit_code == 0
    assert registrar_db.execute("SELECT count(*) FROM subscriber WHERE password <> ''") == [(0,)]
    server = kamailio(registrar_db)
    assert sipp(server, devices, DOMAIN, "200")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("registrar_db", ["mysql"], indirect=True)
def test_a_thousand_devices_register_after_one_sync_of_two_statements(cli, config_file,
                                                                      registrar_db, kamailio,
                                                                      sipp):
    import sqlalchemy as sa

    registrar_config(config_file, registrar_db)
    with unmirrored(config_file):
        devices = create(cli, 1000)
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args):
        statements.append(statement.lstrip().split("(")[0].upper())

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", seen)
    try:
        assert cli("registrar", "sync").exit_code == 0
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", seen)
    # bulk speed: one INSERT per chunk of 500 rows, in each database, never one per row
    assert statements.count("INSERT INTO SUBSCRIBER ") == 2
    assert statements.count("INSERT INTO REGISTRAR_ROWS ") == 2
    server = kamailio(registrar_db)
    assert sipp(server, devices, DOMAIN, "200")
