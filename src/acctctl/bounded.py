"""Every file and stream acctctl reads is read here, and never past a ceiling.

Whatever the source - a huge file, /dev/zero, a FIFO or a pipe that never ends, standard
input - a read takes at most its limit and then stops with a message that names the source
and the limit (docs/input-rules.md, "Files acctctl reads"). The caller chooses the exit
code through the error it passes: a config file's problem is exit 5 (ConfigError), a file
named on the command line exit 2 (UsageError), a value's content exit 3 (a field error).

- read_text: a whole small file (config files, database.password_file, ASTPP's config file).
- read_line: the first line of a file or of standard input (--password-file, --password-stdin).
- open_text: a text stream for the row readers, which bound every read themselves
  (readline(n), read(n); service/rows.py).
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

#: an acctctl TOML config file, ASTPP's astpp-config.conf: a few KiB in practice
CONFIG_MAX = 1 << 20
#: database.password_file: a password or an access token (cloud tokens run to a few KiB)
SECRET_FILE_MAX = 64 << 10
#: one line of --password-file or --password-stdin (a portal password is at most 128 chars)
PASSWORD_LINE_MAX = 4096

Make = Callable[[str], Exception]
STDIN = "-"


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _open_binary(path: str | Path, what: str, error: Make, stdin: bool = False):
    """The file; standard input for "-" only where a command line asks for it (read_line):
    a config or key file named "-" is a file of that name, never a silent read of stdin."""
    if stdin and str(path) == STDIN:
        return sys.stdin.buffer
    try:
        return open(Path(path).expanduser(), "rb")  # noqa: SIM115 - closed by the caller
    except OSError as exc:
        raise error(f"cannot read {what}: {_reason(exc)}") from None


def _close(handle) -> None:
    if handle is not sys.stdin.buffer:
        handle.close()


def _decode(data: bytes, what: str, invalid: Make) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise invalid(f"{what} is not valid UTF-8 text (byte {exc.start})") from None


def read_bytes(path: str | Path, *, what: str, limit: int, error: Make,
               invalid: Make | None = None) -> bytes:
    """The whole of a file of at most `limit` bytes. `what` names it in messages
    ("config file /etc/acctctl.toml"); `error` makes the exception when it cannot be read,
    `invalid` (default: error) when it is larger than the limit."""
    invalid = invalid or error
    handle = _open_binary(path, what, error)
    try:
        data = handle.read(limit + 1)
    except OSError as exc:  # a directory on some systems, an I/O error
        raise error(f"cannot read {what}: {_reason(exc)}") from None
    finally:
        _close(handle)
    if len(data) > limit:
        raise invalid(f"{what} is larger than {limit:,} bytes, the most acctctl reads of it")
    return data


def read_text(path: str | Path, *, what: str, limit: int, error: Make,
              invalid: Make | None = None) -> str:
    """read_bytes, decoded as UTF-8 (strict: a byte that is not UTF-8 is refused)."""
    return _decode(read_bytes(path, what=what, limit=limit, error=error, invalid=invalid),
                   what, invalid or error)


def read_line(path: str | Path, *, what: str, limit: int, error: Make,
              invalid: Make | None = None) -> str:
    """The first line of a file, or of standard input when path is "-", without its end
    (\\n or \\r\\n), decoded as UTF-8. At most `limit` bytes are read: a line with no end
    within them is refused, whatever follows. Nothing after the first line is read."""
    invalid = invalid or error
    handle = _open_binary(path, what, error, stdin=True)
    try:
        line = handle.readline(limit + 1)
    except OSError as exc:
        raise error(f"cannot read {what}: {_reason(exc)}") from None
    finally:
        _close(handle)
    if len(line) > limit:  # limit + 1 bytes and still no end
        raise invalid(f"{what}: its first line has no end within {limit:,} bytes")
    return _decode(line, what, invalid).removesuffix("\n").removesuffix("\r")


def open_text(path: str, *, what: str, error: Make, encoding: str = "utf-8-sig") -> TextIO:
    """A text stream of the file, or of standard input when path is "-", for a reader that
    bounds each of its reads itself (readline(n), read(n)): never call read() or readline()
    on it without a size."""
    if path == STDIN:
        return io.TextIOWrapper(sys.stdin.buffer, encoding=encoding, newline="")
    try:
        return open(Path(path), encoding=encoding, newline="")  # noqa: SIM115
    except OSError as exc:
        raise error(f"cannot read {what}: {_reason(exc)}") from None
