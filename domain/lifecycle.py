"""The words of a case's life, for both kinds: its states and actions, who may take each action,
which actions each voluntary-exit state allows (efficiency retirement's table is in
``domain/efficiency.py``; ``domain/actions.py`` answers for a case of either kind), and the
exit checklist."""

from __future__ import annotations

from enum import StrEnum

from domain.people import Role


class CaseKind(StrEnum):
    VOLUNTARY_EXIT = "voluntary_exit"
    EFFICIENCY_RETIREMENT = "efficiency_retirement"


class CaseState(StrEnum):
    SUBMITTED = "submitted"
    INELIGIBLE = "ineligible"
    HR_REVIEW = "hr_review"
    INFO_REQUESTED = "info_requested"
    APPROVAL = "approval"
    OFFER_MADE = "offer_made"
    OFFER_LAPSED = "offer_lapsed"
    OFFER_DECLINED = "offer_declined"
    ACCEPTED = "accepted"
    LEAVING_SCHEDULED = "leaving_scheduled"
    EXIT_PROCESSING = "exit_processing"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"
    REJECTED = "rejected"
    SUSPENDED = "suspended"
    # Efficiency retirement (domain/efficiency.py); the exit tail above is shared.
    PROPOSED = "proposed"
    DECISION_PENDING = "decision_pending"
    NOTICE_SERVED = "notice_served"
    REPRESENTATIONS = "representations"
    PANEL_REVIEW = "panel_review"
    DEFERRED = "deferred"
    RETIREMENT_WITHDRAWN = "retirement_withdrawn"


TERMINAL_STATES = frozenset(
    {
        CaseState.INELIGIBLE,
        CaseState.OFFER_LAPSED,
        CaseState.OFFER_DECLINED,
        CaseState.COMPLETED,
        CaseState.WITHDRAWN,
        CaseState.REJECTED,
        CaseState.RETIREMENT_WITHDRAWN,
    }
)


class Action(StrEnum):
    """Actions people take on a case; the values are the names used in the HTTP API."""

    REVIEW = "review"
    PROVIDE_INFO = "provide-info"
    ADJUST_COMPENSATION = "adjust-compensation"
    APPROVE = "approve"
    REJECT = "reject"
    ACCEPT_OFFER = "accept-offer"
    DECLINE_OFFER = "decline-offer"
    WITHDRAW = "withdraw"
    CHANGE_LEAVING_DATE = "change-leaving-date"
    COMPLETE_CHECKLIST_ITEM = "complete-checklist-item"
    SUSPEND = "suspend"
    RESUME = "resume"
    REASSIGN = "reassign"
    # Efficiency retirement.
    DECIDE = "decide"
    MAKE_REPRESENTATIONS = "make-representations"
    PANEL_DECISION = "panel-decision"
    APPLY_VOLUNTARY = "apply-voluntary"
    HALT = "halt"


# Before the cooling-off period ends the officer may still walk away; after it the agreement binds.
WITHDRAWABLE_STATES = frozenset(
    {
        CaseState.HR_REVIEW,
        CaseState.INFO_REQUESTED,
        CaseState.APPROVAL,
        CaseState.OFFER_MADE,
        CaseState.ACCEPTED,
    }
)

# Misconduct proceedings can interrupt a case at any point before exit processing starts.
SUSPENDABLE_STATES = frozenset(
    {
        CaseState.HR_REVIEW,
        CaseState.INFO_REQUESTED,
        CaseState.APPROVAL,
        CaseState.OFFER_MADE,
        CaseState.ACCEPTED,
        CaseState.LEAVING_SCHEDULED,
    }
)

ALLOWED_ACTIONS: dict[CaseState, frozenset[Action]] = {
    CaseState.HR_REVIEW: frozenset({Action.REVIEW, Action.REASSIGN}),
    CaseState.INFO_REQUESTED: frozenset({Action.PROVIDE_INFO, Action.REASSIGN}),
    CaseState.APPROVAL: frozenset(
        {Action.APPROVE, Action.REJECT, Action.ADJUST_COMPENSATION, Action.REASSIGN}
    ),
    CaseState.OFFER_MADE: frozenset({Action.ACCEPT_OFFER, Action.DECLINE_OFFER}),
    CaseState.ACCEPTED: frozenset({Action.CHANGE_LEAVING_DATE}),
    CaseState.LEAVING_SCHEDULED: frozenset({Action.CHANGE_LEAVING_DATE}),
    CaseState.EXIT_PROCESSING: frozenset({Action.COMPLETE_CHECKLIST_ITEM}),
    CaseState.SUSPENDED: frozenset({Action.RESUME}),
}


def allowed_actions(state: CaseState) -> frozenset[Action]:
    """Every action the state allows, whoever asks."""
    actions = set(ALLOWED_ACTIONS.get(state, frozenset()))
    if state in WITHDRAWABLE_STATES:
        actions.add(Action.WITHDRAW)
    if state in SUSPENDABLE_STATES:
        actions.add(Action.SUSPEND)
    return frozenset(actions)


# Decisions on the case's figures (the amount, its tiers, the offer): each must name the case
# version its author read, so that nobody approves or accepts an amount they never saw. Other
# actions may name one too; these may not leave it out (the API answers 428).
DECISIONS_ON_FIGURES = frozenset(
    {Action.APPROVE, Action.REJECT, Action.ADJUST_COMPENSATION, Action.ACCEPT_OFFER}
)

# A case that needs attention waits only to be closed. The one reason so far: computing with
# the case's own figures failed (workflows/case_workflow.py).
CALCULATION_FAILED = "calculation_failed"
# Every reason a case may need attention for (metrics report each, at zero when none).
ATTENTION_REASONS = frozenset({CALCULATION_FAILED})
ATTENTION_ACTIONS: dict[CaseKind, frozenset[Action]] = {
    CaseKind.VOLUNTARY_EXIT: frozenset({Action.WITHDRAW}),
    CaseKind.EFFICIENCY_RETIREMENT: frozenset({Action.HALT}),
}


ACTION_ROLES: dict[Action, frozenset[Role]] = {
    Action.REVIEW: frozenset({Role.CASEWORKER}),
    Action.PROVIDE_INFO: frozenset({Role.OFFICER, Role.CASEWORKER, Role.REPRESENTATIVE}),
    Action.ADJUST_COMPENSATION: frozenset({Role.CASEWORKER}),
    Action.APPROVE: frozenset({Role.APPROVER}),
    Action.REJECT: frozenset({Role.APPROVER}),
    Action.ACCEPT_OFFER: frozenset({Role.OFFICER}),
    Action.DECLINE_OFFER: frozenset({Role.OFFICER}),
    Action.WITHDRAW: frozenset({Role.OFFICER, Role.CASEWORKER}),
    Action.CHANGE_LEAVING_DATE: frozenset({Role.CASEWORKER}),
    Action.COMPLETE_CHECKLIST_ITEM: frozenset({Role.CASEWORKER}),
    Action.SUSPEND: frozenset({Role.HR_MANAGER}),
    Action.RESUME: frozenset({Role.HR_MANAGER}),
    Action.REASSIGN: frozenset({Role.HR_MANAGER}),
    Action.DECIDE: frozenset({Role.APPROVER}),
    Action.MAKE_REPRESENTATIONS: frozenset({Role.OFFICER, Role.CASEWORKER, Role.REPRESENTATIVE}),
    Action.PANEL_DECISION: frozenset({Role.APPROVER}),
    Action.APPLY_VOLUNTARY: frozenset({Role.OFFICER, Role.CASEWORKER}),
    Action.HALT: frozenset({Role.ADMIN}),
}


class ChecklistItem(StrEnum):
    """Exit processing steps. The first two are hand-offs the system makes itself."""

    PAYROLL_INSTRUCTION = "payroll_instruction"
    PENSION_NOTIFICATION = "pension_notification"
    ACCESS_REVOCATION = "access_revocation"
    EQUIPMENT_RETURN = "equipment_return"


AUTOMATIC_CHECKLIST_ITEMS = (ChecklistItem.PAYROLL_INSTRUCTION, ChecklistItem.PENSION_NOTIFICATION)
MANUAL_CHECKLIST_ITEMS = (ChecklistItem.ACCESS_REVOCATION, ChecklistItem.EQUIPMENT_RETURN)
