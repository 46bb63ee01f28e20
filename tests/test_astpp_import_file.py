"""ASTPP's own customer import file (contract §8, docs/bulk.md): `create customer --from-file`
recognises it by its header, maps each column as ASTPP's importer does, and reports on its
row every value ASTPP would skip or drop without a word.

Every test runs on SQLite and on PostgreSQL (the `cli` fixture is parametrised by `db_url`).
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import sqlalchemy as sa
from argon2 import PasswordHasher

from acctctl.service import astpp_import

#: the header of the sample file ASTPP's "Import Customers" page offers
#: (web_interface/astpp/assets/Rates_File/customers_sample.csv), exactly, in its order
SAMPLE_HEADER = ("Account,Password,First Name,Last Name,Company,Phone,Mobile,Email,Address,"
                 "City,Province/State,Zip/Postal Code,Number Translation,"
                 "Out Callerid Translation,In Callerid Translation,Concurrent Calls,CPS,"
                 "SIP Username,SIP Password")
PASSWORD = "Portal123pass"
SIP_SECRET = "SipSecret12345"


def astpp_row(**cells: str) -> dict:
    base = {
        "Account": "4200000001", "Password": PASSWORD, "First Name": "Samir",
        "Last Name": "Doshi", "Company": "Inextrix", "Phone": "+442079460000",
        "Email": "samir@example.com", "Address": "508 Corporate Heights", "City": "Ahmedabad",
        "Province/State": "Gujarat", "Zip/Postal Code": "380013",
        "Number Translation": "00/,+/", "Concurrent Calls": "5", "CPS": "3",
        "SIP Username": "4200000001", "SIP Password": SIP_SECRET,
    }
    return {**base, **cells}


def write_astpp(path, rows: list[dict], header: str = SAMPLE_HEADER) -> str:
    """A file with ASTPP's header as its sample has it, cells by column name."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header.split(","), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    os.chmod(path, 0o600)
    return str(path)


def account_numbers(engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(sa.text("SELECT number FROM accounts")).scalars())


def errors_by_field(report: dict) -> dict[str, dict]:
    return {e["field"]: e for e in report["errors"]}


# --- the mapping table ---------------------------------------------------------------------


def test_the_table_starts_with_the_sample_header_in_its_order():
    names = [c.name for c in astpp_import.COLUMNS]
    assert names[:19] == SAMPLE_HEADER.split(",")
    assert names[19:] == ["Balance", "Credit Limit"]  # the mapper's two columns beyond it
    for c in astpp_import.COLUMNS:  # a column either has a field or says what is lost
        assert (c.key is None) == bool(c.lost) == bool(c.instead), c.name


def test_the_column_table_in_the_docs_is_the_mapping_table():
    # docs/bulk.md shows COLUMNS; regenerate the table when a column changes:
    #   python -c "from acctctl.service.astpp_import import columns_markdown as m; print(m())"
    docs = (Path(__file__).resolve().parents[1] / "docs" / "bulk.md").read_text()
    assert astpp_import.columns_markdown() in docs


def test_a_header_is_astpps_by_its_spelling_not_by_keys_it_shares():
    assert astpp_import.is_astpp_header(SAMPLE_HEADER.split(","))
    assert astpp_import.is_astpp_header(["Account", "Email"])
    # field keys that ASTPP also names (company, city, cps) keep a file of field keys as it is
    assert not astpp_import.is_astpp_header(["number", "company", "city", "cps", "email"])


# --- recognised and imported ---------------------------------------------------------------


def test_the_sample_header_imports_customers_each_column_in_its_field(cli, tmp_path, engine):
    path = write_astpp(tmp_path / "samplefile.csv", [
        astpp_row(),
        astpp_row(**{"Account": "4200000002", "Email": "two@example.com",
                     "SIP Username": "", "SIP Password": "", "Password": ""}),
    ])
    report = cli.json("create", "customer", "--from-file", path)
    assert report["summary"] == {"created": 2, "skipped": 0, "failed": 0}
    first = cli.json("account", "show", "4200000001")
    assert {k: first[k] for k in (
        "number", "first_name", "last_name", "company", "telephone", "email", "address",
        "city", "province", "postal_code", "number_translation", "max_channels", "cps",
    )} == {
        "number": "4200000001", "first_name": "Samir", "last_name": "Doshi",
        "company": "Inextrix", "telephone": "+442079460000", "email": "samir@example.com",
        "address": "508 Corporate Heights", "city": "Ahmedabad", "province": "Gujarat",
        "postal_code": "380013", "number_translation": "00/,+/", "max_channels": 5, "cps": 3,
    }
    assert first["sip_devices"][0]["username"] == "4200000001"
    with engine.connect() as conn:
        stored = dict(conn.execute(sa.text(
            "SELECT a.number, a.password_hash FROM accounts a")).all())
        secret = conn.execute(sa.text(
            "SELECT d.secret FROM sip_devices d JOIN accounts a ON a.id = d.account_id "
            "WHERE a.number = '4200000001'")).scalar_one()
    assert PasswordHasher().verify(stored["4200000001"], PASSWORD)  # Password -> password
    assert secret == SIP_SECRET  # SIP Password -> the device's secret
    generated = {r["number"]: r.get("generated", {}) for r in report["created"]}
    assert set(generated["4200000002"]) == {"password", "sip_password"}  # empty: generated
    assert set(generated["4200000001"]) == set()


def test_credit_limit_lands_in_credit_limit_of_a_postpaid_customer(cli, tmp_path):
    header = "Account,First Name,Email,Credit Limit"
    path = write_astpp(tmp_path / "c.csv", [
        {"Account": "4200000003", "First Name": "Al", "Email": "al@example.com",
         "Credit Limit": "250.5"}], header)
    cli.json("create", "customer", "--from-file", path, "--account-type", "postpaid")
    assert cli.json("account", "show", "4200000003")["credit_limit"] == "250.5"


def test_an_empty_first_name_is_the_number_as_in_astpp_unless_a_flag_gives_one(cli, tmp_path):
    header = "Account,First Name,Email"
    rows = [{"Account": "4200000004", "First Name": "", "Email": "a4@example.com"}]
    cli.json("create", "customer", "--from-file", write_astpp(tmp_path / "a.csv", rows, header))
    assert cli.json("account", "show", "4200000004")["first_name"] == "4200000004"
    rows = [{"Account": "4200000005", "First Name": "", "Email": "a5@example.com"}]
    cli.json("create", "customer", "--from-file", write_astpp(tmp_path / "b.csv", rows, header),
             "--first-name", "Flagged")
    assert cli.json("account", "show", "4200000005")["first_name"] == "Flagged"


def test_format_astpp_reads_it_from_stdin(cli, tmp_path):
    text = "Account,First Name,Email\n4200000006,Di,di@example.com\n"
    result = cli("create", "customer", "--from-file", "-", "--format", "astpp", "-o", "json",
                 input=text)
    assert result.exit_code == 0, result.stderr
    assert cli.json("account", "show", "4200000006")["email"] == "di@example.com"


# --- reported, never dropped without a word ------------------------------------------------


def test_a_column_acctctl_has_no_field_for_is_named_and_its_row_not_written(
        cli, tmp_path, engine):
    header = SAMPLE_HEADER + ",Balance"
    path = write_astpp(tmp_path / "lossy.csv", [
        astpp_row(Mobile="919724525224"),
        astpp_row(**{"Account": "4200000002", "Email": "two@example.com",
                     "SIP Username": "4200000002", "Balance": "25"}),
        astpp_row(**{"Account": "4200000003", "Email": "three@example.com",
                     "SIP Username": "777", "Out Callerid Translation": "/1",
                     "In Callerid Translation": "1/"}),
    ], header)
    result = cli("create", "customer", "--from-file", path)
    assert result.exit_code == 3, result.stderr
    assert account_numbers(engine) == set()
    err = result.stderr
    assert "row 1 (4200000001): Mobile: acctctl has no field for a second telephone" in err
    assert "row 2 (4200000002): Balance: acctctl has no field for an opening balance" in err
    assert "row 3 (4200000003): SIP Username: " in err
    assert "row 3 (4200000003): Out Callerid Translation: " in err
    assert "row 3 (4200000003): In Callerid Translation: " in err
    assert err.count("so the row is not written") == 5

    report = cli.json("create", "customer", "--from-file", path, "--continue-on-error", code=6)
    assert report["summary"] == {"created": 0, "skipped": 0, "failed": 3}
    assert errors_by_field(report)["Balance"] == {
        "row": 2, "key": "4200000002", "field": "Balance",
        "message": errors_by_field(report)["Balance"]["message"]}


def test_a_row_astpp_would_skip_is_an_error_naming_row_and_field(cli, tmp_path, engine):
    path = write_astpp(tmp_path / "skips.csv", [
        astpp_row(Account="", **{"SIP Username": ""}),  # ASTPP: no number, skipped
        astpp_row(Account="42x", Email="b@example.com", **{"SIP Username": ""}),  # not numeric
        astpp_row(Account="4200000009", Email=""),  # ASTPP: no email, skipped
        astpp_row(Account="4200000010", Email="d@example.com", **{"SIP Username": ""}),
        astpp_row(Account="4200000010", Email="e@example.com", **{"SIP Username": ""}),
    ])
    report = cli.json("create", "customer", "--from-file", path, code=3)
    found = {(e["row"], e["field"]) for e in report["errors"]}
    assert {(1, "Account"), (2, "number"), (3, "Email"), (5, "number")} <= found
    assert all(e["row"] != 4 for e in report["errors"])
    assert account_numbers(engine) == set()


def test_an_account_that_exists_is_a_conflict_not_a_silent_skip(cli, tmp_path):
    cli.json("create", "customer", "--number", "4200000001", "--first-name", "Old")
    path = write_astpp(tmp_path / "again.csv", [astpp_row()])
    result = cli("create", "customer", "--from-file", path)
    assert result.exit_code == 4, result.stderr
    assert "row 1 (4200000001): number" in result.stderr


def test_the_rejects_file_gives_the_row_back_in_astpps_columns(cli, tmp_path):
    header = "Account,First Name,Email,Balance"
    path = write_astpp(tmp_path / "in.csv", [
        {"Account": "4200000011", "First Name": "Ok", "Email": "ok@example.com"},
        {"Account": "4200000012", "First Name": "Lo", "Email": "lo@example.com",
         "Balance": "9"}], header)
    rejects = tmp_path / "rejects.csv"
    result = cli("create", "customer", "--from-file", path, "--continue-on-error",
                 "--rejects-file", str(rejects))
    assert result.exit_code == 6, result.stderr
    back = list(csv.DictReader(rejects.open(encoding="utf-8")))
    assert [r["Account"] for r in back] == ["4200000012"]
    assert back[0]["Balance"] == "9" and back[0]["error"].startswith("Balance: ")
    fixed = tmp_path / "fixed.csv"
    fixed.write_text(rejects.read_text().replace(",9,", ",,"))
    assert cli("create", "customer", "--from-file", str(fixed)).exit_code == 0


# --- hostile or misplaced input: exit 2 or 3, never a traceback ----------------------------


def test_misplaced_astpp_files_are_usage_errors(cli, tmp_path, engine):
    astpp_file = write_astpp(tmp_path / "astpp.csv", [astpp_row()])
    keys_file = tmp_path / "keys.csv"
    keys_file.write_text("number,first_name\n4200000001,Ann\n")
    no_email = write_astpp(tmp_path / "no-email.csv",
                           [{"Account": "1", "First Name": "A"}], "Account,First Name")
    twice = tmp_path / "twice.csv"
    twice.write_text("Account,Account Number,Email\n1,2,a@example.com\n")
    for args, says in (
        (["create", "provider", "--from-file", astpp_file], "only `acctctl create customer"),
        (["account", "update", "--from-file", astpp_file], "only `acctctl create customer"),
        (["create", "provider", "--from-file", str(keys_file), "--format", "astpp"],
         "only `create customer`"),
        (["create", "customer", "--from-file", str(keys_file), "--format", "astpp"],
         "is not ASTPP's customer import file"),
        (["create", "customer", "--from-file", no_email], "no 'Email' column"),
        (["create", "customer", "--from-file", str(twice)], "twice"),
    ):
        result = cli(*args)
        assert result.exit_code == 2, (args, result.stderr)
        assert says in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr
    assert account_numbers(engine) == set()


def test_hostile_rows_of_an_astpp_file_are_row_errors(cli, tmp_path, engine):
    path = tmp_path / "hostile.csv"
    path.write_text("Account,First Name,Email\n"
                    f"4200000020,{'x' * 20_000},a@example.com\n"  # longer than a cell may be
                    "4200000021,B,b@example.com,extra,cells\n"  # more cells than the header
                    "4200000022,\x00\x07,c@example.com\n")  # control characters
    report = cli.json("create", "customer", "--from-file", str(path), code=3)
    assert {e["row"] for e in report["errors"]} == {1, 2, 3}
    # the control characters are judged by first_name's rule: the column was mapped
    assert (3, "first_name") in {(e["row"], e["field"]) for e in report["errors"]}
    assert account_numbers(engine) == set()
