"""CSV cells a spreadsheet would run as formulas come out as text (OWASP CSV injection)."""

from __future__ import annotations

import csv
import io

import pytest

from store.safe_csv import CsvLines


@pytest.mark.parametrize(
    "text",
    ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("x","y")'],
)
def test_a_cell_starting_like_a_formula_gets_a_quote_in_front(text: str) -> None:
    line = CsvLines().line(["EX-1", text, 7, None])
    assert next(csv.reader(io.StringIO(line))) == ["EX-1", "'" + text, "7", ""]
    # Quoted, so no separator in the cell can start a new cell that is a formula.
    assert line.split(",", 1)[1].startswith("\"'")


def test_other_cells_are_unchanged_and_quoted() -> None:
    line = CsvLines().line(["a=b", "1,=2", 'say "hi"'])
    assert line == '"a=b","1,=2","say ""hi"""\r\n'
    assert next(csv.reader(io.StringIO(line))) == ["a=b", "1,=2", 'say "hi"']
