"""`--rejects-file PATH`: the rows that failed, in the input's own format and columns, plus an
`error` column, so they can be fixed and run again (the `error` column is ignored on input).

The rows stream through the create path once, so the raw rows are copied aside as they go
(into an unlinked temporary file, as they may hold passwords) and the failed ones are
written out when the errors are known. The file is new, mode 0600, never overwritten.
"""

from __future__ import annotations

import copy
import csv
import json
import os
import tempfile
from collections.abc import Iterable, Iterator

from acctctl.errors import UsageError

ERROR_COLUMN = "error"


def open_private(path: str, flag: str):
    """A new file with mode 0600 from its creation; an existing path is refused (exit 2)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise UsageError(f"{flag} {path} exists; it is never overwritten") from None
    except OSError as exc:
        raise UsageError(f"cannot create {flag} {path}: {exc.strerror}") from None
    return os.fdopen(fd, "w", encoding="utf-8", newline="")


def without_error_column(rows: Iterable[tuple[int, dict]]) -> Iterator[tuple[int, dict]]:
    """A rejects file runs again as it is: its `error` column is not a field."""
    for number, raw in rows:
        if isinstance(raw, dict) and ERROR_COLUMN in raw:
            raw = copy.copy(raw)  # a translated row keeps what its reader noted (problems)
            del raw[ERROR_COLUMN]
        yield number, raw


class Rejects:
    def __init__(self, path: str, source: str, fmt: str):
        self.path = path
        self.fmt = "csv" if fmt == "astpp" else fmt  # ASTPP's import file is a CSV
        self.header, self.delimiter = (_csv_header(source) if self.fmt == "csv"
                                       else (None, ","))
        self.seen_keys: dict[str, None] = {}  # column order when the header is unknown
        self.handle = open_private(path, "--rejects-file")
        self.spool = tempfile.TemporaryFile("w+", encoding="utf-8")

    def tee(self, rows: Iterable[tuple[int, dict]]) -> Iterator[tuple[int, dict]]:
        from acctctl.plain import plain

        for number, raw in rows:
            kept = raw if isinstance(raw, dict) else {}  # a RowError: no object to give back
            kept = getattr(kept, "source", kept)  # a translated row: as the file has it
            self.seen_keys.update(dict.fromkeys(kept))
            self.spool.write(json.dumps([number, plain(kept)], ensure_ascii=False) + "\n")
            yield number, raw

    def write(self, errors) -> int:
        """Write the failed rows; returns how many. No failed row: no file is left."""
        reasons: dict[int, list[str]] = {}
        for e in errors:
            if e.row is not None:
                reasons.setdefault(e.row, []).append(f"{e.field}: {e.message}")
        self.spool.seek(0)
        failed = ((number, raw) for number, raw in map(json.loads, self.spool)
                  if number in reasons)
        records = ({**raw, ERROR_COLUMN: "; ".join(reasons[number])} for number, raw in failed)
        if self.fmt == "csv":
            self._write_csv(records)
        else:
            self._write_json(records)
        self.close()
        if not reasons:
            os.unlink(self.path)
        return len(reasons)

    def _write_csv(self, records) -> None:
        from acctctl.output import cell

        columns = self.header or list(self.seen_keys)
        columns = [c for c in columns if c != ERROR_COLUMN] + [ERROR_COLUMN]
        writer = csv.DictWriter(self.handle, fieldnames=columns, extrasaction="ignore",
                                restval="", lineterminator="\n", delimiter=self.delimiter)
        writer.writeheader()
        for record in records:
            writer.writerow({k: cell(v) for k, v in record.items()})

    def _write_json(self, records) -> None:
        lines = (json.dumps(r, ensure_ascii=False) for r in records)
        if self.fmt == "jsonl":
            for line in lines:
                self.handle.write(line + "\n")
            return
        self.handle.write("[\n" + ",\n".join("  " + line for line in lines) + "\n]\n")

    def discard(self) -> None:
        """The run ended before the rejects were written: leave no empty file behind."""
        if self.handle.closed:
            return
        self.close()
        if os.path.exists(self.path) and os.path.getsize(self.path) == 0:
            os.unlink(self.path)

    def close(self) -> None:
        if not self.handle.closed:
            self.handle.close()
        self.spool.close()


def _csv_header(source: str) -> tuple[list[str] | None, str]:
    """The input's own columns in order, and its delimiter (stdin cannot be read twice:
    then the keys seen, comma-separated)."""
    from acctctl.bounded import open_text
    from acctctl.errors import UsageError
    from acctctl.service.rows import MAX_ROW, sniff_delimiter

    if source == "-":
        return None, ","
    try:
        with open_text(source, what=source, error=UsageError) as handle:
            first = handle.readline(MAX_ROW)  # bounded: the reader refuses a longer header
    except (UsageError, UnicodeDecodeError):
        return None, ","
    delimiter = sniff_delimiter(first)
    row = next(csv.reader([first], delimiter=delimiter), [])
    return [c.strip() for c in row if c.strip()] or None, delimiter
