"""The compensation calculation, exactly as docs/design.md states it.

All arithmetic is on exact fractions; only the final amount is rounded, half-up, to the penny.
The figures of the working (weekly pay, tariff, cap, years) are shown rounded, but the amount
is never computed from the rounded figures.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

from pydantic import BaseModel, ConfigDict, Field

from domain.money import MAX_AMOUNT, Money, to_pounds
from domain.officer import Officer, PensionScheme
from domain.policy import SchemePolicy
from domain.service import Service, ServiceSource, service_on

WEEKS_PER_YEAR = 52
MONTHS_PER_YEAR = 12


class Calculation(BaseModel):
    """The result with its working, as a caseworker or the officer would check it by hand."""

    model_config = ConfigDict(frozen=True)

    policy_version: str
    calculation_date: date
    pension_scheme: PensionScheme
    service_days: int = Field(description="Days of service on the calculation date.")
    years: Decimal = Field(
        description="years_completed + remaining_days / days_per_service_year, to 6 places."
    )
    # Calculations made before pensionable service was an input (still in running cases'
    # histories) have none of these three: their years were service_days / 365.
    service_source: ServiceSource | None = None
    years_completed: int | None = None
    remaining_days: int | None = None
    age: int = Field(description="Whole years of age on the calculation date.")
    pension_age_reached: bool
    pension_age_condition: str | None = Field(
        default=None, description="Which condition of the scheme's pension age was met."
    )
    payable: bool = Field(description="False when full pensionable service rules out payment.")
    weekly_pay: Money
    monthly_pay: Money
    tariff: Money
    cap_months: Decimal
    cap: Money
    capped: bool = Field(description="True when the cap, not the tariff, set the amount.")
    amount: Money


def age_on(born: date, on: date) -> int:
    """Whole years; someone born on 29 February turns a year older on 1 March in common years."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def full_service_reached(
    officer: Officer, on: date, policy: SchemePolicy, *, pensionable: bool = True
) -> bool:
    """At the full-service point of a legacy scheme, the scheme pays nothing.

    Counted in pensionable service (``service_on``), as the calculation is. ``pensionable=False``
    is the calendar count (days since service_start / days_per_service_year) that cases which
    applied before pensionable service was an input replay with.
    """
    limit = policy.full_service_years.get(officer.pension_scheme)
    if pensionable:
        years = service_on(officer, on, policy.days_per_service_year).years
    else:
        years = Fraction(service_days(officer, on), policy.days_per_service_year)
    return limit is not None and years >= limit


def service_days(officer: Officer, on: date) -> int:
    return max((on - officer.service_start).days, 0)


def amount_problem(calculation: Calculation) -> str | None:
    """Why no case may carry ``calculation``'s amount; None if one may.

    Only a pay above MAX_ANNUAL_PAY (stored before the roster bound) or a cap above 36 months
    gets there: no offer should be made that no adjustment could correct. The caller decides
    what to do, so that cases calculated before this rule keep their amount on replay.
    """
    if calculation.amount > MAX_AMOUNT:
        return f"the calculated amount is over the most a case may carry ({MAX_AMOUNT})"
    return None


def calculate(officer: Officer, on: date, policy: SchemePolicy) -> Calculation:
    """Compensation for ``officer`` leaving on ``on`` under ``policy``.

    Service is pensionable service (``domain.service.service_on``): from the pension record
    when the roster holds one, otherwise whole years since service_start plus remaining days.
    """
    service = service_on(officer, on, policy.days_per_service_year)
    return _calculate(officer, on, policy, service)


def calculate_legacy_calendar_days(officer: Officer, on: date, policy: SchemePolicy) -> Calculation:
    """The rule before pensionable service was an input: calendar days since service_start /
    days_per_service_year. Kept only so running cases' recorded histories replay (the
    workflows choose it when ``workflow.patched("pensionable-service-rules")`` is false)."""
    days = service_days(officer, on)
    years = Fraction(days, policy.days_per_service_year)
    legacy = Service(
        source=ServiceSource.SERVICE_START,
        days=days,
        years_completed=0,
        remaining_days=0,
        years=years,
    )
    calculation = _calculate(officer, on, policy, legacy)
    return calculation.model_copy(
        update={"service_source": None, "years_completed": None, "remaining_days": None}
    )


def _calculate(officer: Officer, on: date, policy: SchemePolicy, service: Service) -> Calculation:
    years = service.years
    age = age_on(officer.date_of_birth, on)
    condition = policy.pension_age[officer.pension_scheme].condition_met(age, years)
    limit = policy.full_service_years.get(officer.pension_scheme)
    payable = limit is None or years < limit

    annual = Fraction(officer.annual_pay)
    weekly = annual / WEEKS_PER_YEAR
    monthly = annual / MONTHS_PER_YEAR
    tariff = Fraction(policy.tariff_weeks_per_year) * weekly * years
    reached = condition is not None
    cap_months = (
        policy.cap_months_at_pension_age if reached else policy.cap_months_below_pension_age
    )
    cap = Fraction(cap_months) * monthly
    amount = min(tariff, cap) if payable else Fraction(0)
    return Calculation(
        policy_version=policy.version,
        calculation_date=on,
        pension_scheme=officer.pension_scheme,
        service_days=service.days,
        years=service.years_shown(),
        service_source=service.source,
        years_completed=service.years_completed,
        remaining_days=service.remaining_days,
        age=age,
        pension_age_reached=reached,
        pension_age_condition=condition,
        payable=payable,
        weekly_pay=to_pounds(weekly),
        monthly_pay=to_pounds(monthly),
        tariff=to_pounds(tariff),
        cap_months=cap_months,
        cap=to_pounds(cap),
        capped=payable and tariff > cap,
        amount=to_pounds(amount),
    )
