"""Issue 19: a set's file is parsed and read with Python's cyclic garbage collector paused
(the parse builds a large tree holding no cycle; full collections while it grows walked all
of it again and cost more than the parse), and the collector is on again afterwards, after
a refused file too."""

from __future__ import annotations

import gc

import pytest

from acctctl.errors import UsageError, ValidationFailed
from acctctl.service import declared


@pytest.fixture
def collector_seen(monkeypatch) -> list[bool]:
    """Whether the collector was on each time the YAML parser ran."""
    seen: list[bool] = []
    real = declared._PARSERS["yaml"]

    def spy(text, path):
        seen.append(gc.isenabled())
        return real(text, path)

    monkeypatch.setitem(declared._PARSERS, "yaml", spy)
    return seen


def test_the_file_is_parsed_with_the_collector_paused_and_it_is_on_again(tmp_path,
                                                                         collector_seen):
    assert gc.isenabled()
    path = tmp_path / "set.yaml"
    path.write_text("set: s\ncustomers:\n  - number: 1001\n    first_name: Ada\n")
    found = declared.read_declared(str(path))
    assert [o.key for o in found.objects] == ["1001"]
    assert collector_seen == [False] and gc.isenabled()

    path.write_text("set: s\ncustomers:\n  - number: 1001\n    colour: blue\n")
    with pytest.raises(ValidationFailed):  # a problem of the file's shape
        declared.read_declared(str(path))
    path.write_text("set: s\ncustomers: [\n")
    with pytest.raises(UsageError):  # not YAML at all
        declared.read_declared(str(path))
    assert collector_seen == [False] * 3 and gc.isenabled()

    path.write_text("set: s\n")  # a collector the caller turned off stays off
    gc.disable()
    try:
        declared.read_declared(str(path))
        assert not gc.isenabled()
    finally:
        gc.enable()
