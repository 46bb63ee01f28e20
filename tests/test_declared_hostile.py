"""Property: whatever a set's file holds - any bytes, YAML's special characters, any tree
of values under the file's keys, in YAML, TOML or JSON - read_declared answers a Declared,
or an error of exit 2 or 3 with a message; never another exception (exit 1), never a hang
(contract §9, §10). As tests/test_hostile_property.py does for row files.

Examples per test: 25 by default (derandomized, no example database); set
ACCTCTL_HYPOTHESIS_EXAMPLES=2000 for a longer hunt.
"""

from __future__ import annotations

import json
import math
import os

import tomli_w
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from acctctl.errors import AcctctlError
from acctctl.models.inputs import KINDS
from acctctl.service import declared
from acctctl.service.declared import Declared, read_declared

EXAMPLES = int(os.environ.get("ACCTCTL_HYPOTHESIS_EXAMPLES", "25"))
HOSTILE = settings(
    max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large],
)
FORMATS = ("yaml", "toml", "json")

# the keys a file may give, and some it may not
KEYS = sorted({k for model in KINDS.values() for k in model.model_fields}
              | set(declared.ACCOUNT_LISTS) | set(declared.CATALOG_LISTS)
              | {"set", "name", "rate", "amount", "priority", "for", "description", "active",
                 "owner", "password_file", "", "unknown", "<<"})
scalars = (st.none() | st.booleans() | st.integers() | st.text(max_size=20)
           | st.floats(allow_nan=False, allow_infinity=False)
           | st.integers(min_value=10**50, max_value=10**60)
           | st.sampled_from(["4100000001", "VAT", "ci-seed", "\x00", "\u202e", "NO", "0123"]))
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KEYS), inner,
                                                                 max_size=4),
    max_leaves=12,
)
accounts = st.lists(st.dictionaries(st.sampled_from(KEYS), values, max_size=5), max_size=3)
documents = st.fixed_dictionaries(
    {},
    optional={"set": st.sampled_from(["ci", "a b", ""]) | scalars,
              **{key: accounts | values for key in (*declared.ACCOUNT_LISTS,
                                                    *declared.CATALOG_LISTS)},
              "extra": values},
)


def judged(path: str) -> None:
    try:
        got = read_declared(path)
    except AcctctlError as exc:
        assert exc.exit_code in (2, 3), (exc.exit_code, exc.message)
        assert exc.message
        for error in exc.errors:
            assert error.field is not None and error.message
        return
    assert isinstance(got, Declared)
    for obj in got.objects:
        assert obj.key and obj.path and isinstance(obj.fields, dict)


def _toml_safe(value):
    """TOML has no null and its integers are 64-bit: what tomli_w cannot write goes as text."""
    if isinstance(value, dict):
        return {str(k): _toml_safe(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_toml_safe(v) for v in value if v is not None]
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 2**63:
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def dumped(document: dict, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(document)
    if fmt == "toml":
        return tomli_w.dumps(_toml_safe(document))
    return yaml.safe_dump(document, allow_unicode=True)


@HOSTILE
@given(data=st.binary(max_size=3000), fmt=st.sampled_from(FORMATS))
@example(data=b"set: s\na: &a [x]\nb: [*a, *a]\n", fmt="yaml")
@example(data=b"[" * 5000, fmt="json")
@example(data=b"x = " + b"[" * 5000, fmt="toml")
@example(data=b"set: s\nx: " + b"{a: " * 2000, fmt="yaml")
@example(data=b"set = 's'\nn = " + b"9" * 5000, fmt="toml")
@example(data=b"\xef\xbb\xbfset: s\n", fmt="yaml")
@example(data=b"set: !!python/name:os.system\n", fmt="yaml")
@example(data=b"%YAML 1.1\n---\nset: s\n...\n---\n", fmt="yaml")
def test_arbitrary_bytes(tmp_path, data, fmt):
    path = tmp_path / f"set.{fmt}"
    path.write_bytes(data)
    judged(str(path))


yaml_text = st.text(alphabet=st.sampled_from(list("&*!|>-:?[]{},#'\"%@`\n \t.~0a=<")),
                    max_size=200)


@HOSTILE
@given(text=yaml_text)
@example(text="set: s\n? [a]\n: b\n")
@example(text="set: s\n<<: {customers: []}\n")
@example(text="set: s\ncustomers: [{number: 1, taxes: !!set {a}}]\n")
def test_yaml_special_characters(tmp_path, text):
    path = tmp_path / "set.yaml"
    path.write_text(text, encoding="utf-8")
    judged(str(path))


@HOSTILE
@given(document=documents, fmt=st.sampled_from(FORMATS))
@example(document={"set": "s", "resellers": [{"number": 1, "taxes": [{"name": 1}, "x"],
                                              "customers": [{"number": None}]}]}, fmt="json")
@example(document={"set": "s", "resellers": [{"customers": [{"number": 1}]}]}, fmt="yaml")
def test_arbitrary_trees_under_the_files_keys(tmp_path, document, fmt):
    path = tmp_path / f"set.{fmt}"
    try:
        text = dumped(document, fmt)
    except (TypeError, ValueError):  # a tree TOML cannot hold (a list of mixed tables)
        return
    path.write_text(text, encoding="utf-8")
    judged(str(path))


def test_a_billion_laughs_is_refused_quickly(tmp_path):
    import time

    lines = ["set: s", "a: &a [" + ", ".join(["lol"] * 10) + "]"]
    for i in range(1, 10):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*{'a' if i == 1 else f'l{i - 1}'}"] * 10)
                     + "]")
    path = tmp_path / "laughs.yaml"
    path.write_text("\n".join(lines) + "\n")
    start = time.monotonic()
    judged(str(path))
    assert time.monotonic() - start < 5


@HOSTILE
@given(document=documents, fmt=st.sampled_from(FORMATS))
@example(document={"set": "s", "customers": [{"number": "1", "first_name": "\x00"}]},
         fmt="yaml")
@example(document={"set": "s", "customers": [{"number": "9" * 60, "max_channels": 10**50}]},
         fmt="json")
def test_plan_of_arbitrary_trees_never_exits_1(cli, engine, tmp_path, document, fmt):
    """The whole command, the engine's value checks included: 0, 2, 3 or 4, never 1, and a
    plan writes nothing (on SQLite and PostgreSQL)."""
    import sqlalchemy as sa

    path = tmp_path / f"set.{fmt}"
    try:
        path.write_text(dumped(document, fmt), encoding="utf-8")
    except (TypeError, ValueError):
        return
    with engine.connect() as conn:
        before = conn.execute(sa.text("SELECT count(*) FROM accounts")).scalar_one()
    result = cli("plan", "-f", str(path))
    assert result.exit_code in (0, 2, 3, 4), (result.exit_code, result.stderr[-2000:])
    assert "internal error" not in result.stderr
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM accounts")).scalar_one() == before
