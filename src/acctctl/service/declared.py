"""Accounts as code (contract §10): a set's file (YAML, TOML or JSON) read into objects.

read_declared turns a file into a Declared: the set's name and its objects (catalog entries,
resellers, other accounts), each with its kind, natural key, place in the file and fields by
their §2 keys. It checks the file's shape only - keys, nesting, required keys, duplicates,
values that are not single values; the field VALUES are judged by the §2 models when the
plan is made. Every problem of the file is reported at once (ValidationFailed, exit 3:
path, key, field, message); a file that cannot be read or parsed at all is exit 2, as for
`create --from-file`.

The file is read through acctctl.bounded with a ceiling, and parsed with limits: nesting
depth, no YAML aliases (a "billion laughs" file is refused, not expanded), long texts and
integers kept for their rule to refuse, NaN and infinities refused. YAML is read with the
YAML 1.2 core scalars, not 1.1's: `NO` (Norway) stays text, `0123` (a PIN) stays text
rather than octal 83, dates stay text; as in JSON and TOML, decimals are exact (Decimal).
"""

from __future__ import annotations

import gc
import json
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from acctctl.errors import FieldError, UsageError, ValidationFailed

#: the most acctctl reads of a set's file: about 100,000 accounts
MAX_FILE = 32 << 20
#: lists and mappings inside one another; a file needs 6 (the top, resellers, a reseller,
#: its customers, a customer, its taxes)
MAX_DEPTH = 32
MAX_TEXT = 10_000  # characters in one value (as service/rows.py's MAX_CELL)
MAX_INT_DIGITS = 40  # longer integers stay text, for the field's rule to refuse
MAX_KEY_SHOWN = 40

FORMATS = {".yaml": "yaml", ".yml": "yaml", ".toml": "toml", ".json": "json"}
SET_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")

#: the top-level lists: which kind of object each holds
ACCOUNT_LISTS = {"resellers": "reseller", "customers": "customer", "providers": "provider",
                 "admins": "admin", "subadmins": "subadmin"}
CATALOG_LISTS = {"roles": "role", "rate_groups": "rate_group", "taxes": "tax"}
#: the order of Declared.objects: catalog entries (roles, rate groups, taxes), then
#: resellers, then the other accounts; within a kind the top-level list's entries, then
#: those nested under resellers, each in file order (whatever order the top-level keys
#: come in, which TOML writers choose for themselves)
RANK = {kind: i for i, kind in enumerate(
    ("role", "rate_group", "tax", "reseller", "customer", "provider", "admin", "subadmin"))}
#: what may be nested under a reseller
UNDER_RESELLER = {"rate_groups": "rate_group", "taxes": "tax", "customers": "customer"}

#: file-only account keys that are not model fields: a file with the password in it
PASSWORD_FILE = "password_file"
#: model fields a file may not give: plain-text secrets (contract §10)
REFUSED_SECRETS = {
    "password": "a plain-text password is not accepted in a file (it would sit in version "
                "control): give password_hash (an argon2id or bcrypt PHC string) or "
                "password_file: PATH, or leave it out and one is generated",
    "sip_password": "a plain-text SIP secret is not accepted in a file (it would sit in "
                    "version control): leave it out and one is generated",
}


def _catalog_keys() -> dict[str, frozenset[str]]:
    """The keys of each catalog kind: those of `rategroup create`, `tax create` and
    `role create` (the tax's values are judged by service/catalog.py's TAX_RULES)."""
    from acctctl.service.catalog import TAX_RULES

    return {
        "rate_group": frozenset({"name", "active", "reseller"}),
        "tax": frozenset({"name", "reseller", *TAX_RULES}),
        "role": frozenset({"name", "for", "description"}),
    }


def _account_keys(kind: str) -> frozenset[str]:
    from acctctl.models.inputs import KINDS

    return frozenset(KINDS[kind].model_fields) | {PASSWORD_FILE}


@dataclass
class DeclaredObject:
    kind: str  # "rate_group" | "tax" | "role" | "customer" | "provider" | "reseller" | ...
    key: str  # an account's number; "NAME" or "NAME@RESELLER" (rate group, tax); role "NAME"
    path: str  # where in the file: "customers[2]", "resellers[0].customers[1]"
    fields: dict  # by §2 field keys (accounts; nested: "reseller" filled in) or catalog keys
    owner: str | None = None  # catalog entries: the owning reseller's number (None: admin);
    # a catalog entry's fields never hold its owner ("reseller"/"owner" in the file go here)

    @property
    def is_account(self) -> bool:
        return self.kind not in CATALOG_LISTS.values()


@dataclass
class Declared:
    set_name: str
    source: str  # the file name as given (messages)
    objects: list[DeclaredObject] = field(default_factory=list)


def read_declared(path: str) -> Declared:
    """The set a file declares; UsageError (exit 2) when it cannot be read or parsed,
    ValidationFailed (exit 3) naming every problem of its shape at once."""
    fmt = FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        raise UsageError(f"cannot tell the format of {path}: name it .yaml, .yml, .toml or "
                         f".json (got {Path(path).suffix or 'no extension'!r})")
    from acctctl.bounded import read_text

    text = read_text(path, what=path, limit=MAX_FILE, error=UsageError)
    with _collector_paused():
        document = _PARSERS[fmt](text.removeprefix("\ufeff"), path)
        if not isinstance(document, dict):
            raise UsageError(f"{path} must hold a mapping of keys at its top (set: NAME, "
                             f"customers: [...], ...), not {_type_name(document)}")
        reader = _Reader(path)
        declared = reader.read(document)
    if reader.problems:
        raise ValidationFailed(reader.problems, message=f"{len(reader.problems)} problem"
                               f"{'s' if len(reader.problems) != 1 else ''} in {path}; "
                               "nothing was written")
    return declared


@contextmanager
def _collector_paused():
    """Python's cyclic garbage collector off while a file is parsed and read: the parse
    builds a tree of a few hundred thousand objects (YAML's nodes, then the values) that
    holds no cycle and stays alive until it is read, and each full collection while it
    grows walks all of it again for nothing (on a 10,000-account YAML file, five
    collections cost more than the parse itself). What is freed is freed by reference
    counting as before; the collector is back on (when it was on) as soon as the file is
    read."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


# --- the shape ------------------------------------------------------------------------------


class _Reader:
    def __init__(self, source: str):
        self.source = source
        self.base = Path(source).parent
        self.problems: list[FieldError] = []
        self.objects: list[DeclaredObject] = []
        self.seen: dict[tuple[str, str], str] = {}  # (class, key) -> the path that gave it
        self.catalog = _catalog_keys()

    def problem(self, path: str | None, field: str, message: str,
                key: str | None = None) -> None:
        self.problems.append(FieldError(field=field, message=message, row=path, key=key))

    def read(self, document: dict) -> Declared:
        document = self.plain(document, None)
        set_name = self.set_name(document.get("set"))
        for name, value in document.items():
            if name == "set":
                continue
            if name in CATALOG_LISTS:
                for i, item in self.items(value, name):
                    self.catalog_entry(CATALOG_LISTS[name], item, f"{name}[{i}]", None)
            elif name in ACCOUNT_LISTS:
                for i, item in self.items(value, name):
                    self.account(ACCOUNT_LISTS[name], item, f"{name}[{i}]", None)
            else:
                self.problem(None, _shown_key(name), "is not a key of a set's file: give set, "
                             + ", ".join((*CATALOG_LISTS, *ACCOUNT_LISTS)))
        ordered = sorted(self.objects, key=lambda o: (RANK[o.kind], "." in o.path))  # stable
        return Declared(set_name=set_name or "", source=self.source, objects=ordered)

    def set_name(self, value: Any) -> str | None:
        if value is None:
            self.problem(None, "set", "is required: the name of the set this file declares "
                         "(set: NAME), which --prune and later applies go by")
            return None
        if not isinstance(value, str) or not SET_NAME.fullmatch(value):
            self.problem(None, "set", f"must be 1-64 letters, digits, '.', '_' or '-', got "
                         f"{_shown(value)}")
            return None
        return value

    def items(self, value: Any, path: str, natural: str | None = None):
        """The mappings of a list, with their index; a problem for what is not one.
        natural: the key of the object the list is in (a reseller's number)."""
        if value is None:
            return
        parent, _, last = path.rpartition(".")
        if not isinstance(value, list):
            self.problem(parent or None, last, f"must be a list of objects, got "
                         f"{_type_name(value)}", natural)
            return
        for i, item in enumerate(value):
            if isinstance(item, dict):
                yield i, item
            else:
                self.problem(f"{path}[{i}]", last,
                             f"must be an object of keys, got {_type_name(item)}")

    # --- accounts ---------------------------------------------------------------------------

    def account(self, kind: str, item: dict, path: str, owner: str | None) -> None:
        known = _account_keys(kind)
        nested = UNDER_RESELLER if kind == "reseller" else {}
        number = self.natural(item.get("number"), path, "number")
        values: dict = {}
        later: list[tuple[str, Any]] = []
        for key, value in item.items():
            if key == "number":
                if number is not None:
                    values[key] = number
            elif key in REFUSED_SECRETS and key in known:
                self.problem(path, key, REFUSED_SECRETS[key], number)
            elif key == "taxes" and nested and _mixed(value):
                self.problem(path, key, "under a reseller is a list of names (the taxes it "
                             "pays) or a list of objects (taxes it owns), not both: declare "
                             "its own taxes at the top level with reseller: NUMBER", number)
            elif key in nested and (key != "taxes" or (isinstance(value, list)
                                                       and not _names(value))):
                later.append((key, value))
            elif key not in known:
                self.problem(path, _shown_key(key), f"is not a field of a {kind}"
                             + (" (nested under a reseller: rate_groups, taxes, customers)"
                                if nested else ""), number)
            elif value is None:
                continue  # not given (as an empty cell of a row): left as it is, or defaulted
            elif self.single(value, path, key, number, allow_names=key == "taxes"):
                values[key] = _text_key(value) if key == "reseller" else value
        if PASSWORD_FILE in values:
            if "password_hash" in values:
                self.problem(path, PASSWORD_FILE, "give password_hash or password_file, not "
                             "both", number)
            elif isinstance(values[PASSWORD_FILE], str):
                values[PASSWORD_FILE] = str(self.base / Path(values[PASSWORD_FILE]).expanduser())
            else:
                self.problem(path, PASSWORD_FILE, "must be the path of a file", number)
        if owner is not None:
            self.same_owner(values, "reseller", owner, path, number)
        if number is not None:
            self.unique("account", number, path)
            self.objects.append(DeclaredObject(kind, number, path, values))
        for key, value in later:
            for i, child in self.items(value, f"{path}.{key}", number):
                child_path = f"{path}.{key}[{i}]"
                if UNDER_RESELLER[key] == "customer":
                    self.account("customer", child, child_path, number or "")
                else:
                    self.catalog_entry(UNDER_RESELLER[key], child, child_path, number or "")

    # --- catalog ----------------------------------------------------------------------------

    def catalog_entry(self, kind: str, item: dict, path: str, owner: str | None) -> None:
        known = self.catalog[kind]
        name = self.natural(item.get("name"), path, "name")
        values: dict = {}
        for key, value in item.items():
            if key == "name":
                if name is not None:
                    values[key] = name
                continue
            if key == "owner" and kind != "role":  # another name for reseller
                if "reseller" in item:
                    self.problem(path, "owner", "give reseller or owner, not both", name)
                    continue
                key = "reseller"
            if key not in known:
                self.problem(path, _shown_key(key), f"is not a key of a {_label(kind)}: give "
                             + ", ".join(sorted(known)), name)
            elif value is None:
                continue
            elif self.single(value, path, key, name):
                values[key] = _text_key(value) if key == "reseller" else value
        if kind == "role" and "for" not in values and "for" not in item:
            self.problem(path, "for", "is required: admin or reseller", name)
        if "active" in values and not isinstance(values["active"], bool):
            self.problem(path, "active", f"must be true or false, got {_shown(values['active'])}",
                         name)
        if owner is not None:
            self.same_owner(values, "reseller", owner, path, name)
        # the owner is the object's `owner`, not one of its fields
        found_owner = values.pop("reseller", None) if kind != "role" else None
        if found_owner is not None and not isinstance(found_owner, str):
            found_owner = None  # reported by single()
        if name is None:
            return
        key = f"{name}@{found_owner}" if found_owner else name
        self.unique(kind, key, path)
        self.objects.append(DeclaredObject(kind, key, path, values, owner=found_owner or None))

    # --- shared -----------------------------------------------------------------------------

    def natural(self, value: Any, path: str, key: str) -> str | None:
        """The natural key (number, name) as text; None (and a problem) when missing."""
        if value is None:
            what = "the natural key plans and later applies go by" if key == "number" else \
                "it names the entry"
            self.problem(path, key, f"is required: {what}")
            return None
        if isinstance(value, bool) or not isinstance(value, str | int):
            self.problem(path, key, f"must be a single value (text), got {_type_name(value)}")
            return None
        text = str(value).strip()
        if not text:
            self.problem(path, key, "is required: it may not be empty")
            return None
        return text

    def single(self, value: Any, path: str, key: str, natural: str | None,
               allow_names: bool = False) -> bool:
        """Whether a value is a single value (or, for taxes, a list of names)."""
        if allow_names and isinstance(value, list):
            if _names(value):
                return True
            self.problem(path, key, "must be a list of tax names", natural)
            return False
        if isinstance(value, dict | list):
            self.problem(path, key, f"must be a single value, got {_type_name(value)}", natural)
            return False
        return True

    def same_owner(self, values: dict, key: str, owner: str, path: str,
                   natural: str | None) -> None:
        given = values.get(key)
        if not owner:  # the reseller has no number: reported there
            return
        if given is not None and given != owner:
            self.problem(path, key, f"is {_shown(given)}, but it is nested under reseller "
                         f"{owner}: leave it out or move the entry", natural)
        else:
            values[key] = owner

    def unique(self, what: str, key: str, path: str) -> None:
        first = self.seen.setdefault((what, key), path)
        if first != path:
            label = "account number" if what == "account" else _label(what)
            field_ = "number" if what == "account" else "name"
            self.problem(path, field_, f"{label} {key!r} is declared twice: at {first} and "
                         f"at {path}", key)

    def plain(self, value: Any, path: str | None) -> Any:
        """The parsed document as plain values (dict, list, str, int, bool, Decimal, None),
        iteratively (no recursion): dates as ISO text, long integers as text; a problem
        for a duplicated key, a long text, NaN, infinities and what is not a value."""
        root: dict = {}
        stack: list[tuple[Any, Any, Any, str]] = [(root, "top", value, path or "")]
        while stack:
            parent, slot, item, where = stack.pop()
            if isinstance(item, dict):
                for key in getattr(item, "duplicates", ()):
                    self.problem(where or None, _shown_key(key), "is given twice in one object")
                copy: Any = {}
                stack.extend((copy, k, v, _join(where, k)) for k, v in reversed(item.items()))
            elif isinstance(item, list):
                copy = [None] * len(item)
                stack.extend((copy, i, v, f"{where}[{i}]") for i, v in enumerate(item))
            else:
                copy = self.scalar(item, where)
            parent[slot] = copy
        return root["top"]

    def scalar(self, item: Any, where: str) -> Any:
        owner, _, key = where.rpartition(".")
        owner, key = (owner or None), key or "set"
        if isinstance(item, bool) or item is None:
            return item
        if isinstance(item, int):
            return str(item) if abs(item) >= 10 ** MAX_INT_DIGITS else item
        if isinstance(item, str):
            if len(item) > MAX_TEXT:
                self.problem(owner, key, f"is longer than {MAX_TEXT:,} characters")
                return item[:MAX_TEXT]
            return item
        if isinstance(item, Decimal):
            if not item.is_finite():
                self.problem(owner, key, f"must be a number, got {item}")
            return item
        if isinstance(item, datetime | date | time):
            return item.isoformat()
        self.problem(owner, key, f"is not a value a set's file can give "
                     f"({_type_name(item)})")
        return None


def _join(where: str, key: Any) -> str:
    return f"{where}.{key}" if where else str(key)


def _names(value: Any) -> bool:
    """A list of names (the §2 taxes field), not of objects."""
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _mixed(value: Any) -> bool:
    """A list of both names and objects."""
    return isinstance(value, list) and any(isinstance(v, str) for v in value) and any(
        isinstance(v, dict) for v in value)


def _text_key(value: Any) -> Any:
    """A number as text (YAML, TOML and JSON give 1001 as an integer)."""
    return str(value).strip() if isinstance(value, int) and not isinstance(value, bool) \
        else value


def _label(kind: str) -> str:
    return kind.replace("_", " ")


def _type_name(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, str):
        return "text"
    if isinstance(value, int | Decimal | float):
        return "a number"
    return type(value).__name__


def _shown(value: Any) -> str:
    from acctctl.models.codes import shown

    return shown(value)


def _shown_key(key: Any) -> str:
    """A key as the message names it: printable, not too long."""
    text = str(key)
    if text.isprintable() and len(text) <= MAX_KEY_SHOWN:
        return text
    return repr(text[:MAX_KEY_SHOWN]) + ("..." if len(text) > MAX_KEY_SHOWN else "")


# --- the formats ----------------------------------------------------------------------------


class _Mapping(dict):
    """A parsed object that remembers the keys it was given twice (JSON and YAML let a later
    one silently win; here it is a problem)."""

    duplicates: tuple = ()


def _pairs(pairs) -> _Mapping:
    found = _Mapping()
    twice = []
    for key, value in pairs:
        if key in found:
            twice.append(key)
        found[key] = value
    found.duplicates = tuple(twice)
    return found


def _syntax(path: str, what: str, line: int | None, message: str) -> UsageError:
    where = f" (line {line})" if line else ""
    return UsageError(f"{path} is not valid {what}{where}: {message}")


def _too_deep(path: str, line: int | None = None) -> UsageError:
    where = f" (line {line})" if line else ""
    return UsageError(f"{path} nests lists and objects deeper than {MAX_DEPTH} levels{where}; "
                      "a set's file needs 6")


def _check_depth(document: Any, path: str) -> None:
    deepest, stack = 0, [(document, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            level += 1
            if level > MAX_DEPTH:
                raise _too_deep(path)
            deepest = max(deepest, level)
            stack.extend((v, level) for v in (item.values() if isinstance(item, dict) else item))


def _int(digits: str) -> int | str:
    return int(digits) if len(digits.lstrip("-+")) <= MAX_INT_DIGITS else digits


def _parse_json(text: str, path: str) -> Any:
    try:
        document = json.loads(text, parse_float=Decimal, parse_int=_int,
                              parse_constant=Decimal, object_pairs_hook=_pairs)
    except json.JSONDecodeError as exc:
        raise _syntax(path, "JSON", exc.lineno, exc.msg) from None
    except RecursionError:
        raise _too_deep(path) from None
    _check_depth(document, path)
    return document


def _parse_toml(text: str, path: str) -> Any:
    import tomllib

    try:
        document = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise _syntax(path, "TOML", None, str(exc)) from None
    except RecursionError:
        raise _too_deep(path) from None
    except ValueError as exc:  # an integer too long to convert
        raise _syntax(path, "TOML", None, str(exc).split("\n")[0]) from None
    _check_depth(document, path)
    return document


def _parse_yaml(text: str, path: str) -> Any:
    """The document, built straight from libyaml's events when it is plain data (what a
    set's file is); anything else - an anchor, an alias, an explicit tag, a key that is a
    list or an object, more than one document, nesting past MAX_DEPTH, a syntax error - is
    parsed again through nodes (_parse_yaml_nodes), which refuses, limits and names it as
    it always has. Both build the same values by the same rules (the loader's resolver,
    _yaml_int, _yaml_decimal, _pairs)."""
    import yaml

    try:
        document = _yaml_from_events(text)
    except yaml.YAMLError:
        document = _NODES
    return _parse_yaml_nodes(text, path) if document is _NODES else document


#: what _yaml_from_events returns for a document it leaves to the node path
_NODES = object()


def _yaml_from_events(text: str) -> Any:
    """Plain data from the parser's events, without a node tree: one pass, no recursion,
    and far fewer objects (on a 10,000-account file, about a third of the node path's
    time). _NODES for whatever only the node path handles exactly."""
    import yaml
    from yaml import events

    loader = _yaml_loader()(text)
    try:
        get, resolve, bools = loader.get_event, loader.resolve, loader.bool_values
        scalar, mapping_start, sequence_start = (
            events.ScalarEvent, events.MappingStartEvent, events.SequenceStartEvent)
        ends = (events.MappingEndEvent, events.SequenceEndEvent)
        get()  # the stream's start
        if isinstance(get(), events.StreamEndEvent):  # else the document's start
            return None
        stack: list[tuple[list, bool]] = []  # the enclosing collections: (items, mapping?)
        items: list = []  # the collection being read (a mapping's: key, value, key, ...)
        in_mapping = False
        top = items
        while True:
            event = get()
            kind = type(event)
            if kind is scalar:
                if event.anchor is not None or event.tag is not None:
                    return _NODES
                value = event.value
                if event.implicit[0]:  # plain: resolved as the node path resolves it
                    tag = resolve(yaml.ScalarNode, value, event.implicit)
                    if tag == _YAML_NULL:
                        value = None
                    elif tag == _YAML_BOOL:
                        value = bools[value.lower()]
                    elif tag == _YAML_INT:
                        value = _yaml_int(value)
                    elif tag == _YAML_FLOAT:
                        value = _yaml_decimal(value)
                    elif tag != _YAML_STR:
                        return _NODES
                items.append(value)
            elif kind is mapping_start or kind is sequence_start:
                if (event.anchor is not None or event.tag is not None
                        or (in_mapping and len(items) % 2 == 0)  # a list or object as a key
                        or len(stack) >= MAX_DEPTH):
                    return _NODES
                stack.append((items, in_mapping))
                items, in_mapping = [], kind is mapping_start
            elif kind in ends and stack:
                value = _pairs(zip([k if isinstance(k, str) else str(k) for k in items[::2]],
                                   items[1::2], strict=True)) if in_mapping else items
                items, in_mapping = stack.pop()
                items.append(value)
            else:
                break
        if (stack or not isinstance(event, events.DocumentEndEvent)
                or not isinstance(get(), events.StreamEndEvent)):
            return _NODES
        return top[0]
    finally:
        loader.dispose()


def _parse_yaml_nodes(text: str, path: str) -> Any:
    import yaml

    loader = _yaml_loader()(text)
    try:
        node = loader.get_single_node()  # nodes only: an alias is the same node again
        if node is None:
            return None
        _check_nodes(node, path)  # before anything is built: a billion laughs never expands
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise _syntax(path, "YAML", mark.line + 1 if mark else None,
                      " ".join(filter(None, (exc.context, exc.problem)))) from None
    except yaml.YAMLError as exc:
        raise _syntax(path, "YAML", None, str(exc).split("\n")[0]) from None
    except RecursionError:
        raise _too_deep(path) from None
    except (ArithmeticError, AttributeError, KeyError, TypeError, ValueError):
        # PyYAML's own constructors of an explicit tag given what is not one
        # (!!bool maybe, !!timestamp 2026-13-45, !!map [1]): exit 2, not a crash
        raise _syntax(path, "YAML", None, "a value with an explicit tag (!!bool, "
                      "!!timestamp, !!map, ...) that is not one: write the value without "
                      "the tag") from None
    finally:
        loader.dispose()


def _check_nodes(root, path: str) -> None:
    """No alias (a node reached twice) and no nesting deeper than MAX_DEPTH, without
    recursion."""
    import yaml

    seen: set[int] = set()
    stack = [(root, 0)]
    while stack:
        node, level = stack.pop()
        if id(node) in seen:
            raise UsageError(
                f"{path} uses a YAML alias (of the anchor at line {node.start_mark.line + 1}): "
                "aliases and anchors are not accepted in a set's file; write each value out")
        seen.add(id(node))
        if isinstance(node, yaml.CollectionNode):
            level += 1
            if level > MAX_DEPTH:
                raise _too_deep(path, node.start_mark.line + 1)
            if isinstance(node, yaml.MappingNode):
                stack.extend((n, level) for pair in node.value for n in pair)
            else:
                stack.extend((n, level) for n in node.value)


_PARSERS = {"json": _parse_json, "toml": _parse_toml, "yaml": _parse_yaml}

#: YAML 1.2 core schema scalars (not 1.1's yes/no/on/off, octal, sexagesimal or timestamps)
_YAML_SCALARS = (
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", list("~nN") + [""]),
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    ("tag:yaml.org,2002:int", r"^[-+]?(?:0|[1-9][0-9]*)$", list("-+0123456789")),
    ("tag:yaml.org,2002:float",
     r"^(?:[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)(?:[eE][-+]?[0-9]+)?|[-+]?[0-9]+[eE][-+]?[0-9]+"
     r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$", list("-+.0123456789")),
)
_YAML_STR, _YAML_NULL, _YAML_BOOL, _YAML_INT, _YAML_FLOAT = (
    f"tag:yaml.org,2002:{name}" for name in ("str", "null", "bool", "int", "float"))
_LOADER = None
_YAML_SPECIAL = {".inf": "Infinity", "+.inf": "Infinity", "-.inf": "-Infinity", ".nan": "NaN"}


def _yaml_int(text: str) -> int | str:
    return _int(text.replace("_", ""))


def _yaml_decimal(text: str) -> Decimal | str:
    lowered = text.lower().replace("_", "")
    try:
        return Decimal(_YAML_SPECIAL.get(lowered, lowered))
    except ArithmeticError:
        return text


def _yaml_loader():
    """A safe loader (libyaml's when there is one) with YAML 1.2 core scalars, exact
    decimals, long integers as text and duplicate keys noted."""
    global _LOADER
    if _LOADER is not None:
        return _LOADER
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Loader(base):  # type: ignore[misc, valid-type]
        pass

    Loader.yaml_implicit_resolvers = {}
    for tag, pattern, first in _YAML_SCALARS:
        Loader.add_implicit_resolver(tag, re.compile(pattern), first)

    def integer(loader, node):
        text = loader.construct_scalar(node)
        try:
            return _yaml_int(text)
        except ValueError:  # an explicit !!int of what is not a decimal integer: exit 2
            raise yaml.constructor.ConstructorError(
                None, None, f"expected a decimal integer, found {_shown_key(text)}",
                node.start_mark) from None

    def decimal(loader, node):
        return _yaml_decimal(loader.construct_scalar(node))

    def mapping(loader, node):
        data = _Mapping()
        yield data
        pairs = []
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            pairs.append((key if isinstance(key, str) else str(key),
                          loader.construct_object(value_node, deep=True)))
        found = _pairs(pairs)
        data.update(found)
        data.duplicates = found.duplicates

    Loader.add_constructor("tag:yaml.org,2002:int", integer)
    Loader.add_constructor("tag:yaml.org,2002:float", decimal)
    Loader.add_constructor("tag:yaml.org,2002:map", mapping)
    _LOADER = Loader
    return Loader
