"""Efficiency retirement: the compulsory branch that a regulation record switches on.

Modelled on the former Regulation A19 (docs/compensation-rules.md, "Efficiency retirement").
The branch's own figures come from the regulation record the case started under; none is fixed
here. Service is counted as for the voluntary scheme (``domain.service``), with the length of a
service year from the case's scheme policy. Every case reads the models here (a case view's
``efficiency`` part, the efficiency commands) and ``domain.actions`` reads the action table;
only the efficiency workflow checks the precondition.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from fractions import Fraction

from pydantic import BaseModel, ConfigDict, Field

from domain.compensation import service_days
from domain.eligibility import IneligibilityReason
from domain.lifecycle import Action, CaseState
from domain.officer import Officer
from domain.regulation import Assessment, RegulationParameters
from domain.service import service_on

# Before the panel confirms, the officer may choose the voluntary scheme instead.
BEFORE_THE_PANEL = frozenset(
    {
        CaseState.NOTICE_SERVED,
        CaseState.REPRESENTATIONS,
        CaseState.PANEL_REVIEW,
        CaseState.DEFERRED,
    }
)

# An admin may halt a running case (a record revoked, say) until exit processing starts.
HALTABLE = BEFORE_THE_PANEL | {CaseState.PROPOSED, CaseState.DECISION_PENDING}

ALLOWED_ACTIONS: dict[CaseState, frozenset[Action]] = {
    CaseState.DECISION_PENDING: frozenset({Action.DECIDE}),
    CaseState.NOTICE_SERVED: frozenset({Action.MAKE_REPRESENTATIONS}),
    CaseState.REPRESENTATIONS: frozenset({Action.MAKE_REPRESENTATIONS}),
    CaseState.PANEL_REVIEW: frozenset({Action.PANEL_DECISION}),
    CaseState.LEAVING_SCHEDULED: frozenset({Action.CHANGE_LEAVING_DATE, Action.HALT}),
    CaseState.EXIT_PROCESSING: frozenset({Action.COMPLETE_CHECKLIST_ITEM}),
}


def allowed_actions(state: CaseState) -> frozenset[Action]:
    actions = set(ALLOWED_ACTIONS.get(state, frozenset()))
    if state in BEFORE_THE_PANEL:
        actions.add(Action.APPLY_VOLUNTARY)
    if state in HALTABLE:
        actions.add(Action.HALT)
    return frozenset(actions)


class Proposal(BaseModel):
    """What an HR manager must put on record to propose a case."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    critical_skills: str | None = Field(
        default=None, max_length=4000, description="Assessment of critical skills or knowledge."
    )
    performance: str | None = Field(
        default=None, max_length=4000, description="Assessment of performance in rank."
    )
    equality_impact_reference: str | None = Field(
        default=None, max_length=200, description="Reference of the equality impact assessment."
    )

    def recorded(self) -> frozenset[Assessment]:
        given = {
            Assessment.CRITICAL_SKILLS: self.critical_skills,
            Assessment.PERFORMANCE: self.performance,
            Assessment.EQUALITY_IMPACT: self.equality_impact_reference,
        }
        return frozenset(a for a, text in given.items() if text and text.strip())


class RegulationRef(BaseModel):
    """The record a case runs under, kept whole: a later version changes nothing for it."""

    model_config = ConfigDict(frozen=True)

    legal_reference: str
    version: str
    parameters: RegulationParameters


class Representation(BaseModel):
    text: str
    by: str
    on_behalf_of: str | None = None
    at: datetime


class PanelOutcome(StrEnum):
    CONFIRM = "confirm"
    DEFER = "defer"
    WITHDRAW = "withdraw"


class PanelDecision(BaseModel):
    outcome: PanelOutcome
    reason: str
    by: str
    at: datetime
    review_date: date | None = None


class EfficiencyCase(BaseModel):
    """The efficiency-retirement part of a case view."""

    regulation: RegulationRef
    proposal: Proposal
    decided_by: str | None = None
    notice_served_on: date | None = None
    notice_ends_on: date | None = None
    representations_close_at: datetime | None = None
    representations: list[Representation] = []
    panel_decisions: list[PanelDecision] = []
    superseded_by: str | None = Field(
        default=None, description="The voluntary exit case the officer applied for instead."
    )


def assess_precondition(
    officer: Officer,
    *,
    on: date,
    parameters: RegulationParameters,
    proposal: Proposal,
    has_other_open_case: bool,
    days_per_service_year: int,
    legacy_service_rule: bool = False,
) -> list[IneligibilityReason]:
    """Every reason the record does not permit this case; empty when it does.

    ``days_per_service_year``: the scheme policy's, as the compensation calculation counts.
    ``legacy_service_rule``: the one minimum for every scheme, in calendar days over a service
    year, for cases whose histories were recorded before the per-scheme rule.
    """
    reasons: list[IneligibilityReason] = []
    if officer.rank not in parameters.eligible_ranks:
        reasons.append(
            IneligibilityReason(
                code="rank_not_covered", detail="the regulation does not cover the officer's rank"
            )
        )
    service_reason = (
        _legacy_insufficient_service(officer, on, parameters, days_per_service_year)
        if legacy_service_rule
        else _insufficient_service(officer, on, parameters, days_per_service_year)
    )
    if service_reason is not None:
        reasons.append(service_reason)
    for missing in sorted(parameters.required_assessments - proposal.recorded()):
        reasons.append(
            IneligibilityReason(
                code="assessment_missing", detail=f"the {missing.value} assessment is not recorded"
            )
        )
    if has_other_open_case:
        reasons.append(
            IneligibilityReason(
                code="open_case_exists", detail="the officer already has another open case"
            )
        )
    return reasons


def _insufficient_service(
    officer: Officer, on: date, parameters: RegulationParameters, days_per_year: int
) -> IneligibilityReason | None:
    scheme = officer.pension_scheme
    minimum = parameters.minimum_service_by_scheme.get(scheme)
    if minimum is None:
        return IneligibilityReason(
            code="scheme_not_covered",
            detail=f"the regulation does not apply to members of the {scheme.value} scheme",
        )
    if service_on(officer, on, days_per_year).years < Fraction(minimum):
        return IneligibilityReason(
            code="insufficient_service",
            detail=f"the regulation needs at least {minimum} years of pensionable service "
            f"in the {scheme.value} scheme",
        )
    return None


def _legacy_insufficient_service(
    officer: Officer, on: date, parameters: RegulationParameters, days_per_year: int
) -> IneligibilityReason | None:
    """The rule before the per-scheme minimum; kept only for replay of running cases."""
    years = Fraction(service_days(officer, on), days_per_year)
    if years < Fraction(parameters.minimum_pensionable_service_years):
        return IneligibilityReason(
            code="insufficient_service",
            detail="the regulation needs at least "
            f"{parameters.minimum_pensionable_service_years} years of pensionable service",
        )
    return None
