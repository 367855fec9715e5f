"""What the benchmarks share: the machine, a throwaway database, a dev server, a worker stack.

Nothing here is a test fixture: the benchmarks are plain scripts, and each cleans up after
itself (drops its database, shuts its server down) even when it fails.
"""

from __future__ import annotations

import asyncio
import compileall
import logging
import os
import platform
import secrets
import statistics
import sys
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import structlog
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from config import search_attributes
from config.codec import encrypted_converter, new_key_entry
from config.settings import Settings
from domain.officer import Officer, PensionScheme, Rank
from domain.people import Actor, Role, Tier
from domain.policy import SchemePolicy, load_bundled_policy
from store.migrate import migrate_url
from store.pool import create_pool
from tests.helpers.databases import scratch_database, with_database

DEFAULT_SERVER_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
TEMPORAL_BIN = Path(sys.executable).parent / "temporal"

CASEWORKER = Actor(user_id="u_bench_caseworker", role=Role.CASEWORKER)
APPROVERS = {
    Tier.HR: Actor(user_id="u_bench_hr", role=Role.APPROVER, tier=Tier.HR),
    Tier.FINANCE: Actor(user_id="u_bench_finance", role=Role.APPROVER, tier=Tier.FINANCE),
    Tier.EXECUTIVE: Actor(user_id="u_bench_exec", role=Role.APPROVER, tier=Tier.EXECUTIVE),
}

# The demo policy with every wait made instant and a window that is always open.
BENCH_POLICY: SchemePolicy = load_bundled_policy("demo").model_copy(
    update={
        "version": "bench",
        "cooling_off": "PT0S",
        "notice_min": "PT0S",
        "application_opens": date(2000, 1, 1),
        "application_closes": date(2099, 12, 31),
        "earliest_leaving_date": date(2000, 1, 1),
    }
)


def server_url(cli_value: str | None) -> str:
    return cli_value or os.environ.get("EXITCASES_TEST_DATABASE_URL") or DEFAULT_SERVER_URL


def quiet_logs() -> None:
    """Warnings and errors only: a log line per activity would be most of the work measured."""
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    logging.basicConfig(level=logging.WARNING)


def machine() -> dict[str, str]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": str(os.cpu_count()),
        "cpu": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def print_machine() -> None:
    info = machine()
    print(
        f"machine: {info['nproc']} CPUs ({info['cpu']}), Python {info['python']}, "
        f"{info['platform']}"
    )


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def percentile(samples: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def mean(samples: Sequence[float]) -> float:
    return statistics.fmean(samples) if samples else float("nan")


@asynccontextmanager
async def fresh_database(server: str) -> AsyncIterator[str]:
    """A migrated database ``bench_<hex>`` of its own, dropped afterwards."""
    async with scratch_database(server, "bench") as url:
        yield url


@asynccontextmanager
async def dev_server(keyring: str) -> AsyncIterator[WorkflowEnvironment]:
    """The Temporal CLI dev server on a SQLite file (WAL), with the service's search attributes."""
    with tempfile.TemporaryDirectory(prefix="bench-temporal-") as tmp:
        db_file = str(Path(tmp) / "temporal.db")
        env = await WorkflowEnvironment.start_local(
            data_converter=encrypted_converter(keyring),
            dev_server_existing_path=str(TEMPORAL_BIN),
            search_attributes=search_attributes.ALL,
            dev_server_extra_args=[
                "--db-filename",
                db_file,
                "--sqlite-pragma",
                "journal_mode=wal",
                "--sqlite-pragma",
                "synchronous=normal",
            ],
        )
        try:
            yield env
        finally:
            await env.shutdown()


@dataclass
class Stack:
    env: WorkflowEnvironment
    client: Client
    pool: asyncpg.Pool
    settings: Settings
    database_url: str

    @property
    def temporal_address(self) -> str:
        return self.env.client.service_client.config.target_host

    def deployed_settings(self) -> Settings:
        """The settings a process of the service's own (``exitcases api``, ``exitcases
        worker``) needs to reach this stack's database and server."""
        return self.settings.model_copy(
            update={"database_url": self.database_url, "temporal_address": self.temporal_address}
        )


def service_env(settings: Settings, **more: str) -> dict[str, str]:
    """The environment of an ``exitcases`` child process with these settings, logging only
    warnings (as ``quiet_logs`` does here) in JSON."""
    return os.environ | {
        "EXITCASES_DATABASE_URL": settings.database_url or "",
        "EXITCASES_TEMPORAL_ADDRESS": settings.temporal_address or "",
        "EXITCASES_TASK_QUEUE": settings.task_queue,
        "EXITCASES_PAYLOAD_KEYS": settings.payload_keys or "",
        "EXITCASES_LOG_LEVEL": "warning",
        "EXITCASES_LOG_FORMAT": "json",
        **more,
    }


async def pollers(client: Client, task_queue: str) -> int:
    """How many workers poll ``task_queue`` for workflow tasks now."""
    described = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=client.namespace,
            task_queue=TaskQueue(name=task_queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        )
    )
    return len({poller.identity for poller in described.pollers})


@asynccontextmanager
async def child_workers(
    client: Client, task_queue: str, count: int, command: Sequence[str], env: dict[str, str]
) -> AsyncIterator[list[int]]:
    """``count`` worker processes running ``command``, as a deployment runs its workers
    (each in a process of its own, so not sharing one interpreter's lock with the driver);
    their pids, once each polls ``task_queue``."""
    processes = [
        await asyncio.create_subprocess_exec(*command, env=env, stdout=asyncio.subprocess.DEVNULL)
        for _ in range(count)
    ]
    try:
        # Minutes, not seconds: imports and pools on a machine other work keeps busy.
        async with asyncio.timeout(300):
            while await pollers(client, task_queue) < count:
                if any(p.returncode is not None for p in processes):
                    raise RuntimeError(f"a worker process ({' '.join(command)}) exited")
                await asyncio.sleep(0.2)
        yield [p.pid for p in processes]
    finally:
        for process in processes:
            if process.returncode is None:
                process.terminate()
        for process in processes:
            await process.wait()


def service_workers(s: Stack, count: int) -> AbstractAsyncContextManager[list[int]]:
    """``exitcases worker`` as deployed, ``count`` times: every queue, the notifier too."""
    settings = s.deployed_settings()
    return child_workers(
        s.client,
        settings.task_queue,
        count,
        [sys.executable, "-m", "exitcases", "worker"],
        service_env(settings),
    )


def compile_workflow_modules() -> None:
    """Bytecode for the modules the workflow sandbox re-imports on every run, as an installed
    package has (pip compiles at install; the image runs from that). Without it, and with
    ``PYTHONDONTWRITEBYTECODE`` set as on this machine, each run compiles them from source again.
    """
    root = Path(__file__).resolve().parent.parent
    for package in ("workflows", "bench"):
        compileall.compile_dir(root / package, quiet=1)


@asynccontextmanager
async def kept_database(server: str, name: str) -> AsyncIterator[str]:
    """The database ``name``, created and migrated if it is not there yet, and kept afterwards:
    a seed that takes minutes is made once and measured many times."""
    admin = await asyncpg.connect(server)
    try:
        if not await admin.fetchval("SELECT true FROM pg_database WHERE datname = $1", name):
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = with_database(server, name)
    await migrate_url(url)
    yield url


@asynccontextmanager
async def stack(
    server: str, *, pool_size: int = 20, prefix: str = "bench", keep: str | None = None
) -> AsyncIterator[Stack]:
    """A database (fresh, or the kept one named ``keep``), a dev server and the service's
    settings (the worker is the caller's)."""
    compile_workflow_modules()
    keyring = new_key_entry("bench")
    settings = Settings(task_queue=f"{prefix}-{secrets.token_hex(3)}", payload_keys=keyring)
    database = kept_database(server, keep) if keep else fresh_database(server)
    async with database as url, dev_server(keyring) as env:
        pool = await create_pool(url, max_size=pool_size)
        try:
            yield Stack(env, env.client, pool, settings, url)
        finally:
            await pool.close()


def bench_officer(officer_id: str, **overrides: Any) -> Officer:
    """A superintendent on £60,000, ten years in, 2006 scheme: eligible, HR tier only."""
    fields: dict[str, Any] = {
        "officer_id": officer_id,
        "name": f"Bench Officer {officer_id}",
        "rank": Rank.SUPERINTENDENT,
        "date_of_birth": date(1975, 3, 14),
        "service_start": date(2016, 1, 4),
        "annual_pay": Decimal("60000.00"),
        "pension_scheme": PensionScheme.P2006,
        "misconduct_pending": False,
    }
    fields.update(overrides)
    return Officer.model_validate(fields)


T = TypeVar("T")


async def bounded(
    concurrency: int, items: Sequence[T], run: Callable[[T], Awaitable[Any]]
) -> list[Any]:
    """Run ``run(item)`` for every item, at most ``concurrency`` at once; results in order."""
    gate = asyncio.Semaphore(concurrency)

    async def one(item: T) -> Any:
        async with gate:
            return await run(item)

    return await asyncio.gather(*(one(i) for i in items))
