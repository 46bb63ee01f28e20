"""The digest credentials written to a registrar, pinned (contract §11)."""

from __future__ import annotations

import hashlib

from acctctl.registrars import hashes


def test_ha1_is_rfc_2617s_worked_example():
    # RFC 2617 §3.5: Mufasa / testrealm@host.com / "Circle Of Life"
    assert hashes.ha1("Mufasa", "testrealm@host.com", "Circle Of Life") == \
        "939e7578ed9e3c518a452acee763bce9"


def test_pinned_vectors_of_every_column():
    user, domain, secret = "1000", "sip.test", "s3cret"
    assert hashes.ha1(user, domain, secret) == "8e27afeb825861bfb651df970910b48a"
    # username@domain as the user part, the realm unchanged
    assert hashes.ha1b(user, domain, domain, secret) == "02b23f7a71e900bc095c4467aa6ff687"
    assert hashes.ha1_sha256(user, domain, secret) == \
        "8904b3bd3e7083044b8102da1317e4659a6660090a7c77905512554c6d6eb4b3"
    assert hashes.ha1_sha512t256(user, domain, secret) == \
        "861fcbf4949f50f39c8aaf8104eaa17fb6de8637ec6d92b6790b74d64361126d"


def test_sha512_256_is_the_fips_algorithm_not_a_truncated_sha512():
    # FIPS 180-4 example "abc" for SHA-512/256
    assert hashlib.new("sha512_256", b"abc").hexdigest() == \
        "53048e2681941ef99b2e29b76b4c7dabe4c2d0c634fc6d46e0e2f13107e7af23"
    assert hashes.ha1_sha512t256("a", "b", "c") == hashlib.new("sha512_256", b"a:b:c").hexdigest()
    assert hashes.ha1_sha512t256("a", "b", "c") != hashlib.sha512(b"a:b:c").hexdigest()[:64]


def test_the_realm_is_part_of_every_hash():
    assert hashes.ha1("u", "one.test", "s") != hashes.ha1("u", "two.test", "s")
    assert hashes.ha1b("u", "d", "one.test", "s") != hashes.ha1b("u", "d", "two.test", "s")
