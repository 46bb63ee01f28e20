"""Property (contract §10): `apply` performs exactly the operations `plan` shows.

Over generated database states (what earlier applies of this set or of another set made,
and accounts created by hand) and generated set files (YAML or JSON; accounts, a reseller
with nested customers and catalog entries; with or without --prune), on SQLite:

* plan -o json and apply -o json agree: the same (action, kind, key, changes), in order, or
  the same exit code with nothing written;
* the audit trail of the apply's batch holds one event per account the plan said would be
  created, updated, deleted or disabled, and no other;
* a plan right after the apply is empty (every object unchanged).

Examples: 10 by default (each runs several commands on its own fresh database,
derandomized, no example database); ACCTCTL_HYPOTHESIS_EXAMPLES=200 for a longer hunt.
"""

from __future__ import annotations

import json
import os
import shutil

import sqlalchemy as sa
import yaml
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from conftest import TEST_CONFIG, Cli

EXAMPLES = int(os.environ.get("ACCTCTL_HYPOTHESIS_EXAMPLES", "10"))
PROPERTY = settings(
    max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large],
)
ACCOUNT_KINDS = {"customer", "provider", "reseller", "admin", "subadmin"}

names = st.sampled_from(["Ada", "Grace", "Linus"])
customer = st.fixed_dictionaries(
    {"number": st.sampled_from(["1001", "1002", "1003", "1004"]), "first_name": names},
    optional={"last_name": st.sampled_from(["", "Byron", "Hopper"]),
              "max_channels": st.integers(0, 3),
              "status": st.sampled_from(["active", "inactive"]),
              "rate_group": st.sampled_from(["default", "gold"]),
              "company": st.sampled_from(["Analytical", "Navy"])},
)
nested = st.fixed_dictionaries(
    {"number": st.sampled_from(["7001", "7002"]), "first_name": names},
    optional={"last_name": st.sampled_from(["", "Babbage"])},
)
reseller = st.fixed_dictionaries(
    {"number": st.just("700"), "first_name": names,
     "rate_groups": st.just([{"name": "default"}])},
    optional={"customers": st.lists(nested, max_size=2, unique_by=lambda c: c["number"]),
              "taxes": st.lists(st.fixed_dictionaries(
                  {"name": st.just("VAT"), "rate": st.sampled_from([5, 20])}), max_size=1),
              "company": st.sampled_from(["Resold", "Other"])},
)
admin = st.fixed_dictionaries(
    {"number": st.sampled_from(["ops.a", "ops.b"]), "first_name": names,
     "email": st.sampled_from(["a@example.com", "b@example.com"])})
def set_files(min_customers: int):
    """Files with customers (min_customers or more: states and plans with something in
    them), optionally catalog entries, a reseller with nested objects, an admin."""
    return st.fixed_dictionaries(
        {"set": st.sampled_from(["ci", "ci", "other"]),
         "customers": st.lists(customer, min_size=min_customers, max_size=3,
                               unique_by=lambda c: c["number"])},
        optional={
            "rate_groups": st.lists(st.fixed_dictionaries(
                {"name": st.just("gold")}, optional={"active": st.booleans()}), max_size=1),
            "resellers": st.lists(reseller, max_size=1),
            "admins": st.lists(admin, max_size=1),
        },
    )


set_file = set_files(0)
by_hand = st.lists(st.sampled_from(["1001", "1004", "7002"]), max_size=2, unique=True)


def _fresh_cli(template, tmp_path, n: int) -> tuple[Cli, str]:
    path = tmp_path / f"db{n}.db"
    shutil.copy(template, path)
    config = tmp_path / "acctctl.toml"
    config.write_text(TEST_CONFIG)
    config.chmod(0o600)
    url = f"sqlite:///{path}"
    return Cli({"ACCTCTL_DATABASE_URL": url, "ACCTCTL_CONFIG": str(config),
                "COLUMNS": "200", "NO_COLOR": "1"}), url


def _write(tmp_path, document: dict, fmt: str, n: int) -> str:
    path = tmp_path / f"set{n}.{fmt}"
    path.write_text(json.dumps(document) if fmt == "json"
                    else yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return str(path)


def _snapshot(url: str) -> tuple:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return tuple(tuple(conn.execute(sa.text(q)).all()) for q in (
                "SELECT number, status, deleted_at, first_name, last_name FROM accounts "
                "ORDER BY number",
                "SELECT name, status FROM rate_groups ORDER BY name",
                "SELECT name, rate FROM taxes ORDER BY name",
                "SELECT count(*) FROM audit_events"))
    finally:
        engine.dispose()


def _ops(listed: list[dict]) -> list[tuple]:
    return [(o["action"], o["kind"], o["key"], json.dumps(o["changes"], sort_keys=True))
            for o in listed]


@PROPERTY
@given(earlier=st.lists(set_files(1), max_size=2), hand=by_hand, file=set_file,
       fmt=st.sampled_from(["yaml", "json"]), prune=st.booleans())
@example(  # updates (an account, a catalog entry) and a prune of this set's customer only
    earlier=[{"set": "ci", "rate_groups": [{"name": "gold"}],
              "customers": [{"number": "1001", "first_name": "Ada"},
                            {"number": "1002", "first_name": "Grace", "rate_group": "gold"}]},
             {"set": "other", "customers": [{"number": "1003", "first_name": "Linus"}]}],
    hand=["1004"], fmt="yaml", prune=True,
    file={"set": "ci", "rate_groups": [{"name": "gold", "active": False}],
          "customers": [{"number": "1002", "first_name": "Grace", "last_name": "Hopper",
                         "max_channels": 2}]})
@example(  # a reseller's nested objects changed, an admin added, taxes of the reseller
    earlier=[{"set": "ci", "customers": [{"number": "1001", "first_name": "Ada"}],
              "resellers": [{"number": "700", "first_name": "Ada",
                             "rate_groups": [{"name": "default"}],
                             "taxes": [{"name": "VAT", "rate": 5}],
                             "customers": [{"number": "7001", "first_name": "Ada"}]}]}],
    hand=[], fmt="json", prune=True,
    file={"set": "ci", "customers": [],
          "resellers": [{"number": "700", "first_name": "Grace",
                         "rate_groups": [{"name": "default"}],
                         "taxes": [{"name": "VAT", "rate": 20}],
                         "customers": [{"number": "7001", "first_name": "Ada",
                                        "last_name": "Babbage"},
                                       {"number": "7002", "first_name": "Linus"}]}],
          "admins": [{"number": "ops.a", "first_name": "Ada", "email": "a@example.com"}]})
@example(  # a prune of the reseller with what it owns (read in the apply's transaction)
    earlier=[{"set": "ci", "customers": [{"number": "1001", "first_name": "Ada"}],
              "resellers": [{"number": "700", "first_name": "Ada",
                             "rate_groups": [{"name": "default"}],
                             "taxes": [{"name": "VAT", "rate": 5}],
                             "customers": [{"number": "7001", "first_name": "Ada"}]}]}],
    hand=[], fmt="yaml", prune=True,
    file={"set": "ci", "customers": [{"number": "1001", "first_name": "Ada"}]})
@example(  # an account made by hand is declared: updated, not created; a prune leaves it
    earlier=[], hand=["1001"], fmt="yaml", prune=True,
    file={"set": "ci", "customers": [{"number": "1001", "first_name": "Ada"}]})
def test_apply_performs_exactly_what_plan_shows(sqlite_template, tmp_path_factory, earlier,
                                                hand, file, fmt, prune):
    tmp_path = tmp_path_factory.mktemp("prop")
    cli, url = _fresh_cli(sqlite_template, tmp_path, 0)
    # the database's state: earlier applies (this set's or another's), accounts by hand
    for n, document in enumerate(earlier):
        cli("apply", "-f", _write(tmp_path, document, fmt, n), "--prune", "--yes")
    for number in hand:
        cli("create", "customer", "--number", number, "--first-name", "Hand")
    path = _write(tmp_path, {**file, "set": "ci"}, fmt, 99)
    flags = ["--prune"] if prune else []

    before = _snapshot(url)
    plan = cli("plan", "-f", path, *flags, "-o", "json")
    assert plan.exit_code in (0, 3, 4), (plan.exit_code, plan.stderr[-2000:])
    event(f"plan exit {plan.exit_code}")
    assert _snapshot(url) == before  # a plan writes nothing
    applied = cli("apply", "-f", path, *flags, "--yes", "-o", "json")
    assert applied.exit_code == plan.exit_code, (plan.stderr[-1500:], applied.stderr[-1500:])
    if plan.exit_code != 0:
        assert _snapshot(url) == before  # refused as the plan was: nothing written
        return
    planned, done = json.loads(plan.stdout), json.loads(applied.stdout)
    assert _ops(done["objects"]) == _ops(planned)
    for action in sorted({o["action"] for o in planned}):
        event(f"plan has {action}")

    # the audit of the batch: one event per account the plan changes, of that action
    changing = {(o["key"], o["action"]) for o in planned
                if o["kind"] in ACCOUNT_KINDS and o["action"] != "unchanged"}
    audit = cli.json("audit", "list", "--batch", done["batch_id"], "--limit", "1000") \
        if changing else []
    assert sorted((e["account"], e["action"].split()[0]) for e in audit) == sorted(changing)

    # converged: planning the same file again finds nothing to do
    again = cli.json("plan", "-f", path, *flags)
    assert {o["action"] for o in again} <= {"unchanged"}, again


def test_pruning_a_reseller_on_sqlite(sqlite_template, tmp_path):
    cli, _url = _fresh_cli(sqlite_template, tmp_path, 0)
    first = {"set": "ci", "resellers": [{"number": "700", "first_name": "Ada"}]}
    assert cli("apply", "-f", _write(tmp_path, first, "yaml", 0)).exit_code == 0
    path = _write(tmp_path, {"set": "ci"}, "yaml", 1)
    plan = cli.json("plan", "-f", path, "--prune")
    assert [(o["action"], o["key"]) for o in plan] == [("delete", "700")]
    applied = cli("apply", "-f", path, "--prune", "--yes", "-o", "json")
    assert applied.exit_code == 0, applied.stderr
