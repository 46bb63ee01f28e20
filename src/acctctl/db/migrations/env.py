"""Alembic environment: acctctl passes its own connection in `config.attributes`."""

from alembic import context

from acctctl.models.tables import ddl_metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - acctctl always passes a connection
    raise RuntimeError("acctctl runs migrations programmatically: use `acctctl db upgrade`")

context.configure(
    connection=connection,
    target_metadata=ddl_metadata(),
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
