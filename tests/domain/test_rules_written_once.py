"""Rules that the API and the workflows both apply are written once, in ``domain``."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

import domain.commands
import domain.policy
import domain.regulation
from domain import efficiency
from domain.actions import (
    STATE_ACTIONS,
    actions_now,
    actions_open_to,
    had_a_hand,
    refusal,
    state_actions,
    tier_due,
)
from domain.bounds import NEW_INPUT, Day
from domain.case import Application, ApprovalDecision, CaseView
from domain.commands import ACTION_OF, COMMANDS, AdjustCompensation, Refusal
from domain.efficiency import EfficiencyCase, Proposal, RegulationRef
from domain.lifecycle import (
    ATTENTION_ACTIONS,
    CALCULATION_FAILED,
    Action,
    CaseKind,
    CaseState,
)
from domain.officer import Rank
from domain.people import Actor, Role, Tier
from domain.policy import SchemePolicy, load_bundled_policy
from domain.regulation import RegulationParameters

_NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _view(kind: CaseKind, state: CaseState, **fields: Any) -> CaseView:
    return CaseView(
        case_id="EX-ONCE",
        kind=kind,
        state=state,
        policy_version="test",
        officer_id="OF1",
        rank=Rank.SUPERINTENDENT,
        created_by=Actor(user_id="u", role=Role.CASEWORKER),
        created_at=_NOW,
        updated_at=_NOW,
        version=1,
        application=Application(),
        **fields,
    )


def test_a_case_that_needs_attention_allows_only_closing_it() -> None:
    for kind in CaseKind:
        view = _view(kind, CaseState.APPROVAL, needs_attention=CALCULATION_FAILED)
        assert actions_now(view) == ATTENTION_ACTIONS[kind]


def test_a_suspended_case_may_be_withdrawn_if_its_state_before_allowed_it() -> None:
    view = _view(CaseKind.VOLUNTARY_EXIT, CaseState.SUSPENDED, suspended_from=CaseState.HR_REVIEW)
    assert actions_now(view) == {Action.WITHDRAW, Action.RESUME}
    view = _view(CaseKind.VOLUNTARY_EXIT, CaseState.SUSPENDED, suspended_from=CaseState.ACCEPTED)
    assert Action.WITHDRAW in actions_now(view)
    view = _view(
        CaseKind.VOLUNTARY_EXIT, CaseState.SUSPENDED, suspended_from=CaseState.LEAVING_SCHEDULED
    )
    assert actions_now(view) == {Action.RESUME}  # the agreement binds after the cooling-off
    view = _view(CaseKind.EFFICIENCY_RETIREMENT, CaseState.DECISION_PENDING)
    assert actions_now(view) == efficiency.allowed_actions(CaseState.DECISION_PENDING)


def test_one_context_applies_the_bounds_and_the_rules_for_new_commands() -> None:
    poison = {**load_bundled_policy().model_dump(mode="json"), "tariff_weeks_per_year": "1e300"}
    SchemePolicy.model_validate(poison)  # as stored: read as written
    with pytest.raises(ValidationError, match="tariff_weeks_per_year"):
        SchemePolicy.model_validate(poison, context=NEW_INPUT)
    adjust = {"actor": {"user_id": "u", "role": "caseworker"}, "reason": "checked"}
    AdjustCompensation.model_validate({**adjust, "amount": Decimal(0)})
    with pytest.raises(ValidationError, match="amount"):
        AdjustCompensation.model_validate({**adjust, "amount": Decimal(0)}, context=NEW_INPUT)
    assert "NEW_INPUT" not in vars(domain.commands)  # the commands have no context of their own


def test_policies_and_regulations_bound_their_days_alike() -> None:
    assert domain.policy.Day is Day
    assert domain.regulation.Day is Day


# -- which actions a case allows now, and to whom (domain/actions.py) ---------------------------

_HR = Actor(user_id="hr-approver", role=Role.APPROVER, tier=Tier.HR)
_FINANCE = Actor(user_id="finance-approver", role=Role.APPROVER, tier=Tier.FINANCE)
_EXECUTIVE = Actor(user_id="exec", role=Role.APPROVER, tier=Tier.EXECUTIVE)


def _decision(actor: Actor, *, approved: bool = True) -> ApprovalDecision:
    assert actor.tier is not None
    return ApprovalDecision(tier=actor.tier, user_id=actor.user_id, approved=approved, at=_NOW)


def _in_approval(**fields: Any) -> CaseView:
    return _view(
        CaseKind.VOLUNTARY_EXIT,
        CaseState.APPROVAL,
        reviewed_by="reviewer",
        calculated_by="reviewer",
        required_tiers=[Tier.HR, Tier.FINANCE],
        **fields,
    )


def test_each_kind_has_its_table_of_actions_by_state() -> None:
    assert set(STATE_ACTIONS) == set(CaseKind)
    assert state_actions(CaseKind.VOLUNTARY_EXIT, CaseState.HR_REVIEW) == {
        Action.REVIEW,
        Action.REASSIGN,
        Action.WITHDRAW,
        Action.SUSPEND,
    }
    assert state_actions(CaseKind.EFFICIENCY_RETIREMENT, CaseState.PANEL_REVIEW) == {
        Action.PANEL_DECISION,
        Action.APPLY_VOLUNTARY,
        Action.HALT,
    }
    assert state_actions(CaseKind.EFFICIENCY_RETIREMENT, CaseState.HR_REVIEW) == frozenset()


def test_the_tier_due_is_the_first_required_tier_not_yet_approved() -> None:
    assert tier_due(_in_approval()) is Tier.HR
    assert tier_due(_in_approval(approvals=[_decision(_HR)])) is Tier.FINANCE
    assert tier_due(_in_approval(approvals=[_decision(_HR, approved=False)])) is Tier.HR
    assert tier_due(_in_approval(approvals=[_decision(_HR), _decision(_FINANCE)])) is None
    assert tier_due(_view(CaseKind.VOLUNTARY_EXIT, CaseState.HR_REVIEW)) is None


def test_had_a_hand_names_every_deed_once() -> None:
    view = _in_approval(approvals=[_decision(_HR)])
    assert had_a_hand(view, "reviewer") == ["reviewed", "calculated the compensation for"]
    assert had_a_hand(view, "u") == ["created"]
    assert had_a_hand(view, _HR.user_id) == ["approved an earlier tier of"]
    assert had_a_hand(view, _FINANCE.user_id) == []


def _efficiency(state: CaseState) -> CaseView:
    regulation = RegulationRef(
        legal_reference="A19", version="1", parameters=RegulationParameters()
    )
    case = EfficiencyCase(regulation=regulation, proposal=Proposal(), decided_by=_EXECUTIVE.user_id)
    return _view(CaseKind.EFFICIENCY_RETIREMENT, state, efficiency=case)


_STATE = Refusal.INVALID_STATE
_FORBIDDEN = Refusal.FORBIDDEN


@pytest.mark.parametrize(
    ("view", "action", "who", "expected"),
    [
        (_in_approval(), Action.APPROVE, _HR, None),
        (
            _in_approval(),
            Action.REVIEW,
            _HR,
            (
                _STATE,
                "'review' is not allowed while the case is approval; allowed now: "
                "adjust-compensation, approve, reassign, reject, suspend, withdraw",
            ),
        ),
        (
            _in_approval(),
            Action.APPROVE,
            Actor(user_id="cw", role=Role.CASEWORKER),
            (_FORBIDDEN, "the caseworker role may not 'approve'; it needs: approver"),
        ),
        (
            _in_approval(),
            Action.WITHDRAW,
            Actor(user_id="o2", role=Role.OFFICER, officer_id="OF2"),
            (_FORBIDDEN, "officers may act only on their own case"),
        ),
        (
            _in_approval(),
            Action.APPROVE,
            _FINANCE,
            (_FORBIDDEN, "the hr tier is due on this case, not finance"),
        ),
        (
            _in_approval(),
            Action.REJECT,
            Actor(user_id="reviewer", role=Role.APPROVER, tier=Tier.HR),
            (_FORBIDDEN, "four eyes: you reviewed and calculated the compensation for this case"),
        ),
        (
            _efficiency(CaseState.PANEL_REVIEW),
            Action.PANEL_DECISION,
            _FINANCE,
            (_FORBIDDEN, "an executive approver decides this case"),
        ),
        (
            _efficiency(CaseState.PANEL_REVIEW),
            Action.PANEL_DECISION,
            _EXECUTIVE,
            (_FORBIDDEN, "four eyes: you decided to serve notice; the panel is another"),
        ),
        (
            _efficiency(CaseState.PANEL_REVIEW),
            Action.PANEL_DECISION,
            Actor(user_id="exec-2", role=Role.APPROVER, tier=Tier.EXECUTIVE),
            None,
        ),
        (
            _efficiency(CaseState.DECISION_PENDING),
            Action.DECIDE,
            Actor(user_id="u", role=Role.APPROVER, tier=Tier.EXECUTIVE),
            (_FORBIDDEN, "four eyes: you proposed this case"),
        ),
    ],
)
def test_refusal_says_why_state_role_own_case_tier_or_four_eyes_forbid(
    view: CaseView, action: Action, who: Actor, expected: tuple[Refusal, str] | None
) -> None:
    assert refusal(view, action, who) == expected


def test_a_stale_version_is_refused_after_the_state_and_before_the_tier() -> None:
    """An approval that lost a race hears that the case changed, not that its tier is done."""
    view = _in_approval()  # at version 1
    stale = refusal(view, Action.APPROVE, _FINANCE, version=0)
    assert stale is not None and stale[0] is Refusal.STALE
    assert "you sent version 0, it is now at version 1" in stale[1]
    not_now = refusal(view, Action.REVIEW, _FINANCE, version=0)
    assert not_now is not None and not_now[0] is Refusal.INVALID_STATE
    assert refusal(view, Action.APPROVE, _HR, version=1) is None


def test_actions_open_to_lists_what_the_refusal_rule_lets_through() -> None:
    view = _in_approval(approvals=[_decision(_HR)])
    assert actions_open_to(view, _FINANCE) == [Action.APPROVE, Action.REJECT]
    assert actions_open_to(view, _HR) == []  # approved already: four eyes, and not due
    own = Actor(user_id="o1", role=Role.OFFICER, officer_id="OF1")
    assert actions_open_to(view, own) == [Action.WITHDRAW]
    other = Actor(user_id="o2", role=Role.OFFICER, officer_id="OF2")
    assert actions_open_to(view, other) == []
    suspended = _view(
        CaseKind.VOLUNTARY_EXIT, CaseState.SUSPENDED, suspended_from=CaseState.APPROVAL
    )
    assert actions_open_to(suspended, own) == [Action.WITHDRAW]


def test_each_command_type_names_its_action() -> None:
    assert len(ACTION_OF) == len(COMMANDS)
    assert all(COMMANDS[action] is command for command, action in ACTION_OF.items())
