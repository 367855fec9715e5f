"""Reports on the scheme as a whole (issue 17). HR managers and auditors only; each view is
recorded in the access log, like a member of staff's read of a case."""

from __future__ import annotations

from typing import Annotated

import asyncpg
from fastapi import APIRouter, Query, Request

from api.access import ALLOW
from api.auth import Principal
from api.authz import Operation
from api.deps import Pool
from api.problems import ProblemError, problem_responses
from domain.scheme import NAME_PATTERN
from service.schemes import SchemeReport, UnknownScheme, scheme_report
from store.audit import record_access
from store.schemes import current_scheme, notice_subject

router = APIRouter(prefix="/v1/reports", tags=["reports"])


@router.get(
    "/scheme",
    response_model=SchemeReport,
    summary="The scheme dashboard",
    description="Cases by state and kind, overdue tasks by stage, invitations, the budget "
    "(offered, committed, paid, remaining; special-severance amounts listed apart) and "
    "leavers by month against the caps. The access log records each view under "
    "`scheme:<name>`.",
    responses=problem_responses(401, 403, 404, 422, s404="there is no scheme with this name"),
)
async def scheme(
    user: Annotated[Principal, ALLOW[Operation.REPORTS_SCHEME]],
    pool: Pool,
    request: Request,
    name: Annotated[
        str | None,
        Query(
            alias="scheme",
            max_length=64,
            pattern=NAME_PATTERN,
            description="The scheme; unset: the one in force.",
        ),
    ] = None,
) -> SchemeReport:
    return await viewed_report(pool, user, name, f"GET {request.url.path}")


async def viewed_report(
    pool: asyncpg.Pool, user: Principal, name: str | None, endpoint: str
) -> SchemeReport:
    """The report on ``name`` (the scheme in force when None), its view recorded in the access
    log: the API and the dashboard page both show it through here."""
    if name is None:
        in_force = await current_scheme(pool)
        if in_force is None:
            raise ProblemError(404, "no scheme has been added yet", kind="no-scheme")
        name = in_force.name
    try:
        report = await scheme_report(pool, name)
    except UnknownScheme:
        raise ProblemError(404, "there is no scheme with this name", kind="no-scheme") from None
    await record_access(
        pool,
        user_id=user.user_id,
        role=user.role.value,
        case_id=notice_subject(name),
        endpoint=endpoint,
    )
    return report
