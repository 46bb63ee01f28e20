"""The only place that prints data: table, json, jsonl or csv on stdout.

Messages, warnings and progress go to stderr (see cli/console.py). Data values are printed
literally: a name such as "[bold]Ada" is never read as rich markup.
"""

from __future__ import annotations

import builtins
import csv
import io
import json
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from acctctl.plain import plain

FORMATS = ("table", "json", "jsonl", "csv")


def cell(value: Any) -> str:
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)


def visible(text: str) -> str:
    """Text for a terminal: control and bidirectional characters shown as escapes, so a
    stored value cannot clear the screen, ring the bell or reorder what is shown."""
    from acctctl.models.text import BIDI_CONTROLS

    if text.isprintable():
        return text
    return "".join(
        ch if ch.isprintable() or ch == " " else
        (ascii(ch)[1:-1] if ch in BIDI_CONTROLS or ord(ch) < 0xA0 else ch)
        for ch in text
    )


def write_json(obj: Any, out=None) -> None:
    out = out or sys.stdout
    out.write(json.dumps(plain(obj), indent=2, ensure_ascii=False) + "\n")


def write_records(records: Iterable[dict], fmt: str, columns: list[str] | None = None,
                  title: str | None = None, out=None, fit: Fit | None = None,
                  empty: str | None = None) -> None:
    """A list of records in any format; streams for jsonl and csv. `fit` says how a table
    may be narrowed to fit the terminal (which columns may go, in what order). No records:
    json `[]`, jsonl nothing, csv the header (when the columns are known), table nothing on
    stdout and `empty` on stderr."""
    out = out or sys.stdout
    if fmt == "json":
        write_json(list(records), out)
    elif fmt == "jsonl":
        for record in records:
            out.write(json.dumps(plain(record), ensure_ascii=False) + "\n")
    elif fmt == "csv":
        writer = None
        for record in records:
            if writer is None:
                writer = csv.DictWriter(out, fieldnames=columns or list(record),
                                        extrasaction="ignore", lineterminator="\n")
                writer.writeheader()
            writer.writerow({k: cell(v) for k, v in record.items()})
        if writer is None and columns:
            csv.writer(out, lineterminator="\n").writerow(columns)
    else:
        write_table(list(records), columns, title, out, fit, empty)


# --- tables that fit the terminal ----------------------------------------------------------
#
# One renderer for every table (account list, batch list|show, audit list, the catalog and
# reference lists, the bulk create summary, the results of day-two commands):
#
# - into a pipe or a file: every column, each as wide as its longest value (scripts and
#   `less -S` see everything, nothing wrapped);
# - at a terminal: no line wider than the terminal and no value cut. Free text may wrap
#   inside its cell, between words; the columns in `Fit.drop` may be left out (said on
#   stderr); when the other columns still cannot fit, one record per block, as psql's
#   `\x auto`: "-[ RECORD 1 ]---" then one "key | value" line per column.

#: Free text may wrap inside its cell, between words; every other value (numbers, secrets,
#: emails, dates, codes) is kept on one line, whole: a number split over two lines is
#: misread, a folded secret mistyped.
WRAPPABLE = frozenset({"first_name", "last_name", "company", "address", "city", "province",
                       "name", "description", "command", "changes"})
#: Shown as a date in a table (the day is what an operator scans for; -o json has the time).
DATES = frozenset({"created_at", "first_used", "expiry"})
#: Shown to the second, UTC, in a table (when it happened; -o json has the microseconds).
TIMES = frozenset({"at"})
#: A wrapped cell is at least this wide (or its longest word, or a quarter of its longest
#: value): below that a column of free text turns into a ribbon of one word a line.
WRAP_FLOOR = 16


@dataclass(frozen=True)
class Fit:
    """How a table meets the terminal width. `drop`: columns that may be left out, first to
    last, until the rest fits (the others are never left out: when they cannot fit, every
    record is shown as a block of its own). `wide`: no column left out and full timestamps.
    `hint`: where the left-out columns can be seen."""

    drop: tuple[str, ...] = ()
    wide: bool = False
    hint: str = ""


def write_table(records: list[dict], columns: list[str] | None, title: str | None, out,
                fit: Fit | None = None, empty: str | None = None) -> None:
    """A table of `records`; none at all prints nothing on stdout (`empty`, if given, on
    stderr)."""
    if not records:
        if empty:
            note(empty)
        return
    columns = columns or list(records[0])
    _Renderer(out, columns, title, fit or Fit()).chunk(records)


def write_table_stream(records: Iterable[dict], columns: list[str], title: str | None = None,
                       out=None, chunk: int = 500, fit: Fit | None = None,
                       empty: str | None = None) -> None:
    """A table of any length in bounded memory: rendered chunk by chunk, one header. The
    columns are chosen on the first chunk and kept; a chunk that cannot fit the terminal
    (and every one after it) is shown as record blocks."""
    renderer = _Renderer(out, columns, title, fit or Fit())
    batch: list[dict] = []
    for record in records:
        batch.append(record)
        if len(batch) >= chunk:
            renderer.chunk(batch)
            batch = []
    if batch:
        renderer.chunk(batch)
    if not renderer.shown and empty:  # nothing at all: print nothing on stdout
        note(empty)


class _Renderer:
    """Renders records chunk by chunk with one decision of columns and layout."""

    def __init__(self, out, columns: list[str], title: str | None, fit: Fit):
        out = out or sys.stdout
        console = pipe_console(file=out, soft_wrap=True)
        self.terminal = console.is_terminal
        if not self.terminal:  # as wide as the data needs, below
            console = pipe_console(file=out, soft_wrap=True, width=4096)
        self.console, self.columns, self.title, self.fit = console, list(columns), title, fit
        self.all_columns = list(columns)
        self.shown = 0  # records rendered so far
        self.blocks = False  # once records are blocks, they stay blocks

    def chunk(self, records: list[dict]) -> None:
        texts = [{c: visible(_table_cell(r.get(c), c, self.fit.wide)) for c in self.all_columns}
                 for r in records]
        widths = None
        if not self.blocks:
            widths = self._plan(texts, first=self.shown == 0)
        if widths is None:
            self.blocks = True
            self._blocks(texts)
        else:
            self._table(texts, widths, first=self.shown == 0)
        self.shown += len(records)

    def _plan(self, texts: list[dict], first: bool) -> list[int] | None:
        """Column widths that fit, leaving out droppable columns if need be (first chunk
        only); None when the table cannot fit."""
        if not self.terminal:  # every column at its natural width
            return [_measure(texts, c)[0] for c in self.columns]
        width = self.console.width
        columns, dropped = list(self.columns), []
        droppable = [c for c in self.fit.drop if c in columns] if first and not self.fit.wide \
            else []
        while True:
            widths = _fitted_widths(texts, columns, width - _chrome(len(columns)))
            if widths is not None:
                break
            if not droppable:
                return None
            dropped.append(droppable.pop(0))
            columns.remove(dropped[-1])
        if dropped:
            note(f"(left out to fit {width} columns: {', '.join(dropped)}"
                 + (f"; {self.fit.hint}" if self.fit.hint else "") + ")")
        self.columns = columns
        return widths

    def _table(self, texts: list[dict], widths: list[int], first: bool) -> None:
        from rich.text import Text

        table = _new_table(self.title if first else None, header=first)
        for column, width in zip(self.columns, widths, strict=True):
            table.add_column(column, width=width, no_wrap=column not in WRAPPABLE,
                             overflow="fold" if column in WRAPPABLE else "ignore")
        for row in texts:
            table.add_row(*(Text(row[c]) for c in self.columns))
        total = sum(widths) + _chrome(len(widths))
        if not self.terminal:  # a pipe: as wide as the table, however wide that is
            self.console.width = max(self.console.width, total)
        if first and self.title and total < cell_len(self.title) <= self.console.width:
            table.min_width = cell_len(self.title)  # a title is never folded either
        self.console.print(table)

    def _blocks(self, texts: list[dict]) -> None:
        from rich.text import Text

        width = self.console.width if self.terminal else None
        blocks = [key_value_lines(list(row.items()), width, " | ") for row in texts]
        # every header as long as the longest line (at most the terminal's width), as psql's
        rule = max(cell_len(line) for lines in blocks for line in lines)
        rule = min(rule, width) if width else rule
        for n, lines in enumerate(blocks, start=self.shown + 1):
            head = f"-[ RECORD {n} ]-"
            self.console.print(Text(head.ljust(rule, "-")))
            for line in lines:
                self.console.print(Text(line))


def _new_table(title: str | None = None, header: bool = True):
    from rich import box
    from rich.table import Table

    # two spaces between columns, a rule under the header: the most data in the fewest
    # columns (a boxed table spends 3 columns a column on its frame)
    return Table(title=title, show_header=header, box=box.SIMPLE_HEAD, show_edge=False,
                 pad_edge=False, padding=(0, 1, 0, 0))


def _chrome(n: int) -> int:
    """Columns the table's frame takes around n columns of data (see _new_table)."""
    return 2 * (n - 1) if n else 0


def _measure(texts: list[dict], column: str) -> tuple[int, int]:
    """(natural width, narrowest width) of a column: the header and every value whole on
    one line; free text may go down to its longest word (or WRAP_FLOOR, or a quarter of its
    longest value, whichever is widest)."""
    natural = max([cell_len(column), *(cell_len(row[column]) for row in texts)])
    if column not in WRAPPABLE:
        return natural, natural
    word = max((cell_len(w) for row in texts for w in row[column].split()), default=0)
    return natural, max(cell_len(column), word, min(natural, WRAP_FLOOR), -(-natural // 4))


def _fitted_widths(texts: list[dict], columns: list[str], room: int) -> list[int] | None:
    """Widths of the columns within `room`: free text narrowed, widest first, never below
    its narrowest width; None when even that is too wide."""
    measured = [_measure(texts, c) for c in columns]
    widths = [natural for natural, _ in measured]
    if sum(minimum for _, minimum in measured) > room:
        return None
    excess = sum(widths) - room
    while excess > 0:
        # narrow the widest column that may still narrow, down to the next widest
        candidates = [i for i, (w, (_, m)) in enumerate(zip(widths, measured, strict=True))
                      if w > m]
        i = max(candidates, key=lambda j: widths[j])
        others = [widths[j] for j in candidates if j != i and widths[j] < widths[i]]
        step = min(excess, widths[i] - max([measured[i][1], *others]) or 1)
        widths[i] -= step
        excess -= step
    return widths


def key_value_lines(pairs: list[tuple[str, str]], width: int | None, sep: str) -> list[str]:
    """Lines of "key<sep>value", keys aligned; a value too wide to stand beside its key
    wraps between words (free text only) or goes whole onto a line of its own below it.
    Only a single unbreakable value wider than the terminal itself makes a longer line."""
    key_width = max((cell_len(k) for k, _ in pairs), default=0)
    lines = []
    for key, value in pairs:
        lead = key.ljust(key_width) + sep
        room = None if width is None else width - cell_len(lead)
        if room is None or cell_len(value) <= room:
            lines.append((lead + value).rstrip())
            continue
        parts = message_lines(value, room) if key in WRAPPABLE else [value]
        if all(cell_len(p) <= room for p in parts):
            blank = " " * key_width + sep
            lines.extend((lead if i == 0 else blank) + p for i, p in enumerate(parts))
            continue
        lines.append(lead.rstrip())
        parts = message_lines(value, width - 2) if key in WRAPPABLE else [value]
        lines.extend(("  " + p if cell_len(p) + 2 <= width else p) for p in parts)
    return lines


def message_lines(text: str, width: int | None, indent: str = "") -> list[str]:
    """`text` in lines of at most `width` columns, broken only between words: a word (a path,
    a URL, a value) longer than the width keeps a line of its own, whole. `indent` starts
    every line after the first. No width: one line."""
    import textwrap

    if width is None or cell_len(text) <= width or width <= len(indent) + 1:
        return [text]
    return textwrap.wrap(text, width, subsequent_indent=indent, break_long_words=False,
                         break_on_hyphens=False) or [text]


def note(message: str, style: str | None = None) -> None:
    """A message on stderr: a note about the data (what a table left out, that a list is
    empty) and every message of the CLI (cli/console.say). visible: a value quoted in it never
    reaches the terminal as a control character. At a terminal it wraps between words (a
    word, path or URL is never split; the lines after the first are indented); elsewhere it
    is one line, so logs and greps keep it."""
    if not _rich_styles_stderr():
        # what rich writes here, the line as it is, without importing rich (about 15 ms of
        # CPU, 3% of a dry run); visible() left no tab or control character for it to change
        sys.stderr.write(visible(message) + "\n")
        sys.stderr.flush()
        return
    from rich.text import Text

    console = pipe_console(stderr=True, highlight=False)
    width = console.width if console.is_terminal else None
    for line in message_lines(visible(message), width, indent="  "):
        console.print(Text(line, style=style or ""), soft_wrap=True)


def _rich_styles_stderr() -> bool:
    """Whether rich would treat stderr as a terminal (styles, wrapping): it is one, or the
    environment says to (rich reads TTY_COMPATIBLE and FORCE_COLOR), or this is Jupyter,
    which rich writes to in its own way. Otherwise it writes plain lines."""
    if "TTY_COMPATIBLE" in os.environ or "FORCE_COLOR" in os.environ:
        return True
    if hasattr(builtins, "get_ipython"):
        return True
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def cell_len(text: str) -> int:
    from rich.cells import cell_len as length

    return length(text)


def _table_cell(value: Any, column: str, wide: bool) -> str:
    text = cell(value)
    if not wide and len(text) > 10 and text[4:5] == "-":
        if column in DATES:
            return text[:10]
        if column in TIMES and text[10:11] == "T":
            return f"{text[:10]} {text[11:19]}"
    return text


def pipe_console(**options):
    """A rich Console whose closed pipe is a BrokenPipeError, as for any other write: rich's
    own answer is SystemExit(1), an exit 1 that is no bug, before the caller can tell whether
    anything was committed (a closed stdout: create rolls back, list exits 0)."""
    from rich.console import Console

    class PipeConsole(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True  # nothing more to a reader that has gone
            raise BrokenPipeError(32, "the reader closed the pipe")

    return PipeConsole(**options)


def write_account_card(record: dict, out=None) -> None:
    """One account as a readable key/value card; generated secrets marked as shown once.
    At a terminal no line is wider than it: a value that cannot stand beside its key goes
    whole onto a line of its own."""
    from rich.text import Text

    out = out or sys.stdout
    console = pipe_console(file=out, soft_wrap=True)
    width = console.width if console.is_terminal else None
    pairs = [(key, visible(cell(value))) for key, value in record.items() if key != "generated"]
    for line in key_value_lines(pairs, width, "  "):
        key, _, rest = line.partition(" ")
        console.print(Text(key, style="bold") + Text(" " + rest if rest else ""))
    generated = record.get("generated") or {}
    if generated:
        console.print()
        console.print(Text("Generated secrets: shown once, store them now", style="bold yellow"))
        for key, value in generated.items():
            # soft_wrap: a secret is never folded or cut, however narrow the terminal
            console.print(Text(f"  {key}: ") + Text(str(value), style="bold"))


def to_csv_line(values: list[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow([cell(v) for v in values])
    return buffer.getvalue()
