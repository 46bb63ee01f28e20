"""The native look-ups live with the native storage (acctctl.storage.lookups); kept here
under their old name for callers that patch or import them from the service."""

from acctctl.storage.lookups import Lookups, owner_label

__all__ = ["Lookups", "owner_label"]
