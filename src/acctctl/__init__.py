"""acctctl: provision accounts for a VoIP billing platform (the ASTPP account model)."""

__version__ = "0.1.0"
