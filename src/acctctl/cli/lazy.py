"""A command group whose commands are imported or built only when one is used.

The root (cli/app.py: each group's module), `create` (each kind's flags come from the
models) and `account` (`update` takes every kind's flags) list their commands, with a short
help, from a table; listing them for --help, a did-you-mean or a TAB imports nothing."""

from __future__ import annotations

from difflib import get_close_matches

from typer._click.exceptions import UsageError as ClickUsageError
from typer._click.shell_completion import CompletionItem
from typer._click.utils import make_default_short_help
from typer.core import TyperGroup


class LazyGroup(TyperGroup):
    #: name -> the one-line help shown before the command is built, in the order listed
    lazy_help: dict[str, str] = {}

    def build(self, name: str):
        """The Click command `name` (one of lazy_help)."""
        raise NotImplementedError

    def list_commands(self, ctx) -> list[str]:
        return [*(n for n in super().list_commands(ctx) if n not in self.lazy_help),
                *self.lazy_help]

    def get_command(self, ctx, cmd_name: str):
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in self.lazy_help:
            command = self.commands[cmd_name] = self.build(cmd_name)
        return command

    def summary_of(self, name: str, limit: int = 45) -> str | None:
        """A command's one-line help (None: hidden), without building it."""
        if name in self.commands:
            command = self.commands[name]
            return None if command.hidden else command.get_short_help_str(limit)
        return make_default_short_help(self.lazy_help[name], limit)

    def format_commands(self, ctx, formatter) -> None:
        # Click's own layout
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(n) for n in names)
        rows = [(n, h) for n in names if (h := self.summary_of(n, limit)) is not None]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def shell_complete(self, ctx, incomplete: str):
        # the command names (as Click offers them), then this group's own options
        items = [CompletionItem(n, help=help_) for n in self.list_commands(ctx)
                 if n.startswith(incomplete) and (help_ := self.summary_of(n)) is not None]
        return [*items, *super(TyperGroup, self).shell_complete(ctx, incomplete)]

    def resolve_command(self, ctx, args):
        try:
            return super().resolve_command(ctx, args)
        except ClickUsageError as exc:
            # Typer suggests from the commands built so far: suggest from every name
            if args and "Did you mean" not in exc.message:
                matches = get_close_matches(args[0], self.list_commands(ctx))
                if matches:
                    exc.message = (f"{exc.message.rstrip('.')}. Did you mean "
                                   + ", ".join(repr(m) for m in matches) + "?")
            raise
