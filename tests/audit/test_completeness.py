"""Completeness: the audit log holds exactly the transitions each workflow's Temporal history
shows, no more and no fewer, even when the activity that writes them is retried after it wrote.

The history is the independent witness: every transition the workflow made is a scheduled
``record_event`` (or ``record_event_with_letter``) activity whose input (the event) the history
keeps, whatever became of the attempts to run it (``tests.helpers.history``).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import asyncpg
import pytest_asyncio
from temporalio import activity
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.cases import CaseActivities
from activities.letters import LetterActivities
from activities.linking import CaseOpener
from config.queues import letters_queue
from config.settings import Settings
from domain.documents import LetterRef
from domain.letters import LetteredEvent
from domain.lifecycle import Action, CaseState
from domain.records import CaseEvent
from store import audit
from store.audit import timestamp
from tests.helpers.cases import APPROVERS, CASEWORKER, Case, CaseStarter, own_cases
from tests.helpers.history import recorded_events
from worker import WORKFLOWS

Transition = tuple[Any, ...]


def _transition(
    seq: int,
    action: str,
    actor: tuple[str, str, str | None],
    states: tuple[str | None, str],
    reason: str | None,
    details: dict[str, Any],
    occurred_at: str,
) -> Transition:
    # details through JSON, as the database keeps them (key order, number forms).
    return (seq, action, actor, states, reason, json.dumps(details, sort_keys=True), occurred_at)


async def recorded_in_history(client: Client, case_id: str) -> list[Transition]:
    """Every event the workflow handed its activities to record, decoded from its history."""
    transitions = []
    for recorded in await recorded_events(client, case_id):
        entry = recorded.audit
        transitions.append(
            _transition(
                entry.seq,
                entry.action,
                (entry.actor.user_id, entry.actor.role.value, entry.actor.on_behalf_of),
                (
                    entry.from_state.value if entry.from_state else None,
                    entry.to_state.value if entry.to_state else "not_started",
                ),
                entry.reason,
                json.loads(json.dumps(entry.details)),
                timestamp(entry.occurred_at),
            )
        )
    return transitions


async def in_audit_log(pool: asyncpg.Pool, case_id: str) -> list[Transition]:
    rows = await pool.fetch("SELECT * FROM audit_events WHERE case_id = $1 ORDER BY seq", case_id)
    return [
        _transition(
            r["seq"],
            r["action"],
            (r["actor_user_id"], r["actor_role"], r["on_behalf_of"]),
            (r["from_state"], r["to_state"]),
            r["reason"],
            r["details"],
            timestamp(r["occurred_at"]),
        )
        for r in rows
    ]


class FlakyRecorder:
    """Writes the event, then fails the first attempt as if the acknowledgement were lost:
    the retry must find the event there and write nothing twice."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.real = CaseActivities(pool)
        self.letters = LetterActivities(pool)
        self.failed_after_writing = 0

    def _fail_the_first_attempt(self) -> None:
        if activity.info().attempt == 1:
            self.failed_after_writing += 1
            raise RuntimeError("lost the acknowledgement after writing")

    @activity.defn(name="record_event")
    async def record_event(self, event: CaseEvent) -> None:
        await self.real.record_event(event)
        self._fail_the_first_attempt()

    @activity.defn(name="record_event_with_letter")
    async def record_event_with_letter(self, lettered: LetteredEvent) -> LetterRef:
        ref = await self.letters.record_event_with_letter(lettered)
        self._fail_the_first_attempt()
        return ref


@pytest_asyncio.fixture(loop_scope="session")
async def flaky(
    time_skipping_env: WorkflowEnvironment, pool: asyncpg.Pool
) -> AsyncIterator[tuple[CaseStarter, FlakyRecorder]]:
    """A worker of its own task queue whose record_event fails every first attempt, and a
    starter for its cases."""
    settings = Settings(task_queue=f"flaky-{secrets.token_hex(3)}")
    recorder = FlakyRecorder(pool)
    real = recorder.real
    worker = Worker(
        time_skipping_env.client,
        task_queue=settings.task_queue,
        workflows=WORKFLOWS,
        activities=[
            recorder.record_event,
            real.load_officer,
            real.has_other_open_case,
            real.entry_facts,
            real.hand_off_exit,
            CaseOpener(time_skipping_env.client, pool, settings).open_voluntary_case,
        ],
    )
    # The letters' own queue (config.queues), with the same flaky recording.
    letters = Worker(
        time_skipping_env.client,
        task_queue=letters_queue(settings.task_queue),
        activities=[recorder.record_event_with_letter, recorder.letters.issue_letter],
    )
    async with worker, letters, own_cases(time_skipping_env.client, pool, settings) as start:
        yield start, recorder


async def _start(start: CaseStarter) -> Case:
    case = await start(statement="«ready» — ok")
    await case.wait_for(CaseState.HR_REVIEW)
    return case


async def test_every_transition_is_logged_exactly_once_despite_retries(
    flaky: tuple[CaseStarter, FlakyRecorder],
    client: Client,
    pool: asyncpg.Pool,
    time_skipping_env: WorkflowEnvironment,
) -> None:
    start, recorder = flaky
    cases: list[str] = []

    rejected = await _start(start)
    await rejected.act(Action.REVIEW, CASEWORKER, decision="reject", reason="outside the window")
    cases.append(rejected.case_id)

    withdrawn = await _start(start)
    subject_id = (await withdrawn.view()).officer_id
    on_behalf = CASEWORKER.model_copy(update={"on_behalf_of": subject_id})
    await withdrawn.act(Action.WITHDRAW, on_behalf, reason="changed my mind")
    cases.append(withdrawn.case_id)

    # Through approval to an offer that lapses: the lapse is the workflow's own timer firing.
    lapsed = await _start(start)
    await lapsed.act(Action.REVIEW, CASEWORKER, decision="proceed", reason="fits the scheme")
    for tier in (await lapsed.view()).required_tiers:
        await lapsed.act(Action.APPROVE, APPROVERS[tier])
    await time_skipping_env.sleep(timedelta(days=11))
    await lapsed.wait_for(CaseState.OFFER_LAPSED)
    assert "reminder_sent" in await lapsed.audit_actions()
    cases.append(lapsed.case_id)

    assert recorder.failed_after_writing >= 10
    for case_id in cases:
        history = await recorded_in_history(client, case_id)
        assert len(history) >= 3, case_id
        assert [t[0] for t in history] == list(range(1, len(history) + 1))
        assert await in_audit_log(pool, case_id) == history
        assert (await audit.verify(pool, case_id)).clean
