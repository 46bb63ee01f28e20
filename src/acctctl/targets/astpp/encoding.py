"""ASTPP's reversible password encoding, reimplemented from its documented behaviour.

ASTPP 6 stores portal passwords as Blowfish-ECB ciphertext (the whole PRIVATE_KEY as the key,
PKCS#7 padding, no IV), base64 with ``+`` -> ``-``, ``/`` -> ``$`` and no ``=`` padding. Its
login compares ciphertexts, so a password acctctl writes works only when the bytes are
identical to ASTPP's own. This is encryption, not hashing: whoever has the key and a database
dump reads every password (docs/astpp.md says so to operators).
"""

from __future__ import annotations

import base64
import binascii

from Crypto.Cipher import Blowfish
from Crypto.Util.Padding import pad, unpad

#: The key ASTPP ships in its sample config; most installs never change it.
PUBLIC_DEFAULT_KEY = "8YSDaBtDHAB3EQkxPAyTz2I5DttzA9uR"

#: ASTPP's password column is varchar(100): 71 bytes of plaintext encode to 96 characters,
#: 72 bytes to 107, which ASTPP's non-strict MySQL would silently cut (undecodable).
MAX_PASSWORD_BYTES = 71


def _cipher(key: str):
    raw = key.encode("utf-8")
    if not 4 <= len(raw) <= 56:
        raise ValueError("an ASTPP PRIVATE_KEY must be 4-56 bytes long (Blowfish key sizes)")
    return Blowfish.new(raw, Blowfish.MODE_ECB)


def encode(plaintext: str, key: str) -> str:
    sealed = _cipher(key).encrypt(pad(plaintext.encode("utf-8"), Blowfish.block_size))
    text = base64.b64encode(sealed).decode("ascii")
    return text.replace("+", "-").replace("/", "$").rstrip("=")


def decode(encoded: str, key: str) -> str:
    """The plaintext, or ValueError when this key cannot have produced ``encoded``."""
    text = encoded.replace("-", "+").replace("$", "/")
    text += "=" * (-len(text) % 4)
    try:
        sealed = base64.b64decode(text, validate=True)
        return unpad(_cipher(key).decrypt(sealed), Blowfish.block_size).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise ValueError("not decodable with this key") from exc
