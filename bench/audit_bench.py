"""Audit log at scale: verify and export a million events; time, CPU and peak memory.

    .venv/bin/python -m bench.audit_bench [--events 1000000] [--processes N]
        [--database-url URL] [--keep]

Creates a database of its own on the server (default: EXITCASES_TEST_DATABASE_URL, else the
local PostgreSQL), fills it with chained events (10 per case) hashed by the very function the
service uses and loaded with COPY, then times `verify` (in one process, then in ``--processes``,
default one per core, as `exitcases audit verify` runs) and the JSON-lines and CSV exports to
/dev/null through the same code the service and the CLI use, and prints a Markdown table.

Each measured step runs in a child process of its own (verify's other processes are its
children), so what is measured is the step's alone:

- CPU seconds of the Python processes from their own counters (``getrusage``, self and the
  children it waited for), and of the PostgreSQL backends serving them (their
  ``/proc/<pid>/stat``, read every 0.1 s while they live: each may miss its last 0.1 s);
- peak memory: the largest sum of the resident sizes of the step's Python processes, read
  every 0.1 s (their pages shared with each other counted in each).

Targets: verify of a million events under 10 s on a 2-core machine; exports in constant memory
(the same peak for 100,000 events as for a million).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import psutil

from store import audit
from store.pool import create_pool
from tests.helpers.databases import create_database, drop_database

EVENTS_PER_CASE = 10
BATCH = 20_000
COLUMNS = [
    "case_id", "seq", "action", "actor_user_id", "actor_role", "on_behalf_of",
    "from_state", "to_state", "reason", "details", "occurred_at", "prev_hash", "hash",
]  # fmt: skip
# A realistic mix: what the workflow writes (ids, states, dates, amounts as strings).
STEPS = [
    ("submit", None, "submitted", None, {"leaving_date": "2026-06-30"}),
    ("eligibility", "submitted", "hr_review", None, {"reasons": []}),
    ("review", "hr_review", "approval", "meets the scheme", {"decision": "proceed"}),
    ("calculate", "approval", "approval", None, {"amount": "41538.46", "tiers": ["hr"]}),
    ("approve", "approval", "approval", "within budget", {"tier": "hr"}),
    ("offer", "approval", "offer_made", None, {"amount": "41538.46", "lapses": "2026-07-10"}),
    ("accept-offer", "offer_made", "accepted", None, {"leaving_date": "2026-08-31"}),
    ("cooling-off-ended", "accepted", "leaving_scheduled", None, {}),
    ("reminder", "leaving_scheduled", "leaving_scheduled", None, {"before": "P30D"}),
    ("complete", "exit_processing", "completed", None, {"items": 4, "note": "délai respecté"}),
]


def _rows(events: int) -> Iterator[tuple[Any, ...]]:
    start = datetime(2026, 5, 1, tzinfo=UTC)
    for case_number in range(events // EVENTS_PER_CASE):
        case_id = f"EX-B{case_number:09d}"
        previous = audit.GENESIS
        for seq, (action, from_state, to_state, reason, details) in enumerate(STEPS, 1):
            event = {
                "case_id": case_id,
                "seq": seq,
                "action": action,
                "actor_user_id": f"u_{case_number % 97}",
                "actor_role": "caseworker",
                "on_behalf_of": None,
                "from_state": from_state,
                "to_state": to_state,
                "reason": reason,
                "details": details,
                "occurred_at": start + timedelta(minutes=case_number, seconds=seq),
                "prev_hash": previous,
            }
            digest = audit.event_hash(event)
            yield (
                *(event[c] for c in COLUMNS[:9]),
                json.dumps(details),
                event["occurred_at"],
                previous,
                digest,
            )
            previous = digest


async def load(url: str, events: int) -> None:
    loader = await asyncpg.connect(url)
    try:
        batch: list[tuple[Any, ...]] = []
        for row in _rows(events):
            batch.append(row)
            if len(batch) == BATCH:
                await loader.copy_records_to_table("audit_events", records=batch, columns=COLUMNS)
                batch.clear()
        if batch:
            await loader.copy_records_to_table("audit_events", records=batch, columns=COLUMNS)
        await loader.execute("VACUUM ANALYZE audit_events")
    finally:
        await loader.close()


def _cpu_seconds() -> float:
    """This process's CPU time and that of the children it waited for (verify's processes)."""
    own, children = (
        resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


async def measure(url: str, step: str, processes: int) -> dict[str, Any]:
    """One step, in this (child) process: seconds and the CPU seconds of it and its children."""
    pool = await create_pool(url, min_size=1, max_size=1)
    try:
        started = time.perf_counter()
        result: dict[str, Any] = {}
        if step == "verify":
            report = await audit.verify(pool, database_url=url, processes=processes)
            result = {"events": report.events, "clean": report.clean}
        elif step in ("jsonl", "csv"):
            lines = 0
            with open(os.devnull, "w") as sink:  # noqa: ASYNC230 - /dev/null never blocks
                async for chunk in audit.export(pool, fmt=audit.ExportFormat(step)):
                    sink.write(chunk)
                    lines += 1
            result = {"chunks": lines}
        return result | {"seconds": time.perf_counter() - started, "cpu": _cpu_seconds()}
    finally:
        await pool.close()


@dataclass
class Sampler:
    """Reads the resident size of a process tree and the CPU time of PostgreSQL's backends for
    one database, every 0.1 s."""

    postmaster: psutil.Process | None
    database: str
    peak_rss: int = 0
    backend_cpu: dict[int, float] = field(default_factory=dict)

    def sample(self, root: psutil.Process) -> None:
        try:
            tree = [root, *root.children(recursive=True)]
            self.peak_rss = max(self.peak_rss, sum(p.memory_info().rss for p in tree))
        except psutil.NoSuchProcess:
            pass  # one ended between the two reads
        if self.postmaster is None:
            return
        for backend in self.postmaster.children():
            try:
                # A backend's title: "postgres: <user> <database> <client> <command>".
                if f" {self.database} " in " ".join(backend.cmdline()) + " ":
                    times = backend.cpu_times()
                    self.backend_cpu[backend.pid] = times.user + times.system
            except psutil.Error:
                pass  # ended, or not ours to read


def _child(
    url: str, step: str, processes: int, postmaster: psutil.Process | None
) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.audit_bench", "--measure", step]
    command += ["--processes", str(processes), "--database-url", url]
    sampler = Sampler(postmaster, url.rsplit("/", 1)[-1])
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as child:
        root = psutil.Process(child.pid)
        while child.poll() is None:
            sampler.sample(root)
            time.sleep(0.1)
        output = child.stdout.read() if child.stdout else ""
    if child.returncode != 0:
        raise SystemExit(f"{step} failed with status {child.returncode}")
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    postgres = None if postmaster is None else sum(sampler.backend_cpu.values())
    return result | {"rss_mb": sampler.peak_rss / 2**20, "postgres_cpu": postgres}


async def _postmaster(url: str) -> psutil.Process | None:
    """PostgreSQL's main process, when it runs on this machine (its backends are its children)."""
    connection = await asyncpg.connect(url)
    try:
        # Asked while the backend lives: it ends with the connection.
        return psutil.Process(await connection.fetchval("SELECT pg_backend_pid()")).parent()
    except psutil.Error:
        return None
    finally:
        await connection.close()


Row = tuple[str, str, str, str, str]


def _row(name: str, measured: dict[str, Any]) -> Row:
    postgres = measured["postgres_cpu"]
    return (
        name,
        f"{measured['seconds']:.1f}",
        f"{measured['cpu']:.1f}",
        "n/a" if postgres is None else f"{postgres:.1f}",
        f"{measured['rss_mb']:.0f}",
    )


def run(events: int, processes: int, server_url: str, keep: bool) -> list[Row]:
    url = asyncio.run(create_database(server_url, "bench_audit"))
    rows: list[Row] = []
    try:
        started = time.perf_counter()
        asyncio.run(load(url, events))
        rows.append(
            (
                f"load {events:,} events (hash + COPY)",
                f"{time.perf_counter() - started:.1f}",
                "",
                "",
                "",
            )
        )
        postmaster = asyncio.run(_postmaster(url))
        rows.append(
            _row("baseline: interpreter + pool, no work", _child(url, "idle", 1, postmaster))
        )
        for count in sorted({1, processes}):
            verified = _child(url, "verify", count, postmaster)
            if not verified["clean"] or verified["events"] != events:
                raise SystemExit(f"verify did not come out clean: {verified}")
            rows.append(_row(f"verify {events:,} events, {count} process(es)", verified))
        for fmt in ("jsonl", "csv"):
            rows.append(
                _row(
                    f"export {events:,} events ({fmt}) to /dev/null",
                    _child(url, fmt, 1, postmaster),
                )
            )
    finally:
        if not keep:
            asyncio.run(drop_database(server_url, url))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "EXITCASES_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
        help="a server URL: the bench creates and drops a database of its own on it",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=os.cpu_count() or 1,
        help="verify's processes besides the one-process run (default: one per core)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(asyncio.run(measure(args.database_url, args.measure, args.processes))))
        return
    load_before = os.getloadavg()
    rows = run(args.events, args.processes, args.database_url, args.keep)
    print(
        f"machine: {os.cpu_count()} cores, {platform.machine()}, Python "
        f"{platform.python_version()}, PostgreSQL on the same machine; load average "
        f"{load_before[0]:.2f} before, {os.getloadavg()[0]:.2f} after"
    )
    print("| step | seconds | CPU s, Python | CPU s, PostgreSQL | peak RSS, all processes (MB) |")
    print("|---|---:|---:|---:|---:|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
