"""Help that fits 80 columns: Click's plain layout (a flag name is never cut: a long one
puts its help on the next line), options grouped as the form groups them, required flags
marked, and examples at the end of every command, as `gh` does."""

from __future__ import annotations

from typer.core import TyperCommand

from acctctl.cli.lazy import defer_conversion

#: Examples per command path (after `acctctl`); the create kinds have theirs in create.py.
EXAMPLES: dict[str, list[str]] = {
    "account list": [
        "acctctl account list --kind customer",
        "acctctl account list --reseller 4123456789 --wide",
        "acctctl account list -o csv > accounts.csv",
    ],
    "account show": [
        "acctctl account show 4123456789",
        "acctctl account show 4123456789 -o json",
    ],
    "account update": [
        "acctctl account update 4123456789 --last-name Lovelace --max-channels 4",
        "acctctl account update --from-file changes.csv --dry-run",
    ],
    "account disable": [
        "acctctl account disable 4123456789",
        "acctctl account disable 4123456789 4123456790 -o json",
    ],
    "account enable": ["acctctl account enable 4123456789"],
    "account delete": [
        "acctctl account delete 4123456789 --yes",
        "acctctl account delete 4123456789 --purge --yes",
    ],
    "account reset-password": [
        "acctctl account reset-password 4123456789",
        "acctctl account reset-password 4123456789 --password-file pw.txt",
        "acctctl account reset-password 4123456789 --secrets-file new.csv",
    ],
    "account rotate-sip-secret": [
        "acctctl account rotate-sip-secret 4123456789",
        "acctctl account rotate-sip-secret 4123456789 --secrets-file sip.csv",
    ],
    "account export": [
        "acctctl account export --kind customer > customers.csv",
        "acctctl account export --reseller 4123456789 --with-secrets -o jsonl",
    ],
    "batch list": ["acctctl batch list", "acctctl batch list -o json"],
    "batch show": ["acctctl batch show BATCH_ID"],
    "batch undo": [
        "acctctl batch undo BATCH_ID --dry-run",
        "acctctl batch undo BATCH_ID --yes",
    ],
    "audit list": [
        "acctctl audit list --account 4123456789",
        "acctctl audit list --batch BATCH_ID -o json",
        "acctctl audit list --since 2026-01-01 --limit 50",
    ],
    "rategroup create": [
        "acctctl rategroup create gold",
        "acctctl rategroup create gold --reseller 4123456789",
        "acctctl rategroup create gold --if-exists skip",
    ],
    "rategroup list": ["acctctl rategroup list", "acctctl rategroup list -o json"],
    "rategroup update": [
        "acctctl rategroup update gold --inactive",
        "acctctl rategroup update gold --reseller 4123456789 --active --dry-run",
    ],
    "rategroup delete": [
        "acctctl rategroup delete gold --yes",
        "acctctl rategroup delete gold --reseller 4123456789 --dry-run",
    ],
    "tax create": [
        "acctctl tax create vat --rate 20",
        "acctctl tax create levy --rate 0 --amount 0.5 --reseller 4123456789",
        "acctctl tax create vat --rate 20 --if-exists skip",
    ],
    "tax list": ["acctctl tax list", "acctctl tax list -o csv"],
    "tax update": [
        "acctctl tax update vat --rate 21",
        "acctctl tax update levy --amount 0.75 --priority 2 --reseller 4123456789",
    ],
    "tax delete": [
        "acctctl tax delete vat --yes",
        "acctctl tax delete levy --reseller 4123456789 --dry-run",
    ],
    "role create": [
        "acctctl role create billing --for admin --description 'Billing staff'",
        "acctctl role create partner --for reseller",
    ],
    "role list": ["acctctl role list", "acctctl role list -o json"],
    "reference countries": [
        "acctctl reference countries --search germ",
        "acctctl reference countries -o csv",
    ],
    "reference currencies": ["acctctl reference currencies --search eur"],
    "reference timezones": ["acctctl reference timezones --search berlin"],
    "db upgrade": ["acctctl db upgrade", "acctctl --profile staging db upgrade"],
    "db current": ["acctctl db current"],
    "db check": ["acctctl db check && echo schema ok"],
    "registrar check": ["acctctl registrar check", "acctctl registrar check edge -o json"],
    "plan": ["acctctl plan -f seed.yaml", "acctctl plan -f seed.yaml --prune --exit-code -o json"],
    "apply": ["acctctl apply -f seed.yaml --secrets-file secrets.csv",
              "acctctl apply -f seed.yaml --prune --yes"],
    "registrar sync": ["acctctl registrar sync --dry-run", "acctctl registrar sync edge"],
    "config init": [
        "acctctl config init",
        "acctctl config init --database-url postgresql://acctctl@db/acctctl",
        "ACCTCTL_CONFIG=./ci.toml acctctl config init --country DE --currency EUR",
    ],
    "config show": ["acctctl config show", "acctctl config show --profile staging"],
    "config path": ["acctctl config path"],
    "completion": [
        "echo 'source <(acctctl completion bash)' >> ~/.bashrc",
        "mkdir -p ~/.zfunc && acctctl completion zsh > ~/.zfunc/_acctctl",
        "acctctl completion fish > ~/.config/fish/completions/acctctl.fish",
    ],
}


def examples_epilog(lines: list[str]) -> str:
    """Click rewraps help paragraphs; a paragraph that starts with \\b is kept as written."""
    return "Examples:\n\n\b\n" + "\n".join(f"  $ {line}" for line in lines)


#: Placeholders for options that name none (Typer would show `<str>`, `<int range>`).
METAVARS = {"output": "FORMAT", "limit": "N", "offset": "N", "number_length": "N",
            "priority": "N", "rate": "PERCENT", "amount": "AMOUNT", "for_": "KIND"}


def polish_help(command, path: str) -> None:
    """Give a command their examples, found by path, and plain placeholders for its
    parameters; a group's commands get theirs when they are looked up (some are built only
    then)."""
    if getattr(command, "_acctctl_polished", False):
        return
    command._acctctl_polished = True
    defer_conversion(command)  # not help, but every command passes here once
    if not command.epilog and path in EXAMPLES:
        command.epilog = examples_epilog(EXAMPLES[path])
    for param in command.params:
        if param.param_type_name == "argument":
            # Typer writes a required argument `{number}` and adds `<str>`: say NUMBER
            shown = (param.metavar or param.name.upper()).removesuffix("...")
            shown += "..." if param.nargs != 1 else ""
            param._usage_display_name = lambda shown=shown: shown
            param.display_type_rich = lambda **_: ""
        elif not param.metavar and not getattr(param, "is_flag", False):
            param.metavar = METAVARS.get(param.name, param.name.upper())
    if hasattr(command, "get_command"):
        look_up = command.get_command

        def get_command(ctx, name):
            found = look_up(ctx, name)
            if found is not None:
                polish_help(found, f"{path} {name}")
            return found

        command.get_command = get_command


class GroupedCommand(TyperCommand):
    """Options under headings, one per form group (the rich_help_panel of each option),
    in the order they first appear; --help last."""

    def format_options(self, ctx, formatter) -> None:
        groups: dict[str, list[tuple[str, str]]] = {}
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is not None:
                panel = ("Arguments" if param.param_type_name == "argument"
                         else getattr(param, "rich_help_panel", None) or "Other options")
                groups.setdefault(panel, []).append(record)
        for panel, rows in groups.items():
            with formatter.section(panel):
                formatter.write_dl(rows)
