"""The letters a case produces, as the case view and the audit log name them.

Apart from ``domain.letters`` (which renders them from a case view) so that the case view can
list its letters without a circular import.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

SHA256_PATTERN = "^[0-9a-f]{64}$"


class LetterKind(StrEnum):
    """Every occasion a case writes a letter, for both kinds of case (issue 16, item 1)."""

    APPLICATION_RECEIVED = "application_received"
    INFORMATION_REQUESTED = "information_requested"
    INELIGIBLE = "ineligible"
    REJECTED = "rejected"
    OFFER = "offer"
    ACCEPTANCE_CONFIRMED = "acceptance_confirmed"
    LEAVING_DATE_CHANGED = "leaving_date_changed"
    EXIT_CONFIRMED = "exit_confirmed"
    NOTICE_OF_INTENDED_RETIREMENT = "notice_of_intended_retirement"
    PANEL_DECISION = "panel_decision"
    RETIREMENT_CONFIRMED = "retirement_confirmed"


def document_id(kind: LetterKind, seq: int) -> str:
    """A letter's id within its case: the occasion and the audit seq that produced it."""
    return f"{kind.value}-{seq}"


class LetterRef(BaseModel):
    """A letter the case produced, as the case view and the audit event name it."""

    kind: LetterKind
    document_id: str
    seq: int = Field(ge=1, description="The audit seq of the event the letter belongs to.")
    sha256: str = Field(pattern=SHA256_PATTERN)
    template_version: str
