"""`acctctl rategroup|tax|role|reference`: what accounts point at."""

from __future__ import annotations

from typing import Annotated

import typer

from acctctl.cli.complete import choices, from_database
from acctctl.cli.console import say, warn
from acctctl.cli.options import DryRun, Output, Yes, check_format, confirm, filter_text
from acctctl.cli.state import state_of
from acctctl.output import cell, write_json, write_records

rategroup_app = typer.Typer(no_args_is_help=True)
tax_app = typer.Typer(no_args_is_help=True)
role_app = typer.Typer(no_args_is_help=True)
reference_app = typer.Typer(no_args_is_help=True)

Reseller = Annotated[str | None, typer.Option("--reseller", metavar="NUMBER",
                                              help="Owned by this reseller (default: admin)",
                                              autocompletion=from_database("resellers"))]
RateGroupName = Annotated[str, typer.Argument(
    metavar="NAME", help="The rate group's name (unique per owner)",
    autocompletion=from_database("rate_groups"))]
TaxName = Annotated[str, typer.Argument(metavar="NAME", help="The tax's name (unique per owner)",
                                        autocompletion=from_database("taxes"))]
IfExists = Annotated[str, typer.Option(
    "--if-exists", metavar="fail|skip", autocompletion=choices(("fail", "skip")),
    help="When the owner has one of that name already: fail (exit 4) or skip (exit 0, "
         "left as it is)")]
Rate = Annotated[str, typer.Option("--rate", metavar="PERCENT",
                                   help="Percentage from 0 to 100, e.g. 18 or 7.5")]
Amount = Annotated[str | None, typer.Option("--amount", metavar="FIXED",
                                            help="Fixed amount added (default 0)")]


def _show(records: list[dict] | dict, output: str, title: str) -> None:
    """A list for `list` commands; a single object for `create` (json prints it bare). An
    empty list: "no <title>" on stderr instead of a table."""

    if output == "json":
        write_json(records)
    elif isinstance(records, dict):
        write_records([records], output, title=title)
    else:
        write_records(records, output, title=title, empty=f"no {title}")


def _owner_label(name: str, reseller: str | None) -> str:
    return f"{name!r} of " + (f"reseller {reseller}" if reseller else "the admin")


def _created(record: dict, output: str, what: str, reseller: str | None) -> None:
    _show(record, output, what)
    if record.get("skipped"):
        say(f"skipped: {what} {_owner_label(record['name'], reseller)} already exists "
            "(--if-exists skip); nothing was written", "yellow")
    else:
        say(f"created {what} {record['name']!r}", "green")


@rategroup_app.command("create", short_help="Create a rate group.")
def rategroup_create(
    ctx: typer.Context, name: RateGroupName, reseller: Reseller = None,
    inactive: Annotated[bool, typer.Option(
        "--inactive", help="Create it inactive: no account can be given it until "
                           "`rategroup update NAME --active`")] = False,
    if_exists: IfExists = "fail", output: Output = "table",
) -> None:
    """Create a rate group: acctctl rategroup create gold --reseller 4123456789"""
    check_format(output)
    group = state_of(ctx).client().create_rate_group(name, reseller=reseller,
                                                     active=not inactive, if_exists=if_exists)
    _created(group.as_dict(), output, "rate group", reseller)


@rategroup_app.command("list")
def rategroup_list(ctx: typer.Context, reseller: Reseller = None,
                   output: Output = "table") -> None:
    """List rate groups."""
    check_format(output)
    _show(_records(state_of(ctx).client().rate_groups(reseller)), output, "rate groups")


@rategroup_app.command("update", short_help="Change a rate group.")
def rategroup_update(
    ctx: typer.Context, name: RateGroupName, reseller: Reseller = None,
    active: Annotated[bool | None, typer.Option(
        "--active/--inactive", show_default=False,
        help="Make it active, or inactive (accounts keep it; no new account can be given "
             "it)")] = None,
    dry_run: DryRun = False, output: Output = "table",
) -> None:
    """Change a rate group; only what is given changes:
    acctctl rategroup update gold --reseller 4123456789 --inactive"""
    check_format(output)
    group = state_of(ctx).client().update_rate_group(name, reseller=reseller, dry_run=dry_run,
                                                     active=active)
    _updated(group.as_dict(), output, "rate group", reseller, dry_run)


@rategroup_app.command("delete", short_help="Delete a rate group no account uses.")
def rategroup_delete(ctx: typer.Context, name: RateGroupName, reseller: Reseller = None,
                     yes: Yes = False, dry_run: DryRun = False,
                     output: Output = "table") -> None:
    """Delete a rate group no account uses (refused, exit 4, while accounts use it):
    acctctl rategroup delete gold --reseller 4123456789 --yes"""
    client = _deleting(ctx, "rate group", name, reseller, yes, dry_run, output)
    _deleted(ctx, client.delete_rate_group(name, reseller=reseller, dry_run=dry_run), output)


@tax_app.command("create", short_help="Create a tax.")
def tax_create(
    ctx: typer.Context, name: TaxName, rate: Rate, amount: Amount = None,
    priority: Annotated[int, typer.Option("--priority", metavar="N",
                                          help="Order of application, 0 or more")] = 0,
    reseller: Reseller = None, if_exists: IfExists = "fail", output: Output = "table",
) -> None:
    """Create a tax: acctctl tax create VAT --rate 20"""
    check_format(output)
    tax = state_of(ctx).client().create_tax(name, rate=rate, amount=amount, priority=priority,
                                            reseller=reseller, if_exists=if_exists)
    _created(tax.as_dict(), output, "tax", reseller)


@tax_app.command("list")
def tax_list(ctx: typer.Context, reseller: Reseller = None, output: Output = "table") -> None:
    """List taxes."""
    check_format(output)
    _show(_records(state_of(ctx).client().taxes(reseller)), output, "taxes")


@tax_app.command("update", short_help="Change a tax.")
def tax_update(
    ctx: typer.Context, name: TaxName,
    rate: Annotated[str | None, typer.Option(
        "--rate", metavar="PERCENT", help="New percentage from 0 to 100")] = None,
    amount: Annotated[str | None, typer.Option(
        "--amount", metavar="FIXED", help="New fixed amount")] = None,
    priority: Annotated[int | None, typer.Option(
        "--priority", metavar="N", help="New order of application, 0 or more")] = None,
    reseller: Reseller = None, dry_run: DryRun = False, output: Output = "table",
) -> None:
    """Change a tax; only what is given changes (accounts that have it keep it):
    acctctl tax update VAT --rate 21"""
    check_format(output)
    tax = state_of(ctx).client().update_tax(name, rate=rate, amount=amount, priority=priority,
                                            reseller=reseller, dry_run=dry_run)
    _updated(tax.as_dict(), output, "tax", reseller, dry_run)


@tax_app.command("delete", short_help="Delete a tax no account has.")
def tax_delete(ctx: typer.Context, name: TaxName, reseller: Reseller = None,
               yes: Yes = False, dry_run: DryRun = False, output: Output = "table") -> None:
    """Delete a tax no account has (refused, exit 4, while accounts have it):
    acctctl tax delete VAT --reseller 4123456789 --yes"""
    client = _deleting(ctx, "tax", name, reseller, yes, dry_run, output)
    _deleted(ctx, client.delete_tax(name, reseller=reseller, dry_run=dry_run), output)


def _records(entries: list) -> list[dict]:
    return [entry.as_dict() for entry in entries]


def _updated(record: dict, output: str, what: str, reseller: str | None,
             dry_run: bool) -> None:
    changes = record.pop("changes")
    if output == "json":
        record["changes"] = changes
    _show(record, output, what)
    label = f"{what} {_owner_label(record['name'], reseller)}"
    if not changes:
        say(f"{label}: nothing changed (the values are already so)", "yellow")
        return
    for key, (old, new) in changes.items():
        say(f"  {key}: {_shown(old)} -> {_shown(new)}")
    say(f"dry run: would update {label}; nothing was written" if dry_run
        else f"updated {label}", "yellow" if dry_run else "green")


def _shown(value) -> str:

    return repr(cell(value))


def _deleting(ctx: typer.Context, what: str, name: str, reseller: str | None, yes: bool,
              dry_run: bool, output: str):
    """The client to delete with, once confirmed as `account delete` is: --yes, or a yes at
    a terminal."""
    check_format(output)
    client = state_of(ctx).client()  # first: a target without it exits 2 before any question
    if not dry_run:
        confirm(f"Delete {what} {_owner_label(name, reseller)}?", yes)
    return client


def _deleted(ctx: typer.Context, entry, output: str) -> None:
    what, reseller, dry_run = entry.kind, entry.reseller, entry.dry_run
    record = entry.as_dict()
    _show(record, output, what)
    label = f"{what} {_owner_label(record['name'], reseller)}"
    say(f"dry run: would delete {label}; nothing was written" if dry_run
        else f"deleted {label}", "yellow" if dry_run else "green")
    defaults = state_of(ctx).settings.defaults
    if what == "rate group":
        key, flag, named = "defaults.rate_group", "--rate-group", [defaults.rate_group]
    else:
        key, flag, named = "defaults.taxes", "--tax", defaults.taxes
    if record["name"] in named:  # what create gives an account unless told otherwise
        warn(f"{key} names {record['name']!r}: accounts created for "
             f"{'reseller ' + reseller if reseller else 'the admin'} without {flag} are "
             "refused until there is one again")


@role_app.command("create")
def role_create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="The role's name")],
    for_: Annotated[str, typer.Option("--for", help="admin or reseller",
                                      autocompletion=choices(("admin", "reseller")))],
    description: Annotated[str, typer.Option("--description", metavar="TEXT",
                                             help="What the role is for")] = "",
    output: Output = "table",
) -> None:
    """Create a role: acctctl role create support --for admin"""
    check_format(output)
    role = state_of(ctx).client().create_role(name, scope=for_, description=description)
    _show(role.as_dict(), output, "role")
    say(f"created role {name!r} for {for_}s", "green")


@role_app.command("list")
def role_list(ctx: typer.Context, output: Output = "table") -> None:
    """List roles."""
    check_format(output)
    _show(_records(state_of(ctx).client().roles()), output, "roles")


def _reference(what: str):
    def command(ctx: typer.Context,
                search: Annotated[str | None, typer.Option("--search", metavar="TEXT",
                                                           help="Case-insensitive filter")] = None,
                output: Output = "table") -> None:
        check_format(output)
        filter_text(search, "--search")
        listed = getattr(state_of(ctx).client(), what)  # countries, currencies, timezones
        _show(_records(listed(search)), output, what)

    command.__doc__ = f"List {what}: acctctl reference {what} --search eur"
    reference_app.command(what)(command)


for _what in ("countries", "currencies", "timezones"):
    _reference(_what)
