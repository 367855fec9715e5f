"""The real application (``create_app``, its lifespan, uvicorn) serving on a local port.

It runs in the test's event loop, beside the worker, so that requests made from another thread
(schemathesis uses ``requests``) are answered while the loop stays free to run workflows.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn

from api.app import create_app
from api.server import uvicorn_options
from config.settings import Settings
from tests.helpers.api import Stack
from tests.helpers.processes import free_port
from tests.helpers.temporal import TEST_KEYRING


@asynccontextmanager
async def live_server(
    stack: Stack, port: int | None = None, **overrides: Any
) -> AsyncIterator[str]:
    """Serve the stack's database and task queue over HTTP, as ``exitcases api`` would; yield
    the base URL. ``overrides`` are further settings (``trusted_proxies``, say)."""
    settings = Settings(
        database_url=stack.database_url,
        temporal_address=stack.client.service_client.config.target_host,
        temporal_namespace=stack.client.namespace,
        task_queue=stack.settings.task_queue,
        payload_keys=TEST_KEYRING,
        **overrides,
    )
    async with serve_app(settings, port) as url:
        yield url


@asynccontextmanager
async def serve_app(settings: Settings, port: int | None = None) -> AsyncIterator[str]:
    """Serve ``create_app(settings)`` on ``port`` (a free local one by default); yield the base
    URL."""
    port = port or free_port()
    settings = settings.model_copy(update={"api_host": "127.0.0.1", "api_port": port})
    config = uvicorn.Config(
        create_app(settings), **uvicorn_options(settings), log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    async with asyncio.timeout(20):
        while not server.started:
            if serving.done():
                serving.result()  # raises why it stopped
            await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serving
