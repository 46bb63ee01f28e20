"""Typed options objects (issue 20, architecture.md "Options objects"): the CLI and the
library share one dataclass per operation instead of the `mode` dict, and the filter flags of
`account list` and `account export` are declared once."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

import acctctl
from acctctl.options import CreateOptions, ListOptions

CLI = Path(__file__).resolve().parents[1] / "src" / "acctctl" / "cli"


def command(group: str, name: str):
    from acctctl.cli.app import load_group

    return load_group(group).get_command(None, name)


def test_no_command_reads_its_options_by_string_key():
    looked_up = {p.name: len(re.findall(r"\bmode\[", p.read_text(encoding="utf-8")))
                 for p in CLI.glob("*.py")}
    assert {name: n for name, n in looked_up.items() if n} == {}


def test_create_flags_are_the_library_create_options_plus_the_command_line_ones():
    from acctctl.cli.create import _mode_parameters
    from acctctl.cli.create_run import CreateFlags

    assert issubclass(CreateFlags, CreateOptions)
    fields = {f.name for f in dataclasses.fields(CreateFlags)}
    assert fields == {p.name for p in _mode_parameters()}
    assert {f.name for f in dataclasses.fields(CreateOptions)} == {
        "dry_run", "if_exists", "continue_on_error", "prefix", "length"}


def test_list_and_export_take_the_filter_flags_declared_once():
    from acctctl.cli.options import LIST_FILTER_FLAGS

    assert list(LIST_FILTER_FLAGS) == [f.name for f in dataclasses.fields(ListOptions)]
    shapes = []
    for name in ("list", "export"):
        params = {p.name: p for p in command("account", name).params}
        shapes.append([(n, params[n].opts, params[n].help, params[n].default)
                       for n in LIST_FILTER_FLAGS])
    assert shapes[0] == shapes[1]
    assert [opts for _, opts, _, _ in shapes[0]] == [
        ["--kind"], ["--reseller"], ["--status"], ["--search"], ["--batch"],
        ["--created-after"], ["--include-deleted"], ["--sort"], ["--limit"], ["--offset"]]


@pytest.mark.parametrize(("flags", "options", "message"), [
    (["--prefix", "x"], CreateOptions(prefix="x"), "--prefix must be digits"),
    (["--length", "19"], CreateOptions(length=19), "--length must be at most 18"),
    (["--if-exists", "maybe"], CreateOptions(if_exists="maybe"),
     "--if-exists must be fail or skip, got 'maybe'"),
])
def test_the_cli_and_the_library_refuse_bad_create_options_alike(
        flags, options, message, tmp_path, monkeypatch):
    from tests.conftest import Cli

    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'o.db'}"
    result = Cli({"ACCTCTL_DATABASE_URL": url})("create", "customer", "--count", "2", *flags)
    assert result.exit_code == 2 and message in result.stderr
    with acctctl.open(url, env={}, cwd=tmp_path) as client:
        with pytest.raises(acctctl.UsageError) as caught:
            client.create_count("customer", 2, options=options)
    assert caught.value.message == message


@pytest.mark.parametrize(("flags", "filters", "message"), [
    (["--status", "gone"], {"status": "gone"}, "--status must be active or inactive"),
    (["--sort", "colour"], {"sort": "colour"}, "--sort must be a field key"),
    (["--created-after", "soon"], {"created_after": "soon"}, "--created-after"),
    (["--search", "x" * 10_001], {"search": "x" * 10_001}, "--search is 10,001 characters"),
])
def test_the_cli_and_the_library_check_list_filters_alike(flags, filters, message, tmp_path,
                                                          monkeypatch):
    from tests.conftest import Cli

    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'o.db'}"
    cli = Cli({"ACCTCTL_DATABASE_URL": url})
    for command in (["account", "list"], ["account", "export", "--kind", "customer"]):
        result = cli(*command, *flags)
        assert result.exit_code == 2 and message in result.stderr, (command, result.stderr)
    with acctctl.open(url, env={}, cwd=tmp_path) as client:
        for call in (client.list, lambda **f: client.export("customer", **f)):
            with pytest.raises(acctctl.UsageError, match=re.escape(message)):
                call(**filters)
