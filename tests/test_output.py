"""Output shapes: json, jsonl, csv and table; no hash ever shown; markup printed literally."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

FORMATS = ("table", "json", "jsonl", "csv")
CUSTOMER_KEYS = {
    "number", "kind", "reseller", "pin", "status", "max_channels", "cps", "number_translation",
    "expiry", "valid_days", "sip_device", "first_name", "last_name", "email", "company",
    "address", "city", "province", "postal_code", "country", "telephone", "timezone",
    "rate_group", "billing_schedule", "billing_day", "currency", "account_type", "credit_limit",
    "taxes", "low_balance_alert", "email_alerts", "notify_email", "first_used", "balance",
    "created_at", "created_by", "batch_id", "updated_at", "deleted_at",
}


def test_single_create_json_shape(cli):
    out = cli.json("create", "customer", "--first-name", "Ada", "--email", "ada@example.com")
    assert set(out) == CUSTOMER_KEYS | {"generated"}
    assert set(out["generated"]) == {"password", "sip_password"}
    shown = cli.json("account", "show", out["number"])
    assert set(shown) == CUSTOMER_KEYS | {"sip_devices"}
    assert shown.pop("sip_devices") == [{"username": out["number"], "status": "active"}]
    assert {k: v for k, v in out.items() if k != "generated"} == shown


def test_generated_holds_only_what_was_generated(cli, tmp_path):
    path = tmp_path / "pw"
    path.write_text("Given123pass\n")
    out = cli.json("create", "customer", "--first-name", "A", "--password-file", str(path))
    assert set(out["generated"]) == {"sip_password"}
    out = cli.json("create", "customer", "--first-name", "B", "--password-file", str(path),
                   "--no-sip-device")
    assert "generated" not in out or out["generated"] == {}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind", ["customer", "reseller", "admin"])
def test_no_hash_in_any_output(cli, fmt, kind):
    args = ["create", kind, "--first-name", "Ada", "--email", f"{kind}@example.com"]
    created = cli(*args, "-o", fmt)
    assert created.exit_code == 0, created.stderr
    number = cli.json("account", "list")[0]["number"]
    for result in (created, cli("account", "show", number, "-o", fmt),
                   cli("account", "list", "-o", fmt)):
        text = result.stdout + result.stderr
        assert "password_hash" not in text
        assert "$argon2" not in text


def test_markup_printed_literally(cli):
    out = cli.json("create", "customer", "--first-name", "[bold]Ada[/bold]",
                   "--last-name", "[red]x")
    table = cli("account", "show", out["number"])
    assert "[bold]Ada[/bold]" in table.stdout and "[red]x" in table.stdout
    listing = cli("account", "list")
    assert "[bold]Ada[/bold]" in listing.stdout
    created = cli("create", "customer", "--first-name", "[bold]Bo[/bold]")
    assert "[bold]Bo[/bold]" in created.stdout
    cli.json("rategroup", "create", "[italic]rg[/italic]")
    assert "[italic]rg[/italic]" in cli("rategroup", "list").stdout


def test_table_marks_secrets_shown_once(cli):
    result = cli("create", "customer", "--first-name", "Ada")
    assert result.exit_code == 0
    assert "once" in result.stdout.lower()
    number = cli.json("account", "list")[0]["number"]
    assert number in result.stdout


def test_jsonl_and_csv_single_create(cli):
    result = cli("create", "customer", "--first-name", "Ada", "-o", "jsonl")
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])  # the same object as -o json, secrets under "generated"
    assert record["first_name"] == "Ada"
    assert set(record["generated"]) == {"password", "sip_password"}
    result = cli("create", "customer", "--first-name", "Bob", "-o", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 1 and rows[0]["first_name"] == "Bob"
    assert rows[0]["password"] and rows[0]["sip_password"]


def test_list_formats(cli):
    cli.json("tax", "create", "vat", "--rate", "20")
    cli.json("tax", "create", "levy", "--rate", "1")
    numbers = [cli.json("create", "customer", "--first-name", f"N{i}", "--tax", "vat",
                        "--tax", "levy")["number"] for i in range(3)]
    cli.json("create", "admin", "--first-name", "Root", "--email", "r@example.com")
    listed = cli.json("account", "list", "--kind", "customer")
    assert [a["number"] for a in listed] == sorted(numbers)  # §7: sorted by number
    assert all(set(a) == CUSTOMER_KEYS for a in listed)
    jsonl = cli("account", "list", "--kind", "customer", "-o", "jsonl").stdout
    assert [json.loads(line) for line in jsonl.splitlines()] == listed
    rows = list(csv.DictReader(io.StringIO(cli("account", "list", "--kind", "customer",
                                               "-o", "csv").stdout)))
    assert [r["number"] for r in rows] == sorted(numbers)
    assert rows[0]["taxes"].split(";") in (["vat", "levy"], ["levy", "vat"])
    assert rows[0]["sip_device"] in ("true", "True", "1")
    everything = list(csv.DictReader(io.StringIO(cli("account", "list", "-o", "csv").stdout)))
    assert len(everything) == 4 and {"role", "pin"} <= set(everything[0])
    assert cli("account", "list", "-o", "xml").exit_code == 2


def test_empty_list(cli):
    assert cli.json("account", "list") == []
    assert cli("account", "list", "-o", "jsonl").stdout == ""


# --- 80 columns ------------------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _table_at(width, monkeypatch, records, columns, fit):
    from acctctl.output import write_records, write_table_stream

    monkeypatch.setenv("COLUMNS", str(width))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("TERM", "xterm")
    out = _Terminal()
    if fit.drop and "password" in columns:
        write_table_stream(iter(records), columns, title="t", out=out, fit=fit)
    else:
        write_records(records, "table", columns=columns, title="t", out=out, fit=fit)
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out.getvalue())  # bold, italic


LONG = {"number": "390677060812345678", "kind": "customer", "first_name": "Bartholomew",
        "last_name": "Longlastnameington", "email": "bartholomew.longlastname@example.com",
        "status": "active", "reseller": "4123456789",
        "created_at": "2026-11-26T07:42:18.231060+00:00"}


def test_a_list_drops_only_minor_columns_and_never_splits_a_value(monkeypatch, capsys):
    from acctctl.cli.account import LIST_COLUMNS, LIST_DROP_ORDER
    from acctctl.output import Fit

    fit = Fit(drop=LIST_DROP_ORDER, hint="--wide shows every column")
    text = _table_at(120, monkeypatch, [LONG], LIST_COLUMNS, fit)
    assert max(len(line) for line in text.splitlines()) <= 120, text
    for value in ("390677060812345678", "customer", "bartholomew.longlastname@example.com"):
        assert value in text, text  # whole, on one line
    assert "4123456789" not in text and "2026-11-26" in text and "07:42" not in text
    assert "left out to fit 120 columns: reseller" in capsys.readouterr().err
    # at 80 the columns that matter cannot fit: one block per record, every column in it
    narrow = _table_at(80, monkeypatch, [LONG], LIST_COLUMNS, fit)
    assert narrow.startswith("-[ RECORD 1 ]-") and "reseller   | 4123456789" in narrow
    assert max(len(line) for line in narrow.splitlines()) <= 80, narrow
    assert capsys.readouterr().err == ""
    roomy = _table_at(200, monkeypatch, [LONG], LIST_COLUMNS, fit)
    assert "2026-11-26" in roomy and "07:42" not in roomy  # a short date
    assert capsys.readouterr().err == ""
    wide = _table_at(80, monkeypatch, [LONG], LIST_COLUMNS, Fit(drop=LIST_DROP_ORDER, wide=True))
    assert "2026-11-26T07:42:18.231060+00:00" in wide and "Longlastnameington" in wide


def test_the_bulk_table_keeps_numbers_and_secrets_whole_at_80_columns(monkeypatch, capsys):
    from acctctl.output import Fit

    columns = ["number", "kind", "first_name", "last_name", "email", "reseller", "password",
               "sip_password"]
    record = {**LONG, "password": "vdcV*3p$!a3VXD()x", "sip_password": "ODLm2Dvp3naB-vC0mWwXfJZW"}
    fit = Fit(drop=("reseller", "kind", "last_name", "first_name", "email"))
    text = _table_at(80, monkeypatch, [record] * 3, columns, fit)
    for value in ("390677060812345678", "vdcV*3p$!a3VXD()x", "ODLm2Dvp3naB-vC0mWwXfJZW"):
        assert text.count(value) == 3, text
    assert max(len(line) for line in text.splitlines()) <= 80, text
    assert "left out to fit 80 columns" in capsys.readouterr().err
    # narrower than the secrets themselves: the line grows, the secret stays whole
    tiny = _table_at(30, monkeypatch, [record], columns, fit)
    assert "ODLm2Dvp3naB-vC0mWwXfJZW" in tiny and "vdcV*3p$!a3VXD()x" in tiny


def test_the_account_card_keeps_values_and_secrets_whole_on_a_narrow_terminal(monkeypatch):
    from acctctl.output import write_account_card

    monkeypatch.setenv("COLUMNS", "40")
    out = _Terminal()
    write_account_card({"number": "4123456789", "email": "bartholomew.longlastname@example.com",
                        "generated": {"sip_password": "ODLm2Dvp3naB-vC0mWwXfJZW-and-more"}}, out)
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out.getvalue())
    assert "bartholomew.longlastname@example.com" in text, text
    assert "ODLm2Dvp3naB-vC0mWwXfJZW-and-more" in text, text
