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
    _storage: Any = None
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

    def operation(self) -> str:
        """The command being run, as Storage.supports() takes it: "account update"."""
        return self.command_path().removeprefix("acctctl").strip()

    def storage(self):
        """Where accounts are stored: the Storage that database.target names
        (acctctl.storage.REGISTRY), opened and checked once. A command the target does not
        support exits 2 here, before the database is opened."""
        from acctctl.storage import storage_class

        cls = storage_class(self.settings.target)
        operation = self.operation()
        if not cls.supports(operation):
            from acctctl.errors import UsageError

            raise UsageError(f"{operation or 'this'} is not supported on the {cls.name} target")
        if self._storage is None:
            from acctctl.cli.console import warn

            self._storage = cls.open(self.loaded(), warn=warn, dry_run=self.dry_run)
            if self.settings.registrars and not self.dry_run:
                from acctctl.registrars.mirror import attach

                attach(self._storage, self.loaded(), warn)  # every device write mirrored
        return self._storage

    def client(self, mode: str = "flags"):
        """The library's Client on this command's storage (storage(): opened and checked
        once, closed by close()), recording this command line (secrets redacted) and `mode`
        in the audit trail: the commands are this client, rendered."""
        from acctctl.client import Client, Origin
        from acctctl.service.changes import redact_command

        return Client(self.loaded(), storage=self.storage(),
                      origin=Origin(command=redact_command(self.argv), mode=mode))

    def mirror_failures(self) -> list[str]:
        """What a registrar could not be given after the accounts committed (exit 6)."""
        mirror = getattr(self._storage, "mirror", None)
        return list(mirror.failures) if mirror is not None else []

    def engine(self, ensure_schema: bool = True):
        """The database of the commands only acctctl's own schema has (rate groups, taxes,
        roles, db): connected, initialised when empty, refused when behind; ensure_schema
        False: as it is (db current|upgrade). On another target they exit 2 (storage())."""
        if ensure_schema or not self.settings.target == "acctctl":
            return self.storage().engine
        if self._engine is None:
            from acctctl.db.engine import check_connection, make_engine

            loaded = self.loaded()
            self._engine = make_engine(loaded.database_url, loaded.shown_url,
                                       loaded.url_source)
            check_connection(self._engine)
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
        return self.storage().settings

    def close(self) -> None:
        """At the end of the command: a dry run's scratch transaction ends here, unsaved."""
        if self._storage is not None:
            self._storage.close()
        dispose = getattr(self._engine, "dispose", None)
        if dispose is not None:
            dispose()
        self._engine = self._storage = None


def state_of(ctx) -> State:
    root = ctx.find_root()
    if not isinstance(root.obj, State):
        root.obj = State()
    return root.obj
