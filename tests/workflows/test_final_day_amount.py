"""The amount on the final day (issue 14, item 4): worked out again for the leaving date agreed.

Figures, by hand, for the default officer (£80,000, 2006 scheme, under pension age): the tariff
is 3 weeks' pay a year, 3 x 80000 / 52 = £4,615.38... a year of service, so the £100,000
executive threshold falls at 100000 / (240000 / 52) = 21.6667 years, and the 18-month cap is
£120,000. Service is set in days before the first leaving date so each test sits where it
means to.
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from decimal import Decimal

import asyncpg
from dateutil.relativedelta import relativedelta
from temporalio.testing import WorkflowEnvironment

from domain.clock import start_of_day
from domain.commands import Refusal
from domain.compensation import calculate
from domain.lifecycle import Action, CaseState
from domain.officer import Officer
from domain.people import Tier
from tests.helpers.cases import (
    APPROVERS,
    CASEWORKER,
    EXECUTIVE_APPROVER,
    FINANCE_APPROVER,
    OTHER_CASEWORKER,
    POLICY,
    Case,
)
from tests.helpers.officers import officer
from tests.workflows.test_voluntary_exit import (
    approve_all,
    refused,
    save_history,
    to_approval,
)


def _serving(days: int, on: date, **overrides: object) -> Officer:
    """An officer whose service on ``on`` is ``days`` / 365 years: ``days // 365`` whole years
    to the last anniversary, and ``days % 365`` days since it."""
    years, remaining = divmod(days, 365)
    start = on - timedelta(days=remaining) - relativedelta(years=years)
    return officer(service_start=start, **overrides)


async def _sleep_past(env: WorkflowEnvironment, day: date) -> None:
    """Skip to the start of the day after ``day``, and no further: the server's clock is
    shared by every test in the session."""
    now = await env.get_current_time()
    await env.sleep(start_of_day(day + timedelta(days=1)) - now)


async def _details(pool: asyncpg.Pool, case: Case, action: str) -> dict:
    row = await pool.fetchrow(
        "SELECT details FROM audit_events WHERE case_id = $1 AND action = $2 "
        "ORDER BY seq DESC LIMIT 1",
        case.case_id,
        action,
    )
    return row["details"]


async def _payroll_amount(pool: asyncpg.Pool, case: Case) -> Decimal:
    """The compensation on the payroll instruction, once exit processing has handed it off."""
    async with asyncio.timeout(10):
        while (
            row := await pool.fetchrow(
                "SELECT payload FROM exit_instructions WHERE case_id = $1 AND kind = 'payroll'",
                case.case_id,
            )
        ) is None:
            await asyncio.sleep(0.05)
    return Decimal(row["payload"]["compensation"])


async def test_accepting_a_later_date_raises_the_amount_within_the_tiers_given(
    start_case, time_skipping_env: WorkflowEnvironment, pool: asyncpg.Pool, today: date
) -> None:
    """20 years (7300 days) on the date applied for: 4615.38 x 20 = £92,307.69, finance tier.
    Accepting 30 days later: 7330 / 365 = 20.0822 years, £92,687.09: more, same tiers."""
    applied = today + relativedelta(months=1, days=15)
    later = applied + timedelta(days=30)
    subject = _serving(7300, applied)
    case = await start_case(subject, leaving_date=applied)
    await to_approval(case)
    await approve_all(case)
    offer = (await case.view()).offer
    assert offer.amount == Decimal("92307.69") and offer.leaving_date == applied
    assert offer.recalculated_on_final_day

    view = await case.act(Action.ACCEPT_OFFER, case.officer, leaving_date=later.isoformat())
    assert view.state is CaseState.ACCEPTED
    assert view.calculation.calculation_date == later
    assert view.calculation.amount == Decimal("92687.04")
    assert view.calculation == calculate(subject, later, POLICY)
    assert view.required_tiers == [Tier.HR, Tier.FINANCE]
    details = await _details(pool, case, "accept-offer")
    assert details["previous_amount"] == "92307.69" and details["amount"] == "92687.04"
    assert details["calculation"]["calculation_date"] == later.isoformat()

    await time_skipping_env.sleep(timedelta(days=15))
    await case.wait_for(CaseState.LEAVING_SCHEDULED)
    await _sleep_past(time_skipping_env, later)
    await case.wait_for(CaseState.EXIT_PROCESSING)
    assert await _payroll_amount(pool, case) == Decimal("92687.04")


async def test_a_date_change_crossing_100000_goes_back_to_the_executive(
    start_case, time_skipping_env: WorkflowEnvironment, pool: asyncpg.Pool, today: date
) -> None:
    """7884 days (21.6 years): 4615.38 x 21.6 = £99,692.31, under the executive threshold.
    Moved 30 days on: 7914 / 365 = 21.6822 years, £100,071.64: the executive must approve,
    and the leaving date passes without the case moving until they have."""
    applied = today + relativedelta(months=1, days=15)
    later = applied + timedelta(days=30)
    case = await start_case(_serving(7884, applied), leaving_date=applied)
    await to_approval(case)
    await approve_all(case)
    assert (await case.view()).offer.amount == Decimal("99692.31")
    await case.act(Action.ACCEPT_OFFER, case.officer)
    await time_skipping_env.sleep(timedelta(days=15))
    await case.wait_for(CaseState.LEAVING_SCHEDULED)

    view = await case.act(
        Action.CHANGE_LEAVING_DATE, CASEWORKER, leaving_date=later.isoformat(), reason="handover"
    )
    assert view.state is CaseState.APPROVAL
    assert view.calculation.amount == Decimal("100071.65")
    assert view.required_tiers == [Tier.HR, Tier.FINANCE, Tier.EXECUTIVE]
    assert [t.assignee_tier for t in view.tasks] == [Tier.EXECUTIVE]
    details = await _details(pool, case, "change-leaving-date")
    assert details["approval_needed"] == "executive" and details["amount"] == "100071.65"
    told = await pool.fetchval(
        "SELECT count(*) FROM notifications WHERE case_id = $1 "
        "AND template = 'compensation_reapproval' AND recipient_officer_id IS NOT NULL",
        case.case_id,
    )
    assert told == 1

    await _sleep_past(time_skipping_env, later)
    assert (await case.view()).state is CaseState.APPROVAL
    # Only the tier now due may approve, and nobody who approved an earlier tier.
    refusal = await refused(case, Action.APPROVE, FINANCE_APPROVER)
    assert refusal.refusal is Refusal.FORBIDDEN
    wrong_person = EXECUTIVE_APPROVER.model_copy(update={"user_id": FINANCE_APPROVER.user_id})
    refusal = await refused(case, Action.APPROVE, wrong_person)
    assert refusal.refusal is Refusal.FORBIDDEN and "four eyes" in refusal.detail
    view = await case.act(Action.APPROVE, EXECUTIVE_APPROVER)
    assert [d.tier for d in view.approvals] == [Tier.HR, Tier.FINANCE, Tier.EXECUTIVE]
    await case.wait_for(CaseState.EXIT_PROCESSING)
    assert await _payroll_amount(pool, case) == Decimal("100071.65")
    await save_history(case.handle, "final_day_reapproved")


async def test_a_lower_amount_proceeds_and_is_recorded(
    start_case, pool: asyncpg.Pool, today: date
) -> None:
    """7914 days (21.6822 years) on the date applied for: £100,071.64, all three tiers.
    Accepting 30 days sooner: 21.6 years, £99,692.31, within the tiers already given."""
    applied = today + relativedelta(months=2, days=5)
    sooner = applied - timedelta(days=30)
    case = await start_case(_serving(7914, applied), leaving_date=applied)
    await to_approval(case)
    await approve_all(case)
    assert (await case.view()).offer.amount == Decimal("100071.65")
    view = await case.act(Action.ACCEPT_OFFER, case.officer, leaving_date=sooner.isoformat())
    assert view.state is CaseState.ACCEPTED
    assert view.calculation.amount == Decimal("99692.31")
    assert view.required_tiers == [Tier.HR, Tier.FINANCE]
    details = await _details(pool, case, "accept-offer")
    assert details["previous_amount"] == "100071.65" and "approval_needed" not in details


async def test_an_adjusted_amount_is_kept_but_a_new_date_goes_back_to_the_executive(
    start_case, pool: asyncpg.Pool, today: date
) -> None:
    applied = today + relativedelta(months=1, days=15)
    case = await start_case(officer(annual_pay=Decimal("40000.00")), leaving_date=applied)
    await to_approval(case)
    above = (await case.view()).calculation.amount + Decimal("1000.00")
    await case.act(
        Action.ADJUST_COMPENSATION, OTHER_CASEWORKER, amount=str(above), reason="special case"
    )
    await approve_all(case)
    later = applied + timedelta(days=20)
    view = await case.act(Action.ACCEPT_OFFER, case.officer, leaving_date=later.isoformat())
    assert view.state is CaseState.APPROVAL
    assert view.amount == above and view.calculation.calculation_date == applied
    assert [d.tier for d in view.approvals] == [Tier.HR, Tier.FINANCE]
    view = await case.act(Action.APPROVE, APPROVERS[Tier.EXECUTIVE])
    assert view.state is CaseState.ACCEPTED and view.amount == above
    assert (await _details(pool, case, "accept-offer"))["recalculated"] is False
