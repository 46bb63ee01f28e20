"""Rows from CSV, JSON or JSONL files (or stdin), streamed: (row number, dict of keys).

Input is bounded (docs/input-rules.md): a row, a cell, a line, nesting and integers all
have a ceiling, checked while reading, so /dev/zero or a hostile file ends in seconds with
memory flat. A row that breaks a bound is yielded as a RowError in place of its dict.
"""

from __future__ import annotations

import csv
import json
import os
import re
import stat
import sys
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

from acctctl.errors import FieldError, UsageError, ValidationFailed

EXTENSIONS = {".csv": "csv", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl"}
#: `--format astpp`: CSV whose header must be ASTPP's customer import file's (a .csv with that
#: header is recognised without it); see service/astpp_import.py
FORMATS = ("csv", "json", "jsonl", "astpp")

MAX_CELL = 10_000  # characters in one value; the longest field (number_translation) is 1,000
MAX_ROW = 1 << 20  # characters in one row: a CSV record, a JSONL line, a JSON array element
MAX_DEPTH = 32  # JSON nesting inside one row (a row needs 2: the object, a list of taxes)
MAX_INT_DIGITS = 40  # longer JSON integers stay text, for the field's rule to refuse
MAX_KEY = 100  # a CSV header cell: field keys are short
DELIMITERS = (",", ";", "\t")
_CHUNK = 1 << 16


class RowError(Exception):
    """A row that is not an object of keys: reported against its row, like a field error.

    fatal: the reader cannot find where the next row starts, so it stops after this one."""

    def __init__(self, row: int, message: str, field: str = "row", fatal: bool = False):
        super().__init__(message)
        self.row = row
        self.message = message
        self.field = field
        self.fatal = fatal


class _TooLong(Exception):
    pass


def infer_format(path: str, fmt: str | None) -> str:
    if fmt:
        return fmt
    if path == "-":
        raise UsageError("--format csv|json|jsonl is required when reading rows from stdin")
    found = EXTENSIONS.get(Path(path).suffix.lower())
    if found is None:
        raise UsageError(
            f"cannot tell the format of {path}: name it .csv, .json, .jsonl or .ndjson, "
            "or pass --format"
        )
    return found


def readable_by_others(path: str) -> bool:
    if path == "-":
        return False
    try:
        return bool(os.stat(path).st_mode & (stat.S_IRGRP | stat.S_IROTH))
    except OSError:
        return False


def read_rows(
    path: str, fmt: str, on_password: Callable[[], None] | None = None,
    astpp: frozenset[str] | None = None,
) -> Iterator[tuple[int, dict | RowError]]:
    """Stream rows; UTF-8 with or without a BOM; an empty CSV cell means "not given".

    astpp: not None where ASTPP's customer import file is accepted (`create customer`): its
    rows come as field keys (service/astpp_import.py); the set holds the keys given as flags.
    Elsewhere that file is refused (exit 2) rather than read as keys it does not have."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}: use csv, json or jsonl "
                         "(or astpp: ASTPP's customer import file)")
    from acctctl.bounded import open_text

    # every read below is bounded (readline(MAX_ROW + 1), read(_CHUNK)): never the whole file
    stream = open_text(path, what=path, error=UsageError)
    warned = False
    parse = {"csv": _csv_rows, "astpp": _csv_rows, "jsonl": _jsonl_rows, "json": _json_rows}[fmt]
    try:
        for number, row in parse(stream, path, _Foreign(fmt, astpp)):
            if not warned and on_password and isinstance(row, dict) and "password" in row:
                warned = True  # a hash is not a password
                on_password()
            yield number, row
            if isinstance(row, RowError) and row.fatal:
                return
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path} is not UTF-8 text: {exc.reason}") from None
    finally:
        if stream is not sys.stdin:
            stream.close()


def count_rows(path: str, fmt: str, astpp: frozenset[str] | None = None,
               ) -> tuple[int, int, int] | None:
    """(rows, rows with a password, rows with a password_hash) of a file, read once up front
    so progress can show an ETA and hashing be estimated. None for stdin (it can be read only
    once) and for a file read_rows will refuse (it says why when the run reads it)."""
    if path == "-":
        return None
    rows = passwords = hashes = 0
    try:
        for _number, row in read_rows(path, fmt, astpp=astpp):
            rows += 1
            if isinstance(row, dict):
                passwords += "password" in row
                hashes += "password_hash" in row
    except (UsageError, ValidationFailed):
        return None
    return rows, passwords, hashes


# --- CSV -----------------------------------------------------------------------------------


class _Lines:
    """The stream's lines, none longer than MAX_ROW, and at most MAX_ROW characters per
    record (a quoted cell may span lines): the reader calls start_record() before each."""

    def __init__(self, stream):
        self.stream = stream
        self.used = 0

    def start_record(self) -> None:
        self.used = 0

    def __iter__(self):
        return self

    def __next__(self) -> str:
        line = self.stream.readline(MAX_ROW + 1)
        if not line:
            raise StopIteration
        self.used += len(line)
        if self.used > MAX_ROW:
            raise _TooLong
        return line


class _Foreign:
    """Which other system's file a CSV may be: ASTPP's customer import file (by its header,
    or by --format astpp), turned into rows of field keys where the caller accepts it."""

    def __init__(self, fmt: str, astpp: frozenset[str] | None):
        self.forced = fmt == "astpp"
        self.astpp = astpp

    def reader(self, header: list[str], path: str) -> Callable[[dict], dict] | None:
        """None: a header of field keys; else what makes a row of field keys of a record."""
        from acctctl.service import astpp_import

        if not (self.forced or astpp_import.is_astpp_header(header)):
            return None
        if self.astpp is None:
            raise UsageError(f"{_name(path)} is ASTPP's customer import file (by its header"
                             f"{', or --format astpp' if self.forced else ''}): only "
                             "`acctctl create customer --from-file` reads it")
        if not astpp_import.is_astpp_header(header):
            raise UsageError(f"--format astpp: the header of {_name(path)} is not ASTPP's "
                             "customer import file's (Account,Password,First Name,...)")
        astpp_import.check_header(header, _name(path))
        defaults = self.astpp
        return lambda record: astpp_import.translate(record, defaults)


def _csv_rows(stream, path: str, foreign: _Foreign | None = None,
              ) -> Iterator[tuple[int, dict | RowError]]:
    lines = _Lines(stream)
    try:
        header_line = next(lines, None)
    except _TooLong:
        raise UsageError(f"{_name(path)} is not a CSV file: its first line has no end within "
                         f"{MAX_ROW:,} characters") from None
    if header_line is None or not header_line.strip():
        return
    csv.field_size_limit(max(csv.field_size_limit(), MAX_ROW + 1))  # _Lines bounds rows
    delimiter = sniff_delimiter(header_line)
    header = [k.strip() for k in next(csv.reader([header_line], delimiter=delimiter))]
    _check_header(header, header_line, path)
    as_keys = (foreign or _Foreign("csv", None)).reader(header, path)
    reader = csv.reader(lines, delimiter=delimiter)
    number = 0
    while True:
        number += 1
        lines.start_record()
        try:
            cells = next(reader, None)
        except _TooLong:
            yield number, RowError(number, f"is longer than {MAX_ROW:,} characters (or a line "
                                   "has no end); the rest of the file was not read", fatal=True)
            return
        except csv.Error as exc:
            yield number, RowError(number, f"is not valid CSV: {exc}; the rest of the file "
                                   "was not read", fatal=True)
            return
        if cells is None:
            return
        if not cells:  # a blank line
            number -= 1
            continue
        if len(cells) > len(header):
            yield number, RowError(number, "has more cells than the header has keys")
            continue
        record = _csv_record(number, header, cells)
        yield number, as_keys(record) if as_keys and isinstance(record, dict) else record


def sniff_delimiter(header_line: str) -> str:
    """`,`, `;` or a tab: whichever the header line holds most of (keys contain none)."""
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])  # ties go to the first, the comma
    return best if counts[best] else ","


_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _check_header(header: list[str], line: str, path: str) -> None:
    if len(header) == 1 and not _KEY.fullmatch(header[0]):
        seen = line.strip()
        seen = seen if len(seen) <= 60 else seen[:60] + "..."
        raise UsageError(
            f"the header of {_name(path)} is one column, {seen!r}: separate the keys with "
            "',' (or ';' or a tab), e.g. number,first_name,email"
        )
    longest = max(header, key=len)
    if len(longest) > MAX_KEY:
        raise UsageError(f"the header of {_name(path)} has a column named with "
                         f"{len(longest):,} characters: it is not a header of field keys")
    seen_keys: set[str] = set()
    for key in header:
        if key and key in seen_keys:
            raise ValidationFailed(
                [FieldError(field=key, message="is named twice in the header of "
                            f"{_name(path)}; each key may appear once")],
                message="nothing was written",
            )
        seen_keys.add(key)


def _csv_record(number: int, header: list[str], cells: list[str]) -> dict | RowError:
    record = {}
    for key, value in zip(header, cells, strict=False):
        if not key or value == "":
            continue
        if len(value) > MAX_CELL:
            return RowError(number, f"is longer than {MAX_CELL:,} characters", field=key)
        record[key] = value
    return record


def _name(path: str) -> str:
    return "standard input" if path == "-" else path


# --- JSON Lines ----------------------------------------------------------------------------


def _jsonl_rows(stream, path: str, _foreign=None) -> Iterator[tuple[int, dict | RowError]]:
    decoder = _Decoder()
    number = 0
    while True:
        line = stream.readline(MAX_ROW + 1)
        if not line:
            return
        number += 1
        if len(line) > MAX_ROW:
            yield number, RowError(number, f"is longer than {MAX_ROW:,} characters (or has no "
                                   "end); the rest of the file was not read", fatal=True)
            return
        if not line.strip():
            continue
        try:
            value, end = decoder.decode_at(line.strip(), 0)
        except json.JSONDecodeError as exc:
            yield number, RowError(number, f"is not valid JSON: {exc.msg}")
            continue
        except RecursionError:
            yield number, _too_deep(number)
            continue
        if end != len(line.strip()):
            yield number, RowError(number, "is not valid JSON: extra data after the object")
            continue
        yield number, _checked(number, value, decoder.duplicates)


# --- JSON array ----------------------------------------------------------------------------


def _json_rows(stream, path: str, _foreign=None) -> Iterator[tuple[int, dict | RowError]]:
    """An array of objects, decoded one element at a time: never the whole file at once."""
    decoder = _Decoder()
    buffer, pos, eof = "", 0, False

    def fill() -> bool:
        nonlocal buffer, pos, eof
        chunk = stream.read(_CHUNK)
        if not chunk:
            eof = True
            return False
        buffer = buffer[pos:] + chunk
        pos = 0
        return True

    def skip_space() -> str:
        nonlocal pos
        while True:
            while pos < len(buffer) and buffer[pos] in " \t\r\n":
                pos += 1
            if pos < len(buffer) or not fill():
                return buffer[pos] if pos < len(buffer) else ""

    def not_json(why: str) -> UsageError:
        return UsageError(f"{_name(path)} is not valid JSON: {why}",
                          hint="a JSON file must hold an array of objects")

    if skip_space() != "[":
        raise UsageError("a JSON file must hold an array of objects")
    pos += 1
    number = 0
    while True:
        first = skip_space()
        if first == "]":
            pos += 1
            if skip_space():  # the array must end the file: refuse what follows, never ignore
                raise not_json(f"extra data after the array (after element {number})")
            return
        if number:  # after an element: a comma, then the next element
            if first != ",":
                raise not_json(f"expected ',' or ']' after element {number}")
            pos += 1
            skip_space()
        number += 1
        while True:
            try:
                value, end = decoder.decode_at(buffer, pos)
            except json.JSONDecodeError as exc:
                cut = exc.pos >= len(buffer) - 6 or exc.msg.startswith("Unterminated string")
                if cut and len(buffer) - pos > MAX_ROW:
                    yield number, RowError(number, f"is longer than {MAX_ROW:,} characters; "
                                           "the rest of the file was not read", fatal=True)
                    return
                if cut and not eof and fill():
                    continue  # the element goes on in the next chunk: read on
                raise not_json(f"element {number}: {exc.msg}") from None
            except RecursionError:
                yield number, RowError(number, _too_deep(number).message + "; the rest of the "
                                       "file was not read", fatal=True)
                return
            if end >= len(buffer) and not eof and fill():
                continue  # a number may go on in the next chunk
            if end - pos > MAX_ROW:
                yield number, RowError(number, f"is longer than {MAX_ROW:,} characters")
            else:
                yield number, _checked(number, value, decoder.duplicates)
            pos = end
            break


# --- shared --------------------------------------------------------------------------------


class _Decoder:
    """json with exact decimals, long integers kept as text, and duplicate keys noted."""

    def __init__(self):
        self.duplicates: list[str] = []
        self._decoder = json.JSONDecoder(parse_float=Decimal, parse_int=_int,
                                         object_pairs_hook=self._pairs)

    def _pairs(self, pairs: list[tuple[str, object]]) -> dict:
        found: dict = {}
        for key, value in pairs:
            if key in found:
                self.duplicates.append(key)
            found[key] = value
        return found

    def decode_at(self, text: str, pos: int):
        self.duplicates = []
        return self._decoder.raw_decode(text, pos)


def _int(digits: str):
    # Python refuses to convert 4,300+ digits (and it would be slow): keep long ones as text
    return int(digits) if len(digits) <= MAX_INT_DIGITS else digits


def _too_deep(number: int) -> RowError:
    return RowError(number, f"nests deeper than {MAX_DEPTH} levels")


def _checked(number: int, item, duplicates: list[str]) -> dict | RowError:
    if not isinstance(item, dict):
        return RowError(number, "must be a JSON object of field keys")
    if duplicates:
        return RowError(number, "is given twice in one object", field=duplicates[0])
    row = {}
    for key, value in item.items():
        if value is None:
            continue
        if type(value) is str:
            if not value:
                continue
            if len(value) > MAX_CELL:
                return RowError(number, f"is longer than {MAX_CELL:,} characters", field=key)
        elif isinstance(value, _CONTAINERS) and _depth(value) >= MAX_DEPTH:
            return _too_deep(number)
        row[key] = value
    return row


_CONTAINERS = (list, dict)


def _depth(value) -> int:
    """How deep lists and objects nest in `value` (0 for a scalar), without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, list | dict):
            level += 1
            deepest = max(deepest, level)
            if deepest > MAX_DEPTH:
                return deepest
            stack.extend((v, level) for v in (item.values() if isinstance(item, dict) else item))
    return deepest
