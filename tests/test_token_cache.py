"""Remembered tokens: spared lookups, and forgotten the moment a user changes or listening stops."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg
import pytest_asyncio

from api.auth import DatabaseTokenVerifier, Principal
from api.token_cache import TokenCache
from domain.people import Role
from store.users import create_user, revoke_user


@pytest_asyncio.fixture
async def cache(database_url: str) -> AsyncIterator[TokenCache]:
    cache = TokenCache(database_url, ttl_seconds=60)
    await cache.start()
    yield cache
    await cache.aclose()


async def eventually(check: Callable[[], Awaitable[bool]], seconds: float = 10) -> None:
    async with asyncio.timeout(seconds):
        while not await check():
            await asyncio.sleep(0.02)


def counting(
    principal: Principal | None,
) -> tuple[list[int], Callable[[], Awaitable[Principal | None]]]:
    calls = [0]

    async def load() -> Principal | None:
        calls[0] += 1
        return principal

    return calls, load


CASEWORKER = Principal(user_id="u_cached", role=Role.CASEWORKER)


async def test_a_checked_token_is_not_looked_up_again(cache: TokenCache) -> None:
    calls, load = counting(CASEWORKER)
    assert await cache.lookup("h1", load) == CASEWORKER
    assert await cache.lookup("h1", load) == CASEWORKER
    assert calls == [1]
    refused, load_nobody = counting(None)
    assert await cache.lookup("forged", load_nobody) is None
    assert await cache.lookup("forged", load_nobody) is None
    assert refused == [2]  # an unknown token is never remembered


async def test_a_revoked_token_is_refused_once_the_change_is_heard(
    pool: asyncpg.Pool, cache: TokenCache
) -> None:
    user, token = await create_user(pool, name="Cas Cached", role=Role.CASEWORKER)
    verifier = DatabaseTokenVerifier(pool, cache)
    assert (await verifier.verify(token)) is not None
    assert len(cache) >= 1
    await revoke_user(pool, user.user_id)

    async def refused() -> bool:
        return await verifier.verify(token) is None

    await eventually(refused, seconds=2)
    assert len(cache) == 0


async def test_an_answer_read_while_a_user_changed_is_not_remembered(
    pool: asyncpg.Pool, cache: TokenCache
) -> None:
    user, _ = await create_user(pool, name="Raced", role=Role.AUDITOR)
    # Something remembered beforehand: its disappearance shows the change was heard.
    await cache.lookup("h-other", counting(CASEWORKER)[1])
    assert len(cache) == 1

    async def heard() -> bool:
        return len(cache) == 0  # the change clears what was remembered

    async def load_while_revoked() -> Principal:
        # The answer was read; then, before it is returned, the user changes.
        await revoke_user(pool, user.user_id)
        await eventually(heard, seconds=2)
        return CASEWORKER

    assert await cache.lookup("h-raced", load_while_revoked) == CASEWORKER
    calls, load = counting(None)
    assert await cache.lookup("h-raced", load) is None
    assert calls == [1]


async def test_nothing_is_remembered_while_not_listening_and_listening_resumes(
    database_url: str, cache: TokenCache
) -> None:
    calls, load = counting(CASEWORKER)
    await cache.lookup("h2", load)
    admin = await asyncpg.connect(database_url)
    try:
        killed = await admin.fetchval(
            """SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
               WHERE datname = current_database() AND query LIKE 'LISTEN%'"""
        )
    finally:
        await admin.close()
    assert killed == 1

    async def stopped_and_forgotten() -> bool:
        # The connection reads as closed a turn of the loop before asyncpg calls the
        # termination listener that forgets; lookups go to the loader from the first.
        return not cache.listening and len(cache) == 0

    await eventually(stopped_and_forgotten)
    await cache.lookup("h2", load)
    await cache.lookup("h2", load)
    assert calls == [3]  # every lookup went to the loader while deaf

    async def listening() -> bool:
        return cache.listening

    await eventually(listening)
    await cache.lookup("h2", load)
    await cache.lookup("h2", load)
    assert calls == [4]
