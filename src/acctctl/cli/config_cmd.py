"""`acctctl config init|show|path`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import tomli_w
import typer

from acctctl.cli.console import say
from acctctl.cli.state import state_of

app = typer.Typer(no_args_is_help=True)


@app.command("init")
def init(
    ctx: typer.Context,
    path: Annotated[str | None, typer.Option("--path", metavar="PATH",
                                             help="Where to write (default: where acctctl "
                                             "reads: --config, $ACCTCTL_CONFIG, "
                                             "./acctctl.toml, the user config dir)")] = None,
    database_url: Annotated[str | None, typer.Option("--database-url", metavar="URL",
                                                     help="sqlite:///PATH or "
                                                     "postgresql://USER@HOST/DB; keep "
                                                     "passwords in --password-file")] = None,
    password_file: Annotated[str | None, typer.Option("--password-file", metavar="PATH",
                                                      help="Read the DB password from here")
                             ] = None,
    number_length: Annotated[int | None, typer.Option("--number-length")] = None,
    number_prefix: Annotated[str | None, typer.Option("--number-prefix")] = None,
    country: Annotated[str | None, typer.Option("--country")] = None,
    timezone: Annotated[str | None, typer.Option("--timezone")] = None,
    currency: Annotated[str | None, typer.Option("--currency")] = None,
    rate_group: Annotated[str | None, typer.Option("--rate-group")] = None,
    database_target: Annotated[str | None, typer.Option(
        "--target", help='acctctl (own schema) or astpp (an ASTPP 6 database; needs a '
        'mysql:// or mariadb:// --database-url)')] = None,
    astpp_config: Annotated[str | None, typer.Option(
        "--astpp-config", metavar="PATH",
        help="ASTPP's astpp-config.conf, where its PRIVATE_KEY is read from")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file")] = False,
) -> None:
    """Write a config file with every setting at its default, mode 0600."""
    from acctctl.config import config_init_path, default_config_dict, write_config

    target = Path(path) if path else config_init_path(state_of(ctx).config_path)
    values = default_config_dict()
    chosen = {
        ("database", "url"): database_url, ("database", "password_file"): password_file,
        ("numbers", "length"): number_length, ("numbers", "prefix"): number_prefix,
        ("defaults", "country"): country, ("defaults", "timezone"): timezone,
        ("defaults", "currency"): currency, ("defaults", "rate_group"): rate_group,
        ("database", "target"): database_target,
    }
    for (section, key), value in chosen.items():
        if value is not None:
            values[section][key] = value
    if values["database"]["target"] == "astpp":
        from acctctl.config import AstppSettings

        values["astpp"] = {"config_file": astpp_config or AstppSettings().config_file}
        # ASTPP's own settings rule (contract §8): a [numbers] or [defaults] key written here
        # would override them (prefix = "" its starting digit), so only the flags given go in
        for section in ("numbers", "defaults"):
            values[section] = {key: value for (where, key), value in chosen.items()
                               if where == section and value is not None}
    write_config(target, values, force=force)
    say(f"wrote {target}", "green")


@app.command("show")
def show(ctx: typer.Context) -> None:
    """Print the effective settings (file, profile, environment), passwords masked."""
    from acctctl.config import effective_settings_dict

    typer.echo(tomli_w.dumps(effective_settings_dict(state_of(ctx).loaded())), nl=False)


@app.command("path")
def path(ctx: typer.Context) -> None:
    """Print the config file in use (or where `config init` would write one)."""
    from acctctl.config import user_config_path

    loaded = state_of(ctx).loaded()
    typer.echo(str(loaded.path or user_config_path()))
    if loaded.path is None:
        say("(no config file yet: built-in defaults apply)")
