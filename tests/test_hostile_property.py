"""Property: whatever bytes or JSON values arrive, acctctl answers 0, 2, 3 or 4 — never 1 —
and writes nothing unless it answers 0 (contract §9). On SQLite and PostgreSQL.

Examples per test: 25 by default (derandomized, no example database, so CI is deterministic);
set ACCTCTL_HYPOTHESIS_EXAMPLES=2000 for a longer hunt.
"""

from __future__ import annotations

import json
import os
from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from acctctl.models.inputs import KINDS, field_specs

EXAMPLES = int(os.environ.get("ACCTCTL_HYPOTHESIS_EXAMPLES", "25"))
HOSTILE = settings(
    max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large],
)
ALLOWED = {0, 2, 3, 4}

KEYS = sorted({k for model in KINDS.values() for k in model.model_fields}) + [
    "__error__", "", "unknown"]
scalars = (st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
           | st.integers(min_value=10**50, max_value=10**60))
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                 max_size=3),
    max_leaves=8,
)
rows = st.lists(st.dictionaries(st.sampled_from(KEYS), json_values, max_size=5), min_size=1,
                max_size=3)

# every field flag that takes a value, of every kind
FLAGS = sorted({(kind, spec["flag"]) for kind, model in KINDS.items()
                for key, spec in field_specs(model).items()
                if not (spec["secret"] or spec["file_only"] or spec["annotation"] is bool)})


def accounts(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM accounts")).scalar_one()


def judged(cli, engine, *args: str) -> None:
    before = accounts(engine)
    result = cli(*args)
    assert result.exit_code in ALLOWED, (args, result.exit_code, result.stderr[-2000:])
    assert "internal error" not in result.stderr
    if result.exit_code != 0:
        assert accounts(engine) == before, (args, result.stderr[-2000:])


@HOSTILE
@given(data=st.binary(max_size=3000), fmt=st.sampled_from(["csv", "json", "jsonl"]))
@example(data=b"[" * 5000, fmt="json")  # known crashes, always tried first
@example(data=b"first_name,__error__\nAda,x\n", fmt="csv")
@example(data=b'{"first_name": "Ada", "max_channels": ' + b"9" * 5000 + b"}", fmt="jsonl")
def test_arbitrary_bytes_to_the_row_readers(cli, engine, tmp_path, data, fmt):
    path = tmp_path / f"rows.{fmt}"
    path.write_bytes(data)
    judged(cli, engine, "create", "customer", "--from-file", str(path))


@HOSTILE
@given(document=rows, fmt=st.sampled_from(["json", "jsonl", "csv"]),
       kind=st.sampled_from(sorted(KINDS)))
def test_arbitrary_json_values_in_rows(cli, engine, tmp_path, document, fmt, kind):
    path = tmp_path / f"rows.{fmt}"
    if fmt == "json":
        text = json.dumps(document, default=str)
    elif fmt == "jsonl":
        text = "".join(json.dumps(row, default=str) + "\n" for row in document)
    else:  # the same values as CSV cells: the keys of all rows as the header
        import csv
        import io

        keys = list(dict.fromkeys(k for row in document for k in row))
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(keys)
        for row in document:
            writer.writerow(["" if row.get(k) is None else
                             (row[k] if isinstance(row[k], str) else json.dumps(row[k]))
                             for k in keys])
        text = buffer.getvalue()
    path.write_text(text, encoding="utf-8")
    judged(cli, engine, "create", kind, "--from-file", str(path))


@HOSTILE
@given(flag=st.sampled_from(FLAGS), value=st.text(max_size=60) | st.sampled_from(
    ["9" * 5000, "1e999999999", "9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00",
     "=1+1", "\x00", "%", "_", ""]))
@example(flag=("customer", "--max-channels"), value="9" * 5000)
@example(flag=("customer", "--expiry"), value="9999-12-31T23:59:59-12:00")
@example(flag=("customer", "--expiry"), value="0001-01-01T00:00:00+14:00")
@example(flag=("admin", "--email"), value="")
@example(flag=("customer", "--tax"), value="V\x00AT")
def test_arbitrary_text_to_every_field_flag(cli, engine, flag, value):
    kind, option = flag
    base = ["create", kind, "--first-name", "Ada"]
    if KINDS[kind].model_fields["email"].is_required():
        base += ["--email", "ada@example.com"]
    judged(cli, engine, *base, option, value)


# --- issue 16: dates past either end, trailing data, passwords that are not UTF-8 ------------

DATE_FILTERS = [("account", "list", "--created-after"),
                ("account", "export", "--kind", "customer", "--created-after"),
                ("audit", "list", "--since")]
offsets = st.builds(timezone, st.timedeltas(min_value=-timedelta(hours=23, minutes=59),
                                            max_value=timedelta(hours=23, minutes=59)))
moments = st.datetimes(min_value=datetime.min, max_value=datetime.max,
                       timezones=st.none() | offsets).map(datetime.isoformat)
edges = st.sampled_from(["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00",
                         "0001-01-01", "9999-12-31T23:59:59.999999+00:00", "9999-12-31"])


@HOSTILE
@given(command=st.sampled_from(DATE_FILTERS),
       value=moments | edges | st.dates().map(date.isoformat) | st.text(max_size=40))
@example(command=DATE_FILTERS[0], value="0001-01-01T00:00:00+14:00")
@example(command=DATE_FILTERS[2], value="9999-12-31T23:59:59-12:00")
def test_arbitrary_dates_to_the_date_filters(cli, engine, command, value):
    """A filter reads, never writes: it answers 0 or 2 (the flag named), whatever the date."""
    *words, flag = command
    result = cli(*words, flag, value)
    assert result.exit_code in (0, 2), (value, result.exit_code, result.stderr[-2000:])
    if result.exit_code == 2:
        assert flag in result.stderr


json_space = " \t\r\n"
trailing = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1,
                   max_size=20).filter(lambda t: t.strip(json_space))


@HOSTILE
@given(document=rows, after=trailing, space=st.text(alphabet=json_space, max_size=3),
       continue_on_error=st.booleans(), stdin=st.booleans())
@example(document=[{"first_name": "x"}], after="trailing", space=" ",
         continue_on_error=False, stdin=False)
def test_a_json_array_with_anything_after_it_writes_nothing(cli, engine, tmp_path, document,
                                                            after, space, continue_on_error,
                                                            stdin):
    text = json.dumps(document, default=str) + space + after
    args = ["create", "customer"]
    if stdin:
        args += ["--from-file", "-", "--format", "json"]
    else:
        path = tmp_path / "rows.json"
        path.write_text(text, encoding="utf-8")
        args += ["--from-file", str(path)]
    before = accounts(engine)
    result = cli(*args, *(["--continue-on-error"] if continue_on_error else []),
                 input=text if stdin else None)
    assert result.exit_code == 2, (text[-200:], result.exit_code, result.stderr[-2000:])
    assert accounts(engine) == before


@HOSTILE
@given(data=st.binary(max_size=200), command=st.sampled_from(["reset-password", "create"]))
@example(data=b"\xff\xfeSecret123\n", command="reset-password")
@example(data=b"Secret123\xed\xa0\x80\n", command="create")
def test_arbitrary_bytes_as_a_password_on_stdin(cli, engine, data, command):
    """0 or 3 (the password named), never 1; a first line that is not UTF-8 is exit 3."""
    def stored():
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT password_hash FROM accounts WHERE number = "
                                        "'1001'")).scalar()

    if stored() is None:
        cli("create", "customer", "--number", "1001", "--first-name", "Ada")
    args = (["account", "reset-password", "1001"] if command == "reset-password"
            else ["create", "customer", "--first-name", "Bo"])
    before, count = stored(), accounts(engine)
    result = cli(*args, "--password-stdin", input=data)
    assert result.exit_code in (0, 3), (data, result.exit_code, result.stderr[-2000:])
    assert "internal error" not in result.stderr
    try:
        data.split(b"\n", 1)[0].decode("utf-8")
    except UnicodeDecodeError:
        assert result.exit_code == 3 and "UTF-8" in result.stderr
    if result.exit_code:
        assert "password" in result.stderr
        assert stored() == before and accounts(engine) == count


@HOSTILE
@given(data=st.binary(max_size=3000), fmt=st.sampled_from(["csv", "json", "jsonl"]))
@example(data=b'{"number": "1001", "city": "a", "city": "b"}\n', fmt="jsonl")
@example(data=b'[{"number": "1001", "city": ' + b"[" * 40 + b"]" * 40 + b"}]", fmt="json")
@example(data=b"number,city\n1001," + b"x" * 10_001 + b"\n", fmt="csv")
@example(data=b'[{"number": "1001", "city": "Rome"}] trailing', fmt="json")
def test_arbitrary_bytes_to_update_from_file(cli, engine, tmp_path, data, fmt):
    def updated_at():
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT updated_at FROM accounts WHERE number = "
                                        "'1001'")).scalar()

    if accounts(engine) == 0:
        cli("create", "customer", "--number", "1001", "--first-name", "Ada", "--city", "Oslo")
    path = tmp_path / f"rows.{fmt}"
    path.write_bytes(data)
    before = updated_at()
    result = cli("account", "update", "--from-file", str(path))
    assert result.exit_code in ALLOWED, (data[:200], result.exit_code, result.stderr[-2000:])
    assert "internal error" not in result.stderr
    if result.exit_code:
        assert updated_at() == before, result.stderr[-2000:]
