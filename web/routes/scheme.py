"""The scheme dashboard: the API's scheme report (``GET /v1/reports/scheme``) as a page, for
HR managers and auditors; each view is in the access log, as the API's is."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from api.auth import Principal
from api.authz import Operation
from api.routes.reports import viewed_report
from domain.scheme import NAME_PATTERN
from web.session import ALLOW_PAGE
from web.templating import render

router = APIRouter()


@router.get("/scheme")
async def dashboard(
    request: Request,
    user: Annotated[Principal, ALLOW_PAGE[Operation.REPORTS_SCHEME]],
    name: Annotated[str | None, Query(alias="scheme", max_length=64, pattern=NAME_PATTERN)] = None,
) -> HTMLResponse:
    report = await viewed_report(request.app.state.pool, user, name, "GET /scheme")
    return render(request, "scheme.html", {"report": report}, user=user)
