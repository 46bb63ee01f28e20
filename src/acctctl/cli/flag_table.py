"""Writes cli/flag_data.py: the field flags of each kind (what `create KIND` and `account
update` take), copied from the models so that their --help and TAB need not import the
models (and SQLModel, SQLAlchemy, pydantic); and models/shown_fields.py: the keys of each
kind's fields a record shows (every field but the secrets, in form order), from which a read
builds its output keys without building the models. The models stay the one declaration;
the copies are generated, as docs/fields.md is.

Regenerate after changing a field: python -m acctctl.cli.flag_table
(tests/test_startup_imports.py and tests/test_startup_reads.py fail while a copy differs
from the models)."""

from __future__ import annotations

from pathlib import Path


def from_models() -> dict[str, dict[str, dict]]:
    """The table, computed from the models (imports them)."""
    from acctctl.models.inputs import KINDS, field_specs

    table: dict[str, dict[str, dict]] = {}
    for kind, model in KINDS.items():
        table[kind] = {}
        for key, spec in field_specs(model).items():
            if spec["secret"] or spec["file_only"]:
                continue
            value = ("bool" if spec["annotation"] is bool
                     else "list" if key == "taxes" else "text")
            table[kind][key] = {"flag": spec["flag"], "group": spec["group"], "value": value,
                                "choices": tuple(spec["choices"] or ()),
                                "source": spec["source"], "required": spec["required"],
                                "help": spec["help"]}
    return table


def shown_from_models() -> dict[str, tuple[str, ...]]:
    """Each kind's non-secret field keys in form order, computed from the models."""
    from acctctl.models.inputs import KINDS, field_specs

    return {kind: tuple(key for key, spec in field_specs(model).items() if not spec["secret"])
            for kind, model in KINDS.items()}


def billing_kinds_from_models() -> tuple[str, ...]:
    """The kinds with the billing form (a balance), computed from the models."""
    from acctctl.models.inputs import KINDS, BillingInput

    return tuple(kind for kind, model in KINDS.items() if issubclass(model, BillingInput))


HEADER = '''"""The field flags of each kind, generated from the models by
`python -m acctctl.cli.flag_table`: do not edit (see that module)."""

'''

SHOWN_HEADER = '''"""The keys of each kind's fields a record shows (all but the secrets, in form
order) and the kinds with a balance, generated from the models by `python -m
acctctl.cli.flag_table`: do not edit (see that module). storage/ reads them here, so a read
needs no model built."""

'''


def write() -> None:
    import pprint

    body = pprint.pformat(from_models(), width=92, sort_dicts=False)
    Path(__file__).with_name("flag_data.py").write_text(
        f"{HEADER}FLAGS: dict[str, dict[str, dict]] = {body}\n")
    shown = pprint.pformat(shown_from_models(), width=92, sort_dicts=False)
    Path(__file__).parent.with_name("models").joinpath("shown_fields.py").write_text(
        f"{SHOWN_HEADER}SHOWN_FIELDS: dict[str, tuple[str, ...]] = {shown}\n\n"
        f"#: The kinds whose model has the billing form (an account with a balance).\n"
        f"BILLING_KINDS = {billing_kinds_from_models()!r}\n")


if __name__ == "__main__":
    write()
