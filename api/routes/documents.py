"""A case's letters: the list, and each as the PDF the officer was sent.

Officers download their own case's letters, staff any case's; every download is in the access
log, the officer's own included, naming the letter (auditors answer "who read this letter").
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import asyncpg
from fastapi import APIRouter, Path
from fastapi.responses import Response
from pydantic import BaseModel, Field

from api.access import ALLOW, CaseId, VisibleCase, read_case
from api.auth import Principal
from api.authz import Operation
from api.deps import Pool
from api.problems import ProblemError, problem_responses
from domain.documents import LetterKind
from store import letters
from store.audit import record_access

router = APIRouter(prefix="/v1/cases/{case_id}/documents", tags=["documents"])

DOWNLOAD = "GET /v1/cases/{case_id}/documents/"


class Document(BaseModel):
    document_id: str = Field(examples=["offer-12"])
    kind: LetterKind
    seq: int = Field(description="The audit event (seq) the letter belongs to.")
    template_version: str
    media_type: str = Field(examples=["application/pdf"])
    sha256: str = Field(description="SHA-256 of the PDF; accept-offer takes the offer's.")
    size: int = Field(description="Bytes.")
    created_at: datetime
    href: str = Field(description="Where to download it.")


class DocumentList(BaseModel):
    case_id: str
    items: list[Document]


@router.get(
    "",
    response_model=DocumentList,
    summary="A case's letters",
    description="Every letter the case produced, oldest first, with the SHA-256 the audit "
    "event of its occasion carries.",
    responses=problem_responses(401, 403, 404),
)
async def list_documents(
    user: Annotated[Principal, ALLOW[Operation.DOCUMENTS_READ]], view: VisibleCase, pool: Pool
) -> DocumentList:
    items = [
        Document(
            **info.model_dump(exclude={"case_id"}),
            href=f"/v1/cases/{view.case_id}/documents/{info.document_id}",
        )
        for info in await letters.list_documents(pool, view.case_id)
    ]
    return DocumentList(case_id=view.case_id, items=items)


@router.get(
    "/{document_id}",
    response_class=Response,
    summary="One letter, as PDF",
    description="The PDF/A-2a letter exactly as stored; its SHA-256 is in the "
    "`X-Content-SHA256` header. Each download is recorded in the access log.",
    responses={
        200: {"content": {"application/pdf": {}}, "description": "The letter."},
        **problem_responses(401, 403, 404, s404="there is no such letter on this case"),
    },
)
async def download(
    user: Annotated[Principal, ALLOW[Operation.DOCUMENTS_READ]],
    case_id: CaseId,
    document_id: Annotated[str, Path(min_length=1, max_length=80, examples=["offer-12"])],
    pool: Pool,
) -> Response:
    return await letter_download(pool, user, case_id, document_id)


async def letter_download(
    pool: asyncpg.Pool, user: Principal, case_id: str, document_id: str
) -> Response:
    """One letter as its PDF, for the API and the web pages alike: 404 unless the caller may
    see the case and the letter is on it; every download is access-logged, naming the letter."""
    view = await read_case(pool, user, case_id, None)
    found = await letters.document_content(pool, view.case_id, document_id)
    if found is None:
        raise ProblemError(404, "there is no such letter on this case", kind="no-document")
    info, content = found
    await record_access(
        pool,
        user_id=user.user_id,
        role=user.role.value,
        case_id=view.case_id,
        endpoint=DOWNLOAD + info.document_id,
    )
    return letter_response(
        content, info.media_type, info.sha256, f"{view.case_id}-{info.document_id}.pdf"
    )


def letter_response(content: bytes, media_type: str, sha256: str, filename: str) -> Response:
    """A stored letter as downloaded, a case's or an invitation: its hash in a header for the
    reader to check, and never kept by a shared cache."""
    return Response(
        content,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Content-SHA256": sha256,
            "Cache-Control": "private, no-store",
        },
    )
