"""The roster import by file upload, for caseworkers (and admins): the CSV the API's
``POST /v1/officers/import`` and `exitcases officers import` take, all rows or none.

A bad file stores nothing and comes back with every problem against its line and field: in
the error summary and in a table of the rows to put right.
"""

from __future__ import annotations

import csv
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import UploadFile

from api.auth import Principal
from api.authz import Operation
from api.limits import MAX_ROSTER_BYTES
from api.problems import ProblemError
from api.routes.officers import MAX_LISTED_ERRORS, roster_text
from domain.clock import LONDON
from domain.roster import RosterError, RowError, parse_roster
from store.officers import upsert_officers
from web.session import ALLOW_PAGE, CheckedForm
from web.templating import render

router = APIRouter()

_IMPORTS = Operation.OFFICERS_IMPORT
# The error summary names the first few; the table below it lists them all (up to the API's 100).
SUMMARY_ERRORS = 10


def _page(
    request: Request,
    user: Principal,
    *,
    problem: str | None = None,
    rows: list[RowError] | None = None,
    imported: tuple[int, int] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    rows = rows or []
    errors = [{"text": problem, "href": "#roster"}] if problem else []
    errors += [
        {"text": f"Line {e.line}, {e.field}: {e.message}", "href": "#roster"}
        for e in rows[:SUMMARY_ERRORS]
    ]
    context = {
        "error_list": errors,
        "problem": problem,
        "rows": rows[:MAX_LISTED_ERRORS],
        "more": max(0, len(rows) - MAX_LISTED_ERRORS),
        "imported": imported,
    }
    return render(request, "roster.html", context, status_code=status_code, user=user)


@router.get("/officers/import")
async def roster_form(
    request: Request, user: Annotated[Principal, ALLOW_PAGE[_IMPORTS]]
) -> HTMLResponse:
    return _page(request, user)


@router.post("/officers/import")
async def roster_upload(
    request: Request, user: Annotated[Principal, ALLOW_PAGE[_IMPORTS]], form: CheckedForm
) -> HTMLResponse:
    upload = form.get("roster")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _page(request, user, problem="Select the roster file (CSV)", status_code=400)
    raw = await upload.read(MAX_ROSTER_BYTES + 1)
    if len(raw) > MAX_ROSTER_BYTES:
        return _page(
            request, user, problem="The file is larger than 10 MB: split it", status_code=413
        )
    try:
        text = roster_text(raw)
        officers = parse_roster(text, today=datetime.now(LONDON).date())
    except ProblemError as refused:
        problem = f"The file cannot be read: {refused.detail}. Nothing was imported"
        return _page(request, user, problem=problem, status_code=400)
    except csv.Error:
        problem = "The file is not well-formed CSV (a quote left open?). Nothing was imported"
        return _page(request, user, problem=problem, status_code=422)
    except RosterError as error:
        lines = len({e.line for e in error.errors})
        noun, them = ("row is", "it") if lines == 1 else ("rows are", "them")
        problem = (
            f"{lines} {noun} wrong, so nothing was imported: put {them} right and upload again"
        )
        return _page(request, user, problem=problem, rows=error.errors, status_code=422)
    if not officers:
        return _page(request, user, problem="The file has no officers in it", status_code=422)
    result = await upsert_officers(request.app.state.pool, officers)
    return _page(request, user, imported=(result.created, result.updated))
