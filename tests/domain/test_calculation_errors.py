"""Figures beyond the calendar or the arithmetic raise ``CalculationError``, and only they do.

A workflow stops a case for a person on a ``CalculationError``; every other exception is a bug
that must fail the workflow task instead, so the error must not be one a bug raises too.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from fractions import Fraction

import pytest
from pydantic import ValidationError

from domain.calendar import add_working_days
from domain.errors import CalculationError
from domain.money import to_pounds
from domain.notice import leaving_date_problem
from domain.periods import add_period, subtract_period
from domain.policy import load_bundled_policy


def test_dates_past_the_calendar_are_calculation_errors() -> None:
    with pytest.raises(CalculationError):
        add_period(date(2026, 1, 1), "P99999999Y")
    with pytest.raises(CalculationError):
        add_period(datetime(2026, 1, 1, tzinfo=UTC), "P999999999D")
    with pytest.raises(CalculationError):
        subtract_period(datetime(2026, 1, 1, tzinfo=UTC), "P9999Y")
    with pytest.raises(CalculationError):
        add_working_days(date(9999, 12, 30), 5)


def test_a_notice_window_past_the_calendar_is_a_calculation_error() -> None:
    policy = load_bundled_policy().model_copy(update={"notice_max": "P99999999Y"})
    with pytest.raises(CalculationError):
        leaving_date_problem(date(2030, 1, 1), date(2026, 1, 1), policy)


def test_an_amount_beyond_what_a_decimal_holds_is_a_calculation_error() -> None:
    with pytest.raises(CalculationError):
        to_pounds(Fraction(10**300, 7))


def test_errors_a_bug_raises_are_not_calculation_errors() -> None:
    assert not issubclass(CalculationError, (ValueError, ArithmeticError))
    assert not issubclass(ValidationError, CalculationError)
    # A period that is not one at all is a bug (stored periods are validated), not a figure.
    with pytest.raises(ValueError) as raised:
        add_period(date(2026, 1, 1), "a fortnight")
    assert not isinstance(raised.value, CalculationError)
    with pytest.raises(ValueError) as raised:
        add_working_days(date(2026, 1, 1), -1)
    assert not isinstance(raised.value, CalculationError)
