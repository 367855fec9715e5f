"""Pensionable service on a day, counted as the scheme counts it (docs/compensation-rules.md).

Two sources: the force's pension record (days of pensionable service on ``service_as_of``, so
breaks, unpaid leave and part-time working are already taken off), or, without one, calendar
time since ``service_start``. A year of calendar service is completed on the anniversary of the
start; the part year counts its remaining days over the days of a service year (the Civil
Service Compensation Scheme practice the tariff follows: 11 years 200 days = 11 + 200/365).
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from fractions import Fraction

from pydantic import BaseModel, ConfigDict

from domain.officer import Officer

_YEARS_SHOWN = Decimal("0.000001")


class ServiceSource(StrEnum):
    SERVICE_START = "service_start"
    PENSION_RECORD = "pension_record"


class Service(BaseModel):
    """Service on one day, with its working."""

    model_config = ConfigDict(frozen=True)

    source: ServiceSource
    days: int
    years_completed: int
    remaining_days: int
    years: Fraction

    def years_shown(self) -> Decimal:
        return (Decimal(self.years.numerator) / Decimal(self.years.denominator)).quantize(
            _YEARS_SHOWN, rounding=ROUND_HALF_UP
        )


def anniversary(start: date, year: int) -> date:
    """``start``'s anniversary in ``year``; a 29 February start's is 1 March in common years."""
    try:
        return start.replace(year=year)
    except ValueError:
        return date(year, 3, 1)


def _from_service_start(start: date, on: date, days_per_year: int) -> Service:
    if on <= start:
        return Service(
            source=ServiceSource.SERVICE_START,
            days=0,
            years_completed=0,
            remaining_days=0,
            years=Fraction(0),
        )
    completed = on.year - start.year
    if anniversary(start, on.year) > on:
        completed -= 1
    last = anniversary(start, start.year + completed) if completed else start
    remaining = (on - last).days
    return Service(
        source=ServiceSource.SERVICE_START,
        days=(on - start).days,
        years_completed=completed,
        remaining_days=remaining,
        years=completed + Fraction(remaining, days_per_year),
    )


def _from_pension_record(recorded: int, as_of: date, on: date, days_per_year: int) -> Service:
    # The record holds service on ``as_of``; every day after it is a day of service.
    days = max(recorded + (on - as_of).days, 0)
    completed, remaining = divmod(days, days_per_year)
    return Service(
        source=ServiceSource.PENSION_RECORD,
        days=days,
        years_completed=completed,
        remaining_days=remaining,
        years=Fraction(days, days_per_year),
    )


def service_on(officer: Officer, on: date, days_per_year: int) -> Service:
    """Pensionable service on ``on``: from the pension record if the roster has one."""
    if officer.pensionable_service_days is not None and officer.service_as_of is not None:
        return _from_pension_record(
            officer.pensionable_service_days, officer.service_as_of, on, days_per_year
        )
    return _from_service_start(officer.service_start, on, days_per_year)
