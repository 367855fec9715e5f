"""Who acts on a case: roles, approval tiers and the actor recorded on every action."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, model_validator


class Role(StrEnum):
    OFFICER = "officer"
    CASEWORKER = "caseworker"
    HR_MANAGER = "hr_manager"
    APPROVER = "approver"
    AUDITOR = "auditor"
    ADMIN = "admin"
    # A staff association's representative ("police friend"), acting for officers who nominate
    # them on their case and on nothing else.
    REPRESENTATIVE = "representative"
    SYSTEM = "system"


class Tier(StrEnum):
    """Approval tiers, in the order a case passes through them."""

    HR = "hr"
    FINANCE = "finance"
    EXECUTIVE = "executive"


STAFF_ROLES = frozenset({Role.CASEWORKER, Role.HR_MANAGER, Role.APPROVER, Role.AUDITOR, Role.ADMIN})
# The roles a user can hold: the system role belongs to the service itself.
USER_ROLES = tuple(role for role in Role if role is not Role.SYSTEM)


def check_role_fields(role: Role, tier: Tier | None, officer_id: str | None) -> None:
    """Raise ValueError unless the role's fields fit: approvers, and only they, have a tier;
    officers have an officer id."""
    if role is Role.APPROVER and tier is None:
        raise ValueError("an approver needs a tier")
    if role is not Role.APPROVER and tier is not None:
        raise ValueError("only approvers have a tier")
    if role is Role.OFFICER and not officer_id:
        raise ValueError("an officer needs an officer_id")


def check_officer_id(role: Role, officer_id: str | None) -> None:
    """Raise ValueError when someone other than an officer is given an officer id: a new
    user's id on the roster would otherwise widen nothing yet mislead every reader. (Not an
    Actor rule: actors recorded in running cases must keep loading.)"""
    if officer_id is not None and role is not Role.OFFICER:
        raise ValueError("only officers have an officer_id")


class Actor(BaseModel):
    """The person (or the system) behind an action, as authenticated by the caller.

    ``on_behalf_of`` is the officer id when a caseworker acts for an officer.
    """

    model_config = ConfigDict(frozen=True)

    user_id: str
    role: Role
    tier: Tier | None = None
    officer_id: str | None = None
    on_behalf_of: str | None = None

    @model_validator(mode="after")
    def _role_fields(self) -> Actor:
        check_role_fields(self.role, self.tier, self.officer_id)
        return self


SYSTEM_ACTOR = Actor(user_id="system", role=Role.SYSTEM)
