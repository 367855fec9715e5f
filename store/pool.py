"""The asyncpg pool, with JSON columns decoded to Python values."""

from __future__ import annotations

import json

import asyncpg
from asyncpg.pool import PoolConnectionProxy

# What store functions run queries on inside a transaction: a connection the pool lends (a proxy)
# or one opened alone. asyncpg treats both alike; its type stubs keep them apart.
Connection = asyncpg.Connection | PoolConnectionProxy


async def _init_connection(connection: asyncpg.Connection) -> None:
    for type_name in ("json", "jsonb"):
        await connection.set_type_codec(
            type_name, encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
        )


async def _keep_session(connection: asyncpg.Connection) -> None:
    """Reset on release: nothing beyond asyncpg's own rollback of an unfinished transaction.

    The service keeps no session state on pooled connections (no LISTEN, SET, session advisory
    locks or cursors outside a transaction; migrations use their own connection), so asyncpg's
    default ``RESET ALL``-and-more would be one more round trip per query for nothing.
    """


# The service works as this role (created by migration 0003): on the audit and access logs it
# may only INSERT and SELECT, whatever the login it connects with may do.
APP_ROLE = "exitcases_app"


async def create_pool(
    database_url: str, *, min_size: int = 1, max_size: int = 10, role: str | None = APP_ROLE
) -> asyncpg.Pool:
    """A pool whose connections run as ``role`` (None: as the login, for migrations and admin)."""
    pool = await asyncpg.create_pool(
        database_url,
        min_size=min_size,
        max_size=max_size,
        init=_init_connection,
        reset=_keep_session,
        server_settings={"role": role} if role else None,
    )
    assert pool is not None
    return pool
