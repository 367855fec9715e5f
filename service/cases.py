"""Opening cases and acting on them: what the API and the command line call.

Both go through here so that the rules around a workflow call (one open case per officer, the
mapping of refusals) live in one place.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import asyncpg
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from config import search_attributes
from config.settings import Settings
from domain.case import Application, CaseView, case_id_from
from domain.clock import local_date
from domain.commands import Command, Refusal, StartCase
from domain.efficiency import Proposal
from domain.lifecycle import Action, CaseKind
from domain.people import Actor
from domain.policy import SchemePolicy
from service.kinds import KINDS, KindNotAvailable
from store import cases, letters, officers, policies


class UnknownOfficer(Exception):
    """The officer id is not on the roster."""


class OpenCaseExists(Exception):
    def __init__(self, case_id: str) -> None:
        super().__init__(f"the officer already has an open case ({case_id})")
        self.case_id = case_id


class CaseNotFound(Exception):
    pass


class CommandRefused(Exception):
    def __init__(self, refusal: Refusal, detail: str, current_version: int | None = None) -> None:
        super().__init__(detail)
        self.refusal = refusal
        self.detail = detail
        # A stale action's refusal names the version the case is at now.
        self.current_version = current_version


def new_case_id() -> str:
    return case_id_from(secrets.randbits(64))


async def open_case(
    pool: asyncpg.Pool,
    client: Client,
    settings: Settings,
    *,
    officer_id: str,
    kind: CaseKind,
    application: Application,
    actor: Actor,
    case_id: str | None = None,
    policy: SchemePolicy | None = None,
    proposal: Proposal | None = None,
    now: datetime | None = None,
) -> CaseView:
    """Start a case under the current policy (or the one given), if its kind's gate is open.

    The same ``case_id`` twice returns the case already started. A refused start is audited.
    ``now`` is the moment of the request (tests pass one to open on a chosen day).
    """
    registration = KINDS.get(kind)
    if registration is None:
        raise KindNotAvailable(f"{kind.value} cases are not available")
    officer = await officers.get_officer(pool, officer_id)
    if officer is None:
        raise UnknownOfficer(officer_id)
    now = now or datetime.now(UTC)
    try:
        permit = await registration.gate(pool, local_date(now))
    except KindNotAvailable as refused:
        await cases.record_refused_start(
            pool,
            case_id=case_id or new_case_id(),
            kind=kind,
            officer_id=officer_id,
            actor=actor,
            reason=str(refused),
            occurred_at=now,
        )
        raise
    policy = policy or await policies.ensure_default_policy(pool)
    letters_version = await letters.current_version(pool)
    start = StartCase(
        case_id=case_id or new_case_id(),
        officer_id=officer_id,
        rank=officer.rank,
        kind=kind,
        application=application,
        policy=policy,
        created_by=actor,
        regulation=permit.regulation,
        proposal=proposal if permit.regulation is not None else None,
        letters_version=letters_version,
    )
    async with pool.acquire() as connection, connection.transaction():
        # One open case per officer: requests for the same officer queue here.
        await cases.lock_officer(connection, officer_id)
        existing = await cases.get_case_view(connection, start.case_id)
        if existing is not None:
            return existing
        other = await cases.other_open_case(connection, officer_id, start.case_id)
        if other is not None:
            raise OpenCaseExists(other)
        view = start.submitted_view(now)
        await cases.insert_submitted(connection, view)
        # Started inside the transaction: if the start fails, no row is left behind.
        await client.start_workflow(
            registration.workflow,
            start,
            id=start.case_id,
            task_queue=settings.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            search_attributes=search_attributes.initial(kind, officer.rank, view.state),
        )
    return view


async def act(
    client: Client, pool: asyncpg.Pool, case_id: str, action: Action, command: Command
) -> CaseView:
    """Run one action as a workflow Update; the read model is current when this returns."""
    handle = client.get_workflow_handle(case_id)
    try:
        updated: CaseView = await handle.execute_update(action.value, command, result_type=CaseView)
        return updated
    except WorkflowUpdateFailedError as error:
        cause = error.cause
        if (
            isinstance(cause, ApplicationError)
            and cause.type is not None
            and cause.type in Refusal._value2member_map_
        ):
            refusal = Refusal(cause.type)
            current = cause.details[0] if refusal is Refusal.STALE and cause.details else None
            raise CommandRefused(refusal, cause.message, current) from None
        raise
    except RPCError as error:
        if error.status is not RPCStatusCode.NOT_FOUND:
            raise
        view = await cases.get_case_view(pool, case_id)
        if view is None:
            raise CaseNotFound(case_id) from None
        # The workflow has finished: the case is closed.
        raise CommandRefused(
            Refusal.INVALID_STATE,
            f"'{action.value}' is not allowed while the case is {view.state.value}; "
            "allowed now: none",
        ) from None
