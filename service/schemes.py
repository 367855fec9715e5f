"""Running a scheme: inviting its cohort and reading its figures, for the API and the CLI."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import asyncpg
from pydantic import BaseModel, Field
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
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
    await client.start_workflow(
        INVITATIONS_WORKFLOW,
        run,
        id=invitations_workflow_id(scheme, run.run_id),
        task_queue=settings.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
    )
    return InvitationProgress(
        scheme=scheme, run_id=run.run_id, status="listing", total=None, processed=0, invited=0
    )


async def invitation_progress(client: Client, scheme: str, run_id: str) -> InvitationProgress:
    """How far the run is, from the workflow itself (the newest run of a continued chain)."""
    handle = client.get_workflow_handle(invitations_workflow_id(scheme, run_id))
    try:
        progress: InvitationProgress = await handle.query(
            "progress", result_type=InvitationProgress
        )
        return progress
    except RPCError as error:
        if error.status is RPCStatusCode.NOT_FOUND:
            raise UnknownRun(run_id) from None
        raise


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
