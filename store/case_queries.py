"""Reads of the case read model for lists, inboxes and the audit log.

Lists page by keyset on columns that never change for a row (a case's ``created_at`` and id, an
audit event's ``seq``), so a case moving state while someone pages cannot be shown twice or
skipped: it is simply shown as it is when its page is read.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import asyncpg
from pydantic import BaseModel, Field, TypeAdapter

from domain.lifecycle import CaseKind, CaseState
from domain.money import Money
from domain.officer import Rank
from domain.people import Role, Tier

# Tasks without a deadline sort after every dated one.
_NO_DUE = datetime.fromisoformat("9999-12-31T00:00:00+00:00")


class CaseSummary(BaseModel):
    """One row of a case list: enough to choose which case to open, no personal data."""

    case_id: str
    kind: CaseKind
    state: CaseState
    officer_id: str
    rank: Rank
    policy_version: str
    version: int
    created_at: datetime
    updated_at: datetime
    due_at: datetime | None = Field(description="Soonest deadline of the case's open work.")
    overdue: bool
    leaving_date: date | None
    amount: Money | None = Field(description="Compensation on the table, once calculated.")
    needs_attention: str | None = Field(
        default=None, description="Why the case stopped for a person to look at it, if it did."
    )


_SUMMARIES = TypeAdapter(list[CaseSummary])


class CaseCursor(BaseModel):
    created_at: datetime
    case_id: str


class TaskItem(BaseModel):
    """Open work waiting for the caller."""

    case_id: str
    kind: str
    case_kind: CaseKind
    case_state: CaseState
    assignee_role: Role
    assignee_tier: Tier | None
    assignee_user_id: str | None
    opened_at: datetime
    remind_at: datetime | None
    due_at: datetime | None
    overdue: bool
    reminded: bool
    escalated: bool


class TaskCursor(BaseModel):
    due_key: datetime
    case_id: str
    kind: str


class AuditEvent(BaseModel):
    event_id: int
    case_id: str
    seq: int
    action: str
    actor_user_id: str
    actor_role: str
    on_behalf_of: str | None
    from_state: str | None
    to_state: str
    reason: str | None
    details: dict[str, Any]
    occurred_at: datetime
    recorded_at: datetime
    prev_hash: str | None
    hash: str


AUDIT_COLUMNS = (
    "event_id, case_id, seq, action, actor_user_id, actor_role, on_behalf_of, from_state, "
    "to_state, reason, details, occurred_at, recorded_at, prev_hash, hash"
)


def _amount(text: str | None) -> Decimal | None:
    return Decimal(text) if text is not None else None


def list_cases_statement(
    *,
    limit: int,
    after: CaseCursor | None = None,
    officer_id: str | None = None,
    represented_by: str | None = None,
    state: CaseState | None = None,
    kind: CaseKind | None = None,
    rank: Rank | None = None,
    overdue: bool | None = None,
    needs_attention: bool = False,
) -> tuple[str, list[object]]:
    """The list query and its arguments: newest first, ``limit`` rows after the cursor, filtered.

    The WHERE clause names only the filters given: one statement per combination, each with a
    plan that can use an index. (A catch-all ``($n IS NULL OR col = $n)`` form lets PostgreSQL
    settle on a generic plan that scans every case.)
    """
    conditions: list[str] = []
    arguments: list[object] = []

    def where(condition: str, *values: object) -> None:
        arguments.extend(values)
        placeholders = [f"${len(arguments) - len(values) + i + 1}" for i in range(len(values))]
        conditions.append(condition.format(*placeholders))

    if after is not None:
        where("(created_at, case_id) < ({}, {})", after.created_at, after.case_id)
    for column, value in (("officer_id", officer_id), ("state", state), ("kind", kind)):
        if value is not None:
            where(f"{column} = {{}}", str(value))
    if represented_by is not None:
        # The cases whose nomination in force (their latest row) names the representative.
        where(
            """case_id IN (SELECT n.case_id FROM case_representatives n
                           WHERE n.representative_id = {}
                             AND n.nomination_id = (SELECT max(l.nomination_id)
                                                    FROM case_representatives l
                                                    WHERE l.case_id = n.case_id))""",
            represented_by,
        )
    if rank is not None:
        where("rank = {}", rank.value)
    if overdue is True:
        conditions.append("due_at < now()")
    elif overdue is False:
        conditions.append("(due_at IS NULL OR due_at >= now())")
    if needs_attention:
        conditions.append("needs_attention IS NOT NULL AND is_open")
    arguments.append(limit)
    statement = f"""SELECT case_id, kind, state, officer_id, rank, policy_version, version,
                   created_at, updated_at, due_at, leaving_date, needs_attention,
                   coalesce(due_at < now(), false) AS overdue,
                   coalesce(view #>> '{{adjustment,amount}}', view #>> '{{calculation,amount}}')
                       AS amount
            FROM cases
            WHERE {" AND ".join(conditions) or "true"}
            ORDER BY created_at DESC, case_id DESC
            LIMIT ${len(arguments)}"""  # noqa: S608 - conditions are fixed text; values are bound
    return statement, arguments


async def list_cases(pool: asyncpg.Pool, **filters: Any) -> list[CaseSummary]:
    """The cases :func:`list_cases_statement` selects, as summaries."""
    statement, arguments = list_cases_statement(**filters)
    rows = await pool.fetch(statement, *arguments)
    return _SUMMARIES.validate_python([{**r, "amount": _amount(r["amount"])} for r in rows])


async def list_tasks(
    pool: asyncpg.Pool,
    *,
    user_id: str,
    role: Role,
    tier: Tier | None,
    officer_id: str | None,
    limit: int,
    after: TaskCursor | None = None,
    escalated_only: bool = False,
) -> list[TaskItem]:
    """The caller's open tasks, soonest due first (``escalated_only``: the escalated ones).

    Theirs means assigned to them by name, or to their role (and tier) and to nobody by name;
    HR managers also see every escalated task, since escalations come to them.
    """
    # The page is chosen from the tasks alone, then joined to its 50 cases: joining first had
    # PostgreSQL hash every case in the read model (a scan of all of them) to sort a few
    # thousand tasks. An officer's scope is a lookup of their cases' ids, before the limit.
    rows = await pool.fetch(
        """SELECT t.case_id, t.kind, c.kind AS case_kind, c.state AS case_state,
                  t.assignee_role, t.assignee_tier, t.assignee_user_id, t.opened_at,
                  t.remind_at, t.due_at, coalesce(t.due_at < now(), false) AS overdue,
                  t.reminded, t.escalated, t.due_key
           FROM (SELECT t.*, coalesce(t.due_at, $7) AS due_key
                 FROM tasks t
                 WHERE (t.assignee_user_id = $1
                        OR (t.assignee_user_id IS NULL AND t.assignee_role = $2
                            AND (t.assignee_tier IS NULL OR t.assignee_tier = $3))
                        OR ($2 = 'hr_manager' AND t.escalated))
                   AND ($4::text IS NULL
                        OR t.case_id IN (SELECT o.case_id FROM cases o WHERE o.officer_id = $4))
                   AND ($5::timestamptz IS NULL
                        OR (coalesce(t.due_at, $7), t.case_id, t.kind) > ($5, $6::text, $8::text))
                   AND (NOT $10 OR t.escalated)
                 ORDER BY due_key, t.case_id, t.kind
                 LIMIT $9) t
           JOIN cases c USING (case_id)
           ORDER BY t.due_key, t.case_id, t.kind""",
        user_id,
        role.value,
        tier.value if tier else None,
        officer_id,
        after.due_key if after else None,
        after.case_id if after else None,
        _NO_DUE,
        after.kind if after else None,
        limit,
        escalated_only,
    )
    return [TaskItem.model_validate(dict(r)) for r in rows]


def task_cursor(task: TaskItem) -> TaskCursor:
    return TaskCursor(due_key=task.due_at or _NO_DUE, case_id=task.case_id, kind=task.kind)


async def case_audit(
    pool: asyncpg.Pool, case_id: str, *, limit: int, after_seq: int = 0
) -> list[AuditEvent]:
    """One case's events, oldest first."""
    rows = await pool.fetch(
        f"SELECT {AUDIT_COLUMNS} FROM audit_events "  # noqa: S608 - constant column list
        "WHERE case_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
        case_id,
        after_seq,
        limit,
    )
    return [AuditEvent.model_validate(dict(r)) for r in rows]


async def stream_audit(
    pool: asyncpg.Pool,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    prefetch: int = 500,
) -> AsyncIterator[AuditEvent]:
    """Every event in [since, until), in time order, through a server-side cursor.

    Memory stays flat however long the log: rows arrive ``prefetch`` at a time.
    """
    query = (
        f"SELECT {AUDIT_COLUMNS} FROM audit_events "  # noqa: S608 - constant column list
        "WHERE ($1::timestamptz IS NULL OR occurred_at >= $1) "
        "AND ($2::timestamptz IS NULL OR occurred_at < $2) "
        "ORDER BY occurred_at, event_id"
    )
    async with pool.acquire() as connection, connection.transaction(readonly=True):
        async for row in connection.cursor(query, since, until, prefetch=prefetch):
            yield AuditEvent.model_validate(dict(row))


async def cases_by_state(pool: asyncpg.Pool) -> dict[str, int]:
    rows = await pool.fetch("SELECT state, count(*) AS n FROM cases GROUP BY state")
    return {r["state"]: r["n"] for r in rows}


async def cases_needing_attention(pool: asyncpg.Pool) -> dict[str, int]:
    """Open cases that stopped for a person to look at them, by reason."""
    rows = await pool.fetch(
        """SELECT needs_attention AS reason, count(*) AS n FROM cases
           WHERE needs_attention IS NOT NULL AND is_open GROUP BY needs_attention"""
    )
    return {r["reason"]: r["n"] for r in rows}
