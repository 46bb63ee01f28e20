"""Writes cli/flag_data.py: the field flags of each kind (what `create KIND` and `account
update` take), copied from the models so that their --help and TAB need not import the
models (and SQLModel, SQLAlchemy, pydantic). The models stay the one declaration; the copy
is generated, as docs/fields.md is.

Regenerate after changing a field: python -m acctctl.cli.flag_table
(tests/test_startup_imports.py fails while the copy differs from the models)."""

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


HEADER = '''"""The field flags of each kind, generated from the models by
`python -m acctctl.cli.flag_table`: do not edit (see that module)."""

'''


def write() -> None:
    import pprint

    body = pprint.pformat(from_models(), width=92, sort_dicts=False)
    Path(__file__).with_name("flag_data.py").write_text(
        f"{HEADER}FLAGS: dict[str, dict[str, dict]] = {body}\n")


if __name__ == "__main__":
    write()
