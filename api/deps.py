"""Dependencies for what the application holds for its lifetime: pool, Temporal client, settings.

``create_app`` puts them on ``app.state`` (its lifespan, or at once when the caller gives them,
as tests do). They are ``async def`` because FastAPI runs a plain ``def`` dependency in a thread
pool, a thread hand-off per request for a mere attribute read.
"""

from __future__ import annotations

from typing import Annotated

import asyncpg
from fastapi import Depends, Request
from temporalio.client import Client

from config.settings import Settings


def pool_of(request: Request) -> asyncpg.Pool:
    pool: asyncpg.Pool = request.app.state.pool
    return pool


async def get_pool(request: Request) -> asyncpg.Pool:
    return pool_of(request)


async def get_temporal(request: Request) -> Client:
    """The Temporal client; ``connect_temporal`` gives it the pydantic (encrypting) converter."""
    client: Client = request.app.state.temporal
    return client


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


Pool = Annotated[asyncpg.Pool, Depends(get_pool)]
Temporal = Annotated[Client, Depends(get_temporal)]
AppSettings = Annotated[Settings, Depends(get_settings)]
