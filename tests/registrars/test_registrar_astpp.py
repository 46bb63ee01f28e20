"""The astpp target mirrors its SIP devices into the registrars too (contract §11), with
acctctl's record of its rows in the ledger database: a real Kamailio authenticates REGISTER
with the secrets `create` printed, and day-two commands take effect at once."""

from __future__ import annotations

import json

import pytest

from astpp.conftest import (  # noqa: F401 - fixtures
    _astpp_databases,
    astpp,
    astpp_config,
    astpp_db,
    default_ledger,
)
from registrars.test_registrar_kamailio import DOMAIN, registrar_config, states


def _created(result) -> list[tuple[str, str]]:
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return [(a["number"], a["generated"]["sip_password"])
            for a in json.loads(result.stdout)["created"]]


@pytest.mark.parametrize("registrar_db", ["mysql", "postgresql"], indirect=True)
def test_astpp_devices_are_mirrored_with_the_record_in_the_ledger(
        astpp, astpp_config, registrar_db, kamailio, sipp, tmp_path):  # noqa: F811
    registrar_config(astpp_config, registrar_db)
    # the record of acctctl's rows needs a ledger every acctctl writing this ASTPP shares
    refused = astpp("create", "customer", "--count", "2")
    assert refused.exit_code == 5, refused.stderr
    assert "[ledger] url" in refused.stderr
    assert astpp("registrar", "check").exit_code == 5
    assert registrar_db.execute("SELECT count(*) FROM subscriber") == [(0,)]
    listed = json.loads(astpp("account", "list", "--kind", "customer", "-o", "json").stdout)
    assert listed == []  # nothing was written in ASTPP either

    ledger = tmp_path / "ledger.sqlite3"
    text = astpp_config.read_text()
    astpp_config.write_text(text.replace("\n[[registrars]]",
                                         f'\n[ledger]\nurl = "sqlite:///{ledger}"\n'
                                         "\n[[registrars]]", 1))
    devices = _created(astpp("create", "customer", "--count", "40", "-o", "json"))
    assert states(astpp, 0) == {}
    server = kamailio(registrar_db)
    assert sipp(server, devices, DOMAIN, "200"), "an ASTPP device could not register"
    assert sipp(server, [(u, s + "x") for u, s in devices[:5]], DOMAIN, "401")

    (off, off_secret), (gone, _), (rotated, old) = devices[:3]
    assert astpp("account", "disable", off).exit_code == 0
    assert astpp("account", "delete", gone, "--yes").exit_code == 0
    result = astpp("account", "rotate-sip-secret", rotated, "-o", "json")
    assert result.exit_code == 0, result.stderr
    new = json.loads(result.stdout)["generated"]["sip_password"]
    assert sipp(server, [devices[0], devices[1], (rotated, old)], DOMAIN, "401")
    assert sipp(server, [(rotated, new)], DOMAIN, "200")
    assert astpp("account", "enable", off).exit_code == 0
    assert sipp(server, [(off, off_secret)], DOMAIN, "200")
    assert states(astpp, 0) == {}

    # sync works on this target as well: a row removed behind acctctl's back comes back
    registrar_db.execute("DELETE FROM subscriber WHERE username = %s", (off,))
    assert states(astpp, 6) == {"missing": {off}}
    assert astpp("registrar", "sync").exit_code == 0
    assert states(astpp, 0) == {}
