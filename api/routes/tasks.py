"""The caller's inbox: open tasks on cases, soonest due first, overdue flagged."""

from __future__ import annotations

from typing import Annotated

import asyncpg
from fastapi import APIRouter

from api.access import ALLOW
from api.auth import Principal
from api.authz import Operation, officer_scope
from api.deps import Pool
from api.pagination import Limit, Page, cursor_param, decode_cursor, page_of
from api.problems import problem_responses
from store import case_queries
from store.case_queries import TaskCursor, TaskItem

router = APIRouter(prefix="/v1/tasks", tags=["tasks"])

Cursor = Annotated[str | None, cursor_param(TaskCursor)]


@router.get(
    "",
    response_model=Page[TaskItem],
    summary="My open tasks",
    description="Tasks assigned to the caller by name, or to their role (and approval tier) "
    "and to nobody by name; HR managers also get every escalated task. Soonest due first; "
    "tasks without a deadline last.",
    responses=problem_responses(401, 403, 422),
)
async def list_tasks(
    user: Annotated[Principal, ALLOW[Operation.TASKS_LIST]],
    pool: Pool,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[TaskItem]:
    return await tasks_page(pool, user, limit, cursor)


async def tasks_page(
    pool: asyncpg.Pool,
    user: Principal,
    limit: int,
    cursor: str | None,
    *,
    escalated_only: bool = False,
) -> Page[TaskItem]:
    """A page of the user's open tasks after ``cursor`` (``escalated_only``: of those
    escalated): this route's, the inbox page's and the escalations page's."""
    items = await case_queries.list_tasks(
        pool,
        user_id=user.user_id,
        role=user.role,
        tier=user.tier,
        officer_id=officer_scope(user),
        limit=limit + 1,
        after=decode_cursor(cursor, TaskCursor),
        escalated_only=escalated_only,
    )
    return page_of(items, limit, case_queries.task_cursor)
