"""The events a case's workflow handed its activities to record, read from its Temporal history.

The history is the witness the audit tests check the log against: every transition is a
scheduled activity whose input the history keeps. ``record_event`` takes the event itself;
``record_event_with_letter`` takes it without its letter, and the letter the activity wrote is
its result, so such an event is rebuilt as recorded (``CaseEvent.with_letter``) once that
result is in the history.
"""

from __future__ import annotations

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from domain.documents import LetterRef
from domain.letters import LetteredEvent
from domain.records import CaseEvent


async def recorded_events(client: Client, case_id: str) -> list[CaseEvent]:
    """In the order the workflow scheduled them; one whose letter is not written yet has none."""
    events: list[CaseEvent] = []
    lettered: dict[int, tuple[int, LetteredEvent]] = {}  # scheduled event id -> (index, input)
    async for event in client.get_workflow_handle(case_id).fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            scheduled = event.activity_task_scheduled_event_attributes
            payloads = list(scheduled.input.payloads)
            if scheduled.activity_type.name == "record_event":
                events += await client.data_converter.decode(payloads, [CaseEvent])
            elif scheduled.activity_type.name == "record_event_with_letter":
                (one,) = await client.data_converter.decode(payloads, [LetteredEvent])
                lettered[event.event_id] = (len(events), one)
                events.append(one.event)
        elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            completed = event.activity_task_completed_event_attributes
            if completed.scheduled_event_id in lettered:
                index, one = lettered[completed.scheduled_event_id]
                (ref,) = await client.data_converter.decode(
                    list(completed.result.payloads), [LetterRef]
                )
                events[index] = one.event.with_letter(ref)
    return events
