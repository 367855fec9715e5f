"""The case as people see it: what the workflow's query returns and the read model stores.

It carries no name, date of birth or pay: those stay in the roster and in the calculation's
working, which only the case view for authorised readers shows.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from domain.compensation import Calculation
from domain.documents import LetterKind, LetterRef
from domain.efficiency import EfficiencyCase
from domain.eligibility import IneligibilityReason
from domain.lifecycle import CaseKind, CaseState, ChecklistItem
from domain.money import Money
from domain.officer import Rank
from domain.people import Actor, Role, Tier

# Crockford's base32 without look-alikes: easy to read out over the phone.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CASE_ID_CHARS = 10
CASE_ID_PATTERN = f"^EX-[{_ALPHABET}]{{{CASE_ID_CHARS}}}$"


def case_id_from(number: int) -> str:
    """``EX-`` and ten base32 characters of ``number`` (random bits; the caller's source)."""
    chars = []
    for _ in range(CASE_ID_CHARS):
        number, digit = divmod(number, len(_ALPHABET))
        chars.append(_ALPHABET[digit])
    return "EX-" + "".join(chars)


class Application(BaseModel):
    leaving_date: date | None = None
    statement: str | None = Field(default=None, max_length=4000)
    linked_from: str | None = Field(
        default=None, description="The efficiency retirement case this application replaced."
    )


class InfoRequest(BaseModel):
    question: str
    asked_by: str
    asked_at: datetime
    answer: str | None = None
    answered_by: str | None = None
    answered_at: datetime | None = None


class Adjustment(BaseModel):
    amount: Money
    reason: str
    by: str
    at: datetime


class ApprovalDecision(BaseModel):
    tier: Tier
    user_id: str
    approved: bool
    reason: str | None = None
    at: datetime


class Offer(BaseModel):
    amount: Money = Field(description="The amount for the proposed leaving date.")
    leaving_date: date
    made_at: datetime
    lapses_at: datetime
    recalculated_on_final_day: bool = Field(
        default=False,
        description="True when the amount is worked out again for the leaving date agreed "
        "(accepted or changed later); the payroll instruction carries that final-day amount.",
    )


class Acceptance(BaseModel):
    accepted_at: datetime
    cooling_off_ends_at: datetime
    leaving_date: date


class ChecklistEntry(BaseModel):
    item: ChecklistItem
    done_by: str
    done_at: datetime


class Task(BaseModel):
    """Open work on the case: who should do it and by when."""

    kind: str
    assignee_role: Role
    assignee_tier: Tier | None = None
    assignee_user_id: str | None = None
    opened_at: datetime
    remind_at: datetime | None = None
    due_at: datetime | None = None
    reminded: bool = False
    escalated: bool = False


class CaseView(BaseModel):
    case_id: str
    kind: CaseKind
    state: CaseState
    policy_version: str
    officer_id: str
    rank: Rank
    created_by: Actor
    created_at: datetime
    updated_at: datetime
    version: int = Field(description="Count of recorded events; grows with every transition.")
    application: Application
    scheme: str | None = Field(
        default=None, description="The scheme the case applied under (voluntary exit)."
    )
    ineligibility: list[IneligibilityReason] = []
    reviewed_by: str | None = None
    info_requests: list[InfoRequest] = []
    calculation: Calculation | None = None
    calculated_by: str | None = None
    adjustment: Adjustment | None = None
    required_tiers: list[Tier] = []
    approvals: list[ApprovalDecision] = []
    offer: Offer | None = None
    acceptance: Acceptance | None = None
    leaving_date: date | None = None
    checklist: list[ChecklistEntry] = []
    tasks: list[Task] = []
    suspended_from: CaseState | None = None
    needs_attention: str | None = Field(
        default=None,
        description="Why the case stopped for a person to look at it (a reason code, such as "
        "calculation_failed); it can then only be withdrawn (voluntary exit) or halted "
        "(efficiency retirement).",
    )
    outcome_reason: str | None = None
    budget_warning: str | None = Field(
        default=None,
        description="Set when approving the amount would take the scheme over its budget: the "
        "executive tier must approve, giving a reason.",
    )
    efficiency: EfficiencyCase | None = Field(
        default=None, description="Efficiency retirement cases only: record, proposal, notice."
    )
    letters_version: str | None = Field(
        default=None,
        description="The letter templates the case writes with (the newest when it started); "
        "None for cases started before letters, which use the shipped default wording.",
    )
    letters: list[LetterRef] = Field(
        default=[], description="The letters the case produced, oldest first."
    )

    def current_letter(self, kind: LetterKind) -> LetterRef | None:
        """The newest letter of ``kind``: an earlier one is superseded."""
        return next((ref for ref in reversed(self.letters) if ref.kind is kind), None)

    @property
    def amount(self) -> Decimal | None:
        """The amount on offer: the adjusted one if a caseworker adjusted it."""
        if self.adjustment is not None:
            return self.adjustment.amount
        return self.calculation.amount if self.calculation else None


class CaseOutcome(BaseModel):
    """What a case's workflow returns: where the case ended.

    Defined here, outside the workflow modules, because the sandbox re-imports those for every
    workflow run, and building a pydantic model each time is a noticeable share of a run's cost.
    """

    case_id: str
    state: CaseState
