"""Adding a version of a versioned record over the API: once per idempotency key, 201 when
new, 200 when the same version and content were already stored, 409 when other content was."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.auth import Principal
from api.deps import Pool
from api.idempotency import IdempotencyKey, run_once
from api.problems import ProblemError
from store.versions import VersionConflict


async def add_once(
    pool: Pool,
    user: Principal,
    idempotency_key: IdempotencyKey,
    *,
    scope: str,
    document: BaseModel,
    add: Callable[[], Awaitable[bool]],
    conflict: tuple[str, str],
    location: str,
) -> JSONResponse:
    """``conflict``: what the 409 says was stored already, and the problem's kind."""

    async def write() -> tuple[int, Any]:
        try:
            created = await add()
        except VersionConflict:
            what, kind = conflict
            raise ProblemError(
                409,
                f"{what} already exists with different content; choose a new version",
                kind=kind,
            ) from None
        return (201 if created else 200), document.model_dump(mode="json")

    status, content = await run_once(
        pool, user, scope, idempotency_key, document.model_dump(), write
    )
    return JSONResponse(content, status_code=status, headers={"Location": location})
