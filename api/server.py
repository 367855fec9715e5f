"""`exitcases api`: the HTTP API under uvicorn."""

from __future__ import annotations

import uvicorn

from api.app import create_app
from exitcases.settings import Settings


def serve(settings: Settings) -> int:
    # log_config=None: uvicorn's loggers go through the structlog set-up like everything else.
    uvicorn.run(
        create_app(settings), host=settings.api_host, port=settings.api_port, log_config=None
    )
    return 0
