"""API latency under 32 concurrent clients over a read model of 100,000 cases.

    .venv/bin/python -m bench.api_latency [--cases 100000] [--clients 32] [--requests 3000]
                                          [--real-cases 200] [--database-url URL]

Seeds the read model (``cases``) with COPY: one realistic ``CaseView`` (from
``StartCase.submitted_view``) varied in case id, officer, rank, state and creation time. Starts
a Temporal dev server and the real worker, opens ``--real-cases`` real cases and waits until
each is in HR review. Runs the API (``api.app.create_app``, the service's own app) under uvicorn
on a free port in this process, and measures, with 32 concurrent httpx clients each on its own
keep-alive connection:

- ``GET /v1/cases/{id}`` on random seeded cases (auditor),
- ``GET /v1/cases?state=hr_review&rank=superintendent&limit=50`` (auditor),
- ``POST /v1/cases/{id}/actions/review`` ``{"decision": "request_info"}`` on the real cases,
  one each (caseworker): a workflow Update through Temporal and the worker.

Then prints ``EXPLAIN ANALYZE`` of the list query, both as planned for the given values and as
the generic plan a prepared statement falls back to. Target: list p99 < 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import random
import socket
import time
import uuid
from collections.abc import Awaitable
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import asyncpg
import httpx
import uvicorn

from api.app import create_app
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
from domain.case import Application
from domain.commands import StartCase
from domain.lifecycle import TERMINAL_STATES, CaseKind, CaseState
from domain.officer import Rank
from domain.people import Role
from domain.policy import load_bundled_policy
from exitcases.cases import new_case_id, open_case
from exitcases.settings import Settings
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
T = TypeVar("T")
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


def _seed_rows(count: int, now: datetime) -> tuple[list[tuple], list[str]]:
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
        await connection.execute("ANALYZE cases")
    finally:
        await connection.close()
    return ids


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


Spec = tuple[str, str, dict | None, dict[str, str]]  # method, path, json body, headers


async def _load(
    base: str, token: str, specs: list[Spec], clients: int
) -> tuple[list[float], float, int, list[str]]:
    """The specs spread over ``clients`` keep-alive connections, each one request at a time."""
    latencies: list[float] = []
    errors: list[str] = []
    queue = iter(specs)
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)

    async def client_loop(client: httpx.AsyncClient) -> None:
        for method, path, body, headers in queue:
            started = time.perf_counter()
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
    args: tuple[str, str, list[Spec], int],
) -> tuple[list[float], float, int, list[str]]:
    return asyncio.run(_load(*args))


async def measure(
    executor: ProcessPoolExecutor | None, base: str, token: str, specs: list[Spec], clients: int
) -> tuple[list[float], float, int]:
    """Run the load in the child process (or here, without one); ms latencies."""
    if executor is None:
        latencies, wall, errors, samples = await _load(base, token, specs, clients)
    else:
        loop = asyncio.get_running_loop()
        latencies, wall, errors, samples = await loop.run_in_executor(
            executor, _load_in_child, (base, token, specs, clients)
        )
    for sample in samples:
        print(f"  error {sample}")
    return latencies, wall, errors


async def profiled(path: str | None, work: Awaitable[T]) -> T:
    """Await ``work``; with a path, under pyinstrument (a profiling aid, not a dependency)."""
    if path is None:
        return await work
    from pyinstrument import Profiler

    profiler = Profiler(async_mode="disabled", interval=0.0005)
    profiler.start()
    try:
        return await work
    finally:
        profiler.stop()
        Path(path).write_text(profiler.output_text(unicode=False, show_all=False))  # noqa: ASYNC240
        print(f"profile of the API process during the list load: {path}")


async def explain(database_url: str) -> str:
    query = """SELECT case_id, kind, state, officer_id, rank, policy_version, version, created_at,
                  updated_at, due_at, leaving_date,
                  coalesce(due_at < now(), false) AS overdue,
                  coalesce(view #>> '{adjustment,amount}', view #>> '{calculation,amount}')
                      AS amount
           FROM cases
           WHERE ($1::timestamptz IS NULL OR (created_at, case_id) < ($1, $2::text))
             AND ($3::text IS NULL OR officer_id = $3)
             AND ($4::text IS NULL OR state = $4)
             AND ($5::text IS NULL OR kind = $5)
             AND ($6::text IS NULL OR rank = $6)
             AND ($7::boolean IS NULL
                  OR ($7 AND due_at < now())
                  OR (NOT $7 AND (due_at IS NULL OR due_at >= now())))
           ORDER BY created_at DESC, case_id DESC
           LIMIT $8"""
    args = "(NULL, NULL, NULL, 'hr_review', NULL, 'superintendent', NULL, 51)"
    out: list[str] = []
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(f"PREPARE list_cases AS {query}")
        for mode in ("force_custom_plan", "force_generic_plan"):
            await connection.execute(f"SET plan_cache_mode = {mode}")
            plan = await connection.fetch(
                f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE list_cases {args}"
            )
            out.append(f"\nEXPLAIN ANALYZE of store/case_queries.list_cases ({mode}):\n")
            out.append("```")
            out.extend(r[0] for r in plan)
            out.append("```")
    finally:
        await connection.close()
    return "\n".join(out)


def _row(name: str, latencies: list[float], wall: float, errors: int) -> list[str]:
    return [
        name,
        str(len(latencies)),
        str(errors),
        f"{len(latencies) / wall:.0f}",
        f"{percentile(latencies, 50):.1f}",
        f"{percentile(latencies, 99):.1f}",
        f"{max(latencies):.1f}",
    ]


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
        port = free_port()
        server = uvicorn.Server(
            uvicorn.Config(
                create_app(settings),
                host="127.0.0.1",
                port=port,
                log_level="warning",
                access_log=False,
                lifespan="on",
            )
        )
        async with build_worker(s.client, s.pool, s.settings):
            started = time.perf_counter()
            live = await real_cases(s, args.real_cases, 32)
            print(
                f"opened {len(live)} real cases to hr_review in "
                f"{time.perf_counter() - started:.1f} s"
            )
            serving = asyncio.create_task(server.serve())
            while not server.started:  # noqa: ASYNC110 (uvicorn has no event for it)
                await asyncio.sleep(0.05)
            base = f"http://127.0.0.1:{port}"
            rng = random.Random(11)
            gets: list[Spec] = [
                ("GET", f"/v1/cases/{rng.choice(seeded)}", None, {}) for _ in range(args.requests)
            ]
            lists: list[Spec] = [("GET", LIST_PATH, None, {})] * args.requests
            reviews: list[Spec] = [
                (
                    "POST",
                    f"/v1/cases/{case_id}/actions/review",
                    {"decision": "request_info", "reason": "x"},
                    {"Idempotency-Key": str(uuid.uuid4())},
                )
                for case_id in live
            ]
            warm = 4 * args.clients
            executor = (
                ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
                if args.load_process
                else None
            )
            try:
                # Warm-up: connections open, statements prepared, code paths imported.
                await measure(executor, base, auditor_token, gets[:warm], args.clients)
                await measure(executor, base, auditor_token, lists[:warm], args.clients)
                n = args.clients
                results = [
                    ("GET /v1/cases/{id}", *await measure(executor, base, auditor_token, gets, n)),
                    (
                        "GET /v1/cases?state=hr_review&rank=superintendent&limit=50",
                        *await profiled(
                            args.profile, measure(executor, base, auditor_token, lists, n)
                        ),
                    ),
                    (
                        "POST /v1/cases/{id}/actions/review (request_info)",
                        *await measure(executor, base, caseworker_token, reviews, n),
                    ),
                ]
            finally:
                if executor is not None:
                    executor.shutdown()
                server.should_exit = True
                await serving
        plans = await explain(s.database_url)
    print()
    where = (
        "load from a child process"
        if args.load_process
        else "API, worker and clients in one process"
    )
    print(
        f"API latency: {args.cases} cases in the read model, "
        f"{args.clients} concurrent clients, {where}"
    )
    print()
    print(
        table(
            ["request", "n", "errors", "req/s", "p50 ms", "p99 ms", "max ms"],
            [_row(name, lat, wall, err) for name, lat, wall, err in results],
        )
    )
    list_p99 = percentile(results[1][1], 99)
    verdict = "met" if list_p99 < 50 else "MISSED"
    print(f"\nlist p99 {list_p99:.1f} ms (target < 50 ms: {verdict})")
    print(plans)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--real-cases", type=int, default=200)
    parser.add_argument(
        "--profile", help="write a pyinstrument profile of the list load to this file"
    )
    parser.add_argument(
        "--load-process",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="run the 32 clients in a child process (default), not on the API's event loop",
    )
    parser.add_argument("--database-url", help="PostgreSQL server URL (a database is created)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
