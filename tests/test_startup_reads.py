"""Start-up of the commands that touch the database (issue 20): a read builds no model and no
ORM, and loads no Alembic; on SQLite it loads no PostgreSQL dialect. The tables are
SQLAlchemy Core tables (models/tables.py), the output keys come from the generated copy of
the models (models/shown_fields.py). Timings: benchmarks/startup.py."""

from __future__ import annotations

import subprocess
import sys

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateIndex
from tests.test_startup_imports import loaded_modules, under

#: What building the input models or the ORM imports; and the schema machinery.
MODELS = ("sqlmodel", "sqlalchemy.orm", "acctctl.models.inputs", "alembic",
          "acctctl.db.migrate")


def test_a_read_builds_no_model_or_orm_and_loads_no_alembic(db_url, tmp_path):
    env = {"HOME": str(tmp_path), "ACCTCTL_DATABASE_URL": db_url}
    modules, output = loaded_modules("account", "list", "-o", "json", env=env)
    assert output.strip().startswith("["), output
    assert under(modules, MODELS) == []
    if db_url.startswith("sqlite"):
        assert under(modules, ("sqlalchemy.dialects.postgresql",)) == []


def test_a_dry_run_create_loads_no_alembic_nor_postgresql_dialect_on_sqlite(tmp_path):
    env = {"HOME": str(tmp_path), "ACCTCTL_DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}"}
    loaded_modules("account", "list", env=env)  # the first use initialises the database
    modules, output = loaded_modules("create", "customer", "--first-name", "Ada", "--email",
                                     "ada@example.com", "--dry-run", "--no-input", "-o",
                                     "json", env=env)
    assert '"first_name": "Ada"' in output, output
    assert under(modules, ("alembic", "acctctl.db.migrate",
                           "sqlalchemy.dialects.postgresql")) == []


def test_the_shown_fields_are_the_models_declaration():
    """models/shown_fields.py is generated: python -m acctctl.cli.flag_table after a field
    changes."""
    from acctctl.cli.flag_table import billing_kinds_from_models, shown_from_models
    from acctctl.models.shown_fields import BILLING_KINDS, SHOWN_FIELDS

    assert SHOWN_FIELDS == shown_from_models()
    assert BILLING_KINDS == billing_kinds_from_models()


def test_output_keys_are_every_field_but_the_secrets_then_the_servers():
    from acctctl.models.inputs import KINDS, field_specs
    from acctctl.storage.records import SERVER_KEYS, output_keys

    for kind, model in KINDS.items():
        keys = output_keys(kind)
        shown = [k for k, spec in field_specs(model).items() if not spec["secret"]]
        assert keys[:2] == ["number", "kind"] and set(shown) <= set(keys)
        assert not {"password", "password_hash", "sip_password"} & set(keys)
        assert keys[-len(SERVER_KEYS) + 1:] == [k for k in SERVER_KEYS if k != "kind"]


def test_the_tables_load_no_postgresql_dialect_yet_its_ddl_keeps_the_partial_indexes():
    code = ("import sys, acctctl.models.tables; "
            "print('sqlalchemy.dialects.postgresql' in sys.modules)")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, timeout=120).stdout.strip()
    assert loaded == "False"
    from acctctl.models.tables import Account, ddl_metadata

    metadata = ddl_metadata()
    index = next(i for i in metadata.tables["accounts"].indexes
                 if i.name == "uq_accounts_live_number")
    ddl = str(CreateIndex(index).compile(dialect=postgresql.dialect()))
    assert ddl.endswith("WHERE deleted_at IS NULL"), ddl
    assert Account.__table__ is metadata.tables["accounts"]


@pytest.mark.parametrize("column, default", [("status", "active"), ("last_name", ""),
                                             ("company", "")])
def test_a_column_the_insert_omits_takes_its_default(engine, column, default):
    """The Core tables keep the defaults the table models gave (an insert may omit them)."""
    from datetime import UTC, datetime

    from acctctl.models.tables import Account

    A = Account.__table__
    with engine.begin() as conn:
        conn.execute(sa.insert(A).values(
            kind="admin", number="startup1", password_hash="x", first_name="Ada",
            country="US", timezone="UTC", created_at=datetime.now(UTC), created_by="t",
            batch_id="b"))
        value = conn.execute(sa.select(A.c[column]).where(A.c.number == "startup1")).scalar()
    assert value == default
