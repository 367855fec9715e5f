"""CPU seconds per process over a phase of a benchmark, from the processes' own counters.

On two cores every process of a benchmark competes for the same CPU, so a rate says how much a
case costs in all of them together; the counters say where. Wall-clock figures move with
whatever else the machine runs; the user + system seconds a process spent move far less.

What is counted (``psutil``, i.e. ``/proc/<pid>/stat``: user + system time of every thread):

- ``temporal``: the Temporal dev server (a child of the benchmark process) and its children;
- ``workers``: the worker processes (``bench.common.child_workers``: workflows, activities,
  the SDK's Rust core threads, WeasyPrint's threads), ours and the bare engine's alike; the
  idle ones' long polls cost next to nothing;
- ``driver``: the benchmark process itself (the service calls, the polling);
- ``pg backends``: the PostgreSQL backends connected to the benchmark's own database (the
  worker's pool, the driver's connections), as ``pg_stat_activity`` lists them at the start
  and the end of the phase: a backend that both started and ended inside the phase is missed;
- ``pg shared``: the server's background processes (checkpointer, background writer, WAL
  writer, autovacuum launcher, logical replication launcher). They serve every database on
  the server, so with other work on it they carry some of that too.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

import asyncpg
import psutil

COLUMNS = ("temporal", "workers", "driver", "pg backends", "pg shared")

# backend_type values of pg_stat_activity that are not tied to one database.
_SHARED = (
    "checkpointer",
    "background writer",
    "walwriter",
    "autovacuum launcher",
    "logical replication launcher",
)


def _seconds(process: psutil.Process) -> float:
    try:
        times = process.cpu_times()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return 0.0
    return float(times.user + times.system)


def _temporal_processes() -> list[psutil.Process]:
    children = psutil.Process().children(recursive=True)
    return [p for p in children if "temporal" in p.name()]


async def _postgres_pids(pool: asyncpg.Pool) -> tuple[list[int], list[int]]:
    """(backends of this database, shared background processes)."""
    rows = await pool.fetch(
        """SELECT pid, backend_type = ANY($1::text[]) AS shared
             FROM pg_stat_activity
            WHERE datname = current_database() OR backend_type = ANY($1::text[])""",
        list(_SHARED),
    )
    return [r["pid"] for r in rows if not r["shared"]], [r["pid"] for r in rows if r["shared"]]


@dataclass
class Snapshot:
    at: float
    seconds: dict[str, dict[int, float]]  # column -> pid -> CPU seconds


def _by_pid(processes: Iterable[psutil.Process]) -> dict[int, float]:
    return {p.pid: _seconds(p) for p in processes}


async def snapshot(pool: asyncpg.Pool, workers: Iterable[int]) -> Snapshot:
    backends, shared = await _postgres_pids(pool)
    return Snapshot(
        at=time.perf_counter(),
        seconds={
            "temporal": _by_pid(_temporal_processes()),
            "workers": _by_pid(_processes(workers)),
            "driver": _by_pid([psutil.Process()]),
            "pg backends": _by_pid(_processes(backends)),
            "pg shared": _by_pid(_processes(shared)),
        },
    )


def _processes(pids: Iterable[int]) -> list[psutil.Process]:
    """The processes still there (a backend may end between the query and now)."""
    found = []
    for pid in pids:
        try:
            found.append(psutil.Process(pid))
        except psutil.NoSuchProcess:
            continue
    return found


async def since(
    pool: asyncpg.Pool, workers: Iterable[int], start: Snapshot
) -> tuple[dict[str, float], float]:
    """CPU seconds per column since ``start`` (processes new since then count from zero),
    and the wall seconds that passed."""
    end = await snapshot(pool, workers)
    spent = {
        column: sum(
            seconds - start.seconds[column].get(pid, 0.0)
            for pid, seconds in end.seconds[column].items()
        )
        for column in COLUMNS
    }
    return spent, end.at - start.at
