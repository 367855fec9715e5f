"""The case read model: written by activities, read by the API and the CLI.

Every write is idempotent: an activity may run twice, and events may arrive out of order, so
the view only moves forward (by ``version``) and each audit event and notice lands once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from domain.case import CaseView
from domain.lifecycle import TERMINAL_STATES, CaseKind, CaseState
from domain.people import Actor
from domain.records import AuditEntry, CaseEvent
from store.audit import append_event
from store.outbox import record_exit_instruction
from store.pool import Connection

Executor = asyncpg.Pool | Connection

# The to_state of an audited refusal to start: the case never existed.
NOT_STARTED = "not_started"


def _due_at(view: CaseView) -> Any:
    due = [t.due_at for t in view.tasks if t.due_at is not None]
    return min(due) if due else None


async def _upsert_view(connection: Connection, view: CaseView) -> bool:
    """Write the view unless a newer one is already there; return whether it was written."""
    written = await connection.fetchval(
        """INSERT INTO cases (case_id, kind, officer_id, rank, state, is_open, policy_version,
                              version, created_at, updated_at, due_at, leaving_date,
                              needs_attention, view)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
           ON CONFLICT (case_id) DO UPDATE SET
               state = EXCLUDED.state, is_open = EXCLUDED.is_open, version = EXCLUDED.version,
               updated_at = EXCLUDED.updated_at, due_at = EXCLUDED.due_at,
               leaving_date = EXCLUDED.leaving_date,
               needs_attention = EXCLUDED.needs_attention, view = EXCLUDED.view
           WHERE cases.version <= EXCLUDED.version
           RETURNING true""",
        view.case_id,
        view.kind.value,
        view.officer_id,
        view.rank.value,
        view.state.value,
        view.state not in TERMINAL_STATES,
        view.policy_version,
        view.version,
        view.created_at,
        view.updated_at,
        _due_at(view),
        view.leaving_date,
        view.needs_attention,
        view.model_dump(mode="json"),
    )
    return bool(written)


async def _replace_tasks(connection: Connection, view: CaseView) -> None:
    await connection.execute("DELETE FROM tasks WHERE case_id = $1", view.case_id)
    await connection.executemany(
        """INSERT INTO tasks (case_id, kind, assignee_role, assignee_tier, assignee_user_id,
                              opened_at, remind_at, due_at, reminded, escalated)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)""",
        [
            (
                view.case_id,
                t.kind,
                t.assignee_role.value,
                t.assignee_tier.value if t.assignee_tier else None,
                t.assignee_user_id,
                t.opened_at,
                t.remind_at,
                t.due_at,
                t.reminded,
                t.escalated,
            )
            for t in view.tasks
        ],
    )


async def insert_submitted(connection: Connection, view: CaseView) -> None:
    """The row a new case has before its workflow records anything (version 0)."""
    await _upsert_view(connection, view)


async def _insert_audit(connection: Connection, case_id: str, audit: AuditEntry) -> bool:
    """Append one audit event to the case's hash chain; False when a retry finds it there."""
    return await append_event(
        connection,
        {
            "case_id": case_id,
            "seq": audit.seq,
            "action": audit.action,
            "actor_user_id": audit.actor.user_id,
            "actor_role": audit.actor.role.value,
            "on_behalf_of": audit.actor.on_behalf_of,
            "from_state": audit.from_state.value if audit.from_state else None,
            "to_state": audit.to_state.value if audit.to_state else NOT_STARTED,
            "reason": audit.reason,
            "details": audit.details,
            "occurred_at": audit.occurred_at,
        },
    )


async def apply_event(pool: asyncpg.Pool, event: CaseEvent) -> bool:
    """Record one transition: audit event, notices, its hand-off if any, and (if newer) the
    view and its tasks.

    Returns False when the audit event was already recorded (a retried activity).
    """
    audit = event.audit
    case_id = event.view.case_id
    async with pool.acquire() as connection, connection.transaction():
        inserted = await _insert_audit(connection, case_id, audit)
        if await _upsert_view(connection, event.view):
            await _replace_tasks(connection, event.view)
        if event.hand_off is not None:
            await record_exit_instruction(connection, event.hand_off)
        await connection.executemany(
            """INSERT INTO notifications (key, case_id, recipient_role, recipient_tier,
                                          recipient_user_id, recipient_officer_id, template,
                                          subject, body, document_id)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
               ON CONFLICT (key) DO NOTHING""",
            [
                (
                    f"{case_id}:{audit.seq}:{n}",
                    case_id,
                    notice.recipient.role.value if notice.recipient.role else None,
                    notice.recipient.tier.value if notice.recipient.tier else None,
                    notice.recipient.user_id,
                    notice.recipient.officer_id,
                    notice.template,
                    notice.subject,
                    notice.body,
                    notice.document_id,
                )
                for n, notice in enumerate(event.notices)
            ],
        )
    return bool(inserted)


# As JSON text: pydantic parses it in one step, without building Python dicts first.
CASE_VIEW_STATEMENT = "SELECT view::text FROM cases WHERE case_id = $1"


async def get_case_view(executor: Executor, case_id: str) -> CaseView | None:
    text: str | None = await executor.fetchval(CASE_VIEW_STATEMENT, case_id)
    return CaseView.model_validate_json(text) if text is not None else None


# The case and the access log's record of reading it, in one statement (one round trip, one
# commit): the record is written exactly when the case is found, as by a read then an insert.
CASE_VIEW_RECORDING_ACCESS = """
    WITH found AS (SELECT view FROM cases WHERE case_id = $1),
         recorded AS (INSERT INTO access_log (user_id, role, case_id, endpoint)
                      SELECT $2, $3, $1, $4 FROM found)
    SELECT view::text FROM found"""


async def get_case_view_recording_access(
    executor: Executor, case_id: str, *, user_id: str, role: str, endpoint: str
) -> CaseView | None:
    """:func:`get_case_view`, recording the read in the access log when the case exists: for a
    reader who may see any case, so nothing need be checked between reading and recording."""
    text: str | None = await executor.fetchval(
        CASE_VIEW_RECORDING_ACCESS, case_id, user_id, role, endpoint
    )
    return CaseView.model_validate_json(text) if text is not None else None


async def get_case_views(executor: Executor, case_ids: list[str]) -> dict[str, CaseView]:
    """The views of those of ``case_ids`` that exist, by id: one query for a page of cases."""
    rows = await executor.fetch(
        "SELECT case_id, view FROM cases WHERE case_id = ANY($1::text[])", case_ids
    )
    return {row["case_id"]: CaseView.model_validate(row["view"]) for row in rows}


async def lock_officer(connection: Connection, officer_id: str) -> None:
    """Hold the officer's lock until the transaction ends: opening cases for one officer queues
    here, so two requests cannot both find no open case and both start one."""
    await connection.execute("SELECT pg_advisory_xact_lock(hashtext($1))", officer_id)


async def other_open_case(executor: Executor, officer_id: str, case_id: str) -> str | None:
    """The id of another open case of the officer, if there is one."""
    other: str | None = await executor.fetchval(
        "SELECT case_id FROM cases WHERE officer_id = $1 AND is_open AND case_id <> $2 LIMIT 1",
        officer_id,
        case_id,
    )
    return other


async def completed_exit(executor: Executor, officer_id: str) -> str | None:
    """The id of the officer's case whose exit was completed, if one was: they have left."""
    case_id: str | None = await executor.fetchval(
        "SELECT case_id FROM cases WHERE officer_id = $1 AND state = $2 LIMIT 1",
        officer_id,
        CaseState.COMPLETED.value,
    )
    return case_id


async def record_refused_start(
    pool: asyncpg.Pool,
    *,
    case_id: str,
    kind: CaseKind,
    officer_id: str,
    actor: Actor,
    reason: str,
    occurred_at: datetime,
) -> None:
    """Audit a case that was not allowed to start. It gets an id of its own, so the refusal
    stands in the log like any case's first event, but no case row and no workflow."""
    audit = AuditEntry(
        seq=1,
        action="start_refused",
        actor=actor,
        from_state=None,
        to_state=None,
        reason=reason,
        details={"kind": kind.value, "officer_id": officer_id},
        occurred_at=occurred_at,
    )
    async with pool.acquire() as connection, connection.transaction():
        await _insert_audit(connection, case_id, audit)
