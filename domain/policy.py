"""The scheme policy: a versioned document holding every figure the rules use.

A case keeps the policy version it started under; a new version applies to new cases only.
The defaults and their sources are in docs/design.md's rule table; ``policies/default.json``
holds them.
Each figure's bounds on admission are in docs/policy-bounds.md.
"""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction
from importlib import resources
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from domain.bounds import Day, PeriodWithin, Within, admit, check_after, shorter
from domain.officer import PensionScheme, Rank
from domain.periods import Period

Money = Annotated[Decimal, Field(ge=0), Within(0, 10_000_000)]
Months = Annotated[Decimal, Field(gt=0), Within(0, 36)]
ServiceYears = Annotated[int, Within(20, 45)]


class Deadline(BaseModel):
    """A service-level deadline: a count of working days, or (for demo policies) a plain period."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    working_days: Annotated[int, Within(1, 60)] | None = Field(default=None, ge=0)
    after: Annotated[Period, PeriodWithin("PT1S", "P1Y")] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Deadline:
        if (self.working_days is None) == (self.after is None):
            raise ValueError("give exactly one of working_days or after")
        return self


class ServiceLevel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    reminder: Deadline
    escalation: Deadline

    @field_validator("escalation")
    @classmethod
    def _reminder_first(cls, escalation: Deadline, info: ValidationInfo) -> Deadline:
        check_after(
            info,
            "reminder",
            lambda reminder: _earlier(reminder, escalation),
            "must fall after the reminder, counted the same way (working_days or after)",
        )
        return escalation


def _earlier(first: Deadline, second: Deadline) -> bool:
    if first.working_days is not None and second.working_days is not None:
        return first.working_days < second.working_days
    if first.after is not None and second.after is not None:
        return shorter(first.after, second.after)
    return False


class PensionAge(BaseModel):
    """A scheme's pension age: reached at ``age`` (with at least ``service_years`` if both are
    given), or at any age with ``or_service_years``.

    ``{"service_years": 30}`` and ``{"age": 55}`` mean what they meant before the combined
    form, so stored policies compute as they did.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    age: Annotated[int, Within(50, 75)] | None = Field(default=None, gt=0)
    service_years: ServiceYears | None = Field(default=None, gt=0)
    or_service_years: ServiceYears | None = Field(
        default=None, gt=0, description="Service that reaches pension age at any age."
    )

    @model_validator(mode="after")
    def _one_of(self) -> PensionAge:
        if self.age is None and self.service_years is None:
            raise ValueError("give age, service_years or both")
        if self.or_service_years is not None and self.age is None:
            raise ValueError("or_service_years is an alternative to an age: give age too")
        return self

    def condition_met(self, age: int, years: Fraction) -> str | None:
        """Which condition reaches pension age, in words; None while neither does."""
        if self.or_service_years is not None and years >= self.or_service_years:
            return f"{self.or_service_years} years' pensionable service at any age"
        if self.age is not None and age < self.age:
            return None
        if self.service_years is not None and years < self.service_years:
            return None
        if self.age is None:
            return f"{self.service_years} years' pensionable service"
        if self.service_years is None:
            return f"age {self.age}"
        return f"age {self.age} with at least {self.service_years} years' pensionable service"


class ApprovalThresholds(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    finance_above: Money
    executive_from: Money
    executive_annual_pay_from: Money


class SchemePolicy(BaseModel):
    """One version of the voluntary exit scheme's rules."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    description: str = ""
    eligible_ranks: Annotated[frozenset[Rank], Within(1, len(Rank), count=True)]
    application_opens: Day
    application_closes: Day
    earliest_leaving_date: Day
    tariff_weeks_per_year: Annotated[Decimal, Field(gt=0), Within(0, 52, exclusive_low=True)]
    days_per_service_year: Annotated[int, Field(gt=0), Within(360, 366)]
    cap_months_below_pension_age: Months
    cap_months_at_pension_age: Months
    pension_age: dict[PensionScheme, PensionAge]
    full_service_years: dict[PensionScheme, ServiceYears] = Field(
        description="Schemes with a full-service point, and the years that reach it: no payment."
    )
    approval: ApprovalThresholds
    offer_consideration: Annotated[Period, PeriodWithin("PT1S", "P2Y")]
    offer_reminder_before_lapse: Annotated[Period, PeriodWithin("PT1S", "P2Y")]
    cooling_off: Annotated[Period, PeriodWithin("PT1S", "P1Y")]
    notice_min: Annotated[Period, PeriodWithin("PT0S", "P2Y")]
    notice_max: Annotated[Period, PeriodWithin("PT1S", "P5Y")]
    leaving_reminders_before: Annotated[
        tuple[Annotated[Period, PeriodWithin("PT1S", "P1Y")], ...], Within(0, 5, count=True)
    ]
    hr_review_sla: ServiceLevel
    approval_tier_sla: ServiceLevel
    invitation_reminder_working_days: Annotated[int, Within(0, 60)] = Field(
        default=5,
        ge=0,
        description="Invited officers who have not applied are reminded this many working days "
        "before the scheme's application window closes (0: on the last day).",
    )

    @field_validator("offer_reminder_before_lapse")
    @classmethod
    def _reminder_before_lapse(cls, reminder: str, info: ValidationInfo) -> str:
        check_after(
            info,
            "offer_consideration",
            lambda consideration: shorter(reminder, consideration),
            "must be shorter than offer_consideration, or the reminder would come before the "
            "offer is made",
        )
        return reminder

    @field_validator("notice_max")
    @classmethod
    def _notice_in_order(cls, notice_max: str, info: ValidationInfo) -> str:
        check_after(
            info,
            "notice_min",
            lambda notice_min: not shorter(notice_max, notice_min),
            "must not be shorter than notice_min",
        )
        return notice_max

    @model_validator(mode="after")
    def _consistent(self) -> SchemePolicy:
        if self.application_closes < self.application_opens:
            raise ValueError("application_closes is before application_opens")
        if set(self.pension_age) != set(PensionScheme):
            raise ValueError("pension_age needs an entry for each of 1987, 2006 and 2015")
        if self.approval.executive_from < self.approval.finance_above:
            raise ValueError("approval.executive_from is below approval.finance_above")
        return self


def load_bundled_policy(name: str = "default") -> SchemePolicy:
    """A policy shipped in ``domain/policies`` (``default`` or ``demo``), within the bounds."""
    text = resources.files("domain.policies").joinpath(f"{name}.json").read_text()
    data: dict[str, Any] = json.loads(text)
    return admit(SchemePolicy, data)
