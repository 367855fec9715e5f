"""The FastAPI application and the resources it holds for its lifetime."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from fastapi import FastAPI
from temporalio.client import Client

from api import health
from api.auth import DatabaseTokenVerifier, build_verifier
from api.cors import install_cors
from api.docs_ui import install_docs
from api.token_cache import TokenCache
from api.v1 import install_api
from config.runtime import connect_temporal, database_url
from config.settings import Settings, get_settings
from store.pool import create_pool
from web.app import install_web
from web.errors import too_large_page


def create_app(
    settings: Settings | None = None,
    *,
    pool: asyncpg.Pool | None = None,
    temporal: Client | None = None,
) -> FastAPI:
    """The service's application, wired once for production and tests alike.

    On its own it opens its pool and Temporal connection when it starts serving and closes them
    when it stops. Given ``pool`` and ``temporal`` (both: tests share theirs), it uses those from
    the first request and closes neither, with no lifespan to run, so an in-process ASGI client
    can call it at once.
    """
    settings = settings or get_settings()
    if (pool is None) != (temporal is None):
        raise ValueError("give create_app both a pool and a Temporal client, or neither")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.pool = await create_pool(database_url(settings))
        app.state.temporal = await connect_temporal(settings)
        app.state.verifier = verifier = build_verifier(settings, app.state.pool)
        cache = None
        if isinstance(verifier, DatabaseTokenVerifier) and settings.auth_cache_seconds > 0:
            cache = verifier.cache = TokenCache(database_url(settings), settings.auth_cache_seconds)
            await cache.start()
        # What exists now (modules, schemas, pools) lives as long as the process: keep it out of
        # the collector's full passes, which otherwise pause every request in flight to walk it.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            if cache is not None:
                await cache.aclose()
            await app.state.pool.close()

    app = FastAPI(
        title="Exit Case Service",
        version="1",
        description="HR exit cases (voluntary exit, efficiency retirement) as durable workflows.",
        lifespan=lifespan if pool is None else None,
        # Served by install_docs from the service's own files, not a CDN.
        docs_url=None,
        redoc_url=None,
    )
    if pool is not None:
        app.state.settings, app.state.pool, app.state.temporal = settings, pool, temporal
    app.include_router(health.router)
    install_api(app, too_large_page=too_large_page)
    install_web(app, settings)
    install_docs(app)
    install_cors(app, settings)
    return app
