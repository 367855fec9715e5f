"""API latency under 32 concurrent clients over a read model of 100,000 cases.

    .venv/bin/python -m bench.api_latency [--cases 100000] [--clients 32] [--seconds 10]
        [--rounds 3] [--real-cases 200] [--api-workers 2] [--load wrk|python]
        [--database-url URL]

Seeds the read model (``cases``) with COPY: one realistic ``CaseView`` (from
``StartCase.submitted_view``) varied in case id, officer, rank, state and creation time. Starts
a Temporal dev server and the real worker, opens ``--real-cases`` real cases and waits until
each is in HR review. Runs the API as deployed (``exitcases api``, ``--api-workers``
processes, apart from the worker) and measures, each client on its own keep-alive connection:

- ``GET /v1/cases?state=hr_review&rank=superintendent&limit=50`` (auditor), ``--rounds`` runs,
- ``GET /v1/cases/{id}`` on random seeded cases (auditor),
- ``POST /v1/cases/{id}/actions/review`` ``{"decision": "request_info"}`` on the real cases,
  one each (caseworker): a workflow Update through Temporal and the worker.

The reads come from wrk when it is installed (its clients cost next to no CPU), else from httpx
clients in a child process; the actions always from httpx. Then prints ``EXPLAIN ANALYZE`` of
the list statement, as planned for its values and as a generic plan. Target: list p99 < 50 ms
(the median of the rounds).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import multiprocessing
import os
import random
import shutil
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.common import (
    BENCH_POLICY,
    CASEWORKER,
    Stack,
    bench_officer,
    bounded,
    percentile,
    print_machine,
    quiet_logs,
    server_url,
    stack,
    table,
)
from config.settings import Settings
from domain.case import Application
from domain.commands import StartCase
from domain.lifecycle import TERMINAL_STATES, CaseKind, CaseState
from domain.officer import Rank
from domain.people import Role
from domain.policy import load_bundled_policy
from service.cases import new_case_id, open_case
from store.case_queries import list_cases_statement
from store.officers import upsert_officers
from store.policies import add_policy
from store.users import create_user
from worker import build_worker

VOLUNTARY_STATES = [
    CaseState.SUBMITTED,
    CaseState.INELIGIBLE,
    CaseState.HR_REVIEW,
    CaseState.INFO_REQUESTED,
    CaseState.APPROVAL,
    CaseState.OFFER_MADE,
    CaseState.OFFER_LAPSED,
    CaseState.OFFER_DECLINED,
    CaseState.ACCEPTED,
    CaseState.LEAVING_SCHEDULED,
    CaseState.EXIT_PROCESSING,
    CaseState.COMPLETED,
    CaseState.WITHDRAWN,
    CaseState.REJECTED,
]
RANKS = [Rank.CHIEF_INSPECTOR, Rank.SUPERINTENDENT, Rank.CHIEF_SUPERINTENDENT]
COLUMNS = [
    "case_id", "kind", "officer_id", "rank", "state", "is_open", "policy_version", "version",
    "created_at", "updated_at", "due_at", "leaving_date", "view",
]  # fmt: skip
# The real cases wait in HR review under the default policy's service levels (days, not
# seconds), so no reminder or escalation fires while the requests are measured.
API_POLICY = load_bundled_policy().model_copy(
    update={
        "version": "bench-api",
        "application_opens": date(2000, 1, 1),
        "application_closes": date(2099, 12, 31),
    }
)
LIST_PATH = "/v1/cases?state=hr_review&rank=superintendent&limit=50"


def _seed_rows(count: int, now: datetime) -> tuple[list[tuple[Any, ...]], list[str]]:
    rng = random.Random(7)
    base = (
        StartCase(
            case_id="EX-TEMPLATE",
            officer_id="OFTEMPLATE",
            rank=Rank.SUPERINTENDENT,
            policy=BENCH_POLICY,
            created_by=CASEWORKER,
            application=Application(statement="I would like to go at the end of the year."),
        )
        .submitted_view(now)
        .model_dump(mode="json")
    )
    rows, ids = [], []
    for i in range(count):
        case_id = new_case_id()
        officer_id = f"OFS{i:06d}"
        rank = rng.choice(RANKS)
        state = rng.choice(VOLUNTARY_STATES)
        created = now - timedelta(seconds=rng.randrange(365 * 24 * 3600))
        updated = created + timedelta(seconds=rng.randrange(30 * 24 * 3600))
        version = rng.randrange(1, 15)
        due = updated + timedelta(days=10) if state not in TERMINAL_STATES else None
        view = {
            **base,
            "case_id": case_id,
            "officer_id": officer_id,
            "rank": rank.value,
            "state": state.value,
            "created_at": created.isoformat(),
            "updated_at": updated.isoformat(),
            "version": version,
        }
        rows.append(
            (
                case_id,
                CaseKind.VOLUNTARY_EXIT.value,
                officer_id,
                rank.value,
                state.value,
                state not in TERMINAL_STATES,
                BENCH_POLICY.version,
                version,
                created,
                updated,
                due,
                None,
                json.dumps(view),
            )
        )
        ids.append(case_id)
    return rows, ids


async def seed(database_url: str, count: int) -> list[str]:
    rows, ids = _seed_rows(count, datetime.now(UTC))
    # A connection without the pool's JSON codecs: COPY sends jsonb as text.
    connection = await asyncpg.connect(database_url)
    try:
        await connection.copy_records_to_table("cases", records=rows, columns=COLUMNS)
        # Vacuumed as a long-lived read model would be, so autovacuum does not start mid-run.
        await connection.execute("VACUUM (ANALYZE) cases")
    finally:
        await connection.close()
    return ids


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


Spec = tuple[str, str, dict[str, Any] | None, dict[str, str]]  # method, path, json body, headers


async def _load(
    base: str, token: str, specs: list[Spec], clients: int, seconds: float | None
) -> tuple[list[float], float, int, list[str]]:
    """The specs spread over ``clients`` keep-alive connections, each one request at a time:
    each once, or (with ``seconds``) round and round until that time is up."""
    latencies: list[float] = []
    errors: list[str] = []
    queue = iter(specs) if seconds is None else itertools.cycle(specs)
    deadline = time.perf_counter() + (seconds or float("inf"))
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)

    async def client_loop(client: httpx.AsyncClient) -> None:
        for method, path, body, headers in queue:
            started = time.perf_counter()
            if started > deadline:
                return
            response = await client.request(method, path, json=body, headers=headers)
            latencies.append((time.perf_counter() - started) * 1000)
            if response.status_code >= 400:
                errors.append(f"{response.status_code}: {response.text[:300]}")

    pool = [
        httpx.AsyncClient(
            base_url=base,
            headers={"Authorization": f"Bearer {token}"},
            limits=limits,
            timeout=60,
        )
        for _ in range(clients)
    ]
    try:
        started = time.perf_counter()
        await asyncio.gather(*(client_loop(c) for c in pool))
        wall = time.perf_counter() - started
    finally:
        for c in pool:
            await c.aclose()
    return latencies, wall, len(errors), errors[:3]


def _load_in_child(
    args: tuple[str, str, list[Spec], int, float | None],
) -> tuple[list[float], float, int, list[str]]:
    return asyncio.run(_load(*args))


@dataclass
class Row:
    request: str
    n: int
    errors: int
    rps: float
    p50: float
    p99: float
    max: float

    def cells(self) -> list[str]:
        return [
            self.request, str(self.n), str(self.errors), f"{self.rps:.0f}",
            f"{self.p50:.1f}", f"{self.p99:.1f}", f"{self.max:.1f}",
        ]  # fmt: skip


async def measure_python(
    executor: ProcessPoolExecutor,
    request: str,
    base: str,
    token: str,
    specs: list[Spec],
    n: int,
    seconds: float | None = None,
) -> Row:
    """The specs sent by ``n`` httpx clients in the child process (see :func:`_load`)."""
    loop = asyncio.get_running_loop()
    latencies, wall, errors, samples = await loop.run_in_executor(
        executor, _load_in_child, (base, token, specs, n, seconds)
    )
    for sample in samples:
        print(f"  error {sample}")
    return Row(
        request, len(latencies), errors, len(latencies) / wall,
        percentile(latencies, 50), percentile(latencies, 99), max(latencies),
    )  # fmt: skip


# wrk's Lua hooks: a random path from the list file for each request, and the figures as JSON.
WRK_SCRIPT = """
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
local paths = {}
for line in io.lines(os.getenv("BENCH_PATHS")) do paths[#paths + 1] = line end
request = function() return wrk.format("GET", paths[math.random(#paths)]) end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"n": %d, "us": %d, "errors": %d, "p50": %d, "p99": %d, "max": %d}\\n',
    summary.requests, summary.duration,
    e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""


def _wrk_inputs(directory: Path, paths: list[str]) -> tuple[Path, Path]:
    script, listed = directory / "bench.lua", directory / "paths"
    script.write_text(WRK_SCRIPT)
    listed.write_text("\n".join(paths) + "\n")
    return script, listed


async def measure_wrk(
    request: str, base: str, token: str, paths: list[str], n: int, seconds: float
) -> Row:
    """GETs of the paths, chosen at random, from ``n`` wrk connections for ``seconds``."""
    with tempfile.TemporaryDirectory() as scratch:
        script, listed = _wrk_inputs(Path(scratch), paths)
        process = await asyncio.create_subprocess_exec(
            "wrk", "-t1", f"-c{n}", f"-d{round(seconds)}s", "-s", str(script), base,
            env=os.environ | {"BENCH_TOKEN": token, "BENCH_PATHS": str(listed)},
            stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, _ = await process.communicate()
    figures = json.loads(out.decode().strip().splitlines()[-1])
    return Row(
        request, figures["n"], figures["errors"], figures["n"] / (figures["us"] / 1e6),
        figures["p50"] / 1000, figures["p99"] / 1000, figures["max"] / 1000,
    )  # fmt: skip


@asynccontextmanager
async def api_processes(settings: Settings, port: int, workers: int) -> AsyncIterator[str]:
    """``exitcases api`` as deployed: its own processes, apart from the worker; the base URL."""
    env = os.environ | {
        "EXITCASES_DATABASE_URL": settings.database_url or "",
        "EXITCASES_TEMPORAL_ADDRESS": settings.temporal_address or "",
        "EXITCASES_TASK_QUEUE": settings.task_queue,
        "EXITCASES_PAYLOAD_KEYS": settings.payload_keys or "",
        "EXITCASES_API_PORT": str(port),
        "EXITCASES_API_WORKERS": str(workers),
        "EXITCASES_LOG_LEVEL": "warning",
        "EXITCASES_LOG_FORMAT": "json",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "exitcases", "api", env=env, stdout=asyncio.subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        # Minutes, not seconds: on a machine other work keeps busy, starting the processes
        # (imports, pools) took longer than a minute.
        async with httpx.AsyncClient(base_url=base) as probe, asyncio.timeout(300):
            # Several answers in a row, not the first: the other processes start meanwhile.
            ready = 0
            while ready < 4 * workers:
                try:
                    ready = ready + 1 if (await probe.get("/readyz")).status_code == 200 else 0
                except httpx.TransportError:
                    ready = 0
                await asyncio.sleep(0.05 if ready else 0.2)
        yield base
    finally:
        process.terminate()
        await process.wait()


async def explain(database_url: str) -> str:
    """EXPLAIN ANALYZE of the list request's statement, as planned for its values and generic."""
    statement, arguments = list_cases_statement(
        limit=51, state=CaseState.HR_REVIEW, rank=Rank.SUPERINTENDENT
    )
    out: list[str] = []
    connection = await asyncpg.connect(database_url)
    try:
        for mode in ("force_custom_plan", "force_generic_plan"):
            await connection.execute(f"SET plan_cache_mode = {mode}")
            plan = await connection.fetch(
                f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {statement}", *arguments
            )
            out.append(f"\nEXPLAIN ANALYZE of store.case_queries.list_cases ({mode}):\n")
            out.append("```")
            out.extend(r[0] for r in plan)
            out.append("```")
    finally:
        await connection.close()
    return "\n".join(out)


async def real_cases(s: Stack, count: int, concurrency: int) -> list[str]:
    officers = [bench_officer(f"OFR{i:05d}") for i in range(count)]
    await upsert_officers(s.pool, officers)

    async def start(officer_id: str) -> str:
        view = await open_case(
            s.pool,
            s.client,
            s.settings,
            officer_id=officer_id,
            kind=CaseKind.VOLUNTARY_EXIT,
            application=Application(),
            actor=CASEWORKER,
            policy=API_POLICY,
        )
        return view.case_id

    ids = await bounded(concurrency, [o.officer_id for o in officers], start)
    async with asyncio.timeout(120):
        while True:
            ready = await s.pool.fetchval(
                "SELECT count(*) FROM cases WHERE case_id = ANY($1) AND state = 'hr_review'", ids
            )
            if ready == len(ids):
                return ids
            await asyncio.sleep(0.2)


GET_CASE, LIST = "GET /v1/cases/{id}", f"GET {LIST_PATH}"


async def run_load(
    args: argparse.Namespace,
    base: str,
    seeded: list[str],
    live: list[str],
    *,
    auditor_token: str,
    caseworker_token: str,
) -> list[Row]:
    """The reads (list first: reading a case writes the access log), then one action per case."""
    n = args.clients
    case_paths = [f"/v1/cases/{case_id}" for case_id in seeded]
    reviews: list[Spec] = [
        (
            "POST",
            f"/v1/cases/{case_id}/actions/review",
            {"decision": "request_info", "reason": "x"},
            {"Idempotency-Key": str(uuid.uuid4())},
        )
        for case_id in live
    ]
    rows: list[Row] = []
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as executor:

        async def reads(request: str, paths: list[str], *, seconds: float) -> Row:
            if args.load == "wrk":
                return await measure_wrk(request, base, auditor_token, paths, n, seconds)
            rng = random.Random(11)
            specs: list[Spec] = [("GET", rng.choice(paths), None, {}) for _ in range(5000)]
            return await measure_python(executor, request, base, auditor_token, specs, n, seconds)

        # Warm-up: connections open, statements prepared, code paths imported, in every process.
        await reads("warm-up", [LIST_PATH], seconds=3)
        await reads("warm-up", case_paths, seconds=3)
        for round_ in range(1, args.rounds + 1):
            rows.append(await reads(f"{LIST} (round {round_})", [LIST_PATH], seconds=args.seconds))
        rows.append(await reads(GET_CASE, case_paths, seconds=args.seconds))
        rows.append(
            await measure_python(
                executor, "POST /v1/cases/{id}/actions/review (request_info)", base,
                caseworker_token, reviews, n,
            )
        )  # fmt: skip
    return rows


async def main(args: argparse.Namespace) -> None:
    quiet_logs()
    print_machine()
    async with stack(server_url(args.database_url), prefix="bench-api") as s:
        await add_policy(s.pool, API_POLICY, "bench")
        started = time.perf_counter()
        seeded = await seed(s.database_url, args.cases)
        print(f"seeded {len(seeded)} cases in {time.perf_counter() - started:.1f} s")
        _, auditor_token = await create_user(s.pool, name="Bench Auditor", role=Role.AUDITOR)
        _, caseworker_token = await create_user(
            s.pool, name="Bench Caseworker", role=Role.CASEWORKER
        )

        host = s.env.client.service_client.config.target_host
        settings = Settings(
            database_url=s.database_url,
            temporal_address=host,
            task_queue=s.settings.task_queue,
            payload_keys=s.settings.payload_keys,
        )
        async with build_worker(s.client, s.pool, s.settings):
            started = time.perf_counter()
            live = await real_cases(s, args.real_cases, 32)
            print(
                f"opened {len(live)} real cases to hr_review in "
                f"{time.perf_counter() - started:.1f} s"
            )
            async with api_processes(settings, free_port(), args.api_workers) as base:
                tokens = {"auditor_token": auditor_token, "caseworker_token": caseworker_token}
                results = await run_load(args, base, seeded, live, **tokens)
        plans = await explain(s.database_url)
    print()
    where = f"{args.api_workers} API process(es), reads from " + (
        "wrk" if args.load == "wrk" else "httpx clients in a child process"
    )
    print(
        f"API latency: {args.cases} cases in the read model, "
        f"{args.clients} concurrent clients, {where}"
    )
    print()
    headers = ["request", "n", "errors", "req/s", "p50 ms", "p99 ms", "max ms"]
    print(table(headers, [row.cells() for row in results]))
    list_p99 = statistics.median(row.p99 for row in results if row.request.startswith(LIST))
    verdict = "met" if list_p99 < 50 else "MISSED"
    print(
        f"\nlist p99, median of {args.rounds} rounds: {list_p99:.1f} ms (target < 50 ms: {verdict})"
    )
    print(plans)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=10, help="length of each read run")
    parser.add_argument("--rounds", type=int, default=3, help="runs of the list request")
    parser.add_argument("--real-cases", type=int, default=200)
    parser.add_argument(
        "--api-workers", type=int, default=2, help="API processes (EXITCASES_API_WORKERS)"
    )
    parser.add_argument(
        "--load",
        choices=["wrk", "python"],
        default="wrk" if shutil.which("wrk") else "python",
        help="what sends the reads: wrk (default when installed; its clients cost next to no "
        "CPU) or httpx clients in a child process (which take a third of the CPU themselves)",
    )
    parser.add_argument("--database-url", help="PostgreSQL server URL (a database is created)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
