"""How the pages write values for people."""

from __future__ import annotations

from datetime import date

from domain.scheme import month_of
from web.format import month_text


def test_a_schemes_month_reads_as_words() -> None:
    assert month_text("2026-11") == "November 2026"
    assert month_text(month_of(date(2027, 1, 31))) == "January 2027"
