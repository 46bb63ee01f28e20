"""After the commit the sealed secrets file is put in place; when that fails, the accounts
exist already, so the error is a warning naming where the secrets are, never an exception
(an exit 1 after the write) and never a claim that they are at the path asked for."""

from __future__ import annotations

import errno
import os

from acctctl.cli import secrets_file
from acctctl.cli.secrets_file import Delivery, PendingSecretsFile


def _no_links(*_args, **_kwargs):
    raise OSError(errno.EPERM, "Operation not permitted")


def _pending(tmp_path) -> PendingSecretsFile:
    pending = PendingSecretsFile(str(tmp_path / "s.csv"))
    pending.write("number,password,sip_password\r\n4100000001,Secret-Pass1,sip\r\n")
    pending.seal()
    return pending


def test_a_file_system_without_links_or_renames_keeps_the_secrets_and_says_where(
        tmp_path, monkeypatch, capsys):
    pending = _pending(tmp_path)
    monkeypatch.setattr(secrets_file.os, "link", _no_links)
    monkeypatch.setattr(secrets_file.os, "rename", _no_links)
    assert Delivery(pending).committed() is False
    err = capsys.readouterr().err
    assert pending.temp in err.replace("\n  ", "")
    assert not (tmp_path / "s.csv").exists()
    with open(pending.temp, encoding="utf-8") as kept:
        assert "Secret-Pass1" in kept.read()
    assert os.stat(pending.temp).st_mode & 0o077 == 0


def test_without_links_the_file_is_renamed_into_place(tmp_path, monkeypatch):
    pending = _pending(tmp_path)
    monkeypatch.setattr(secrets_file.os, "link", _no_links)
    assert Delivery(pending).committed() is True
    assert "Secret-Pass1" in (tmp_path / "s.csv").read_text(encoding="utf-8")
    assert not os.path.exists(pending.temp)

