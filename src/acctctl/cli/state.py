"""What the root options select (config file, profile), loaded once per run, lazily."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class State:
    config_path: str | None = None
    profile: str | None = None
    no_input: bool = False  # --no-input, before or after the sub-command
    _loaded: Any = None
    _engine: Any = None
    dry_run: bool = False  # set by `create --dry-run`: then nothing may change, anywhere
    argv: list[str] = field(default_factory=list)

    def loaded(self):
        if self._loaded is None:
            from acctctl.cli.console import warn
            from acctctl.config import load_settings

            self._loaded = load_settings(self.config_path, self.profile)
            for message in self._loaded.warnings:
                warn(message)
        return self._loaded

    @property
    def settings(self):
        return self.loaded().settings

    def engine(self, ensure_schema: bool = True):
        """The database, connected, initialised when empty, refused when behind.

        On the astpp target (contract §8): ASTPP's database, fingerprinted, never migrated;
        commands not built for it exit 2 here."""
        if self.settings.is_astpp:
            return self._astpp_engine()
        if self._engine is None and self.dry_run:
            from acctctl.db.dryrun import scratch_engine_if_uninitialised

            # an empty database is not initialised by a dry run: it works on a scratch copy
            loaded = self.loaded()
            self._engine = scratch_engine_if_uninitialised(
                loaded.database_url, loaded.shown_url, loaded.url_source)
        if self._engine is None:
            from acctctl.db.engine import check_connection, make_engine

            loaded = self.loaded()
            self._engine = make_engine(loaded.database_url, loaded.shown_url,
                                       loaded.url_source)
            check_connection(self._engine)
        if ensure_schema:
            from acctctl.db.revision import at_head

            if not at_head(self._engine):
                # behind, ahead or empty: Alembic decides (and initialises an empty one)
                from acctctl.db.migrate import ensure_schema as ensure

                ensure(self._engine)
        return self._engine

    def _astpp_engine(self):
        from acctctl.targets import allowed_on_astpp, refuse_on_astpp

        path = self.command_path()
        if not allowed_on_astpp(path):
            refuse_on_astpp(self.settings, path.removeprefix("acctctl ").strip() or "this")
        if self._engine is None:
            from acctctl.cli.console import warn
            from acctctl.targets.astpp.target import open_target

            self._engine = open_target(self.loaded(), warn)
        return self._engine

    def command_path(self) -> str:
        """e.g. "acctctl account show": the command words of argv, root options skipped."""
        words, args = [], iter(self.argv[1:])
        for arg in args:
            if arg in ("--config", "--profile"):
                next(args, None)
            elif not arg.startswith("-"):
                words.append(arg)
        return " ".join(["acctctl", *words[:2]])

    def account_settings(self):
        """The settings accounts are created with: on the astpp target, ASTPP's own system
        settings fill the defaults the profile does not set."""
        if self.settings.is_astpp:
            return self.engine().acctctl_target.settings
        return self.settings


    def close(self) -> None:
        """At the end of the command: a dry run's scratch transaction ends here, unsaved."""
        dispose = getattr(self._engine, "dispose", None)
        if dispose is not None:
            dispose()
        self._engine = None


def state_of(ctx) -> State:
    root = ctx.find_root()
    if not isinstance(root.obj, State):
        root.obj = State()
    return root.obj
