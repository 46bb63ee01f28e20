"""Generated values (CSPRNG only) and password hashing (argon2id only)."""

from __future__ import annotations

import math
import os
import secrets
import string
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache

# No look-alikes (i l o I L O 0 1), so a password read out over the phone survives; no quote,
# backslash, comma or space, so it survives CSV and shells too. 70 characters in all.
_LOWER = "abcdefghjkmnpqrstuvwxyz"
_UPPER = "ABCDEFGHJKMNPQRSTUVWXYZ"
_DIGITS = "23456789"
_SYMBOLS = "!@#$%^&*()-+=?[]"
_POOLS = (_LOWER, _UPPER, _DIGITS, _SYMBOLS)
_ALPHABET = "".join(_POOLS)

#: A generated secret with at least this much entropy cannot be guessed offline whatever the
#: hash cost (docs/security.md), so it may be hashed with the light profile.
LIGHT_PROFILE_MIN_BITS = 96


def generate_account_number(length: int, prefix: str = "") -> str:
    """`length` digits starting with `prefix`; never a leading 0."""
    free = length - len(prefix)
    if free < 1:
        raise ValueError(f"prefix {prefix!r} leaves no digits free in a {length}-digit number")
    head = prefix or secrets.choice("123456789")
    return head + _digits(length - len(head))


def _digits(count: int) -> str:
    """`count` uniform random digits: one CSPRNG draw, not one per digit."""
    return str(secrets.randbelow(10**count)).zfill(count) if count > 0 else ""


def number_capacity(length: int, prefix: str = "") -> int:
    """How many distinct numbers generate_account_number can produce."""
    free = length - len(prefix)
    if free < 0:
        return 0
    return 10**free if prefix else 9 * 10 ** (free - 1)


def generate_pin(length: int) -> str:
    return _digits(length)


def generate_password(length: int) -> str:
    """Uniform over every string of `length` (at least 8) characters of the alphabet that holds
    a lower and an upper case letter, a digit and a symbol, so it always passes the policy:
    drawn whole, and drawn again when a kind is missing (1 in 6 draws at 16 characters)."""
    length = max(length, 8)
    while True:
        password = "".join(secrets.choice(_ALPHABET) for _ in range(length))
        if all(any(c in pool for c in password) for pool in _POOLS):
            return password


def generated_password_bits(length: int) -> float:
    """Entropy of generate_password(length): log2 of how many passwords it can draw, each
    equally likely (inclusion-exclusion over the kinds of character a draw may lack)."""
    length = max(length, 8)
    count = 0
    for missing in range(1 << len(_POOLS)):
        lacking = [pool for i, pool in enumerate(_POOLS) if missing >> i & 1]
        sign = -1 if len(lacking) % 2 else 1
        count += sign * (len(_ALPHABET) - sum(map(len, lacking))) ** length
    return math.log2(count)


#: [passwords] sip_secret_length's default: 24 URL-safe characters, 144 bits
SIP_SECRET_LENGTH = 24
_SIP_ALPHABET = string.ascii_letters + string.digits + "-_"  # token_urlsafe's: 6 bits each


def generate_sip_secret(length: int = SIP_SECRET_LENGTH) -> str:
    """A SIP device's secret: `length` URL-safe characters (6 bits each), which every SIP
    phone, proxy and config file takes as they are."""
    return "".join(secrets.choice(_SIP_ALPHABET) for _ in range(length))


def sip_secret_length(settings) -> int:
    """[passwords] sip_secret_length of these settings (None: the default)."""
    return settings.passwords.sip_secret_length if settings is not None else SIP_SECRET_LENGTH


# --- hashing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class HashProfile:
    """An argon2id cost: `strong` for passwords a person chose, `light` for generated ones."""

    name: str
    time_cost: int
    memory_kib: int
    parallelism: int

    def describe(self) -> str:
        memory = (f"{self.memory_kib // 1024} MiB" if self.memory_kib % 1024 == 0
                  else f"{self.memory_kib} KiB")
        return f"{self.name} argon2id profile (t={self.time_cost}, {memory}, p={self.parallelism})"

    def hash_all(self, passwords: list[str]) -> list[str]:
        """Each password as an argon2id hash of this profile, on every core (a storage that
        hashes takes the profile the service chose, and needs nothing else of this module)."""
        return hash_passwords(passwords, self)


def strong_profile(settings) -> HashProfile:
    p = settings.passwords
    return HashProfile("strong", p.hash_time_cost, p.hash_memory_kib, p.hash_parallelism)


def generated_profile(settings) -> HashProfile:
    """The light profile, unless the operator asked for the strong one
    (passwords.strong_hash_for_generated) or generated passwords are too short to carry
    LIGHT_PROFILE_MIN_BITS of entropy."""
    p = settings.passwords
    if (p.strong_hash_for_generated
            or generated_password_bits(p.generated_length) < LIGHT_PROFILE_MIN_BITS):
        return strong_profile(settings)
    return HashProfile("light", p.generated_hash_time_cost, p.generated_hash_memory_kib,
                       p.generated_hash_parallelism)


@lru_cache(maxsize=4)
def _hasher(profile: HashProfile):
    from argon2 import PasswordHasher, Type

    return PasswordHasher(time_cost=profile.time_cost, memory_cost=profile.memory_kib,
                          parallelism=profile.parallelism, type=Type.ID)


def hash_password(password: str, profile: HashProfile) -> str:
    return _hasher(profile).hash(password)


def verify_password(stored: str, password: str) -> bool:
    """Whether `password` is the one `stored` (an argon2id or bcrypt PHC string) was made
    from; False for anything else (a stored value of another scheme cannot be told)."""
    if stored.startswith("$argon2"):
        from argon2 import PasswordHasher
        from argon2.exceptions import Argon2Error, InvalidHashError

        try:
            return PasswordHasher().verify(stored, password)
        except (Argon2Error, InvalidHashError):
            return False
    if stored.startswith(("$2a$", "$2b$", "$2y$")):
        import bcrypt

        try:
            return bcrypt.checkpw(password.encode("utf-8"), stored.encode("ascii"))
        except ValueError:
            return False
    return False


def hash_workers() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def hash_passwords(passwords: list[str], profile: HashProfile) -> list[str]:
    """Hash many at once on every core. Threads, not processes: argon2-cffi releases the GIL
    while it hashes (measured: 2 threads reach 2x one core's rate at the strong profile;
    a process pool reached 88 %, paying for its start-up and pickling)."""
    if len(passwords) < 2:
        return [hash_password(p, profile) for p in passwords]
    hasher = _hasher(profile)
    with ThreadPoolExecutor(max_workers=min(len(passwords), hash_workers())) as pool:
        return list(pool.map(hasher.hash, passwords))


def estimate_hash_seconds(count: int, profile: HashProfile) -> float:
    """Wall time to hash `count` passwords on every core, from one timed hash."""
    started = time.perf_counter()
    hash_password("estimate-Only-1", profile)
    one = time.perf_counter() - started
    return one * count / min(max(count, 1), hash_workers())
