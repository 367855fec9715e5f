"""The compensation calculation, exactly as DESIGN.md states it.

All arithmetic is on exact fractions; only the final amount is rounded, half-up, to the penny.
The figures of the working (weekly pay, tariff, cap, years) are shown rounded, but the amount
is never computed from the rounded figures.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from pydantic import BaseModel, ConfigDict, Field

from domain.money import MAX_AMOUNT, Money, to_pounds
from domain.officer import Officer, PensionScheme
from domain.policy import SchemePolicy

WEEKS_PER_YEAR = 52
MONTHS_PER_YEAR = 12
# Years of service are shown to six places; the amount uses the exact days / 365.
_YEARS_SHOWN = Decimal("0.000001")


class Calculation(BaseModel):
    """The result with its working, as a caseworker or the officer would check it by hand."""

    model_config = ConfigDict(frozen=True)

    policy_version: str
    calculation_date: date
    pension_scheme: PensionScheme
    service_days: int = Field(description="Days from the service start to the calculation date.")
    years: Decimal = Field(description="service_days / days_per_service_year, shown to 6 places.")
    age: int = Field(description="Whole years of age on the calculation date.")
    pension_age_reached: bool
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


def _pension_age_reached(
    scheme: PensionScheme, age: int, years: Fraction, policy: SchemePolicy
) -> bool:
    rule = policy.pension_age[scheme]
    if rule.age is not None:
        return age >= rule.age
    assert rule.service_years is not None
    return years >= rule.service_years


def full_service_reached(officer: Officer, on: date, policy: SchemePolicy) -> bool:
    """At the full-service point of a legacy scheme, the scheme pays nothing."""
    limit = policy.full_service_years.get(officer.pension_scheme)
    return limit is not None and service_years(officer, on, policy) >= limit


def service_days(officer: Officer, on: date) -> int:
    return max((on - officer.service_start).days, 0)


def service_years(officer: Officer, on: date, policy: SchemePolicy) -> Fraction:
    return Fraction(service_days(officer, on), policy.days_per_service_year)


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
    """Compensation for ``officer`` leaving on ``on`` under ``policy``."""
    days = service_days(officer, on)
    years = service_years(officer, on, policy)
    age = age_on(officer.date_of_birth, on)
    reached = _pension_age_reached(officer.pension_scheme, age, years, policy)
    payable = not full_service_reached(officer, on, policy)

    annual = Fraction(officer.annual_pay)
    weekly = annual / WEEKS_PER_YEAR
    monthly = annual / MONTHS_PER_YEAR
    tariff = Fraction(policy.tariff_weeks_per_year) * weekly * years
    cap_months = (
        policy.cap_months_at_pension_age if reached else policy.cap_months_below_pension_age
    )
    cap = Fraction(cap_months) * monthly
    amount = min(tariff, cap) if payable else Fraction(0)
    return Calculation(
        policy_version=policy.version,
        calculation_date=on,
        pension_scheme=officer.pension_scheme,
        service_days=days,
        years=(Decimal(years.numerator) / Decimal(years.denominator)).quantize(
            _YEARS_SHOWN, rounding=ROUND_HALF_UP
        ),
        age=age,
        pension_age_reached=reached,
        payable=payable,
        weekly_pay=to_pounds(weekly),
        monthly_pay=to_pounds(monthly),
        tariff=to_pounds(tariff),
        cap_months=cap_months,
        cap=to_pounds(cap),
        capped=payable and tariff > cap,
        amount=to_pounds(amount),
    )
