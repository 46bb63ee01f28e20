"""What TAB completes besides commands and flags: fixed choices, config profile names, and
names from the database (when it is there and answers quickly; never created by a TAB).

Every completer is silent on failure: a TAB press must never print an error or a warning.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable

import typer

OUTPUT_FORMATS = ("table", "json", "jsonl", "csv")
KINDS = ("customer", "provider", "reseller", "admin", "subadmin")


def choices(values: Iterable[str]) -> Callable[[str], list[str]]:
    values = tuple(values)

    def complete(incomplete: str) -> list[str]:
        return [v for v in values if v.startswith(incomplete)]

    return complete


def from_database(source: str) -> Callable[[typer.Context, str], list[str]]:
    """Names from the database: source is a field's metadata `source` (rate_groups, …)."""

    def complete(ctx: typer.Context, incomplete: str) -> list[str]:
        try:
            engine = _quick_engine(ctx)
            if engine is None:
                return []
            from acctctl.service.completion import candidates

            try:
                # a --reseller given before the TAB scopes rate groups and taxes to it
                owner = (ctx.params or {}).get("reseller")
                return candidates(engine, source, incomplete, kind=ctx.info_name,
                                  owner=owner if isinstance(owner, str) else None)
            finally:
                engine.dispose()
        except Exception:  # no database yet, unreachable, not initialised: offer nothing
            return []

    return complete


def profiles(ctx: typer.Context, incomplete: str) -> list[str]:
    try:
        loaded = _settings(ctx, with_profile=False)
    except Exception:
        return []
    return sorted(p for p in loaded.settings.profiles if p.startswith(incomplete))


def _settings(ctx: typer.Context, with_profile: bool = True):
    from acctctl.config import ENV_PROFILE, load_settings

    root = ctx.find_root().params
    env = {k: v for k, v in os.environ.items() if with_profile or k != ENV_PROFILE}
    return load_settings(root.get("config"), root.get("profile") if with_profile else None,
                         env=env)


def _quick_engine(ctx: typer.Context):
    """The configured database, or None for a SQLite file that does not exist (connecting
    would create it). PostgreSQL gets two seconds to answer."""
    from pathlib import Path

    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    from acctctl.db.engine import make_engine

    url = make_url(_settings(ctx).database_url)
    if url.get_backend_name() == "sqlite":
        if not url.database or not Path(url.database).expanduser().is_file():
            return None
        return make_engine(url.render_as_string(hide_password=False))
    return sa.create_engine(url, connect_args={"connect_timeout": 2})
