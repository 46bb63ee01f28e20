"""`acctctl completion SHELL`: the script a shell sources so that TAB asks acctctl."""

from __future__ import annotations

from typing import Annotated

import typer
from typer.completion import completion_init, get_completion_script

SHELLS = ("bash", "zsh", "fish")


def completion(shell: Annotated[str, typer.Argument(
        help="bash, zsh or fish",
        autocompletion=lambda incomplete: [s for s in SHELLS if s.startswith(incomplete)])],
               ) -> None:
    """Print the shell completion script for bash, zsh or fish."""
    if shell not in SHELLS:
        raise typer.BadParameter("choose bash, zsh or fish", param_hint="SHELL")
    completion_init()
    typer.echo(get_completion_script(
        prog_name="acctctl", complete_var="_ACCTCTL_COMPLETE", shell=shell))
