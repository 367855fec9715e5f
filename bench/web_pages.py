"""Web page latency: the caseworker's inbox, the case list with filters and a case page, with
100,000 cases in the read model, served by the API processes (`exitcases api`).

    .venv/bin/python -m bench.web_pages [--cases 100000] [--clients 8] [--seconds 10]
        [--api-workers 2] [--database-url URL] [--port PORT]

Seeds the read model as bench/api_latency.py does (its ``seed``: COPY of realistic case
views varied in state, rank and time), and a caseworker's task for every seeded case in HR
review (a year of creation times, so most are overdue: the inbox's heaviest shape). Signs in
on the sign-in page as a caseworker and sends the session cookie, as a browser does; the
pages run as deployed (``api_processes``: ``--api-workers`` processes) and the reads come from
httpx clients in a child process (api_latency's loader), each on its own keep-alive connection:

- ``GET /tasks``: the inbox, soonest due first, with badges,
- ``GET /cases?state=hr_review&rank=superintendent&overdue=yes``: the list with filters,
- ``GET /cases/{id}`` on random seeded cases: summary, working, tasks, timeline, action forms.

Target: p95 of each < 100 ms. No worker runs: no page measured here waits on a workflow.

Besides the latencies, the CPU time each request cost, from the processes' own counters
(psutil) over each page's run divided by its requests: the API processes' (``exitcases api``
and its workers), and PostgreSQL's backends serving this benchmark's database. Unlike a
latency, that figure means the same on a machine that other work keeps busy.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta
from urllib.parse import urlsplit

import asyncpg
import httpx
import psutil

from bench.api_latency import Spec, _load_in_child, api_processes, free_port
from bench.common import percentile, print_machine, quiet_logs, server_url, stack, table
from bench.seed import seed
from domain.people import Role
from store.users import create_user

PAGES = {
    "GET /tasks (inbox)": ["/tasks"],
    "GET /cases?state=hr_review&rank=superintendent&overdue=yes": [
        "/cases?state=hr_review&rank=superintendent&overdue=yes"
    ],
}
CASE_PAGE = "GET /cases/{id}"
TARGET_MS = 100


async def seed_tasks(database_url: str) -> int:
    """A caseworker's review task for each seeded case in HR review, due ten days after it
    was last changed (as the read model's ``due_at``)."""
    connection = await asyncpg.connect(database_url)
    try:
        status = await connection.execute(
            """INSERT INTO tasks (case_id, kind, assignee_role, opened_at, remind_at, due_at)
               SELECT case_id, 'hr_review', 'caseworker', updated_at, due_at - $1::interval,
                      due_at
               FROM cases WHERE state = 'hr_review'""",
            timedelta(days=2),
        )
        await connection.execute("VACUUM (ANALYZE) tasks")
    finally:
        await connection.close()
    return int(status.split()[-1])


def api_processes_of(parent: psutil.Process) -> list[psutil.Process]:
    """``exitcases api`` started by ``parent`` (this benchmark), with its worker processes."""
    for child in parent.children(recursive=True):
        if child.cmdline()[-3:] == ["-m", "exitcases", "api"]:
            return [child, *child.children(recursive=True)]
    raise RuntimeError("no `exitcases api` process under this benchmark")


def database_backends(database_url: str) -> list[psutil.Process]:
    """PostgreSQL's server processes for connections to this benchmark's database (their
    title names it: ``postgres: user database host(port) state``)."""
    database = f" {urlsplit(database_url).path.lstrip('/')} "
    backends = []
    for process in psutil.process_iter(["cmdline"]):
        title = " ".join(process.info["cmdline"] or ())
        if title.startswith("postgres:") and database in title:
            backends.append(process)
    return backends


def cpu_seconds(processes: list[psutil.Process]) -> dict[int, float]:
    """User and system CPU time of each process still running, by process id."""
    spent = {}
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        spent[process.pid] = times.user + times.system
    return spent


def cpu_since(before: dict[int, float], processes: list[psutil.Process]) -> float:
    """CPU seconds the processes spent since ``before`` (one started since: all of its)."""
    now = cpu_seconds(processes)
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in now.items())


async def session_cookie(base: str, token: str) -> str:
    """Signed in on the sign-in page: the ``Cookie`` header a browser would send."""
    async with httpx.AsyncClient(base_url=base) as browser:
        signed = await browser.post("/sign-in", data={"token": token})
        assert signed.status_code == 303, signed.text
        return "; ".join(f"{name}={value}" for name, value in browser.cookies.items())


async def measure(
    executor: ProcessPoolExecutor,
    base: str,
    auth: tuple[str, str],
    paths: list[str],
    clients: int,
    seconds: float,
) -> tuple[list[float], int]:
    """Latencies (ms) of ``clients`` clients reading ``paths`` for ``seconds``, and errors."""
    # The loader sends the token as a bearer too; pages read the session cookie only.
    token, cookie = auth
    rng = random.Random(11)
    specs: list[Spec] = [("GET", rng.choice(paths), None, {"Cookie": cookie}) for _ in range(5000)]
    loop = asyncio.get_running_loop()
    latencies, _, errors, samples = await loop.run_in_executor(
        executor, _load_in_child, (base, token, specs, clients, seconds)
    )
    for sample in samples:
        print(f"  error {sample}")
    return latencies, errors


async def main(args: argparse.Namespace) -> None:
    quiet_logs()
    print_machine()
    load_before = os.getloadavg()
    async with stack(server_url(args.database_url), prefix="bench-web") as s:
        seeded = await seed(s.database_url, args.cases)
        tasks = await seed_tasks(s.database_url)
        print(f"seeded {len(seeded)} cases and {tasks} caseworker tasks")
        _, token = await create_user(s.pool, name="Bench Caseworker", role=Role.CASEWORKER)
        settings = s.deployed_settings()
        pages = PAGES | {CASE_PAGE: [f"/cases/{case_id}" for case_id in seeded]}
        rows = []
        context = multiprocessing.get_context("spawn")
        port = args.port or free_port()
        async with api_processes(settings, port, args.api_workers) as base:
            auth = (token, await session_cookie(base, token))
            api = api_processes_of(psutil.Process())
            with ProcessPoolExecutor(1, mp_context=context) as executor:
                for paths in pages.values():  # warm-up: every process, every statement
                    await measure(executor, base, auth, paths, args.clients, 3)
                for name, paths in pages.items():
                    api_before = cpu_seconds(api)
                    db_before = cpu_seconds(database_backends(s.database_url))
                    latencies, errors = await measure(
                        executor, base, auth, paths, args.clients, args.seconds
                    )
                    requests = max(1, len(latencies))
                    api_cpu = 1000 * cpu_since(api_before, api) / requests
                    backends = database_backends(s.database_url)
                    db_cpu = 1000 * cpu_since(db_before, backends) / requests
                    p95 = percentile(latencies, 95)
                    rows.append(
                        [
                            name, str(len(latencies)), str(errors),
                            f"{len(latencies) / args.seconds:.0f}",
                            f"{percentile(latencies, 50):.1f}", f"{p95:.1f}",
                            f"{percentile(latencies, 99):.1f}",
                            f"{api_cpu:.1f}", f"{db_cpu:.1f}",
                            "met" if p95 < TARGET_MS and not errors else "MISSED",
                        ]
                    )  # fmt: skip
    print()
    print(
        f"Web pages: {args.cases} cases in the read model, {args.clients} concurrent clients, "
        f"{args.api_workers} API process(es), reads from httpx clients in a child process"
    )
    print()
    headers = [
        "page", "n", "errors", "req/s", "p50 ms", "p95 ms", "p99 ms",
        "API CPU ms/req", "DB CPU ms/req", "p95 < 100 ms",
    ]  # fmt: skip
    print(table(headers, rows))
    print(f"load average before the run: {load_before}, after: {os.getloadavg()}")
    print(
        json.dumps(
            {
                row[0]: {"p95_ms": float(row[5]), "api_cpu_ms": float(row[7]),
                         "db_cpu_ms": float(row[8])}
                for row in rows
            }
        )
    )  # fmt: skip


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=10, help="length of each page's run")
    parser.add_argument(
        "--api-workers", type=int, default=2, help="API processes (EXITCASES_API_WORKERS)"
    )
    parser.add_argument("--database-url", help="PostgreSQL server URL (a database is created)")
    parser.add_argument("--port", type=int, help="the API's port (default: any free one)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
