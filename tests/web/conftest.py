"""Fixtures for the web pages: the API tests' stack (real Temporal, worker and PostgreSQL),
served over HTTP for a real browser."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

# The API tests' fixtures, shared: one worker and one app per session for both suites.
from tests.api.conftest import Stack, api, isolated_stack, new_officer, stack, staff  # noqa: F401
from tests.api.live import live_server


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def live(stack: Stack) -> AsyncIterator[str]:  # noqa: F811 (the fixture above)
    """The application under uvicorn, as `exitcases api` serves it; its base URL."""
    async with live_server(stack) as url:
        yield url
