"""Standard input is read for "-" only where a command line asks for it."""

from __future__ import annotations


def test_a_config_file_named_dash_is_a_file_never_standard_input(tmp_path, monkeypatch):
    """bounded.read_text reads stdin for "-" nowhere: `--config -` would otherwise wait on,
    or silently take, whatever a pipe holds."""
    import io
    import sys

    import pytest

    from acctctl.bounded import read_line, read_text

    monkeypatch.chdir(tmp_path)
    fake = io.TextIOWrapper(io.BytesIO(b"[database]\nurl = 'x'\n"))
    monkeypatch.setattr(sys, "stdin", fake)
    with pytest.raises(ValueError, match="cannot read config file -"):
        read_text("-", what="config file -", limit=100, error=ValueError)
    (tmp_path / "-").write_text("from a file named -\n", encoding="utf-8")
    assert read_text("-", what="f", limit=100, error=ValueError) == "from a file named -\n"
    assert read_line("-", what="password", limit=100, error=ValueError) == "[database]"
