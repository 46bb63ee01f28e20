"""The only place that prints data: table, json, jsonl or csv on stdout.

Messages, warnings and progress go to stderr (see cli/console.py). Data values are printed
literally: a name such as "[bold]Ada" is never read as rich markup.
"""

from __future__ import annotations

import csv
import io
import json
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
    from acctctl.models.rules import BIDI_CONTROLS

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
                  title: str | None = None, out=None, fit: Fit | None = None) -> None:
    """A list of records in any format; streams for jsonl and csv. `fit` says how a table
    may be narrowed to fit the terminal (which columns may go, in what order)."""
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
        write_table(list(records), columns, title, out, fit)


# --- tables that fit the terminal ----------------------------------------------------------

#: Free text may wrap inside its cell; every other value (numbers, secrets, emails, dates,
#: codes) is kept on one line, whole: a number split over two lines is misread, a folded
#: secret mistyped.
WRAPPABLE = frozenset({"first_name", "last_name", "company", "address", "city", "province",
                       "name", "description", "command"})
#: Shown as a date in a table (the day is what an operator scans for; -o json has the time).
DATES = frozenset({"created_at", "first_used", "expiry"})


@dataclass(frozen=True)
class Fit:
    """How a table meets the terminal width: columns in `drop` go first to last until the
    rest fits; the others are never dropped. `wide`: every column, full dates, lines as
    long as they need. `hint`: where the dropped columns can be seen."""

    drop: tuple[str, ...] = ()
    wide: bool = False
    hint: str = ""


def write_table(records: list[dict], columns: list[str] | None, title: str | None, out,
                fit: Fit | None = None) -> None:
    from rich.table import Table

    columns = columns or (list(records[0]) if records else [])
    console = _data_console(out)
    fit = fit or Fit()
    columns = _fitted(records, columns, console, fit, lambda: Table(title=title))
    table = Table(title=title)
    _fill(table, columns, records, fit.wide)
    console.print(table)


def write_table_stream(records: Iterable[dict], columns: list[str], title: str | None = None,
                       out=None, chunk: int = 500, fit: Fit | None = None) -> None:
    """A table of any length in bounded memory: rendered chunk by chunk, one header. The
    columns are chosen on the first chunk and kept."""
    out = out or sys.stdout
    batch: list[dict] = []
    first = True
    console = _data_console(out)
    fit = fit or Fit()
    for record in records:
        batch.append(record)
        if len(batch) >= chunk:
            if first:
                columns = _fitted(batch, columns, console, fit, _stream_table)
            _table_chunk(batch, columns, title if first else None, first, console, fit)
            batch, first = [], False
    if batch:  # nothing at all: print nothing (the summary on stderr says so)
        if first:
            columns = _fitted(batch, columns, console, fit, _stream_table)
        _table_chunk(batch, columns, title if first else None, first, console, fit)


def _stream_table(title=None, header: bool = True):
    from rich import box
    from rich.table import Table

    return Table(title=title, show_header=header, box=box.SIMPLE_HEAD, pad_edge=False)


def _table_chunk(records, columns, title, header: bool, console, fit: Fit) -> None:
    table = _stream_table(title, header)
    _fill(table, columns, records, fit.wide)
    console.print(table)


def _fill(table, columns: list[str], records: list[dict], wide: bool) -> None:
    from rich.text import Text

    for column in columns:
        if column in WRAPPABLE:
            table.add_column(column, overflow="fold")
        else:
            table.add_column(column, no_wrap=True, overflow="ignore")
    for record in records:
        table.add_row(*(Text(visible(_table_cell(record.get(c), c, wide))) for c in columns))


def _table_cell(value: Any, column: str, wide: bool) -> str:
    text = cell(value)
    if column in DATES and not wide and len(text) > 10 and text[4:5] == "-":
        return text[:10]
    return text


def _fitted(records, columns: list[str], console, fit: Fit, new_table) -> list[str]:
    """The columns that fit the console. The console is widened, if need be, to the table's
    unbreakable minimum (the terminal then wraps the line): no value is ever cut or split."""
    columns = list(columns)
    sample = records[:200]
    dropped: list[str] = []
    while True:
        table = new_table()
        _fill(table, columns, sample, fit.wide)
        need = _minimum_width(console, table)
        if fit.wide or need <= console.width:
            break
        droppable = [c for c in fit.drop if c in columns]
        if not droppable:
            break
        columns.remove(droppable[0])
        dropped.append(droppable[0])
    if dropped:
        sys.stderr.write(f"(left out to fit {console.width} columns: {', '.join(dropped)}"
                         + (f"; {fit.hint}" if fit.hint else "") + ")\n")
    _widen_to(console, table, need)
    return columns


def _minimum_width(console, renderable) -> int:
    """The narrowest width at which nothing unbreakable (a no-wrap value) is cut."""
    from rich.measure import Measurement

    return Measurement.get(console, console.options.update(width=10_000), renderable).minimum


def _widen_to(console, renderable, need: int | None = None) -> None:
    """Widen the console to what the renderable needs whole: the terminal then wraps the
    long line, but copying it still gives the whole value."""
    need = _minimum_width(console, renderable) if need is None else need
    if need > console.width:
        console.width = need


def _data_console(out):
    """On a terminal, its width; into a pipe or file, as wide as the data needs."""
    is_tty = getattr(out, "isatty", lambda: False)()
    return pipe_console(file=out, soft_wrap=True, width=None if is_tty else 4096)


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
    """One account as a readable key/value card; generated secrets marked as shown once."""
    from rich.table import Table
    from rich.text import Text

    out = out or sys.stdout
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for key, value in record.items():
        if key == "generated":
            continue
        # values stay whole on one line (an email, a date), free text may wrap
        table.add_row(key, Text(visible(cell(value)), no_wrap=key not in WRAPPABLE))
    console = pipe_console(file=out, soft_wrap=False)
    _widen_to(console, table)
    console.print(table)
    generated = record.get("generated") or {}
    if generated:
        console.print()
        console.print(Text("Generated secrets: shown once, store them now", style="bold yellow"))
        for key, value in generated.items():
            # soft_wrap: a secret is never folded or cut, however narrow the terminal
            console.print(Text(f"  {key}: ") + Text(str(value), style="bold"), soft_wrap=True)


def to_csv_line(values: list[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow([cell(v) for v in values])
    return buffer.getvalue()
