"""A case whose own figures break a calculation stops for a person instead of wedging.

The figures come from documents stored before today's bounds (domain/bounds.py), written
straight into their tables here, as an older version of the service would have stored them.
"""

from __future__ import annotations

import secrets
from datetime import date, timedelta

import asyncpg

from domain.commands import Refusal
from domain.lifecycle import CALCULATION_FAILED, Action, CaseKind, CaseState
from domain.policy import SchemePolicy
from store.case_queries import list_cases
from store.policies import get_policy
from tests.helpers.cases import APPROVERS, CASEWORKER, EXECUTIVE_APPROVER, HR_MANAGER, POLICY
from tests.helpers.officers import officer
from tests.workflows.test_efficiency_retirement import ADMIN, LONG_SERVING, PROPOSAL, on
from tests.workflows.test_voluntary_exit import refused

_YEAR = 2091


async def _legacy_policy(pool: asyncpg.Pool, **figures: object) -> SchemePolicy:
    version = f"legacy-{secrets.token_hex(4)}"
    await pool.execute(
        "INSERT INTO policies (version, document, created_by) VALUES ($1, $2, 'legacy')",
        version,
        {**POLICY.model_dump(mode="json"), **figures, "version": version},
    )
    policy = await get_policy(pool, version)
    assert policy is not None
    return policy


async def _needing_attention(pool: asyncpg.Pool) -> set[str]:
    return {c.case_id for c in await list_cases(pool, limit=200, needs_attention=True)}


async def test_an_offer_that_cannot_be_dated_stops_the_case_which_can_be_withdrawn(
    start_case, pool
) -> None:
    policy = await _legacy_policy(pool, offer_consideration="P99999999Y")
    case = await start_case(policy=policy)
    await case.wait_for(CaseState.HR_REVIEW)
    view = await case.act(Action.REVIEW, CASEWORKER, decision="proceed")
    for tier in view.required_tiers[:-1]:
        await case.act(Action.APPROVE, APPROVERS[tier])

    # The last approval makes the offer, whose lapse date is beyond the calendar.
    refusal = await refused(case, Action.APPROVE, APPROVERS[view.required_tiers[-1]])
    assert refusal.refusal is Refusal.INVALID_STATE and "needs attention" in refusal.detail
    view = await case.view()
    assert (view.state, view.needs_attention) == (CaseState.APPROVAL, CALCULATION_FAILED)
    assert view.offer is None
    assert (await case.audit_actions())[-1] == "needs_attention"
    assert case.case_id in await _needing_attention(pool)
    # Reminders and escalations stop with it: nothing but closing the case happens now.
    refusal = await refused(case, Action.REASSIGN, HR_MANAGER, assignee_user_id="u", reason="r")
    assert refusal.refusal is Refusal.INVALID_STATE

    view = await case.act(Action.WITHDRAW, case.officer, reason="changed my mind")
    assert view.state is CaseState.WITHDRAWN
    assert (await case.handle.result()).state is CaseState.WITHDRAWN
    assert case.case_id not in await _needing_attention(pool)


async def test_an_action_whose_rules_cannot_be_computed_is_refused_not_failed(
    start_case, pool, today
) -> None:
    policy = await _legacy_policy(pool, notice_max="P99999999Y")
    case = await start_case(policy=policy, leaving_date=today + timedelta(days=60))
    await case.wait_for(CaseState.HR_REVIEW)
    view = await case.act(Action.REVIEW, CASEWORKER, decision="proceed")
    for tier in view.required_tiers:
        view = await case.act(Action.APPROVE, APPROVERS[tier])
    assert view.state is CaseState.OFFER_MADE

    # The notice window the acceptance is checked against runs off the calendar.
    refusal = await refused(case, Action.ACCEPT_OFFER, case.officer)
    assert refusal.refusal is Refusal.INVALID_STATE
    assert "could not be computed" in refusal.detail
    view = await case.act(Action.DECLINE_OFFER, case.officer)
    assert view.state is CaseState.OFFER_DECLINED


async def test_an_efficiency_case_whose_window_cannot_be_dated_is_halted(start_case, pool) -> None:
    await pool.execute(
        """INSERT INTO regulations (legal_reference, version, effective_from, effective_to,
                                    parameters, created_by)
           VALUES ($1, '1', $2, $3, $4, 'legacy')""",
        f"Legacy efficiency regulations ({secrets.token_hex(3)})",
        date(_YEAR, 1, 1),
        date(_YEAR, 12, 31),
        {"minimum_pensionable_service_years": "30", "representations_window": "P99999999Y"},
    )
    case = await start_case(
        officer(**LONG_SERVING),
        kind=CaseKind.EFFICIENCY_RETIREMENT,
        created_by=HR_MANAGER,
        proposal=PROPOSAL,
        now=on(_YEAR),
    )
    await case.wait_for(CaseState.DECISION_PENDING)
    refusal = await refused(
        case, Action.DECIDE, EXECUTIVE_APPROVER, decision="serve_notice", reason="assessed"
    )
    assert refusal.refusal is Refusal.INVALID_STATE
    view = await case.view()
    assert view.needs_attention == CALCULATION_FAILED
    assert case.case_id in await _needing_attention(pool)

    # Still only an admin halts.
    assert (await refused(case, Action.HALT, HR_MANAGER, reason="no")).refusal is Refusal.FORBIDDEN
    view = await case.act(Action.HALT, ADMIN, reason="the record was entered wrongly")
    assert view.state is CaseState.RETIREMENT_WITHDRAWN
    assert case.case_id not in await _needing_attention(pool)
