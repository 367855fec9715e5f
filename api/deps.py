"""Dependencies for what the application holds for its lifetime: pool, Temporal client, settings.

``create_app``'s lifespan puts them on ``app.state``; tests may set them there directly. They are
``async def`` because FastAPI runs a plain ``def`` dependency in a thread pool, a thread hand-off
per request for a mere attribute read.
"""

from __future__ import annotations

from typing import Annotated

import asyncpg
from fastapi import Depends, Request
from temporalio.client import Client

from config.settings import Settings


def pool_of(request: Request) -> asyncpg.Pool:
    return request.app.state.pool


async def get_pool(request: Request) -> asyncpg.Pool:
    return pool_of(request)


async def get_temporal(request: Request) -> Client:
    """The Temporal client; ``connect_temporal`` gives it the pydantic (encrypting) converter."""
    return request.app.state.temporal


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


Pool = Annotated[asyncpg.Pool, Depends(get_pool)]
Temporal = Annotated[Client, Depends(get_temporal)]
AppSettings = Annotated[Settings, Depends(get_settings)]
