"""--secrets-file: a new 0600 file, complete and on disk before its batch commits, in place
only once it has.

Secrets are written to a temporary file beside the target. Just before the database commit
the file is sealed: flushed and fsynced, and its directory fsynced, so every secret of the
batch is on disk before any account that needs it exists; if that fails (a full disk, a
vanished directory) the batch is rolled back. Once the commit has succeeded the file is
linked into place (and the directory fsynced again). A run that is killed, fails or writes
nothing leaves no (empty) file that would make the same command refuse to run again; a run
killed between the commit and the link leaves its secrets in the sealed temporary file. The
target is never overwritten: it is created by link(), which fails when the name exists.
"""

from __future__ import annotations

import io
import os
import secrets
import sys
from contextlib import contextmanager

from acctctl.errors import UsageError


def fsync_directory(folder: str) -> None:
    """Make a directory's entries (a new or renamed file) durable; a no-op where the file
    system cannot open a directory."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # some file systems refuse fsync on a directory: nothing more to do
        pass
    finally:
        os.close(fd)


def write_fully(fd: int, data: bytes) -> None:
    """os.write until every byte is out: a short write is retried, so a reader that closes
    a pipe mid-write (or a disk that fills) is an error here. Python's own buffered writer
    reports a short write as a count that TextIOWrapper drops, silently losing the rest."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


class FullWriter(io.RawIOBase):
    """A raw stream over a file descriptor that writes every byte or raises."""

    def __init__(self, fd: int):
        super().__init__()
        self.fd = fd

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        write_fully(self.fd, bytes(data))
        return len(data)

    def fileno(self) -> int:
        return self.fd

    def isatty(self) -> bool:
        return os.isatty(self.fd)


@contextmanager
def stdout_written_in_full():
    """sys.stdout, within the block, writes every byte or raises BrokenPipeError (a closed
    stdout); flushed at the end. A stdout with no file descriptor (a test's) is kept."""
    original = sys.stdout
    try:
        fd = original.fileno()
    except (AttributeError, OSError, ValueError):
        yield
        original.flush()
        return
    original.flush()
    checked = io.TextIOWrapper(io.BufferedWriter(FullWriter(fd)),
                               encoding=original.encoding, errors=original.errors,
                               line_buffering=False)
    sys.stdout = checked
    try:
        yield
        checked.flush()
    finally:
        sys.stdout = original
        try:
            checked.detach()  # never closes the descriptor
        except (OSError, ValueError):
            pass


class PendingSecretsFile:
    def __init__(self, path: str):
        self.path = path
        if os.path.lexists(path):
            raise UsageError(f"--secrets-file {path} exists; it is never overwritten")
        self.folder, name = os.path.split(os.path.abspath(path))
        self.temp = os.path.join(self.folder, f".{name}.{secrets.token_hex(4)}.tmp")
        try:
            self.fd = os.open(self.temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as exc:
            raise UsageError(f"cannot create --secrets-file {path}: {exc.strerror}") from None
        self.size = 0  # bytes written so far
        self.pending: list[bytes] = []
        self.sealed = False
        self.closed = False
        self.settled = False  # published, discarded or kept: nothing more to do

    # the file-like surface the writers use (csv.writer)
    def write(self, text: str) -> int:
        data = text.encode("utf-8")
        self.pending.append(data)
        self.size += len(data)
        if len(self.pending) >= 1024:
            self.flush()
        return len(text)

    def tell(self) -> int:
        return self.size

    def flush(self) -> None:
        data, self.pending = b"".join(self.pending), []
        write_fully(self.fd, data)

    def restart(self) -> None:
        """Empty the file (a batch replayed after a deadlock writes its secrets afresh)."""
        self.pending = []
        os.ftruncate(self.fd, 0)
        os.lseek(self.fd, 0, os.SEEK_SET)
        self.size = 0
        self.sealed = False

    def seal(self) -> None:
        """Before the commit: every secret written is on disk, the file's name too. An error
        here (a full disk) propagates, and the batch is not committed."""
        self.flush()
        os.fsync(self.fd)
        fsync_directory(self.folder)
        self.sealed = True

    def _close(self) -> None:
        if not self.closed:
            self.closed = True
            os.close(self.fd)

    def publish(self) -> str | None:
        """After the commit: put the sealed file in place (nothing written: remove it).
        Returns a warning when the secrets could not be put at the path asked for."""
        written = self.size > 0
        if written and not self.sealed:
            self.seal()
        self._close()
        self.settled = True
        if not written:
            os.unlink(self.temp)
            return None
        try:
            os.link(self.temp, self.path)
        except FileExistsError:
            return (f"--secrets-file {self.path} appeared meanwhile and was not overwritten: "
                    f"the secrets are in {self.temp}")
        except OSError:  # a file system without hard links: no other process may win here
            if os.path.lexists(self.path):
                return f"--secrets-file {self.path} exists: the secrets are in {self.temp}"
            try:
                os.rename(self.temp, self.path)
            except OSError as exc:  # the accounts are committed: say where their secrets are
                return (f"--secrets-file {self.path} could not be put in place "
                        f"({exc.strerror or exc}): the secrets are in {self.temp}")
            fsync_directory(self.folder)
            return None
        fsync_directory(self.folder)
        try:
            os.unlink(self.temp)
        except OSError:  # the secrets are at self.path; a leftover link holds the same file
            pass
        return None

    def discard(self) -> None:
        """Nothing was committed: the secrets belong to no account; remove the file. A no-op
        once the file was published or kept."""
        if self.settled:
            return
        self.settled = True
        self._close()
        try:
            os.unlink(self.temp)
        except FileNotFoundError:
            pass

    def keep(self) -> str:
        """The commit failed with its outcome unknown: keep the sealed file, say where."""
        self.settled = True
        self._close()
        return (f"the database commit failed, so the accounts were probably not written; if "
                f"they were, their secrets are in {self.temp} (delete it otherwise)")


def write_secrets(handle, records) -> None:
    """`number,password,sip_password` rows for the records' generated secrets, which are
    taken out of the records (what is shown on stdout then holds none). The header comes
    with the first record."""
    import csv

    writer = csv.writer(handle, lineterminator="\n")
    for record in records:
        if handle.tell() == 0:
            writer.writerow(["number", "password", "sip_password"])
        generated = record.pop("generated", None)
        if generated:
            writer.writerow([record["number"], generated.get("password", ""),
                             generated.get("sip_password", "")])
    handle.flush()


class Delivery:
    """Every generated secret is delivered before the commit that makes its account real.

    With --secrets-file the secrets go to the file, which is sealed (fsynced, its directory
    too) inside the transaction, and put in place after the commit; stdout then carries no
    secret, and a reader that closes it early costs nothing. Without one, stdout is the only
    place a generated secret is ever shown: the whole output is written and flushed before
    the commit, and if stdout is closed first (`| head -1`) the batch is rolled back and the
    run exits 130 saying so, so no account exists whose secret nobody was given. Output
    holding no generated secret is written after the commit, as any command's.
    """

    def __init__(self, secrets_file: PendingSecretsFile | None):
        self.file = secrets_file
        self.on_stdout = False  # the data output was written (and flushed) before the commit
        self.delivering = False  # stdout was being written before the commit
        self.done = False  # the delivery finished: only the commit comes after it
        self.batch = None  # create's BatchResult, which says when the commit has started

    def before_commit(self, records, has_secrets: bool, render) -> None:
        """Called by the service inside the transaction, just before the commit."""
        if self.file is not None:
            try:
                self.file.restart()
                write_secrets(self.file, records)
                self.file.seal()
            except OSError as exc:  # a full disk, a file-size limit: the batch rolls back
                from acctctl.errors import ConfigError

                raise ConfigError(f"cannot write --secrets-file {self.file.path}: "
                                  f"{exc.strerror or exc}; nothing was written") from None
        elif has_secrets:
            self.delivering = True
            with stdout_written_in_full():  # a closed stdout fails here: not committed
                render()
            self.on_stdout = True
        self.done = True

    def failed(self, exc: BaseException) -> None:
        """The service raised: nothing was committed, or (the commit itself failed) the
        outcome is unknown and the sealed secrets file is kept. A closed stdout (or stderr)
        ends the run with exit 130 and says why."""
        commit_started = self.batch.committing if self.batch is not None else self.done
        if self.file is not None:
            if self.file.sealed and commit_started:
                _quietly_say(self.file.keep())
            else:
                self.file.discard()
        if isinstance(exc, BrokenPipeError) and not commit_started:
            closed_output(self.delivering)

    def committed(self) -> bool:
        """After the commit: the secrets file goes into place. False when it could not be
        put at the path asked for (a warning then says where the secrets are)."""
        if self.file is not None:
            problem = self.file.publish()
            if problem:
                _quietly_say(problem)
                return False
        return True


def run_delivering(path: str | None, run, records, render, stored: str):
    """Run a change whose generated secrets are delivered before it commits: into the new
    0600 file `path` (sealed before the commit, put in place after it; `stored` is said
    then), or on stdout, written by render(result) before the commit, so a closed stdout
    writes nothing (exit 130). run(before_commit) -> result; records(result): the records of
    the generated secrets ({"number", "generated": {...}} each, as write_secrets takes)."""
    from acctctl.cli.console import say

    pending = PendingSecretsFile(path) if path is not None else None  # exit 2: it exists
    delivery = Delivery(pending)

    def before_commit(result) -> None:
        found = records(result)
        delivery.before_commit(found, bool(found), lambda: render(result))

    try:
        try:
            result = run(before_commit)
        except BaseException as exc:
            delivery.failed(exc)
            raise
        wrote = pending is not None and pending.tell() > 0
        if delivery.committed() and wrote:
            say(stored, "green")
        if not delivery.on_stdout:
            render(result)
    finally:
        if pending is not None:
            pending.discard()  # a no-op once it is in place
    return result


def closed_output(delivering_secrets: bool):
    """A reader closed stdout (or stderr) before the commit: nothing was written; exit 130."""
    import typer

    from acctctl.cli.app import _silence_stdout
    from acctctl.errors import EXIT_INTERRUPTED

    _silence_stdout()
    if delivering_secrets:
        _quietly_say("error: stdout was closed before every generated secret was written to "
                     "it, so nothing was written: no account is created whose secret was never "
                     "shown; use --secrets-file PATH to keep the secrets in a file", "red")
    else:
        _quietly_say("error: the output was closed before the change was committed: nothing "
                     "was written", "red")
    raise typer.Exit(EXIT_INTERRUPTED) from None


def _quietly_say(message: str, style: str = "yellow") -> None:
    """A message on stderr, which may itself be a closed pipe."""
    from acctctl.cli.console import say

    try:
        say(message, style)
    except (OSError, ValueError):
        pass
