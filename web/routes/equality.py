"""The equality monitoring report as a page, for HR managers and auditors: a bar chart of each
stage's rates by group with the four-fifths line, and the figures in a table beneath each
chart. The figures are the API's (``GET /v1/reports/equality``), and each view is in the
access log as the API's is; the CSV download is the API's too."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.auth import Principal
from api.authz import Operation
from api.routes.reports import NoSchemeYet, equality_csv, viewed_equality_report
from domain.equality import EqualityReport, ReportKind
from domain.scheme import NAME_PATTERN
from web.charts import stage_chart
from web.session import ALLOW_PAGE
from web.templating import render

router = APIRouter()

Viewer = Annotated[Principal, ALLOW_PAGE[Operation.REPORTS_EQUALITY]]


@dataclass(frozen=True)
class Asked:
    kind: ReportKind
    scheme: str | None
    period_from: date | None
    period_to: date | None


def asked(
    kind: ReportKind = ReportKind.VOLUNTARY_EXIT,
    scheme: Annotated[str | None, Query(max_length=64, pattern=NAME_PATTERN)] = None,
    period_from: Annotated[date | None, Query(alias="from")] = None,
    period_to: Annotated[date | None, Query(alias="to")] = None,
) -> Asked:
    """The page's query, as the API's."""
    return Asked(kind, scheme, period_from, period_to)


Report = Annotated[Asked, Depends(asked)]


async def _viewed(request: Request, user: Principal, query: Asked) -> EqualityReport:
    return await viewed_equality_report(
        request.app.state.pool,
        user,
        query.kind,
        query.scheme,
        query.period_from,
        query.period_to,
        f"GET {request.url.path}",
    )


@router.get("/reports/equality")
async def equality_report(request: Request, user: Viewer, query: Report) -> HTMLResponse:
    try:
        report = await _viewed(request, user, query)
    except NoSchemeYet:
        return render(request, "scheme/none.html", {"equality": True}, user=user)
    charts = {
        (d.dimension, s.stage): stage_chart(s, f"{d.dimension}-{s.stage}")
        for d in report.dimensions
        for s in d.stages
        if s.base is not None
    }
    csv_link = "/reports/equality.csv" + (f"?{request.url.query}" if request.url.query else "")
    return render(
        request,
        "equality.html",
        {"report": report, "charts": charts, "csv_link": csv_link},
        user=user,
    )


@router.get("/reports/equality.csv")
async def equality_download(request: Request, user: Viewer, query: Report) -> Response:
    return equality_csv(await _viewed(request, user, query))
