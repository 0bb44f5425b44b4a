"""Cells of every spreadsheet and CSV file the portal writes: what a citizen typed never runs as a formula.

A name or an address is typed by the public. Written as it is, "=HYPERLINK(...)" or "+cmd|..." becomes a
formula (or a DDE call) when an officer opens the tracking book or a CSV export in Excel or LibreOffice
(CSV injection). Every export writes its cells through this module:

- .xlsx: `write_cell` stores such text as a text cell marked "quote prefix", so it is shown exactly as
  typed, sorts as text, and stays text when someone edits the cell.
- CSV has no cell types, so `csv_text` puts an apostrophe before such text, the usual neutralisation
  (the spreadsheet shows the apostrophe; the rest is the text as typed).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from openpyxl.cell.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet

# What makes a spreadsheet read a cell as a formula: these first characters (after any spaces, which
# some spreadsheets skip), or a tab or line break first, which can hide one.
FORMULA_STARTS = ("=", "+", "-", "@")
HIDING_STARTS = ("\t", "\r", "\n")


def is_formula_like(value: object) -> bool:
    """Whether a spreadsheet could take this text as a formula; numbers and dates never are."""
    if not isinstance(value, str) or not value:
        return False
    return value.startswith(HIDING_STARTS) or value.lstrip().startswith(FORMULA_STARTS)


def write_cell(sheet: Worksheet, row: int, column: int, value: object) -> Cell:
    """Put a value in an .xlsx cell; text that looks like a formula stays text, exactly as typed."""
    cell = sheet.cell(row=row, column=column, value=value)
    if is_formula_like(value):
        cell.data_type = "s"  # openpyxl makes every text starting with "=" a formula
        cell.quotePrefix = True
    return cell


def csv_cell(value: object) -> object:
    """A value ready for a CSV row: formula-like text gets a leading apostrophe, anything else is unchanged."""
    return f"'{value}" if is_formula_like(value) else value


def csv_text(rows: Iterable[Iterable[object]]) -> str:
    """Rows (the heading first) as CSV text, every cell through `csv_cell`."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
    return out.getvalue()
