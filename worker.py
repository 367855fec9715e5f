"""The worker: runs the case workflows and their activities, and delivers notifications.

Run as many as you like, on as many hosts: Temporal shares the work among them, and the
notifier's claims (SELECT ... FOR UPDATE SKIP LOCKED) never deliver one notice twice.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from contextlib import suppress

import asyncpg
import structlog
from temporalio.client import Client
from temporalio.worker import Worker

from activities.cases import CaseActivities
from activities.letters import LetterActivities
from activities.linking import CaseOpener
from activities.logging import CaseLoggingInterceptor
from activities.notifier import Notifier
from activities.schemes import SchemeActivities
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


def build_worker(client: Client, pool: asyncpg.Pool, settings: Settings) -> Worker:
    activities = CaseActivities(pool)
    letters = LetterActivities(pool)
    opener = CaseOpener(client, pool, settings)
    scheme_activities = SchemeActivities(pool)
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=WORKFLOWS,
        interceptors=[CaseLoggingInterceptor()],
        activities=[
            activities.record_event,
            activities.load_officer,
            activities.has_other_open_case,
            activities.entry_facts,
            activities.hand_off_exit,
            letters.issue_letter,
            letters.record_event_with_letter,
            opener.open_voluntary_case,
            scheme_activities.list_invitees,
            scheme_activities.invite_officers,
            scheme_activities.remind_invited,
            scheme_activities.budget_position,
        ],
    )


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
    try:
        async with build_worker(client, pool, settings):
            notifying = asyncio.create_task(notifier.run_until(stop))
            log.info("worker started", task_queue=settings.task_queue)
            await stop.wait()
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
