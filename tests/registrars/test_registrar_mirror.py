"""Every command that writes SIP devices mirrors them into the registrars itself (contract
§11, docs/registrars.md "Order of writes"): no `registrar sync` in between, a real Kamailio
on a MariaDB- and a PostgreSQL-backed table authenticating REGISTER, acctctl's own accounts
on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest

from registrars.test_registrar_kamailio import DOMAIN, create, registrar_config, states

OPERATOR_ROWS = ("INSERT INTO subscriber (username, domain, ha1) VALUES "
                 "('trunk-1', %s, 'operator-made'), ('phone-9', 'other.test', 'x')")


def operator_rows_untouched(db) -> None:
    rows = db.execute("SELECT username, domain, ha1 FROM subscriber WHERE username "
                      "IN ('trunk-1', 'phone-9') ORDER BY username")
    assert [tuple(r) for r in rows] == [("phone-9", "other.test", "x"),
                                        ("trunk-1", DOMAIN, "operator-made")]


def usernames(db) -> set[str]:
    return {r[0] for r in db.execute("SELECT username FROM subscriber WHERE domain = %s",
                                     (DOMAIN,))} - {"trunk-1"}


def test_a_thousand_created_devices_register_without_sync(cli, config_file, registrar_db,
                                                          kamailio, sipp):
    registrar_config(config_file, registrar_db)
    registrar_db.execute(OPERATOR_ROWS, (DOMAIN,))
    devices = create(cli, 1000)
    assert states(cli, 0) == {"unmanaged": {"trunk-1", "phone-9"}}  # nothing to sync
    server = kamailio(registrar_db)
    assert sipp(server, devices, DOMAIN, "200"), "a created device could not register"
    wrong = [(u, s[::-1] + "x") for u, s in devices[:20]]
    assert sipp(server, wrong, DOMAIN, "401"), "a wrong secret was not refused"
    operator_rows_untouched(registrar_db)


def test_day_two_commands_take_effect_in_the_registrar_at_once(cli, config_file, registrar_db,
                                                               kamailio, sipp):
    registrar_config(config_file, registrar_db)
    registrar_db.execute(OPERATOR_ROWS, (DOMAIN,))
    devices = create(cli, 6)
    (off, off_secret), (gone, _), (purged, _), (rotated, old_secret) = devices[:4]
    undone = cli("create", "customer", "--count", "2", "-o", "json")
    assert undone.exit_code == 0, undone.stderr
    batch = json.loads(undone.stdout)
    undone_devices = [(a["number"], a["generated"]["sip_password"]) for a in batch["created"]]
    server = kamailio(registrar_db)
    assert sipp(server, devices + undone_devices, DOMAIN, "200")

    assert cli("account", "disable", off).exit_code == 0
    assert cli("account", "delete", gone, "--yes").exit_code == 0
    assert cli("account", "delete", purged, "--purge", "--yes").exit_code == 0
    result = cli("batch", "undo", batch["batch_id"], "--yes")
    assert result.exit_code == 0, result.stderr
    assert states(cli, 0) == {"unmanaged": {"trunk-1", "phone-9"}}
    refused = [devices[0], devices[1], devices[2], *undone_devices]
    assert sipp(server, refused, DOMAIN, "401"), "a disabled/deleted/purged/undone device " \
        "still registered"
    assert usernames(registrar_db) == {u for u, _ in devices[3:]}

    assert cli("account", "enable", off).exit_code == 0  # the same secret comes back
    assert sipp(server, [(off, off_secret)], DOMAIN, "200")

    result = cli("account", "rotate-sip-secret", rotated, "-o", "json")
    assert result.exit_code == 0, result.stderr
    new_secret = json.loads(result.stdout)["generated"]["sip_password"]
    assert new_secret != old_secret
    assert sipp(server, [(rotated, old_secret)], DOMAIN, "401"), "the old secret still works"
    assert sipp(server, [(rotated, new_secret)], DOMAIN, "200")

    assert cli("account", "update", off, "--status", "inactive").exit_code == 0
    assert sipp(server, [(off, off_secret)], DOMAIN, "401")
    assert cli("account", "update", off, "--status", "active").exit_code == 0
    assert sipp(server, [(off, off_secret)], DOMAIN, "200")
    assert states(cli, 0) == {"unmanaged": {"trunk-1", "phone-9"}}
    operator_rows_untouched(registrar_db)


@pytest.mark.parametrize("registrar_db", ["postgresql"], indirect=True)
def test_file_imports_and_the_wizard_path_mirror_too(cli, config_file, registrar_db, tmp_path):
    registrar_config(config_file, registrar_db)
    rows = tmp_path / "customers.csv"
    rows.write_text("first_name,last_name,email\n" + "".join(
        f"Ann,Lee,ann{i}@example.com\n" for i in range(5)) + "Bad,Row,not-an-email\n")
    result = cli("create", "customer", "--from-file", str(rows), "--continue-on-error",
                 "-o", "json")
    assert result.exit_code == 6, result.stderr
    created = {a["number"] for a in json.loads(result.stdout)["created"]}
    assert len(created) == 5 and usernames(registrar_db) == created
    assert states(cli, 0) == {}


@pytest.mark.parametrize("registrar_db", ["mysql"], indirect=True)
def test_dry_runs_write_no_registrar(cli, config_file, registrar_db):
    registrar_config(config_file, registrar_db)
    assert cli("create", "customer", "--count", "3", "--dry-run").exit_code == 0
    assert registrar_db.execute("SELECT count(*) FROM subscriber") == [(0,)]
    (user, _), *_ = create(cli, 2)
    result = cli("account", "disable", user, "--dry-run")
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert cli("account", "delete", user, "--purge", "--yes", "--dry-run").exit_code == 0
    assert user in usernames(registrar_db)
    assert states(cli, 0) == {}


def test_an_unreachable_registrar_stops_the_command_before_anything_is_written(
        cli, config_file):
    from registrars.conftest import free_udp_port

    closed = free_udp_port()  # nothing listens on this TCP port of the loopback
    config_file.write_text(config_file.read_text() + (
        f'\n[[registrars]]\nname = "down"\nkind = "kamailio"\n'
        f'url = "mysql://root@127.0.0.1:{closed}/kamailio"\ndomain = "{DOMAIN}"\n'))
    result = cli("create", "customer", "--count", "3")
    assert result.exit_code == 5, result.stderr
    assert "registrar down" in result.stderr
    assert cli.json("account", "list") == []


@pytest.mark.parametrize("registrar_db", ["postgresql"], indirect=True)
def test_a_registrar_failing_after_the_accounts_commit_is_partial_and_sync_repairs(
        cli, config_file, registrar_db, monkeypatch):
    import sqlalchemy as sa

    registrar_config(config_file, registrar_db)

    def lost(*_args, **_kwargs):
        raise sa.exc.OperationalError("INSERT", {}, Exception("server closed the connection"))

    with monkeypatch.context() as patch:
        patch.setattr("acctctl.registrars.subscribers.upsert", lost)
        result = cli("create", "customer", "--count", "4", "-o", "json")
    assert result.exit_code == 6, result.stderr
    assert "acctctl registrar sync" in result.stderr
    created = {a["number"] for a in json.loads(result.stdout)["created"]}
    assert len(created) == 4  # the accounts (and their secrets) are there
    assert states(cli, 6) == {"missing": created}  # recorded, never unmanaged
    assert cli("registrar", "sync").exit_code == 0
    assert states(cli, 0) == {}


@pytest.mark.parametrize("registrar_db", ["mysql"], indirect=True)
def test_a_conflicting_operator_row_is_left_alone_and_reported(cli, config_file, registrar_db):
    registrar_config(config_file, registrar_db)
    (user, _), *_ = create(cli, 1)
    assert cli("account", "disable", user).exit_code == 0
    registrar_db.execute("INSERT INTO subscriber (username, domain, ha1) VALUES (%s, %s, 'own')",
                         (user, DOMAIN))
    result = cli("account", "enable", user)
    assert result.exit_code == 6 and "does not manage" in result.stderr
    assert registrar_db.execute("SELECT ha1 FROM subscriber WHERE username = %s",
                                (user,)) == [("own",)]
    assert cli.json("account", "show", user)["status"] == "active"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("registrar_db", ["mysql"], indirect=True)
def test_create_mirrors_a_thousand_devices_in_bulk_statements(cli, config_file, registrar_db):
    import sqlalchemy as sa

    registrar_config(config_file, registrar_db)
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args):
        statements.append(statement.lstrip().split("(")[0].upper())

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", seen)
    try:
        devices = create(cli, 1000)
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", seen)
    # one INSERT per chunk of 500 rows in the registrar and in the record, never one per row
    assert statements.count("INSERT INTO SUBSCRIBER ") == 2
    assert statements.count("INSERT INTO REGISTRAR_ROWS ") == 2
    assert sum(s.startswith("SELECT USERNAME FROM SUBSCRIBER") for s in statements) == 2
    assert usernames(registrar_db) == {u for u, _ in devices}
