"""--secrets-file: a new 0600 file that appears only once its batch has committed.

Secrets are written to a temporary file beside the target and linked into place at the end,
so a run that is killed, fails or writes nothing leaves no (empty) file that would make the
same command refuse to run again. The target is never overwritten: it is created by link(),
which fails when the name exists.
"""

from __future__ import annotations

import os
import secrets

from acctctl.errors import UsageError


class PendingSecretsFile:
    def __init__(self, path: str):
        self.path = path
        if os.path.lexists(path):
            raise UsageError(f"--secrets-file {path} exists; it is never overwritten")
        folder, name = os.path.split(os.path.abspath(path))
        self.temp = os.path.join(folder, f".{name}.{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(self.temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as exc:
            raise UsageError(f"cannot create --secrets-file {path}: {exc.strerror}") from None
        self.handle = os.fdopen(fd, "w", encoding="utf-8", newline="")

    # the file-like surface the writers use
    def write(self, text: str) -> int:
        return self.handle.write(text)

    def tell(self) -> int:
        return self.handle.tell()

    def flush(self) -> None:
        self.handle.flush()

    def finish(self) -> str | None:
        """Put the file in place if anything was written to it, else remove it. Returns a
        warning when the secrets could not be put at the path asked for."""
        written = self.handle.tell() > 0
        if written:
            self.handle.flush()
            os.fsync(self.handle.fileno())
        self.handle.close()
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
            os.rename(self.temp, self.path)
            return None
        os.unlink(self.temp)
        return None
