"""A new SQLite database is the owner's alone: it holds password hashes and the SIP secrets
the switch needs in clear, so a file readable by every local user would leak them."""

from __future__ import annotations

import os
import stat

import pytest

from conftest import TEST_CONFIG, Cli


@pytest.fixture
def loose_umask():
    old = os.umask(0o022)  # the usual default: new files 0644, new directories 0755
    yield
    os.umask(old)


def _cli(tmp_path, url: str) -> Cli:
    config = tmp_path / "acctctl.toml"
    config.write_text(TEST_CONFIG)
    config.chmod(0o600)
    return Cli({"ACCTCTL_DATABASE_URL": url, "ACCTCTL_CONFIG": str(config), "NO_COLOR": "1"})


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_new_database_file_and_its_directory_are_private(tmp_path, loose_umask):
    db = tmp_path / "new" / "dir" / "accounts.db"
    cli = _cli(tmp_path, f"sqlite:///{db}")
    result = cli("create", "customer", "--first-name", "Ann", "--email", "ann@example.com",
                 "--no-input", "-o", "json")
    assert result.exit_code == 0, result.stderr
    assert _mode(db) == 0o600
    assert _mode(db.parent) == 0o700
    # what SQLite writes beside it (journal) is no looser than the file
    for sibling in db.parent.iterdir():
        assert _mode(sibling) & 0o077 == 0, sibling


def test_an_existing_database_file_keeps_the_mode_its_owner_chose(tmp_path, loose_umask):
    db = tmp_path / "shared.db"
    cli = _cli(tmp_path, f"sqlite:///{db}")
    assert cli("account", "list").exit_code == 0
    db.chmod(0o640)  # e.g. a group of operators who may read it
    assert cli("account", "list").exit_code == 0
    assert _mode(db) == 0o640


def test_a_dry_run_creates_no_file(tmp_path, loose_umask):
    db = tmp_path / "never.db"
    cli = _cli(tmp_path, f"sqlite:///{db}")
    result = cli("create", "customer", "--first-name", "Ann", "--email", "ann@example.com",
                 "--no-input", "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert not db.exists()
