"""The roster CSV: every bad row by line and field, all rows or none."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.officer import PensionScheme, Rank
from domain.roster import RosterError, parse_roster

HEADER = (
    "officer_id,name,rank,date_of_birth,service_start,annual_pay,pension_scheme,misconduct_pending"
)
GOOD = "A1,Alex Smith,superintendent,1975-03-02,1999-09-01,78500.00,2006,false"
TODAY = date(2026, 11, 23)


def test_parses_good_rows_with_optional_equality_columns() -> None:
    second_row = "B2,Sam Jones,chief_inspector,1980-01-31,2003-02-01,65000,2015,TRUE,,,"
    text = f"{HEADER},sex,ethnicity,disability\n{GOOD},F,White British,\n{second_row}\n"
    first, second = parse_roster(text, today=TODAY)
    assert first.rank is Rank.SUPERINTENDENT and first.annual_pay == Decimal("78500.00")
    assert first.sex == "F" and first.disability is None
    assert second.misconduct_pending is True and second.pension_scheme is PensionScheme.P2015


def test_every_bad_row_is_reported_by_line_and_field() -> None:
    text = "\n".join(
        [
            HEADER,
            GOOD,
            "B2,Sam,sergent,1980-13-01,2003-02-01,-5,2010,maybe",
            ",Kim,inspector,1980-01-01,1970-01-01,50000.001,1987,false",
            GOOD.replace("Alex", "Alexa"),
        ]
    )
    with pytest.raises(RosterError) as raised:
        parse_roster(text, today=TODAY)
    found = {(e.line, e.field) for e in raised.value.errors}
    assert found == {
        (3, "misconduct_pending"),
        (3, "rank"),
        (3, "date_of_birth"),
        (3, "annual_pay"),
        (3, "pension_scheme"),
        (4, "officer_id"),
        (4, "service_start"),
        (4, "annual_pay"),
        (5, "officer_id"),
    }
    messages = " ".join(e.message for e in raised.value.errors)
    assert "Sam" not in messages and "1980" not in messages and "Kim" not in messages


def test_header_problems_are_line_one() -> None:
    with pytest.raises(RosterError) as raised:
        parse_roster("officer_id,name,rank,shoe_size\n", today=TODAY)
    fields = {e.field for e in raised.value.errors}
    assert {e.line for e in raised.value.errors} == {1}
    assert {"date_of_birth", "annual_pay", "shoe_size"} <= fields


@pytest.mark.parametrize("text", ["", HEADER + "\n"])
def test_empty_rosters_are_refused(text: str) -> None:
    with pytest.raises(RosterError):
        parse_roster(text, today=TODAY)


@given(st.text(max_size=300))
def test_any_text_is_parsed_or_refused_clearly(text: str) -> None:
    try:
        parse_roster(HEADER + "\n" + text, today=TODAY)
    except RosterError as error:
        assert error.errors and all(e.line >= 1 and e.field and e.message for e in error.errors)
    except csv.Error:
        pass


def test_implausible_dates_and_pay_are_refused_by_line_and_field() -> None:
    rows = [
        "F1,Future,inspector,1990-01-01,2026-11-24,50000,2015,false",  # starts tomorrow
        "Y1,Young,inspector,2000-06-15,2016-06-14,50000,2015,false",  # joined a day before 16
        "O1,Old,inspector,1900-12-31,1990-01-01,50000,1987,false",  # born in 1900
        "P1,Paid,commander,1970-01-01,1990-01-01,300000.01,2006,false",  # over MAX_ANNUAL_PAY
    ]
    with pytest.raises(RosterError) as raised:
        parse_roster("\n".join([HEADER, *rows]), today=TODAY)
    assert {(e.line, e.field) for e in raised.value.errors} == {
        (2, "service_start"),
        (3, "service_start"),
        (4, "date_of_birth"),
        (5, "annual_pay"),
    }
    messages = " ".join(e.message for e in raised.value.errors)
    assert "300000.01" not in messages and "2026-11-24" not in messages
    # Each bound itself is plausible.
    edges = [
        "F1,Today,inspector,1990-01-01,2026-11-23,50000,2015,false",
        "Y1,Sixteen,inspector,2000-06-15,2016-06-15,50000,2015,false",
        "O1,Born 1901,inspector,1901-01-01,1990-01-01,50000,1987,false",
        "P1,Paid,commander,1970-01-01,1990-01-01,300000.00,2006,false",
    ]
    assert len(parse_roster("\n".join([HEADER, *edges]), today=TODAY)) == 4
