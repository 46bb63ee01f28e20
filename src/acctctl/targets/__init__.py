"""Where accounts are stored: the target chosen by ``[database] target`` (contract §8).

One field catalogue and one create pipeline (``service/accounts.py``) serve every target; a
target only supplies storage: how look-ups read, how passwords are protected, how rows are
written, and its own extra rules. acctctl's own schema is the native target; an existing
ASTPP 6 database is the ``astpp`` target (``targets/astpp``).

The engine a command gets from ``State.engine()`` carries its target (``engine.acctctl_target``)
so the service, the wizard and ``account list|show`` read and write through it.
"""

from __future__ import annotations

from typing import Any

#: The commands that work on the astpp target; every other command that opens the database
#: exits 2 there (State.engine() asks allowed_on_astpp).
ASTPP_COMMANDS = ("create", "account list", "account show", "rategroup list", "tax list",
                  "role list", "reference")


def allowed_on_astpp(command_path: str) -> bool:
    """command_path: e.g. "acctctl account show" (Click's ctx.command_path)."""
    words = command_path.split()[1:]
    return any(words[: len(c.split())] == c.split() for c in ASTPP_COMMANDS)


def refuse_on_astpp(settings: Any, what: str) -> None:
    """For commands not built for ASTPP yet: exit 2 on the astpp target."""
    if getattr(settings, "is_astpp", False):
        from acctctl.errors import UsageError

        raise UsageError(f"{what} is not supported on the astpp target")


def target_of(engine: Any) -> Any | None:
    """The ASTPP target an engine was opened for, or None for acctctl's own schema."""
    return getattr(engine, "acctctl_target", None)


def storage_for(engine: Any):
    """The storage adapter the create pipeline writes through."""
    target = target_of(engine)
    if target is not None:
        return target
    from acctctl.service.accounts import NativeStorage

    return NativeStorage()


def catalog_for(engine: Any):
    """What accounts point at and the accounts themselves, read from the engine's target:
    a module-like object with list_rate_groups, list_taxes, list_roles, list_accounts,
    find_account and reference."""
    target = target_of(engine)
    if target is not None:
        return target.catalog
    from acctctl.service import catalog

    return catalog
