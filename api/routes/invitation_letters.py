"""An officer's invitation letters (issue 17): one per scheme that invited them.

They belong to no case, so they are the officer's: an officer reads their own (another
officer's id is a 404, as another's case is), staff who may read letters read anyone's, and a
representative, nominated on a case, reads none. Every download is in the access log under
the scheme (``scheme:<name>``), naming the officer's letter.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import asyncpg
from fastapi import APIRouter, Path
from fastapi.responses import Response
from pydantic import BaseModel, Field

from api.access import ALLOW
from api.auth import Principal
from api.authz import Operation
from api.deps import Pool
from api.problems import ProblemError, problem_responses
from api.routes.documents import letter_response
from domain.people import Role
from domain.scheme import NAME_PATTERN
from store import letters
from store.audit import record_access
from store.schemes import notice_subject

router = APIRouter(prefix="/v1/officers/{officer_id}/invitation-letters", tags=["documents"])

OfficerId = Annotated[
    str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$", examples=["OF1001"])
]
SchemeName = Annotated[
    str, Path(min_length=1, max_length=64, pattern=NAME_PATTERN, examples=["ves-2026"])
]


class InvitationLetter(BaseModel):
    scheme: str = Field(examples=["ves-2026"])
    template_version: str
    media_type: str = Field(examples=["application/pdf"])
    sha256: str = Field(description="SHA-256 of the PDF.")
    size: int = Field(description="Bytes.")
    created_at: datetime
    href: str = Field(description="Where to download it.")


class InvitationLetterList(BaseModel):
    officer_id: str
    items: list[InvitationLetter]


def check_reader(user: Principal, officer_id: str) -> None:
    """Officers their own; representatives none (their nomination is on a case); staff any."""
    if user.role is Role.REPRESENTATIVE:
        raise ProblemError(
            403, "representatives read the letters of the cases they were nominated on"
        )
    if user.role is Role.OFFICER and user.officer_id != officer_id:
        raise ProblemError(404, "there is no such officer's letter", kind="no-document")


@router.get(
    "",
    response_model=InvitationLetterList,
    summary="An officer's invitation letters",
    description="The letter of each scheme that invited the officer to apply, oldest first.",
    responses=problem_responses(401, 403, 404, 422),
)
async def list_invitation_letters(
    user: Annotated[Principal, ALLOW[Operation.DOCUMENTS_READ]], officer_id: OfficerId, pool: Pool
) -> InvitationLetterList:
    check_reader(user, officer_id)
    items = [
        InvitationLetter(
            **info.model_dump(exclude={"officer_id"}),
            href=f"/v1/officers/{officer_id}/invitation-letters/{info.scheme}",
        )
        for info in await letters.list_invitation_letters(pool, officer_id)
    ]
    return InvitationLetterList(officer_id=officer_id, items=items)


@router.get(
    "/{scheme}",
    response_class=Response,
    summary="One invitation letter, as PDF",
    description="The PDF/A-2a letter exactly as stored; its SHA-256 is in the "
    "`X-Content-SHA256` header. Each download is recorded in the access log.",
    responses={
        200: {"content": {"application/pdf": {}}, "description": "The letter."},
        **problem_responses(
            401, 403, 404, 422, s404="this officer has no invitation letter of this scheme"
        ),
    },
)
async def download(
    user: Annotated[Principal, ALLOW[Operation.DOCUMENTS_READ]],
    officer_id: OfficerId,
    scheme: SchemeName,
    pool: Pool,
) -> Response:
    return await invitation_letter_download(pool, user, officer_id, scheme)


def download_endpoint(officer_id: str, scheme: str) -> str:
    """How a download is named in the access log: it belongs to no case, so the endpoint names
    the officer (the subject access export finds their reads by it)."""
    return f"GET /v1/officers/{officer_id}/invitation-letters/{scheme}"


async def invitation_letter_download(
    pool: asyncpg.Pool, user: Principal, officer_id: str, scheme: str
) -> Response:
    """The letter as its PDF, for the API and the officer's page alike, access-logged."""
    check_reader(user, officer_id)
    found = await letters.invitation_letter_content(pool, scheme, officer_id)
    if found is None:
        raise ProblemError(
            404, "this officer has no invitation letter of this scheme", kind="no-document"
        )
    info, content = found
    await record_access(
        pool,
        user_id=user.user_id,
        role=user.role.value,
        case_id=notice_subject(scheme),
        endpoint=download_endpoint(officer_id, scheme),
    )
    return letter_response(content, info.media_type, info.sha256, f"invitation-{scheme}.pdf")
