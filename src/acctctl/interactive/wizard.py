"""The field-by-field wizard behind `acctctl create KIND` at a terminal (contract §3).

It only gathers raw answers: every answer is checked with the field's own rule
(``validate_field``), the cross-field rules run before the summary (``validate_account``), and
the service validates the result once more when it creates the account. No rule lives here,
and no command-line concern either: the CLI decides whether prompting is allowed, and hands in
where messages go (a rich Console on stderr).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from acctctl.interactive.prompter import Option, Prompter

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
GENERATED = "(generated)"
NONE = "-"  # typed for an optional field: no value, even where a default is shown
ASK_MODES = ("missing", "essentials", "all")


class Declined(Exception):
    """The summary was not confirmed: nothing is written (the CLI exits 130)."""


def make_prompter() -> Prompter:
    """The prompter the CLI uses; tests replace this factory with a scripted fake."""
    from acctctl.interactive.prompter import QuestionaryPrompter

    return QuestionaryPrompter()


def run_wizard(kind: str, given: dict, settings: Any, storage: Any, *, ask: str = "missing",
               confirm: bool = True, prompter: Prompter | None = None, console: Any = None,
               exclude: Collection[str] = (), action: str = "Create",
               own: dict | None = None) -> dict:
    """Ask for the fields of ``kind`` and return the raw answers (flag-shaped dict).

    given: values already known (flags; for an update, the account's current values): they
    are the questions' defaults and are returned unless answered otherwise.
    ask: "missing" asks only the missing required fields; "essentials" the kind's essential
    fields (and any missing required one), then "Change other settings?" walks the rest in
    form order; "all" walks every field in form order.
    exclude: keys never asked (kept as given). console: a rich Console for messages (stderr).
    action: the verb of the confirmation ("Create this customer?", "Update this customer?").
    own: for an update, the account's stored values: keeping its own email or PIN is no clash.
    Declining the summary raises Declined; Ctrl-C / end of input propagate.
    """
    wizard = Wizard(kind, given, settings, storage, prompter or make_prompter(), console,
                    exclude=exclude, own=own)
    answers = wizard.run(ask=ask)
    if confirm:
        wizard.show_summary(f"New {kind}" if action == "Create" else f"{action} {kind}")
        if not wizard.prompter.confirm(f"{action} this {kind}?", default=False):
            raise Declined()
    return answers


def confirm_changes(kind: str, title: str, changes: dict, *, prompter: Prompter | None = None,
                    console: Any = None) -> None:
    """The summary of an update: under a title naming the account, each changed field with
    its old and new value (what will be written, nothing else); then "Update this KIND?".
    changes: {key: (old, new)}. Declining raises Declined."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from acctctl.models.inputs import KINDS, field_specs

    specs = field_specs(KINDS[kind])
    console = console or Console(stderr=True, highlight=False)
    # the title on a line of its own: as a table title it would wrap to the table's width
    console.print(Text(title, style="bold"))
    table = Table(show_header=True)
    table.add_column("Field")
    table.add_column("Old")
    table.add_column("New")
    for key, (old, new) in changes.items():
        label = specs[key]["label"] if key in specs else key
        table.add_row(Text(label), Text(_show_change(old)), Text(_show_change(new)))
    console.print(table)
    if not (prompter or make_prompter()).confirm(f"Update this {kind}?", default=False):
        raise Declined()


def _show_change(value: Any) -> str:
    """A value as the summary shows it: amounts without trailing zeros (500, not 500.00000),
    empty as "(none)", control characters as escapes."""
    from decimal import Decimal

    from acctctl.output import visible

    if isinstance(value, Decimal):
        value = format(value.normalize(), "f")
    text = _show(value)
    return visible(text) if text else "(none)"


class Wizard:
    def __init__(self, kind: str, given: dict, settings: Any, storage: Any, prompter: Prompter,
                 console: Any = None, exclude: Collection[str] = (), own: dict | None = None):
        from acctctl.models.inputs import KINDS, field_specs

        self.kind = kind
        self.model = KINDS[kind]
        self.specs = {k: s for k, s in field_specs(self.model).items()
                      if not s["file_only"] and k not in exclude}
        self.console = console
        self.own = dict(own or {})  # the updated account's values: not taken by "another"
        self.answers: dict = dict(given)  # raw values, the shape the flags produce
        self.clean: dict = {}  # validated values of answers, for rules that read other fields
        self.settings = settings
        from acctctl.storage import as_storage

        # where the accounts go (a bare engine: acctctl's own schema), None: no database
        self.storage = as_storage(storage) if storage is not None else None
        self.prompter = _Headed(prompter, self)
        self.pending_header: str | None = None
        self.checked = None  # the model from the last whole-model check
        self._lists: dict[str, Any] = {}
        # fields the storage target sets itself for this kind (e.g. an ASTPP admin's country)
        self._fixed = self.storage.fixed_fields(kind) if self.storage is not None else ()

    # --- the flow ---------------------------------------------------------------------------

    def run(self, *, ask: str = "missing") -> dict:
        from acctctl.models.inputs import missing_required

        if ask not in ASK_MODES:
            raise ValueError(f"ask must be one of {ASK_MODES}, got {ask!r}")
        for key, value in list(self.answers.items()):
            ok, clean = self._check(key, value)
            if ok:
                self.clean[key] = clean
        missing = missing_required(self.kind, self.answers, self.settings)
        if ask == "missing":
            self._ask_keys(missing)
        elif ask == "all":
            self._ask_keys(self._form_order())
        else:
            order = self._form_order()
            first = [k for k in order if self.specs[k]["essential"] or k in missing]
            self._ask_keys(first)
            rest = [k for k in order if k not in first]
            if rest and self.prompter.confirm("Change other settings?", default=False):
                self._ask_keys(rest)
        self._cross_check()
        return {k: v for k, v in self.answers.items() if v is not None}

    def _ask_keys(self, keys: list[str], retry: bool = False) -> None:
        """Ask each key in turn, under a header whenever the form group changes."""
        group = None
        for key in keys:
            spec = self.specs.get(key)
            if spec is None:
                continue
            if spec["group"] != group:
                group = spec["group"]
                self._header(group.title())
            self.ask(key, retry=retry)

    def _form_order(self) -> list[str]:
        keys = list(self.specs)
        # valid_days first: the expiry date is only asked when no number of days is given
        if "valid_days" in keys and "expiry" in keys:
            keys.remove("valid_days")
            keys.insert(keys.index("expiry"), "valid_days")
        return keys

    def _cross_check(self) -> None:
        """Whole-model rules: re-ask the fields each failed rule names, in form order, until
        everything passes. A round that changes no answer ends it: the same answers would
        fail the same way, so the failure is reported (exit 3) instead of asked forever."""
        from acctctl.errors import ValidationFailed
        from acctctl.models.inputs import DEPENDS_ON
        from acctctl.models.validate import validate_account

        while True:
            try:
                self.checked = validate_account(self.kind, self.answers, self._ctx())
                return
            except ValidationFailed as exc:
                failure = exc
            failure.kind = self.kind  # errors are reported by flag name
            named = {e.field for e in failure.errors}
            for error in failure.errors:
                named.update(DEPENDS_ON.get(error.field, ()))
            keys = [k for k in self._form_order() if k in named]
            if not keys:  # nothing here can fix it (e.g. a file-only field)
                raise failure
            self._header("Please correct")
            for error in failure.errors:
                label = self.specs.get(error.field, {}).get("label", error.field)
                self._say(f"{label}: {error.message}", "red")
            before = dict(self.answers)
            self._ask_keys(keys, retry=True)
            if self.answers == before:
                raise failure

    # --- one question -----------------------------------------------------------------------

    def ask(self, key: str, retry: bool = False) -> None:
        spec = self.specs[key]
        if key == "password":
            return self._ask_password(retry)
        if not self._applies(key) or key in self._fixed:
            return
        label = spec["label"]
        if spec["annotation"] is bool:
            default = self._default(key)
            self._store(key, self.prompter.confirm(label, default=bool(default)))
        elif spec["choices"]:
            options = [Option(c, c) for c in spec["choices"]]
            self._ask_option(key, label, options)
        elif key == "billing_day":
            self._ask_billing_day(label)
        elif spec["source"] in ("countries", "timezones", "currencies"):
            words, meta = self._words(spec["source"])
            answer = self.prompter.autocomplete(
                label, words, default=self._text_default(key), meta=meta,
                validate=self._validator(key))
            self._store_text(key, answer)
        elif spec["source"] in ("rate_groups", "roles", "resellers"):
            options = self._options(key)
            if options is None:
                return self._ask_text(key)
            if options:
                self._ask_option(key, label, options)
        elif spec["source"] == "taxes":
            self._ask_taxes(label)
        else:
            self._ask_text(key)

    def _applies(self, key: str) -> bool:
        """Dependent fields follow earlier answers (the model says which depend on what); a
        value that no longer fits is dropped."""
        from acctctl.models.inputs import field_default, not_applicable

        # the answers so far, over each field's plain default (not the wizard's pre-filled
        # suggestions: a valid-days answer left empty must let the expiry be asked)
        values = {k: field_default(self.model, k, self.settings) for k in self.model.model_fields}
        values.update(self.clean)
        reason = not_applicable(key, values)
        if reason is None:
            return True
        if self.answers.get(key) not in (None, "") and not self._is_default(key):
            label = self.specs[key]["label"]
            self._say(f"{label} {self.answers[key]} dropped: it {reason}", "dim")
        self.answers.pop(key, None)
        self.clean.pop(key, None)
        return False

    def _is_default(self, key: str) -> bool:
        """The answer is what the field is anyway (an update's stored credit limit of 0 on a
        prepaid account): dropping it loses nothing, so nothing is said."""
        from acctctl.models.inputs import field_default

        ok, clean = self._check(key, self.answers.get(key))
        return ok and clean == field_default(self.model, key, self.settings)

    def _ask_text(self, key: str) -> None:
        spec = self.specs[key]
        instruction = self._instruction(key)
        answer = self.prompter.text(spec["label"], default=self._text_default(key),
                                    validate=self._validator(key), instruction=instruction)
        self._store_text(key, answer)

    def _ask_option(self, key: str, label: str, options: list[Option]) -> None:
        default = self._default(key)
        values = [o.value for o in options]
        if default is not None and default not in values:
            if self.answers.get(key) is not None:  # a flag value: keep it visible
                options = [*options, Option(str(default), default)]
            else:  # a configured default that does not fit (e.g. another owner's)
                default = None
        while True:
            answer = self.prompter.select(label, options, default=default)
            if answer is None:  # "(default)" entries
                self.answers.pop(key, None)
                self.clean.pop(key, None)
                return
            ok, clean = self._check(key, answer)
            if ok:
                self.answers[key], self.clean[key] = answer, clean
                return
            self._say(f"{label}: {clean}", "red")

    def _ask_billing_day(self, label: str) -> None:
        if self._value("billing_schedule") == "weekly":
            options = [Option(f"{n} {day}", str(n)) for n, day in enumerate(WEEKDAYS, 1)]
            first = Option("(default: the weekday of creation)", None)
        else:
            options = [Option(str(n), str(n)) for n in range(1, 29)]
            first = Option("(default: the day of creation, at most 28)", None)
        current = self.answers.get("billing_day")
        if current is not None and str(current) not in [o.value for o in options]:
            current = None
        if current is not None:
            self.answers["billing_day"] = str(current)
        self._ask_option("billing_day", label, [first, *options])

    def _ask_taxes(self, label: str) -> None:
        names = [t["name"] for t in self._owned("taxes")]
        chosen = [str(t) for t in (self._default("taxes") or [])]
        for name in chosen:
            if name not in names:
                names.append(name)
        if not names:  # the owner has no active tax: nothing to choose
            return
        options = [Option(n, n, checked=n in chosen) for n in names]
        while True:
            answer = self.prompter.checkbox(label, options)
            ok, clean = self._check("taxes", list(answer))
            if ok:
                self.answers["taxes"], self.clean["taxes"] = list(answer), clean
                return
            self._say(f"{label}: {clean}", "red")

    def _ask_password(self, retry: bool) -> None:
        if "password" in self.answers and not retry:
            return  # given by --password-file/--password-stdin: never echoed, never re-asked
        validate = self._validator("password")
        while True:
            first = self.prompter.password("Password (empty: generate)", validate=validate)
            if first == "":
                self.answers.pop("password", None)
                self.clean.pop("password", None)
                return
            again = self.prompter.password("Password again")
            if again == first:
                self.answers["password"] = first
                self.clean["password"] = self._check("password", first)[1]
                return
            self._say("the passwords do not match; try again", "red")

    # --- values -----------------------------------------------------------------------------

    def _ctx(self):
        from acctctl.models.rules import RuleContext

        return RuleContext(settings=self.settings, answers=dict(self.clean))

    def _check(self, key: str, value: Any) -> tuple[bool, Any]:
        from acctctl.models.validate import validate_field

        if key not in self.model.model_fields:
            return True, value
        ok, result = validate_field(self.kind, key, value, self._ctx())
        if ok and self.storage is not None:  # the target's own limits (e.g. ASTPP's lists)
            problem = self.storage.check_value(self.kind, key, result)
            if problem:
                return False, problem
        if ok and key in ("number", "email", "pin") and self.storage is not None:
            taken = self._taken(key, result)
            if taken:
                return False, taken
        return ok, result

    def _taken(self, key: str, value: Any) -> str | None:
        """Ask the database now, so a value another account holds is re-asked here rather
        than failing after the summary (the service's constraint stays the real guard)."""
        if value is None:
            return None
        mine = self.own.get(key)
        if mine is not None and str(mine).casefold() == str(value).casefold():
            return None  # the account being updated holds it
        probe = {"number": {"numbers": [value]}, "email": {"email_keys": [value.casefold()]},
                 "pin": {"pins": [value]}}[key]
        with self.storage.reading() as conn:
            taken = self.storage.lookups(conn).existing(**probe)[key]
        return "is already used by another account" if taken else None

    def _validator(self, key: str):
        """The prompt's validate=: the field's own rule; empty is fine when optional."""
        required = self._required(key)

        def check(text: str) -> bool | str:
            if text.strip() in ("", NONE) and not required:
                return True
            ok, result = self._check(key, text)
            return True if ok else f"{self.specs[key]['label']} {result}"

        return check

    def _required(self, key: str) -> bool:
        from acctctl.models.inputs import config_value

        spec = self.specs[key]
        if spec["required"]:
            return True
        if spec["config_default"]:
            return config_value(self.settings, spec["config_default"]) in ("", None)
        return False

    def _store_text(self, key: str, answer: str) -> None:
        if answer.strip() in ("", NONE):
            self.answers.pop(key, None)
            self.clean.pop(key, None)
            return
        ok, clean = self._check(key, answer)
        self.answers[key] = answer
        if ok:
            self.clean[key] = clean

    def _store(self, key: str, value: Any) -> None:
        ok, clean = self._check(key, value)
        self.answers[key] = value
        if ok:
            self.clean[key] = clean

    def _value(self, key: str) -> Any:
        """The answer (clean) or the field's default, for questions that depend on it."""
        if key in self.clean:
            return self.clean[key]
        return self._default(key)

    def _default(self, key: str) -> Any:
        """What the question offers: the answer or flag so far, else a suggestion (the chosen
        country's time zone and currency; the days an account of this kind is valid by default;
        the seeded role), else the field's default."""
        from acctctl.models.inputs import DEFAULT_ROLE, field_default, suggestion

        if self.answers.get(key) is not None:
            return self.answers[key]
        suggested = suggestion(self.model, key, self.clean, self.settings)
        if self.storage is not None:  # from the target's own lists (ASTPP's zones, currencies)
            suggested = self.storage.suggestion(self.kind, key, self.clean, suggested)
        if suggested is not None:
            return suggested
        if key == "valid_days" and self.model.expires_by_default and "expiry" not in self.answers:
            return self.settings.defaults.valid_days
        if key == "role":
            return DEFAULT_ROLE.get(self.kind)
        if key not in self.model.model_fields:
            return None
        return field_default(self.model, key, self.settings)

    def _text_default(self, key: str) -> str:
        value = self._default(key)
        if value is None:
            return ""
        if isinstance(value, list | tuple):
            return ";".join(str(v) for v in value)
        return str(value)

    def _instruction(self, key: str) -> str | None:
        if key in ("number", "pin"):
            if key == "pin" and not self.settings.numbers.generate_pin:
                return "(empty: none)"
            return "(empty: generated)"
        if key == "valid_days":
            return f"({NONE} to give an expiry date instead)"
        if key == "expiry":
            return "(YYYY-MM-DD; empty: never)" if not self.model.expires_by_default else \
                f"(YYYY-MM-DD; empty: {self.settings.defaults.valid_days} days)"
        if key == "notify_email":
            return "(empty: the login email)"
        return None

    # --- lists from the database ------------------------------------------------------------

    def _owner(self) -> str | None:
        owner = self.clean.get("reseller") or self.answers.get("reseller")
        return str(owner) if owner else None

    def _owned(self, what: str) -> list[dict]:
        from acctctl.errors import AcctctlError

        owner = self._owner()
        cache_key = (what, owner)
        if cache_key not in self._lists:
            reader = (self.storage.list_rate_groups if what == "rate_groups"
                      else self.storage.list_taxes)
            try:
                rows = reader(owner, owned_by=True)
            except AcctctlError:  # an unknown reseller: the field check will say so
                rows = []
            self._lists[cache_key] = [r for r in rows if r["status"] == "active"]
        return self._lists[cache_key]

    def _options(self, key: str) -> list[Option] | None:
        """Options for a database-backed list; None means "no list, ask as text"."""
        source = self.specs[key]["source"]
        if source == "rate_groups":
            names = [r["name"] for r in self._owned("rate_groups")]
            return [Option(n, n) for n in names] or None
        if source == "roles":
            from acctctl.models.inputs import ROLE_SCOPE

            scope = ROLE_SCOPE.get(self.kind)
            roles = [r for r in self.storage.list_roles() if r["for"] == scope]
            return [Option(f"{r['name']} - {r['description']}" if r.get("description")
                           else r["name"], r["name"]) for r in roles] or None
        # resellers: only the active ones can own accounts; none means "the admin"
        from acctctl.storage import AccountFilter

        resellers = [r for r in self.storage.list_accounts(AccountFilter(kind="reseller"))
                     if r.get("status") == "active"]
        if not resellers and self.answers.get("reseller") is None:
            return []
        options = [Option("(none: owned by the admin)", None)]
        for r in resellers:
            name = " ".join(p for p in (r.get("first_name"), r.get("last_name")) if p)
            options.append(Option(f"{r['number']} {name}".strip(), r["number"]))
        return options

    def _words(self, source: str) -> tuple[list[str], dict[str, str]]:
        if source not in self._lists:
            rows = self.storage.reference(source, None)
            words: list[str] = []
            meta: dict[str, str] = {}
            for row in rows:
                if source == "countries":
                    words += [row["alpha2"], row["name"]]
                    meta[row["alpha2"]], meta[row["name"]] = row["name"], row["alpha2"]
                elif source == "currencies":
                    words.append(row["code"])
                    meta[row["code"]] = row["name"]
                else:
                    words.append(row["name"])
            self._lists[source] = (words, meta)
        return self._lists[source]

    # --- output (stderr) --------------------------------------------------------------------

    def _console(self):
        if self.console is None:
            from rich.console import Console

            self.console = Console(stderr=True, highlight=False)
        return self.console

    def _header(self, title: str) -> None:
        """Shown above the next question actually asked (a group may ask nothing)."""
        self.pending_header = title

    def _flush_header(self) -> None:
        if self.pending_header is not None:
            from rich.rule import Rule

            self._console().print(Rule(self.pending_header, align="left"))
            self.pending_header = None

    def _say(self, message: str, style: str) -> None:
        from rich.text import Text

        self._flush_header()
        self._console().print(Text(message, style=style), soft_wrap=True)

    def summary_rows(self) -> list[tuple[str, str]]:
        values = dict(self.checked.__dict__) if self.checked is not None else dict(self.answers)
        rows = []
        for key, spec in self.specs.items():
            if key == "password":
                rows.append((spec["label"], "(set)" if "password" in self.answers else GENERATED))
                continue
            value = values.get(key)
            if value is None and key == "number":
                text = GENERATED
            elif value is None and key == "pin" and self.settings.numbers.generate_pin:
                text = GENERATED
            elif value is None and key == "reseller":
                text = "(the admin)"
            elif value is None and key == "expiry":
                text = "(never)"
            elif value is None and key == "role":  # not asked: the seeded role of the kind
                from acctctl.models.inputs import DEFAULT_ROLE

                text = DEFAULT_ROLE.get(self.kind, "")
            else:
                text = _show(value)
            rows.append((spec["label"], text))
        return rows

    def show_summary(self, title: str | None = None) -> None:
        from rich.table import Table
        from rich.text import Text

        table = Table(title=title or f"New {self.kind}", show_header=True, title_justify="left")
        table.add_column("Field")
        table.add_column("Value")
        for label, value in self.summary_rows():
            table.add_row(Text(label), Text(value))  # Text: "[bold]" in a value stays literal
        self._console().print(table)


class _Headed:
    """The prompter, printing the pending group header before a question is put."""

    def __init__(self, prompter: Prompter, wizard: Wizard):
        self.inner = prompter
        self.wizard = wizard

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.inner, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            self.wizard._flush_header()
            return method(*args, **kwargs)

        return call


def _show(value: Any) -> str:
    from datetime import datetime

    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if hasattr(value, "get_secret_value"):
        return "(set)"
    return str(value)
