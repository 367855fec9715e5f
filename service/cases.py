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
from domain.scheme import Scheme, cap_problem
from service.kinds import KINDS, KindNotAvailable, Permit
from store import cases, letters, officers, policies, schemes
from store.pool import Connection


class UnknownOfficer(Exception):
    """The officer id is not on the roster."""


class OpenCaseExists(Exception):
    def __init__(self, case_id: str) -> None:
        super().__init__(f"the officer already has an open case ({case_id})")
        self.case_id = case_id


class OfficerHasLeft(Exception):
    """The officer's exit was completed: they have left the force, and no case may start."""

    def __init__(self, case_id: str) -> None:
        super().__init__(f"the officer's exit was completed in case {case_id}")
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
    policy = (
        policy or await _scheme_policy(pool, permit) or await policies.ensure_default_policy(pool)
    )
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
        scheme=permit.scheme.name if permit.scheme is not None else None,
        letters_version=letters_version,
    )
    async with pool.acquire() as connection, connection.transaction():
        # One open case per officer: requests for the same officer queue here.
        await cases.lock_officer(connection, officer_id)
        existing = await cases.get_case_view(connection, start.case_id)
        if existing is not None:
            return existing
        left = await cases.completed_exit(connection, officer_id)
        if left is not None:
            raise OfficerHasLeft(left)
        other = await cases.other_open_case(connection, officer_id, start.case_id)
        if other is not None:
            raise OpenCaseExists(other)
        view = start.submitted_view(now)
        await cases.insert_submitted(connection, view)
        if permit.scheme is not None:
            await schemes.link_case(connection, start.case_id, permit.scheme.name)
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


async def _scheme_policy(pool: asyncpg.Pool, permit: Permit) -> SchemePolicy | None:
    """The policy the scheme in force names (stored: checked when the scheme was added)."""
    if permit.scheme is None:
        return None
    return await policies.get_policy(pool, permit.scheme.policy_version)


class LeaversCapReached(Exception):
    """The leaving date falls in a month whose cap for the officer's rank is reached; the
    message names the month and the next months with room."""


# Actions that set a leaving date, and so take a place in a month's leavers.
_SETS_LEAVING_DATE = frozenset({Action.ACCEPT_OFFER, Action.CHANGE_LEAVING_DATE})


async def act(
    client: Client, pool: asyncpg.Pool, case_id: str, action: Action, command: Command
) -> CaseView:
    """Run one action as a workflow Update and return the case as the read model then has it.

    An action that sets a leaving date is checked against the scheme's monthly caps first,
    under the scheme's leavers lock, held until the workflow has recorded the date.
    """
    if action in _SETS_LEAVING_DATE:
        scheme = await schemes.scheme_of_case(pool, case_id)
        if scheme is not None and scheme.monthly_caps:
            async with schemes.month_lock(pool, scheme.name) as connection:
                await _check_cap(connection, scheme, case_id, command)
                return await _update(client, pool, case_id, action, command)
    return await _update(client, pool, case_id, action, command)


async def _check_cap(
    connection: Connection, scheme: Scheme, case_id: str, command: Command
) -> None:
    view = await cases.get_case_view(connection, case_id)
    if view is None:
        return
    offered = view.offer.leaving_date if view.offer is not None else None
    leaving_date = getattr(command, "leaving_date", None) or offered
    if leaving_date is None:
        return
    others = await schemes.leavers(connection, scheme.name, without=case_id)
    problem = cap_problem(scheme, others, view.rank, leaving_date)
    if problem is not None:
        raise LeaversCapReached(problem)


async def _update(
    client: Client, pool: asyncpg.Pool, case_id: str, action: Action, command: Command
) -> CaseView:
    handle = client.get_workflow_handle(case_id)
    try:
        # The Update answers with the case's new version (a worker from before this change: the
        # whole case), once every transition the action caused is in the read model; so the
        # case is read from there, whichever kind of worker answered.
        await handle.execute_update(action.value, command)
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
    view = await cases.get_case_view(pool, case_id)
    # The row is written before the workflow starts (open_case), and never deleted.
    assert view is not None
    return view
