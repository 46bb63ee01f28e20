"""ASTPP's own customer import file (contract §8): its columns mapped to acctctl's field keys.

ASTPP's "Import Customers" page (module account_import) offers a sample file whose header is
COLUMNS below, in that order; its mapper also knows Balance and Credit Limit. ASTPP skips a
row it cannot take without saying which or why (a number that is empty, not numeric, taken or
repeated; an email that is empty, taken or repeated) and drops some columns' values without
a word. Here every such value is an error on its row, named by its column, through the same
models and rules as every other row. Facts: docs/bulk.md "ASTPP's customer import file".

This is the one place that knows the columns: the reader (service/rows.py) asks
`is_astpp_header` and `translate`, the docs' table lists COLUMNS.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from acctctl.errors import UsageError


@dataclass(frozen=True)
class Column:
    name: str  # as ASTPP's sample file spells it
    astpp: str  # what ASTPP's importer does with it
    key: str | None  # acctctl's field key; None: acctctl has no field for it
    lost: str = ""  # key None: what a value in it is ("an opening balance")
    instead: str = ""  # key None: what the user can do instead


#: ASTPP's sample header (customers_sample.csv), in its order, then the two columns its
#: mapper also offers. The only mapping table: the reader and docs/bulk.md use this one.
COLUMNS: tuple[Column, ...] = (
    Column("Account", "accounts.number; skips the row if empty, not numeric, taken or "
           "repeated", "number"),
    Column("Password", "accounts.password; empty: the page's default, else generated", "password"),
    Column("First Name", "accounts.first_name; empty: the page's default, else the number",
           "first_name"),
    Column("Last Name", "accounts.last_name", "last_name"),
    Column("Company", "accounts.company_name", "company"),
    Column("Phone", "accounts.telephone_1", "telephone"),
    Column("Mobile", "accounts.telephone_2", None, "a second telephone",
           "put it in Phone, or add it in ASTPP after the import"),
    Column("Email", "accounts.email; skips the row if empty, taken or repeated", "email"),
    Column("Address", "accounts.address_1", "address"),
    Column("City", "accounts.city", "city"),
    Column("Province/State", "accounts.province", "province"),
    Column("Zip/Postal Code", "accounts.postal_code", "postal_code"),
    Column("Number Translation", "meant for accounts.dialed_modify (rules quoted), but its "
           "mapper offers no choice for it: the value is dropped", "number_translation"),
    Column("Out Callerid Translation", "dropped (older versions: accounts.std_cid_translation)",
           None,
           "an outbound caller-ID translation", "set it in ASTPP after the import"),
    Column("In Callerid Translation", "dropped (older versions: accounts.did_cid_translation)",
           None,
           "an inbound caller-ID translation", "set it in ASTPP after the import"),
    Column("Concurrent Calls", "accounts.maxchannels, unchecked", "max_channels"),
    Column("CPS", "accounts.cps, unchecked", "cps"),
    Column("SIP Username", "sip_devices.username; a taken one becomes a random one", None,
           "a SIP username other than the account number",
           "acctctl names the SIP device after the number: leave the cell empty or give the "
           "Account number"),
    Column("SIP Password", "the SIP device's password; empty: the page's choice",
           "sip_password"),
    Column("Balance", "accounts.balance, with a payment and a receipt; ignored on postpaid", None,
           "an opening balance", "acctctl creates every account with balance 0: add the "
           "balance in ASTPP after the import"),
    Column("Credit Limit", "accounts.credit_limit; ignored on prepaid", "credit_limit"),
)

#: a column of ASTPP's file, by its name folded (ASTPP's page also says "Account Number")
_BY_NAME = {c.name.casefold(): c for c in COLUMNS}
_BY_NAME["account number"] = _BY_NAME["account"]
REQUIRED = ("Account", "Email")  # ASTPP's importer skips every row without one of them
_KEY_SHAPED = re.compile(r"[a-z_][a-z0-9_]*")  # how a field key is spelt


def column(name: str) -> Column | None:
    return _BY_NAME.get(name.strip().casefold())


def is_astpp_header(header: list[str]) -> bool:
    """A header is ASTPP's when a cell names one of its columns as ASTPP spells it (capitals,
    spaces: `First Name`, `Email`, `CPS`), which no header of field keys does (`email`)."""
    return any(column(cell) and not _KEY_SHAPED.fullmatch(cell) for cell in header)


def check_header(header: list[str], source: str) -> None:
    """The header of a file read as ASTPP's: what would make every row fail is exit 2."""
    found = [c for c in (column(cell) for cell in header) if c is not None]
    missing = [name for name in REQUIRED if not any(c.name == name for c in found)]
    if missing:
        raise UsageError(
            f"{source} is read as ASTPP's customer import file but has no "
            f"{' or '.join(repr(m) for m in missing)} column: ASTPP's importer needs both "
            "(it skips every row without them)",
            hint="add the column, or write a header of acctctl's field keys "
                 "(acctctl create customer --template csv)")
    keys = [c.key or c.name for c in found]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        raise UsageError(f"the header of {source} names ASTPP's column for {twice[0]} twice")


class ImportedRow(dict):
    """A row of field keys made from a row of ASTPP's file.

    problems: {column: message}, each an error on this row (the pipeline reports them with
    the row's own errors and writes nothing of the row); source: the row as the file has it,
    for --rejects-file to give back in the file's own columns."""

    problems: dict[str, str]
    source: dict[str, str]


def translate(record: dict[str, str], defaults: frozenset[str] = frozenset()) -> ImportedRow:
    """One row of ASTPP's file (header cell -> non-empty value) as field keys.

    defaults: the keys given as flags (they are the default for every row, as ASTPP's page
    defaults are: a flag --first-name wins over ASTPP's fallback to the number)."""
    row = ImportedRow()
    row.problems, row.source = {}, record
    for name, value in record.items():
        found = column(name)
        if found is None:  # a field key (or any other column): the pipeline judges it
            row[name] = value
        elif found.key is not None:
            row[found.key] = value
        elif found.name == "SIP Username" and value.strip() == record_number(record):
            continue  # the name acctctl gives the device anyway: nothing is lost
        else:
            row.problems[found.name] = (
                f"acctctl has no field for {found.lost}, so the row is not written: empty "
                f"the cell to create the account without it ({found.instead})")
    for name in REQUIRED:
        key = _BY_NAME[name.casefold()].key
        if key not in row:
            row.problems[name] = (f"is empty: ASTPP's import file needs an {name} "
                                  "on every row (ASTPP skips a row without one)")
    if "first_name" not in row and "first_name" not in defaults and "number" in row:
        row["first_name"] = row["number"]  # ASTPP names an account without one by its number
    return row


def record_number(record: dict[str, str]) -> str | None:
    for name, value in record.items():
        found = column(name)
        if found is not None and found.key == "number":
            return value.strip()
    return None


def columns_markdown() -> str:
    """The column table of docs/bulk.md, from COLUMNS (a test keeps the two equal)."""
    lines = ["| ASTPP column | acctctl key | what ASTPP's importer does with it |",
             "|---|---|---|"]
    for c in COLUMNS:
        key = f"`{c.key}`" if c.key else f"none: an error on its row ({c.lost})"
        lines.append(f"| {c.name} | {key} | {c.astpp} |")
    return "\n".join(lines) + "\n"
