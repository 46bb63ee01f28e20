"""The field-by-field wizard behind `acctctl create KIND` at a terminal (contract §3).

It only gathers raw answers: every answer is checked with the field's own rule
(``validate_field``), the cross-field rules run before the summary (``validate_account``), and
the service validates the result once more when it creates the account. No rule lives here.
"""

from __future__ import annotations

from typing import Any

from acctctl.interactive.prompter import Option, Prompter

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
GENERATED = "(generated)"


def make_prompter() -> Prompter:
    """The prompter the CLI uses; tests replace this factory with a scripted fake."""
    from acctctl.interactive.prompter import QuestionaryPrompter

    return QuestionaryPrompter()


def run_wizard(kind: str, given: dict, settings: Any, engine: Any, *, ask_all: bool,
               confirm: bool = True, prompter: Prompter | None = None) -> dict:
    """Ask for the fields of ``kind`` and return the raw answers (flag-shaped dict).

    ask_all: every field in form order, ``given`` values pre-filled; otherwise only the
    missing required fields. Declining the summary exits 130 with nothing written.
    """
    wizard = Wizard(kind, given, settings, engine, prompter or make_prompter())
    answers = wizard.run(ask_all=ask_all)
    if confirm:
        wizard.show_summary()
        if not wizard.prompter.confirm(f"Create this {kind}?", default=False):
            import typer

            from acctctl.cli.console import say
            from acctctl.errors import EXIT_INTERRUPTED

            say("not confirmed: nothing was written", "yellow")
            raise typer.Exit(EXIT_INTERRUPTED)
    return answers


class Wizard:
    def __init__(self, kind: str, given: dict, settings: Any, engine: Any, prompter: Prompter):
        from acctctl.models.inputs import KINDS, field_specs

        self.kind = kind
        self.model = KINDS[kind]
        self.specs = {k: s for k, s in field_specs(self.model).items() if not s["file_only"]}
        self.answers: dict = dict(given)  # raw values, the shape the flags produce
        self.clean: dict = {}  # validated values of answers, for rules that read other fields
        self.settings = settings
        self.engine = engine
        self.prompter = _Counting(prompter)
        self.checked = None  # the model from the last whole-model check
        self._lists: dict[str, Any] = {}
        from acctctl.targets import storage_for

        # fields the storage target sets itself for this kind (e.g. an ASTPP admin's country)
        self._fixed = storage_for(engine).fixed_fields(kind) if engine is not None else ()

    # --- the flow ---------------------------------------------------------------------------

    def run(self, *, ask_all: bool) -> dict:
        from acctctl.models.inputs import missing_required

        for key, value in list(self.answers.items()):
            ok, clean = self._check(key, value)
            if ok:
                self.clean[key] = clean
        if ask_all:
            keys = self._form_order()
        else:
            keys = missing_required(self.kind, self.answers, self.settings)
        group = None
        for key in keys:
            spec = self.specs.get(key)
            if spec is None:
                continue
            if spec["group"] != group:
                group = spec["group"]
                self._header(group.title())
            self.ask(key)
        self._cross_check()
        return {k: v for k, v in self.answers.items() if v is not None}

    def _form_order(self) -> list[str]:
        keys = list(self.specs)
        # valid_days first: the expiry date is only asked when no number of days is given
        if "valid_days" in keys and "expiry" in keys:
            keys.remove("valid_days")
            keys.insert(keys.index("expiry"), "valid_days")
        return keys

    def _cross_check(self) -> None:
        """Whole-model rules; re-ask each field named by an error until everything passes."""
        from acctctl.errors import ValidationFailed
        from acctctl.models.validate import validate_account

        while True:
            try:
                self.checked = validate_account(self.kind, self.answers, self._ctx())
                return
            except ValidationFailed as failure:
                errors = failure.errors
            askable = [e for e in errors if e.field in self.specs]
            if not askable:  # nothing to ask about: let the service report it
                return
            self._header("Please correct")
            for error in askable:
                self._say(f"{self.specs[error.field]['label']}: {error.message}", "red")
            before = (self.prompter.count, dict(self.answers))
            for error in dict.fromkeys(e.field for e in askable):
                self.ask(error, retry=True)
            if (self.prompter.count, self.answers) == before:
                return  # no question fits and nothing changed: the service will report it

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
        if self.answers.get(key) not in (None, ""):
            label = self.specs[key]["label"]
            self._say(f"{label} {self.answers[key]} dropped: it {reason}", "dim")
        self.answers.pop(key, None)
        self.clean.pop(key, None)
        return False

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
        if ok and self.engine is not None:  # the target's own limits (e.g. ASTPP's lists)
            from acctctl.targets import storage_for

            problem = storage_for(self.engine).check_value(self.kind, key, result)
            if problem:
                return False, problem
        if ok and key in ("number", "email", "pin") and self.engine is not None:
            taken = self._taken(key, result)
            if taken:
                return False, taken
        return ok, result

    def _taken(self, key: str, value: Any) -> str | None:
        """Ask the database now, so a value another account holds is re-asked here rather
        than failing after the summary (the service's constraint stays the real guard)."""
        from acctctl.targets import storage_for

        if value is None:
            return None
        probe = {"number": {"numbers": [value]}, "email": {"email_keys": [value.casefold()]},
                 "pin": {"pins": [value]}}[key]
        with self.engine.connect() as conn:
            taken = storage_for(self.engine).lookups(conn).existing(**probe)[key]
        return "is already used by another account" if taken else None

    def _validator(self, key: str):
        """The prompt's validate=: the field's own rule; empty is fine when optional."""
        required = self._required(key)

        def check(text: str) -> bool | str:
            if text.strip() == "" and not required:
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
        if answer.strip() == "":
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
        """What the question offers: the answer or flag so far, else a suggestion (the days an
        account of this kind is valid by default; the seeded role), else the field's default."""
        from acctctl.models.inputs import DEFAULT_ROLE, field_default

        if self.answers.get(key) is not None:
            return self.answers[key]
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
            return "(empty: give an expiry date instead)"
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
        from acctctl.targets import catalog_for

        catalog = catalog_for(self.engine)
        owner = self._owner()
        cache_key = (what, owner)
        if cache_key not in self._lists:
            reader = catalog.list_rate_groups if what == "rate_groups" else catalog.list_taxes
            try:
                rows = reader(self.engine, owner, owned_by=True)
            except AcctctlError:  # an unknown reseller: the field check will say so
                rows = []
            self._lists[cache_key] = [r for r in rows if r["status"] == "active"]
        return self._lists[cache_key]

    def _options(self, key: str) -> list[Option] | None:
        """Options for a database-backed list; None means "no list, ask as text"."""
        from acctctl.targets import catalog_for

        catalog = catalog_for(self.engine)

        source = self.specs[key]["source"]
        if source == "rate_groups":
            names = [r["name"] for r in self._owned("rate_groups")]
            return [Option(n, n) for n in names] or None
        if source == "roles":
            from acctctl.models.inputs import ROLE_SCOPE

            scope = ROLE_SCOPE.get(self.kind)
            roles = [r for r in catalog.list_roles(self.engine) if r["for"] == scope]
            return [Option(f"{r['name']} - {r['description']}" if r.get("description")
                           else r["name"], r["name"]) for r in roles] or None
        # resellers: only the active ones can own accounts; none means "the admin"
        resellers = [r for r in catalog.list_accounts(self.engine, "reseller", None, None)
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
            from acctctl.targets import catalog_for

            rows = catalog_for(self.engine).reference(self.engine, source, None)
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

    def _header(self, title: str) -> None:
        from rich.rule import Rule

        from acctctl.cli.console import err_console

        err_console().print(Rule(title, align="left"))

    def _say(self, message: str, style: str) -> None:
        from acctctl.cli.console import say

        say(message, style)

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
            else:
                text = _show(value)
            rows.append((spec["label"], text))
        return rows

    def show_summary(self) -> None:
        from rich.table import Table
        from rich.text import Text

        from acctctl.cli.console import err_console

        table = Table(title=f"New {self.kind}", show_header=True, title_justify="left")
        table.add_column("Field")
        table.add_column("Value")
        for label, value in self.summary_rows():
            table.add_row(Text(label), Text(value))  # Text: "[bold]" in a value stays literal
        err_console().print(table)


class _Counting:
    """Counts the questions asked, so a re-ask round that asks nothing cannot loop."""

    def __init__(self, prompter: Prompter):
        self.inner = prompter
        self.count = 0

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.inner, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
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
