"""The field reference in docs/fields.md, generated from the catalogue so it cannot drift.

Regenerate with: python -m acctctl.models.docs > docs/fields.md
"""

from __future__ import annotations

from acctctl.models.inputs import KINDS, field_specs


def fields_markdown() -> str:
    specs: dict[str, dict[str, dict]] = {}  # key -> kind -> its spec
    for kind, model in KINDS.items():
        for key, spec in field_specs(model).items():
            specs.setdefault(key, {})[kind] = spec
    lines = [
        "# Account fields",
        "",
        "Generated from `src/acctctl/models/inputs.py` by `python -m acctctl.models.docs`.",
        "The key is used in JSON/JSONL/CSV input and output; the flag on the command line.",
        "Where kinds differ, each kind's default and rule is given.",
        "",
        "| key | flag | group | kinds | default | rule |",
        "|---|---|---|---|---|---|",
    ]
    for key, by_kind in specs.items():
        spec = next(iter(by_kind.values()))
        if key == "password":
            flag = "`--password-file`, `--password-stdin`, hidden prompt"
        elif spec["file_only"]:
            flag = "file rows only"
        elif spec["annotation"] is bool:
            name = spec["flag"][2:]
            flag = f"`--{name}/--no-{name}`"
        else:
            flag = f"`{spec['flag']}`"
        applies = "all" if len(by_kind) == len(KINDS) else ", ".join(by_kind)
        default = _per_kind(by_kind, lambda s: f"config `{s['config_default']}`"
                            if s["config_default"] else ("required" if s["required"] else ""))
        rule = _per_kind(by_kind, lambda s: s["help"])
        lines.append(f"| {key} | {flag} | {spec['group']} | {applies} | {default} | {rule} |")
    return "\n".join(lines) + "\n"


def _per_kind(by_kind: dict[str, dict], text) -> str:
    """One text when every kind agrees, else `kinds: text` for each variant."""
    variants: dict[str, list[str]] = {}
    for kind, spec in by_kind.items():
        variants.setdefault(text(spec), []).append(kind)
    if len(variants) == 1:
        return next(iter(variants))
    return "; ".join(f"{', '.join(kinds)}: {value or '(none)'}"
                     for value, kinds in variants.items())


if __name__ == "__main__":
    print(fields_markdown(), end="")
