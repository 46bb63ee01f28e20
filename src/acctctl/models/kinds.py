"""The account kinds and the role each defaults to: plain data, importable by a read or a
look-up without building the input models (models/inputs.py, whose KINDS maps each kind to
its model, uses these)."""

from __future__ import annotations

ACCOUNT_KINDS = ("customer", "provider", "reseller", "admin", "subadmin")
#: The scope of the roles a kind may have, and the seeded role it gets when none is given.
ROLE_SCOPE = {"reseller": "reseller", "admin": "admin", "subadmin": "admin"}
DEFAULT_ROLE = {"reseller": "reseller", "admin": "admin", "subadmin": "subadmin"}
