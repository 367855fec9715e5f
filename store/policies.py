"""Scheme policy versions. The newest is current and applies to new cases; versions are
never changed once stored, because running cases keep the version they started under."""

from __future__ import annotations

import asyncpg

from domain.policy import SchemePolicy, load_bundled_policy
from store.pool import Connection
from store.versions import add_version

Executor = asyncpg.Pool | Connection


async def add_policy(pool: asyncpg.Pool, policy: SchemePolicy, created_by: str) -> bool:
    """Store a new version; False when the identical document is already stored.

    The caller has admitted ``policy`` (``domain.bounds.admit``): the API route and
    ``load_bundled_policy`` do, once, where the document comes in.
    """
    return await add_version(
        pool,
        """INSERT INTO policies (version, document, created_by) VALUES ($1, $2, $3)
           ON CONFLICT (version) DO NOTHING RETURNING true""",
        (policy.version, policy.model_dump(mode="json"), created_by),
        lambda connection: get_policy(connection, policy.version),
        policy,
    )


async def get_policy(executor: Executor, version: str) -> SchemePolicy | None:
    document = await executor.fetchval("SELECT document FROM policies WHERE version = $1", version)
    return SchemePolicy.model_validate(document) if document is not None else None


async def current_policy(executor: Executor) -> SchemePolicy | None:
    document = await executor.fetchval(
        "SELECT document FROM policies ORDER BY created_at DESC, version DESC LIMIT 1"
    )
    return SchemePolicy.model_validate(document) if document is not None else None


async def ensure_default_policy(pool: asyncpg.Pool) -> SchemePolicy:
    """The current policy, storing the bundled default first if none has been added."""
    policy = await current_policy(pool)
    if policy is not None:
        return policy
    await add_policy(pool, load_bundled_policy(), "system")
    policy = await current_policy(pool)
    assert policy is not None
    return policy


async def list_policies(executor: Executor) -> list[SchemePolicy]:
    rows = await executor.fetch("SELECT document FROM policies ORDER BY created_at, version")
    return [SchemePolicy.model_validate(r["document"]) for r in rows]
