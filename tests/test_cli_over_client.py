"""The CLI's day-two, read, catalog, plan and apply commands are the library's Client,
rendered (contract §12): each builds a Client on the storage it opened and calls one of its
methods (apply --prune: the preview plan, then the apply); none calls
the service or the storage itself. And a validation failure is the library's InvalidData or
Conflict wherever it is raised, so the two report the same errors."""

from __future__ import annotations

import ast
import json
import pickle
from pathlib import Path

import pytest

import acctctl
from acctctl.client import Client
from acctctl.errors import FieldError, ValidationFailed

CLI = Path(acctctl.__file__).parent / "cli"
#: the Client methods of the catalog commands (rategroup, tax, role, reference)
CATALOG_METHODS = ("rate_groups", "create_rate_group", "update_rate_group", "delete_rate_group",
                   "taxes", "create_tax", "update_tax", "delete_tax", "roles", "create_role",
                   "countries", "currencies", "timezones")


@pytest.fixture
def calls(monkeypatch):
    """Client method name -> how many times the CLI called it (each still runs)."""
    seen: dict[str, int] = {}
    for name in ("disable", "enable", "delete", "reset_password", "rotate_sip_secret",
                 "export", "page", "show", "batches", "batch", "undo", "audit", "run_create",
                 "run_update", "plan", "apply", *CATALOG_METHODS):
        method = getattr(Client, name)

        def spy(self, *args, _name=name, _method=method, **kwargs):
            seen[_name] = seen.get(_name, 0) + 1
            return _method(self, *args, **kwargs)

        monkeypatch.setattr(Client, name, spy)
    return seen


def test_each_command_is_one_client_call(cli, calls, tmp_path):
    created = cli.json("create", "customer", "--count", "2", "-o", "json")
    assert calls["run_create"] == 1
    cli.json("create", "customer", "--first-name", "Flag")
    rows = tmp_path / "rows.csv"
    rows.write_text("first_name\nFile\n")
    cli.json("create", "customer", "--from-file", str(rows), "-o", "json")
    assert calls["run_create"] == 3
    batch = created["batch_id"]
    number = created["created"][0]["number"]
    commands = [
        (("account", "update", number, "--last-name", "Changed"), "run_update"),
        (("account", "disable", number), "disable"),
        (("account", "enable", number), "enable"),
        (("account", "reset-password", number), "reset_password"),
        (("account", "rotate-sip-secret", number), "rotate_sip_secret"),
        (("account", "export", "--kind", "customer"), "export"),
        (("account", "list",), "page"),
        (("account", "show", number), "show"),
        (("batch", "list"), "batches"),
        (("batch", "show", batch), "batch"),
        (("audit", "list"), "audit"),
        (("account", "delete", created["created"][1]["number"], "--yes"), "delete"),
    ]
    for argv, method in commands:
        before = calls.get(method, 0)
        result = cli(*argv)
        assert result.exit_code == 0, (argv, result.stderr)
        assert calls.get(method, 0) == before + 1, argv
    other = cli.json("create", "customer", "--count", "1", "-o", "json")["batch_id"]
    assert cli("batch", "undo", other, "--yes").exit_code == 0
    assert calls["undo"] == 1 and calls["run_create"] == 4


def test_plan_and_apply_are_client_calls(cli, calls, tmp_path):
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"set": "spy", "customers": [
        {"number": "8101", "first_name": "A"}, {"number": "8102", "first_name": "B"}]}))

    def made(*argv, code=0):
        before = dict(calls)
        result = cli(*argv)
        assert result.exit_code == code, (argv, result.stderr)
        return {k: n - before.get(k, 0) for k, n in calls.items() if n != before.get(k, 0)}

    assert made("plan", "-f", str(seed), "--exit-code", code=7) == {"plan": 1}
    assert made("apply", "-f", str(seed), "--dry-run") == {"apply": 1}
    assert made("apply", "-f", str(seed), "--secrets-file", str(tmp_path / "s.json")) == {
        "apply": 1}
    assert made("plan", "-f", str(seed), "-o", "json", "--prune") == {"plan": 1}
    seed.write_text(json.dumps({"set": "spy", "customers": [
        {"number": "8101", "first_name": "A"}]}))
    # prune: the preview plan (what would go, before asking), then the apply
    assert made("apply", "-f", str(seed), "--prune", "--yes") == {"plan": 1, "apply": 1}
    records = cli.json("audit", "list", "--account", "8102")
    assert any(r["command"].endswith("--prune --yes") for r in records)


def test_the_client_records_the_cli_command_line(cli):
    number = cli.json("create", "customer", "--first-name", "Ida")["number"]
    assert cli("account", "disable", number).exit_code == 0
    records = cli.json("audit", "list", "--account", number, "-o", "json")
    disabled = [r for r in records if r["action"] == "disable"]
    assert disabled and disabled[0]["command"].endswith(f"account disable {number}")


def test_each_catalog_command_is_one_client_call(cli, calls):
    reseller = cli.json("create", "reseller", "--first-name", "R")["number"]
    commands = [
        (("rategroup", "create", "gold", "--reseller", reseller), "create_rate_group"),
        (("rategroup", "create", "gold", "--reseller", reseller, "--if-exists", "skip"),
         "create_rate_group"),
        (("rategroup", "list"), "rate_groups"),
        (("rategroup", "update", "gold", "--reseller", reseller, "--inactive"),
         "update_rate_group"),
        (("rategroup", "delete", "gold", "--reseller", reseller, "--yes"), "delete_rate_group"),
        (("tax", "create", "vat", "--rate", "20"), "create_tax"),
        (("tax", "list", "--reseller", reseller), "taxes"),
        (("tax", "update", "vat", "--rate", "21", "--dry-run"), "update_tax"),
        (("tax", "delete", "vat", "--yes"), "delete_tax"),
        (("role", "create", "support", "--for", "admin"), "create_role"),
        (("role", "list"), "roles"),
        (("reference", "countries", "--search", "de"), "countries"),
        (("reference", "currencies"), "currencies"),
        (("reference", "timezones", "--search", "berlin"), "timezones"),
    ]
    for argv, method in commands:
        before = dict(calls)
        result = cli(*argv)
        assert result.exit_code == 0, (argv, result.stderr)
        made = {k: n - before.get(k, 0) for k, n in calls.items() if n != before.get(k, 0)}
        assert made == {method: 1}, argv
    before = dict(calls)
    assert cli("tax", "delete", "vat", "--yes").exit_code == 3  # gone: the client's NotFound
    assert calls == {**before, "delete_tax": before["delete_tax"] + 1}


#: the commands that are the client (the wizards aside: they read the storage's field limits
#: as answers are typed, in functions of their own)
CLIENT_COMMANDS = {
    "create_run.py": {"_run_single", "_run_bulk", "_report_skipped_single",
                      "_estimate_hashing"},
    "day_two.py": {"_set_status", "disable", "enable", "delete", "reset_password",
                   "rotate_sip_secret", "_run_with_secrets_file", "export", "run_update",
                   "_update_single", "_update_bulk", "_raise_update_errors", "_kind_of"},
    "account.py": {"show", "list_"},
    "batch_cmd.py": {"batch_list", "batch_show", "batch_undo", "audit_list"},
    "catalog.py": {"rategroup_create", "rategroup_list", "rategroup_update", "rategroup_delete",
                   "tax_create", "tax_list", "tax_update", "tax_delete", "_updated",
                   "_deleting", "_deleted", "role_create", "role_list", "_reference"},
    "apply_cmd.py": {"plan", "apply", "_render_plan", "_render_applied"},
}


@pytest.mark.parametrize("module", sorted(CLIENT_COMMANDS))
def test_the_commands_call_no_service_or_storage_themselves(module):
    tree = ast.parse((CLI / module).read_text())
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    assert CLIENT_COMMANDS[module] <= set(functions)
    for name in CLIENT_COMMANDS[module]:
        body = functions[name]
        imported = {node.module for node in ast.walk(body)
                    if isinstance(node, ast.ImportFrom) and node.module}
        imported.discard("acctctl.service.records")  # the keys of a record, not an operation
        imported.discard("acctctl.service.rows")  # reading the input file, not an operation
        assert not {m for m in imported if m.startswith(("acctctl.service", "acctctl.storage"))}
        uses = [node.lineno for node in ast.walk(body)
                if isinstance(node, ast.Attribute) and node.attr in ("storage", "engine")]
        assert uses == [], f"{module} {name} uses the storage directly at {uses}"


def test_a_validation_failure_is_invalid_data_or_conflict():
    bad = ValidationFailed([FieldError("email", "is not an email address")])
    taken = ValidationFailed([FieldError("email", "already exists", conflict=True)])
    mixed = ValidationFailed([FieldError("email", "already exists", conflict=True),
                              FieldError("pin", "must be digits")])
    assert isinstance(bad, acctctl.InvalidData) and bad.exit_code == 3
    assert isinstance(taken, acctctl.Conflict) and taken.exit_code == 4
    assert isinstance(mixed, acctctl.InvalidData) and not isinstance(mixed, acctctl.Conflict)
    assert bad.message == "1 problem found; nothing was written"  # what the CLI prints
    assert "email: is not an email address" in str(bad)  # what a traceback shows
    again = pickle.loads(pickle.dumps(taken))
    assert type(again) is type(taken) and again.errors == taken.errors


def test_a_failure_names_each_place_as_the_cli_does():
    failure = ValidationFailed([FieldError("email", "bad", row="customers[2]", key="1001"),
                                FieldError("pin", "must be digits", row=3)])
    assert str(failure).endswith(": customers[2] (1001): email: bad; row 3: pin: must be digits")


def test_every_public_name_is_exported_and_importable():
    assert set(acctctl.__all__) - {"__version__"} == set(acctctl._LAZY)
    for name in ("Page", "Origin", "HashingEstimate"):
        assert getattr(acctctl, name).__name__ == name
