"""Scheme policy versions: staff read them, admins add them. A new version applies to new
cases only; a case keeps the version it started under."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse

from api.access import ALLOW
from api.auth import Principal
from api.authz import Operation
from api.bodies import admitted
from api.deps import Pool
from api.idempotency import IdempotencyKey
from api.problems import ProblemError, problem_responses
from api.versions import add_once
from domain.policy import SchemePolicy, load_bundled_policy
from store.policies import add_policy, current_policy, get_policy

router = APIRouter(prefix="/v1/policies", tags=["policies"])

_SCOPE = "POST /v1/policies"
_EXAMPLE = load_bundled_policy("demo").model_dump(mode="json")


@router.get(
    "/current",
    response_model=SchemePolicy,
    summary="The current scheme policy",
    description="The newest version: what a case opened now starts under.",
    responses={
        200: {"content": {"application/json": {"example": _EXAMPLE}}},
        **problem_responses(401, 403, 404, s404="no scheme policy has been added yet"),
    },
)
async def current(
    user: Annotated[Principal, ALLOW[Operation.POLICIES_READ]], pool: Pool
) -> SchemePolicy:
    policy = await current_policy(pool)
    if policy is None:
        raise ProblemError(404, "no scheme policy has been added yet", kind="no-policy")
    return policy


@router.get(
    "/{version}",
    response_model=SchemePolicy,
    summary="One scheme policy version",
    responses=problem_responses(401, 403, 404, 422, s404="there is no policy version 2031-1"),
)
async def one(
    user: Annotated[Principal, ALLOW[Operation.POLICIES_READ]],
    pool: Pool,
    version: Annotated[str, Path(min_length=1, max_length=64, examples=["2026-1"])],
) -> SchemePolicy:
    policy = await get_policy(pool, version)
    if policy is None:
        raise ProblemError(404, "there is no policy with this version", kind="no-policy")
    return policy


@router.post(
    "",
    status_code=201,
    response_model=SchemePolicy,
    summary="Add a scheme policy version",
    description="Stores a new version, which becomes current. The same version and document "
    "again is answered 200 and changes nothing; the same version with another document is 409.",
    responses={
        200: {"description": "This exact version was already stored."},
        201: {"content": {"application/json": {"example": _EXAMPLE}}},
        **problem_responses(
            401,
            403,
            409,
            422,
            s409="policy version demo already exists with different content",
        ),
    },
)
async def add(
    user: Annotated[Principal, ALLOW[Operation.POLICIES_WRITE]],
    pool: Pool,
    policy: SchemePolicy,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    policy = admitted(SchemePolicy, policy)
    return await add_once(
        pool,
        user,
        idempotency_key,
        scope=_SCOPE,
        document=policy,
        add=lambda: add_policy(pool, policy, user.user_id),
        conflict=(f"policy version {policy.version}", "policy-conflict"),
        location=f"/v1/policies/{policy.version}",
    )
