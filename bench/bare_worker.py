"""A worker for the bare engine's workflow, in a process of its own (``bench.lifecycle`` starts
it as it starts ``exitcases worker`` for ours):

    .venv/bin/python -m bench.bare_worker ADDRESS NAMESPACE TASK_QUEUE

The plain pydantic converter (no payload encryption), until SIGTERM or SIGINT.
"""

from __future__ import annotations

import asyncio
import signal
import sys

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker

from bench.bare import BareWorkflow, noop


async def serve(address: str, namespace: str, task_queue: str) -> None:
    client = await Client.connect(
        address, namespace=namespace, data_converter=pydantic_data_converter
    )
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    async with Worker(client, task_queue=task_queue, workflows=[BareWorkflow], activities=[noop]):
        await stop.wait()


if __name__ == "__main__":
    address, namespace, task_queue = sys.argv[1:4]
    asyncio.run(serve(address, namespace, task_queue))
