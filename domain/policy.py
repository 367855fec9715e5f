"""The scheme policy: a versioned document holding every figure the rules use.

A case keeps the policy version it started under; a new version applies to new cases only.
The defaults and their sources are in DESIGN.md's rule table; ``policies/default.json`` holds them.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.officer import PensionScheme, Rank
from domain.periods import Period


class Deadline(BaseModel):
    """A service-level deadline: a count of working days, or (for demo policies) a plain period."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    working_days: int | None = Field(default=None, ge=0)
    after: Period | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Deadline:
        if (self.working_days is None) == (self.after is None):
            raise ValueError("give exactly one of working_days or after")
        return self


class ServiceLevel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    reminder: Deadline
    escalation: Deadline


class PensionAge(BaseModel):
    """At or above pension age once either figure given is reached."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    age: int | None = Field(default=None, gt=0)
    service_years: int | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _one_of(self) -> PensionAge:
        if (self.age is None) == (self.service_years is None):
            raise ValueError("give exactly one of age or service_years")
        return self


class ApprovalThresholds(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    finance_above: Decimal = Field(ge=0)
    executive_from: Decimal = Field(ge=0)
    executive_annual_pay_from: Decimal = Field(ge=0)


class SchemePolicy(BaseModel):
    """One version of the voluntary exit scheme's rules."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    description: str = ""
    eligible_ranks: frozenset[Rank]
    application_opens: date
    application_closes: date
    earliest_leaving_date: date
    tariff_weeks_per_year: Decimal = Field(gt=0)
    days_per_service_year: int = Field(gt=0)
    cap_months_below_pension_age: Decimal = Field(gt=0)
    cap_months_at_pension_age: Decimal = Field(gt=0)
    pension_age: dict[PensionScheme, PensionAge]
    full_service_years: dict[PensionScheme, int] = Field(
        description="Schemes with a full-service point, and the years that reach it: no payment."
    )
    approval: ApprovalThresholds
    offer_consideration: Period
    offer_reminder_before_lapse: Period
    cooling_off: Period
    notice_min: Period
    notice_max: Period
    leaving_reminders_before: tuple[Period, ...]
    hr_review_sla: ServiceLevel
    approval_tier_sla: ServiceLevel

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
    """A policy shipped in ``domain/policies`` (``default`` or ``demo``)."""
    text = resources.files("domain.policies").joinpath(f"{name}.json").read_text()
    return SchemePolicy.model_validate(json.loads(text))
