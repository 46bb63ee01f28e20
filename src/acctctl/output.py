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
                  title: str | None = None, out=None) -> None:
    """A list of records in any format; streams for jsonl and csv."""
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
        write_table(list(records), columns, title, out)


def write_table(records: list[dict], columns: list[str] | None, title: str | None, out) -> None:
    from rich.table import Table
    from rich.text import Text

    columns = columns or (list(records[0]) if records else [])
    table = Table(title=title, show_lines=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    for record in records:
        table.add_row(*(Text(visible(cell(record.get(c)))) for c in columns))
    _data_console(out).print(table)


def write_table_stream(records: Iterable[dict], columns: list[str], title: str | None = None,
                       out=None, chunk: int = 500) -> None:
    """A table of any length in bounded memory: rendered chunk by chunk, one header."""
    out = out or sys.stdout
    batch: list[dict] = []
    first = True
    for record in records:
        batch.append(record)
        if len(batch) >= chunk:
            _table_chunk(batch, columns, title if first else None, first, out)
            batch, first = [], False
    if batch:  # nothing at all: print nothing (the summary on stderr says so)
        _table_chunk(batch, columns, title if first else None, first, out)


def _table_chunk(records, columns, title, header: bool, out) -> None:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, show_header=header, box=box.SIMPLE_HEAD, pad_edge=False)
    for column in columns:
        table.add_column(column, overflow="fold")  # never cut a value (secrets!) short
    for record in records:
        table.add_row(*(Text(visible(cell(record.get(c)))) for c in columns))
    _data_console(out).print(table)


def _data_console(out):
    """On a terminal, its width; into a pipe or file, as wide as the data needs."""
    from rich.console import Console

    is_tty = getattr(out, "isatty", lambda: False)()
    return Console(file=out, soft_wrap=True, width=None if is_tty else 4096)


def write_account_card(record: dict, out=None) -> None:
    """One account as a readable key/value card; generated secrets marked as shown once."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    out = out or sys.stdout
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    for key, value in record.items():
        if key == "generated":
            continue
        table.add_row(key, Text(visible(cell(value))))
    console = Console(file=out, soft_wrap=False)
    console.print(table)
    generated = record.get("generated") or {}
    if generated:
        console.print()
        console.print(Text("Generated secrets: shown once, store them now", style="bold yellow"))
        for key, value in generated.items():
            console.print(Text(f"  {key}: ") + Text(str(value), style="bold"))


def to_csv_line(values: list[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow([cell(v) for v in values])
    return buffer.getvalue()
