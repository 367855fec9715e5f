"""A worker on the time-skipping server with real activities and PostgreSQL, and a starter for
cases on it (``tests.helpers.cases``)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from datetime import date

import asyncpg
import pytest
import pytest_asyncio
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from config.settings import Settings
from domain.clock import local_date
from tests.helpers.cases import CaseStarter, case_starter
from worker import build_worker


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings(task_queue=f"exit-cases-test-{secrets.token_hex(3)}")


@pytest_asyncio.fixture(scope="session", loop_scope="session", autouse=True)
async def worker(
    time_skipping_env: WorkflowEnvironment, pool: asyncpg.Pool, settings: Settings
) -> AsyncIterator[None]:
    async with build_worker(time_skipping_env.client, pool, settings):
        yield


@pytest_asyncio.fixture(loop_scope="session")
async def today(time_skipping_env: WorkflowEnvironment) -> date:
    """Today on the test server's clock, which runs ahead of the wall clock as tests skip time."""
    return local_date(await time_skipping_env.get_current_time())


@pytest_asyncio.fixture(loop_scope="session")
async def start_case(client: Client, pool: asyncpg.Pool, settings: Settings) -> CaseStarter:
    return case_starter(client, pool, settings)
