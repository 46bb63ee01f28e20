"""`acctctl create KIND`: flags are derived from the kind's model, never listed by hand.

The `create` group is lazy: the models (and so SQLModel) are imported only when a create
command actually runs or shows its help, which keeps `acctctl --help` quick.
"""

from __future__ import annotations

import inspect
from typing import Annotated, Any

import typer

from acctctl.cli.complete import OUTPUT_FORMATS, choices, from_database
from acctctl.cli.create_run import CreateFlags, run_create
from acctctl.cli.flag_data import FLAGS
from acctctl.cli.help import GroupedCommand, examples_epilog
from acctctl.cli.lazy import LazyGroup

KIND_NAMES = ("customer", "provider", "reseller", "admin", "subadmin")
KIND_HELP = {
    "customer": "Create a customer account (or many, from a file or --count).",
    "provider": "Create a provider account: the customer form, stored as a provider.",
    "reseller": "Create a reseller, which can own customers, rate groups and taxes.",
    "admin": "Create an admin (login accounts: no billing fields).",
    "subadmin": "Create a sub-admin (keeps the role it is given).",
}
EXAMPLES = {
    "customer": [
        "acctctl create customer --first-name Ada --email ada@example.com",
        "acctctl create customer --first-name Bo --account-type postpaid \\\n"
        "      --credit-limit 500 --password-file pw.txt -o json",
        "acctctl create customer --from-file customers.csv --continue-on-error \\\n"
        "      --rejects-file rejects.csv --secrets-file secrets.csv",
        "acctctl create customer --count 100 --prefix 77 --length 8 --dry-run",
    ],
    "provider": [
        "acctctl create provider --first-name Carrier --company 'Carrier Ltd'",
        "acctctl create provider --from-file providers.jsonl -o jsonl",
    ],
    "reseller": [
        "acctctl create reseller --first-name Rita --email rita@example.com",
        "acctctl create reseller --number 4123456789 --first-name Rita -o json",
        "acctctl create reseller --from-file resellers.csv --if-exists skip",
    ],
    "admin": [
        "acctctl create admin --first-name Root --email root@example.com",
        "acctctl create admin --number ops.root --first-name Ops --email ops@x.org",
    ],
    "subadmin": [
        "acctctl create subadmin --first-name Sam --email sam@example.com",
        "acctctl create subadmin --from-file staff.csv --if-exists skip",
    ],
}


class LazyKindGroup(LazyGroup):
    lazy_help = KIND_HELP

    def build(self, name: str):
        return build_command(name)


app = typer.Typer(
    cls=LazyKindGroup,
    no_args_is_help=True,
)

MODE_PANEL = "Mode"
OUTPUT_PANEL = "Output"
BULK_PANEL = "Bulk"


def _mode_parameters() -> list[inspect.Parameter]:
    def opt(name, annotation, default, *decls, panel=MODE_PANEL, **kw):
        return inspect.Parameter(
            name, inspect.Parameter.KEYWORD_ONLY, default=default,
            annotation=Annotated[annotation, typer.Option(*decls, rich_help_panel=panel, **kw)],
        )

    return [
        opt("password_file", str | None, None, "--password-file", metavar="PATH",
            help="Read the portal password from this file (first line)"),
        opt("password_stdin", bool, False, "--password-stdin",
            help="Read the portal password from standard input"),
        opt("interactive", bool, False, "--interactive",
            help="Ask the essential fields, then offer the others; flags given become the "
                 "defaults"),
        opt("all_fields", bool, False, "--all-fields",
            help="Ask every field of the form, in form order (implies --interactive)"),
        opt("yes", bool, False, "--yes", "-y", help="Do not ask for confirmation"),
        opt("dry_run", bool, False, "--dry-run",
            help="Run every check, the database ones included, and write nothing"),
        opt("output", str, "table", "--output", "-o", panel=OUTPUT_PANEL, metavar="FORMAT",
            autocompletion=choices(OUTPUT_FORMATS),
            help="table, json, jsonl or csv"),
        opt("secrets_file", str | None, None, "--secrets-file", metavar="PATH",
            panel=OUTPUT_PANEL,
            help="Write generated secrets to this new file (mode 0600) instead of stdout"),
        opt("from_file", str | None, None, "--from-file", metavar="PATH", panel=BULK_PANEL,
            help="Create one account per row of a CSV, JSON or JSONL file; - for stdin"),
        opt("file_format", str | None, None, "--format", panel=BULK_PANEL, metavar="FORMAT",
            autocompletion=choices(("csv", "json", "jsonl", "astpp")),
            help="csv, json or jsonl (inferred from the file name; required for stdin); "
                 "astpp: ASTPP's customer import file (recognised by its header)"),
        opt("count", int | None, None, "--count", metavar="N", panel=BULK_PANEL,
            help="Create N accounts from the flags as a template"),
        opt("prefix", str | None, None, "--prefix", metavar="P", panel=BULK_PANEL,
            help="Generated numbers start with P (default numbers.prefix)"),
        opt("length", int | None, None, "--length", metavar="L", panel=BULK_PANEL,
            help="Generated numbers have L digits (default numbers.length)"),
        opt("if_exists", str, "fail", "--if-exists", panel=BULK_PANEL, metavar="fail|skip",
            autocompletion=choices(("fail", "skip")),
            help="fail or skip when the number (else the email) already exists"),
        opt("continue_on_error", bool, False, "--continue-on-error", panel=BULK_PANEL,
            help="Write the good rows and report the bad ones (exit 6)"),
        opt("rejects_file", str | None, None, "--rejects-file", metavar="PATH",
            panel=BULK_PANEL,
            help="With --continue-on-error: write the failed rows to this new file (mode "
            "0600), in the input's format plus an error column, to fix and run again"),
        opt("template", str | None, None, "--template", panel=BULK_PANEL, metavar="csv|json",
            autocompletion=choices(("csv", "json")),
            help="Print an empty csv or json file with every key of this kind, and exit"),
    ]


#: Short placeholders where the key would be long or unclear in --help.
METAVARS = {"reseller": "NUMBER", "max_channels": "N", "cps": "N", "valid_days": "DAYS",
            "number_translation": "RULES", "billing_day": "DAY", "credit_limit": "AMOUNT",
            "low_balance_alert": "AMOUNT", "notify_email": "EMAIL", "expiry": "DATE",
            "rate_group": "NAME", "role": "NAME", "timezone": "ZONE", "telephone": "PHONE"}


def _field_parameters(kind: str, mark_required: bool = True) -> list[inspect.Parameter]:
    """The kind's field flags, from the copy of the models' declarations in flag_data.py
    (building --help or a TAB does not import the models)."""
    params = []
    for key, spec in FLAGS[kind].items():
        flag, panel = spec["flag"], spec["group"].title()
        # required in flag mode (at a terminal the wizard asks for it)
        complete = (choices(spec["choices"]) if spec["choices"]
                    else from_database(spec["source"]) if spec["source"] else None)
        required = mark_required and spec["required"] and "required" not in spec["help"]
        text = spec["help"] + (" [required]" if required else "")
        if spec["value"] == "bool":
            name = flag[2:]
            option = typer.Option(f"--{name}/--no-{name}", help=text,
                                  rich_help_panel=panel, show_default=False)
            hint = bool | None
        elif spec["value"] == "list":
            option = typer.Option(flag, help=text, rich_help_panel=panel, metavar="NAME",
                                  autocompletion=complete)
            hint = list[str] | None
        else:
            metavar = "|".join(spec["choices"]) or METAVARS.get(key, key.upper())
            option = typer.Option(flag, help=text, rich_help_panel=panel, metavar=metavar,
                                  autocompletion=complete)
            hint = str | None
        params.append(inspect.Parameter(key, inspect.Parameter.KEYWORD_ONLY, default=None,
                                        annotation=Annotated[hint, option]))
    return params


def build_command(kind: str):
    fields = _field_parameters(kind)
    modes = _mode_parameters()
    field_keys = [p.name for p in fields]

    def command(ctx: typer.Context, **kwargs: Any) -> None:
        given = {k: kwargs.pop(k) for k in field_keys}
        given = {k: v for k, v in given.items() if v is not None and v != []}
        run_create(ctx, kind, given, CreateFlags(**kwargs))

    ctx_param = inspect.Parameter("ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                  annotation=typer.Context)
    command.__signature__ = inspect.Signature([ctx_param, *fields, *modes])
    command.__annotations__ = {p.name: p.annotation for p in [ctx_param, *fields, *modes]}
    command.__doc__ = KIND_HELP[kind]
    single = typer.Typer(add_completion=False, rich_markup_mode=None)
    single.command(kind, cls=GroupedCommand, epilog=examples_epilog(EXAMPLES[kind]))(command)
    return typer.main.get_command(single)
