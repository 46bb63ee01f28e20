"""SIP registrars (contract §11): a Kamailio or OpenSIPS `subscriber` table kept in step with
the SIP devices of the accounts target.

No Typer, no rich: cli/registrar_cmd.py is the command; this package connects, detects the
table's flavour, compares and repairs. Modules: hashes (the digest credentials), flavour
(what table is there), subscribers (its rows, in chunks), record (which rows are acctctl's),
sync (check and sync), mirror (every device write, mirrored as it is made). The devices
themselves come from the accounts target's Storage.sip_devices().
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from acctctl.errors import EXIT_INVALID, AcctctlError, DatabaseError, UsageError
from acctctl.registrars.flavour import Flavour, detect

CONNECT_TIMEOUT_S = 10


class SecretTooLong(AcctctlError):
    """A secret the registrar's `password` column cannot hold: refused, nothing written."""

    exit_code = EXIT_INVALID


@dataclass
class Registrar:
    settings: Any  # config.RegistrarSettings
    engine: sa.Engine
    shown_url: str
    flavour: Flavour

    @property
    def name(self) -> str:
        return self.settings.name

    @property
    def domain(self) -> str:
        return self.settings.domain

    @property
    def plaintext(self) -> bool:
        """Whether `password` holds the secret: asked for, or needed by the flavour."""
        return self.settings.store_plaintext or self.flavour.plaintext_required


def chosen(settings: Any, name: str | None) -> list[Any]:
    """The [[registrars]] a command works on: all of them, or the one named."""
    if not settings.registrars:
        raise UsageError("no registrars are configured",
                         hint="add a [[registrars]] table to the config (docs/registrars.md)")
    if name is None:
        return list(settings.registrars)
    for registrar in settings.registrars:
        if registrar.name == name:
            return [registrar]
    known = ", ".join(r.name for r in settings.registrars)
    raise UsageError(f"no registrar is named {name!r}; configured: {known}")


def open_registrar(loaded: Any, settings: Any, warnings: list[str]) -> Registrar:
    """Connect to a registrar's database and detect its `subscriber` flavour (exit 5 when
    it cannot be reached or is not one acctctl knows). Reads only: no DDL, ever."""
    from acctctl.config import registrar_url

    url, shown = registrar_url(loaded, settings, warnings)
    engine = sa.create_engine(url, connect_args={"connect_timeout": CONNECT_TIMEOUT_S},
                              hide_parameters=True, pool_pre_ping=False)
    try:
        with engine.connect() as conn:
            flavour = detect(conn, settings.kind, settings.name)
            conn.rollback()
    except sa.exc.SQLAlchemyError as exc:
        engine.dispose()
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise DatabaseError(f"cannot use registrar {settings.name} at {shown}: {reason}"
                            ) from None
    except DatabaseError:
        engine.dispose()
        raise
    return Registrar(settings=settings, engine=engine, shown_url=shown, flavour=flavour)
