"""Versioned records (scheme policies, letter templates): a version is stored once and never
changed, because running cases keep the version they started under."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import asyncpg

from store.pool import Connection

T = TypeVar("T")


class VersionConflict(Exception):
    """A version that exists already with different content."""


async def add_version(
    pool: asyncpg.Pool,
    insert: str,
    args: Sequence[Any],
    stored: Callable[[Connection], Awaitable[T | None]],
    new: T,
) -> bool:
    """Run ``insert`` (``... ON CONFLICT DO NOTHING RETURNING true``); False when the same
    version was already stored as ``new``, ``VersionConflict`` when it was stored otherwise."""
    async with pool.acquire() as connection, connection.transaction():
        if await connection.fetchval(insert, *args):
            return True
        existing = await stored(connection)
    if existing != new:
        raise VersionConflict
    return False
