"""Issue 19: a set's YAML file is built straight from libyaml's events (no node tree: the
no-change re-apply of 10,000 accounts spent a fifth of its time composing and constructing
nodes), and only what that path leaves to the node path goes there. Property: for any text,
the two paths give the same values of the same types (duplicated keys noted alike), or the
same error; a plain set's file never needs the node path.

Examples: 25 per test by default (derandomized); ACCTCTL_HYPOTHESIS_EXAMPLES for more.
"""

from __future__ import annotations

import os
from decimal import Decimal

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from acctctl.errors import UsageError
from acctctl.service import declared

EXAMPLES = int(os.environ.get("ACCTCTL_HYPOTHESIS_EXAMPLES", "25"))
SAME = settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

#: YAML's own spellings and structures: anchors, aliases, tags, merges, complex keys,
#: documents, directives, special numbers, 1.1 words that stay text
PIECES = ["a", "b", "1", "0123", "-7", "1_000", "1.5", "1e3", ".inf", "-.Inf", ".nan", "~",
          "null", "", "true", "False", "NO", "yes", "2026-12-03", "0x1F", "0o17", "12:30",
          "'q'", '"d\\n"', "&x 1", "*x", "&y [1]", "!!str 5", "!!int 5", "!!float 1",
          "!!binary aGk=", "!!bool maybe", "!!timestamp x", "!!int 0x1F", "!!map [1]",
          "!!set {a}", "!!omap [a: 1]", "! x", "!local x", "<<: *y",
          "? [a]\n: 1", "{a: 1, a: 2}", "[a, [b, [c]]]", "--- 1\n--- 2", "%YAML 1.1\n--- a",
          "1" * 45, "-" + "9" * 41, "x: 1\nx: 2", "|\n  block", ">-\n  folded", "[", "{a",
          "a: b: c", "\t", "#", "...", "- &z a\n- *z", "{? a, b}", "[a: 1]", "\ufeffa: 1"]


def shape(value):
    """A value with the type of everything in it, and the keys a mapping had twice."""
    if isinstance(value, dict):
        return ("map", [(k, shape(v)) for k, v in value.items()],
                tuple(getattr(value, "duplicates", ())))
    if isinstance(value, list):
        return ("list", [shape(v) for v in value])
    if isinstance(value, Decimal):
        return ("decimal", str(value))
    return (type(value).__name__, value)


def outcome(parse, text: str):
    try:
        return "value", shape(parse(text, "set.yaml"))
    except UsageError as exc:
        return "error", str(exc)


def assert_same(text: str) -> None:
    assert outcome(declared._parse_yaml, text) == outcome(declared._parse_yaml_nodes, text)


@SAME
@given(st.lists(st.sampled_from(PIECES), max_size=6), st.sampled_from(["\n", "\n  ", ", "]))
@example(["- &z a", "- *z"], "\n")
@example(["a: 1", "a: 2"], "\n")
def test_events_and_nodes_give_the_same(pieces, joiner):
    assert_same(joiner.join(pieces))
    assert_same("k:\n  - " + "\n  - ".join(pieces))


@SAME
@given(st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8)
    | st.floats()
    | st.integers(min_value=10**45, max_value=10**50),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.text(max_size=4) | st.integers() | st.booleans() | st.none(), inner, max_size=3),
    max_leaves=15), st.booleans())
def test_any_tree_dumped_in_either_style_reads_back_alike(tree, flow):
    assert_same(yaml.safe_dump(tree, default_flow_style=flow, allow_unicode=True))


@pytest.mark.parametrize("depth", [declared.MAX_DEPTH - 1, declared.MAX_DEPTH,
                                   declared.MAX_DEPTH + 1])
def test_nesting_limit_is_the_node_paths(depth):
    assert_same("[" * depth + "]" * depth)
    assert_same("a:\n" + "".join("  " * i + "- \n" for i in range(1, depth)))


def test_a_set_s_file_never_needs_the_node_path():
    text = yaml.safe_dump({"set": "s", "customers": [
        {"number": 4_000_000_000 + i, "first_name": f"F{i}", "email": f"u{i}@example.com",
         "country": "GB", "credit_limit": 1.5 if i else 0, "pin": "0123",
         "taxes": ["VAT"], "email_alerts": True, "company": None}
        for i in range(3)]}, sort_keys=False)
    built = declared._yaml_from_events(text)
    assert built is not declared._NODES
    assert shape(built) == shape(declared._parse_yaml_nodes(text, "set.yaml"))
    assert built["customers"][0]["pin"] == "0123"  # YAML 1.2: text, not octal


@pytest.mark.parametrize("value", ["!!int 0x1F", "!!bool maybe", "!!timestamp x",
                                   "!!timestamp 2026-13-45", "!!map [1]"])
def test_an_explicit_tag_on_what_it_cannot_build_is_exit_2(tmp_path, value):
    path = tmp_path / "set.yaml"
    path.write_text(f"set: s\ncustomers:\n  - number: 1001\n    company: {value}\n")
    with pytest.raises(UsageError, match="is not valid YAML"):  # was a crash: exit 1
        declared.read_declared(str(path))
