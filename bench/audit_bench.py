"""Audit log at scale: verify and export a million events; time and peak memory.

    .venv/bin/python -m bench.audit_bench [--events 1000000] [--database-url URL] [--keep]

Creates a database of its own on the server (default: EXITCASES_TEST_DATABASE_URL, else the
local PostgreSQL), fills it with chained events (10 per case) hashed by the very function the
service uses and loaded with COPY, then times `verify` and the JSON-lines and CSV exports to
/dev/null through the same code the service and the CLI use, and prints a Markdown table.

Each measured step runs in a child process of its own, so that its peak RSS
(``getrusage().ru_maxrss``) is its own and not the loader's. Target: verify of a million events
under 20 s on a 2-core machine; exports in constant memory (the same peak for 100,000 events as
for a million).
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
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

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


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def measure(url: str, step: str) -> dict[str, Any]:
    """One step, in this (child) process: seconds and this process's peak RSS."""
    pool = await create_pool(url, min_size=1, max_size=1)
    try:
        started = time.perf_counter()
        result: dict[str, Any] = {}
        if step == "verify":
            report = await audit.verify(pool)
            result = {"events": report.events, "clean": report.clean}
        elif step in ("jsonl", "csv"):
            lines = 0
            with open(os.devnull, "w") as sink:  # noqa: ASYNC230 - /dev/null never blocks
                async for chunk in audit.export(pool, fmt=audit.ExportFormat(step)):
                    sink.write(chunk)
                    lines += 1
            result = {"chunks": lines}
        return result | {"seconds": time.perf_counter() - started, "rss_mb": _peak_rss_mb()}
    finally:
        await pool.close()


def _child(url: str, step: str) -> dict[str, Any]:
    output = subprocess.run(
        [sys.executable, "-m", "bench.audit_bench", "--measure", step, "--database-url", url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return result


def run(events: int, server_url: str, keep: bool) -> list[tuple[str, str, str]]:
    url = asyncio.run(create_database(server_url, "bench_audit"))
    rows: list[tuple[str, str, str]] = []
    try:
        started = time.perf_counter()
        asyncio.run(load(url, events))
        rows.append(
            (f"load {events:,} events (hash + COPY)", f"{time.perf_counter() - started:.1f}", "")
        )
        idle = _child(url, "idle")
        rows.append(("baseline: interpreter + pool, no work", "", f"{idle['rss_mb']:.0f}"))
        verified = _child(url, "verify")
        if not verified["clean"] or verified["events"] != events:
            raise SystemExit(f"verify did not come out clean: {verified}")
        rows.append(
            (f"verify {events:,} events", f"{verified['seconds']:.1f}", f"{verified['rss_mb']:.0f}")
        )
        for fmt in ("jsonl", "csv"):
            exported = _child(url, fmt)
            rows.append(
                (
                    f"export {events:,} events ({fmt}) to /dev/null",
                    f"{exported['seconds']:.1f}",
                    f"{exported['rss_mb']:.0f}",
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
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(asyncio.run(measure(args.database_url, args.measure))))
        return
    rows = run(args.events, args.database_url, args.keep)
    print(
        f"machine: {os.cpu_count()} cores, {platform.machine()}, Python "
        f"{platform.python_version()}, PostgreSQL on the same machine"
    )
    print("| step | seconds | peak RSS (MB) |\n|---|---:|---:|")
    for step, seconds, memory in rows:
        print(f"| {step} | {seconds} | {memory} |")


if __name__ == "__main__":
    main()
