"""A synthetic roster for the equality report: 720 officers whose groups are skewed on purpose.

Women are approved far less often, disabled officers found ineligible far more often, Black
officers and the oldest proposed for efficiency retirement far more often, and some groups are
small (so that their counts are suppressed). Each officer's ``Truth`` says what happened to
them in plain booleans; tests count from it, independently of how the report counts, and the
case views are built to match it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from domain.case import Acceptance, Application, ApprovalDecision, CaseView, Offer
from domain.efficiency import (
    EfficiencyCase,
    PanelDecision,
    PanelOutcome,
    Proposal,
    RegulationRef,
)
from domain.eligibility import IneligibilityReason
from domain.equality import (
    CaseFacts,
    EqualityReport,
    Person,
    ReportKind,
    case_stages,
    equality_report,
)
from domain.lifecycle import CaseKind, CaseState
from domain.officer import Officer, Rank
from domain.people import Actor, Role, Tier
from domain.regulation import RegulationParameters
from tests.helpers.officers import officer as officer_record

AS_OF = date(2026, 6, 30)
OPENED = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
ELIGIBLE_RANKS = frozenset({Rank.CHIEF_INSPECTOR, Rank.SUPERINTENDENT, Rank.CHIEF_SUPERINTENDENT})
REASONS = ("misconduct_pending", "full_pensionable_service", "open_case_exists")

T = TypeVar("T")

_SEX = (("female", 0.27), ("male", 0.68), (None, 0.05))
_ETHNICITY = (
    ("White", 0.78),
    ("Asian", 0.07),
    ("Black", 0.08),
    ("Mixed", 0.03),
    ("Chinese", 0.012),
    (None, 0.028),
)
_DISABILITY = (("no", 0.82), ("yes", 0.10), ("prefer not to say", 0.03), (None, 0.05))
_RANKS = (
    (Rank.CHIEF_INSPECTOR, 0.45),
    (Rank.SUPERINTENDENT, 0.3),
    (Rank.CHIEF_SUPERINTENDENT, 0.15),
    (Rank.INSPECTOR, 0.1),
)


@dataclass
class Truth:
    officer: Officer
    redacted: bool = False
    invited: bool = False
    applied: bool = False
    reasons: tuple[str, ...] = ()
    approved: bool = False
    accepted: bool = False
    left: bool = False
    proposed: bool = False
    notice_served: bool = False
    confirmed: bool = False
    withdrawn: bool = False

    @property
    def ineligible(self) -> bool:
        return bool(self.reasons)


def _pick(rng: random.Random, weights: tuple[tuple[T, float], ...]) -> T:
    return rng.choices([v for v, _ in weights], [w for _, w in weights])[0]


def synthetic_roster(size: int = 720, seed: int = 17) -> list[Truth]:
    rng = random.Random(seed)
    roster = []
    for n in range(size):
        born = AS_OF - timedelta(days=rng.randint(24 * 365, 60 * 365))
        officer = officer_record(
            officer_id=f"EQ{n:04d}",
            rank=_pick(rng, _RANKS),
            date_of_birth=born,
            service_start=born + timedelta(days=21 * 365),
            sex=_pick(rng, _SEX),
            ethnicity=_pick(rng, _ETHNICITY),
            disability=_pick(rng, _DISABILITY),
        )
        truth = Truth(officer=officer, redacted=rng.random() < 0.015)
        age = (AS_OF - born).days / 365.25
        if officer.rank in ELIGIBLE_RANKS:
            truth.invited = rng.random() < 0.9
        truth.applied = rng.random() < (0.45 if officer.rank in ELIGIBLE_RANKS else 0.05)
        if truth.applied:
            disabled = officer.disability == "yes" and not truth.redacted
            if rng.random() < (0.5 if disabled else 0.12):
                truth.reasons = tuple(sorted(rng.sample(REASONS, rng.choice((1, 1, 2)))))
            else:
                woman = officer.sex == "female" and not truth.redacted
                truth.approved = rng.random() < (0.4 if woman else 0.85)
                truth.accepted = truth.approved and rng.random() < 0.85
                truth.left = truth.accepted and rng.random() < 0.6
        else:
            black = officer.ethnicity == "Black" and not truth.redacted
            chance = 0.45 if black else 0.2 if age >= 55 else 0.04
            truth.proposed = rng.random() < chance
            truth.notice_served = truth.proposed and rng.random() < 0.8
            truth.confirmed = truth.notice_served and rng.random() < 0.6
            truth.withdrawn = truth.proposed and not truth.confirmed and rng.random() < 0.5
        roster.append(truth)
    return roster


def person(truth: Truth, kind: ReportKind) -> Person:
    """The officer as ``store/equality.py`` hands them to the domain."""
    reached: set[str] = set()
    for view in case_views(truth):
        if view.kind.value == kind.value:
            reached |= case_stages(_facts(view))
    if kind is ReportKind.EFFICIENCY_RETIREMENT or truth.officer.rank in ELIGIBLE_RANKS:
        reached.add("pool")
    if kind is ReportKind.VOLUNTARY_EXIT and truth.invited:
        reached.add("invited")
    officer, gone = truth.officer, truth.redacted
    return Person(
        sex=None if gone else officer.sex,
        ethnicity=None if gone else officer.ethnicity,
        disability=None if gone else officer.disability,
        date_of_birth=None if gone else officer.date_of_birth,
        redacted=gone,
        stages=frozenset(reached),
    )


def report_of(kind: ReportKind, roster: list[Truth]) -> EqualityReport:
    """The report the domain makes of the roster, without the database."""
    people = [person(t, kind) for t in roster]
    return equality_report(kind, [p for p in people if p.stages], as_of=AS_OF)


def _facts(view: CaseView) -> CaseFacts:
    efficiency = view.efficiency
    return CaseFacts(
        kind=view.kind,
        state=view.state,
        ineligibility=tuple(r.code for r in view.ineligibility),
        required_tiers=tuple(view.required_tiers),
        approved_tiers=tuple(a.tier for a in view.approvals if a.approved),
        offered=view.offer is not None,
        accepted=view.acceptance is not None,
        notice_served=efficiency is not None and efficiency.notice_served_on is not None,
        confirmed=efficiency is not None
        and any(d.outcome is PanelOutcome.CONFIRM for d in efficiency.panel_decisions),
    )


_STAFF = Actor(user_id="u_synthetic", role=Role.CASEWORKER)
_REGULATION = RegulationRef(
    legal_reference="former reg. A19 (synthetic)", version="eq", parameters=RegulationParameters()
)


def case_views(truth: Truth) -> list[CaseView]:
    """The case views that match the truth (none, one voluntary exit or one efficiency case)."""
    officer = truth.officer
    base: dict[str, Any] = {
        "officer_id": officer.officer_id,
        "rank": officer.rank,
        "policy_version": "api-test",
        "created_by": _STAFF,
        "created_at": OPENED,
        "updated_at": OPENED,
        "version": 1,
        "application": Application(),
    }
    leaving = date(2026, 9, 30)
    if truth.applied:
        view = CaseView(
            case_id=f"VX-{officer.officer_id}",
            kind=CaseKind.VOLUNTARY_EXIT,
            state=CaseState.HR_REVIEW,
            **base,
        )
        if truth.ineligible:
            view.state = CaseState.INELIGIBLE
            view.ineligibility = [
                IneligibilityReason(code=code, detail="synthetic") for code in truth.reasons
            ]
            return [view]
        view.required_tiers = [Tier.HR, Tier.FINANCE]
        if not truth.approved:
            view.state = CaseState.REJECTED
            view.approvals = [
                ApprovalDecision(tier=Tier.HR, user_id="u", approved=False, at=OPENED)
            ]
            return [view]
        view.approvals = [
            ApprovalDecision(tier=t, user_id="u", approved=True, at=OPENED)
            for t in view.required_tiers
        ]
        view.offer = Offer(
            amount=Decimal("50000.00"),
            leaving_date=leaving,
            made_at=OPENED,
            lapses_at=OPENED + timedelta(days=28),
        )
        view.state = CaseState.OFFER_DECLINED
        if truth.accepted:
            view.acceptance = Acceptance(
                accepted_at=OPENED, cooling_off_ends_at=OPENED, leaving_date=leaving
            )
            view.state = CaseState.COMPLETED if truth.left else CaseState.LEAVING_SCHEDULED
        return [view]
    if truth.proposed:
        efficiency = EfficiencyCase(regulation=_REGULATION, proposal=Proposal())
        state = CaseState.DECISION_PENDING
        if truth.notice_served:
            efficiency.notice_served_on = OPENED.date()
            state = CaseState.REPRESENTATIONS
        if truth.confirmed:
            efficiency.panel_decisions = [_decision(PanelOutcome.CONFIRM)]
            state = CaseState.LEAVING_SCHEDULED
        if truth.withdrawn:
            if truth.notice_served:
                efficiency.panel_decisions = [_decision(PanelOutcome.WITHDRAW)]
            state = CaseState.RETIREMENT_WITHDRAWN
        return [
            CaseView(
                case_id=f"ER-{officer.officer_id}",
                kind=CaseKind.EFFICIENCY_RETIREMENT,
                state=state,
                efficiency=efficiency,
                **base,
            )
        ]
    return []


def _decision(outcome: PanelOutcome) -> PanelDecision:
    return PanelDecision(outcome=outcome, reason="synthetic", by="u_panel", at=OPENED)
