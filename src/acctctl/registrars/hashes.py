"""The digest credentials a SIP proxy stores instead of the secret (contract §11).

HTTP digest (RFC 2617, RFC 8760) hashes ``username:realm:secret``; the proxy keeps that
"HA1" so it never needs the secret itself. Kamailio's and OpenSIPS's ``ha1b`` is the same
with ``username@domain`` as the user part, for phones that send the domain in their
username. Computed as `kamcli subscriber add` and `opensips-cli user add` compute them.
"""

from __future__ import annotations

import hashlib


def _hex(algorithm: str, text: str) -> str:
    return hashlib.new(algorithm, text.encode("utf-8")).hexdigest()


def ha1(username: str, realm: str, secret: str) -> str:
    """MD5(username:realm:secret): what auth_db reads from `ha1`."""
    return _hex("md5", f"{username}:{realm}:{secret}")


def ha1b(username: str, domain: str, realm: str, secret: str) -> str:
    """MD5(username@domain:realm:secret): Kamailio's (and OpenSIPS <= 3.1's) `ha1b`."""
    return _hex("md5", f"{username}@{domain}:{realm}:{secret}")


def ha1_sha256(username: str, realm: str, secret: str) -> str:
    """SHA-256(username:realm:secret): OpenSIPS 3.2+'s `ha1_sha256` (RFC 8760)."""
    return _hex("sha256", f"{username}:{realm}:{secret}")


def ha1_sha512t256(username: str, realm: str, secret: str) -> str:
    """SHA-512/256(username:realm:secret): OpenSIPS 3.2+'s `ha1_sha512t256` (RFC 8760).

    SHA-512/256 is its own algorithm (SHA-512 with other initial values, cut to 256 bits),
    not SHA-512 truncated; hashlib has it through OpenSSL as 'sha512_256'."""
    return _hex("sha512_256", f"{username}:{realm}:{secret}")
