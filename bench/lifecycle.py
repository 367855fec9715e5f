"""Lifecycle throughput: voluntary-exit cases start to completed, against the bare engine.

    .venv/bin/python -m bench.lifecycle [--cases 200] [--runs 3] [--concurrency 16]
        [--workers 2] [--database-url URL]

On one Temporal dev server (SQLite file, WAL) and a fresh PostgreSQL database, runs N
voluntary-exit cases through the real worker, as deployed (``--workers`` processes of
``exitcases worker``, apart from this driver), under the demo policy with every wait made
instant: open, review (proceed), approve (each required tier), accept the offer, wait for exit
processing, complete the two manual checklist items, await the result. Then, on the same
server, N runs of ``bench.bare.BareWorkflow`` with the same number of activities and Updates in
the same places (counted from the first case's history), driven the same way at the same
concurrency by as many worker processes of its own (``bench.bare_worker``). That is one run;
``--runs`` of them in one invocation, on the same server.

Prints, per run, both rates, the ratio ours/bare and the CPU seconds per case each process
spent (``bench.cpu`` says what is counted), and the history of a run of each (events, workflow
tasks, timers, upserts, activities, bytes); then the medians. Target: median ratio >= 0.9.
Needs the ``test`` extra (``psutil``, and the throwaway databases of ``tests.helpers``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter

from activities.letters import font_subsetter
from bench import cpu
from bench.bare import BarePlan, BareWorkflow
from bench.common import (
    APPROVERS,
    BENCH_POLICY,
    CASEWORKER,
    Stack,
    bench_officer,
    bounded,
    child_workers,
    mean,
    percentile,
    print_machine,
    quiet_logs,
    server_url,
    service_workers,
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

POLL = 0.02
TARGET = 0.9
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


@dataclass
class HistoryFacts:
    """What one run costs the server, from its history: events, the workflow tasks, timers,
    search-attribute upserts and activities among them, and the bytes the events take."""

    events: float = 0.0
    workflow_tasks: float = 0.0
    timers: float = 0.0
    upserts: float = 0.0
    activities: float = 0.0
    local_activities: float = 0.0
    kib: float = 0.0

    @classmethod
    def of(cls, history: WorkflowHistory) -> HistoryFacts:
        kinds = Counter(e.event_type for e in history.events)
        return cls(
            events=len(history.events),
            workflow_tasks=kinds[EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED],
            timers=kinds[EventType.EVENT_TYPE_TIMER_STARTED],
            upserts=kinds[EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES],
            activities=kinds[EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED],
            # The SDK records each local activity's result as a marker.
            local_activities=kinds[EventType.EVENT_TYPE_MARKER_RECORDED],
            kib=sum(e.ByteSize() for e in history.events) / 1024,
        )

    @classmethod
    def mean(cls, facts: list[HistoryFacts]) -> HistoryFacts:
        return cls(**{f.name: mean([getattr(x, f.name) for x in facts]) for f in fields(cls)})

    def cells(self) -> list[str]:
        return [f"{getattr(self, f.name):.1f}" for f in fields(self)]


FACT_HEADERS = ["events", "workflow tasks", "timers", "upserts", "activities", "local", "KiB"]


async def sample_facts(client: Client, workflow_ids: list[str], sample: int) -> HistoryFacts:
    """The mean over up to ``sample`` runs of the phase (spread over it, not only the first)."""
    step = max(1, len(workflow_ids) // sample)
    chosen = workflow_ids[::step][:sample]
    histories = [await client.get_workflow_handle(w).fetch_history() for w in chosen]
    return HistoryFacts.mean([HistoryFacts.of(h) for h in histories])


async def run_bare(
    client: Client, task_queue: str, plan: BarePlan, workflow_id: str | None = None
) -> tuple[str, float]:
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
    return workflow_id, time.perf_counter() - started


@dataclass
class Phase:
    """One workflow's N runs in one round: the rate, the latencies, the CPU each process spent
    on them and what their histories hold."""

    name: str
    cases: int
    elapsed: float
    latencies: list[float]
    cpu: dict[str, float]
    facts: HistoryFacts

    @property
    def rate(self) -> float:
        return self.cases / self.elapsed

    def cpu_per_case(self, column: str) -> float:
        return self.cpu[column] / self.cases

    def total_cpu_per_case(self) -> float:
        return sum(self.cpu.values()) / self.cases


async def measure(
    s: Stack,
    name: str,
    client: Client,
    workers: list[int],
    items: list[Any],
    run: Callable[[Any], Awaitable[tuple[str, float]]],
    args: argparse.Namespace,
) -> Phase:
    start = await cpu.snapshot(s.pool, workers)
    results = await bounded(args.concurrency, items, run)
    spent, elapsed = await cpu.since(s.pool, workers, start)
    facts = await sample_facts(client, [w for w, _ in results], args.history_sample)
    return Phase(name, len(items), elapsed, [latency for _, latency in results], spent, facts)


def _rate_row(run: int, phase: Phase) -> list[str]:
    return [
        str(run),
        phase.name,
        f"{phase.rate:.2f}",
        f"{percentile(phase.latencies, 50):.2f}",
        f"{percentile(phase.latencies, 99):.2f}",
        *(f"{phase.cpu_per_case(c) * 1000:.1f}" for c in cpu.COLUMNS),
        f"{phase.total_cpu_per_case() * 1000:.1f}",
    ]


async def main(args: argparse.Namespace) -> None:
    quiet_logs()
    print_machine()
    print(f"letters' fonts subset by {font_subsetter()}")
    async with stack(server_url(args.database_url), pool_size=args.pool_size) as s:
        await add_policy(s.pool, BENCH_POLICY, "bench")
        officers = [bench_officer(f"OFB{i:05d}") for i in range(args.cases * args.runs + 1)]
        await upsert_officers(s.pool, officers)
        today = local_date(await s.env.get_current_time())
        # The bare engine: same server, no codec, no database, no domain.
        bare_client = Client(
            s.client.service_client,
            namespace=s.client.namespace,
            data_converter=pydantic_data_converter,
        )
        bare_queue = f"{s.settings.task_queue}-bare"
        bare_command = [sys.executable, "-m", "bench.bare_worker", s.temporal_address]
        bare_workers = child_workers(
            bare_client,
            bare_queue,
            args.workers,
            [*bare_command, s.client.namespace, bare_queue],
            dict(os.environ),
        )
        async with service_workers(s, args.workers) as ours_pids, bare_workers as bare_pids:
            workers = ours_pids + bare_pids
            # One case first, alone: a warm-up, and the shape the bare workflow copies.
            first_id, first_latency = await run_case(s, officers[0].officer_id, today)
            first_history = await s.client.get_workflow_handle(first_id).fetch_history()
            plan, activities, updates = plan_from_history(first_history)
            print(
                f"one case: {activities} activities, {updates} updates "
                f"(bare plan: before={plan.before} inside={plan.inside} after={plan.after}); "
                f"alone it took {first_latency:.2f} s"
            )
            await run_bare(bare_client, bare_queue, plan, "bare-warm-up")
            rounds: list[tuple[Phase, Phase]] = []
            for round_ in range(args.runs):
                batch = officers[1 + round_ * args.cases : 1 + (round_ + 1) * args.cases]
                ours = await measure(
                    s,
                    "voluntary exit (ours)",
                    s.client,
                    workers,
                    [o.officer_id for o in batch],
                    lambda officer_id: run_case(s, officer_id, today),
                    args,
                )
                bare = await measure(
                    s,
                    "bare (same shape)",
                    bare_client,
                    workers,
                    list(range(args.cases)),
                    lambda _: run_bare(bare_client, bare_queue, plan),
                    args,
                )
                rounds.append((ours, bare))
                print(f"run {round_ + 1}: ratio {ours.rate / bare.rate:.2f}", flush=True)
    report(args, rounds, activities, updates)


def report(
    args: argparse.Namespace, rounds: list[tuple[Phase, Phase]], activities: int, updates: int
) -> None:
    print()
    print(
        f"Lifecycle throughput: {args.runs} runs of {args.cases} cases, concurrency "
        f"{args.concurrency}, {args.workers} worker process(es) each, {activities} activities "
        f"and {updates} updates per case"
    )
    print()
    print(
        table(
            [
                "run",
                "workflow",
                "cases/s",
                "p50 s",
                "p99 s",
                *(f"{c} CPU ms/case" for c in cpu.COLUMNS),
                "total CPU ms/case",
            ],
            [_rate_row(i + 1, phase) for i, pair in enumerate(rounds) for phase in pair],
        )
    )
    print()
    print(f"history per run (mean of up to {args.history_sample} runs of each phase, run 1):")
    print()
    ours, bare = rounds[0]
    print(
        table(
            ["workflow", *FACT_HEADERS],
            [[ours.name, *ours.facts.cells()], [bare.name, *bare.facts.cells()]],
        )
    )
    print()
    print("median over the runs, CPU ms per case:")
    print()
    medians = []
    for column in cpu.COLUMNS:
        o = statistics.median(p.cpu_per_case(column) for p, _ in rounds) * 1000
        b = statistics.median(p.cpu_per_case(column) for _, p in rounds) * 1000
        medians.append([column, f"{o:.1f}", f"{b:.1f}", f"{o - b:+.1f}"])
    o = statistics.median(p.total_cpu_per_case() for p, _ in rounds) * 1000
    b = statistics.median(p.total_cpu_per_case() for _, p in rounds) * 1000
    medians.append(["total", f"{o:.1f}", f"{b:.1f}", f"{o - b:+.1f}"])
    print(table(["process", "ours", "bare", "ours - bare"], medians))
    print()
    ratios = [ours.rate / bare.rate for ours, bare in rounds]
    ratio = statistics.median(ratios)
    rates = ", ".join(f"{o.rate:.2f} vs {b.rate:.2f}" for o, b in rounds)
    verdict = "met" if ratio >= TARGET else "MISSED"
    print(f"cases/s ours vs bare: {rates}")
    print(
        f"ratio ours/bare: {', '.join(f'{r:.2f}' for r in ratios)}; "
        f"median {ratio:.2f} (target >= {TARGET}: {verdict})"
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--workers", type=int, default=2, help="worker processes each for ours and for bare"
    )
    parser.add_argument("--runs", type=int, default=3, help="rounds of ours then bare")
    parser.add_argument(
        "--history-sample", type=int, default=10, help="histories read per phase for the facts"
    )
    parser.add_argument("--pool-size", type=int, default=20)
    parser.add_argument("--database-url", help="PostgreSQL server URL (a database is created)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
