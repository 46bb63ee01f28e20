"""The SIP devices of the accounts target, as a registrar must mirror them.

Read straight from acctctl's own schema (sip_devices joined to accounts): the storage
interface of issue 17 will give every target a reader like this one; until it lands this is
the one place registrars read the accounts target.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from acctctl.models.tables import Account, SipDevice


@dataclass(frozen=True)
class Device:
    username: str
    secret: str
    enabled: bool  # the device and its account are active: it may register
    account: str  # the account's number (ASTPP's flavour stores it as accountcode)
    caller_id_name: str
    caller_id_number: str


def live_devices(conn: sa.Connection) -> dict[str, Device]:
    """Every SIP device that is not deleted, by username; disabled ones too (a registrar
    must then hold no row for them)."""
    A, SD = Account.__table__, SipDevice.__table__
    query = (sa.select(SD.c.username, SD.c.secret, SD.c.status, A.c.status.label("account"),
                       A.c.number, SD.c.caller_id_name, SD.c.caller_id_number)
             .join(A, A.c.id == SD.c.account_id)
             .where(SD.c.deleted_at.is_(None), A.c.deleted_at.is_(None)))
    return {row.username: Device(
        username=row.username, secret=row.secret,
        enabled=row.status == "active" and row.account == "active", account=row.number,
        caller_id_name=row.caller_id_name, caller_id_number=row.caller_id_number)
        for row in conn.execute(query)}
