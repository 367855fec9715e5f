"""Auditors' pages: a case's timeline with its hash chain's status, the reads of the case in
the access log, the schemes' own events (invitation runs started) with their chains' status,
and downloads of the audit export and the access log.

The chain is checked by ``store.audit.verify`` (as `exitcases audit verify` checks it), and the
downloads are the API's own export routes (api/routes/audit.py) answering the page's request:
one export, in one place.
"""

from __future__ import annotations

import re
from itertools import islice
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from api.access import read_case
from api.auth import Principal
from api.authz import Operation
from api.routes.audit import Window, export_access, export_audit
from domain.case import CASE_ID_PATTERN
from store import audit, case_queries, schemes
from store.audit import AccessEntry, ExportFormat
from web.session import ALLOW_PAGE
from web.templating import render

router = APIRouter()

# The reads of one case shown on its page, newest first; the download has them all.
ACCESS_SHOWN = 200
# The schemes' own events on the audit page, newest first; the export has them all.
SCHEME_EVENTS_SHOWN = 50
CaseId = Annotated[str, Path(min_length=1, max_length=64)]
_EVERYTHING = Window(since=None, until=None)


@router.get("/audit")
async def audit_home(
    request: Request,
    user: Annotated[Principal, ALLOW_PAGE[Operation.AUDIT_EXPORT]],
    case_id: str | None = None,
) -> Response:
    """The downloads, a case id to look up, and the schemes' own events."""
    errors = []
    if case_id is not None:
        case_id = case_id.strip().upper()
        if re.fullmatch(CASE_ID_PATTERN, case_id):
            return RedirectResponse(f"/audit/cases/{case_id}", status_code=303)
        errors = [{"text": "Enter a case id like EX-4K7M2Q9TXA", "href": "#case-id"}]
    pool = request.app.state.pool
    names = [found.scheme.name for found in await schemes.list_schemes(pool)]
    events = await audit.scheme_events(pool, names, SCHEME_EVENTS_SHOWN)
    chains = sorted({event.case_id for event in events})
    # Each scheme's whole chain, not only the events shown: a run or two a week, never many.
    reports = [await audit.verify(pool, chain) for chain in chains]
    context = {
        "case_id": case_id or "",
        "error_list": errors,
        "scheme_events": events,
        "scheme_breaks": [b for report in reports for b in report.breaks],
        "chain_prefix": audit.SCHEME_CHAIN_PREFIX,
        "scheme_events_shown": SCHEME_EVENTS_SHOWN,
    }
    status = 400 if errors else 200
    return render(request, "audit/home.html", context, status_code=status, user=user)


@router.get("/audit/cases/{case_id}")
async def audit_case(
    request: Request,
    case_id: CaseId,
    user: Annotated[Principal, ALLOW_PAGE[Operation.AUDIT_ACCESS]],
) -> HTMLResponse:
    pool = request.app.state.pool
    view = await read_case(pool, user, case_id, "GET /audit/cases/{case_id}")
    report = await audit.verify(pool, view.case_id)
    events = await case_queries.case_audit(pool, view.case_id, limit=100_000)
    reads = [
        AccessEntry.model_validate(row)
        async for row in audit.stream_access(pool, case_id=view.case_id)
    ]
    context = {
        "case": view,
        "events": events,
        "broken": report.breaks[0] if report.breaks else None,
        "reads": list(islice(reversed(reads), ACCESS_SHOWN)),
        "reads_total": len(reads),
    }
    return render(request, "audit/case.html", context, user=user)


@router.get("/audit/export.{fmt}")
async def audit_export(
    request: Request,
    fmt: ExportFormat,
    user: Annotated[Principal, ALLOW_PAGE[Operation.AUDIT_EXPORT]],
) -> StreamingResponse:
    return await export_audit(user, request.app.state.pool, _EVERYTHING, fmt)


@router.get("/audit/access.jsonl")
async def access_export(
    request: Request,
    user: Annotated[Principal, ALLOW_PAGE[Operation.AUDIT_ACCESS]],
) -> StreamingResponse:
    response = await export_access(user, request.app.state.pool, _EVERYTHING, None)
    response.headers["Content-Disposition"] = 'attachment; filename="access.jsonl"'
    return response
