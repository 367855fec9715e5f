"""The force works on London time: dates of leaving, working days and deadlines are local."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def local_date(moment: datetime) -> date:
    return moment.astimezone(LONDON).date()


def start_of_day(day: date) -> datetime:
    """Midnight in London at the start of ``day``, as an aware datetime."""
    return datetime.combine(day, time(0), tzinfo=LONDON)


def same_time_on(day: date, moment: datetime) -> datetime:
    """``day`` at the London wall-clock time of ``moment``."""
    return datetime.combine(day, moment.astimezone(LONDON).time(), tzinfo=LONDON)
