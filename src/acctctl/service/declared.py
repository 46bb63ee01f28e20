"""TEMPORARY stand-in for the i19-file loader (JSON only); replaced by branch i19-file."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

from acctctl.errors import FieldError, UsageError, ValidationFailed

CATALOG = {"rate_groups": "rate_group", "taxes": "tax", "roles": "role"}
ACCOUNTS = {"resellers": "reseller", "customers": "customer", "providers": "provider",
            "admins": "admin", "subadmins": "subadmin"}


@dataclass
class DeclaredObject:
    kind: str
    key: str
    path: str
    fields: dict
    owner: str | None = None


@dataclass
class Declared:
    set_name: str
    source: str
    objects: list[DeclaredObject] = field(default_factory=list)


def read_declared(path: str) -> Declared:
    from acctctl.bounded import CONFIG_MAX, read_text

    text = read_text(path, what=f"-f {path}", limit=CONFIG_MAX * 16, error=UsageError)
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("set"), str):
        raise ValidationFailed([FieldError("set", "is required (the set's name)")])
    base = os.path.dirname(os.path.abspath(path))
    catalog: list[DeclaredObject] = []
    resellers: list[DeclaredObject] = []
    rest: list[DeclaredObject] = []

    def account(kind: str, p: str, item: dict, reseller: str | None) -> DeclaredObject:
        fields = dict(item)
        if reseller is not None:
            fields["reseller"] = reseller
        if "password_file" in fields:
            fields["password_file"] = os.path.join(base, fields["password_file"])
        return DeclaredObject(kind, str(fields.get("number", "")), p, fields)

    def entry(kind: str, p: str, item: dict, owner: str | None) -> DeclaredObject:
        name = str(item.get("name", ""))
        return DeclaredObject(kind, f"{name}@{owner}" if owner else name, p, dict(item),
                              owner)

    for section, kind in CATALOG.items():
        for i, item in enumerate(data.get(section) or []):
            catalog.append(entry(kind, f"{section}[{i}]", item, None))
    for section, kind in ACCOUNTS.items():
        for i, item in enumerate(data.get(section) or []):
            item = dict(item)
            p = f"{section}[{i}]"
            if kind == "reseller":
                number = str(item.get("number", ""))
                for sub, sub_kind in CATALOG.items():
                    if sub == "taxes" and item.get("taxes") and not isinstance(
                            item["taxes"][0], dict):
                        continue
                    for j, entry_item in enumerate(item.pop(sub, None) or []):
                        catalog.append(entry(sub_kind, f"{p}.{sub}[{j}]", entry_item, number))
                for sub, sub_kind in ACCOUNTS.items():
                    for j, sub_item in enumerate(item.pop(sub, None) or []):
                        rest.append(account(sub_kind, f"{p}.{sub}[{j}]", sub_item, number))
                resellers.append(account(kind, p, item, None))
            else:
                rest.append(account(kind, p, item, None))
    return Declared(data["set"], path, catalog + resellers + rest)
