"""The voluntary-exit workflow on the time-skipping server, with real activities and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from datetime import date, timedelta
from decimal import Decimal

import asyncpg
import pytest
from dateutil.relativedelta import relativedelta
from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment

from domain.calendar import add_working_days
from domain.clock import LONDON, local_date
from domain.commands import Refusal, StartCase
from domain.lifecycle import Action, CaseState
from domain.officer import Officer, PensionScheme, Rank
from domain.people import Actor, Role, Tier
from service.cases import CommandRefused
from tests.helpers.cases import (
    APPROVERS,
    CASEWORKER,
    FINANCE_APPROVER,
    HR_APPROVER,
    HR_MANAGER,
    OTHER_CASEWORKER,
    POLICY,
    Case,
)
from tests.helpers.officers import officer
from tests.helpers.temporal import save_history
from workflows.voluntary_exit import VoluntaryExitWorkflow


async def refused(case: Case, action: Action, actor: Actor, **body: object) -> CommandRefused:
    with pytest.raises(CommandRefused) as raised:
        await case.act(action, actor, **body)
    return raised.value


async def to_approval(case: Case) -> None:
    await case.wait_for(CaseState.HR_REVIEW)
    view = await case.act(Action.REVIEW, CASEWORKER, decision="proceed")
    assert view.state is CaseState.APPROVAL


async def approve_all(case: Case) -> None:
    view = await case.view()
    for tier in view.required_tiers:
        view = await case.act(Action.APPROVE, APPROVERS[tier])
    assert view.state is CaseState.OFFER_MADE


async def to_offer(case: Case) -> None:
    await to_approval(case)
    await approve_all(case)


# -- the whole lifecycle ------------------------------------------------------------------------


async def test_happy_path_to_completed_with_leaving_date_months_ahead(
    start_case, time_skipping_env: WorkflowEnvironment, pool: asyncpg.Pool, today: date
) -> None:
    leaving = today + relativedelta(months=2)
    # Service from today, not a fixed date: the session's clock moves as tests skip time.
    case = await start_case(
        officer(service_start=today - relativedelta(years=20)), leaving_date=leaving
    )
    await to_approval(case)
    view = await case.view()
    # £80,000, 20 years: tariff 3 x 80000/52 x years, under the 18-month cap of £120,000.
    assert view.calculation is not None and view.calculation.payable
    assert view.required_tiers == [Tier.HR, Tier.FINANCE]
    await approve_all(case)
    view = await case.act(Action.ACCEPT_OFFER, case.officer)
    assert view.state is CaseState.ACCEPTED and view.leaving_date == leaving
    amount = view.offer.amount

    await time_skipping_env.sleep(timedelta(days=15))
    view = await case.wait_for(CaseState.LEAVING_SCHEDULED)

    await time_skipping_env.sleep(timedelta(days=62))
    view = await case.wait_for(CaseState.EXIT_PROCESSING)
    done = {e.item.value for e in view.checklist}
    assert done == {"payroll_instruction", "pension_notification"}
    await case.act(Action.COMPLETE_CHECKLIST_ITEM, CASEWORKER, item="access_revocation")
    view = await case.act(Action.COMPLETE_CHECKLIST_ITEM, CASEWORKER, item="equipment_return")
    assert view.state is CaseState.COMPLETED

    result = await case.handle.result()
    assert result.state is CaseState.COMPLETED
    actions = await case.audit_actions()
    assert actions[:6] == [
        "submit",
        "eligibility_checked",
        "review",
        "approve",
        "approve",
        "accept-offer",
    ]
    assert actions[-1] == "exit_completed"
    assert "leaving_reminder_sent" in actions
    assert await case.handle.query("state", result_type=CaseState) is CaseState.COMPLETED
    # Search attributes are sent only when they change: fewer upserts than audit events, and
    # the index still ends on the final state.
    history = await case.handle.fetch_history()
    upserts = [
        e.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES
    ]
    assert 0 < len(upserts) < len(actions)
    states = [json.loads(u["CaseState"].data) for u in upserts if "CaseState" in u]
    assert states[-1] == "completed" and len(states) == len(set(states))
    payroll = await pool.fetchrow(
        "SELECT payload FROM exit_instructions WHERE case_id = $1 AND kind = 'payroll'",
        case.case_id,
    )
    assert Decimal(payroll["payload"]["compensation"]) == amount
    row = await pool.fetchrow("SELECT state, is_open FROM cases WHERE case_id = $1", case.case_id)
    assert (row["state"], row["is_open"]) == ("completed", False)
    await save_history(case.handle, "completed")


# -- eligibility --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"rank": Rank.INSPECTOR}, "rank_not_in_scheme"),
        ({"misconduct_pending": True}, "misconduct_pending"),
        (
            {"pension_scheme": PensionScheme.P1987, "service_start": date(1994, 1, 1)},
            "full_pensionable_service",
        ),
    ],
)
async def test_ineligible_case_closes_with_the_reason(start_case, pool, overrides, code) -> None:
    case = await start_case(officer(**overrides))
    view = await case.wait_for(CaseState.INELIGIBLE)
    assert code in {r.code for r in view.ineligibility}
    assert (await case.handle.result()).state is CaseState.INELIGIBLE


async def test_second_open_case_for_the_same_officer_is_ineligible(
    start_case, client, pool, settings
) -> None:
    first = await start_case()
    await first.wait_for(CaseState.HR_REVIEW)
    # Straight to Temporal, past the service's own check, as a race would.
    view = await first.view()
    duplicate = StartCase(
        case_id=f"{first.case_id}-dup",
        officer_id=view.officer_id,
        rank=view.rank,
        policy=POLICY,
        created_by=CASEWORKER,
    )
    result = await client.execute_workflow(
        VoluntaryExitWorkflow.run, duplicate, id=duplicate.case_id, task_queue=settings.task_queue
    )
    assert result.state is CaseState.INELIGIBLE
    reasons = await pool.fetchval(
        "SELECT details->'reasons' FROM audit_events "
        "WHERE case_id = $1 AND action = 'eligibility_checked'",
        duplicate.case_id,
    )
    assert reasons == ["open_case_exists"]


# -- HR review ------------------------------------------------------------------------------------


async def test_hr_rejection_closes_the_case(start_case) -> None:
    case = await start_case()
    await case.wait_for(CaseState.HR_REVIEW)
    refusal = await refused(case, Action.REVIEW, CASEWORKER, decision="reject")
    assert refusal.refusal is Refusal.INVALID_INPUT and "needs a reason" in refusal.detail
    view = await case.act(
        Action.REVIEW, CASEWORKER, decision="reject", reason="not in the interest"
    )
    assert view.state is CaseState.REJECTED
    assert (await case.handle.result()).state is CaseState.REJECTED
    await save_history(case.handle, "rejected_by_hr")


async def test_information_requested_then_provided_returns_to_review(start_case) -> None:
    case = await start_case()
    await case.wait_for(CaseState.HR_REVIEW)
    view = await case.act(
        Action.REVIEW, CASEWORKER, decision="request_info", reason="confirm your service start"
    )
    assert view.state is CaseState.INFO_REQUESTED
    assert [t.kind for t in view.tasks] == ["provide_info"]
    view = await case.act(Action.PROVIDE_INFO, case.officer, note="joined on 1 November 2006")
    assert view.state is CaseState.HR_REVIEW
    assert view.info_requests[0].answer == "joined on 1 November 2006"
    assert [t.kind for t in view.tasks] == ["hr_review"]
    view = await case.act(Action.REVIEW, OTHER_CASEWORKER, decision="proceed")
    assert view.state is CaseState.APPROVAL
    await save_history(case.handle, "info_requested")


# -- approval routes -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pay", "years", "tiers"),
    [
        ("40000.00", 10, [Tier.HR]),  # about £23,000
        ("80000.00", 20, [Tier.HR, Tier.FINANCE]),  # about £92,000
        ("160000.00", 10, [Tier.HR, Tier.FINANCE, Tier.EXECUTIVE]),  # pay of £150,000 or more
    ],
)
async def test_each_approval_route(start_case, today, pay, years, tiers) -> None:
    start = today - relativedelta(years=years)
    case = await start_case(officer(annual_pay=Decimal(pay), service_start=start))
    await to_approval(case)
    assert (await case.view()).required_tiers == tiers
    await approve_all(case)
    assert [d.tier for d in (await case.view()).approvals] == tiers


@pytest.mark.parametrize("rejecting_tier", [Tier.HR, Tier.FINANCE, Tier.EXECUTIVE])
async def test_rejection_at_each_tier(start_case, rejecting_tier) -> None:
    case = await start_case(officer(annual_pay=Decimal("160000.00")))
    await to_approval(case)
    for tier in (Tier.HR, Tier.FINANCE, Tier.EXECUTIVE):
        if tier is rejecting_tier:
            view = await case.act(Action.REJECT, APPROVERS[tier], reason="too costly")
            break
        await case.act(Action.APPROVE, APPROVERS[tier])
    assert view.state is CaseState.REJECTED
    assert view.approvals[-1].approved is False and view.approvals[-1].tier is rejecting_tier


async def test_adjustment_above_the_calculation_needs_the_executive(start_case, today) -> None:
    start = today - relativedelta(years=20)
    case = await start_case(officer(annual_pay=Decimal("40000.00"), service_start=start))
    await to_approval(case)
    view = await case.view()
    assert view.required_tiers == [Tier.HR]
    above = view.calculation.amount + Decimal("1000.00")
    view = await case.act(
        Action.ADJUST_COMPENSATION, OTHER_CASEWORKER, amount=str(above), reason="special case"
    )
    assert view.required_tiers == [Tier.HR, Tier.FINANCE, Tier.EXECUTIVE]
    await approve_all(case)
    assert (await case.view()).offer.amount == above


async def test_approver_of_the_wrong_tier_is_refused(start_case) -> None:
    case = await start_case()
    await to_approval(case)
    refusal = await refused(case, Action.APPROVE, FINANCE_APPROVER)
    assert refusal.refusal is Refusal.FORBIDDEN and "hr tier is due" in refusal.detail


# -- four eyes ----------------------------------------------------------------------------------


def as_approver(actor: Actor, tier: Tier = Tier.HR) -> Actor:
    """The same person, holding an approver's role: four eyes are about people, not roles."""
    return Actor(user_id=actor.user_id, role=Role.APPROVER, tier=tier)


@pytest.mark.parametrize("breach", ["created", "reviewed", "adjusted", "approved an earlier tier"])
async def test_four_eyes_breaches_are_refused_and_leave_history_unchanged(
    start_case, breach
) -> None:
    creator = Actor(user_id="u_creator", role=Role.CASEWORKER)
    case = await start_case(created_by=creator)
    await to_approval(case)
    if breach == "created":
        culprit = as_approver(creator)
    elif breach == "reviewed":
        culprit = as_approver(CASEWORKER)
    elif breach == "adjusted":
        view = await case.view()
        await case.act(
            Action.ADJUST_COMPENSATION,
            OTHER_CASEWORKER,
            amount=str(view.calculation.amount - 100),
            reason="agreed",
        )
        culprit = as_approver(OTHER_CASEWORKER)
    else:
        await case.act(Action.APPROVE, HR_APPROVER)
        culprit = as_approver(HR_APPROVER, Tier.FINANCE)
    before = await case.history_length()
    refusal = await refused(case, Action.APPROVE, culprit)
    assert refusal.refusal is Refusal.FORBIDDEN
    assert f"four eyes: you {breach}" in refusal.detail
    refusal = await refused(case, Action.REJECT, culprit, reason="no")
    assert refusal.refusal is Refusal.FORBIDDEN
    assert await case.history_length() == before


# -- offer ----------------------------------------------------------------------------------------


async def test_offer_lapses_with_a_reminder_before(start_case, time_skipping_env) -> None:
    case = await start_case()
    await to_offer(case)
    await time_skipping_env.sleep(timedelta(days=8))
    assert "reminder_sent" in await case.audit_actions()
    assert (await case.view()).state is CaseState.OFFER_MADE
    await time_skipping_env.sleep(timedelta(days=3))
    await case.wait_for(CaseState.OFFER_LAPSED)
    refusal = await refused(case, Action.ACCEPT_OFFER, case.officer)
    assert refusal.refusal is Refusal.INVALID_STATE
    await save_history(case.handle, "offer_lapsed")


async def test_declined_offer_closes_the_case(start_case) -> None:
    case = await start_case()
    await to_offer(case)
    view = await case.act(Action.DECLINE_OFFER, case.officer, reason="staying on")
    assert view.state is CaseState.OFFER_DECLINED


async def test_acceptance_outside_the_notice_rules_is_refused(start_case, today) -> None:
    case = await start_case()
    await to_offer(case)
    too_late = today + relativedelta(months=4)
    refusal = await refused(
        case, Action.ACCEPT_OFFER, case.officer, leaving_date=too_late.isoformat()
    )
    assert refusal.refusal is Refusal.INVALID_INPUT
    assert (await case.view()).state is CaseState.OFFER_MADE


async def test_another_officer_cannot_accept(start_case) -> None:
    case = await start_case()
    await to_offer(case)
    stranger = Actor(user_id="u_other", role=Role.OFFICER, officer_id="SOMEONE-ELSE")
    refusal = await refused(case, Action.ACCEPT_OFFER, stranger)
    assert refusal.refusal is Refusal.FORBIDDEN


# -- withdrawal ---------------------------------------------------------------------------------


async def _reach(case: Case, state: CaseState, env: WorkflowEnvironment) -> None:
    await case.wait_for(CaseState.HR_REVIEW)
    if state is CaseState.INFO_REQUESTED:
        await case.act(Action.REVIEW, CASEWORKER, decision="request_info", reason="why")
    if state in {
        CaseState.APPROVAL,
        CaseState.OFFER_MADE,
        CaseState.ACCEPTED,
        CaseState.LEAVING_SCHEDULED,
    }:
        await case.act(Action.REVIEW, CASEWORKER, decision="proceed")
    if state in {CaseState.OFFER_MADE, CaseState.ACCEPTED, CaseState.LEAVING_SCHEDULED}:
        await approve_all(case)
    if state in {CaseState.ACCEPTED, CaseState.LEAVING_SCHEDULED}:
        await case.act(Action.ACCEPT_OFFER, case.officer)
    if state is CaseState.LEAVING_SCHEDULED:
        await env.sleep(timedelta(days=15))
    await case.wait_for(state)


@pytest.mark.parametrize(
    "state",
    [
        CaseState.HR_REVIEW,
        CaseState.INFO_REQUESTED,
        CaseState.APPROVAL,
        CaseState.OFFER_MADE,
        CaseState.ACCEPTED,
    ],
)
async def test_withdrawal_is_allowed_until_cooling_off_ends(
    start_case, time_skipping_env, state
) -> None:
    case = await start_case()
    await _reach(case, state, time_skipping_env)
    view = await case.act(Action.WITHDRAW, case.officer, reason="changed my mind")
    assert view.state is CaseState.WITHDRAWN
    assert view.tasks == []


async def test_caseworker_withdraws_on_the_officers_behalf(start_case, pool) -> None:
    case = await start_case()
    await case.wait_for(CaseState.HR_REVIEW)
    view = await case.view()
    on_behalf = Actor(
        user_id=CASEWORKER.user_id, role=Role.CASEWORKER, on_behalf_of=view.officer_id
    )
    view = await case.act(Action.WITHDRAW, on_behalf, reason="phoned in")
    assert view.state is CaseState.WITHDRAWN
    row = await pool.fetchrow(
        "SELECT actor_role, on_behalf_of FROM audit_events"
        " WHERE case_id = $1 AND action = 'withdraw'",
        case.case_id,
    )
    assert (row["actor_role"], row["on_behalf_of"]) == ("caseworker", view.officer_id)


async def test_withdrawal_is_refused_once_the_agreement_binds(
    start_case, time_skipping_env
) -> None:
    case = await start_case()
    await _reach(case, CaseState.LEAVING_SCHEDULED, time_skipping_env)
    refusal = await refused(case, Action.WITHDRAW, case.officer, reason="too late")
    assert refusal.refusal is Refusal.INVALID_STATE
    assert "leaving_scheduled" in refusal.detail and "change-leaving-date" in refusal.detail


# -- leaving date ------------------------------------------------------------------------------


async def test_changing_the_leaving_date_rearms_the_timer(
    start_case, time_skipping_env, today
) -> None:
    first = today + relativedelta(months=1, days=5)
    # 20 years' service on the first date: the amount on the later one needs no new tier.
    subject = officer(service_start=first - timedelta(days=7300))
    case = await start_case(subject, leaving_date=first)
    await _reach(case, CaseState.LEAVING_SCHEDULED, time_skipping_env)
    later = first + timedelta(days=30)
    view = await case.act(
        Action.CHANGE_LEAVING_DATE, CASEWORKER, leaving_date=later.isoformat(), reason="handover"
    )
    assert view.leaving_date == later
    await time_skipping_env.sleep(timedelta(days=25))  # past the first date
    assert (await case.view()).state is CaseState.LEAVING_SCHEDULED
    await time_skipping_env.sleep(timedelta(days=31))
    await case.wait_for(CaseState.EXIT_PROCESSING)
    await save_history(case.handle, "leaving_date_changed")


# -- suspension -----------------------------------------------------------------------------------


async def test_suspension_pauses_the_case_and_its_clock(start_case, time_skipping_env) -> None:
    case = await start_case()
    await to_approval(case)
    due_before = (await case.view()).tasks[0].due_at
    view = await case.act(Action.SUSPEND, HR_MANAGER, reason="misconduct proceedings opened")
    assert view.state is CaseState.SUSPENDED and view.suspended_from is CaseState.APPROVAL
    refusal = await refused(case, Action.APPROVE, HR_APPROVER)
    assert refusal.refusal is Refusal.INVALID_STATE and "allowed now:" in refusal.detail
    await time_skipping_env.sleep(timedelta(days=20))
    # Nothing is chased while suspended.
    assert "escalated" not in await case.audit_actions()
    view = await case.act(Action.RESUME, HR_MANAGER, reason="proceedings closed")
    assert view.state is CaseState.APPROVAL
    assert view.tasks[0].due_at >= due_before + timedelta(days=20)
    await save_history(case.handle, "suspended")


async def test_only_hr_managers_suspend(start_case) -> None:
    case = await start_case()
    await case.wait_for(CaseState.HR_REVIEW)
    refusal = await refused(case, Action.SUSPEND, CASEWORKER, reason="no")
    assert refusal.refusal is Refusal.FORBIDDEN and "hr_manager" in refusal.detail


# -- reminders and escalations -----------------------------------------------------------------


async def test_hr_review_reminder_and_escalation_fall_on_working_days(
    start_case, time_skipping_env, pool
) -> None:
    case = await start_case()
    view = await case.wait_for(CaseState.HR_REVIEW)
    task = view.tasks[0]
    opened = local_date(task.opened_at)
    assert local_date(task.remind_at) == add_working_days(opened, 5)
    assert local_date(task.due_at) == add_working_days(opened, 10)

    await time_skipping_env.sleep(task.remind_at - task.opened_at - timedelta(hours=1))
    assert "reminder_sent" not in await case.audit_actions()
    await time_skipping_env.sleep(timedelta(hours=2))
    events = await pool.fetch(
        "SELECT action, occurred_at FROM audit_events WHERE case_id = $1 AND seq > 2 ORDER BY seq",
        case.case_id,
    )
    assert [e["action"] for e in events] == ["reminder_sent"]
    assert events[0]["occurred_at"].astimezone(LONDON).date() == add_working_days(opened, 5)

    await time_skipping_env.sleep(task.due_at - task.remind_at)
    async with asyncio.timeout(10):
        while "escalated" not in await case.audit_actions():
            await asyncio.sleep(0.05)
    notice = await pool.fetchrow(
        "SELECT recipient_role FROM notifications"
        " WHERE case_id = $1 AND template = 'task_escalated'",
        case.case_id,
    )
    assert notice["recipient_role"] == "hr_manager"
    view = await case.act(Action.REASSIGN, HR_MANAGER, assignee_user_id=OTHER_CASEWORKER.user_id)
    assert view.tasks[0].assignee_user_id == OTHER_CASEWORKER.user_id


def issue_14_officer(leaving: date) -> Officer:
    """1987 scheme, aged 52 with exactly 28 years' service on ``leaving``, on £90,000."""
    return officer(
        date_of_birth=leaving - relativedelta(years=52),
        service_start=leaving - relativedelta(years=28),
        annual_pay=Decimal("90000.00"),
        pension_scheme=PensionScheme.P1987,
    )


async def test_the_workflow_counts_pensionable_service_and_the_1987_pension_age(
    start_case, today: date
) -> None:
    """Issue 14's officer: 1987 scheme, aged 52 with exactly 28 years' service on the leaving
    date, £90,000. Pension age (50 with 25 years) is reached: 6 months' cap = 90,000 / 12 x 6 =
    £45,000 (the old rule, 30 years, gave 18 months = £135,000)."""
    leaving = today + relativedelta(months=2)
    case = await start_case(issue_14_officer(leaving), leaving_date=leaving)
    await to_approval(case)
    calculation = (await case.view()).calculation
    assert calculation is not None
    assert calculation.amount == Decimal("45000.00")
    assert (calculation.years_completed, calculation.remaining_days) == (28, 0)
    assert calculation.pension_age_condition == (
        "age 50 with at least 25 years' pensionable service"
    )


# -- versions: a decision is taken on the case as its author read it ----------------------------


async def test_an_action_on_a_version_the_case_has_moved_past_is_refused(start_case) -> None:
    case = await start_case()
    await to_approval(case)
    seen = (await case.view()).version
    adjusted = await case.act(
        Action.ADJUST_COMPENSATION, OTHER_CASEWORKER, amount="40000.00", reason="r", version=seen
    )
    assert adjusted.version == seen + 1 and adjusted.required_tiers == [Tier.HR]
    refusal = await refused(case, Action.APPROVE, HR_APPROVER, version=seen)
    assert refusal.refusal is Refusal.STALE and refusal.current_version == seen + 1
    assert (await case.view()).approvals == []
    view = await case.act(Action.APPROVE, HR_APPROVER, version=seen + 1)
    assert view.state is CaseState.OFFER_MADE and view.offer.amount == Decimal("40000.00")
    await save_history(case.handle, "stale_version_refused")


# -- exit processing ---------------------------------------------------------------------------


async def test_checklist_items_are_recorded_once(start_case, time_skipping_env, today) -> None:
    case = await start_case(leaving_date=today + relativedelta(months=1, days=2))
    await _reach(case, CaseState.LEAVING_SCHEDULED, time_skipping_env)
    await time_skipping_env.sleep(timedelta(days=40))
    await case.wait_for(CaseState.EXIT_PROCESSING)
    refusal = await refused(
        case, Action.COMPLETE_CHECKLIST_ITEM, CASEWORKER, item="payroll_instruction"
    )
    assert refusal.refusal is Refusal.INVALID_INPUT
    await case.act(Action.COMPLETE_CHECKLIST_ITEM, CASEWORKER, item="access_revocation")
    refusal = await refused(
        case, Action.COMPLETE_CHECKLIST_ITEM, CASEWORKER, item="access_revocation"
    )
    assert refusal.refusal is Refusal.INVALID_STATE and "already recorded" in refusal.detail
    assert await case.exit_events() == [
        ("exit_checklist_opened", None),
        ("complete-checklist-item", "payroll_instruction"),
        ("complete-checklist-item", "pension_notification"),
        ("complete-checklist-item", "access_revocation"),
    ]
