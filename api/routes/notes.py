"""Staff notes on a case: who wrote what, when. Notes are never edited or deleted (the table
refuses it); a correction is another note."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import Field

from api.access import ALLOW, VisibleCase
from api.auth import Principal
from api.authz import Operation
from api.bodies import RequestBody
from api.deps import Pool
from api.problems import problem_responses
from store.paper_trail import Note, add_note, list_notes

router = APIRouter(prefix="/v1/cases", tags=["notes"])

# A note is a few paragraphs; a longer account belongs in an evidence file.
NOTE_MAX_CHARS = 4000


class NewNote(RequestBody):
    text: str = Field(
        min_length=1,
        max_length=NOTE_MAX_CHARS,
        examples=["Phoned the officer; pension forecast requested from the pensions team."],
    )


@router.post(
    "/{case_id}/notes",
    status_code=201,
    response_model=Note,
    summary="Add a note to a case",
    description="Caseworkers, HR managers and approvers. Append-only: a note stays as written.",
    responses=problem_responses(401, 403, 404, 422),
)
async def add(
    user: Annotated[Principal, ALLOW[Operation.NOTES_ADD]],
    view: VisibleCase,
    pool: Pool,
    body: NewNote,
) -> Note:
    return await add_note(
        pool, case_id=view.case_id, author=user.user_id, author_role=user.role.value, text=body.text
    )


@router.get(
    "/{case_id}/notes",
    response_model=list[Note],
    summary="A case's notes",
    description="Oldest first. They also appear in the case's timeline.",
    responses=problem_responses(401, 403, 404),
)
async def notes(
    user: Annotated[Principal, ALLOW[Operation.NOTES_READ]], view: VisibleCase, pool: Pool
) -> list[Note]:
    return await list_notes(pool, view.case_id)
