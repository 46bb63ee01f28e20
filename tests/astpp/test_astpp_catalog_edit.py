"""On the astpp target the role commands that change data are not built (ASTPP's roles are
permission sets, made in ASTPP): exit 2 saying so, ASTPP's permissions left as they are. Rate
groups and taxes are test_astpp_catalog_entries.py's."""

from __future__ import annotations

from astpp.astpp_helpers import rows


def test_role_create_exits_2_on_astpp(astpp, db):
    before = rows(db, "SELECT * FROM permissions")
    result = astpp("role", "create", "support", "--for", "admin")
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert "role create is not supported on the astpp target" in result.stderr
    assert rows(db, "SELECT * FROM permissions") == before
