"""`exitcases api`: the HTTP API under uvicorn."""

from __future__ import annotations

import sys

import uvicorn

from api.app import create_app
from exitcases.runtime import database_url, payload_keyring, temporal_address
from exitcases.settings import Settings


def serve(settings: Settings) -> int:
    # Say what is missing before uvicorn starts, rather than as a traceback from the lifespan.
    try:
        database_url(settings)
        temporal_address(settings)
        payload_keyring(settings)
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    # log_config=None: uvicorn's loggers go through the structlog set-up like everything else.
    uvicorn.run(
        create_app(settings), host=settings.api_host, port=settings.api_port, log_config=None
    )
    return 0
