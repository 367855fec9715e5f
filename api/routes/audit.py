"""The audit log: one case's events, and the whole log streamed for auditors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from api.access import ALLOW, VisibleCase
from api.auth import Principal
from api.authz import Operation
from api.deps import Pool
from api.pagination import Page, cursor_param, decode_cursor, page_of
from api.problems import FieldError, ProblemError, problem_responses
from domain.case import CASE_ID_PATTERN
from domain.window import Moment, check_window
from store import audit as audit_log
from store import case_queries
from store.audit import CSV_COLUMNS, UNKNOWN_CASE, ExportFormat, render_export
from store.case_queries import AuditEvent
from store.safe_csv import CsvLines

router = APIRouter(prefix="/v1", tags=["audit"])


class AuditCursor(BaseModel):
    seq: int = Field(ge=0)


Cursor = Annotated[str | None, cursor_param(AuditCursor)]


@router.get(
    "/cases/{case_id}/audit",
    response_model=Page[AuditEvent],
    summary="A case's audit events",
    description="Every recorded transition of the case, oldest first: who, in which role, on "
    "whose behalf, from which state to which, and why.",
    responses=problem_responses(401, 403, 404, 422),
)
async def case_audit(
    user: Annotated[Principal, ALLOW[Operation.CASES_AUDIT]],
    view: VisibleCase,
    pool: Pool,
    limit: Annotated[int, Query(ge=1, le=1000, description="Events per page.")] = 500,
    cursor: Cursor = None,
) -> Page[AuditEvent]:
    after = decode_cursor(cursor, AuditCursor)
    items = await case_queries.case_audit(
        pool, view.case_id, limit=limit + 1, after_seq=after.seq if after else 0
    )
    return page_of(items, limit, lambda last: AuditCursor(seq=last.seq))


MEDIA_TYPES = {ExportFormat.JSONL: "application/x-ndjson", ExportFormat.CSV: "text/csv"}

_JSONL_EXAMPLE = (
    '{"event_id": 1, "case_id": "EX-4K7M2Q9TXA", "seq": 1, "action": "submit", '
    '"actor_user_id": "u_4f2a", "actor_role": "caseworker", "on_behalf_of": null, '
    '"from_state": null, "to_state": "submitted", "reason": null, "details": {}, '
    '"occurred_at": "2026-05-04T09:12:00+00:00", "recorded_at": "2026-05-04T09:12:00+00:00", '
    '"prev_hash": "0000000000000000000000000000000000000000000000000000000000000000", '
    '"hash": "5d0c1b6e3f2a4b8c9d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c"}\n'
)


async def _prepend(first: str | None, rest: AsyncIterator[str]) -> AsyncIterator[str]:
    if first is not None:
        yield first
    async for chunk in rest:
        yield chunk


async def _stream(
    chunks: AsyncIterator[str], media_type: str, headers: dict[str, str] | None = None
) -> StreamingResponse:
    # The first chunk is read before answering, so a failure to start (the database) is
    # still a proper problem rather than a stream broken after its 200.
    first = await anext(chunks, None)
    return StreamingResponse(_prepend(first, chunks), media_type=media_type, headers=headers)


@dataclass(frozen=True)
class Window:
    since: datetime | None
    until: datetime | None


def window(
    since: Annotated[
        Moment | None, Query(description="From this moment (with zone), inclusive.")
    ] = None,
    until: Annotated[
        Moment | None, Query(description="Up to this moment (with zone), exclusive.")
    ] = None,
) -> Window:
    """since and until, checked before anything streams (each parsed as a UTC moment)."""
    try:
        check_window(since, until)
    except ValueError as error:
        raise ProblemError(
            422,
            str(error),
            errors=[FieldError(field="query.until", message="must not be before since")],
        ) from None
    return Window(since, until)


TimeWindow = Annotated[Window, Depends(window)]


@router.get(
    "/audit/export",
    response_class=StreamingResponse,
    summary="Export the audit log",
    description="Streams every audit event with `since` <= occurred_at < `until`, in time "
    "order, as JSON lines (one event per line) or CSV (with a header row; `details` as JSON). "
    "JSON lines are the lossless export, the one to verify hash chains from; CSV cells that a "
    "spreadsheet would run as formulas (starting `=`, `+`, `-`, `@`, tab, CR) get a `'` in "
    "front.",
    responses={
        200: {
            "description": "The events, streamed.",
            "content": {
                "application/x-ndjson": {
                    "schema": {"type": "string"},
                    "example": _JSONL_EXAMPLE,
                },
                "text/csv": {
                    "schema": {"type": "string"},
                    "example": CsvLines().line(CSV_COLUMNS),
                },
            },
        },
        **problem_responses(401, 403, 422),
    },
)
async def export_audit(
    user: Annotated[Principal, ALLOW[Operation.AUDIT_EXPORT]],
    pool: Pool,
    period: TimeWindow,
    format: Annotated[ExportFormat, Query(description="jsonl or csv.")] = ExportFormat.JSONL,
) -> StreamingResponse:
    events = case_queries.stream_audit(pool, since=period.since, until=period.until)
    return await _stream(
        render_export(events, format),
        MEDIA_TYPES[format],
        {"Content-Disposition": f'attachment; filename="audit.{format.value}"'},
    )


# A case id, or the name the codec logs decodes under when the payloads named no case.
_ACCESS_CASE_PATTERN = f"^(?:{CASE_ID_PATTERN.removeprefix('^').removesuffix('$')}|{UNKNOWN_CASE})$"


@router.get(
    "/audit/access",
    response_class=StreamingResponse,
    summary="Export the access log",
    description="Every read of a case by staff (who, in which role, which case, which "
    "endpoint, when), as JSON lines in time order: who looked at this officer's data.",
    responses={
        200: {"content": {"application/x-ndjson": {"schema": {"type": "string"}}}},
        **problem_responses(401, 403, 422),
    },
)
async def export_access(
    user: Annotated[Principal, ALLOW[Operation.AUDIT_ACCESS]],
    pool: Pool,
    period: TimeWindow,
    case_id: Annotated[
        str | None,
        Query(
            pattern=_ACCESS_CASE_PATTERN,
            description=f"Only this case (`{UNKNOWN_CASE}`: decodes of payloads that named no "
            "case).",
            examples=["EX-4K7M2Q9TXA"],
        ),
    ] = None,
) -> StreamingResponse:
    lines = audit_log.export_access(pool, case_id=case_id, since=period.since, until=period.until)
    return await _stream(lines, "application/x-ndjson")
