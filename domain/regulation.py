"""Regulation records: the legal basis that switches on efficiency-retirement cases.

The power is not in force today. When regulations change, an admin adds a record with its
effective dates and figures; the branch reads the record in force, never a constant in code.
Defaults follow docs/design.md ("Efficiency retirement"), modelled on the former Regulation A19.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_serializer,
    field_validator,
    model_validator,
)

from domain.bounds import Day, PeriodWithin
from domain.officer import PensionScheme, Rank
from domain.periods import Period


class Assessment(StrEnum):
    """What must be on record about an officer before a decision or notice."""

    CRITICAL_SKILLS = "critical_skills"
    PERFORMANCE = "performance"
    EQUALITY_IMPACT = "equality_impact"


_RANKS_UP_TO_CHIEF_SUPERINTENDENT = frozenset(Rank) - {Rank.COMMANDER}

ServiceYears = Annotated[Decimal, Field(gt=0, le=60, max_digits=4, decimal_places=1)]

# Former reg. A19: entitlement to the maximum pension, reached at 30 years in the 1987 scheme
# and 35 in the 2006 scheme; the 2015 (career average) scheme has no such entitlement.
_A19_MINIMUM_SERVICE: dict[PensionScheme, Decimal | None] = {
    PensionScheme.P1987: Decimal(30),
    PensionScheme.P2006: Decimal(35),
    PensionScheme.P2015: None,
}


class RegulationParameters(BaseModel):
    """Every figure the efficiency-retirement branch uses; none is fixed in code."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    eligible_ranks: frozenset[Rank] = Field(
        default=_RANKS_UP_TO_CHIEF_SUPERINTENDENT,
        min_length=1,
        description="Ranks the power applies to (A19: below chief officer rank).",
    )
    minimum_pensionable_service_years: ServiceYears = Field(
        default=Decimal(30),
        description="The one minimum for every scheme that cases started before "
        "minimum_service_by_scheme still replay under; new cases use minimum_service_by_scheme.",
    )
    minimum_service_by_scheme: dict[PensionScheme, ServiceYears | None] = Field(
        default=_A19_MINIMUM_SERVICE,
        description="Pensionable service (years) each scheme needs before the power applies; "
        "null: the power does not apply to that scheme's members.",
    )
    notice_period: Annotated[Period, PeriodWithin("PT1S", "P5Y")] = Field(
        default="P3M", description="ISO 8601 period of notice."
    )
    representations_window: Annotated[Period, PeriodWithin("PT1S", "P1Y")] = Field(
        default="P28D", description="ISO 8601 period the officer has to make representations."
    )
    required_assessments: frozenset[Assessment] = Field(
        default=frozenset(Assessment),
        description="Assessments that must be recorded before notice is served.",
    )

    @field_validator("minimum_service_by_scheme")
    @classmethod
    def _every_scheme(
        cls, value: dict[PensionScheme, Decimal | None]
    ) -> dict[PensionScheme, Decimal | None]:
        if set(value) != set(PensionScheme):
            raise ValueError("needs an entry (null: not eligible) for each of 1987, 2006 and 2015")
        return value

    @field_serializer("eligible_ranks", "required_assessments", when_used="json")
    def _sorted(self, values: frozenset[StrEnum]) -> list[str]:
        # Sets have no order; a stable one keeps exports and comparisons reproducible.
        return sorted(v.value for v in values)


class Regulation(BaseModel):
    """A regulation record as an admin submits it."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "legal_reference": "Police Pensions Regulations 1987, reg. A19 (reinstated)",
                    "version": "2026-1",
                    "effective_from": "2026-09-01",
                    "effective_to": None,
                    "parameters": {
                        "eligible_ranks": ["chief_inspector", "superintendent"],
                        "minimum_pensionable_service_years": "30",
                        "minimum_service_by_scheme": {"1987": "30", "2006": "35", "2015": None},
                        "notice_period": "P3M",
                        "representations_window": "P28D",
                        "required_assessments": [
                            "critical_skills",
                            "performance",
                            "equality_impact",
                        ],
                    },
                }
            ]
        },
    )

    legal_reference: str = Field(
        min_length=3,
        max_length=300,
        pattern=r"^[^\x00-\x1f\x7f]+$",
        description="The statutory instrument and regulation, on one line.",
    )
    version: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    effective_from: Day
    effective_to: Day | None = Field(
        default=None, description="Last day in force; none while it stays in force."
    )
    parameters: RegulationParameters = RegulationParameters()

    @field_validator("legal_reference")
    @classmethod
    def _encodable(cls, value: str) -> str:
        value.encode("utf-8")  # a lone surrogate raises: it could not be stored
        return value

    @model_validator(mode="after")
    def _period(self) -> Regulation:
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValueError("effective_to is before effective_from")
        return self

    def in_force_on(self, day: date) -> bool:
        return self.effective_from <= day and (
            self.effective_to is None or day <= self.effective_to
        )


class RegulationRecord(Regulation):
    """A stored record: who added it and when."""

    created_by: str
    created_at: datetime


def in_force(records: Iterable[Regulation], day: date) -> Regulation | None:
    """The record in force on ``day``; when two overlap, the one that took effect last wins."""
    candidates = [r for r in records if r.in_force_on(day)]
    return max(candidates, key=lambda r: (r.effective_from, r.version), default=None)
