"""ASTPP's own customer import file into an ASTPP database (contract §8 last bullet): each
column lands in the accounts column ASTPP's importer writes it to, and a value ASTPP would
drop without a word is an error on its row, with nothing written."""

from __future__ import annotations

import json

from acctctl.targets.astpp.encoding import PUBLIC_DEFAULT_KEY, encode
from astpp.astpp_helpers import created, rows

HEADER = ("Account,Password,First Name,Last Name,Company,Phone,Mobile,Email,Address,City,"
          "Province/State,Zip/Postal Code,Number Translation,Out Callerid Translation,"
          "In Callerid Translation,Concurrent Calls,CPS,SIP Username,SIP Password")
PASSWORD = "Portal123pass"
SECRET = "SipSecret12345"


def test_astpps_sample_header_lands_in_astpps_own_columns(astpp, db, tmp_path):
    path = tmp_path / "samplefile.csv"
    path.write_text(
        HEADER + "\n"
        f"5551230001,{PASSWORD},Samir,Doshi,Inextrix,+442079460000,,samir@example.com,"
        f'508 Heights,Ahmedabad,Gujarat,380013,"00/,+/",,,5,3,5551230001,{SECRET}\n')
    path.chmod(0o600)
    created(astpp("create", "customer", "--from-file", str(path), "-o", "json"))
    (row,) = rows(db, "SELECT * FROM accounts WHERE number = '5551230001'")
    assert {k: row[k] for k in (
        "first_name", "last_name", "company_name", "email", "address_1", "city", "province",
        "postal_code", "maxchannels", "cps", "telephone_2", "std_cid_translation",
        "did_cid_translation", "balance", "type",
    )} == {
        "first_name": "Samir", "last_name": "Doshi", "company_name": "Inextrix",
        "email": "samir@example.com", "address_1": "508 Heights", "city": "Ahmedabad",
        "province": "Gujarat", "postal_code": "380013", "maxchannels": 5, "cps": 3,
        "telephone_2": "", "std_cid_translation": "", "did_cid_translation": "",
        "balance": 0, "type": 0,
    }
    assert row["telephone_1"].lstrip("+") == "442079460000"
    assert row["dialed_modify"].replace('"', "") == "00/,+/"
    assert row["password"] == encode(PASSWORD, PUBLIC_DEFAULT_KEY)
    (device,) = rows(db, "SELECT username, dir_params FROM sip_devices WHERE accountid = %s",
                     row["id"])
    assert device["username"] == "5551230001"
    assert json.loads(device["dir_params"])["password"] == SECRET


def test_an_opening_balance_is_an_error_on_its_row_and_nothing_is_written(astpp, db, tmp_path):
    path = tmp_path / "balance.csv"
    path.write_text("Account,First Name,Email,Balance\n"
                    "5551230002,Ann,ann@example.com,\n"
                    "5551230003,Bo,bo@example.com,25\n")
    result = astpp("create", "customer", "--from-file", str(path))
    assert result.exit_code == 3, result.stderr
    assert "row 2 (5551230003): Balance: acctctl has no field for an opening balance" \
        in result.stderr
    assert rows(db, "SELECT id FROM accounts WHERE number LIKE '555123000%%'") == []
