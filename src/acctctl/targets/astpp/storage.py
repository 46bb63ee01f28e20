"""The astpp target as a Storage (acctctl.storage): connect, check the database is ASTPP 6.0.x,
read its settings and lists, apply its extra rules, and write the accounts the shared create
pipeline hands it, in one transaction serialised by a named lock and re-run on a deadlock.

Nothing here creates or alters a table (no DDL, no Alembic on this target).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from acctctl.errors import ConfigError, DatabaseError, UsageError
from acctctl.storage import (
    AccountFilter,
    Device,
    InsertBatch,
    Ledger,
    NewAccount,
    Storage,
    StoredAccount,
    transaction_on,
)
from acctctl.targets.astpp import columns as C
from acctctl.targets.astpp import edit, encoding
from acctctl.targets.astpp import lifecycle as L

#: The session every connection gets: strict, so a value ASTPP's columns cannot hold is an
#: error instead of a silent cut (no NO_ZERO_DATE: ASTPP's zero dates must stay writable);
#: UTC, as ASTPP's gmdate() clock.
SESSION_SQL_MODE = "STRICT_ALL_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION"
# one named lock per database serialises every acctctl writer of it (GET_LOCK is server-wide)
LOCK_NAME = "LEFT(CONCAT('acctctl.astpp:', DATABASE()), 64)"
LOCK_TIMEOUT_S = 300
DEADLOCK = 1213  # InnoDB rolled the whole transaction back: run it again
SUPPORTED_VERSION = re.compile(r"6\.0(\.\d+)*")
#: system keys ASTPP's get_system_config renames (the underscore goes)
RENAMES = {"card_length": "cardlength", "pin_length": "pinlength",
           "starting_digit": "startingdigit", "decimal_points": "decimalpoints"}
#: system values the columns table reads, with ASTPP's seed value when a row is missing
SYSTEM_FALLBACKS = {
    "paypal_permission": "0", "notifications": "0", "generate_invoice": "0",
    "charge_per_min": "0", "is_recording": "1", "allow_ip_management": "1",
    "notify_flag": "0", "notify_credit_limit": "0", "validfordays": "3650",
    "maxchannels": "0", "create_sipdevice": "0", "generate_pin": "0",
}
#: what the look-ups read, besides the written columns (checked by the fingerprint too)
READ_COLUMNS = {
    "system": ["name", "value"],
    "countrycode": ["id", "iso", "nicename", "iso3", "countrycode"],
    "timezone": ["id", "timezone_name"],
    "currency": ["id", "currency", "currencyname", "currencyrate"],
    "pricelists": ["id", "name", "status", "reseller_id"],
    "taxes": ["id", "taxes_description", "taxes_priority", "status", "reseller_id"],
    "permissions": ["id", "name", "description", "login_type", "reseller_id"],
    "sweeplist": ["id", "sweep"],
    "sip_profiles": ["id"],
}
XML_BREAKERS = '"<>&'  # FreeSWITCH's directory XML is built without escaping these


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        return default


def read_private_key(path: str) -> str:
    """PRIVATE_KEY from ASTPP's astpp-config.conf (an INI file without sections)."""
    from acctctl.bounded import CONFIG_MAX, read_text

    def error(message: str) -> ConfigError:
        return ConfigError(message, hint="it is ASTPP's own /var/lib/astpp/astpp-config.conf")

    text = read_text(path, what=f"astpp.config_file {path}", limit=CONFIG_MAX, error=error)
    for line in text.splitlines():
        name, sep, value = line.partition("=")
        if sep and name.strip() == "PRIVATE_KEY":
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                value = value[1:-1]
            if value:
                return value
    raise ConfigError(f"astpp.config_file {path} has no PRIVATE_KEY")


def make_engine(url: str, shown: str | None = None, source: str | None = None) -> Engine:
    """shown, source: the URL as the user wrote it (masked) and where it was set, which
    messages name (never the driver URL with acctctl's charset)."""
    from sqlalchemy.engine import make_url

    from acctctl.db.engine import display, labelled

    parsed = make_url(url).update_query_dict({"charset": "utf8mb4"})
    engine = sa.create_engine(parsed, hide_parameters=True, isolation_level="READ COMMITTED",
                              connect_args={"connect_timeout": 10})
    labelled(engine, shown or display(url), source)

    @sa.event.listens_for(engine, "connect")
    def _session(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute(f"SET SESSION sql_mode = '{SESSION_SQL_MODE}'")
        cursor.execute("SET SESSION time_zone = '+00:00'")
        cursor.close()

    return engine


#: One line, said by the commands that store passwords (docs/astpp.md, "The public key")
PUBLIC_KEY_WARNING = "warning: ASTPP's PRIVATE_KEY is its public default (docs/astpp.md)"


def _loose_key_file(path: str) -> list[str]:
    """The warning for a key file that group or others can read (as for a password_file)."""
    import os
    import stat
    from pathlib import Path

    if os.name == "nt":
        return []
    try:
        mode = stat.S_IMODE(Path(path).expanduser().stat().st_mode)
    except OSError:
        return []
    if mode & 0o077:
        return [f"warning: {path} holds ASTPP's PRIVATE_KEY and is readable by group or "
                f"others; run: chmod 600 {path}"]
    return []


#: The operations this storage does (supports()); every other command that opens the database
#: exits 2 here.
OPERATIONS = ("create", "account list", "account show", "account export", "rategroup list",
              "tax list", "role list", "reference", "account update",
              # the account's life (targets/astpp/lifecycle.py)
              "account disable", "account enable", "account delete",
              "account reset-password", "account rotate-sip-secret",
              "ledger", "batch", "audit",  # the ledger (trail.py)
              "plan", "apply",  # accounts as code: accounts, rate groups and taxes
              # rate groups and taxes (targets/astpp/entries.py); roles are not built here
              "rategroup create", "rategroup update", "rategroup delete",
              "tax create", "tax update", "tax delete",
              "registrar check", "registrar sync")  # record in the ledger (registrars)
#: `account list` parts ASTPP reads (targets/astpp/reads.py), "total" being the "100 of N"
#: note; --batch from the ledger (a batch's accounts are in acctctl's own database).
LIST_FLAGS = ("--kind", "--reseller", "--limit", "--status", "--search", "--created-after",
              "--include-deleted", "--sort", "--offset", "total", "--batch")


class AstppStorage(Storage):
    """An ASTPP 6.0.x database. Nothing here creates or alters a table."""

    name = "astpp"
    may_retry = True

    @classmethod
    def supports(cls, operation: str) -> bool:
        words = operation.split()
        if words[:2] == ["account", "list"]:  # and its parts: "account list --status"
            return all(w in LIST_FLAGS for w in words[2:])
        return any(words[: len(c.split())] == c.split() for c in OPERATIONS)

    @classmethod
    def open(cls, loaded: Any, *, warn: Any = None, dry_run: bool = False) -> AstppStorage:
        """Connect, fingerprint, read ASTPP's settings."""
        from acctctl.db.engine import check_connection

        settings = loaded.settings
        key = read_private_key(settings.astpp.config_file)
        for message in _loose_key_file(settings.astpp.config_file):
            if warn is not None:
                warn(message)
        if settings.passwords.generated_length > encoding.MAX_PASSWORD_BYTES:
            raise ConfigError(f"passwords.generated_length must be at most "
                              f"{encoding.MAX_PASSWORD_BYTES} on the astpp target")
        engine = make_engine(loaded.database_url, loaded.shown_url, loaded.url_source)
        check_connection(engine)
        storage = cls(engine, settings, key)
        storage.loaded, storage.dry_run = loaded, dry_run  # the ledger's URL; initialise it?
        storage.check()
        # the public key matters to the commands that store passwords: they warn (once)
        storage.warn = warn
        return storage

    def check(self) -> None:
        with self._engine.connect() as conn:
            self.fingerprint(conn, self.raw_settings.astpp.config_file)
            self.load(conn)

    @property
    def engine(self) -> Engine:
        return self._engine

    def __init__(self, engine: Engine, settings: Any, key: str):
        from acctctl.targets.astpp import catalog

        self._engine = engine
        self.key = key
        self.raw_settings = settings
        self._settings = settings
        self.catalog = catalog.Catalog(self)
        self.cfg: dict[str, str] = {}
        self.warn = None  # the CLI's warn(), for the public-key warning
        self.warned_public_key = False
        # ASTPP's form turns low-balance mails on (system notify_flag 0), unless the profile
        # sets [defaults] email_alerts: then for an account that has an address to send to
        self.email_alerts_on = False
        self.loaded: Any = None  # config.LoadedSettings, set by open(): the ledger's URL
        self.dry_run = False
        self._ledger: Any = None  # targets/astpp/trail.AstppLedger, on first use

    def after_write(self, batch: InsertBatch) -> None:
        """Once, when a command stored passwords encoded with ASTPP's public key."""
        if (self.key == encoding.PUBLIC_DEFAULT_KEY and self.warn is not None
                and not self.warned_public_key and not batch.dry_run):
            self.warned_public_key = True
            self.warn(PUBLIC_KEY_WARNING)

    # --- before anything: is this ASTPP 6.0.x, and is the key its key? -------------------

    def fingerprint(self, conn: Connection, key_file: str) -> None:
        from acctctl.db.engine import label

        url = label(self._engine)[0]
        try:
            tables = set(conn.execute(sa.text(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()"
            )).scalars())
        except sa.exc.DBAPIError as exc:
            raise DatabaseError(f"cannot read the tables of {url}: {exc.orig}") from None
        if "system" not in tables or "accounts" not in tables:
            raise DatabaseError(f"{url} is not an ASTPP database: it has no `system` and "
                                "`accounts` tables; nothing was written")
        version = conn.execute(sa.text(
            "SELECT value FROM `system` WHERE name = 'version' ORDER BY id DESC LIMIT 1"
        )).scalar()
        if version is None or not SUPPORTED_VERSION.fullmatch(str(version).strip()):
            raise DatabaseError(f"{url} is not an ASTPP 6.0.x database (system version "
                                f"{version!r}); acctctl writes ASTPP 6.0.x only")
        needed = {**{t: list(c) for t, c in C.WRITTEN_COLUMNS.items()}, **READ_COLUMNS}
        found: dict[str, set[str]] = {}
        for table, column in conn.execute(sa.text(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = DATABASE()"
        )):
            found.setdefault(table, set()).add(column)
        missing = [f"{t}.{c}" for t, cols in needed.items() for c in cols
                   if c not in found.get(t, set())]
        if missing:
            raise DatabaseError(f"{url} does not have the ASTPP 6.0.x columns acctctl writes: "
                                f"missing {', '.join(missing[:8])}"
                                f"{' …' if len(missing) > 8 else ''}; nothing was written")
        stored = conn.execute(sa.text(
            "SELECT password FROM accounts WHERE type = -1 AND deleted = 0 ORDER BY id LIMIT 1"
        )).scalar()
        if stored is None:
            raise DatabaseError(f"{url} has no live super admin (type -1) account: cannot "
                                "check the PRIVATE_KEY")
        if not stored:
            raise DatabaseError("the super admin's stored password is empty: this ASTPP "
                                "writes empty passwords (PHP 8 with OpenSSL 3 lacks Blowfish "
                                "without the legacy provider); fix ASTPP before provisioning")
        try:
            encoding.decode(stored, self.key)
        except ValueError:
            raise DatabaseError(f"the PRIVATE_KEY in {key_file} does not decode the super "
                                "admin's password: it is not this ASTPP's key; nothing "
                                "was written") from None

    # --- ASTPP's settings and lists -------------------------------------------------------

    def load(self, conn: Connection) -> None:
        cfg = dict(SYSTEM_FALLBACKS)
        for name, value in conn.execute(sa.text("SELECT name, value FROM `system` ORDER BY id")):
            cfg[RENAMES.get(name, name)] = "" if value is None else str(value)
        self.cfg = cfg
        # ISO alpha-2 -> (id, name, alpha-3, dial code)
        self.countries: dict[str, tuple[int, str, str, str]] = {}
        self.country_iso: dict[int, str] = {}
        for cid, iso, name, iso3, dial in conn.execute(sa.text(
                "SELECT id, iso, nicename, iso3, countrycode FROM countrycode ORDER BY id")):
            if iso and iso.upper() not in self.countries:
                self.countries[iso.upper()] = (cid, name or "", iso3 or "", str(dial or ""))
                self.country_iso[cid] = iso.upper()
        self.zones: dict[str, int] = {}  # casefolded name -> id
        self.zone_name: dict[int, str] = {}
        for zid, name in conn.execute(sa.text(
                "SELECT id, timezone_name FROM timezone ORDER BY id")):
            if name and name.casefold() not in self.zones:
                self.zones[name.casefold()] = zid
                self.zone_name[zid] = name
        # currency codes are not unique in ASTPP (GBP twice...): the first row wins, as there
        self.currencies: dict[str, tuple[int, Decimal, str]] = {}
        self.currency_code: dict[int, str] = {}
        for cid, code, name, rate in conn.execute(sa.text(
                "SELECT id, currency, currencyname, currencyrate FROM currency ORDER BY id")):
            self.currency_code[cid] = (code or "").upper()
            if code and code.upper() not in self.currencies:
                self.currencies[code.upper()] = (cid, Decimal(str(rate or 1)), name or "")
        self.sweeps = {str(name).strip().casefold(): sid for sid, name in conn.execute(
            sa.text("SELECT id, sweep FROM sweeplist"))}
        self.sip_profile_id = conn.execute(sa.text("SELECT MIN(id) FROM sip_profiles")).scalar()
        admin = conn.execute(sa.text(
            "SELECT currency_id FROM accounts WHERE type = -1 AND deleted = 0 ORDER BY id LIMIT 1"
        )).first()
        base = self.currencies.get(cfg.get("base_currency", "").upper())
        self.base_rate = base[1] if base else Decimal(1)
        creator = next((v for v in self.currencies.values() if admin and v[0] == admin[0]), None)
        self.creator_rate = creator[1] if creator else self.base_rate
        self._settings = self._with_astpp_defaults(self.raw_settings)

    def _with_astpp_defaults(self, settings: Any) -> Any:
        """ASTPP's form pre-fills country, time zone, currency, valid days, channels and the
        low-balance limit from `system`; the profile's own [defaults] keys win."""
        from acctctl.config import DefaultsSettings, NumbersSettings

        cfg, own = self.cfg, settings.defaults.model_fields_set
        found: dict[str, Any] = {}
        country = self.country_iso.get(_int(cfg.get("country")))
        if country:
            found["country"] = country
        zone = self.zone_name.get(_int(cfg.get("default_timezone")))
        if zone:
            found["timezone"] = zone
        if cfg.get("base_currency", "").upper() in self.currencies:
            found["currency"] = cfg["base_currency"].upper()
        days = _int(cfg.get("validfordays"), 3650)
        found["valid_days"] = days if days > 0 else 7300  # ASTPP: 7300 when <= 0
        found["max_channels"] = max(_int(cfg.get("maxchannels")), 0)
        found["low_balance_alert"] = cfg.get("notify_credit_limit") or "0"
        found["create_sip_device"] = cfg.get("create_sipdevice", "0").strip() == "0"
        self.email_alerts_on = ("email_alerts" not in own
                                and cfg.get("notify_flag", "0").strip() == "0")
        values = settings.defaults.model_dump()
        values.update({k: v for k, v in found.items() if k not in own})
        try:
            defaults = DefaultsSettings.model_validate(values)
        except Exception as exc:  # e.g. an ASTPP zone name that is not an IANA name
            raise ConfigError(f"ASTPP's default settings do not fit acctctl's rules: {exc}",
                              hint="set the key in the profile's [defaults]") from None
        # only the profile's own keys count as set: ASTPP's are defaults, which the wizard's
        # country may move (its time zone and currency), as on acctctl's own schema
        defaults.model_fields_set = set(own)
        numbers = settings.numbers.model_dump()
        own_numbers = settings.numbers.model_fields_set
        if "length" not in own_numbers:
            numbers["length"] = min(_int(cfg.get("cardlength"), 10) or 10, 18)
        if "generate_pin" not in own_numbers:
            numbers["generate_pin"] = cfg.get("generate_pin", "0").strip() == "0"
        if "pin_length" not in own_numbers:  # ASTPP never uses fewer than 6 digits
            numbers["pin_length"] = max(6, min(_int(cfg.get("pinlength"), 6), 20))
        start = cfg.get("startingdigit", "").strip()
        if ("prefix" not in own_numbers and start.isascii() and start.isdigit()
                and not start.startswith("0") and len(start) < numbers["length"]):
            numbers["prefix"] = start  # ASTPP's fixed leading digits of generated numbers
        try:
            numbers_settings = NumbersSettings.model_validate(numbers)
        except Exception as exc:  # e.g. the profile's prefix as long as ASTPP's card_length
            raise ConfigError(f"ASTPP's number settings do not fit the profile's [numbers]: "
                              f"{exc}", hint="set numbers.length in the profile") from None
        return settings.model_copy(update={"defaults": defaults, "numbers": numbers_settings})

    # --- what the wizard and the pipeline fill in as ASTPP's form would ------------------

    def suggestion(self, kind: str, key: str, values: dict, suggested: Any) -> Any:
        """The wizard's offer for `key` given the answers so far: a country's time zone and
        currency from ASTPP's own lists (None when ASTPP has neither), email alerts on once
        there is an address (ASTPP's form)."""
        from acctctl.models import codes

        if key == "email_alerts":
            if self.email_alerts_on and (values.get("email") or values.get("notify_email")):
                return True
            return suggested
        if suggested is None or key not in ("timezone", "currency"):
            return suggested
        if key == "currency":
            return suggested if suggested in self.currencies else None
        for zone in codes.country_timezones(str(values.get("country") or "")):
            if zone.casefold() in self.zones:
                return self.zone_name[self.zones[zone.casefold()]]
        return None

    def prefill(self, kind: str, data: dict) -> None:
        """A row's defaults that depend on its other fields: ASTPP's form turns email alerts
        on, for an account with an address to send them to (off without one)."""
        from acctctl.models.inputs import KINDS

        if (self.email_alerts_on and data.get("email_alerts") is None
                and "email_alerts" in KINDS[kind].model_fields
                and (data.get("email") or data.get("notify_email"))):
            data["email_alerts"] = True

    # --- the storage interface the create pipeline calls ---------------------------------

    def lookups(self, conn: Connection):
        from acctctl.targets.astpp.catalog import AstppLookups

        return AstppLookups(conn)

    def check_fields(self, kind: str, model: Any, given: dict) -> list[tuple[str, str]]:
        """ASTPP's own limits on top of the shared field rules (exit 3 like any rule)."""
        values = model.__dict__
        problems = []
        for key, value in values.items():
            problem = self.check_value(kind, key, value)
            if problem:
                problems.append((key, problem))
        if kind in ("admin", "subadmin"):
            for key in ("country", "timezone"):
                if key in given:
                    problems.append((key, f"ASTPP sets an {kind}'s {key} itself; it cannot be "
                                     "given on the astpp target"))
        if kind == "provider" and values.get("reseller"):
            problems.append(("reseller", "ASTPP's providers belong to the admin; --reseller "
                             "applies to customers and resellers on the astpp target"))
        if getattr(model, "sip_device", False) and self.sip_profile_id is None:
            problems.append(("sip_device", "ASTPP has no SIP profile to attach a device to "
                             "(sip_profiles is empty); use --no-sip-device"))
        return problems

    def fixed_fields(self, kind: str) -> tuple[str, ...]:
        """ASTPP sets an admin's country and time zone itself (a sub-admin's to none)."""
        return ("country", "timezone") if kind in ("admin", "subadmin") else ()

    def check_value(self, kind: str, key: str, value: Any) -> str | None:
        """One field's value against ASTPP's limits (the wizard asks again when it fails)."""
        if value is None:
            return None
        admin_kind = kind in ("admin", "subadmin")
        if key == "password_hash":
            return ("cannot be used on the astpp target: ASTPP keeps reversible passwords, "
                    "not hashes (give password)")
        if key == "password":
            raw = value.get_secret_value() if hasattr(value, "get_secret_value") else str(value)
            if len(raw.encode("utf-8")) > encoding.MAX_PASSWORD_BYTES:
                return (f"must be at most {encoding.MAX_PASSWORD_BYTES} bytes on the astpp "
                        "target (ASTPP's password column)")
            if any(ch in raw for ch in XML_BREAKERS):
                return ("must not contain \" < > or & on the astpp target (ASTPP's FreeSWITCH "
                        "directory XML does not escape them)")
        if key == "email" and kind in ("customer", "provider") and any(
                ch in value for ch in XML_BREAKERS):
            return ("must not contain \" < > or & on the astpp target (the SIP device's "
                    "voicemail address goes unescaped into FreeSWITCH's directory XML)")
        column = C.COLUMN_OF_FIELD.get(key)
        if column and isinstance(value, str):
            if any(ord(ch) > 0xFFFF for ch in value):
                return ("must not contain characters outside the Basic Multilingual Plane "
                        "(e.g. emoji): ASTPP's tables are utf8mb3")
            if len(value) > C.WIDTHS[column]:
                return (f"must be at most {C.WIDTHS[column]} characters on the astpp target "
                        f"(ASTPP's {column} column), got {len(value)}")
        if admin_kind:
            return None
        if key == "country" and value not in self.countries:
            return f"ASTPP has no country {value} (its countrycode table)"
        if key == "timezone" and value.casefold() not in self.zones:
            return (f"ASTPP has no time zone {value} (its list has {len(self.zones)}: "
                    "acctctl reference timezones)")
        if key == "currency" and value not in self.currencies:
            return f"ASTPP has no currency {value}"
        if key == "billing_schedule" and value not in self.sweeps:
            return (f"ASTPP has no {value} billing schedule (its sweeplist has "
                    f"{', '.join(sorted(self.sweeps))})")
        return None

    def protect_passwords(self, passwords: list[str], settings: Any, profile=None) -> list[str]:
        return [encoding.encode(p, self.key) for p in passwords]

    def hashes_passwords(self) -> bool:
        return False  # ASTPP keeps reversible passwords: encoded, not hashed

    def insert(self, conn: Connection, batch: InsertBatch, rows: list[NewAccount]) -> list[int]:
        pending = rows
        now = batch.now.astimezone(UTC).replace(microsecond=0, tzinfo=None)
        drafts = [self._draft(conn, batch, p, now) for p in pending]
        rows = [C.account_row(d) for d in drafts]
        accounts = _table("accounts", rows[0])
        conn.execute(sa.insert(accounts), sorted(rows, key=lambda r: r["number"]))
        ids: dict[str, int] = {}
        numbers = [r["number"] for r in rows]
        for start in range(0, len(numbers), 500):
            ids.update(conn.execute(sa.text(
                "SELECT number, id FROM accounts WHERE deleted = 0 AND number IN :n"
            ).bindparams(sa.bindparam("n", expanding=True)), {"n": numbers[start:start + 500]}
            ).all())
        devices, links, invoices = [], [], []
        for p, d in zip(pending, drafts, strict=True):
            d.account_id = ids[p.model.number]
            if getattr(p.model, "sip_device", False):
                carried = getattr(p.model, "sip_password", None)  # a file row may carry one
                secret = p.generated.get("sip_password") or carried.get_secret_value()
                devices.append(C.sip_device_row(d, secret, self.sip_profile_id))
            links += C.tax_rows(d)
            if d.kind == "reseller":
                invoices.append(C.invoice_conf_row(d))
            p.values = self._record_values(conn, batch, p, d)
        for name, written in (("sip_devices", devices), ("taxes_to_accounts", links),
                              ("invoice_conf", invoices)):
            if written:
                conn.execute(sa.insert(_table(name, written[0])), written)
        if devices:
            self.devices_changed("added", [d["username"] for d in devices],
                                 [C.device_secret(d) for d in devices])
        return [d.account_id for d in drafts]

    def _draft(self, conn: Connection, batch: InsertBatch, p: NewAccount,
               now: datetime) -> C.Draft:
        m, kind, cfg = p.model, batch.kind, self.cfg
        d = C.Draft(kind=kind, model=m, cfg=cfg, now=now, password=p.password_hash)
        d.reseller_id = p.ids["reseller_id"] or 0
        d.pricelist_id = p.ids["rate_group_id"] or 0
        d.permission_id = p.ids["role_id"] or 0
        if kind in ("admin", "subadmin"):
            if kind == "admin":  # ASTPP forces the system defaults on admins, 0 on sub-admins
                d.country_id = _int(cfg.get("country"))
                d.timezone_id = _int(cfg.get("default_timezone"))
                d.currency_id = self.currencies.get(cfg.get("base_currency", "").upper(),
                                                    (0,))[0]
        else:
            d.country_id = self.countries[m.country][0]
            d.timezone_id = self.zones[m.timezone.casefold()]
            d.currency_id = self.currencies[m.currency][0]
            d.sweep_id = self.sweeps[m.billing_schedule]
            if m.account_type == "postpaid":  # given in the creating admin's currency
                d.credit_limit = edit.to_base_currency(self, m.credit_limit)
            d.taxes = [(t, self.catalog.tax_priority(conn, t)) for t in
                       dict.fromkeys(p.ids["tax_ids"])]
        if kind == "reseller":
            d.is_distributor = self.catalog.parent_distributor(conn, d.reseller_id)
        cfg_days = _int(cfg.get("validfordays"), 3650)
        if m.valid_days:
            d.valid_days, d.expiry = m.valid_days, now + timedelta(days=m.valid_days)
        elif m.expiry is not None:
            d.expiry = m.expiry.astimezone(UTC).replace(microsecond=0, tzinfo=None)
            d.valid_days = max(-(-(d.expiry - now) // timedelta(days=1)), 1)
        else:
            d.valid_days = cfg_days
            if kind in ("admin", "subadmin"):  # ASTPP gives admins an expiry too
                d.expiry = now + timedelta(days=cfg_days if cfg_days > 0 else 7300)
        return d

    def _record_values(self, conn: Connection, batch: InsertBatch, p: NewAccount,
                       d: C.Draft) -> dict:
        """The account as the pipeline reports it: field keys, as stored in ASTPP."""
        m = p.model
        values = {k: v for k, v in m.__dict__.items()
                  if k not in ("password", "password_hash")}
        expiry = d.expiry if isinstance(d.expiry, datetime) else None
        values.update(
            kind=batch.kind, created_at=d.now.replace(tzinfo=UTC), created_by=batch.actor,
            batch_id=batch.batch_id, balance=Decimal(0), first_used=None,
            expiry=expiry.replace(tzinfo=UTC) if expiry else None, valid_days=d.valid_days,
        )
        if batch.kind in ("admin", "subadmin"):
            values.update(country=self.country_iso.get(d.country_id),
                          timezone=self.zone_name.get(d.timezone_id),
                          currency=self.currency_code.get(d.currency_id))
        else:
            values["credit_limit"] = d.credit_limit
        if "role" in type(m).model_fields:
            p.refs["role"] = self.catalog.role_name(conn, d.permission_id)
        return values

    # --- one transaction, serialised by a named lock, retried whole on deadlock ------------

    @contextmanager
    def transaction(self, *, dry_run: bool = False) -> Iterator[Connection]:
        """GET_LOCK, then one transaction (its snapshot starts after the lock); a value a
        column cannot hold is exit 5, nothing written; the lock goes with the session."""
        # the ledger first: one that cannot be used stops the command before ASTPP is locked
        # or written, and a first use's schema set-up holds no lock of ASTPP's
        self.ledger.connect()
        with self._engine.connect() as conn:
            self._lock(conn)
            rolled_back: list[bool] = []
            sa.event.listen(conn, "rollback", lambda _conn: rolled_back.append(True))
            try:
                try:
                    with transaction_on(conn, dry_run=dry_run, translate=_refused,
                                        storage=self):
                        yield conn
                except BaseException:
                    self._ledger_after(conn, committed=False)
                    raise
                # ASTPP committed (unless dry_run or a Rollback rolled it back): now the
                # ledger, under the same lock (acctctl/ledger.py: the order of the commits)
                self._ledger_after(conn, committed=not rolled_back)
            finally:
                try:
                    conn.execute(sa.text(f"SELECT RELEASE_LOCK({LOCK_NAME})"))
                except sa.exc.DBAPIError:
                    pass  # the connection is gone, and the session's lock with it

    def retryable(self, exc: BaseException) -> bool:
        """InnoDB rolled the whole transaction back (deadlock): run it again."""
        return isinstance(exc, sa.exc.OperationalError) and _errno(exc) == DEADLOCK

    # --- reads (targets/astpp/reads.py) ------------------------------------------------

    def _where(self, where: AccountFilter):
        from acctctl.targets.astpp.reads import Where

        batch_ids = None
        if where.batch_id is not None:
            # ASTPP has no batches: the ledger knows the ids of the accounts a batch created
            # (exact after a number was given to another account since)
            batch_ids = [a.account_id for a in self.ledger.trail.batch_accounts(where.batch_id)
                         if a.account_id is not None]
        return Where(kind=where.kind, reseller=where.reseller, status=where.status,
                     search=where.search, created_after=where.created_after,
                     include_deleted=where.include_deleted, numbers=where.numbers,
                     batch_ids=batch_ids)

    def list_accounts(self, where: AccountFilter, sort: str = "number",
                      limit: int | None = None, offset: int = 0) -> list[dict]:
        from acctctl.targets.astpp import reads

        filters = self._where(where)
        with self.reading() as conn:
            return reads.list_accounts(conn, filters, sort, limit, offset)

    def count_accounts(self, where: AccountFilter) -> int:
        from acctctl.targets.astpp import reads

        filters = self._where(where)
        with self.reading() as conn:
            return reads.count_accounts(conn, filters)

    def export_columns(self, kind: str, keys: list[str], with_secrets: bool) -> list[str]:
        """No password_hash (ASTPP's passwords are a reversible encoding): with secrets the
        decoded `password`, which acctctl hashes as argon2id on its own schema and another
        ASTPP encodes with its key; no country or time zone for admins (ASTPP's to set)."""
        from acctctl.targets.astpp.reads import export_keys

        return export_keys(keys, with_secrets, self.fixed_fields(kind))

    def export_rows(self, kind: str, keys: list[str], where: AccountFilter,
                    sort: str = "number", limit: int | None = None,
                    offset: int = 0) -> Iterator[dict]:
        from acctctl.targets.astpp import reads

        filters = self._where(where)
        with self.reading() as conn:
            found = reads.export_rows(conn, kind, keys, key=self.key, where=filters,
                                      sort=sort, limit=limit, offset=offset,
                                      currency_factor=self.creator_rate / self.base_rate)
        yield from found.rows

    def show(self, number: str | None = None, email: str | None = None, *,
             with_devices: bool = True) -> dict:
        return self.catalog.find_account(None, number, email, with_devices=with_devices)

    def list_rate_groups(self, reseller: str | None = None, owned_by: bool = False):
        return self.catalog.list_rate_groups(None, reseller, owned_by)

    def list_taxes(self, reseller: str | None = None, owned_by: bool = False):
        return self.catalog.list_taxes(None, reseller, owned_by)

    def list_roles(self):
        return self.catalog.list_roles(None)

    def reference(self, what: str, search: str | None):
        return self.catalog.reference(None, what, search)

    # --- the account's life: disable, enable, delete, purge, reset, rotate ----------------
    # What ASTPP's own status switch, delete action, edit page and SIP device page change:
    # targets/astpp/lifecycle.py (docs/astpp.md, "What each day-two command changes in ASTPP").

    def find(self, conn: Connection, numbers: list[str], *, deleted_too: bool = False,
             lock: bool = True, batch_id: str | None = None) -> dict[str, StoredAccount]:
        """Live accounts (targets/astpp/edit.py: read_accounts), their rows locked; with
        deleted_too also the most recently deleted account of a number no live one has
        (--purge); with batch_id the batch's accounts by the ASTPP ids the ledger recorded
        (batch undo)."""
        if batch_id is not None:
            return self._batch_found(conn, batch_id, lock)
        self._day_two_tables(conn)
        found: dict[str, StoredAccount] = dict(edit.read_accounts(conn, self, numbers,
                                                                  lock=lock))
        missing = [n for n in numbers if n not in found]
        if deleted_too and missing:
            for number, a in L.find(conn, missing, deleted_too=True, lock=lock).items():
                found[number] = StoredAccount(
                    id=a.id, number=a.number, kind=a.kind, status=a.status, deleted=a.deleted,
                    values=edit.field_values(self, a.row, [], False), owner_id=a.owner_id)
        return {n: found[n] for n in dict.fromkeys(numbers) if n in found}

    # --- account update: what ASTPP's edit pages change (targets/astpp/edit.py) -----------

    def check_changes(self, account: StoredAccount, new: dict) -> list[tuple[str, str]]:
        return edit.edit_problems(self, account, new)

    def update(self, conn: Connection, account: StoredAccount, changes: dict, ids: dict,
               now: datetime) -> None:
        self.update_many(conn, [(account, changes, ids)], now)

    def update_many(self, conn: Connection, updates: list[tuple[StoredAccount, dict, dict]],
                    now: datetime) -> None:
        """One UPDATE per chunk and set of changed columns, the tax links of the chunk in one
        DELETE and one INSERT; each new value as ASTPP stores it goes back into `changes`."""
        lookups = self.lookups(conn)
        planned = []
        for account, changes, ids in updates:
            new = {k: v for k, (_, v) in changes.items()}
            planned.append((account, changes, new,
                            edit.plan_edit(conn, self, account, new, now, ids, lookups)))
        edit.apply_edits(conn, [e for *_, e in planned], now)
        for status in ("active", "inactive"):
            self._report(conn, "enabled" if status == "active" else "disabled",
                         [a for a, changes, *_ in planned
                          if "status" in changes and changes["status"][1] == status])
        for account, changes, new, e in planned:
            for key, value in edit.stored_changes(self, account, e, new).items():
                if key in changes:
                    changes[key][1] = value

    def set_status(self, conn: Connection, accounts: list[StoredAccount], status: str,
                   now: datetime) -> None:
        self._report(conn, "enabled" if status == "active" else "disabled",
                     L.set_status(conn, accounts, status))

    def soft_delete(self, conn: Connection, accounts: list[StoredAccount],
                    now: datetime) -> None:
        self._report(conn, "removed", accounts)  # ASTPP's delete removes the devices
        L.soft_delete(conn, accounts, now)

    def purge(self, conn: Connection, accounts: list[StoredAccount]) -> None:
        self._report(conn, "removed", accounts)
        L.purge(conn, accounts)

    def _report(self, conn: Connection, change: str, accounts: list) -> None:
        """Tell the registrars' mirror which devices these accounts have (none: nothing)."""
        if self.mirror is not None and accounts:
            self.devices_changed(change, L.device_usernames(conn, [a.id for a in accounts]))

    def sip_devices(self, conn: Connection, usernames=None) -> dict[str, Device]:
        wanted = None if usernames is None else list(dict.fromkeys(usernames))
        return {d["username"]: Device(**d) for d in L.sip_devices(conn, wanted)}

    def registrar_record(self) -> Engine:
        """The ledger's database keeps registrar_rows on this target (ASTPP's gets no table
        of acctctl's); only a [ledger] url every acctctl writing this ASTPP shares will do."""
        if not self.loaded.settings.ledger.url:
            raise DatabaseError(
                "registrars on the astpp target need a ledger database that every acctctl "
                "writing this ASTPP database shares: it records which registrar rows are "
                "acctctl's; nothing was written",
                hint="set [ledger] url (docs/astpp.md, \"The ledger\"; docs/registrars.md)")
        return self.ledger.trail.engine

    def dependants(self, conn: Connection, accounts: list[StoredAccount], *,
                   include_deleted: bool, outside_batch: str | None = None) -> list[str]:
        outside: list[int] = []
        if outside_batch is not None:  # the accounts that batch made (the ledger knows them)
            made = self.ledger.batch_accounts(conn, outside_batch)
            outside = list(conn.execute(sa.text(
                "SELECT id FROM accounts WHERE number IN :n").bindparams(
                sa.bindparam("n", expanding=True)), {"n": made}).scalars()) if made else []
        return L.dependants(conn, accounts, include_deleted=include_deleted, outside=outside)

    def dependants_hint(self, conn: Connection, accounts: list[StoredAccount]) -> str | None:
        return ("delete its accounts first (acctctl account delete, or in ASTPP), and its "
                "rate groups and taxes once no account uses them (acctctl rategroup|tax "
                "delete NAME --reseller NUMBER --yes)")

    def billing_history(self, conn: Connection, accounts: list[StoredAccount]) -> list[str]:
        return L.history_reasons(L.billing_history(conn, accounts))

    def set_password(self, conn: Connection, account: StoredAccount, stored_password: str,
                     now: datetime) -> None:
        """stored_password is protect_passwords()'s: ASTPP's encoding. A chosen password met
        ASTPP's limits in check_value() (the service asks), a generated one is at most
        passwords.generated_length (at most 71 bytes here, checked at open)."""
        L.set_password(conn, account, stored_password)

    def set_sip_secret(self, conn: Connection, account: StoredAccount, secret: str,
                       now: datetime) -> list[str]:
        usernames = L.set_sip_secret(conn, account, secret, now)
        self.devices_changed("secret", usernames, [secret] * len(usernames))
        return usernames

    # --- the catalog: rate groups and taxes (targets/astpp/entries.py) ----------------------

    def _catalog_kind(self, conn: Connection, kind: str) -> None:
        """Roles are refused (exit 2); the columns the catalog writes must be there (exit 5,
        nothing written), checked once."""
        if kind == "role":
            raise UsageError(ROLES_REFUSED)
        if getattr(self, "_catalog_checked", False):
            return
        from acctctl.targets.astpp import entries

        missing = _missing_columns(conn, entries.WRITTEN)
        if missing:
            raise DatabaseError("this ASTPP database lacks what ASTPP 6.0's rate group and tax "
                                "pages write: " + ", ".join(missing[:8]) + "; nothing was "
                                "written")
        self._catalog_checked = True

    def catalog_find(self, conn: Connection, kind: str, name: str, owner: str | None = None,
                     scope: str | None = None) -> dict | None:
        from acctctl.targets.astpp import entries

        self._catalog_kind(conn, kind)
        return entries.find(conn, self, kind, name, owner)

    def catalog_create(self, conn: Connection, kind: str, values: dict, owner: str | None,
                       now: datetime) -> int:
        """ASTPP keys neither name: an existing entry of the owner is EntryExists (an
        IntegrityError, as a unique key would say), checked under the storage's lock."""
        from acctctl.targets.astpp import entries

        self._catalog_kind(conn, kind)
        entries.problems(kind, values)
        if entries.find(conn, self, kind, values["name"], owner) is not None:
            raise EntryExists(f"{kind} {values['name']!r} exists")
        return entries.create(conn, self, kind, values, owner, edit.naive_utc(now))

    def catalog_update(self, conn: Connection, kind: str, entry_id: int, changes: dict) -> None:
        from acctctl.targets.astpp import entries

        self._catalog_kind(conn, kind)
        entries.problems(kind, {k: new for k, (_, new) in changes.items()})
        entries.update(conn, self, kind, entry_id, changes,
                       edit.naive_utc(datetime.now(UTC)))

    def catalog_delete(self, conn: Connection, kind: str, entry_id: int) -> None:
        from acctctl.targets.astpp import entries

        self._catalog_kind(conn, kind)
        entries.delete(conn, kind, entry_id)

    def catalog_users(self, conn: Connection, kind: str, entry_id: int) -> list[tuple[str, bool]]:
        from acctctl.targets.astpp import entries

        self._catalog_kind(conn, kind)
        return entries.users(conn, kind, entry_id)

    def catalog_owned(self, conn: Connection, account: StoredAccount) -> list[tuple[str, str]]:
        from acctctl.targets.astpp import entries

        return entries.owned(conn, account.id)

    def _day_two_tables(self, conn: Connection) -> None:
        """The tables and columns the day-two changes touch (lifecycle.TOUCHED), once: a
        missing one is exit 5 before anything is changed, not a half-done delete."""
        if getattr(self, "_day_two_checked", False):
            return
        missing = _missing_columns(conn, L.TOUCHED)
        if missing:
            raise DatabaseError("this ASTPP database lacks what ASTPP 6.0's own status, delete "
                                "and edit actions change: " + ", ".join(missing[:8])
                                + (f" and {len(missing) - 8} more" if len(missing) > 8 else "")
                                + "; nothing was changed")
        self._day_two_checked = True

    @property
    def ledger(self) -> Ledger:
        """Batches and audit records, in the ledger database ([ledger] url), opened on first
        use (targets/astpp/trail.py)."""
        if self._ledger is None:
            from acctctl.targets.astpp.trail import AstppLedger

            self._ledger = AstppLedger(self)
        return self._ledger

    def _batch_found(self, conn: Connection, batch_id: str,
                     lock: bool) -> dict[str, StoredAccount]:
        """The accounts a batch created that ASTPP still has, locked, then compared with what
        the batch wrote (changed: undo refuses them)."""
        from acctctl.targets.astpp import undo

        members = self.ledger.batch_members(
            conn, batch_id, before_reading=(lambda ids: undo.lock(conn, ids)) if lock else None)
        return undo.batch_found(conn, members)

    def _ledger_after(self, conn: Connection, committed: bool) -> None:
        if self._ledger is not None:
            warning = self._ledger.after_commit(conn, committed)
            if warning and self.warn is not None:
                self.warn(warning)

    def close(self) -> None:
        if self._ledger is not None:
            self._ledger.close()
        super().close()

    def _lock(self, conn: Connection) -> None:
        got = conn.execute(sa.text(f"SELECT GET_LOCK({LOCK_NAME}, :timeout)"),
                           {"timeout": LOCK_TIMEOUT_S}).scalar()
        conn.commit()  # the lock is the session's; the snapshot starts after it, in begin()
        if got != 1:
            raise DatabaseError(f"another acctctl writer held the ASTPP lock for "
                                f"{LOCK_TIMEOUT_S}s; nothing was written", hint="try again")


class EntryExists(sa.exc.IntegrityError):
    """catalog_create(): the owner has an entry of that name (ASTPP has no unique key)."""

    def __init__(self, message: str):
        super().__init__(message, None, Exception(message))


#: why a file's roles and the `role` commands exit 2 here (docs/astpp.md)
ROLES_REFUSED = (
    "roles are not supported on the astpp target: ASTPP's roles are permission sets (its "
    "permissions table: a JSON of page rights, made on its Roles & Permissions page), not "
    "acctctl's named roles; make them in ASTPP and name one with an account's role field")


def _refused(exc: BaseException) -> BaseException | None:
    """A value a column cannot hold (or another refusal) as exit 5; a deadlock and every
    other OperationalError as they are (retryable() looks at them); EntryExists as it is
    (the catalog's callers say "already exists", exit 4)."""
    if isinstance(exc, EntryExists):
        return None
    if isinstance(exc, sa.exc.DBAPIError) and not isinstance(exc, sa.exc.OperationalError):
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else exc
        return DatabaseError(f"ASTPP's database refused the write: {reason}; "
                             "nothing was written")
    return None


def _errno(exc: BaseException) -> int | None:
    """The MySQL error number, also when a failed ROLLBACK TO SAVEPOINT (1305: InnoDB already
    rolled the whole transaction back) hides the deadlock that caused it."""
    seen = exc
    while seen is not None:
        args = getattr(getattr(seen, "orig", None), "args", ())
        if args and args[0] == DEADLOCK:
            return DEADLOCK
        seen = seen.__cause__ or seen.__context__
    args = getattr(getattr(exc, "orig", None), "args", ())
    return args[0] if args and isinstance(args[0], int) else None


def _missing_columns(conn: Connection, needed: dict[str, list[str]]) -> list[str]:
    """"table.column" of each of `needed` this database lacks."""
    found: dict[str, set[str]] = {}
    for table, column in conn.execute(sa.text(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = DATABASE()")):
        found.setdefault(table, set()).add(column)
    return [f"{t}.{c}" for t, cols in needed.items() for c in cols
            if c not in found.get(t, set())]


def _table(name: str, sample: dict) -> sa.TableClause:
    return sa.table(name, *(sa.column(c) for c in sample))
