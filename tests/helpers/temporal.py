"""The payload keys every test's Temporal client and worker share, and ending a test's own
workflows without stalling the shared time-skipping server."""

from __future__ import annotations

import asyncio
import base64
import os
from contextlib import suppress
from pathlib import Path
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode

from config.codec import encrypted_converter

# A fixed, test-only key, so that histories saved by one run replay in the next.
TEST_KEYRING = "test-1:" + base64.b64encode(b"exit-case-service-test-key-32-by").decode()
TEST_CONVERTER = encrypted_converter(TEST_KEYRING)

# Saved histories of real runs, which tests/workflows/test_replay.py replays.
HISTORIES = Path(__file__).resolve().parents[1] / "workflows" / "histories"


async def save_history(handle: WorkflowHandle[Any, Any], name: str) -> None:
    """With EXITCASES_RECORD_HISTORIES=1, keep this run's history for the replay test."""
    if os.environ.get("EXITCASES_RECORD_HISTORIES") == "1":
        history = await handle.fetch_history()
        HISTORIES.mkdir(exist_ok=True)
        (HISTORIES / f"{name}.json").write_text(history.to_json())


_TASK_IN_FLIGHT = frozenset(
    {
        EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
        EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
    }
)


# A step's tasks (a letter is the slowest, under a second) end well within this.
IDLE_WAIT_SECONDS = 15


def _closed_activity(event: HistoryEvent) -> int | None:
    """The scheduled event id of the activity this event closes, if it closes one."""
    for attributes in (
        "activity_task_completed_event_attributes",
        "activity_task_failed_event_attributes",
        "activity_task_timed_out_event_attributes",
        "activity_task_canceled_event_attributes",
    ):
        if event.HasField(attributes):
            scheduled: int = getattr(event, attributes).scheduled_event_id
            return scheduled
    return None


async def is_idle(handle: WorkflowHandle[Any, Any]) -> bool:
    """Closed, or waiting on nothing a worker is doing: no workflow task or activity open."""
    open_activities: set[int] = set()
    last: HistoryEvent | None = None
    async for event in handle.fetch_history_events():
        last = event
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            open_activities.add(event.event_id)
        elif (scheduled := _closed_activity(event)) is not None:
            open_activities.discard(scheduled)
    return not open_activities and (last is None or last.event_type not in _TASK_IN_FLIGHT)


async def terminate_when_idle(handle: WorkflowHandle[Any, Any]) -> None:
    """End a test's workflow once no task of it is in flight, before its worker stops.

    Left running, a timer of its firing later would leave a task nobody polls; terminated while
    a workflow task or activity is in flight, the time-skipping server never releases the time
    lock that task holds. Either way it then skips no more time for any later test
    (``tests/conftest.py``'s ``time_still_skips`` names the test that did it).
    """
    with suppress(TimeoutError):
        async with asyncio.timeout(IDLE_WAIT_SECONDS):
            while not await is_idle(handle):
                await asyncio.sleep(0.05)
    try:
        await handle.terminate("the test is over")
    except RPCError as error:  # NOT_FOUND: it has already closed
        if error.status is not RPCStatusCode.NOT_FOUND:
            raise
