"""CSV exports neutralise typed formulas the same way, through the one helper every export uses."""

import csv
import io

import pytest

from onestop.spreadsheets import csv_text, is_formula_like


@pytest.mark.parametrize("text", ["=1+1", "+84912", "-1", "@SUM(A1)", "\tx", "\rx", "\nx", "  =1+1"])
def test_formula_starts_get_an_apostrophe(text):
    [[cell]] = list(csv.reader(io.StringIO(csv_text([[text]]), newline="")))
    assert cell == "'" + text


@pytest.mark.parametrize("value", ["Nguyễn Văn A", "0912 345 678", "a=b", "", 42, -5, None])
def test_everything_else_is_unchanged(value):
    assert not is_formula_like(value)
    [[cell]] = list(csv.reader(io.StringIO(csv_text([[value]]), newline="")))
    assert cell == ("" if value is None else str(value))
