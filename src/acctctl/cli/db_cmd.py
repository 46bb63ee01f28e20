"""`acctctl db upgrade|current|check`."""

from __future__ import annotations

import typer

from acctctl.cli.console import say
from acctctl.cli.state import state_of
from acctctl.errors import DatabaseError

app = typer.Typer(no_args_is_help=True)


@app.command("upgrade")
def upgrade(ctx: typer.Context) -> None:
    """Bring the schema to the newest migration (creates it in an empty database)."""
    from acctctl.db import migrate

    engine = state_of(ctx).engine(ensure_schema=False)
    before, after = migrate.upgrade(engine)
    if before == after:
        say(f"already at the newest revision {after}", "green")
    else:
        say(f"upgraded {before or '(empty)'} -> {after}", "green")


def _revisions(ctx: typer.Context):
    """(engine, the database's revision, the newest revision acctctl ships)."""
    from acctctl.db import migrate

    engine = state_of(ctx).engine(ensure_schema=False)
    with engine.connect() as conn:
        revision = migrate.current_revision(conn)
    return engine, revision, migrate.head_revision()


@app.command("current")
def current(ctx: typer.Context) -> None:
    """Print the schema revision of the database, and the newest one acctctl knows."""
    from acctctl.db import migrate

    _, revision, head = _revisions(ctx)
    typer.echo(revision or "(none)")
    migrate.refuse_newer(revision)
    say("at head" if revision == head else f"behind: the newest is {head}")


@app.command("check")
def check(ctx: typer.Context) -> None:
    """Exit 0 when the schema is at the newest revision and matches the models, else 5."""
    from acctctl.db import migrate

    engine, revision, head = _revisions(ctx)
    migrate.refuse_newer(revision)
    migrate.check_integrity(engine)
    if revision != head:
        raise DatabaseError(f"schema is at {revision or '(none)'}, the newest is {head}",
                            hint="run: acctctl db upgrade")
    drift = migrate.drift(engine)
    if drift:
        raise DatabaseError(f"schema differs from the models: {drift}")
    say(f"schema at {head} and matches the models", "green")
