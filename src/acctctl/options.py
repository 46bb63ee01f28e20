"""Typed options of the operations, shared by the CLI and the library (contract §12).

As `gh` gives every command an Options struct: one dataclass per operation holds how it runs,
and its check() is the one place the rules between options live (exit 2, UsageError). The CLI
fills them from its flags (cli/create.py, cli/day_two.py, cli/options.py), a Python caller
builds them directly (acctctl.Client). The messages name the CLI flags, which is what the
docs of both call them.

Cheap to import: no Typer, no models, no database (`import acctctl` stays light).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from acctctl.errors import UsageError

KINDS = ("customer", "provider", "reseller", "admin", "subadmin")
STATUSES = ("active", "inactive")
FILE_FORMATS = ("csv", "json", "jsonl")


@dataclass
class CreateOptions:
    """How a create runs (contract §3): the mode flags that are not about input or output.

    dry_run: every check, the database ones included; nothing written.
    if_exists: "fail" (exit 4) or "skip" when the number (else the email) exists.
    continue_on_error: write the good rows, report the bad ones (acctctl.Partial, exit 6).
    prefix / length: how numbers are generated (default numbers.prefix / numbers.length).
    """

    dry_run: bool = False
    if_exists: str = "fail"
    continue_on_error: bool = False
    prefix: str | None = None
    length: int | None = None

    def check(self) -> None:
        if self.if_exists not in ("fail", "skip"):
            raise UsageError(f"--if-exists must be fail or skip, got {self.if_exists!r}")
        if self.length is not None and self.length < 1:
            raise UsageError("--length must be at least 1")
        if self.prefix is not None:
            if not (self.prefix.isascii() and self.prefix.isdigit()):
                raise UsageError("--prefix must be digits")
            if self.prefix.startswith("0"):
                raise UsageError("--prefix must not start with 0: generated numbers never do")
        if self.length is not None and self.length > 18:
            raise UsageError("--length must be at most 18")


def check_count(kind: str, count: int, template: dict) -> None:
    """`--count N` (Client.create_count): N accounts from one template of fields."""
    if count < 1:
        raise UsageError("--count must be at least 1")
    from acctctl.models.inputs import KINDS as MODELS

    if MODELS[kind].model_fields["email"].is_required():
        raise UsageError(f"--count cannot create {kind}s: each needs its own email "
                         "(required); list them in a file for --from-file")
    shared = [k for k in ("number", "email", "pin") if k in template]
    if shared:
        raise UsageError("--count creates many accounts, so they cannot share "
                         + ", ".join("--" + k for k in shared))


def check_exclusive(given: dict) -> None:
    """Fields that exclude each other (expiry / valid_days): giving both is a usage error."""
    from acctctl.models.inputs import EXCLUSIVE

    for first, second in EXCLUSIVE:
        if first in given and second in given:
            raise UsageError(f"--{first.replace('_', '-')} and --{second.replace('_', '-')} "
                             "cannot be combined; give one of them")


def check_file_format(fmt: str | None, kind: str | None = None) -> None:
    """kind: what `create KIND` makes; ASTPP's customer import file (--format astpp) is read
    only by `create customer`."""
    if fmt not in (None, *FILE_FORMATS, "astpp"):
        raise UsageError(f"--format must be csv, json, jsonl or astpp, got {fmt!r}")
    if fmt == "astpp" and kind != "customer":
        raise UsageError("--format astpp is ASTPP's customer import file: only "
                         "`create customer` reads it")


#: The text filters, as the flags are named in messages.
_TEXT_FLAGS = (("reseller", "--reseller"), ("search", "--search"), ("batch", "--batch"),
               ("created_after", "--created-after"))


@dataclass
class ListOptions:
    """The filters of `account list` and `account export` (contract §7), declared once:
    the CLI's flags are made from these fields (cli/options.py list_filter_parameters).

    kind, reseller (its number), status, search (case-insensitive text in number, names,
    company or email), batch (a batch id), created_after (ISO 8601 date or date-time, UTC,
    inclusive; or a datetime), include_deleted, sort (a field key, `-KEY` descending), limit
    (None or 0: all), offset.
    """

    kind: str | None = None
    reseller: str | None = None
    status: str | None = None
    search: str | None = None
    batch: str | None = None
    created_after: str | datetime | None = None
    include_deleted: bool = False
    sort: str = "number"
    limit: int | None = None
    offset: int = 0

    def check(self) -> dict:
        """The filters checked (exit 2 naming the flag), as keyword arguments of the
        service: kind, reseller, status, search, batch_id, include_deleted, sort,
        created_after (a datetime)."""
        if self.kind is not None and self.kind not in KINDS:
            raise UsageError(f"--kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        if self.status is not None and self.status not in STATUSES:
            raise UsageError(f"--status must be active or inactive, got {self.status!r}")
        check_sort(self.sort)
        for name, flag in _TEXT_FLAGS:
            if isinstance(getattr(self, name), str):
                filter_text(getattr(self, name), flag)
        for name, value in (("--limit", self.limit), ("--offset", self.offset)):
            if value is not None and not 0 <= value <= 2**31 - 1:
                raise UsageError(f"{name} must be between 0 and {2**31 - 1}, got {value}")
        created_after = self.created_after
        if isinstance(created_after, str):
            created_after = parse_since(created_after, "--created-after")
        return {"kind": self.kind, "reseller": self.reseller, "status": self.status,
                "search": self.search, "batch_id": self.batch,
                "include_deleted": self.include_deleted, "sort": self.sort,
                "created_after": created_after}

    def where(self):
        """The checked filters as the storage's AccountFilter (sort and paging apart)."""
        from acctctl.storage import AccountFilter

        return AccountFilter(**{k: v for k, v in self.check().items() if k != "sort"})


def filter_text(value: str | None, flag: str) -> str | None:
    """A filter's text: at most the value limit of docs/input-rules.md (10,000 characters),
    so every backend answers it alike; exit 2 naming the flag otherwise."""
    from acctctl.service.rows import MAX_CELL

    if value is not None and len(value) > MAX_CELL:
        raise UsageError(f"{flag} is {len(value):,} characters long: a value is at most "
                         f"{MAX_CELL:,} characters")
    return value


def check_sort(sort: str) -> None:
    from acctctl.service.records import SORT_KEYS

    if sort.lstrip("-") not in SORT_KEYS:
        raise UsageError(f"--sort must be a field key ({', '.join(SORT_KEYS)}), "
                         f"optionally with a leading -, got {sort!r}")


def parse_since(value: str | None, flag: str):
    """An ISO 8601 date (midnight UTC) or date-time (no offset = UTC); exit 2 otherwise.
    The date rule of --expiry (models/rules.py parse_moment), with the flag named."""
    from acctctl.models.rules import parse_moment

    if value is None:
        return None
    try:
        return parse_moment(value)
    except ValueError as exc:
        raise UsageError(f"{flag} {exc}") from None
