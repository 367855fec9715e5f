"""Where the servers are: configured addresses, or the ones `exitcases dev` is running.

`exitcases dev` writes a runtime file into the data directory while it runs, so every other
`exitcases` command with the same data directory reaches the same database and Temporal server
with no configuration. A configured address always wins.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel
from temporalio.client import Client

from config.codec import encrypted_converter
from config.settings import Settings

RUNTIME_FILE = "runtime.json"
KEYRING_FILE = "payload-keys"

T = TypeVar("T")


class Runtime(BaseModel):
    """What a running `exitcases dev` tells the other commands."""

    pid: int
    database_url: str
    temporal_address: str
    api_url: str


def runtime_path(settings: Settings) -> Path:
    return settings.data_dir / RUNTIME_FILE


def read_runtime(settings: Settings) -> Runtime | None:
    """The runtime file of a live `exitcases dev`; None if there is none or its process is gone."""
    try:
        runtime = Runtime.model_validate_json(runtime_path(settings).read_text())
    except (OSError, ValueError):
        return None
    try:
        os.kill(runtime.pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # alive, owned by someone else
    return runtime


def write_runtime(settings: Settings, runtime: Runtime) -> None:
    path = runtime_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(runtime.model_dump_json())


def database_url(settings: Settings) -> str:
    if settings.database_url:
        return settings.database_url
    runtime = read_runtime(settings)
    if runtime is None:
        raise RuntimeError(
            "no database configured: set EXITCASES_DATABASE_URL or run `exitcases dev` "
            f"with the data directory {settings.data_dir}"
        )
    return runtime.database_url


def temporal_address(settings: Settings) -> str:
    if settings.temporal_address:
        return settings.temporal_address
    runtime = read_runtime(settings)
    if runtime is None:
        raise RuntimeError(
            "no Temporal server configured: set EXITCASES_TEMPORAL_ADDRESS or run `exitcases dev` "
            f"with the data directory {settings.data_dir}"
        )
    return runtime.temporal_address


def keyring_path(settings: Settings) -> Path:
    return settings.data_dir / KEYRING_FILE


def payload_keyring(settings: Settings) -> str:
    """The payload keys: configured, or the keyring `exitcases dev` keeps in the data directory."""
    if settings.payload_keys:
        return settings.payload_keys
    try:
        return keyring_path(settings).read_text().strip()
    except OSError:
        raise RuntimeError(
            "no payload keys: set EXITCASES_PAYLOAD_KEYS or run `exitcases dev` once "
            f"with the data directory {settings.data_dir}"
        ) from None


async def connect_temporal(settings: Settings) -> Client:
    """A client whose payloads are encrypted with the service's keys."""
    return await Client.connect(
        temporal_address(settings),
        namespace=settings.temporal_namespace,
        data_converter=encrypted_converter(
            payload_keyring(settings), compress=settings.payload_compression
        ),
    )


# The SDK's own threads may still be handing back the last call's result when asyncio.run
# returns; a process that exits at that moment aborts ("PyGILState_Release ... must be current").
SDK_SETTLE_SECONDS = 0.1


def run_with_temporal(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` for a command that talks to Temporal and then lets the process end."""
    try:
        return asyncio.run(main)
    finally:
        time.sleep(SDK_SETTLE_SECONDS)
