"""The seam between the wizard and the terminal: a small Prompter protocol.

The wizard only talks to a Prompter, so its flow is tested with a scripted fake and questionary
stays swappable (cli-conventions §3.2 Q7). The questionary implementation always uses
``unsafe_ask()``: Ctrl-C raises KeyboardInterrupt and end of input EOFError, which the CLI turns
into "interrupted: nothing was written" and exit 130 (Q3).

Only reach this module when the interactivity gate (``acctctl.cli.console.streams``) is open:
prompt_toolkit on a pipe either fails or loops (Q1).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

#: A validator: True when the text is acceptable, else the message to show (questionary style).
Validator = Callable[[str], "bool | str"]


@dataclass(frozen=True)
class Option:
    """One entry of a list question: what is shown, and the value it stands for."""

    title: str
    value: Any
    checked: bool = False


class Prompter(Protocol):
    def text(self, message: str, *, default: str = "", validate: Validator | None = None,
             instruction: str | None = None) -> str: ...

    def select(self, message: str, options: Sequence[Option], *, default: Any = None) -> Any: ...

    def checkbox(self, message: str, options: Sequence[Option]) -> list: ...

    def autocomplete(self, message: str, words: Sequence[str], *, default: str = "",
                     meta: dict[str, str] | None = None,
                     validate: Validator | None = None) -> str: ...

    def password(self, message: str, *, validate: Validator | None = None) -> str: ...

    def confirm(self, message: str, *, default: bool = False) -> bool: ...


class QuestionaryPrompter:
    """Prompter on questionary. ``input``/``output`` go to prompt_toolkit, so tests can drive
    it with ``create_pipe_input()`` and ``DummyOutput()``."""

    def __init__(self, input: Any = None, output: Any = None):
        self._io = {}
        if input is not None:
            self._io["input"] = input
        if output is not None:
            self._io["output"] = output

    @staticmethod
    def _validator(validate: Validator | None):
        if validate is None:
            return None

        def check(text: str) -> bool | str:
            result = validate(text)
            return True if result is True else str(result)

        return check

    def text(self, message, *, default="", validate=None, instruction=None):
        import questionary

        return questionary.text(message, default=default, validate=self._validator(validate),
                                instruction=instruction, **self._io).unsafe_ask()

    def select(self, message, options, *, default=None):
        import questionary

        choices = [questionary.Choice(o.title, value=o.value) for o in options]
        values = [o.value for o in options]
        pick = default if default is not None and default in values else None
        # questionary returns the title for a None value; map titles back explicitly.
        answer = questionary.select(message, choices=choices, default=pick,
                                    **self._io).unsafe_ask()
        if answer is not None and answer not in values:
            answer = next((o.value for o in options if o.title == answer), answer)
        return answer

    def checkbox(self, message, options):
        import questionary

        choices = [questionary.Choice(o.title, value=o.value, checked=o.checked)
                   for o in options]
        return list(questionary.checkbox(message, choices=choices, **self._io).unsafe_ask())

    def autocomplete(self, message, words, *, default="", meta=None, validate=None):
        import questionary

        return questionary.autocomplete(
            message, choices=list(words), default=default, meta_information=meta or {},
            validate=self._validator(validate), match_middle=True, **self._io,
        ).unsafe_ask()

    def password(self, message, *, validate=None):
        import questionary

        return questionary.password(message, validate=self._validator(validate),
                                    **self._io).unsafe_ask()

    def confirm(self, message, *, default=False):
        import questionary

        # auto_enter=False: a single stray "y" does not answer (Q5); Enter is needed.
        return bool(questionary.confirm(message, default=default, auto_enter=False,
                                        **self._io).unsafe_ask())
