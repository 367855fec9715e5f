"""What callers send to a case: the start of a case and one command per action.

Each command names its actor; the API sets it from the authenticated user, so the workflow
records who acted, in which role, and on whose behalf.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo

from domain.bounds import new_input
from domain.case import Application, CaseView
from domain.documents import SHA256_PATTERN
from domain.efficiency import EfficiencyCase, PanelOutcome, Proposal, RegulationRef
from domain.evidence import MAX_FILES_PER_CASE
from domain.lifecycle import Action, CaseKind, CaseState, ChecklistItem
from domain.money import MAX_AMOUNT
from domain.officer import Rank
from domain.people import Actor
from domain.policy import SchemePolicy

# Unicode's White_Space, spelt out: ``\s`` means slightly different things to Python (which
# adds \x1c-\x1f) and to the regex engines that read the OpenAPI document.
_SPACE = r"\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_BLANK = re.compile(f"[{_SPACE}]*")
# Some text that is not all white space, and no NUL (which nothing downstream can store).
WORDS_PATTERN = f"^[{_SPACE}]*[^{_SPACE}\\x00][^\\x00]*$"


def _has_words(value: str | None, info: ValidationInfo) -> str | None:
    if value is not None and _BLANK.fullmatch(value) and new_input(info):
        raise ValueError("is blank: say it in words, or leave it out where it is optional")
    return value


def _adjustable(value: Decimal, info: ValidationInfo) -> Decimal:
    if new_input(info):
        if value <= 0:
            raise ValueError(
                "an adjustment to £0.00 is refused: to pay nothing, reject or withdraw the case"
            )
        if value > MAX_AMOUNT:
            raise ValueError(f"may be at most £{MAX_AMOUNT:,.2f}")
    return value


_WORDS = Field(json_schema_extra={"pattern": WORDS_PATTERN})

# A reason someone must give: never blank, never a novel.
Reason = Annotated[str, Field(min_length=1, max_length=2000), _WORDS, AfterValidator(_has_words)]
# Optional, but when given the same rules hold ("" once meant "none": it is blank now).
_GivenReason = Annotated[str, Field(max_length=2000), _WORDS, AfterValidator(_has_words)]
OptionalReason = Annotated[_GivenReason | None, Field(default=None)]


class StartCase(BaseModel):
    """Everything a new case workflow needs; the policy travels whole so the case keeps it."""

    case_id: str
    officer_id: str
    rank: Rank
    kind: CaseKind = CaseKind.VOLUNTARY_EXIT
    application: Application = Application()
    policy: SchemePolicy
    created_by: Actor
    # Efficiency retirement only: the record in force on the day and the proposal.
    regulation: RegulationRef | None = None
    proposal: Proposal | None = None
    # Voluntary exit under a scheme (domain/scheme.py): the scheme's name.
    scheme: str | None = None
    # The letter templates current when the case started; it keeps them for life.
    letters_version: str | None = None

    def submitted_view(self, now: datetime) -> CaseView:
        """The case as it stands the moment it is submitted, before any event is recorded."""
        return CaseView(
            case_id=self.case_id,
            kind=self.kind,
            state=CaseState.SUBMITTED,
            policy_version=self.policy.version,
            officer_id=self.officer_id,
            rank=self.rank,
            created_by=self.created_by,
            created_at=now,
            updated_at=now,
            version=0,
            application=self.application,
            scheme=self.scheme,
            efficiency=EfficiencyCase(regulation=self.regulation, proposal=self.proposal)
            if self.regulation is not None and self.proposal is not None
            else None,
            letters_version=self.letters_version,
        )


class Command(BaseModel):
    model_config = ConfigDict(extra="forbid")

    actor: Actor
    version: int | None = Field(
        default=None,
        ge=0,
        description="The case version (its ETag) the decision was taken on: if the case has "
        "changed since, the action is refused. Required by the API for decisions on figures.",
    )


class ReviewDecision(StrEnum):
    PROCEED = "proceed"
    REJECT = "reject"
    REQUEST_INFO = "request_info"


class Review(Command):
    decision: ReviewDecision
    reason: OptionalReason = None

    @staticmethod
    def needs_reason(decision: ReviewDecision) -> bool:
        """Rejecting or asking for information says why; going on need not."""
        return decision is not ReviewDecision.PROCEED


# The SHA-256 (hex) of an evidence file attached to the case (POST /v1/cases/{id}/evidence).
EvidenceHashes = Annotated[
    list[Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]],
    Field(
        max_length=MAX_FILES_PER_CASE,
        description="The SHA-256 of each evidence file (attached to the case first) this rests "
        "on; the audit event records them.",
    ),
]


class ProvideInfo(Command):
    note: Reason
    # A default: commands in recorded histories, from before evidence, still load.
    evidence: EvidenceHashes = []


class AdjustCompensation(Command):
    amount: Annotated[
        Decimal,
        Field(ge=0, max_digits=12, decimal_places=2),
        AfterValidator(_adjustable),
    ] = Field(description=f"Pounds, more than 0 and at most {MAX_AMOUNT:,.2f}.")
    reason: Reason


class Approve(Command):
    reason: OptionalReason = None


class Reject(Command):
    reason: Reason


class AcceptOffer(Command):
    leaving_date: date | None = None
    letter_sha256: str | None = Field(
        default=None,
        pattern=SHA256_PATTERN,
        description="The SHA-256 of the offer letter being accepted (GET .../documents lists "
        "it). If the offer has changed since that letter, the acceptance is refused (409).",
    )


class DeclineOffer(Command):
    reason: OptionalReason = None


class Withdraw(Command):
    reason: Reason


class ChangeLeavingDate(Command):
    leaving_date: date
    reason: Reason


class CompleteChecklistItem(Command):
    item: ChecklistItem


class Suspend(Command):
    reason: Reason


class Resume(Command):
    reason: Reason


class Reassign(Command):
    assignee_user_id: str = Field(min_length=1, max_length=64)
    reason: OptionalReason = None


class DecideOutcome(StrEnum):
    SERVE_NOTICE = "serve_notice"
    WITHDRAW = "withdraw"


class Decide(Command):
    decision: DecideOutcome
    reason: Reason


class MakeRepresentations(Command):
    representations: Annotated[
        str, Field(min_length=1, max_length=20000), _WORDS, AfterValidator(_has_words)
    ]
    evidence: EvidenceHashes = []


class PanelDecide(Command):
    decision: PanelOutcome
    reason: Reason
    review_date: date | None = Field(default=None, description="Required when deferring.")


class ApplyVoluntary(Command):
    leaving_date: date | None = None
    statement: OptionalReason = None


class Halt(Command):
    reason: Reason


COMMANDS: dict[Action, type[Command]] = {
    Action.REVIEW: Review,
    Action.PROVIDE_INFO: ProvideInfo,
    Action.ADJUST_COMPENSATION: AdjustCompensation,
    Action.APPROVE: Approve,
    Action.REJECT: Reject,
    Action.ACCEPT_OFFER: AcceptOffer,
    Action.DECLINE_OFFER: DeclineOffer,
    Action.WITHDRAW: Withdraw,
    Action.CHANGE_LEAVING_DATE: ChangeLeavingDate,
    Action.COMPLETE_CHECKLIST_ITEM: CompleteChecklistItem,
    Action.SUSPEND: Suspend,
    Action.RESUME: Resume,
    Action.REASSIGN: Reassign,
    Action.DECIDE: Decide,
    Action.MAKE_REPRESENTATIONS: MakeRepresentations,
    Action.PANEL_DECISION: PanelDecide,
    Action.APPLY_VOLUNTARY: ApplyVoluntary,
    Action.HALT: Halt,
}
# Each action has its own command, so a command's type names its action.
ACTION_OF: dict[type[Command], Action] = {command: action for action, command in COMMANDS.items()}


class Refusal(StrEnum):
    """Why a command was refused; the API maps these onto HTTP statuses."""

    INVALID_STATE = "InvalidState"  # 409: not allowed in the case's current state
    FORBIDDEN = "Forbidden"  # 403: wrong role or tier, or a four-eyes breach
    INVALID_INPUT = "InvalidInput"  # 422: the body breaks a rule (a date outside notice rules)
    STALE = "Stale"  # 412: the case has changed since the version the caller decided on
    SUPERSEDED = "Superseded"  # 409: the letter accepted is not the current offer letter
