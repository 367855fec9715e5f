"""Remembering checked tokens for a while, and forgetting them the moment any user changes.

Every request checks its bearer token; without this, that is a database round trip per request
(about a sixth of a list request's cost). A trigger on ``users`` (migration 0005) notifies the
``exitcases_users`` channel on every change, revocation included; each API process listens on a
connection of its own and forgets everything it remembered when told. While that connection is
down nothing is remembered, so a revocation can never be missed, only be slower to check.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import asyncpg
import structlog
from cachetools import TTLCache

from store.pool import APP_ROLE, Connection
from store.users import USERS_CHANNEL

if TYPE_CHECKING:
    from api.auth import Principal

log = structlog.get_logger(__name__)

# Any one process meets at most the force's staff; the bound only stops a flood of forged tokens
# (which are never remembered anyway) from mattering.
_MAX_ENTRIES = 50_000
_RECONNECT_SECONDS = (0.5, 1, 2, 5, 10, 30)


class TokenCache:
    """Principals by token hash, valid while this process hears of every change to users."""

    def __init__(self, database_url: str, ttl_seconds: float) -> None:
        self._database_url = database_url
        self._entries: TTLCache[str, Principal] = TTLCache(maxsize=_MAX_ENTRIES, ttl=ttl_seconds)
        # Bumped on every change heard: an answer read from the database before a change
        # arrived must not be remembered after it.
        self._generation = 0
        self._connection: asyncpg.Connection | None = None
        self._keeper: asyncio.Task[None] | None = None
        self._lost = asyncio.Event()

    @property
    def listening(self) -> bool:
        return self._connection is not None and not self._connection.is_closed()

    async def start(self) -> None:
        """Listen now (raising if the database cannot be reached), and keep listening."""
        await self._listen()
        self._keeper = asyncio.create_task(self._keep_listening(), name="token-cache-listener")

    async def aclose(self) -> None:
        if self._keeper is not None:
            self._keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._keeper
        if self._connection is not None:
            await self._connection.close()
        self._forget()

    async def lookup(
        self, token_hash: str, load: Callable[[], Awaitable[Principal | None]]
    ) -> Principal | None:
        """The remembered principal, or ``load()``'s answer (remembered when it is one)."""
        if not self.listening:
            return await load()
        if (hit := self._entries.get(token_hash)) is not None:
            return hit
        generation = self._generation
        principal = await load()
        if principal is not None and generation == self._generation and self.listening:
            self._entries[token_hash] = principal
        return principal

    def __len__(self) -> int:
        return len(self._entries)

    def _forget(self, *_: object) -> None:
        self._generation += 1
        self._entries.clear()

    def _on_termination(self, _connection: Connection) -> None:
        self._forget()
        self._lost.set()

    async def _listen(self) -> None:
        connection = await asyncpg.connect(self._database_url, server_settings={"role": APP_ROLE})
        connection.add_termination_listener(self._on_termination)
        await connection.add_listener(USERS_CHANNEL, self._forget)
        # Anything remembered before this connection listened may be stale.
        self._forget()
        self._connection = connection

    async def _keep_listening(self) -> None:
        while True:
            await self._lost.wait()
            self._lost.clear()
            self._connection = None
            delays = itertools.chain(_RECONNECT_SECONDS, itertools.repeat(_RECONNECT_SECONDS[-1]))
            for delay in delays:
                await asyncio.sleep(delay)
                try:
                    await self._listen()
                except Exception as error:  # whatever the cause, try again later
                    log.warning(
                        "token cache: still cannot listen for user changes",
                        error=type(error).__name__,
                    )
                    continue
                log.info("token cache: listening for user changes again")
                break
