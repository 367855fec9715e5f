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


class CaseEvent(BaseModel):
    """Everything one transition writes, in one database transaction."""

    view: CaseView
    audit: AuditEntry
    notices: list[Notice] = []


class ExitInstruction(BaseModel):
    """A hand-off to payroll or pensions, recorded once per case and kind."""

    case_id: str
    kind: str = Field(pattern="^(payroll|pension)$")
    payload: dict[str, Any]
