"""CSV that is safe to open in a spreadsheet: every CSV the service writes goes through here.

Text typed by people (a reason, say) can begin like a formula: ``=HYPERLINK(...)`` or
``+cmd|' /C calc'!A0``, which a spreadsheet would evaluate on opening. Following OWASP's CSV
injection guidance, a cell beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
gets a single quote in front (shown as text, not run), and every cell is quoted so that no
separator inside one can start a new cell that begins like a formula.

The prefix changes the text, so a CSV export is for reading, not for recomputing hashes:
the JSON-lines export is the lossless one (docs/audit.md).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> str:
    """The cell's text, with a quote in front if a spreadsheet would take it for a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class CsvLines:
    """Renders one row at a time, so a large export streams in constant memory."""

    def __init__(self) -> None:
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, quoting=csv.QUOTE_ALL)

    def line(self, cells: Iterable[object]) -> str:
        self._writer.writerow([neutralise(cell) for cell in cells])
        text = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        return text
