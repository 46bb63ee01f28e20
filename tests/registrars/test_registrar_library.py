"""The library mirrors SIP devices into the registrars as the CLI does (contract §11, §12):
a client opened on a configuration with [[registrars]] writes the subscriber rows of what it
creates, disables and enables, with no `registrar sync`."""

from __future__ import annotations

import acctctl
from registrars.test_registrar_kamailio import DOMAIN, registrar_config


def _usernames(db) -> set[str]:
    return {r[0] for r in db.execute("SELECT username FROM subscriber WHERE domain = %s",
                                     (DOMAIN,))}


def test_the_client_mirrors_its_device_writes(config_file, db_url, registrar_db):
    registrar_config(config_file, registrar_db)
    with acctctl.open(db_url, config=config_file) as client:
        created = client.create_count("customer", 3)
        numbers = {a.number for a in created.created}
        assert _usernames(registrar_db) == numbers
        first = sorted(numbers)[0]
        client.disable(first)
        assert _usernames(registrar_db) == numbers - {first}
        client.enable(first)
        assert _usernames(registrar_db) == numbers
