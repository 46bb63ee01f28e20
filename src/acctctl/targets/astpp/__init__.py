"""The astpp target: provision straight into an existing ASTPP 6.0.x database (contract §8).

- ``columns``: what acctctl writes, per kind and column (reads like the reference's tables)
- ``encoding``: ASTPP's reversible password encoding
- ``target``: connection, fingerprint, system settings, look-ups, rules and the write
- ``catalog``: reading ASTPP's accounts and lists (``account list|show``, the wizard)
"""
