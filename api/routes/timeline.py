"""A case's timeline for auditors: its audit events and paper trail (notes, evidence files,
representative nominations) merged with what Temporal's history shows (timers, activities,
updates) while the history is still retained."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.service import RPCError, RPCStatusCode

from api.access import ALLOW, VisibleCase
from api.auth import Principal
from api.authz import Operation
from api.deps import Pool, Temporal
from api.problems import ProblemError, problem_responses
from store import case_queries, paper_trail

router = APIRouter(prefix="/v1", tags=["audit"])


Source = Literal["audit", "note", "evidence", "representative", "temporal"]


class TimelineEntry(BaseModel):
    at: datetime
    source: Source
    kind: str = Field(
        description="The audit action, the Temporal event type, or what the paper trail "
        "recorded (note_added, evidence_attached, representative_nominated or _withdrawn)."
    )
    detail: dict[str, Any] = {}


class Timeline(BaseModel):
    case_id: str
    history_available: bool = Field(
        description="False once Temporal's retention has deleted the closed workflow's history: "
        "the audit events remain."
    )
    entries: list[TimelineEntry]


# What shows the case's clockwork. Workflow-task events are the engine's bookkeeping.
_SHOWN = frozenset(
    {
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
        EventType.EVENT_TYPE_TIMER_STARTED,
        EventType.EVENT_TYPE_TIMER_FIRED,
        EventType.EVENT_TYPE_TIMER_CANCELED,
        EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
        EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
        EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED,
        EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
        EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED,
    }
)


def _temporal_entry(event: HistoryEvent, activities: dict[int, str]) -> TimelineEntry | None:
    """One history event as a timeline entry: names and times only. Payloads are encrypted and
    may hold personal data, so they are never decoded here."""
    if event.event_type not in _SHOWN:
        return None
    at = event.event_time.ToDatetime(tzinfo=UTC)
    kind = EventType.Name(event.event_type).removeprefix("EVENT_TYPE_").lower()
    detail: dict[str, Any] = {"event_id": event.event_id}
    if event.HasField("timer_started_event_attributes"):
        timer = event.timer_started_event_attributes
        after = timer.start_to_fire_timeout.ToTimedelta()
        detail |= {"timer_id": timer.timer_id, "fires_at": (at + after).isoformat()}
    elif event.HasField("timer_fired_event_attributes"):
        detail |= {"timer_id": event.timer_fired_event_attributes.timer_id}
    elif event.HasField("timer_canceled_event_attributes"):
        detail |= {"timer_id": event.timer_canceled_event_attributes.timer_id}
    elif event.HasField("activity_task_scheduled_event_attributes"):
        name = event.activity_task_scheduled_event_attributes.activity_type.name
        activities[event.event_id] = name
        detail |= {"activity": name}
    elif event.HasField("activity_task_completed_event_attributes"):
        scheduled = event.activity_task_completed_event_attributes.scheduled_event_id
        detail |= {"activity": activities.get(scheduled)}
    elif event.HasField("activity_task_failed_event_attributes"):
        failed = event.activity_task_failed_event_attributes
        detail |= {"activity": activities.get(failed.scheduled_event_id)}
    elif event.HasField("activity_task_timed_out_event_attributes"):
        timed_out = event.activity_task_timed_out_event_attributes
        detail |= {"activity": activities.get(timed_out.scheduled_event_id)}
    elif event.HasField("workflow_execution_update_accepted_event_attributes"):
        request = event.workflow_execution_update_accepted_event_attributes.accepted_request
        detail |= {"update": request.input.name}
    elif event.HasField("workflow_execution_signaled_event_attributes"):
        detail |= {"signal": event.workflow_execution_signaled_event_attributes.signal_name}
    elif event.HasField("start_child_workflow_execution_initiated_event_attributes"):
        child = event.start_child_workflow_execution_initiated_event_attributes
        detail |= {"workflow_id": child.workflow_id}
    return TimelineEntry(at=at, source="temporal", kind=kind, detail=detail)


def _recorded(source: Source, kind: str, row: BaseModel, at: str) -> TimelineEntry:
    """A paper-trail row as a timeline entry: its own fields, less the case and the time."""
    return TimelineEntry(
        at=getattr(row, at),
        source=source,
        kind=kind,
        detail=row.model_dump(mode="json", exclude={"case_id", at}),
    )


async def _paper_trail(pool: Any, case_id: str) -> list[TimelineEntry]:
    notes = await paper_trail.list_notes(pool, case_id)
    files = await paper_trail.list_evidence(pool, case_id)
    rows = await paper_trail.nominations(pool, case_id)
    return [
        *(_recorded("note", "note_added", note, "added_at") for note in notes),
        *(_recorded("evidence", "evidence_attached", file, "added_at") for file in files),
        *(
            _recorded(
                "representative",
                "representative_nominated" if row.representative_id else "representative_withdrawn",
                row,
                "at",
            )
            for row in rows
        ),
    ]


async def timeline_of(pool: Any, client: Any, case_id: str) -> Timeline:
    """The case's timeline: what the route shows and the subject access export holds."""
    entries = [
        TimelineEntry(
            at=event.occurred_at,
            source="audit",
            kind=event.action,
            detail={
                "seq": event.seq,
                "actor_user_id": event.actor_user_id,
                "actor_role": event.actor_role,
                "on_behalf_of": event.on_behalf_of,
                "from_state": event.from_state,
                "to_state": event.to_state,
                "reason": event.reason,
                "details": event.details,
            },
        )
        for event in await case_queries.case_audit(pool, case_id, limit=100_000)
    ]
    entries += await _paper_trail(pool, case_id)
    history_available = True
    activities: dict[int, str] = {}
    from_history: list[TimelineEntry] = []
    try:
        async for event in client.get_workflow_handle(case_id).fetch_history_events():
            entry = _temporal_entry(event, activities)
            if entry is not None:
                from_history.append(entry)
    except RPCError as error:
        if error.status is not RPCStatusCode.NOT_FOUND:
            raise ProblemError(
                503, "the workflow history cannot be read just now: try again shortly"
            ) from None
        # Retention has deleted the closed workflow's history: the audit log is the record.
        history_available = False
    # Stable sort: at one instant, the service's records come before Temporal's.
    entries = sorted(entries + from_history, key=lambda e: (e.at, e.source == "temporal"))
    return Timeline(case_id=case_id, history_available=history_available, entries=entries)


@router.get(
    "/cases/{case_id}/timeline",
    response_model=Timeline,
    summary="A case's timeline",
    description="Audit events, notes, evidence files and representative nominations, and the "
    "workflow's timers, activities and updates from Temporal history, in time order, each "
    "marked by source.",
    responses=problem_responses(401, 403, 404, 503),
)
async def case_timeline(
    user: Annotated[Principal, ALLOW[Operation.CASES_TIMELINE]],
    view: VisibleCase,
    pool: Pool,
    client: Temporal,
) -> Timeline:
    return await timeline_of(pool, client, view.case_id)
