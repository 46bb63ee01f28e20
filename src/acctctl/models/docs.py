"""The field reference in docs/fields.md, generated from the catalogue so it cannot drift.

Regenerate with: python -m acctctl.models.docs > docs/fields.md
"""

from __future__ import annotations

from acctctl.models.inputs import KINDS, field_specs


def fields_markdown() -> str:
    every: dict[str, dict] = {}
    kinds: dict[str, list[str]] = {}
    for kind, model in KINDS.items():
        for key, spec in field_specs(model).items():
            every.setdefault(key, spec)
            kinds.setdefault(key, []).append(kind)
    lines = [
        "# Account fields",
        "",
        "Generated from `src/acctctl/models/inputs.py` by `python -m acctctl.models.docs`.",
        "The key is used in JSON/JSONL/CSV input and output; the flag on the command line.",
        "",
        "| key | flag | group | kinds | default | rule |",
        "|---|---|---|---|---|---|",
    ]
    for key, spec in every.items():
        if key == "password":
            flag = "`--password-file`, `--password-stdin`, hidden prompt"
        elif spec["file_only"]:
            flag = "file rows only"
        elif spec["annotation"] is bool:
            name = spec["flag"][2:]
            flag = f"`--{name}/--no-{name}`"
        else:
            flag = f"`{spec['flag']}`"
        default = f"config `{spec['config_default']}`" if spec["config_default"] else (
            "required" if spec["required"] else "")
        applies = "all" if len(kinds[key]) == len(KINDS) else ", ".join(kinds[key])
        lines.append(
            f"| {key} | {flag} | {spec['group']} | {applies} | {default} | {spec['help']} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(fields_markdown(), end="")
