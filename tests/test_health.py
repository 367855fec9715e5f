"""/healthz and /readyz, against the real PostgreSQL and Temporal, and with each one down."""

from __future__ import annotations

import asyncpg
import httpx
import pytest
import structlog
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from config.settings import Settings
from store.pool import create_pool
from tests.helpers.processes import BIN


def app_with(pool: asyncpg.Pool, client: Client) -> httpx.AsyncClient:
    app = create_app(Settings(), pool=pool, temporal=client)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def test_ready_when_both_answer(pool: asyncpg.Pool, dev_env: WorkflowEnvironment) -> None:
    async with app_with(pool, dev_env.client) as http:
        assert (await http.get("/healthz")).json() == {"status": "ok"}
        ready = await http.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"postgres": "ok", "temporal": "ok"}


async def test_not_ready_names_postgres_when_the_database_is_gone(
    database_url: str, dev_env: WorkflowEnvironment
) -> None:
    closed = await create_pool(database_url, min_size=1, max_size=1)
    await closed.close()
    async with app_with(closed, dev_env.client) as http:
        assert (await http.get("/healthz")).status_code == 200
        ready = await http.get("/readyz")
    assert ready.status_code == 503
    assert ready.headers["content-type"] == "application/problem+json"
    assert ready.json()["detail"] == "not ready: postgres unreachable"


@pytest.mark.slow
async def test_not_ready_names_temporal_when_the_server_is_gone(pool: asyncpg.Pool) -> None:
    # A server of its own, shut down, leaves a client that points at nothing.
    other = await WorkflowEnvironment.start_local(dev_server_existing_path=str(BIN / "temporal"))
    stale = other.client
    await other.shutdown()
    with structlog.testing.capture_logs() as logged:
        async with app_with(pool, stale) as http:
            ready = await http.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"] == {"postgres": "ok", "temporal": "unreachable"}
    # The operator's log says which dependency failed and how, without the error's text.
    failed = [line for line in logged if line["event"] == "readiness check failed"]
    assert [(line["dependency"], line["log_level"]) for line in failed] == [("temporal", "warning")]
    assert set(failed[0]) == {"event", "dependency", "error_type", "log_level"}
