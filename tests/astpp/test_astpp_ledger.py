"""The astpp target's ledger end to end (contract §8): the real `acctctl` commands against a
MariaDB ASTPP database, with batches and audit records kept in a ledger of acctctl's own
schema (`[ledger] url`, by default acctctl's default SQLite file) keyed by the ASTPP
database's identity, never in ASTPP's database."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from astpp.astpp_helpers import created, rows
from astpp.conftest import _server, load_schema
from conftest import Cli, unique_name


def numbers_of(out: dict) -> list[str]:
    return sorted(a["number"] for a in out["created"])


def seed(cli: Cli, *numbers: str) -> dict:
    """A seed as CI writes one: fixed numbers, from a file."""
    body = "number,first_name,email\n" + "".join(
        f"{n},Seed{n[-2:]},seed{n}@example.com\n" for n in numbers)
    return created(cli("create", "customer", "--from-file", "-", "--format", "csv",
                       "-o", "json", input=body))


def ledger_file() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_path("acctctl")) / "acctctl.db"


def test_create_then_batch_list_show_and_audit_list(astpp, db):
    out = created(astpp("create", "customer", "--count", "2", "--first-name", "Ada",
                        "-o", "json"))
    batch = out["batch_id"]
    created(astpp("create", "reseller", "--number", "7100000001", "--first-name", "Rita",
                  "-o", "json"))

    batches = astpp.json("batch", "list")
    assert [b["batch_id"] for b in batches][1] == batch  # newest first
    first = batches[1]
    assert (first["created"], first["live"], first["mode"]) == (2, 2, "count")
    assert first["command"] == "acctctl create customer --count 2 --first-name Ada -o json"

    shown = astpp.json("batch", "show", batch)
    assert sorted(a["number"] for a in shown) == numbers_of(out)
    assert {a["kind"] for a in shown} == {"customer"}

    records = astpp.json("audit", "list", "--batch", batch)
    assert sorted(r["account"] for r in records) == numbers_of(out)
    assert set(records[0]) == {"at", "actor", "action", "account", "batch_id", "command",
                               "changes"}
    assert {r["action"] for r in records} == {"create customer"}
    assert [r["action"] for r in astpp.json("audit", "list")][0] == "create reseller"
    assert len(astpp.json("audit", "list", "--account", "7100000001")) == 1

    # nothing of it in ASTPP's database: it has no table of acctctl's
    tables = {r["t"] for r in rows(db, "SELECT table_name AS t FROM information_schema.tables"
                                   " WHERE table_schema = DATABASE()")}
    assert not {"audit_events", "alembic_version"} & tables
    # the ledger is acctctl's default SQLite file, its records keyed by ASTPP's identity
    with sqlite3.connect(ledger_file()) as ledger:
        targets = {t for (t,) in ledger.execute("SELECT DISTINCT target FROM audit_events")}
        ids = {i for (i,) in ledger.execute("SELECT target_account_id FROM audit_events")}
        digests = [d for (d,) in ledger.execute("SELECT row_digest FROM audit_events")]
    assert len(targets) == 1 and next(iter(targets)).startswith("astpp:")
    astpp_ids = {r["id"] for r in rows(db, "SELECT id FROM accounts WHERE number IN "
                                       "(%s, %s, %s)", *numbers_of(out), "7100000001")}
    assert ids == astpp_ids
    assert all(d.startswith("sha256:") for d in digests)


def test_batch_show_of_an_unknown_batch_is_exit_3(astpp):
    result = astpp("batch", "show", "no-such-batch")
    assert result.exit_code == 3 and "no batch has id no-such-batch" in result.stderr


def test_acctctls_own_schema_on_the_same_default_file_does_not_see_astpps_trail(
        astpp, tmp_path):
    created(astpp("create", "customer", "--first-name", "Ada", "-o", "json"))
    assert len(astpp.json("batch", "list")) == 1
    own_config = tmp_path / "own.toml"
    own_config.write_text("[passwords]\nhash_time_cost = 1\nhash_memory_kib = 1024\n"
                          "hash_parallelism = 1\n")
    own = Cli({"ACCTCTL_CONFIG": str(own_config), "COLUMNS": "200", "NO_COLOR": "1"})
    assert own.json("batch", "list") == []  # the same file: acctctl's own schema's default
    assert own.json("audit", "list") == []
    created(own("create", "customer", "--first-name", "Own", "-o", "json"))
    assert len(own.json("batch", "list")) == 1
    assert len(astpp.json("batch", "list")) == 1  # and the other way round


def test_a_dry_run_records_nothing_and_does_not_create_the_ledger(fresh_ledger, astpp):
    out = created(astpp("create", "customer", "--count", "2", "--first-name", "Ada",
                        "--dry-run", "-o", "json"))
    assert out["batch_id"] is None
    assert not ledger_file().exists()  # an empty ledger is not initialised by a dry run
    assert astpp.json("batch", "list") == []


def test_a_refused_create_records_nothing(astpp):
    created(astpp("create", "customer", "--number", "4100000001", "--first-name", "Ada",
                  "-o", "json"))
    result = astpp("create", "customer", "--number", "4100000001", "--first-name", "Dup")
    assert result.exit_code == 4
    assert len(astpp.json("audit", "list")) == 1


def _second_astpp_database() -> tuple[str, object]:
    params, pymysql = _server()
    name = unique_name("acctctl_astpp")
    admin = pymysql.connect(**params)
    load_schema(admin, name)
    return name, admin


@pytest.fixture
def two_astpps(astpp_config, tmp_path):
    """(Cli, Cli): two ASTPP databases on one server, one ledger file named in both configs."""
    name, admin = _second_astpp_database()
    ledger = tmp_path / "shared-ledger.db"
    first = astpp_config.read_text() + f'\n[ledger]\nurl = "sqlite:///{ledger}"\n'
    astpp_config.write_text(first)
    second = tmp_path / "second.toml"
    database = first.split("url = ")[1].split("\n")[0].strip('"')
    second.write_text(first.replace(database, database.rsplit("/", 1)[0] + f"/{name}", 1))
    second.chmod(0o600)
    env = {"COLUMNS": "200", "NO_COLOR": "1"}
    yield (Cli({**env, "ACCTCTL_CONFIG": str(astpp_config)}),
           Cli({**env, "ACCTCTL_CONFIG": str(second)}), ledger)
    with admin.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
    admin.close()


def test_two_astpp_databases_keep_separate_trails_in_one_ledger(two_astpps):
    one, two, ledger = two_astpps
    # the same numbers in both: ASTPP's ids may coincide too, the trails must not mix
    a = seed(one, "4100000001", "4100000002")
    b = seed(two, "4100000001")
    assert [x["batch_id"] for x in one.json("batch", "list")] == [a["batch_id"]]
    assert [x["batch_id"] for x in two.json("batch", "list")] == [b["batch_id"]]
    assert len(one.json("audit", "list", "--account", "4100000001")) == 1
    assert [r["batch_id"] for r in two.json("audit", "list", "--account", "4100000001")] == [
        b["batch_id"]]
    assert one("batch", "show", b["batch_id"]).exit_code == 3  # another database's batch
    with sqlite3.connect(ledger) as conn:
        (targets,) = conn.execute("SELECT COUNT(DISTINCT target) FROM audit_events").fetchone()
    assert targets == 2


def test_the_ledger_can_be_postgresql(fresh_ledger, astpp_config, pg_server, tmp_path):
    name = pg_server.create_empty()  # initialised on first use, like any acctctl database
    url = pg_server.url_of(name).replace("postgresql+psycopg://", "postgresql://")
    astpp_config.write_text(astpp_config.read_text() + f'\n[ledger]\nurl = "{url}"\n')
    cli = Cli({"ACCTCTL_CONFIG": str(astpp_config), "COLUMNS": "200", "NO_COLOR": "1"})
    out = created(cli("create", "customer", "--first-name", "Ada", "-o", "json"))
    assert [b["batch_id"] for b in cli.json("batch", "list")] == [out["batch_id"]]
    assert not ledger_file().exists()
    pg_server.drop(name)


def test_an_unreachable_ledger_stops_a_create_before_anything_is_written(astpp_config, db):
    astpp_config.write_text(astpp_config.read_text()
                            + '\n[ledger]\nurl = "postgresql://nobody@127.0.0.1:1/ledger"\n')
    cli = Cli({"ACCTCTL_CONFIG": str(astpp_config), "COLUMNS": "200", "NO_COLOR": "1"})
    before = rows(db, "SELECT COUNT(*) AS n FROM accounts")[0]["n"]
    result = cli("create", "customer", "--first-name", "Ada")
    assert result.exit_code == 5, result.stderr
    assert "cannot connect to postgresql://nobody@127.0.0.1:1/ledger" in result.stderr
    assert "ledger.url in" in result.stderr
    assert rows(db, "SELECT COUNT(*) AS n FROM accounts")[0]["n"] == before
    assert "Traceback" not in result.stderr


def test_batch_list_json_is_the_contracts(astpp):
    created(astpp("create", "customer", "--first-name", "Ada", "-o", "json"))
    (batch,) = astpp.json("batch", "list")
    assert set(batch) == {"batch_id", "at", "actor", "mode", "command", "created", "live"}
    assert json.dumps(batch)  # plain JSON values


# --- batch undo ------------------------------------------------------------------------------

SEED = ("4100000001", "4100000002")


def astpp_rows(db, numbers) -> dict[str, int]:
    """table -> rows of these accounts in ASTPP (accounts, their SIP devices)."""
    marks = ", ".join(["%s"] * len(numbers))
    ids = [r["id"] for r in rows(db, f"SELECT id FROM accounts WHERE number IN ({marks})",
                                 *numbers)]
    devices = rows(db, "SELECT id FROM sip_devices WHERE accountid IN ({})".format(
        ", ".join(["%s"] * len(ids))), *ids) if ids else []
    return {"accounts": len(ids), "sip_devices": len(devices)}


def test_undo_purges_what_the_batch_created(astpp, db):
    out = seed(astpp, *SEED)
    assert astpp_rows(db, SEED) == {"accounts": 2, "sip_devices": 2}
    undone = astpp.json("batch", "undo", out["batch_id"], "--yes")
    assert sorted((u["number"], u["action"]) for u in undone) == [(n, "purged") for n in SEED]
    assert astpp_rows(db, SEED) == {"accounts": 0, "sip_devices": 0}
    records = astpp.json("audit", "list", "--batch", out["batch_id"])
    assert sorted(r["action"] for r in records) == ["create customer"] * 2 + ["undo batch"] * 2
    assert astpp.json("batch", "list")[0]["live"] == 0
    assert astpp.json("batch", "show", out["batch_id"]) == []


def test_re_running_a_seed_after_an_undo_creates_the_same_accounts(astpp, db):
    first = seed(astpp, *SEED)
    assert astpp("batch", "undo", first["batch_id"], "--yes").exit_code == 0
    again = seed(astpp, *SEED)
    assert numbers_of(again) == list(SEED)
    assert astpp_rows(db, SEED) == {"accounts": 2, "sip_devices": 2}
    # and the new batch is one undo knows, apart from the first
    assert astpp("batch", "undo", again["batch_id"], "--yes").exit_code == 0
    assert astpp_rows(db, SEED) == {"accounts": 0, "sip_devices": 0}


@pytest.mark.parametrize("change", [
    # ASTPP's edit page saving a new name (an UPDATE of the accounts row)
    "UPDATE accounts SET first_name = 'Edited' WHERE number = %s",
    # its status toggle
    "UPDATE accounts SET status = 1 WHERE number = %s",
    # its SIP device page
    "UPDATE sip_devices SET codec = 'PCMU' WHERE username = %s",
    # its delete action
    "UPDATE accounts SET deleted = 1 WHERE number = %s",
])
def test_undo_refuses_an_account_changed_in_astpp_since(astpp, db, change):
    out = seed(astpp, *SEED)
    with db.cursor() as cur:
        cur.execute(change, (SEED[1],))
    db.commit()
    before = rows(db, "SELECT * FROM accounts ORDER BY id")
    result = astpp("batch", "undo", out["batch_id"], "--yes")
    assert result.exit_code == 4, result.stderr
    assert f"changed since it was created: {SEED[1]}" in result.stderr
    assert "nothing was changed" in result.stderr
    assert rows(db, "SELECT * FROM accounts ORDER BY id") == before
    assert astpp_rows(db, SEED)["sip_devices"] == 2
    assert "undo batch" not in {r["action"] for r in astpp.json("audit", "list")}


def test_undo_refuses_an_account_with_billing_history(astpp, db):
    out = seed(astpp, *SEED)
    (account,) = rows(db, "SELECT id FROM accounts WHERE number = %s", SEED[0])
    with db.cursor() as cur:  # a call ASTPP billed (its cdrs table, tests/astpp/schema.sql)
        cur.execute("INSERT INTO cdrs (uniqueid, accountid, callerid, translated_dst, pattern, "
                    "notes, reseller_code, provider_code, provider_code_destination, "
                    "provider_call_cost, call_direction) VALUES ('u1', %s, '', '', '', '', '', "
                    "'', '', 0, 'outbound')", (account["id"],))
    db.commit()
    result = astpp("batch", "undo", out["batch_id"], "--yes")
    assert result.exit_code == 4
    assert f"account {SEED[0]} has billing history in ASTPP (1 call)" in result.stderr
    assert astpp_rows(db, SEED) == {"accounts": 2, "sip_devices": 2}


def test_undo_refuses_a_reseller_owning_accounts_outside_the_batch(astpp, db):
    reseller = created(astpp("create", "reseller", "--number", "7100000001",
                             "--first-name", "Rita", "-o", "json"))
    (owner,) = rows(db, "SELECT id FROM accounts WHERE number = '7100000001'")
    with db.cursor() as cur:  # the reseller's rate group, made in ASTPP's Tariff pages
        cur.execute("INSERT INTO pricelists (name, status, reseller_id) VALUES "
                    "('default', 0, %s)", (owner["id"],))
    db.commit()
    created(astpp("create", "customer", "--number", "4100000009", "--first-name", "Cust",
                  "--reseller", "7100000001", "--no-sip-device", "-o", "json"))
    result = astpp("batch", "undo", reseller["batch_id"], "--yes")
    assert result.exit_code == 4
    assert "1 account owned: 4100000009" in result.stderr
    assert "rate group owned: 'default'" in result.stderr
    assert astpp_rows(db, ["7100000001", "4100000009"])["accounts"] == 2


def test_undo_dry_run_checks_and_changes_nothing(astpp, db):
    out = seed(astpp, *SEED)
    result = astpp("batch", "undo", out["batch_id"], "--dry-run", "-o", "json")
    assert result.exit_code == 0, result.stderr
    assert {(u["action"], u["dry_run"]) for u in json.loads(result.stdout)} == {
        ("would purge", True)}
    assert astpp_rows(db, SEED) == {"accounts": 2, "sip_devices": 2}
    assert len(astpp.json("audit", "list")) == 2  # no undo record
    # a dry run reports the refusal the real run would meet, with its exit code
    with db.cursor() as cur:
        cur.execute("UPDATE accounts SET city = 'Oslo' WHERE number = %s", (SEED[0],))
    db.commit()
    assert astpp("batch", "undo", out["batch_id"], "--dry-run").exit_code == 4


def test_undo_of_an_unknown_batch_is_exit_3(astpp):
    result = astpp("batch", "undo", "no-such-batch", "--yes")
    assert result.exit_code == 3 and "no batch has id no-such-batch" in result.stderr


def test_undo_in_one_astpp_database_leaves_the_others_alone(two_astpps):
    one, two, _ = two_astpps
    a = seed(one, *SEED)
    b = seed(two, *SEED)
    assert two("batch", "undo", a["batch_id"], "--yes").exit_code == 3  # not its batch
    assert one("batch", "undo", a["batch_id"], "--yes").exit_code == 0
    assert [x["live"] for x in two.json("batch", "list")] == [2]  # untouched
    assert two("batch", "undo", b["batch_id"], "--yes").exit_code == 0


# --- the ledger's own troubles -------------------------------------------------------------


def test_a_ledger_behind_is_exit_5_with_the_command_that_upgrades_it(fresh_ledger, astpp):
    from acctctl.db.engine import make_engine
    from acctctl.db.migrate import upgrade

    url = f"sqlite:///{ledger_file()}"
    engine = make_engine(url)
    upgrade(engine, "0002")  # written by the previous release of acctctl
    engine.dispose()
    result = astpp("batch", "list")
    assert result.exit_code == 5
    assert f"the ledger {url} (from the built-in default: no ledger.url" in result.stderr
    assert "the database schema is at revision 0002" in result.stderr
    hint = f"ACCTCTL_DATABASE_URL='{url}' acctctl --config /dev/null db upgrade"
    assert hint in result.stderr.replace("\n", " ")
    own = Cli({"ACCTCTL_DATABASE_URL": url, "NO_COLOR": "1"})
    assert own("--config", "/dev/null", "db", "upgrade").exit_code == 0  # the hint, run
    assert astpp.json("batch", "list") == []


def test_a_ledger_that_fails_after_astpp_committed_warns_and_keeps_the_output(astpp, db,
                                                                               monkeypatch):
    import sqlalchemy as sa

    from acctctl.ledger import Trail

    def full_disk(self, entries):
        raise sa.exc.OperationalError("INSERT", {}, Exception("database or disk is full"))

    with monkeypatch.context() as patch:
        patch.setattr(Trail, "write", full_disk)
        result = astpp("create", "customer", "--number", "4100000001", "--first-name", "Ada",
                       "-o", "json")
    assert result.exit_code == 0, result.stderr  # the account is written: say so, and how
    out = json.loads(result.stdout)
    assert out["number"] == "4100000001" and out["generated"]["password"]
    assert "the change was written, but the ledger" in result.stderr
    assert "database or disk is full" in result.stderr
    assert astpp_rows(db, ["4100000001"])["accounts"] == 1
    assert astpp.json("batch", "list") == []  # at worst a missing record, never a false one


def test_batch_show_and_list_batch_find_the_batchs_accounts_by_their_ids(astpp, db):
    out = seed(astpp, *SEED)
    created(astpp("create", "customer", "--number", "4100000003", "--first-name", "Other",
                  "-o", "json"))
    with db.cursor() as cur:  # ASTPP's delete action on one of them
        cur.execute("UPDATE accounts SET deleted = 1 WHERE number = %s", (SEED[0],))
    db.commit()
    shown = astpp.json("batch", "show", out["batch_id"])
    assert sorted(a["number"] for a in shown) == list(SEED)  # the deleted one too
    listed = astpp.json("account", "list", "--batch", out["batch_id"])
    assert [a["number"] for a in listed] == [SEED[1]]


def test_acctctls_own_update_is_in_the_ledger_and_refuses_the_undo(astpp, db):
    out = seed(astpp, *SEED)
    result = astpp("account", "update", SEED[1], "--city", "Oslo", "-o", "json")
    assert result.exit_code == 0, result.stderr
    (record,) = [r for r in astpp.json("audit", "list", "--account", SEED[1])
                 if r["action"] != "create customer"]
    assert record["changes"] == {"city": ["", "Oslo"]}
    assert record["batch_id"] != out["batch_id"]
    refused = astpp("batch", "undo", out["batch_id"], "--yes")
    assert refused.exit_code == 4 and f"changed since it was created: {SEED[1]}" in \
        refused.stderr
    assert astpp_rows(db, SEED)["accounts"] == 2
