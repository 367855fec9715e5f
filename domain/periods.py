"""ISO 8601 periods (``P10D``, ``P1M``, ``PT5S``) as policies write them.

Months are calendar months, so a period is added to a date or time rather than turned into a
fixed number of seconds.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, TypeVar

import isodate
from pydantic import AfterValidator

from domain.errors import beyond_limits

When = TypeVar("When", date, datetime)


def parse_period(text: str) -> timedelta | isodate.Duration:
    try:
        period = isodate.parse_duration(text)
    except (isodate.ISO8601Error, ValueError) as error:
        raise ValueError(f"{text!r} is not an ISO 8601 duration (P10D, P1M, PT30S)") from error
    if text.startswith("-"):
        raise ValueError(f"{text!r} is negative")
    return period


def _check(text: str) -> str:
    parse_period(text)
    return text


Period = Annotated[str, AfterValidator(_check)]


def add_period(start: When, period: str) -> When:
    """Raises ``CalculationError`` when the result is past the calendar's end."""
    step = parse_period(period)
    with beyond_limits(f"the moment {period} on"):
        return start + step


def subtract_period(end: When, period: str) -> When:
    """Raises ``CalculationError`` when the result is before the calendar's start."""
    step = parse_period(period)
    with beyond_limits(f"the moment {period} before"):
        return end - step
