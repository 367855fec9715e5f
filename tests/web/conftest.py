"""Fixtures for the web pages: the shared API stack (real Temporal, worker and PostgreSQL,
tests/conftest.py) served over HTTP for a real browser."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from tests.helpers.api import Stack
from tests.helpers.live import live_server


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def live(stack: Stack) -> AsyncIterator[str]:
    """The application under uvicorn, as `exitcases api` serves it; its base URL."""
    async with live_server(stack) as url:
        yield url
