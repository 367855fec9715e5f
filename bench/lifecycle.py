"""Lifecycle throughput: voluntary-exit cases start to completed, against the bare engine.

    .venv/bin/python -m bench.lifecycle [--cases 100] [--concurrency 16] [--database-url URL]

On one Temporal dev server (SQLite file, WAL) and a fresh PostgreSQL database, runs N
voluntary-exit cases through the real worker under the demo policy with every wait made
instant: open, review (proceed), approve (each required tier), accept the offer, wait for exit
processing, complete the two manual checklist items, await the result. Then, on the same
server, N runs of ``bench.bare.BareWorkflow`` with the same number of activities and Updates in
the same places (counted from the first case's history), driven the same way at the same
concurrency. Prints both rates and the ratio ours/bare. Target: ratio >= 0.8.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import time
from collections import Counter
from datetime import date
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker

from bench.bare import BarePlan, BareWorkflow, noop
from bench.common import (
    APPROVERS,
    BENCH_POLICY,
    CASEWORKER,
    Stack,
    bench_officer,
    bounded,
    mean,
    percentile,
    print_machine,
    quiet_logs,
    server_url,
    stack,
    table,
)
from domain.case import Application, CaseOutcome, CaseView
from domain.clock import local_date
from domain.commands import COMMANDS
from domain.lifecycle import Action, CaseKind, CaseState
from domain.people import Actor, Role
from service.cases import act, open_case
from store.officers import upsert_officers
from store.policies import add_policy
from worker import build_worker

POLL = 0.02
STEP_TIMEOUT = 60.0


async def _wait_state(client: Client, case_id: str, state: CaseState) -> None:
    handle = client.get_workflow_handle(case_id)
    async with asyncio.timeout(STEP_TIMEOUT):
        while await handle.query("state", result_type=CaseState) is not state:  # noqa: ASYNC110
            await asyncio.sleep(POLL)


async def _act(s: Stack, case_id: str, action: Action, **body: Any) -> CaseView:
    command = COMMANDS[action].model_validate(body)
    return await act(s.client, s.pool, case_id, action, command)


async def run_case(s: Stack, officer_id: str, today: date) -> tuple[str, float]:
    started = time.perf_counter()
    officer = Actor(user_id=f"u_{officer_id}", role=Role.OFFICER, officer_id=officer_id)
    view = await open_case(
        s.pool,
        s.client,
        s.settings,
        officer_id=officer_id,
        kind=CaseKind.VOLUNTARY_EXIT,
        application=Application(leaving_date=today),
        actor=CASEWORKER,
        policy=BENCH_POLICY,
    )
    case_id = view.case_id
    await _wait_state(s.client, case_id, CaseState.HR_REVIEW)
    view = await _act(s, case_id, Action.REVIEW, actor=CASEWORKER, decision="proceed")
    assert view.state is CaseState.APPROVAL, view.state
    for tier in view.required_tiers:
        view = await _act(s, case_id, Action.APPROVE, actor=APPROVERS[tier])
    assert view.state is CaseState.OFFER_MADE, view.state
    await _act(s, case_id, Action.ACCEPT_OFFER, actor=officer)
    await _wait_state(s.client, case_id, CaseState.EXIT_PROCESSING)
    for item in ("access_revocation", "equipment_return"):
        view = await _act(s, case_id, Action.COMPLETE_CHECKLIST_ITEM, actor=CASEWORKER, item=item)
    handle = s.client.get_workflow_handle(case_id, result_type=CaseOutcome)
    outcome = await handle.result()
    assert outcome.state is CaseState.COMPLETED, outcome
    return case_id, time.perf_counter() - started


def plan_from_history(history: WorkflowHistory) -> tuple[BarePlan, int, int]:
    """Where one case scheduled its activities relative to its Updates."""
    plan = BarePlan()
    pending = 0  # activities outside any update since the last one completed
    inside: int | None = None
    activities = updates = 0
    for event in history.events:
        kind = event.event_type
        if kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
            plan.before.append(pending)
            pending, inside = 0, 0
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            activities += 1
            if inside is None:
                pending += 1
            else:
                inside += 1
        elif kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
            updates += 1
            plan.inside.append(inside or 0)
            inside = None
    plan.after = pending
    return plan, activities, updates


def history_facts(history: WorkflowHistory) -> str:
    """The work one run costs the server: events by kind that differ, and bytes stored."""
    kinds = Counter(
        EventType.Name(e.event_type).removeprefix("EVENT_TYPE_") for e in history.events
    )
    size = sum(e.ByteSize() for e in history.events)
    shown = ("WORKFLOW_TASK_COMPLETED", "TIMER_STARTED", "UPSERT_WORKFLOW_SEARCH_ATTRIBUTES")
    detail = ", ".join(f"{kinds[k]} {k.lower()}" for k in shown)
    return f"{len(history.events)} events ({detail}), {size / 1024:.1f} KiB"


async def run_bare(
    client: Client, task_queue: str, plan: BarePlan, workflow_id: str | None = None
) -> float:
    started = time.perf_counter()
    workflow_id = workflow_id or f"bare-{secrets.token_hex(6)}"
    handle = await client.start_workflow(
        BareWorkflow.run, plan, id=workflow_id, task_queue=task_queue
    )
    for index in range(len(plan.inside)):
        async with asyncio.timeout(STEP_TIMEOUT):
            while await handle.query(BareWorkflow.stage) < index:  # noqa: ASYNC110
                await asyncio.sleep(POLL)
        await handle.execute_update(BareWorkflow.step, index)
    await handle.result()
    return time.perf_counter() - started


def _row(name: str, n: int, elapsed: float, latencies: list[float]) -> list[str]:
    return [
        name,
        str(n),
        f"{elapsed:.1f}",
        f"{n / elapsed:.2f}",
        f"{mean(latencies):.2f}",
        f"{percentile(latencies, 50):.2f}",
        f"{percentile(latencies, 99):.2f}",
    ]


async def main(args: argparse.Namespace) -> None:
    quiet_logs()
    print_machine()
    async with stack(server_url(args.database_url), pool_size=args.pool_size) as s:
        await add_policy(s.pool, BENCH_POLICY, "bench")
        officers = [bench_officer(f"OFB{i:05d}") for i in range(args.cases + 1)]
        await upsert_officers(s.pool, officers)
        today = local_date(await s.env.get_current_time())

        async with build_worker(s.client, s.pool, s.settings):
            # One case first, alone: a warm-up, and the shape the bare workflow copies.
            first_id, first_latency = await run_case(s, officers[0].officer_id, today)
            first_history = await s.client.get_workflow_handle(first_id).fetch_history()
            plan, activities, updates = plan_from_history(first_history)
            print(
                f"one case: {activities} activities, {updates} updates "
                f"(bare plan: before={plan.before} inside={plan.inside} after={plan.after}); "
                f"alone it took {first_latency:.2f} s"
            )
            started = time.perf_counter()
            ours = await bounded(
                args.concurrency,
                [o.officer_id for o in officers[1:]],
                lambda officer_id: run_case(s, officer_id, today),
            )
            ours_elapsed = time.perf_counter() - started
        ours_latencies = [latency for _, latency in ours]

        # The bare engine: same server, no codec, no database, no domain.
        bare_client = Client(
            s.client.service_client,
            namespace=s.client.namespace,
            data_converter=pydantic_data_converter,
        )
        bare_queue = f"{s.settings.task_queue}-bare"
        async with Worker(
            bare_client, task_queue=bare_queue, workflows=[BareWorkflow], activities=[noop]
        ):
            await run_bare(bare_client, bare_queue, plan, "bare-warm-up")
            bare_history = await bare_client.get_workflow_handle("bare-warm-up").fetch_history()
            print(f"history of one case:      {history_facts(first_history)}")
            print(f"history of one bare run:  {history_facts(bare_history)}")
            started = time.perf_counter()
            bare_latencies = await bounded(
                args.concurrency,
                list(range(args.cases)),
                lambda _: run_bare(bare_client, bare_queue, plan),
            )
            bare_elapsed = time.perf_counter() - started

    ours_rate = args.cases / ours_elapsed
    bare_rate = args.cases / bare_elapsed
    print()
    print(
        f"Lifecycle throughput: {args.cases} cases, concurrency {args.concurrency}, "
        f"{activities} activities and {updates} updates per case"
    )
    print()
    print(
        table(
            ["workflow", "cases", "wall s", "cases/s", "mean s", "p50 s", "p99 s"],
            [
                _row("voluntary exit (ours)", args.cases, ours_elapsed, ours_latencies),
                _row("bare (same shape)", args.cases, bare_elapsed, bare_latencies),
            ],
        )
    )
    print()
    ratio = ours_rate / bare_rate
    verdict = "met" if ratio >= 0.8 else "MISSED"
    print(f"ratio ours/bare: {ratio:.2f} (target >= 0.8: {verdict})")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--pool-size", type=int, default=20)
    parser.add_argument("--database-url", help="PostgreSQL server URL (a database is created)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
