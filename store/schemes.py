"""Schemes, the cases that applied under them, invitations, and the scheme's figures.

Versions of a scheme are never changed once stored: the newest version of the newest scheme is
the one new applications meet. The figures (budget, leavers by month, the report) are worked
out by ``domain/scheme.py`` from the case read model.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime
from typing import Any

import asyncpg
from pydantic import BaseModel

from domain.case import CaseView
from domain.officer import Rank
from domain.people import Actor
from domain.scheme import (
    COUNTED_STATES,
    BudgetPosition,
    Scheme,
    SchemeVersion,
    budget_figures,
    is_leaving,
    leavers_by_month,
)
from store.pool import Connection

Executor = asyncpg.Pool | Connection


# The outbox's case_id for a scheme's own notices (invitations, reminders): they belong to no
# case, and the notifier logs this instead of anything personal.
def notice_subject(scheme: str) -> str:
    return f"scheme:{scheme}"


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
        created_at=row["created_at"].isoformat(),
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


async def invitees(executor: Executor, ranks: list[Rank]) -> list[str]:
    """Officer ids on the roster of the given ranks, in a fixed order (redacted ones left out)."""
    rows = await executor.fetch(
        """SELECT officer_id FROM officers WHERE rank = ANY($1::text[]) AND redacted_at IS NULL
           ORDER BY officer_id""",
        [r.value for r in ranks],
    )
    return [r["officer_id"] for r in rows]


async def roster_count(executor: Executor, ranks: list[Rank]) -> int:
    """How many officers on the roster hold the given ranks (redacted ones left out)."""
    count: int = await executor.fetchval(
        "SELECT count(*) FROM officers WHERE rank = ANY($1::text[]) AND redacted_at IS NULL",
        [r.value for r in ranks],
    )
    return count


async def already_invited(executor: Executor, scheme: str, ranks: list[Rank]) -> int:
    """How many officers on the roster of the given ranks the scheme has invited already."""
    count: int = await executor.fetchval(
        """SELECT count(*) FROM officers o JOIN scheme_invitations i USING (officer_id)
           WHERE i.scheme = $1 AND o.rank = ANY($2::text[]) AND o.redacted_at IS NULL""",
        scheme,
        [r.value for r in ranks],
    )
    return count


class RunRecord(BaseModel):
    """Who started an invitation run, when, and for which ranks."""

    run_id: str
    ranks: list[Rank]
    started_by: str
    started_at: datetime


async def record_run(
    executor: Executor, scheme: str, run_id: str, ranks: list[Rank], started_by: str
) -> None:
    """Record a run as it starts; starting the same run again (a double submit) records
    nothing more."""
    await executor.execute(
        """INSERT INTO scheme_invitation_runs (scheme, run_id, ranks, started_by)
           VALUES ($1, $2, $3, $4) ON CONFLICT (scheme, run_id) DO NOTHING""",
        scheme,
        run_id,
        [r.value for r in ranks],
        started_by,
    )


async def invitation_runs(
    executor: Executor, scheme: str, limit: int, run_id: str | None = None
) -> list[RunRecord]:
    """The scheme's runs (the one named ``run_id`` only, if given), newest first."""
    rows = await executor.fetch(
        """SELECT run_id, ranks, started_by, started_at FROM scheme_invitation_runs
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
        )
        for r in rows
    ]


async def invite(
    pool: asyncpg.Pool,
    scheme: Scheme,
    run_id: str,
    actor: Actor,
    officer_ids: list[str],
) -> int:
    """Invite a batch, each officer once per scheme ever, with a notice through the outbox in
    the same transaction. Returns how many of the batch this run has invited: the same answer
    when a retry finds its own first attempt already written."""
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
        subject = f"The {scheme.name} voluntary exit scheme: you are invited to apply"
        body = (
            f"You are invited to apply to the {scheme.name} voluntary exit scheme. "
            f"Applications are accepted from {scheme.application_opens} to "
            f"{scheme.application_closes}.\n\nSign in to the exit case service to apply."
        )
        await _notify(
            connection, scheme.name, [r["officer_id"] for r in invited], "invitation", subject, body
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
) -> None:
    await connection.executemany(
        """INSERT INTO notifications (key, case_id, recipient_officer_id, template, subject, body)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (key) DO NOTHING""",
        [
            (
                f"{template}:{scheme}:{officer_id}",
                notice_subject(scheme),
                officer_id,
                template,
                subject,
                body,
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
