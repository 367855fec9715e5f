"""`exitcases api` as deployed: several processes on one port, each a whole app that is ready."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import httpx
import psutil
from temporalio.testing import WorkflowEnvironment

from config.codec import new_key_entry
from tests.helpers.processes import free_port


def api_processes(parent: int) -> list[psutil.Process]:
    """The serving processes uvicorn spawned (not multiprocessing's resource tracker)."""
    return [
        child
        for child in psutil.Process(parent).children()
        if "--multiprocessing-fork" in child.cmdline()
    ]


async def test_several_api_processes_share_the_port_and_stop_together(
    database_url: str, dev_env: WorkflowEnvironment
) -> None:
    port = free_port()
    env = os.environ | {
        "EXITCASES_DATABASE_URL": database_url,
        "EXITCASES_TEMPORAL_ADDRESS": dev_env.client.service_client.config.target_host,
        "EXITCASES_PAYLOAD_KEYS": new_key_entry("test"),
        "EXITCASES_API_PORT": str(port),
        "EXITCASES_API_WORKERS": "2",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "exitcases", "api", env=env, stderr=asyncio.subprocess.DEVNULL
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            async with asyncio.timeout(60):
                while True:
                    try:
                        ready = await http.get("/readyz")
                    except httpx.TransportError:
                        ready = None
                    serving = api_processes(process.pid)
                    if ready is not None and ready.status_code == 200 and len(serving) == 2:
                        break
                    await asyncio.sleep(0.2)
            # Whichever process answers, it is a whole app: its own pool and Temporal client.
            for _ in range(8):
                assert (await http.get("/readyz")).json()["checks"] == {
                    "postgres": "ok",
                    "temporal": "ok",
                }
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(30):
            assert await process.wait() == 0
        assert not [p for p in serving if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
