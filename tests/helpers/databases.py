"""Throwaway databases for tests and benchmarks: created on a server, migrated, dropped after.

Each test run and each benchmark works in a database of its own, so none sees another's rows.
Not part of the service (it never creates databases); bench/ imports it from here.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from store.migrate import migrate_url


def with_database(url: str, database: str) -> str:
    """``url`` pointing at ``database`` on the same server (socket URLs keep their socket)."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{database}"))


async def create_database(server_url: str, prefix: str) -> str:
    """A new migrated database ``<prefix>_<hex>`` on the server; returns its URL."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = with_database(server_url, name)
    await migrate_url(url)
    return url


async def drop_database(server_url: str, url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@asynccontextmanager
async def scratch_database(server_url: str, prefix: str) -> AsyncIterator[str]:
    url = await create_database(server_url, prefix)
    try:
        yield url
    finally:
        await drop_database(server_url, url)
