"""Portal password hashing and bulk progress.

Passwords a person chose get the strong argon2id profile; passwords acctctl generated (>= 96
bits from a CSPRNG) get the light one, unless passwords.strong_hash_for_generated. Either way
a stock argon2 verifier accepts the stored hash. A dry run hashes nothing. Progress follows
rows written inside the transaction, not rows read or validated.
"""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher, Type, extract_parameters

from acctctl.config import Settings
from acctctl.errors import ConfigError
from acctctl.models.tables import Account
from acctctl.service import secrets_
from acctctl.service.accounts import BatchOptions, create_accounts
from acctctl.storage.native import NativeStorage

# Cheap, and told apart by their parameters.
STRONG = {"hash_time_cost": 2, "hash_memory_kib": 2048, "hash_parallelism": 2}
LIGHT = {"generated_hash_time_cost": 1, "generated_hash_memory_kib": 64,
         "generated_hash_parallelism": 1}


def settings(**passwords) -> Settings:
    return Settings(passwords={**STRONG, **LIGHT, **passwords})


def create(engine, config: Settings, rows: list[dict], **options) -> list[dict]:
    result = create_accounts(engine, config, "customer", list(enumerate(rows, start=1)),
                             BatchOptions(**options))
    try:
        assert not result.errors, result.errors
        return list(result.created())
    finally:
        result.close()


def stored_hash(engine, number: str) -> str:
    A = Account.__table__
    with engine.connect() as conn:
        return conn.execute(sa.select(A.c.password_hash).where(A.c.number == number)).scalar_one()


def params(hashed: str) -> tuple[int, int, int]:
    found = extract_parameters(hashed)
    assert found.type is Type.ID
    return found.time_cost, found.memory_cost, found.parallelism


# --- profiles -------------------------------------------------------------------------------


def test_generated_password_gets_the_light_profile_and_verifies(engine):
    [record] = create(engine, settings(), [{"first_name": "Gen"}])
    password = record["generated"]["password"]
    hashed = stored_hash(engine, record["number"])
    assert PasswordHasher().verify(hashed, password)  # a stock verifier, default parameters
    assert params(hashed) == (1, 64, 1)


def test_chosen_password_gets_the_strong_profile(engine):
    [record] = create(engine, settings(), [{"first_name": "Cho", "password": "Chosen-pw-42"}])
    hashed = stored_hash(engine, record["number"])
    assert PasswordHasher().verify(hashed, "Chosen-pw-42")
    assert params(hashed) == (2, 2048, 2)
    assert "password" not in record.get("generated", {})


def test_strong_for_generated_setting(engine):
    [record] = create(engine, settings(strong_hash_for_generated=True), [{"first_name": "S"}])
    hashed = stored_hash(engine, record["number"])
    assert PasswordHasher().verify(hashed, record["generated"]["password"])
    assert params(hashed) == (2, 2048, 2)


def test_short_generated_passwords_fall_back_to_the_strong_profile(engine):
    # 12 generated characters carry 73 bits: too few for the light profile
    config = settings(min_length=8, generated_length=12)
    [record] = create(engine, config, [{"first_name": "Short"}])
    assert params(stored_hash(engine, record["number"])) == (2, 2048, 2)


def test_default_generated_password_carries_at_least_96_bits():
    length = Settings().passwords.generated_length
    assert secrets_.generated_password_bits(length) >= secrets_.LIGHT_PROFILE_MIN_BITS
    assert secrets_.generated_profile(Settings()).name == "light"
    alphabet = set(secrets_._ALPHABET)
    assert len(alphabet) == 70 and set(secrets_.generate_password(length)) <= alphabet


# --- a dry run hashes nothing; nothing is hashed twice ---------------------------------------


@pytest.fixture
def hash_calls(monkeypatch):
    calls = []
    real = PasswordHasher.hash

    def counting(self, password, *args, **kwargs):
        calls.append(password)
        return real(self, password, *args, **kwargs)

    monkeypatch.setattr(PasswordHasher, "hash", counting)
    return calls


ROWS = [{"first_name": "A"}, {"first_name": "B", "password": "Chosen-pw-42"},
        {"first_name": "C", "password_hash": PasswordHasher(memory_cost=64).hash("Given-pw-1")}]


def test_dry_run_calls_no_hasher(engine, hash_calls):
    records = create(engine, settings(), ROWS, dry_run=True)
    assert len(records) == 3
    assert hash_calls == []


def test_each_password_is_hashed_once(engine, hash_calls):
    create(engine, settings(), ROWS)
    assert len(hash_calls) == 2 and len(set(hash_calls)) == 2  # generated + chosen, once each


# --- progress -------------------------------------------------------------------------------


def test_progress_is_driven_by_written_rows(engine, monkeypatch):
    written = {"rows": 0}
    real_insert = NativeStorage.insert

    def insert(self, conn, batch, pending):
        ids = real_insert(self, conn, batch, pending)
        written["rows"] += len(pending)
        return ids

    monkeypatch.setattr(NativeStorage, "insert", insert)
    events = []

    def progress(phase, done):
        assert done <= written["rows"]  # never ahead of what is written
        events.append((phase, done))

    rows = [(i, {"first_name": f"P{i}"}) for i in range(1, 26)]
    result = create_accounts(engine, settings(), "customer", rows,
                             BatchOptions(chunk_size=10), progress=progress)
    result.close()
    assert result.created_count == 25
    # chunk by chunk as they are written, not row by row as they are read and validated
    assert sorted({done for _, done in events}) == [0, 10, 20, 25]
    phases = [phase for phase, _ in events]
    assert {"validating", "hashing", "writing"} <= set(phases)
    assert phases[-1] == "committing" and events[-1][1] == 25


def test_failed_and_skipped_rows_count_as_done(engine):
    create(engine, settings(), [{"first_name": "X", "number": "5550001"}])
    events = []
    rows = [(1, {"first_name": "X", "number": "5550001"}),  # exists: skipped
            (2, {"first_name": "Y", "country": "Nowhere"}),  # fails its rule
            (3, {"first_name": "Z"})]
    result = create_accounts(engine, settings(), "customer", rows,
                             BatchOptions(if_exists="skip", continue_on_error=True),
                             progress=lambda phase, done: events.append(done))
    result.close()
    assert result.created_count == 1 and len(result.skipped) == 1
    assert max(events) == 3


def test_progress_bar_renders_phase_and_written_count():
    from rich.console import Console

    from acctctl.cli.create_run import _progress

    screen = io.StringIO()
    terminal = Console(file=screen, force_terminal=True, width=100)
    with _progress(25, console=terminal) as advance:
        advance("hashing", 0)
        advance("writing", 10)
    shown = screen.getvalue()
    assert "hashing" in shown and "writing" in shown and "10/25" in shown


def test_a_file_is_counted_up_front_for_the_eta(cli, tmp_path, monkeypatch):
    from acctctl.cli import create_run

    totals = []
    real_init = create_run._progress.__init__

    def init(self, total, console=None):
        totals.append(total)
        real_init(self, total, console)

    monkeypatch.setattr(create_run._progress, "__init__", init)
    path = tmp_path / "rows.csv"
    path.write_text("first_name\n" + "".join(f"N{i}\n" for i in range(7)))
    result = cli("create", "customer", "--from-file", str(path), "-o", "jsonl")
    assert result.exit_code == 0, result.stderr
    assert totals == [7]


def test_long_chosen_password_hashing_is_announced(cli, tmp_path, monkeypatch):
    monkeypatch.setattr(secrets_, "estimate_hash_seconds", lambda count, profile: 125.0)
    path = tmp_path / "rows.csv"
    path.write_text("first_name,password\n" + "".join(f"N{i},Chosen-pw-{i}x\n"
                                                      for i in range(6)))
    path.chmod(0o600)
    result = cli("create", "customer", "--from-file", str(path), "-o", "jsonl")
    assert result.exit_code == 0, result.stderr
    assert "hashing 6 passwords with the strong argon2id profile" in result.stderr
    assert "about 2 min 05 s" in result.stderr
    quiet = cli("create", "customer", "--count", "6", "-o", "jsonl")  # generated: light
    assert "hashing" not in quiet.stderr


# --- configuration --------------------------------------------------------------------------


@pytest.mark.parametrize(("passwords", "message"), [
    ({"generated_hash_memory_kib": 8, "generated_hash_parallelism": 2},
     "generated_hash_parallelism: must be at most passwords.generated_hash_memory_kib / 8"),
    ({"generated_hash_memory_kib": 4},
     "passwords.generated_hash_memory_kib: Input should be greater than or equal to 8"),
    ({"generated_hash_time_cost": 0},
     "passwords.generated_hash_time_cost: Input should be greater than or equal to 1"),
    ({"strong_hash_for_generated": "yes"},
     "passwords.strong_hash_for_generated: Input should be a valid boolean"),
])
def test_hash_profile_settings_are_validated(tmp_path, passwords, message):
    from acctctl.config import load_settings

    body = "".join(f"{k} = {v!r}\n".replace("'", '"') for k, v in passwords.items())
    path = tmp_path / "c.toml"
    path.write_text("[passwords]\n" + body)
    with pytest.raises(ConfigError) as caught:
        load_settings(config_path=str(path), env={})
    assert message in str(caught.value)
