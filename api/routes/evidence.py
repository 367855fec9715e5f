"""Evidence files on a case: attach one (the body is the file itself), list them, download one.

The file's kind is read from its content (domain/evidence.py), never from its name or the
Content-Type sent; a bad file is refused with 422 before anything is stored. Every download is
in the access log, naming the file.
"""

from __future__ import annotations

import hashlib
import re
from typing import Annotated

import asyncpg
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from api.access import ALLOW, FoundCase, VisibleCase, log_read
from api.auth import Principal
from api.authz import Operation, on_behalf_of
from api.deps import AppSettings, Pool
from api.problems import FieldError, ProblemError, problem_responses
from config.settings import Settings
from domain.case import CaseView
from domain.evidence import (
    ACCEPTED,
    MAX_FILES_PER_CASE,
    AttachedTo,
    BadFile,
    attach_refusal,
    identify,
)
from store.paper_trail import Evidence, TooManyFiles, add_evidence, evidence_file, list_evidence

router = APIRouter(prefix="/v1/cases", tags=["evidence"])

# Names are shown back and put in a download's Content-Disposition: printable, no paths.
_FILENAME = r"^[A-Za-z0-9][A-Za-z0-9 ._()-]{0,199}$"


@router.post(
    "/{case_id}/evidence",
    status_code=201,
    response_model=Evidence,
    summary="Attach an evidence file",
    description="The request body is the file (any Content-Type; the content decides): PDF, "
    f"PNG, JPEG, DOCX or ODT, at most `EXITCASES_EVIDENCE_MAX_BYTES`, and {MAX_FILES_PER_CASE} "
    "files a case. Officers (their own case), caseworkers and nominated representatives (for "
    "the officer) attach to an information answer, a representation or an application; HR "
    "managers to their efficiency proposal. Stored with its SHA-256.",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    },
    responses=problem_responses(401, 403, 404, 409, 413, 422),
)
async def attach(
    user: Annotated[Principal, ALLOW[Operation.EVIDENCE_ADD]],
    view: VisibleCase,
    pool: Pool,
    settings: AppSettings,
    request: Request,
    attached_to: Annotated[AttachedTo, Query(description="What the file supports.")],
    filename: Annotated[
        str, Query(pattern=_FILENAME, description="The file's name, as shown to readers.")
    ],
) -> Evidence:
    return await attach_file(
        pool, settings, user, view, attached_to, filename, await request.body()
    )


async def attach_file(
    pool: asyncpg.Pool,
    settings: Settings,
    user: Principal,
    view: CaseView,
    attached_to: AttachedTo,
    filename: str,
    content: bytes,
) -> Evidence:
    """Attach ``content`` to the case, for the API and the pages alike: the role's refusal
    (403), a file of the wrong kind or size (422) or a full case (409); nothing is stored
    unless the file is."""
    problem = attach_refusal(user.role, attached_to)
    if problem is not None:
        raise ProblemError(403, problem, kind="forbidden-role")
    try:
        media_type = identify(content, max_bytes=settings.evidence_max_bytes)
    except BadFile as bad:
        raise ProblemError(
            422,
            f"the file is not accepted: {bad}",
            kind="bad-file",
            errors=[FieldError(field="body", message=str(bad))],
        ) from None
    try:
        return await add_evidence(
            pool,
            case_id=view.case_id,
            attached_to=attached_to,
            filename=filename,
            media_type=media_type,
            content=content,
            sha256=hashlib.sha256(content).hexdigest(),
            added_by=user.user_id,
            added_role=user.role.value,
            # The officer's side acts for the officer; an HR manager's proposal is their own.
            on_behalf_of=None
            if attached_to is AttachedTo.PROPOSAL
            else on_behalf_of(user, Operation.EVIDENCE_ADD, view.officer_id),
        )
    except TooManyFiles:
        raise ProblemError(
            409,
            f"the case holds {MAX_FILES_PER_CASE} files already, the most it may",
            kind="too-many-files",
        ) from None


def display_name(sent: str) -> str:
    """A browser's file name as one the API would take (:data:`_FILENAME`): the last part of
    any path, characters outside the pattern as "_", at most 200; "evidence" if none is left."""
    name = re.sub(r"[^A-Za-z0-9 ._()-]", "_", re.split(r"[\\/]", sent)[-1]).strip(" ._-()")
    return name[:200].rstrip() or "evidence"


@router.get(
    "/{case_id}/evidence",
    response_model=list[Evidence],
    summary="A case's evidence files",
    description="Each file's name, kind, size, SHA-256 and who attached it, oldest first.",
    responses=problem_responses(401, 403, 404),
)
async def evidence_list(
    user: Annotated[Principal, ALLOW[Operation.EVIDENCE_READ]], view: VisibleCase, pool: Pool
) -> list[Evidence]:
    return await list_evidence(pool, view.case_id)


@router.get(
    "/{case_id}/evidence/{evidence_id}",
    summary="Download an evidence file",
    description="The file as attached; its SHA-256 (hex) in the `X-Content-SHA256` header. "
    "The download is recorded in the access log.",
    response_class=Response,
    responses={
        200: {
            "description": "The file, as the kind its content was found to be.",
            "content": {media_type: {} for media_type in ACCEPTED},
        },
        **problem_responses(401, 403, 404),
    },
)
async def download(
    user: Annotated[Principal, ALLOW[Operation.EVIDENCE_READ]],
    view: FoundCase,
    pool: Pool,
    evidence_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
) -> Response:
    return await evidence_download(pool, user, view, evidence_id)


async def evidence_download(
    pool: asyncpg.Pool, user: Principal, view: CaseView, evidence_id: int
) -> Response:
    """One file of a case the caller has seen (``read_case``), for the API and the pages
    alike: the download is access-logged, naming the file."""
    found = await evidence_file(pool, view.case_id, evidence_id)
    if found is None:
        raise ProblemError(404, "the case has no evidence file with this id", kind="no-evidence")
    record, content = found
    await log_read(pool, user, view.case_id, f"GET /v1/cases/{{case_id}}/evidence/{evidence_id}")
    safe = re.sub(r"[^A-Za-z0-9 ._()-]", "_", record.filename)
    return Response(
        content,
        media_type=record.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{safe}"',
            "X-Content-Type-Options": "nosniff",
            "X-Content-SHA256": record.sha256,
        },
    )
