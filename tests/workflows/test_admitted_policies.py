"""Any policy the bounds admit runs a case to its end: never stuck, never needing attention.

Policies are drawn from the bounds declared on the model itself (the ``Within`` and
``PeriodWithin`` of ``SchemePolicy``'s fields) and pass through the ``admit`` the API uses.
Each example runs on a time-skipping server of its own, so that skipping to one example's
leaving date (up to 2100) moves neither the next example's clock nor other tests'.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, get_args

import asyncpg
import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from temporalio.testing import WorkflowEnvironment

from config.search_attributes import register_search_attributes
from config.settings import Settings
from domain.bounds import PeriodWithin, Within, admit, span
from domain.case import Application, CaseView
from domain.clock import local_date, start_of_day
from domain.commands import COMMANDS
from domain.lifecycle import Action, CaseKind, CaseState
from domain.officer import PensionScheme, Rank
from domain.people import Actor, Role
from domain.policy import ApprovalThresholds, Deadline, PensionAge, SchemePolicy
from service.cases import CommandRefused, act, open_case
from store.officers import upsert_officers
from tests.helpers.cases import APPROVERS, CASEWORKER
from tests.helpers.officers import officer
from tests.helpers.processes import BIN
from tests.helpers.temporal import TEST_CONVERTER
from worker import build_worker

Bound = Within | PeriodWithin
_DAY = 86_400


def _declared(annotation: Any) -> Iterator[Bound]:
    for meta in getattr(annotation, "__metadata__", ()):
        if isinstance(meta, Within | PeriodWithin):
            yield meta
    for arg in get_args(annotation):
        yield from _declared(arg)


def bound(model: type[BaseModel], field: str, *, inner: bool = False) -> Any:
    """The bound declared on ``model.field`` (``inner``: on its items, not their count)."""
    info = model.model_fields[field]
    found = [m for m in info.metadata if isinstance(m, Within | PeriodWithin)]
    found += list(_declared(info.annotation))
    return found[-1] if inner else found[0]


def _seconds(period: PeriodWithin) -> tuple[int, int]:
    shortest, longest = span(period.shortest), span(period.longest)
    assert shortest is not None and longest is not None
    return int(shortest.total_seconds()), int(longest.total_seconds())


def _as_period(seconds: int) -> str:
    return f"P{seconds // _DAY}D" if seconds and seconds % _DAY == 0 else f"PT{seconds}S"


def seconds_within(period: PeriodWithin, at_least: int = 0) -> st.SearchStrategy[int]:
    low, high = _seconds(period)
    low = max(low, at_least)
    days = st.integers(-(-low // _DAY), high // _DAY).map(lambda d: d * _DAY)
    return st.one_of(st.integers(low, high), days).filter(lambda s: low <= s <= high)


def periods(period: PeriodWithin) -> st.SearchStrategy[str]:
    return seconds_within(period).map(_as_period)


def ordered_pair(values: st.SearchStrategy[Any]) -> st.SearchStrategy[list[Any]]:
    return st.lists(values, min_size=2, max_size=2, unique=True).map(sorted)


def amounts(within: Within) -> st.SearchStrategy[Decimal]:
    return st.decimals(min_value=within.low, max_value=within.high, places=2).filter(
        lambda d: d > 0
    )


def deadlines() -> st.SearchStrategy[dict[str, Any]]:
    """A reminder and a later escalation, both counted the same way."""
    working_days = bound(Deadline, "working_days")
    days = ordered_pair(st.integers(working_days.low, working_days.high)).map(
        lambda pair: [{"working_days": n} for n in pair]
    )
    after = ordered_pair(seconds_within(bound(Deadline, "after"))).map(
        lambda pair: [{"after": _as_period(s)} for s in pair]
    )
    return st.one_of(days, after).map(lambda pair: {"reminder": pair[0], "escalation": pair[1]})


@st.composite
def policies(draw: Callable[[st.SearchStrategy[Any]], Any], today: date) -> dict[str, Any]:
    def field(name: str, *, inner: bool = False) -> Any:
        return bound(SchemePolicy, name, inner=inner)

    ranks = field("eligible_ranks")
    opens, closes = field("application_opens"), field("application_closes")
    earliest = field("earliest_leaving_date")
    reminder, consideration = draw(ordered_pair(seconds_within(field("offer_consideration"))))
    notice_min = draw(seconds_within(field("notice_min")))
    notice_max = draw(seconds_within(field("notice_max"), at_least=max(notice_min, 1)))
    ages = bound(PensionAge, "age")
    years = bound(PensionAge, "service_years")
    pension_rule = st.one_of(
        st.integers(ages.low, ages.high).map(lambda n: {"age": n}),
        st.integers(years.low, years.high).map(lambda n: {"service_years": n}),
    )
    money = bound(ApprovalThresholds, "finance_above")
    finance, executive = draw(ordered_pair(amounts(money)))
    reminders = field("leaving_reminders_before")
    return {
        "version": f"drawn-{secrets.token_hex(4)}",
        "eligible_ranks": sorted(
            draw(st.sets(st.sampled_from(Rank), min_size=ranks.low, max_size=ranks.high))
        ),
        # The window is open today, or no case could start.
        "application_opens": draw(st.dates(opens.low, today)),
        "application_closes": draw(st.dates(today, closes.high)),
        "earliest_leaving_date": draw(
            st.one_of(st.dates(earliest.low, today), st.dates(earliest.low, earliest.high))
        ),
        "tariff_weeks_per_year": draw(amounts(field("tariff_weeks_per_year"))),
        "days_per_service_year": draw(
            st.integers(field("days_per_service_year").low, field("days_per_service_year").high)
        ),
        "cap_months_below_pension_age": draw(amounts(field("cap_months_below_pension_age"))),
        "cap_months_at_pension_age": draw(amounts(field("cap_months_at_pension_age"))),
        "pension_age": {scheme: draw(pension_rule) for scheme in PensionScheme},
        "full_service_years": draw(
            st.dictionaries(
                st.sampled_from(PensionScheme),
                st.integers(years.low, field("full_service_years", inner=True).high),
            )
        ),
        "approval": {
            "finance_above": finance,
            "executive_from": executive,
            "executive_annual_pay_from": draw(amounts(money)),
        },
        "offer_consideration": _as_period(consideration),
        "offer_reminder_before_lapse": _as_period(reminder),
        "cooling_off": draw(periods(field("cooling_off"))),
        "notice_min": _as_period(notice_min),
        "notice_max": _as_period(notice_max),
        "leaving_reminders_before": draw(
            st.lists(
                periods(field("leaving_reminders_before", inner=True)),
                min_size=reminders.low,
                max_size=reminders.high,
            )
        ),
        "hr_review_sla": draw(deadlines()),
        "approval_tier_sla": draw(deadlines()),
    }


async def _run_case(
    env: WorkflowEnvironment, pool: asyncpg.Pool, settings: Settings, policy: SchemePolicy
) -> CaseView:
    """Take a case as far as people can: to completion; to a lapse if the offer cannot be
    accepted (no leaving date meets the notice rules, or it lapsed first); or to ineligibility
    if the leaving date reaches full service. Returns it closed."""
    today = local_date(await env.get_current_time())
    subject = officer(
        rank=sorted(policy.eligible_ranks)[0],
        pension_scheme=PensionScheme.P2015,
        date_of_birth=today - relativedelta(years=40),
        service_start=today - relativedelta(years=10),
    )
    await upsert_officers(pool, [subject])
    opened = await open_case(
        pool,
        env.client,
        settings,
        officer_id=subject.officer_id,
        kind=CaseKind.VOLUNTARY_EXIT,
        application=Application(),
        actor=CASEWORKER,
        policy=policy,
    )
    handle = env.client.get_workflow_handle(opened.case_id)
    the_officer = Actor(
        user_id=f"u_{subject.officer_id}", role=Role.OFFICER, officer_id=subject.officer_id
    )

    async def do(action: Action, actor: Actor, **body: object) -> CaseView:
        command = COMMANDS[action].model_validate({"actor": actor, **body})
        return await act(env.client, pool, opened.case_id, action, command)

    async def reach(*states: CaseState) -> CaseState:
        async with asyncio.timeout(15):
            while (state := await handle.query("state", result_type=CaseState)) not in states:
                await asyncio.sleep(0.05)
        return state

    async def closed() -> CaseView:
        await handle.result()
        return await handle.query("case", result_type=CaseView)

    # A leaving date far enough ahead reaches full service, where the scheme pays nothing.
    if await reach(CaseState.HR_REVIEW, CaseState.INELIGIBLE) is CaseState.INELIGIBLE:
        return await closed()
    view = await do(Action.REVIEW, CASEWORKER, decision="proceed")
    if view.state is CaseState.INELIGIBLE:
        return await closed()
    for tier in view.required_tiers:
        view = await do(Action.APPROVE, APPROVERS[tier])
    assert view.state is CaseState.OFFER_MADE and view.offer is not None
    lapses_at = view.offer.lapses_at

    async def skip_to(moment: datetime) -> None:
        await env.sleep(max(moment - await env.get_current_time(), timedelta(0)))

    try:
        view = await do(Action.ACCEPT_OFFER, the_officer)
    except CommandRefused:
        await skip_to(lapses_at)
        await reach(CaseState.OFFER_LAPSED)
    else:
        assert view.acceptance is not None and view.leaving_date is not None
        await skip_to(max(view.acceptance.cooling_off_ends_at, start_of_day(view.leaving_date)))
        await reach(CaseState.EXIT_PROCESSING)
        for item in ("access_revocation", "equipment_return"):
            await do(Action.COMPLETE_CHECKLIST_ITEM, CASEWORKER, item=item)
    return await closed()


# A time-skipping server of its own for each example: a policy's timers must not skip others'.
@pytest.mark.slow
@settings(
    max_examples=15,
    deadline=None,
    database=None,
    # No shrinking: each example runs a whole case (seconds), and a failure prints its draw.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_any_admitted_policy_runs_a_case_to_its_end(
    pool: asyncpg.Pool, data: st.DataObject
) -> None:
    today = local_date(datetime.now(UTC))
    policy = admit(SchemePolicy, data.draw(policies(today), label="policy"))
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=TEST_CONVERTER,
        test_server_existing_path=str(BIN / "temporal-test-server"),
    )
    try:
        await register_search_attributes(env.client)
        settings = Settings(task_queue=f"admitted-{secrets.token_hex(3)}")
        async with build_worker(env.client, pool, settings):
            view = await _run_case(env, pool, settings, policy)
    finally:
        await env.shutdown()
    assert view.needs_attention is None
    assert view.state in {CaseState.COMPLETED, CaseState.OFFER_LAPSED, CaseState.INELIGIBLE}
    if view.acceptance is not None:
        assert view.state is CaseState.COMPLETED
    if view.state is CaseState.INELIGIBLE:
        assert view.outcome_reason is not None and "full pensionable service" in view.outcome_reason
