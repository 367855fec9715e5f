"""``Idempotency-Key`` for writes that create things (cases, policies, regulations, imports).

Each such route runs its write through ``run_once``: the write runs only when no response is
stored for the key yet, and the first response stored is what every request with that key gets,
then and later. See ``store.idempotency``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import asyncpg
from fastapi import Header

from api.auth import Principal
from api.problems import ProblemError
from store import idempotency

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description="Any unique string (a UUID): the same key and body return the first "
        "result and do nothing twice.",
    ),
]


async def _replay(
    pool: asyncpg.Pool, user: Principal, scope: str, key: str, request: Any
) -> idempotency.StoredResponse | None:
    """The stored response for a key already answered; None when the write should run."""
    try:
        stored = await idempotency.begin(
            pool,
            user_id=user.user_id,
            scope=scope,
            key=key,
            digest=idempotency.request_hash(request),
        )
    except idempotency.KeyReused:
        raise ProblemError(
            422,
            "this Idempotency-Key was used before with a different body; use a new key",
            kind="idempotency-key-reused",
        ) from None
    return stored


async def _remember(
    pool: asyncpg.Pool, user: Principal, scope: str, key: str, status_code: int, content: Any
) -> tuple[int, Any]:
    """Store this response unless one is stored already; return the one every caller gets."""
    stored = await idempotency.finish(
        pool, user_id=user.user_id, scope=scope, key=key, status_code=status_code, body=content
    )
    return stored.status_code, stored.body


async def run_once(
    pool: asyncpg.Pool,
    user: Principal,
    scope: str,
    key: str | None,
    request: Any,
    write: Callable[[], Awaitable[tuple[int, Any]]],
) -> tuple[int, Any]:
    """The status and body to answer with: ``write``'s, stored under the key if there is one,
    or those stored for the key already (``write`` does not run). ``request`` is what the key
    must be sent with again; a different one is refused. Without a key, ``write`` just runs."""
    if key is not None:
        stored = await _replay(pool, user, scope, key, request)
        if stored is not None:
            return stored.status_code, stored.body
    status, content = await write()
    if key is not None:
        status, content = await _remember(pool, user, scope, key, status, content)
    return status, content
