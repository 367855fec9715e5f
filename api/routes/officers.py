"""The officer roster: import the CSV, all rows or none."""

from __future__ import annotations

import csv
import hashlib
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.access import ALLOW
from api.auth import Principal
from api.authz import Operation
from api.deps import Pool
from api.idempotency import IdempotencyKey, run_once
from api.limits import MAX_ROSTER_BYTES
from api.problems import FieldError, ProblemError, problem_responses
from domain.clock import LONDON
from domain.officer import Officer
from domain.roster import RosterError, parse_roster
from store.officers import upsert_officers

router = APIRouter(prefix="/v1/officers", tags=["officers"])

MAX_LISTED_ERRORS = 100
_SCOPE = "POST /v1/officers/import"

_EXAMPLE_CSV = (
    "officer_id,name,rank,date_of_birth,service_start,annual_pay,pension_scheme,"
    "misconduct_pending\n"
    "OF1001,A. Example,superintendent,1975-03-14,2001-09-03,82000.00,2006,false\n"
)


class ImportSummary(BaseModel):
    created: int
    updated: int


@router.post(
    "/import",
    response_model=ImportSummary,
    summary="Import the officer roster",
    description="Loads the roster CSV (header as in docs/input-rules.md; optional columns sex, "
    "ethnicity, disability, and pensionable_service_days with service_as_of from the pension "
    "records, both or neither). All rows or none: any bad row "
    "fails the whole import with each bad row named by line and field. An officer id that "
    "exists is updated.",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string"}, "example": _EXAMPLE_CSV}},
        }
    },
    responses={
        200: {"content": {"application/json": {"example": {"created": 1, "updated": 0}}}},
        **problem_responses(
            400,
            401,
            403,
            413,
            415,
            422,
            s422="2 rows are invalid; nothing was imported",
        ),
    },
)
async def import_roster(
    request: Request,
    user: Annotated[Principal, ALLOW[Operation.OFFICERS_IMPORT]],
    pool: Pool,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in {"text/csv", "application/csv"}:
        raise ProblemError(415, "send the roster as text/csv")
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_ROSTER_BYTES:
            raise ProblemError(413, "the roster is larger than 10 MB; split it")
    text = roster_text(bytes(raw))

    async def write() -> tuple[int, Any]:
        result = await upsert_officers(pool, _parsed(text))
        return 200, ImportSummary(created=result.created, updated=result.updated).model_dump()

    # A key must come back with the same file: its digest stands for the roster.
    digest = hashlib.sha256(raw).hexdigest() if idempotency_key is not None else None
    status, content = await run_once(pool, user, _SCOPE, idempotency_key, digest, write)
    return JSONResponse(content, status_code=status)


def roster_text(raw: bytes) -> str:
    """The roster file as text (UTF-8, a byte-order mark allowed), or a 400 saying why not."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ProblemError(400, "the roster is not UTF-8 text", kind="bad-encoding") from None
    if "\x00" in text:
        raise ProblemError(400, "the roster contains NUL characters", kind="bad-encoding")
    return text


def _parsed(text: str) -> list[Officer]:
    """The roster's officers, or a 422 naming the rows that are wrong (the first 100 of them)."""
    try:
        return parse_roster(text, today=datetime.now(LONDON).date())
    except csv.Error:
        # The file is not CSV at all (a stray carriage return inside a field, say).
        raise ProblemError(
            422, "the roster is not well-formed CSV; nothing was imported", kind="invalid-roster"
        ) from None
    except RosterError as error:
        rows = len({e.line for e in error.errors})
        noun = "row is" if rows == 1 else "rows are"
        listed = "" if len(error.errors) <= MAX_LISTED_ERRORS else "; the first 100 are listed"
        errors = [
            FieldError(field=f"line {e.line}: {e.field}", message=e.message)
            for e in error.errors[:MAX_LISTED_ERRORS]
        ]
        raise ProblemError(
            422,
            f"{rows} {noun} invalid; nothing was imported{listed}",
            kind="invalid-roster",
            errors=errors,
        ) from None
