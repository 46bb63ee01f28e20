"""`apply` mirrors the SIP devices it writes into the registrars, as every other command does
(contract §10 and §11): what a set creates is in the subscriber table at once, a re-apply
changes nothing there, and what `--prune` removes is gone from it."""

from __future__ import annotations

from registrars.test_registrar_kamailio import DOMAIN, registrar_config


def _usernames(db) -> set[str]:
    return {r[0] for r in db.execute("SELECT username FROM subscriber WHERE domain = %s",
                                     (DOMAIN,))}


def _seed(path, numbers):
    path.write_text("set: edge\ncustomers:\n" + "".join(
        f"  - number: \"{n}\"\n    first_name: C{n}\n" for n in numbers))


def test_apply_and_prune_reach_the_registrar(cli, config_file, registrar_db, tmp_path):
    registrar_config(config_file, registrar_db)
    seed = tmp_path / "seed.yaml"
    _seed(seed, ["5550001", "5550002", "5550003"])
    applied = cli("apply", "-f", str(seed), "-o", "json")
    assert applied.exit_code == 0, applied.stderr
    assert _usernames(registrar_db) == {"5550001", "5550002", "5550003"}
    ha1 = dict(registrar_db.execute("SELECT username, ha1 FROM subscriber"))
    again = cli("apply", "-f", str(seed), "-o", "json")
    assert again.exit_code == 0, again.stderr
    assert dict(registrar_db.execute("SELECT username, ha1 FROM subscriber")) == ha1
    _seed(seed, ["5550001"])
    pruned = cli("apply", "-f", str(seed), "--prune", "--yes", "-o", "json")
    assert pruned.exit_code == 0, pruned.stderr
    assert _usernames(registrar_db) == {"5550001"}
    assert cli("registrar", "check").exit_code == 0
