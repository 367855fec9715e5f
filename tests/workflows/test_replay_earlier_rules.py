"""Cases that ran before a rule was added replay under today's workflows as they ran.

Each history is recorded live by a stand-in for a workflow as it was before the rule (today's
class with that rule taken out, under the same workflow name, on a worker of its own), and then
replayed by today's workflows. A rule added where replay runs it (when an action leaves the
inbox, or in the lifecycle) without ``workflow.patched`` makes the replay fail here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date
from decimal import Decimal

import asyncpg
import pytest_asyncio
from dateutil.relativedelta import relativedelta
from temporalio import workflow
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from config.settings import Settings
from domain.case import CaseOutcome
from domain.commands import Command, CompleteChecklistItem, StartCase
from domain.compensation import Calculation
from domain.lifecycle import CALCULATION_FAILED, Action, CaseKind, CaseState
from domain.money import MAX_AMOUNT
from domain.officer import PensionScheme
from domain.people import Tier
from domain.policy import PensionAge
from tests.helpers.cases import (
    CASEWORKER,
    EXECUTIVE_APPROVER,
    HR_APPROVER,
    HR_MANAGER,
    POLICY,
    Case,
    stand_in_worker,
)
from tests.helpers.officers import officer
from tests.helpers.temporal import TEST_CONVERTER
from tests.workflows.test_efficiency_retirement import (
    LONG_SERVING,
    PROPOSAL,
    in_force,
    on,
    propose,
    to_exit_processing,
)
from tests.workflows.test_voluntary_exit import issue_14_officer, refused
from worker import WORKFLOWS
from workflows.case_workflow import CaseWorkflow
from workflows.efficiency_retirement import EfficiencyRetirementWorkflow
from workflows.voluntary_exit import VoluntaryExitWorkflow

_YEAR = 2093


class _BeforeCurrentPatches(CaseWorkflow):
    """What every stand-in was: a workflow from before ``CURRENT_PATCHES``, which checked each
    patch on its own (today's class would take every patched branch on that one marker)."""

    def _on_current_patches(self) -> bool:
        return False


@workflow.defn(name="EfficiencyRetirementWorkflow")
class _EfficiencyBeforeChecklistRules(_BeforeCurrentPatches, EfficiencyRetirementWorkflow):
    """Efficiency cases before they shared the checklist rules: any item, any number of times."""

    @workflow.run
    async def run(self, start: StartCase) -> CaseOutcome:
        return await super().run(start)

    def _validate(self, action: Action, command: Command, *, queued: bool) -> None:
        if isinstance(command, CompleteChecklistItem):
            CaseWorkflow._validate(self, action, command, queued=queued)
        else:
            super()._validate(action, command, queued=queued)


@workflow.defn(name="VoluntaryExitWorkflow")
class _VoluntaryBeforeAmountLimit(_BeforeCurrentPatches, VoluntaryExitWorkflow):
    """Voluntary exit before amounts over MAX_AMOUNT stopped the case."""

    @workflow.run
    async def run(self, start: StartCase) -> CaseOutcome:
        return await super().run(start)

    def _check_amount(self, calculation: Calculation) -> None:
        pass


@pytest_asyncio.fixture(loop_scope="session")
async def earlier_start_case(
    client: Client, pool: asyncpg.Pool, settings: Settings
) -> AsyncIterator[Callable[..., Awaitable[Case]]]:
    stand_ins = (_EfficiencyBeforeChecklistRules, _VoluntaryBeforeAmountLimit)
    async with stand_in_worker(client, pool, settings, *stand_ins) as start:
        yield start


async def _replays_today(case: Case) -> None:
    history = await case.handle.fetch_history()
    replayer = Replayer(workflows=WORKFLOWS, data_converter=TEST_CONVERTER)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, result.replay_failure


async def test_an_efficiency_case_that_ticked_a_system_item_again_replays(
    earlier_start_case, pool, time_skipping_env: WorkflowEnvironment
) -> None:
    await in_force(pool, _YEAR)
    case = await propose(earlier_start_case, _YEAR)
    await to_exit_processing(case, time_skipping_env)
    # Before the rule, a person could tick an item the system had already recorded.
    await case.act(Action.COMPLETE_CHECKLIST_ITEM, CASEWORKER, item="payroll_instruction")
    view = await case.view()
    assert [e.item.value for e in view.checklist].count("payroll_instruction") == 2

    await _replays_today(case)


# Three months' pay over the cap of 36 months, on £400,000: £1.2M, more than a case may carry.
_OVER_THE_LIMIT = POLICY.model_copy(
    update={
        "cap_months_below_pension_age": Decimal(36),
        "cap_months_at_pension_age": Decimal(36),
        "tariff_weeks_per_year": Decimal(52),
    }
)
_OVERPAID = {"annual_pay": Decimal("400000.00")}


async def test_a_voluntary_case_that_calculated_over_the_limit_replays(
    earlier_start_case, start_case
) -> None:
    case = await earlier_start_case(officer(**_OVERPAID), policy=_OVER_THE_LIMIT)
    await case.wait_for(CaseState.HR_REVIEW)
    view = await case.act(Action.REVIEW, CASEWORKER, decision="proceed")
    assert view.state is CaseState.APPROVAL
    assert view.calculation is not None and view.calculation.amount > MAX_AMOUNT

    await _replays_today(case)

    # Today's workflow stops such a case for a person instead.
    case = await start_case(officer(**_OVERPAID), policy=_OVER_THE_LIMIT)
    await case.wait_for(CaseState.HR_REVIEW)
    refusal = await refused(case, Action.REVIEW, CASEWORKER, decision="proceed")
    assert "needs attention" in refusal.detail
    view = await case.view()
    assert (view.state, view.needs_attention) == (CaseState.HR_REVIEW, CALCULATION_FAILED)
    assert view.calculation is None


@workflow.defn(name="EfficiencyRetirementWorkflow")
class _EfficiencyBeforeSchemeMinimum(_BeforeCurrentPatches, EfficiencyRetirementWorkflow):
    """Efficiency cases before the minimum service was per scheme: 30 years for every scheme."""

    @workflow.run
    async def run(self, start: StartCase) -> CaseOutcome:
        return await super().run(start)

    def _pensionable_service(self) -> bool:
        return False


@workflow.defn(name="VoluntaryExitWorkflow")
class _VoluntaryBeforePensionableService(_BeforeCurrentPatches, VoluntaryExitWorkflow):
    """Voluntary exit before pensionable service and the 1987 pension age at 50."""

    @workflow.run
    async def run(self, start: StartCase) -> CaseOutcome:
        return await super().run(start)

    def _pensionable_service(self) -> bool:
        return False


@pytest_asyncio.fixture(loop_scope="session")
async def before_service_rules(
    client: Client, pool: asyncpg.Pool, settings: Settings
) -> AsyncIterator[Callable[..., Awaitable[Case]]]:
    stand_ins = (_EfficiencyBeforeSchemeMinimum, _VoluntaryBeforePensionableService)
    async with stand_in_worker(client, pool, settings, *stand_ins) as start:
        yield start


async def test_an_efficiency_case_of_the_2015_scheme_that_passed_the_one_minimum_replays(
    before_service_rules, pool
) -> None:
    """Under the one 30-year minimum a 2015-scheme officer with long service passed the
    precondition; today's rule would refuse the scheme, so only the patch keeps this replaying."""
    await in_force(pool, _YEAR + 2)
    case = await propose(before_service_rules, _YEAR + 2, pension_scheme=PensionScheme.P2015)
    await case.wait_for(CaseState.DECISION_PENDING)

    await _replays_today(case)


async def test_a_voluntary_case_calculated_by_calendar_days_replays(
    before_service_rules, today: date
) -> None:
    """Issue 14's 1987 officer (52, 28 years, £90,000), under a policy of the time (1987
    pension age at 30 years), was quoted 18 months: 90,000 / 12 x 18 = £135,000."""
    leaving = today + relativedelta(months=2)
    subject = issue_14_officer(leaving)
    then = POLICY.model_copy(
        update={
            "pension_age": POLICY.pension_age | {PensionScheme.P1987: PensionAge(service_years=30)}
        }
    )
    case = await before_service_rules(subject, leaving_date=leaving, policy=then)
    await case.wait_for(CaseState.HR_REVIEW)
    view = await case.act(Action.REVIEW, CASEWORKER, decision="proceed")
    assert view.calculation is not None and view.calculation.amount == Decimal("135000.00")
    assert view.required_tiers == [Tier.HR, Tier.FINANCE, Tier.EXECUTIVE]
    # Today's rule (£45,000: HR alone) would make the offer here; the case waits for finance.
    view = await case.act(Action.APPROVE, HR_APPROVER)
    assert view.state is CaseState.APPROVAL

    await _replays_today(case)


@workflow.defn(name="EfficiencyRetirementWorkflow")
class _EfficiencyBeforePolicyServiceYear(_BeforeCurrentPatches, EfficiencyRetirementWorkflow):
    """Efficiency cases when the precondition counted its own 365-day service year."""

    @workflow.run
    async def run(self, start: StartCase) -> CaseOutcome:
        return await super().run(start)

    def _service_year(self) -> int:
        return 365


@pytest_asyncio.fixture(loop_scope="session")
async def before_policy_service_year(  # type: ignore[no-untyped-def]
    client: Client, pool: asyncpg.Pool, settings: Settings
) -> AsyncIterator:
    async with stand_in_worker(client, pool, settings, _EfficiencyBeforePolicyServiceYear) as start:
        yield start


async def test_an_efficiency_case_that_counted_365_day_years_replays(
    before_policy_service_year, pool, today: date
) -> None:
    """30 x 365 = 10,950 days of 1987-scheme service met the 30-year minimum in 365-day years;
    under its policy's 366-day year they are 29.92, so only the patch keeps this replaying."""
    await in_force(pool, _YEAR + 4)
    subject = officer(
        **LONG_SERVING,
        pension_scheme=PensionScheme.P1987,
        pensionable_service_days=30 * 365,
        service_as_of=today,
    )
    case = await before_policy_service_year(
        subject,
        kind=CaseKind.EFFICIENCY_RETIREMENT,
        created_by=HR_MANAGER,
        proposal=PROPOSAL,
        policy=POLICY.model_copy(update={"days_per_service_year": 366}),
        now=on(_YEAR + 4),
    )
    await case.wait_for(CaseState.DECISION_PENDING)
    # An action after the check, so that a replay closing the case there would diverge.
    view = await case.act(
        Action.DECIDE, EXECUTIVE_APPROVER, decision="serve_notice", reason="assessed"
    )
    assert view.state is CaseState.NOTICE_SERVED

    await _replays_today(case)
