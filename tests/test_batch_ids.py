"""Issue 16: every batch id acctctl reports is one `batch show` and `batch undo` know (a run
that wrote nothing reports `batch_id: null` and "no batch"), and dry runs of `batch undo` and
`account delete` are marked as create's dry run is."""

from __future__ import annotations

import json
import re

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def seed(tmp_path, n: int = 3):
    rows = tmp_path / "seed.csv"
    rows.write_text("number,first_name\n" + "".join(f"{5100 + i},S{i}\n" for i in range(n)))
    return rows


def reported_ids(result) -> set[str]:
    return set(UUID.findall(result.stdout + result.stderr))


def test_a_rerun_that_skips_every_row_reports_no_batch(cli, tmp_path):
    rows = seed(tmp_path)
    first = cli.json("create", "customer", "--from-file", str(rows), "--if-exists", "skip")
    assert first["batch_id"] and len(cli.json("batch", "show", first["batch_id"])) == 3
    again = cli("create", "customer", "--from-file", str(rows), "--if-exists", "skip",
                "-o", "json")
    assert again.exit_code == 0, again.stderr
    doc = json.loads(again.stdout)
    assert doc["batch_id"] is None and doc["summary"] == {"created": 0, "skipped": 3,
                                                          "failed": 0}
    assert "no batch: nothing was written" in again.stderr
    assert reported_ids(again) == set()  # no id that batch show / undo would not know
    # every other format says the same on stderr
    for fmt in ("table", "csv", "jsonl"):
        result = cli("create", "customer", "--from-file", str(rows), "--if-exists", "skip",
                     "-o", fmt)
        assert result.exit_code == 0 and "no batch" in result.stderr, (fmt, result.stderr)
        assert reported_ids(result) == set(), fmt
    # nothing was recorded for the runs that skipped everything
    assert [b["batch_id"] for b in cli.json("batch", "list")] == [first["batch_id"]]


def test_a_rerun_that_creates_some_reports_a_batch_that_undo_knows(cli, tmp_path):
    rows = seed(tmp_path, 2)
    cli.json("create", "customer", "--from-file", str(rows))
    more = seed(tmp_path, 4)
    doc = cli.json("create", "customer", "--from-file", str(more), "--if-exists", "skip")
    assert doc["summary"] == {"created": 2, "skipped": 2, "failed": 0}
    assert len(cli.json("batch", "show", doc["batch_id"])) == 2
    assert len(cli.json("batch", "undo", doc["batch_id"], "--yes")) == 2


def test_runs_that_write_nothing_report_no_batch_id(cli, tmp_path):
    rows = seed(tmp_path)
    dry = cli.json("create", "customer", "--from-file", str(rows), "--dry-run")
    assert dry["dry_run"] is True and dry["batch_id"] is None
    assert {a["batch_id"] for a in dry["created"]} == {None}
    single = cli.json("create", "customer", "--first-name", "Ada", "--dry-run")
    assert single["dry_run"] is True and single["batch_id"] is None
    bad = tmp_path / "bad.csv"
    bad.write_text("number,first_name\n5200,Ok\n5201,\n")
    refused = cli("create", "customer", "--from-file", str(bad), "-o", "json")
    assert refused.exit_code == 3
    assert json.loads(refused.stdout)["batch_id"] is None
    assert "no batch: nothing was written" in refused.stderr
    assert reported_ids(refused) == set()
    assert cli.json("batch", "list") == []


def test_batch_undo_dry_run_is_marked(cli, tmp_path, engine):
    import sqlalchemy as sa

    doc = cli.json("create", "customer", "--from-file", str(seed(tmp_path)))
    out = cli.json("batch", "undo", doc["batch_id"], "--dry-run")
    assert len(out) == 3
    assert all(r["dry_run"] is True and r["action"] == "would purge" for r in out), out
    table = cli("batch", "undo", doc["batch_id"], "--dry-run")
    assert table.exit_code == 0
    assert "would purge" in table.stdout and "purged" not in table.stdout
    assert f"dry run: would purge 3 accounts of batch {doc['batch_id']}" in table.stderr
    for fmt in ("csv", "jsonl"):
        result = cli("batch", "undo", doc["batch_id"], "--dry-run", "-o", fmt)
        assert "would purge" in result.stdout and "purged" not in result.stdout, fmt
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM accounts")).scalar() == 3
    real = cli.json("batch", "undo", doc["batch_id"], "--yes")
    assert [r["action"] for r in real] == ["purged"] * 3 and "dry_run" not in real[0]


def test_delete_dry_run_is_marked(cli):
    number = cli.json("create", "customer", "--first-name", "Ada")["number"]
    for purge, verb in (([], "delete"), (["--purge"], "purge")):
        (record,) = cli.json("account", "delete", number, *purge, "--dry-run")
        assert record["dry_run"] is True and record["action"] == f"would {verb}"
    assert cli.json("account", "show", number)["number"] == number


def test_an_update_from_file_that_writes_nothing_reports_no_batch(cli, tmp_path):
    rows = seed(tmp_path, 2)
    cli.json("create", "customer", "--from-file", str(rows))
    dup = tmp_path / "dup.csv"
    dup.write_text("number,city\n5100,Oslo\n5100,Paris\n")
    refused = cli("account", "update", "--from-file", str(dup), "-o", "json")
    assert refused.exit_code == 3, refused.stderr
    assert json.loads(refused.stdout)["batch_id"] is None
    assert "no batch: nothing was written" in refused.stderr
    assert reported_ids(refused) == set()
    same = tmp_path / "same.csv"
    same.write_text("number,first_name\n5100,S0\n")  # unchanged: nothing to write
    unchanged = cli("account", "update", "--from-file", str(same))
    assert unchanged.exit_code == 0 and reported_ids(unchanged) == set(), unchanged.stderr
    one = tmp_path / "one.csv"
    one.write_text("number,city\n5100,Oslo\n")
    written = cli.json("account", "update", "--from-file", str(one))
    assert written["batch_id"] and written["summary"]["updated"] == 1
    assert [r["account"] for r in cli.json("audit", "list", "--batch", written["batch_id"])] \
        == ["5100"]
