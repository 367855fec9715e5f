"""Evidence files on a case: attach one (the body is the file itself), list them, download one.

The file's kind is read from its content (domain/evidence.py), never from its name or the
Content-Type sent; a bad file is refused with 422 before anything is stored. Every download is
in the access log, naming the file.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Annotated
from urllib.parse import quote

import asyncpg
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from api.access import ALLOW, FoundCase, VisibleCase, log_read, require_open
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
    part_refusal,
)
from store.paper_trail import Evidence, TooManyFiles, add_evidence, evidence_file, list_evidence

router = APIRouter(prefix="/v1/cases", tags=["evidence"])

MAX_FILENAME_CHARS = 200
# Line and paragraph separators, and categories C*: controls, and format characters such as the
# right-to-left override that shows "cod.exe" as "exe.doc".
_UNSHOWABLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


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
        str,
        Query(
            min_length=1,
            max_length=MAX_FILENAME_CHARS,
            description="The file's name, as shown to readers: any letters, no path separators "
            "or control characters.",
        ),
    ],
) -> Evidence:
    name = display_name(filename)
    if name != unicodedata.normalize("NFC", filename):
        problem = "a file name without path separators, control characters or leading dots"
        raise ProblemError(
            422,
            f"filename: {problem}",
            errors=[FieldError(field="query.filename", message=problem)],
        )
    return await attach_file(pool, settings, user, view, attached_to, name, await request.body())


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
    require_open(view, "files are attached")
    problem = part_refusal(view.kind, attached_to)
    if problem is not None:
        raise ProblemError(
            422,
            problem,
            kind="no-such-part",
            errors=[FieldError(field="query.attached_to", message=problem)],
        )
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
    """A file name as uploaded, letters of any language kept: NFC, the last part of any path,
    without control characters, at most :data:`MAX_FILENAME_CHARS`; "evidence" if none is left.
    """
    name = unicodedata.normalize("NFC", re.split(r"[\\/]", sent)[-1])
    name = "".join(c for c in name if unicodedata.category(c) not in _UNSHOWABLE)
    return name.strip(" .")[:MAX_FILENAME_CHARS].rstrip() or "evidence"


def content_disposition(filename: str) -> str:
    """``attachment`` naming the file (RFC 6266): ``filename*`` in UTF-8, percent-encoded (RFC
    5987), for browsers, and a plain ASCII ``filename`` for clients that know no other. Neither
    part can hold a quote, a semicolon or a line break, whatever the stored name holds."""
    # "Öztürk" as "Ozturk": the letters without their accents; anything else as "_".
    bare = "".join(
        c for c in unicodedata.normalize("NFKD", filename) if not unicodedata.combining(c)
    )
    fallback = re.sub(r"[^A-Za-z0-9 ._()-]", "_", bare).strip(" ._") or "evidence"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


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
    return Response(
        content,
        media_type=record.media_type,
        headers={
            "Content-Disposition": content_disposition(record.filename),
            "X-Content-Type-Options": "nosniff",
            "X-Content-SHA256": record.sha256,
            # A medical note or a service record: like a letter, never kept by a browser or proxy.
            "Cache-Control": "private, no-store",
        },
    )
