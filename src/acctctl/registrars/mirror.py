"""Every write to SIP devices, mirrored into every configured registrar as it is made.

The storage's write methods report what they did to devices (Storage.devices_changed: added,
enabled, disabled, removed, secret); the storage's transaction (storage.transaction_on) calls
this mirror around the accounts commit, so every command that writes devices (create in every
mode, update, disable, enable, delete, purge, rotate-sip-secret, batch undo, apply) mirrors
without knowing it. Order (docs/registrars.md, "Order of writes"):

- tighten before the accounts commit: rows of devices that are now disabled, deleted or gone
  are removed, and new secrets written over acctctl's rows. Interrupted there, a device cannot
  register until `registrar sync` (fail-safe), and `registrar check` says so;
- loosen after it: rows of devices that may now register are recorded (registrar_rows,
  committed), then written. Interrupted there, recorded rows are `missing`: reported by
  `check`, written by `sync`. There is never an unrecorded row of acctctl's.

A registrar that cannot be reached when the first device change is reported stops the command
before the accounts commit (exit 5, nothing written); one that fails after the accounts
committed is reported (`failures`: the command then exits 6, "run acctctl registrar sync").
A secret a registrar's `password` column cannot hold is refused when reported (exit 3).
Every registrar write is one statement per chunk of rows (subscribers.CHUNK), never per row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from acctctl.errors import AcctctlError
from acctctl.registrars import Registrar, SecretTooLong, open_registrar, record, subscribers
from acctctl.storage import Device

LOOSEN = ("added", "enabled")


class Mirror:
    """The registrars of one storage (opened on the first device change) and what the
    current transaction did to devices."""

    def __init__(self, loaded: Any, warn: Callable[[str], None] | None = None):
        self.loaded = loaded
        self.warn = warn or (lambda message: None)
        self.registrars: list[Registrar] | None = None
        self.failures: list[str] = []
        self._storage: Any = None
        self._active = False  # in a transaction that writes (not a dry run)
        self._touched: set[str] = set()
        self._secret: set[str] = set()
        self._after: list[tuple[Registrar, list, list[Device], set]] = []

    # --- the storage's transaction ---------------------------------------------------------

    def begin(self, storage: Any) -> None:
        self._storage, self._active = storage, True
        self._touched, self._secret, self._after = set(), set(), []

    def end(self) -> None:
        self._active = False
        self._touched, self._secret, self._after = set(), set(), []

    def note(self, change: str, usernames: Iterable[str],
             secrets: Iterable[str] | None = None) -> None:
        """A write method's report (Storage.devices_changed); in a dry run: nothing."""
        if not self._active:
            return
        registrars = self.connect()
        usernames = list(usernames)
        if secrets is not None:
            secrets = list(secrets)
            for registrar in registrars:
                _check_fits(registrar, usernames, secrets)
        self._touched.update(usernames)
        if change == "secret":
            self._secret.update(usernames)

    def before_commit(self, conn: Any) -> None:
        """Tighten: inside the accounts transaction, before its commit."""
        if not self._touched:
            return
        storage = self._storage
        devices = storage.sip_devices(conn, self._touched)
        wanted = list(self._touched)
        record_engine = storage.registrar_record()
        now = datetime.now(UTC)
        for registrar in self.connect():
            if record_engine is storage.engine:
                mine = record.managed_of(conn, registrar.name, wanted)
            else:
                with record_engine.connect() as rconn:
                    mine = record.managed_of(rconn, registrar.name, wanted)
            drop = sorted(k for k in mine if not _may_register(devices.get(k[0]))
                          or k[1] != registrar.domain)
            rotated = [devices[u] for u in sorted(self._secret)
                       if _may_register(devices.get(u)) and (u, registrar.domain) in mine]
            if drop or rotated:
                with registrar.engine.begin() as rconn:
                    subscribers.remove(rconn, drop)
                    subscribers.upsert(rconn, registrar.flavour,
                                       _rows(registrar, rotated, now))
            done = {d.username for d in rotated}
            loosen = [d for u, d in sorted(devices.items())
                      if d.enabled and u not in done]
            self._after.append((registrar, drop, loosen, mine))

    def after_commit(self) -> None:
        """Loosen: after the accounts commit. A failure is reported, not raised: the accounts
        are written, and `registrar sync` finishes what is left."""
        record_engine = self._storage.registrar_record()
        now = datetime.now(UTC)
        for registrar, drop, loosen, mine in self._after:
            try:
                if drop:
                    with record_engine.begin() as rconn:
                        record.forget(rconn, registrar.name, drop)
                if not loosen:
                    continue
                domain = registrar.domain
                with registrar.engine.connect() as rconn:
                    present = subscribers.present(rconn, domain, [d.username for d in loosen])
                conflicts = sorted(u for u in present if (u, domain) not in mine)
                if conflicts:
                    shown = ", ".join(conflicts[:5]) + (
                        f" and {len(conflicts) - 5} more" if len(conflicts) > 5 else "")
                    self._failed(registrar, f"{len(conflicts)} username(s) are held by rows "
                                 f"acctctl does not manage ({shown}): left alone")
                    skip = set(conflicts)
                    loosen = [d for d in loosen if d.username not in skip]
                new = [(d.username, domain) for d in loosen if (d.username, domain) not in mine]
                if new:
                    with record_engine.begin() as rconn:
                        record.remember(rconn, registrar.name, new)
                with registrar.engine.begin() as rconn:
                    subscribers.upsert(rconn, registrar.flavour, _rows(registrar, loosen, now))
            except (sa.exc.SQLAlchemyError, AcctctlError) as exc:
                reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
                self._failed(registrar, f"not written ({reason})")

    def _failed(self, registrar: Registrar, what: str) -> None:
        message = (f"registrar {registrar.name}: {what}; the accounts were written: run "
                   f"acctctl registrar check, then acctctl registrar sync")
        self.failures.append(message)
        self.warn(message)

    # --- the registrars ----------------------------------------------------------------------

    def connect(self) -> list[Registrar]:
        """Every configured registrar, connected and its flavour known (exit 5 when one cannot
        be reached, before the accounts commit); a generated secret length that a plaintext
        `password` column cannot hold is exit 3."""
        if self.registrars is None:
            self._storage.registrar_record()  # exit 5 when this target keeps no record
            warnings: list[str] = []
            opened: list[Registrar] = []
            try:
                for settings in self.loaded.settings.registrars:
                    opened.append(open_registrar(self.loaded, settings, warnings))
                length = self.loaded.settings.passwords.sip_secret_length
                for registrar in opened:
                    check_length(registrar, length)
            except BaseException:
                for registrar in opened:
                    registrar.engine.dispose()
                raise
            for message in dict.fromkeys(warnings):
                self.warn(message)
            self.registrars = opened
        return self.registrars

    def close(self) -> None:
        for registrar in self.registrars or ():
            registrar.engine.dispose()
        self.registrars = None


def _may_register(device: Device | None) -> bool:
    return device is not None and device.enabled


def _rows(registrar: Registrar, devices: list[Device], now: datetime) -> list[dict]:
    return [subscribers.full_row(d, subscribers.expected(d, registrar.domain,
                                                         registrar.flavour, registrar.plaintext),
                                 registrar.flavour, now) for d in devices]


def _check_fits(registrar: Registrar, usernames: list[str], secrets: list[str]) -> None:
    limit = registrar.flavour.password_length
    if not registrar.plaintext or limit is None:
        return
    too_long = [u for u, s in zip(usernames, secrets, strict=True) if len(s) > limit]
    if too_long:
        raise SecretTooLong(
            f"registrar {registrar.name}: the SIP secret of {too_long[0]}"
            + (f" and {len(too_long) - 1} more" if len(too_long) > 1 else "")
            + f" is longer than the {limit} characters its `password` column holds; "
            "nothing was written",
            hint="give a shorter secret, or set store_plaintext = false where the proxy "
            "reads only the hashes")


def check_length(registrar: Registrar, length: int) -> None:
    """[passwords] sip_secret_length against a plaintext `password` column (exit 3)."""
    limit = registrar.flavour.password_length
    if registrar.plaintext and limit is not None and length > limit:
        raise SecretTooLong(
            f"[passwords] sip_secret_length = {length} is longer than the {limit} characters "
            f"the `password` column of registrar {registrar.name} holds "
            f"({registrar.flavour.label}, plaintext stored); nothing was written",
            hint=f"set sip_secret_length to at most {limit}, or store_plaintext = false "
            "where the proxy reads only the hashes")


def attach(storage: Any, loaded: Any, warn: Callable[[str], None] | None = None) -> None:
    """Give `storage` a mirror of the configured registrars (none configured: nothing)."""
    if loaded.settings.registrars:
        storage.mirror = Mirror(loaded, warn)
