"""Schemes (issue 17): staff read them, admins add versions, HR managers invite the cohort."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api.access import ALLOW
from api.auth import Principal
from api.authz import Operation
from api.bodies import admitted
from api.deps import AppSettings, Pool, Temporal
from api.idempotency import IdempotencyKey, run_once
from api.problems import ProblemError, problem_responses
from domain.officer import Rank
from domain.scheme import NAME_PATTERN, InvitationProgress, Scheme, SchemeVersion
from service import schemes as service
from service.schemes import InvitationRunView
from store import schemes as store

router = APIRouter(prefix="/v1/schemes", tags=["schemes"])

_SCOPE = "POST /v1/schemes"
_INVITE_SCOPE = "POST /v1/schemes/{name}/invitations"

SchemeName = Annotated[
    str, Path(min_length=1, max_length=64, pattern=NAME_PATTERN, examples=["ves-2026"])
]


def no_scheme() -> ProblemError:
    return ProblemError(404, "there is no scheme with this name", kind="no-scheme")


@router.get(
    "",
    response_model=list[SchemeVersion],
    summary="Schemes",
    description="Each scheme's version in force (its newest).",
    responses=problem_responses(401, 403),
)
async def list_all(
    user: Annotated[Principal, ALLOW[Operation.SCHEMES_READ]], pool: Pool
) -> list[SchemeVersion]:
    return await store.list_schemes(pool)


@router.get(
    "/{name}",
    response_model=list[SchemeVersion],
    summary="One scheme's versions",
    description="Every version, oldest first; the last is in force.",
    responses=problem_responses(401, 403, 404, 422, s404="there is no scheme with this name"),
)
async def versions(
    user: Annotated[Principal, ALLOW[Operation.SCHEMES_READ]], pool: Pool, name: SchemeName
) -> list[SchemeVersion]:
    found = await store.scheme_versions(pool, name)
    if not found:
        raise no_scheme()
    return found


@router.post(
    "",
    status_code=201,
    response_model=SchemeVersion,
    summary="Add a scheme version",
    description="Stores the document as the scheme's next version, which is then in force "
    "(and the scheme new applications meet). The same document as the version in force is "
    "answered 200 and stores nothing. The policy it names must be stored.",
    responses={
        200: {"description": "The version in force is this document already."},
        **problem_responses(
            401, 403, 422, s422="the scheme names policy version 2031-1, which is not stored"
        ),
    },
)
async def add(
    user: Annotated[Principal, ALLOW[Operation.SCHEMES_WRITE]],
    pool: Pool,
    scheme: Scheme,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    scheme = admitted(Scheme, scheme)

    async def write() -> tuple[int, Any]:
        before = await store.get_scheme(pool, scheme.name)
        try:
            stored = await service.add_scheme(pool, scheme, user.user_id)
        except service.UnknownPolicy:
            raise ProblemError(
                422,
                f"the scheme names policy version {scheme.policy_version}, which is not stored",
                kind="unknown-policy",
            ) from None
        created = before is None or before.version != stored.version
        return (201 if created else 200), stored.model_dump(mode="json")

    status, content = await run_once(
        pool, user, _SCOPE, idempotency_key, scheme.model_dump(mode="json"), write
    )
    return JSONResponse(
        content, status_code=status, headers={"Location": f"/v1/schemes/{scheme.name}"}
    )


class InvitationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ranks: list[Rank] | None = Field(
        default=None,
        min_length=1,
        description="Invite officers of these ranks only; unset: every rank the scheme's "
        "policy makes eligible.",
    )


@router.post(
    "/{name}/invitations",
    status_code=202,
    response_model=InvitationProgress,
    summary="Invite the cohort to apply",
    description="Starts an invitation run: every officer on the roster of the ranks asked "
    "for (among those the scheme's policy makes eligible) is invited and notified, once per "
    "scheme ever, however many runs there are. Invited officers who have not applied are "
    "reminded the policy's `invitation_reminder_working_days` before the window closes. "
    "Follow the run at the `Location` it answers with.",
    responses=problem_responses(401, 403, 404, 422, s404="there is no scheme with this name"),
)
async def invite(
    user: Annotated[Principal, ALLOW[Operation.SCHEMES_INVITE]],
    pool: Pool,
    client: Temporal,
    settings: AppSettings,
    name: SchemeName,
    body: InvitationRequest,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    run_id = (
        service.run_id_for(user.user_id, idempotency_key) if idempotency_key is not None else None
    )

    async def write() -> tuple[int, Any]:
        try:
            progress = await service.start_invitations(
                pool,
                client,
                settings,
                scheme=name,
                ranks=body.ranks or list(Rank),
                actor=user.actor(),
                run_id=run_id,
            )
        except service.UnknownScheme:
            raise no_scheme() from None
        return 202, progress.model_dump(mode="json")

    status, content = await run_once(
        pool, user, _INVITE_SCOPE, idempotency_key, {"name": name, **body.model_dump()}, write
    )
    return JSONResponse(
        content,
        status_code=status,
        headers={"Location": f"/v1/schemes/{name}/invitations/{content['run_id']}"},
    )


RunId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


@router.get(
    "/{name}/invitations",
    response_model=list[InvitationRunView],
    summary="A scheme's invitation runs",
    description="The runs started for the scheme, newest first (the last 50), each as "
    "`GET /v1/schemes/{name}/invitations/{run_id}` answers. A run whose history Temporal no "
    "longer keeps (past the namespace's retention) is shown from the figures it recorded, or "
    "as `unknown` if it recorded none.",
    responses=problem_responses(401, 403, 404, 422, s404="there is no scheme with this name"),
)
async def runs(
    user: Annotated[Principal, ALLOW[Operation.SCHEMES_READ]],
    pool: Pool,
    client: Temporal,
    name: SchemeName,
) -> list[InvitationRunView]:
    if await store.get_scheme(pool, name) is None:
        raise no_scheme()
    return await service.invitation_runs(pool, client, name)


@router.get(
    "/{name}/invitations/{run_id}",
    response_model=InvitationRunView,
    summary="How far an invitation run is",
    description="`total` officers to invite, `processed` so far, of whom `invited` by this run "
    "and `skipped` (invited before); `not_eligible` officers of the ranks asked for were left "
    "out by the scheme's policy. `state` is running, completed or failed (`failed` officers "
    "are those a failed run never reached), or unknown when Temporal no longer keeps a run "
    "that recorded no figures (then only `invited` is known); `status` is the workflow's "
    "step: listing, inviting, waiting_to_remind or done.",
    responses=problem_responses(401, 403, 404, 422, s404="there is no such invitation run"),
)
async def progress(
    user: Annotated[Principal, ALLOW[Operation.SCHEMES_READ]],
    pool: Pool,
    client: Temporal,
    name: SchemeName,
    run_id: RunId,
) -> InvitationRunView:
    try:
        return await service.invitation_run(pool, client, name, run_id)
    except service.UnknownRun:
        raise ProblemError(404, "there is no such invitation run", kind="no-run") from None
