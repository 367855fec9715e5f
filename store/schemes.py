"""Schemes, the cases that applied under them, invitations, and the scheme's figures.

Versions of a scheme are never changed once stored: the newest version of the newest scheme is
the one new applications meet. The figures (budget, leavers by month, the report) are worked
out by ``domain/scheme.py`` from the case read model.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
from pydantic import BaseModel

from domain.case import CaseView
from domain.lifecycle import CaseState
from domain.officer import Rank
from domain.people import Actor
from domain.scheme import (
    COUNTED_STATES,
    BudgetPosition,
    InvitationProgress,
    RunFigures,
    Scheme,
    SchemeVersion,
    budget_figures,
    is_leaving,
    leavers_by_month,
)
from store import audit
from store.letters import store_invitation_letters
from store.pool import Connection

Executor = asyncpg.Pool | Connection


# The outbox's case_id for a scheme's own notices (invitations, reminders): they belong to no
# case, and the notifier logs this instead of anything personal.
SCHEME_SUBJECT = "scheme:"


def notice_subject(scheme: str) -> str:
    return f"{SCHEME_SUBJECT}{scheme}"


async def add_scheme(pool: asyncpg.Pool, scheme: Scheme, created_by: str) -> SchemeVersion:
    """Store ``scheme`` as the next version of its name; the same document as the newest
    version already stored is not stored again."""
    async with pool.acquire() as connection, connection.transaction():
        # Versions of one name are numbered one after another: writers of a name queue here.
        await connection.execute(
            "SELECT pg_advisory_xact_lock(hashtext('scheme:' || $1))", scheme.name
        )
        newest = await _newest(connection, scheme.name)
        if newest is not None and newest.scheme == scheme:
            return newest
        row = await connection.fetchrow(
            """INSERT INTO schemes (name, version, document, created_by)
               VALUES ($1, $2, $3, $4) RETURNING version, document, created_by, created_at""",
            scheme.name,
            (newest.version if newest else 0) + 1,
            scheme.model_dump(mode="json"),
            created_by,
        )
    assert row is not None  # INSERT ... RETURNING always returns the row
    return _version(row)


def _version(row: asyncpg.Record) -> SchemeVersion:
    return SchemeVersion(
        version=row["version"],
        scheme=Scheme.model_validate(row["document"]),
        created_by=row["created_by"],
        created_at=row["created_at"],
    )


_SELECT = "SELECT version, document, created_by, created_at FROM schemes"


async def _newest(executor: Executor, name: str) -> SchemeVersion | None:
    row = await executor.fetchrow(f"{_SELECT} WHERE name = $1 ORDER BY version DESC LIMIT 1", name)
    return _version(row) if row else None


async def get_scheme(executor: Executor, name: str) -> SchemeVersion | None:
    """The version of the scheme in force (its newest)."""
    return await _newest(executor, name)


async def scheme_versions(executor: Executor, name: str) -> list[SchemeVersion]:
    rows = await executor.fetch(f"{_SELECT} WHERE name = $1 ORDER BY version", name)
    return [_version(r) for r in rows]


async def current_scheme(executor: Executor) -> Scheme | None:
    """The scheme new applications apply under: the one changed most recently."""
    document = await executor.fetchval(
        "SELECT document FROM schemes ORDER BY created_at DESC, name, version DESC LIMIT 1"
    )
    return Scheme.model_validate(document) if document is not None else None


async def list_schemes(executor: Executor) -> list[SchemeVersion]:
    rows = await executor.fetch(
        "SELECT DISTINCT ON (name) version, document, created_by, created_at FROM schemes "
        "ORDER BY name, version DESC"
    )
    return [_version(r) for r in rows]


async def link_case(connection: Connection, case_id: str, scheme: str) -> None:
    """Record that the case applied under ``scheme`` (in the transaction that opens it)."""
    await connection.execute(
        "INSERT INTO scheme_cases (case_id, scheme) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        case_id,
        scheme,
    )


async def scheme_of_case(executor: Executor, case_id: str) -> Scheme | None:
    document = await executor.fetchval(
        """SELECT s.document FROM scheme_cases c JOIN schemes s ON s.name = c.scheme
           WHERE c.case_id = $1 ORDER BY s.version DESC LIMIT 1""",
        case_id,
    )
    return Scheme.model_validate(document) if document is not None else None


# The scheme's cases in the states that can hold money or a leaving month (COUNTED_STATES), as
# JSON text: pydantic parses it in one step, without building Python dicts first.
CASE_VIEWS = """SELECT c.view::text AS view FROM cases c JOIN scheme_cases s USING (case_id)
                WHERE s.scheme = $1 AND c.state = ANY($2::text[])"""
_COUNTED = sorted(COUNTED_STATES)


async def case_views(executor: Executor, scheme: str) -> list[CaseView]:
    """The scheme's cases that its budget and its leavers count (the rest count for neither)."""
    rows = await executor.fetch(CASE_VIEWS, scheme, _COUNTED)
    return [CaseView.model_validate_json(r["view"]) for r in rows]


# -- budget -------------------------------------------------------------------------------------


async def budget_position(executor: Executor, case_id: str) -> BudgetPosition | None:
    """The budget of the case's scheme and what its other cases offer, commit and have paid;
    None for a case under no scheme."""
    scheme = await scheme_of_case(executor, case_id)
    if scheme is None:
        return None
    others = [v for v in await case_views(executor, scheme.name) if v.case_id != case_id]
    figures = budget_figures(scheme, others)
    return BudgetPosition(
        scheme=scheme.name,
        budget=scheme.budget,
        elsewhere=figures.offered + figures.committed + figures.paid,
    )


# -- leavers by month ---------------------------------------------------------------------------


LEAVERS = """SELECT c.leaving_date, c.rank, c.view::text AS view
             FROM cases c JOIN scheme_cases s USING (case_id)
             WHERE s.scheme = $1 AND c.leaving_date IS NOT NULL
               AND c.case_id IS DISTINCT FROM $2 AND c.state = ANY($3::text[])"""


async def leavers(
    executor: Executor, scheme: str, *, without: str | None = None
) -> Counter[tuple[str, Rank]]:
    """Leavers of the scheme by (month, rank), without the case ``without``."""
    rows = await executor.fetch(LEAVERS, scheme, without, _COUNTED)
    return leavers_by_month(
        (r["leaving_date"], Rank(r["rank"]))
        for r in rows
        if is_leaving(CaseView.model_validate_json(r["view"]))
    )


@asynccontextmanager
async def month_lock(pool: asyncpg.Pool, scheme: str) -> AsyncIterator[Connection]:
    """Hold the scheme's leavers lock while a leaving date is checked against the caps and
    then set: two acceptances for the last place in a month queue here, and the second sees
    the first."""
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute(
            "SELECT pg_advisory_xact_lock(hashtext('scheme-leavers:' || $1))", scheme
        )
        yield connection


# -- invitations --------------------------------------------------------------------------------


# Officers a scheme may invite: on the roster, not redacted, and not gone already (an exit
# completed under an earlier case): the roster may keep a leaver until HR's next import.
SERVING = f"""o.redacted_at IS NULL AND NOT EXISTS (
    SELECT 1 FROM cases c
    WHERE c.officer_id = o.officer_id AND c.state = '{CaseState.COMPLETED.value}')"""  # noqa: S608 - a member's value


async def invitees(executor: Executor, ranks: list[Rank]) -> list[str]:
    """Officer ids of the given ranks still serving (:data:`SERVING`), in a fixed order."""
    rows = await executor.fetch(
        f"""SELECT officer_id FROM officers o WHERE rank = ANY($1::text[]) AND {SERVING}
            ORDER BY officer_id""",  # noqa: S608 - a fixed fragment; values are bound
        [r.value for r in ranks],
    )
    return [r["officer_id"] for r in rows]


async def roster_count(executor: Executor, ranks: list[Rank]) -> int:
    """How many officers still serving (:data:`SERVING`) hold the given ranks."""
    count: int = await executor.fetchval(
        f"SELECT count(*) FROM officers o WHERE rank = ANY($1::text[]) AND {SERVING}",  # noqa: S608
        [r.value for r in ranks],
    )
    return count


async def already_invited(executor: Executor, scheme: str, ranks: list[Rank]) -> int:
    """How many officers still serving of the given ranks the scheme has invited already."""
    count: int = await executor.fetchval(
        f"""SELECT count(*) FROM officers o JOIN scheme_invitations i USING (officer_id)
            WHERE i.scheme = $1 AND o.rank = ANY($2::text[]) AND {SERVING}""",  # noqa: S608
        scheme,
        [r.value for r in ranks],
    )
    return count


class RunRecord(BaseModel):
    """Who started an invitation run, when, and for which ranks; and what it did, once its
    workflow has recorded that (None before)."""

    run_id: str
    ranks: list[Rank]
    started_by: str
    started_at: datetime
    progress: InvitationProgress | None = None
    finished_at: datetime | None = None


async def record_run(
    pool: asyncpg.Pool, scheme: str, run_id: str, ranks: list[Rank], actor: Actor
) -> bool:
    """Record a run as it starts, and its start in the scheme's audit chain, in one
    transaction; starting the same run again (a double submit) records nothing more. Returns
    whether this call recorded it."""
    async with pool.acquire() as connection, connection.transaction():
        status = await connection.execute(
            """INSERT INTO scheme_invitation_runs (scheme, run_id, ranks, started_by, audited)
               VALUES ($1, $2, $3, $4, true) ON CONFLICT (scheme, run_id) DO NOTHING""",
            scheme,
            run_id,
            [r.value for r in ranks],
            actor.user_id,
        )
        if status != "INSERT 0 1":
            return False
        await audit.append_scheme_event(
            connection,
            scheme,
            {
                "action": "start_invitations",
                "actor_user_id": actor.user_id,
                "actor_role": actor.role.value,
                "on_behalf_of": None,
                "from_state": None,
                "to_state": "invitations_started",
                "reason": None,
                "details": {"run_id": run_id, "ranks": [r.value for r in ranks]},
                "occurred_at": datetime.now(UTC),
            },
        )
        return True


async def record_figures(executor: Executor, figures: RunFigures) -> None:
    """Keep what a run did; written again with the same figures, nothing changes."""
    progress = figures.progress
    await executor.execute(
        """UPDATE scheme_invitation_runs
           SET state = 'completed', status = $3, total = $4, processed = $5::integer,
               invited = $6::integer, skipped = $5 - $6, not_eligible = $7, failed = 0,
               reminder_day = $8, reminded = $9, finished_at = $10
           WHERE scheme = $1 AND run_id = $2""",
        progress.scheme,
        progress.run_id,
        progress.status,
        progress.total,
        progress.processed,
        progress.invited,
        progress.not_eligible,
        progress.reminder_day,
        progress.reminded,
        figures.finished_at,
    )


async def invited_by_run(executor: Executor, scheme: str, run_id: str) -> int:
    """How many officers the run invited, from the invitations that name it."""
    count: int = await executor.fetchval(
        "SELECT count(*) FROM scheme_invitations WHERE scheme = $1 AND run_id = $2",
        scheme,
        run_id,
    )
    return count


async def invitation_runs(
    executor: Executor, scheme: str, limit: int, run_id: str | None = None
) -> list[RunRecord]:
    """The scheme's runs (the one named ``run_id`` only, if given), newest first."""
    rows = await executor.fetch(
        """SELECT run_id, ranks, started_by, started_at, status, total, processed, invited,
                  not_eligible, reminder_day, reminded, finished_at
           FROM scheme_invitation_runs
           WHERE scheme = $1 AND ($3::text IS NULL OR run_id = $3)
           ORDER BY started_at DESC, run_id LIMIT $2""",
        scheme,
        limit,
        run_id,
    )
    return [
        RunRecord(
            run_id=r["run_id"],
            ranks=[Rank(rank) for rank in r["ranks"]],
            started_by=r["started_by"],
            started_at=r["started_at"],
            progress=None
            if r["status"] is None
            else InvitationProgress(
                scheme=scheme,
                run_id=r["run_id"],
                status=r["status"],
                total=r["total"],
                processed=r["processed"],
                invited=r["invited"],
                not_eligible=r["not_eligible"],
                reminder_day=r["reminder_day"],
                reminded=r["reminded"],
            ),
            finished_at=r["finished_at"],
        )
        for r in rows
    ]


class Uninvited(BaseModel):
    """An officer of a batch not yet invited to the scheme, as their letter addresses them."""

    officer_id: str
    name: str
    rank: Rank


async def uninvited(executor: Executor, scheme: str, officer_ids: list[str]) -> list[Uninvited]:
    """The officers of ``officer_ids`` still serving whom nobody has invited to ``scheme``."""
    rows = await executor.fetch(
        f"""SELECT o.officer_id, o.name, o.rank FROM officers o
            WHERE o.officer_id = ANY($2::text[]) AND {SERVING} AND NOT EXISTS (
                SELECT 1 FROM scheme_invitations i
                WHERE i.scheme = $1 AND i.officer_id = o.officer_id)
            ORDER BY o.officer_id""",  # noqa: S608 - a fixed fragment; values are bound
        scheme,
        officer_ids,
    )
    return [Uninvited(**dict(r)) for r in rows]


class InvitationLetters(BaseModel):
    """A batch's invitation letters, rendered before its transaction: PDF per officer."""

    template_version: str
    contents: dict[str, bytes]


INVITATION_LETTER = "invitation"


async def invite(
    pool: asyncpg.Pool,
    scheme: Scheme,
    run_id: str,
    actor: Actor,
    officer_ids: list[str],
    letters: InvitationLetters,
) -> int:
    """Invite a batch, each officer once per scheme ever, with their letter and a notice
    pointing to it, all in one transaction. Returns how many of the batch this run has invited:
    the same answer when a retry finds its own first attempt already written."""
    async with pool.acquire() as connection, connection.transaction():
        invited = await connection.fetch(
            """INSERT INTO scheme_invitations (scheme, officer_id, run_id, invited_by)
               SELECT $1, unnest($2::text[]), $3, $4
               ON CONFLICT (scheme, officer_id) DO NOTHING RETURNING officer_id""",
            scheme.name,
            officer_ids,
            run_id,
            actor.user_id,
        )
        new = [r["officer_id"] for r in invited]
        # Only those this transaction invited: an officer another run invited meanwhile has
        # that run's letter.
        lettered = {o: letters.contents[o] for o in new if o in letters.contents}
        await store_invitation_letters(connection, scheme.name, letters.template_version, lettered)
        subject = f"The {scheme.name} voluntary exit scheme: you are invited to apply"
        body = (
            f"You are invited to apply to the {scheme.name} voluntary exit scheme. "
            f"Applications are accepted from {scheme.application_opens} to "
            f"{scheme.application_closes}.\n\nSign in to the exit case service to apply."
        )
        await _notify(
            connection,
            scheme.name,
            [o for o in new if o not in lettered],
            "invitation",
            subject,
            body,
        )
        await _notify(
            connection,
            scheme.name,
            list(lettered),
            "invitation",
            subject,
            f"{body}\n\nYour invitation letter is ready in the exit case service.",
            document_id=INVITATION_LETTER,
        )
        mine: int = await connection.fetchval(
            """SELECT count(*) FROM scheme_invitations
               WHERE scheme = $1 AND run_id = $2 AND officer_id = ANY($3::text[])""",
            scheme.name,
            run_id,
            officer_ids,
        )
        return mine


async def _notify(
    connection: Connection,
    scheme: str,
    officer_ids: list[str],
    template: str,
    subject: str,
    body: str,
    document_id: str | None = None,
) -> None:
    await connection.executemany(
        """INSERT INTO notifications (key, case_id, recipient_officer_id, template, subject, body,
                                      document_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (key) DO NOTHING""",
        [
            (
                f"{template}:{scheme}:{officer_id}",
                notice_subject(scheme),
                officer_id,
                template,
                subject,
                body,
                document_id,
            )
            for officer_id in officer_ids
        ],
    )


async def remind(pool: asyncpg.Pool, scheme: Scheme, today: date) -> int:
    """Remind invited officers who have not applied under the scheme, once each, while its
    window is open; returns how many were reminded now."""
    if not scheme.application_opens <= today <= scheme.application_closes:
        return 0
    async with pool.acquire() as connection, connection.transaction():
        reminded = await connection.fetch(
            """UPDATE scheme_invitations i SET reminded_at = clock_timestamp()
               WHERE i.scheme = $1 AND i.reminded_at IS NULL AND NOT EXISTS (
                   SELECT 1 FROM scheme_cases s JOIN cases c USING (case_id)
                   WHERE s.scheme = i.scheme AND c.officer_id = i.officer_id)
               RETURNING i.officer_id""",
            scheme.name,
        )
        await _notify(
            connection,
            scheme.name,
            [r["officer_id"] for r in reminded],
            "invitation_reminder",
            f"The {scheme.name} voluntary exit scheme closes on {scheme.application_closes}",
            f"You were invited to apply to the {scheme.name} voluntary exit scheme and have "
            f"not applied. Applications close on {scheme.application_closes}.",
        )
    return len(reminded)


# The officers who applied are found once, as a set (a hashed subplan), not once per invitation.
INVITATION_TOTALS = """
    SELECT count(*) AS invited,
           count(*) FILTER (WHERE reminded_at IS NOT NULL) AS reminded,
           count(*) FILTER (WHERE officer_id IN (
               SELECT c.officer_id FROM scheme_cases s JOIN cases c USING (case_id)
               WHERE s.scheme = $1)) AS applied
    FROM scheme_invitations WHERE scheme = $1"""


async def invitation_totals(executor: Executor, scheme: str) -> dict[str, int]:
    row = await executor.fetchrow(INVITATION_TOTALS, scheme)
    assert row is not None
    return dict(row)


# -- the report ---------------------------------------------------------------------------------


# Cases and tasks of both kinds: efficiency retirement cases belong to no scheme, and the
# dashboard shows the service's whole workload beside the scheme's money and leavers.


CASES_BY_STATE_AND_KIND = (
    "SELECT kind, state, count(*) AS cases FROM cases GROUP BY kind, state ORDER BY kind, state"
)


async def cases_by_state_and_kind(executor: Executor) -> list[dict[str, Any]]:
    rows = await executor.fetch(CASES_BY_STATE_AND_KIND)
    return [dict(r) for r in rows]


OVERDUE_TASKS = """SELECT kind AS stage, count(*) AS overdue FROM tasks WHERE due_at < $1
                   GROUP BY kind ORDER BY kind"""


async def overdue_tasks_by_stage(executor: Executor, now: datetime) -> list[dict[str, Any]]:
    rows = await executor.fetch(OVERDUE_TASKS, now)
    return [dict(r) for r in rows]
