"""The worker: runs the case workflows and their activities, renders letters, and delivers
notifications.

Run as many as you like, on as many hosts: Temporal shares the work among them, and the
notifier's claims (SELECT ... FOR UPDATE SKIP LOCKED) never deliver one notice twice. Letters
have a task queue of their own (``config.queues.letters_queue``), served here unless
``EXITCASES_WORKER_QUEUES`` says otherwise, so letter workers can run and scale apart.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager, suppress
from typing import Any

import asyncpg
import structlog
from temporalio.client import Client
from temporalio.worker import Worker

from activities.cases import CaseActivities
from activities.invitation_runs import InvitationRunActivities
from activities.letters import LetterActivities
from activities.linking import CaseOpener
from activities.logging import CaseLoggingInterceptor
from activities.notifier import Notifier
from activities.schemes import SchemeActivities
from config.queues import letters_queue
from config.runtime import connect_temporal, database_url, run_with_temporal
from config.settings import Settings
from service.kinds import KINDS
from service.namespace import NamespaceNotReady, check_namespace
from store.pool import create_pool
from workflows.efficiency_retirement import EfficiencyRetirementWorkflow
from workflows.scheme_invitations import SchemeInvitationsWorkflow
from workflows.voluntary_exit import VoluntaryExitWorkflow

log = structlog.get_logger(__name__)

# The kind registry sits below workflows/ and names each workflow by the name it is registered
# under; these are the classes behind those names.
WORKFLOW_CLASSES: dict[str, type] = {
    "VoluntaryExitWorkflow": VoluntaryExitWorkflow,
    "EfficiencyRetirementWorkflow": EfficiencyRetirementWorkflow,
}
WORKFLOWS = [
    *(WORKFLOW_CLASSES[registration.workflow] for registration in KINDS.values()),
    SchemeInvitationsWorkflow,
]


def case_step_activities(activities: CaseActivities) -> list[Callable[..., Any]]:
    """The activities a case's steps run on its own queue (its letters go to theirs)."""
    return [
        activities.record_event,
        activities.load_officer,
        activities.has_other_open_case,
        activities.entry_facts,
        activities.hand_off_exit,
    ]


def case_worker(client: Client, pool: asyncpg.Pool, settings: Settings) -> Worker:
    opener = CaseOpener(client, pool, settings)
    scheme_activities = SchemeActivities(pool, settings.public_url)
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=WORKFLOWS,
        interceptors=[CaseLoggingInterceptor()],
        activities=[
            *case_step_activities(CaseActivities(pool)),
            opener.open_voluntary_case,
            scheme_activities.list_invitees,
            scheme_activities.invite_officers,
            scheme_activities.remind_invited,
            scheme_activities.budget_position,
            InvitationRunActivities(pool).record_run_figures,
        ],
    )


def letter_worker(client: Client, pool: asyncpg.Pool, settings: Settings) -> Worker:
    letters = LetterActivities(pool)
    return Worker(
        client,
        task_queue=letters_queue(settings.task_queue),
        interceptors=[CaseLoggingInterceptor()],
        activities=[letters.issue_letter, letters.record_event_with_letter],
    )


@asynccontextmanager
async def build_worker(
    client: Client, pool: asyncpg.Pool, settings: Settings
) -> AsyncIterator[None]:
    """The workers ``settings.worker_queues`` asks for, running until the block ends."""
    async with AsyncExitStack() as workers:
        if settings.worker_queues != "letters":
            await workers.enter_async_context(case_worker(client, pool, settings))
        if settings.worker_queues != "cases":
            await workers.enter_async_context(letter_worker(client, pool, settings))
        yield


async def _serve(settings: Settings) -> None:
    client = await connect_temporal(settings)
    # Workflows it cannot start or whose attributes Temporal refuses: better not to start at all.
    await check_namespace(client)
    pool = await create_pool(database_url(settings))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    notifier = Notifier(pool, settings)
    # A letters-only process renders and nothing else; the case workers deliver the mail.
    notifies = settings.worker_queues != "letters"
    try:
        async with build_worker(client, pool, settings):
            notifying = asyncio.create_task(notifier.run_until(stop)) if notifies else None
            log.info(
                "worker started",
                task_queue=settings.task_queue,
                queues=settings.worker_queues,
            )
            await stop.wait()
            if notifying is not None:
                await notifying
    finally:
        await pool.close()
    log.info("worker stopped")


def run_worker(settings: Settings) -> int:
    try:
        with suppress(KeyboardInterrupt):
            run_with_temporal(_serve(settings))
    except NamespaceNotReady as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0
