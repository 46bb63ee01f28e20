"""An interruption between the two databases `registrar sync` writes leaves a state that
`check` reports and the next `sync` repairs (docs/registrars.md, order of writes)."""

from __future__ import annotations

import pytest

from registrars.test_registrar_kamailio import create, registrar_config, states, unmirrored


def _boom(*_args, **_kwargs):
    raise KeyboardInterrupt


@pytest.mark.parametrize("registrar_db", ["mysql"], indirect=True)
@pytest.mark.parametrize("where", [
    "acctctl.registrars.record.remember",  # the record first: nothing reached the registrar
    "acctctl.registrars.subscribers.remove",  # after the record, before the registrar commits
])
def test_interrupted_before_the_registrar_commit(cli, config_file, registrar_db,
                                                 monkeypatch, where):
    registrar_config(config_file, registrar_db)
    with unmirrored(config_file):
        devices = {u for u, _ in create(cli, 3)}
    with monkeypatch.context() as patch:
        patch.setattr(where, _boom)
        result = cli("registrar", "sync")
    assert result.exit_code == 130
    assert "may be partly written" in result.stderr and "nothing was written" not in \
        result.stderr
    assert registrar_db.execute("SELECT count(*) FROM subscriber") == [(0,)]
    assert states(cli, 6) == {"missing": devices}  # recorded, so never "unmanaged"
    assert cli("registrar", "sync").exit_code == 0
    assert states(cli, 0) == {}


@pytest.mark.parametrize("registrar_db", ["postgresql"], indirect=True)
def test_interrupted_after_the_registrar_commit(cli, config_file, registrar_db, monkeypatch):
    registrar_config(config_file, registrar_db)
    (gone, _), *_ = create(cli, 3)
    assert cli("registrar", "sync").exit_code == 0
    with unmirrored(config_file):
        assert cli("account", "delete", gone, "--yes").exit_code == 0
    with monkeypatch.context() as patch:  # the row is removed; the record not yet cleared
        patch.setattr("acctctl.registrars.record.forget", _boom)
        assert cli("registrar", "sync").exit_code == 130
    assert registrar_db.execute("SELECT count(*) FROM subscriber WHERE username = %s",
                                (gone,)) == [(0,)]
    assert states(cli, 0) == {}  # nothing a proxy sees differs
    assert cli("registrar", "sync").exit_code == 0  # and the record is tidied
    registrar_db.execute("INSERT INTO subscriber (username, domain, ha1) VALUES "
                         "(%s, 'sip.test', 'own')", (gone,))
    assert states(cli, 0) == {"unmanaged": {gone}}  # no longer acctctl's


@pytest.mark.parametrize("registrar_db", ["mysql"], indirect=True)
def test_a_new_domain_moves_acctctls_rows_and_only_those(cli, config_file, registrar_db):
    registrar_config(config_file, registrar_db)
    devices = {u for u, _ in create(cli, 3)}
    assert cli("registrar", "sync").exit_code == 0
    config_file.write_text(config_file.read_text().replace('"sip.test"', '"new.test"'))
    found = states(cli, 6)
    assert found == {"missing": devices, "extra": devices}
    assert cli("registrar", "sync").exit_code == 0
    assert {r[0] for r in registrar_db.execute("SELECT DISTINCT domain FROM subscriber")} == \
        {"new.test"}
    assert states(cli, 0) == {}


@pytest.mark.parametrize("registrar_db", ["postgresql"], indirect=True)
def test_two_syncs_planned_at_once_both_succeed(cli, config_file, registrar_db, engine):
    from acctctl.config import load_settings
    from acctctl.registrars import open_registrar
    from acctctl.registrars.sync import apply, plan

    registrar_config(config_file, registrar_db)
    with unmirrored(config_file):
        create(cli, 3)
    loaded = load_settings(str(config_file))
    first, second = (open_registrar(loaded, loaded.settings.registrars[0], [])
                     for _ in range(2))
    try:
        plans = [plan(first, engine), plan(second, engine)]  # both see three to add
        assert [len(p.add) for p in plans] == [3, 3]
        for p in plans:
            assert len(apply(p, engine)) == 3
    finally:
        first.engine.dispose()
        second.engine.dispose()
    assert states(cli, 0) == {}
