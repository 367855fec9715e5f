"""The equality monitoring report as a page, for HR managers and auditors: a bar chart of each
stage's rates by group with the four-fifths line, and the figures in a table beneath each
chart. The figures are the API's (``GET /v1/reports/equality``), and each view is in the
access log as the API's is; the CSV download is the API's too."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.auth import Principal
from api.authz import Operation
from api.routes.reports import equality_csv, viewed_equality_report
from domain.equality import ReportKind
from domain.scheme import NAME_PATTERN
from web.charts import stage_chart
from web.session import ALLOW_PAGE
from web.templating import render

router = APIRouter()


Viewer = Annotated[Principal, ALLOW_PAGE[Operation.REPORTS_EQUALITY]]
SchemeName = Annotated[str | None, Query(alias="scheme", max_length=64, pattern=NAME_PATTERN)]
From = Annotated[date | None, Query(alias="from")]
To = Annotated[date | None, Query(alias="to")]


@router.get("/reports/equality")
async def equality_report(
    request: Request,
    user: Viewer,
    kind: ReportKind = ReportKind.VOLUNTARY_EXIT,
    name: SchemeName = None,
    period_from: From = None,
    period_to: To = None,
) -> HTMLResponse:
    report = await viewed_equality_report(
        request.app.state.pool, user, kind, name, period_from, period_to, "GET /reports/equality"
    )
    charts = {
        (d.dimension, s.stage): stage_chart(s, f"{d.dimension}-{s.stage}")
        for d in report.dimensions
        for s in d.stages
        if s.base is not None
    }
    query = request.url.query
    csv_link = "/reports/equality.csv" + (f"?{query}" if query else "")
    return render(
        request,
        "equality.html",
        {"report": report, "charts": charts, "csv_link": csv_link},
        user=user,
    )


@router.get("/reports/equality.csv")
async def equality_download(
    request: Request,
    user: Viewer,
    kind: ReportKind = ReportKind.VOLUNTARY_EXIT,
    name: SchemeName = None,
    period_from: From = None,
    period_to: To = None,
) -> Response:
    report = await viewed_equality_report(
        request.app.state.pool,
        user,
        kind,
        name,
        period_from,
        period_to,
        "GET /reports/equality.csv",
    )
    return equality_csv(report)
