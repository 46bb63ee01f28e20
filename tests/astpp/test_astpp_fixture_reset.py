"""The astpp_db fixture (conftest.py, _AstppDatabases): each test's database is as schema.sql
makes it, whatever the test before it did: rows, AUTO_INCREMENT counters and table shapes."""

from __future__ import annotations

from astpp.astpp_helpers import execute, rows


def _state(databases) -> tuple:
    """Everything reset() puts back, read from the database tests use now."""
    return databases._state(databases.name)


def test_rows_and_counters_a_test_changed_are_put_back(_astpp_databases, astpp_db, db):
    name, _ = astpp_db
    fresh = _state(_astpp_databases)
    assert fresh == (_astpp_databases.shape, _astpp_databases.counters, _astpp_databases.sums)
    execute(db, "SET SESSION sql_mode = ''")  # as ASTPP writes: its NOT NULLs left out
    execute(db, "INSERT INTO accounts (number, pricelist_id) VALUES ('4199999999', 1)")
    execute(db, "DELETE FROM accounts WHERE number = '4199999999'")  # rows as before, counter not
    execute(db, "UPDATE `system` SET value = 'changed' WHERE name = 'decimal_points'")
    execute(db, "DELETE FROM currency")
    execute(db, "INSERT INTO sip_devices (username, accountid, dir_params, dir_vars, codec) "
            "VALUES ('9', 1, '{}', '{}', '')")
    assert _state(_astpp_databases) != fresh
    db.commit()

    _astpp_databases.reset()
    assert _astpp_databases.name == name  # put back in place: no new database
    assert _state(_astpp_databases) == fresh


def test_a_changed_shape_gets_a_freshly_loaded_database(_astpp_databases, astpp_db, db):
    name, _ = astpp_db
    fresh = _state(_astpp_databases)
    execute(db, "ALTER TABLE sip_devices DROP COLUMN codec")
    execute(db, "CREATE TABLE stray (id INT)")
    db.commit()

    _astpp_databases.reset()
    assert _astpp_databases.name != name
    assert _state(_astpp_databases) == fresh
    assert rows(db, "SELECT COUNT(*) AS n FROM information_schema.SCHEMATA WHERE "
                "SCHEMA_NAME = %s", name) == [{"n": 0}]
