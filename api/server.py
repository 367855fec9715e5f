"""`exitcases api`: the HTTP API under uvicorn, in one process or several.

One event loop serves one core at most, so on a machine with more cores the API runs several
processes on one port (``EXITCASES_API_WORKERS``). Each is a whole app with its own pool and
Temporal client, made by :func:`app_factory` from the environment; uvicorn restarts one that
dies.
"""

from __future__ import annotations

import sys
from typing import Any

import uvicorn
from fastapi import FastAPI

from api.app import create_app
from config.logging import configure_logging
from config.runtime import database_url, payload_keyring, temporal_address
from config.settings import Settings


def app_factory() -> FastAPI:
    """The app of one API process (uvicorn calls this in each process it starts)."""
    settings = Settings()
    configure_logging(settings)
    return create_app(settings)


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """How uvicorn serves the app, whether from ``exitcases api`` or a test's live server."""
    return {
        "host": settings.api_host,
        "port": settings.api_port,
        # uvicorn's loggers go through the structlog set-up like everything else.
        "log_config": None,
        # uvicorn would otherwise believe X-Forwarded-For from 127.0.0.1 (its default), letting
        # any local caller pick the address the failed-authentication brake holds. Only the
        # configured proxies are believed; with none, the TCP peer is the caller.
        "proxy_headers": bool(settings.trusted_proxies),
        "forwarded_allow_ips": list(settings.trusted_proxies),
    }


def serve(settings: Settings) -> int:
    # Say what is missing before uvicorn starts, rather than as a traceback from the lifespan.
    try:
        database_url(settings)
        temporal_address(settings)
        payload_keyring(settings)
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    # uvicorn picks uvloop and httptools (dependencies) over its pure-Python fallbacks.
    common = uvicorn_options(settings)
    if settings.api_workers == 1:
        uvicorn.run(create_app(settings), **common)
    else:
        uvicorn.run("api.server:app_factory", factory=True, workers=settings.api_workers, **common)
    return 0
