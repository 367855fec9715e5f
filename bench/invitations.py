"""Inviting the cohort: 700 officers invited to apply by one invitation run.

    .venv/bin/python -m bench.invitations [--officers 700] [--database-url URL]

Imports the cohort roster of ``bench.cohort`` (chief inspectors to chief superintendents),
adds a scheme whose window is open, and starts one invitation run through
``service.schemes.start_invitations`` (what ``POST /v1/schemes/{name}/invitations`` calls),
against a Temporal dev server and the real worker. Timed from the start until the run's
``progress`` query says every officer is processed; then it checks that each officer has one
invitation and one notice. A second run is timed too: it invites nobody. Target: 700
invitations in under 60 s.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import date
from decimal import Decimal

from bench.cohort import roster_csv
from bench.common import BENCH_POLICY, print_machine, quiet_logs, server_url, stack, table
from domain.officer import Rank
from domain.people import Actor, Role
from domain.roster import parse_roster
from domain.scheme import InvitationProgress, Scheme
from service.schemes import invitation_run, start_invitations
from store.officers import upsert_officers
from store.policies import add_policy
from store.schemes import add_scheme
from worker import build_worker

HR_MANAGER = Actor(user_id="u_bench_hr_manager", role=Role.HR_MANAGER)


async def main(args: argparse.Namespace) -> None:
    quiet_logs()
    print_machine()
    async with stack(server_url(args.database_url), prefix="bench-invite") as s:
        await add_policy(s.pool, BENCH_POLICY, "bench")
        scheme = Scheme(
            name="bench",
            policy_version=BENCH_POLICY.version,
            application_opens=date(2000, 1, 1),
            application_closes=date(2099, 12, 31),
            budget=Decimal("50000000.00"),
        )
        await add_scheme(s.pool, scheme, "bench")
        officers = parse_roster(roster_csv(args.officers), today=date.today())
        await upsert_officers(s.pool, officers)

        async def run_once() -> tuple[float, InvitationProgress]:
            started = time.perf_counter()
            run = await start_invitations(
                s.pool, s.client, s.settings, scheme="bench", ranks=list(Rank), actor=HR_MANAGER
            )
            async with asyncio.timeout(600):
                while True:
                    progress = await invitation_run(s.pool, s.client, "bench", run.run_id)
                    if progress.total is not None and progress.processed == progress.total:
                        return time.perf_counter() - started, progress
                    await asyncio.sleep(0.05)

        async with build_worker(s.client, s.pool, s.settings):
            first, first_progress = await run_once()
            second, second_progress = await run_once()
        invitations = await s.pool.fetchval("SELECT count(*) FROM scheme_invitations")
        notices = await s.pool.fetchval(
            "SELECT count(*) FROM notifications WHERE template = 'invitation'"
        )
        assert invitations == notices == len(officers), (invitations, notices)

    n = len(officers)
    print()
    print(f"Invitations: {n} officers, one run, batches of 50")
    print()
    print(
        table(
            ["run", "s", "officers processed", "invited", "invitations/s"],
            [
                ["first", f"{first:.2f}", first_progress.processed, first_progress.invited,
                 f"{n / first:.0f}"],
                ["second (nobody new)", f"{second:.2f}", second_progress.processed,
                 second_progress.invited, ""],
            ],
        )
    )  # fmt: skip
    verdict = "met" if first < 60 else "MISSED"
    print(f"\n{n} invitations in {first:.1f} s (target < 60 s: {verdict})")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--officers", type=int, default=700)
    parser.add_argument("--database-url", help="PostgreSQL server URL (a database is created)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
