"""`acctctl rategroup|tax|role|reference`: what accounts point at."""

from __future__ import annotations

from typing import Annotated

import typer

from acctctl.cli.account import Output, check_format
from acctctl.cli.complete import choices, from_database
from acctctl.cli.console import say
from acctctl.cli.state import state_of
from acctctl.targets import catalog_for

rategroup_app = typer.Typer(help="Rate groups (an account needs one to call).",
                            no_args_is_help=True)
tax_app = typer.Typer(help="Taxes applied to accounts.", no_args_is_help=True)
role_app = typer.Typer(help="Roles of resellers, admins and sub-admins.", no_args_is_help=True)
reference_app = typer.Typer(help="ISO countries, currencies and IANA time zones.",
                            no_args_is_help=True)

Reseller = Annotated[str | None, typer.Option("--reseller", metavar="NUMBER",
                                              help="Owned by this reseller (default: admin)",
                                              autocompletion=from_database("resellers"))]


def _show(records: list[dict] | dict, output: str, title: str) -> None:
    """A list for `list` commands; a single object for `create` (json prints it bare). An
    empty list: "no <title>" on stderr instead of a table."""
    from acctctl.output import write_json, write_records

    if output == "json":
        write_json(records)
    elif isinstance(records, dict):
        write_records([records], output, title=title)
    else:
        write_records(records, output, title=title, empty=f"no {title}")


@rategroup_app.command("create")
def rategroup_create(ctx: typer.Context, name: str, reseller: Reseller = None,
                     inactive: Annotated[bool, typer.Option("--inactive")] = False,
                     output: Output = "table") -> None:
    """Create a rate group: acctctl rategroup create gold --reseller 4123456789"""
    from acctctl.service.catalog import create_rate_group

    check_format(output)
    record = create_rate_group(state_of(ctx).engine(), name, reseller, not inactive)
    _show(record, output, "rate group")
    say(f"created rate group {name!r}", "green")


@rategroup_app.command("list")
def rategroup_list(ctx: typer.Context, reseller: Reseller = None,
                   output: Output = "table") -> None:
    """List rate groups."""
    check_format(output)
    engine = state_of(ctx).engine()
    _show(catalog_for(engine).list_rate_groups(engine, reseller), output, "rate groups")


@tax_app.command("create")
def tax_create(
    ctx: typer.Context, name: str,
    rate: Annotated[str, typer.Option("--rate", metavar="PERCENT", help="Percentage, e.g. 18")],
    amount: Annotated[str | None, typer.Option("--amount", metavar="FIXED",
                                               help="Fixed amount added")] = None,
    priority: Annotated[int, typer.Option("--priority", help="Order of application")] = 0,
    reseller: Reseller = None, output: Output = "table",
) -> None:
    """Create a tax: acctctl tax create VAT --rate 20"""
    from acctctl.service.catalog import create_tax

    check_format(output)
    record = create_tax(state_of(ctx).engine(), name, rate, amount, priority, reseller)
    _show(record, output, "tax")
    say(f"created tax {name!r}", "green")


@tax_app.command("list")
def tax_list(ctx: typer.Context, reseller: Reseller = None, output: Output = "table") -> None:
    """List taxes."""
    check_format(output)
    engine = state_of(ctx).engine()
    _show(catalog_for(engine).list_taxes(engine, reseller), output, "taxes")


@role_app.command("create")
def role_create(
    ctx: typer.Context, name: str,
    for_: Annotated[str, typer.Option("--for", help="admin or reseller",
                                      autocompletion=choices(("admin", "reseller")))],
    description: Annotated[str, typer.Option("--description")] = "",
    output: Output = "table",
) -> None:
    """Create a role: acctctl role create support --for admin"""
    from acctctl.service.catalog import create_role

    check_format(output)
    record = create_role(state_of(ctx).engine(), name, for_, description)
    _show(record, output, "role")
    say(f"created role {name!r} for {for_}s", "green")


@role_app.command("list")
def role_list(ctx: typer.Context, output: Output = "table") -> None:
    """List roles."""
    check_format(output)
    engine = state_of(ctx).engine()
    _show(catalog_for(engine).list_roles(engine), output, "roles")


def _reference(what: str):
    def command(ctx: typer.Context,
                search: Annotated[str | None, typer.Option("--search", metavar="TEXT",
                                                           help="Case-insensitive filter")] = None,
                output: Output = "table") -> None:
        check_format(output)
        engine = state_of(ctx).engine()
        _show(catalog_for(engine).reference(engine, what, search), output, what)

    command.__doc__ = f"List {what}: acctctl reference {what} --search eur"
    reference_app.command(what)(command)


for _what in ("countries", "currencies", "timezones"):
    _reference(_what)
