"""The inboxes: a caseworker's (or any staff member's) open tasks, and an approver's queue.

Both are the API's task list (``GET /v1/tasks``): assigned to me by name, or to my role and
tier and to nobody by name; soonest due first, so overdue work leads.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.auth import Principal
from api.authz import Operation
from api.pagination import cursor_param
from api.problems import ProblemError
from api.routes.tasks import tasks_page
from domain.people import Role
from store.case_queries import TaskCursor
from store.cases import get_case_views
from web.format import words
from web.routes.cases import approval_block
from web.session import ALLOW_PAGE
from web.templating import render

router = APIRouter()

PAGE_SIZE = 50
Cursor = Annotated[str | None, cursor_param(TaskCursor)]


@router.get("/tasks")
async def inbox(
    request: Request,
    user: Annotated[Principal, ALLOW_PAGE[Operation.TASKS_LIST]],
    cursor: Cursor = None,
) -> HTMLResponse:
    page = await tasks_page(request.app.state.pool, user, PAGE_SIZE, cursor)
    return render(request, "tasks.html", {"page": page}, user=user)


@router.get("/approvals")
async def approvals(
    request: Request,
    user: Annotated[Principal, ALLOW_PAGE[Operation.TASKS_LIST]],
    cursor: Cursor = None,
) -> HTMLResponse:
    """The cases waiting for my tier: each with its amount, and why I may not decide if four
    eyes keep me from it."""
    if user.role is not Role.APPROVER:
        raise ProblemError(
            403, f"the approvals queue is for approvers, not the {words(user.role)} role"
        )
    pool = request.app.state.pool
    page = await tasks_page(pool, user, PAGE_SIZE, cursor)
    views = await get_case_views(pool, [task.case_id for task in page.items])
    queue = [
        (task, view, approval_block(user, view))
        for task in page.items
        if (view := views.get(task.case_id)) is not None
    ]
    context = {"page": page, "queue": queue}
    return render(request, "approvals.html", context, user=user)
