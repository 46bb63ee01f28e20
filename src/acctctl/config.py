"""Configuration: the one place that turns TOML + environment + profiles into settings.

Contract §5. Lookup order, first found wins: ``--config PATH``, ``$ACCTCTL_CONFIG``,
``./acctctl.toml``, then ``<user config dir>/acctctl/config.toml``; with no file the built-in
defaults apply and the database is SQLite in the user data dir. ``--profile NAME`` or
``$ACCTCTL_PROFILE`` deep-merges ``[profiles.NAME]`` over the top-level tables, and
``$ACCTCTL_DATABASE_URL`` overrides the database URL.

Every problem a user can cause here is a :class:`~acctctl.errors.ConfigError` (exit 5) whose
message names the file, the line and the dotted key, because a traceback or a bare validation
dump tells an operator nothing about which line of which file to fix.

Every command that touches the database reads the settings, so this module imports neither
pydantic nor SQLAlchemy at import time (the URL helpers import SQLAlchemy when called);
``acctctl --help`` still never imports it.
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import platformdirs
import tomli_w

from acctctl.errors import ConfigError

APP_NAME = "acctctl"
CONFIG_FILENAME = "config.toml"
PROJECT_CONFIG_FILENAME = "acctctl.toml"
ENV_CONFIG = "ACCTCTL_CONFIG"
ENV_PROFILE = "ACCTCTL_PROFILE"
ENV_DATABASE_URL = "ACCTCTL_DATABASE_URL"
BUILTIN_DEFAULTS = "(built-in defaults)"
NO_PROFILE = "(none)"

__all__ = [
    "BUILTIN_DEFAULTS",
    "config_init_path",
    "DatabaseSettings",
    "DefaultsSettings",
    "LedgerSettings",
    "LoadedSettings",
    "NumbersSettings",
    "PasswordsSettings",
    "RegistrarSettings",
    "Settings",
    "default_config_dict",
    "default_database_url",
    "effective_settings_dict",
    "load_settings",
    "mask_url",
    "shown_url",
    "user_config_path",
    "write_config",
]


# --------------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------------

# Every command reads the settings, so they are plain classes checked by the few rules below
# rather than pydantic models: building pydantic's validators for eight models (and importing
# the part of pydantic that builds them) cost a read about 150 ms of CPU, more than the rest
# of its start-up beyond SQLAlchemy. A section declares each key once, as a class attribute:
# its type, its default and its bounds (``setting``), and its own checks (``@check``); the
# messages are pydantic's wording, which the tests and docs quote.
#
# Sections are strict: TOML is typed, so `length = "10"` or `generate_pin = 1` is a mistake the
# user should hear about rather than have silently coerced.

_REQUIRED: Any = object()


@dataclass(frozen=True)
class _Field:
    """One key of a section: default (or factory), bounds, and its type (from the
    annotation, filled in by the section)."""

    default: Any = _REQUIRED
    default_factory: Any = None
    ge: Any = None
    le: Any = None
    min_length: int | None = None
    max_length: int | None = None
    kind: str = ""

    def make_default(self) -> Any:
        return self.default_factory() if self.default_factory is not None else self.default


def setting(default: Any = _REQUIRED, *, default_factory: Any = None, ge: Any = None,
            le: Any = None, min_length: int | None = None,
            max_length: int | None = None) -> Any:
    """A key's default and bounds: ``length: int = setting(10, ge=1, le=18)``."""
    return _Field(default, default_factory, ge, le, min_length, max_length)


def check(*names: str) -> Any:
    """Mark a classmethod ``(cls, value, info) -> value`` as a check of the keys ``names``,
    run in declaration order once the value has its type and bounds; ``info.data`` holds the
    keys before it that passed, ``info.field_name`` the key. A ValueError is the message."""
    def mark(method: Any) -> Any:
        method.checks = names
        return method
    return mark


@dataclass(frozen=True)
class _Info:
    data: dict[str, Any]
    field_name: str


class SettingsError(ValueError):
    """What a section's rules found: ``errors()`` lists them as pydantic does (loc, type,
    msg), for :func:`_validate` to place in the file."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
                                   for e in errors))
        self._errors = errors

    def errors(self) -> list[dict[str, Any]]:
        return self._errors


def _error(errors: list, loc: tuple, kind: str, msg: str) -> None:
    errors.append({"loc": loc, "type": kind, "msg": msg})


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


class _Section:
    """A table of the config file: the keys its class declares, nothing else."""

    _fields: dict[str, _Field] = {}
    _checks: dict[str, list[str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._fields, cls._checks = {}, {}
        for name, annotation in cls.__dict__.get("__annotations__", {}).items():
            value = cls.__dict__.get(name, _REQUIRED)
            spec = value if isinstance(value, _Field) else _Field(default=value)
            cls._fields[name] = replace(spec, kind=annotation)
            if name in cls.__dict__:
                delattr(cls, name)  # instances hold the values
        for attr, member in cls.__dict__.items():
            for name in getattr(member, "checks", ()):
                cls._checks.setdefault(name, []).append(attr)

    def __init__(self, **values: Any) -> None:
        errors: list[dict[str, Any]] = []
        self._fill(values, (), errors)
        if errors:
            raise SettingsError(errors)

    @classmethod
    def model_validate(cls, values: Any) -> Any:
        errors: list[dict[str, Any]] = []
        result = cls._parse(values, (), errors)
        if errors:
            raise SettingsError(errors)
        return result

    @classmethod
    def _parse(cls, value: Any, loc: tuple, errors: list) -> Any:
        if isinstance(value, cls):
            return value
        if not isinstance(value, Mapping):
            _error(errors, loc, "model_type",
                   f"Input should be a valid dictionary or instance of {cls.__name__}")
            return None
        self = cls.__new__(cls)
        before = len(errors)
        self._fill(value, loc, errors)
        return self if len(errors) == before else None

    def _fill(self, values: Mapping[str, Any], loc: tuple, errors: list) -> None:
        cls = type(self)
        data: dict[str, Any] = {}
        for name, spec in cls._fields.items():
            if name not in values:
                if spec.default is _REQUIRED and spec.default_factory is None:
                    _error(errors, (*loc, name), "missing", "Field required")
                else:
                    data[name] = spec.make_default()
                continue
            before = len(errors)
            value = _typed(spec, values[name], (*loc, name), errors)
            if len(errors) > before:
                continue
            try:
                for attr in cls._checks.get(name, ()):
                    value = getattr(cls, attr)(value, _Info(data, name))
            except ValueError as exc:
                _error(errors, (*loc, name), "value_error", str(exc))
                continue
            data[name] = value
        for name in values:
            if name not in cls._fields:
                _error(errors, (*loc, name), "extra_forbidden", "Extra inputs are not permitted")
        self.__dict__.update(data)
        self.__dict__["model_fields_set"] = {name for name in values if name in cls._fields}

    # the part of pydantic's model API the code uses
    def model_dump(self, include: set[str] | None = None) -> dict[str, Any]:
        return {name: _dumped(getattr(self, name)) for name in self._fields
                if include is None or name in include}

    def model_copy(self, update: Mapping[str, Any] | None = None) -> Any:
        copy = type(self).__new__(type(self))
        copy.__dict__.update(self.__dict__, **(update or {}))
        copy.__dict__["model_fields_set"] = set(self.model_fields_set) | set(update or ())
        return copy

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in self._fields)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        values = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__name__}({values})"


def _dumped(value: Any) -> Any:
    if isinstance(value, _Section):
        return value.model_dump()
    if isinstance(value, list):
        return [_dumped(item) for item in value]
    if isinstance(value, dict):
        return {key: _dumped(item) for key, item in value.items()}
    return value


def _typed(spec: _Field, value: Any, loc: tuple, errors: list) -> Any:
    """``value`` checked against the key's type and bounds (pydantic's rules and wording),
    else an error appended."""
    kind = spec.kind
    if kind == "str":
        if not isinstance(value, str):
            return _error(errors, loc, "string_type", "Input should be a valid string")
        if spec.min_length is not None and len(value) < spec.min_length:
            return _error(errors, loc, "string_too_short",
                          f"String should have at least {_plural(spec.min_length, 'character')}")
        if spec.max_length is not None and len(value) > spec.max_length:
            return _error(errors, loc, "string_too_long",
                          f"String should have at most {_plural(spec.max_length, 'character')}")
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            return _error(errors, loc, "bool_type", "Input should be a valid boolean")
        return value
    if kind == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            return _error(errors, loc, "int_type", "Input should be a valid integer")
    elif kind == "Decimal":  # never strict: TOML has no decimal type
        value = _decimal(value, loc, errors)
        if value is None:
            return None
    elif kind == "list[str]":
        if not isinstance(value, list):
            return _error(errors, loc, "list_type", "Input should be a valid list")
        return [_typed(_Field(kind="str"), item, (*loc, index), errors)
                for index, item in enumerate(value)]
    elif kind.startswith("list["):
        if not isinstance(value, list | tuple):
            return _error(errors, loc, "list_type", "Input should be a valid list")
        section = _SECTION_CLASSES[kind[5:-1]]
        return [section._parse(item, (*loc, index), errors) for index, item in enumerate(value)]
    elif kind == "dict[str, dict]":
        if not isinstance(value, Mapping):
            return _error(errors, loc, "dict_type", "Input should be a valid dictionary")
        for key, item in value.items():
            if not isinstance(item, Mapping):
                _error(errors, (*loc, key), "dict_type", "Input should be a valid dictionary")
        return dict(value)
    else:
        return _SECTION_CLASSES[kind]._parse(value, loc, errors)
    if spec.ge is not None and not value >= spec.ge:
        return _error(errors, loc, "greater_than_equal",
                      f"Input should be greater than or equal to {spec.ge}")
    if spec.le is not None and not value <= spec.le:
        return _error(errors, loc, "less_than_equal",
                      f"Input should be less than or equal to {spec.le}")
    return value


def _decimal(value: Any, loc: tuple, errors: list) -> Decimal | None:
    """pydantic's lax Decimal: an int, a float, a string (stripped) or a Decimal; finite."""
    if isinstance(value, str):
        try:
            value = Decimal(value.strip())
        except ArithmeticError:
            return _error(errors, loc, "decimal_parsing", "Input should be a valid decimal")
    elif isinstance(value, float):
        value = Decimal(str(value))
    elif isinstance(value, int) and not isinstance(value, bool):
        value = Decimal(value)
    elif not isinstance(value, Decimal):
        return _error(errors, loc, "decimal_type",
                      "Decimal input should be an integer, float, string or Decimal object")
    if not value.is_finite():
        return _error(errors, loc, "finite_number", "Input should be a finite number")
    return value


class DatabaseSettings(_Section):
    """``[database]``: where accounts are written."""

    url: str = ""  # empty = SQLite in the user data dir
    password_file: str = ""  # when set, its content replaces any password in the URL
    # "acctctl": acctctl's own schema; "astpp": an existing ASTPP 6 database (contract §8)
    target: str = "acctctl"

    @check("target")
    @classmethod
    def _known_target(cls, value: str, info: _Info) -> str:
        return _one_of(value, TARGETS)


#: database.target -> "module:Class" of its Storage (acctctl.storage.REGISTRY is this dict):
#: a new target is one package and one line here. Names only: nothing is imported.
TARGETS: dict[str, str] = {
    "acctctl": "acctctl.storage.native:NativeStorage",
    "astpp": "acctctl.targets.astpp.storage:AstppStorage",
}


def _one_of(value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValueError(f"must be one of {', '.join(allowed)}, got {value!r}")
    return value


class AstppSettings(_Section):
    """``[astpp]``: the ASTPP install acctctl writes into when ``database.target = "astpp"``."""

    # ASTPP's own config file; its PRIVATE_KEY encodes portal passwords (never a flag value)
    config_file: str = "/var/lib/astpp/astpp-config.conf"


class LedgerSettings(_Section):
    """``[ledger]``: where the astpp target keeps its batches and audit records (contract §8).

    ASTPP's database gets no tables of acctctl's, so the trail lives in a database of
    acctctl's own schema (SQLite or PostgreSQL), keyed by the ASTPP database's identity."""

    # empty = acctctl's default SQLite file in the user data dir, the one its own schema uses
    url: str = ""
    # the name this ASTPP database's trail is kept under; empty = its server's host name,
    # port and schema name (docs/astpp.md, "The ledger"): set it to keep one trail when the
    # server moves or is reached under another name
    identity: str = setting("", max_length=200)

    @check("identity")
    @classmethod
    def _printable(cls, value: str, info: _Info) -> str:
        if any(not ch.isprintable() for ch in value):
            raise ValueError("must not contain control characters")
        return value.strip()


class NumbersSettings(_Section):
    """``[numbers]``: how account numbers and PINs are generated."""

    length: int = setting(10, ge=1, le=18)  # 18 digits still fit a signed 64-bit integer
    prefix: str = ""
    pin_length: int = setting(6, ge=4, le=20)
    generate_pin: bool = True

    @check("prefix")
    @classmethod
    def _prefix_leaves_room(cls, value: str, info: _Info) -> str:
        if not re.fullmatch(r"[0-9]*", value):  # str.isdigit() would accept "²"
            raise ValueError("must contain digits 0-9 only")
        if value.startswith("0"):
            raise ValueError("must not start with 0 (generated numbers never do)")
        # A prefix as long as the number leaves nothing random to generate.
        length = info.data.get("length")
        if length is not None and len(value) >= length:
            raise ValueError(f"must be shorter than numbers.length ({length} digits)")
        return value


class PasswordsSettings(_Section):
    """``[passwords]``: password policy and argon2id cost."""

    min_length: int = setting(8, ge=8, le=128)
    generated_length: int = setting(16, ge=8, le=128)
    # a generated SIP device secret: 12 (72 bits) to 64 characters (what Kamailio 7's
    # `password` column holds); 25 is the most OpenSIPS's and Kamailio 6's hold in plaintext
    sip_secret_length: int = setting(24, ge=12, le=64)
    # The strong argon2id profile: passwords a person chose. The default (RFC 9106's second
    # choice) is above OWASP's minimum (19 MiB, t=2, p=1); 1024 KiB is allowed so test
    # suites can make hashing cheap. Upper bounds are argon2's own, or sane (4 GiB).
    hash_time_cost: int = setting(3, ge=1, le=1000)
    hash_memory_kib: int = setting(65536, ge=1024, le=4 * 1024 * 1024)
    hash_parallelism: int = setting(4, ge=1, le=255)
    # The light profile: passwords acctctl generated with >= 96 bits of entropy, which no
    # hash cost is needed to protect (docs/security.md). argon2 needs 8 KiB per lane.
    generated_hash_time_cost: int = setting(1, ge=1, le=1000)
    generated_hash_memory_kib: int = setting(256, ge=8, le=4 * 1024 * 1024)
    generated_hash_parallelism: int = setting(1, ge=1, le=255)
    # true: generated passwords get the strong profile too
    strong_hash_for_generated: bool = False

    @check("generated_length")
    @classmethod
    def _generated_meets_policy(cls, value: int, info: _Info) -> int:
        # A generated password must always pass the policy (contract §2).
        minimum = info.data.get("min_length")
        if minimum is not None and value < minimum:
            raise ValueError(f"must be at least passwords.min_length ({minimum})")
        return value

    @check("hash_parallelism", "generated_hash_parallelism")
    @classmethod
    def _argon2_memory_per_lane(cls, value: int, info: _Info) -> int:
        # argon2 needs 8 KiB per lane; catch it here instead of as an opaque hashing error.
        memory_key = info.field_name.replace("parallelism", "memory_kib")
        memory = info.data.get(memory_key)
        if memory is not None and memory < 8 * value:
            raise ValueError(f"must be at most passwords.{memory_key} / 8 ({memory // 8})")
        return value


class DefaultsSettings(_Section):
    """``[defaults]``: field defaults for new accounts.

    Country, time zone and currency go through the account models' own rules (imported, not
    copied), so a bad default is a config error here, not a flag error at create time.
    """

    @check("country", "timezone", "currency")
    @classmethod
    def _reference_value(cls, value: str, info: _Info) -> str:
        from acctctl.models import codes

        normalise = {"country": codes.normalise_country, "timezone": codes.normalise_timezone,
                     "currency": codes.normalise_currency}[info.field_name]
        return normalise(value)

    country: str = setting("US", min_length=1)
    timezone: str = setting("UTC", min_length=1)
    currency: str = setting("USD", min_length=1)
    rate_group: str = setting("default", min_length=1)
    taxes: list[str] = setting(default_factory=list)
    valid_days: int = setting(3650, ge=1, le=36500)
    max_channels: int = setting(0, ge=0)
    # TOML has no decimal type, so accept 5, 5.5 or "5.50".
    low_balance_alert: Decimal = setting(Decimal(5), ge=0)
    email_alerts: bool = False
    create_sip_device: bool = True


REGISTRAR_KINDS = ("kamailio", "opensips", "astpp-opensips")
_REGISTRAR_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


class RegistrarSettings(_Section):
    """One ``[[registrars]]`` entry (contract §11): a SIP proxy's ``subscriber`` table that
    mirrors the SIP devices of the accounts target."""

    name: str  # what `registrar check|sync NAME` and acctctl's record of managed rows use
    kind: str
    url: str  # mysql:// (or mariadb://) or postgresql://
    password_file: str = ""  # when set, its content replaces any password in the URL
    domain: str = setting(min_length=1, max_length=64)  # also the realm the proxy challenges
    # true only where the proxy computes HA1 from `password` (Kamailio's calculate_ha1)
    store_plaintext: bool = False

    @check("name")
    @classmethod
    def _plain_name(cls, value: str, info: _Info) -> str:
        if not _REGISTRAR_NAME.fullmatch(value):
            raise ValueError("must be 1-64 letters, digits, '.', '_' or '-' (first a letter "
                             f"or digit), got {value!r}")
        return value

    @check("kind")
    @classmethod
    def _known_kind(cls, value: str, info: _Info) -> str:
        return _one_of(value, REGISTRAR_KINDS)

    @check("url")
    @classmethod
    def _server_url(cls, value: str, info: _Info) -> str:
        # a registrar is a proxy's database server: SQLite is never one
        if not (_POSTGRES_SCHEME.match(value) or _MYSQL_SCHEME.match(value)):
            raise ValueError("must be a mysql://, mariadb:// or postgresql:// URL, got "
                             f"{mask_url(value)!r}")
        return value


class Settings(_Section):
    """The whole document. ``profiles`` stays raw: a profile is validated when selected."""

    database: DatabaseSettings = setting(default_factory=DatabaseSettings)
    numbers: NumbersSettings = setting(default_factory=NumbersSettings)
    passwords: PasswordsSettings = setting(default_factory=PasswordsSettings)
    defaults: DefaultsSettings = setting(default_factory=DefaultsSettings)
    astpp: AstppSettings = setting(default_factory=AstppSettings)
    ledger: LedgerSettings = setting(default_factory=LedgerSettings)
    registrars: list[RegistrarSettings] = setting(default_factory=list)
    profiles: dict[str, dict] = setting(default_factory=dict)

    @check("registrars")
    @classmethod
    def _unique_names(cls, value: list[RegistrarSettings], info: _Info
                      ) -> list[RegistrarSettings]:
        seen: set[str] = set()
        for registrar in value:
            if registrar.name in seen:
                raise ValueError(f"two registrars are named {registrar.name!r}; names are "
                                 "unique (acctctl records the rows it manages by name)")
            seen.add(registrar.name)
        return value

    @property
    def target(self) -> str:
        """Where accounts live: "acctctl" (own schema) or "astpp" (an ASTPP database)."""
        return self.database.target

    @property
    def is_astpp(self) -> bool:
        return self.database.target == "astpp"


_SECTION_CLASSES: dict[str, type[_Section]] = {
    cls.__name__: cls for cls in (DatabaseSettings, AstppSettings, LedgerSettings,
                                  NumbersSettings, PasswordsSettings, DefaultsSettings,
                                  RegistrarSettings)
}


SECTIONS = ("database", "numbers", "passwords", "defaults", "astpp", "ledger", "registrars")
#: the sections that mean something only with database.target = "astpp"
ASTPP_SECTIONS = ("astpp", "ledger")


@dataclass(frozen=True)
class LoadedSettings:
    """The result of :func:`load_settings`: settings plus where they came from."""

    settings: Settings
    path: Path | None  # the file used; None means built-in defaults
    profile: str | None
    database_url: str  # effective URL (env override, driver, password_file applied)
    warnings: list[str] = field(default_factory=list)  # for the caller to print to stderr
    # the URL as the user wrote it (or the built-in default), password masked: what messages
    # and `config show` print, never the driver URL above
    shown_url: str = ""
    # where the URL came from, e.g. "database.url in /home/u/.config/acctctl/config.toml"
    url_source: str = ""
    # astpp target only (else empty): the ledger's URL to connect with, as shown (masked),
    # and where it was set
    ledger_url: str = ""
    ledger_shown: str = ""
    ledger_source: str = ""


# --------------------------------------------------------------------------------------------
# Paths
# --------------------------------------------------------------------------------------------


def user_config_path() -> Path:
    """``<user config dir>/acctctl/config.toml`` (XDG on Linux), the last lookup place."""
    # Looked up through the module at call time so tests can monkeypatch platformdirs.
    return platformdirs.user_config_path(APP_NAME) / CONFIG_FILENAME


def default_database_url() -> str:
    """SQLite in the user data dir, so acctctl works out of the box; creates the directory."""
    data_dir = Path(platformdirs.user_data_path(APP_NAME))
    try:
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise ConfigError(f"cannot create data directory {data_dir}: {_reason(exc)}") from exc
    return f"sqlite:///{data_dir / 'acctctl.db'}"


def config_init_path(config_path: str | None, env: Mapping[str, str] | None = None,
                     cwd: Path | None = None) -> Path:
    """Where `config init` writes: the file acctctl will then read, in the lookup order
    (--config, $ACCTCTL_CONFIG, ./acctctl.toml, the user config dir)."""
    env = os.environ if env is None else env
    cwd = Path.cwd() if cwd is None else cwd
    for value in (config_path, env.get(ENV_CONFIG)):
        if value:
            path = Path(value).expanduser()
            return path if path.is_absolute() else cwd / path
    project = cwd / PROJECT_CONFIG_FILENAME
    return project if project.exists() else user_config_path()


def _find_config(config_path: str | None, env: Mapping[str, str], cwd: Path) -> Path | None:
    """Apply the lookup order; an explicitly named file that is missing is an error."""
    explicit = [(config_path, "--config"), (env.get(ENV_CONFIG), f"${ENV_CONFIG}")]
    for value, source in explicit:
        if value:
            path = Path(value).expanduser()
            if not path.is_absolute():
                path = cwd / path
            if not path.exists():
                raise ConfigError(f"config file not found: {path} (from {source})")
            return path
    for candidate in (cwd / PROJECT_CONFIG_FILENAME, user_config_path()):
        if candidate.exists():
            return candidate
    return None


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


def load_settings(
    config_path: str | None = None,
    profile: str | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> LoadedSettings:
    """Find, parse, merge and validate the configuration; raise ConfigError on any problem.

    ``env`` defaults to ``os.environ`` and ``cwd`` to the process cwd; both are parameters so
    tests (and callers) never depend on the real environment or the real user config.
    """
    env = os.environ if env is None else env
    cwd = Path.cwd() if cwd is None else cwd
    profile_via = "--profile" if profile else f"${ENV_PROFILE}"  # for messages
    profile = profile or env.get(ENV_PROFILE) or None

    path = _find_config(config_path, env, cwd)
    if path is None:
        doc: dict[str, Any] = {}
        text = ""
    else:
        text = _read_text(path)
        doc = _parse_toml(text, path)
    locator = _KeyLocator(text)

    settings = _validate(doc, path, locator, profile_name=None, profile_doc=None)
    if profile is not None:
        settings = _apply_profile(doc, settings, profile, path, locator)

    warnings: list[str] = []
    source = _url_source(doc, env, path, profile, profile_via)
    database_url, shown = _effective_database_url(settings, env, path, cwd, warnings, source)
    ledger_url = ledger_shown = ledger_source = ""
    if settings.is_astpp:
        ledger_source = _url_source(doc, env, path, profile, profile_via, "ledger")
        ledger_url, ledger_shown = _effective_ledger_url(settings, ledger_source)
    if path is not None:
        warnings.extend(_permission_warnings(doc, path))
    return LoadedSettings(
        settings=settings,
        path=path,
        profile=profile,
        database_url=database_url,
        warnings=warnings,
        shown_url=shown,
        url_source=source,
        ledger_url=ledger_url,
        ledger_shown=ledger_shown,
        ledger_source=ledger_source,
    )


def _read_text(path: Path) -> str:
    from acctctl.bounded import CONFIG_MAX, read_text

    # bounded: ACCTCTL_CONFIG=/dev/zero ends at once, with the file and the limit named
    return read_text(path, what=f"config file {path}", limit=CONFIG_MAX, error=ConfigError)


_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def _parse_toml(text: str, path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        reason = str(exc)
        match = _TOML_POSITION.search(reason)
        if match:
            line, column = match.group(1), match.group(2)
            reason = reason[: match.start()]
            raise ConfigError(f"{path}:{line}:{column}: invalid TOML: {reason}") from exc
        raise ConfigError(f"{path}: invalid TOML: {reason}") from exc


def _apply_profile(
    doc: dict[str, Any], base: Settings, name: str, path: Path | None, locator: _KeyLocator
) -> Settings:
    """Deep-merge ``[profiles.NAME]`` over the top-level tables and validate the result."""
    if name not in base.profiles:
        if not base.profiles:
            where = str(path) if path is not None else "the built-in defaults"
            raise ConfigError(f"unknown profile '{name}': {where} defines no profiles")
        known = ", ".join(sorted(base.profiles))
        raise ConfigError(f"unknown profile '{name}'; known profiles: {known}")
    profile_doc = base.profiles[name]
    if "profiles" in profile_doc:
        line = locator.line_of(("profiles", name, "profiles"))
        raise ConfigError(f"{_where(path, line)}profiles.{name}.profiles: profiles cannot nest")
    top = {key: value for key, value in doc.items() if key != "profiles"}
    merged = _deep_merge(top, profile_doc)
    merged["profiles"] = base.profiles
    return _validate(merged, path, locator, profile_name=name, profile_doc=profile_doc)


def _deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Tables merge key by key at every depth; any other value (lists too) is replaced."""
    result = dict(base)
    for key, value in override.items():
        current = result.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            result[key] = _deep_merge(current, value)
        else:
            result[key] = value
    return result


def _validate(
    doc: dict[str, Any],
    path: Path | None,
    locator: _KeyLocator,
    profile_name: str | None,
    profile_doc: Mapping[str, Any] | None,
) -> Settings:
    """Validate and turn every error into ``file:line: dotted.key: message``."""
    try:
        return Settings.model_validate(doc)
    except SettingsError as exc:
        problems: list[tuple[int, str]] = []
        for error in exc.errors():
            loc = tuple(str(part) for part in error["loc"])
            if profile_name is not None and _comes_from(profile_doc or {}, loc):
                loc = ("profiles", profile_name, *loc)
            line = locator.line_of(loc)
            dotted = ".".join(loc)
            if error["type"] == "extra_forbidden":
                text = f"unknown key '{dotted}'"
            else:
                text = f"{dotted}: {error['msg']}"
            problems.append((line, f"{_where(path, line)}{text}"))
        problems.sort(key=lambda item: item[0])
        raise ConfigError("\n".join(message for _, message in problems)) from None


def _comes_from(profile_doc: Mapping[str, Any], loc: tuple[str, ...]) -> bool:
    """Whether the merged value at ``loc`` was set by the profile (else by the top level)."""
    node: Any = profile_doc
    for part in loc:
        if not isinstance(node, Mapping):
            return True  # reached a profile value (e.g. a list) and loc indexes into it
        if part not in node:
            return False
        node = node[part]
    return True


def _where(path: Path | None, line: int) -> str:
    name = str(path) if path is not None else BUILTIN_DEFAULTS
    return f"{name}:{line}: " if line else f"{name}: "


# --------------------------------------------------------------------------------------------
# Key locator: tomllib gives no positions for keys, so scan the text
# --------------------------------------------------------------------------------------------

_KEY_PART = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')"""
_KEY_PART_RE = re.compile(_KEY_PART)
_DOTTED = rf"{_KEY_PART}(?:\s*\.\s*{_KEY_PART})*"
_HEADER_RE = re.compile(rf"^\s*\[\[?\s*(?P<name>{_DOTTED})\s*\]\]?\s*(?:#.*)?$")
_ASSIGN_RE = re.compile(rf"^\s*(?P<key>{_DOTTED})\s*=")


class _KeyLocator:
    """Maps key paths to the 1-based line where they are defined (0 when unknown).

    Tracks ``[table]`` / ``[a.b]`` headers and ``key =`` / ``a.b =`` lines, skipping the body of
    multi-line strings and of multi-line arrays/inline tables. Keys inside inline tables are
    not indexed; :meth:`line_of` then falls back to the nearest enclosing key, which still
    points the user at the right line. Only ever run on text tomllib has already accepted.
    """

    def __init__(self, text: str) -> None:
        self._lines: dict[tuple[str, ...], int] = {}
        table: tuple[str, ...] = ()
        open_string: str | None = None
        depth = 0  # brackets/braces still open from a value that spans lines
        arrays: dict[tuple[str, ...], int] = {}  # [[name]] tables seen so far, by name
        for number, line in enumerate(text.splitlines(), start=1):
            if open_string is not None:
                if line.count(open_string) % 2 == 1:
                    open_string = None
                continue
            if depth > 0:
                depth += _bracket_balance(line)
                continue
            header = _HEADER_RE.match(line)
            if header:
                table = _split_key(header.group("name"))
                if line.lstrip().startswith("[["):  # an array of tables: an error's loc
                    # names each entry by its index ("registrars", "1", "kind")
                    index = arrays[table] = arrays.get(table, -1) + 1
                    table = (*table, str(index))
                self._lines.setdefault(table, number)
                continue
            assign = _ASSIGN_RE.match(line)
            if assign:
                self._lines.setdefault(table + _split_key(assign.group("key")), number)
                value = line[assign.end() :]
                for delimiter in ('"""', "'''"):
                    if value.count(delimiter) % 2 == 1:
                        open_string = delimiter
                        break
                else:
                    depth = max(_bracket_balance(value), 0)

    def line_of(self, loc: tuple[str, ...]) -> int:
        for end in range(len(loc), 0, -1):
            line = self._lines.get(loc[:end])
            if line is not None:
                return line
        return 0


_STRING_OR_COMMENT_RE = re.compile(r"""\"(?:[^\"\\]|\\.)*\"|'[^']*'|#.*""")


def _bracket_balance(line: str) -> int:
    """Opened minus closed brackets and braces on a line, ignoring strings and comments."""
    code = _STRING_OR_COMMENT_RE.sub("", line)
    return code.count("[") + code.count("{") - code.count("]") - code.count("}")


def _split_key(dotted: str) -> tuple[str, ...]:
    parts = []
    for token in _KEY_PART_RE.findall(dotted):
        if token.startswith('"'):
            token = token[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")
        elif token.startswith("'"):
            token = token[1:-1]
        parts.append(token)
    return tuple(parts)


# --------------------------------------------------------------------------------------------
# Database URL
# --------------------------------------------------------------------------------------------

_POSTGRES_SCHEME = re.compile(r"^(?:postgres|postgresql)://", re.IGNORECASE)
_MYSQL_SCHEME = re.compile(r"^(?:mysql|mariadb)://", re.IGNORECASE)  # PyMySQL: pure Python


def _url_source(doc: Mapping[str, Any], env: Mapping[str, str], path: Path | None,
                profile: str | None, profile_via: str, section: str = "database") -> str:
    """Where the URL of `section` (database, ledger) comes from, for messages: an unreachable
    database is fixed where its URL was set (the file and key, the environment), so the
    message names it."""
    env_key = ENV_DATABASE_URL if section == "database" else None  # the ledger has none
    if env_key and env.get(env_key):
        return f"${env_key}"
    if profile is not None and _dig(doc, "profiles", profile, section, "url"):
        return f"profiles.{profile}.{section}.url in {path}, selected by {profile_via}"
    if _dig(doc, section, "url"):
        return f"{section}.url in {path}"
    where = str(path) if path is not None else "any config file"
    return (f"the built-in default: no {section}.url in {where}"
            + (f", no ${env_key}" if env_key else ""))


def _effective_database_url(
    settings: Settings, env: Mapping[str, str], path: Path | None, cwd: Path,
    warnings: list[str], source: str,
) -> tuple[str, str]:
    """(the URL to connect with, the URL to show): env override > config > SQLite default;
    psycopg/PyMySQL driver; password_file applied to the first, never to the second.

    ``password_file`` wins over a password already in the URL (from the file or from
    ``$ACCTCTL_DATABASE_URL``): it is the explicit, file-permission-protected way to give one.
    A relative ``password_file`` is resolved against the config file's directory.
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from_env = env.get(ENV_DATABASE_URL) or ""
    url = from_env or settings.database.url
    if not url:
        url = default_database_url()
    shown = mask_url(url)  # as written: no driver name the user never typed
    url = _POSTGRES_SCHEME.sub("postgresql+psycopg://", url, count=1)
    url = _MYSQL_SCHEME.sub("mysql+pymysql://", url, count=1)

    key = f"${ENV_DATABASE_URL}" if from_env else "database.url"
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise ConfigError(f"{key} is not a valid database URL: {shown} (from {source})"
                          ) from exc
    if settings.is_astpp and parsed.get_backend_name() != "mysql":
        raise ConfigError(
            f'database.target = "astpp" needs a mysql:// or mariadb:// URL, got {shown} '
            f"(from {source})"
        )

    password_file = settings.database.password_file
    if not password_file:
        return url, shown
    if parsed.get_backend_name() == "sqlite":
        warnings.append("warning: database.password_file is ignored for a SQLite database")
        return url, shown
    password = _read_password_file(password_file, path, cwd, warnings)
    return parsed.set(password=password).render_as_string(hide_password=False), shown


def _effective_ledger_url(settings: Settings, source: str) -> tuple[str, str]:
    """(the URL to connect with, the URL to show) of the astpp target's ledger: acctctl's own
    schema, so SQLite or PostgreSQL (its default: the default SQLite file)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    url = settings.ledger.url or default_database_url()
    shown = mask_url(url)
    url = _POSTGRES_SCHEME.sub("postgresql+psycopg://", url, count=1)
    try:
        backend = make_url(url).get_backend_name()
    except (ArgumentError, ValueError) as exc:
        raise ConfigError(f"ledger.url is not a valid database URL: {shown} (from {source})"
                          ) from exc
    if backend not in ("sqlite", "postgresql"):
        raise ConfigError(
            f"ledger.url must be a sqlite:/// or postgresql:// URL (the ledger is a database "
            f"of acctctl's own schema), got {shown} (from {source})")
    return url, shown


def shown_url(url: str) -> str:
    """A URL acctctl made (driver added) as the user would have written it, password
    masked: for messages that have only an engine's URL at hand."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return mask_url(url)
    backend = parsed.get_backend_name()
    if backend in ("postgresql", "mysql") and parsed.drivername != backend:
        parsed = parsed.set(drivername=backend)
    if backend == "mysql" and parsed.query.get("charset") == "utf8mb4":
        parsed = parsed.difference_update_query(["charset"])  # acctctl's own addition
    return mask_url(parsed.render_as_string(hide_password=False))


def _read_password_file(
    value: str, config: Path | None, cwd: Path, warnings: list[str],
    key: str = "database.password_file",
) -> str:
    pw_path = Path(value).expanduser()
    if not pw_path.is_absolute():
        pw_path = (config.parent if config is not None else cwd) / pw_path
    warnings.extend(_readable_by_others(pw_path))
    from acctctl.bounded import SECRET_FILE_MAX, read_text

    password = read_text(pw_path, what=f"{key} {pw_path}",
                         limit=SECRET_FILE_MAX, error=ConfigError)
    password = password.rstrip("\r\n")
    if not password:
        raise ConfigError(f"{key} {pw_path} is empty")
    return password


def registrar_url(loaded: LoadedSettings, registrar: RegistrarSettings,
                  warnings: list[str], cwd: Path | None = None) -> tuple[str, str]:
    """(the URL to connect to a registrar with, the URL to show) as for the database URL:
    the psycopg/PyMySQL driver, and the password from ``password_file`` (relative to the
    config file's directory) applied to the first only."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    shown = mask_url(registrar.url)
    url = _POSTGRES_SCHEME.sub("postgresql+psycopg://", registrar.url, count=1)
    url = _MYSQL_SCHEME.sub("mysql+pymysql://", url, count=1)
    key = f"registrars.{registrar.name}"
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise ConfigError(f"{key}.url is not a valid database URL: {shown}") from exc
    if registrar.password_file:
        password = _read_password_file(registrar.password_file, loaded.path,
                                       Path.cwd() if cwd is None else cwd, warnings,
                                       key=f"{key}.password_file")
        parsed = parsed.set(password=password)
    return parsed.render_as_string(hide_password=False), shown


_URL_USERINFO = re.compile(r"(?P<head>://[^:/?#@\s]*:)[^\s]*@")
_QUERY_PASSWORD = re.compile(r"(?P<head>[?&]password=)[^&#\s]*", re.IGNORECASE)


def mask_url(url: str) -> str:
    """Hide any password in ``url`` as ``***``, for messages and ``config show``.

    SQLAlchemy parses real URLs; anything it cannot parse (or parses with a stray ``@`` left
    in the host, which means an unescaped ``@`` in the password) falls back to a regex that
    hides everything between ``user:`` and the last ``@`` — erring towards hiding too much.
    A ``password=`` query parameter (libpq accepts one) is hidden too.
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    masked: str | None = None
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        parsed = None
    if parsed is not None and "@" not in (parsed.host or ""):
        masked = parsed.render_as_string(hide_password=True) if parsed.password else url
    if masked is None:
        masked = _URL_USERINFO.sub(r"\g<head>***@", url)
    return _QUERY_PASSWORD.sub(r"\g<head>***", masked)


def _has_password(url: Any) -> bool:
    if not isinstance(url, str) or not url:
        return False
    return mask_url(url) != url


# --------------------------------------------------------------------------------------------
# Warnings
# --------------------------------------------------------------------------------------------


def _permission_warnings(doc: Mapping[str, Any], path: Path) -> list[str]:
    """Warn when a file holding a DB password can be read by group or others."""
    urls = [_dig(doc, section, "url") for section in ("database", "ledger")]
    profiles = doc.get("profiles")
    if isinstance(profiles, Mapping):
        urls += [_dig(p, section, "url") for p in profiles.values()
                 for section in ("database", "ledger")]
    for where in [doc, *(profiles.values() if isinstance(profiles, Mapping) else ())]:
        registrars = where.get("registrars") if isinstance(where, Mapping) else None
        if isinstance(registrars, list):
            urls += [_dig(r, "url") for r in registrars]
    if not any(_has_password(url) for url in urls):
        return []
    return _readable_by_others(path)


def _readable_by_others(path: Path) -> list[str]:
    """The warning for a file holding a database password that group or others can read."""
    if os.name == "nt":
        return []
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return []
    if mode & 0o077:
        return [
            f"warning: {path} holds a database password and is readable by group or others; "
            f"run: chmod 600 {path}"
        ]
    return []


def _dig(doc: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(doc, Mapping):
            return None
        doc = doc.get(key)
    return doc


# --------------------------------------------------------------------------------------------
# config show / config init
# --------------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """Make a model dump TOML-serialisable: Decimal becomes int when whole, else str."""
    if isinstance(value, Decimal):
        if value.is_finite() and value == value.to_integral_value():
            return int(value)
        return str(value)
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _sections(settings: Settings) -> dict[str, Any]:
    return _plain(settings.model_dump(include=set(SECTIONS)))


def effective_settings_dict(loaded: LoadedSettings) -> dict[str, Any]:
    """The merged settings for ``config show``: password masked, no ``profiles`` table.

    ``profile`` is ``"(none)"`` rather than None so the result stays TOML-serialisable.
    """
    sections = _sections(loaded.settings)
    sections["database"]["url"] = loaded.shown_url or shown_url(loaded.database_url)
    if loaded.settings.is_astpp:
        sections["ledger"]["url"] = loaded.ledger_shown or shown_url(loaded.ledger_url)
    else:
        for section in ASTPP_SECTIONS:  # [astpp] and [ledger] mean nothing to acctctl's schema
            sections.pop(section)
    for registrar in sections["registrars"]:
        registrar["url"] = mask_url(registrar["url"])
    if not sections["registrars"]:
        sections.pop("registrars")  # TOML has no empty array of tables worth printing
    return {
        "config_file": str(loaded.path) if loaded.path is not None else BUILTIN_DEFAULTS,
        "profile": loaded.profile if loaded.profile is not None else NO_PROFILE,
        **sections,
    }


def default_config_dict() -> dict[str, Any]:
    """The full default document (database/numbers/passwords/defaults) for ``config init``;
    ``[astpp]`` and ``[ledger]`` only matter with ``database.target = "astpp"``: the caller
    adds them."""
    doc = _sections(Settings())
    for section in ASTPP_SECTIONS:
        doc.pop(section)
    doc.pop("registrars")
    return doc


def write_config(path: Path, values: dict, force: bool = False) -> None:
    """Write ``values`` as TOML with mode 0600; refuse to overwrite unless ``force``.

    The file is created with 0600 by ``os.open`` itself, so it is never world-readable even
    briefly (it may hold a database URL with a password). Without ``force`` it is opened with
    O_EXCL, so a file created concurrently is not clobbered either. New parent directories
    are created private (0700), as kcadm does for its config dir.
    """
    path = Path(path)
    _validate(values, path, _KeyLocator(""), None, None)  # never write what cannot load
    content = tomli_w.dumps(_plain(values)).encode("utf-8")  # fail before touching the disk
    refuse = ConfigError(f"{path} exists; use --force to overwrite")
    if path.exists() and not force:
        raise refuse
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if force else os.O_EXCL)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, flags, 0o600)
    except FileExistsError:
        raise refuse from None
    except OSError as exc:
        raise ConfigError(f"cannot write config file {path}: {_reason(exc)}") from exc
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o600)  # an overwritten file keeps its old mode otherwise
        with os.fdopen(fd, "wb") as handle:
            fd = -1
            handle.write(content)
    except OSError as exc:
        raise ConfigError(f"cannot write config file {path}: {_reason(exc)}") from exc
    finally:
        if fd != -1:
            os.close(fd)


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)
