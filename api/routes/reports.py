"""Reports on the scheme as a whole (issue 17). HR managers and auditors only; each view is
recorded in the access log, like a member of staff's read of a case."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

import asyncpg
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.access import ALLOW
from api.auth import Principal
from api.authz import Operation
from api.deps import Pool
from api.problems import FieldError, ProblemError, problem_responses
from domain.equality import EqualityReport, ReportKind, csv_rows
from domain.scheme import NAME_PATTERN
from service.equality import report as equality_report
from service.schemes import SchemeReport, UnknownScheme, scheme_report
from store.audit import record_access
from store.safe_csv import CsvLines
from store.schemes import current_scheme, notice_subject

router = APIRouter(prefix="/v1/reports", tags=["reports"])


SchemeName = Annotated[
    str | None,
    Query(
        alias="scheme",
        max_length=64,
        pattern=NAME_PATTERN,
        description="The scheme; unset: the one in force.",
    ),
]


class NoSchemeYet(ProblemError):
    """A report of the scheme in force was asked for before any scheme was added: a 404 to an
    API client, and the pages' cue to say what to do instead of "page not found"."""

    def __init__(self) -> None:
        super().__init__(404, "no scheme has been added yet", kind="no-scheme")


async def _scheme_name(pool: asyncpg.Pool, name: str | None) -> str:
    if name is not None:
        return name
    in_force = await current_scheme(pool)
    if in_force is None:
        raise NoSchemeYet
    return in_force.name


async def _record_view(pool: asyncpg.Pool, user: Principal, subject: str, endpoint: str) -> None:
    await record_access(
        pool, user_id=user.user_id, role=user.role.value, case_id=subject, endpoint=endpoint
    )


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
    name: SchemeName = None,
) -> SchemeReport:
    return await viewed_report(pool, user, name, f"GET {request.url.path}")


async def viewed_report(
    pool: asyncpg.Pool, user: Principal, name: str | None, endpoint: str
) -> SchemeReport:
    """The report on ``name`` (the scheme in force when None), its view recorded in the access
    log: the API and the dashboard page both show it through here."""
    name = await _scheme_name(pool, name)
    try:
        report = await scheme_report(pool, name)
    except UnknownScheme:
        raise ProblemError(404, "there is no scheme with this name", kind="no-scheme") from None
    await _record_view(pool, user, notice_subject(name), endpoint)
    return report


class ReportFormat(StrEnum):
    JSON = "json"
    CSV = "csv"


def equality_subject(kind: ReportKind, scheme: str | None) -> str:
    """What the access log records a view of the equality report under."""
    return f"equality:{kind.value}" + (f":{scheme}" if scheme else "")


@router.get(
    "/equality",
    response_model=EqualityReport,
    summary="The equality monitoring report",
    description="For the scheme's voluntary exit cases, or for efficiency retirement: officers "
    "at each stage by sex, ethnicity, disability and age band (on `to`, or today), each "
    "group's rate, its ratio to the most favourable group's rate (flagged below 0.8: a "
    "screening guide, not a legal test) and Fisher's exact test of the difference. Counts from "
    "1 to 9, and those that would reveal them, are `[c]` with their rates withheld. "
    "`format=csv` downloads the same figures. The access log records each view under "
    "`equality:<kind>[:<scheme>]`. docs/equality.md explains the figures.",
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
        **problem_responses(401, 403, 404, 422, s404="there is no scheme with this name"),
    },
)
async def equality(
    user: Annotated[Principal, ALLOW[Operation.REPORTS_EQUALITY]],
    pool: Pool,
    request: Request,
    kind: Annotated[
        ReportKind, Query(description="voluntary_exit (the scheme) or efficiency_retirement.")
    ] = ReportKind.VOLUNTARY_EXIT,
    name: SchemeName = None,
    period_from: Annotated[
        date | None, Query(alias="from", description="Cases opened from this day (London).")
    ] = None,
    period_to: Annotated[
        date | None,
        Query(alias="to", description="Cases opened up to this day; the report date."),
    ] = None,
    format: Annotated[ReportFormat, Query(description="json or csv.")] = ReportFormat.JSON,
) -> EqualityReport | Response:
    report = await viewed_equality_report(
        pool, user, kind, name, period_from, period_to, f"GET {request.url.path}"
    )
    if format is ReportFormat.JSON:
        return report
    return equality_csv(report)


async def viewed_equality_report(
    pool: asyncpg.Pool,
    user: Principal,
    kind: ReportKind,
    name: str | None,
    period_from: date | None,
    period_to: date | None,
    endpoint: str,
) -> EqualityReport:
    """The equality report, its view recorded in the access log: the API and the page both
    show it through here."""
    if period_from and period_to and period_to < period_from:
        raise ProblemError(
            422,
            "the period ends before it starts",
            errors=[FieldError(field="query.to", message="must not be before from")],
        )
    scheme = await _scheme_name(pool, name) if kind is ReportKind.VOLUNTARY_EXIT else None
    try:
        report = await equality_report(
            pool, kind, scheme=scheme, period_from=period_from, period_to=period_to
        )
    except UnknownScheme:
        raise ProblemError(404, "there is no scheme with this name", kind="no-scheme") from None
    await _record_view(pool, user, equality_subject(kind, scheme), endpoint)
    return report


def equality_csv(report: EqualityReport) -> Response:
    lines = CsvLines()
    return Response(
        "".join(lines.line(row) for row in csv_rows(report)),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="equality-{report.kind.value}.csv"'},
    )
