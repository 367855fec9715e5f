"""Regulation records (efficiency retirement): staff read them, admins add them.

Storage and validation only: the branch that runs efficiency-retirement cases reads the record
in force through ``store.regulations.regulation_in_force``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from api.access import ALLOW
from api.auth import Principal
from api.authz import Operation
from api.bodies import admitted
from api.deps import Pool
from api.idempotency import IdempotencyKey, run_once
from api.problems import ProblemError, problem_responses
from domain.regulation import Regulation, RegulationRecord
from store import regulations

router = APIRouter(prefix="/v1/regulations", tags=["regulations"])

_SCOPE = "POST /v1/regulations"


@router.get(
    "",
    response_model=list[RegulationRecord],
    summary="Regulation records",
    description="Every record in order of taking effect, or only those in force on a day.",
    responses=problem_responses(401, 403, 422),
)
async def list_all(
    user: Annotated[Principal, ALLOW[Operation.REGULATIONS_READ]],
    pool: Pool,
    in_force_on: Annotated[
        date | None, Query(description="Only records in force on this day (YYYY-MM-DD).")
    ] = None,
) -> list[RegulationRecord]:
    return await regulations.list_regulations(pool, in_force_on=in_force_on)


@router.post(
    "",
    status_code=201,
    response_model=RegulationRecord,
    summary="Add a regulation record",
    description="Records are never changed: end one with a new version whose dates close it. "
    "The same record again is answered 200; the same legal reference and version with other "
    "content is 409.",
    responses={
        200: {"description": "This exact record was already stored."},
        **problem_responses(
            401,
            403,
            409,
            422,
            s409="version 2026-1 of this legal reference exists with other content",
            s422="invalid input in: body.effective_to",
        ),
    },
)
async def add(
    user: Annotated[Principal, ALLOW[Operation.REGULATIONS_WRITE]],
    pool: Pool,
    regulation: Regulation,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    regulation = admitted(Regulation, regulation)

    async def write() -> tuple[int, Any]:
        try:
            record, created = await regulations.add_regulation(pool, regulation, user.user_id)
        except regulations.RegulationConflict as conflict:
            raise ProblemError(409, str(conflict), kind="regulation-conflict") from None
        return (201 if created else 200), record.model_dump(mode="json")

    status, content = await run_once(
        pool, user, _SCOPE, idempotency_key, regulation.model_dump(), write
    )
    return JSONResponse(content, status_code=status)
