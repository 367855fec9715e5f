"""What a case's transitions record: the audit entry, the notices and the hand-offs.

Workflows build these and hand them to activities, which write them through ``store/``; so
they live here, below both. Temporal's JSON holds their fields only, never this module's name,
so recorded histories decode whatever module defines them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from domain.case import CaseView
from domain.documents import LetterRef
from domain.lifecycle import CaseState
from domain.people import Actor, Role, Tier


class AuditEntry(BaseModel):
    """One transition (or reminder, escalation, hand-off): who, what, from where to where, why."""

    seq: int = Field(ge=1, description="Position in the case's history; unique per case.")
    action: str
    actor: Actor
    from_state: CaseState | None
    to_state: CaseState | None = Field(
        description="None only for a refused start: no case came into being."
    )
    reason: str | None = None
    details: dict[str, Any] = {}
    occurred_at: datetime


class Recipient(BaseModel):
    """A person or a pool: a named user, an officer, or everyone in a role (and tier)."""

    role: Role | None = None
    tier: Tier | None = None
    user_id: str | None = None
    officer_id: str | None = None


class Notice(BaseModel):
    """A notification to send. Bodies name the case, never the officer's personal data."""

    recipient: Recipient
    template: str
    subject: str
    body: str
    document_id: str | None = Field(
        default=None, description="A letter the notice announces: linked, or attached."
    )


def notice(case_id: str, recipient: Recipient, template: str, what: str) -> Notice:
    """A notice about a case: it names the case and says what happened, nothing personal."""
    return Notice(
        recipient=recipient,
        template=template,
        subject=f"Exit case {case_id}: {what}",
        body=f"{what}.\n\nCase {case_id}. Sign in to the exit case service for details.",
    )


LETTER_READY_LINE = "A letter about it is ready in the exit case service."


def announce_letter(
    case_id: str, officer_id: str, notices: list[Notice], ref: LetterRef
) -> list[Notice]:
    """The officer's notice of an event says its letter is ready (the notifier links to it or
    attaches it); with no such notice, one is added. No personal data in either."""
    officer = Recipient(officer_id=officer_id)
    for index, each in enumerate(notices):
        if each.recipient == officer:
            body = f"{each.body}\n\n{LETTER_READY_LINE}"
            return [
                *notices[:index],
                each.model_copy(update={"body": body, "document_id": ref.document_id}),
                *notices[index + 1 :],
            ]
    ready = notice(case_id, officer, "letter_ready", "a letter is ready")
    return [*notices, ready.model_copy(update={"document_id": ref.document_id})]


class ExitInstruction(BaseModel):
    """A hand-off to payroll or pensions, recorded once per case and kind."""

    case_id: str
    kind: str = Field(pattern="^(payroll|pension)$")
    payload: dict[str, Any]


class CaseEvent(BaseModel):
    """Everything one transition writes, in one database transaction."""

    view: CaseView
    audit: AuditEntry
    notices: list[Notice] = []
    hand_off: ExitInstruction | None = Field(
        default=None, description="A hand-off to payroll or pensions this transition records."
    )

    def with_letter(self, ref: LetterRef) -> CaseEvent:
        """The event as it is recorded once its letter is written: the case lists the letter,
        the audit entry carries its hash, the officer's notice announces it."""
        view = self.view.model_copy(update={"letters": [*self.view.letters, ref]})
        details = {**self.audit.details, "letter": ref.model_dump(mode="json")}
        return CaseEvent(
            view=view,
            audit=self.audit.model_copy(update={"details": details}),
            notices=announce_letter(view.case_id, view.officer_id, list(self.notices), ref),
            hand_off=self.hand_off,
        )
