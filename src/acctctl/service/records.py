"""The account as users see it (contract field keys): the shape lives with the storage that
builds it (acctctl.storage.records); the service and the CLI take these public names here."""

from acctctl.storage.records import SORT_KEYS, account_record, output_keys

__all__ = ["SORT_KEYS", "account_record", "output_keys"]
