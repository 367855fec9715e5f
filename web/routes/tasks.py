"""The inboxes: a caseworker's (or any staff member's) open tasks, and an approver's queue.

Both are the API's task list (``GET /v1/tasks``): assigned to me by name, or to my role and
tier and to nobody by name; soonest due first, so overdue work leads.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from api.auth import Principal
from api.authz import Operation, officer_scope
from api.pagination import cursor_query, decode_cursor, page_of
from store import case_queries
from store.case_queries import TaskCursor
from web.session import ALLOW_PAGE
from web.templating import render

router = APIRouter()

PAGE_SIZE = 50
Cursor = cursor_query(TaskCursor)


async def _tasks(request: Request, user: Principal, cursor: str | None):  # type: ignore[no-untyped-def]
    items = await case_queries.list_tasks(
        request.app.state.pool,
        user_id=user.user_id,
        role=user.role,
        tier=user.tier,
        officer_id=officer_scope(user),
        limit=PAGE_SIZE + 1,
        after=decode_cursor(cursor, TaskCursor),
    )
    return page_of(items, PAGE_SIZE, case_queries.task_cursor)


@router.get("/tasks")
async def inbox(
    request: Request,
    user: Annotated[Principal, ALLOW_PAGE[Operation.TASKS_LIST]],
    cursor: Annotated[Cursor, Query()] = None,
) -> HTMLResponse:
    page = await _tasks(request, user, cursor)
    return render(request, "tasks.html", {"page": page}, user=user)
