"""Working days: Monday to Friday, less England and Wales bank holidays.

Service-level targets count working days, so a reminder due "in 5 working days" skips the
weekend and Easter. Bank holidays come from the ``holidays`` package rather than a list kept
here, so that new years need no change.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays

from domain.errors import beyond_limits

# Worked out once, at import: the ``holidays`` package builds its tables lazily with locale
# and clock look-ups that a workflow sandbox refuses, and workflows import this module.
_TABLED_YEARS = range(2000, 2071)
_TABLED = frozenset(holidays.country_holidays("GB", subdiv="ENG", years=_TABLED_YEARS))


@lru_cache(maxsize=16)
def _bank_holidays(year: int) -> frozenset[date]:
    if year in _TABLED_YEARS:
        return _TABLED
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def add_working_days(start: date, days: int) -> date:
    """The date ``days`` working days after ``start`` (``start`` itself when ``days`` is 0)."""
    if days < 0:
        raise ValueError("days must not be negative")
    day = start
    with beyond_limits(f"the day {days} working days on"):
        while days:
            day += timedelta(days=1)
            if is_working_day(day):
                days -= 1
    return day


def working_days_before(end: date, days: int) -> date:
    """The working day ``days`` working days before ``end`` (``end`` itself when 0)."""
    if days < 0:
        raise ValueError("days must not be negative")
    day = end
    while days:
        day -= timedelta(days=1)
        if is_working_day(day):
            days -= 1
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end``."""
    if end <= start:
        return 0
    return sum(is_working_day(start + timedelta(days=n)) for n in range(1, (end - start).days + 1))
