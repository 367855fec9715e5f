"""Idempotency keys: the same key and body return the first result and do nothing twice.

No lock is held while the write runs. Each guarded write is itself safe to repeat (a case is
opened under an id derived from the key, a policy or regulation version is stored once, the
roster import is an upsert), so concurrent requests with one key may all run it; the first to
finish stores its response and every request answers with that stored response.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import asyncpg
from pydantic import BaseModel


class KeyReused(Exception):
    """The key was used before with a different request body."""


class StoredResponse(BaseModel):
    status_code: int
    body: Any


def _canonical(value: Any) -> Any:
    """Sets become sorted lists: their iteration order differs between processes."""
    if isinstance(value, set | frozenset):
        return sorted((_canonical(v) for v in value), key=lambda v: json.dumps(v, default=str))
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def request_hash(body: Any) -> str:
    """A digest of a validated request body (``model_dump()``), the same in every process."""
    canonical = json.dumps(_canonical(body), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def begin(
    pool: asyncpg.Pool, *, user_id: str, scope: str, key: str, digest: str
) -> StoredResponse | None:
    """Record the key on first use; return the stored response if the request already finished.

    Raises :class:`KeyReused` when the key was sent before with another body.
    """
    inserted = await pool.fetchval(
        """INSERT INTO idempotency_keys (user_id, scope, key, request_hash)
           VALUES ($1, $2, $3, $4)
           ON CONFLICT (user_id, scope, key) DO NOTHING
           RETURNING true""",
        user_id,
        scope,
        key,
        digest,
    )
    if inserted:
        return None
    row = await pool.fetchrow(
        """SELECT request_hash, status_code, response FROM idempotency_keys
           WHERE user_id = $1 AND scope = $2 AND key = $3""",
        user_id,
        scope,
        key,
    )
    assert row is not None  # keys are never deleted while requests may reuse them
    if row["request_hash"] != digest:
        raise KeyReused
    if row["status_code"] is None:
        return None  # still running elsewhere (or it failed): running it again is safe
    return StoredResponse(status_code=row["status_code"], body=row["response"])


async def finish(
    pool: asyncpg.Pool, *, user_id: str, scope: str, key: str, status_code: int, body: Any
) -> StoredResponse:
    """Store the response unless another request stored one first; return what is stored."""
    row = await pool.fetchrow(
        """UPDATE idempotency_keys
           SET status_code = $4, response = $5, completed_at = clock_timestamp()
           WHERE user_id = $1 AND scope = $2 AND key = $3 AND status_code IS NULL
           RETURNING status_code, response""",
        user_id,
        scope,
        key,
        status_code,
        body,
    )
    if row is None:
        row = await pool.fetchrow(
            """SELECT status_code, response FROM idempotency_keys
               WHERE user_id = $1 AND scope = $2 AND key = $3""",
            user_id,
            scope,
            key,
        )
        assert row is not None and row["status_code"] is not None
    return StoredResponse(status_code=row["status_code"], body=row["response"])
