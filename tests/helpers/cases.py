"""Cases on a Temporal server, driven through the service as the API drives them: the people
who act on them, a policy whose window is always open, and workers for stand-in workflows."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from activities.cases import CaseActivities
from config.settings import Settings
from domain.case import Application, CaseView, case_id_from
from domain.commands import COMMANDS, StartCase
from domain.efficiency import Proposal
from domain.lifecycle import Action, CaseKind, CaseState
from domain.officer import Officer, Rank
from domain.people import Actor, Role, Tier
from domain.policy import SchemePolicy, load_bundled_policy
from service.cases import act, open_case
from store.cases import insert_submitted
from store.officers import upsert_officers
from tests.helpers.officers import officer
from tests.helpers.temporal import terminate_when_idle
from worker import case_step_activities, letter_worker
from workflows.voluntary_exit import VoluntaryExitWorkflow

CASEWORKER = Actor(user_id="u_caseworker", role=Role.CASEWORKER)
OTHER_CASEWORKER = Actor(user_id="u_caseworker2", role=Role.CASEWORKER)
HR_MANAGER = Actor(user_id="u_manager", role=Role.HR_MANAGER)
HR_APPROVER = Actor(user_id="u_hr", role=Role.APPROVER, tier=Tier.HR)
FINANCE_APPROVER = Actor(user_id="u_finance", role=Role.APPROVER, tier=Tier.FINANCE)
EXECUTIVE_APPROVER = Actor(user_id="u_exec", role=Role.APPROVER, tier=Tier.EXECUTIVE)
APPROVERS = {
    Tier.HR: HR_APPROVER,
    Tier.FINANCE: FINANCE_APPROVER,
    Tier.EXECUTIVE: EXECUTIVE_APPROVER,
}


# The default policy, with an application window that stays open whenever the tests run.
POLICY = load_bundled_policy().model_copy(
    update={
        "version": "test",
        "application_opens": date(2000, 1, 1),
        "application_closes": date(2099, 12, 31),
    }
)


_WORKFLOW_TASK_EVENTS = frozenset(
    {
        EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
        EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
        EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
    }
)


@dataclass
class Case:
    """A case under test and the people around it."""

    client: Client
    pool: asyncpg.Pool
    case_id: str
    officer: Actor

    @property
    def handle(self) -> WorkflowHandle:
        return self.client.get_workflow_handle_for(VoluntaryExitWorkflow.run, self.case_id)

    async def act(self, action: Action, actor: Actor, **body: object) -> CaseView:
        command = COMMANDS[action].model_validate({"actor": actor, **body})
        return await act(self.client, self.pool, self.case_id, action, command)

    async def view(self) -> CaseView:
        return await self.handle.query("case", result_type=CaseView)

    async def wait_for(self, state: CaseState) -> CaseView:
        """Poll the workflow until it reaches ``state`` (automatic steps run in the background)."""
        async with asyncio.timeout(10):
            while (view := await self.view()).state is not state:
                await asyncio.sleep(0.05)
        return view

    async def audit_actions(self) -> list[str]:
        rows = await self.pool.fetch(
            "SELECT action FROM audit_events WHERE case_id = $1 ORDER BY seq", self.case_id
        )
        return [r["action"] for r in rows]

    async def exit_events(self) -> list[tuple[str, str | None]]:
        """The audit log from the leaving date on: each action, and the checklist item it ticks."""
        rows = await self.pool.fetch(
            "SELECT action, details->>'item' AS item FROM audit_events WHERE case_id = $1 "
            "AND seq > (SELECT seq FROM audit_events WHERE case_id = $1 "
            "AND action = 'leaving_date_reached') ORDER BY seq",
            self.case_id,
        )
        return [(r["action"], r["item"]) for r in rows]

    async def history_length(self) -> int:
        """Events that change the case. Workflow-task events are left out: the time-skipping
        server writes a task for every Update, even one its validator rejects, where a real
        server discards that speculative task."""
        history = await self.handle.fetch_history()
        return sum(1 for e in history.events if e.event_type not in _WORKFLOW_TASK_EVENTS)


CaseStarter = Callable[..., Awaitable[Case]]


def case_starter(client: Client, pool: asyncpg.Pool, settings: Settings) -> CaseStarter:
    """Starts cases on ``settings.task_queue`` (another worker's queue, if a test runs one)."""

    async def start(
        subject: Officer | None = None,
        *,
        leaving_date: date | None = None,
        statement: str | None = None,
        created_by: Actor = CASEWORKER,
        policy: SchemePolicy = POLICY,
        kind: CaseKind = CaseKind.VOLUNTARY_EXIT,
        proposal: Proposal | None = None,
        now: datetime | None = None,
    ) -> Case:
        subject = subject or officer()
        await upsert_officers(pool, [subject])
        view = await open_case(
            pool,
            client,
            settings,
            officer_id=subject.officer_id,
            kind=kind,
            application=Application(leaving_date=leaving_date, statement=statement),
            actor=created_by,
            policy=policy,
            proposal=proposal,
            now=now,
        )
        officer_actor = Actor(
            user_id=f"u_{subject.officer_id}", role=Role.OFFICER, officer_id=subject.officer_id
        )
        return Case(client, pool, view.case_id, officer_actor)

    return start


@asynccontextmanager
async def own_cases(
    client: Client, pool: asyncpg.Pool, settings: Settings
) -> AsyncIterator[CaseStarter]:
    """A starter for cases on a test's own worker's queue (``settings.task_queue``), whose
    cases are ended when the block ends: enter it inside that worker's block, so that it ends
    them while the worker still runs (``terminate_when_idle`` says why)."""
    started: list[Case] = []
    start = case_starter(client, pool, settings)

    async def starting(*args: Any, **kwargs: Any) -> Case:
        started.append(case := await start(*args, **kwargs))
        return case

    try:
        yield starting
    finally:
        for case in started:
            await terminate_when_idle(case.handle)


@asynccontextmanager
async def stand_in_worker(
    client: Client, pool: asyncpg.Pool, settings: Settings, *workflows: type
) -> AsyncIterator[CaseStarter]:
    """A worker of its own for stand-ins of the workflows (named as they are, with a rule
    changed), and a starter for cases it runs, ended before the worker stops."""
    own = settings.model_copy(update={"task_queue": f"stand-in-{secrets.token_hex(3)}"})
    async with (
        Worker(
            client,
            task_queue=own.task_queue,
            workflows=list(workflows),
            activities=case_step_activities(CaseActivities(pool)),
            # Stand-ins live in test modules, which the sandbox would import again.
            workflow_runner=UnsandboxedWorkflowRunner(),
        ),
        letter_worker(client, pool, own),
        own_cases(client, pool, own) as start,
    ):
        yield start


async def left_the_force(pool: asyncpg.Pool, officer_id: str, rank: Rank) -> str:
    """A case of the officer's, in the read model only, whose exit was completed: the state
    every rule about leavers reads, without running a whole case to its leaving date."""
    start = StartCase(
        case_id=case_id_from(secrets.randbits(64)),
        officer_id=officer_id,
        rank=rank,
        policy=POLICY,
        created_by=CASEWORKER,
    )
    view = start.submitted_view(datetime.now(UTC)).model_copy(update={"state": CaseState.COMPLETED})
    async with pool.acquire() as connection, connection.transaction():
        await insert_submitted(connection, view)
    return view.case_id
