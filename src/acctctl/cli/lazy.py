"""A command group whose commands are imported or built only when one is used, and
parameters that import pydantic only when a value needs converting.

The root (cli/app.py: each group's module), `create` (each kind's flags come from the
models) and `account` (`update` takes every kind's flags) list their commands, with a short
help, from a table; listing them for --help, a did-you-mean or a TAB imports nothing."""

from __future__ import annotations

from dataclasses import dataclass
from difflib import get_close_matches
from types import SimpleNamespace

from typer._click.exceptions import UsageError as ClickUsageError
from typer._click.shell_completion import CompletionItem
from typer._click.utils import make_default_short_help
from typer._coercion import RuntimeParam, build_runtime_param
from typer.core import TyperGroup, _TyperParameter


class _Commands(dict):
    """Click's table of a group's commands, where a lazy one is built by `commands[name]`
    too (what code walking Click's tables reaches for); iterating shows the built ones."""

    def __init__(self, group: LazyGroup, commands) -> None:
        super().__init__(commands)
        self.group = group

    def __missing__(self, name: str):
        if name not in self.group.lazy_help:
            raise KeyError(name)
        command = self[name] = self.group.build(name)
        return command


class LazyGroup(TyperGroup):
    #: name -> the one-line help shown before the command is built, in the order listed
    lazy_help: dict[str, str] = {}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.commands = _Commands(self, self.commands)

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


@dataclass(frozen=True)
class _Deferred(RuntimeParam):
    """Typer converts every value it processes through a pydantic TypeAdapter, built (and
    pydantic imported, about as costly as Typer itself) the first time a parameter is
    processed, even for a default at --help or a TAB. Values that need no conversion pass
    as they are: None, the declared default, a str for a str, a bool for a bool. Any other
    goes through Typer's own conversion, built then, so errors read as before."""

    def coerce(self, value, param, ctx):
        if value is None and not (param.multiple or param.nargs == -1):
            return None
        if value is param.default or (self.annotation in (str, bool)
                                      and type(value) is self.annotation):
            return value
        return build_runtime_param(param.type_descriptor).coerce(value, param=param, ctx=ctx)

    def _coerce_value(self, value, param, ctx):  # pragma: no cover - coerce() decides
        raise AssertionError("unreachable")


#: The help flags of every acctctl command (the root's context_settings; children inherit).
HELP_OPTION_NAMES = ["-h", "--help"]


def defer_conversion(command) -> None:
    """Give the command's parameters, its help flag too, the _Deferred conversion."""
    # Click makes the help option when it first parses (from the context's help names) and
    # keeps it: make it now, with the names every acctctl context has
    help_option = command.get_help_option(SimpleNamespace(help_option_names=HELP_OPTION_NAMES))
    for param in [*command.params, *([help_option] if help_option else [])]:
        if isinstance(param, _TyperParameter) and param._runtime_param is None:
            descriptor = param.type_descriptor
            param._runtime_param = _Deferred(parameter_info=descriptor.parameter_info,
                                             annotation=descriptor.annotation)
