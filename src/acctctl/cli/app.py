"""The root command: global options, the registry of sub-command groups, and the one place
errors become exit codes (contract §4).

The one lazy boundary: COMMANDS maps each group to the module that defines it, imported
only when that group runs, shows its help or completes a word (as pip's commands_dict).
`acctctl --help` lists the groups from the registry and imports none of them; the modules
below the boundary import what they need at their top. Here, what runs a chosen command
(its state, the error reports) is imported once one is chosen: --help never needs it."""

from __future__ import annotations

import gc
import importlib
import os
import sys
from typing import Annotated, NamedTuple

import typer
from typer.main import CommandInfo, TyperInfo, get_command_from_info, get_group_from_info

from acctctl import __version__
from acctctl.cli.lazy import HELP_OPTION_NAMES, LazyGroup, defer_conversion


class Entry(NamedTuple):
    target: str  # "module:attribute": a typer.Typer (a group), or a function (a command)
    help: str  # the group's help: `acctctl --help` shows it without importing the group


#: Every command group, in the order `acctctl --help` lists them.
COMMANDS: dict[str, Entry] = {
    "completion": Entry("acctctl.cli.completion_cmd:completion",
                        "Print the shell completion script for bash, zsh or fish."),
    "create": Entry("acctctl.cli.create:app",
                    "Create accounts from flags, prompts, a file or a count."),
    "account": Entry("acctctl.cli.account:app",
                     "Look at, change, disable, delete and export accounts."),
    "batch": Entry("acctctl.cli.batch_cmd:batch_app",
                   "What each create command wrote, and undoing it."),
    "audit": Entry("acctctl.cli.batch_cmd:audit_app", "The audit trail of every change."),
    "rategroup": Entry("acctctl.cli.catalog:rategroup_app",
                       "Rate groups (an account needs one to call)."),
    "tax": Entry("acctctl.cli.catalog:tax_app", "Taxes applied to accounts."),
    "role": Entry("acctctl.cli.catalog:role_app", "Roles of resellers, admins and sub-admins."),
    "reference": Entry("acctctl.cli.catalog:reference_app",
                       "ISO countries, currencies and IANA time zones."),
    "plan": Entry("acctctl.cli.apply_cmd:plan",
                  "Show what apply would change (accounts as code)."),
    "apply": Entry("acctctl.cli.apply_cmd:apply",
                   "Make the database match a file of accounts."),
    "registrar": Entry("acctctl.cli.registrar_cmd:app",
                       "SIP registrars (Kamailio, OpenSIPS): check and sync."),
    "db": Entry("acctctl.cli.db_cmd:app",
                "Database schema (Alembic migrations shipped with acctctl)."),
    "config": Entry("acctctl.cli.config_cmd:app", "Configuration file (TOML)."),
}


def load_group(name: str):
    """The Click group (or command) of a registered name, built as add_typer (or
    app.command) would build it."""
    module, _, attribute = COMMANDS[name].target.partition(":")
    target = getattr(importlib.import_module(module), attribute)
    if not isinstance(target, typer.Typer):
        info = CommandInfo(name=name, callback=target, help=COMMANDS[name].help)
        return get_command_from_info(info, pretty_exceptions_short=True,
                                     rich_markup_mode=None)
    info = TyperInfo(target, name=name, help=COMMANDS[name].help)
    return get_group_from_info(info, pretty_exceptions_short=True, suggest_commands=True,
                               rich_markup_mode=None)


class AcctctlGroup(LazyGroup):
    """Turns our errors into a message and an exit code, and never shows a traceback
    (with or without local variables) for anything a user did."""

    def make_context(self, info_name, args, parent=None, **extra):
        defer_conversion(self)
        # Remember the arguments as given (not sys.argv: acctctl may run in-process) for the
        # audit trail.
        ctx = super().make_context(info_name, hoist_global_options(list(args)), parent=parent,
                                   **extra)
        ctx.meta["acctctl.argv"] = ["acctctl", *args]
        return ctx

    lazy_help = {name: entry.help for name, entry in COMMANDS.items()}

    def build(self, name: str):
        return load_group(name)

    def get_command(self, ctx, cmd_name):
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            from acctctl.cli.help import polish_help

            polish_help(command, cmd_name)
        return command

    def invoke(self, ctx):
        # a command was chosen: what runs it, and reports its errors, is needed from here on
        from acctctl.cli import console
        from acctctl.cli.report import report_error
        from acctctl.errors import EXIT_INTERNAL, EXIT_INTERRUPTED, AcctctlError

        try:
            result = super().invoke(ctx)
        except typer.Exit as done:
            if done.exit_code == 0:
                _mirror_partial(ctx)
            raise
        except AcctctlError as exc:
            report_error(exc, read_only=_read_only(ctx))
            raise typer.Exit(exc.exit_code) from None
        except (KeyboardInterrupt, EOFError):
            _say_interrupted(ctx)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except (typer.Abort, SystemExit):
            raise
        except BrokenPipeError:
            # stdout closed early (`acctctl … | head`): the reader has what it wanted, so
            # stop quietly and successfully (under `set -o pipefail` too)
            _silence_stdout()
            raise typer.Exit(0) from None
        except Exception as exc:
            if _is_click_exception(exc):
                raise
            if _interrupted(exc):  # Ctrl-C surfaced as a driver error (psycopg's pipeline)
                _say_interrupted(ctx)
                raise typer.Exit(EXIT_INTERRUPTED) from None
            error = _database_problem(exc)
            if error is not None:  # the database went away, refused, or is damaged: exit 5
                report_error(error, read_only=_read_only(ctx))
                raise typer.Exit(error.exit_code) from None
            console.say(f"internal error (a bug in acctctl, please report it): "
                f"{type(exc).__name__}: {_brief(exc)}", "red")
            if os.environ.get("ACCTCTL_DEBUG"):
                import traceback

                traceback.print_exception(exc, file=sys.stderr)  # never with locals
            else:
                console.say("set ACCTCTL_DEBUG=1 to see where it happened")
            raise typer.Exit(EXIT_INTERNAL) from None
        _mirror_partial(ctx)
        return result


#: Root options that may also be given after the sub-command (`account list --profile x`).
GLOBAL_WITH_VALUE = ("--config", "--profile")
GLOBAL_FLAGS = ("--no-input",)


def hoist_global_options(args: list[str]) -> list[str]:
    """Move the global options, wherever they are (up to a `--`), in front of the
    sub-command, where the root command parses them."""
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest.extend(args[i:])
            break
        if arg in GLOBAL_WITH_VALUE:
            front.extend(args[i:i + 2])
            i += 2
            continue
        if arg in GLOBAL_FLAGS or arg.split("=", 1)[0] in GLOBAL_WITH_VALUE:
            front.append(arg)
        else:
            rest.append(arg)
        i += 1
    return front + rest


def _read_only(ctx) -> bool:
    """Whether this run's command never writes (its failures then do not say
    "nothing was written")."""
    from acctctl.cli.report import is_read_only

    return is_read_only(ctx.meta.get("acctctl.argv", ["acctctl", *sys.argv[1:]]))


def _say_interrupted(ctx) -> None:
    from acctctl.cli import console

    console.say("interrupted" if _read_only(ctx) else "interrupted: nothing was written", "yellow")


def _silence_stdout() -> None:
    """Point stdout at /dev/null so nothing (not even the flush at exit) writes to a pipe
    whose reader has gone."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _brief(exc: Exception) -> str:
    """The first line of the error, and for database errors the driver's own message only:
    never the SQL statement or its parameters."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else ""


def _database_problem(exc: Exception):
    if "sqlalchemy.exc" not in sys.modules:  # no database was touched
        return None
    from acctctl.db.engine import explain

    return explain(exc)


def _interrupted(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    for _ in range(20):
        if seen is None:
            return False
        if isinstance(seen, KeyboardInterrupt):
            return True
        seen = seen.__context__
    return False


def _is_click_exception(exc: Exception) -> bool:
    # Typer vendors Click: usage errors pass through to its own handler (exit 2).
    return any(cls.__name__ in ("ClickException", "UsageError") for cls in type(exc).__mro__)


app = typer.Typer(
    cls=AcctctlGroup,
    name="acctctl",
    help="Provision accounts (customers, providers, resellers, admins, sub-admins) for a "
    "VoIP billing platform modelled on ASTPP.\n\n"
    "Global options (--config, --profile, --no-input) may also follow the command.\n\n"
    "Exit codes: 0 ok, 1 internal error, 2 usage, 3 invalid data, 4 conflict, "
    "5 config/database, 6 partial, 130 interrupted.",
    epilog="Examples:\n\n\b\n"
    "  $ acctctl create customer --first-name Ada --email ada@example.com\n"
    "  $ acctctl create customer --from-file customers.csv --continue-on-error\n"
    "  $ acctctl account list --kind customer -o csv\n"
    "  $ acctctl create customer --help",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,  # Click's plain help: fits any width, never cuts a flag name
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": HELP_OPTION_NAMES},
)


def _complete_profiles(ctx: typer.Context, incomplete: str) -> list[str]:
    from acctctl.cli.complete import profiles

    return profiles(ctx, incomplete)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"acctctl {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    config: Annotated[
        str | None,
        typer.Option("--config", metavar="PATH", help="Config file (default: $ACCTCTL_CONFIG, "
                     "./acctctl.toml, then the user config dir)"),
    ] = None,
    profile: Annotated[
        str | None,
        typer.Option("--profile", metavar="NAME",
                     help="Use the profiles.NAME table of the config ($ACCTCTL_PROFILE)",
                     autocompletion=_complete_profiles),
    ] = None,
    no_input: Annotated[
        bool, typer.Option("--no-input", help="Never prompt (also ACCTCTL_NO_INPUT=1); "
                           "missing flags are an error")
    ] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True,
                           help="Print the version and exit")
    ] = False,
) -> None:
    from acctctl.cli import console
    from acctctl.cli.state import State

    console.global_no_input = no_input

    ctx.obj = State(config_path=config, profile=profile, no_input=no_input,
                    argv=ctx.meta.get("acctctl.argv", ["acctctl", *sys.argv[1:]]))
    ctx.call_on_close(ctx.obj.close)


#: Young-generation collections between two of the middle generation (Python's default: 10).
#: Start-up (the imports, the models, the tables) makes some 77,000 objects that live as long
#: as the process, and next to no garbage; at the default the collector went through them
#: again and again for nothing (a dry-run create: 13 middle and a full collection after
#: main(); the command costs about 5% more CPU with them). At 250 a command's start-up
#: (110-190 young collections) has none. Young collections, which find the short-lived
#: cycles while they are few and in the CPU cache, are as frequent as before, and a long
#: bulk run still collects every generation (the middle one every ~175,000 allocations).
MIDDLE_COLLECTIONS_EVERY = 250


def main() -> None:
    from acctctl import interrupts

    interrupts.install()
    if os.environ.get("_ACCTCTL_COMPLETE"):  # a TAB press: register Typer's shell classes
        from typer.completion import completion_init

        completion_init()
    young, _, old = gc.get_threshold()
    gc.set_threshold(young, MIDDLE_COLLECTIONS_EVERY, old)  # for the process: main() ends it
    try:
        # the program is acctctl however it was started (python -m acctctl too): its usage
        # lines, and the _ACCTCTL_COMPLETE variable the completion scripts set
        app(prog_name="acctctl")
    finally:
        try:  # data still buffered for a reader that has gone: exit quietly all the same
            sys.stdout.flush()
        except BrokenPipeError:
            _silence_stdout()
        except (OSError, ValueError):
            pass
        # The interpreter collects every generation once more as it exits: on a dry-run
        # create it went through every object (some 77,000, tracked since start-up; about
        # a sixth of the command's CPU, measured) to find under 2,000 in cycles (Click's
        # and SQLAlchemy's, none with a finaliser: acctctl closes its files and connections
        # itself) whose memory the exit gives back anyway. Frozen, they are not looked at.
        gc.freeze()


def _mirror_partial(ctx) -> None:
    """The accounts were written but a registrar was not (docs/registrars.md): exit 6."""
    from acctctl.cli.state import State

    state = ctx.find_root().obj
    failures = state.mirror_failures() if isinstance(state, State) else []
    if failures:
        from acctctl.cli import console
        from acctctl.errors import EXIT_PARTIAL

        console.say("partial: the accounts were written, a registrar was not: run acctctl "
                    "registrar sync", "yellow")
        raise typer.Exit(EXIT_PARTIAL)
