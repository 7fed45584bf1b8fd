"""science/tables (CSV parameter-table reading) and science/records (fields_dict)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from cryoprotect.errors import ValidationError
from cryoprotect.science.records import FieldsAsDict, fields_dict
from cryoprotect.science.tables import optional_float, parse_bool, read_rows, read_table


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "t.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_read_table_names_rows_and_skips_comments(tmp_path: Path) -> None:
    path = _write(tmp_path, "# note\na,b\n1,2\n# again\n3,4\n")
    assert read_table(path, ("a",), comments=True) == [
        ("t.csv:2", {"a": "1", "b": "2"}),
        ("t.csv:3", {"a": "3", "b": "4"}),
    ]
    assert read_rows(_write(tmp_path, "a,b\n1,2\n")) == [{"a": "1", "b": "2"}]


def test_read_rows_names_missing_columns(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"t.csv: missing columns \['c'\]"):
        read_rows(_write(tmp_path, "a,b\n1,2\n"), ("a", "c"))


def test_parse_bool_strict_and_lenient() -> None:
    assert parse_bool(" TRUE ", "x") is True
    assert parse_bool("false", "x") is False
    with pytest.raises(ValidationError, match="x: 'verified' must be true or false, not 'yes'"):
        parse_bool("yes", "x")
    assert parse_bool("yes", "x", lenient=True) is True
    assert parse_bool("0", "x", lenient=True) is False
    with pytest.raises(ValidationError):
        parse_bool("maybe", "x", lenient=True)


def test_optional_float() -> None:
    assert optional_float(" ") is None
    assert optional_float(None) is None
    assert optional_float("2.5") == 2.5


@dataclass(frozen=True)
class _Record(FieldsAsDict):
    b: int
    a: tuple[int, ...]
    c: str = "x"


def test_fields_dict_keeps_order_and_replaces_in_place() -> None:
    record = _Record(1, (2, 3))
    assert list(record.as_dict().items()) == [("b", 1), ("a", (2, 3)), ("c", "x")]
    changed = fields_dict(record, a=list(record.a))
    assert list(changed.items()) == [("b", 1), ("a", [2, 3]), ("c", "x")]
    with pytest.raises(TypeError, match="no fields"):
        fields_dict(record, d=1)
