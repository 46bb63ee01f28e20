"""The seam between the wizard and the terminal: a small Prompter protocol.

The wizard only talks to a Prompter, so its flow is tested with a scripted fake and questionary
stays swappable (cli-conventions §3.2 Q7). The questionary implementation always uses
``unsafe_ask()``: Ctrl-C raises KeyboardInterrupt and end of input EOFError, which the CLI turns
into "interrupted: nothing was written" and exit 130 (Q3).

Text questions show their default beside the question instead of pre-filling it: Enter keeps
it, typing replaces it (a pre-filled "0" made "5" into "05"). An answer is checked when Enter is
pressed, never on each keystroke; a rejected answer prints the rule's message and the question
is asked again with an empty line (a hidden password is never appended to a rejected one).

Only reach this module when the CLI's interactivity gate is open: prompt_toolkit on a pipe
either fails or loops (Q1).
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
    """Every method returns the answer, or raises KeyboardInterrupt / EOFError.

    ``default`` is what Enter gives; ``validate`` is checked on Enter and, until it accepts,
    the question is asked again with its message shown."""

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

    def _until_valid(self, ask: Callable[[], str], default: str,
                     validate: Validator | None) -> str:
        """Ask on an empty line; Enter alone gives the default; check on Enter, and on a
        rejection show why and ask again, from an empty line."""
        while True:
            answer = ask()
            if answer == "" and default:
                answer = default
            verdict = validate(answer) if validate is not None else True
            if verdict is True:
                return answer
            self._error(str(verdict) if verdict is not False else "not accepted")

    def _error(self, message: str) -> None:
        # Written straight to the output: prompt_toolkit's own print_formatted_text would hand
        # it to the application just finished (run_in_terminal on its closed event loop).
        from prompt_toolkit.formatted_text import FormattedText
        from prompt_toolkit.output import create_output
        from prompt_toolkit.renderer import print_formatted_text
        from prompt_toolkit.styles import Style

        output = self._io.get("output") or create_output()
        print_formatted_text(output, FormattedText([("fg:ansired", f"  {message}"), ("", "\n")]),
                             Style([]))
        output.flush()

    @staticmethod
    def _enter_takes(default: str) -> dict:
        """Key bindings: Enter on an empty line puts the default in, so the answered question
        shows the value it took."""
        if not default:
            return {}
        from prompt_toolkit.key_binding import KeyBindings

        bindings = KeyBindings()

        @bindings.add("enter")
        def _accept(event) -> None:
            buffer = event.current_buffer
            if buffer.text == "":
                buffer.text = default
            buffer.validate_and_handle()

        return {"key_bindings": bindings}

    @staticmethod
    def _with_default(text: str | None, default: str) -> str | None:
        """The default in parentheses, merged with the question's own hint: "(3650; ...)"."""
        if not default:
            return text
        if text and text.startswith("(") and text.endswith(")"):
            return f"({default}; {text[1:]}"
        return f"({default})" + (f" {text}" if text else "")

    def text(self, message, *, default="", validate=None, instruction=None):
        import questionary

        hint = self._with_default(instruction, default)
        return self._until_valid(
            lambda: questionary.text(message, instruction=hint, **self._enter_takes(default),
                                     **self._io).unsafe_ask(),
            default, validate)

    def select(self, message, options, *, default=None):
        import questionary

        choices = [questionary.Choice(o.title, value=o.value) for o in options]
        values = [o.value for o in options]
        pick = default if default is not None and default in values else None
        question = questionary.select(message, choices=choices, default=pick,
                                      instruction=self._list_hint(len(choices)), **self._io)
        self._bounded(question)
        # questionary returns the title for a None value; map titles back explicitly.
        answer = question.unsafe_ask()
        if answer is not None and answer not in values:
            answer = next((o.value for o in options if o.title == answer), answer)
        return answer

    def checkbox(self, message, options):
        import questionary

        choices = [questionary.Choice(o.title, value=o.value, checked=o.checked)
                   for o in options]
        question = questionary.checkbox(message, choices=choices, **self._io)
        self._bounded(question)
        return list(question.unsafe_ask())

    #: At most this many entries of a list are shown at once (as Inquirer.js and survey, the
    #: prompt libraries of npm and gh, page long lists); fewer on a short terminal.
    PAGE = 10

    def _page(self) -> int:
        """Entries shown at once: the question line and a line to spare stay on screen, so
        the prompt is never taller than the terminal (24 lines: 10 entries)."""
        rows = 24
        try:
            output = self._io.get("output")
            if output is None:
                from prompt_toolkit.application.current import get_app_session

                output = get_app_session().output
            rows = output.get_size().rows or rows
        except Exception:  # noqa: BLE001 - no size known: assume a classic 24-line terminal
            pass
        return max(3, min(self.PAGE, rows - 3))

    def _list_hint(self, count: int) -> str | None:
        if count <= self._page():
            return None  # questionary's own "(Use arrow keys)"
        return f"(Use arrow keys: {count} entries, {self._page()} shown at a time)"

    def _bounded(self, question: Any) -> None:
        """Show a long list through a window of _page() lines that scrolls with the pointer,
        instead of a prompt taller than the terminal."""
        from prompt_toolkit.layout.dimension import Dimension
        from questionary.prompts.common import InquirerControl

        for window in question.application.layout.find_all_windows():
            if isinstance(window.content, InquirerControl):
                window.height = Dimension(max=self._page())

    def autocomplete(self, message, words, *, default="", meta=None, validate=None):
        import questionary

        shown = f"{message} {self._with_default(None, default)}" if default else message
        return self._until_valid(
            lambda: questionary.autocomplete(
                shown, choices=list(words), meta_information=dict(meta or {}),
                match_middle=True, **self._enter_takes(default), **self._io,
            ).unsafe_ask(),
            default, validate)

    def password(self, message, *, validate=None):
        import questionary

        return self._until_valid(
            lambda: questionary.password(message, **self._io).unsafe_ask(), "", validate)

    def confirm(self, message, *, default=False):
        import questionary

        # A y/N question answers on the key: y or n (shown as Yes / No) ends it, Enter takes
        # the default (No for the final "Create this ...?"). The pitfall of answering on a
        # key press (cli-conventions Q5: a stray "y" answers) is met by taking only keys
        # pressed once the question is shown: whatever was typed ahead is dropped first.
        self._drop_typeahead()
        return bool(questionary.confirm(message, default=default, auto_enter=True,
                                        **self._io).unsafe_ask())

    def _drop_typeahead(self) -> None:
        """Forget keys typed before the question appeared: those still in the terminal's
        buffer and those prompt_toolkit read ahead for the next prompt. Only on the real
        terminal (a test's pipe input carries the answers on purpose)."""
        if "input" in self._io:
            return
        import sys

        try:
            import termios

            if sys.stdin.isatty():
                termios.tcflush(sys.stdin.fileno(), termios.TCIFLUSH)
        except (ImportError, OSError, ValueError):  # no termios (Windows), or no terminal
            pass
        try:
            from prompt_toolkit.application.current import get_app_session
            from prompt_toolkit.input.typeahead import clear_typeahead

            clear_typeahead(get_app_session().input)
        except Exception:  # noqa: BLE001 - nothing typed ahead is nothing to drop
            pass
