"""Which actions a case allows now, and to whom: the rules the workflows and the API share.

The workflows refuse an action by :func:`refusal` (in their Update validators, and again when
the action leaves the inbox); the API offers the actions :func:`actions_open_to` lists. Both
read the case as a :class:`~domain.case.CaseView`, so a page, the API and the workflow cannot
disagree about what someone may do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from domain import efficiency, lifecycle
from domain.case import CaseView
from domain.commands import Refusal
from domain.lifecycle import (
    ACTION_ROLES,
    ATTENTION_ACTIONS,
    WITHDRAWABLE_STATES,
    Action,
    CaseKind,
    CaseState,
)
from domain.people import Role, Tier

# Each kind's table of the actions its states allow, whoever asks.
STATE_ACTIONS: dict[CaseKind, Callable[[CaseState], frozenset[Action]]] = {
    CaseKind.VOLUNTARY_EXIT: lifecycle.allowed_actions,
    CaseKind.EFFICIENCY_RETIREMENT: efficiency.allowed_actions,
}


class Someone(Protocol):
    """Who asks: an API principal and a recorded actor both fit."""

    @property
    def user_id(self) -> str: ...
    @property
    def role(self) -> Role: ...
    @property
    def tier(self) -> Tier | None: ...
    @property
    def officer_id(self) -> str | None: ...


def state_actions(kind: CaseKind, state: CaseState) -> frozenset[Action]:
    """The actions ``state`` allows in a case of ``kind``, whoever asks."""
    return STATE_ACTIONS[kind](state)


def actions_now(case: CaseView) -> frozenset[Action]:
    """Every action the case allows now, whoever asks.

    A case that needs attention may only be closed. A suspended case may still be withdrawn
    if the state it was suspended from allowed withdrawing.
    """
    if case.needs_attention:
        return ATTENTION_ACTIONS[case.kind]
    actions = set(state_actions(case.kind, case.state))
    if case.state is CaseState.SUSPENDED and case.suspended_from in WITHDRAWABLE_STATES:
        actions.add(Action.WITHDRAW)
    return frozenset(actions)


def tier_due(case: CaseView) -> Tier | None:
    """The approval tier the amount on the table waits for: the first of the case's required
    tiers that has not approved it (None when every one has, or none is required)."""
    approved = {d.tier for d in case.approvals if d.approved}
    return next((t for t in case.required_tiers if t not in approved), None)


def had_a_hand(case: CaseView, user_id: str) -> list[str]:
    """What ``user_id`` did on the case that four eyes count, in the words of a refusal
    ("created", "reviewed", ...); empty if nothing. Nobody approves work on this list."""
    involvement = [
        (case.created_by.user_id, "created"),
        (case.reviewed_by, "reviewed"),
        (case.calculated_by, "calculated the compensation for"),
        (case.adjustment.by if case.adjustment else None, "adjusted"),
        *((d.user_id, "approved an earlier tier of") for d in case.approvals),
    ]
    return list(dict.fromkeys(deed for who, deed in involvement if who == user_id))


def tier_refusal(case: CaseView, who: Someone) -> str | None:
    """Why ``who``'s tier may not decide on the amount now (another tier is due), or None."""
    due = tier_due(case)
    if who.tier is not due:
        return f"the {due.value if due else 'no'} tier is due on this case, not {who.tier}"
    return None


def _approver_refusal(case: CaseView, who: Someone) -> str | None:
    """The tier now due decides, and four eyes: nobody approves work they had a hand in."""
    problem = tier_refusal(case, who)
    if problem is not None:
        return problem
    deeds = had_a_hand(case, who.user_id)
    if deeds:
        return f"four eyes: you {' and '.join(deeds)} this case"
    return None


def _executive_refusal(case: CaseView, who: Someone) -> str | None:
    """Executives decide efficiency retirement; four eyes: not the proposer, and the panel is
    not the executive who decided to serve notice."""
    if who.tier is not Tier.EXECUTIVE:
        return "an executive approver decides this case"
    if who.user_id == case.created_by.user_id:
        return "four eyes: you proposed this case"
    decided_by = case.efficiency.decided_by if case.efficiency else None
    if case.state is CaseState.PANEL_REVIEW and who.user_id == decided_by:
        return "four eyes: you decided to serve notice; the panel is another"
    return None


_DECIDER_RULES: dict[Action, Callable[[CaseView, Someone], str | None]] = {
    Action.APPROVE: _approver_refusal,
    Action.REJECT: _approver_refusal,
    Action.DECIDE: _executive_refusal,
    Action.PANEL_DECISION: _executive_refusal,
}


def refusal(
    case: CaseView, action: Action, who: Someone, *, version: int | None = None
) -> tuple[Refusal, str] | None:
    """Why ``who`` may not take ``action`` on the case now (the refusal and its message), or
    None if they may: the state, the role, an officer's own case, the ``version`` the action
    was decided on if it names one (stale once the case has moved on), the tier due and four
    eyes, in that order.

    It does not read the action's body (a date, a reason): the workflow checks that as well.
    """
    allowed = actions_now(case)
    if action not in allowed:
        names = ", ".join(sorted(a.value for a in allowed)) or "none"
        return (
            Refusal.INVALID_STATE,
            f"'{action.value}' is not allowed while the case is {case.state.value}; "
            f"allowed now: {names}",
        )
    if who.role not in ACTION_ROLES[action]:
        roles = ", ".join(sorted(r.value for r in ACTION_ROLES[action]))
        return (
            Refusal.FORBIDDEN,
            f"the {who.role.value} role may not '{action.value}'; it needs: {roles}",
        )
    if who.role is Role.OFFICER and who.officer_id != case.officer_id:
        return Refusal.FORBIDDEN, "officers may act only on their own case"
    if version is not None and version != case.version:
        return (
            Refusal.STALE,
            f"the case has changed since you read it: you sent version {version}, it is now "
            f"at version {case.version}; read it again and decide on what it shows now",
        )
    rule = _DECIDER_RULES.get(action)
    problem = rule(case, who) if rule else None
    return (Refusal.FORBIDDEN, problem) if problem else None


def actions_open_to(case: CaseView, who: Someone) -> list[Action]:
    """The actions ``who`` could take on the case now, sorted by name: the ``allowed_actions``
    the API returns and the buttons a page shows, from the one call.

    ``who`` is anything with ``user_id``, ``role``, ``tier`` and ``officer_id``: the signed-in
    ``api.auth.Principal`` as it stands, or an ``Actor``, so a route or a page calls
    ``actions_open_to(view, principal)``. An officer gets nothing on someone else's case. An
    action listed here may still be refused for its body (a leaving date outside the notice
    rules) or because the case moved on in the meantime (a stale version).
    """
    return sorted(
        (a for a in actions_now(case) if refusal(case, a, who) is None), key=lambda a: a.value
    )
