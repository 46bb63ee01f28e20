"""Generated values (CSPRNG only) and password hashing (argon2id only)."""

from __future__ import annotations

import os
import secrets
import string
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

# No look-alikes (i l o I L O 0 1), so a password read out over the phone survives.
_LOWER = "abcdefghjkmnpqrstuvwxyz"
_UPPER = "ABCDEFGHJKMNPQRSTUVWXYZ"
_DIGITS = "23456789"
_SYMBOLS = "!@#$^*()"


def generate_account_number(length: int, prefix: str = "") -> str:
    """`length` digits starting with `prefix`; never a leading 0."""
    free = length - len(prefix)
    if free < 1:
        raise ValueError(f"prefix {prefix!r} leaves no digits free in a {length}-digit number")
    head = prefix or secrets.choice("123456789")
    rest = length - len(head)
    return head + "".join(secrets.choice(string.digits) for _ in range(rest))


def number_capacity(length: int, prefix: str = "") -> int:
    """How many distinct numbers generate_account_number can produce."""
    free = length - len(prefix)
    if free < 0:
        return 0
    return 10**free if prefix else 9 * 10 ** (free - 1)


def generate_pin(length: int) -> str:
    return "".join(secrets.choice(string.digits) for _ in range(length))


def generate_password(length: int) -> str:
    """Always passes the policy: a lower, an upper, a digit and a symbol, shuffled."""
    pools = (_LOWER, _UPPER, _DIGITS, _SYMBOLS)
    chars = [secrets.choice(pool) for pool in pools]
    alphabet = "".join(pools)
    chars += [secrets.choice(alphabet) for _ in range(max(length, 8) - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


def generate_sip_secret() -> str:
    return secrets.token_urlsafe(18)


@lru_cache(maxsize=4)
def _hasher(time_cost: int, memory_kib: int, parallelism: int):
    from argon2 import PasswordHasher, Type

    return PasswordHasher(
        time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID
    )


def hash_password(password: str, settings) -> str:
    p = settings.passwords
    return _hasher(p.hash_time_cost, p.hash_memory_kib, p.hash_parallelism).hash(password)


def hash_passwords(passwords: list[str], settings) -> list[str]:
    """Hash many at once on every core (argon2 releases the GIL while it works)."""
    if len(passwords) < 2:
        return [hash_password(p, settings) for p in passwords]
    workers = min(len(passwords), os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda p: hash_password(p, settings), passwords))
