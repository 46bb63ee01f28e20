"""Helpers for the astpp target's tests (fixtures are in this directory's conftest.py)."""

from __future__ import annotations

import json


def rows(db, sql: str, *args) -> list[dict]:
    db.commit()  # end the previous snapshot: see what other connections committed
    with db.cursor() as cur:
        cur.execute(sql, args)
        return list(cur.fetchall())


def created(result) -> dict:
    assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr)
    return json.loads(result.stdout)


def execute(db, sql: str, *args) -> None:
    """One statement on the test's connection, committed (seen by acctctl's own)."""
    with db.cursor() as cur:
        cur.execute(sql, args or None)
    db.commit()


def customer(astpp, number: str, *extra: str, kind: str = "customer") -> dict:
    """A created account (any kind: kind=) with first name Ada and email NUMBER@example.com."""
    return created(astpp("create", kind, "--number", number, "--first-name", "Ada",
                         "--email", f"{number}@example.com", *extra, "-o", "json"))


def account_row(db, number: str) -> dict:
    (row,) = rows(db, "SELECT * FROM accounts WHERE number = %s AND deleted = 0", number)
    return row


def changed_columns(before: dict, after: dict) -> dict:
    return {k: after[k] for k in after if after[k] != before[k]}


# --- day two: ASTPP's login condition and FreeSWITCH's directory join --------------------

PASSWORD = "Secret123abc"
#: ASTPP's portal login (auth_model::verify_login)
LOGIN = ("SELECT id FROM accounts WHERE number = %s AND password = %s AND deleted = 0 "
         "AND status = 0")
#: FreeSWITCH's directory (astpp.xml.php::load_directory)
DIRECTORY = ("SELECT s.dir_params FROM sip_devices s JOIN accounts a ON a.id = s.accountid "
             "WHERE s.username = %s AND s.status = 0 AND a.status = 0 AND a.deleted = 0")


def sql(db, statement: str, *args) -> None:
    with db.cursor() as cur:
        cur.execute(statement, args)
    db.commit()


def login(db, number: str, password: str = PASSWORD) -> bool:
    """Does ASTPP's login accept this number and password?"""
    from acctctl.targets.astpp.encoding import PUBLIC_DEFAULT_KEY, encode

    return bool(rows(db, LOGIN, number, encode(password, PUBLIC_DEFAULT_KEY)))


def directory(db, username: str) -> dict | None:
    """The dir_params FreeSWITCH's directory hands out for this SIP user (None: no user)."""
    found = rows(db, DIRECTORY, username)
    return json.loads(found[0]["dir_params"]) if found else None


def maker(astpp, tmp_path):
    """make(kind, number, *flags): acctctl's create of one account (portal password
    PASSWORD); returns create's -o json output."""
    secret = tmp_path / "pw"
    secret.write_text(PASSWORD + "\n")

    def make(kind: str, number: str, *extra: str) -> dict:
        flags = ["--first-name", "Ada", "--email", f"{number}@example.com"]
        if kind == "subadmin":
            flags += ["--role", "Admin_permission"]
        return created(astpp("create", kind, "--number", number, "--password-file",
                             str(secret), *flags, *extra, "-o", "json"))

    return make
