"""The rig the fault tests break: a file-backed Temporal dev server, worker processes, and a
TCP proxy in front of PostgreSQL (``tests.helpers.faults``)."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest_asyncio
from temporalio.client import Client

from config.settings import Settings
from store.pool import create_pool
from tests.helpers.databases import scratch_database
from tests.helpers.faults import Proxy, Rig, TemporalServer, Workers
from tests.helpers.processes import settings_free_environ
from tests.helpers.temporal import TEST_CONVERTER, TEST_KEYRING


@contextlib.asynccontextmanager
async def make_rig(tmp_path: Path, database_url: str, pool: asyncpg.Pool) -> AsyncIterator[Rig]:
    server = TemporalServer(tmp_path)
    await server.start()
    proxy = Proxy(database_url)
    await proxy.open()
    settings = Settings(task_queue=f"faults-{secrets.token_hex(3)}", payload_keys=TEST_KEYRING)
    env = settings_free_environ() | {
        "EXITCASES_DATABASE_URL": proxy.url,
        "EXITCASES_TEMPORAL_ADDRESS": server.address,
        "EXITCASES_PAYLOAD_KEYS": TEST_KEYRING,
        "EXITCASES_TASK_QUEUE": settings.task_queue,
        "EXITCASES_LOG_FORMAT": "json",
    }
    workers = Workers(env, tmp_path / "worker.log")
    client = await Client.connect(server.address, data_converter=TEST_CONVERTER)
    try:
        yield Rig(server, proxy, workers, client, pool, settings, database_url)
    finally:
        workers.stop_all()
        with contextlib.suppress(Exception):
            await proxy.cut()
        if server.process is not None and server.process.poll() is None:
            server.stop()


@pytest_asyncio.fixture(loop_scope="session")
async def rig(tmp_path: Path, database_url: str, pool: asyncpg.Pool) -> AsyncIterator[Rig]:
    async with make_rig(tmp_path, database_url, pool) as made:
        yield made


@pytest_asyncio.fixture(loop_scope="session")
async def scratch_rig(tmp_path: Path, postgres_server_url: str) -> AsyncIterator[Rig]:
    """A rig on a database of its own, for faults in a test that adds a scheme (which every
    later case in the database would meet)."""
    async with scratch_database(postgres_server_url, "exitcases_faults") as url:
        pool = await create_pool(url)
        try:
            async with make_rig(tmp_path, url, pool) as made:
                yield made
        finally:
            await pool.close()
