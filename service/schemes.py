"""Running a scheme: inviting its cohort and reading its figures, for the API and the CLI."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import secrets
from datetime import UTC, datetime
from typing import Literal

import asyncpg
from pydantic import BaseModel, Field
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from config.settings import Settings
from domain.officer import Rank
from domain.people import Actor
from domain.scheme import (
    BudgetFigures,
    InvitationProgress,
    InvitationRun,
    LeaversRow,
    Scheme,
    SchemeVersion,
    budget_figures,
    leavers_table,
)
from store import policies, schemes

INVITATIONS_WORKFLOW = "SchemeInvitationsWorkflow"


class UnknownScheme(Exception):
    pass


class UnknownPolicy(Exception):
    """The scheme names a policy version that is not stored."""


class UnknownRun(Exception):
    pass


def invitations_workflow_id(scheme: str, run_id: str) -> str:
    return f"invitations-{scheme}-{run_id}"


async def add_scheme(pool: asyncpg.Pool, scheme: Scheme, created_by: str) -> SchemeVersion:
    if await policies.get_policy(pool, scheme.policy_version) is None:
        raise UnknownPolicy(scheme.policy_version)
    return await schemes.add_scheme(pool, scheme, created_by)


def run_id_for(user_id: str, key: str) -> str:
    """The run a client's idempotency key names: the same key from the same user, the same
    run, so a retry (or a second press of a button) that overtakes the first finds its run."""
    return hashlib.sha256(f"{user_id}\x00{key}".encode()).hexdigest()[:16]


async def start_invitations(
    pool: asyncpg.Pool,
    client: Client,
    settings: Settings,
    *,
    scheme: str,
    ranks: list[Rank],
    actor: Actor,
    run_id: str | None = None,
) -> InvitationProgress:
    """Start an invitation run; the same ``run_id`` again finds the run already started."""
    if await schemes.get_scheme(pool, scheme) is None:
        raise UnknownScheme(scheme)
    run = InvitationRun(
        scheme=scheme, run_id=run_id or secrets.token_hex(8), ranks=ranks, actor=actor
    )
    # A run that has ended since it was started (a running one is found by USE_EXISTING) is
    # not started again either: the same form sent again later starts nothing.
    with contextlib.suppress(WorkflowAlreadyStartedError):
        await client.start_workflow(
            INVITATIONS_WORKFLOW,
            run,
            id=invitations_workflow_id(scheme, run.run_id),
            task_queue=settings.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
    # Once started, so every run listed has a workflow; a retry of the same run records it if
    # this step was lost. The audit event goes with the row: once per run, however many starts.
    await schemes.record_run(pool, scheme, run.run_id, ranks, actor)
    return InvitationProgress(
        scheme=scheme, run_id=run.run_id, status="listing", total=None, processed=0, invited=0
    )


RunState = Literal["running", "completed", "failed", "unknown"]


class InvitationRunView(InvitationProgress):
    """An invitation run as the pages and the API show it: the workflow's progress, whether
    the workflow still runs, and who started it."""

    state: RunState = Field(
        description="running while officers are listed and invited; completed once every one "
        "is processed (reminders may still be due: see `status`); failed if the run stopped "
        "before that; unknown once Temporal no longer keeps a run that recorded no figures (one "
        "started before runs kept them, or that stopped before its end): then only `invited`, "
        "counted from the invitations naming the run, is known (`processed` repeats it), and "
        "`total` is null."
    )
    skipped: int = Field(description="Processed but not invited by this run: invited before.")
    failed: int = Field(
        description="Officers a failed run never reached. A batch that fails is retried until "
        "it succeeds, so only a run that stopped leaves any."
    )
    ranks: list[Rank] | None = Field(description="The ranks asked for; null if not recorded.")
    started_by: str | None
    started_at: datetime | None


_INVITING = {"listing", "inviting"}


async def _progress(
    client: Client, scheme: str, run_id: str
) -> tuple[InvitationProgress, WorkflowExecutionStatus | None] | None:
    """The run's progress query and its workflow's status; None once Temporal keeps no such
    run (never started, or past the namespace's retention)."""
    handle = client.get_workflow_handle(invitations_workflow_id(scheme, run_id))
    try:
        description = await handle.describe()
        progress: InvitationProgress = await handle.query(
            "progress", result_type=InvitationProgress
        )
    except RPCError as error:
        if error.status is RPCStatusCode.NOT_FOUND:
            return None
        raise
    return progress, description.status


async def invitation_run(
    pool: asyncpg.Pool, client: Client, scheme: str, run_id: str
) -> InvitationRunView:
    """How far the run is: from the workflow itself (the newest run of a continued chain) while
    it has more to do, from the figures it recorded once it has finished or Temporal has
    dropped it."""
    records = await schemes.invitation_runs(pool, scheme, 1, run_id)
    record = records[0] if records else None
    view = await _run_view(pool, client, scheme, run_id, record)
    if view is None:
        raise UnknownRun(run_id)
    return view


async def invitation_runs(
    pool: asyncpg.Pool, client: Client, scheme: str, limit: int = 50
) -> list[InvitationRunView]:
    """The scheme's runs, newest first, each with its progress; a run Temporal no longer keeps
    is listed with the figures it recorded, and left out if it recorded none."""
    records = await schemes.invitation_runs(pool, scheme, limit)
    views = await asyncio.gather(*(_run_view(pool, client, scheme, r.run_id, r) for r in records))
    return [v for v in views if v is not None]


async def _run_view(
    pool: asyncpg.Pool,
    client: Client,
    scheme: str,
    run_id: str,
    record: schemes.RunRecord | None,
) -> InvitationRunView | None:
    stored = record.progress if record else None
    if stored is not None and stored.status == "done":
        # Nothing more can change: no need to ask Temporal.
        return _view(stored, WorkflowExecutionStatus.COMPLETED, record)
    found = await _progress(client, scheme, run_id)
    if found is not None:
        return _view(*found, record)
    if stored is not None:
        # Dropped by Temporal after inviting, before the reminders were recorded as sent.
        return _view(stored, WorkflowExecutionStatus.COMPLETED, record)
    if record is not None:
        # Started (and audited) but its figures are gone with its workflow: still listed, with
        # what PostgreSQL alone can say.
        invited = await schemes.invited_by_run(pool, scheme, run_id)
        progress = InvitationProgress(
            scheme=scheme,
            run_id=run_id,
            status="unknown",
            total=None,
            processed=invited,
            invited=invited,
        )
        return _view(progress, None, record)
    return None


def _view(
    progress: InvitationProgress,
    status: WorkflowExecutionStatus | None,
    record: schemes.RunRecord | None,
) -> InvitationRunView:
    state: RunState
    if status is None:
        state = "unknown"
    elif status is WorkflowExecutionStatus.RUNNING:
        state = "running" if progress.status in _INVITING else "completed"
    elif status is WorkflowExecutionStatus.COMPLETED:
        state = "completed"
    else:
        state = "failed"
    return InvitationRunView(
        **progress.model_dump(),
        state=state,
        skipped=progress.processed - progress.invited,
        failed=(progress.total or 0) - progress.processed if state == "failed" else 0,
        ranks=record.ranks if record else None,
        started_by=record.started_by if record else None,
        started_at=record.started_at if record else None,
    )


class SchemeReport(BaseModel):
    """The scheme dashboard (issue 17, item 6)."""

    scheme: Scheme
    version: int
    as_of: datetime
    cases_by_state_and_kind: list[dict[str, str | int]] = Field(
        description="Every case of the service, both kinds, counted by kind and state."
    )
    overdue_tasks_by_stage: list[dict[str, str | int]] = Field(
        description="Open tasks past their due time, by the stage (task kind) they hold up."
    )
    invitations: dict[str, int]
    budget: BudgetFigures
    leavers_by_month: list[LeaversRow]


async def scheme_report(pool: asyncpg.Pool, name: str) -> SchemeReport:
    found = await schemes.get_scheme(pool, name)
    if found is None:
        raise UnknownScheme(name)
    now = datetime.now(UTC)
    views = await schemes.case_views(pool, name)
    return SchemeReport(
        scheme=found.scheme,
        version=found.version,
        as_of=now,
        cases_by_state_and_kind=await schemes.cases_by_state_and_kind(pool),
        overdue_tasks_by_stage=await schemes.overdue_tasks_by_stage(pool, now),
        invitations=await schemes.invitation_totals(pool, name),
        budget=budget_figures(found.scheme, views),
        leavers_by_month=leavers_table(found.scheme, await schemes.leavers(pool, name)),
    )
