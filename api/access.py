"""Route dependencies that apply the authorisation table, and the one place a case is read.

Every route that shows or acts on one case gets it through :func:`visible_case`, so recording
staff reads of a case (access logging) needs a change here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import asyncpg
from fastapi import Depends, Path, Request

from api.auth import CurrentUser, Principal, current_user
from api.authz import TABLE, Operation, can_see, check_action, officer_scope, require
from api.deps import Pool
from api.problems import ProblemError
from domain.case import CaseView
from domain.lifecycle import TERMINAL_STATES, Action
from domain.people import Role
from store.audit import record_access
from store.cases import get_case_view, get_case_view_recording_access
from store.paper_trail import represents

CaseId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=64,
        description="The case id, as returned when the case was opened.",
        examples=["EX-4K7M2Q9TXA"],
    ),
]


def case_not_found() -> ProblemError:
    # The same words whether the case does not exist or the caller may not see it.
    return ProblemError(404, "there is no case with this id that you may see", kind="no-case")


def require_open(view: CaseView, what: str) -> None:
    """Refuse (409) adding ``what`` to a case that has ended: its paper trail is closed with it."""
    if view.state in TERMINAL_STATES:
        raise ProblemError(
            409,
            f"the case has ended ({view.state.value}): {what} only while it is open",
            kind="case-ended",
        )


async def read_case(
    pool: asyncpg.Pool, user: Principal, case_id: str, endpoint: str | None
) -> CaseView:
    """The case from the read model, if the caller may see it (otherwise 404): officers their
    own, representatives those they are nominated for (the OWN_CASE and NOMINATED rules).

    A read by anyone but the officer themselves (staff, a representative) is recorded in the
    access log (``endpoint``: the route they read it through; None for a request that changes
    the case, or a route that logs the read itself), so that auditors can say who looked at an
    officer's data, when, and through which endpoint or page.
    """
    if (
        endpoint is not None
        and officer_scope(user) is None
        and user.role is not Role.REPRESENTATIVE
    ):
        # Staff, who may see every case: read and record the read in one round trip.
        view = await get_case_view_recording_access(
            pool, case_id, user_id=user.user_id, role=user.role.value, endpoint=endpoint
        )
        if view is None:
            raise case_not_found()
        return view
    view = await get_case_view(pool, case_id)
    if view is None or not can_see(user, view):
        raise case_not_found()
    if user.role is Role.REPRESENTATIVE and not await represents(pool, user.user_id, case_id):
        raise case_not_found()
    if endpoint is not None and user.role is not Role.OFFICER:
        await log_read(pool, user, view.case_id, endpoint)
    return view


async def log_read(pool: asyncpg.Pool, user: Principal, case_id: str, endpoint: str) -> None:
    await record_access(
        pool, user_id=user.user_id, role=user.role.value, case_id=case_id, endpoint=endpoint
    )


async def find_case(case_id: CaseId, user: CurrentUser, pool: Pool) -> CaseView:
    """:func:`read_case` for a route that records its read itself, with more than its path."""
    return await read_case(pool, user, case_id, None)


async def visible_case(
    case_id: CaseId, user: CurrentUser, pool: Pool, request: Request
) -> CaseView:
    """:func:`read_case` for a route of the API."""
    return await read_case(pool, user, case_id, read_endpoint(request))


def read_endpoint(request: Request) -> str | None:
    """``GET <route path>`` for a read, as the access log names it; None for anything else."""
    if request.method != "GET":
        return None
    # request.url only when there is no route: building it costs more than the rest of this.
    path = getattr(request.scope.get("route"), "path", None)
    return f"GET {path or request.url.path}"


VisibleCase = Annotated[CaseView, Depends(visible_case)]
# For routes that log their reads themselves, with more than the route says (which file).
FoundCase = Annotated[CaseView, Depends(find_case)]


def allow(
    operation: Operation,
    who: Callable[..., Awaitable[Principal]] = current_user,
) -> Any:
    """A dependency: the caller ``who`` finds (the bearer token's user by default), refused
    unless the table lets them do ``operation``. Make it once per route group: FastAPI caches a
    dependency per request by identity."""

    # The dependency as the default, not in Annotated: annotations are strings here (postponed)
    # and ``who`` is not a name FastAPI could resolve one with.
    caller = Depends(who)

    async def allowed(user: Principal = caller) -> Principal:
        require(user, operation)
        return user

    allowed.__name__ = f"allow_{operation.name.lower()}"
    return Depends(allowed)


def _allow_action(action: Action) -> Callable[[Principal, CaseView], Awaitable[Principal]]:
    async def allowed(user: CurrentUser, view: VisibleCase) -> Principal:
        check_action(user, action, view)
        return user

    allowed.__name__ = f"allow_{action.name.lower()}"
    return allowed


# One dependency per row of the table, made once so FastAPI can cache them per request.
ALLOW = {operation: allow(operation) for operation in Operation}
ALLOW_ACTION = {action: Depends(_allow_action(action)) for action in Action}


async def any_case_creator(user: CurrentUser) -> Principal:
    """Roles that may open some kind of case; the kind itself is checked with the body."""
    creators = (
        TABLE[Operation.CASES_CREATE_VOLUNTARY].roles
        | TABLE[Operation.CASES_CREATE_EFFICIENCY].roles
    )
    if user.role not in creators:
        require(user, Operation.CASES_CREATE_VOLUNTARY)
    return user
