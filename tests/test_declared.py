"""A set's file (contract §10) read into objects: service/declared.py's read_declared.

Its shape only - keys, nesting, owners, duplicates, secrets; the values are judged by the
§2 models when a plan is made. Every problem is reported at once (exit 3); a file that
cannot be read or parsed is exit 2, as for `create --from-file`.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
import tomli_w
import yaml

from acctctl.errors import FieldError, UsageError, ValidationFailed
from acctctl.models.inputs import KINDS
from acctctl.service import declared
from acctctl.service.declared import Declared, DeclaredObject, read_declared

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "docs" / "examples" / "seed.yaml"

DOCUMENT = {
    "set": "ci-seed",
    "customers": [{"number": 5000000001, "first_name": "Top", "credit_limit": 12.5,
                   "reseller": 4100000001}],
    "resellers": [{
        "number": 4100000001, "first_name": "Rita", "taxes": ["VAT"],
        "rate_groups": [{"name": "gold", "active": False}],
        "customers": [{"number": "4100000101", "first_name": "Ada", "taxes": ["GST"]},
                      {"number": 4100000102, "first_name": "Grace", "sip_device": False}],
    }],
    "taxes": [{"name": "VAT", "rate": 20, "amount": 0.5, "priority": 1},
              {"name": "GST", "rate": 5, "reseller": 4100000001}],
    "roles": [{"name": "support", "for": "admin", "description": "Help desk"}],
    "providers": [{"number": 4200000001, "first_name": "Carrier", "max_channels": 30}],
    "admins": [{"number": "ops.lead", "first_name": "Olga", "email": "olga@example.com"}],
    "subadmins": [{"number": "ops.two", "first_name": "Sam", "email": "sam@example.com",
                   "role": "support"}],
}


def write(tmp_path: Path, name: str, text: str | bytes) -> str:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return str(path)


def dumped(tmp_path: Path, fmt: str, document: dict = DOCUMENT) -> str:
    if fmt == "json":
        text = json.dumps(document)
    elif fmt == "toml":
        text = tomli_w.dumps(document)
    else:
        text = yaml.safe_dump(document, sort_keys=False)
    return write(tmp_path, f"set.{fmt}", text)


def problems(path: str) -> list[FieldError]:
    with pytest.raises(ValidationFailed) as caught:
        read_declared(path)
    assert caught.value.exit_code == 3
    assert path in caught.value.message and "nothing was written" in caught.value.message
    return caught.value.errors


def only(path: str) -> FieldError:
    found = problems(path)
    assert len(found) == 1, found
    return found[0]


def yaml_problems(tmp_path, text: str) -> list[FieldError]:
    return problems(write(tmp_path, "set.yaml", text))


def usage(path: str) -> str:
    with pytest.raises(UsageError) as caught:
        read_declared(path)
    assert caught.value.exit_code == 2
    return caught.value.message


# --- the shape ------------------------------------------------------------------------------


def test_the_documented_example_reads_with_nested_owners_filled_in():
    seed = read_declared(str(SEED))
    assert seed.set_name == "ci-seed" and seed.source == str(SEED)
    got = {(o.kind, o.key, o.path, o.owner) for o in seed.objects}
    assert got == {
        ("rate_group", "standard", "rate_groups[0]", None),
        ("rate_group", "rita-gold@4100000001", "resellers[0].rate_groups[0]", "4100000001"),
        ("tax", "VAT@4100000001", "resellers[0].taxes[0]", "4100000001"),
        ("reseller", "4100000001", "resellers[0]", None),
        ("customer", "4100000101", "resellers[0].customers[0]", None),
        ("customer", "4100000102", "resellers[0].customers[1]", None),
        ("provider", "4200000001", "providers[0]", None),
        ("admin", "ops.lead", "admins[0]", None),
    }
    by_key = {o.key: o for o in seed.objects}
    assert by_key["4100000101"].fields["reseller"] == "4100000001"
    assert by_key["4100000101"].fields["taxes"] == ["VAT"]
    assert by_key["4100000102"].fields["credit_limit"] == Decimal("250.00")
    # the reseller's nested lists are not fields of the reseller
    assert set(by_key["4100000001"].fields) == {"number", "first_name", "company", "email",
                                                "rate_group"}
    assert by_key["rita-gold@4100000001"].fields == {"name": "rita-gold"}


def test_objects_come_catalog_first_then_resellers_then_the_rest_by_kind_in_file_order(tmp_path):
    objects = read_declared(dumped(tmp_path, "yaml")).objects
    assert [(o.kind, o.key) for o in objects] == [
        ("role", "support"),
        ("rate_group", "gold@4100000001"),
        ("tax", "VAT"),
        ("tax", "GST@4100000001"),
        ("reseller", "4100000001"),
        ("customer", "5000000001"),  # the top-level list's, then the nested ones
        ("customer", "4100000101"),
        ("customer", "4100000102"),
        ("provider", "4200000001"),
        ("admin", "ops.lead"),
        ("subadmin", "ops.two"),
    ]


def test_yaml_toml_and_json_give_the_same_set(tmp_path):
    read = {fmt: read_declared(dumped(tmp_path, fmt)) for fmt in ("yaml", "toml", "json")}
    for fmt in ("toml", "json"):
        assert read[fmt].set_name == read["yaml"].set_name
        assert read[fmt].objects == read["yaml"].objects, fmt
    objects = {o.key: o for o in read["json"].objects}
    # numbers given as integers are the natural key as text; decimals are exact
    assert objects["5000000001"].fields == {"number": "5000000001", "first_name": "Top",
                                            "credit_limit": Decimal("12.5"),
                                            "reseller": "4100000001"}
    assert objects["VAT"].fields["amount"] == Decimal("0.5")
    assert objects["4100000001"].fields["taxes"] == ["VAT"]  # names: the §2 field
    assert objects["gold@4100000001"].fields == {"name": "gold", "active": False}


def test_yml_extension_and_an_empty_set(tmp_path):
    got = read_declared(write(tmp_path, "empty.YML", "set: nothing.yet_1\n"))
    assert got == Declared("nothing.yet_1", str(tmp_path / "empty.YML"), [])


def test_every_account_key_of_the_models_is_accepted(tmp_path):
    """The keys come from the models: a new §2 field is accepted without touching the
    reader (the plain-text secrets aside)."""
    for kind, model in KINDS.items():
        keys = [k for k in model.model_fields if k not in declared.REFUSED_SECRETS]
        account = {k: "x" for k in keys} | {"number": "1001"}
        got = read_declared(dumped(tmp_path, "json", {"set": "s", f"{kind}s": [account]}))
        assert set(got.objects[0].fields) == set(keys), kind


def test_a_reseller_customer_and_tax_owner_given_twice_must_agree(tmp_path):
    document = {"set": "s", "resellers": [{
        "number": "41", "customers": [{"number": "42", "reseller": 41},
                                      {"number": "43", "reseller": "44"}],
        "rate_groups": [{"name": "g", "reseller": "41"}, {"name": "h", "owner": "45"}]}]}
    found = problems(dumped(tmp_path, "json", document))
    assert sorted((e.row, e.field) for e in found) == [
        ("resellers[0].customers[1]", "reseller"),
        ("resellers[0].rate_groups[1]", "reseller")]
    assert "nested under reseller 41" in found[0].message


def test_a_top_level_catalog_entry_may_be_owned_by_a_reseller(tmp_path):
    got = read_declared(dumped(tmp_path, "yaml", {
        "set": "s", "rate_groups": [{"name": "g", "owner": 41}, {"name": "g"}],
        "taxes": [{"name": "t", "rate": 1, "reseller": "41"}]}))
    assert [(o.key, o.owner) for o in got.objects] == [("g@41", "41"), ("g", None),
                                                       ("t@41", "41")]
    assert got.objects[0].fields == {"name": "g"}  # the owner is not a field


def test_password_file_is_resolved_against_the_file_and_password_hash_kept(tmp_path):
    (tmp_path / "sub").mkdir()
    path = write(tmp_path / "sub", "set.yaml", (
        "set: s\ncustomers:\n  - {number: 1, password_file: secrets/ada.txt}\n"
        "  - {number: 2, password_file: /abs/pw}\n"
        "  - {number: 3, password_hash: '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA'}\n"))
    objects = read_declared(path).objects
    assert objects[0].fields["password_file"] == str(tmp_path / "sub" / "secrets" / "ada.txt")
    assert objects[1].fields["password_file"] == "/abs/pw"
    assert objects[2].fields["password_hash"].startswith("$argon2id$")


def test_yaml_reads_the_1_2_core_scalars_not_1_1s(tmp_path):
    """Norway stays NO, a PIN 0123 stays text (not octal 83), a date stays text,
    decimals are exact; true/false are booleans."""
    got = read_declared(write(tmp_path, "s.yaml", (
        "set: s\ncustomers:\n  - number: 1\n    country: NO\n    pin: 0123\n"
        "    expiry: 2031-01-02\n    credit_limit: 0.10\n    sip_device: false\n"
        "    email_alerts: off\n    max_channels: 1_000\n")))
    fields = got.objects[0].fields
    assert fields == {"number": "1", "country": "NO", "pin": "0123", "expiry": "2031-01-02",
                      "credit_limit": Decimal("0.10"), "sip_device": False,
                      "email_alerts": "off", "max_channels": "1_000"}


def test_toml_dates_become_iso_text_as_in_the_other_formats(tmp_path):
    got = read_declared(write(tmp_path, "s.toml", (
        'set = "s"\n[[customers]]\nnumber = 1\nexpiry = 2031-01-02\n'
        "[[customers]]\nnumber = 2\nexpiry = 2031-01-02T03:04:05Z\n")))
    assert [o.fields["expiry"] for o in got.objects] == ["2031-01-02",
                                                         "2031-01-02T03:04:05+00:00"]


def test_null_means_not_given(tmp_path):
    got = read_declared(write(tmp_path, "s.yaml", "set: s\ncustomers:\n  - number: 1\n"
                              "    email:\n    last_name: ''\n"))
    assert got.objects[0].fields == {"number": "1", "last_name": ""}


# --- what cannot be read or parsed: exit 2 --------------------------------------------------


def test_an_unknown_extension_is_a_usage_error_naming_it(tmp_path):
    message = usage(write(tmp_path, "set.ini", "set = s"))
    assert "'.ini'" in message and ".yaml" in message
    assert "no extension" in usage(write(tmp_path, "set", "set: s"))


def test_a_missing_or_unreadable_file_is_exit_2_as_for_create_from_file(tmp_path):
    assert "cannot read" in usage(str(tmp_path / "nope.yaml"))
    (tmp_path / "dir.json").mkdir()
    assert "cannot read" in usage(str(tmp_path / "dir.json"))


@pytest.mark.parametrize(("name", "text", "line"), [
    ("bad.json", '{"set": "s",\n "customers": [\n  {"number": 1,}\n]}', 3),
    ("bad.toml", 'set = "s"\n\n[[customers]\nnumber = 1\n', 3),
    ("bad.yaml", "set: s\ncustomers:\n  - number: 1\n   first_name: [x\n", 4),
])
def test_a_syntax_error_is_exit_2_with_its_line(tmp_path, name, text, line):
    message = usage(write(tmp_path, name, text))
    assert "is not valid" in message and f"line {line}" in message, message


@pytest.mark.parametrize(("name", "text"), [
    ("list.json", '[{"set": "s"}]'), ("scalar.yaml", "just text\n"), ("empty.yaml", ""),
    ("null.json", "null"), ("list.yaml", "- set: s\n"),
])
def test_a_top_level_that_is_not_a_mapping_is_exit_2(tmp_path, name, text):
    assert "must hold a mapping of keys at its top" in usage(write(tmp_path, name, text))


def test_yaml_aliases_are_refused_before_anything_expands(tmp_path):
    laughs = "set: s\na: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n"
        for i in range(9))
    message = usage(write(tmp_path, "laughs.yaml", laughs))
    assert "alias" in message and "anchor at line 2" in message
    assert "alias" in usage(write(tmp_path, "merge.yaml", (
        "set: s\nbase: &b {first_name: A}\ncustomers:\n  - {<<: *b, number: 1}\n")))


def test_yaml_unsafe_tags_and_several_documents_are_refused(tmp_path):
    assert "is not valid YAML" in usage(write(tmp_path, "t.yaml", (
        "set: !!python/object/apply:os.system ['true']\n")))
    assert "single document" in usage(write(tmp_path, "two.yaml", "set: a\n---\nset: b\n"))


@pytest.mark.parametrize("fmt", ["json", "yaml", "toml"])
def test_nesting_deeper_than_the_limit_is_exit_2(tmp_path, fmt):
    deep = 100
    text = {"json": '{"set": "s", "x": ' + "[" * deep + "]" * deep + "}",
            "yaml": "set: s\nx: " + "[" * deep + "]" * deep + "\n",
            "toml": 'set = "s"\nx = ' + "[" * deep + "]" * deep + "\n"}[fmt]
    assert "deeper than 32 levels" in usage(write(tmp_path, f"deep.{fmt}", text))
    shallow = {"json": '{"set": "s", "customers": [{"number": 1, "taxes": [[[["x"]]]]}]}',
               "yaml": "set: s\ncustomers: [{number: 1, taxes: [[[[x]]]]}]\n",
               "toml": 'set = "s"\n[[customers]]\nnumber = 1\ntaxes = [[[["x"]]]]\n'}[fmt]
    assert only(write(tmp_path, f"ok.{fmt}", shallow)).field == "taxes"  # exit 3: a value


def test_bytes_that_are_not_utf8_and_a_file_past_the_ceiling_are_exit_2(tmp_path, monkeypatch):
    assert "not valid UTF-8" in usage(write(tmp_path, "bin.yaml", b"set: s\n\xff\xfe\x00\n"))
    assert "is not valid YAML" in usage(write(tmp_path, "ctl.yaml", "set: s\x07\n"))
    monkeypatch.setattr(declared, "MAX_FILE", 100)
    assert "larger than 100 bytes" in usage(write(tmp_path, "big.json", " " * 101))


def test_the_file_is_read_through_the_bounded_reader(tmp_path, monkeypatch):
    import acctctl.bounded

    seen = []
    real = acctctl.bounded.read_text

    def spy(path, **kwargs):
        seen.append((str(path), kwargs["limit"]))
        return real(path, **kwargs)

    monkeypatch.setattr(acctctl.bounded, "read_text", spy)
    read_declared(str(SEED))
    assert seen == [(str(SEED), declared.MAX_FILE)]


# --- the shape's problems: exit 3, every one at once ----------------------------------------


def test_set_is_required_and_named_by_its_rule(tmp_path):
    assert only(write(tmp_path, "s.yaml", "customers: []\n")).field == "set"
    for bad in ("''", "'a b'", "x" * 65, "[a]", "1"):
        error = only(write(tmp_path, "s.yaml", f"set: {bad}\n"))
        assert error.field == "set" and "1-64 letters" in error.message, bad


def test_an_unknown_top_level_key_is_named(tmp_path):
    error = only(write(tmp_path, "s.yaml", "set: s\ncustomer: []\n"))
    assert (error.row, error.field) == (None, "customer")
    assert "is not a key of a set's file" in error.message and "customers" in error.message


def test_an_unknown_account_key_names_the_path_key_and_field(tmp_path):
    error = only(write(tmp_path, "s.yaml", (
        "set: s\ncustomers:\n  - number: 1\n  - number: 1002\n    frist_name: Ada\n")))
    assert (error.row, error.key, error.field) == ("customers[1]", "1002", "frist_name")
    assert "is not a field of a customer" in error.message
    # a field of another kind is not one of this kind's
    error = only(write(tmp_path, "s.yaml", "set: s\nadmins:\n  - {number: a, pin: '1234'}\n"))
    assert (error.row, error.field) == ("admins[0]", "pin")


def test_every_account_needs_a_number(tmp_path):
    found = yaml_problems(tmp_path, (
        "set: s\nproviders:\n  - first_name: P\n  - {number: ''}\n  - {number: [1]}\n"
        "  - {number: true}\n"))
    assert [(e.row, e.field) for e in found] == [
        ("providers[0]", "number"), ("providers[1]", "number"), ("providers[2]", "number"),
        ("providers[3]", "number")]
    assert "is required" in found[0].message


@pytest.mark.parametrize("secret", ["password", "sip_password"])
def test_a_plain_text_secret_is_refused_and_never_echoed(tmp_path, secret):
    error = only(write(tmp_path, "s.yaml", (
        f"set: s\ncustomers:\n  - number: 1\n    {secret}: Hunter2hunter2\n")))
    assert (error.row, error.field) == ("customers[0]", secret)
    assert "not accepted in a file" in error.message
    assert "Hunter2" not in error.message


def test_password_file_and_password_hash_exclude_each_other(tmp_path):
    found = yaml_problems(tmp_path, (
        "set: s\nadmins:\n  - {number: a, password_file: p, password_hash: h}\n"
        "  - {number: b, password_file: [p]}\n"))
    assert [(e.row, e.field) for e in found] == [("admins[0]", "password_file"),
                                                ("admins[1]", "password_file")]


def test_catalog_entries_need_a_name_known_keys_and_roles_a_scope(tmp_path):
    found = yaml_problems(tmp_path, (
        "set: s\nrate_groups:\n  - {active: true}\n  - {name: g, active: 'no', rate: 1}\n"
        "taxes:\n  - {name: t, rate: 1, active: true}\n"
        "roles:\n  - {name: r}\n  - {name: q, for: admin, reseller: '1'}\n"))
    assert [(e.row, e.field) for e in found] == [
        ("rate_groups[0]", "name"), ("rate_groups[1]", "rate"), ("rate_groups[1]", "active"),
        ("taxes[0]", "active"), ("roles[0]", "for"), ("roles[1]", "reseller")]
    assert "is not a key of a rate group" in found[1].message


def test_a_value_that_is_not_a_single_value_is_refused(tmp_path):
    found = yaml_problems(tmp_path, (
        "set: s\ncustomers:\n  - {number: 1, first_name: [A, B], company: {x: 1}}\n"
        "  - {number: 2, taxes: [{name: VAT}]}\n"))
    assert [(e.row, e.field) for e in found] == [
        ("customers[0]", "first_name"), ("customers[0]", "company"), ("customers[1]", "taxes")]
    assert "must be a list of tax names" in found[2].message


def test_lists_must_be_lists_of_objects(tmp_path):
    found = yaml_problems(tmp_path, (
        "set: s\ncustomers: {number: 1}\nproviders: [1, x]\n"
        "resellers:\n  - number: 9\n    customers: 3\n"))
    assert [(e.row, e.field) for e in found] == [
        (None, "customers"), ("providers[0]", "providers"), ("providers[1]", "providers"),
        ("resellers[0]", "customers")]


def test_a_resellers_taxes_are_names_or_objects_not_both(tmp_path):
    error = only(write(tmp_path, "s.yaml", (
        "set: s\nresellers:\n  - number: 9\n    taxes: [VAT, {name: GST, rate: 5}]\n")))
    assert (error.row, error.field) == ("resellers[0]", "taxes")
    assert "not both" in error.message


def test_a_natural_key_given_twice_names_both_places(tmp_path):
    found = yaml_problems(tmp_path, (
        "set: s\ncustomers:\n  - {number: 7}\nresellers:\n  - number: 9\n"
        "    customers:\n      - {number: '7'}\n    rate_groups: [{name: g}]\n"
        "providers:\n  - {number: 9}\nrate_groups:\n  - {name: g, reseller: 9}\n  - {name: g}\n"
        "taxes:\n  - {name: g, rate: 1}\nroles:\n  - {name: g, for: admin}\n"))
    assert sorted((e.row, e.key) for e in found) == [
        ("providers[0]", "9"), ("rate_groups[0]", "g@9"), ("resellers[0].customers[0]", "7")]
    messages = " | ".join(e.message for e in found)
    assert "at customers[0] and at resellers[0].customers[0]" in messages
    assert "at resellers[0] and at providers[0]" in messages
    assert "at resellers[0].rate_groups[0] and at rate_groups[0]" in messages


def test_a_key_given_twice_in_one_object_is_a_problem_in_json_and_yaml(tmp_path):
    for name, text in (("d.json", '{"set": "s", "customers": [{"number": 1, "number": 2}]}'),
                       ("d.yaml", "set: s\ncustomers:\n  - number: 1\n    number: 2\n")):
        error = only(write(tmp_path, name, text))
        assert (error.row, error.field) == ("customers[0]", "number"), name
        assert "twice in one object" in error.message


@pytest.mark.parametrize(("name", "text"), [
    ("n.json", '{"set": "s", "customers": [{"number": 1, "credit_limit": NaN}]}'),
    ("n.yaml", "set: s\ncustomers:\n  - {number: 1, credit_limit: .nan}\n"),
    ("n.toml", 'set = "s"\n[[customers]]\nnumber = 1\ncredit_limit = -inf\n'),
])
def test_nan_and_infinities_are_refused(tmp_path, name, text):
    error = only(write(tmp_path, name, text))
    assert (error.row, error.field) == ("customers[0]", "credit_limit")
    assert "must be a number" in error.message


def test_long_texts_and_integers_stay_bounded(tmp_path):
    digits = "9" * 5000
    found = problems(write(tmp_path, "big.json", (
        '{"set": "s", "customers": [{"number": 1, "first_name": "' + "x" * 20_000 + '", '
        '"max_channels": ' + digits + "}]}")))
    assert [(e.row, e.field) for e in found] == [("customers[0]", "first_name")]
    assert "longer than 10,000 characters" in found[0].message
    got = read_declared(write(tmp_path, "big.yaml", f"set: s\ncustomers:\n  - number: 1\n"
                                                    f"    max_channels: {digits}\n"))
    assert got.objects[0].fields["max_channels"] == digits  # text, for its rule to refuse
    assert "is not valid TOML" in usage(write(tmp_path, "big.toml", (
        f'set = "s"\n[[customers]]\nnumber = 1\nmax_channels = {digits}\n')))


def test_yaml_binary_and_sets_are_not_values(tmp_path):
    found = yaml_problems(tmp_path, (
        "set: s\ncustomers:\n  - {number: 1, company: !!binary aGVsbG8=, city: !!set {a}}\n"))
    assert [(e.row, e.field) for e in found] == [("customers[0]", "company"),
                                                ("customers[0]", "city")]


def test_every_problem_of_the_file_is_reported_at_once(tmp_path):
    found = yaml_problems(tmp_path, (
        "colour: blue\n"
        "customers:\n  - first_name: NoNumber\n  - {number: 2, password: Secret123x}\n"
        "  - {number: 3, bogus: 1}\n  - {number: 3}\n"
        "rate_groups:\n  - {name: g, active: maybe}\n"))
    assert sorted((e.row or "", e.field) for e in found) == sorted([
        ("", "set"), ("", "colour"), ("customers[0]", "number"),
        ("customers[1]", "password"), ("customers[2]", "bogus"), ("customers[3]", "number"),
        ("rate_groups[0]", "active")])
    assert all(isinstance(e, FieldError) for e in found)


def test_the_declared_object_interface():
    """The names the plan/apply engine codes against (issue 19)."""
    obj = DeclaredObject(kind="tax", key="VAT@41", path="taxes[0]", fields={"name": "VAT"},
                         owner="41")
    assert (obj.kind, obj.key, obj.path, obj.fields, obj.owner) == (
        "tax", "VAT@41", "taxes[0]", {"name": "VAT"}, "41")
    assert not obj.is_account
    assert DeclaredObject("customer", "1", "customers[0]", {}).owner is None
    assert Declared("s", "f.yaml", [obj]).objects == [obj]


def test_a_place_in_a_file_is_shown_as_its_path(capsys):
    from acctctl.cli.report import report_field_errors

    report_field_errors([FieldError("first_name", "is required", row="resellers[0].customers[1]",
                                    key="42"),
                         FieldError("rate", "is not a key", row="taxes[0]", key="VAT"),
                         FieldError("first_name", "too long", row=3, key="7")], "customer")
    err = capsys.readouterr().err
    assert "resellers[0].customers[1] (42): first_name: is required" in err
    assert "taxes[0] (VAT): rate: is not a key" in err  # the file's key, not --rate
    assert "row 3 (7): --first-name: too long" in err


def test_the_docs_show_the_example_file_and_every_top_level_key():
    import re

    text = (ROOT / "docs" / "apply.md").read_text(encoding="utf-8")
    section = text.split("## The file", 1)[1]
    shown_yaml = re.search(r"```yaml\n(.*?)```", section, re.DOTALL).group(1)
    assert shown_yaml == SEED.read_text(encoding="utf-8")
    table = section.split("### Top-level keys", 1)[1].split("###", 1)[0]
    named = set(re.findall(r"^\| ((?:`\w+`(?:, )?)+) \|", table, re.MULTILINE))
    keys = {k for cell in named for k in re.findall(r"`(\w+)`", cell)}
    assert keys == {"set", *declared.ACCOUNT_LISTS, *declared.CATALOG_LISTS}
