"""Rows from CSV, JSON or JSONL files (or stdin), streamed: (row number, dict of keys)."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import sys
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

from acctctl.errors import UsageError

EXTENSIONS = {".csv": "csv", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl"}


class RowError(Exception):
    """A row that is not an object of keys: reported against its row, like a field error."""

    def __init__(self, row: int, message: str):
        super().__init__(message)
        self.row = row
        self.message = message


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
    path: str, fmt: str, on_password: Callable[[], None] | None = None
) -> Iterator[tuple[int, dict]]:
    """Stream rows; UTF-8 with or without a BOM; an empty CSV cell means "not given"."""
    if path == "-":
        stream = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8-sig", newline="")
    else:
        try:
            stream = open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115
        except OSError as exc:
            raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    warned = False
    try:
        for number, row in _parse(stream, fmt):
            if not warned and on_password and "password" in row:  # a hash is not a password
                warned = True
                on_password()
            yield number, row
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path} is not UTF-8 text: {exc.reason}") from None
    finally:
        if stream is not sys.stdin:
            stream.close()


def count_rows(path: str, fmt: str) -> tuple[int, int, int] | None:
    """(rows, rows with a password, rows with a password_hash) of a file, read once up front
    so progress can show an ETA and hashing be estimated. None for stdin (it can be read only
    once) and for a file read_rows will refuse (it says why)."""
    if path == "-":
        return None
    rows = passwords = hashes = 0
    try:
        with open(path, encoding="utf-8-sig", newline="") as stream:
            for _number, row in _parse(stream, fmt):
                rows += 1
                passwords += "password" in row
                hashes += "password_hash" in row
    except (OSError, UnicodeDecodeError, UsageError):
        return None
    return rows, passwords, hashes


def _parse(stream, fmt: str) -> Iterator[tuple[int, dict]]:
    if fmt == "csv":
        reader = csv.DictReader(stream)
        if reader.fieldnames is None:
            return
        for number, record in enumerate(reader, start=1):
            if None in record:
                raise_row = RowError(number, "has more cells than the header has keys")
                yield number, {"__error__": raise_row}
                continue
            yield number, {k.strip(): v for k, v in record.items() if k and v not in (None, "")}
    elif fmt == "jsonl":
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            yield number, _object(number, line)
    elif fmt == "json":
        try:
            document = json.load(stream, parse_float=Decimal)
        except json.JSONDecodeError as exc:
            raise UsageError(f"not valid JSON: {exc}") from None
        if not isinstance(document, list):
            raise UsageError("a JSON file must hold an array of objects")
        for number, item in enumerate(document, start=1):
            yield number, _checked(number, item)
    else:
        raise UsageError(f"unknown format {fmt!r}: use csv, json or jsonl")


def _object(number: int, line: str) -> dict:
    try:
        return _checked(number, json.loads(line, parse_float=Decimal))
    except json.JSONDecodeError as exc:
        return {"__error__": RowError(number, f"is not valid JSON: {exc.msg}")}


def _checked(number: int, item) -> dict:
    if not isinstance(item, dict):
        return {"__error__": RowError(number, "must be a JSON object of field keys")}
    return {str(k): v for k, v in item.items() if v is not None and v != ""}
