"""`registrar check` and `registrar sync`: compare a registrar with the accounts target and
repair the difference, idempotently.

A device exists and authenticates in a registrar exactly when it is live and enabled in
the accounts target. A disabled device has no row (a row that is absent cannot
authenticate, whatever the proxy's `calculate_ha1`); enabling it writes the same secret
back. Order of the writes, so that an interruption anywhere leaves only differences the
next `check` reports and `sync` repairs:

1. record the rows about to be added (acctctl's database, committed);
2. write and remove the rows in the registrar (one transaction there);
3. forget the removed rows (acctctl's database, committed).

Interrupted after 1: recorded rows are missing (check says so, sync adds them). After 2:
removed rows stay recorded until the next sync tidies the record (no difference: a recorded
row that is gone and not needed is nothing a proxy sees).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from acctctl.registrars import Registrar, SecretTooLong, record, subscribers
from acctctl.storage import Device, Storage, as_storage

#: the states check reports; all but "unmanaged" are differences (exit 6)
STATES = ("missing", "stale", "extra", "wrongly_enabled", "conflict", "unmanaged")


@dataclass
class Plan:
    registrar: Registrar
    add: list[Device] = field(default_factory=list)  # no row: write one
    update: list[Device] = field(default_factory=list)  # acctctl's row, wrong values
    remove: list[tuple[str, str, str]] = field(default_factory=list)  # (user, domain, state)
    conflict: list[str] = field(default_factory=list)  # a device's key held by an own row
    unmanaged: list[tuple[str, str]] = field(default_factory=list)
    forget: list[tuple[str, str]] = field(default_factory=list)  # recorded, gone, not needed
    unrecorded: list[tuple[str, str]] = field(default_factory=list)  # to record before adding

    def differences(self) -> list[dict]:
        name = self.registrar.name
        out = [_item(name, d.username, self.registrar.domain, "missing") for d in self.add]
        out += [_item(name, d.username, self.registrar.domain, "stale") for d in self.update]
        out += [_item(name, u, dom, state) for u, dom, state in self.remove]
        out += [_item(name, u, self.registrar.domain, "conflict") for u in self.conflict]
        return out

    def report(self) -> list[dict]:
        """The differences, then the unmanaged rows (listed, not a difference)."""
        return self.differences() + [_item(self.registrar.name, u, d, "unmanaged")
                                     for u, d in self.unmanaged]


DETAILS = {
    "missing": "the device is live and enabled; the registrar has no row for it",
    "stale": "the row's password or hashes do not match the device's secret",
    "extra": "acctctl's row for a device that is deleted or gone",
    "wrongly_enabled": "acctctl's row for a disabled device: it can still register",
    "conflict": "a row acctctl does not manage holds the device's username: left alone",
    "unmanaged": "not acctctl's row: never changed or removed",
}


def _item(registrar: str, username: str, domain: str, state: str) -> dict:
    return {"registrar": registrar, "username": username, "domain": domain, "state": state,
            "detail": DETAILS[state]}


def plan(registrar: Registrar, accounts: Storage) -> Plan:
    """What differs between the registrar and the accounts target (reads only)."""
    accounts = as_storage(accounts)
    with accounts.reading() as conn:
        devices = accounts.sip_devices(conn)
    with accounts.registrar_record().connect() as conn:
        mine = record.managed(conn, registrar.name)
    with registrar.engine.connect() as conn:
        rows = subscribers.read(conn, registrar.flavour)
    result = Plan(registrar)
    domain, flavour = registrar.domain, registrar.flavour
    for device in sorted(devices.values(), key=lambda d: d.username):
        key = (device.username, domain)
        row = rows.get(key)
        if not device.enabled:
            continue  # its row, if acctctl's, is removed below
        if row is not None and key not in mine:
            result.conflict.append(device.username)
            continue
        if key not in mine:
            result.unrecorded.append(key)
        want = subscribers.expected(device, domain, flavour, registrar.plaintext)
        if row is None:
            result.add.append(device)
        elif any(row.get(c, "") != v for c, v in want.items()):
            result.update.append(device)
    needed = {(d.username, domain) for d in devices.values() if d.enabled}
    for key in sorted(mine):
        if key in needed:
            continue
        if key not in rows:
            result.forget.append(key)
            continue
        device = devices.get(key[0])
        disabled = device is not None and not device.enabled and key[1] == domain
        result.remove.append((*key, "wrongly_enabled" if disabled else "extra"))
    conflicts = {(u, domain) for u in result.conflict}
    result.unmanaged = sorted(k for k in rows if k not in mine and k not in conflicts)
    return result


def check_fits(plan: Plan) -> None:
    """Refuse, before anything is written, a secret the `password` column cannot hold
    (OpenSIPS's and Kamailio 6's hold 25 characters); hashes have no such limit."""
    registrar = plan.registrar
    limit = registrar.flavour.password_length
    if not registrar.plaintext or limit is None:
        return
    too_long = [d.username for d in plan.add + plan.update if len(d.secret) > limit]
    if too_long:
        shown = ", ".join(too_long[:5]) + (f" and {len(too_long) - 5} more"
                                           if len(too_long) > 5 else "")
        raise SecretTooLong(
            f"registrar {registrar.name}: the SIP secret of {shown} is longer than the "
            f"{limit} characters its `password` column holds; nothing was written",
            hint="rotate those secrets (account rotate-sip-secret), or set store_plaintext = "
            "false where the proxy reads only the hashes")


def apply(plan: Plan, accounts: Storage, now: datetime | None = None) -> list[dict]:
    """Repair what plan() found, in the order of this module's docstring; returns what
    was done (conflicts stay: they are an operator's rows)."""
    check_fits(plan)
    registrar = plan.registrar
    kept = as_storage(accounts).registrar_record()
    now = now or datetime.now(UTC)
    if plan.unrecorded:
        with kept.begin() as conn:
            record.remember(conn, registrar.name, plan.unrecorded)
    rows = [subscribers.full_row(d, subscribers.expected(d, registrar.domain, registrar.flavour,
                                                         registrar.plaintext),
                                 registrar.flavour, now)
            for d in plan.add + plan.update]
    removed = [(u, dom) for u, dom, _ in plan.remove]
    if rows or removed:
        with registrar.engine.begin() as conn:
            subscribers.upsert(conn, registrar.flavour, rows)
            subscribers.remove(conn, removed)
    if removed or plan.forget:
        with kept.begin() as conn:
            record.forget(conn, registrar.name, removed + plan.forget)
    return actions(plan)


def actions(plan: Plan, dry_run: bool = False) -> list[dict]:
    name, domain = plan.registrar.name, plan.registrar.domain
    verbs = {"add": ("added", "would add"), "update": ("updated", "would update"),
             "remove": ("removed", "would remove"), "conflict": ("left alone", "left alone")}

    def item(username: str, dom: str, verb: str, state: str) -> dict:
        return {"registrar": name, "username": username, "domain": dom,
                "action": verbs[verb][dry_run], "state": state}

    out = [item(d.username, domain, "add", "missing") for d in plan.add]
    out += [item(d.username, domain, "update", "stale") for d in plan.update]
    out += [item(u, dom, "remove", state) for u, dom, state in plan.remove]
    out += [item(u, domain, "conflict", "conflict") for u in plan.conflict]
    return out
