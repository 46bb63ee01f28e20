"""Bulk creation (contract §3 "Bulk"): files, stdin, --count, atomicity, reports.

Every test runs on SQLite and on PostgreSQL (the `cli` fixture is parametrised by `db_url`).
"""

from __future__ import annotations

import csv
import json
import os
import stat

import pytest
import sqlalchemy as sa

BULK_KEYS = {"batch_id", "created", "skipped", "errors", "summary"}


def write_csv(path, rows: list[dict], keys: list[str] | None = None, bom: bool = False):
    keys = keys or list(dict.fromkeys(k for r in rows for k in r))
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=keys)
        writer.writeheader()
        writer.writerows(rows)
    os.chmod(path, 0o600)
    return str(path)


def good_rows(n: int, start: int = 1) -> list[dict]:
    return [
        {"number": str(5000000 + i), "first_name": f"Cust{i}", "email": f"c{i}@example.com"}
        for i in range(start, start + n)
    ]


def listed(cli) -> list[dict]:
    return cli.json("account", "list")


def numbers_in_db(engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(sa.text("SELECT number FROM accounts")).scalars())


def with_three_bad(tmp_path):
    rows = good_rows(300)
    rows[9]["email"] = "not-an-email"  # row 10
    rows[149]["country"] = "Atlantis"  # row 150
    rows[299]["number"] = "12ab"  # row 300
    return write_csv(tmp_path / "bad.csv", rows)


# --- atomic by default ---------------------------------------------------------------------


def test_three_bad_rows_write_nothing_and_are_reported(cli, tmp_path):
    path = with_three_bad(tmp_path)
    result = cli("create", "customer", "--from-file", path)
    assert result.exit_code == 3, result.stderr
    assert listed(cli) == []
    for row, field in ((10, "email"), (150, "country"), (300, "number")):
        assert f"row {row}" in result.stderr
        assert field in result.stderr
    assert "nothing was written" in result.stderr

    doc = cli.json("create", "customer", "--from-file", path, code=3)
    assert set(doc) == BULK_KEYS
    assert doc["created"] == []
    assert doc["summary"] == {"created": 0, "skipped": 0, "failed": 3}
    got = [(e["row"], e["field"]) for e in doc["errors"]]
    assert got == [(10, "email"), (150, "country"), (300, "number")]
    for e in doc["errors"]:
        assert set(e) == {"row", "key", "field", "message"}
        assert e["message"]
    assert doc["errors"][0]["key"] == "5000010"
    assert listed(cli) == []


def test_continue_on_error_writes_the_good_rows_and_exits_6(cli, tmp_path, engine):
    path = with_three_bad(tmp_path)
    doc = cli.json("create", "customer", "--from-file", path, "--continue-on-error", code=6)
    assert doc["summary"] == {"created": 297, "skipped": 0, "failed": 3}
    assert len(doc["created"]) == 297
    assert [e["row"] for e in doc["errors"]] == [10, 150, 300]
    stored = numbers_in_db(engine)
    assert len(stored) == 297
    assert "5000010" not in stored and "5000150" not in stored


def test_duplicates_inside_one_file_are_errors_on_the_later_row(cli, tmp_path):
    rows = good_rows(5)
    rows[3]["number"] = rows[1]["number"]  # row 4 repeats row 2's number
    rows[4]["email"] = "C1@EXAMPLE.com"  # row 5 repeats row 1's email (case-insensitive)
    path = write_csv(tmp_path / "dup.csv", rows)
    doc = cli.json("create", "customer", "--from-file", path, code=3)
    assert [(e["row"], e["field"]) for e in doc["errors"]] == [(4, "number"), (5, "email")]
    assert "row 2" in doc["errors"][0]["message"]
    assert listed(cli) == []


def test_existing_number_is_a_conflict_unless_skip(cli, tmp_path, engine):
    path = write_csv(tmp_path / "seed.csv", good_rows(20))
    first = cli("create", "customer", "--from-file", path, "--if-exists", "skip")
    assert first.exit_code == 0, first.stderr
    assert "created 20, skipped 0, failed 0; batch " in first.stderr

    again = cli.json("create", "customer", "--from-file", path, "--if-exists", "skip")
    assert again["summary"] == {"created": 0, "skipped": 20, "failed": 0}
    assert again["created"] == []
    assert {s["key"] for s in again["skipped"]} == {r["number"] for r in good_rows(20)}
    assert len(numbers_in_db(engine)) == 20

    fail = cli("create", "customer", "--from-file", path)
    assert fail.exit_code == 4, fail.stderr
    assert "already exists" in fail.stderr


# --- generation ----------------------------------------------------------------------------


def test_count_generates_unique_numbers_with_prefix_and_length(cli, engine):
    doc = cli.json("create", "customer", "--count", "40", "--prefix", "77", "--length", "6")
    numbers = [a["number"] for a in doc["created"]]
    assert len(numbers) == 40 and len(set(numbers)) == 40
    assert all(n.isdigit() and len(n) == 6 and n.startswith("77") for n in numbers)
    assert all(a["first_name"] == a["number"] for a in doc["created"])
    assert numbers_in_db(engine) == set(numbers)
    pins = [a["pin"] for a in doc["created"]]
    assert len(set(pins)) == 40


def test_count_beyond_capacity_exits_3_naming_what_remains(cli, engine):
    result = cli("create", "customer", "--count", "11", "--prefix", "1234", "--length", "5")
    assert result.exit_code == 3, result.stderr
    assert "only 10 numbers remain" in result.stderr
    assert numbers_in_db(engine) == set()
    cli.json("create", "customer", "--count", "4", "--prefix", "1234", "--length", "5")
    result = cli("create", "customer", "--count", "7", "--prefix", "1234", "--length", "5")
    assert result.exit_code == 3
    assert "only 6 numbers remain" in result.stderr


# --- input formats -------------------------------------------------------------------------


def test_stdin_jsonl(cli, engine):
    lines = "\n".join(json.dumps(r) for r in good_rows(3)) + "\n"
    doc = cli.json("create", "customer", "--from-file", "-", "--format", "jsonl", input=lines)
    assert doc["summary"]["created"] == 3
    assert numbers_in_db(engine) == {"5000001", "5000002", "5000003"}


def test_stdin_without_format_is_a_usage_error(cli, engine):
    lines = json.dumps(good_rows(1)[0]) + "\n"
    result = cli("create", "customer", "--from-file", "-", input=lines)
    assert result.exit_code == 2
    assert "--format" in result.stderr
    assert numbers_in_db(engine) == set()


def test_json_array_file(cli, tmp_path, engine):
    path = tmp_path / "rows.json"
    rows = good_rows(3)
    rows[0]["max_channels"] = 4
    path.write_text(json.dumps(rows))
    doc = cli.json("create", "customer", "--from-file", str(path))
    assert doc["summary"]["created"] == 3
    assert doc["created"][0]["max_channels"] == 4


def test_csv_with_bom(cli, tmp_path, engine):
    path = write_csv(tmp_path / "bom.csv", good_rows(2), bom=True)
    assert open(path, "rb").read(3) == b"\xef\xbb\xbf"
    doc = cli.json("create", "customer", "--from-file", path)
    assert [a["number"] for a in doc["created"]] == ["5000001", "5000002"]
    assert doc["created"][0]["first_name"] == "Cust1"


# --- passwords and hashes ------------------------------------------------------------------


def test_password_hash_rows_are_stored_verbatim(cli, tmp_path, engine):
    import bcrypt
    from argon2 import PasswordHasher

    argon = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash("Secret123")
    bc = bcrypt.hashpw(b"Secret123", bcrypt.gensalt(rounds=4)).decode()
    rows = good_rows(2)
    rows[0]["password_hash"], rows[1]["password_hash"] = argon, bc
    path = write_csv(tmp_path / "hashes.csv", rows)
    doc = cli.json("create", "customer", "--from-file", path)
    assert doc["summary"]["created"] == 2
    assert all("password" not in a.get("generated", {}) for a in doc["created"])
    assert "password_hash" not in json.dumps(doc)
    with engine.connect() as conn:
        stored = dict(conn.execute(sa.text("SELECT number, password_hash FROM accounts")).all())
    assert stored == {"5000001": argon, "5000002": bc}


def test_malformed_password_hash_exits_3(cli, tmp_path, engine):
    rows = good_rows(2)
    rows[1]["password_hash"] = "$argon2id$v=19$nonsense"
    path = write_csv(tmp_path / "badhash.csv", rows)
    result = cli("create", "customer", "--from-file", path)
    assert result.exit_code == 3
    # file rows are named by their keys: password_hash has no flag
    assert "row 2 (5000002): password_hash:" in result.stderr
    doc = cli.json("create", "customer", "--from-file", path, code=3)
    assert [(e["row"], e["field"]) for e in doc["errors"]] == [(2, "password_hash")]
    assert numbers_in_db(engine) == set()


def test_password_in_a_world_readable_file_warns(cli, tmp_path):
    rows = good_rows(1)
    rows[0]["password"] = "Sup3rSecret"
    path = write_csv(tmp_path / "pw.csv", rows)
    os.chmod(path, 0o644)
    result = cli("create", "customer", "--from-file", path)
    assert result.exit_code == 0, result.stderr
    assert "readable by group or others" in result.stderr
    assert "chmod 600" in result.stderr

    os.chmod(path, 0o600)
    rows[0]["number"] = "5000002"
    rows[0]["email"] = "other@example.com"
    write_csv(path, rows)
    quiet = cli("create", "customer", "--from-file", path)
    assert quiet.exit_code == 0
    assert "readable by group or others" not in quiet.stderr


# --- dry run, secrets, output shapes -------------------------------------------------------


def test_dry_run_exits_as_the_real_run_and_writes_nothing(cli, tmp_path, engine):
    good = write_csv(tmp_path / "good.csv", good_rows(5))
    doc = cli.json("create", "customer", "--from-file", good, "--dry-run")
    assert set(doc) == BULK_KEYS | {"dry_run"} and doc["dry_run"] is True
    assert len(doc["created"]) == 5
    assert all("generated" not in a for a in doc["created"])
    assert numbers_in_db(engine) == set()
    result = cli("create", "customer", "--from-file", with_three_bad(tmp_path), "--dry-run")
    assert result.exit_code == 3
    assert numbers_in_db(engine) == set()
    # a database check (the number exists) is also run by a dry run
    cli.json("create", "customer", "--from-file", good)
    assert cli("create", "customer", "--from-file", good, "--dry-run").exit_code == 4


def test_secrets_file_is_new_0600_and_never_overwritten(cli, tmp_path, engine):
    secrets = tmp_path / "secrets.csv"
    result = cli("create", "customer", "--count", "3", "--prefix", "55", "--length", "6",
                 "--secrets-file", str(secrets), "-o", "json")
    assert result.exit_code == 0, result.stderr
    assert stat.S_IMODE(os.stat(secrets).st_mode) == 0o600
    with open(secrets, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [list(r) for r in rows[:1]] == [["number", "password", "sip_password"]]
    assert {r["number"] for r in rows} == numbers_in_db(engine)
    assert all(r["password"] and r["sip_password"] for r in rows)
    doc = json.loads(result.stdout)
    assert all("generated" not in a for a in doc["created"])  # not on stdout as well
    before = secrets.read_bytes()

    again = cli("create", "customer", "--count", "2", "--prefix", "55", "--length", "6",
                "--secrets-file", str(secrets))
    assert again.exit_code == 2
    assert "exists" in again.stderr
    assert secrets.read_bytes() == before
    assert len(numbers_in_db(engine)) == 3


def test_jsonl_output_is_one_created_account_a_line(cli, tmp_path):
    path = write_csv(tmp_path / "rows.csv", good_rows(4))
    result = cli("create", "customer", "--from-file", path, "-o", "jsonl")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 4
    accounts = [json.loads(line) for line in lines]
    assert [a["number"] for a in accounts] == [r["number"] for r in good_rows(4)]
    assert all(a["generated"]["password"] for a in accounts)  # secrets ride along, as in json


def test_template_csv_prints_every_key(cli):
    from acctctl.models.inputs import KINDS, field_specs

    result = cli("create", "customer", "--template", "csv")
    assert result.exit_code == 0
    header = next(csv.reader([result.stdout.strip()]))
    assert header == list(field_specs(KINDS["customer"]))
    assert {"number", "password", "password_hash", "taxes", "reseller"} <= set(header)


def test_summary_line_on_stderr(cli, tmp_path):
    path = write_csv(tmp_path / "rows.csv", good_rows(3))
    result = cli("create", "customer", "--from-file", path, "-o", "json")
    doc = json.loads(result.stdout)
    assert (f"created 3, skipped 0, failed 0; batch {doc['batch_id']}") in result.stderr
    assert "created 3" not in result.stdout


# --- defaults from flags, owners, taxes ----------------------------------------------------


def test_flags_are_defaults_for_every_row(cli, tmp_path):
    rows = good_rows(3)
    rows[2]["country"] = "FR"
    path = write_csv(tmp_path / "rows.csv", rows)
    doc = cli.json("create", "customer", "--from-file", path, "--country", "GB",
                   "--last-name", "Batch")
    assert [a["country"] for a in doc["created"]] == ["GB", "GB", "FR"]
    assert all(a["last_name"] == "Batch" for a in doc["created"])


def test_reseller_owned_rows_and_taxes(cli, tmp_path):
    reseller = cli.json("create", "reseller", "--first-name", "Rita", "--no-input")["number"]
    assert cli("rategroup", "create", "gold", "--reseller", reseller).exit_code == 0
    assert cli("tax", "create", "vat", "--rate", "20", "--reseller", reseller).exit_code == 0
    assert cli("tax", "create", "levy", "--rate", "1", "--reseller", reseller).exit_code == 0
    rows = [
        {"number": "6000001", "first_name": "A", "reseller": reseller, "rate_group": "gold",
         "taxes": "vat;levy"},
        {"number": "6000002", "first_name": "B", "reseller": reseller, "rate_group": "gold",
         "taxes": ""},
    ]
    path = write_csv(tmp_path / "owned.csv", rows)
    doc = cli.json("create", "customer", "--from-file", path)
    a, b = doc["created"]
    assert a["reseller"] == reseller and a["rate_group"] == "gold"
    assert a["taxes"] == ["vat", "levy"]
    assert b["reseller"] == reseller and b["taxes"] == []
    # the admin's "default" rate group does not belong to the reseller
    bad = write_csv(tmp_path / "bad.csv", [{"first_name": "C", "reseller": reseller,
                                           "taxes": "vat;nope", "rate_group": "gold"}])
    fail = cli.json("create", "customer", "--from-file", bad, code=3)
    assert [(e["row"], e["field"]) for e in fail["errors"]] == [(1, "taxes")]
    assert "nope" in fail["errors"][0]["message"]


@pytest.mark.parametrize("kind", ["reseller", "admin", "subadmin", "provider"])
def test_other_kinds_in_bulk(cli, tmp_path, kind):
    rows = [{"first_name": f"{kind}{i}", "email": f"{kind}{i}@example.com"} for i in range(3)]
    path = write_csv(tmp_path / f"{kind}.csv", rows)
    doc = cli.json("create", kind, "--from-file", path)
    assert doc["summary"]["created"] == 3
    assert {a["kind"] for a in doc["created"]} == {kind}
    listed_kinds = [a["kind"] for a in listed(cli)]
    assert listed_kinds.count(kind) == 3


def test_table_output_prints_every_secret_whole_and_nothing_when_nothing_was_created(
        cli, engine, tmp_path):
    result = cli("create", "customer", "--count", "3", "--prefix", "61", "--length", "6",
                 env={"COLUMNS": "40"})
    assert result.exit_code == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines() if line.strip()[:2] == "61"]
    assert len(rows) == 3
    for cells in rows:
        number, password, sip = cells[0], cells[-2], cells[-1]
        assert len(password) == 16 and len(sip) == 24, cells  # not cut short by the width
        assert number in numbers_in_db(engine)
    bad = write_csv(tmp_path / "bad.csv", [{"first_name": "A", "email": "nope"}])
    failed = cli("create", "customer", "--from-file", bad)
    assert failed.exit_code == 3 and failed.stdout == ""
    assert "row 1 (nope): email:" in failed.stderr


def test_count_refuses_what_cannot_be_generated(cli, engine):
    whole = cli("create", "customer", "--count", "1", "--prefix", "45", "--length", "2")
    assert whole.exit_code == 2 and "leaves no digit" in whole.stderr
    zero = cli("create", "customer", "--count", "2", "--prefix", "0", "--length", "4")
    assert zero.exit_code == 2 and "must not start with 0" in zero.stderr
    admins = cli("create", "admin", "--count", "2")
    assert admins.exit_code == 2 and "own email" in admins.stderr
    assert numbers_in_db(engine) == set()


def test_dry_run_with_a_secrets_file_writes_no_file_and_counts_what_it_would_create(
        cli, tmp_path, engine):
    secrets = tmp_path / "secrets.csv"
    doc = cli.json("create", "customer", "--count", "2", "--secrets-file", str(secrets),
                   "--dry-run")
    assert doc["dry_run"] is True and doc["summary"]["created"] == len(doc["created"]) == 2
    assert not secrets.exists() and numbers_in_db(engine) == set()
    real = cli("create", "customer", "--count", "2", "--secrets-file", str(secrets))
    assert real.exit_code == 0 and len(secrets.read_text().splitlines()) == 3


def test_csv_output_has_only_the_secret_columns_of_the_kind(cli, tmp_path):
    path = write_csv(tmp_path / "admins.csv", [{"first_name": "A", "email": "a@example.com"}])
    result = cli("create", "admin", "--from-file", path, "-o", "csv")
    assert result.exit_code == 0, result.stderr
    header = result.stdout.splitlines()[0].split(",")
    assert "password" in header and "sip_password" not in header
