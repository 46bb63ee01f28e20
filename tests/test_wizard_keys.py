"""Prompt behaviour of issue 16, in-process: a y/N question answers on the key; a long list is
shown through a window no taller than the terminal. (The same in a real 80x24 terminal:
test_wizard_pty_issue16.py.)"""

from __future__ import annotations

import pytest
from prompt_toolkit.data_structures import Size
from prompt_toolkit.output import DummyOutput

from acctctl.interactive.prompter import Option, QuestionaryPrompter
from test_interactive import DOWN, ENTER, drive  # tests/test_interactive.py


@pytest.mark.parametrize("key, default, expected", [
    ("y", False, True), ("Y", False, True), ("n", True, False), ("N", True, False),
    (ENTER, False, False), (ENTER, True, True),
])
def test_a_confirm_answers_on_the_key(key, default, expected):
    # one key, no Enter after it: drive() fails if the prompt still waits
    assert drive(key, lambda p: p.confirm("Change other settings?", default=default),
                 timeout=5) is expected


def test_other_keys_do_not_answer_a_confirm():
    assert drive("x" + "q" + "y", lambda p: p.confirm("Create this customer?")) is True


class _Sized(DummyOutput):
    def __init__(self, rows: int):
        self.rows = rows

    def get_size(self) -> Size:
        return Size(rows=self.rows, columns=80)


@pytest.mark.parametrize("rows, page", [(24, 10), (40, 10), (12, 9), (6, 3), (3, 3)])
def test_a_list_shows_at_most_a_page_that_fits_the_terminal(rows, page):
    assert QuestionaryPrompter(output=_Sized(rows))._page() == page


def _list_window_height(options, rows=24) -> int:
    """The height the select's list window asks for, as laid out at 80 columns."""
    import questionary
    from questionary.prompts.common import InquirerControl

    prompter = QuestionaryPrompter(output=_Sized(rows))
    question = questionary.select("Billing day", choices=[
        questionary.Choice(o.title, value=o.value) for o in options], output=_Sized(rows))
    prompter._bounded(question)
    [window] = [w for w in question.application.layout.find_all_windows()
                if isinstance(w.content, InquirerControl)]
    return window.preferred_height(80, rows).preferred


def test_the_billing_day_list_is_no_taller_than_the_terminal():
    days = [Option("(default: the day of creation, at most 28)", None),
            *[Option(str(n), str(n)) for n in range(1, 29)]]
    assert _list_window_height(days) == 10  # not 29: with the question, 11 of 24 lines
    assert _list_window_height(days[:5]) == 5  # a short list keeps its own height


def test_a_long_list_scrolls_to_the_entry_chosen():
    days = [Option("(default)", None), *[Option(str(n), str(n)) for n in range(1, 29)]]
    assert drive(DOWN * 27 + ENTER, lambda p: p.select("Billing day", days)) == "27"
    assert drive(DOWN * 28 + ENTER, lambda p: p.select("Billing day", days)) == "28"
    assert drive(ENTER, lambda p: p.select("Billing day", days)) is None
    taxes = [Option(f"tax{n}", f"tax{n}") for n in range(30)]
    assert drive(DOWN * 25 + " " + ENTER, lambda p: p.checkbox("Taxes", taxes)) == ["tax25"]


def test_a_long_list_says_how_many_entries_it_has():
    prompter = QuestionaryPrompter(output=_Sized(24))
    assert prompter._list_hint(29) == "(Use arrow keys: 29 entries, 10 shown at a time)"
    assert prompter._list_hint(8) is None  # fits: questionary's own hint
