"""Storage targets other than acctctl's own schema: one package each, with a Storage subclass
(acctctl.storage) named by one line of acctctl.storage.REGISTRY. ``astpp``: an existing ASTPP
6.0.x database (contract §8)."""
