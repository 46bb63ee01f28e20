"""acctctl: provision accounts for a VoIP billing platform (the ASTPP account model).

As a library (contract §12, docs/api.md)::

    import acctctl

    with acctctl.open(url="sqlite:///accounts.db") as client:
        account = client.create("customer", first_name="Ada")
        print(account.number, account.generated.password)

`acctctl.open()` / `acctctl.Client`, the options (`CreateOptions`, `ListOptions`), the
results (`Account`, `CreateResult`, ...; the catalog's `RateGroup`, `Tax`, `Role`, ...)
and the errors named after the CLI's exit codes (`UsageError`, `InvalidData`, `Conflict`,
`ConfigurationError`, `Partial`, `NotFound`) are loaded on first use: `import acctctl`
itself loads neither Typer, Rich nor questionary, nor the database layer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"

#: public name -> the module that defines it (imported on first access, PEP 562)
_LAZY = {
    "open": "acctctl.client",
    "Client": "acctctl.client",
    "AcctctlWarning": "acctctl.client",
    "CreateOptions": "acctctl.options",
    "ListOptions": "acctctl.options",
    "Account": "acctctl.results",
    "Generated": "acctctl.results",
    "CreateResult": "acctctl.results",
    "UpdateResult": "acctctl.results",
    "Skipped": "acctctl.results",
    "Change": "acctctl.results",
    "Export": "acctctl.results",
    "Batch": "acctctl.results",
    "AuditRecord": "acctctl.results",
    "PlanResult": "acctctl.results",
    "PlannedChange": "acctctl.results",
    "Page": "acctctl.results",
    "RateGroup": "acctctl.results",
    "Tax": "acctctl.results",
    "Role": "acctctl.results",
    "DeletedEntry": "acctctl.results",
    "Country": "acctctl.results",
    "Currency": "acctctl.results",
    "Timezone": "acctctl.results",
    "Origin": "acctctl.client",
    "HashingEstimate": "acctctl.client",
    "Error": "acctctl.errors",
    "UsageError": "acctctl.errors",
    "InvalidData": "acctctl.errors",
    "NotFound": "acctctl.errors",
    "Conflict": "acctctl.errors",
    "ConfigurationError": "acctctl.errors",
    "Partial": "acctctl.errors",
    "FieldError": "acctctl.errors",
}
_RENAMED = {"Error": "AcctctlError"}

# a literal list (not derived from _LAZY): linters and type checkers read it as written
__all__ = [
    "__version__",
    "open",
    "Client",
    "AcctctlWarning",
    "Origin",
    "HashingEstimate",
    "CreateOptions",
    "ListOptions",
    "Account",
    "Generated",
    "CreateResult",
    "UpdateResult",
    "Skipped",
    "Change",
    "Export",
    "Batch",
    "AuditRecord",
    "PlanResult",
    "PlannedChange",
    "Page",
    "RateGroup",
    "Tax",
    "Role",
    "DeletedEntry",
    "Country",
    "Currency",
    "Timezone",
    "Error",
    "UsageError",
    "InvalidData",
    "NotFound",
    "Conflict",
    "ConfigurationError",
    "Partial",
    "FieldError",
]

if TYPE_CHECKING:  # what type checkers and IDEs see; at run time __getattr__ loads them
    from acctctl.client import AcctctlWarning, Client, HashingEstimate, Origin, open  # noqa: A004
    from acctctl.errors import AcctctlError as Error
    from acctctl.errors import (
        ConfigurationError,
        Conflict,
        FieldError,
        InvalidData,
        NotFound,
        Partial,
        UsageError,
    )
    from acctctl.options import CreateOptions, ListOptions
    from acctctl.results import (
        Account,
        AuditRecord,
        Batch,
        Change,
        Country,
        CreateResult,
        Currency,
        DeletedEntry,
        Export,
        Generated,
        Page,
        PlannedChange,
        PlanResult,
        RateGroup,
        Role,
        Skipped,
        Tax,
        Timezone,
        UpdateResult,
    )


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'acctctl' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), _RENAMED.get(name, name))
    globals()[name] = value  # once: the next access is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
