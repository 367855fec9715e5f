"""Letter template versions: staff read them, admins add them. A new version applies to new
cases only; a case keeps the wording it started with."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse

from api.access import ALLOW
from api.auth import Principal
from api.authz import Operation
from api.deps import Pool
from api.idempotency import IdempotencyKey
from api.problems import ProblemError, problem_responses
from api.versions import add_once
from domain.letters import TemplateSet
from store.letters import TemplateVersion, add_templates, get_templates
from store.letters import list_templates as stored_versions

router = APIRouter(prefix="/v1/letter-templates", tags=["letters"])

_SCOPE = "POST /v1/letter-templates"
_VERSION = Annotated[str, Path(min_length=1, max_length=64, examples=["default"])]


@router.get(
    "",
    response_model=list[TemplateVersion],
    summary="Letter template versions",
    description="Oldest first; the last is current and applies to cases opened now.",
    responses=problem_responses(401, 403),
)
async def list_versions(
    user: Annotated[Principal, ALLOW[Operation.LETTER_TEMPLATES_READ]], pool: Pool
) -> list[TemplateVersion]:
    return await stored_versions(pool)


@router.get(
    "/{version}",
    response_model=TemplateSet,
    summary="One letter template version",
    responses=problem_responses(401, 403, 404),
)
async def one(
    user: Annotated[Principal, ALLOW[Operation.LETTER_TEMPLATES_READ]],
    pool: Pool,
    version: _VERSION,
) -> TemplateSet:
    templates = await get_templates(pool, version)
    if templates is None:
        raise ProblemError(
            404, "there is no letter template version of this name", kind="no-templates"
        )
    return templates


@router.post(
    "",
    status_code=201,
    response_model=TemplateSet,
    summary="Add a letter template version",
    description="One HTML (Jinja2, sandboxed) template per letter kind and a `layout` they "
    "extend; every kind is required and each must compile. The version becomes current for new "
    "cases. The same version and templates again is 200; other templates under it are 409.",
    responses={
        200: {"description": "This exact version was already stored."},
        **problem_responses(401, 403, 409, 422),
    },
)
async def add(
    user: Annotated[Principal, ALLOW[Operation.LETTER_TEMPLATES_WRITE]],
    pool: Pool,
    templates: TemplateSet,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    return await add_once(
        pool,
        user,
        idempotency_key,
        scope=_SCOPE,
        document=templates,
        add=lambda: add_templates(pool, templates, user.user_id),
        conflict=(f"letter template version {templates.version}", "templates-conflict"),
        location=f"/v1/letter-templates/{templates.version}",
    )
