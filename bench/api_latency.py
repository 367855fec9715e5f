"""API latency under 32 concurrent clients over a read model of 100,000 cases (or a million).

    .venv/bin/python -m bench.api_latency [--cases 100000] [--clients 32] [--seconds 10]
        [--rounds 3] [--real-cases 200] [--api-workers 2] [--load wrk|python]
        [--keep-database NAME] [--database-url URL] [--reads-only]

Seeds the read model by streamed COPY (``bench/seed.py``: years of cases under a run of
schemes, the roster, the scheme in force's invitations, a task per open case). Starts a
Temporal dev server and the real worker, opens ``--real-cases`` real cases and waits until
each is in HR review. Runs the API as deployed (``exitcases api``, ``--api-workers``
processes, apart from the worker) and measures, each client on its own keep-alive connection:

- ``GET /v1/cases?state=hr_review&rank=superintendent&limit=50`` (auditor), ``--rounds`` runs,
  then one run of each other filter in ``FILTERS``,
- ``GET /v1/cases/{id}`` on random seeded cases (auditor),
- ``POST /v1/cases/{id}/actions/review`` ``{"decision": "request_info"}`` on the real cases,
  one each (caseworker): a workflow Update through Temporal and the worker,
- ``GET /v1/reports/scheme`` and ``GET /v1/reports/equality`` one at a time (auditor).

Each row gives the CPU milliseconds per request of the API processes and of the database's
backends, from their own counters: robust where wall-clock figures are not (a shared machine).
The reads come from wrk when it is installed (its clients cost next to no CPU), else from httpx
clients in a child process; the actions always from httpx. Then prints ``EXPLAIN (ANALYZE,
BUFFERS)`` of each statement behind the figures. ``--keep-database NAME`` seeds the database
NAME once and reuses it on later runs (a million cases take minutes to seed). ``--reads-only``
measures the list and case reads alone: no real cases, actions or reports (a minute, not three).
Targets: list p99 < 20 ms (the median of the rounds), the case < 20 ms, each report < 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import multiprocessing
import os
import random
import secrets
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
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import asyncpg
import httpx

from bench.common import (
    CASEWORKER,
    Stack,
    bench_officer,
    bounded,
    percentile,
    print_machine,
    quiet_logs,
    server_url,
    service_env,
    stack,
    table,
)
from bench.seed import SEED_VERSION, Shape, sample_ids, scheme_name, seed, seed_reports
from config.settings import Settings
from domain.case import Application
from domain.clock import local_date
from domain.equality import age_band_births
from domain.lifecycle import CaseKind, CaseState
from domain.officer import Rank
from domain.people import Role
from domain.policy import load_bundled_policy
from domain.scheme import COUNTED_STATES
from service.cases import open_case
from store import equality, schemes
from store.case_queries import list_cases_statement
from store.cases import CASE_VIEW_STATEMENT
from store.officers import upsert_officers
from store.policies import add_policy
from store.users import create_user
from worker import build_worker

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
# Other filters people use, each over a different share of the cases and a different index.
FILTERS: list[dict[str, Any]] = [
    {"state": CaseState.HR_REVIEW, "rank": Rank.SUPERINTENDENT, "overdue": True},
    {"kind": CaseKind.EFFICIENCY_RETIREMENT},
    {"rank": Rank.CHIEF_SUPERINTENDENT},
    {"state": CaseState.COMPLETED},
]
# What a request costs before any of a list's work: the same processes, middleware and routing
# answering the health check, and the list with one row rather than fifty. Against the list
# these split its CPU into the stack's share, the route's own (authentication, parameters, the
# query's round trip) and the rows'.
FLOOR_PATHS = ["/healthz", LIST_PATH.replace("limit=50", "limit=1")]


def filter_path(filters: dict[str, Any]) -> str:
    query = {k: str(v).lower() if isinstance(v, bool) else v.value for k, v in filters.items()}
    return f"/v1/cases?{urlencode(query | {'limit': 50})}"


# The efficiency-retirement equality report's pool is the whole roster (every officer may be
# proposed), so it reads far more than the scheme's.
REPORTS = [
    "/v1/reports/scheme",
    "/v1/reports/equality",
    "/v1/reports/equality?kind=efficiency_retirement",
]
REPORT_RUNS = 5
LIST_TARGET_MS, CASE_TARGET_MS, REPORT_TARGET_MS = 20, 20, 1000


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


def _stat(pid: int) -> list[str]:
    """The fields of ``/proc/<pid>/stat`` after the command name (which may hold spaces)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def cpu_seconds(pid: int) -> float | None:
    """User and system CPU the process has used; None once it is gone."""
    try:
        fields = _stat(pid)
    except (FileNotFoundError, ProcessLookupError):
        return None
    # utime and stime: fields 14 and 15 of stat(5), 11 and 12 after the name.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def with_descendants(root: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int(_stat(int(entry.name))[1])
            except (FileNotFoundError, ProcessLookupError):
                continue
    found = [root]
    for pid in found:
        found.extend(child for child, parent in parents.items() if parent == pid)
    return found


class CpuMeter:
    """CPU seconds spent by the API processes and by this database's backends, from their own
    counters (``/proc/<pid>/stat``): what a request costs, whatever else the machine runs."""

    def __init__(self, api_pid: int, database_url: str) -> None:
        self.api_pid = api_pid
        self.database_url = database_url

    async def _backends(self) -> list[int]:
        connection = await asyncpg.connect(self.database_url)
        try:
            rows = await connection.fetch(
                """SELECT pid FROM pg_stat_activity
                   WHERE datname = current_database() AND pid <> pg_backend_pid()"""
            )
        finally:
            await connection.close()
        return [r["pid"] for r in rows]

    @staticmethod
    def _seconds(pids: list[int]) -> dict[int, float]:
        return {pid: cpu for pid in pids if (cpu := cpu_seconds(pid)) is not None}

    async def snapshot(self) -> tuple[dict[int, float], dict[int, float]]:
        return self._seconds(with_descendants(self.api_pid)), self._seconds(await self._backends())

    async def since(self, before: tuple[dict[int, float], dict[int, float]]) -> tuple[float, float]:
        """CPU seconds of the API processes and of the backends since ``before`` (a backend
        opened meanwhile counts from zero)."""
        after = await self.snapshot()
        api, db = (
            sum(cpu - then.get(pid, 0.0) for pid, cpu in now.items())
            for then, now in zip(before, after, strict=True)
        )
        return api, db


@dataclass
class Row:
    request: str
    n: int
    errors: int
    rps: float
    p50: float
    p99: float
    max: float
    api_cpu_ms: float = float("nan")  # per request
    db_cpu_ms: float = float("nan")

    def cells(self) -> list[str]:
        return [
            self.request, str(self.n), str(self.errors), f"{self.rps:.0f}",
            f"{self.p50:.1f}", f"{self.p99:.1f}", f"{self.max:.1f}",
            f"{self.api_cpu_ms:.2f}", f"{self.db_cpu_ms:.2f}",
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
    async with api_server(settings, port, workers) as (base, _):
        yield base


@asynccontextmanager
async def api_server(settings: Settings, port: int, workers: int) -> AsyncIterator[tuple[str, int]]:
    """:func:`api_processes`, with the pid of the process that started the others."""
    env = service_env(settings, EXITCASES_API_PORT=str(port), EXITCASES_API_WORKERS=str(workers))
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
        yield base, process.pid
    finally:
        process.terminate()
        await process.wait()


async def _plan(connection: asyncpg.Connection, title: str, statement: str, *args: Any) -> str:
    plan = await connection.fetch(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {statement}", *args)
    return "\n".join([f"\n{title}:\n", "```", *(r[0] for r in plan), "```"])


def report_statements(scheme: str) -> list[tuple[str, str, list[object]]]:
    """What the scheme and equality reports read, with the arguments a report of ``scheme``
    (the whole of it) passes."""
    now = datetime.now(UTC)
    voluntary = CaseKind.VOLUNTARY_EXIT.value
    efficiency = CaseKind.EFFICIENCY_RETIREMENT.value
    births = age_band_births(local_date(now))
    counted = sorted(COUNTED_STATES)
    return [
        ("store.schemes.cases_by_state_and_kind", schemes.CASES_BY_STATE_AND_KIND, []),
        ("store.schemes.overdue_tasks_by_stage", schemes.OVERDUE_TASKS, [now]),
        ("store.schemes.invitation_totals", schemes.INVITATION_TOTALS, [scheme]),
        ("store.schemes.case_views", schemes.CASE_VIEWS, [scheme, counted]),
        ("store.schemes.leavers", schemes.LEAVERS, [scheme, None, counted]),
        ("store.equality invited", equality.INVITED, [scheme, None, None]),
        ("store.equality case facts", equality.CASE_FACTS, [voluntary, None, None, scheme]),
        # The officers who reached a stage are the pool's here (every applicant is eligible).
        ("store.equality roster", equality.ROSTER, [sorted(API_POLICY.eligible_ranks), []]),
        (
            "store.equality efficiency case facts",
            equality.CASE_FACTS,
            [efficiency, None, None, None],
        ),
        (
            "store.equality efficiency pool by band",
            equality.pool_by_band(len(births)),
            [[], *births],
        ),
    ]


async def explain(database_url: str, sample_case: str, scheme: str) -> str:
    """EXPLAIN ANALYZE of each statement behind the figures: the list request's as planned for
    its values and generic, the case read, and what the reports read."""
    statement, arguments = list_cases_statement(
        limit=51, state=CaseState.HR_REVIEW, rank=Rank.SUPERINTENDENT
    )
    out: list[str] = []
    connection = await asyncpg.connect(database_url)
    try:
        for mode in ("force_custom_plan", "force_generic_plan"):
            await connection.execute(f"SET plan_cache_mode = {mode}")
            title = f"store.case_queries.list_cases ({mode})"
            out.append(await _plan(connection, title, statement, *arguments))
        await connection.execute("RESET plan_cache_mode")
        for filters in FILTERS:
            statement, arguments = list_cases_statement(limit=51, **filters)
            title = f"store.case_queries.list_cases for {filter_path(filters)}"
            out.append(await _plan(connection, title, statement, *arguments))
        out.append(
            await _plan(connection, "store.cases.get_case_view", CASE_VIEW_STATEMENT, sample_case)
        )
        for title, report_statement, report_arguments in report_statements(scheme):
            out.append(await _plan(connection, title, report_statement, *report_arguments))
    finally:
        await connection.close()
    return "\n".join(out)


async def real_cases(s: Stack, count: int, concurrency: int) -> list[str]:
    # Officers new to each run: a kept database still has the last run's cases open.
    run = secrets.token_hex(3)
    officers = [bench_officer(f"OFR{run}{i:05d}") for i in range(count)]
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


async def measure_reports(base: str, token: str, meter: CpuMeter) -> list[Row]:
    """Each report, one request at a time (how people read them), after one to warm up."""
    rows = []
    async with httpx.AsyncClient(
        base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=120
    ) as client:
        for path in REPORTS:
            (await client.get(path)).raise_for_status()
            latencies, errors = [], 0
            before = await meter.snapshot()
            for _ in range(REPORT_RUNS):
                started = time.perf_counter()
                response = await client.get(path)
                latencies.append((time.perf_counter() - started) * 1000)
                errors += response.status_code >= 400
            api, db = await meter.since(before)
            rows.append(
                Row(
                    f"GET {path}", len(latencies), errors, 1000 / statistics.fmean(latencies),
                    percentile(latencies, 50), percentile(latencies, 99), max(latencies),
                    api * 1000 / REPORT_RUNS, db * 1000 / REPORT_RUNS,
                )
            )  # fmt: skip
    return rows


async def run_load(
    args: argparse.Namespace,
    base: str,
    meter: CpuMeter,
    seeded: list[str],
    live: list[str],
    *,
    auditor_token: str,
    caseworker_token: str,
) -> list[Row]:
    """The reads (lists first: reading a case writes the access log), one action per case, then
    the reports."""
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
            before = await meter.snapshot()
            if args.load == "wrk":
                row = await measure_wrk(request, base, auditor_token, paths, n, seconds)
            else:
                rng = random.Random(11)
                specs: list[Spec] = [("GET", rng.choice(paths), None, {}) for _ in range(5000)]
                row = await measure_python(
                    executor, request, base, auditor_token, specs, n, seconds
                )
            api, db = await meter.since(before)
            row.api_cpu_ms, row.db_cpu_ms = api * 1000 / row.n, db * 1000 / row.n
            return row

        # Warm-up: connections open, statements prepared, code paths imported, in every process.
        for paths in ([LIST_PATH], *([filter_path(f)] for f in FILTERS), FLOOR_PATHS, case_paths):
            await reads("warm-up", paths, seconds=2)
        for round_ in range(1, args.rounds + 1):
            rows.append(await reads(f"{LIST} (round {round_})", [LIST_PATH], seconds=args.seconds))
        for path in map(filter_path, FILTERS):
            rows.append(await reads(f"GET {path}", [path], seconds=args.seconds))
        for path in FLOOR_PATHS:
            rows.append(await reads(f"GET {path}", [path], seconds=args.seconds))
        rows.append(await reads(GET_CASE, case_paths, seconds=args.seconds))
        if args.reads_only:
            return rows
        rows.append(
            await measure_python(
                executor, "POST /v1/cases/{id}/actions/review (request_info)", base,
                caseworker_token, reviews, n,
            )
        )  # fmt: skip
    rows.extend(await measure_reports(base, auditor_token, meter))
    return rows


async def seeded_read_model(s: Stack, args: argparse.Namespace) -> tuple[list[str], str]:
    """The seed, made now or (a kept database seeded before with as many cases) found."""
    mark = f"bench seed: {args.cases} cases, {SEED_VERSION}"
    found = await s.pool.fetchval(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database "
        "WHERE datname = current_database()"
    )
    current = scheme_name(Shape(args.cases).schemes - 1)
    if found == mark:
        print(f"reusing the kept database's {args.cases} cases")
        return sample_ids(args.cases), current
    if args.keep_database and await s.pool.fetchval("SELECT EXISTS (SELECT FROM cases)"):
        raise SystemExit(
            f"database {args.keep_database} holds another seed ({found}): drop it or name another"
        )
    started = time.perf_counter()
    seeded = await seed(s.database_url, args.cases)
    print(f"seeded {args.cases} cases in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    current = await seed_reports(s.pool, s.database_url, args.cases)
    print(f"seeded the roster, schemes and tasks in {time.perf_counter() - started:.1f} s")
    if args.keep_database:
        # As the server's owner: the service's role may not comment on the database.
        connection = await asyncpg.connect(s.database_url)
        try:
            await connection.execute(f"COMMENT ON DATABASE \"{args.keep_database}\" IS '{mark}'")
        finally:
            await connection.close()
    return seeded, current


async def main(args: argparse.Namespace) -> None:
    quiet_logs()
    print_machine()
    server = server_url(args.database_url)
    async with stack(server, prefix="bench-api", keep=args.keep_database) as s:
        await add_policy(s.pool, API_POLICY, "bench")
        seeded, current = await seeded_read_model(s, args)
        if args.seed_only:
            return
        _, auditor_token = await create_user(s.pool, name="Bench Auditor", role=Role.AUDITOR)
        _, caseworker_token = await create_user(
            s.pool, name="Bench Caseworker", role=Role.CASEWORKER
        )

        settings = s.deployed_settings()
        async with build_worker(s.client, s.pool, s.settings):
            started = time.perf_counter()
            live = [] if args.reads_only else await real_cases(s, args.real_cases, 32)
            print(
                f"opened {len(live)} real cases to hr_review in "
                f"{time.perf_counter() - started:.1f} s"
            )
            async with api_server(settings, free_port(), args.api_workers) as (base, pid):
                tokens = {"auditor_token": auditor_token, "caseworker_token": caseworker_token}
                meter = CpuMeter(pid, s.database_url)
                results = await run_load(args, base, meter, seeded, live, **tokens)
        plans = await explain(s.database_url, seeded[0], current)
    print()
    where = f"{args.api_workers} API process(es), reads from " + (
        "wrk" if args.load == "wrk" else "httpx clients in a child process"
    )
    print(
        f"API latency: {args.cases} cases in the read model, "
        f"{args.clients} concurrent clients, {where}"
    )
    print()
    headers = [
        "request", "n", "errors", "req/s", "p50 ms", "p99 ms", "max ms",
        "API CPU ms/req", "DB CPU ms/req",
    ]  # fmt: skip
    print(table(headers, [row.cells() for row in results]))
    print()
    for what, figure, target in verdicts(results, args.rounds):
        verdict = "met" if figure < target else "MISSED"
        print(f"{what}: {figure:.1f} ms (target < {target} ms: {verdict})")
    print(plans)


def verdicts(results: list[Row], rounds: int) -> list[tuple[str, float, int]]:
    """Each target's figure: the list's median p99 and each other filter's, the case's p99,
    each report's slowest."""
    by_request = {row.request: row for row in results}
    list_p99 = statistics.median(row.p99 for row in results if row.request.startswith(LIST))
    return [
        (f"list p99, median of {rounds} rounds", list_p99, LIST_TARGET_MS),
        *(
            (f"GET {p} p99", by_request[f"GET {p}"].p99, LIST_TARGET_MS)
            for p in map(filter_path, FILTERS)
        ),
        ("case p99", by_request[GET_CASE].p99, CASE_TARGET_MS),
        *(
            (f"GET {p} slowest", by_request[f"GET {p}"].max, REPORT_TARGET_MS)
            for p in REPORTS
            if f"GET {p}" in by_request  # not measured with --reads-only
        ),
    ]


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
    parser.add_argument(
        "--keep-database",
        metavar="NAME",
        help="seed the database NAME on the server once and keep it; later runs with the same "
        "--cases reuse the seed (drop it yourself when done)",
    )
    parser.add_argument(
        "--seed-only",
        action="store_true",
        help="stop once the database is seeded (with --keep-database: seed before measuring)",
    )
    parser.add_argument("--database-url", help="PostgreSQL server URL (a database is created)")
    parser.add_argument(
        "--reads-only",
        action="store_true",
        help="measure the list and case reads only: no real cases, actions or reports",
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
