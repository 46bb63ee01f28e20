"""Streams: where messages go, and whether prompting is allowed (the interactivity gate).

One object decides "may I prompt?" (stdin and stdout are terminals, no --no-input, no
ACCTCTL_NO_INPUT=1), like gh's IOStreams. Tests replace it instead of faking a terminal.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field


@dataclass
class Streams:
    stdin_tty: bool = field(default_factory=lambda: _isatty(sys.stdin))
    stdout_tty: bool = field(default_factory=lambda: _isatty(sys.stdout))
    stderr_tty: bool = field(default_factory=lambda: _isatty(sys.stderr))
    no_input: bool = False

    def can_prompt(self) -> bool:
        disabled = self.no_input or os.environ.get("ACCTCTL_NO_INPUT", "") not in ("", "0")
        return self.stdin_tty and self.stdout_tty and not disabled


def _isatty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


#: Replaced by tests (and only by tests) to open or close the gate.
current = Streams


#: The global --no-input of this run (given before or after the sub-command), set by the
#: root command, so every command's gate honours it.
global_no_input = False


def streams(no_input: bool = False) -> Streams:
    s = current()
    s.no_input = s.no_input or no_input or global_no_input
    return s


def err_console():
    """Messages go to stderr, built lazily so its width is read when used (not at import)."""
    from acctctl.output import pipe_console

    return pipe_console(stderr=True, highlight=False)


def say(message: str, style: str | None = None) -> None:
    from acctctl.output import note

    note(message, style)


def warn(message: str) -> None:
    say(message, "yellow")
