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
from domain.bounds import NEW_INPUT, Day
from domain.case import Application, CaseView, actions_now
from domain.commands import AdjustCompensation
from domain.lifecycle import (
    ATTENTION_ACTIONS,
    CALCULATION_FAILED,
    Action,
    CaseKind,
    CaseState,
    allowed_actions,
)
from domain.officer import Rank
from domain.people import Actor, Role
from domain.policy import SchemePolicy, load_bundled_policy

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
        assert actions_now(view, allowed_actions) == ATTENTION_ACTIONS[kind]


def test_a_suspended_case_may_be_withdrawn_if_its_state_before_allowed_it() -> None:
    view = _view(CaseKind.VOLUNTARY_EXIT, CaseState.SUSPENDED, suspended_from=CaseState.HR_REVIEW)
    assert Action.WITHDRAW in actions_now(view, allowed_actions)
    assert Action.RESUME in actions_now(view, allowed_actions)
    view = _view(CaseKind.EFFICIENCY_RETIREMENT, CaseState.DECISION_PENDING)
    assert actions_now(view, efficiency.allowed_actions) == efficiency.allowed_actions(
        CaseState.DECISION_PENDING
    )


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
