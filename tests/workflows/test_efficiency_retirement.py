"""Efficiency retirement on the time-skipping server: every path the branch has.

Each test runs under a regulation record of its own, in force in a year of its own, and opens
its cases "on" a day of that year; the workflow's own clock is the test server's.
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, timedelta

import asyncpg
import pytest
from temporalio.testing import WorkflowEnvironment

from domain.commands import Refusal
from domain.efficiency import Proposal
from domain.lifecycle import Action, CaseKind, CaseState
from domain.officer import PensionScheme, Rank
from domain.people import Actor, Role, Tier
from domain.periods import add_period
from domain.regulation import Regulation, RegulationParameters
from service.cases import KindNotAvailable
from store.policies import add_policy
from store.regulations import add_regulation
from tests.helpers.cases import (
    CASEWORKER,
    EXECUTIVE_APPROVER,
    HR_APPROVER,
    HR_MANAGER,
    POLICY,
    Case,
)
from tests.helpers.officers import officer
from tests.workflows.test_voluntary_exit import refused, save_history

PROPOSAL = Proposal(
    critical_skills="no critical skills or knowledge at risk",
    performance="performance in rank assessed",
    equality_impact_reference="EIA-2026-014",
)
PANEL = Actor(user_id="u_panel", role=Role.APPROVER, tier=Tier.EXECUTIVE)
ADMIN = Actor(user_id="u_admin", role=Role.ADMIN)
LONG_SERVING = {"service_start": date(1990, 1, 1), "date_of_birth": date(1968, 5, 1)}


def on(year: int, month: int = 6, day: int = 1) -> datetime:
    return datetime(year, month, day, 12, tzinfo=UTC)


async def in_force(
    pool: asyncpg.Pool,
    year: int,
    *,
    reference: str | None = None,
    version: str = "1",
    effective_from: date | None = None,
    effective_to: date | None = None,
    **parameters: object,
) -> Regulation:
    regulation = Regulation(
        legal_reference=reference or f"Efficiency regulations {year} ({secrets.token_hex(3)})",
        version=version,
        effective_from=effective_from or date(year, 1, 1),
        effective_to=effective_to if effective_to is not None else date(year, 12, 31),
        parameters=RegulationParameters.model_validate(parameters),
    )
    await add_regulation(pool, regulation, "u_admin")
    return regulation


async def propose(start_case, year: int, **overrides: object) -> Case:
    return await start_case(
        officer(**(LONG_SERVING | overrides)),
        kind=CaseKind.EFFICIENCY_RETIREMENT,
        created_by=HR_MANAGER,
        proposal=PROPOSAL,
        now=on(year),
    )


async def to_panel(case: Case, env: WorkflowEnvironment) -> None:
    await case.wait_for(CaseState.DECISION_PENDING)
    await case.act(Action.DECIDE, EXECUTIVE_APPROVER, decision="serve_notice", reason="assessed")
    await env.sleep(timedelta(days=29))
    await case.wait_for(CaseState.PANEL_REVIEW)


# -- the gate: a regulation in force on the day ---------------------------------------------------


async def test_no_record_in_force_refuses_the_start_and_audits_it(start_case, pool) -> None:
    subject = officer(**LONG_SERVING)
    with pytest.raises(KindNotAvailable) as raised:
        await start_case(
            subject,
            kind=CaseKind.EFFICIENCY_RETIREMENT,
            created_by=HR_MANAGER,
            proposal=PROPOSAL,
            now=on(2080),
        )
    assert str(raised.value) == "no regulation in force on 2080-06-01 permits efficiency retirement"
    row = await pool.fetchrow(
        "SELECT case_id, actor_user_id, reason FROM audit_events "
        "WHERE action = 'start_refused' AND details->>'officer_id' = $1",
        subject.officer_id,
    )
    assert row["actor_user_id"] == HR_MANAGER.user_id and "2080-06-01" in row["reason"]
    assert await pool.fetchval("SELECT count(*) FROM cases WHERE case_id = $1", row["case_id"]) == 0


async def test_a_record_effective_in_the_future_permits_cases_from_its_first_day(
    start_case, pool
) -> None:
    await in_force(pool, 2081, effective_from=date(2081, 7, 1))
    subject = officer(**LONG_SERVING)
    kwargs = {
        "kind": CaseKind.EFFICIENCY_RETIREMENT,
        "created_by": HR_MANAGER,
        "proposal": PROPOSAL,
    }
    with pytest.raises(KindNotAvailable, match="2081-06-30"):
        await start_case(subject, now=on(2081, 6, 30), **kwargs)
    case = await start_case(subject, now=on(2081, 7, 1), **kwargs)
    view = await case.wait_for(CaseState.DECISION_PENDING)
    assert view.kind is CaseKind.EFFICIENCY_RETIREMENT


async def test_a_record_that_ends_stops_new_cases_but_not_running_ones(start_case, pool) -> None:
    first = await in_force(pool, 2082, effective_to=date(2082, 12, 31))
    running = await propose(start_case, 2082)
    await running.wait_for(CaseState.DECISION_PENDING)
    # The admin revokes it from the end of June: a new version of the same record.
    await in_force(
        pool,
        2082,
        reference=first.legal_reference,
        version="2",
        effective_to=date(2082, 6, 30),
        notice_period="P1M",
    )
    with pytest.raises(KindNotAvailable, match="2082-07-01"):
        await start_case(
            officer(**LONG_SERVING),
            kind=CaseKind.EFFICIENCY_RETIREMENT,
            created_by=HR_MANAGER,
            proposal=PROPOSAL,
            now=on(2082, 7, 1),
        )
    view = await running.act(
        Action.DECIDE, EXECUTIVE_APPROVER, decision="serve_notice", reason="assessed"
    )
    # The running case keeps the version (and the three months' notice) it started under.
    assert view.state is CaseState.NOTICE_SERVED
    assert view.efficiency.regulation.version == "1"
    assert view.efficiency.notice_ends_on == add_period(view.efficiency.notice_served_on, "P3M")


async def test_an_admin_halt_closes_the_case_and_tells_the_officer(start_case, pool) -> None:
    await in_force(pool, 2083)
    case = await propose(start_case, 2083)
    await case.wait_for(CaseState.DECISION_PENDING)
    refusal = await refused(case, Action.HALT, HR_MANAGER, reason="no")
    assert refusal.refusal.value == "Forbidden"
    view = await case.act(Action.HALT, ADMIN, reason="the regulation was revoked")
    assert view.state is CaseState.RETIREMENT_WITHDRAWN
    assert (await case.audit_actions())[-1] == "halt"
    notified = await pool.fetchval(
        "SELECT count(*) FROM notifications WHERE case_id = $1 AND template = 'case_closed' "
        "AND recipient_officer_id = $2",
        case.case_id,
        view.officer_id,
    )
    assert notified == 1


# -- the path -------------------------------------------------------------------------------------


async def test_precondition_failures_close_the_case_with_every_reason(start_case, pool) -> None:
    await in_force(pool, 2084)
    case = await start_case(
        officer(rank=Rank.COMMANDER, service_start=date(2015, 1, 1)),
        kind=CaseKind.EFFICIENCY_RETIREMENT,
        created_by=HR_MANAGER,
        proposal=Proposal(critical_skills="assessed"),
        now=on(2084),
    )
    view = await case.wait_for(CaseState.INELIGIBLE)
    assert [r.code for r in view.ineligibility] == [
        "rank_not_covered",
        "insufficient_service",
        "assessment_missing",
        "assessment_missing",
    ]


async def test_the_minimum_service_is_the_scheme_s(start_case, pool) -> None:
    """Default record (A19): the 2015 scheme is not covered at any service (here 2094 - 1990 =
    104 years), and the refusal names the scheme."""
    await in_force(pool, 2094)
    case = await propose(
        start_case, 2094, service_start=date(1990, 1, 1), pension_scheme=PensionScheme.P2015
    )
    view = await case.wait_for(CaseState.INELIGIBLE)
    assert [r.code for r in view.ineligibility] == ["scheme_not_covered"]
    assert "2015 scheme" in view.ineligibility[0].detail


async def test_proposal_notice_representations_panel_and_the_shared_exit_tail(
    start_case, pool, time_skipping_env: WorkflowEnvironment
) -> None:
    await in_force(pool, 2085)
    case = await propose(start_case, 2085)
    await case.wait_for(CaseState.DECISION_PENDING)
    # Executives decide; the proposer may not, whatever role they hold.
    assert (
        await refused(case, Action.DECIDE, HR_APPROVER, decision="serve_notice", reason="r")
    ).refusal.value == "Forbidden"
    proposer = Actor(user_id=HR_MANAGER.user_id, role=Role.APPROVER, tier=Tier.EXECUTIVE)
    refusal = await refused(case, Action.DECIDE, proposer, decision="serve_notice", reason="r")
    assert "you proposed this case" in refusal.detail

    view = await case.act(
        Action.DECIDE, EXECUTIVE_APPROVER, decision="serve_notice", reason="assessed"
    )
    assert view.state is CaseState.NOTICE_SERVED
    served = view.efficiency.notice_served_on
    assert view.efficiency.notice_ends_on == add_period(served, "P3M")

    view = await case.act(Action.MAKE_REPRESENTATIONS, case.officer, representations="I object")
    assert view.state is CaseState.REPRESENTATIONS
    for_officer = CASEWORKER.model_copy(update={"on_behalf_of": view.officer_id})
    view = await case.act(
        Action.MAKE_REPRESENTATIONS, for_officer, representations="Federation representative"
    )
    assert [r.on_behalf_of for r in view.efficiency.representations] == [None, view.officer_id]

    await time_skipping_env.sleep(timedelta(days=29))
    await case.wait_for(CaseState.PANEL_REVIEW)
    refusal = await refused(
        case, Action.PANEL_DECISION, EXECUTIVE_APPROVER, decision="confirm", reason="r"
    )
    assert "the panel is another" in refusal.detail
    view = await case.act(Action.PANEL_DECISION, PANEL, decision="confirm", reason="upheld")
    assert view.state is CaseState.LEAVING_SCHEDULED
    assert view.leaving_date == view.efficiency.notice_ends_on

    await time_skipping_env.sleep(timedelta(days=65))
    view = await case.wait_for(CaseState.EXIT_PROCESSING)
    payroll = await pool.fetchval(
        "SELECT payload FROM exit_instructions WHERE case_id = $1 AND kind = 'payroll'",
        case.case_id,
    )
    assert payroll == {"officer_id": view.officer_id, "leaving_date": str(view.leaving_date)}
    await case.act(Action.COMPLETE_CHECKLIST_ITEM, CASEWORKER, item="access_revocation")
    view = await case.act(Action.COMPLETE_CHECKLIST_ITEM, CASEWORKER, item="equipment_return")
    assert view.state is CaseState.COMPLETED
    actions = await case.audit_actions()
    assert actions[:7] == [
        "propose",
        "precondition_checked",
        "decide",
        "make-representations",
        "make-representations",
        "representations_closed",
        "panel-decision",
    ]
    assert actions[-1] == "exit_completed"
    await save_history(case.handle, "efficiency_completed")


async def test_deferral_for_critical_skills_comes_back_to_the_panel_on_the_review_date(
    start_case, pool, time_skipping_env
) -> None:
    await in_force(pool, 2086)
    case = await propose(start_case, 2086)
    await to_panel(case, time_skipping_env)
    refusal = await refused(case, Action.PANEL_DECISION, PANEL, decision="defer", reason="skills")
    assert "review_date" in refusal.detail
    review = (await time_skipping_env.get_current_time()).date() + timedelta(days=40)
    view = await case.act(
        Action.PANEL_DECISION, PANEL, decision="defer", reason="skills", review_date=review
    )
    assert view.state is CaseState.DEFERRED
    await time_skipping_env.sleep(timedelta(days=41))
    view = await case.wait_for(CaseState.PANEL_REVIEW)
    assert [t.kind for t in view.tasks] == ["panel_review"]
    view = await case.act(Action.PANEL_DECISION, PANEL, decision="confirm", reason="reviewed")
    assert view.state is CaseState.LEAVING_SCHEDULED
    assert view.leaving_date >= view.efficiency.notice_ends_on
    assert "deferral_review_due" in await case.audit_actions()


async def test_the_panel_may_withdraw(start_case, pool, time_skipping_env) -> None:
    await in_force(pool, 2087)
    case = await propose(start_case, 2087)
    await to_panel(case, time_skipping_env)
    view = await case.act(Action.PANEL_DECISION, PANEL, decision="withdraw", reason="skills")
    assert view.state is CaseState.RETIREMENT_WITHDRAWN
    assert (await case.handle.result()).state is CaseState.RETIREMENT_WITHDRAWN


async def test_the_officer_may_apply_for_voluntary_exit_instead(
    start_case, pool, client, time_skipping_env
) -> None:
    # A record extending the power to the 2015 scheme (A19's default leaves it out), so that
    # the officer has no full-service point and the voluntary scheme would pay.
    await in_force(pool, 2088, minimum_service_by_scheme={"1987": "30", "2006": "35", "2015": "30"})
    # The voluntary case opens under the current policy: one whose window is open.
    await add_policy(pool, POLICY.model_copy(update={"version": f"t-{secrets.token_hex(3)}"}), "t")
    # 2015 scheme: no full-service point, so the voluntary scheme would pay.
    case = await propose(
        start_case, 2088, service_start=date(1994, 1, 1), pension_scheme=PensionScheme.P2015
    )
    await case.wait_for(CaseState.DECISION_PENDING)
    refusal = await refused(case, Action.APPLY_VOLUNTARY, case.officer)
    assert refusal.refusal.value == "InvalidState"
    await case.act(Action.DECIDE, EXECUTIVE_APPROVER, decision="serve_notice", reason="assessed")
    view = await case.act(Action.APPLY_VOLUNTARY, case.officer, statement="I will volunteer")
    assert view.state is CaseState.RETIREMENT_WITHDRAWN
    voluntary_id = view.efficiency.superseded_by
    assert voluntary_id is not None
    voluntary = Case(client, pool, voluntary_id, case.officer)
    linked = await voluntary.wait_for(CaseState.HR_REVIEW)
    assert linked.kind is CaseKind.VOLUNTARY_EXIT
    assert linked.application.linked_from == case.case_id
    assert linked.created_by == case.officer
    await save_history(case.handle, "efficiency_switched_to_voluntary")


# -- the shared exit tail: the checklist's rules hold for this kind too -------------------------


async def to_exit_processing(case: Case, env: WorkflowEnvironment) -> None:
    await to_panel(case, env)
    await case.act(Action.PANEL_DECISION, PANEL, decision="confirm", reason="upheld")
    await env.sleep(timedelta(days=95))
    await case.wait_for(CaseState.EXIT_PROCESSING)


async def test_people_record_only_the_manual_checklist_items_and_each_once(
    start_case, pool, time_skipping_env
) -> None:
    await in_force(pool, 2089)
    case = await propose(start_case, 2089)
    await to_exit_processing(case, time_skipping_env)
    refusal = await refused(
        case, Action.COMPLETE_CHECKLIST_ITEM, CASEWORKER, item="payroll_instruction"
    )
    assert refusal.refusal is Refusal.INVALID_INPUT
    assert refusal.detail == "'payroll_instruction' is recorded by the system itself"
    await case.act(Action.COMPLETE_CHECKLIST_ITEM, CASEWORKER, item="access_revocation")
    refusal = await refused(
        case, Action.COMPLETE_CHECKLIST_ITEM, CASEWORKER, item="access_revocation"
    )
    assert refusal.refusal is Refusal.INVALID_STATE
    assert refusal.detail == "'access_revocation' is already recorded"
    view = await case.view()
    assert [e.item.value for e in view.checklist] == [
        "payroll_instruction",
        "pension_notification",
        "access_revocation",
    ]
    assert view.state is CaseState.EXIT_PROCESSING
    # The log reads in the order things happened: the checklist opens, then the system ticks
    # its own items on it, then people tick theirs.
    assert await case.exit_events() == [
        ("exit_checklist_opened", None),
        ("complete-checklist-item", "payroll_instruction"),
        ("complete-checklist-item", "pension_notification"),
        ("complete-checklist-item", "access_revocation"),
    ]
    await save_history(case.handle, "efficiency_checklist_opened_first")
