"""An officer's representative on their case (a staff association's "police friend").

The officer nominates a user who holds the representative role, and may withdraw the
nomination; each is a new row, so the history of who could act for the officer stays. While
nominated, the representative sees the case, its letters and evidence, and may provide
information and make representations for the officer (recorded as on the officer's behalf);
accepting or declining an offer and withdrawing stay the officer's own (domain/lifecycle.py's
ACTION_ROLES).
"""

from __future__ import annotations

from typing import Annotated

import asyncpg
from fastapi import APIRouter
from pydantic import Field

from api.access import ALLOW, VisibleCase, require_open
from api.auth import Principal
from api.authz import Operation
from api.bodies import RequestBody
from api.deps import Pool
from api.problems import FieldError, ProblemError, problem_responses
from domain.case import CaseView
from domain.people import Role
from store.paper_trail import Nomination, current_nomination, record_nomination
from store.users import User, get_user

router = APIRouter(prefix="/v1/cases", tags=["representatives"])


class NewNomination(RequestBody):
    representative_id: str = Field(
        min_length=1,
        max_length=64,
        description="The user id of a representative (a user with the representative role).",
        examples=["u_7c1e"],
    )


def _no_representative() -> ProblemError:
    return ProblemError(404, "the case has no representative nominated", kind="no-representative")


@router.get(
    "/{case_id}/representative",
    response_model=Nomination,
    summary="The case's representative",
    description="The nomination in force; 404 when none is.",
    responses=problem_responses(401, 403, 404),
)
async def representative(
    user: Annotated[Principal, ALLOW[Operation.REPRESENTATIVE_READ]], view: VisibleCase, pool: Pool
) -> Nomination:
    nomination = await current_nomination(pool, view.case_id)
    if nomination is None or nomination.representative_id is None:
        raise _no_representative()
    return nomination


@router.put(
    "/{case_id}/representative",
    response_model=Nomination,
    summary="Nominate a representative",
    description="The officer names the representative who may act for them on this case, "
    "replacing any nominated before; only while the case is open (409 `case-ended` after).",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def nominate(
    user: Annotated[Principal, ALLOW[Operation.REPRESENTATIVE_NOMINATE]],
    view: VisibleCase,
    pool: Pool,
    body: NewNomination,
) -> Nomination:
    return await nominate_representative(pool, user, view, body.representative_id)


async def nominate_representative(
    pool: asyncpg.Pool, user: Principal, view: CaseView, representative_id: str
) -> Nomination:
    """Record ``representative_id`` as the case's representative, for the API and the pages
    alike: 422 unless it names a current user with the representative role."""
    require_open(view, "a representative is nominated")
    chosen = await representative_named(pool, representative_id)
    return await record_nomination(
        pool, case_id=view.case_id, representative_id=chosen.user_id, by_user_id=user.user_id
    )


async def representative_named(pool: asyncpg.Pool, representative_id: str) -> User:
    """The current user with the representative role and this id, or a 422."""
    chosen = await get_user(pool, representative_id)
    if chosen is None or chosen.revoked or chosen.role is not Role.REPRESENTATIVE:
        raise ProblemError(
            422,
            "there is no current user with the representative role and this id",
            kind="not-a-representative",
            errors=[FieldError(field="body.representative_id", message="not a representative")],
        )
    return chosen


@router.delete(
    "/{case_id}/representative",
    response_model=Nomination,
    summary="Withdraw the representative's nomination",
    description="From now on the representative no longer sees or acts on the case. 404 when "
    "none is nominated.",
    responses=problem_responses(401, 403, 404),
)
async def withdraw(
    user: Annotated[Principal, ALLOW[Operation.REPRESENTATIVE_WITHDRAW]],
    view: VisibleCase,
    pool: Pool,
) -> Nomination:
    return await withdraw_nomination(pool, user, view)


async def withdraw_nomination(pool: asyncpg.Pool, user: Principal, view: CaseView) -> Nomination:
    """End the nomination in force (404 when none is), for the API and the pages alike."""
    nomination = await current_nomination(pool, view.case_id)
    if nomination is None or nomination.representative_id is None:
        raise _no_representative()
    return await record_nomination(
        pool, case_id=view.case_id, representative_id=None, by_user_id=user.user_id
    )
