"""Starting the cohort: import a 700-officer roster and open a case for each officer.

    .venv/bin/python -m bench.cohort [--officers 700] [--concurrency 32] [--database-url URL]

Generates a roster CSV (chief inspectors to chief superintendents), parses it with
``domain.roster.parse_roster`` and stores it with ``store.officers.upsert_officers``, then opens
one voluntary-exit case per officer through ``service.cases.open_case`` (what the API and CLI
call) at the given concurrency, against a Temporal dev server and the real worker. A case
counts as created when ``open_case`` returns: its workflow is started and its read-model row
is committed. Also reports, for information, when every case had reached HR review (the
workflow's own eligibility check done). Target: 700 cases created in under 30 s.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import random
import time
from datetime import date

from bench.common import (
    BENCH_POLICY,
    CASEWORKER,
    bounded,
    percentile,
    print_machine,
    quiet_logs,
    server_url,
    stack,
    table,
)
from domain.case import Application
from domain.lifecycle import CaseKind
from domain.roster import parse_roster
from service.cases import open_case
from store.officers import upsert_officers
from store.policies import add_policy
from worker import build_worker

HEADER = [
    "officer_id", "name", "rank", "date_of_birth", "service_start", "annual_pay",
    "pension_scheme", "misconduct_pending",
]  # fmt: skip
RANKS = [("chief_inspector", 62000), ("superintendent", 82000), ("chief_superintendent", 98000)]


def roster_csv(count: int) -> str:
    """Eligible senior officers: 2006 scheme, 10 to 25 years in, no misconduct pending."""
    rng = random.Random(700)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for i in range(count):
        rank, pay = rng.choice(RANKS)
        joined = date(2000 + rng.randrange(0, 15), rng.randrange(1, 13), 1)
        born = date(joined.year - rng.randrange(21, 30), rng.randrange(1, 13), 15)
        writer.writerow(
            [
                f"OF{10000 + i}",
                f"Officer {i:03d}, Example",
                rank,
                born.isoformat(),
                joined.isoformat(),
                f"{pay + rng.randrange(0, 8000)}.00",
                "2006",
                "false",
            ]
        )
    return out.getvalue()


async def main(args: argparse.Namespace) -> None:
    quiet_logs()
    print_machine()
    async with stack(server_url(args.database_url), prefix="bench-cohort") as s:
        await add_policy(s.pool, BENCH_POLICY, "bench")
        text = roster_csv(args.officers)
        started = time.perf_counter()
        officers = parse_roster(text, today=date.today())
        parsed = time.perf_counter() - started
        result = await upsert_officers(s.pool, officers)
        imported = time.perf_counter() - started
        print(f"roster: {len(officers)} officers ({result}), parsed in {parsed * 1000:.0f} ms")

        latencies: list[float] = []

        async def open_one(officer_id: str) -> str:
            began = time.perf_counter()
            view = await open_case(
                s.pool,
                s.client,
                s.settings,
                officer_id=officer_id,
                kind=CaseKind.VOLUNTARY_EXIT,
                application=Application(statement="Applying under the scheme."),
                actor=CASEWORKER,
                policy=BENCH_POLICY,
            )
            latencies.append((time.perf_counter() - began) * 1000)
            return view.case_id

        async with build_worker(s.client, s.pool, s.settings):
            started = time.perf_counter()
            ids = await bounded(args.concurrency, [o.officer_id for o in officers], open_one)
            created = time.perf_counter() - started
            rows = await s.pool.fetchval("SELECT count(*) FROM cases WHERE case_id = ANY($1)", ids)
            assert rows == len(officers), (rows, len(officers))
            async with asyncio.timeout(300):
                while True:
                    reviewed = await s.pool.fetchval(
                        "SELECT count(*) FROM cases WHERE case_id = ANY($1) "
                        "AND state = 'hr_review'",
                        ids,
                    )
                    if reviewed == len(ids):
                        break
                    await asyncio.sleep(0.1)
            in_review = time.perf_counter() - started

    n = len(officers)
    print()
    print(f"Cohort: {n} officers, open_case concurrency {args.concurrency}")
    print()
    print(
        table(
            ["step", "s", "cases/s", "open p50 ms", "open p99 ms"],
            [
                ["roster parse + import", f"{imported:.2f}", "", "", ""],
                [
                    f"{n} cases created (workflow started, row committed)",
                    f"{created:.2f}",
                    f"{n / created:.1f}",
                    f"{percentile(latencies, 50):.0f}",
                    f"{percentile(latencies, 99):.0f}",
                ],
                [f"all {n} in hr_review (eligibility checked)", f"{in_review:.2f}", "", "", ""],
            ],
        )
    )
    verdict = "met" if created < 30 else "MISSED"
    print(f"\n{n} cases created in {created:.1f} s (target < 30 s: {verdict})")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--officers", type=int, default=700)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--database-url", help="PostgreSQL server URL (a database is created)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
